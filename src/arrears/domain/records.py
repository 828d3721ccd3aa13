"""The ledger's import records: which columns each kind has, and how one row becomes a record.

Everything here is pure: a row is a mapping of column name to text, plus the lookups a row needs
(customers by external id, users by name) passed in as plain dicts. Each parser returns either a
record or the list of field errors, so that the import can report every bad row of a file at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from .currencies import is_currency
from .dates import SUPPORTED, in_range
from .errors import InvalidValue
from .money import parse_decimal, to_minor
from .users import check_email

KINDS: tuple[str, ...] = ("customers", "contacts", "invoices", "payments", "credit-notes", "credit-scores")

# kind -> (required columns, optional columns), exactly as docs/csv.md lists them.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customers": (
        ("external_id", "name"),
        (
            "currency",
            "payment_terms_days",
            "credit_limit",
            "collector",
            "email",
            "phone",
            "tags",
            "on_hold",
            "credit_hold",
        ),
    ),
    "contacts": (
        ("customer_external_id", "name"),
        ("external_id", "email", "phone", "role", "receives_reminders"),
    ),
    "invoices": (
        ("external_id", "customer_external_id", "issue_date", "due_date", "amount"),
        ("number", "currency", "status"),
    ),
    "payments": (
        ("external_id", "customer_external_id", "date", "amount"),
        ("invoice_external_id", "currency", "method"),
    ),
    "credit-notes": (
        ("external_id", "customer_external_id", "date", "amount"),
        ("invoice_external_id", "reason"),
    ),
    "credit-scores": (
        ("customer_external_id", "date", "score"),
        ("source", "rating", "max_score"),
    ),
}

DEFAULT_CURRENCY = "USD"
DEFAULT_PAYMENT_TERMS_DAYS = 30
MAX_ID_LENGTH = 128
MAX_TEXT_LENGTH = 500

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INT = re.compile(r"[0-9]+")
MAX_WHOLE = 2_147_483_647  # the database's INTEGER


@dataclass(frozen=True, slots=True)
class FieldError:
    """What is wrong with one column of one row."""

    column: str
    reason: str


class CustomerRecord(NamedTuple):
    external_id: str
    name: str
    currency: str
    payment_terms_days: int
    credit_limit_minor: int | None
    collector_id: int | None
    email: str | None
    phone: str | None
    tags: str
    on_hold: bool
    credit_hold: bool = False  # written only when the file has the column (else kept as it is)


class ContactRecord(NamedTuple):
    customer_id: int
    contact_key: str
    external_id: str | None
    name: str
    email: str | None
    phone: str | None
    role: str | None
    receives_reminders: bool
    name_key: str  # "name:<casefolded name>": how a contact imported without external id is known


class InvoiceRecord(NamedTuple):
    external_id: str
    customer_id: int
    number: str
    issue_date: date
    due_date: date
    amount_minor: int
    currency: str
    is_void: bool


class CashRecord(NamedTuple):
    """A payment allocation or a credit note: both reduce an invoice or sit unapplied on the account."""

    external_id: str
    customer_id: int
    date: date
    amount_minor: int
    currency: str
    invoice_external_id: str | None
    note: str | None  # the payment method, or the credit note's reason


class CreditScoreRecord(NamedTuple):
    customer_id: int
    date: date
    score: int
    max_score: int | None
    rating: str | None
    source: str


class Lookups(NamedTuple):
    """What a row may refer to: customers by external id -> (id, currency); users by name -> id."""

    customers: Mapping[str, tuple[int, str]]
    users: Mapping[str, int]


class _Row:
    """Reads typed values out of one row, collecting a FieldError for each bad column."""

    __slots__ = ("errors", "values")

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.errors: list[FieldError] = []

    def fail(self, column: str, reason: str) -> None:
        self.errors.append(FieldError(column, reason))

    def text(self, column: str, *, required: bool = False, limit: int = MAX_TEXT_LENGTH) -> str | None:
        value = self.values.get(column, "").strip()
        if not value:
            if required:
                self.fail(column, "is required and empty")
            return None
        if len(value) > limit:
            self.fail(column, f"is longer than {limit} characters")
            return None
        if "\x00" in value:
            self.fail(column, "contains a NUL byte (0x00), which no text may hold")
            return None
        return value

    def ident(self, column: str, *, required: bool = True) -> str | None:
        return self.text(column, required=required, limit=MAX_ID_LENGTH)

    def day(self, column: str) -> date | None:
        value = self.text(column, required=True)
        if value is None:
            return None
        if not _DATE.fullmatch(value):
            self.fail(column, f"{value!r} is not a date in the form YYYY-MM-DD")
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.fail(column, f"{value!r} is not a calendar date")
            return None
        if not in_range(day):
            self.fail(column, f"{value!r} is outside the dates Arrears supports ({SUPPORTED})")
            return None
        return day

    def amount(self, column: str, currency: str | None, *, positive: bool, required: bool = True) -> int | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            number = parse_decimal(value, allow_zero=not positive)
            return None if currency is None else to_minor(number, currency)
        except InvalidValue as error:
            self.fail(column, error.message)
            return None

    def whole(self, column: str, *, default: int | None = None, minimum: int = 0) -> int | None:
        value = self.text(column)
        if value is None:
            return default
        if not _INT.fullmatch(value) or not minimum <= int(value) <= MAX_WHOLE:
            self.fail(column, f"{value!r} is not a whole number from {minimum} to {MAX_WHOLE}")
            return default
        return int(value)

    def flag(self, column: str, *, default: bool) -> bool:
        value = self.text(column)
        if value is None:
            return default
        lowered = value.lower()
        if lowered not in ("true", "false"):
            self.fail(column, f"{value!r} is not true or false")
            return default
        return lowered == "true"

    def currency(self, column: str, *, default: str | None) -> str | None:
        value = self.text(column)
        if value is None:
            return default
        if not is_currency(value):
            self.fail(column, f"{value!r} is not an ISO 4217 currency code")
            return None
        return value

    def email(self, column: str) -> str | None:
        value = self.text(column, limit=254)
        if value is None:
            return None
        try:
            return check_email(value)
        except InvalidValue as error:
            self.fail(column, error.message)
            return None

    def customer(self, column: str, lookups: Lookups) -> tuple[int, str] | None:
        ref = self.ident(column)
        if ref is None:
            return None
        found = lookups.customers.get(ref)
        if found is None:
            self.fail(column, f"no customer with external id {ref!r}: import it in the customers file first")
        return found


def _tags(text: str | None) -> str:
    """Tags as a normalized `;`-separated string: trimmed, de-duplicated, sorted."""
    if not text:
        return ""
    return ";".join(sorted({tag.strip() for tag in text.split(";") if tag.strip()}))


def parse_customer(values: Mapping[str, str], lookups: Lookups) -> tuple[CustomerRecord | None, list[FieldError]]:
    row = _Row(values)
    external_id = row.ident("external_id")
    name = row.text("name", required=True)
    # A customer already in the ledger keeps its currency when the row gives none, and its credit
    # limit is read in that currency (1000.50 is not a JPY amount).
    stored = lookups.customers.get(external_id) if external_id else None
    currency = row.currency("currency", default=stored[1] if stored else DEFAULT_CURRENCY)
    terms = row.whole("payment_terms_days", default=DEFAULT_PAYMENT_TERMS_DAYS)
    credit_limit = row.amount("credit_limit", currency, positive=False, required=False)
    collector_name = row.text("collector", limit=64)
    collector_id = None
    if collector_name is not None:
        collector_id = lookups.users.get(collector_name)
        if collector_id is None:
            row.fail("collector", f"no user named {collector_name!r}: add it with `arrears users add`")
    email = row.email("email")
    phone = row.text("phone", limit=64)
    tags = _tags(row.text("tags"))
    on_hold = row.flag("on_hold", default=False)
    credit_hold = row.flag("credit_hold", default=False)
    if row.errors:
        return None, row.errors
    assert external_id and name and currency and terms is not None
    record = CustomerRecord(
        external_id, name, currency, terms, credit_limit, collector_id, email, phone, tags, on_hold, credit_hold
    )
    return record, []


def parse_contact(values: Mapping[str, str], lookups: Lookups) -> tuple[ContactRecord | None, list[FieldError]]:
    row = _Row(values)
    customer = row.customer("customer_external_id", lookups)
    external_id = row.ident("external_id", required=False)
    name = row.text("name", required=True, limit=200)
    email = row.email("email")
    phone = row.text("phone", limit=64)
    role = row.text("role", limit=100)
    receives = row.flag("receives_reminders", default=True)
    if row.errors:
        return None, row.errors
    assert customer and name
    # A contact without an external id is known by its name within its customer.
    name_key = f"name:{name.casefold()}"
    key = f"id:{external_id}" if external_id else name_key
    return ContactRecord(customer[0], key, external_id, name, email, phone, role, receives, name_key), []


def parse_invoice(values: Mapping[str, str], lookups: Lookups) -> tuple[InvoiceRecord | None, list[FieldError]]:
    row = _Row(values)
    external_id = row.ident("external_id")
    customer = row.customer("customer_external_id", lookups)
    issue_date = row.day("issue_date")
    due_date = row.day("due_date")
    currency = row.currency("currency", default=customer[1] if customer else None)
    if customer and currency and currency != customer[1]:
        row.fail(
            "currency",
            f"{currency} differs from the customer's currency {customer[1]}: an account is kept in one currency",
        )
        currency = None
    amount = row.amount("amount", currency, positive=True)
    number = row.text("number", limit=MAX_ID_LENGTH) or external_id
    status = (row.text("status") or "open").lower()
    if status not in ("open", "void"):
        row.fail("status", f"{status!r} is not open or void")
    if issue_date and due_date and due_date < issue_date:
        row.fail("due_date", f"{due_date} is before the issue date {issue_date}")
    if row.errors:
        return None, row.errors
    assert external_id and customer and issue_date and due_date and currency and amount is not None and number
    return (
        InvoiceRecord(external_id, customer[0], number, issue_date, due_date, amount, currency, status == "void"),
        [],
    )


def parse_cash(
    values: Mapping[str, str], lookups: Lookups, *, note_column: str
) -> tuple[CashRecord | None, list[FieldError]]:
    """A payment row (note_column "method") or a credit-note row (note_column "reason")."""
    row = _Row(values)
    external_id = row.ident("external_id")
    customer = row.customer("customer_external_id", lookups)
    day = row.day("date")
    currency = row.currency("currency", default=customer[1] if customer else None)
    if customer and currency and currency != customer[1]:
        row.fail("currency", f"{currency} differs from the customer's currency {customer[1]}")
        currency = None
    amount = row.amount("amount", currency, positive=True)
    invoice_ref = row.ident("invoice_external_id", required=False)
    note = row.text(note_column, limit=200)
    if row.errors:
        return None, row.errors
    assert external_id and customer and day and currency and amount is not None
    return CashRecord(external_id, customer[0], day, amount, currency, invoice_ref, note), []


def parse_payment(values: Mapping[str, str], lookups: Lookups) -> tuple[CashRecord | None, list[FieldError]]:
    return parse_cash(values, lookups, note_column="method")


def parse_credit_note(values: Mapping[str, str], lookups: Lookups) -> tuple[CashRecord | None, list[FieldError]]:
    return parse_cash(values, lookups, note_column="reason")


def parse_credit_score(
    values: Mapping[str, str], lookups: Lookups
) -> tuple[CreditScoreRecord | None, list[FieldError]]:
    row = _Row(values)
    customer = row.customer("customer_external_id", lookups)
    day = row.day("date")
    score = row.whole("score")
    if score is None and not row.values.get("score", "").strip():
        row.fail("score", "is required and empty")
    max_score = row.whole("max_score", minimum=1)
    if score is not None and max_score is not None and score > max_score:
        row.fail("score", f"{score} is above max_score {max_score}")
    rating = row.text("rating", limit=32)
    source = row.text("source", limit=100) or "imported"
    if row.errors:
        return None, row.errors
    assert customer and day and score is not None
    return CreditScoreRecord(customer[0], day, score, max_score, rating, source), []


PARSERS = {
    "customers": parse_customer,
    "contacts": parse_contact,
    "invoices": parse_invoice,
    "payments": parse_payment,
    "credit-notes": parse_credit_note,
    "credit-scores": parse_credit_score,
}


UNKNOWN_HINT = (
    "or ignore the columns Arrears does not know: --ignore-unknown on the command line, "
    "the box “Ignore columns Arrears does not know” on the import page"
)


def check_header(kind: str, header: list[str], *, ignore_unknown: bool, hint: bool = True) -> list[FieldError]:
    """Errors of the header row: missing required columns, unknown or repeated ones (`hint`: say
    how a file's unknown columns can be ignored, where they can be)."""
    required, optional = COLUMNS[kind]
    errors: list[FieldError] = []
    seen: set[str] = set()
    for column in header:
        if column in seen:
            errors.append(FieldError(column, "appears twice in the header"))
        seen.add(column)
        if column not in required and column not in optional and not ignore_unknown:
            known = ", ".join(required + optional)
            more = f"; {UNKNOWN_HINT}" if hint else ""
            errors.append(FieldError(column, f"is not a column of {kind} (known: {known}{more})"))
    for column in required:
        if column not in seen:
            errors.append(FieldError(column, "is a required column and is missing from the header"))
    return errors
