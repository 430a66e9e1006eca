"""A person's Home tab: their pairings and enrolments, programs to join, programs they lead."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.services.dashboard import PairDashboard, pair_dashboards
from bot.services.enrolment import joinable_programs, participations
from bot.services.leads import led_program_ids
from bot.services.programs import ProgramCounts, program_counts
from storage.enums import ParticipantStatus, ProgramStatus, Role
from storage.models import Program

# The Home tab holds 100 blocks: keep every list short and say how many more there are.
MAX_ENROLMENTS = 8
MAX_JOINABLE = 6
MAX_LED = 10


@dataclass(frozen=True, slots=True)
class EnrolmentCard:
    """A program the person is enrolled in."""

    program_id: int
    program_name: str
    role: Role
    status: ParticipantStatus
    paused_until: datetime | None
    matched: bool


@dataclass(frozen=True, slots=True)
class JoinCard:
    """A program open for sign-up, and the roles the person could still join as."""

    program_id: int
    program_name: str
    start: str
    roles: tuple[Role, ...]


@dataclass(frozen=True, slots=True)
class LedCard:
    """A program the person runs, with its head counts."""

    program: Program
    counts: ProgramCounts


@dataclass(frozen=True, slots=True)
class HomeData:
    """Everything the Home tab shows one person."""

    user_id: str
    pairings: list[PairDashboard]
    enrolments: list[EnrolmentCard]
    joinable: list[JoinCard]
    led: list[LedCard]
    more_led: int
    may_create_programs: bool

    @property
    def is_new(self) -> bool:
        """Nothing to show yet: no pairing, enrolment or program."""
        return not (self.pairings or self.enrolments or self.led)


def home_data(
    *, session: Session, team_id: str, user_id: str, is_admin: bool, now: datetime
) -> HomeData:
    """Collect the person's Home tab with a fixed number of queries."""
    cards = pair_dashboards(session, team_id=team_id, user_id=user_id, now=now)
    matched = {(c.choice.program.name, c.choice.my_role) for c in cards}
    enrolled = participations(session=session, team_id=team_id, user_id=user_id)
    enrolments = [
        EnrolmentCard(
            program_id=program.id or 0,
            program_name=program.name,
            role=participant.role,
            status=participant.status,
            paused_until=participant.paused_until,
            matched=(program.name, participant.role) in matched,
        )
        for participant, program in enrolled
        if program.status is not ProgramStatus.CLOSED
    ]
    taken = {(e.program_id, e.role) for e in enrolments}
    joinable = []
    for program in joinable_programs(session=session, team_id=team_id):
        roles = tuple(r for r in (Role.MENTEE, Role.MENTOR) if (program.id, r) not in taken)
        if roles:
            joinable.append(
                JoinCard(program.id or 0, program.name, program.start_date.isoformat(), roles)
            )
    led = _led_programs(session, team_id=team_id, user_id=user_id, is_admin=is_admin)
    counts = program_counts(session=session, programs=led[:MAX_LED])
    return HomeData(
        user_id=user_id,
        pairings=cards,
        enrolments=enrolments[:MAX_ENROLMENTS],
        joinable=joinable[:MAX_JOINABLE],
        led=[LedCard(p, counts[p.id or 0]) for p in led[:MAX_LED]],
        more_led=max(len(led) - MAX_LED, 0),
        may_create_programs=is_admin or bool(led),
    )


def _led_programs(session: Session, *, team_id: str, user_id: str, is_admin: bool) -> list[Program]:
    """Admins see every open program of the workspace; leads see theirs."""
    query = select(Program).where(
        Program.team_id == team_id, Program.status != ProgramStatus.CLOSED
    )
    if not is_admin:
        query = query.where(
            col(Program.id).in_(led_program_ids(session, team_id=team_id, user_id=user_id))
        )
    return list(session.exec(query.order_by(col(Program.start_date).desc(), col(Program.id))))
