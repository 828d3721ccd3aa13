"""Domain errors: each carries a stable code and a message a user can act on."""

from __future__ import annotations


class ArrearsError(Exception):
    """Base of every error a user can cause; entry points turn it into exit status 1 or a 4xx."""

    code = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CurrencyError(ArrearsError):
    code = "currency"


class CurrencyMismatch(ArrearsError):
    """Adding or comparing amounts of two currencies: never silently converted."""

    code = "currency_mismatch"


class InvalidValue(ArrearsError):
    """One field's value is not acceptable; the message says why."""

    code = "invalid_value"


class NotFound(ArrearsError):
    code = "not_found"


class Conflict(ArrearsError):
    code = "conflict"


class PermissionDenied(ArrearsError):
    code = "forbidden"


class PaymentProviderError(ArrearsError):
    """The payment provider refused or did not answer: nothing was paid; trying again later may work
    (a page answers 502, not a trace)."""

    code = "payment_provider"
