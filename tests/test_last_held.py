"""``pairing.last_held_at`` (kept by triggers on ``meeting``, migration 0009) always equals the
probe it replaced, the pair's latest held session, whatever history of sessions led there: on
SQLite and PostgreSQL, through the ORM and through plain SQL, and through the bot's own flow."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, text, update
from sqlmodel import Session, col, select

from bot.services.sessions import LogForm, log_session
from storage.db import session_scope
from storage.enums import Cadence, MeetingStatus, ProgramStatus
from storage.models import Meeting, Pairing, Program
from tests.pairs import MENTEE, TEAM, add_pair

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
PAIRS = 3
STATUSES = list(MeetingStatus)

# One step of a history: which pair or session it touches (an index, taken modulo what
# exists), a status and a moment (hours after START).
_hours = st.integers(min_value=0, max_value=24 * 90)
_status = st.sampled_from(STATUSES)
_step = st.one_of(
    st.tuples(st.just("add"), st.integers(0, PAIRS - 1), _status, _hours),
    st.tuples(st.just("set"), st.integers(0, 50), _status, _hours),
    st.tuples(st.just("move"), st.integers(0, 50), st.integers(0, PAIRS - 1)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("cancel_all"), st.integers(0, PAIRS - 1)),
    st.tuples(st.just("unheld"), st.integers(0, 50)),
)


def _program(number: int = 1) -> Program:
    return Program(
        team_id=TEAM,
        name=f"Cohort {number}",
        status=ProgramStatus.ACTIVE,
        cadence=Cadence.WEEKLY,
        start_date=date(2026, 3, 1),
        length_months=6,
        created_by="ULEAD",
    )


def _pairings(engine: Engine) -> list[int]:
    """Three running pairs, each of two people of its own program (the test's fixture)."""
    ids = []
    with session_scope(engine) as session:
        for number in range(PAIRS):
            ids.append(add_pair(session, _program(number), started_at=START).id or 0)
    return ids


def _at(hours: int) -> datetime:
    return START + timedelta(hours=hours)


def _apply(session: Session, pairings: list[int], step: tuple[Any, ...]) -> None:
    """One step of a history, written as the bot (ORM) or an operator (plain SQL) would."""
    kind = step[0]
    meetings = list(session.exec(select(Meeting).order_by(col(Meeting.id))))
    if kind == "add":
        _, pair, status, hours = step
        held = _at(hours) if status is MeetingStatus.HELD else None
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=pairings[pair],
                status=status,
                scheduled_start=_at(hours),
                held_at=held,
            )
        )
    elif not meetings:
        return
    elif kind == "set":
        _, index, status, hours = step
        meeting = meetings[index % len(meetings)]
        meeting.status = status
        meeting.held_at = _at(hours)
        session.add(meeting)
    elif kind == "move":
        _, index, pair = step
        meeting_id = meetings[index % len(meetings)].id
        session.execute(
            update(Meeting).where(col(Meeting.id) == meeting_id).values(pairing_id=pairings[pair])
        )
    elif kind == "delete":
        session.execute(
            delete(Meeting).where(col(Meeting.id) == meetings[step[1] % len(meetings)].id)
        )
    elif kind == "cancel_all":
        session.execute(
            text("UPDATE meeting SET status = 'cancelled' WHERE pairing_id = :pairing"),
            {"pairing": pairings[step[1]]},
        )
    elif kind == "unheld":
        # A held session whose moment is cleared (status kept): it no longer counts as a moment.
        meeting = meetings[step[1] % len(meetings)]
        session.execute(update(Meeting).where(col(Meeting.id) == meeting.id).values(held_at=None))
    session.flush()
    session.expire_all()


def _kept_and_probed(session: Session) -> list[tuple[Any, Any]]:
    """Each pairing's kept moment beside the probe's answer."""
    probe = (
        select(func.max(col(Meeting.held_at)))
        .where(col(Meeting.pairing_id) == col(Pairing.id), col(Meeting.status) == "held")
        .correlate(Pairing)
        .scalar_subquery()
    )
    rows = session.execute(select(col(Pairing.last_held_at), probe).order_by(col(Pairing.id)))
    return [(kept, probed) for kept, probed in rows]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_the_kept_moment_equals_the_probe_over_random_histories(
    request: pytest.FixtureRequest, backend: str
) -> None:
    engine: Engine = request.getfixturevalue("engine" if backend == "sqlite" else "pg_engine")
    pairings = _pairings(engine)

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(_step, min_size=1, max_size=25))
    def history(steps: list[tuple[Any, ...]]) -> None:
        with session_scope(engine) as session:
            session.execute(delete(Meeting))
            for step in steps:
                _apply(session, pairings, step)
                for kept, probed in _kept_and_probed(session):
                    assert kept == probed, steps

    history()


def test_a_logged_session_moves_the_kept_moment(engine: Engine) -> None:
    """Through the bot's own flow: logging a session (and a later, earlier-dated one)."""
    with session_scope(engine) as session:
        pairing = add_pair(session, _program(), started_at=START)
        program = session.get(Program, pairing.program_id)
        assert program is not None
        for day in (date(2026, 3, 20), date(2026, 3, 10)):
            log_session(
                session,
                pairing=pairing,
                program=program,
                by_user_id=MENTEE,
                tz="UTC",
                form=LogForm(day=day, minutes="45"),
                now=datetime(2026, 3, 25, 9, tzinfo=UTC),
            )
        session.flush()
        session.refresh(pairing)
        assert pairing.last_held_at == datetime(2026, 3, 20, 12, tzinfo=UTC)
        assert _kept_and_probed(session) == [(pairing.last_held_at, pairing.last_held_at)]
