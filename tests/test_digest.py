"""The leads' cohort digest and pair report, on a cohort with known activity.

The cohort (a weekly program, 12 weeks in on Monday 2 March 2026, led by UADMIN) has one pair for
each situation a lead must notice: healthy, lapsing, lapsed, stalled, paused, graduated, low
scorecards, agenda drift, avoided hard feedback, one-sided effort and an unresolved skill gap, plus
an unmatched mentee and a participant the bot can no longer reach. Unless a pair's spec says
otherwise, each held session worked on the pair's first agreed goal, and the mentor's feedback on
the latest one names something to change. Every private text holds a marker that must never reach
a digest, a report or a CSV.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlmodel import Session, SQLModel, col

from bot.deps import Deps
from bot.export import build_digest_for, chart_png, digest_chart_for, digest_for
from bot.ids import ActionId
from bot.sandbox import slack_double
from bot.sandbox.demo_digest import seed_cohort
from bot.sandbox.slack_double import SlackDouble
from bot.services.digest import (
    CohortMetrics,
    Health,
    cohort_metrics,
)
from bot.services.feedback import TRIVIAL_CHANGES, is_trivial_change
from bot.services.scorecards import low_score_dimensions, scorecard_trends
from bot.services.sessions import hours_held
from bot.services.signals import TRIVIAL_TRAILING
from bot.services.skills import skill_growth
from bot.services.surveys import survey_aggregates
from scheduler.delivery import Deliverer, settle
from scheduler.rules import DIGEST_RULE
from storage.db import make_engine, session_scope
from storage.enums import (
    Cadence,
    DeliveryStatus,
    FlagKind,
    GoalProgress,
    GoalStatus,
    MeetingStatus,
    PairingStatus,
    ProgramStatus,
    Role,
    Stage,
    SurveyKind,
)
from storage.migrate import upgrade
from storage.models import (
    ActionItem,
    AgendaItem,
    Delivery,
    Feedback,
    Flag,
    Goal,
    Meeting,
    MeetingGoal,
    Pairing,
    Participant,
    Program,
    Scorecard,
    SkillAssessment,
    SkillRating,
    SlackUser,
    SurveyResponse,
)
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot, eventually

TEAM = slack_double.DEFAULT_TEAM_ID
LEAD, OUTSIDER = "UADMIN", "U0001"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PROGRAM = "Spring cohort"
CHANNEL = "CDIGEST"
COMPETENCIES = ["Negotiation", "Public speaking", "Python"]
SECRETS = (
    "SECRET-NOTE-123",
    "SECRET-FEEDBACK-456",
    "SECRET-COMMENT-789",
    "SECRET-SURVEY-000",
    "SECRET-AGENDA-111",
    "SECRET-ACTION-222",
    "SECRET-GOAL-333",
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
Scores = tuple[int, int, int]


@dataclass
class PairSpec:
    """One pairing's known activity; days are counted back from NOW."""

    mentor: str
    mentee: str
    status: PairingStatus = PairingStatus.ACTIVE
    held: Sequence[int] = ()
    no_agenda: Sequence[int] = ()
    scores: dict[int, Scores] = field(default_factory=dict)
    goals: Sequence[tuple[GoalStatus, GoalProgress, date]] = (
        (GoalStatus.AGREED, GoalProgress.ON_TRACK, date(2026, 5, 29)),
    )
    # The mentor's feedback ("needs to change") on the latest held sessions, newest first.
    mentor_feedback: Sequence[str] = ("Open with the decision you need from them",)
    # (due, done): the mentee's action items
    mentee_actions: Sequence[tuple[date, datetime | None]] = ()
    # round -> competency -> (mentee, mentor)
    skills: dict[int, dict[str, tuple[int, int]]] = field(default_factory=dict)
    ended_at: datetime | None = None
    stage: Stage = Stage.GUIDED_PRACTICE


SPECS: dict[str, PairSpec] = {
    "healthy": PairSpec(
        "UM1",
        "UE1",
        held=(2, 9, 16, 23, 30, 37),
        scores={2: (8, 8, 8), 9: (8, 7, 8), 16: (7, 8, 8), 30: (6, 6, 6), 37: (6, 6, 6)},
        goals=(
            (GoalStatus.AGREED, GoalProgress.ON_TRACK, date(2026, 5, 29)),
            (GoalStatus.AGREED, GoalProgress.DONE, date(2026, 2, 20)),
        ),
        mentor_feedback=(
            "Prepare the numbers before the review SECRET-FEEDBACK-456",
            "Speak up earlier in the directors' meeting",
            "Ask for the decision explicitly",
        ),
        mentee_actions=((date(2026, 2, 25), datetime(2026, 2, 24, 10, tzinfo=UTC)),),
        skills={1: dict.fromkeys(COMPETENCIES, (3, 3))},
    ),
    "lapsing": PairSpec("UM3", "UE3", held=(12, 19)),
    "lapsed": PairSpec(
        "UM2",
        "UE2",
        held=(20, 27),
        goals=(
            (GoalStatus.AGREED, GoalProgress.ON_TRACK, date(2026, 2, 20)),
            (GoalStatus.AGREED, GoalProgress.AT_RISK, date(2026, 6, 1)),
        ),
    ),
    "stalled": PairSpec(
        "UM4",
        "UE4",
        held=(3, 10),
        goals=((GoalStatus.PROPOSED, GoalProgress.NOT_STARTED, date(2026, 5, 1)),),
    ),
    "paused": PairSpec("UM5", "UE5", status=PairingStatus.PAUSED, held=(40,)),
    "graduated": PairSpec(
        "UM6",
        "UE6",
        status=PairingStatus.GRADUATED,
        held=(20, 27, 34),
        goals=((GoalStatus.AGREED, GoalProgress.DONE, date(2026, 2, 10)),),
        ended_at=datetime(2026, 2, 16, 12, tzinfo=UTC),
        stage=Stage.GRADUATED,
    ),
    "low_scores": PairSpec(
        "UM7",
        "UE7",
        held=(1, 8, 15),
        scores={1: (4, 7, 5), 8: (5, 7, 7), 15: (8, 7, 7)},
    ),
    "agenda_drift": PairSpec("UM8", "UE8", held=(2, 9, 16), no_agenda=(2, 9)),
    "avoided_feedback": PairSpec(
        "UM9",
        "UE9",
        held=(3, 10, 17),
        mentor_feedback=("Nothing really, all good!", "  None. ", "n/a"),
    ),
    "one_sided": PairSpec(
        "UM10",
        "UE10",
        held=(4, 11),
        mentee_actions=((date(2026, 2, 24), None),),
    ),
    "skill_gap": PairSpec(
        "UM11",
        "UE11",
        held=(1, 8),
        scores={1: (7, 8, 7), 8: (7, 7, 8)},
        skills={
            1: {"Negotiation": (4, 1), "Python": (3, 1), "Public speaking": (3, 3)},
            2: {"Negotiation": (5, 2), "Python": (3, 2), "Public speaking": (4, 4)},
        },
    ),
}
NAMES = {"UM2": "Maya Lin", "UE2": "Eli Park", "UM7": "Sam Ortiz", "UE7": "Ravi Shah"}


