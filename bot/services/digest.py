"""Cohort metrics for the leads' digest, report and export: one pass, a fixed number of queries.

``cohort_metrics`` reads a whole program with grouped, set-based queries (at most 11, however
many pairs it has; nothing runs once per pair) and returns numbers, dates, statuses and flags.
It never returns notes, feedback, agenda or action text, survey comments, or any rating of one
person or one pair: every average it returns is over at least the program's minimum group of
distinct people (``RuleSettings.group_floor``, never fewer than 3), and is None below it.
Where a service's aggregate helper fits (``goals.goal_summary``, ``sessions.upcoming_meetings``,
``planned_hours_by``, ``minimum_hours``) it is used as is; where the helper runs once per pair or
re-reads rows as objects (``scorecards.scorecard_trends``, ``sessions.hours_held``,
``skills.skill_growth``, ``surveys.survey_aggregates``), the same rule is applied inside one of the
digest's own passes, and a test keeps the two in agreement. The failure modes of running pairs come
from ``bot.services.signals``' queries, which this pass runs once each.

Definitions (``gap`` is the cadence in days: 7, 14 or 30, or ``max_gap_days`` when pairs meet as
needed; ``since`` is the pair's last held session, or its start when none was held yet; the
lapse factors 1.5 and 2 follow the scheduler's, including a program's overrides):

- *active*: an ACTIVE pairing that is neither lapsing nor stalled.
- *lapsing*: ACTIVE, ``since`` at least 1.5 x gap ago.
- *stalled*: ACTIVE, not lapsing, running for 4 weeks or more, and no goal in motion: no goal agreed
  yet, or none of its goals on track, at risk or done (``signals.is_stalled``).
- *paused*, *graduated*, *ended*: the pairing's status. Each pairing is in exactly one bucket.
- *sessions this week*: HELD sessions with ``held_at`` in the last 7 days. The weekly plan is the
  number of pairs running that week (started by its end, not finished before its start, not
  paused) x 7 / gap. *Sessions to date* is planned per pair as whole gaps since it started (until
  it finished); pause time is not recorded, so it counts.
- *hours*: held hours against ``planned_hours_by`` (the minimum pro rata to today) and
  ``minimum_hours`` (6 hours a year, scaled to the program), per pair.
- *scorecard trend*: the average of completed scorecards of the last 4 weeks against the 4 weeks
  before, by session time; the chart shows the weekly averages. Each average (a window's, a
  week's, a survey question's, a competency's growth) is shown only when at least the minimum
  group of distinct people gave it: three ratings by one mentee are one person.

Red flags, raised from the data for ACTIVE pairings (paused and finished pairs are not expected
to meet), each with a suggested action for the lead:

- LAPSED: ``since`` at least 2 x gap ago. (Computed here, not read from LAPSED flag rows: those are
  kept per lapse period and never resolved, so they would outlive the lapse.)
- LOW_SCORECARD, AGENDA_DRIFT, ONE_SIDED_EFFORT, AVOIDED_FEEDBACK, and the *stalled* bucket: the
  failure modes of ``bot.services.signals``, the one definition the rule that nudges the pair
  shares, read by its queries inside this pass. A low-scorecard flag names the dimensions that
  fell, never a number: any figure would be the mentee's own rating.
- SKILL_GAP_UNRESOLVED: a competency 2 or more points apart (mentee vs mentor) in the last two
  closed assessment rounds.
- DELIVERY_FAILED and UNMATCHED come from open Flag rows other code raises; a delivery failure
  shows while its person is in a running pair of the program, or for 4 weeks after it was raised.
"""

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, type_coerce
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from bot.services.goals import GoalCounts, goal_summary
from bot.services.programs import (
    MIN_GROUP_SIZE,
    RuleSettings,
    program_end,
    program_last_day,
    program_midpoint,
)
from bot.services.scorecards import DIMENSIONS
from bot.services.sessions import (
    minimum_hours,
    planned_hours_by,
    upcoming_meetings,
    zone,
)
from bot.services.signals import (
    PairFacts,
    Signal,
    SignalKind,
    gap_of,
    is_held,
    is_stalled,
    lead_action,
    lead_reason,
    meeting_time,
    pair_signals,
    recent_activity,
    recent_scores,
)
from bot.services.skills import GAP_TOPIC
from bot.services.surveys import QUESTIONS, SURVEY_TITLES, QuestionType
from storage.enums import (
    Cadence,
    FlagKind,
    PairingStatus,
    Role,
    Stage,
    SurveyKind,
)
from storage.models import (
    Flag,
    Meeting,
    Pairing,
    Participant,
    Program,
    Scorecard,
    SkillAssessment,
    SkillRating,
    SurveyResponse,
)
from storage.types import UTCDateTime

