"""Alerts: the kinds a person must look at, and what a page calls each."""

from __future__ import annotations

import pytest

from arrears.domain.alerts import LABELS, AlertKind, label, parse_alert_kind
from arrears.domain.errors import InvalidValue


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("stale_task", "Task past due"),
        ("dispute_opened", "Dispute opened"),
        ("promise_broken", "Promise broken"),
        ("email_failed", "Email failed"),
        ("payment_failed", "Online payment failed"),
        ("payment_refunded", "Payment refunded"),
        ("chargeback", "Chargeback"),
        ("payment_unmatched", "Payment not matched"),
    ],
)
def test_each_kind_of_alert_has_its_label(kind: str, text: str) -> None:
    assert label(kind) == text


def test_every_kind_has_a_label() -> None:
    unlabelled = set(AlertKind) - set(LABELS)

    assert unlabelled == set()


def test_a_kind_this_version_does_not_know_reads_as_its_words() -> None:
    text = label("credit_score_low")

    assert text == "Credit score low"


@pytest.mark.parametrize("kind", ["stale_task", "dispute_opened", "promise_broken", "email_failed", "email_bounced"])
def test_each_kind_parses_from_its_name(kind: str) -> None:
    parsed = parse_alert_kind(kind)

    assert parsed.value == kind


def test_an_unknown_kind_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_alert_kind("stale")

    assert caught.value.message == (
        "'stale' is not a kind of alert: use one of stale_task, dispute_opened, promise_broken, email_failed, "
        "email_bounced, credit_score_low, credit_limit, payment_failed, payment_refunded, chargeback, "
        "payment_unmatched"
    )
