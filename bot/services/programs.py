"""Programs: lookups every surface shares, and the dates a program's shape implies."""

from datetime import date

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, func, select

from bot.errors import NotFound
from storage.enums import ProgramStatus
from storage.models import Program


def get_program(session: Session, *, team_id: str, name: str) -> Program:
    """The workspace's program called ``name`` (any case), or a NotFound naming the choices."""
    program = session.exec(
        select(Program).where(
            Program.team_id == team_id, func.lower(Program.name) == name.strip().lower()
        )
    ).first()
    if program is None:
        names = [p.name for p in list_programs(session, team_id=team_id)]
        known = ", ".join(f"*{n}*" for n in names) if names else "none yet"
        raise NotFound(f"There is no program called *{name}*. Programs here: {known}.")
    return program


def get_program_by_id(session: Session, *, team_id: str, program_id: int) -> Program:
    """The workspace's program with this id (ids from buttons are checked against the team)."""
    program = session.get(Program, program_id)
    if program is None or program.team_id != team_id:
        raise NotFound("That program no longer exists.")
    return program


def list_programs(
    session: Session, *, team_id: str, statuses: tuple[ProgramStatus, ...] | None = None
) -> list[Program]:
    """The workspace's programs, newest start first, optionally only in some statuses."""
    query = select(Program).where(Program.team_id == team_id)
    if statuses:
        query = query.where(col(Program.status).in_([s.value for s in statuses]))
    return list(session.exec(query.order_by(col(Program.start_date).desc(), col(Program.id))))


def program_end(program: Program) -> date:
    """The day after the program's last day."""
    return program.start_date + relativedelta(months=program.length_months)


def program_midpoint(program: Program) -> date:
    """The program's midpoint, when the formal midpoint check is due."""
    return program.start_date + (program_end(program) - program.start_date) / 2
