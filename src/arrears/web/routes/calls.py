"""A call task's recording: the upload from the task's actions, and its audio played in the page.

The upload is a multipart form (CSRF-checked like every form), refused before it is read when it is
larger than ARREARS_CALLS_MAX_MB. The transcription runs on the worker (PostgreSQL), or in this
process once the answer is sent (SQLite): the task shows "transcribing…" meanwhile."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import FileResponse, Response

from ...domain.errors import NotFound
from ...services import calls
from ..pages import BadForm, TaskId, WebRoute, WebState, WebUser, checked_form, local_path, redirect

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FORM_OVERHEAD = 64 * 1024  # the multipart boundaries and the small fields around the file


@router.post("/tasks/{task_id}/recording")
async def upload(request: Request, task_id: TaskId, user: WebUser, web: WebState) -> Response:
    settings = web.arrears.call_settings()
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise BadForm("the upload did not say how large it is: send the recording from the task's actions", 411)
    if int(declared) > settings.max_bytes + FORM_OVERHEAD:
        raise BadForm(f"the recording is too large: at most {settings.max_bytes / 1_000_000:.0f} MB", 413)
    try:
        form = await request.form(max_files=1, max_fields=10)
    except HTTPException as error:
        raise BadForm(f"the upload could not be read: {error.detail}") from None
    fields = await checked_form(request)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        raise BadForm("choose a recording (WAV, MP3 or OGG) to upload")
    data = await file.read(settings.max_bytes + 1)
    arrears = web.arrears
    found = await run_in_threadpool(  # decoding the audio takes a moment: not on the event loop
        calls.attach_recording,
        arrears.uow(),
        arrears.audio_store(),
        arrears.audio_probe(),
        user,
        task_id,
        data,
        file.filename,
        settings,
    )
    work = await run_in_threadpool(arrears.start_transcription, found.id)  # PostgreSQL: queue the worker's job
    request.state.session.flash(f"Recording {found.filename} attached: transcribing…")
    response = redirect(local_path(fields.get("back"), "/tasks"))
    if work is not None:
        response.background = BackgroundTask(work)
    return response


@router.get("/tasks/{task_id}/recording/audio")
def audio(task_id: TaskId, user: WebUser, web: WebState) -> Response:
    """The recording's audio for the page's player: its own content type, never sniffed."""
    found = calls.task_recording(web.arrears.uow(), user, task_id)
    if found is None:
        raise NotFound(f"task {task_id} has no recording")
    path, content_type = calls.audio(web.arrears.uow(), web.arrears.audio_store(), user, found.id)
    return FileResponse(
        path,
        media_type=content_type,
        headers={"x-content-type-options": "nosniff", "cache-control": "private, no-store"},
    )
