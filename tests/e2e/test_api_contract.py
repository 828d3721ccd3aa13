"""Every row of docs/api.md's table of endpoints, as a client sees it, on both databases."""

from __future__ import annotations

from tests.api import Api, World, api_fixture, world_fixture  # noqa: F401

CLI_TASK_FIELDS = {
    "id",
    "customer_external_id",
    "customer_name",
    "type",
    "status",
    "assignee",
    "due_date",
    "description",
    "invoice_external_ids",
    "outstanding_invoice_count",
    "overdue_amount",
    "currency",
}
API_TASK_FIELDS = CLI_TASK_FIELDS | {
    "phones",
    "version",
    "outcome",
    "note",
    "completed_at",
    "follow_up_date",
    "expected_amount",
    "expected_date",
    "source",
    "issue_id",
    "transcript",
    "recording",
    "priority",
    "why",
    "expected_payment_date",
}


def test_the_task_list_is_mine_by_default_with_the_fields_of_the_cli(world: World) -> None:
    api = world.api

    answer = api.get("/tasks", as_="maria")

    assert answer.status_code == 200
    body = answer.json()
    assert body["next"] is None
    [task] = body["items"]
    assert set(task) == API_TASK_FIELDS
    assert task == task | {
        "id": world["task_maria"],
        "customer_external_id": "C1",
        "customer_name": "Acme Ltd",
        "type": "call",
        "status": "open",
        "assignee": "maria",
        "due_date": "2026-06-30",
        "description": "Call Acme about I1",
        "invoice_external_ids": ["I1"],
        "outstanding_invoice_count": 4,
        "overdue_amount": "340.00",
        "currency": "USD",
        "phones": ["+1 415 555 0100"],
        "version": 1,
        "source": "manual",
    }


def test_the_task_list_filters_by_assignee_everyone_status_type_and_text(world: World) -> None:
    api = world.api
    api.post("/tasks", {"customer_external_id": "C2", "type": "email", "description": "Send the statement"})

    by_sam = api.get("/tasks", params={"assignee": "sam"}).json()["items"]
    everyone = api.get("/tasks", params={"all": "true"}).json()["items"]
    emails = api.get("/tasks", params={"all": "true", "type": "email"}).json()["items"]
    beta = api.get("/tasks", params={"all": "true", "q": "beta"}).json()["items"]
    done = api.get("/tasks", params={"all": "true", "status": "done"}).json()["items"]

    assert [t["customer_external_id"] for t in by_sam] == ["C2", "C2"]
    assert len(everyone) == 3
    assert [t["description"] for t in emails] == ["Send the statement"]
    assert {t["customer_name"] for t in beta} == {"Beta GmbH"}
    assert done == []


def test_the_task_list_pages_with_limit_and_the_next_cursor(world: World) -> None:
    api = world.api
    for n in range(3):
        api.post("/tasks", {"customer_external_id": "C1", "type": "note", "description": f"note {n}"})

    first = api.get("/tasks", params={"all": "true", "limit": 2}).json()
    second = api.get("/tasks", params={"all": "true", "limit": 2, "cursor": first["next"]}).json()
    third = api.get("/tasks", params={"all": "true", "limit": 2, "cursor": second["next"]})

    assert len(first["items"]) == 2 and first["next"] is not None
    assert len(second["items"]) == 2 and second["next"] is not None
    assert len(third.json()["items"]) == 1 and third.json()["next"] is None
    ids = [t["id"] for page in (first, second, third.json()) for t in page["items"]]
    assert len(set(ids)) == 5
    assert api.get("/tasks", params={"all": "true", "limit": 2, "offset": 4}).json()["items"] == third.json()["items"]


def test_creating_a_task_answers_201_with_the_task(world: World) -> None:
    api = world.api

    answer = api.post(
        "/tasks",
        {
            "customer_external_id": "C1",
            "type": "call",
            "description": "Chase I2",
            "assignee": "sam",
            "due_date": "2026-07-02",
            "invoice_external_ids": ["I2", "I1"],
        },
    )

    assert answer.status_code == 201
    task = answer.json()
    assert set(task) == API_TASK_FIELDS
    assert (task["assignee"], task["due_date"], task["invoice_external_ids"]) == ("sam", "2026-07-02", ["I1", "I2"])
    assert api.get(f"/tasks/{task['id']}").json() == task


def test_an_expected_payment_task_carries_the_promise(world: World) -> None:
    api = world.api

    answer = api.post(
        "/tasks",
        {
            "customer_external_id": "C1",
            "type": "expected_payment",
            "expected_amount": "120.5",
            "expected_date": "2026-07-10",
            "invoice_external_ids": ["I1"],
        },
    )

    assert answer.status_code == 201
    assert (answer.json()["expected_amount"], answer.json()["expected_date"]) == ("120.50", "2026-07-10")


