"""The unit of work and the column types every table relies on."""

import multiprocessing
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError, StatementError
from sqlalchemy.pool import QueuePool
from sqlmodel import select

from storage.db import (
    WriteTurns,
    awaited,
    awaiting,
    make_engine,
    read_engine,
    read_scope,
    session_scope,
)
from storage.enums import ProgramStatus
from storage.models import Program, Workspace


def _program(**overrides: object) -> Program:
    values: dict[str, object] = {
        "team_id": "T1",
        "name": "Spring cohort",
        "start_date": date(2026, 3, 1),
        "created_by": "U1",
    }
    values.update(overrides)
    return Program.model_validate(values)


def test_session_scope_commits_once_at_the_end(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Workspace(team_id="T1", name="Acme"))
    with session_scope(engine) as session:
        assert session.get(Workspace, "T1") is not None


def test_session_scope_rolls_back_everything_on_error(engine: Engine) -> None:
    def add_then_fail() -> None:
        with session_scope(engine) as session:
            session.add(Workspace(team_id="T2"))
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        add_then_fail()
    with session_scope(engine) as session:
        assert session.get(Workspace, "T2") is None


def test_a_sqlite_read_unit_runs_its_own_statements_only_and_writes_nothing(
    engine: Engine,
) -> None:
    statements: list[str] = []
    reader = read_engine(engine)

    @event.listens_for(reader, "before_cursor_execute")
    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.split()[0])

    with read_scope(engine) as session:
        assert session.get(Workspace, "T1") is None
        with pytest.raises(OperationalError, match="readonly"):
            session.execute(text("INSERT INTO workspace (team_id, name) VALUES ('T1', 'x')"))
    # Its BEGIN, the read and the refused write: query_only is the connection's from the start.
    assert statements == ["BEGIN", "SELECT", "INSERT"]
    with session_scope(engine) as session:
        session.add(Workspace(team_id="T1", name="Acme"))  # the bot's own pool still writes
    engine.dispose()
    pool = reader.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedin() == 0  # the readers' pool went with the bot's


def _impatient(engine: Engine) -> None:
    """SQLite's own waiting off: a writer that finds the lock taken fails at once."""

    @event.listens_for(engine, "connect")
    def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    engine.dispose()  # the pool's connections are made again, with it


def test_this_processs_sqlite_writers_take_turns_instead_of_colliding(engine: Engine) -> None:
    _impatient(engine)
    writers, writes = 8, 15
    failures: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        start.wait()
        try:
            for i in range(writes):
                with session_scope(engine) as session:
                    session.add(Workspace(team_id=f"T{n}-{i}", name="Acme"))
                    session.flush()
        except BaseException as error:  # reported below, every one
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []  # without the turns: "database is locked"
    with session_scope(engine) as session:
        assert len(session.exec(select(Workspace)).all()) == writers * writes


def test_a_write_nested_in_a_write_on_the_same_thread_is_still_its_turn(engine: Engine) -> None:
    """Reentrant: the inner unit does not wait for the outer one's turn (it would wait forever);
    it waits for SQLite's lock as it always did, and gives up after the busy timeout."""
    _impatient(engine)
    with session_scope(engine) as outer:
        outer.add(Workspace(team_id="T1", name="Acme"))
        outer.flush()
        with pytest.raises(OperationalError, match="locked"), session_scope(engine) as inner:
            inner.connection()  # BEGIN IMMEDIATE


def _write_in_turns(url: str, name: str, writes: int, start: "EventType") -> None:
    """A process of its own: ``writes`` short writes, with SQLite's own waiting off (exit 1 if
    one found the database locked)."""
    engine = make_engine(url, processes=3)
    _impatient(engine)
    start.wait(30)
    try:
        for i in range(writes):
            with session_scope(engine) as session:
                session.add(Workspace(team_id=f"{name}-{i}", name="Acme"))
                session.flush()
                time.sleep(0.002)  # the lock held a while: the other process's writer comes
    except OperationalError:
        sys.exit(1)