@dataclass(frozen=True)
class Cohort:
    """Ids of the stored cohort."""

    program_id: int
    pairing_ids: dict[str, int]


def _participant(session: Session, program_id: int, user_id: str, role: Role) -> int:
    person = Participant(team_id=TEAM, program_id=program_id, user_id=user_id, role=role)
    session.add(person)
    session.flush()
    assert person.id is not None
    return person.id


def _store_pair(session: Session, program_id: int, spec: PairSpec, now: datetime) -> int:
    started = datetime(2025, 12, 8, 9, tzinfo=UTC)
    mentor = Participant(team_id=TEAM, program_id=program_id, user_id=spec.mentor, role=Role.MENTOR)
    mentee = Participant(team_id=TEAM, program_id=program_id, user_id=spec.mentee, role=Role.MENTEE)
    session.add_all([mentor, mentee])
    session.flush()
    pairing = Pairing(
        team_id=TEAM,
        program_id=program_id,
        mentor_id=mentor.id or 0,
        mentee_id=mentee.id or 0,
        mentor_user_id=spec.mentor,
        mentee_user_id=spec.mentee,
        status=spec.status,
        stage=spec.stage,
        started_at=started,
        created_at=started,
        ended_at=spec.ended_at,
    )
    session.add(pairing)
    session.flush()
    pid = pairing.id
    assert pid is not None
    held = {
        days: Meeting(
            team_id=TEAM,
            pairing_id=pid,
            status=MeetingStatus.HELD,
            scheduled_start=now - timedelta(days=days),
            held_at=now - timedelta(days=days),
            minutes_held=60,
            notes="We talked about SECRET-NOTE-123",
            created_at=now - timedelta(days=days),
        )
        for days in spec.held
    }
    assessments = {
        (round_, role): SkillAssessment(
            team_id=TEAM, pairing_id=pid, round=round_, rater_role=role, rater_user_id=user
        )
        for round_ in spec.skills
        for role, user in ((Role.MENTEE, spec.mentee), (Role.MENTOR, spec.mentor))
    }
    session.add_all([*held.values(), *assessments.values()])
    session.flush()
    meetings = {days: meeting.id or 0 for days, meeting in held.items()}
    for days, meeting_id in meetings.items():
        if days not in spec.no_agenda:
            session.add(
                AgendaItem(
                    team_id=TEAM,
                    pairing_id=pid,
                    meeting_id=meeting_id,
                    text="Discuss SECRET-AGENDA-111",
                    added_by=spec.mentee,
                )
            )
    for days, (clarity, energy, confidence) in spec.scores.items():
        session.add(
            Scorecard(
                team_id=TEAM,
                pairing_id=pid,
                meeting_id=meetings[days],
                mentee_user_id=spec.mentee,
                clarity=clarity,
                energy=energy,
                confidence=confidence,
                comment="Felt rushed SECRET-COMMENT-789",
                completed_at=now - timedelta(days=days),
            )
        )
    goals = [
        Goal(
            team_id=TEAM,
            pairing_id=pid,
            statement="Lead the quarterly review on my own SECRET-GOAL-333",
            due_date=due,
            status=status,
            progress=progress,
            proposed_by=spec.mentee,
            position=position,
            created_at=started,
            updated_at=started,
        )
        for position, (status, progress, due) in enumerate(spec.goals)
    ]
    session.add_all(goals)
    session.flush()
    agreed = [g.id or 0 for g in goals if g.status is GoalStatus.AGREED]
    for meeting_id in meetings.values():
        # Every session worked on the pair's first agreed goal: none of them drifted from it.
        if agreed:
            session.add(MeetingGoal(meeting_id=meeting_id, goal_id=agreed[0], team_id=TEAM))
    latest = [meetings[days] for days in sorted(meetings)]
    for needs_change, meeting_id in zip(spec.mentor_feedback, latest, strict=False):
        session.add(
            Feedback(
                team_id=TEAM,
                pairing_id=pid,
                meeting_id=meeting_id,
                from_user_id=spec.mentor,
                went_well="Good energy SECRET-FEEDBACK-456",
                needs_change=needs_change,
                next_action="Book the next one SECRET-FEEDBACK-456",
            )
        )
    if latest:
        # The mentee's own feedback names changes: only the mentor's counts for the flag.
        session.add(
            Feedback(
                team_id=TEAM,
                pairing_id=pid,
                meeting_id=latest[0],
                from_user_id=spec.mentee,
                went_well="Clear SECRET-FEEDBACK-456",
                needs_change="Start on time SECRET-FEEDBACK-456",
                next_action="Send the agenda SECRET-FEEDBACK-456",
            )
        )
    for due, done in spec.mentee_actions:
        session.add(
            ActionItem(
                team_id=TEAM,
                pairing_id=pid,
                meeting_id=meetings[max(spec.held)],
                text="Draft the deck SECRET-ACTION-222",
                owner_user_id=spec.mentee,
                due_date=due,
                done_at=done,
            )
        )
    for round_, scores in spec.skills.items():
        for role in (Role.MENTEE, Role.MENTOR):
            assessment_id = assessments[(round_, role)].id
            assert assessment_id is not None
            for competency, (mentee_score, mentor_score) in scores.items():
                session.add(
                    SkillRating(
                        team_id=TEAM,
                        assessment_id=assessment_id,
                        competency=competency,
                        score=mentee_score if role is Role.MENTEE else mentor_score,
                    )
                )
    return pid


def _midpoint(relationship: int, alignment: int, satisfaction: int) -> dict[str, int]:
    return {
        "relationship_quality": relationship,
        "goal_alignment": alignment,
        "satisfaction": satisfaction,
    }


