"""A planning pass reads in a read-only transaction and writes in short slices: a click's write
goes through in the middle of a pass, and no write of the pass holds more than a slice."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, make_url, text
from sqlmodel import col, select

import scheduler.tick as tick
from bench.bench_planning import NOW, build, planning_deps
from scheduler import outbox, slices
from scheduler.outbox import Planned
from scheduler.rules import Planner
from scheduler.tick import PLAN_CHUNK, plan_due
from storage.db import SQLITE_BUSY_TIMEOUT_MS
from storage.models import Delivery, Flag, Pairing
from storage.sql import notes_update

PAIRINGS = 1_500


@pytest.fixture
def seeded(any_engine: Engine) -> Engine:
    build(any_engine, PAIRINGS)
    return any_engine


def test_a_write_goes_through_while_a_pass_reads(
    seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Half-way through the rules, another unit of work writes and commits at once (on SQLite,
    a pass that held the write lock would make it wait out the busy timeout and fail)."""
    deps = planning_deps(seeded, NOW)
    waited: list[float] = []

    class Interrupted(Planner):
        def plan(self) -> Iterator[Planned]:
            for number, planned in enumerate(super().plan()):
                if number == PLAN_CHUNK + 1:  # one slice written, the next being read
                    started = time.perf_counter()
                    with seeded.connect() as conn:
                        _busy_timeout(conn, 0)  # a lock held elsewhere fails at once
                        with conn.begin():
                            conn.execute(text("UPDATE pairing SET match_score = 1 WHERE id = 1"))
                        _busy_timeout(conn, SQLITE_BUSY_TIMEOUT_MS)
                    waited.append(time.perf_counter() - started)
                yield planned

    monkeypatch.setattr(tick, "Planner", Interrupted)
    report = plan_due(deps)
    assert waited, "the pass planned too little to be interrupted"
    assert report.enqueued > 2 * PLAN_CHUNK
    with deps.read() as session:
        assert session.exec(select(Pairing.match_score).where(col(Pairing.id) == 1)).one() == 1


