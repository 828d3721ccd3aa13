"""/api/v1/tasks/{id}/recording: a call task's recording (upload, state and transcript, audio)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Path, UploadFile, status
from fastapi.responses import FileResponse

from ...domain.errors import NotFound
from ...services import calls
from ..deps import ArrearsApp, CurrentUser, Uow
from ..errors import ERRORS
from ..schemas import INT32
from ..schemas.calls import RecordingOut
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/tasks", tags=["calls"], responses=ERRORS)

TaskId = Annotated[int, Path(ge=1, le=INT32, examples=[1])]


@router.post("/{task_id}/recording", status_code=status.HTTP_201_CREATED)
def attach_recording(
    task_id: TaskId,
    file: Annotated[UploadFile, File(description="The call's recording: WAV, MP3 or OGG (read from its bytes)")],
    user: CurrentUser,
    uow: Uow,
    arrears: ArrearsApp,
    background: BackgroundTasks,
) -> RecordingOut:
    """Store a call's recording on a call task (multipart form, field `file`); it is transcribed
    offline, by the worker (PostgreSQL) or right after this answer (SQLite). 422 when the task is not
    a call task, already has a recording, or the file is too large, not audio, or corrupt: nothing is
    stored then."""
    settings = arrears.call_settings()
    data = file.file.read(settings.max_bytes + 1)
    found = calls.attach_recording(
        uow, arrears.audio_store(), arrears.audio_probe(), user, task_id, data, file.filename, settings
    )
    work = arrears.start_transcription(found.id)
    if work is not None:
        background.add_task(work)
    return RecordingOut.of(found)


@router.get("/{task_id}/recording")
def get_recording(task_id: TaskId, user: CurrentUser, uow: Uow) -> RecordingOut:
    """The call task's recording: its state, and once transcribed its transcript with segments."""
    found = calls.task_recording(uow, user, task_id)
    if found is None:
        raise NotFound(f"task {task_id} has no recording")
    return RecordingOut.of(found)


@router.get(
    "/{task_id}/recording/audio",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}, "audio/mpeg": {}, "audio/ogg": {}}}},
)
def get_audio(task_id: TaskId, user: CurrentUser, uow: Uow, arrears: ArrearsApp) -> FileResponse:
    """The recording's audio, with its content type (404 once the retention deleted it)."""
    found = calls.task_recording(uow, user, task_id)
    if found is None:
        raise NotFound(f"task {task_id} has no recording")
    path, content_type = calls.audio(arrears.uow(), arrears.audio_store(), user, found.id)
    return FileResponse(
        path,
        media_type=content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
