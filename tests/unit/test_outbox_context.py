"""An email's context, frozen on its outbox row when the cycle queues it and thawed when it is sent:
amounts and dates come back exactly, with their types."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from arrears.services import outbox


def test_amounts_dates_and_text_come_back_exactly_as_they_were() -> None:
    context = {
        "customer": {"name": 'Ünïcödé "<b>Co</b>" \\ {x}', "external_id": "C/1"},
        "contact_name": None,
        "invoices": [
            {"number": "INV-1", "due_date": date(2026, 2, 28), "outstanding": Decimal("1234567890123.45")},
            {"number": "INV-2", "due_date": date(1999, 12, 31), "outstanding": Decimal("0.10")},
            {"number": "JPY", "due_date": date(2026, 1, 1), "outstanding": Decimal("5E+2")},
        ],
        "total": Decimal("-0.001"),
        "step": {"name": "past-due-30", "days": 30},
        "as_of": date(2026, 6, 30),
        "flags": [True, False, 0],
    }

    thawed = outbox.thaw(outbox.freeze(context))

    assert thawed == context
    assert [type(i["outstanding"]) for i in thawed["invoices"]] == [Decimal] * 3
    assert str(thawed["invoices"][1]["outstanding"]) == "0.10"  # the exponent is kept, not only the value
    assert type(thawed["as_of"]) is date


def test_a_customer_string_that_looks_like_a_tag_stays_a_string() -> None:
    context = {"name": '{"$decimal": "1"}', "nested": {"$decimal": "x", "other": 1}}

    assert outbox.thaw(outbox.freeze(context)) == context


def test_what_cannot_be_stored_faithfully_is_refused() -> None:
    with pytest.raises(TypeError, match="datetime"):
        outbox.freeze({"at": datetime(2026, 6, 30, 12, 0, tzinfo=UTC)})
