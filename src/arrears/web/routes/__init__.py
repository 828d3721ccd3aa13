"""The pages, one module per area; `router` holds them all.

Each route reads its input, calls one service and renders or redirects (POST, then redirect, so a
reload never repeats an action). Roles are checked by the services, not here."""

from fastapi import APIRouter

from . import admin, alerts, auth, customers, dashboard, disputes, history, imports, tasks, workflows

router = APIRouter(include_in_schema=False)
for area in (auth, tasks, history, customers, disputes, imports, workflows, dashboard, alerts, admin):
    router.include_router(area.router)
