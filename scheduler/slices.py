"""How a planning pass writes what it found: slices of messages, with their flags and notes.

The rules read in one read-only transaction and hand their messages over in chunks; each chunk,
with the red flags raised with its messages and the notes on the rows it completes, is one
short write (a slice; on PostgreSQL one transaction per document of messages, ``put``). Two ways
to write it:

- ``InlineSlices`` writes each slice where the pass runs, between two chunks of reading: SQLite,
  whose engine runs in the bot's own process (there is nothing to overlap with);
- ``PostgresSlices`` hands each slice to a thread of its own, which sends it to the server as
  one statement string, one round trip: the server inserts and updates on its own core while
  the pass reads and prepares the next chunk. A slice is a whole transaction on the server, so
  how long it holds its rows is the server's time alone, never a wait for this process's GIL;
  the server measures it.

At most ``IN_FLIGHT`` slices wait for the server while the next is prepared: memory stays that
of a few chunks. The slices are written one after another, and after a failed one the rest are
dropped: the pass stops with its error a few chunks later, having written nothing after it.
"""

import json
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

import psycopg
from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool

from scheduler import outbox
from scheduler.rules import (
    FLAG_UNIQUE,
    NOTED,
    Notes,
    Writes,
    note_batches,
    raise_flags,
    set_notes,
)
from storage.sql import notes_update

# Slices handed to the server and not yet written, at most: the pass reads on while the server
# catches up with a slow slice (a checkpoint's moment), and memory stays a few chunks'.
IN_FLIGHT = 3


# Red flags raised with a slice's messages, as rows of ``flag`` (``Planner.take_flags``).
Flags = Sequence[dict[str, Any]]
_FLAG_COLUMNS = "team_id, program_id, pairing_id, kind, dedupe_key, detail, raised_at, escalated_at"
_FLAGS_SQL = (
    f"INSERT INTO flag ({_FLAG_COLUMNS}) SELECT {_FLAG_COLUMNS}"  # noqa: S608 - our names
    " FROM json_populate_recordset(NULL::flag, %(rows)s::json)"
    f" ON CONFLICT ({', '.join(FLAG_UNIQUE)}) DO NOTHING"
)


def _iso(value: Any) -> str:
    """A flag's moment in the JSON document, as ``timestamptz`` reads it."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a flag row")


class Slices(Protocol):
    """Where a planning pass writes its slices."""

    def put(self, documents: list[str], notes: Notes, flags: Flags = ()) -> None:
        """Write ``outbox.prepare``'s documents, the red flags raised with them and the notes
        of the rows they complete (the notes never without their messages)."""

    def finish(self) -> tuple[int, float]:
        """Wait for every slice: (messages new to the outbox, longest hold in seconds)."""


class InlineSlices:
    """Each slice written at once, in the pass's own thread (SQLite)."""

    def __init__(self, writes: Writes, timed: "HoldTimer") -> None:
        self._writes = writes
        self._timed = timed
        self._enqueued = 0

    def put(self, documents: list[str], notes: Notes, flags: Flags = ()) -> None:
        """Write the slice now: the messages, their flags and the first ``NOTE_BATCH`` notes
        in one unit of work, the other notes (rows read that had nothing due) after it, a
        batch a unit: each commit rewrites the pages it touched, so fewer is faster."""
        batches = note_batches(notes)
        first = next(batches, {})  # batched before the write begins: nothing to hold it up
        with self._writes() as session:
            self._enqueued += outbox.insert_prepared(session, documents)
            raise_flags(session, flags)
            set_notes(session, first)
        for batch in batches:
            with self._writes() as session:
                set_notes(session, batch)

    def finish(self) -> tuple[int, float]:
        """Every slice is written already."""
        return self._enqueued, self._timed.longest


class HoldTimer(Protocol):
    """What ``scheduler.tick.TimedWrites`` tells: its longest unit of work so far."""

    @property
    def longest(self) -> float:
        """Seconds."""


