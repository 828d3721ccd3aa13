"""Call recordings and their transcripts, as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from ...domain.calls import CONTENT_TYPES, RecordingStatus
from ...services.call_ports import Recording


class SegmentOut(BaseModel):
    """A stretch of speech, its start and end in milliseconds from the start of the recording."""

    start_ms: int
    end_ms: int
    text: str


class RecordingOut(BaseModel):
    """A call task's recording: `status` pending, transcribing, done or failed (`error` says why; the
    worker tries again). `transcript` is null until done; `has_audio` turns false once the retention
    (ARREARS_CALLS_RETENTION_DAYS) deleted the audio, the transcript staying."""

    id: int
    task_id: int
    filename: str
    format: str
    content_type: str
    size: int
    duration_ms: int
    status: RecordingStatus
    attempts: int
    error: str | None
    has_audio: bool
    audio_url: str | None
    transcript: str | None
    segments: list[SegmentOut]
    language: str | None
    created_at: datetime
    transcribed_at: datetime | None
    audio_deleted_at: datetime | None

    @classmethod
    def of(cls, found: Recording) -> RecordingOut:
        done = found.status == RecordingStatus.DONE
        return cls(
            id=found.id,
            task_id=found.task_id,
            filename=found.filename,
            format=found.format.value,
            content_type=CONTENT_TYPES[found.format],
            size=found.size,
            duration_ms=found.duration_ms,
            status=RecordingStatus(found.status),
            attempts=found.attempts,
            error=found.error,
            has_audio=found.has_audio,
            audio_url=f"/api/v1/tasks/{found.task_id}/recording/audio" if found.has_audio else None,
            transcript=found.transcript if done else None,
            segments=[
                SegmentOut(start_ms=round(s.start * 1000), end_ms=round(s.end * 1000), text=s.text)
                for s in found.segments
            ],
            language=found.language,
            created_at=found.created_at,
            transcribed_at=found.transcribed_at,
            audio_deleted_at=found.audio_deleted_at,
        )
