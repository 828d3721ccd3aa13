"""The call task's page side (TestClient, SQLite): with ARREARS_CALL_SUGGESTIONS on, what the
transcript suggests is offered as buttons and applied only when one is clicked; off (the default),
nothing is offered; ARREARS_DIALER_URL turns the phone links into a softphone's."""

from __future__ import annotations

import re

import pytest

from arrears.services import calls, task_list
from tests.calls import FakeTranscriber, tiny_wav
from tests.web import Site, csrf_of

SAID = "The payment of $4,200 will go out on Friday. There is a dispute about the quantity."


def transcribed_call(site: Site) -> int:
    arrears = site.arrears
    arrears.transcriber = FakeTranscriber(SAID)  # type: ignore[misc]
    task_id = site.tasks["acme"]
    found = calls.attach_recording(
        arrears.uow(), arrears.audio_store(), arrears.audio_probe(), site.people["maria"], task_id, tiny_wav(),
        "call.wav", arrears.call_settings(),
    )  # fmt: skip
    arrears.transcribe_now(found.id)
    return task_id


def promises(site: Site) -> list[str]:
    page = task_list.task_list(site.arrears.uow(), site.people["olivia"], everyone=True, types=["expected_payment"])
    return [row.expected_date.isoformat() for row in page.items if row.expected_date]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # what the page offers: no database rule here
def test_suggestions_are_offered_and_applied_only_when_clicked(site: Site) -> None:
    site.arrears.settings.call_suggestions = True
    transcribed_call(site)
    maria = site.signed_in("maria")

    page = maria.get("/tasks").text
    offered = re.search(r'<form method="post" action="/customers/C1/promise">(.*?)</form>', page, re.S)
    before = promises(site)
    assert offered is not None
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', offered.group(1)))
    clicked = maria.post("/customers/C1/promise", data=fields | {"csrf": csrf_of(page)})

    assert "Record a promise: 4200.00 USD by 2026-07-03" in page
    assert "Open a dispute on an invoice" in page
    assert before == []
    assert clicked.status_code == 303
    assert promises(site) == ["2026-07-03"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_nothing_is_suggested_unless_the_setting_is_on_and_the_dialer_link_follows_its_setting(site: Site) -> None:
    transcribed_call(site)
    site.arrears.settings.dialer_url = "sip:{phone}"
    maria = site.signed_in("maria")

    page = maria.get("/tasks").text

    assert "Record a promise" not in page
    assert "The payment of $4,200 will go out on Friday." in page
    assert 'href="sip:+14155550100"' in page
    assert 'href="tel:' not in page