CHART_WEEKS = 12
TREND_WEEKS = 4
UPCOMING_DAYS = 14
DELIVERY_RECENT = timedelta(weeks=4)
# The pairings a digest is about: the ones that ran (proposals and declined ones are matching's).
COHORT = (PairingStatus.ACTIVE, PairingStatus.PAUSED, PairingStatus.GRADUATED, PairingStatus.ENDED)
# The order red flags are shown in: what needs the lead soonest first.
FLAG_ORDER = (
    FlagKind.DELIVERY_FAILED,
    FlagKind.LAPSED,
    FlagKind.LOW_SCORECARD,
    FlagKind.ONE_SIDED_EFFORT,
    FlagKind.AGENDA_DRIFT,
    FlagKind.AVOIDED_FEEDBACK,
    FlagKind.SKILL_GAP_UNRESOLVED,
    FlagKind.UNMATCHED,
)
_DELIVERY_REASONS = {
    "account_inactive": "account deactivated",
    "user_disabled": "account deactivated",
    "user_not_found": "no longer in the workspace",
    "users_not_found": "no longer in the workspace",
    "cannot_dm_bot": "can't receive DMs",
    "channel_not_found": "channel gone",
    "is_archived": "channel archived",
    "not_in_channel": "I'm not in the channel",
}


class Health(StrEnum):
    """Which headline bucket a pairing is in."""

    ACTIVE = "active"
    LAPSING = "lapsing"
    STALLED = "stalled"
    PAUSED = "paused"
    GRADUATED = "graduated"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class RedFlag:
    """Something a lead should look at: who, what the data says, what to do. No private text."""

    kind: FlagKind
    pairing_id: int | None
    # (mentor, mentee) for a pair's flag; the one person for a delivery failure or an unmatched
    # mentee.
    user_ids: tuple[str, ...]
    reason: str
    action: str
    # Bigger is more urgent, within a kind.
    weight: float = 0.0


