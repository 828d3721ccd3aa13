"""The workflows page (TestClient, both databases): the steps in force, saving the TOML file (managers and
owners; errors name their line and keep the old file), and the dry-run preview of a cycle, which lists
what `arrears cycle --dry-run` lists for the next cycle's day, shows a later day as if the cycles
before it had run (saying so), and writes nothing."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from arrears.services import cycle, workflows
from tests.e2e.conftest import Cli
from tests.ledger import Ledger, contact
from tests.web import SCRIPT, TODAY, Site, csrf_of, row_counts


def visible(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def stored(site: Site) -> str | None:
    return workflows.stored_source(site.arrears.uow())


GENTLE = """\
[[workflow]]
name = "gentle"
match = { tags = ["enterprise"] }

[[workflow.step]]
name = "nudge-10"
days = 10
email = "past_due"
task = { type = "call", due_in_days = 1, description = "Nudge call" }
"""

BROKEN = """\
[[workflow]]
name = "broken"

[[workflow.step]]
name = "soon"
days = 10
email = "no_such_template"
"""


def test_every_signed_in_user_sees_the_steps_in_force(site: Site) -> None:
    client = site.signed_in("maria")

    page = client.get("/workflows")

    assert page.status_code == 200
    shown = visible(page.text)
    assert "In force: the built-in default workflow" in shown
    assert "standard every customer" in shown
    assert "past-due-30 30 days past due past_due call due after 2 days: Call about the 30-day reminder" in shown
    assert "courtesy 3 days before due courtesy_reminder no task" in shown
    assert "welcome on customer created welcome no task" in shown
    assert "collections 90 days past due no email escalate to collections due the same day" in shown
    assert 'name = "past-due-45"' in html.unescape(page.text)  # the TOML source, read-only for a contributor
    assert "<textarea" not in page.text
    assert "Managers and owners can edit the workflow file." in shown


def test_a_manager_saves_a_valid_file_and_it_is_in_force(site: Site) -> None:
    client = site.signed_in("morgan")
    csrf = csrf_of(client.get("/workflows").text)

    answer = client.post("/workflows", data={"csrf": csrf, "source": GENTLE.replace("\n", "\r\n")})

    assert answer.status_code == 303
    assert stored(site) == GENTLE
    assert [w.name for w in site.arrears.workflows()] == ["gentle"]
    page = client.get("/workflows")
    shown = visible(page.text)
    assert "Workflow file saved: gentle." in shown
    assert "In force: the workflow file saved in the database." in shown
    assert "gentle customers tagged enterprise" in shown
    assert "nudge-10 10 days past due past_due call due after 1 day: Nudge call" in shown
    assert "past-due-30" not in shown  # the file replaced the default whole


def test_an_invalid_file_names_its_line_and_keeps_the_old_one(site: Site) -> None:
    client = site.signed_in("olivia")
    csrf = csrf_of(client.get("/workflows").text)
    client.post("/workflows", data={"csrf": csrf, "source": GENTLE})

    answer = client.post("/workflows", data={"csrf": csrf, "source": BROKEN})

    assert answer.status_code == 422
    shown = visible(answer.text)
    assert "The workflow file was not saved: 1 problem. The workflows in force are unchanged." in shown
    assert re.search(r"line 7: .*no_such_template", shown), shown
    assert 'email = "no_such_template"' in html.unescape(answer.text)  # the edit is kept to fix it
    assert "nudge-10" in shown  # the table still shows what is in force
    assert stored(site) == GENTLE


def test_a_file_that_is_not_toml_names_its_line(site: Site) -> None:
    client = site.signed_in("morgan")
    csrf = csrf_of(client.get("/workflows").text)

    answer = client.post("/workflows", data={"csrf": csrf, "source": '[[workflow]]\nname = "x"\ndays = = 3\n'})

    assert answer.status_code == 422
    assert re.search(r"line 3: not valid TOML", visible(answer.text))
    assert stored(site) is None


def test_a_file_named_by_arrears_workflows_is_shown_as_the_one_in_force(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(GENTLE, encoding="utf-8")
    monkeypatch.setattr(site.arrears.settings, "workflows", path)
    client = site.signed_in("morgan")

    page = client.get("/workflows")

    shown = visible(page.text)
    assert f"In force: the file {path} named by ARREARS_WORKFLOWS" in shown
    assert "It wins over a file saved here while it is set." in shown
    assert "nudge-10" in shown
    assert "past-due-30" not in shown


@pytest.mark.parametrize("who", ["maria", "sam"])
def test_a_contributor_may_not_save_a_workflow_file(site: Site, who: str) -> None:
    client = site.signed_in(who)
    csrf = csrf_of(client.get("/tasks").text)

    answer = client.post("/workflows", data={"csrf": csrf, "source": GENTLE})

    assert answer.status_code == 403
    assert "a contributor may not manage workflows" in answer.text
    assert stored(site) is None


def test_saving_without_the_csrf_token_is_refused(site: Site) -> None:
    client = site.signed_in("olivia")

    answer = client.post("/workflows", data={"source": GENTLE})

    assert answer.status_code == 403
    assert stored(site) is None


def test_the_preview_lists_what_the_cli_dry_run_lists_and_writes_nothing(
    site: Site, db_url: str, tmp_path: Path
) -> None:
    Ledger(site.arrears, tmp_path).load("contacts", [contact("C3", SCRIPT, email="ap@script.test")])
    cycle.run_cycle(site.arrears.uow, site.arrears.workflows(), site.arrears.mailer(), TODAY)  # today's ran
    client = site.signed_in("morgan")
    before = row_counts(site)

    page = client.get("/workflows/preview", params={"as_of": "2026-07-01"})  # the next cycle: S1 is 30 days late

    assert page.status_code == 200
    assert row_counts(site) == before
    cli = Cli(db_url)("cycle", "--dry-run", "--as-of", "2026-07-01", "--format", "json")
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.stdout)
    planned = expected["planned"]
    assert planned, "the test ledger should give the cycle something to do"
    rows = re.findall(r"<tr data-kind=.*?</tr>", page.text, flags=re.S)
    assert len(rows) == len(planned)
    names = {person.id: person.name for person in site.people.values()}
    for item, row in zip(planned, rows, strict=True):
        shown = visible(row)
        assert item["customer_external_id"] in shown
        assert f"{item['workflow']} · {item['step']}" in shown
        if item["kind"] == "email":
            assert ", ".join(item["to"]) in shown
            assert item["subject"] in shown
        else:
            assert names[item["assignee_id"]] in shown
            assert f"due {item['due_date']}" in shown
    summary = visible(page.text)
    assert (
        f"would queue {expected['emails_queued']} email" in summary
        and f"create {expected['tasks_created']} task" in summary
    )
    assert any(item["invoices"] == [SCRIPT] for item in planned)
    assert "<script>" not in page.text  # the invoice numbered like a script is text
    assert "As if the" not in summary  # the next cycle's day assumes nothing
    assert row_counts(site) == before


def test_the_preview_of_today_shows_its_reminders(site: Site) -> None:
    client = site.signed_in("olivia")

    page = client.get("/workflows/preview", params={"as_of": TODAY.isoformat()})

    shown = visible(page.text)
    assert "Dry run of 2026-06-30" in shown and "As if the" not in shown
    assert re.search(r"email past_due C1 standard · past-due-30 INV-1001 pat@acme\.test", shown), shown
    assert re.search(r"call task C1 standard · past-due-30 INV-1001 maria due 2026-07-02", shown), shown


def test_a_later_day_is_previewed_as_if_the_cycles_before_it_had_run(site: Site, tmp_path: Path) -> None:
    Ledger(site.arrears, tmp_path).load("contacts", [contact("C3", SCRIPT, email="ap@script.test")])
    client = site.signed_in("olivia")
    before = row_counts(site)

    page = client.get("/workflows/preview", params={"as_of": "2026-07-01"})

    shown = visible(page.text)
    assert "Dry run of 2026-07-01" in shown
    assert "As if the cycle of 2026-06-30 had run" in shown
    # INV-1001 reaches 30 days today: its reminder goes out in today's cycle, not tomorrow's.
    assert "INV-1001" not in shown.partition("As if the")[2].partition("Workflow file")[0]
    assert re.search(r"email past_due C3 standard · past-due-30 <script>alert\(1\)</script> ap@script\.test", shown), (
        shown
    )
    assert "<script>" not in page.text
    assert row_counts(site) == before


def test_a_step_that_joins_a_task_an_earlier_previewed_cycle_opens_says_so(site: Site) -> None:
    client = site.signed_in("morgan")

    # INV-1001 45 days late, INV-1002 30: the call task today's cycle opens for INV-1001 is still open.
    page = client.get("/workflows/preview", params={"as_of": "2026-07-15"})

    shown = visible(page.text)
    assert "As if the cycles of 2026-06-30 to 2026-07-14 had run" in shown
    assert re.search(r"email past_due C1 standard · past-due-45 INV-1001, INV-1002 pat@acme\.test", shown), shown
    assert re.search(
        r"call task C1 standard · past-due-45 INV-100[12], INV-100[12] maria added to the task the cycle "
        r"of 2026-06-30 opens",
        shown,
    ), shown


def test_a_preview_too_far_ahead_is_refused(site: Site) -> None:
    client = site.signed_in("morgan")
    before = row_counts(site)

    page = client.get("/workflows/preview", params={"as_of": "2026-09-30"})

    assert page.status_code == 400
    assert "at most 31 days" in html.unescape(page.text)
    assert row_counts(site) == before


def test_a_contributor_may_not_preview_a_cycle(site: Site) -> None:
    client = site.signed_in("maria")
    before = row_counts(site)

    page = client.get("/workflows/preview")

    assert page.status_code == 403
    assert row_counts(site) == before


def test_a_preview_day_that_is_not_a_date_is_a_400(site: Site) -> None:
    client = site.signed_in("morgan")

    page = client.get("/workflows/preview", params={"as_of": "tomorrow"})

    assert page.status_code == 400
    assert "is not a date" in html.unescape(page.text)
