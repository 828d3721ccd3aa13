"""`GET /healthz` and `GET /readyz`: what a load balancer, an orchestrator or a monitor asks.

Neither needs a sign-in and neither shows any data of the workspace: `/healthz` says the process
answers (it reads nothing, so a database outage does not get a healthy process restarted), and
`/readyz` says whether this process can serve requests now: the database answers and its schema is
the newest this version knows (else 503 and the reason, e.g. `arrears db upgrade` not run yet).
Not in the OpenAPI description: they are for machines that watch the service, not for clients.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..bootstrap import Arrears

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


@router.api_route("/healthz", methods=["GET", "HEAD"])
def healthz() -> JSONResponse:
    """200 while the process is up; the database is not asked."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.api_route("/readyz", methods=["GET", "HEAD"])
def readyz(request: Request) -> JSONResponse:
    """200 when the database answers and its schema is the newest; 503 with the reason otherwise."""
    arrears: Arrears = request.app.state.arrears
    readiness = arrears.readiness()
    if readiness.ready:
        return JSONResponse({"status": "ready", "schema": readiness.schema}, headers=NO_STORE)
    return JSONResponse(
        {"status": "unavailable", "reason": readiness.reason, "schema": readiness.schema},
        status_code=503,
        headers={**NO_STORE, "Retry-After": "10"},
    )
