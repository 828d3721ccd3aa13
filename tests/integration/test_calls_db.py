"""Call recordings: spoken WAV, MP3 and OGG measured from their bytes, corrupt files refused; and on
both databases a recording kept as a file (a refused one leaving nothing), the transcript found by
the task list's quick search, and old audio deleted with its transcript kept. The transcriber is a
fake here (tests/e2e use the model)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from arrears.adapters.audio import AudioProbe
from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears
from arrears.domain.calls import AudioFormat, sniff_format
from arrears.domain.errors import InvalidValue
from arrears.domain.users import User
from arrears.services import calls, task_list, tasks, users
from arrears.services.calls import CallSettings
from tests.calls import SENTENCE, FakeTranscriber, encode, speak
from tests.ledger import Ledger, customer


@pytest.fixture
def desk(arrears: Arrears, tmp_path: Path) -> tuple[Arrears, User, int]:
    """Acme with a call task for its collector maria; recordings go to tmp_path/calls."""
    arrears.settings.calls_dir = tmp_path / "calls"
    ledger = Ledger(arrears, tmp_path)
    maria = users.add_user(arrears.uow(), arrears.hasher, "maria", "manager", email=None, password=None)
    ledger.load("customers", [customer("C1", "Acme Ltd", collector="maria")])
    task = tasks.create_task(arrears.uow(), maria, tasks.NewTask("C1", "call", "Call Acme"))
    return arrears, maria, task.id


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(SENTENCE, tmp_path_factory.mktemp("speech") / "call.wav")


def attach(arrears: Arrears, user: User, task_id: int, data: bytes, name: str = "call.wav") -> calls.Recording:
    return calls.attach_recording(
        arrears.uow(), arrears.audio_store(), arrears.audio_probe(), user, task_id, data, name, CallSettings()
    )


@pytest.mark.parametrize("fmt", ["wav", "mp3", "ogg"])
def test_a_spoken_recording_is_measured_from_its_bytes_whatever_its_name(spoken: Path, fmt: str) -> None:
    data = spoken.read_bytes() if fmt == "wav" else encode(spoken, fmt)

    found = sniff_format(data[:16])
    duration_ms = AudioProbe().duration_ms(data, found)

    assert found.value == fmt
    assert abs(duration_ms - AudioProbe().duration_ms(spoken.read_bytes(), AudioFormat.WAV)) < 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"RIFF\x24\x00\x00\x00WAVEjunkjunkjunkjunk", "corrupt"),  # a WAV header and nothing that decodes
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 8, "corrupt"),  # an MP3 tag and noise
        (b"OggS" + bytes(200), "corrupt"),
    ],
)
def test_a_corrupt_recording_does_not_decode(data: bytes, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        AudioProbe().duration_ms(data, sniff_format(data[:16]))


def test_a_recording_is_kept_as_a_file_and_a_corrupt_one_leaves_nothing(
    desk: tuple[Arrears, User, int], spoken: Path
) -> None:
    arrears, maria, task_id = desk

    with pytest.raises(InvalidValue, match="corrupt"):
        attach(arrears, maria, task_id, b"RIFF\x24\x00\x00\x00WAVEjunkjunkjunkjunk")
    refused_left = list(arrears.calls_dir().glob("*")) if arrears.calls_dir().exists() else []
    found = attach(arrears, maria, task_id, spoken.read_bytes(), name="recording.bin")

    assert refused_left == []
    assert found.format is AudioFormat.WAV
    assert (arrears.calls_dir() / str(found.storage_key)).read_bytes() == spoken.read_bytes()
    assert calls.task_recording(arrears.uow(), maria, task_id) == found


def test_the_task_list_finds_a_call_by_a_word_said_in_it(desk: tuple[Arrears, User, int], spoken: Path) -> None:
    arrears, maria, task_id = desk
    found = attach(arrears, maria, task_id, spoken.read_bytes())
    arrears.clock.now = lambda: found.created_at + timedelta(minutes=31)  # type: ignore[method-assign]
    waiting = calls.waiting(arrears.uow(), timedelta(minutes=30))  # what the worker's sweep queues again
    calls.transcribe(arrears.uow, arrears.audio_store(), FakeTranscriber("We will pay on Friday."), found.id)

    hits = task_list.task_list(arrears.uow(), maria, everyone=True, q="friday").items
    misses = task_list.task_list(arrears.uow(), maria, everyone=True, q="thursday").items

    assert waiting == [found.id]
    assert calls.waiting(arrears.uow(), timedelta(minutes=30)) == []
    assert [row.id for row in hits] == [task_id]
    assert misses == []
    assert tasks.task_document(hits[0])["transcript"] == "Hello. We will pay on Friday."


def test_old_audio_is_deleted_and_its_transcript_kept(desk: tuple[Arrears, User, int], spoken: Path) -> None:
    arrears, maria, task_id = desk
    found = attach(arrears, maria, task_id, spoken.read_bytes())
    calls.transcribe(arrears.uow, arrears.audio_store(), FakeTranscriber(), found.id)
    file = arrears.calls_dir() / str(found.storage_key)
    with arrears.engine.begin() as connection:  # recorded 91 days ago
        connection.execute(t.call_recordings.update().values(created_at=found.created_at - timedelta(days=91)))

    deleted = calls.delete_expired_audio(arrears.uow, arrears.audio_store(), 90)

    after = calls.task_recording(arrears.uow(), maria, task_id)
    assert deleted == 1
    assert not file.exists()
    assert after is not None
    assert (after.has_audio, after.status) == (False, "done")
    assert after.transcript == "Hello. We will pay invoice 1034 on Friday."
