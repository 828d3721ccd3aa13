"""How the outbox links emails to the customer portal (services/outbox.PortalLinks): a validity out
of range is refused when the mailer is built, naming the setting, and a render that sends nothing
gets an example that is no token."""

from __future__ import annotations

import pytest

from arrears.domain.errors import InvalidValue
from arrears.domain.portal import looks_like_token
from arrears.services.outbox import PortalLinks


@pytest.mark.parametrize("days", [0, -5, 367])
def test_a_link_validity_out_of_range_is_refused_naming_the_setting(days: int) -> None:
    with pytest.raises(
        InvalidValue, match=f"ARREARS_PORTAL_LINK_DAYS: a portal link is valid 1 to 366 days, not {days}"
    ):
        PortalLinks("https://ar.example", days)


def test_the_example_link_is_under_the_base_url_and_opens_nothing() -> None:
    example = PortalLinks("https://ar.example/", 30).example()

    assert example == "https://ar.example/portal/EXAMPLE-LINK"
    assert not looks_like_token(example.rsplit("/", 1)[1])
