"""The demo ledger's generator: made-up customers, contacts, invoices, payments, credit notes and
credit scores from a seed, as rows of the CSV files of docs/csv.md.

Pure like the domain (standard library and `arrears.domain` only; no I/O, no clock): the ledger's
"today" is an argument. Loading it into a database is a use case, `services.demo.load_demo`.
"""

from __future__ import annotations

from .ledger import (
    BEHAVIOUR_SHARES,
    COLLECTORS,
    DEFAULT_CUSTOMERS,
    DEMO_PASSWORD,
    DEMO_USERS,
    HEADERS,
    HISTORY_DAYS,
    MAX_CUSTOMERS,
    Behaviour,
    DemoLedger,
    DemoUser,
    Row,
    generate,
)

__all__ = [
    "BEHAVIOUR_SHARES",
    "COLLECTORS",
    "DEFAULT_CUSTOMERS",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "HEADERS",
    "HISTORY_DAYS",
    "MAX_CUSTOMERS",
    "Behaviour",
    "DemoLedger",
    "DemoUser",
    "Row",
    "generate",
]
