"""A person's Home tab: their pairings and enrolments, programs to join, programs they lead.

A lead's programs come with their health, a page of them at a time: ``cohort_metrics`` once for
each program shown (a fixed number of grouped queries, whatever the program's size), plus one
query for the proposals, one for the invitations and one for the recent nudges of every program
shown. Nothing runs once per pair.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.services.dashboard import PairDashboard, pair_dashboards
from bot.services.digest import CohortMetrics, Headline, RedFlag, cohort_metrics
from bot.services.enrolment import joinable_programs, participations
from bot.services.invitations import InvitationCounts, invitation_counts
from bot.services.leads import led_program_ids
from bot.services.programs import ProgramCounts, program_counts
from storage.enums import FlagKind, PairingStatus, ParticipantStatus, ProgramStatus, Role
from storage.models import Delivery, Pairing, Participant, Program

# The Home tab holds 100 blocks: keep every list short and say how many more there are.
MAX_ENROLMENTS = 8
MAX_JOINABLE = 6
# A lead's programs and each program's red flags come a page at a time.
PROGRAMS_PER_PAGE = 3
FLAGS_PER_PAGE = 4
# Unmatched mentees named on a program's card (the rest are counted).
WAITING_NAMED = 3
# The outbox rule of a lead's nudge; a flag shows who nudged the pair in the last week.
NUDGE_RULE = "lead_nudge"
NUDGE_SHOWN_FOR = timedelta(days=7)
# Programs with pairs to look after: a draft has none, a closed one is off the Home tab.
HEALTH_STATUSES = (ProgramStatus.ENROLLING, ProgramStatus.ACTIVE)
# A mentee with one of these pairings is not waiting for a match.
PLACED = (
    PairingStatus.PROPOSED,
    PairingStatus.ACTIVE,
    PairingStatus.PAUSED,
    PairingStatus.GRADUATED,
)
# Running programs first, then those enrolling, then drafts.
_STATUS_ORDER = {ProgramStatus.ACTIVE: 0, ProgramStatus.ENROLLING: 1, ProgramStatus.DRAFT: 2}


@dataclass(frozen=True, slots=True)
class HomePage:
    """Which page of the lead's programs the tab shows, and of one program's red flags."""

    programs: int = 0
    program_id: int = 0
    flags: int = 0

    @property
    def value(self) -> str:
        """The page as a button value or the tab's private_metadata: ``programs:program:flags``."""
        return f"{self.programs}:{self.program_id}:{self.flags}"

    @classmethod
    def parse(cls, value: object) -> "HomePage":
        """The page a value names; anything unreadable is the first page."""
        parts = str(value or "").split(":")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            return cls()
        return cls(int(parts[0]), int(parts[1]), int(parts[2]))

    def flags_offset(self, program_id: int) -> int:
        """Where ``program_id``'s list of flags starts on this page."""
        return self.flags if program_id == self.program_id else 0


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
    """A program that takes sign-ups, and the roles the person could still join as."""

    program_id: int
    program_name: str
    start: str
    roles: tuple[Role, ...]
    # Running already (late joiners are welcome), rather than open for enrolment before it starts.
    running: bool = False


@dataclass(frozen=True, slots=True)
class Nudge:
    """A lead's nudge about one flag of a pair: who sent it and when."""

    sender_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ProgramHealth:
    """One program at a glance for its lead: buckets, plan, flags and what waits on them."""

    headline: Headline
    week: int
    weeks_total: int
    # This page's red flags about pairs and people, most urgent first (unmatched mentees are
    # "waiting on the lead", not flags here).
    flags: tuple[RedFlag, ...]
    flag_total: int
    flag_offset: int
    # Mentees the last matching round (or a re-match) left waiting: the first few, and how many.
    waiting_user_ids: tuple[str, ...]
    waiting: int
    nudges: dict[tuple[int, str], Nudge] = field(default_factory=dict)

    @property
    def running(self) -> int:
        """Pairs the program has had, in every bucket (proposals and declined ones aside)."""
        return sum(self.headline.counts.values())


@dataclass(frozen=True, slots=True)
class LedCard:
    """A program the person runs, with its head counts and, once it has pairs, its health."""

    program: Program
    counts: ProgramCounts
    proposals: int = 0
    # Active mentees with no mentor, no proposal waiting and no graduation behind them.
    unmatched: int = 0
    health: ProgramHealth | None = None
    invitations: InvitationCounts = field(default_factory=InvitationCounts)


