"""Alerts dismissed many at once in the pages (TestClient, both databases): the ones ticked, or every
open alert of a kind; the kinds with their open counts; collectors offered none of it and refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from arrears.adapters.db import tables as t
from tests.web import NOW, Site, csrf_of, open_site, row_counts


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    """The site of tests/web.py with 30 stale-task alerts for maria and one failed email."""
    opened = open_site(db_url, tmp_path)
    with opened.arrears.uow() as uow:
        maria = opened.people["maria"].id
        for n in range(30):
            uow.alerts.raise_alert(
                "stale_task", f"stale:{n}", f"Task {n} is late", customer_id=None, task_id=None, user_id=maria, at=NOW
            )
        uow.alerts.raise_alert(
            "email_failed", "email:1", "Bounced", customer_id=None, task_id=None, user_id=None, at=NOW
        )
        uow.commit()
    yield opened
    opened.arrears.close()


def open_alerts(site: Site, kind: str) -> int:
    with site.arrears.engine.connect() as connection:
        rows = connection.execute(t.alerts.select().where(t.alerts.c.kind == kind, t.alerts.c.status == "open"))
        return len(rows.all())


def test_a_manager_dismisses_every_stale_task_alert_in_one_go(site: Site) -> None:
    client = site.signed_in("morgan")
    page = client.get("/alerts?kind=stale_task").text

    answer = client.post(
        "/alerts/dismiss", data={"csrf": csrf_of(page), "all_of_kind": "stale_task", "back": "/alerts"}
    )

    assert "Dismiss all 30 open “Task past due” alerts" in page
    assert answer.status_code == 303
    assert (open_alerts(site, "stale_task"), open_alerts(site, "email_failed")) == (0, 1)
    assert "30 alerts dismissed." in client.get(answer.headers["location"]).text


def test_the_ticked_alerts_are_dismissed_and_the_kinds_show_their_open_counts(site: Site) -> None:
    client = site.signed_in("olivia")
    page = client.get("/alerts?kind=stale_task").text
    ticked = re.findall(r'name="ids" value="(\d+)"', page)[:3]

    answer = client.post("/alerts/dismiss", data={"csrf": csrf_of(page), "ids": ticked})

    assert answer.status_code == 303
    assert (open_alerts(site, "stale_task"), open_alerts(site, "email_failed")) == (27, 1)
    kinds = client.get("/alerts").text.split('class="alert-kinds"')[1].split("</ul>")[0]
    assert re.findall(r'kind=(\w+)" >[^<]+</a> <span class="badge">(\d+)</span>', kinds) == [
        ("stale_task", "27"),
        ("email_failed", "1"),
    ]


def test_a_collector_has_no_bulk_form_and_is_refused_and_nothing_changes(site: Site) -> None:
    client = site.signed_in("maria")
    page = client.get("/alerts").text
    before = row_counts(site)

    answer = client.post("/alerts/dismiss", data={"csrf": csrf_of(page), "all_of_kind": "stale_task"})

    assert 'action="/alerts/dismiss"' not in page and 'name="ids"' not in page
    assert answer.status_code == 403
    assert row_counts(site) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [({"ids": ["x"]}, "not alert numbers"), ({}, "select one or more alerts"), ({"all_of_kind": "nope"}, "nope")],
)
def test_a_bad_bulk_form_is_a_400_page_and_nothing_changes(site: Site, data: dict[str, object], message: str) -> None:
    client = site.signed_in("morgan")
    csrf = csrf_of(client.get("/alerts").text)
    before = row_counts(site)

    answer = client.post("/alerts/dismiss", data={"csrf": csrf, **data})

    assert answer.status_code == 400
    assert message in answer.text
    assert row_counts(site) == before