class PostgresSlices:
    """Each slice one statement string on a connection of its own, sent by a thread of its own
    while the pass reads on (PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._insert = outbox.insert_sql(engine.dialect)
        self._pooled = engine.raw_connection()
        connection = self._pooled.driver_connection
        if not isinstance(connection, psycopg.Connection):
            raise TypeError(f"PostgreSQL through psycopg 3 only, not {type(connection)}")
        connection.rollback()  # whatever the pool's ping began
        connection.autocommit = True  # each slice is its own (implicit) transaction
        self._connection = connection
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="planning-slices")
        self._in_flight: deque[Future[tuple[int, float]]] = deque()
        self._enqueued = 0
        self._longest = 0.0
        self._closed = False
        self._failed = False

    def put(self, documents: list[str], notes: Notes, flags: Flags = ()) -> None:
        """Queue this slice, once fewer than ``IN_FLIGHT`` are waiting for the server: the
        messages, their flags and the first ``NOTE_BATCH`` notes. So that no transaction holds
        its rows long, the messages go a document a transaction (``outbox.DOCUMENT_BYTES``:
        several only for the largest messages), the flags and those notes with the last one,
        after their messages; the other notes (rows read that had nothing due) follow in
        transactions of their own. Should a failure come after a flag's messages and before
        the flag, the next pass finds the gap unflagged and raises it (its leads' messages are
        in the outbox already, and go once)."""
        batches = note_batches(notes)
        for document in documents[:-1]:
            self._queue([document], {}, ())
        self._queue(documents[-1:], next(batches, {}), flags)
        for batch in batches:
            self._queue([], batch, ())

    def _queue(self, documents: list[str], notes: Notes, flags: Flags) -> None:
        self._collect(keep=IN_FLIGHT - 1)
        self._in_flight.append(self._thread.submit(self._send, documents, notes, flags))

    def finish(self) -> tuple[int, float]:
        """Wait for the last slice; the connection goes back to the pool."""
        try:
            self._collect()
        finally:
            self.close()
        return self._enqueued, self._longest

    def close(self) -> None:
        """Give the connection back (after any slice still on it), whatever happened."""
        if self._closed:
            return
        self._closed = True
        self._thread.shutdown(wait=True)
        try:
            self._connection.autocommit = False
        except psycopg.Error:
            self._pooled.invalidate()  # broken: the pool must not hand it out again
        self._pooled.close()

    def _collect(self, *, keep: int = 0) -> None:
        """Wait until at most ``keep`` slices are in flight."""
        while len(self._in_flight) > keep:
            enqueued, held = self._in_flight.popleft().result()
            self._enqueued += enqueued
            self._longest = max(self._longest, held)

    def _script(self, documents: list[str], notes: Notes, flags: Flags) -> str:
        """The slice as one string: its transaction begins and ends on the server. The
        messages' inserts come first (``_run`` counts what they add)."""
        cursor = psycopg.ClientCursor(self._connection)
        statements = ["SET LOCAL synchronous_commit = off"]
        statements += [cursor.mogrify(self._insert, {"rows": d}) for d in documents]
        if flags:
            rows = json.dumps(list(flags), default=_iso, separators=(",", ":"))
            statements.append(cursor.mogrify(_FLAGS_SQL, {"rows": rows}))
        for table, columns in notes.items():
            sql, params = notes_update(NOTED[table], columns)
            statements.append(cursor.mogrify(sql, params))
        # How long the slice has held what it wrote, by the server's clock, at its end.
        statements.append("SELECT extract(epoch FROM clock_timestamp() - transaction_timestamp())")
        return ";\n".join(statements)

    def _send(self, documents: list[str], notes: Notes, flags: Flags) -> tuple[int, float]:
        """Write one slice, in the slices' thread: the only one that uses the connection.
        After a failed slice the later ones are dropped: the pass raises that failure when it
        collects it, before any of theirs."""
        if self._failed:
            return 0, 0.0
        try:
            return self._run(self._script(documents, notes, flags), len(documents))
        except BaseException:
            self._failed = True
            raise

    def _run(self, script: str, inserts: int) -> tuple[int, float]:
        started = time.perf_counter()
        cursor = self._connection.cursor()
        cursor.execute(script)  # no parameters: one simple query, one transaction
        enqueued = 0
        held: float | None = None
        while True:
            status = cursor.statusmessage or ""
            if status.startswith("INSERT") and inserts:
                enqueued += cursor.rowcount  # one of the messages' inserts
                inserts -= 1
            elif status.startswith("SELECT"):
                row = cursor.fetchone()
                held = float(row[0]) if row else None
            if not cursor.nextset():
                break
        # The server's own measure; the round trip's if it gave none.
        return enqueued, held if held is not None else time.perf_counter() - started


@contextmanager
def slices_for(engine: Engine, writes: Writes, timed: HoldTimer) -> Iterator[Slices]:
    """The way this database writes a pass's slices; the background one is always closed."""
    if engine.dialect.name != "postgresql" or isinstance(engine.pool, StaticPool):
        yield InlineSlices(writes, timed)
        return
    background = PostgresSlices(engine)
    try:
        yield background
    except BaseException:
        background.close()
        raise
