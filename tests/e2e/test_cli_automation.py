"""The automation and workspace commands as a user types them: cycle, workflow, email preview,
outbox, chasing, tasks, promises."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from arrears.services import inbox
from tests.e2e.conftest import Cli
from tests.ledger import Ledger, contact, customer, invoice

DAY = date(2026, 6, 30)


def accounts(ledger: Ledger) -> None:
    ledger.add_user("maria", "contributor")
    ledger.load("customers", [customer("C1", "Acme <b>Ltd</b>", collector="maria", phone="+1 415 555 0100")])
    ledger.load("contacts", [contact("C1", "Ann Lee", email="ann@acme.example")])
    ledger.load(
        "invoices",
        [
            invoice("I1", "C1", due=DAY - timedelta(days=31), amount="120.00"),
            invoice("I2", "C1", due=DAY + timedelta(days=2), amount="80.00"),  # due soon: the courtesy note
        ],
    )


def test_cycle_dry_run_then_run_then_rerun(cli: Cli, ledger: Ledger, tmp_path: Path) -> None:
    accounts(ledger)

    dry = cli("cycle", "--as-of", DAY.isoformat(), "--dry-run", "--format", "json")
    real = cli("cycle", "--as-of", DAY.isoformat(), "--format", "json")
    again = cli("cycle", "--as-of", DAY.isoformat(), "--format", "json")

    planned = json.loads(dry.stdout)
    assert dry.exit_code == real.exit_code == again.exit_code == 0
    assert planned["dry_run"] is True and planned["emails_queued"] == 2
    assert {p["step"] for p in planned["planned"]} == {"past-due-30", "courtesy"}
    assert json.loads(real.stdout)["emails_sent"] == 2
    assert json.loads(again.stdout)["emails_queued"] == 0
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 2
    exported = json.loads(cli("export", "emails", "--format", "json").stdout)
    assert {e["workflow_step"] for e in exported} == {"past-due-30", "courtesy"}
    assert all(e["status"] == "sent" and e["to"] == ["ann@acme.example"] for e in exported)


def test_the_dry_run_table_lists_what_would_go_out(cli: Cli, ledger: Ledger) -> None:
    accounts(ledger)

    result = cli("cycle", "--as-of", DAY.isoformat(), "--dry-run")

    assert result.exit_code == 0
    assert "ann@acme.example" in result.stdout and "nothing was written" in result.stdout


def test_the_dry_run_table_names_the_assignee_of_each_task(cli: Cli, ledger: Ledger) -> None:
    accounts(ledger)

    result = cli("cycle", "--as-of", DAY.isoformat(), "--dry-run")

    assert result.exit_code == 0
    [task] = [line for line in result.stdout.splitlines() if "task (call)" in line]
    assert [cell.strip() for cell in task.split("│")][5] == "maria"


def test_workflow_validate_names_the_line_and_exits_1(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(
        '[[workflow]]\nname = "w"\n[[workflow.step]]\nname = "s"\ndays = 7\nemail = "past_due"\n'
    )
    (tmp_path / "bad.toml").write_text(
        '[[workflow]]\nname = "w"\n[[workflow.step]]\nname = "s"\ndays = "7"\nemail = "past_due"\n'
    )

    good = cli("workflow", "validate", "good.toml")
    bad = cli("workflow", "validate", "bad.toml")

    assert good.exit_code == 0 and "valid" in good.stdout
    assert bad.exit_code == 1 and "bad.toml:5: days must be a whole number" in bad.stderr


def test_a_saved_workflow_is_the_one_in_force(cli: Cli, ledger: Ledger, tmp_path: Path) -> None:
    accounts(ledger)
    (tmp_path / "w.toml").write_text(
        '[[workflow]]\nname = "only-calls"\n[[workflow.step]]\nname = "call-20"\ndays = 20\ntask = { type = "call" }\n'
    )

    assert cli("workflow", "save", "w.toml").exit_code == 0
    shown = cli("workflow", "show")
    run = json.loads(cli("cycle", "--as-of", DAY.isoformat(), "--format", "json").stdout)

    assert "only-calls" in shown.stdout
    assert (run["emails_queued"], run["tasks_created"]) == (0, 1)


def test_email_preview_renders_without_sending(cli: Cli, ledger: Ledger, tmp_path: Path) -> None:
    accounts(ledger)

    text = cli("email", "preview", "past-due-30", "--customer", "C1", "--as-of", DAY.isoformat())
    html = cli("email", "preview", "past-due-30", "--customer", "C1", "--html", "--as-of", DAY.isoformat())
    unknown = cli("email", "preview", "nope", "--customer", "C1")

    # I1 alone: I2 is not due yet, and a past-due step lists the past-due invoices
    assert text.exit_code == 0 and "To: ann@acme.example" in text.stdout and "$120.00" in text.stdout
    assert "Acme &lt;b&gt;Ltd&lt;/b&gt;" in html.stdout or "Ann Lee" in html.stdout
    assert "<b>Ltd</b>" not in html.stdout
    assert unknown.exit_code == 1 and "no workflow step named 'nope'" in unknown.stderr
    assert not (tmp_path / "mail").exists()


def test_chasing_pause_and_unknown_ids(cli: Cli, ledger: Ledger) -> None:
    accounts(ledger)

    paused = cli("chasing", "pause", "customer", "C1")
    missing = cli("chasing", "exclude", "NOPE")
    run = json.loads(cli("cycle", "--as-of", DAY.isoformat(), "--format", "json").stdout)

    assert paused.exit_code == 0 and missing.exit_code == 1
    assert run["emails_queued"] == 0


def test_tasks_and_promises_from_the_command_line(cli: Cli, ledger: Ledger) -> None:
    accounts(ledger)
    cli("cycle", "--as-of", DAY.isoformat())

    listed = json.loads(cli("tasks", "--assignee", "maria", "--format", "json").stdout)
    everyone = cli("tasks", "--all")
    checked = json.loads(cli("promises", "check", "--as-of", DAY.isoformat(), "--format", "json").stdout)

    assert [t["type"] for t in listed] == ["call"]
    assert listed[0]["invoice_external_ids"] == ["I1"] and listed[0]["currency"] == "USD"
    assert set(listed[0]) >= {
        "id",
        "customer_external_id",
        "customer_name",
        "type",
        "status",
        "assignee",
        "due_date",
        "description",
        "invoice_external_ids",
        "outstanding_invoice_count",
        "overdue_amount",
        "currency",
    }
    assert everyone.exit_code == 0 and "maria" in everyone.stdout
    assert checked == {"as_of": DAY.isoformat(), "kept": 0, "broken": 0, "tasks_created": 0, "alerts_raised": 0}


def test_the_worklist_from_the_command_line_with_a_why_column(cli: Cli, ledger: Ledger) -> None:
    accounts(ledger)
    cli("cycle", "--as-of", DAY.isoformat())

    listed = json.loads(cli("tasks", "--all", "--sort", "priority", "--format", "json").stdout)
    table = cli("tasks", "--all", "--sort", "priority")
    bad = cli("tasks", "--all", "--sort", "urgency")

    assert listed and [t["priority"] for t in listed] == sorted((t["priority"] for t in listed), reverse=True)
    # the command rolls the balances to the real today: both invoices are overdue by then, and the
    # cycle's credit phase computed the customer's lateness
    assert listed[0]["why"].startswith("200.00 USD overdue ") and "late on average" in listed[0]["why"]
    assert listed[0]["expected_payment_date"]
    assert table.exit_code == 0 and "why" in table.stdout
    assert bad.exit_code == 1 and "'urgency' is not a sort" in bad.stderr


def test_outbox_send_with_nothing_waiting(cli: Cli) -> None:
    result = cli("outbox", "send")

    assert result.exit_code == 0 and result.stdout.startswith("0 sent")


def test_inbox_process_applies_a_payment_event_that_waits(cli: Cli, ledger: Ledger) -> None:
    accounts(ledger)
    paid = {
        "id": "evt_waiting",
        "type": "checkout.session.completed",
        "created": 1782810000,  # 2026-06-30 in UTC
        "data": {
            "object": {
                "id": "cs_1",
                "payment_status": "paid",
                "payment_intent": "pi_waiting",
                "amount_total": 12000,
                "currency": "usd",
                "client_reference_id": "C1",
                "metadata": {"arrears_invoices": "I1"},
            }
        },
    }
    inbox.receive(ledger.arrears.uow(), "stripe", "evt_waiting", paid["type"], paid)  # as a deferred event waits

    first, again = cli("inbox", "process"), cli("inbox", "process")

    assert (first.exit_code, again.exit_code) == (0, 0)
    assert first.stdout.strip() == "1 applied, 0 to retry later, 0 failed; 0 waiting, 0 failed in all"
    assert again.stdout.startswith("0 applied")
    assert ledger.invoice("I1") == ("paid", "0.00")
    assert [row["external_id"] for row in ledger.exported_rows("payments")] == ["pi_waiting-1"]
