"""Planning stays set-based: the database work of a pass grows in line with the pairings, never
with their square.

SQLite's virtual machine counts the work deterministically (a progress handler is called every
thousand instructions), so the test needs no timing. The data is the planning benchmark's mix.
"""

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.bench_planning import NOW, build
from scheduler.rules import Planner
from storage.db import make_engine
from storage.migrate import upgrade

SMALL, LARGE = 800, 3_200


def _work(tmp_path: Path, size: int, rule: Callable[[Planner], object]) -> int:
    """Thousands of SQLite instructions one rule (all of its queries) runs over ``size`` pairs."""
    engine: Engine = make_engine(f"sqlite:///{tmp_path / f'scale-{size}.db'}")
    try:
        upgrade(engine)
        build(engine, size)
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0  # carry on

        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            conn.connection.dbapi_connection.set_progress_handler(count, 1_000)  # type: ignore[union-attr]
            with Session(bind=conn) as session:
                list(rule(Planner(session, now=NOW)))  # type: ignore[call-overload]
                session.rollback()
        return steps
    finally:
        engine.dispose()


def test_lapse_detection_grows_linearly_with_pairings(tmp_path: Path) -> None:
    """Whether a pair has a session booked is looked up by pairing, not by scanning every
    booked session of the workspace once per pairing."""
    small = _work(tmp_path, SMALL, Planner.lapses)
    large = _work(tmp_path, LARGE, Planner.lapses)
    assert large < 6 * small, (small, large)


def test_a_whole_planning_pass_grows_linearly_with_pairings(tmp_path: Path) -> None:
    small = _work(tmp_path, SMALL, Planner.plan)
    large = _work(tmp_path, LARGE, Planner.plan)
    assert large < 6 * small, (small, large)
