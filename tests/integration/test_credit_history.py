"""A customer's credit limit and terms over time, read from the audit log, on both databases."""

from __future__ import annotations

from arrears.services.credit_history import credit_history
from tests.ledger import customer
from tests.workspace import Desk


def test_the_limit_and_terms_history_lists_the_first_write_and_each_change_but_not_other_changes(desk: Desk) -> None:
    desk.ledger.load("customers", [customer("C1", "Acme Ltd", credit_limit="1000.00", payment_terms_days="30")])
    desk.ledger.load("customers", [customer("C1", "Acme Ltd", credit_limit="1500.00", payment_terms_days="30")])
    desk.ledger.load("customers", [customer("C1", "Acme Limited", credit_limit="1500.00", payment_terms_days="30")])
    desk.ledger.load("customers", [customer("C1", "Acme Limited", credit_limit="1500.00", payment_terms_days="45")])

    history = credit_history(desk.arrears.uow(), desk["maria"], "C1")

    assert [
        (c.created, c.was_limit_minor, c.credit_limit_minor, c.was_terms_days, c.payment_terms_days)
        for c in history.terms
    ] == [
        (True, None, 100000, None, 30),
        (False, 100000, 150000, 30, 30),
        (False, 150000, 150000, 30, 45),
    ]
    assert history.currency == "USD"
