"""Who may run a program: workspace admins and owners, and the co-leads a lead added."""

from sqlmodel import Session, col, select

from bot.errors import Forbidden
from storage.models import Program, ProgramLead


def program_lead_ids(session: Session, *, program: Program) -> list[str]:
    """The program's leads: its creator first, then its co-leads."""
    co_leads = session.exec(
        select(ProgramLead.user_id)
        .where(ProgramLead.team_id == program.team_id, ProgramLead.program_id == program.id)
        .order_by(col(ProgramLead.id))
    ).all()
    return list(dict.fromkeys([program.created_by, *co_leads]))


def is_program_lead(session: Session, *, program: Program, user_id: str) -> bool:
    """Whether ``user_id`` created the program or was added as a co-lead."""
    return user_id in program_lead_ids(session, program=program)


def led_program_ids(session: Session, *, team_id: str, user_id: str) -> list[int]:
    """Programs ``user_id`` leads in this workspace (as creator or co-lead)."""
    created = select(Program.id).where(Program.team_id == team_id, Program.created_by == user_id)
    co_led = select(ProgramLead.program_id).where(
        ProgramLead.team_id == team_id, ProgramLead.user_id == user_id
    )
    ids = {*session.exec(created).all(), *session.exec(co_led).all()}
    return sorted(i for i in ids if i is not None)


def require_lead(
    session: Session, *, program: Program, user_id: str, is_admin: bool, action: str
) -> None:
    """Refuse politely unless the person is an admin or one of the program's leads."""
    if is_admin or is_program_lead(session, program=program, user_id=user_id):
        return
    raise Forbidden(
        f"Only workspace admins and the leads of *{program.name}* can {action}. "
        "Ask one of them if you think you should be a co-lead."
    )


def require_may_create_program(
    session: Session, *, team_id: str, user_id: str, is_admin: bool
) -> None:
    """Admins and people who already lead a program may create one."""
    if is_admin or led_program_ids(session, team_id=team_id, user_id=user_id):
        return
    raise Forbidden(
        "Only workspace admins and program leads can create a program. "
        "Ask an admin to create it, or to make you a co-lead."
    )
