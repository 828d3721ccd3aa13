"""Stripe: the hosted Checkout page a portal payment goes to (`StripeGateway`), and the check of the
signature on the events Stripe sends to `POST /webhooks/stripe` (`verify_event`).

The official SDK does the talking (form encoding, retries with the same Idempotency-Key, the
signature scheme); what leaves this module is the project's own types and errors, so nothing above it
knows Stripe's. A failure of Stripe becomes `PaymentProviderError`, never a trace on a page.
"""

from __future__ import annotations

import json
import logging
from typing import Any, cast

import stripe

from ..domain.errors import InvalidValue, PaymentProviderError
from ..services.portal_ports import CheckoutRequest, CheckoutSession

log = logging.getLogger(__name__)

METADATA_LIMIT = 500  # characters per metadata value (Stripe's limit)
NAME_LIMIT = 250  # the line the customer reads on the checkout page
TOLERANCE_SECONDS = 300  # how old a signed event may be: a replay of an older one is refused
TIMEOUT_SECONDS = 30.0
RETRIES = 2  # on a network failure, the SDK sends the same request (same Idempotency-Key) again


def invoices_metadata(external_ids: tuple[str, ...]) -> str:
    """The invoice external ids joined by commas, as many whole ids as fit in Stripe's 500
    characters (the stored online payment keeps the full list)."""
    joined = ""
    for external_id in external_ids:
        longer = f"{joined},{external_id}" if joined else external_id
        if len(longer) > METADATA_LIMIT:
            break
        joined = longer
    return joined


def checkout_params(request: CheckoutRequest) -> dict[str, Any]:
    """What a Checkout Session of one payment is created with (mode=payment, one line item)."""
    metadata = {"arrears_invoices": invoices_metadata(request.invoice_external_ids)}
    if request.payment_id is not None:
        metadata["arrears_payment"] = str(request.payment_id)
    name = request.description
    if len(name) > NAME_LIMIT:
        name = name[: NAME_LIMIT - 1] + "…"
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": request.currency.lower(),
                    "unit_amount": request.amount_minor,
                    "product_data": {"name": name},
                },
            }
        ],
        "client_reference_id": request.customer_external_id,
        "metadata": metadata,
        "payment_intent_data": {"metadata": dict(metadata)},
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
    }
    if request.customer_email:
        params["customer_email"] = request.customer_email
    return params


class StripeGateway:
    """`PaymentGateway` over Stripe's API (`api_base`: another address, e.g. a local test server)."""

    def __init__(self, secret_key: str, api_base: str = "") -> None:
        if not secret_key:
            raise InvalidValue("online payment needs ARREARS_STRIPE_SECRET_KEY")
        self.client = stripe.StripeClient(
            secret_key,
            http_client=stripe.HTTPXClient(timeout=TIMEOUT_SECONDS, allow_sync_methods=True),
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=RETRIES,
        )

    def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        params = checkout_params(request)
        try:
            session = self.client.v1.checkout.sessions.create(
                params=cast(Any, params), options={"idempotency_key": request.idempotency_key}
            )
        except stripe.StripeError as error:
            log.warning("Stripe refused a checkout session (%s): %s", request.idempotency_key, error)
            reason = getattr(error, "user_message", None) or "it did not answer or refused the request"
            raise PaymentProviderError(
                f"the payment provider could not open a checkout page ({reason}); nothing was paid: try again later"
            ) from error
        answer: dict[str, Any] = session.to_dict()
        session_id, url = answer.get("id"), answer.get("url")
        if not isinstance(session_id, str) or not isinstance(url, str) or not session_id or not url:
            raise PaymentProviderError("the payment provider answered without a checkout page; nothing was paid")
        return CheckoutSession(session_id, url)


def verify_event(payload: bytes, signature_header: str, secret: str) -> dict[str, Any]:
    """The event Stripe signed, as a dict, once its `Stripe-Signature` header is checked against the
    endpoint's signing secret (HMAC-SHA256 of "<t>.<body>", `t` at most 300 s old). Raises
    InvalidValue, saying why, for a missing, forged or stale signature or a body that is no event."""
    if not signature_header:
        raise InvalidValue("the Stripe-Signature header is missing")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidValue("the body is not UTF-8 text") from None
    try:
        stripe.WebhookSignature.verify_header(text, signature_header, secret, tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as error:
        stale = "tolerance" in str(error)
        raise InvalidValue(
            "the signature is too old (more than 5 minutes)" if stale else "the signature does not match"
        ) from None
    try:
        event = json.loads(text)
    except ValueError:
        raise InvalidValue("the body is not JSON") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise InvalidValue("the body is not an event (an object with an id and a type)")
    return event
