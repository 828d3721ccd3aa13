"""`arrears calls attach|show|transcribe` as a user runs them, with the real speech model (loaded once
per test process): a sentence spoken by espeak-ng comes back as words, on the task list's JSON
(`transcript`) and through its quick search; a corrupt file is refused (exit 1), nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arrears.services import tasks, users
from tests.calls import SENTENCE, heard, speak, whisper_fixture  # noqa: F401
from tests.e2e.conftest import Cli
from tests.ledger import Ledger, customer


@pytest.fixture
def call_task(ledger: Ledger, whisper: object) -> int:
    owner = users.add_user(ledger.arrears.uow(), ledger.arrears.hasher, "maria", "owner", email=None, password=None)
    ledger.load("customers", [customer("C1", "Acme Ltd", collector="maria")])
    return tasks.create_task(ledger.arrears.uow(), owner, tasks.NewTask("C1", "call", "Call Acme")).id


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the model once; PostgreSQL: test_api_calls
def test_a_spoken_call_is_transcribed_shown_on_the_task_list_and_found_by_a_word(
    cli: Cli, call_task: int, tmp_path: Path
) -> None:
    speak(SENTENCE, tmp_path / "acme call.wav")

    attached = cli("calls", "attach", str(call_task), "acme call.wav", "--format", "json")
    listed = cli("tasks", "--all", "--search", "friday", "--format", "json")
    shown = cli("calls", "show", str(call_task))

    assert attached.exit_code == 0, attached.output
    recording = json.loads(attached.stdout)
    assert recording["status"] == "done"
    assert heard(recording["transcript"]) >= 3, recording["transcript"]
    assert recording["segments"] and recording["segments"][0]["start_ms"] >= 0
    [task] = json.loads(listed.stdout)
    assert task["id"] == call_task
    assert task["transcript"] == recording["transcript"]
    assert "[0:0" in shown.stdout
    assert (tmp_path / "recordings").is_dir()  # beside the SQLite database, or in the working directory


def test_a_corrupt_recording_is_refused_and_nothing_is_stored(cli: Cli, call_task: int, tmp_path: Path) -> None:
    (tmp_path / "call.mp3").write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 8)
    (tmp_path / "notes.wav").write_text("not a recording at all")

    corrupt = cli("calls", "attach", str(call_task), "call.mp3")
    not_audio = cli("calls", "attach", str(call_task), "notes.wav")
    listed = cli("tasks", "--all", "--format", "json")

    assert corrupt.exit_code == 1
    assert "corrupt" in corrupt.stderr
    assert not_audio.exit_code == 1
    assert "not a WAV, MP3 or OGG" in not_audio.stderr
    assert json.loads(listed.stdout)[0]["transcript"] is None
    assert cli("calls", "show", str(call_task)).exit_code == 1
    recordings = tmp_path / "recordings"
    assert not recordings.exists() or list(recordings.iterdir()) == []
