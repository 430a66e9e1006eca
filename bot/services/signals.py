"""The failure modes of a running pair, read from the data: one definition for the leads' digest
and for the rule that raises them with the pair first and with the leads next.

Everything here is read per program with grouped, set-based queries (never one per pair), and
only for running (ACTIVE) pairings: a paused pair is not expected to meet, a finished one is over.
It returns counts, dates and kinds, never notes, feedback, agenda or action text.

The signals (``since`` is the pair's last held session, or its start when none was held yet; the
"last three sessions" are the pair's last three HELD sessions):

- ONE_SIDED_EFFORT: the mentee's action items due after the session before last and by the last
  session (at least one) are none of them done. Ticking one off clears it.
- AGENDA_DRIFT: at least two of the last three sessions had no agenda item, or touched none of
  the goals the pair had agreed by then (no ``MeetingGoal`` row), and the mentee has not written
  the next session's agenda yet. Writing it clears the signal.
- AVOIDED_FEEDBACK: each of the last three sessions went without feedback from the mentor that
  names something to change (none at all, or only answers like "nothing really, all good": the
  rule of ``feedback.is_trivial_change``, applied in SQL). Real feedback on one of them clears it.
- LOW_SCORECARD: a dimension rated below 6 in at least two of the last three completed
  scorecards (the rule of ``scorecards.low_score_dimensions``). Better ratings clear it.
- STALLED: not lapsing (``since`` less than the lapse nudge factor x the cadence ago), running
  for four weeks or more, and no goal in motion: none agreed, or none on track, at risk or done.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, type_coerce
from sqlmodel import Session, col

from bot.services.feedback import TRIVIAL_CHANGES
from bot.services.goals import GoalCounts, goal_summary
from bot.services.programs import RuleSettings
from bot.services.scorecards import DIMENSIONS, LOW_BELOW, LOW_COUNT, LOW_WINDOW, TREND_WINDOW
from bot.services.sessions import zone
from storage.enums import (
    AgendaSource,
    FlagKind,
    GoalStatus,
    MeetingStatus,
    PairingStatus,
    Role,
)
from storage.models import (
    ActionItem,
    AgendaItem,
    Feedback,
    Goal,
    Meeting,
    MeetingGoal,
    Pairing,
    Program,
    Scorecard,
)
from storage.types import UTCDateTime

RECENT_SESSIONS = 3
DRIFT_COUNT = 2
# Sessions in a row without feedback that names something to change.
AVOIDED_MIN = 3
STALL_AFTER = timedelta(weeks=4)
# A booked session still counts as "the next one" this long after its start (not logged yet).
NEXT_SESSION_GRACE = timedelta(days=1)
# What trims a "needs to change" answer before comparing it with TRIVIAL_CHANGES: the same
# normalisation as ``feedback.is_trivial_change`` (a test keeps the two in step).
TRIVIAL_TRAILING = ".!?… "
RUNNING = (PairingStatus.ACTIVE,)
_DIMENSION_WORDS = {
    "clarity": "clarity of direction",
    "energy": "energy after the session",
    "confidence": "confidence in the next step",
}


class SignalKind(StrEnum):
    """A failure mode of a running pair."""

    ONE_SIDED_EFFORT = "one_sided_effort"
    AGENDA_DRIFT = "agenda_drift"
    AVOIDED_FEEDBACK = "avoided_feedback"
    LOW_SCORECARD = "low_scorecard"
    STALLED = "stalled"

    @property
    def flag_kind(self) -> FlagKind:
        """The red flag it is kept as."""
        return _FLAG_KINDS[self]


# Who can fix each: the mentee owns the agenda and their actions; the mentor gives feedback and
# hears about falling ratings (the mentee is asked about those when rating); goals take both.
NUDGED: dict[SignalKind, tuple[Role, ...]] = {
    SignalKind.ONE_SIDED_EFFORT: (Role.MENTEE,),
    SignalKind.AGENDA_DRIFT: (Role.MENTEE,),
    SignalKind.AVOIDED_FEEDBACK: (Role.MENTOR,),
    SignalKind.LOW_SCORECARD: (Role.MENTOR,),
    SignalKind.STALLED: (Role.MENTEE, Role.MENTOR),
}
_FLAG_KINDS = {
    SignalKind.ONE_SIDED_EFFORT: FlagKind.ONE_SIDED_EFFORT,
    SignalKind.AGENDA_DRIFT: FlagKind.AGENDA_DRIFT,
    SignalKind.AVOIDED_FEEDBACK: FlagKind.AVOIDED_FEEDBACK,
    SignalKind.LOW_SCORECARD: FlagKind.LOW_SCORECARD,
    SignalKind.STALLED: FlagKind.STALLED,
}


@dataclass(frozen=True, slots=True)
class PairFacts:
    """A running pairing as the signals need it."""

    pairing_id: int
    mentor_user_id: str
    mentee_user_id: str
    started: datetime
    last_held: datetime | None = None
    # Participant ids, for their working hours (the scheduled rule reads them).
    mentor_id: int = 0
    mentee_id: int = 0
    # The latest change to any of the pair's goals: a stall begins no earlier.
    goals_changed: datetime | None = None


@dataclass(frozen=True, slots=True)
class Recent:
    """A running pairing's last three held sessions, and the mentee's actions due over them."""

    held: int
    without_agenda: int
    # Sessions that had an agenda but touched none of the goals agreed by then.
    off_goal: int
    mentor_notes: int
    # Sessions with mentor feedback that names something to change.
    with_change: int
    last_meeting_id: int | None
    next_agenda: bool
    actions_due: int
    actions_done: int

    @property
    def drifted(self) -> int:
        """Sessions without an agenda or off the goals."""
        return self.without_agenda + self.off_goal


@dataclass(frozen=True, slots=True)
class RecentScores:
    """A pairing's last three completed scorecards: averages, and the dimensions rated low."""

    averages: dict[str, float | None]
    low: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Signal:
    """One failure mode of one running pair, in numbers (no private text)."""

    kind: SignalKind
    pairing_id: int
    mentor_user_id: str
    mentee_user_id: str
    # How many of what the kind counts (sessions, actions, dimensions, weeks), out of ``of``.
    count: int
    of: int = 0
    # AGENDA_DRIFT: sessions without an agenda, and with one but off the goals.
    without_agenda: int = 0
    off_goal: int = 0
    # AVOIDED_FEEDBACK: the mentor's notes on those sessions; the session to give feedback on.
    notes: int = 0
    meeting_id: int | None = None
    # LOW_SCORECARD: the dimensions rated low.
    dimensions: tuple[str, ...] = ()
    # STALLED: whether any goal is agreed at all, and since when the pair is stalled.
    goals_agreed: bool = False
    since: datetime | None = None

    @property
    def weight(self) -> float:
        """Bigger is more urgent, within a kind."""
        return float(self.count)

    def user_of(self, role: Role) -> str:
        """The person of the pair in ``role``."""
        return self.mentor_user_id if role is Role.MENTOR else self.mentee_user_id

    def partner_of(self, role: Role) -> str:
        """The other person of the pair."""
        return self.mentee_user_id if role is Role.MENTOR else self.mentor_user_id


