"""The planner notes on each pairing what it has seen planned, and reads that pair no more for
it (migration 0011), on SQLite and on PostgreSQL: a lapse's gap until the pair meets and falls
quiet again, a re-assessment period until the next one.

A note is a promise that the messages are in the outbox, so it is written only after they are,
only when both sides' prompts are planned, and a lapse's escalation note is cleared when a lead
joins the program (who must still hear of the gaps already escalated).
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bench.bench_planning import planning_deps
from scheduler.rules import Planner
from scheduler.tick import plan_due
from storage.db import session_scope
from storage.enums import MeetingStatus
from storage.models import Delivery, Meeting, Pairing, Program, ProgramLead
from tests.pairs import add_weekly_pair

TEAM = "T0001"
STARTED = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday
# Monday two weeks on, 14:00 UTC: 15:00 in Berlin, 10:00 in New York. Both nudges (due from
# 12 March) and the escalation (due from 16 March 09:00 UTC) are due.
BOTH_AT_WORK = datetime(2026, 3, 16, 14, tzinfo=UTC)
# The same Monday at 08:30 UTC: Alice is at work in Berlin, Bob asleep in New York.
ONLY_BERLIN_AT_WORK = datetime(2026, 3, 16, 8, 30, tzinfo=UTC)


@pytest.fixture
def pair(any_engine: Engine) -> int:
    """Alice (Berlin) mentored by Bob (New York) in a weekly program; they never met."""
    return add_weekly_pair(any_engine, team_id=TEAM)


def _notes(engine: Engine, pairing_id: int) -> tuple[datetime | None, datetime | None]:
    with session_scope(engine) as session:
        pairing = session.get(Pairing, pairing_id)
        assert pairing is not None
        return pairing.lapse_nudged_for, pairing.lapse_escalated_for


def _planned(engine: Engine, rule: str) -> list[str]:
    with session_scope(engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.rule == rule)).all()
        return sorted(row.recipient_id for row in rows)


@pytest.fixture
def pairs_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pairings the rules read from the database (every rule makes a ``Pair`` of a row)."""
    read: list[int] = []
    make_pair = Planner._pair

    def counting(self: Planner, row: Any, *, sides: bool = False) -> Any:
        read.append(row.pairing_id)
        return make_pair(self, row, sides=sides)

    monkeypatch.setattr(Planner, "_pair", counting)
    return read


def test_a_planned_gap_is_noted_and_its_pair_not_read_again(
    any_engine: Engine, pair: int, pairs_read: list[int]
) -> None:
    assert plan_due(planning_deps(any_engine, BOTH_AT_WORK)).enqueued == 3
    assert _planned(any_engine, "lapse_nudge") == ["U0001", "U0002"]
    assert _planned(any_engine, "lapse_escalation") == ["UADMIN"]
    assert _notes(any_engine, pair) == (STARTED, STARTED)
    assert pairs_read == [pair, pair]  # once for the nudges, once for the escalation

    pairs_read.clear()
    later = BOTH_AT_WORK + timedelta(minutes=1)
    assert plan_due(planning_deps(any_engine, later)).enqueued == 0
    assert pairs_read == []


def test_a_pass_that_stops_before_its_messages_are_written_leaves_no_note(
    any_engine: Engine, pair: int
) -> None:
    with session_scope(any_engine) as session:
        planner = Planner(session, now=BOTH_AT_WORK)
        assert len(list(planner.plan())) == 3  # planned, never written, never recorded
    assert _notes(any_engine, pair) == (None, None)
    assert plan_due(planning_deps(any_engine, BOTH_AT_WORK)).enqueued == 3


def test_a_side_waiting_for_its_working_hours_leaves_the_pair_unread_until_then(
    any_engine: Engine, pair: int, pairs_read: list[int]
) -> None:
    assert plan_due(planning_deps(any_engine, ONLY_BERLIN_AT_WORK)).enqueued == 1
    assert _planned(any_engine, "lapse_nudge") == ["U0001"]
    assert _notes(any_engine, pair) == (None, None)
    # Bob's working day starts at 09:00 in New York, 13:00 UTC: read again a horizon before.
    with session_scope(any_engine) as session:
        pairing = session.get(Pairing, pair)
        assert pairing is not None
        assert pairing.lapse_nudge_after == datetime(2026, 3, 16, 12, 50, tzinfo=UTC)

    pairs_read.clear()
    quarter_later = ONLY_BERLIN_AT_WORK + timedelta(minutes=15)  # escalation not due yet
    assert plan_due(planning_deps(any_engine, quarter_later)).enqueued == 0
    assert pairs_read == []

    assert plan_due(planning_deps(any_engine, BOTH_AT_WORK)).enqueued == 2
    assert _planned(any_engine, "lapse_nudge") == ["U0001", "U0002"]
    assert _notes(any_engine, pair) == (STARTED, STARTED)


def test_a_session_held_starts_a_gap_no_note_names(any_engine: Engine, pair: int) -> None:
    plan_due(planning_deps(any_engine, BOTH_AT_WORK))
    held = datetime(2026, 3, 17, 15, tzinfo=UTC)
    _held(any_engine, pair, held)
    # Quiet again for over two weeks: a Wednesday afternoon, both at work.
    again = datetime(2026, 4, 1, 14, tzinfo=UTC)
    assert plan_due(planning_deps(any_engine, again)).enqueued == 3
    assert _planned(any_engine, "lapse_nudge") == ["U0001", "U0001", "U0002", "U0002"]
    assert _notes(any_engine, pair) == (held, held)


def test_a_lead_who_joins_later_hears_of_the_escalated_gap_once(
    any_engine: Engine, pair: int
) -> None:
    plan_due(planning_deps(any_engine, BOTH_AT_WORK))
    with session_scope(any_engine) as session:
        program = session.exec(select(Program)).one()
        session.add(
            ProgramLead(
                team_id=TEAM, program_id=program.id or 0, user_id="UCOLEAD", added_by="UADMIN"
            )
        )
    # The database cleared the program's escalation notes (whoever added the lead).
    assert _notes(any_engine, pair) == (STARTED, None)
    later = BOTH_AT_WORK + timedelta(hours=1)
    assert plan_due(planning_deps(any_engine, later)).enqueued == 1
    assert _planned(any_engine, "lapse_escalation") == ["UADMIN", "UCOLEAD"]
    assert _notes(any_engine, pair) == (STARTED, STARTED)
    assert plan_due(planning_deps(any_engine, later + timedelta(minutes=1))).enqueued == 0


def _held(engine: Engine, pairing_id: int, at: datetime) -> None:
    with session_scope(engine) as session:
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=pairing_id,
                status=MeetingStatus.HELD,
                scheduled_start=at,
                held_at=at,
                duration_minutes=60,
            )
        )


def test_a_reassessment_planned_is_noted_and_its_pair_not_read_again(
    any_engine: Engine, pair: int, pairs_read: list[int]
) -> None:
    _held(any_engine, pair, datetime(2026, 4, 10, 15, tzinfo=UTC))  # no lapse in the way
    six_weeks = datetime(2026, 4, 13, 14, tzinfo=UTC)  # Monday 13 April, both at work
    assert plan_due(planning_deps(any_engine, six_weeks)).enqueued == 2
    assert _planned(any_engine, "skill_reassessment") == ["U0001", "U0002"]
    with session_scope(any_engine) as session:
        pairing = session.get(Pairing, pair)
        assert pairing is not None
        assert pairing.reassessed_period == 1
    pairs_read.clear()
    assert plan_due(planning_deps(any_engine, six_weeks + timedelta(minutes=1))).enqueued == 0
    assert pairs_read == []