def build_cohort(engine: Engine, *, now: datetime = NOW) -> Cohort:
    """Store the program, its leads' names and every pair of SPECS."""
    with session_scope(engine) as session:
        program = Program(
            team_id=TEAM,
            name=PROGRAM,
            status=ProgramStatus.ACTIVE,
            cadence=Cadence.WEEKLY,
            start_date=date(2025, 12, 8),
            length_months=6,
            competencies=COMPETENCIES,
            digest_channel_id=CHANNEL,
            created_by=LEAD,
        )
        session.add(program)
        session.flush()
        assert program.id is not None
        ids = {name: _store_pair(session, program.id, spec, now) for name, spec in SPECS.items()}
        for user_id, real_name in NAMES.items():
            session.add(SlackUser(team_id=TEAM, user_id=user_id, real_name=real_name))
        # Midpoint answers: both people of the healthy pair, only the mentee of another.
        for pair, user, scores in (
            ("healthy", "UE1", {"relationship_quality": 5, "goal_alignment": 4, "satisfaction": 5}),
            ("healthy", "UM1", {"relationship_quality": 4, "goal_alignment": 4, "satisfaction": 4}),
            (
                "low_scores",
                "UE7",
                {"relationship_quality": 2, "goal_alignment": 3, "satisfaction": 2},
            ),
        ):
            session.add(
                SurveyResponse(
                    team_id=TEAM,
                    program_id=program.id,
                    pairing_id=ids[pair],
                    user_id=user,
                    kind=SurveyKind.MIDPOINT,
                    scores=scores,
                    comment="Honestly SECRET-SURVEY-000",
                )
            )
        waiting = _participant(session, program.id, "UE12", Role.MENTEE)
        flags = [
            Flag(
                team_id=TEAM,
                program_id=program.id,
                participant_id=waiting,
                kind=FlagKind.UNMATCHED,
                dedupe_key="unmatched:UE12",
                detail="no mentor offers Python",
                raised_at=now - timedelta(days=3),
            ),
            # The paused pair's mentee was deactivated: still in a running pair, so shown.
            Flag(
                team_id=TEAM,
                program_id=program.id,
                kind=FlagKind.DELIVERY_FAILED,
                dedupe_key="delivery_failed:UE5:account_inactive",
                detail="<@UE5>: account_inactive",
                raised_at=now - timedelta(days=40),
            ),
            # Someone long gone: old, and in no running pair, so no longer shown.
            Flag(
                team_id=TEAM,
                program_id=program.id,
                kind=FlagKind.DELIVERY_FAILED,
                dedupe_key="delivery_failed:UGONE:user_not_found",
                raised_at=now - timedelta(days=60),
            ),
            # A lapse flag from weeks ago: the healthy pair met since, so the digest ignores it.
            Flag(
                team_id=TEAM,
                program_id=program.id,
                pairing_id=ids["healthy"],
                kind=FlagKind.LAPSED,
                dedupe_key=f"lapsed:{ids['healthy']}:2026-01-01",
                raised_at=now - timedelta(days=45),
            ),
        ]
        for flag in flags:
            session.add(flag)
        return Cohort(program.id, ids)


@pytest.fixture
def cohort(engine: Engine, slack: SlackDouble) -> Cohort:
    """The known cohort, with its digest channel known to the Slack double."""
    slack.add_channel(CHANNEL, name="spring-leads", is_private=True)
    return build_cohort(engine)


def metrics_of(engine: Engine, program_id: int, now: datetime = NOW) -> CohortMetrics:
    """The program's metrics, computed in a fresh unit of work."""
    with session_scope(engine) as session:
        program = session.get(Program, program_id)
        assert program is not None
        return cohort_metrics(session, program=program, now=now)


def _visible_text(payload: Any) -> str:
    """Everything a message would show or carry, as one string."""
    return json.dumps(payload, ensure_ascii=False)


def assert_no_secrets(text: str) -> None:
    """No private text (any marker) in ``text``."""
    leaked = [marker for marker in SECRETS if marker in text]
    assert not leaked, f"private text leaked: {leaked}"


# --- the numbers ---------------------------------------------------------------------------------


def test_headline_numbers_are_exact(engine: Engine, cohort: Cohort) -> None:
    metrics = metrics_of(engine, cohort.program_id)
    head = metrics.headline
    assert head.counts == {
        Health.ACTIVE: 6,  # healthy, low scores, drift, avoided feedback, one-sided, skill gap
        Health.LAPSING: 2,  # 12 and 20 days since the last session (>= 10.5)
        Health.STALLED: 1,  # meets, but no goal agreed after 12 weeks
        Health.PAUSED: 1,
        Health.GRADUATED: 1,
        Health.ENDED: 0,
    }
    # Held in the last 7 days: days 2, 1, 2, 3, 3, 4, 1 (healthy, low, drift, stalled, avoided,
    # one-sided, skill gap); the plan: 9 running pairs (paused and graduated ones not) x 7 / 7.
    assert (head.sessions_week, head.sessions_week_planned) == (7, 9.0)
    held = sum(len(spec.held) for spec in SPECS.values())
    assert head.sessions_total == held == 29
    # 12 weeks for every pair, the graduated one 10 weeks (it ended on 16 February).
    assert head.sessions_total_planned == 10 * 12 + 10
    assert head.hours_total == 29.0
    assert head.hours_minimum_per_pair == 3.0
    # 84 of 182 days: 3 h x 84/182.
    assert head.hours_planned_per_pair == 1.4
    # Running pairs under 1.38 h held: lapsing (2 sessions) is not, the paused pair (1) is.
    assert head.pairs_behind_hours == 1
    goals = head.goals
    assert (goals.total, goals.agreed, goals.done, goals.on_track, goals.at_risk) == (
        13,
        12,
        2,
        9,
        1,
    )
    assert goals.overdue == 1  # the lapsed pair's goal due 20 February
    assert head.mentees_waiting == 1


def test_trends_and_what_is_coming(engine: Engine, cohort: Cohort) -> None:
    metrics = metrics_of(engine, cohort.program_id)
    # Last 4 weeks: three mentees (healthy 8/8/7, low 4/5/8, skill gap 7/7 for clarity, ...).
    assert metrics.scores.latest == {"clarity": 6.75, "energy": 7.38, "confidence": 7.25}
    assert (metrics.scores.latest_count, metrics.scores.latest_people) == (8, 3)
    # The 4 weeks before: two ratings, both by the healthy pair's mentee: one person, not shown,
    # and no change against it either (it would give the hidden average away).
    assert metrics.scores.previous == dict.fromkeys(("clarity", "energy", "confidence"))
    assert (metrics.scores.previous_count, metrics.scores.previous_people) == (2, 1)
    assert metrics.scores.change("clarity") is None
    # Only the skill-gap pair re-assessed: two people, so its growth is theirs alone.
    assert metrics.skill_growth == {}
    assert metrics.skill_hidden == 3
    assert metrics.min_people == 3
    midpoint, final = metrics.surveys
    assert (midpoint.kind, midpoint.pairs, midpoint.pairs_complete, midpoint.responses) == (
        SurveyKind.MIDPOINT,
        11,
        1,
        3,
    )
    averages = {a.label: a.average for a in midpoint.averages}
    # Three people answered (both of the healthy pair, the low pair's mentee): shown.
    assert averages == {"Relationship quality": 3.67, "Goal alignment": 3.67, "Satisfaction": 3.67}
    assert {a.people for a in midpoint.averages} == {3}
    assert (final.kind, final.responses) == (SurveyKind.FINAL, 0)
    # The midpoint of 8 December + 6 months is Monday 9 March: within two weeks.
    assert [(u.day, u.text) for u in metrics.upcoming] == [
        (date(2026, 3, 9), "Midpoint check: the midpoint survey goes to 10 pairs")
    ]
    sessions = [w.sessions for w in metrics.weeks]
    assert len(sessions) == 12
    assert sum(sessions) == 29
    assert metrics.weeks[-1].sessions == 7
    # The last 7 days: one rating each by three mentees (8/8/8, 4/7/5, 7/8/7).
    assert metrics.weeks[-1].people == 3
    assert metrics.weeks[-1].averages == {"clarity": 6.33, "energy": 7.67, "confidence": 6.67}
    # The week before: three mentees again (9/8/8 days ago); before that two, none, one, one.
    assert [w.people for w in metrics.weeks[-6:]] == [1, 1, 0, 2, 3, 3]
    assert metrics.weeks[-2].averages == {"clarity": 6.67, "energy": 7.0, "confidence": 7.67}
    # A week rated by fewer than three people has no point on the chart.
    hidden = [w for w in metrics.weeks if w.people < 3]
    assert all(w.averages == dict.fromkeys(w.averages) for w in hidden)
    assert sum(w.scorecards for w in hidden) == 4


