"""Each of a person's pairings at a glance, for ``/mentor status`` and the Home tab.

Built with the set-based helpers of each part of the journey (one query each for all of the
person's pairings; the smallest of them run as one statement, ``_FACTS``).
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BindParameter, bindparam
from sqlmodel import Session, col, func, select

from bot.services.access import PairChoice, my_pairings
from bot.services.goals import GoalCounts, GoalView, goal_summary, goals_of_pairs
from bot.services.notes import NOTES_READS, NotesCount, notes_from
from bot.services.plans import OverdueTask, overdue_tasks
from bot.services.scorecards import ScoreTrend, scorecard_trends
from bot.services.sessions import (
    HOURS_READS,
    hours_from,
    minimum_hours,
    planned_hours_by,
    upcoming_meetings,
)
from bot.services.skills import SkillState, skill_state
from storage.enums import GoalStatus, MeetingStatus, Role
from storage.models import AgendaItem, Goal, Meeting, Scorecard
from storage.sql import together

MAX_PAIRS = 8


class Waiting(StrEnum):
    """Something waiting on the person, each answered by one button."""

    SCHEDULE = "schedule"
    LOG = "log"
    AGENDA = "agenda"
    AGREE_GOALS = "agree_goals"
    SET_GOALS = "set_goals"
    SCORE_SKILLS = "score_skills"
    RATE_SESSION = "rate_session"


@dataclass(frozen=True, slots=True)
class PairDashboard:
    """One pairing, as the person in it sees it."""

    choice: PairChoice
    next_session: datetime | None
    agenda_items: int
    agenda_submitted: bool
    goals: list[GoalView]
    goal_counts: GoalCounts
    hours_held: float
    hours_planned: float
    hours_minimum: float
    trend: ScoreTrend | None
    skills: SkillState | None
    waiting: list[Waiting] = field(default_factory=list)
    overdue_tasks: list[OverdueTask] = field(default_factory=list)
    notes: NotesCount = field(default_factory=NotesCount)

    @property
    def pairing_id(self) -> int:
        """The pairing's id."""
        return self.choice.pairing.id or 0


def pair_dashboards(
    session: Session, *, team_id: str, user_id: str, now: datetime
) -> list[PairDashboard]:
    """The person's running pairings with everything ``/mentor status`` shows."""
    choices = my_pairings(session, team_id=team_id, user_id=user_id)[:MAX_PAIRS]
    ids = [c.pairing.id or 0 for c in choices]
    if not ids:
        return []
    today = now.date()
    upcoming = upcoming_meetings(session, pairing_ids=ids, now=now)
    agenda = _agenda_counts(session, meetings=upcoming)
    counts = goal_summary(session, pairing_ids=ids, today=today)
    trends = scorecard_trends(session, pairing_ids=ids)
    skills = skill_state(session, pairing_ids=ids)
    overdue = overdue_tasks(session, pairing_ids=ids, today=today)
    goals = goals_of_pairs(session, team_id=team_id, pairing_ids=ids)
    facts = _FACTS.read(session, {"ids": ids, "user_id": user_id, "now": now})
    held = hours_from(ids, facts)
    kept = notes_from(ids, facts)
    awaiting_me = {pairing_id for pairing_id, *_ in facts["awaiting"]}
    unlogged = {pairing_id for pairing_id, *_ in facts["unlogged"]}
    unrated = {pairing_id for pairing_id, *_ in facts["unrated"]}
    boards = []
    for choice, pid in zip(choices, ids, strict=True):
        meeting = upcoming.get(pid)
        items, submitted = agenda.get(pid, (0, False))
        dashboard = PairDashboard(
            choice=choice,
            next_session=meeting.scheduled_start if meeting else None,
            agenda_items=items,
            agenda_submitted=submitted,
            goals=goals[pid],
            goal_counts=counts.get(pid, GoalCounts()),
            hours_held=held.get(pid, 0.0),
            hours_planned=planned_hours_by(choice.program, today),
            hours_minimum=minimum_hours(choice.program),
            trend=trends.get(pid),
            skills=skills.get(pid),
            overdue_tasks=overdue.get(pid, []),
            notes=kept.get(pid, NotesCount()),
        )
        dashboard.waiting.extend(
            _waiting(dashboard, pid in awaiting_me, pid in unlogged, pid in unrated)
        )
        boards.append(dashboard)
    return boards


def _waiting(board: PairDashboard, agree: bool, unlogged: bool, unrated: bool) -> list[Waiting]:
    mentee = board.choice.my_role is Role.MENTEE
    waiting = []
    if unlogged:
        waiting.append(Waiting.LOG)
    if board.next_session is None:
        waiting.append(Waiting.SCHEDULE)
    elif mentee and not board.agenda_submitted:
        waiting.append(Waiting.AGENDA)
    if agree:
        waiting.append(Waiting.AGREE_GOALS)
    if board.goal_counts.total == 0 and mentee:
        waiting.append(Waiting.SET_GOALS)
    if board.skills is None or board.skills.waiting_for(board.choice.my_role):
        waiting.append(Waiting.SCORE_SKILLS)
    if unrated:
        waiting.append(Waiting.RATE_SESSION)
    return waiting


# The dashboard's own lookups, built once: building a statement and its cache key took longer
# than SQLite ran it.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_AGENDA_ITEMS = (
    select(AgendaItem.meeting_id, func.count())
    .where(col(AgendaItem.meeting_id).in_(_IDS))
    .group_by(col(AgendaItem.meeting_id))
)
# Pairings with a goal the partner proposed and this person has not agreed to yet.
_AWAITING = select(Goal.pairing_id).where(
    col(Goal.pairing_id).in_(_IDS),
    col(Goal.status) == GoalStatus.PROPOSED.value,
    col(Goal.proposed_by) != bindparam("user_id"),
)
# Pairings with a past scheduled session nobody logged (or marked moved or cancelled).
_UNLOGGED = select(Meeting.pairing_id).where(
    col(Meeting.pairing_id).in_(_IDS),
    col(Meeting.status) == MeetingStatus.SCHEDULED.value,
    col(Meeting.scheduled_start) < bindparam("now"),
)
# Pairings where this person (the mentee) has a scorecard waiting for ratings.
_UNRATED = select(Scorecard.pairing_id).where(
    col(Scorecard.pairing_id).in_(_IDS),
    col(Scorecard.mentee_user_id) == bindparam("user_id"),
    col(Scorecard.completed_at).is_(None),
)
# The reads above and the hours and notes counts, as one statement: each is a few rows.
_FACTS = together(
    {
        "awaiting": _AWAITING,
        "unlogged": _UNLOGGED,
        "unrated": _UNRATED,
        **HOURS_READS,
        **NOTES_READS,
    }
)


def _agenda_counts(
    session: Session, *, meetings: dict[int, Meeting]
) -> dict[int, tuple[int, bool]]:
    """Items on each upcoming meeting's agenda, and whether the mentee submitted it."""
    meeting_ids = [m.id for m in meetings.values() if m.id is not None]
    if not meeting_ids:
        return {}
    rows = session.exec(_AGENDA_ITEMS, params={"ids": meeting_ids}).all()
    items = {meeting_id: int(count) for meeting_id, count in rows}
    return {
        pairing_id: (items.get(m.id or 0, 0), m.agenda_submitted_at is not None)
        for pairing_id, m in meetings.items()
    }
