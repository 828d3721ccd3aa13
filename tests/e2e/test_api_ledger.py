"""The ledger over the API: records read one by one and in pages; written one by one (PUT) or in
batches, with exactly the CSV import's validation (all or nothing, every bad row named)."""

from __future__ import annotations

from tests.api import World, api_fixture, assert_error, world_fixture  # noqa: F401


def test_a_batch_upserts_by_external_id_and_counts_what_changed(world: World) -> None:
    api = world.api
    rows = [
        {"external_id": "C1", "name": "Acme Ltd", "currency": "USD", "collector": "maria", "tags": ""},
        {"external_id": "C3", "name": "Gamma SA", "currency": "EUR", "collector": "sam"},
        {"external_id": "C4", "name": "Delta BV", "tags": "a;b"},
    ]

    first = api.post("/customers/batch", {"rows": rows})
    again = api.post("/customers/batch", {"rows": rows})

    assert first.status_code == 200
    assert first.json() == {"kind": "customers", "rows": 3, "created": 2, "updated": 0, "unchanged": 1}
    assert again.json() == {"kind": "customers", "rows": 3, "created": 0, "updated": 0, "unchanged": 3}
    assert api.get("/customers/C3").json()["collector"] == "sam"
    assert api.get("/customers/C4").json()["collector"] is None  # a column of the batch, empty in this row


def test_a_column_only_some_rows_of_a_batch_have_is_an_empty_cell_in_the_others(world: World) -> None:
    api = world.api

    answer = api.post(
        "/customers/batch",
        {"rows": [{"external_id": "C1", "name": "Acme"}, {"external_id": "C5", "name": "Epsilon", "collector": "sam"}]},
    )

    assert answer.json()["updated"] == 1
    assert api.get("/customers/C1").json()["collector"] is None
    assert api.get("/customers/C1").json()["phone"] == "+1 415 555 0100"  # no row has it: kept


def test_a_batch_with_bad_rows_is_rejected_whole_naming_each_row_and_column(world: World) -> None:
    api = world.api
    rows = [
        {"external_id": "P10", "customer_external_id": "C1", "date": "2026-06-20", "amount": "5.00"},
        {"external_id": "P11", "customer_external_id": "C1", "date": "2026-06-20", "amount": "-5.00"},
        {"external_id": "P12", "customer_external_id": "C2", "date": "2026-06-20", "amount": "1", "currency": "USD"},
        {
            "external_id": "P13",
            "customer_external_id": "C1",
            "date": "2026-06-20",
            "amount": "1",
            "invoice_external_id": "B1",
        },
    ]

    answer = api.post("/payments/batch", {"rows": rows})

    error = assert_error(answer, 422, "import_rejected", "rejected with 3 errors", "nothing was imported")
    assert [(e["row"], e["column"]) for e in error["errors"]] == [
        (2, "amount"),
        (3, "currency"),
        (4, "invoice_external_id"),
    ]
    assert error["total_errors"] == 3
    assert "negative" in error["errors"][0]["reason"]
    assert api.get("/payments/P10").status_code == 404


def test_rows_are_numbered_by_the_request_even_when_a_value_spans_lines(world: World) -> None:
    api = world.api
    rows = [
        {"external_id": "C7", "name": "Two\nLines Ltd"},
        {"external_id": "C8", "name": "Fine"},
        {"external_id": "C9", "name": "Bad", "currency": "XXZ"},
    ]

    answer = api.post("/customers/batch", {"rows": rows})

    error = assert_error(answer, 422, "import_rejected")
    assert [(e["row"], e["column"]) for e in error["errors"]] == [(3, "currency")]


def test_a_field_left_out_keeps_its_value_and_null_clears_it(world: World) -> None:
    api = world.api
    api.put("/customers/C1", {"name": "Acme Ltd", "email": "ar@acme.test", "credit_limit": "5000"})

    kept = api.put("/customers/C1", {"name": "Acme Limited"}).json()
    cleared = api.put("/customers/C1", {"name": "Acme Limited", "email": None}).json()

    assert (kept["email"], kept["credit_limit"], kept["collector"]) == ("ar@acme.test", "5000.00", "maria")
    assert (cleared["email"], cleared["credit_limit"]) == (None, "5000.00")


