"""Calls, recorded and transcribed: which recordings are accepted, the transcription's outcomes, and
the retention of audio, over fakes (the transcriber, the audio store, the decoder)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from arrears.adapters.speech import WhisperTranscriber
from arrears.domain import calls as rules
from arrears.domain.calls import AudioFormat, RecordingStatus, sniff_format
from arrears.domain.errors import ArrearsError, InvalidValue, NotFound, PermissionDenied
from arrears.domain.tasks import TaskType
from arrears.domain.users import User
from arrears.services import calls
from arrears.services.call_ports import Recording
from arrears.services.calls import CallSettings
from tests.calls import WAV_HEAD, FakeAudioStore, FakeProbe, FakeTranscriber
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, OLIVIA, SAM, make_task

SETTINGS = CallSettings(max_bytes=1_000_000, retention_days=90)
AUDIO = WAV_HEAD + b"\x00" * 2000


@pytest.fixture
def desk() -> FakeUnitOfWork:
    uow = acme_desk()
    uow.tasks.add(make_task(id=7))
    uow.tasks.add(make_task(id=8, type=TaskType.EMAIL, description="Send the statement"))
    return uow


def attach(
    desk: FakeUnitOfWork, store: FakeAudioStore, data: bytes = AUDIO, task_id: int = 7, user: User = MARIA
) -> Recording:
    return calls.attach_recording(desk, store, FakeProbe(), user, task_id, data, "call.wav", SETTINGS)


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", AudioFormat.WAV),
        (b"OggS\x00\x02\x00\x00\x00\x00\x00\x00", AudioFormat.OGG),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00", AudioFormat.MP3),
        (b"\xff\xfb\x90\x64\x00\x00\x00\x00\x00\x00\x00\x00", AudioFormat.MP3),
    ],
)
def test_the_format_of_a_recording_is_read_from_its_first_bytes(head: bytes, fmt: AudioFormat) -> None:
    assert sniff_format(head) is fmt


@pytest.mark.parametrize("head", [b"%PDF-1.7\n", b"<html><body>", b"PK\x03\x04zip", b"RIFF\x00\x00\x00\x00AVI ", b""])
def test_anything_else_is_refused_whatever_its_name(head: bytes) -> None:
    with pytest.raises(InvalidValue, match="not a WAV, MP3 or OGG"):
        sniff_format(head)


def test_a_recording_is_kept_on_its_call_task_waiting_to_be_transcribed(desk: FakeUnitOfWork) -> None:
    store = FakeAudioStore()

    found = attach(desk, store)

    assert (found.task_id, found.status, found.format, found.duration_ms) == (7, "pending", AudioFormat.WAV, 4000)
    assert list(store.files.values()) == [AUDIO]
    assert desk.audit.actions()[-1] == ("call_recording", str(found.id), "recorded")


@pytest.mark.parametrize(
    ("data", "task_id", "message"),
    [
        (AUDIO, 8, "not a call task"),
        (b"just some text, named call.wav", 7, "not a WAV, MP3 or OGG"),
        (WAV_HEAD + b"CORRUPT", 7, "corrupt"),
        (WAV_HEAD + b"\x00" * 1_000_000, 7, "at most 1 MB"),
        (b"", 7, "empty"),
    ],
)
def test_a_recording_that_is_not_a_calls_audio_is_refused_and_nothing_is_stored(
    desk: FakeUnitOfWork,
    data: bytes,
    task_id: int,
    message: str,
) -> None:
    store = FakeAudioStore()

    with pytest.raises(InvalidValue, match=message):
        attach(desk, store, data, task_id)

    assert store.files == {}
    assert desk.calls.rows == {}


def test_a_second_recording_on_the_same_task_is_refused(desk: FakeUnitOfWork) -> None:
    store = FakeAudioStore()
    attach(desk, store)

    with pytest.raises(InvalidValue, match="already has a recording"):
        attach(desk, store)

    assert len(store.files) == 1


def test_a_contributor_attaches_recordings_only_to_their_own_tasks(desk: FakeUnitOfWork) -> None:
    store = FakeAudioStore()

    with pytest.raises(PermissionDenied):
        attach(desk, store, user=SAM)
    with pytest.raises(NotFound):
        attach(desk, store, task_id=99, user=OLIVIA)

    assert store.files == {}


def test_a_transcript_is_stored_with_its_segments(desk: FakeUnitOfWork) -> None:
    store = FakeAudioStore()
    found = attach(desk, store)

    done = calls.transcribe(desk.fresh, store, FakeTranscriber("We will pay on Friday."), found.id)

    assert done is not None
    assert done.status == "done"
    assert done.transcript == "Hello. We will pay on Friday."
    assert [(s.start, s.end) for s in done.segments] == [(0.0, 1.5), (1.5, 4.0)]
    assert desk.audit.entries[-1].summary.startswith("Call transcribed (task 7): “Hello. We will pay")


def test_a_failed_transcription_keeps_the_recording_and_shows_the_error_then_succeeds_on_retry(
    desk: FakeUnitOfWork,
) -> None:
    store = FakeAudioStore()
    found = attach(desk, store)
    transcriber = FakeTranscriber(failures=1)

    with pytest.raises(RuntimeError):
        calls.transcribe(desk.fresh, store, transcriber, found.id)
    failed = desk.calls.recording(found.id)
    retried = calls.transcribe(desk.fresh, store, transcriber, found.id)

    assert failed is not None
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.error == "RuntimeError: the speech model ran out of memory"
    assert len(store.files) == 1
    assert retried is not None
    assert (retried.status, retried.attempts, retried.error) == ("done", 2, None)


def test_a_transcribed_recording_is_not_transcribed_again(desk: FakeUnitOfWork) -> None:
    store = FakeAudioStore()
    found = attach(desk, store)
    transcriber = FakeTranscriber()
    calls.transcribe(desk.fresh, store, transcriber, found.id)

    again = calls.transcribe(desk.fresh, store, transcriber, found.id)

    assert again is None
    assert transcriber.calls == 1


def test_audio_older_than_the_retention_is_deleted_and_its_transcript_kept(desk: FakeUnitOfWork) -> None:
    store = FakeAudioStore()
    found = attach(desk, store)
    calls.transcribe(desk.fresh, store, FakeTranscriber(), found.id)
    desk.clock.advance(timedelta(days=89))
    kept = calls.delete_expired_audio(desk.fresh, store, 90)
    desk.clock.advance(timedelta(days=2))

    deleted = calls.delete_expired_audio(desk.fresh, store, 90)

    after = desk.calls.recording(found.id)
    assert (kept, deleted) == (0, 1)
    assert store.files == {}
    assert after is not None
    assert after.storage_key is None
    assert after.transcript == "Hello. We will pay invoice 1034 on Friday."
    assert desk.audit.actions()[-1] == ("call_recording", str(found.id), "audio_deleted")
    with pytest.raises(NotFound, match="deleted"):
        calls.audio(desk.fresh(), store, OLIVIA, found.id)


def test_a_retention_of_zero_days_keeps_audio_forever(desk: FakeUnitOfWork) -> None:
    store = FakeAudioStore()
    attach(desk, store)
    desk.clock.advance(timedelta(days=5000))

    assert calls.delete_expired_audio(desk.fresh, store, 0) == 0
    assert len(store.files) == 1
    assert rules.deletes_audio(0) is False
    with pytest.raises(InvalidValue):
        rules.deletes_audio(-1)


def test_the_audio_is_served_with_the_content_type_of_its_format(desk: FakeUnitOfWork) -> None:
    store = FakeAudioStore()
    found = attach(desk, store)

    _, content_type = calls.audio(desk.fresh(), store, MARIA, found.id)

    assert content_type == "audio/wav"


@pytest.mark.parametrize(("seconds", "shown"), [(0, "0:00"), (9.7, "0:09"), (75, "1:15"), (3725, "1:02:05")])
def test_segment_times_read_as_a_player_shows_them(seconds: float, shown: str) -> None:
    assert rules.clock_time(seconds) == shown


def test_an_uploaded_name_is_kept_for_display_without_its_path() -> None:
    assert rules.clean_filename("C:\\calls\\acme.mp3", AudioFormat.MP3) == "acme.mp3"
    assert rules.clean_filename("../../etc/passwd", AudioFormat.WAV) == "passwd"
    assert rules.clean_filename(None, AudioFormat.OGG) == "recording.ogg"
    assert RecordingStatus.DONE == "done"


# -- suggestions from a transcript ---------------------------------------------------------------------

CALL_DAY = date(2026, 7, 1)  # a Wednesday


@pytest.mark.parametrize(
    ("said", "amount", "due"),
    [
        ("The payment of $4,200 will go out on Friday.", "4200.00", date(2026, 7, 3)),
        ("We will pay 1034.50 euros next Tuesday.", "1034.50", date(2026, 7, 14)),
        ("You will have 300 dollars tomorrow.", "300.00", date(2026, 7, 2)),
        ("We can pay $950 on July 20th.", "950.00", date(2026, 7, 20)),
        ("Expect £80 on the 5th.", "80.00", date(2026, 7, 5)),
        ("We pay $80 on the 1st.", "80.00", date(2026, 7, 1)),
    ],
)
def test_an_amount_and_a_date_said_together_suggest_a_promise(said: str, amount: str, due: date) -> None:
    [promise] = [s for s in rules.suggestions(said, CALL_DAY) if s.kind == "promise"]

    assert (promise.amount, promise.due) == (amount, due)
    assert promise.text == said


def test_a_dispute_and_a_new_name_are_suggested_and_nothing_without_them() -> None:
    said = "There is a dispute about the quantity. You can speak to Dana Ortiz in finance."

    found = rules.suggestions(said, CALL_DAY)
    nothing = rules.suggestions("We will pay invoice 1034 soon. Thank you.", CALL_DAY)

    assert [(s.kind, s.name) for s in found] == [("dispute", None), ("contact", "Dana Ortiz")]
    assert nothing == []
    assert rules.suggestions("My name is Pat.", CALL_DAY, known_names=("Pat",)) == []


def test_a_model_directory_without_its_files_is_an_error_never_a_download(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"")

    with pytest.raises(ArrearsError, match=r"config\.json, tokenizer\.json missing"):
        WhisperTranscriber(tmp_path).transcribe(tmp_path / "call.wav")
