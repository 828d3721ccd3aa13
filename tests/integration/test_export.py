"""Exports write every record of a kind in the import format (CSV) or as a JSON list, so that an export
imported back changes nothing."""

from __future__ import annotations

import pytest

from arrears.domain.errors import ArrearsError
from arrears.domain.records import KINDS
from tests.ledger import Ledger, contact, credit_note, credit_score, customer, invoice, payment


def _full_ledger(ledger: Ledger) -> None:
    """One of everything, with the optional columns filled and left empty, in three currencies."""
    ledger.add_user("maria")
    ledger.load(
        "customers",
        [
            customer("C1", "Acme, Ltd", collector="maria", credit_limit="5000.00", tags="key;retail", on_hold="false"),
            customer("J1", 'Tokyo "TT" Trading', currency="JPY", payment_terms_days=60, email="ap@tt.example"),
            customer("K1", "Kuwait Supplies", currency="KWD", phone="+965 1234", on_hold="true", credit_hold="true"),
        ],
    )
    ledger.load(
        "contacts",
        [
            contact("C1", "Ann Lee", external_id="K-1", email="ann@acme.example", role="AP"),
            contact("C1", "Bob Ray", receives_reminders="false"),
            contact("J1", "Kenji Sato", phone="+81 3 0000"),
        ],
    )
    ledger.load(
        "invoices",
        [
            invoice("I1", "C1", number="INV-001", amount="100.00"),
            invoice("I2", "C1", amount="50.00", status="void"),
            invoice("IJ", "J1", amount="15000"),
            invoice("IK", "K1", amount="1.250"),
        ],
    )
    ledger.load(
        "payments",
        [
            payment("P1", "C1", invoice="I1", amount="40.00", method="wire"),
            payment("P2", "C1", invoice=None, amount="5.00"),
            payment("PJ", "J1", invoice="IJ", amount="15000", currency="JPY"),
            payment("PK", "K1", invoice="IK", amount="0.125"),
        ],
    )
    ledger.load(
        "credit-notes",
        [
            credit_note("CN1", "C1", invoice="I1", amount="10.00", reason="damaged goods"),
            credit_note("CN2", "K1", invoice=None, amount="0.005"),
        ],
    )
    ledger.load(
        "credit-scores",
        [
            credit_score("C1", score=640, max_score=850, rating="B", source="agency"),
            credit_score("J1", score=80),
        ],
    )


EXPECTED_CSV = {
    "customers": [
        "external_id,name,currency,payment_terms_days,credit_limit,collector,email,phone,tags,on_hold,credit_hold",
        'C1,"Acme, Ltd",USD,30,5000.00,maria,,,key;retail,false,false',
        'J1,"Tokyo ""TT"" Trading",JPY,60,,,ap@tt.example,,,false,false',
        "K1,Kuwait Supplies,KWD,30,,,,+965 1234,,true,true",
    ],
    "contacts": [
        "customer_external_id,external_id,name,email,phone,role,receives_reminders",
        "C1,K-1,Ann Lee,ann@acme.example,,AP,true",
        "C1,,Bob Ray,,,,false",
        "J1,,Kenji Sato,,+81 3 0000,,true",
    ],
    "invoices": [
        "external_id,customer_external_id,number,issue_date,due_date,amount,currency,status",
        "I1,C1,INV-001,2026-05-31,2026-06-30,100.00,USD,open",
        "I2,C1,I2,2026-05-31,2026-06-30,50.00,USD,void",
        "IJ,J1,IJ,2026-05-31,2026-06-30,15000,JPY,open",
        "IK,K1,IK,2026-05-31,2026-06-30,1.250,KWD,open",
    ],
    "payments": [
        "external_id,customer_external_id,date,amount,invoice_external_id,currency,method",
        "P1,C1,2026-06-30,40.00,I1,USD,wire",
        "P2,C1,2026-06-30,5.00,,USD,",
        "PJ,J1,2026-06-30,15000,IJ,JPY,",
        "PK,K1,2026-06-30,0.125,IK,KWD,",
    ],
    "credit-notes": [
        "external_id,customer_external_id,date,amount,invoice_external_id,reason",
        "CN1,C1,2026-06-30,10.00,I1,damaged goods",
        "CN2,K1,2026-06-30,0.005,,",
    ],
    "credit-scores": [
        "customer_external_id,date,score,source,rating,max_score",
        "C1,2026-06-30,640,agency,B,850",
        "J1,2026-06-30,80,imported,,",
    ],
}


@pytest.mark.parametrize("kind", KINDS)
def test_an_export_lists_every_record_in_the_import_format_as_csv_or_json(ledger: Ledger, kind: str) -> None:
    _full_ledger(ledger)

    as_csv = ledger.export(kind)
    as_json = ledger.exported_json(kind)

    assert as_csv.splitlines() == EXPECTED_CSV[kind]
    assert as_json == ledger.exported_rows(kind)


def test_an_empty_ledger_exports_only_headers_or_empty_lists(ledger: Ledger) -> None:
    exported = {kind: (ledger.export(kind).splitlines(), ledger.exported_json(kind)) for kind in KINDS}

    assert exported == {kind: (EXPECTED_CSV[kind][:1], []) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_an_export_imported_back_changes_nothing(ledger: Ledger, kind: str) -> None:
    _full_ledger(ledger)
    path = ledger.file(f"exported-{kind}.csv", ledger.export(kind).encode("utf-8"))
    ledger.backdate()
    before = ledger.state()

    summary = ledger.import_file(kind, path)

    assert (summary.counts.created, summary.counts.updated) == (0, 0)
    assert summary.counts.unchanged == len(EXPECTED_CSV[kind]) - 1
    assert ledger.state() == before


def test_a_kind_that_is_not_in_the_ledger_yet_is_refused_with_a_reason(ledger: Ledger) -> None:
    with pytest.raises(ArrearsError, match="not a kind of export"):
        ledger.export("widgets")


def test_credit_hold_is_set_or_released_by_a_file_with_the_column_and_kept_by_one_without(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", "Acme"), customer("C2", "Beta", credit_hold="true")])

    ledger.load("customers", [customer("C1", "Acme Ltd"), customer("C2", "Beta GmbH")])  # no credit_hold column
    kept = {row["external_id"]: row["credit_hold"] for row in ledger.exported_rows("customers")}
    summary = ledger.load(
        "customers", [customer("C1", "Acme Ltd", credit_hold="true"), customer("C2", "Beta GmbH", credit_hold="false")]
    )
    changed = {row["external_id"]: row["credit_hold"] for row in ledger.exported_rows("customers")}

    assert kept == {"C1": "false", "C2": "true"}
    assert summary.counts.updated == 2
    assert changed == {"C1": "true", "C2": "false"}
