"""Payment providers' webhooks: `POST /webhooks/stripe` (docs/payments.md).

No session and no CSRF token: the provider proves itself by signing the body with the endpoint's
secret, which is checked before anything is read into the database. Answers are short plain text for
the provider's delivery log: 200 once the event is ours (applied, seen before, of a type we ignore,
or kept for the worker to retry), 400 for a bad signature or body (nothing written), 404 while
ARREARS_STRIPE_WEBHOOK_SECRET is not set, 413 for a body over 1 MB.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from ...domain.errors import InvalidValue
from ...services import online_payments
from ..pages import web_of

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # bytes; Stripe's events are a few kilobytes


class TooLarge(Exception):
    pass


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/webhooks/stripe")
async def stripe_webhook(request: Request) -> Response:
    arrears = web_of(request).arrears
    if not arrears.settings.stripe_webhook_secret:
        return PlainTextResponse("not found", status_code=404)
    try:
        payload = await _body(request)
    except TooLarge:
        return PlainTextResponse(f"the body is over {MAX_BODY:,} bytes", status_code=413)
    signature = request.headers.get("stripe-signature", "")
    try:
        event = await run_in_threadpool(arrears.verify_stripe_event, payload, signature)
        outcome = await run_in_threadpool(
            online_payments.receive_stripe_event, arrears.uow(), event, timezone=arrears.workspace.timezone
        )
    except InvalidValue as error:
        return PlainTextResponse(error.message, status_code=400)
    log.info("Stripe event %s (%s): %s", event.get("id"), event.get("type"), outcome)
    return PlainTextResponse(outcome, status_code=200)
