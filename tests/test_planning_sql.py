"""Planning builds dedupe keys in SQL to skip what the outbox holds: on both backends they must
be the very keys Python builds, or every pass would rebuild (and re-check) every message."""

from datetime import UTC, date, datetime, timedelta
from itertools import islice

import pytest
from sqlalchemy import Date, Engine, Integer, func, literal, select, text
from sqlmodel import Session, col

from bench.bench_planning import NOW, build, planning_deps
from scheduler import outbox
from scheduler.rules import Planner
from scheduler.tick import PG_PLANNING_LOCK, PLAN_CHUNK, PlanReport, plan_due
from storage.db import session_scope
from storage.models import Delivery, ProcessedEvent
from storage.sql import epoch_seconds, insert_new, iso_date, text_key
from storage.types import UTCDateTime

MOMENTS = (
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # Europe's spring-forward night
    datetime(2026, 10, 25, 0, 59, 59, 999_999, tzinfo=UTC),  # a hair before a whole second
    datetime(2024, 2, 29, 23, 0, 0, 500_000, tzinfo=UTC),  # leap day, half a second
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
)


@pytest.mark.parametrize("moment", MOMENTS)
def test_epoch_seconds_truncate_like_python(any_engine: Engine, moment: datetime) -> None:
    with any_engine.connect() as conn:
        seconds = conn.execute(select(epoch_seconds(literal(moment, UTCDateTime())))).scalar()
    assert seconds == int(moment.timestamp())


@pytest.mark.parametrize("day", [date(2026, 3, 9), date(1999, 12, 31), date(2024, 2, 29)])
def test_iso_dates_read_like_python(any_engine: Engine, day: date) -> None:
    with any_engine.connect() as conn:
        assert conn.execute(select(iso_date(literal(day, Date())))).scalar() == day.isoformat()


def test_keys_join_text_and_values_like_python(any_engine: Engine) -> None:
    moment = MOMENTS[1]
    key = text_key(
        "lapse_nudge",
        literal(42, Integer()),
        epoch_seconds(literal(moment, UTCDateTime())),
        "U0001",
    )
    with any_engine.connect() as conn:
        built = conn.execute(select(key)).scalar()
    assert built == f"lapse_nudge:42:{int(moment.timestamp())}:U0001"


def test_insert_new_skips_rows_already_there(any_engine: Engine) -> None:
    table = ProcessedEvent.__table__  # type: ignore[attr-defined]
    rows = [{"event_id": "Ev1", "team_id": "T1", "received_at": NOW}]
    with session_scope(any_engine) as session:
        session.execute(insert_new(session, table, unique=["event_id"]), rows)
        session.execute(
            insert_new(session, table, unique=["event_id"]),
            [*rows, {"event_id": "Ev2", "team_id": "T1", "received_at": NOW}],
        )
    with session_scope(any_engine) as session:
        assert session.execute(select(func.count()).select_from(table)).scalar() == 2


def _plan(engine: Engine, now: datetime) -> tuple[int, int]:
    """One pass at ``now``: (messages built, messages new to the outbox)."""
    built = enqueued = 0
    with session_scope(engine) as session:
        planned = Planner(session, now=now).plan()
        while chunk := list(islice(planned, PLAN_CHUNK)):
            built += len(chunk)
            enqueued += outbox.enqueue(session, chunk, now=now)
    return built, enqueued


# The routine prompts, due at the start of the working day and sent together; the others keep
# their minute. Those that only inform are left out in quieter mode.
BUNDLED = {"lapse_nudge", "skill_reassessment", "goal_due", "milestone_due"}
INFORMATIONAL = {"session_reminder", "goal_due", "milestone_due"}


def test_passes_build_only_messages_the_outbox_lacks(any_engine: Engine) -> None:
    """The benchmark's mix (every rule with a key built in SQL: agenda, reminders, scorecards,
    did you meet, lapses and escalations, re-assessments, goal and milestone reminders).

    Routine prompts are read up to the end of a working day that has begun (they fall due at
    its start): later passes of that day must not build them again.
    """
    build(any_engine, 300)
    built, enqueued = _plan(any_engine, NOW)
    assert built == enqueued > 100
    with Session(any_engine) as session:
        flags = {
            (rule, bool(extras.get("bundle")), bool(extras.get("informational")))
            for rule, extras in session.execute(select(col(Delivery.rule), col(Delivery.extras)))
        }
    rules = {rule for rule, _, _ in flags}
    assert flags == {(rule, rule in BUNDLED, rule in INFORMATIONAL) for rule in rules}
    assert {
        "agenda_prompt",
        "session_reminder",
        "scorecard",
        "did_you_meet",
        "lapse_nudge",
        "skill_reassessment",
        "goal_due",
        "milestone_due",
    } <= rules
    assert _plan(any_engine, NOW) == (0, 0)
    # Later passes build what fell due since, and nothing they planned before.
    for minutes in (*range(1, 60, 7), *range(60, 24 * 60, 97)):
        built, enqueued = _plan(any_engine, NOW + timedelta(minutes=minutes))
        assert built == enqueued


@pytest.mark.postgres
def test_one_copy_plans_at_a_time_on_postgresql(pg_engine: Engine) -> None:
    """A scheduled pass steps aside while another process plans; its next pass does the work."""
    build(pg_engine, 20)
    deps = planning_deps(pg_engine, NOW)
    with pg_engine.connect() as other, other.begin():
        other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_PLANNING_LOCK})
        assert plan_due(deps, wait=False) == PlanReport(considered=0, enqueued=0, skipped=True)
    report = plan_due(deps, wait=False)
    assert not report.skipped
    assert report.enqueued > 0


def test_enqueue_stores_every_column_alike_on_both_backends(any_engine: Engine) -> None:
    """PostgreSQL enqueues through a JSON record set, SQLite through multi-row VALUES: the same
    rows come back, and enqueueing them again adds nothing."""
    due = datetime(2026, 3, 29, 1, 30, 15, 250_000, tzinfo=UTC)
    planned = [
        outbox.Planned(
            team_id="T1",
            dedupe_key=f"digest:{n}",
            rule="weekly_digest",
            recipient_id="C0DIGEST",
            channel_id="C0DIGEST" if n else None,
            payload={
                "text": "Zo\u00eb\u2019s \u201ccohort\u201d: 3 <pairs> & more",
                "blocks": [{"type": "divider"}],
            },
            due_at=due + timedelta(minutes=n),
            expires_at=due + timedelta(days=1) if n else None,
            program_id=None,
            pairing_id=None,
            sender_id="ULEAD",
            members=("U1", "U2"),
            bundle=bool(n),
        )
        for n in range(3)
    ]
    with session_scope(any_engine) as session:
        assert outbox.enqueue(session, planned, now=NOW) == 3
    with session_scope(any_engine) as session:
        assert outbox.enqueue(session, planned, now=NOW) == 0
        stored = session.scalars(select(Delivery).order_by(col(Delivery.id))).all()
    assert [row.dedupe_key for row in stored] == [p.dedupe_key for p in planned]
    for row, plan in zip(stored, planned, strict=True):
        assert (row.team_id, row.rule, row.recipient_id, row.channel_id) == (
            plan.team_id,
            plan.rule,
            plan.recipient_id,
            plan.channel_id,
        )
        assert row.payload == plan.payload
        assert row.extras == plan.extras()
        assert (row.due_at, row.expires_at, row.created_at) == (plan.due_at, plan.expires_at, NOW)
        assert (row.status.value, row.attempts) == ("pending", 0)
