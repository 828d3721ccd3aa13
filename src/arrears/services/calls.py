"""Calls, recorded and transcribed: attach a recording to a call task, transcribe it (on the worker,
or at once where none runs), play it back, and delete old audio while keeping its transcript.

A recording is checked before anything is stored: a call task, a size within the limit, a WAV, MP3
or OGG container read from its bytes, and the whole file decoded (a corrupt file is refused). The
audio goes to a directory (`AudioStore`), the row to the database; if the row cannot be written the
file is removed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..domain import calls as rules
from ..domain.audit import SYSTEM, Actor
from ..domain.errors import InvalidValue, NotFound
from ..domain.permissions import Action, require, require_task_update
from ..domain.tasks import TaskType
from ..domain.users import User
from .call_ports import AudioProbe, AudioStore, NewRecording, Recording, Transcriber
from .ports import UnitOfWork
from .tasks import record_audit

log = logging.getLogger("arrears.calls")


@dataclass(frozen=True, slots=True)
class CallSettings:
    """ARREARS_CALLS_MAX_MB and ARREARS_CALLS_RETENTION_DAYS."""

    max_bytes: int = rules.DEFAULT_MAX_MB * 1_000_000
    retention_days: int = 90


def attach_recording(
    uow: UnitOfWork,
    store: AudioStore,
    probe: AudioProbe,
    user: User,
    task_id: int,
    data: bytes,
    filename: str | None,
    settings: CallSettings,
) -> Recording:
    """Keep a call's recording on its call task (one per task); returns it, waiting to be transcribed.
    Refused, with nothing stored, when the task is not a call task, already has a recording, or the
    file is too large, not a WAV, MP3 or OGG recording, or corrupt."""
    rules.check_size(len(data), settings.max_bytes)
    fmt = rules.sniff_format(data[:16])
    with uow:
        task = uow.tasks.task(task_id)
        if task is None:
            raise NotFound(f"no task {task_id}")
        require_task_update(user, task.assignee_id)
        if task.type is not TaskType.CALL:
            raise InvalidValue(
                f"task {task_id} is not a call task ({task.type.value.replace('_', ' ')}): recordings go on call tasks"
            )
        if uow.calls.of_task(task_id) is not None:
            raise InvalidValue(f"task {task_id} already has a recording")
    duration_ms = probe.duration_ms(data, fmt)  # decodes it all: outside the transaction
    key = store.save(data, fmt)
    try:
        with uow:
            task = uow.tasks.task(task_id)
            if task is None:
                raise NotFound(f"no task {task_id}")
            if uow.calls.of_task(task_id) is not None:
                raise InvalidValue(f"task {task_id} already has a recording")
            now = uow.clock.now()
            name = rules.clean_filename(filename, fmt)
            by = Actor.of(user).user_id
            recording_id = uow.calls.add(
                NewRecording(task_id, task.customer_id, name, fmt, len(data), duration_ms, key, by, now)
            )
            record_audit(
                uow,
                user,
                "call_recording",
                recording_id,
                "recorded",
                f"Call recording attached to task {task_id} ({rules.clock_time(duration_ms / 1000)})",
                task.customer_id,
                {"task_id": task_id, "duration_ms": duration_ms, "format": fmt.value},
            )
            uow.commit()
            found = uow.calls.recording(recording_id)
    except BaseException:
        store.delete(key)
        raise
    assert found is not None
    return found


def transcribe(
    uow_factory: Callable[[], UnitOfWork], store: AudioStore, transcriber: Transcriber, recording_id: int
) -> Recording | None:
    """Transcribe one recording and store its transcript with its segments. A failure is recorded on
    the recording (its error shows on the task) and raised again, so that the job is retried; the
    recording stays. Returns None when there is nothing to do (done already, gone, audio deleted)."""
    with uow_factory() as uow:
        found = uow.calls.recording(recording_id)
        if found is None or found.status == rules.RecordingStatus.DONE or found.storage_key is None:
            return None
        if not uow.calls.start(recording_id, uow.clock.now()):
            return None
        uow.commit()
    try:
        path = store.path(found.storage_key)
        transcript = transcriber.transcribe(path)
    except Exception as error:
        log.warning("transcribing recording %s failed: %s", recording_id, error, exc_info=True)
        with uow_factory() as uow:
            uow.calls.fail(recording_id, rules.error_text(error), uow.clock.now())
            uow.commit()
        raise
    with uow_factory() as uow:
        now = uow.clock.now()
        uow.calls.finish(recording_id, transcript, now)
        words = transcript.text
        record_audit(
            uow,
            SYSTEM,
            "call_recording",
            recording_id,
            "transcribed",
            f"Call transcribed (task {found.task_id}): “{_excerpt(words)}”" if words else "Call transcribed: no speech",
            found.customer_id,
            {"task_id": found.task_id, "segments": len(transcript.segments)},
        )
        uow.commit()
        return uow.calls.recording(recording_id)


def _excerpt(text: str, length: int = 120) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def recording(uow: UnitOfWork, user: User, recording_id: int) -> Recording:
    require(user, Action.READ)
    with uow:
        found = uow.calls.recording(recording_id)
    if found is None:
        raise NotFound(f"no recording {recording_id}")
    return found


def task_recording(uow: UnitOfWork, user: User, task_id: int) -> Recording | None:
    require(user, Action.READ)
    with uow:
        if uow.tasks.task(task_id) is None:
            raise NotFound(f"no task {task_id}")
        return uow.calls.of_task(task_id)


def audio(uow: UnitOfWork, store: AudioStore, user: User, recording_id: int) -> tuple[Path, str]:
    """The file of a recording's audio and its content type (NotFound once retention deleted it)."""
    found = recording(uow, user, recording_id)
    if found.storage_key is None:
        raise NotFound(f"the audio of recording {recording_id} was deleted (its transcript is kept)")
    return store.path(found.storage_key), rules.CONTENT_TYPES[found.format]