# --- shared query pieces -------------------------------------------------------------------------


def in_program(
    program: Program, statuses: Iterable[PairingStatus] = RUNNING
) -> list[sa.ColumnElement[bool]]:
    """Conditions keeping a query (joined on ``Pairing``) to the program's pairings."""
    return [
        col(Pairing.team_id) == program.team_id,
        col(Pairing.program_id) == program.id,
        col(Pairing.status).in_([s.value for s in statuses]),
    ]


def is_held() -> sa.ColumnElement[bool]:
    """``Meeting.status == HELD``, written so that SQLite keeps off the (status, start) index.

    Most meetings are HELD, so walking that index and fetching each row is five times slower
    than reading each pairing's meetings through the pairing index; SQLite has no statistics to
    know. PostgreSQL plans from statistics and reads it the same either way.
    """
    return func.lower(type_coerce(col(Meeting.status), sa.String())) == MeetingStatus.HELD.value


def meeting_time() -> Any:
    """When a scorecard's session took place (the rule scorecards.py ranks by)."""
    return type_coerce(
        func.coalesce(
            col(Meeting.held_at), col(Meeting.scheduled_start), col(Scorecard.created_at)
        ),
        UTCDateTime(),
    )


def _substantive(needs_change: Any) -> sa.ColumnElement[bool]:
    """Whether a "needs to change" answer names something (``feedback.is_trivial_change``)."""
    normal = func.rtrim(func.lower(func.trim(needs_change)), TRIVIAL_TRAILING)
    return normal.not_in(sorted(TRIVIAL_CHANGES))


