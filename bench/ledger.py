"""Synthetic ledgers for the benchmarks: customers, contacts, invoices and payments as CSV files in
the import formats of docs/csv.md, the same bytes for the same size and seed.

Rows are written as they are drawn, so a million invoices never sit in memory: only one small
tuple per customer (its currency and terms) is kept. The ledger covers the 18 months up to
`LEDGER_END`; every payment is dated on or before it, so aging as of that day is the natural query.

Shape, per N invoices: N/10 customers, each in one currency (USD, EUR or GBP); one to three
contacts each; invoices spread over the customers with a few large accounts; about 3 in 4 invoices
paid in full (some in two allocations), about 1 in 10 paid in part, 1 in 200 void, and unapplied
payments on account for about 2 in 100.

    python bench/ledger.py --invoices 10000 --out bench/out/ledger-10000
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

GENERATOR_VERSION = 1
DEFAULT_SEED = 20260630
LEDGER_END = date(2026, 6, 30)
LEDGER_DAYS = 547  # 18 months of issue dates, up to LEDGER_END

CURRENCIES = (("USD", 6), ("EUR", 3), ("GBP", 1))  # (code, weight); all three have two decimals
TERMS = (15, 30, 30, 30, 45, 60)
METHODS = ("wire", "ach", "card", "check")
TAGS = ("enterprise", "smb", "public", "reseller", "priority")
ROLES = ("AP clerk", "AP manager", "controller", "CFO", "office manager")
WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent", "Tyrell",
    "Cyberdyne", "Wonka", "Gringotts", "Oscorp", "Aperture", "Nakatomi", "Monarch", "Duff", "Pied", "Piper",
)  # fmt: skip
SUFFIXES = ("Ltd", "LLC", "GmbH", "SA", "Inc.", "& Co", "BV", "plc")
FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Frances", "Donald")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Torvalds", "Allen", "Knuth")

CUSTOMER_COLUMNS = [
    "external_id", "name", "currency", "payment_terms_days", "credit_limit", "email", "phone", "tags", "on_hold",
]  # fmt: skip
CONTACT_COLUMNS = ["customer_external_id", "external_id", "name", "email", "phone", "role", "receives_reminders"]
INVOICE_COLUMNS = [
    "external_id", "customer_external_id", "number", "issue_date", "due_date", "amount", "currency", "status",
]  # fmt: skip
PAYMENT_COLUMNS = ["external_id", "customer_external_id", "invoice_external_id", "date", "amount", "currency", "method"]


@dataclass(frozen=True)
class Ledger:
    """The files of one generated ledger and how many rows each holds."""

    directory: Path
    size: int
    seed: int
    customers: int
    contacts: int
    invoices: int
    payments: int

    @property
    def as_of(self) -> date:
        return LEDGER_END

    def path(self, kind: str) -> Path:
        return self.directory / f"{kind}.csv"


def _amount(minor: int) -> str:
    """Minor units of a two-decimal currency as the contract's decimal string."""
    whole, cents = divmod(minor, 100)
    return f"{whole}.{cents:02d}"


def _customer_id(number: int) -> str:
    return f"C{number:07d}"


