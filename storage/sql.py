"""SQL both backends spell differently: expressions compiled per dialect, idempotent inserts.

Planning builds outbox dedupe keys inside the database (to skip what is already planned without
reading it), so a few values must render as text exactly as Python renders them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CompoundSelect,
    Select,
    String,
    Table,
    bindparam,
    cast,
    literal,
    null,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import Insert as pg_insert_type
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as sqlite_insert_type
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session


class epoch_seconds(FunctionElement[int]):
    """Whole seconds since 1970 of a UTC timestamp column, as ``int(moment.timestamp())``."""

    type = BigInteger()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps UTC timestamps as naive ISO text, which strftime('%s') reads as UTC. Its
    # fraction is cut off first: strftime would round .9995 up to the next second.
    moment = compiler.process(element.clauses, **kw)
    return f"CAST(strftime('%s', substr({moment}, 1, 19)) AS BIGINT)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


class iso_date(FunctionElement[str]):
    """A date column as ``YYYY-MM-DD`` text, as ``day.isoformat()``."""

    type = String()
    name = "iso_date"
    inherit_cache = True


@compiles(iso_date, "sqlite")
def _iso_date_sqlite(element: iso_date, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite already stores dates as ISO text.
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(iso_date, "postgresql")
def _iso_date_postgresql(element: iso_date, compiler: SQLCompiler, **kw: Any) -> str:
    # Not a plain cast: its output follows the server's DateStyle.
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD')"


def text_key(*parts: str | ColumnElement[Any] | Mapped[Any]) -> ColumnElement[str]:
    """Parts joined by ``:`` in SQL, as ``":".join(...)`` joins them in Python.

    Text parts become one bound literal with their separators; columns and expressions are cast
    to text.
    """
    pieces: list[ColumnElement[Any]] = []
    text = ""
    for index, part in enumerate(parts):
        text += ":" if index else ""
        if isinstance(part, str):
            text += part
            continue
        if text:
            pieces.append(literal(text, String()))
            text = ""
        pieces.append(cast(part, String()))
    if text:
        pieces.append(literal(text, String()))
    key = pieces[0]
    for piece in pieces[1:]:
        key = key + piece
    return key


def upsert_into(session: Session, table: Table) -> pg_insert_type | sqlite_insert_type:
    """An INSERT into ``table`` that can turn into an UPDATE (``on_conflict_do_update``) or
    skip (``on_conflict_do_nothing``), on whichever backend the session is bound to: one
    statement, so that copies writing the same row at once never collide on its key."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def insert_new(session: Session, table: Table, *, unique: Sequence[str]) -> Insert:
    """An INSERT that skips rows whose ``unique`` columns are taken (``ON CONFLICT DO
    NOTHING``), on whichever backend the session is bound to.

    A plain Core insert on the table, not the ORM's: bulk planning writes thousands of rows and
    needs none of the unit of work's bookkeeping.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=list(unique))


def set_by_id(
    session: Session, table: Table, column: str, values: Sequence[tuple[int, Any]]
) -> None:
    """Set ``column`` of each row whose ``id`` is given to its value: a prepared statement per
    row, which costs little in-process (SQLite). PostgreSQL's planner writes a slice's notes as
    one statement instead (``notes_update``)."""
    if not values:
        return
    statement = (
        table.update().where(table.c.id == bindparam("row")).values({column: bindparam("value")})
    )
    session.execute(statement, [{"row": row, "value": value} for row, value in values])


def notes_update(
    table: Table, notes: Mapping[str, Sequence[tuple[int, Any]]]
) -> tuple[str, dict[str, Any]]:
    """PostgreSQL: one UPDATE that sets each row's notes, ``{column: [(id, value), ...]}``,
    whatever columns a row has notes in: a row is written once, however many of its columns
    change (each write of a row is a new version of it in every index). Returns the statement
    (psycopg's ``%(name)s`` parameters) and its parameters, an array a column.

    Values are never NULL: a row without a note in a column keeps its value (``coalesce``).
    """
    columns = sorted(name for name, values in notes.items() if values)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    by_row: dict[int, dict[str, Any]] = {}
    for name in columns:
        bind = table.c[name].type.bind_processor(dialect)  # a type's own conversion, if any
        for row, value in notes[name]:
            by_row.setdefault(row, {})[name] = value if bind is None else bind(value)
    arrays = ", ".join(
        f"%({name})s::{ARRAY(table.c[name].type).compile(dialect=dialect)}" for name in columns
    )
    sql = (
        f"UPDATE {table.name} SET "  # noqa: S608 - our own table and column names
        + ", ".join(f"{name} = coalesce(v.{name}, {table.name}.{name})" for name in columns)
        + f" FROM unnest(%(ids)s::integer[], {arrays}) AS v(id, {', '.join(columns)})"
        + f" WHERE {table.name}.id = v.id"
    )
    ids = list(by_row)
    params: dict[str, Any] = {"ids": ids}
    params |= {name: [by_row[row].get(name) for row in ids] for name in columns}
    return sql, params


@dataclass(frozen=True)
class Together:
    """Several small reads of one request run as one statement (``UNION ALL``), each read's
    rows given back as it would have returned them alone (``together`` builds it once).

    For reads that return a few rows of a column or two each (an id and a count): one
    statement's overhead instead of one each, and on PostgreSQL one round trip. The reads share
    their bind parameters by name, and none may have an ORDER BY of its own.
    """

    statement: "CompoundSelect[*tuple[Any, ...]]"
    widths: Mapping[str, int]

    def read(self, session: Session, params: Mapping[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
        """Each read's rows, by its name."""
        found: dict[str, list[tuple[Any, ...]]] = {name: [] for name in self.widths}
        for name, *values in session.execute(self.statement, dict(params)):
            found[name].append(tuple(values[: self.widths[name]]))
        return found


def together(reads: Mapping[str, "Select[*tuple[Any, ...]]"]) -> Together:
    """The reads, named, as one statement: each one's columns after its name, padded with
    NULLs to the widest read's width, each NULL typed as that read's column in its place
    (PostgreSQL takes an untyped NULL for text)."""
    widest = max((list(read.selected_columns) for read in reads.values()), key=len)
    branches = []
    for name, read in reads.items():
        columns = list(read.selected_columns)
        padding = [cast(null(), column.type) for column in widest[len(columns) :]]
        branches.append(read.with_only_columns(literal(name, String()), *columns, *padding))
    return Together(
        union_all(*branches), {name: len(read.selected_columns) for name, read in reads.items()}
    )