# --- the queries ---------------------------------------------------------------------------------


def recent_scores(
    session: Session, program: Program, statuses: Iterable[PairingStatus] = RUNNING
) -> dict[int, RecentScores]:
    """Per pairing, over its last three completed scorecards: the averages, and the dimensions
    rated below 6 in at least two of them (one window pass for every pairing of the program).

    The averages are ``scorecards.scorecard_trends``'s "latest", the low dimensions
    ``scorecards.low_score_dimensions``'s rule (which runs once per pairing).
    """
    ranked = (
        sa.select(
            col(Scorecard.pairing_id).label("pairing_id"),
            *(getattr(Scorecard, d).label(d) for d in DIMENSIONS),
            func.row_number()
            .over(
                partition_by=col(Scorecard.pairing_id),
                order_by=(meeting_time().desc(), col(Scorecard.id).desc()),
            )
            .label("rank"),
        )
        .join(Meeting, col(Meeting.id) == col(Scorecard.meeting_id))
        .join(Pairing, col(Pairing.id) == col(Scorecard.pairing_id))
        .where(*in_program(program, statuses), col(Scorecard.completed_at).is_not(None))
        .subquery()
    )
    columns: list[Any] = [ranked.c.pairing_id]
    for d in DIMENSIONS:
        columns += [
            func.avg(sa.case((ranked.c.rank <= TREND_WINDOW, ranked.c[d]))),
            func.sum(
                sa.case((sa.and_(ranked.c.rank <= LOW_WINDOW, ranked.c[d] < LOW_BELOW), 1), else_=0)
            ),
        ]
    rows = session.execute(
        sa.select(*columns)
        .where(ranked.c.rank <= max(LOW_WINDOW, TREND_WINDOW))
        .group_by(ranked.c.pairing_id)
    ).all()
    found: dict[int, RecentScores] = {}
    for pid, *numbers in rows:
        averages = {
            d: None if numbers[2 * i] is None else round(float(numbers[2 * i]), 2)
            for i, d in enumerate(DIMENSIONS)
        }
        low = tuple(d for i, d in enumerate(DIMENSIONS) if int(numbers[2 * i + 1]) >= LOW_COUNT)
        found[int(pid)] = RecentScores(averages, low)
    return found