def test_unknown_fields_are_refused_like_unknown_csv_columns(world: World) -> None:
    answer = world.api.put("/customers/C1", {"name": "Acme", "vat_number": "X1"})

    assert_error(answer, 422, "invalid_input", "vat_number")


def test_contacts_credit_notes_and_their_pages(world: World) -> None:
    api = world.api

    contact = api.put("/contacts/K2", {"customer_external_id": "C1", "name": "Lee", "receives_reminders": False})
    note = api.put("/credit-notes/CN2", {"customer_external_id": "C1", "date": "2026-06-29", "amount": "5"})

    assert contact.status_code == 201
    assert contact.json() | {"id": 0} == {
        "id": 0,
        "customer_external_id": "C1",
        "external_id": "K2",
        "name": "Lee",
        "email": None,
        "phone": None,
        "role": None,
        "receives_reminders": False,
    }
    assert api.get("/contacts/K2", params={"customer_external_id": "C1"}).json() == contact.json()
    assert [c["external_id"] for c in api.get("/contacts", params={"customer_external_id": "C1"}).json()["items"]] == [
        "K1",
        "K2",
    ]
    assert note.status_code == 201
    assert note.json() == {
        "external_id": "CN2",
        "customer_external_id": "C1",
        "date": "2026-06-29",
        "amount": "5.00",
        "currency": "USD",
        "invoice_external_id": None,
        "reason": None,
    }
    assert [n["external_id"] for n in api.get("/credit-notes").json()["items"]] == ["CN1", "CN2"]


def test_invoice_pages_follow_the_cursor_and_filter_by_customer(world: World) -> None:
    api = world.api

    first = api.get("/invoices", params={"limit": 4}).json()
    rest = api.get("/invoices", params={"limit": 4, "cursor": first["next"]}).json()
    betas = api.get("/invoices", params={"customer_external_id": "C2"}).json()

    assert [i["external_id"] for i in first["items"]] == ["B1", "I1", "I2", "I3"]
    assert [i["external_id"] for i in rest["items"]] == ["I4", "I5"] and rest["next"] is None
    assert [(i["external_id"], i["disputed"], i["outstanding_amount"]) for i in betas["items"]] == [
        ("B1", True, "40.00")
    ]
    paid = api.get("/invoices/I4").json()
    assert (paid["status"], paid["outstanding_amount"]) == ("paid", "0.00")
    assert api.get("/invoices/I5").json()["plan_id"] == world["plan"]


def test_a_ledger_write_shows_at_once_in_the_task_list(world: World) -> None:
    api = world.api
    assert api.get("/tasks", as_="maria").json()["items"][0]["overdue_amount"] == "340.00"

    api.put(
        "/payments/PAY2",
        {"customer_external_id": "C1", "date": "2026-06-30", "amount": "100", "invoice_external_id": "I1"},
    )

    assert api.get("/tasks", as_="maria").json()["items"][0]["overdue_amount"] == "240.00"


def test_an_external_id_longer_than_the_csv_allows_is_422(world: World) -> None:
    answer = world.api.put("/customers/" + "x" * 129, {"name": "Long"})

    assert_error(answer, 422, "invalid_input")


def test_an_external_id_is_trimmed_as_the_csv_import_trims_it(world: World) -> None:
    answer = world.api.put("/customers/%20C7%20", {"name": "Padded"})

    assert answer.status_code == 201
    assert answer.json()["external_id"] == "C7"
    assert world.api.get("/customers/C7").json()["name"] == "Padded"


def test_a_value_with_a_lone_carriage_return_is_kept_whole(world: World) -> None:
    answer = world.api.put("/customers/C7", {"name": "Two\rParts"})

    assert answer.status_code == 201
    assert world.api.get("/customers/C7").json()["name"] == "Two\rParts"
