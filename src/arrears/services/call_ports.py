"""What calls need from the world: where recordings' audio is kept (a directory, not database rows),
something that decodes a recording to be sure it is audio and how long it is, a speech-to-text model,
and the recordings' rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ..domain.calls import AudioFormat, Segment, Transcript


@dataclass(frozen=True, slots=True)
class NewRecording:
    task_id: int
    customer_id: int
    filename: str
    format: AudioFormat
    size: int
    duration_ms: int
    storage_key: str
    created_by: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Recording:
    """A call recording as the pages, the API and the CLI show it."""

    id: int
    task_id: int
    customer_id: int
    filename: str
    format: AudioFormat
    size: int
    duration_ms: int
    storage_key: str | None  # None once the audio was deleted (retention); the transcript stays
    status: str  # domain.calls.RecordingStatus
    attempts: int
    error: str | None
    transcript: str | None
    segments: tuple[Segment, ...]
    language: str | None
    created_at: datetime
    transcribed_at: datetime | None
    audio_deleted_at: datetime | None

    @property
    def has_audio(self) -> bool:
        return self.storage_key is not None

    @property
    def duration_seconds(self) -> float:
        return self.duration_ms / 1000


class Recordings(Protocol):
    """The recordings' rows (one per call task)."""

    def add(self, new: NewRecording) -> int: ...

    def recording(self, recording_id: int) -> Recording | None: ...

    def of_task(self, task_id: int) -> Recording | None: ...

    def of_tasks(self, task_ids: Sequence[int]) -> dict[int, Recording]: ...

    def of_customer(self, customer_id: int, limit: int) -> list[Recording]:
        """The customer's recordings, newest first."""

    def start(self, recording_id: int, at: datetime) -> bool:
        """Mark it transcribing (an attempt more); False when it is already done or gone."""

    def finish(self, recording_id: int, transcript: Transcript, at: datetime) -> None: ...

    def fail(self, recording_id: int, error: str, at: datetime) -> None: ...

    def waiting(self, before: datetime, limit: int) -> list[int]:
        """Recordings not transcribed (pending or failed) since before `before`, or left transcribing by a
        process that died: what a sweep defers again."""

    def with_audio_before(self, before: datetime, limit: int) -> list[Recording]:
        """Recordings whose audio is still kept and that were made before `before` (retention)."""

    def audio_deleted(self, recording_id: int, at: datetime) -> None: ...


class AudioStore(Protocol):
    """The recordings' audio, as files under one directory (ARREARS_CALLS_DIR)."""

    def save(self, data: bytes, fmt: AudioFormat) -> str:
        """Store the bytes; returns the key (a file name) they are kept under."""

    def path(self, key: str) -> Path:
        """Where the audio of `key` is (NotFound when it is not there)."""

    def delete(self, key: str) -> None:
        """Remove the audio of `key` (nothing when it is gone already)."""


class AudioProbe(Protocol):
    def duration_ms(self, data: bytes, fmt: AudioFormat) -> int:
        """Decode the whole recording; its duration in milliseconds. InvalidValue when it is not
        audio of that format or is corrupt."""


class Transcriber(Protocol):
    def transcribe(self, path: Path) -> Transcript:
        """What was said in the recording at `path`, segment by segment."""
