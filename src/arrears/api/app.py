"""The app factory: `create_app(arrears)` builds the API around one Arrears; nothing happens at import."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..adapters.routing import routes_of
from ..bootstrap import Arrears
from ..services import balances
from . import errors, health
from .body_limits import BodyLimits
from .gate import ApiGate
from .headers import ApiHeaders
from .request_ids import RequestIds
from .routers import (
    alerts,
    automation,
    calls,
    contacts,
    credit,
    credit_notes,
    customers,
    disputes,
    invoices,
    issues,
    payments,
    plans,
    settings,
    tasks,
    timeline,
    views,
)

log = logging.getLogger("arrears.serve")

ROLL_EVERY = 60.0  # seconds between two checks that the balances are as of today
ROUTERS = (
    tasks,
    calls,
    customers,
    credit,
    timeline,
    contacts,
    invoices,
    payments,
    credit_notes,
    disputes,
    plans,
    alerts,
    issues,
    views,
    settings,
    automation,
)


ROUTES = routes_of(*(module.router for module in ROUTERS), health.router)


def create_app(arrears: Arrears) -> FastAPI:
    """The API (OpenAPI at /openapi.json, docs at /docs) over `arrears`, kept in `app.state.arrears`."""
    app = FastAPI(
        title="Arrears",
        version=__version__,
        summary="Accounts-receivable collections: tasks, the ledger, disputes, payment plans, alerts.",
        description="Authenticate with `Authorization: Bearer TOKEN` (`arrears users token NAME`). "
        'Errors are `{"error": {"code": ..., "message": ...}}`; money is a decimal string.',
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=_rolling_balances(arrears),
    )
    app.state.arrears = arrears
    errors.install(app)
    app.router.routes.extend(ROUTES)
    app.add_middleware(ApiGate, arrears=arrears)  # a call's token before its body (innermost of these)
    app.add_middleware(BodyLimits, arrears=arrears)
    app.add_middleware(ApiHeaders)
    app.add_middleware(RequestIds)
    return app


def _rolling_balances(arrears: Arrears) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """While the server runs, carry the task list's balances to today before the first request and
    then every minute (`services/balances.py`), so that amounts fall overdue at midnight without a
    read writing them; and read the workspace settings an owner stored as often."""

    async def roll() -> None:
        try:
            # First what an owner stored (time zone, company, locale, sender): other processes'
            # changes apply here within the minute.
            await run_in_threadpool(arrears.refresh_workspace)
            await run_in_threadpool(balances.roll_balances, arrears.uow())
        except Exception:  # a database away for a moment: log it, try again in a minute
            log.exception("could not roll the balances to today")

    async def keep_rolling() -> None:
        while True:
            await asyncio.sleep(ROLL_EVERY)
            await roll()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await roll()
        ticker = asyncio.create_task(keep_rolling())
        try:
            yield
        finally:
            ticker.cancel()
            with suppress(asyncio.CancelledError):
                await ticker

    return lifespan