def test_processes_writing_one_sqlite_database_take_turns_too(engine: Engine) -> None:
    """Several workers of one copy (bot.wiring.workers) write one database: the writer whose
    turn it is in its process also waits for the other processes' (a lock file beside the
    database), where SQLite would have failed it at once with busy waiting off."""
    url = engine.url.render_as_string(hide_password=False)
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Event()
    writers = [
        spawn.Process(target=_write_in_turns, args=(url, f"P{n}", 60, start)) for n in range(3)
    ]
    for writer in writers:
        writer.start()
    start.set()
    for writer in writers:
        writer.join(60)
    assert [writer.exitcode for writer in writers] == [0, 0, 0]  # none found it locked
    with read_scope(engine) as session:
        assert len(session.exec(select(Workspace)).all()) == 3 * 60
    lock_file = Path(str(engine.url.database) + "-writers")
    assert lock_file.stat().st_mode & 0o777 == 0o600  # the bot's own, as the database is


def test_a_database_one_process_writes_has_no_lock_file(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Workspace(team_id="T1", name="Acme"))
    assert not Path(str(engine.url.database) + "-writers").exists()


def _queue_behind(turns: WriteTurns, *writers: tuple[str, bool]) -> list[str]:
    """Hold ``turns``, queue ``writers`` (name, awaited) one after another, let go: the order
    their turns came in."""
    order: list[str] = []
    assert turns.acquire(awaited=False, timeout=1)
    threads = []
    for name, awaited_write in writers:

        def write(name: str = name, awaited_write: bool = awaited_write) -> None:
            assert turns.acquire(awaited=awaited_write, timeout=10)
            order.append(name)
            turns.release()

        threads.append(threading.Thread(target=write))
        threads[-1].start()
        # Queued before the next one starts: the turns' own queues show it.
        _wait_for(lambda: len(turns._awaited) + len(turns._others) == len(threads))
    turns.release()
    for thread in threads:
        thread.join()
    return order


def _wait_for(condition: Callable[[], bool]) -> None:
    for _ in range(2_000):
        if condition():
            return
        time.sleep(0.001)  # another thread, not a schedule, is awaited
    raise AssertionError("never happened")


def test_a_write_someone_awaits_goes_before_background_writes() -> None:
    """A form's save (awaited by its ack) is not queued behind work after other acks; each kind
    keeps the order it came in."""
    order = _queue_behind(
        WriteTurns(), ("click 1", False), ("form 1", True), ("click 2", False), ("form 2", True)
    )
    assert order == ["form 1", "form 2", "click 1", "click 2"]


def test_background_writes_are_not_starved_by_awaited_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """A background writer that has waited its patience out goes next, forms or not."""
    monkeypatch.setattr("storage.db.BACKGROUND_PATIENCE_S", 0.0)
    order = _queue_behind(WriteTurns(), ("planner", False), ("form", True))
    assert order == ["planner", "form"]


def test_a_writer_whose_wait_runs_out_leaves_the_queue() -> None:
    turns = WriteTurns()
    assert turns.acquire(awaited=False, timeout=1)
    outcome: list[bool] = []
    waiter = threading.Thread(
        target=lambda: outcome.append(turns.acquire(awaited=True, timeout=0.05))
    )
    waiter.start()
    waiter.join()
    assert outcome == [False]
    assert not turns._awaited  # the turn is never handed to a writer that is gone
    turns.release()
    assert turns.acquire(awaited=False, timeout=0)  # free again at once
    turns.release()


def test_writes_are_awaited_only_inside_awaited() -> None:
    assert not awaiting()
    with awaited():
        assert awaiting()
        seen: list[bool] = []
        other = threading.Thread(target=lambda: seen.append(awaiting()))
        other.start()
        other.join()
        assert seen == [False]  # another thread's writes are its own
    assert not awaiting()


def test_datetimes_come_back_aware_utc(engine: Engine) -> None:
    berlin = timezone(timedelta(hours=1))
    with session_scope(engine) as session:
        session.add(_program(closed_at=datetime(2026, 3, 2, 10, 0, tzinfo=berlin)))
    with session_scope(engine) as session:
        program = session.exec(select(Program)).one()
        assert program.closed_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        assert program.closed_at.tzinfo is UTC


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    naive = datetime(2026, 3, 2, 10, 0)
    with session_scope(engine) as session:
        session.add(_program(closed_at=naive))
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()
        session.rollback()


def test_enums_round_trip_and_unknown_values_are_refused(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(_program(status=ProgramStatus.ENROLLING))
    with session_scope(engine) as session:
        assert session.exec(select(Program)).one().status is ProgramStatus.ENROLLING
    with session_scope(engine) as session:
        program = _program(name="Other")
        program.status = "sleeping"  # type: ignore[assignment]
        session.add(program)
        with pytest.raises(StatementError):
            session.flush()
        session.rollback()
