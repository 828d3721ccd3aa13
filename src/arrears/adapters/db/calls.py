"""Call recordings' rows: the audio's key, the transcription's state and the transcript with its
segments (services/call_ports.py). The audio itself is a file (adapters/audio.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from ...domain.calls import AudioFormat, RecordingStatus, Segment, Transcript
from ...services.call_ports import NewRecording, Recording
from . import tables as t

CHUNK = 900
STUCK = timedelta(hours=3)  # a recording "transcribing" for longer was left by a process that died


def _segments(text: str | None) -> tuple[Segment, ...]:
    if not text:
        return ()
    return tuple(Segment(float(s["start"]), float(s["end"]), str(s["text"])) for s in json.loads(text))


def _recording(row: Any) -> Recording:
    return Recording(
        id=row.id,
        task_id=row.task_id,
        customer_id=row.customer_id,
        filename=row.filename,
        format=AudioFormat(row.format),
        size=int(row.size),
        duration_ms=int(row.duration_ms),
        storage_key=row.storage_key,
        status=row.status,
        attempts=int(row.attempts),
        error=row.error,
        transcript=row.transcript,
        segments=_segments(row.segments),
        language=row.language,
        created_at=row.created_at,
        transcribed_at=row.transcribed_at,
        audio_deleted_at=row.audio_deleted_at,
    )


class SqlCalls:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, new: NewRecording) -> int:
        r = t.call_recordings
        result = self.connection.execute(
            insert(r)
            .values(
                task_id=new.task_id,
                customer_id=new.customer_id,
                filename=new.filename,
                format=new.format.value,
                size=new.size,
                duration_ms=new.duration_ms,
                storage_key=new.storage_key,
                status=RecordingStatus.PENDING.value,
                created_by=new.created_by,
                created_at=new.created_at,
                updated_at=new.created_at,
            )
            .returning(r.c.id)
        )
        return int(result.scalar_one())

    def recording(self, recording_id: int) -> Recording | None:
        row = self.connection.execute(
            select(t.call_recordings).where(t.call_recordings.c.id == recording_id)
        ).one_or_none()
        return None if row is None else _recording(row)

    def of_task(self, task_id: int) -> Recording | None:
        row = self.connection.execute(
            select(t.call_recordings).where(t.call_recordings.c.task_id == task_id)
        ).one_or_none()
        return None if row is None else _recording(row)

    def of_tasks(self, task_ids: Sequence[int]) -> dict[int, Recording]:
        found: dict[int, Recording] = {}
        ids = list(task_ids)
        for start in range(0, len(ids), CHUNK):
            for row in self.connection.execute(
                select(t.call_recordings).where(t.call_recordings.c.task_id.in_(ids[start : start + CHUNK]))
            ):
                found[row.task_id] = _recording(row)
        return found

    def of_customer(self, customer_id: int, limit: int) -> list[Recording]:
        r = t.call_recordings
        rows = self.connection.execute(
            select(r).where(r.c.customer_id == customer_id).order_by(r.c.created_at.desc(), r.c.id.desc()).limit(limit)
        )
        return [_recording(row) for row in rows]

    def start(self, recording_id: int, at: datetime) -> bool:
        r = t.call_recordings
        result = self.connection.execute(
            update(r)
            .where(r.c.id == recording_id, r.c.status != RecordingStatus.DONE.value)
            .values(status=RecordingStatus.TRANSCRIBING.value, attempts=r.c.attempts + 1, updated_at=at)
        )
        return result.rowcount == 1

    def finish(self, recording_id: int, transcript: Transcript, at: datetime) -> None:
        r = t.call_recordings
        segments = [
            {"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text.strip()} for s in transcript.segments
        ]
        self.connection.execute(
            update(r)
            .where(r.c.id == recording_id)
            .values(
                status=RecordingStatus.DONE.value,
                error=None,
                transcript=transcript.text,
                segments=json.dumps(segments, ensure_ascii=False),
                language=transcript.language[:16] or None,
                transcribed_at=at,
                updated_at=at,
            )
        )

    def fail(self, recording_id: int, error: str, at: datetime) -> None:
        r = t.call_recordings
        self.connection.execute(
            update(r)
            .where(r.c.id == recording_id)
            .values(status=RecordingStatus.FAILED.value, error=error, updated_at=at)
        )

    def waiting(self, before: datetime, limit: int) -> list[int]:
        r = t.call_recordings
        return [
            int(row.id)
            for row in self.connection.execute(
                select(r.c.id)
                .where(
                    or_(
                        and_(
                            r.c.status.in_((RecordingStatus.PENDING.value, RecordingStatus.FAILED.value)),
                            r.c.updated_at < before,
                        ),
                        # a transcription whose process died half-way (none takes hours)
                        and_(r.c.status == RecordingStatus.TRANSCRIBING.value, r.c.updated_at < before - STUCK),
                    ),
                    r.c.storage_key.is_not(None),
                )
                .order_by(r.c.created_at, r.c.id)
                .limit(limit)
            )
        ]

    def with_audio_before(self, before: datetime, limit: int) -> list[Recording]:
        r = t.call_recordings
        rows = self.connection.execute(
            select(r)
            .where(r.c.storage_key.is_not(None), r.c.created_at < before)
            .order_by(r.c.created_at, r.c.id)
            .limit(limit)
        )
        return [_recording(row) for row in rows]

    def audio_deleted(self, recording_id: int, at: datetime) -> None:
        r = t.call_recordings
        self.connection.execute(
            update(r).where(r.c.id == recording_id).values(storage_key=None, audio_deleted_at=at, updated_at=at)
        )
