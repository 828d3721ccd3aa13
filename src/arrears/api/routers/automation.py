"""/api/v1 chasing and workflows: pause or resume the chasing of a customer or an invoice, exclude an
invoice from chasing; read the workflow file in force and save a new one."""

from __future__ import annotations

from typing import Annotated, Self

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, model_validator

from ...bootstrap import DEFAULT_WORKFLOWS, Arrears
from ...domain.workflows import Workflow
from ...services import chasing, workflows
from ..deps import ArrearsApp, CurrentUser, Uow
from ..errors import ERRORS
from ..schemas import NO_NUL, Request
from . import PREFIX

router = APIRouter(prefix=PREFIX, tags=["automation"], responses=ERRORS)

ExternalId = Annotated[str, Path(pattern=NO_NUL, min_length=1, max_length=128, examples=["C1"])]
MAX_SOURCE_CHARS = 200_000
API_SOURCE = "workflow file from the API"


class CustomerChasingIn(Request):
    paused: bool = Field(description="true: the customer's workflows stop chasing it; false: they resume")


class InvoiceChasingIn(Request):
    """Exactly one of the two."""

    paused: bool | None = Field(None, description="true: workflows stop chasing this invoice; false: they resume")
    excluded: bool | None = Field(
        None, description="true: the invoice is not chased and counts as overdue nowhere; false: it is again"
    )

    @model_validator(mode="after")
    def one_flag(self) -> Self:
        if (self.paused is None) == (self.excluded is None):
            raise ValueError("give exactly one of `paused` and `excluded`")
        return self


class ChasingOut(BaseModel):
    kind: str  # customer or invoice
    external_id: str
    flag: str  # paused or excluded
    value: bool


class StepOut(BaseModel):
    name: str
    days: int | None
    on: str | None
    email: str | None
    task_type: str | None
    task_due_in_days: int | None


class WorkflowOut(BaseModel):
    name: str
    match_tags: list[str]
    steps: list[StepOut]

    @classmethod
    def of(cls, workflow: Workflow) -> WorkflowOut:
        return cls(
            name=workflow.name,
            match_tags=list(workflow.match_tags),
            steps=[
                StepOut(
                    name=s.name,
                    days=s.days,
                    on=s.on,
                    email=s.email,
                    task_type=s.task.type.value if s.task else None,
                    task_due_in_days=s.task.due_in_days if s.task else None,
                )
                for s in workflow.steps
            ],
        )


class WorkflowsOut(BaseModel):
    origin: str = Field(description="file (ARREARS_WORKFLOWS), stored (saved from the web, CLI or API) or default")
    source: str
    text: str
    workflows: list[WorkflowOut]


class WorkflowsIn(Request):
    text: str = Field(max_length=MAX_SOURCE_CHARS, description="The TOML workflow file (format: docs/workflows.md)")


def _in_force(arrears: Arrears, user: CurrentUser) -> WorkflowsOut:
    path = arrears.settings.workflows
    given = (path.read_text(encoding="utf-8"), str(path)) if path is not None else None
    default = (DEFAULT_WORKFLOWS.read_text(encoding="utf-8"), "built-in default workflow")
    shown = workflows.in_force(arrears.uow(), user, given, default, arrears.template_names())
    return WorkflowsOut(
        origin=shown.origin,
        source=shown.source,
        text=shown.text,
        workflows=[WorkflowOut.of(w) for w in shown.workflows],
    )


@router.put("/customers/{external_id}/chasing")
def set_customer_chasing(external_id: ExternalId, body: CustomerChasingIn, user: CurrentUser, uow: Uow) -> ChasingOut:
    """Pause or resume the workflows of a customer (managers and owners)."""
    chasing.set_chasing(uow, user, "customer", external_id, "paused", body.paused)
    return ChasingOut(kind="customer", external_id=external_id, flag="paused", value=body.paused)


@router.put("/invoices/{external_id}/chasing")
def set_invoice_chasing(external_id: ExternalId, body: InvoiceChasingIn, user: CurrentUser, uow: Uow) -> ChasingOut:
    """Pause or resume the workflows of one invoice, or exclude it from chasing (managers and owners)."""
    flag, value = ("paused", body.paused) if body.paused is not None else ("excluded", body.excluded)
    assert value is not None
    chasing.set_chasing(uow, user, "invoice", external_id, flag, value)
    return ChasingOut(kind="invoice", external_id=external_id, flag=flag, value=value)


@router.get("/workflows")
def get_workflows(user: CurrentUser, arrears: ArrearsApp) -> WorkflowsOut:
    """The workflows in force, the text they come from, and where it lives."""
    return _in_force(arrears, user)


@router.put("/workflows")
def save_workflows(body: WorkflowsIn, user: CurrentUser, arrears: ArrearsApp) -> WorkflowsOut:
    """Validate a workflow file and store it as the one in force (managers and owners); an invalid file
    is a 422 naming each line, and the stored file stays. Answers the workflows saved; a file named
    by ARREARS_WORKFLOWS stays in force over them (GET /workflows tells which is)."""
    saved = workflows.save(arrears.uow(), user, body.text, API_SOURCE, arrears.template_names())
    return WorkflowsOut(
        origin="stored", source=API_SOURCE, text=body.text, workflows=[WorkflowOut.of(w) for w in saved]
    )
