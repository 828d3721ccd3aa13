"""The role matrix: every operation of the API as an owner, a manager, a contributor (maria) and
anonymously, with the status each must get. Contributors create tasks and update only their own;
they may not write the ledger, reassign, resolve disputes, dismiss alerts or change settings.

One seeded workspace per backend serves the whole matrix (seeding costs more than all its calls):
each operation that changes something arranges its own target first, so no case sees another's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from arrears.bootstrap import DEFAULT_WORKFLOWS
from arrears.services import accounts, calls, disputes, tasks
from tests.api import ROLE_USER, Api, World, shared_world_fixture  # noqa: F401
from tests.calls import FakeTranscriber, tiny_wav
from tests.ledger import invoice

ROLES = ("owner", "manager", "contributor", "anonymous")
UPLOAD = object()  # the body of an upload: a recording, sent as a multipart form


@dataclass
class Matrix:
    """The seeded workspace, and fresh targets for operations that change things."""

    world: World
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def api(self) -> Api:
        return self.world.api

    def fresh(self, prefix: str) -> str:
        return f"{prefix}-{next(self.counter)}"

    def task(self, assignee: str) -> int:
        """A new open call on Acme assigned to `assignee`, version 1."""
        owner, uow = self.api.people["olivia"], self.api.arrears.uow
        return tasks.create_task(uow(), owner, tasks.NewTask("C1", "call", "Call", assignee=assignee)).id

    def invoice(self) -> str:
        """A new open invoice of Acme, 100.00, past due."""
        external_id = self.fresh("INV")
        self.api.load("invoices", [invoice(external_id, "C1", due=date(2026, 6, 1), amount="100.00")])
        return external_id

    def dispute(self) -> int:
        return disputes.open_dispute(self.api.arrears.uow(), self.api.people["olivia"], self.invoice(), "other").id

    def alert(self) -> int:
        """The open alert that a new dispute raises."""
        self.dispute()
        with self.api.arrears.uow() as uow:
            return max(alert.id for alert in uow.alerts.alerts("open", None, 500, 0).items)

    def recorded(self) -> int:
        """A new call of sam's with a recording (its transcription is a fake's)."""
        arrears = self.api.arrears
        arrears.transcriber = FakeTranscriber()  # type: ignore[misc]
        task_id = self.task("sam")
        calls.attach_recording(
            arrears.uow(), arrears.audio_store(), arrears.audio_probe(), self.api.people["olivia"], task_id,
            tiny_wav(), "call.wav", arrears.call_settings(),
        )  # fmt: skip
        return task_id

    def view(self, user: str) -> int:
        return accounts.save_view(self.api.arrears.uow(), self.api.people[user], self.fresh("view"), {}).id


Request = Callable[[Matrix, str], tuple[str, str, Any]]


@dataclass(frozen=True)
class Op:
    name: str
    request: Request  # (matrix, acting user) -> (method, path, JSON body or None)
    owner: int
    manager: int
    contributor: int

    def expected(self, role: str) -> int:
        return 401 if role == "anonymous" else int(getattr(self, role))


def _ledger_ops(path: str, kind: str, existing: str, row: Callable[[Matrix, str], dict[str, str]]) -> list[Op]:
    def put_new(m: Matrix, _: str) -> tuple[str, str, Any]:
        external_id = m.fresh(kind)
        return "PUT", f"/{path}/{external_id}", row(m, external_id)

    def batch(m: Matrix, _: str) -> tuple[str, str, Any]:
        return "POST", f"/{path}/batch", {"rows": [{"external_id": m.fresh(kind), **row(m, "")}]}

    return [
        Op(f"list {path}", lambda m, u: ("GET", f"/{path}", None), 200, 200, 200),
        Op(f"get one of {path}", lambda m, u: ("GET", f"/{path}/{existing}", None), 200, 200, 200),
        Op(f"put a new one of {path}", put_new, 201, 201, 403),
        Op(f"batch of {path}", batch, 200, 200, 403),
    ]


def _customer(m: Matrix, external_id: str) -> dict[str, str]:
    return {"name": f"Customer {external_id}", "currency": "USD"}


def _contact(m: Matrix, external_id: str) -> dict[str, str]:
    return {"customer_external_id": "C1", "name": f"Contact {external_id or m.fresh('name')}"}


def _invoice(m: Matrix, external_id: str) -> dict[str, str]:
    return {"customer_external_id": "C1", "issue_date": "2026-06-01", "due_date": "2026-07-01", "amount": "10.00"}


def _cash(m: Matrix, external_id: str) -> dict[str, str]:
    return {"customer_external_id": "C1", "date": "2026-06-29", "amount": "1.00", "invoice_external_id": m.invoice()}


OPS: list[Op] = [
    # tasks
    Op("list my tasks", lambda m, u: ("GET", "/tasks", None), 200, 200, 200),
    Op("list everyone's tasks", lambda m, u: ("GET", "/tasks?all=true", None), 200, 200, 200),
    Op("create a task", lambda m, u: ("POST", "/tasks", {"customer_external_id": "C1", "type": "note"}), 201, 201, 201),
    Op("get a task", lambda m, u: ("GET", f"/tasks/{m.task('sam')}", None), 200, 200, 200),
    Op("edit my task", lambda m, u: ("PATCH", f"/tasks/{m.task(u)}", {"version": 1, "note": "n"}), 200, 200, 200),
    Op(
        "edit another's task",
        lambda m, u: ("PATCH", f"/tasks/{m.task('sam')}", {"version": 1, "note": "n"}),
        200,
        200,
        403,
    ),
    Op(
        "reassign my task",
        lambda m, u: ("PATCH", f"/tasks/{m.task(u)}", {"version": 1, "assignee": "sam"}),
        200,
        200,
        403,
    ),
    Op("complete my task", lambda m, u: ("POST", f"/tasks/{m.task(u)}/complete", {}), 200, 200, 200),
    Op("complete another's task", lambda m, u: ("POST", f"/tasks/{m.task('sam')}/complete", {}), 200, 200, 403),
    Op(
        "reschedule my task",
        lambda m, u: ("POST", f"/tasks/{m.task(u)}/reschedule", {"due_date": "2026-07-02"}),
        200,
        200,
        200,
    ),
    Op(
        "reschedule another's task",
        lambda m, u: ("POST", f"/tasks/{m.task('sam')}/reschedule", {"due_date": "2026-07-02"}),
        200,
        200,
        403,
    ),
    # calls: a recording (multipart) on a call task, read back and played
    Op("attach a recording to my call", lambda m, u: ("POST", f"/tasks/{m.task(u)}/recording", UPLOAD), 201, 201, 201),
    Op(
        "attach a recording to another's call",
        lambda m, u: ("POST", f"/tasks/{m.task('sam')}/recording", UPLOAD),
        201,
        201,
        403,
    ),
    Op("read a call's recording", lambda m, u: ("GET", f"/tasks/{m.recorded()}/recording", None), 200, 200, 200),
    Op("play a call's recording", lambda m, u: ("GET", f"/tasks/{m.recorded()}/recording/audio", None), 200, 200, 200),
    Op("bulk-complete my tasks", lambda m, u: ("POST", "/tasks/bulk-complete", {"ids": [m.task(u)]}), 200, 200, 200),
    Op(
        "bulk-complete another's tasks",
        lambda m, u: ("POST", "/tasks/bulk-complete", {"ids": [m.task(u), m.task("sam")]}),
        200,
        200,
        403,
    ),
    Op(
        "bulk-reassign",
        lambda m, u: ("POST", "/tasks/bulk-reassign", {"ids": [m.task(u)], "assignee": "sam"}),
        200,
        200,
        403,
    ),
    Op(
        "bulk-move my tasks",
        lambda m, u: ("POST", "/tasks/bulk-move", {"ids": [m.task(u)], "due_date": "2026-07-03"}),
        200,
        200,
        200,
    ),
    # the ledger
    *_ledger_ops("customers", "customers", "C1", _customer),
    Op("update a customer", lambda m, u: ("PUT", "/customers/C2", {"name": "Beta GmbH"}), 200, 200, 403),
    *_ledger_ops("contacts", "contacts", "K1", _contact),
    *_ledger_ops("invoices", "invoices", "I1", _invoice),
    *_ledger_ops("payments", "payments", "PAY1", _cash),
    *_ledger_ops("credit-notes", "credit-notes", "CN1", _cash),
    Op("read a timeline", lambda m, u: ("GET", "/customers/C1/timeline", None), 200, 200, 200),
    Op("read a customer's credit", lambda m, u: ("GET", "/customers/C1/credit", None), 200, 200, 200),
    Op(
        "set a credit hold",
        lambda m, u: ("PUT", "/customers/C2/credit-hold", {"hold": next(m.counter) % 2 == 0, "note": "review"}),
        200,
        200,
        403,
    ),
    # disputes, plans, alerts, issues, views, settings
    Op(
        "open a dispute",
        lambda m, u: ("POST", "/disputes", {"invoice_external_id": m.invoice(), "reason": "pricing"}),
        201,
        201,
        201,
    ),
    Op("list disputes", lambda m, u: ("GET", "/disputes", None), 200, 200, 200),
    Op("get a dispute", lambda m, u: ("GET", f"/disputes/{m.world['dispute']}", None), 200, 200, 200),
    Op(
        "resolve a dispute",
        lambda m, u: ("POST", f"/disputes/{m.dispute()}/resolve", {"resolution": "credited"}),
        200,
        200,
        403,
    ),
    Op(
        "reject a dispute",
        lambda m, u: ("POST", f"/disputes/{m.dispute()}/reject", {"resolution": "price was agreed"}),
        200,
        200,
        403,
    ),
    Op(
        "hand a dispute to another owner",
        lambda m, u: ("POST", f"/disputes/{m.dispute()}/assign", {"owner": "sam"}),
        200,
        200,
        403,
    ),
    Op(
        "create a payment plan",
        lambda m, u: (
            "POST",
            "/payment-plans",
            {"invoice_external_ids": [m.invoice()], "instalments": [{"due_date": "2026-07-31", "amount": "100.00"}]},
        ),
        201,
        201,
        403,
    ),
    Op("get a payment plan", lambda m, u: ("GET", f"/payment-plans/{m.world['plan']}", None), 200, 200, 200),
    Op("list alerts", lambda m, u: ("GET", "/alerts", None), 200, 200, 200),
    Op("dismiss an alert", lambda m, u: ("POST", f"/alerts/{m.alert()}/dismiss", None), 204, 204, 403),
    Op("list issues", lambda m, u: ("GET", "/issues", None), 200, 200, 200),
    Op("list my views", lambda m, u: ("GET", "/views", None), 200, 200, 200),
    Op("save a view", lambda m, u: ("POST", "/views", {"name": m.fresh("view"), "filters": {}}), 201, 201, 201),
    Op("delete my view", lambda m, u: ("DELETE", f"/views/{m.view(u)}", None), 204, 204, 204),
    Op("read the settings", lambda m, u: ("GET", "/settings", None), 200, 200, 200),
    Op("change the settings", lambda m, u: ("PATCH", "/settings", {"stale_after_days": 3}), 200, 403, 403),
    # chasing and workflows
    Op("resume a customer's chasing", lambda m, u: ("PUT", "/customers/C2/chasing", {"paused": False}), 200, 200, 403),
    Op(
        "pause an invoice's chasing",
        lambda m, u: ("PUT", f"/invoices/{m.invoice()}/chasing", {"paused": True}),
        200,
        200,
        403,
    ),
    Op("read the workflows", lambda m, u: ("GET", "/workflows", None), 200, 200, 200),
    Op(
        "save the workflows",
        lambda m, u: ("PUT", "/workflows", {"text": DEFAULT_WORKFLOWS.read_text(encoding="utf-8")}),
        200,
        200,
        403,
    ),
]


@pytest.fixture(scope="module")
def matrix(shared_world: World) -> Matrix:
    return Matrix(shared_world)


def test_the_matrix_names_every_operation_of_the_api(matrix: Matrix) -> None:
    schema = matrix.api.get("/openapi.json", None).json()
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}

    covered = set()
    for op in OPS:
        method, path, _ = op.request(matrix, "olivia")
        covered |= {
            (method, template)
            for (verb, template) in operations
            if verb == method and _matches(template, "/api/v1" + path.split("?")[0])
        }

    assert operations - covered == set()


def _matches(template: str, path: str) -> bool:
    wanted, given = template.split("/"), path.split("/")
    return len(wanted) == len(given) and all(w == g or w.startswith("{") for w, g in zip(wanted, given, strict=True))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_each_role_gets_the_status_its_permissions_say(matrix: Matrix, op: Op, role: str) -> None:
    user = ROLE_USER.get(role, "olivia")
    method, path, body = op.request(matrix, user)

    matrix.api.arrears.transcriber = FakeTranscriber()  # type: ignore[misc]
    sent = {"files": {"file": ("call.wav", tiny_wav())}} if body is UPLOAD else {"json": body}

    answer = matrix.api.call(method, path, None if role == "anonymous" else user, **sent)

    assert answer.status_code == op.expected(role), answer.text
    if answer.status_code >= 400:
        assert answer.json()["error"]["code"] == {401: "unauthorized", 403: "forbidden"}[answer.status_code]
