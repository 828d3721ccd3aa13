"""`arrears calls attach|transcribe|show`: call recordings on call tasks, transcribed on this machine
(services/calls.py decides). The terminal transcribes at once: it waits for the words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..domain.calls import clock_time
from ..domain.errors import ArrearsError, InvalidValue
from ..services import calls
from ..services.call_ports import Recording
from .app import OPERATOR, DatabaseUrl, SummaryFormat, app, err, fails_cleanly, workspace

if TYPE_CHECKING:
    from ..bootstrap import Arrears

calls_app = typer.Typer(
    help="Call recordings: attach one to a call task; it is transcribed offline, on this machine.",
    no_args_is_help=True,
)
app.add_typer(calls_app, name="calls")

Format = Annotated[SummaryFormat, typer.Option("--format", help="table or json.")]


def _read(file: Path, max_bytes: int) -> bytes:
    if not file.is_file():
        raise InvalidValue(f"{file}: no such file")
    size = file.stat().st_size
    if size > max_bytes:
        raise InvalidValue(
            f"{file}: the recording is {size / 1_000_000:.1f} MB; at most {max_bytes / 1_000_000:.0f} MB"
        )
    return file.read_bytes()


def _transcribe(arrears: Arrears, recording_id: int) -> Recording | None:
    """Transcribe at once; a failure is recorded on the recording and said on stderr (it stays, to try again)."""
    try:
        return arrears.transcribe_now(recording_id)
    except ArrearsError:
        raise
    except Exception as error:
        err.print(
            f"[bold yellow]warning:[/bold yellow] transcribing recording {recording_id} failed ({error}); "
            f"the recording is kept: try again with `arrears calls transcribe {recording_id}`",
            highlight=False,
            markup=True,
        )
        return None


def _show(found: Recording, fmt: SummaryFormat) -> None:
    if fmt is SummaryFormat.json:
        typer.echo(json.dumps(calls.recording_document(found), ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"recording {found.id} on task {found.task_id}: {found.filename}, {clock_time(found.duration_seconds)}, "
        f"{found.status}{' (' + found.error + ')' if found.error and found.status != 'done' else ''}"
    )
    for segment in found.segments:
        typer.echo(f"[{clock_time(segment.start)}] {segment.text}")


@calls_app.command("attach")
@fails_cleanly
def attach(
    task_id: Annotated[int, typer.Argument(help="The call task's id (arrears tasks).")],
    file: Annotated[Path, typer.Argument(help="A WAV, MP3 or OGG recording.")],
    transcribe: Annotated[bool, typer.Option(help="Transcribe it now (the default), or leave it waiting.")] = True,
    fmt: Format = SummaryFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Store a call's recording on its call task and transcribe it (offline, on this machine).

    The file's content decides what it is (WAV, MP3 or OGG), never its name; a corrupt file, or one
    over ARREARS_CALLS_MAX_MB, is refused and nothing is stored.

    Example: [bold]arrears calls attach 42 call-with-acme.mp3[/bold]
    """
    with workspace(database_url) as arrears:
        settings = arrears.call_settings()
        data = _read(file, settings.max_bytes)
        found: Recording | None = calls.attach_recording(
            arrears.uow(), arrears.audio_store(), arrears.audio_probe(), OPERATOR, task_id, data, file.name, settings
        )
        assert found is not None
        if transcribe:
            found = _transcribe(arrears, found.id) or calls.recording(arrears.uow(), OPERATOR, found.id)
        _show(found, fmt)


@calls_app.command("transcribe")
@fails_cleanly
def transcribe_waiting(
    recording_id: Annotated[int | None, typer.Argument(help="One recording; without it, every one waiting.")] = None,
    fmt: Format = SummaryFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Transcribe a recording again (after a failure), or every recording still waiting for its
    transcript (on SQLite, where no worker runs, from cron).

    Example: [bold]arrears calls transcribe[/bold]
    """
    from datetime import timedelta

    with workspace(database_url) as arrears:
        ids = [recording_id] if recording_id is not None else calls.waiting(arrears.uow(), timedelta(0), limit=1000)
        done: list[Recording] = []
        for one in ids:
            calls.recording(arrears.uow(), OPERATOR, one)  # NotFound for an unknown id
            found = _transcribe(arrears, one)
            if found is not None:
                done.append(found)
    if fmt is SummaryFormat.json:
        typer.echo(json.dumps([calls.recording_document(r) for r in done], ensure_ascii=False, indent=2))
        return
    if not ids:
        typer.echo("No recording is waiting for a transcript.")
    for found in done:
        _show(found, fmt)


@calls_app.command("show")
@fails_cleanly
def show(
    task_id: Annotated[int, typer.Argument(help="The call task's id.")],
    fmt: Format = SummaryFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """A call task's recording: its state and its transcript, segment by segment, with times."""
    with workspace(database_url) as arrears:
        found = calls.task_recording(arrears.uow(), OPERATOR, task_id)
    if found is None:
        raise InvalidValue(f"task {task_id} has no recording")
    _show(found, fmt)