def test_a_pass_writes_a_slice_at_a_time(seeded: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every message goes in a write of at most ``PLAN_CHUNK`` messages, and the report says
    how long the longest write held the database."""
    deps = planning_deps(seeded, NOW)
    sizes: list[int] = []
    opened = slices.slices_for

    @contextmanager
    def counted(*args: Any) -> Iterator[Any]:
        with opened(*args) as inner:
            put = inner.put

            def put_counted(documents: list[str], notes: Any, flags: Any = ()) -> None:
                sizes.append(sum(len(json.loads(d)) for d in documents))
                put(documents, notes, flags)

            inner.put = put_counted  # type: ignore[method-assign]
            yield inner

    monkeypatch.setattr(tick, "slices_for", counted)
    report = plan_due(deps)
    assert sum(sizes) == report.enqueued > 2 * PLAN_CHUNK
    assert max(sizes) <= PLAN_CHUNK
    assert report.longest_hold > 0
    with deps.read() as session:
        assert len(session.exec(select(Delivery.id)).all()) == report.enqueued
    # A minute later nothing is planned twice.
    later = plan_due(planning_deps(seeded, NOW + timedelta(minutes=1)))
    with deps.read() as session:
        keys = session.exec(select(Delivery.dedupe_key)).all()
    assert len(keys) == len(set(keys)) == report.enqueued + later.enqueued


def test_the_reads_refuse_to_write(seeded: Engine) -> None:
    """The rules' transaction is read-only: a rule that wrote there would fail loudly."""
    deps = planning_deps(seeded, NOW)
    with deps.read() as session, pytest.raises(Exception, match=r"(?i)read.only|readonly"):
        session.execute(text("UPDATE pairing SET match_score = 2 WHERE id = 1"))


def _busy_timeout(conn: Connection, milliseconds: int) -> None:
    """SQLite: how long a write waits for another's lock before failing."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {milliseconds}")
        conn.commit()


@pytest.mark.postgres
def test_only_the_planners_writes_skip_waiting_for_the_disk(pg_engine: Engine) -> None:
    """PostgreSQL: a pass's slices commit without waiting for the disk (a crash loses nothing
    the next pass does not plan again); every other unit of work still waits."""
    # The throwaway server runs without waiting for the disk at all; this database does wait.
    with pg_engine.connect() as conn:
        name = conn.execute(text("SELECT current_database()")).scalar()
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = on'))
        conn.commit()
    pg_engine.dispose()
    deps = planning_deps(pg_engine, NOW)
    show = text("SHOW synchronous_commit")
    with tick.TimedWrites(deps)() as session:
        assert session.execute(show).scalar() == "off"
    with deps.session() as session:
        assert session.execute(show).scalar() == "on"
    with tick.TimedWrites(deps)() as session:
        session.execute(text("SELECT 1"))
    with deps.session() as session:  # SET LOCAL: it ended with its transaction
        assert session.execute(show).scalar() == "on"


@pytest.mark.postgres
def test_a_slice_is_its_messages_and_their_notes_or_nothing(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL writes each slice in a thread of its own as one transaction: when a slice
    fails, neither its messages nor its notes are kept, the pass stops with the error, and the
    connection goes back to the pool as it came (no transaction open, not in autocommit)."""
    build(pg_engine, 1_500)
    deps = planning_deps(pg_engine, NOW)
    original = notes_update
    put = slices.PostgresSlices.put
    messages: list[int] = []  # each slice's messages, in order
    flagged: list[int] = []  # each slice's red flags
    failed_at: list[int] = []  # the failing slice's place
    noted: list[set[int]] = []  # the pairings each slice with pairing notes notes

    def counted(self: Any, documents: list[str], notes: Any, flags: Any = ()) -> None:
        messages.append(sum(len(json.loads(d)) for d in documents))
        flagged.append(len(flags))
        put(self, documents, notes, flags)

    def failing(table: Any, notes: Any) -> tuple[str, dict[str, Any]]:
        sql, params = original(table, notes)
        if table.name != "pairing":
            return sql, params
        noted.append(set(params["ids"]))
        if len(noted) == 2:  # the second slice with pairing notes fails on the server
            failed_at.append(len(messages) - 1)
            sql = sql.replace("WHERE", "WHERE 1 / 0 = 1 AND")
        return sql, params

    monkeypatch.setattr(slices.PostgresSlices, "put", counted)
    monkeypatch.setattr(slices, "notes_update", failing)
    with pytest.raises(Exception, match="division by zero"):
        plan_due(deps)
    assert failed_at
    assert len(messages) > failed_at[0] + 1, "nothing was queued behind the failing slice"
    any_note = text(
        "SELECT id FROM pairing WHERE lapse_nudged_for IS NOT NULL"
        " OR lapse_escalated_for IS NOT NULL OR reassessed_period > 0"
        " OR lapse_nudge_after > :epoch OR reassess_after > :epoch"
    )
    with deps.read() as session:
        kept = len(session.exec(select(Delivery.id)).all())
        flags = len(session.exec(select(Flag.id)).all())
        kept_notes = set(session.execute(any_note, {"epoch": NOW - timedelta(days=3650)}).scalars())
    # The slices before the failing one are kept whole; of the failing one and those queued
    # behind it, nothing: no note without its messages, no message after a failure.
    assert kept == sum(messages[: failed_at[0]]) > 0
    assert kept_notes == noted[0]
    assert flags == sum(flagged[: failed_at[0]])
    assert sum(flagged) > flags, "no flag was raised with the failing slice or after it"
    raw = pg_engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert connection is not None
        assert connection.autocommit is False
        assert connection.info.transaction_status == 0  # idle
    finally:
        raw.close()
    monkeypatch.undo()
    report = plan_due(deps)  # the next pass plans it all
    assert report.enqueued > 0
    with deps.read() as session:
        assert len(session.exec(select(Delivery.id)).all()) == kept + report.enqueued


