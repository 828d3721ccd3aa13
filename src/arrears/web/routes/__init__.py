"""The pages, one module per area; `ROUTERS` lists them in the order their addresses are matched.

Each route reads its input, calls one service and renders or redirects (POST, then redirect, so a
reload never repeats an action). Roles are checked by the services, not here. The payment providers'
webhooks (`webhooks`) are no pages: they are verified by the provider's signature."""

from . import (
    account,
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

# First: the record's route (`customers`, /customers/{external_id:path}) would take its addresses.
# Last: the payment providers' webhooks, signed by the provider, not a session's page: no sign-in,
# no CSRF token (web/routes/webhooks.py).
ROUTERS = (
    sending_router,
    auth.router,
    account.router,
    tasks.router,
    calls.router,
    inbox.router,
    history.router,
    credit.router,  # before `customers`: its record's address would take /customers/…/credit-hold
    customers.router,
    disputes.router,
    imports.router,
    workflows.router,
    email_templates.router,
    dashboard.router,
    reports.router,
    alerts.router,
    admin.router,
    webhooks.router,
)
