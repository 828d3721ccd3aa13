"""Export the ledger in the import format (an export re-imports as "unchanged"), and the task
list, emails and disputes as docs/csv.md lists them."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from ..domain.errors import ArrearsError
from ..domain.records import KINDS
from .ports import UnitOfWork
from .spreadsheets import spreadsheet_writer
from .tasks import TASK_FIELDS, explained, task_document
from .workspace_ports import TaskFilter

EXPORT_KINDS = (*KINDS, "tasks", "emails", "disputes")


def export(uow: UnitOfWork, kind: str, out: TextIO, *, fmt: str = "csv", spreadsheet_safe: bool = False) -> int:
    """Write every record of `kind` to `out` as CSV or a JSON list; returns how many were written.

    `spreadsheet_safe` (CSV only) writes cells that a spreadsheet cannot run as formulas
    (services/spreadsheets.py): for opening in a spreadsheet, no longer byte for byte re-importable."""
    if kind not in EXPORT_KINDS:
        raise ArrearsError(f"{kind!r} is not a kind of export: use one of {', '.join(EXPORT_KINDS)}")
    written = 0
    with uow:
        header, rows = _tasks(uow) if kind == "tasks" else uow.export.rows(kind)
        if fmt == "csv":
            writer = spreadsheet_writer(out) if spreadsheet_safe else csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow([";".join(v) if isinstance(v, list) else ("" if v is None else v) for v in row])
                written += 1
        else:
            out.write("[")
            for row in rows:
                out.write(
                    ("," if written else "")
                    + "\n  "
                    + json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False)
                )
                written += 1
            out.write("\n]\n" if written else "]\n")
    return written


def _tasks(uow: UnitOfWork) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """Every task, open or not, page by page, with the fields of `arrears tasks --format json`."""

    def rows() -> Iterator[tuple[Any, ...]]:
        offset: int | None = 0
        today = uow.clock.today()
        while offset is not None:
            page = uow.task_list.list_tasks(TaskFilter(status="all"), today, "due_date", 500, offset)
            for row in page.items:
                document = task_document(explained(row, today))
                yield tuple(document[name] for name in TASK_FIELDS)
            offset = page.next_offset

    return list(TASK_FIELDS), rows()
