"""The import page: upload a CSV file of one kind, check it or import it, and see the counts or every
error by line (docs/csv.md; the same service as `arrears import`).

The import runs inside the request: the form parser spools the file to a temporary file, then
`import_csv` streams it. With app.js ("The import page") the browser sends the form itself, shows the
upload's progress, then polls `/import/progress/RUN` every 500 ms for how much of the file the import
has read (`Arrears.import_progress`: in the database on PostgreSQL, so that a poll answered by
another server process finds it too; in this process's memory on SQLite), and shows the answer in
place. Without the
script the form posts as usual and the answer comes when the import is done. Who may import is the
service's call: managers and owners.

"The file lists every invoice of its customers" is `arrears import invoices FILE --complete`: the open
invoices of the file's customers that it leaves out are closed as void (audited), and the answer lists
them; a check (dry run) lists those it would close."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from ...domain.permissions import Action, allowed
from ...domain.records import COLUMNS, KINDS
from ...domain.users import User
from ...services import imports
from ..pages import BadForm, Web, WebRoute, WebState, WebUser, checked_form, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
FORM_OVERHEAD = 64 * 1024  # the multipart boundaries and the small fields around the file
MAX_UPLOAD_TEXT = "50 MB"
RUN_ID = re.compile(r"[0-9a-f]{32}")
PROGRESS_EVERY = 0.25  # seconds between two reports of an import's progress (the page asks every 0.5 s)


@dataclass(frozen=True)
class Upload:
    fields: dict[str, str]
    file: UploadFile | None
    problem: BadForm | None = None  # too large or unreadable: answered on the import page, nothing read


async def upload_form(request: Request) -> Upload:
    """The multipart form of the import page: refused before it is read when it is too large (the
    page says why), then checked for its CSRF token like every form."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        problem = BadForm("the upload did not say how large it is: send the file from the import page", 411)
        return Upload({}, None, problem)
    if int(declared) > MAX_UPLOAD_BYTES + FORM_OVERHEAD:
        problem = BadForm(
            f"the file is too large ({int(declared) / 1024 / 1024:.1f} MB): the limit is {MAX_UPLOAD_TEXT}; "
            "split it into smaller files and import them one after the other",
            413,
        )
        return Upload({}, None, problem)
    try:
        form = await request.form(max_files=1, max_fields=10)
    except HTTPException as error:
        return Upload({}, None, BadForm(f"the upload could not be read: {error.detail}"))
    fields = await checked_form(request)
    file = form.get("file")
    return Upload(fields, file if isinstance(file, UploadFile) else None)


UploadForm = Annotated[Upload, Depends(upload_form)]


def _page(request: Request, user: User, status: int = 200, /, **context: object) -> Response:
    return render(
        request,
        "import.html",
        status,
        user=user,
        kinds=KINDS,
        columns=COLUMNS,
        can_import=allowed(user, Action.WRITE_LEDGER),
        limit=MAX_UPLOAD_TEXT,
        **{"kind": "customers", "dry_run": False, "ignore_unknown": False, "complete": False, **context},
    )


@router.get("/import")
def import_page(request: Request, user: WebUser) -> Response:
    return _page(request, user)


@router.post("/import")
def import_file(request: Request, user: WebUser, web: WebState, upload: UploadForm) -> Response:
    """Import (or, with "check only", dry-run) the uploaded file; answers with the counts, or with the
    errors by line and nothing changed."""
    try:
        return _import(request, user, web, upload)
    except BadForm as problem:
        fields = upload.fields
        kind = fields.get("kind", "") if fields.get("kind", "") in KINDS else "customers"
        options = {
            "kind": kind,
            "dry_run": fields.get("dry_run") == "1",
            "ignore_unknown": fields.get("ignore_unknown") == "1",
            "complete": fields.get("complete") == "1",
        }
        return _page(request, user, problem.status, problem=problem.message, **options)
    finally:
        if upload.file is not None:
            upload.file.file.close()  # the spooled upload: deleted as soon as it is closed


def _import(request: Request, user: User, web: Web, upload: Upload) -> Response:
    if upload.problem is not None:
        raise upload.problem
    kind = upload.fields.get("kind", "")
    if kind not in KINDS:
        raise BadForm(f"choose what the file holds: one of {', '.join(KINDS)}")
    file = upload.file
    if file is None or not file.filename:
        raise BadForm("choose a CSV file to import")
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise BadForm(f"the file is too large: the limit is {MAX_UPLOAD_TEXT}", 413)
    filename = PurePosixPath(file.filename.replace("\\", "/")).name[:200] or "upload.csv"
    dry_run = upload.fields.get("dry_run") == "1"
    ignore_unknown = upload.fields.get("ignore_unknown") == "1"
    complete = upload.fields.get("complete") == "1"
    if complete and kind != "invoices":
        raise BadForm("“The file lists every invoice of its customers” is for invoices only: untick it for this file")
    options = {
        "kind": kind,
        "dry_run": dry_run,
        "ignore_unknown": ignore_unknown,
        "complete": complete,
        "filename": filename,
    }
    runs, run = web.arrears.import_progress, upload.fields.get("run", "")
    reported = RUN_ID.fullmatch(run) is not None
    total = file.size or 0
    last = [0.0]  # when the progress was last reported

    def progress(done: int) -> None:
        now = time.monotonic()
        if reported and now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            runs.update(user.id, run, done, total)

    try:
        file.file.seek(0)
        summary = imports.import_csv_as(
            web.arrears.uow(),
            user,
            kind,
            file.file,
            filename,
            dry_run=dry_run,
            ignore_unknown=ignore_unknown,
            progress=progress,
            complete=complete,
        )
    except imports.ImportRejected as rejected:
        report = rejected.report
        shown = report.lines()[: len(report.shown)]
        return _page(request, user, 422, rejected=report, problems=shown, more=report.total - len(shown), **options)
    finally:
        if reported:
            runs.finish(user.id, run)
    return _page(request, user, summary=summary, **options)


@router.get("/import/progress/{run}")
def import_progress(run: str, user: WebUser, web: WebState) -> Response:
    """How much of its file the signed-in user's import `run` has read: {"read": bytes, "total": bytes},
    or {"read": null} when no such import runs (not started, finished, or, on SQLite, in another process)."""
    found = web.arrears.import_progress.get(user.id, run) if RUN_ID.fullmatch(run) else None
    read, total = found if found is not None else (None, None)
    return JSONResponse({"read": read, "total": total})
