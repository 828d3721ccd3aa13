"""The pages, one module per area; `router` holds them all.

Each route reads its input, calls one service and renders or redirects (POST, then redirect, so a
reload never repeats an action). Roles are checked by the services, not here. The payment providers'
webhooks (`webhooks`) are no pages: they are verified by the provider's signature."""

from fastapi import APIRouter

from . import (
    admin,
    alerts,
    auth,
    calls,
    credit,
    customers,
    dashboard,
    disputes,
    email_templates,
    history,
    imports,
    inbox,
    reports,
    tasks,
    webhooks,
    workflows,
)
from .sending import router as sending_router

router = APIRouter(include_in_schema=False)
# First: the record's route (`customers`, /customers/{external_id:path}) would take its addresses.
router.include_router(sending_router)
for area in (
    auth,
    tasks,
    calls,
    inbox,
    history,
    credit,  # before `customers`: its record's address would take /customers/…/credit-hold
    customers,
    disputes,
    imports,
    workflows,
    email_templates,
    dashboard,
    reports,
    alerts,
    admin,
):
    router.include_router(area.router)
# Signed by the provider, not a session's page: no sign-in, no CSRF token (web/routes/webhooks.py).
router.include_router(webhooks.router)