@pytest.mark.postgres
def test_a_pairings_notes_are_one_write(pg_engine: Engine) -> None:
    """``notes_update`` sets each row's notes in whichever columns it has them, once, and
    leaves its other columns as they were."""
    build(pg_engine, 3)
    table = Pairing.__table__  # type: ignore[attr-defined]
    later = NOW + timedelta(hours=5)
    notes: dict[str, list[tuple[int, Any]]] = {
        "lapse_nudge_after": [(1, later), (2, later)],
        "reassessed_period": [(2, 4), (3, 7)],
        "lapse_nudged_for": [],
    }
    sql, params = notes_update(table, notes)
    with pg_engine.connect() as conn:
        versions: dict[int, str] = dict(
            conn.execute(text("SELECT id, xmin::text FROM pairing")).all()
        )
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql, params)
        assert cursor.rowcount == 3
        conn.commit()
        rows = conn.execute(
            text("SELECT id, lapse_nudge_after, reassessed_period, xmin::text FROM pairing")
        ).all()
    found = {row.id: (row.lapse_nudge_after, row.reassessed_period) for row in rows}
    epoch = found[3][0]
    assert found == {1: (later, 0), 2: (later, 4), 3: (epoch, 7)}
    # Pairing 2, noted in two columns, became one new version, as each of the others did.
    assert len({row.xmin for row in rows} - set(versions.values())) == 1


def _large(number: int) -> Planned:
    """A message as large as a scorecard prompt (some 5 KB of blocks)."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 480}}] * 10
    return Planned(
        team_id="T0001",
        dedupe_key=f"large:{number}",
        rule="scorecard",
        recipient_id="U0001",
        payload={"blocks": blocks},
        due_at=NOW,
    )


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_documents_are_bounded_in_rows_and_bytes(dialect: str) -> None:
    """``outbox.prepare`` cuts its documents at ``ENQUEUE_CHUNK`` rows or ``DOCUMENT_BYTES``,
    and together they hold every row, in order."""
    engine_dialect = make_url(f"{dialect}://").get_dialect()()
    planned = [_large(number) for number in range(300)]
    documents = outbox.prepare(planned, now=NOW, dialect=engine_dialect)
    assert len(documents) > 1
    assert all(len(document) <= outbox.DOCUMENT_BYTES for document in documents)
    rows = [row for document in documents for row in json.loads(document)]
    assert len(rows) == len(planned)
    keys = [row["dedupe_key"] if isinstance(row, dict) else row[1] for row in rows]
    assert keys == [p.dedupe_key for p in planned]
    small = [replace(p, payload={"blocks": []}) for p in planned] * 2
    assert [len(json.loads(d)) for d in outbox.prepare(small, now=NOW, dialect=engine_dialect)] == [
        outbox.ENQUEUE_CHUNK,
        len(small) - outbox.ENQUEUE_CHUNK,
    ]


@pytest.mark.postgres
def test_a_chunk_of_large_messages_is_written_a_document_a_transaction(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a chunk larger than one document goes a document a transaction, its notes
    and flags with the last: every message is written, and no transaction holds more than one
    document's rows."""
    scripts: list[str] = []
    run = slices.PostgresSlices._run

    def recorded(self: Any, script: str, inserts: int) -> tuple[int, float]:
        scripts.append(script)
        return run(self, script, inserts)

    monkeypatch.setattr(slices.PostgresSlices, "_run", recorded)
    planned = [_large(number) for number in range(PLAN_CHUNK)]
    documents = outbox.prepare(planned, now=NOW, dialect=pg_engine.dialect)
    assert len(documents) > 1
    background = slices.PostgresSlices(pg_engine)
    background.put(documents, {}, [])
    enqueued, _ = background.finish()
    assert enqueued == PLAN_CHUNK
    assert len(scripts) == len(documents)
    assert all(script.count("INSERT INTO delivery") == 1 for script in scripts)