@dataclass(frozen=True, slots=True)
class PairMetrics:
    """One pairing's numbers, as the report and the CSV show them."""

    pairing_id: int
    mentor_user_id: str
    mentee_user_id: str
    status: PairingStatus
    health: Health
    stage: Stage
    started_on: date | None
    last_session_at: datetime | None
    sessions_held: int
    sessions_planned: int
    hours_held: float
    hours_planned: float
    minimum_hours: float
    goals: GoalCounts
    skill_open_gaps: int
    flags: tuple[FlagKind, ...]


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One week of the chart: sessions held against plan, and the scorecard averages (None when
    fewer people than the program's minimum group rated that week)."""

    start: date
    sessions: int
    planned: float
    scorecards: int
    # Distinct mentees who rated a session of that week.
    people: int
    averages: dict[str, float | None]


@dataclass(frozen=True, slots=True)
class Headline:
    """The digest's first lines."""

    counts: dict[Health, int]
    mentees_waiting: int
    sessions_week: int
    sessions_week_planned: float
    sessions_total: int
    sessions_total_planned: int
    hours_total: float
    hours_planned_per_pair: float
    hours_minimum_per_pair: float
    pairs_behind_hours: int
    goals: GoalCounts


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """Average scorecard ratings of the last weeks against the weeks before; an average is None
    when fewer distinct people than ``min_people`` rated in its weeks."""

    latest: dict[str, float | None]
    previous: dict[str, float | None]
    latest_count: int
    previous_count: int
    latest_people: int = 0
    previous_people: int = 0
    min_people: int = MIN_GROUP_SIZE

    def change(self, dimension: str) -> float | None:
        """Latest minus previous average, when both are shown (a change against a hidden
        average would give it away)."""
        now, before = self.latest.get(dimension), self.previous.get(dimension)
        return None if now is None or before is None else round(now - before, 2)


@dataclass(frozen=True, slots=True)
class SurveyAverage:
    """One numeric survey question across the program (no average below the minimum group)."""

    label: str
    average: float | None
    yes_no: bool
    # Distinct people who answered it.
    people: int = 0


@dataclass(frozen=True, slots=True)
class SurveySummary:
    """How many pairs completed a survey (both people answered), and its averages."""

    kind: SurveyKind
    title: str
    pairs: int
    pairs_complete: int
    responses: int
    averages: tuple[SurveyAverage, ...]


@dataclass(frozen=True, slots=True)
class Upcoming:
    """Something due in the next two weeks."""

    day: date
    text: str


@dataclass(frozen=True, slots=True)
class CohortMetrics:
    """Everything a digest, report, chart and CSV show about one program."""

    program_id: int
    program_name: str
    team_id: str
    timezone: str
    cadence: Cadence
    gap_days: int
    now: datetime
    today: date
    start: date
    last_day: date
    headline: Headline
    scores: ScoreSummary
    # Per competency, over at least ``min_people`` people; ``skill_hidden`` counts the rest.
    skill_growth: dict[str, float]
    surveys: tuple[SurveySummary, ...]
    flags: tuple[RedFlag, ...]
    upcoming: tuple[Upcoming, ...]
    weeks: tuple[WeekPoint, ...]
    pairs: tuple[PairMetrics, ...]
    flag_counts: dict[FlagKind, int] = field(default_factory=dict)
    # The fewest distinct people an average shown to leads is over (the program's setting).
    min_people: int = MIN_GROUP_SIZE
    # Competencies re-assessed, but by fewer people than ``min_people``: growth not shown.
    skill_hidden: int = 0

    @property
    def week_of_program(self) -> int:
        """Which week of the program today is in (1-based)."""
        return max((self.today - self.start).days // 7 + 1, 1)

    @property
    def weeks_total(self) -> int:
        """How many weeks the program lasts."""
        return math.ceil(((self.last_day - self.start).days + 1) / 7)

    def flags_of(self, kind: FlagKind) -> list[RedFlag]:
        """The flags of one kind, most urgent first."""
        return [f for f in self.flags if f.kind is kind]


@dataclass
class _Pair:
    """A pairing row and what the queries found about it (mutable while computing)."""

    id: int
    mentor: str
    mentee: str
    status: PairingStatus
    stage: Stage
    started: datetime
    finished: datetime | None
    held: int = 0
    last_held: datetime | None = None
    flags: list[RedFlag] = field(default_factory=list)


# --- the queries ---------------------------------------------------------------------------------


def _pairings(session: Session, program: Program) -> list[_Pair]:
    rows = session.execute(
        sa.select(
            col(Pairing.id),
            col(Pairing.mentor_user_id),
            col(Pairing.mentee_user_id),
            col(Pairing.status),
            col(Pairing.stage),
            type_coerce(
                func.coalesce(col(Pairing.started_at), col(Pairing.created_at)), UTCDateTime()
            ),
            col(Pairing.ended_at),
        )
        .where(
            col(Pairing.team_id) == program.team_id,
            col(Pairing.program_id) == program.id,
            col(Pairing.status).in_([s.value for s in COHORT]),
        )
        .order_by(col(Pairing.id))
    ).all()
    return [
        _Pair(
            id=pid,
            mentor=mentor,
            mentee=mentee,
            status=status,
            stage=stage,
            started=started,
            finished=ended,
        )
        for pid, mentor, mentee, status, stage, started, ended in rows
    ]


def _in_program(program: Program) -> list[sa.ColumnElement[bool]]:
    """Join conditions keeping a query to the program's pairings (joined on ``Pairing``)."""
    return [
        col(Pairing.team_id) == program.team_id,
        col(Pairing.program_id) == program.id,
        col(Pairing.status).in_([s.value for s in COHORT]),
    ]


@dataclass(frozen=True, slots=True)
class _Held:
    """A pairing's held sessions: how many, the last, the hours."""

    count: int
    last: datetime | None
    hours: float


def _held_stats(session: Session, program: Program) -> dict[int, _Held]:
    """Per pairing, in one pass: held sessions, the last one, and hours held.

    Hours follow ``sessions.hours_held`` (the sum of ``minutes_held`` of HELD meetings), read in
    the same pass instead of a second scan of every meeting.
    """
    rows = session.execute(
        sa.select(
            col(Meeting.pairing_id),
            func.count(),
            func.max(col(Meeting.held_at)),
            func.coalesce(func.sum(col(Meeting.minutes_held)), 0),
        )
        .join(Pairing, col(Pairing.id) == col(Meeting.pairing_id))
        .where(*_in_program(program), is_held())
        .group_by(col(Meeting.pairing_id))
    ).all()
    return {
        int(pid): _Held(int(count), last, float(minutes) / 60) for pid, count, last, minutes in rows
    }


def _week_bucket(moment: Any, bounds: Sequence[datetime]) -> Any:
    """Week index of ``moment``: 0 for the last 7 days, 1 for the 7 before, ..."""
    return sa.case(*[(moment >= bounds[k + 1], k) for k in range(len(bounds) - 1)], else_=-1).label(
        "week"
    )


def _weekly_sessions(
    session: Session, program: Program, bounds: Sequence[datetime]
) -> dict[int, int]:
    held_at = col(Meeting.held_at)
    inner = (
        sa.select(_week_bucket(held_at, bounds))
        .join(Pairing, col(Pairing.id) == col(Meeting.pairing_id))
        .where(
            *_in_program(program),
            is_held(),
            held_at >= bounds[-1],
            held_at <= bounds[0],
        )
        .subquery()
    )
    rows = session.execute(sa.select(inner.c.week, func.count()).group_by(inner.c.week)).all()
    return {int(week): int(count) for week, count in rows}


@dataclass(frozen=True, slots=True)
class _Tally:
    """Completed scorecards over some weeks: how many, by how many distinct mentees, and per
    dimension (answers, sum)."""

    scorecards: int
    people: int
    sums: dict[str, tuple[int, float]]

    def averages(self, floor: int) -> dict[str, float | None]:
        """Per dimension, the average; every one None when fewer than ``floor`` people rated."""
        if self.people < floor:
            return dict.fromkeys(DIMENSIONS)
        return {d: _average([self.sums[d]]) if d in self.sums else None for d in DIMENSIONS}


@dataclass(frozen=True, slots=True)
class _Scores:
    """Scorecard tallies per chart week (0: the last 7 days) and per trend window (0: the last
    ``TREND_WEEKS`` weeks, 1: the ``TREND_WEEKS`` before)."""

    weeks: dict[int, _Tally]
    windows: dict[int, _Tally]


def _weekly_scores(session: Session, program: Program, bounds: Sequence[datetime]) -> _Scores:
    """Scorecard tallies per week and per trend window, in one statement.

    People are counted per span, not summed over weeks: one mentee rating in four weeks is one
    person in the window, so each window is grouped on its own (a UNION of two groupings).
    """
    moment = meeting_time()
    window = sa.case(
        (moment >= bounds[TREND_WEEKS], 0), (moment >= bounds[2 * TREND_WEEKS], 1), else_=2
    ).label("window")
    inner = (
        sa.select(
            _week_bucket(moment, bounds),
            window,
            col(Scorecard.mentee_user_id).label("rater"),
            *(getattr(Scorecard, d).label(d) for d in DIMENSIONS),
        )
        .join(Meeting, col(Meeting.id) == col(Scorecard.meeting_id))
        .join(Pairing, col(Pairing.id) == col(Scorecard.pairing_id))
        .where(
            *_in_program(program),
            col(Scorecard.completed_at).is_not(None),
            moment >= bounds[-1],
            moment <= bounds[0],
        )
        .cte("rated")
    )

    def spans(kind: int, key: Any) -> sa.Select[Any]:
        # The kind is written into the SQL: a bound parameter in the select list of a grouped
        # query is a column PostgreSQL cannot tell is constant.
        columns: list[Any] = [
            sa.literal_column(str(kind)).label("kind"),
            key.label("span"),
            func.count(),
            func.count(sa.distinct(inner.c.rater)),
        ]
        for d in DIMENSIONS:
            columns += [func.count(inner.c[d]), func.coalesce(func.sum(inner.c[d]), 0)]
        return sa.select(*columns).group_by(key)

    found = _Scores({}, {})
    statement = sa.union_all(spans(0, inner.c.week), spans(1, inner.c.window))
    for kind, span, count, people, *numbers in session.execute(statement).all():
        sums = {
            d: (int(numbers[2 * i]), float(numbers[2 * i + 1])) for i, d in enumerate(DIMENSIONS)
        }
        tally = _Tally(int(count), int(people), sums)
        (found.windows if int(kind) else found.weeks)[int(span)] = tally
    return found


@dataclass
class _Skills:
    """The skill matrix across the program: closed rounds and wide gaps per pair, growth."""

    rounds: dict[int, list[int]]
    gaps: dict[int, dict[int, set[str]]]
    growth: dict[str, float]
    # Competencies re-assessed by too few people to show their growth.
    hidden: int = 0

    def open_gaps(self, pairing_id: int) -> int:
        """Competencies 2+ apart in the pair's last closed round."""
        rounds = self.rounds.get(pairing_id)
        return len(self.gaps.get(pairing_id, {}).get(rounds[-1], set())) if rounds else 0

    def unresolved(self, pairing_id: int) -> list[str]:
        """Competencies 2+ apart in both of the pair's last two closed rounds."""
        rounds = self.rounds.get(pairing_id, [])
        if len(rounds) < 2:
            return []
        found = self.gaps.get(pairing_id, {})
        return sorted(found.get(rounds[-1], set()) & found.get(rounds[-2], set()))


def _skills(
    session: Session, program: Program, people: Mapping[int, tuple[str, str]], floor: int
) -> _Skills:
    """Both people's score of each competency in each closed round, read once.

    Growth follows ``skills.skill_growth`` (a pair's score is the mean of both people's; growth is
    its last closed round minus round 1, for pairs with a closed re-assessment), which loads every
    rating as an object: seconds for 5,000 pairs, where these plain rows take a fraction of one.
    A competency's growth is kept only when at least ``floor`` distinct people (both of each
    pair counted: both scores are in it) scored it.
    """
    mentee_a, mentor_a = aliased(SkillAssessment), aliased(SkillAssessment)
    mentee_r, mentor_r = aliased(SkillRating), aliased(SkillRating)
    rows = session.execute(
        sa.select(
            col(mentee_a.pairing_id),
            col(mentee_a.round),
            col(mentee_r.competency),
            col(mentee_r.score),
            col(mentor_r.score),
        )
        .select_from(mentee_a)
        .join(Pairing, col(Pairing.id) == col(mentee_a.pairing_id))
        .join(
            mentor_a,
            sa.and_(
                col(mentor_a.pairing_id) == col(mentee_a.pairing_id),
                col(mentor_a.round) == col(mentee_a.round),
                col(mentor_a.rater_role) == Role.MENTOR,
            ),
        )
        .join(mentee_r, col(mentee_r.assessment_id) == col(mentee_a.id))
        .join(
            mentor_r,
            sa.and_(
                col(mentor_r.assessment_id) == col(mentor_a.id),
                col(mentor_r.competency) == col(mentee_r.competency),
            ),
        )
        .where(*_in_program(program), col(mentee_a.rater_role) == Role.MENTEE)
    ).all()
    # Flat dicts and local names: this loop sees every rating pair of the program.
    joint: dict[tuple[int, int], dict[str, int]] = {}
    gaps: dict[int, dict[int, set[str]]] = {}
    for pid, round_, competency, mentee_score, mentor_score in rows:
        key = (pid, round_)
        scores = joint.get(key)
        if scores is None:
            scores = joint[key] = {}
        scores[competency] = mentee_score + mentor_score
        if abs(mentee_score - mentor_score) >= GAP_TOPIC:
            gaps.setdefault(pid, {}).setdefault(round_, set()).add(competency)
    rounds: dict[int, list[int]] = {}
    for pid, round_ in sorted(joint):
        rounds.setdefault(pid, []).append(round_)
    total: dict[str, float] = defaultdict(float)
    counted: dict[str, int] = defaultdict(int)
    raters: dict[str, set[str]] = defaultdict(set)
    for pid, closed in rounds.items():
        if closed[0] != 1 or len(closed) < 2:
            continue
        first, last = joint[(pid, 1)], joint[(pid, closed[-1])]
        for competency, score in last.items():
            before = first.get(competency)
            if before is not None:
                # Each score is the sum of both people's: half of it is their mean.
                total[competency] += (score - before) / 2
                counted[competency] += 1
                raters[competency].update(people.get(pid, ()))
    shown = sorted(c for c in counted if len(raters[c]) >= floor)
    return _Skills(
        rounds=rounds,
        gaps=gaps,
        growth={c: round(total[c] / counted[c], 2) for c in shown},
        hidden=len(counted) - len(shown),
    )


@dataclass(frozen=True, slots=True)
class _OpenFlag:
    kind: FlagKind
    pairing_id: int | None
    user_id: str | None
    key: str
    detail: str
    raised_at: datetime


def _open_flags(session: Session, program: Program) -> list[_OpenFlag]:
    rows = session.execute(
        sa.select(
            col(Flag.kind),
            col(Flag.pairing_id),
            col(Participant.user_id),
            col(Flag.dedupe_key),
            col(Flag.detail),
            col(Flag.raised_at),
        )
        .outerjoin(Participant, col(Participant.id) == col(Flag.participant_id))
        .where(
            col(Flag.team_id) == program.team_id,
            col(Flag.program_id) == program.id,
            col(Flag.resolved_at).is_(None),
            col(Flag.kind).in_([FlagKind.UNMATCHED.value, FlagKind.DELIVERY_FAILED.value]),
        )
        .order_by(col(Flag.raised_at), col(Flag.id))
    ).all()
    return [_OpenFlag(*row) for row in rows]


# --- turning numbers into buckets and flags ------------------------------------------------------


def _days(delta: timedelta) -> int:
    return max(int(delta.total_seconds() // 86400), 0)


def _delivery_flags(
    open_flags: Sequence[_OpenFlag], pairs: Sequence[_Pair], now: datetime
) -> list[RedFlag]:
    running: dict[str, _Pair] = {}
    for pair in pairs:
        if pair.status in (PairingStatus.ACTIVE, PairingStatus.PAUSED):
            running.setdefault(pair.mentor, pair)
            running.setdefault(pair.mentee, pair)
    flags: list[RedFlag] = []
    seen: set[str] = set()
    for flag in open_flags:
        if flag.kind is not FlagKind.DELIVERY_FAILED:
            continue
        # The key is "delivery_failed:<recipient>:<reason>" (scheduler/delivery.py).
        _, recipient, code = [*flag.key.split(":", 2), "", ""][:3]
        live = running.get(recipient)
        if not recipient or recipient in seen:
            continue
        if live is None and now - flag.raised_at > DELIVERY_RECENT:
            continue
        seen.add(recipient)
        why = _DELIVERY_REASONS.get(code.strip(), code.strip() or "Slack refused")
        flags.append(
            RedFlag(
                kind=FlagKind.DELIVERY_FAILED,
                pairing_id=live.id if live else None,
                user_ids=(recipient,),
                reason=f"my messages can't reach them ({why})",
                action=(
                    "Check whether they left or changed teams, then end or re-match their pairing."
                    if live
                    else "Check whether they left or changed teams."
                ),
                weight=flag.raised_at.timestamp(),
            )
        )
    return flags


def _unmatched_flags(open_flags: Sequence[_OpenFlag], program: Program) -> list[RedFlag]:
    flags: list[RedFlag] = []
    seen: set[str] = set()
    for flag in open_flags:
        if flag.kind is not FlagKind.UNMATCHED or not flag.user_id or flag.user_id in seen:
            continue
        seen.add(flag.user_id)
        flags.append(
            RedFlag(
                kind=FlagKind.UNMATCHED,
                pairing_id=None,
                user_ids=(flag.user_id,),
                reason="waiting for a mentor",
                action=(
                    f"Run `/mentor match {program.name}` again, or recruit a mentor with the "
                    "skills they want."
                ),
                weight=-flag.raised_at.timestamp(),
            )
        )
    return flags


def _upcoming(
    program: Program, today: date, pairs: Sequence[_Pair], settings: RuleSettings
) -> list[Upcoming]:
    running = sum(1 for p in pairs if p.status in (PairingStatus.ACTIVE, PairingStatus.PAUSED))
    concluding = sum(
        1
        for p in pairs
        if p.status in (PairingStatus.ACTIVE, PairingStatus.PAUSED) and p.stage is Stage.CONCLUDING
    )
    horizon = today + timedelta(days=UPCOMING_DAYS)
    end = program_end(program)
    final_start = end - timedelta(days=settings.final_survey_days)
    plural = "" if running == 1 else "s"
    items: list[Upcoming] = []
    midpoint = program_midpoint(program)
    if today <= midpoint <= horizon:
        items.append(
            Upcoming(
                midpoint, f"Midpoint check: the midpoint survey goes to {running} pair{plural}"
            )
        )
    if today <= final_start <= horizon:
        items.append(
            Upcoming(
                final_start,
                f"Final reflection, independence audit and graduation prompts go to "
                f"{running} pair{plural}",
            )
        )
    last_day = end - timedelta(days=1)
    if today <= last_day <= horizon:
        items.append(
            Upcoming(last_day, f"Last day of the program: {running} pair{plural} to graduate")
        )
    if concluding:
        items.append(
            Upcoming(
                today,
                f"{concluding} pair{'' if concluding == 1 else 's'} concluding, ready to graduate",
            )
        )
    return sorted(items, key=lambda item: item.day)


def _surveys(
    session: Session, program: Program, pairs: Sequence[_Pair], floor: int
) -> tuple[SurveySummary, ...]:
    """Midpoint and final survey completion and averages; numbers only, never the comments.

    The same counts as ``surveys.survey_aggregates`` (pairs asked: the ones that ran; complete:
    both people answered; averages per numeric question, over at least ``floor`` distinct
    people), from the pairings already loaded: that function loads every pairing as an object
    again, a quarter second for 5,000 pairs.
    """
    kinds = (SurveyKind.MIDPOINT, SurveyKind.FINAL)
    people = {p.id: {p.mentor, p.mentee} for p in pairs}
    rows = session.execute(
        sa.select(
            col(SurveyResponse.pairing_id),
            col(SurveyResponse.user_id),
            col(SurveyResponse.kind),
            col(SurveyResponse.scores),
        ).where(
            col(SurveyResponse.team_id) == program.team_id,
            col(SurveyResponse.program_id) == program.id,
            col(SurveyResponse.kind).in_([k.value for k in kinds]),
        )
    ).all()
    answered: dict[SurveyKind, dict[int, set[str]]] = {k: defaultdict(set) for k in kinds}
    values: dict[tuple[SurveyKind, str], list[int]] = defaultdict(list)
    answering: dict[tuple[SurveyKind, str], set[str]] = defaultdict(set)
    responses: dict[SurveyKind, int] = dict.fromkeys(kinds, 0)
    for pid, user_id, kind, scores in rows:
        if user_id not in people.get(pid, ()):
            continue
        responses[kind] += 1
        answered[kind][pid].add(user_id)
        for key, value in (scores or {}).items():
            if isinstance(value, int):
                values[(kind, key)].append(value)
                answering[(kind, key)].add(user_id)
    summaries = []
    for kind in kinds:
        averages = []
        for question in QUESTIONS[kind]:
            if not question.numeric:
                continue
            found = values.get((kind, question.key), [])
            answered_by = len(answering.get((kind, question.key), ()))
            shown = found and answered_by >= floor
            averages.append(
                SurveyAverage(
                    question.lead_label,
                    round(sum(found) / len(found), 2) if shown else None,
                    question.type is QuestionType.YES_NO,
                    answered_by,
                )
            )
        summaries.append(
            SurveySummary(
                kind=kind,
                title=SURVEY_TITLES[kind],
                pairs=len(pairs),
                pairs_complete=sum(
                    1 for pid, users in answered[kind].items() if users >= people[pid]
                ),
                responses=responses[kind],
                averages=tuple(averages),
            )
        )
    return tuple(summaries)


def _average(parts: Iterable[tuple[int, float]]) -> float | None:
    answers = total = 0.0
    for count, value in parts:
        answers += count
        total += value
    return round(total / answers, 2) if answers else None


def _health(
    pair: _Pair,
    goals: GoalCounts,
    *,
    idle: timedelta,
    gap: timedelta,
    now: datetime,
    settings: RuleSettings,
) -> Health:
    if pair.status is not PairingStatus.ACTIVE:
        return {
            PairingStatus.PAUSED: Health.PAUSED,
            PairingStatus.GRADUATED: Health.GRADUATED,
        }.get(pair.status, Health.ENDED)
    if idle >= gap * settings.lapse_nudge_factor:
        return Health.LAPSING
    stalled = is_stalled(
        started=pair.started, idle=idle, goals=goals, now=now, gap=gap, settings=settings
    )
    if stalled:
        return Health.STALLED
    return Health.ACTIVE


def _pair_flags(
    pair: _Pair,
    *,
    idle: timedelta,
    gap: timedelta,
    settings: RuleSettings,
    tz: str,
    booked: Meeting | None,
    signals: Sequence[Signal],
    unresolved: Sequence[str],
) -> list[RedFlag]:
    """The red flags an ACTIVE pairing's numbers raise."""
    people = (pair.mentor, pair.mentee)
    flags: list[RedFlag] = []

    def raise_(kind: FlagKind, reason: str, action: str, weight: float) -> None:
        flags.append(RedFlag(kind, pair.id, people, reason, action, weight))

    if idle >= gap * settings.lapse_escalation_factor:
        days = _days(idle)
        reason = (
            f"no session for {days} days (plan: every {gap.days} days)"
            if pair.held
            else f"no session yet, {days} days after they started"
        )
        if booked is not None and booked.scheduled_start is not None:
            day = booked.scheduled_start.astimezone(zone(tz))
            action = (
                f"A session is booked for {day:%a} {day.day} {day:%b}: "
                "check in with both that it happens."
            )
        else:
            action = "Check in with both and help them book their next session."
        raise_(FlagKind.LAPSED, reason, action, days)
    for signal in signals:
        # A stalled pair is a bucket of the headline, not a red flag.
        if signal.kind is not SignalKind.STALLED:
            raise_(signal.kind.flag_kind, lead_reason(signal), lead_action(signal), signal.weight)
    if unresolved:
        shown = ", ".join(unresolved[:3]) + (
            f" +{len(unresolved) - 3}" if len(unresolved) > 3 else ""
        )
        raise_(
            FlagKind.SKILL_GAP_UNRESOLVED,
            f"{shown}: still {GAP_TOPIC}+ points apart after two assessments",
            f"Suggest a session on {unresolved[0]}: agree with examples what good looks like.",
            len(unresolved),
        )
    return flags


class _Running:
    """How many pairs were expected to meet during a week, for every week at once.

    A pair runs from its start until it finished (graduated or ended; ACTIVE ones until now);
    paused pairs are left out, since when they paused is not recorded. A pair runs during
    [start, end) if it started before ``end`` and did not finish before ``start``: that count is
    the pairs started before ``end`` minus the ones finished before ``start`` (two bisections).
    """

    def __init__(self, pairs: Sequence[_Pair]) -> None:
        counted = [
            p
            for p in pairs
            if p.status is PairingStatus.ACTIVE
            or (p.status is not PairingStatus.PAUSED and p.finished is not None)
        ]
        self.starts = sorted(p.started for p in counted)
        self.finishes = sorted(
            p.finished for p in counted if p.status is not PairingStatus.ACTIVE and p.finished
        )

    def during(self, start: datetime, end: datetime) -> int:
        """Pairs running at some point of [start, end)."""
        return bisect_left(self.starts, end) - bisect_left(self.finishes, start)

    def planned(self, start: datetime, end: datetime, gap: timedelta) -> float:
        """Sessions expected in the week [start, end): one per running pair every ``gap``."""
        return round(self.during(start, end) * 7 / gap.days, 1)


def _chart_weeks(today: date, start: date) -> int:
    """How many of the chart's weeks (7-day windows ending now) belong to the program.

    Window k ends k weeks before today, so it is the program's if it ends after the start day.
    On the start's weekday, the window ending on the start day itself is the week before the
    program (it holds no more than that day's first hours) and is left out.
    """
    return min(max(math.ceil((today - start).days / 7), 0), CHART_WEEKS)


def _weeks(
    program: Program,
    running_pairs: _Running,
    bounds: Sequence[datetime],
    sessions: Mapping[int, int],
    scores: _Scores,
    gap: timedelta,
    floor: int,
) -> tuple[WeekPoint, ...]:
    """The chart's weeks, oldest first, from the program's first week at most 12 weeks back."""
    today = bounds[0].astimezone(zone(program.timezone)).date()
    shown = _chart_weeks(today, program.start_date)
    points = []
    for k in range(shown - 1, -1, -1):
        start, end = bounds[k + 1], bounds[k]
        tally = scores.weeks.get(k, _Tally(0, 0, {}))
        points.append(
            WeekPoint(
                start=start.astimezone(zone(program.timezone)).date(),
                sessions=sessions.get(k, 0),
                planned=running_pairs.planned(start, end, gap),
                scorecards=tally.scorecards,
                people=tally.people,
                averages=tally.averages(floor),
            )
        )
    return tuple(points)


def _score_summary(scores: _Scores, floor: int) -> ScoreSummary:
    empty = _Tally(0, 0, {})
    latest, previous = scores.windows.get(0, empty), scores.windows.get(1, empty)
    return ScoreSummary(
        latest=latest.averages(floor),
        previous=previous.averages(floor),
        latest_count=latest.scorecards,
        previous_count=previous.scorecards,
        latest_people=latest.people,
        previous_people=previous.people,
        min_people=floor,
    )


def _sum_goals(counts: Iterable[GoalCounts]) -> GoalCounts:
    totals = [0] * 7
    for c in counts:
        for i, n in enumerate(
            (c.total, c.agreed, c.proposed, c.done, c.on_track, c.at_risk, c.overdue)
        ):
            totals[i] += n
    return GoalCounts(*totals)


def cohort_metrics(session: Session, *, program: Program, now: datetime) -> CohortMetrics:
    """Everything the digest, report, chart and CSV show, in a fixed number of queries."""
    if program.id is None:
        raise ValueError("the program has not been saved")
    settings = RuleSettings.for_program(program)
    floor = settings.group_floor
    today = now.astimezone(zone(program.timezone)).date()
    gap = gap_of(program)
    pairs = _pairings(session, program)
    ids = [p.id for p in pairs]
    by_id = {p.id: p for p in pairs}
    hours: dict[int, float] = {}
    for pid, held in _held_stats(session, program).items():
        if pid in by_id:
            by_id[pid].held, by_id[pid].last_held, hours[pid] = held.count, held.last, held.hours
    # Only lapsed pairs need their next session (the flag's suggested action depends on it).
    lapsed_ids = [
        p.id
        for p in pairs
        if p.status is PairingStatus.ACTIVE
        and now - (p.last_held or p.started) >= gap * settings.lapse_escalation_factor
    ]
    upcoming_sessions = upcoming_meetings(session, pairing_ids=lapsed_ids, now=now)
    goals = goal_summary(session, pairing_ids=ids, today=today)
    bounds = [now - timedelta(weeks=k) for k in range(CHART_WEEKS + 1)]
    weekly_sessions = _weekly_sessions(session, program, bounds)
    weekly_scores = _weekly_scores(session, program, bounds)
    scores = recent_scores(session, program, COHORT)
    recent = recent_activity(session, program, now=now)
    skills = _skills(session, program, {p.id: (p.mentor, p.mentee) for p in pairs}, floor)
    surveys = _surveys(session, program, pairs, floor)
    open_flags = _open_flags(session, program)

    planned_hours = planned_hours_by(program, today)
    minimum = minimum_hours(program)
    by_health: dict[Health, int] = dict.fromkeys(Health, 0)
    pair_rows: list[PairMetrics] = []
    flags: list[RedFlag] = []
    unpaired = []
    for flag in _delivery_flags(open_flags, pairs, now):
        if flag.pairing_id in by_id:
            by_id[flag.pairing_id].flags.append(flag)
        else:
            unpaired.append(flag)
    for pair in pairs:
        goal_counts = goals.get(pair.id, GoalCounts())
        since = pair.last_held or pair.started
        idle = now - since
        health = _health(pair, goal_counts, idle=idle, gap=gap, now=now, settings=settings)
        by_health[health] += 1
        latest_scores = scores.get(pair.id)
        if pair.status is PairingStatus.ACTIVE:
            signals = pair_signals(
                PairFacts(pair.id, pair.mentor, pair.mentee, pair.started, pair.last_held),
                recent=recent.get(pair.id),
                scores=latest_scores,
                goals=goal_counts,
                now=now,
                gap=gap,
                settings=settings,
            )
            pair.flags.extend(
                _pair_flags(
                    pair,
                    idle=idle,
                    gap=gap,
                    settings=settings,
                    tz=program.timezone,
                    booked=upcoming_sessions.get(pair.id),
                    signals=signals,
                    unresolved=skills.unresolved(pair.id),
                )
            )
        flags.extend(pair.flags)
        end = pair.finished if pair.status is not PairingStatus.ACTIVE and pair.finished else now
        pair_rows.append(
            PairMetrics(
                pairing_id=pair.id,
                mentor_user_id=pair.mentor,
                mentee_user_id=pair.mentee,
                status=pair.status,
                health=health,
                stage=pair.stage,
                started_on=pair.started.astimezone(zone(program.timezone)).date(),
                last_session_at=pair.last_held,
                sessions_held=pair.held,
                sessions_planned=max(int((end - pair.started) / gap), 0),
                hours_held=round(hours.get(pair.id, 0.0), 2),
                hours_planned=round(planned_hours, 2),
                minimum_hours=round(minimum, 2),
                goals=goal_counts,
                skill_open_gaps=skills.open_gaps(pair.id),
                flags=tuple(f.kind for f in pair.flags),
            )
        )
    flags.extend(unpaired)
    flags.extend(_unmatched_flags(open_flags, program))
    order = {kind: i for i, kind in enumerate(FLAG_ORDER)}
    flags.sort(key=lambda f: (order[f.kind], -f.weight, f.pairing_id or 0, f.user_ids))

    running = _Running(pairs)
    weeks = _weeks(program, running, bounds, weekly_sessions, weekly_scores, gap, floor)
    headline = Headline(
        counts=by_health,
        mentees_waiting=sum(1 for f in flags if f.kind is FlagKind.UNMATCHED),
        sessions_week=weekly_sessions.get(0, 0),
        # From the pairs, not the chart: on the start day the chart has no week yet.
        sessions_week_planned=running.planned(bounds[1], bounds[0], gap),
        sessions_total=sum(p.held for p in pairs),
        sessions_total_planned=sum(r.sessions_planned for r in pair_rows),
        hours_total=round(sum(hours.values()), 1),
        hours_planned_per_pair=round(planned_hours, 1),
        hours_minimum_per_pair=round(minimum, 1),
        pairs_behind_hours=sum(
            1
            for r in pair_rows
            if r.status in (PairingStatus.ACTIVE, PairingStatus.PAUSED)
            and r.hours_held < planned_hours
        ),
        goals=_sum_goals(
            goals.get(p.id, GoalCounts()) for p in pairs if p.status is not PairingStatus.ENDED
        ),
    )
    return CohortMetrics(
        program_id=program.id,
        program_name=program.name,
        team_id=program.team_id,
        timezone=program.timezone,
        cadence=program.cadence,
        gap_days=gap.days,
        now=now,
        today=today,
        start=program.start_date,
        last_day=program_last_day(program),
        headline=headline,
        scores=_score_summary(weekly_scores, floor),
        skill_growth=skills.growth,
        surveys=surveys,
        flags=tuple(flags),
        upcoming=tuple(_upcoming(program, today, pairs, settings)),
        weeks=weeks,
        pairs=tuple(pair_rows),
        flag_counts={kind: sum(1 for f in flags if f.kind is kind) for kind in FLAG_ORDER},
        min_people=floor,
        skill_hidden=skills.hidden,
    )
