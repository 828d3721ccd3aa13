"""Email templates edited by managers: the parts of a template, what a name may be, what a refused
template says, and the sample an edited template is tried on before it is saved.

A template `NAME` has three parts (a subject, a plain-text part and an HTML part), each a Jinja
source. Those stored from the templates page win over a folder of overrides and the built-in ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .errors import ArrearsError, InvalidValue

PARTS = ("subject", "text", "html")
PART_LABELS = {"subject": "Subject", "text": "Text part", "html": "HTML part"}
# Where each part of template NAME lives in a template folder (`emails/NAME.subject.txt`, …).
PART_SUFFIXES = {"subject": ".subject.txt", "text": ".txt", "html": ".html"}
# As a workflow step names a template (domain/workflows.py): a leading letter, so that no name
# reaches a shared part (`_invoices` would be `emails/_invoices.txt`, which every reminder includes).
NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_PART_CHARS = 100_000


def part_path(name: str, part: str) -> str:
    """The path of a part in a template folder: `emails/past_due.subject.txt`."""
    return f"emails/{name}{PART_SUFFIXES[part]}"


def check_name(name: str) -> str:
    """`name` if it may name a template (a workflow step's `email = "NAME"`); else InvalidValue."""
    if not NAME.fullmatch(name):
        raise InvalidValue(
            f"{name!r} cannot name a template: use 1 to 64 lowercase letters, digits and underscores,"
            " starting with a letter"
        )
    return name


@dataclass(frozen=True, slots=True)
class StoredPart:
    """One part of a template as saved from the templates page, by whom (a user's name) and when."""

    name: str
    part: str
    source: str
    updated_by: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """What is wrong with one part: the line (1-based) when it is known, and the error."""

    part: str
    line: int | None
    message: str


class TemplateRefused(ArrearsError):
    """An edited template that does not parse or does not render with the sample: nothing is saved."""

    code = "template_invalid"

    def __init__(self, name: str, problems: list[TemplateProblem]) -> None:
        where = "; ".join(
            f"{PART_LABELS.get(p.part, p.part)}{f' line {p.line}' if p.line else ''}: {p.message}" for p in problems
        )
        super().__init__(f"template {name!r} was not saved: {where}")
        self.problems = problems

    def for_part(self, part: str) -> list[TemplateProblem]:
        return [p for p in self.problems if p.part == part]


def sample_context(as_of: date, currency: str, portal_url: str) -> dict[str, Any]:
    """What an edited template is tried on: a sample customer with two overdue invoices, as the
    cycle would give a past-due step (templates/README.md lists the names), and `portal_url`, an
    example of the link to the customer's portal that every email sent carries."""
    invoices = [
        {
            "number": "INV-1001",
            "issue_date": as_of - timedelta(days=75),
            "due_date": as_of - timedelta(days=45),
            "amount": Decimal("1250.00"),
            "outstanding": Decimal("1250.00"),
            "days_past_due": 45,
        },
        {
            "number": "INV-1017",
            "issue_date": as_of - timedelta(days=40),
            "due_date": as_of - timedelta(days=10),
            "amount": Decimal("980.40"),
            "outstanding": Decimal("480.40"),
            "days_past_due": 10,
        },
    ]
    return {
        "customer": {"name": "Sample Customer Ltd", "external_id": "SAMPLE-1"},
        "contact_name": "Alex Sample",
        "invoices": invoices,
        "total": Decimal("1730.40"),
        "currency": currency,
        "step": {"name": "past-due-30", "days": 30},
        "as_of": as_of,
        "portal_url": portal_url,
    }
