"""SQLite's planner statistics: written at start and every few hours by housekeeping, so it
chooses indexes by the data rather than by guesses as the tables grow."""

from sqlalchemy import Engine, text

from bench.bench_planning import NOW, build, planning_deps
from scheduler.jobs import refresh_database_statistics

# Two pairs' booked sessions in time order, as ``/mentor status`` asks for a mentor's
# (``sessions.upcoming_meetings``): without statistics SQLite reads every booked session of the
# workspace in time order through ``ix_meeting_status_start``.
UPCOMING = (
    "SELECT id FROM meeting WHERE pairing_id IN (7, 9) AND status = 'scheduled'"
    " AND scheduled_start > '2026-04-14 00:00:00.000000' ORDER BY scheduled_start, id"
)


def _plan(engine: Engine) -> str:
    with engine.connect() as conn:
        return " ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {UPCOMING}"))


def test_statistics_are_written_and_steer_a_pairs_sessions_to_its_index(engine: Engine) -> None:
    build(engine, 2_000)  # which refreshes them, as the bot does at start: forget them first
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE sqlite_stat1")
    engine.dispose()
    assert "ix_meeting_status_start" in _plan(engine)  # the guess, before any statistics
    refresh_database_statistics(planning_deps(engine, NOW))
    with engine.connect() as conn:
        analysed = {row[0] for row in conn.execute(text("SELECT tbl FROM sqlite_stat1"))}
    assert {"meeting", "pairing", "participant", "goal"} <= analysed
    assert "ix_meeting_pairing_booked" in _plan(engine)
    # Again: a second run rewrites them and changes nothing else.
    refresh_database_statistics(planning_deps(engine, NOW))
    assert "ix_meeting_pairing_booked" in _plan(engine)