def recent_activity(session: Session, program: Program, *, now: datetime) -> dict[int, Recent]:
    """Per running pairing with a held session, from one window over its held sessions (newest
    first): agendas, goals touched and the mentor's feedback over the last three; whether the
    mentee has written the next session's agenda; the mentee's action items due after the
    session before last and by the last one, with how many of those are done."""
    ranked = (
        sa.select(
            col(Meeting.id).label("meeting_id"),
            col(Meeting.pairing_id).label("pairing_id"),
            col(Meeting.held_at).label("held_at"),
            col(Pairing.mentor_user_id).label("mentor"),
            func.row_number()
            .over(
                partition_by=col(Meeting.pairing_id),
                order_by=(col(Meeting.held_at).desc(), col(Meeting.id).desc()),
            )
            .label("rank"),
        )
        .join(Pairing, col(Pairing.id) == col(Meeting.pairing_id))
        .where(*in_program(program), is_held())
        .subquery()
    )
    has_agenda = (
        sa.exists()
        .where(
            col(AgendaItem.pairing_id) == ranked.c.pairing_id,
            col(AgendaItem.meeting_id) == ranked.c.meeting_id,
        )
        .correlate(ranked)
    )
    touched_goal = (
        sa.exists().where(col(MeetingGoal.meeting_id) == ranked.c.meeting_id).correlate(ranked)
    )
    # A session before any goal was agreed (rapport) cannot miss the goals.
    goal_agreed = (
        sa.exists()
        .where(
            col(Goal.pairing_id) == ranked.c.pairing_id,
            col(Goal.status) == GoalStatus.AGREED.value,
            type_coerce(func.coalesce(col(Goal.agreed_at), col(Goal.created_at)), UTCDateTime())
            <= ranked.c.held_at,
        )
        .correlate(ranked)
    )
    mentor_feedback = (
        col(Feedback.pairing_id) == ranked.c.pairing_id,
        col(Feedback.meeting_id) == ranked.c.meeting_id,
        col(Feedback.from_user_id) == ranked.c.mentor,
    )
    notes = sa.select(func.count()).where(*mentor_feedback).correlate(ranked).scalar_subquery()
    named_change = (
        sa.exists()
        .where(*mentor_feedback, _substantive(col(Feedback.needs_change)))
        .correlate(ranked)
    )
    recent = (
        sa.select(
            ranked.c.pairing_id,
            func.count().label("held"),
            func.sum(sa.case((has_agenda, 0), else_=1)).label("bare"),
            func.sum(sa.case((sa.and_(has_agenda, goal_agreed, ~touched_goal), 1), else_=0)).label(
                "off_goal"
            ),
            func.sum(notes).label("notes"),
            func.sum(sa.case((named_change, 1), else_=0)).label("named"),
            func.max(sa.case((ranked.c.rank == 1, ranked.c.meeting_id))).label("last_meeting"),
            func.max(sa.case((ranked.c.rank == 1, ranked.c.held_at))).label("last"),
            func.max(sa.case((ranked.c.rank == 2, ranked.c.held_at))).label("previous"),
        )
        .where(ranked.c.rank <= RECENT_SESSIONS)
        .group_by(ranked.c.pairing_id)
        .subquery()
    )
    # The mentee's own items for the next session: none scheduled yet, or the booked one.
    upcoming = (
        sa.select(col(AgendaItem.pairing_id).label("pairing_id"))
        .join(Pairing, col(Pairing.id) == col(AgendaItem.pairing_id))
        .outerjoin(Meeting, col(Meeting.id) == col(AgendaItem.meeting_id))
        .where(
            *in_program(program),
            col(AgendaItem.source) == AgendaSource.MENTEE.value,
            sa.or_(
                col(AgendaItem.meeting_id).is_(None),
                sa.and_(
                    col(Meeting.status) == MeetingStatus.SCHEDULED.value,
                    col(Meeting.scheduled_start) > now - NEXT_SESSION_GRACE,
                ),
            ),
        )
        .group_by(col(AgendaItem.pairing_id))
        .subquery()
    )
    due = col(ActionItem.due_date)
    grouped = (
        recent.c.pairing_id,
        recent.c.held,
        recent.c.bare,
        recent.c.off_goal,
        recent.c.notes,
        recent.c.named,
        recent.c.last_meeting,
        upcoming.c.pairing_id,
    )
    rows = session.execute(
        sa.select(*grouped, func.count(col(ActionItem.id)), func.count(col(ActionItem.done_at)))
        .select_from(recent)
        .join(Pairing, col(Pairing.id) == recent.c.pairing_id)
        .outerjoin(upcoming, upcoming.c.pairing_id == recent.c.pairing_id)
        .outerjoin(
            ActionItem,
            sa.and_(
                col(ActionItem.pairing_id) == recent.c.pairing_id,
                col(ActionItem.owner_user_id) == col(Pairing.mentee_user_id),
                due.is_not(None),
                # A date compares as its midnight on both SQLite (as text) and PostgreSQL.
                due <= recent.c.last,
                sa.or_(recent.c.previous.is_(None), due > recent.c.previous),
            ),
        )
        .group_by(*grouped)
    ).all()
    return {
        int(pid): Recent(
            held=int(held),
            without_agenda=int(bare or 0),
            off_goal=int(off_goal or 0),
            mentor_notes=int(notes or 0),
            with_change=int(named or 0),
            last_meeting_id=None if last is None else int(last),
            next_agenda=next_agenda is not None,
            actions_due=int(total),
            actions_done=int(done),
        )
        for pid, held, bare, off_goal, notes, named, last, next_agenda, total, done in rows
    }


