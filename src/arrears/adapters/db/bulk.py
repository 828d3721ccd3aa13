"""Many rows in one INSERT on PostgreSQL: each column sent as one array and unnested, so that the
statement has a few bound parameters whatever the number of rows. (A multi-row VALUES list has ten
thousand, and the driver parses its text again for every batch: most of the time of a large write.)
SQLite has no arrays: its writers keep executemany."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Table, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY


def unnested(table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], **constants: Any) -> Select[Any]:
    """SELECT the `rows` (one value per name of `columns`, in that order) and the `constants` (the
    same value on every row), each typed as the column of `table` it goes into, for
    `insert(table).from_select([*columns, *constants], ...)`."""
    arrays = [
        bindparam(f"rows_{name}", [row[n] for row in rows], type_=ARRAY(table.c[name].type))
        for n, name in enumerate(columns)
    ]
    values = func.unnest(*arrays).table_valued(*columns).render_derived()
    fixed = [literal(value, table.c[name].type).label(name) for name, value in constants.items()]
    return select(*(values.c[name] for name in columns), *fixed)