def test_red_flags_are_exact(engine: Engine, cohort: Cohort) -> None:
    metrics = metrics_of(engine, cohort.program_id)
    ids = cohort.pairing_ids
    found = [(f.kind, f.pairing_id, f.user_ids) for f in metrics.flags]
    assert found == [
        (FlagKind.DELIVERY_FAILED, ids["paused"], ("UE5",)),
        (FlagKind.LAPSED, ids["lapsed"], ("UM2", "UE2")),
        (FlagKind.LOW_SCORECARD, ids["low_scores"], ("UM7", "UE7")),
        (FlagKind.ONE_SIDED_EFFORT, ids["one_sided"], ("UM10", "UE10")),
        (FlagKind.AGENDA_DRIFT, ids["agenda_drift"], ("UM8", "UE8")),
        (FlagKind.AVOIDED_FEEDBACK, ids["avoided_feedback"], ("UM9", "UE9")),
        (FlagKind.SKILL_GAP_UNRESOLVED, ids["skill_gap"], ("UM11", "UE11")),
        (FlagKind.UNMATCHED, None, ("UE12",)),
    ]
    reasons = {f.kind: f.reason for f in metrics.flags}
    assert reasons[FlagKind.LAPSED] == "no session for 20 days (plan: every 7 days)"
    # Which dimension fell, never a figure: any number would be the mentee's own answer.
    assert reasons[FlagKind.LOW_SCORECARD] == "clarity rated low in recent sessions"
    assert reasons[FlagKind.AGENDA_DRIFT] == "2 of the last 3 sessions had no agenda"
    assert reasons[FlagKind.ONE_SIDED_EFFORT] == (
        "none of the mentee's 1 action due by the last session was done"
    )
    assert reasons[FlagKind.AVOIDED_FEEDBACK] == (
        "3 feedback notes from the mentor, none naming anything to change"
    )
    assert reasons[FlagKind.SKILL_GAP_UNRESOLVED] == (
        "Negotiation: still 2+ points apart after two assessments"
    )
    assert reasons[FlagKind.DELIVERY_FAILED] == "my messages can't reach them (account deactivated)"
    assert all(f.action.endswith(".") and len(f.action) > 20 for f in metrics.flags)
    rows = {p.pairing_id: p for p in metrics.pairs}
    skill = rows[ids["skill_gap"]]
    assert (skill.skill_open_gaps, skill.flags) == (1, (FlagKind.SKILL_GAP_UNRESOLVED,))
    healthy = rows[ids["healthy"]]
    assert (healthy.health, healthy.flags, healthy.sessions_held, healthy.hours_held) == (
        Health.ACTIVE,
        (),
        6,
        6.0,
    )
    # No pair carries a rating: a pair's scorecards are its mentee's own answers.
    assert not [f for f in healthy.__slots__ if "score" in f or "survey" in f]


def test_the_set_based_rules_agree_with_the_services_they_stand_in_for(
    engine: Engine, cohort: Cohort
) -> None:
    """Growth, surveys, scorecards and hours are computed in the digest's own passes."""
    metrics = metrics_of(engine, cohort.program_id)
    rows = {p.pairing_id: p for p in metrics.pairs}
    ids = list(rows)
    with session_scope(engine) as session:
        assert metrics.skill_growth == skill_growth(
            session, program_id=cohort.program_id, min_people=None
        )
        aggregates = survey_aggregates(session, program_id=cohort.program_id)
        trends = scorecard_trends(session, pairing_ids=ids)
        hours = hours_held(session, pairing_ids=ids)
        for pairing_id, row in rows.items():
            low = low_score_dimensions(session, pairing_id=pairing_id)
            assert (FlagKind.LOW_SCORECARD in row.flags) is (
                bool(low) and row.status is PairingStatus.ACTIVE
            )
    for survey in metrics.surveys:
        found = aggregates.kinds[survey.kind]
        assert (survey.pairs, survey.pairs_complete, survey.responses) == (
            aggregates.pairings,
            found.pairs_complete,
            found.responses,
        )
        assert [a.average for a in survey.averages] == [q.average for q in found.questions]
    for pairing_id, row in rows.items():
        assert row.hours_held == hours[pairing_id]
    # The low-scorecard flags follow the pair's own trend (which only the pair sees).
    rated_pairs = {p for p, trend in trends.items() if trend.latest["clarity"] is not None}
    assert {p for p, r in rows.items() if FlagKind.LOW_SCORECARD in r.flags} <= rated_pairs


def test_the_trivial_feedback_rule_matches_the_feedback_service(engine: Engine) -> None:
    samples = [
        "Nothing really, all good!",
        "  None. ",
        "N/A",
        "nothing…",
        "Keep it up!!",
        "Speak up earlier",
        "Nothing to add about the deck",
        "",
    ]
    from sqlalchemy import func, literal

    with session_scope(engine) as session:
        for text in samples:
            normal = func.rtrim(func.lower(func.trim(literal(text))), TRIVIAL_TRAILING)
            in_sql = session.execute(select(normal.in_(sorted(TRIVIAL_CHANGES)))).scalar_one()
            assert bool(in_sql) is is_trivial_change(text), text


