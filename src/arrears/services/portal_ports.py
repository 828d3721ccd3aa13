"""What the customer portal and online payments need from the database: the portal's links, and
the payments started on it from the checkout session to the provider's verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..domain.portal import PortalLink


@dataclass(frozen=True, slots=True)
class OnlinePayment:
    id: int
    provider: str  # "stripe"
    customer_id: int
    currency: str
    amount_minor: int
    status: str  # started, pending, succeeded, failed, expired
    checkout_session_id: str | None
    payment_intent_id: str | None
    invoice_ids: tuple[int, ...]  # the invoices it is for, as chosen on the portal
    created_at: datetime
    updated_at: datetime
    error: str | None = None


class PortalStore(Protocol):
    # -- links ---------------------------------------------------------------------------------------
    def add_link(
        self,
        customer_id: int,
        contact_id: int | None,
        token_hash: str,
        issued_at: datetime,
        expires_at: datetime,
        issued_by: str,
    ) -> int: ...

    def link(self, token_hash: str) -> PortalLink | None:
        """The link of that token hash, valid or not (the caller decides)."""

    def mark_seen(self, link_id: int, at: datetime, quiet_for: float) -> bool:
        """Note that the link was opened at `at`; True when it had not been for `quiet_for` seconds
        (an opening worth a line on the timeline), False when it had (a reload, a scanner's retry)."""

    def revoke_links(self, customer_id: int, at: datetime) -> int:
        """Revoke every link of the customer that is not revoked yet; returns how many."""

    def active_links(self, customer_id: int, at: datetime) -> int:
        """How many of the customer's links are valid at `at`."""

    # -- online payments -----------------------------------------------------------------------------
    def add_payment(
        self,
        provider: str,
        customer_id: int,
        currency: str,
        amount_minor: int,
        invoice_ids: Sequence[int],
        at: datetime,
        *,
        portal_link_id: int | None = None,
        checkout_session_id: str | None = None,
        payment_intent_id: str | None = None,
        status: str = "started",
    ) -> int: ...

    def set_checkout_session(self, payment_id: int, checkout_session_id: str, at: datetime) -> None: ...

    def payment(self, payment_id: int) -> OnlinePayment | None: ...

    def payment_for_update(
        self, provider: str, *, checkout_session_id: str | None = None, payment_intent_id: str | None = None
    ) -> OnlinePayment | None:
        """The payment of that checkout session (else of that payment intent), held by this
        transaction until it ends (PostgreSQL: FOR UPDATE), so that two deliveries of events of one
        payment apply one after the other."""

    def update_payment(
        self,
        payment_id: int,
        status: str,
        at: datetime,
        *,
        payment_intent_id: str | None = None,
        event_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Move the payment to `status` (keeping its intent id once known), and bring the
        `payment_pending` flag of its invoices in step: set while a pending payment names them."""

    def customer_payments(self, customer_id: int, limit: int) -> list[OnlinePayment]:
        """The customer's online payments, newest first."""


# -- the payment provider ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """A hosted checkout page for one payment: what the provider is told."""

    idempotency_key: str  # the same request sent twice makes one session (derived from the payment row)
    customer_external_id: str  # Stripe's client_reference_id
    invoice_external_ids: tuple[str, ...]  # Stripe's metadata.arrears_invoices, joined by commas
    currency: str  # ISO 4217
    amount_minor: int
    description: str  # the line the customer sees on the provider's page
    success_url: str
    cancel_url: str
    customer_email: str | None = None
    payment_id: int | None = None  # our online payment's id (metadata.arrears_payment)


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    id: str
    url: str


class PaymentGateway(Protocol):
    """A payment provider's hosted checkout (adapters/stripe_gateway.py)."""

    def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession: ...