def test_completing_a_call_with_a_follow_up_opens_a_follow_up_task(world: World) -> None:
    api = world.api

    answer = api.post(
        f"/tasks/{world['task_maria']}/complete",
        {"outcome": "left_voicemail", "note": "Left a message", "follow_up_date": "2026-07-03"},
        as_="maria",
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["task"] == body["task"] | {"status": "done", "outcome": "left_voicemail", "note": "Left a message"}
    assert body["task"]["follow_up_date"] == "2026-07-03"
    assert body["task"]["completed_at"].startswith("2026-06-30T09:00:00")
    follow = body["follow_up"]
    assert follow == follow | {"type": "follow_up", "status": "open", "assignee": "maria", "due_date": "2026-07-03"}
    assert follow["invoice_external_ids"] == ["I1"]


def test_completing_without_a_follow_up_answers_a_null_follow_up_and_may_hand_it_to_someone(world: World) -> None:
    api = world.api

    alone = api.post(f"/tasks/{world['task_maria']}/complete", {"outcome": "answered"})
    handed = api.post(
        f"/tasks/{world['task_sam']}/complete", {"follow_up_date": "2026-07-01", "follow_up_assignee": "morgan"}
    )

    assert alone.status_code == 200 and alone.json()["follow_up"] is None
    assert handed.json()["follow_up"]["assignee"] == "morgan"


def test_bulk_complete_answers_how_many_were_completed(world: World) -> None:
    api = world.api

    answer = api.post("/tasks/bulk-complete", {"ids": [world["task_maria"], world["task_sam"]]})

    assert answer.status_code == 200
    assert answer.json() == {"completed": 2}
    assert api.get("/tasks", params={"all": "true"}).json()["items"] == []


def test_put_customer_creates_201_then_updates_200_like_a_csv_row(world: World) -> None:
    api = world.api

    created = api.put("/customers/C9", {"name": "Gamma SA", "currency": "EUR", "tags": ["key", "eu"]})
    updated = api.put("/customers/C9", {"name": "Gamma S.A.", "on_hold": True, "payment_terms_days": 45})
    unchanged = api.put("/customers/C9", {"name": "Gamma S.A."})

    assert created.status_code == 201
    assert created.json() == {
        "external_id": "C9",
        "name": "Gamma SA",
        "currency": "EUR",
        "payment_terms_days": 30,
        "credit_limit": None,
        "collector": None,
        "email": None,
        "phone": None,
        "tags": ["eu", "key"],
        "on_hold": False,
        "credit_hold": False,
    }
    assert updated.status_code == 200
    assert updated.json() | {"tags": ["eu", "key"]} == updated.json()
    assert (updated.json()["name"], updated.json()["on_hold"], updated.json()["payment_terms_days"]) == (
        "Gamma S.A.",
        True,
        45,
    )
    assert unchanged.status_code == 200
    assert api.get("/customers/C9").json() == unchanged.json()


def test_put_invoice_and_payment_move_the_outstanding_amount(world: World) -> None:
    api = world.api

    created = api.put(
        "/invoices/I9",
        {"customer_external_id": "C1", "issue_date": "2026-06-01", "due_date": "2026-06-20", "amount": "75.5"},
    )
    paid = api.put(
        "/payments/PAY9",
        {"customer_external_id": "C1", "date": "2026-06-29", "amount": "75.50", "invoice_external_id": "I9"},
    )

    assert created.status_code == 201
    assert created.json() == created.json() | {"amount": "75.50", "outstanding_amount": "75.50", "status": "open"}
    assert paid.status_code == 201
    assert paid.json() == {
        "external_id": "PAY9",
        "customer_external_id": "C1",
        "date": "2026-06-29",
        "amount": "75.50",
        "currency": "USD",
        "invoice_external_id": "I9",
        "method": None,
    }
    assert (
        api.get("/invoices/I9").json() | {"status": "paid", "outstanding_amount": "0.00"}
        == api.get("/invoices/I9").json()
    )


def test_put_runs_the_csv_validation_and_answers_422_with_each_bad_column(world: World) -> None:
    api = world.api

    answer = api.put(
        "/invoices/I9",
        {"customer_external_id": "NOPE", "issue_date": "2026-06-20", "due_date": "2026-06-01", "amount": "10.005"},
    )

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "import_rejected"
    columns = {item["column"]: item["reason"] for item in error["errors"]}
    assert "no customer with external id 'NOPE'" in columns["customer_external_id"]
    assert {item["row"] for item in error["errors"]} == {1}
    assert api.get("/invoices/I9").status_code == 404


def test_opening_a_dispute_answers_201_with_the_dispute(world: World) -> None:
    api = world.api

    whole = api.post("/disputes", {"invoice_external_id": "I1", "reason": "damaged"}, as_="maria")
    part = api.post("/disputes", {"invoice_external_id": "I2", "reason": "pricing", "amount": "40"})

    assert whole.status_code == 201
    assert whole.json() == whole.json() | {
        "invoice_external_id": "I1",
        "customer_external_id": "C1",
        "reason": "damaged",
        "amount": "100.00",
        "currency": "USD",
        "owner": "maria",
        "status": "open",
    }
    assert part.status_code == 201 and part.json()["amount"] == "40.00"
    assert api.get("/invoices/I1").json()["disputed"] is True


def test_a_payment_plan_answers_201_with_its_instalments(world: World) -> None:
    api = world.api

    answer = api.post(
        "/payment-plans",
        {
            "invoice_external_ids": ["I1", "I2"],
            "instalments": [{"due_date": "2026-08-01", "amount": "240"}, {"due_date": "2026-07-15", "amount": "100"}],
        },
    )

    assert answer.status_code == 201
    plan = answer.json()
    assert plan == plan | {"customer_external_id": "C1", "currency": "USD", "status": "active", "total": "340.00"}
    assert plan["instalments"] == [
        {"due_date": "2026-07-15", "amount": "100.00"},
        {"due_date": "2026-08-01", "amount": "240.00"},
    ]
    assert api.get(f"/payment-plans/{plan['id']}").json() == plan


def test_the_open_alerts_list_the_dispute_and_a_dismissed_alert_leaves_it(world: World) -> None:
    api = world.api

    alerts = api.get("/alerts", params={"status": "open"}).json()["items"]
    dismissed = api.post(f"/alerts/{world['alert']}/dismiss")

    assert [(a["kind"], a["customer_external_id"]) for a in alerts] == [("dispute_opened", "C2")]
    assert dismissed.status_code == 204
    assert api.get("/alerts", params={"status": "open"}).json()["items"] == []
    assert [a["status"] for a in api.get("/alerts", params={"status": "closed"}).json()["items"]] == ["closed"]