def _count_queries(engine: Engine, program_id: int) -> int:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        metrics_of(engine, program_id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def _copies(engine: Engine, copies: int) -> int:
    """A program with ``copies`` of every pair of SPECS (same activity, more pairs)."""
    with session_scope(engine) as session:
        program = Program(
            team_id=TEAM,
            name=f"Copies {copies}",
            status=ProgramStatus.ACTIVE,
            start_date=date(2025, 12, 8),
            competencies=COMPETENCIES,
            created_by=LEAD,
        )
        session.add(program)
        session.flush()
        assert program.id is not None
        for n in range(copies):
            for name, spec in SPECS.items():
                suffix = f"{copies}x{n}{name}"
                copy = PairSpec(**{**spec.__dict__, "mentor": "M" + suffix, "mentee": "E" + suffix})
                _store_pair(session, program.id, copy, NOW)
        return program.id


def test_metrics_take_the_same_number_of_queries_for_10_and_200_pairs(engine: Engine) -> None:
    small, large = _copies(engine, 1), _copies(engine, 18)
    assert len(metrics_of(engine, small).pairs) == 11
    assert len(metrics_of(engine, large).pairs) == 198
    queries = _count_queries(engine, small)
    assert queries == _count_queries(engine, large)
    assert queries <= 14  # 12 for the metrics, and the unit of work around them


# --- averages only over enough people -------------------------------------------------------------

# Each mentee of the group program rates one session a day ago: mentee n gives (4 + n, 6, 9 - n).
GROUP_TRENDS = {
    1: [
        "• Scorecards, last 4 weeks (1 rating): too few answers to show.",
        "• Skill growth since the start: too few answers to show.",
        "• Midpoint survey: 0 of 1 pair complete; averages: too few answers to show",
    ],
    2: [
        "• Scorecards, last 4 weeks (2 ratings): too few answers to show.",
        # Two pairs re-assessed: four people, so skill growth shows.
        "• Skill growth since the start (1 to 5): Negotiation +1.0",
        "• Midpoint survey: 0 of 2 pairs complete; averages: too few answers to show",
    ],
    3: [
        "• Scorecards, last 4 weeks vs the 4 before (3 ratings by 3 mentees): "
        "Clarity 6.0 · Energy 6.0 · Confidence 7.0",
        "• Skill growth since the start (1 to 5): Negotiation +1.0",
        "• Midpoint survey: 0 of 3 pairs complete; Relationship quality 2.0/5",
    ],
}


def group_program(
    engine: Engine,
    mentees: int,
    *,
    setting: object = None,
    sessions_each: int = 1,
) -> int:
    """A program whose ``mentees`` each rated ``sessions_each`` sessions in the last 4 weeks,
    answered the midpoint survey and re-assessed Negotiation with their mentor; ``setting`` is
    the program's ``min_group_size``."""
    with session_scope(engine) as session:
        program = Program(
            team_id=TEAM,
            name=f"Group of {mentees}",
            status=ProgramStatus.ACTIVE,
            cadence=Cadence.WEEKLY,
            start_date=date(2025, 12, 8),
            length_months=6,
            competencies=["Negotiation"],
            created_by=LEAD,
            rule_settings={} if setting is None else {"min_group_size": setting},
        )
        session.add(program)
        session.flush()
        assert program.id is not None
        for n in range(1, mentees + 1):
            days = [1 + 7 * k for k in range(sessions_each)]
            spec = PairSpec(
                f"GM{n}",
                f"GE{n}",
                held=days,
                scores=dict.fromkeys(days, (4 + n, 6, 9 - n)),
                skills={1: {"Negotiation": (2, 3)}, 2: {"Negotiation": (3, 4)}},
            )
            pid = _store_pair(session, program.id, spec, NOW)
            session.add(
                SurveyResponse(
                    team_id=TEAM,
                    program_id=program.id,
                    pairing_id=pid,
                    user_id=f"GE{n}",
                    kind=SurveyKind.MIDPOINT,
                    scores={"relationship_quality": n},
                    comment="SECRET-SURVEY-000",
                )
            )
        return program.id


def _trend_lines(digest: dict[str, Any]) -> list[str]:
    [trends] = [b["text"]["text"] for b in digest["blocks"] if "*Trends*" in str(b.get("text"))]
    return [line for line in trends.splitlines() if "Final reflection" not in line][1:]


@pytest.mark.parametrize("mentees", [1, 2, 3])
def test_averages_show_only_over_three_people(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, mentees: int
) -> None:
    program_id = group_program(engine, mentees)
    metrics = metrics_of(engine, program_id)
    shown = mentees >= 3
    latest = {"clarity": 6.0, "energy": 6.0, "confidence": 7.0} if shown else {}
    assert {d: v for d, v in metrics.scores.latest.items() if v is not None} == latest
    assert (metrics.scores.latest_count, metrics.scores.latest_people) == (mentees, mentees)
    # The chart's points follow the same rule, week by week.
    last = metrics.weeks[-1]
    assert (last.scorecards, last.people) == (mentees, mentees)
    assert {d: v for d, v in last.averages.items() if v is not None} == latest
    [midpoint, _] = metrics.surveys
    quality = next(a for a in midpoint.averages if a.label == "Relationship quality")
    assert (quality.people, quality.average) == (mentees, 2.0 if shown else None)
    # Skill growth counts both people of a pair: one pair is two people, two pairs four.
    assert metrics.skill_growth == ({} if mentees == 1 else {"Negotiation": 1.0})
    with session_scope(engine) as session:
        program = session.get(Program, program_id)
        assert program is not None
        digest = digest_for(session, program=program, now=NOW).message
        assert metrics.skill_growth == skill_growth(session, program_id=program_id, min_people=None)
        aggregates = survey_aggregates(session, program_id=program_id)
    assert [q.average for q in aggregates.kinds[SurveyKind.MIDPOINT].questions] == [
        a.average for a in midpoint.averages
    ]
    assert_valid_view(digest, surface="message")
    assert _trend_lines(digest) == GROUP_TRENDS[mentees]
    assert "Averages are shown only over 3 or more people." in _visible_text(digest)
    assert chart_png(metrics) is not None


@pytest.mark.parametrize(
    ("mentees", "setting", "shown"),
    [(2, 2, False), (3, 2, True), (2, 1, False), (2, "two", False), (3, 4, False), (4, 4, True)],
    ids=["2-of-2", "3-of-2", "2-of-1", "2-of-junk", "3-of-4", "4-of-4"],
)
def test_a_program_may_ask_for_more_people_never_fewer_than_three(
    engine: Engine, mentees: int, setting: object, shown: bool
) -> None:
    metrics = metrics_of(engine, group_program(engine, mentees, setting=setting))
    assert metrics.min_people == max(3, setting if isinstance(setting, int) else 3)
    assert (metrics.scores.latest["clarity"] is not None) is shown
    assert (metrics.weeks[-1].averages["clarity"] is not None) is shown
    assert (metrics.surveys[0].averages[0].average is not None) is shown


def test_three_ratings_by_one_mentee_are_one_person(engine: Engine) -> None:
    """One mentee rated three sessions, another one: four ratings by two people, none shown."""
    program_id = group_program(engine, 1, sessions_each=3)
    with session_scope(engine) as session:
        program = session.get(Program, program_id)
        assert program is not None
        _store_pair(
            session, program_id, PairSpec("GM9", "GE9", held=(2,), scores={2: (9, 9, 9)}), NOW
        )
    metrics = metrics_of(engine, program_id)
    assert (metrics.scores.latest_count, metrics.scores.latest_people) == (4, 2)
    assert all(v is None for v in metrics.scores.latest.values())
    assert [(w.scorecards, w.people) for w in metrics.weeks[-3:]] == [(1, 1), (1, 1), (2, 2)]
    assert all(v is None for w in metrics.weeks for v in w.averages.values())


def test_skill_growth_counts_the_people_who_scored(engine: Engine) -> None:
    """One mentor with two mentees: three people, so the growth shows; one pair alone does not."""
    alone = metrics_of(engine, group_program(engine, 1))
    assert (alone.skill_growth, alone.skill_hidden) == ({}, 1)
    program_id = group_program(engine, 2)
    with session_scope(engine) as session:
        # GM1 mentors both mentees: the second pair's mentor is GM1 too.
        pairing = session.scalars(
            select(Pairing).where(
                col(Pairing.program_id) == program_id, col(Pairing.mentee_user_id) == "GE2"
            )
        ).one()
        pairing.mentor_user_id = "GM1"
        for assessment in session.scalars(
            select(SkillAssessment).where(col(SkillAssessment.rater_user_id) == "GM2")
        ):
            assessment.rater_user_id = "GM1"
    shared = metrics_of(engine, program_id)
    assert (shared.skill_growth, shared.skill_hidden) == ({"Negotiation": 1.0}, 0)
    with session_scope(engine) as session:
        assert skill_growth(session, program_id=program_id, min_people=None) == {"Negotiation": 1.0}
        assert skill_growth(session, program_id=program_id, min_people=4) == {}


def test_the_low_scorecard_flag_names_what_fell_and_no_figure(
    engine: Engine, cohort: Cohort
) -> None:
    metrics = metrics_of(engine, cohort.program_id)
    [low] = metrics.flags_of(FlagKind.LOW_SCORECARD)
    assert low.reason == "clarity rated low in recent sessions"
    assert not any(ch.isdigit() for ch in low.reason + low.action)
    with session_scope(engine) as session:
        program = session.get(Program, cohort.program_id)
        assert program is not None
        digest = build_digest_for(session, program=program, now=NOW)
    [section] = [
        b["text"]["text"] for b in digest["blocks"] if "Low scorecards" in str(b.get("text"))
    ]
    assert not any(ch.isdigit() for ch in section.replace("(1)", ""))


# --- the program's calendar ----------------------------------------------------------------------

SPRING_START = date(2026, 3, 2)  # a Monday; 3 months run to Monday 1 June: 13 weeks and a day


def _spring_program(engine: Engine) -> int:
    """An empty weekly program from Monday 2 March 2026 for 3 months."""
    with session_scope(engine) as session:
        program = Program(
            team_id=TEAM,
            name="Calendar cohort",
            status=ProgramStatus.ACTIVE,
            cadence=Cadence.WEEKLY,
            start_date=SPRING_START,
            length_months=3,
            competencies=COMPETENCIES,
            created_by=LEAD,
        )
        session.add(program)
        session.flush()
        assert program.id is not None
        return program.id


def _monday(week: int) -> datetime:
    """09:00 UTC on the Monday that opens the program's ``week``: when the digest goes out."""
    return datetime.combine(SPRING_START + timedelta(weeks=week - 1), time(9), tzinfo=UTC)


@pytest.mark.parametrize(
    ("week", "starts"),
    [
        (1, []),  # the start day: no week of the program has gone by
        (2, [date(2026, 3, 2)]),
        (3, [date(2026, 3, 2), date(2026, 3, 9)]),
        (14, [date(2026, 3, 9) + timedelta(weeks=k) for k in range(12)]),  # the last 12 weeks
    ],
)
def test_the_chart_starts_at_the_programs_first_week(
    engine: Engine, week: int, starts: list[date]
) -> None:
    """On the start's weekday the last 7 days are a whole program week: the 7 days before
    the start are not one of its weeks."""
    metrics = metrics_of(engine, _spring_program(engine), now=_monday(week))
    assert [w.start for w in metrics.weeks] == starts


@pytest.mark.parametrize(
    ("now", "week"),
    [
        (_monday(1), "Week 1 of 14"),
        (_monday(13), "Week 13 of 14"),
        (datetime(2026, 5, 31, 18, tzinfo=UTC), "Week 13 of 14"),  # the 13th week's last day
        (_monday(14), "Week 14 of 14"),  # Monday 1 June, the last day: a week of its own
        (datetime(2026, 6, 8, 9, tzinfo=UTC), "Week 14 of 14"),  # after the end: still the last
    ],
)
def test_the_digest_counts_weeks_up_to_the_one_holding_the_last_day(
    engine: Engine, now: datetime, week: str
) -> None:
    """13 weeks and a day make 14 weeks as the digest counts them: the last day is week 14."""
    program_id = _spring_program(engine)
    with session_scope(engine) as session:
        program = session.get(Program, program_id)
        assert program is not None
        digest = build_digest_for(session, program=program, now=now)
    lines = [e["text"] for b in digest["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert any(line.startswith(f"{week} · ") for line in lines), lines


# --- the digest in Slack -------------------------------------------------------------------------


def _posted_digests(slack: SlackDouble) -> list[dict[str, Any]]:
    return [c.params for c in slack.calls_to("chat.postMessage") if c.params["channel"] == CHANNEL]


def _responses(slack: SlackDouble) -> list[dict[str, Any]]:
    return [c.params for c in slack.calls_to("response_url")]


def _digest_deliveries(engine: Engine) -> list[Delivery]:
    with session_scope(engine) as session:
        query = select(Delivery).where(col(Delivery.rule) == DIGEST_RULE).order_by(col(Delivery.id))
        return list(session.scalars(query))


def _deliver(deps: Deps) -> None:
    """One pass of the outbox, as the scheduler runs it."""
    settle(deps)  # the after-ack delivery first: two passes at once would race
    Deliverer(deps, worker="test-scheduler").run()


def test_a_lead_posts_the_digest_with_its_chart(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: Cohort
) -> None:
    answer = bot.ask(f"digest {PROGRAM}", user_id=LEAD)
    assert answer["text"] == f"The digest of *{PROGRAM}* is on its way to <#{CHANNEL}>."
    slack.wait_for("files.completeUploadExternal")
    [digest] = _posted_digests(slack)
    assert_valid_view(digest, surface="message")
    assert len(digest["blocks"]) <= 50
    text = _visible_text(digest)
    assert_no_secrets(text)
    assert "Cohort digest: Spring cohort" in text
    assert "6 active · 2 lapsing · 1 stalled" in text
    assert "7 this week (plan 9)" in text
    assert "Maya Lin → Eli Park*: no session for 20 days" in text
    assert "Sam Ortiz → Ravi Shah*: clarity rated low in recent sessions." in text
    assert "Mon 9 Mar: Midpoint check" in text
    assert "/mentor report Spring cohort" in text
    # Ratings appear only as averages: no single session's score, no comment.
    assert "Felt rushed" not in text
    [upload] = slack.uploaded_files
    assert upload.channel_id == CHANNEL
    assert upload.content.startswith(PNG_MAGIC)
    assert upload.filename.endswith(".png")
    # From the lead, on demand: not the weekly digest's key, so next week's still goes out.
    [delivery] = _digest_deliveries(engine)
    assert delivery.status is DeliveryStatus.SENT
    assert (delivery.recipient_id, delivery.program_id) == (CHANNEL, cohort.program_id)
    assert delivery.extras["sender"] == LEAD
    assert delivery.extras["what"] == f"the digest of {PROGRAM}"
    assert not delivery.dedupe_key.startswith(f"{DIGEST_RULE}:{cohort.program_id}:")
    assert not slack.messages(slack.dm_channel_id(LEAD))


def test_a_failed_chart_upload_still_leaves_a_complete_digest(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: Cohort
) -> None:
    slack.fail_next("files.getUploadURLExternal", error="internal_error")
    bot.ask(f"digest {PROGRAM}", user_id=LEAD)
    slack.wait_for("files.getUploadURLExternal")
    [digest] = _posted_digests(slack)
    assert_valid_view(digest, surface="message")
    assert not slack.uploaded_files
    with session_scope(engine) as session:
        program = session.get(Program, cohort.program_id)
        assert program is not None
        expected = build_digest_for(session, program=program, now=NOW)
    assert digest["blocks"] == expected["blocks"]
    assert digest["text"] == expected["text"]
    assert "the chart" not in _visible_text(digest["blocks"]).lower()
    [delivery] = _digest_deliveries(engine)
    assert delivery.status is DeliveryStatus.SENT


def test_a_digest_channel_without_the_bot_is_told_to_the_lead(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps, cohort: Cohort
) -> None:
    slack.add_channel("CNOBOT", name="leads-only", is_private=True, is_member=False)
    with session_scope(engine) as session:
        program = session.get(Program, cohort.program_id)
        assert program is not None
        program.digest_channel_id = "CNOBOT"
        session.add(program)
    answer = bot.ask(f"digest {PROGRAM}", user_id=LEAD)
    assert "is on its way to <#CNOBOT>" in answer["text"]
    assert eventually(lambda: _digest_deliveries(engine)[0].status is DeliveryStatus.FAILED)
    [delivery] = _digest_deliveries(engine)
    assert delivery.error == "not_in_channel"
    _deliver(deps)
    told = [m["text"] for m in slack.messages(slack.dm_channel_id(LEAD))]
    assert (
        f":warning: I couldn't deliver the digest of {PROGRAM} to <#CNOBOT>: I'm not a member "
        "of <#CNOBOT> (invite me with `/invite @mentorbot`)."
    ) in told
    assert not slack.messages("CNOBOT")
    assert not slack.uploaded_files


@pytest.mark.parametrize("landed", [False, True], ids=["not-posted", "posted-anyway"])
def test_a_digest_answered_500_is_delivered_once(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    cohort: Cohort,
    landed: bool,
) -> None:
    """A 500 leaves the outcome unknown: the retry looks for the digest before posting it."""
    slack.fail_next("chat.postMessage", status=500, apply=landed)
    bot.ask(f"digest {PROGRAM}", user_id=LEAD)
    assert eventually(
        lambda: (
            [(d.status, d.attempts) for d in _digest_deliveries(engine)]
            == [(DeliveryStatus.PENDING, 1)]
        )
    )
    [first] = _digest_deliveries(engine)
    assert first.next_attempt_at is not None
    clock.current = first.next_attempt_at
    _deliver(deps)
    [delivery] = _digest_deliveries(engine)
    assert delivery.status is DeliveryStatus.SENT
    # The channel holds the digest once (and, under it, its chart's file share).
    digests = [m for m in slack.messages(CHANNEL) if m.get("blocks") and not m.get("files")]
    assert [m["text"] for m in digests] == [delivery.payload["text"]]
    assert digests[0]["ts"] == delivery.message_ts
    assert len(slack.calls_to("chat.postMessage")) == (1 if landed else 2)
    if not landed:
        [upload] = slack.uploaded_files
        assert upload.content.startswith(PNG_MAGIC)
    assert not slack.messages(slack.dm_channel_id(LEAD))


def test_preview_is_for_the_lead_only_and_posts_nothing(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: Cohort
) -> None:
    preview = bot.ask(f"digest {PROGRAM} --preview", user_id=LEAD)
    assert preview.get("blocks")
    assert [preview] == _responses(slack)
    assert preview.get("response_type", "ephemeral") == "ephemeral"
    assert_valid_view({"text": preview["text"], "blocks": preview["blocks"]}, surface="message")
    assert "Cohort digest: Spring cohort" in _visible_text(preview)
    assert_no_secrets(_visible_text(preview))
    assert not slack.calls_to("chat.postMessage")
    assert not slack.uploaded_files
    assert not _digest_deliveries(engine)


def test_a_program_without_a_digest_channel_says_where_to_set_one(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: Cohort
) -> None:
    with session_scope(engine) as session:
        program = session.get(Program, cohort.program_id)
        assert program is not None
        program.digest_channel_id = None
        session.add(program)
    answer = bot.ask(f"digest {PROGRAM}", user_id=LEAD)
    assert "no digest channel yet" in answer["text"]
    assert "/mentor program edit Spring cohort" in answer["text"]
    assert not slack.calls_to("chat.postMessage")
    assert not _digest_deliveries(engine)


@pytest.mark.parametrize(
    "command",
    [f"digest {PROGRAM}", f"digest {PROGRAM} --preview", f"report {PROGRAM}", f"export {PROGRAM}"],
)
def test_only_leads_get_digests_reports_and_exports(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: Cohort, command: str
) -> None:
    answer = bot.ask(command, user_id=OUTSIDER)
    assert "Only workspace admins and the leads of *Spring cohort*" in answer["text"]
    assert_valid_view(answer, surface="message")
    assert not slack.calls_to("chat.postMessage")
    assert not slack.calls_to("conversations.open")
    assert not slack.uploaded_files
    # The refusal is the only answer: no digest, report or CSV follows it.
    assert _responses(slack) == [answer]
    assert not _digest_deliveries(engine)


def test_an_unknown_program_names_the_ones_there_are(bot: SlackToBot, cohort: Cohort) -> None:
    answer = bot.ask("digest Autumn", user_id=LEAD)
    assert "There is no program called *Autumn*" in answer["text"]
    assert "*Spring cohort*" in answer["text"]


# --- the report ----------------------------------------------------------------------------------


def test_the_report_lists_every_pair_needing_attention_first(
    bot: SlackToBot, slack: SlackDouble, cohort: Cohort
) -> None:
    bot.command(f"report {PROGRAM}", user_id=LEAD)
    assert eventually(lambda: any(r.get("blocks") for r in _responses(slack)))
    [report] = [r for r in _responses(slack) if r.get("blocks")]
    assert_valid_view({"text": report["text"], "blocks": report["blocks"]}, surface="message")
    text = _visible_text(report)
    assert_no_secrets(text)
    assert "Pair report: Spring cohort" in text
    # The lapsed pair (flagged) comes before the healthy one; both are listed with numbers.
    assert text.index("Maya Lin → Eli Park") < text.index("<@UM1> → <@UE1>")
    assert "2/12 sessions" in text
    assert "Pairs 1 to 11 of 11" in text
    assert not [b for b in report["blocks"] if b["type"] == "actions"]


# --- a large program -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A database file with 5,000 pairs of realistic activity, seeded once for the module."""
    path = tmp_path_factory.mktemp("large") / "template.db"
    template = make_engine(f"sqlite:///{path}")
    upgrade(template)
    with session_scope(template) as session:
        program = seed_cohort(session, pairs=5_000, now=NOW, name="Everyone", weeks=2)
        assert program.id is not None
        program_id = program.id
    template.dispose()
    return path, program_id


@pytest.fixture
def large(engine: Engine, large_template: tuple[Path, int]) -> int:
    """The 5,000-pair program, copied into this test's database (seconds faster than seeding)."""
    path, program_id = large_template
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("ATTACH DATABASE ? AS template", (str(path),))
        cursor.execute("BEGIN")
        for table in SQLModel.metadata.sorted_tables:
            cursor.execute(f"INSERT INTO main.{table.name} SELECT * FROM template.{table.name}")  # noqa: S608 - table names from our own metadata
        cursor.execute("COMMIT")
        cursor.execute("DETACH DATABASE template")
    finally:
        connection.close()
    return program_id


def test_a_5000_pair_digest_fits_slack_and_points_to_the_rest(engine: Engine, large: int) -> None:
    with session_scope(engine) as session:
        program = session.get(Program, large)
        assert program is not None
        built = digest_for(session, program=program, now=NOW)
    digest, chart = built.message, chart_png(built.metrics)
    assert_valid_view(digest, surface="message")
    assert len(digest["blocks"]) <= 50
    assert len(json.dumps(digest)) < 40_000
    text = _visible_text(digest)
    assert "more: `/mentor report Everyone`" in text
    assert chart is not None
    assert chart.startswith(PNG_MAGIC)


def test_the_report_pages_through_a_large_program(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, large: int
) -> None:
    bot.command("report Everyone", user_id=LEAD)
    assert eventually(lambda: any(r.get("blocks") for r in _responses(slack)), timeout=15)
    [first] = [r for r in _responses(slack) if r.get("blocks")]
    page = {"text": first["text"], "blocks": first["blocks"]}
    assert_valid_view(page, surface="message")
    assert len(first["blocks"]) <= 50
    assert "Pairs 1 to 40 of 5,000" in _visible_text(first)
    [buttons] = [b for b in first["blocks"] if b["type"] == "actions"]
    [next_page] = buttons["elements"]
    assert next_page["action_id"] == ActionId.REPORT_NEXT
    # The report is an ephemeral answer: Slack says so in the click's container.
    ephemeral = {
        "type": "message",
        "message_ts": "1.0",
        "channel_id": slack_double.DEFAULT_CHANNEL_ID,
    }
    bot.action(
        ActionId.REPORT_NEXT,
        next_page["value"],
        user_id=LEAD,
        container={**ephemeral, "is_ephemeral": True},
    )
    assert eventually(
        lambda: any("Pairs 41 to 80" in _visible_text(r) for r in _responses(slack)), timeout=15
    )
    [second] = [r for r in _responses(slack) if "Pairs 41 to 80" in _visible_text(r)]
    assert second.get("replace_original") in (True, "true")
    assert_valid_view({"text": second["text"], "blocks": second["blocks"]}, surface="message")


def test_someone_else_cannot_page_a_report(
    bot: SlackToBot, slack: SlackDouble, cohort: Cohort
) -> None:
    bot.action(ActionId.REPORT_NEXT, f"{cohort.program_id}:40", user_id=OUTSIDER)
    assert eventually(lambda: bool(_responses(slack)))
    [refusal] = _responses(slack)
    assert "Only workspace admins and the leads" in refusal["text"]


def test_the_scheduler_gets_the_chart_and_an_empty_program_none(
    engine: Engine, cohort: Cohort
) -> None:
    with session_scope(engine) as session:
        program = session.get(Program, cohort.program_id)
        assert program is not None
        chart = digest_chart_for(session, program=program, now=NOW)
        empty = Program(
            team_id=TEAM,
            name="Brand new",
            status=ProgramStatus.ACTIVE,
            start_date=NOW.date() + timedelta(days=7),
            created_by=LEAD,
        )
        session.add(empty)
        session.flush()
        digest = build_digest_for(session, program=empty, now=NOW)
        nothing = digest_chart_for(session, program=empty, now=NOW)
    assert chart is not None
    assert chart.startswith(PNG_MAGIC)
    assert nothing is None
    assert_valid_view(digest, surface="message")
    text = _visible_text(digest)
    assert "Red flags*: none this week" in text
    assert "0 active · 0 lapsing · 0 stalled" in text


@pytest.mark.postgres
def test_postgresql_gives_the_same_metrics(engine: Engine, pg_engine: Engine) -> None:
    on_postgres = metrics_of(pg_engine, build_cohort(pg_engine).program_id)
    on_sqlite = metrics_of(engine, build_cohort(engine).program_id)
    assert on_postgres.headline == on_sqlite.headline
    assert on_postgres.flags == on_sqlite.flags
    assert on_postgres.pairs == on_sqlite.pairs
    assert on_postgres == on_sqlite
