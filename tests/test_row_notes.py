"""Sessions, goals and milestones note, per rule, when they are worth reading again (migration
0012), and the planner passes over them until then: it must plan exactly what it would plan
without the notes, on SQLite and on PostgreSQL.

The oracle is the same pass over the same data with every note cleared, run in a transaction
that is rolled back before the real pass; whatever changes what a note was worked out from (a
session moved in place, a due date, a person's working week, a program's rule settings) clears
it by trigger, and the two must still agree after each such change.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bench.bench_planning import NOW, build, planning_deps
from scheduler.rules import NOTED, Planner
from scheduler.tick import plan_due
from storage.db import session_scope
from storage.models import (
    NEVER,
    NO_WAIT,
    Delivery,
    Goal,
    Meeting,
    Milestone,
    Pairing,
    Participant,
)

PAIRINGS = 150
# Every note the planner keeps, and its "nothing noted" value.
CLEARED: dict[str, dict[str, Any]] = {
    "meeting": {
        "agenda_prompt_after": NO_WAIT,
        "scorecard_after": NO_WAIT,
        "did_you_meet_after": NO_WAIT,
    },
    "goal": {"due_reminder_after": NO_WAIT},
    "milestone": {"due_reminder_after": NO_WAIT},
    "pairing": {
        "lapse_nudged_for": None,
        "lapse_escalated_for": None,
        "reassessed_period": 0,
        "lapse_nudge_after": NO_WAIT,
        "reassess_after": NO_WAIT,
    },
}


def _clear_notes(session: Session) -> None:
    for table, columns in CLEARED.items():
        session.execute(NOTED[table].update().values(columns))


def _unnoted(engine: Engine, now: datetime) -> set[tuple[str, datetime]]:
    """What a pass at ``now`` would plan with no notes at all: left undone (rolled back)."""
    with Session(engine) as session:
        _clear_notes(session)
        planned = {(p.dedupe_key, p.due_at) for p in Planner(session, now=now).plan()}
        session.rollback()
    return planned


def _outbox(engine: Engine) -> set[tuple[str, datetime]]:
    with session_scope(engine) as session:
        return {(row.dedupe_key, row.due_at) for row in session.exec(select(Delivery))}


def _passes(start: datetime, hours: int, every: timedelta) -> Iterator[datetime]:
    moment = start
    while moment < start + timedelta(hours=hours):
        yield moment
        moment += every


def _changes(engine: Engine, now: datetime) -> None:
    """What people and leads change between two passes: a session moved in place, a goal's
    and a milestone's due date, the timezone and working hours of people whose prompts wait
    for their working day, a program's settings."""
    with session_scope(engine) as session:
        meeting = session.exec(
            select(Meeting)
            .where(Meeting.scheduled_start > now + timedelta(hours=30))  # type: ignore[operator]
            .order_by(Meeting.id)  # type: ignore[arg-type]
        ).first()
        assert meeting is not None
        meeting.scheduled_start = now + timedelta(hours=20)
        goal = session.exec(select(Goal).order_by(Goal.id)).first()  # type: ignore[arg-type]
        assert goal is not None
        goal.due_date = (now + timedelta(days=2)).date()
        milestone = session.exec(select(Milestone).order_by(Milestone.id)).first()  # type: ignore[arg-type]
        assert milestone is not None
        milestone.due_date = (now + timedelta(days=1)).date()
        waiting = session.exec(
            select(Pairing.mentee_id)
            .join(Meeting, Meeting.pairing_id == Pairing.id)  # type: ignore[arg-type]
            .where(Meeting.agenda_prompt_after > NO_WAIT, Meeting.agenda_prompt_after < NEVER)
        ).all()
        assert waiting, "no prompt waits for its person's working day"
        for person in session.exec(select(Participant).where(col(Participant.id).in_(waiting))):
            # At work now: what waited for their morning is due at once.
            person.timezone = "Europe/London"
            person.work_start, person.work_end = time(8, 0), time(20, 0)
        session.execute(
            text("UPDATE program SET rule_settings = :settings WHERE id = 2"),
            {"settings": '{"agenda_prompt_hours": 48, "due_reminder_days": 4}'},
        )


def test_notes_leave_out_only_what_needs_no_pass(any_engine: Engine) -> None:
    """Passes every ten minutes for 16 hours, with people changing things on the way:
    each pass plans exactly what the same pass plans with every note cleared, and the notes
    do take rows out of the passes (sessions and goals noted planned, and waiting)."""
    build(any_engine, PAIRINGS)
    changed = False
    for moment in _passes(NOW, hours=16, every=timedelta(minutes=10)):
        if not changed and moment >= NOW + timedelta(hours=1):
            _changes(any_engine, moment)
            changed = True
        expected = _unnoted(any_engine, moment)
        before = _outbox(any_engine)
        plan_due(planning_deps(any_engine, moment))
        assert _outbox(any_engine) - before == expected, moment
    with session_scope(any_engine) as session:
        planned = session.exec(select(Meeting.id).where(Meeting.agenda_prompt_after == NEVER))
        waiting = session.exec(
            select(Meeting.id).where(
                Meeting.did_you_meet_after > NO_WAIT,
                Meeting.did_you_meet_after < NEVER,
            )
        )
        assert planned.first() is not None
        assert waiting.first() is not None