def waiting(uow: UnitOfWork, older_than: timedelta, limit: int = 100) -> list[int]:
    """Recordings still waiting for a transcript for longer than `older_than` (a sweep defers them again)."""
    with uow:
        return uow.calls.waiting(uow.clock.now() - older_than, limit)


def delete_expired_audio(uow_factory: Callable[[], UnitOfWork], store: AudioStore, retention_days: int) -> int:
    """Delete the audio of recordings older than the retention (ARREARS_CALLS_RETENTION_DAYS), keeping
    their transcripts; each deletion is in the audit log. Returns how many were deleted."""
    if not rules.deletes_audio(retention_days):
        return 0
    deleted = 0
    while True:
        with uow_factory() as uow:
            now = uow.clock.now()
            due = uow.calls.with_audio_before(now - timedelta(days=retention_days), 200)
            if not due:
                return deleted
            for found in due:
                assert found.storage_key is not None
                store.delete(found.storage_key)
                uow.calls.audio_deleted(found.id, now)
                record_audit(
                    uow,
                    SYSTEM,
                    "call_recording",
                    found.id,
                    "audio_deleted",
                    f"Call recording's audio deleted after {retention_days} days (task {found.task_id}); "
                    "the transcript is kept",
                    found.customer_id,
                    {"task_id": found.task_id},
                )
            uow.commit()
            deleted += len(due)


def recording_document(found: Recording) -> dict[str, Any]:
    """A recording as the API and `arrears calls … --format json` show it."""
    return {
        "id": found.id,
        "task_id": found.task_id,
        "filename": found.filename,
        "format": found.format.value,
        "content_type": rules.CONTENT_TYPES[found.format],
        "size": found.size,
        "duration_ms": found.duration_ms,
        "status": found.status,
        "attempts": found.attempts,
        "error": found.error,
        "has_audio": found.has_audio,
        "transcript": found.transcript if found.status == rules.RecordingStatus.DONE else None,
        "segments": [
            {"start_ms": round(s.start * 1000), "end_ms": round(s.end * 1000), "text": s.text} for s in found.segments
        ],
        "language": found.language,
        "created_at": found.created_at.isoformat(),
        "transcribed_at": found.transcribed_at.isoformat() if found.transcribed_at else None,
        "audio_deleted_at": found.audio_deleted_at.isoformat() if found.audio_deleted_at else None,
    }
