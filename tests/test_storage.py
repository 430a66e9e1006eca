"""The unit of work and the column types every table relies on."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import StatementError
from sqlmodel import select

from storage.db import session_scope
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
