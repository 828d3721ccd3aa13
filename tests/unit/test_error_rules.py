"""Domain errors: each carries a stable code and a message a user can act on."""

from __future__ import annotations

import pytest

from arrears.domain.errors import (
    ArrearsError,
    Conflict,
    CurrencyError,
    CurrencyMismatch,
    InvalidValue,
    NotFound,
    PermissionDenied,
)
from arrears.domain.workflows import WorkflowError


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ArrearsError, "invalid"),
        (CurrencyError, "currency"),
        (CurrencyMismatch, "currency_mismatch"),
        (InvalidValue, "invalid_value"),
        (NotFound, "not_found"),
        (Conflict, "conflict"),
        (PermissionDenied, "forbidden"),
    ],
)
def test_each_error_carries_its_stable_code(error: type[ArrearsError], code: str) -> None:
    raised = error("something is wrong")

    assert raised.code == code


def test_an_error_keeps_its_message_for_the_user() -> None:
    error = NotFound("no customer with external id 'C9'")

    assert (error.message, str(error)) == ("no customer with external id 'C9'",) * 2


@pytest.mark.parametrize(
    "error", [CurrencyError, CurrencyMismatch, InvalidValue, NotFound, Conflict, PermissionDenied, WorkflowError]
)
def test_every_domain_error_is_an_arrears_error(error: type[Exception]) -> None:
    assert issubclass(error, ArrearsError)