def running_pairs(session: Session, program: Program) -> list[PairFacts]:
    """The program's running pairings with their last held session and latest goal change."""
    last_held = (
        sa.select(func.max(col(Meeting.held_at)))
        .where(
            col(Meeting.pairing_id) == col(Pairing.id),
            col(Meeting.status) == MeetingStatus.HELD.value,
        )
        .correlate(Pairing)
        .scalar_subquery()
    )
    goals_changed = (
        sa.select(func.max(col(Goal.updated_at)))
        .where(col(Goal.pairing_id) == col(Pairing.id))
        .correlate(Pairing)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(
            col(Pairing.id),
            col(Pairing.mentor_user_id),
            col(Pairing.mentee_user_id),
            type_coerce(
                func.coalesce(col(Pairing.started_at), col(Pairing.created_at)), UTCDateTime()
            ),
            type_coerce(last_held, UTCDateTime()),
            col(Pairing.mentor_id),
            col(Pairing.mentee_id),
            type_coerce(goals_changed, UTCDateTime()),
        )
        .where(*in_program(program))
        .order_by(col(Pairing.id))
    ).all()
    return [PairFacts(*row) for row in rows]


# --- the rules -----------------------------------------------------------------------------------


def gap_of(program: Program) -> timedelta:
    """The planned time between sessions (``max_gap_days`` when pairs meet as needed)."""
    return timedelta(days=program.cadence.days or program.max_gap_days)


def is_stalled(
    *,
    started: datetime,
    idle: timedelta,
    goals: GoalCounts,
    now: datetime,
    gap: timedelta,
    settings: RuleSettings,
) -> bool:
    """Running for four weeks or more, not lapsing, and no goal in motion."""
    if idle >= gap * settings.lapse_nudge_factor or now - started < STALL_AFTER:
        return False
    in_motion = goals.on_track + goals.at_risk + goals.done
    return goals.agreed == 0 or in_motion == 0


def pair_signals(
    pair: PairFacts,
    *,
    recent: Recent | None,
    scores: RecentScores | None,
    goals: GoalCounts,
    now: datetime,
    gap: timedelta,
    settings: RuleSettings,
) -> list[Signal]:
    """The signals a running pairing's numbers raise, in ``SignalKind`` order."""
    found: list[Signal] = []

    def signal(kind: SignalKind, count: int, **facts: Any) -> None:
        found.append(
            Signal(kind, pair.pairing_id, pair.mentor_user_id, pair.mentee_user_id, count, **facts)
        )

    if recent is not None and recent.actions_due >= 1 and recent.actions_done == 0:
        signal(SignalKind.ONE_SIDED_EFFORT, recent.actions_due, of=recent.actions_due)
    if recent is not None and recent.drifted >= DRIFT_COUNT and not recent.next_agenda:
        signal(
            SignalKind.AGENDA_DRIFT,
            recent.drifted,
            of=recent.held,
            without_agenda=recent.without_agenda,
            off_goal=recent.off_goal,
        )
    if recent is not None and recent.held >= AVOIDED_MIN and recent.with_change == 0:
        signal(
            SignalKind.AVOIDED_FEEDBACK,
            recent.held,
            of=recent.held,
            notes=recent.mentor_notes,
            meeting_id=recent.last_meeting_id,
        )
    if scores is not None and scores.low:
        signal(SignalKind.LOW_SCORECARD, len(scores.low), of=LOW_WINDOW, dimensions=scores.low)
    idle = now - (pair.last_held or pair.started)
    stalled = is_stalled(
        started=pair.started, idle=idle, goals=goals, now=now, gap=gap, settings=settings
    )
    if stalled:
        since = max(pair.started + STALL_AFTER, pair.goals_changed or pair.started)
        signal(
            SignalKind.STALLED,
            _days(now - pair.started) // 7,
            goals_agreed=goals.agreed > 0,
            since=since,
        )
    return found


