"""A planning pass reads in a read-only transaction and writes in short slices: a click's write
goes through in the middle of a pass, and no write of the pass holds more than a slice."""

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlmodel import col, select

import scheduler.tick as tick
from bench.bench_planning import NOW, build, planning_deps
from scheduler import outbox
from scheduler.outbox import Planned
from scheduler.rules import Planner
from scheduler.tick import PLAN_CHUNK, plan_due
from storage.db import SQLITE_BUSY_TIMEOUT_MS
from storage.models import Delivery, Pairing

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
    insert = outbox.insert_prepared

    def counted(session: Any, documents: Any) -> int:
        inserted = insert(session, documents)
        sizes.append(inserted)
        return inserted

    monkeypatch.setattr(outbox, "insert_prepared", counted)
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
