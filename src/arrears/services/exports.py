"""Export the ledger in the import format, so that an export re-imports as "unchanged"."""

from __future__ import annotations

import csv
import json
from typing import TextIO

from ..domain.errors import ArrearsError
from ..domain.records import KINDS
from .ports import UnitOfWork

LATER = {"tasks": "the task list", "emails": "email delivery", "disputes": "disputes"}


def export(uow: UnitOfWork, kind: str, out: TextIO, *, fmt: str = "csv") -> int:
    """Write every record of `kind` to `out` as CSV or a JSON list; returns how many were written."""
    if kind in LATER:
        raise ArrearsError(f"exporting {kind} arrives with {LATER[kind]}; this version exports {', '.join(KINDS)}")
    if kind not in KINDS:
        raise ArrearsError(f"{kind!r} is not a kind of export: use one of {', '.join(KINDS)}")
    written = 0
    with uow:
        header, rows = uow.export.rows(kind)
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
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