def _wait(engine: Engine, table: str, row_id: int, column: str) -> datetime:
    rows = NOTED[table]
    with engine.connect() as conn:
        value: datetime = conn.execute(
            sa_select(rows.c[column]).where(rows.c.id == row_id)
        ).scalar_one()
    return value


FAR = datetime(2030, 1, 1, tzinfo=UTC)


def _noted_everywhere(engine: Engine) -> None:
    """Every wait of every row set to one far moment."""
    with session_scope(engine) as session:
        for table, columns in CLEARED.items():
            waits = {column: FAR for column, value in columns.items() if value == NO_WAIT}
            session.execute(NOTED[table].update().values(waits))


def _ids(engine: Engine, sql: str, **params: Any) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).scalars())


def test_what_a_wait_was_worked_out_from_clears_it(any_engine: Engine) -> None:
    """The triggers: a change to a session's time, a due date, a person's week or a program's
    rule settings clears the waits worked out from it, and no others."""
    build(any_engine, 60)
    _noted_everywhere(any_engine)
    far = FAR
    meeting_id, other_meeting = _ids(any_engine, "SELECT id FROM meeting ORDER BY id LIMIT 2")
    goal_id = _ids(any_engine, "SELECT id FROM goal ORDER BY id LIMIT 1")[0]
    milestone_id = _ids(any_engine, "SELECT id FROM milestone ORDER BY id LIMIT 1")[0]
    with session_scope(any_engine) as session:
        session.execute(
            text("UPDATE meeting SET duration_minutes = duration_minutes + 15 WHERE id = :id"),
            {"id": meeting_id},
        )
        session.execute(
            text("UPDATE goal SET due_date = :day WHERE id = :id"),
            {"day": date(2026, 6, 1), "id": goal_id},
        )
        session.execute(
            text("UPDATE milestone SET due_date = :day WHERE id = :id"),
            {"day": date(2026, 6, 1), "id": milestone_id},
        )
        # Written again as it was: nothing it was worked out from changed.
        session.execute(
            text("UPDATE meeting SET scheduled_start = scheduled_start WHERE id = :id"),
            {"id": other_meeting},
        )
    for column in CLEARED["meeting"]:
        assert _wait(any_engine, "meeting", meeting_id, column) == NO_WAIT
        assert _wait(any_engine, "meeting", other_meeting, column) == far
    assert _wait(any_engine, "goal", goal_id, "due_reminder_after") == NO_WAIT
    assert _wait(any_engine, "milestone", milestone_id, "due_reminder_after") == NO_WAIT

    _noted_everywhere(any_engine)
    person = _ids(any_engine, "SELECT mentee_id FROM pairing ORDER BY id LIMIT 1")[0]
    theirs = _ids(
        any_engine,
        "SELECT id FROM pairing WHERE mentor_id = :p OR mentee_id = :p",
        p=person,
    )
    booked = _ids(
        any_engine,
        "SELECT id FROM meeting WHERE status = 'scheduled' AND pairing_id = :pairing",
        pairing=theirs[0],
    )
    goals = _ids(any_engine, "SELECT id FROM goal WHERE pairing_id = :p", p=theirs[0])
    assert booked
    assert goals
    with session_scope(any_engine) as session:
        session.execute(
            text("UPDATE participant SET timezone = 'Pacific/Auckland' WHERE id = :id"),
            {"id": person},
        )
    for pairing in theirs:
        assert _wait(any_engine, "pairing", pairing, "lapse_nudge_after") == NO_WAIT
        assert _wait(any_engine, "pairing", pairing, "reassess_after") == NO_WAIT
    for meeting in booked:
        assert _wait(any_engine, "meeting", meeting, "agenda_prompt_after") == NO_WAIT
    for goal in goals:
        assert _wait(any_engine, "goal", goal, "due_reminder_after") == NO_WAIT
    untouched = _ids(
        any_engine,
        "SELECT id FROM pairing WHERE mentor_id <> :p AND mentee_id <> :p ORDER BY id LIMIT 1",
        p=person,
    )[0]
    assert _wait(any_engine, "pairing", untouched, "lapse_nudge_after") == far

    _noted_everywhere(any_engine)
    program_id = _ids(any_engine, "SELECT program_id FROM pairing WHERE id = :id", id=theirs[0])[0]
    with session_scope(any_engine) as session:
        session.execute(
            text("UPDATE program SET rule_settings = :settings WHERE id = :id"),
            {"settings": '{"did_you_meet_hours": 48}', "id": program_id},
        )
    for meeting in booked:
        assert _wait(any_engine, "meeting", meeting, "did_you_meet_after") == NO_WAIT
    # The pairings' own waits are about working days, not settings: kept.
    assert _wait(any_engine, "pairing", theirs[0], "reassess_after") == far
