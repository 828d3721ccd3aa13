"""The kinds of alert: what a person must look at, and what each is called on a page.

The rules that raise them live where their condition is decided (stale tasks and broken promises in
the collection rules, disputes when one is opened, failed emails in the outbox, the payment provider's
verdicts in services/online_payments.py); this names them once.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import InvalidValue


class AlertKind(StrEnum):
    STALE_TASK = "stale_task"  # a task left open more than N days past its due date [000]
    DISPUTE_OPENED = "dispute_opened"  # an invoice went into dispute [001]
    PROMISE_BROKEN = "promise_broken"  # a promise to pay passed its date unpaid
    EMAIL_FAILED = "email_failed"  # an email could not be sent [004]
    EMAIL_BOUNCED = "email_bounced"  # a delivery report says an email sent did not arrive [004]
    CREDIT_SCORE_LOW = "credit_score_low"  # the newest score fell below the threshold [001]
    CREDIT_LIMIT = "credit_limit"  # the exposure went over the credit limit (or a warning level of it) [001]
    PAYMENT_FAILED = "payment_failed"  # an online payment by bank debit failed: chasing resumes
    PAYMENT_REFUNDED = "payment_refunded"  # the provider refunded an online payment (never netted by itself)
    CHARGEBACK = "chargeback"  # the payer's bank disputed an online payment
    PAYMENT_UNMATCHED = "payment_unmatched"  # money received for an unknown customer or invoice: nothing recorded


LABELS: dict[str, str] = {
    AlertKind.STALE_TASK: "Task past due",
    AlertKind.DISPUTE_OPENED: "Dispute opened",
    AlertKind.PROMISE_BROKEN: "Promise broken",
    AlertKind.EMAIL_FAILED: "Email failed",
    AlertKind.EMAIL_BOUNCED: "Email bounced",
    AlertKind.CREDIT_SCORE_LOW: "Credit score low",
    AlertKind.CREDIT_LIMIT: "Credit limit",
    AlertKind.PAYMENT_FAILED: "Online payment failed",
    AlertKind.PAYMENT_REFUNDED: "Payment refunded",
    AlertKind.CHARGEBACK: "Chargeback",
    AlertKind.PAYMENT_UNMATCHED: "Payment not matched",
}


def label(kind: str) -> str:
    """What a page calls the kind; a kind this version does not know reads as its words."""
    return LABELS.get(kind, kind.replace("_", " ").capitalize())


def parse_alert_kind(text: str) -> AlertKind:
    try:
        return AlertKind(text)
    except ValueError:
        known = ", ".join(kind.value for kind in AlertKind)
        raise InvalidValue(f"{text!r} is not a kind of alert: use one of {known}") from None
