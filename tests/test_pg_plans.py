"""Each rule's query, planned by PostgreSQL as the planner runs it (through a cursor, in the
planning transaction), reads through its intended index and never scans the pairings or the
meetings where it should look a few up: the pass the bot runs every minute."""

from collections.abc import Iterator
from datetime import time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session

from bench.bench_planning import NOW, build, planning_deps
from scheduler.rules import _JOINS_BY_PROBE, Planner, _distinct_weeks
from scheduler.tick import plan_due
from storage.db import make_engine
from storage.migrate import upgrade

pytestmark = pytest.mark.postgres

# Enough rows that an index beats reading the table, as at any real size.
PAIRINGS = 3_000

# Rule, the indexes its queries must read, and the tables they must not scan whole.
EXPECTED: tuple[tuple[str, str, set[str]], ...] = (
    ("agenda_prompts", "ix_meeting_status_start", {"meeting", "pairing"}),
    ("session_reminders", "ix_meeting_status_start", {"meeting", "pairing"}),
    ("scorecards", "ix_meeting_status_start", {"meeting", "pairing"}),
    ("did_you_meet", "ix_meeting_status_start", {"meeting", "pairing"}),
    ("reassessments", "ix_pairing_reassessment", {"meeting", "pairing"}),
    ("due_reminders", "ix_goal_due_date ix_milestone_due_date", {"meeting", "pairing"}),
    # Each program's pairs quiet since its nudge point (the kept last-held moment) whose gap
    # is not noted planned, and for each of them one probe of its booked sessions.
    ("lapses", "ix_pairing_lapse_nudge ix_pairing_lapse_escalation", {"meeting", "pairing"}),
)


@pytest.fixture(scope="module")
def seeded(postgres_url: str) -> Iterator[Engine]:
    """The benchmark's mix on the throwaway server after its catch-up pass, analysed as
    autovacuum would (one build for every rule)."""
    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    build(engine, PAIRINGS)
    plan_due(planning_deps(engine, NOW))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    yield engine
    engine.dispose()


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _cursor_plans(engine: Engine, rule: str) -> list[dict[str, Any]]:
    """The plans of the rule's cursor queries, as PostgreSQL plans them in that transaction."""
    queries: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, statement: str, params: Any, context: Any, _many: bool) -> None:
        if context is not None and context.execution_options.get("yield_per"):
            queries.append((statement, params))

    with Session(engine) as session:
        conn = session.connection()
        event.listen(conn, "before_cursor_execute", grab)
        try:
            list(getattr(Planner(session, now=NOW + timedelta(minutes=1)), rule)())
        finally:
            event.remove(conn, "before_cursor_execute", grab)
        raw = conn.connection.dbapi_connection
        assert raw is not None
        plans = []
        # Same transaction: the planner's SET LOCAL settings are those these plans see.
        for number, (statement, params) in enumerate(queries):
            cursor = raw.cursor()
            cursor.execute(_JOINS_BY_PROBE.text)  # as ``Planner._rows`` declares each cursor
            declare = f"DECLARE plan_{number} CURSOR FOR {statement}"
            cursor.execute(f"EXPLAIN (FORMAT JSON) {declare}", params)
            row = cursor.fetchone()
            assert row is not None
            plans.append(row[0][0]["Plan"])
        session.rollback()
    return plans


@pytest.mark.parametrize(("rule", "index", "unscanned"), EXPECTED)
def test_rule_reads_through_its_index(
    seeded: Engine, rule: str, index: str, unscanned: set[str]
) -> None:
    plans = _cursor_plans(seeded, rule)
    assert plans, f"{rule} ran no query"
    nodes = [node for plan in plans for node in _nodes(plan)]
    assert set(index.split()) <= {node.get("Index Name") for node in nodes}, (rule, plans)
    scanned = {node.get("Relation Name") for node in nodes if node["Node Type"] == "Seq Scan"}
    assert not scanned & unscanned, (rule, scanned)
    # A nested loop rescanning a materialised subquery for every outer row: what made a lapse
    # pass quadratic under a cursor's first-rows planning.
    for node in nodes:
        if node["Node Type"] == "Nested Loop":
            inner = node["Plans"][1]["Node Type"]
            assert inner != "Materialize", (rule, node)


def test_the_working_weeks_are_found_by_probes_not_a_scan(seeded: Engine) -> None:
    """A pass reads the distinct working weeks through ``ix_participant_hours``, one probe a
    week, never every participant; and finds exactly what ``SELECT DISTINCT`` finds."""
    weeks = _distinct_weeks("postgresql")
    with seeded.connect() as conn:
        conn.execute(
            text(
                "UPDATE participant SET work_start = :start, work_end = :end, work_days = :days"
                " WHERE id <= 40"
            ),
            {"start": time(7, 30), "end": time(15, 0), "days": "1234"},
        )
        found = set(conn.execute(weeks).all())
        distinct = set(
            conn.execute(
                text("SELECT DISTINCT timezone, work_start, work_end, work_days FROM participant")
            ).all()
        )
        conn.execute(text("SET LOCAL cursor_tuple_fraction = 1"))
        plan = conn.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {weeks.text}")).scalar_one()
        conn.rollback()  # the module's data as it was
    assert found == distinct
    assert len(found) > 8  # the bench's timezones, and some of them with other hours
    nodes = list(_nodes(plan[0]["Plan"]))
    assert "ix_participant_hours" in {node.get("Index Name") for node in nodes}
    read = [
        node["Actual Rows"] * node["Actual Loops"]
        for node in nodes
        if node.get("Relation Name") == "participant"
    ]
    assert 0 < sum(read) <= len(found) + 1, plan  # a row a week, not the 6,000 participants