def detect_signals(session: Session, *, program: Program, now: datetime) -> list[Signal]:
    """Every signal of the program's running pairs, in four queries however many pairs it has."""
    if program.id is None:
        raise ValueError("the program has not been saved")
    settings = RuleSettings.for_program(program)
    gap = gap_of(program)
    pairs = running_pairs(session, program)
    if not pairs:
        return []
    recent = recent_activity(session, program, now=now)
    scores = recent_scores(session, program)
    today = now.astimezone(zone(program.timezone)).date()
    goals = goal_summary(session, pairing_ids=[p.pairing_id for p in pairs], today=today)
    found: list[Signal] = []
    for pair in pairs:
        found += pair_signals(
            pair,
            recent=recent.get(pair.pairing_id),
            scores=scores.get(pair.pairing_id),
            goals=goals.get(pair.pairing_id, GoalCounts()),
            now=now,
            gap=gap,
            settings=settings,
        )
    return found


# --- in words, for leads -------------------------------------------------------------------------


def _days(delta: timedelta) -> int:
    return max(int(delta.total_seconds() // 86400), 0)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def dimension_words(dimensions: Sequence[str]) -> str:
    """``clarity`` or ``clarity and energy``: the dimensions as a reason names them."""
    found = [d for d in dimensions if d in _DIMENSION_WORDS]
    return found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]


def dimension_phrase(dimension: str) -> str:
    """``clarity of direction``: a dimension as a person reads it."""
    return _DIMENSION_WORDS.get(dimension, dimension)


def lead_reason(signal: Signal) -> str:
    """What the data says, for a lead: counts only, never what the pair wrote."""
    kind = signal.kind
    if kind is SignalKind.ONE_SIDED_EFFORT:
        total = signal.count
        return (
            f"none of the mentee's {_plural(total, 'action')} due by the last session "
            f"{'was' if total == 1 else 'were'} done"
        )
    if kind is SignalKind.AGENDA_DRIFT:
        sessions = _plural(signal.of, "session")
        if not signal.off_goal:
            return f"{signal.count} of the last {sessions} had no agenda"
        if not signal.without_agenda:
            return f"{signal.count} of the last {sessions} touched none of their goals"
        return f"{signal.count} of the last {sessions} had no agenda or touched none of their goals"
    if kind is SignalKind.AVOIDED_FEEDBACK:
        if signal.notes == 0:
            return f"no feedback from the mentor on the last {_plural(signal.of, 'session')}"
        if signal.notes < signal.of:
            return (
                f"only {_plural(signal.notes, 'feedback note')} from the mentor on the last "
                f"{_plural(signal.of, 'session')}, none naming anything to change"
            )
        return f"{signal.notes} feedback notes from the mentor, none naming anything to change"
    if kind is SignalKind.LOW_SCORECARD:
        # What fell and no figure: a threshold or a count of low ratings is still the mentee's
        # own answer, and leads see no one person's rating.
        return f"{dimension_words(signal.dimensions)} rated low in recent sessions"
    weeks = _plural(signal.count, "week")
    if not signal.goals_agreed:
        return f"no goal agreed after {weeks}"
    return f"none of their goals in motion after {weeks}"


def lead_action(signal: Signal) -> str:
    """What a lead can do about it, in one sentence."""
    return {
        SignalKind.ONE_SIDED_EFFORT: (
            "Ask the mentee whether the actions fit their time, and agree fewer, smaller ones."
        ),
        SignalKind.AGENDA_DRIFT: (
            "Remind the mentee that they own the agenda: a few items before each session, "
            "tied to one of their goals (`/mentor agenda`)."
        ),
        SignalKind.AVOIDED_FEEDBACK: (
            "Coach the mentor to name one specific thing to change after each session."
        ),
        SignalKind.LOW_SCORECARD: (
            "Ask the mentor how the sessions feel from their side, and suggest the pair "
            "discuss what would make them more useful."
        ),
        SignalKind.STALLED: (
            "Ask the pair to agree one specific, dated goal and to update its progress after "
            "each session (`/mentor goals`)."
        ),
    }[signal.kind]