@dataclass(frozen=True, slots=True)
class HomeData:
    """Everything the Home tab shows one person."""

    user_id: str
    pairings: list[PairDashboard]
    enrolments: list[EnrolmentCard]
    joinable: list[JoinCard]
    led: list[LedCard]
    may_create_programs: bool
    led_total: int = 0
    page: HomePage = HomePage()

    @property
    def led_offset(self) -> int:
        """Where this page's programs start in the list of programs led."""
        return clamp_offset(self.page.programs, self.led_total, PROGRAMS_PER_PAGE)

    @property
    def is_new(self) -> bool:
        """Nothing to show yet: no pairing, enrolment or program."""
        return not (self.pairings or self.enrolments or self.led)


def clamp_offset(offset: int, total: int, size: int) -> int:
    """A page start inside ``total`` items, on a page boundary (a stale button's page moves)."""
    if total <= 0:
        return 0
    last = (total - 1) // size * size
    return min(max(offset, 0) // size * size, last)


def home_data(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    is_admin: bool,
    now: datetime,
    page: HomePage | None = None,
) -> HomeData:
    """Collect the person's Home tab with a fixed number of queries per program shown."""
    page = page or HomePage()
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
    for program in joinable_programs(session=session, team_id=team_id, user_id=user_id):
        roles = tuple(r for r in (Role.MENTEE, Role.MENTOR) if (program.id, r) not in taken)
        if roles:
            joinable.append(
                JoinCard(
                    program.id or 0,
                    program.name,
                    program.start_date.isoformat(),
                    roles,
                    running=program.status is ProgramStatus.ACTIVE,
                )
            )
    led = led_programs(session, team_id=team_id, user_id=user_id, is_admin=is_admin)
    start = clamp_offset(page.programs, len(led), PROGRAMS_PER_PAGE)
    shown = led[start : start + PROGRAMS_PER_PAGE]
    return HomeData(
        user_id=user_id,
        pairings=cards,
        enrolments=enrolments[:MAX_ENROLMENTS],
        joinable=joinable[:MAX_JOINABLE],
        led=led_cards(session, programs=shown, now=now, page=page),
        may_create_programs=is_admin or bool(led),
        led_total=len(led),
        page=HomePage(start, page.program_id, page.flags),
    )


def led_programs(session: Session, *, team_id: str, user_id: str, is_admin: bool) -> list[Program]:
    """Admins see every open program of the workspace; leads see theirs. Running ones first."""
    query = select(Program).where(
        Program.team_id == team_id, Program.status != ProgramStatus.CLOSED
    )
    if not is_admin:
        query = query.where(
            col(Program.id).in_(led_program_ids(session, team_id=team_id, user_id=user_id))
        )
    programs = list(session.exec(query.order_by(col(Program.start_date).desc(), col(Program.id))))
    # A stable sort keeps the newest first within each status.
    return sorted(programs, key=lambda p: _STATUS_ORDER.get(p.status, len(_STATUS_ORDER)))


def led_cards(
    session: Session, *, programs: list[Program], now: datetime, page: HomePage
) -> list[LedCard]:
    """Each program's card: counts, proposals, and the health of those that have pairs."""
    counts = program_counts(session=session, programs=programs)
    proposals = _proposals(session, programs)
    unplaced = _unplaced(session, programs)
    invited = invitation_counts(session, programs=programs)
    with_health = [p for p in programs if p.status in HEALTH_STATUSES]
    nudges = _recent_nudges(session, with_health, now)
    cards = []
    for program in programs:
        pid = program.id or 0
        health = None
        if program.status in HEALTH_STATUSES:
            metrics = cohort_metrics(session, program=program, now=now)
            health = program_health(
                metrics, offset=page.flags_offset(pid), nudges=nudges.get(pid, {})
            )
        cards.append(
            LedCard(
                program=program,
                counts=counts.get(pid, ProgramCounts()),
                proposals=proposals.get(pid, 0),
                unmatched=unplaced.get(pid, 0),
                health=health,
                invitations=invited.get(pid, InvitationCounts()),
            )
        )
    return cards


def lead_flags(metrics: CohortMetrics) -> list[RedFlag]:
    """The flags a lead acts on from Home, most urgent first (``cohort_metrics``' order)."""
    return [f for f in metrics.flags if f.kind is not FlagKind.UNMATCHED]


def program_health(
    metrics: CohortMetrics, *, offset: int = 0, nudges: dict[tuple[int, str], Nudge] | None = None
) -> ProgramHealth:
    """The health card of one program: one page of its flags and who waits for a match."""
    flags = lead_flags(metrics)
    start = clamp_offset(offset, len(flags), FLAGS_PER_PAGE)
    waiting = [f.user_ids[0] for f in metrics.flags_of(FlagKind.UNMATCHED) if f.user_ids]
    return ProgramHealth(
        headline=metrics.headline,
        week=min(metrics.week_of_program, metrics.weeks_total),
        weeks_total=metrics.weeks_total,
        flags=tuple(flags[start : start + FLAGS_PER_PAGE]),
        flag_total=len(flags),
        flag_offset=start,
        waiting_user_ids=tuple(waiting[:WAITING_NAMED]),
        waiting=len(waiting),
        nudges=nudges or {},
    )


def _proposals(session: Session, programs: list[Program]) -> dict[int, int]:
    """Per program, open proposals waiting for a lead (a group counts once): one query."""
    ids = [p.id for p in programs if p.id is not None]
    if not ids:
        return {}
    rows = session.execute(
        sa.select(
            col(Pairing.program_id),
            func.count(sa.distinct(col(Pairing.group_key))),
            func.sum(sa.case((col(Pairing.group_key).is_(None), 1), else_=0)),
        )
        .where(
            col(Pairing.program_id).in_(ids),
            col(Pairing.team_id).in_(sorted({p.team_id for p in programs})),
            col(Pairing.status) == PairingStatus.PROPOSED.value,
        )
        .group_by(col(Pairing.program_id))
    ).all()
    return {int(pid): int(groups) + int(single or 0) for pid, groups, single in rows}


def _unplaced(session: Session, programs: list[Program]) -> dict[int, int]:
    """Per program, active mentees a matching round would consider: no running pairing, no
    proposal waiting, not graduated (one whose pairing ended counts: they need a new mentor)."""
    ids = [p.id for p in programs if p.id is not None]
    if not ids:
        return {}
    placed = (
        sa.exists()
        .where(
            col(Pairing.mentee_id) == col(Participant.id),
            col(Pairing.status).in_([s.value for s in PLACED]),
        )
        .correlate(Participant)
    )
    rows = session.execute(
        sa.select(col(Participant.program_id), func.count())
        .where(
            col(Participant.program_id).in_(ids),
            col(Participant.team_id).in_(sorted({p.team_id for p in programs})),
            col(Participant.role) == Role.MENTEE,
            col(Participant.status) == ParticipantStatus.ACTIVE,
            sa.not_(placed),
        )
        .group_by(col(Participant.program_id))
    ).all()
    return {int(pid): int(count) for pid, count in rows}


def nudge_key(*, pairing_id: int, kind: str, day: str, user_id: str) -> str:
    """The outbox key of a lead's nudge: one per person, flag and day, whoever clicks."""
    return f"{NUDGE_RULE}:{pairing_id}:{kind}:{day}:{user_id}"


def _recent_nudges(
    session: Session, programs: list[Program], now: datetime
) -> dict[int, dict[tuple[int, str], Nudge]]:
    """Per program, the latest nudge of each (pairing, flag) in the last week: one query."""
    ids = [p.id for p in programs if p.id is not None]
    if not ids:
        return {}
    rows = session.execute(
        sa.select(
            col(Delivery.program_id),
            col(Delivery.pairing_id),
            col(Delivery.dedupe_key),
            col(Delivery.extras),
            col(Delivery.created_at),
        )
        .where(
            col(Delivery.program_id).in_(ids),
            col(Delivery.rule) == NUDGE_RULE,
            col(Delivery.created_at) >= now - NUDGE_SHOWN_FOR,
        )
        .order_by(col(Delivery.created_at))
    ).all()
    found: dict[int, dict[tuple[int, str], Nudge]] = defaultdict(dict)
    for program_id, pairing_id, key, extras, at in rows:
        parts = str(key).split(":")
        if pairing_id is None or len(parts) < 3:
            continue
        sender = str((extras or {}).get("sender") or "")
        found[int(program_id)][(int(pairing_id), parts[2])] = Nudge(sender, at)
    return found
