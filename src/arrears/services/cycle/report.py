"""What a cycle reports: what it did (or, in a dry run, would do), and the mailer it sends with."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

from ..automation_ports import Renderer, Sender
from ..outbox import PortalLinks


@dataclass
class Planned:
    """One thing the cycle does (or, in a dry run, would do)."""

    kind: str  # email or task
    customer_external_id: str
    workflow: str
    step: str
    invoices: list[str]
    to: list[str] = field(default_factory=list)
    subject: str | None = None
    template: str | None = None
    task_type: str | None = None
    assignee_id: int | None = None
    due_date: str | None = None
    joins_task: int | None = None  # a task: the customer's open workflow task it adds the invoices to


@dataclass
class CycleReport:
    as_of: date
    dry_run: bool = False
    emails_queued: int = 0
    emails_sent: int = 0
    emails_failed: int = 0
    tasks_created: int = 0
    tasks_joined: int = 0  # open workflow tasks that were given more invoices instead of a new task
    tasks_closed: int = 0
    alerts_raised: int = 0
    steps_fired: int = 0
    steps_skipped: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    credit_reviews: int = 0  # credit-report tasks opened (also in tasks_created)
    credit_scores: int = 0  # behavioural scores stored (the first cycle of a month)
    planned: list[Planned] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)

    def summary(self, *, planned: bool = True) -> dict[str, Any]:
        """The JSON of `arrears cycle --format json`; `planned` lists everything done (the dry run's).
        (Built field by field: `asdict` copies every planned item, seconds for a first cycle's.)"""
        out: dict[str, Any] = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("planned", "phases")
        }
        out["as_of"] = self.as_of.isoformat()
        if planned:
            out["planned"] = [asdict(item) for item in self.planned]
        return out

    def add(self, summary: Mapping[str, Any]) -> None:
        """Add the counts of another part of the same day (its `summary()`): a worker's batch."""
        for f in fields(self):
            value = summary.get(f.name)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(self, f.name, getattr(self, f.name) + value)


@dataclass(frozen=True)
class Mailer:
    templates: Renderer
    sender: Sender
    sender_address: str
    # Where the emails' portal links point and how long they last (the composition root's, from the
    # settings); None: the emails carry no link (their `portal_url` is empty).
    links: PortalLinks | None = None
    # The Reply-To template (ARREARS_REPLY_TO, `inbound.reply_address`): empty, the sender plus-addressed.
    reply_to: str = ""

    def example_portal_url(self) -> str:
        """The `portal_url` a render that sends nothing is given (a check, a preview)."""
        return self.links.example() if self.links is not None else ""

    def message_id(self) -> str:
        domain = self.sender_address.rpartition("@")[2] or "arrears.invalid"
        return f"<arrears-{uuid.uuid4().hex}@{domain}>"