def generate(directory: Path, size: int, seed: int = DEFAULT_SEED) -> Ledger:
    """Write customers.csv, contacts.csv, invoices.csv and payments.csv for `size` invoices."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    n_customers = max(1, size // 10)
    codes = [code for code, _ in CURRENCIES]
    weights = [weight for _, weight in CURRENCIES]
    accounts: list[tuple[str, int]] = []  # per customer: (currency, payment terms in days)
    contacts = 0

    with (
        (directory / "customers.csv").open("w", encoding="utf-8", newline="") as customer_file,
        (directory / "contacts.csv").open("w", encoding="utf-8", newline="") as contact_file,
    ):
        customer_out = csv.writer(customer_file, lineterminator="\n")
        contact_out = csv.writer(contact_file, lineterminator="\n")
        customer_out.writerow(CUSTOMER_COLUMNS)
        contact_out.writerow(CONTACT_COLUMNS)
        for number in range(1, n_customers + 1):
            currency = rng.choices(codes, weights)[0]
            terms = rng.choice(TERMS)
            accounts.append((currency, terms))
            external_id = _customer_id(number)
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {number} {rng.choice(SUFFIXES)}"
            limit = _amount(rng.randrange(10, 500) * 100_000) if rng.random() < 0.4 else ""
            tags = ";".join(sorted(rng.sample(TAGS, rng.randint(0, 2))))
            customer_out.writerow(
                [
                    external_id,
                    name,
                    currency,
                    terms,
                    limit,
                    f"ap@c{number}.example.com",
                    f"+1 555 {number % 10_000:04d}",
                    tags,
                    "true" if rng.random() < 0.02 else "false",
                ]
            )
            for k in range(1, rng.randint(1, 3) + 1):
                contacts += 1
                first, last = rng.choice(FIRST), rng.choice(LAST)
                contact_out.writerow(
                    [
                        external_id,
                        f"{external_id}-P{k}",
                        f"{first} {last}",
                        f"{first.lower()}.{last.lower()}@c{number}.example.com",
                        f"+1 555 {rng.randrange(10_000):04d}",
                        rng.choice(ROLES),
                        "true" if k == 1 or rng.random() < 0.5 else "false",
                    ]
                )

    # A tenth of the customers ("key accounts") receive half of the invoices.
    key_accounts = max(1, n_customers // 10)
    start = LEDGER_END - timedelta(days=LEDGER_DAYS - 1)
    payments = 0

    with (
        (directory / "invoices.csv").open("w", encoding="utf-8", newline="") as invoice_file,
        (directory / "payments.csv").open("w", encoding="utf-8", newline="") as payment_file,
    ):
        invoice_out = csv.writer(invoice_file, lineterminator="\n")
        payment_out = csv.writer(payment_file, lineterminator="\n")
        invoice_out.writerow(INVOICE_COLUMNS)
        payment_out.writerow(PAYMENT_COLUMNS)
        for number in range(1, size + 1):
            customer = rng.randrange(key_accounts) if rng.random() < 0.5 else rng.randrange(n_customers)
            currency, terms = accounts[customer]
            customer_ref = _customer_id(customer + 1)
            issue = start + timedelta(days=rng.randrange(LEDGER_DAYS))
            due = issue + timedelta(days=terms)
            minor = rng.randrange(1_000, rng.choice((50_000, 500_000, 2_000_000, 10_000_000)))
            external_id = f"INV{number:08d}"
            void = rng.random() < 0.005
            invoice_out.writerow(
                [
                    external_id,
                    customer_ref,
                    f"{number:08d}",
                    issue.isoformat(),
                    due.isoformat(),
                    _amount(minor),
                    currency,
                    "void" if void else "open",
                ]
            )
            days_late = (LEDGER_END - due).days
            if void:
                allocations: list[int] = []
            else:
                chance = 0.9 if days_late > 90 else 0.8 if days_late > 30 else 0.6 if days_late > 0 else 0.25
                draw = rng.random()
                if draw < chance:
                    if minor >= 2 and rng.random() < 0.2:
                        first = rng.randrange(1, minor)
                        allocations = [first, minor - first]
                    else:
                        allocations = [minor]
                elif draw < chance + 0.1 and minor >= 2:
                    allocations = [rng.randrange(1, minor)]
                else:
                    allocations = []
            latest = (LEDGER_END - issue).days
            for allocation in allocations:
                payments += 1
                paid_on = issue + timedelta(days=rng.randint(0, min(latest, terms + 60)))
                payment_out.writerow(
                    [
                        f"PAY{payments:08d}",
                        customer_ref,
                        external_id,
                        paid_on.isoformat(),
                        _amount(allocation),
                        currency,
                        rng.choice(METHODS),
                    ]
                )
            if rng.random() < 0.02:
                payments += 1
                payment_out.writerow(
                    [
                        f"PAY{payments:08d}",
                        customer_ref,
                        "",
                        (issue + timedelta(days=rng.randint(0, latest))).isoformat(),
                        _amount(rng.randrange(100, 100_000)),
                        currency,
                        rng.choice(METHODS),
                    ]
                )

    ledger = Ledger(directory, size, seed, n_customers, contacts, size, payments)
    (directory / "MANIFEST").write_text(_manifest(ledger), encoding="utf-8")
    return ledger


def _manifest(ledger: Ledger) -> str:
    return (
        f"version={GENERATOR_VERSION}\nsize={ledger.size}\nseed={ledger.seed}\ncustomers={ledger.customers}\n"
        f"contacts={ledger.contacts}\ninvoices={ledger.invoices}\npayments={ledger.payments}\n"
    )


def ensure(directory: Path, size: int, seed: int = DEFAULT_SEED) -> Ledger:
    """The ledger in `directory`, generated unless a complete one of this size, seed and version is there."""
    manifest = directory / "MANIFEST"
    if manifest.is_file():
        values = dict(line.split("=", 1) for line in manifest.read_text(encoding="utf-8").split())
        wanted = {"version": str(GENERATOR_VERSION), "size": str(size), "seed": str(seed)}
        if all(values.get(key) == value for key, value in wanted.items()):
            counts = (int(values[key]) for key in ("customers", "contacts", "invoices", "payments"))
            return Ledger(directory, size, seed, *counts)
    manifest.unlink(missing_ok=True)
    return generate(directory, size, seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=10_000, help="number of invoices (default 10000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, help="directory (default bench/out/ledger-N)")
    args = parser.parse_args()
    directory = args.out or Path(__file__).parent / "out" / f"ledger-{args.invoices}"
    ledger = generate(directory, args.invoices, args.seed)
    print(
        f"{directory}: {ledger.customers:,} customers, {ledger.contacts:,} contacts, "
        f"{ledger.invoices:,} invoices, {ledger.payments:,} payments"
    )


if __name__ == "__main__":
    main()
