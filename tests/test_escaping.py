"""Nobody's words act as Slack markup: hostile text in every field people write, every view.

Hypothesis puts ``<!channel>``, ``<@U…>``, ``<https://evil|Open Slack>``, ``&lt;``, mrkdwn and
unicode in every free-text field and runs every view builder (``BUILDERS``, kept complete by a
meta-test): what Slack parses keeps only the bot's own mentions and links live, plain text shows
words as typed, and each result is valid Block Kit. Then the real Bolt app, flow by flow.
"""

import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from itertools import cycle
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

import bot.views
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox.slack_double import SlackDouble
from bot.services.access import PairChoice
from bot.services.agenda import AgendaLine, AgendaView, ShareKind
from bot.services.dashboard import PairDashboard, Waiting
from bot.services.digest import (
    CohortMetrics,
    Headline,
    Health,
    PairMetrics,
    RedFlag,
    ScoreSummary,
    SurveyAverage,
    SurveySummary,
    Upcoming,
)
from bot.services.enrolment import Notification, NotificationKind
from bot.services.feedback import FeedbackForm, FeedbackTarget, SavedFeedback
from bot.services.goals import GoalBoard, GoalCounts, GoalDecision, GoalView
from bot.services.graduation import (
    AfterProgram,
    GoalOutcome,
    GoalReview,
    GraduationResult,
    GraduationReview,
    Part,
    SkillStep,
    StillYours,
)
from bot.services.home import (
    EnrolmentCard,
    HomeData,
    JoinCard,
    LedCard,
    Nudge,
    ProgramHealth,
)
from bot.services.invitations import InvitationCounts, InvitationPage, Invited
from bot.services.matching import Explanation, ScorePart
from bot.services.notes import EntryKind, NoteEntry, NotesCount, PairNotes
from bot.services.outside_feedback import AskContext, GoalChoice, OutsideRequest
from bot.services.pair_state import PairingPauseChange, StageMoved, StageView
from bot.services.pairing import (
    BoardSeat,
    Introduction,
    MatchRound,
    MatchWhy,
    PersonIntro,
    ProposalPage,
    ProposalRow,
    UnmatchedMentee,
)
from bot.services.plans import GoalPlan, LearningPlan, OverdueTask, PlanTarget
from bot.services.programs import ProgramCounts
from bot.services.rematch import Rematch
from bot.services.scorecards import ScorecardView, ScoreTrend
from bot.services.sessions import (
    ActionLine,
    ChangeKind,
    HoursSummary,
    LoggedSession,
    ScheduleDefaults,
    SessionChange,
)
from bot.services.signals import Signal, SignalKind
from bot.services.skills import (
    ComparisonRow,
    SkillComparison,
    SkillForm,
    SkillState,
    SubmittedScores,
)
from bot.services.surveys import SurveyForm, SurveySaved
from bot.views import (
    agenda,
    bundle,
    dashboard,
    digest,
    enrolment,
    feedback,
    goals,
    graduation,
    home,
    matching,
    notes,
    outside_feedback,
    pair_state,
    plans,
    program,
    prompts,
    scorecards,
    sessions,
    skills,
    surveys,
)
from bot.views.blocks import clip, clip_mrkdwn
from bot.views.text import escape, inline, link, quote, words
from storage.db import session_scope
from storage.enums import (
    AgendaSource,
    Cadence,
    FlagKind,
    GoalProgress,
    GoalStatus,
    OutsideFeedbackStatus,
    PairingStatus,
    ParticipantStatus,
    ProgramStatus,
    Purpose,
    Role,
    Stage,
    SurveyKind,
    TaskStatus,
    Visibility,
)
from storage.models import (
    Goal,
    InvitationStatus,
    LearningResource,
    Milestone,
    PairDocument,
    Pairing,
    Participant,
    PracticeTask,
    Program,
)
from tests.blockkit import Surface, assert_valid_view
from tests.harness import SlackToBot
from tests.test_sessions import ALICE, BOB, make_pair, meetings, opened_view, schedule

# --- the people, channels and links the bot is given ---------------------------------------------

MENTEE, MENTOR, LEAD, COLLEAGUE, OTHER = "U0MENTEE", "U0MENTOR", "U0LEAD", "U0COLL", "U0OTHER"
CHANNEL = "C0DIGEST"
OWN_USERS = frozenset({MENTEE, MENTOR, LEAD, COLLEAGUE, OTHER, ALICE, BOB})
OWN_CHANNELS = frozenset({CHANNEL})
# Every URL a person gives in the factories starts here (what follows it is hostile).
URL_START = "https://docs.example/"
SITE = "docs.example"
TODAY = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
# The surveys a pair is asked to take.
SURVEYS = (SurveyKind.MIDPOINT, SurveyKind.FINAL, SurveyKind.INDEPENDENCE)

# --- hostile words -------------------------------------------------------------------------------

ATTACKS = (
    "<!here>",
    "<!channel>",
    "<!everyone>",
    "<@U123>",
    "<@W123|boss>",
    "<#C123>",
    "<#C123|general>",
    "<!subteam^S1>",
    "<!subteam^S1|@leads>",
    "<https://evil.example|Open Slack>",
    "<mailto:x@evil.example|mail>",
    "<!date^1392734382^{date}|x>",
)
AMPERSANDS = ("&", "&lt;", "&gt; ", "AT&T ", "&#60;", "&amp")
PIECES = (
    *ATTACKS,
    "<",
    ">",
    "|",
    "*bold*",
    "_it_",
    "~gone~",
    "`code`",
    "```block```",
    "\n",
    "\n> quoted",
    "> ",
    "@here ",
    ":tada:",
    "é",
    "漢字",
    "🙂",
    "\u200b",
    "  ",
)
_piece = st.one_of(
    st.sampled_from(PIECES),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=6),
)
# Each string holds an ampersand first (plain text escaped by mistake then shows "&amp;", which
# no string here holds) and at least one live sequence, then whatever else.
_short = st.builds(
    lambda amp, attack, rest: amp + attack + "".join(rest),
    st.sampled_from(AMPERSANDS),
    st.sampled_from(ATTACKS),
    st.lists(_piece, max_size=6),
).filter(lambda s: "&amp;" not in s)
# Sometimes long: escaping lengthens text, and clipping must still keep Slack's limits.
HOSTILE = st.one_of(_short, _short, _short.map(lambda s: (s * (4000 // len(s) + 1))[:4000]))


Words = Callable[[], str]


@dataclass(frozen=True)
class Builder:
    """How to call one view builder with hostile words everywhere, and what it makes."""

    surface: Surface | Literal["text"]  # "text": the builder makes a mrkdwn string
    make: Callable[[Words], list[Any]]


# --- domain objects full of hostile words ---------------------------------------------------------


def _program(
    h: Words,
    *,
    visibility: Visibility = Visibility.OPEN,
    status: ProgramStatus = ProgramStatus.ENROLLING,
) -> Program:
    return Program(
        id=7,
        team_id="T1",
        name=h(),
        status=status,
        purpose=Purpose.OTHER,
        purpose_detail=h(),
        company_goal=h(),
        success_measures=h(),
        competencies=[h(), h()],
        visibility=visibility,
        digest_channel_id=CHANNEL,
        start_date=date(2026, 3, 1),
        length_months=6,
        created_by=LEAD,
        timezone="UTC",
    )


def _other_purpose(h: Words) -> Program:
    found = _program(h, visibility=Visibility.INVITATION)
    found.purpose = Purpose.LEADERSHIP
    return found


def _participant(h: Words, role: Role) -> Participant:
    return Participant(
        id=3,
        team_id="T1",
        program_id=7,
        user_id=MENTEE if role is Role.MENTEE else MENTOR,
        role=role,
        situation=h(),
        aim=h(),
        skills=[{"skill": h(), "score": 2, "level": 4}, {"skill": h(), "score": 3}],
        practising=[h(), h()],
        interests=[h()],
        values=[h()],
        availability=h(),
        preferred_cadence=Cadence.WEEKLY,
        timezone=h(),
        capacity=2,
    )


def _pairing(h: Words) -> Pairing:
    return Pairing(
        id=11,
        team_id="T1",
        program_id=7,
        mentor_id=2,
        mentee_id=3,
        mentor_user_id=MENTOR,
        mentee_user_id=MENTEE,
        board_role=h(),
        status=PairingStatus.ACTIVE,
        stage=Stage.GUIDED_PRACTICE,
        match_reasons=[h()],
    )


def _goal_view(
    h: Words, status: GoalStatus = GoalStatus.CHANGE_SUGGESTED, *, goal_id: int = 21
) -> GoalView:
    goal = Goal(
        id=goal_id,
        team_id="T1",
        pairing_id=11,
        statement=h(),
        success_criteria=h(),
        due_date=date(2026, 6, 30),
        status=status,
        progress=GoalProgress.AT_RISK,
        progress_note=h(),
        change_suggestion=h(),
        proposed_by=MENTEE,
    )
    milestones = (
        Milestone(id=31, team_id="T1", goal_id=21, title=h(), due_date=date(2026, 3, 1)),
        Milestone(
            id=32, team_id="T1", goal_id=21, title=h(), due_date=date(2026, 5, 1), done_at=NOW
        ),
    )
    return GoalView(goal=goal, milestones=milestones, tasks_done=1, tasks_total=3)


def _flag(h: Words, kind: FlagKind = FlagKind.SKILL_GAP_UNRESOLVED) -> RedFlag:
    # A flag's reason and action carry what leads typed (competencies, program names).
    return RedFlag(
        kind=kind, pairing_id=11, user_ids=(MENTOR, MENTEE), reason=h() + ": still", action=h()
    )


def _pair_metrics() -> PairMetrics:
    return PairMetrics(
        pairing_id=11,
        mentor_user_id=MENTOR,
        mentee_user_id=MENTEE,
        status=PairingStatus.ACTIVE,
        health=Health.LAPSING,
        stage=Stage.DEMONSTRATION,
        started_on=date(2026, 3, 2),
        last_session_at=NOW,
        sessions_held=2,
        sessions_planned=3,
        hours_held=2.0,
        hours_planned=3.0,
        minimum_hours=6.0,
        goals=GoalCounts(total=2, done=1, at_risk=1),
        skill_open_gaps=1,
        flags=(FlagKind.LAPSED,),
    )


def _headline() -> Headline:
    return Headline(
        counts=dict.fromkeys(Health, 1),
        mentees_waiting=1,
        sessions_week=2,
        sessions_week_planned=3.0,
        sessions_total=9,
        sessions_total_planned=12,
        hours_total=9.5,
        hours_planned_per_pair=2.0,
        hours_minimum_per_pair=6.0,
        pairs_behind_hours=1,
        goals=GoalCounts(total=4, done=1, on_track=2, at_risk=1),
    )


def _metrics(h: Words) -> CohortMetrics:
    flags = tuple(_flag(h, kind) for kind in (FlagKind.SKILL_GAP_UNRESOLVED, FlagKind.LAPSED))
    return CohortMetrics(
        program_id=7,
        program_name=h(),
        team_id="T1",
        timezone="Europe/Berlin",
        cadence=Cadence.BIWEEKLY,
        gap_days=14,
        now=NOW,
        today=TODAY,
        start=date(2026, 3, 1),
        last_day=date(2026, 8, 31),
        headline=_headline(),
        scores=ScoreSummary(
            latest={"clarity": 7.0, "energy": None, "confidence": 6.5},
            previous={"clarity": 6.0},
            latest_count=9,
            previous_count=8,
            latest_people=4,
            previous_people=4,
        ),
        skill_growth={h(): 0.5, h(): -0.25},
        surveys=(
            SurveySummary(
                kind=SurveyKind.MIDPOINT,
                title="Midpoint survey",
                pairs=4,
                pairs_complete=2,
                responses=5,
                averages=(SurveyAverage("Relationship", 4.2, False, 4),),
            ),
        ),
        flags=flags,
        upcoming=(Upcoming(date(2026, 3, 20), "Midpoint check: the survey goes to 4 pairs"),),
        weeks=(),
        pairs=(_pair_metrics(),),
        skill_hidden=1,
    )


def _dashboard(h: Words) -> PairDashboard:
    return PairDashboard(
        choice=PairChoice(_pairing(h), _program(h), MENTOR, Role.MENTEE),
        next_session=LATER,
        agenda_items=2,
        agenda_submitted=False,
        goals=[_goal_view(h, GoalStatus.AGREED), _goal_view(h, GoalStatus.PROPOSED)],
        goal_counts=GoalCounts(total=2, agreed=1, done=0),
        hours_held=2.0,
        hours_planned=3.0,
        hours_minimum=6.0,
        trend=ScoreTrend(scorecards=2, latest={"clarity": 7.0}, previous={}),
        skills=SkillState(round=1, mentee_submitted=True, mentor_submitted=False, open_gaps=2),
        waiting=list(Waiting),
        overdue_tasks=[OverdueTask(41, 11, 21, h(), date(2026, 3, 10), h())],
        notes=NotesCount(entries=3, documents=1),
    )


def _health(h: Words) -> ProgramHealth:
    return ProgramHealth(
        headline=_headline(),
        week=3,
        weeks_total=26,
        flags=(_flag(h), _flag(h, FlagKind.LAPSED)),
        flag_total=2,
        flag_offset=0,
        waiting_user_ids=(OTHER,),
        waiting=2,
        nudges={(11, FlagKind.SKILL_GAP_UNRESOLVED.value): Nudge(LEAD, NOW)},
    )


def _home(h: Words) -> HomeData:
    running = _program(h, status=ProgramStatus.ACTIVE)
    return HomeData(
        user_id=LEAD,
        pairings=[_dashboard(h)],
        enrolments=[
            EnrolmentCard(8, h(), Role.MENTEE, ParticipantStatus.ACTIVE, None, False),
            EnrolmentCard(9, h(), Role.MENTOR, ParticipantStatus.PAUSED, LATER, False),
        ],
        joinable=[JoinCard(10, h(), "1 Apr", (Role.MENTEE, Role.MENTOR))],
        led=[
            LedCard(
                program=running,
                counts=ProgramCounts(mentors=2, mentees=3, mentees_active=2, mentees_matched=2),
                proposals=1,
                unmatched=2,
                health=_health(h),
                invitations=InvitationCounts(waiting=1, joined=2, declined=1),
            )
        ],
        may_create_programs=True,
        led_total=1,
    )


def _rematch(h: Words, *, paused: bool = False, left: bool = False) -> Rematch:
    return Rematch(
        pairing_id=11,
        program_id=7,
        program_name=h(),
        mentor_user_id=MENTOR,
        mentee_user_id=MENTEE,
        reason="no_click",
        mentee_paused_until=LATER if paused else None,
        mentee_left=left,
        waiting=2,
        cancelled_session=LATER,
    )


def _agenda(h: Words) -> AgendaView:
    sources = [s for s in AgendaSource if s is not AgendaSource.ACTION_ITEM]
    lines = [
        AgendaLine(id=n, text=h(), source=source, added_by=MENTOR if n % 2 else MENTEE)
        for n, source in enumerate(sources, start=1)
    ]
    lines.append(
        AgendaLine(
            id=99,
            text=h(),
            source=AgendaSource.ACTION_ITEM,
            added_by=MENTEE,
            action_item_id=5,
            owner_user_id=MENTEE,
            due_date=date(2026, 3, 19),
        )
    )
    return AgendaView(
        pairing_id=11,
        mentor_user_id=MENTOR,
        mentee_user_id=MENTEE,
        meeting_id=4,
        meeting_start=LATER,
        meeting_minutes=60,
        shared_at=NOW,
        lines=lines,
    )


def _saved_feedback(h: Words) -> SavedFeedback:
    return SavedFeedback(1, 11, 4, MENTOR, MENTEE, FeedbackForm(h(), h(), h()), LATER, True)


def _decision(h: Words) -> GoalDecision:
    return GoalDecision(_goal_view(h), MENTOR, MENTEE, 7, h(), changed=True)


def _review(h: Words) -> GraduationReview:
    reviews = tuple(
        GoalReview(
            21 + n, h(), GoalStatus.AGREED, GoalProgress.DONE, h(), date(2026, 6, 1), outcome
        )
        for n, outcome in enumerate(GoalOutcome)
    )
    return GraduationReview(
        11, h(), Role.MENTEE, MENTOR, reviews, 2, Part(AfterProgram.CONTINUE, CHANNEL), True
    )


def _left(user_id: str, role: Role) -> StillYours:
    return StillYours(
        user_id, role, review=True, surveys=SURVEYS[1:], skills=SkillStep.SCORE, actions=2
    )


def _graduation(h: Words, *, first: bool = True) -> GraduationResult:
    return GraduationResult(
        pairing_id=11,
        program_id=7,
        program_name=h(),
        actor_user_id=MENTEE,
        partner_user_id=MENTOR,
        mentor_user_id=MENTOR,
        mentee_user_id=MENTEE,
        first_part=first,
        completed=not first,
        achieved=(h(), h()),
        partly=(h(),),
        continue_as_peers=first,
        channel_id=CHANNEL,
        left={MENTEE: _left(MENTEE, Role.MENTEE), MENTOR: _left(MENTOR, Role.MENTOR)},
    )


def _notification(h: Words, kind: NotificationKind) -> Notification:
    return Notification(
        recipient_id=MENTEE,
        kind=kind,
        program_id=7,
        program_name=h(),
        about_user_id=MENTOR,
        until=date(2026, 4, 1),
        note=h(),
        offer_rematch=kind is NotificationKind.PARTNER_LEFT,
        erased=3,
    )


def _person(h: Words, user_id: str, role: Role) -> PersonIntro:
    return PersonIntro(user_id, role, h(), (h(), h()), (h(),), (h(),))


def _introduction(h: Words, *, group: bool) -> Introduction:
    mentees = [_person(h, MENTEE, Role.MENTEE)]
    if group:
        mentees.append(_person(h, OTHER, Role.MENTEE))
    return Introduction(
        (11, 12),
        h(),
        "biweekly",
        60,
        6,
        _person(h, MENTOR, Role.MENTOR),
        tuple(mentees),
        (h(), h()),
    )


def _unmatched(h: Words) -> list[UnmatchedMentee]:
    return [UnmatchedMentee(5, OTHER, [h(), h()]), UnmatchedMentee(6, COLLEAGUE, [])]


def _proposals(h: Words) -> ProposalPage:
    rows = [
        ProposalRow(11, MENTOR, (MENTEE,), 81.5, (h(), h()), None),
        ProposalRow(12, MENTOR, (MENTEE, OTHER), 64.0, (), "g1"),
    ]
    return ProposalPage(7, h(), rows, total=12, offset=5, unmatched=_unmatched(h))


def _why(h: Words) -> MatchWhy:
    part = ScorePart("Skills", 0.5, 0.8, 40.0, [h(), h()])
    explanation = Explanation(80.0, [part, part], [h()], [h(), h()])
    return MatchWhy(MENTOR, MENTEE, 60.0, explanation, (h(), h()))


def _document(h: Words) -> PairDocument:
    return PairDocument(
        id=51, team_id="T1", pairing_id=11, title=h(), url=URL_START + h(), added_by=MENTOR
    )


def _notes(h: Words) -> PairNotes:
    entries = [
        NoteEntry(EntryKind.NOTE, 1, MENTEE, h(), NOW),
        NoteEntry(EntryKind.SESSION, 2, MENTOR, h(), NOW),
        NoteEntry(EntryKind.SESSION, 3, None, h(), NOW),
    ]
    return PairNotes(11, MENTEE, MENTOR, MENTEE, h(), True, entries, 40, 10, [_document(h)], 3)


def _request(h: Words, *, shared: bool = False) -> OutsideRequest:
    return OutsideRequest(
        id=61,
        team_id="T1",
        pairing_id=11,
        program_id=7,
        requester_user_id=MENTEE,
        colleague_user_id=COLLEAGUE,
        mentor_user_id=MENTOR,
        question=h(),
        goal_statement=h(),
        status=OutsideFeedbackStatus.ANSWERED,
        does_well=h(),
        to_change=h(),
        rating=4,
        shared_with_mentor=shared,
        expires_at=LATER,
    )


def _resource(h: Words, *, url: bool = True) -> LearningResource:
    return LearningResource(
        id=71,
        team_id="T1",
        goal_id=21,
        title=h(),
        url=URL_START + h() if url else None,
        added_by=MENTEE,
        created_at=NOW,
    )


def _task(h: Words, status: TaskStatus) -> PracticeTask:
    return PracticeTask(
        id=81, team_id="T1", goal_id=21, title=h(), due_date=date(2026, 3, 1), status=status
    )


def _plan(h: Words, *, one_goal: bool) -> LearningPlan:
    goal_plans = [
        GoalPlan(
            goal_id,
            h(),
            date(2026, 6, 30),
            True,
            [_resource(h), _resource(h, url=False)],
            [_task(h, status) for status in TaskStatus],
        )
        for goal_id in range(21, 22 if one_goal else 23)
    ]
    return LearningPlan(11, MENTEE, MENTOR, MENTEE, h(), True, goal_plans, 21 if one_goal else None)


def _signal(kind: SignalKind) -> Signal:
    return Signal(
        kind=kind,
        pairing_id=11,
        mentor_user_id=MENTOR,
        mentee_user_id=MENTEE,
        count=2,
        of=3,
        without_agenda=1,
        off_goal=1,
        notes=1,
        meeting_id=4,
        dimensions=("clarity", "energy"),
    )


def _change(h: Words, kind: ChangeKind) -> SessionChange:
    return SessionChange(
        kind=kind,
        meeting_id=4,
        pairing_id=11,
        program_name=h(),
        mentor_user_id=MENTOR,
        mentee_user_id=MENTEE,
        by_user_id=MENTOR,
        start=LATER,
        minutes=60,
        ics_uid="uid@mentorbot",
        sequence=1,
        organizer_user_id=MENTOR,
        previous_start=NOW,
        cancel_reason=h(),
    )


def _logged(h: Words) -> LoggedSession:
    actions = [ActionLine(1, h(), MENTEE, date(2026, 3, 20)), ActionLine(2, h(), MENTOR, None)]
    return LoggedSession(
        4, 11, h(), MENTOR, MENTEE, MENTOR, NOW, 75, h(), [h(), h()], actions,
        HoursSummary(2.0, 3.0, 6.0), 2, True,
    )  # fmt: skip


def _comparison(h: Words) -> SkillComparison:
    rows = [ComparisonRow(h(), 2, 4, 1, 4), ComparisonRow(h(), 3, 3), ComparisonRow(h(), None, 2)]
    return SkillComparison(11, 2, MENTEE, MENTOR, rows)


def _scores(h: Words) -> SubmittedScores:
    return SubmittedScores(11, 2, Role.MENTOR, MENTOR, MENTEE, [(h(), 3), (h(), 5)], True, False)


def _survey_form(h: Words, kind: SurveyKind, role: Role) -> SurveyForm:
    form = SurveyForm(11, kind, h(), role, MENTOR if role is Role.MENTEE else MENTEE, MENTEE)
    answers = {q.key: h() for q in form.questions}
    return SurveyForm(11, kind, form.program_name, role, form.partner_user_id, MENTEE, answers, NOW)


# --- the registry: every builder, with a factory of its arguments ---------------------------------


BUILDERS: dict[str, Builder] = {
    "agenda.build_agenda_dm": Builder(
        "message",
        lambda h: [agenda.build_agenda_dm(_agenda(h), tz="UTC", kind=k) for k in ShareKind],
    ),
    "agenda.build_agenda_modal": Builder(
        "modal",
        lambda h: [
            agenda.build_agenda_modal(_agenda(h), viewer_user_id=who, tz="Asia/Tokyo")
            for who in (MENTEE, MENTOR)
        ],
    ),
    "bundle.build_bundle": Builder(
        "message",
        lambda h: [
            bundle.build_bundle(
                [
                    prompts.build_due_reminder(pairing_id=11, what="goal", title=h(), due=TODAY),
                    prompts.build_lapse_nudge(
                        pairing_id=11, partner_user_id=MENTOR, days=30, program_name=h()
                    ),
                    {"text": escape(h())},
                ]
            )
        ],
    ),
    "dashboard.build_status": Builder(
        "message", lambda h: [dashboard.build_status([_dashboard(h)], tz="UTC", today=TODAY)]
    ),
    "digest.build_digest": Builder(
        "message", lambda h: [digest.build_digest(_metrics(h), names={MENTOR: h(), MENTEE: h()})]
    ),
    "digest.build_report": Builder(
        "message", lambda h: [digest.build_report(_metrics(h), names={MENTOR: h()})]
    ),
    "digest.chart_comment": Builder("text", lambda h: [digest.chart_comment(_metrics(h))]),
    "enrolment.build_join_confirmation": Builder(
        "message",
        lambda h: [
            enrolment.build_join_confirmation(
                program=_program(h), participant=_participant(h, role), is_new=new
            )
            for role in Role
            for new in (True, False)
        ],
    ),
    "enrolment.build_join_modal": Builder(
        "modal",
        lambda h: [
            enrolment.build_join_modal(program=p, role=role, participant=who)
            for p in (_program(h), _other_purpose(h))
            for role in Role
            for who in (None, _participant(h, role))
        ],
    ),
    "enrolment.build_join_picker": Builder(
        "message",
        lambda h: [
            enrolment.build_join_picker([_program(h), _other_purpose(h)], {7: 1}),
            enrolment.build_join_picker([], {}),
        ],
    ),
    "enrolment.build_leave_modal": Builder(
        "modal",
        lambda h: [
            enrolment.build_leave_modal(
                program=_program(h), roles=list(Role), partner_ids=[MENTOR, OTHER]
            )
        ],
    ),
    "enrolment.build_notification": Builder(
        "message",
        lambda h: [enrolment.build_notification(_notification(h, k)) for k in NotificationKind],
    ),
    "enrolment.build_pause_modal": Builder(
        "modal",
        lambda h: [
            enrolment.build_pause_modal(program=_program(h), today=TODAY, paused_until=until)
            for until in (None, date(2026, 4, 1))
        ],
    ),
    "feedback.build_feedback_message": Builder(
        "message", lambda h: [feedback.build_feedback_message(_saved_feedback(h), tz="UTC")]
    ),
    "feedback.build_feedback_modal": Builder(
        "modal",
        lambda h: [
            feedback.build_feedback_modal(
                FeedbackTarget(11, 4, MENTOR, LATER, FeedbackForm(h(), h(), h())), tz="UTC"
            )
        ],
    ),
    "feedback.build_feedback_sent": Builder(
        "modal", lambda h: [feedback.build_feedback_sent(_saved_feedback(h))]
    ),
    "goals.build_agreement_request": Builder(
        "message",
        lambda h: [
            goals.build_agreement_request(_goal_view(h), proposer_user_id=MENTEE, program_name=h())
        ],
    ),
    "goals.build_agreement_settled": Builder(
        "message",
        lambda h: [
            goals.build_agreement_settled(_goal_view(h), proposer_user_id=MENTEE, agreed=agreed)
            for agreed in (True, False)
        ],
    ),
    "goals.build_change_suggested": Builder(
        "message", lambda h: [goals.build_change_suggested(_decision(h))]
    ),
    "goals.build_goal_agreed": Builder(
        "message", lambda h: [goals.build_goal_agreed(_decision(h))]
    ),
    "goals.build_goal_form": Builder(
        "modal",
        lambda h: [
            goals.build_goal_form(
                pairing_id=11, partner_user_id=MENTOR, last_day=date(2026, 8, 31), goal=goal
            )
            for goal in (None, _goal_view(h), _goal_view(h, GoalStatus.AGREED))
        ],
    ),
    "goals.build_goals_overview": Builder(
        "modal",
        lambda h: [
            goals.build_goals_overview(
                GoalBoard(
                    11,
                    h(),
                    viewer,
                    Role.MENTEE,
                    MENTOR if viewer == MENTEE else MENTEE,
                    date(2026, 8, 31),
                    True,
                    [_goal_view(h, s, goal_id=n) for n, s in enumerate(GoalStatus, 21)],
                ),
                today=TODAY,
            )
            for viewer in (MENTEE, MENTOR)
        ],
    ),
    "goals.build_milestones_modal": Builder(
        "modal", lambda h: [goals.build_milestones_modal(_goal_view(h), today=TODAY)]
    ),
    "goals.build_progress_modal": Builder(
        "modal", lambda h: [goals.build_progress_modal(_goal_view(h))]
    ),
    "goals.build_suggest_modal": Builder(
        "modal", lambda h: [goals.build_suggest_modal(_goal_view(h), proposer_user_id=MENTEE)]
    ),
    "graduation.build_celebration": Builder(
        "message",
        lambda h: [graduation.build_celebration(_graduation(h, first=f)) for f in (True, False)],
    ),
    "graduation.build_graduation_modal": Builder(
        "modal", lambda h: [graduation.build_graduation_modal(_review(h))]
    ),
    "graduation.build_graduation_request": Builder(
        "message", lambda h: [graduation.build_graduation_request(_graduation(h))]
    ),
    "graduation.build_graduation_waiting": Builder(
        "message",
        lambda h: [
            graduation.build_graduation_waiting(_graduation(h, first=f)) for f in (True, False)
        ],
    ),
    "graduation.build_public_celebration": Builder(
        "message", lambda h: [graduation.build_public_celebration(_graduation(h))]
    ),
    "home.build_home": Builder(
        "home", lambda h: [home.build_home(_home(h), tz="UTC", today=TODAY)]
    ),
    "home.build_lead_nudge": Builder(
        "message",
        lambda h: [
            home.build_lead_nudge(
                _flag(h, kind),
                to_role=role,
                pairing_id=11,
                partner_user_id=MENTEE,
                lead_user_id=LEAD,
                program_name=h(),
                days=30,
            )
            for kind in FlagKind
            for role in Role
        ],
    ),
    "home.build_pair_report_modal": Builder(
        "modal",
        lambda h: [
            home.build_pair_report_modal(
                _pair_metrics(), [_flag(h), _flag(h)], program_name=h(), tz="UTC"
            )
        ],
    ),
    "home.build_rematch_done": Builder(
        "modal",
        lambda h: [
            home.build_rematch_done(_rematch(h, paused=p, left=gone), can_match=True)
            for p, gone in ((False, False), (True, False), (False, True))
        ],
    ),
    "home.build_rematch_message": Builder(
        "message",
        lambda h: [
            home.build_rematch_message(
                _rematch(h, paused=True), to_role=role, lead_user_id=LEAD, note=h()
            )
            for role in Role
        ],
    ),
    "home.build_rematch_modal": Builder(
        "modal",
        lambda h: [
            home.build_rematch_modal(
                pairing_id=11,
                program_id=7,
                program_name=h(),
                mentor_user_id=MENTOR,
                mentee_user_id=MENTEE,
                page="0:0:0",
            )
        ],
    ),
    "matching.build_board": Builder(
        "message",
        lambda h: [
            matching.build_board(
                program_name=h(),
                program_id=7,
                mentee_user_id=MENTEE,
                seats=[
                    BoardSeat(11, MENTOR, h(), PairingStatus.ACTIVE),
                    BoardSeat(12, OTHER, None, PairingStatus.PAUSED),
                ],
            )
        ],
    ),
    "matching.build_board_modal": Builder(
        "modal",
        lambda h: [
            matching.build_board_modal(
                program_id=7,
                seats=[BoardSeat(11, MENTOR, h(), PairingStatus.ACTIVE)],
                names={MENTOR: h()},
            )
        ],
    ),
    "matching.build_introduction": Builder(
        "message",
        lambda h: [matching.build_introduction(_introduction(h, group=g)) for g in (False, True)],
    ),
    "matching.build_match_summary": Builder(
        "text",
        lambda h: [
            matching.build_match_summary(MatchRound(7, 3, 4, 2, _unmatched(h)), program_name=h())
        ],
    ),
    "matching.build_proposals": Builder(
        "message",
        lambda h: [
            matching.build_proposals(
                _proposals(h),
                summary=matching.build_match_summary(MatchRound(7, 3, 4, 2), program_name=h()),
            )
        ],
    ),
    "matching.build_swap_modal": Builder(
        "modal",
        lambda h: [
            matching.build_swap_modal(
                pairing_id=11, program_id=7, mentee_user_id=MENTEE, choices=[(2, h(), 70.0)]
            )
        ],
    ),
    "matching.build_why_modal": Builder(
        "modal",
        lambda h: [matching.build_why_modal([_why(h)]), matching.build_why_modal([_why(h)] * 2)],
    ),
    "matching.start_text": Builder(
        "text",
        lambda h: [
            matching.start_text(_program(h), started=started, today=TODAY)
            for started in (True, False)
        ],
    ),
    "notes.build_deleted_dm": Builder(
        "message", lambda h: [notes.build_deleted_dm(actor_user_id=MENTOR, program_name=h())]
    ),
    "notes.build_notes_modal": Builder(
        "modal", lambda h: [notes.build_notes_modal(_notes(h), tz="UTC")]
    ),
    "outside_feedback.build_answer_dm": Builder(
        "message",
        lambda h: [outside_feedback.build_answer_dm(_request(h, shared=s)) for s in (True, False)],
    ),
    "outside_feedback.build_ask_modal": Builder(
        "modal",
        lambda h: [
            outside_feedback.build_ask_modal(
                AskContext(
                    COLLEAGUE,
                    h(),
                    [PairChoice(_pairing(h), _program(h), MENTOR, Role.MENTEE)] * 2,
                    [GoalChoice(21, 11, h())],
                ),
                names={MENTOR: h()},
            )
        ],
    ),
    "outside_feedback.build_ask_sent": Builder(
        "modal", lambda h: [outside_feedback.build_ask_sent(_request(h), tz="UTC")]
    ),
    "outside_feedback.build_declined_dm": Builder(
        "message", lambda h: [outside_feedback.build_declined_dm(_request(h))]
    ),
    "outside_feedback.build_expired_dm": Builder(
        "message", lambda h: [outside_feedback.build_expired_dm(_request(h))]
    ),
    "outside_feedback.build_feedback_modal": Builder(
        "modal",
        lambda h: [outside_feedback.build_feedback_modal(_request(h), channel=None, ts=None)],
    ),
    "outside_feedback.build_request_closed": Builder(
        "message",
        lambda h: [
            outside_feedback.build_request_closed(_request(h), declined=d) for d in (True, False)
        ],
    ),
    "outside_feedback.build_request_dm": Builder(
        "message", lambda h: [outside_feedback.build_request_dm(_request(h), tz="UTC")]
    ),
    "outside_feedback.build_shared_dm": Builder(
        "message", lambda h: [outside_feedback.build_shared_dm(_request(h))]
    ),
    "pair_state.build_pairing_pause_confirmation": Builder(
        "message",
        lambda h: [
            pair_state.build_pairing_pause_confirmation(
                PairingPauseChange(11, h(), MENTEE, MENTOR, MENTEE, paused, LATER.date())
            )
            for paused in (True, False)
        ],
    ),
    "pair_state.build_partner_pairing_paused": Builder(
        "message",
        lambda h: [
            pair_state.build_partner_pairing_paused(
                PairingPauseChange(11, h(), actor, MENTOR, MENTEE, paused), recipient=MENTOR
            )
            for actor, paused in ((MENTEE, True), (MENTEE, False), (None, False))
        ],
    ),
    "pair_state.build_partner_stage_moved": Builder(
        "message",
        lambda h: [
            pair_state.build_partner_stage_moved(
                StageMoved(11, 7, h(), MENTEE, MENTOR, Stage.INDEPENDENT, Stage.GUIDED_PRACTICE)
            )
        ],
    ),
    "pair_state.build_stage_moved": Builder(
        "message",
        lambda h: [
            pair_state.build_stage_moved(
                StageMoved(11, 7, h(), MENTEE, MENTOR, Stage.RAPPORT, Stage.GOAL_SETTING)
            )
        ],
    ),
    "pair_state.build_stage_moved_note": Builder(
        "text",
        lambda h: [
            pair_state.build_stage_moved_note(
                StageMoved(11, 7, h(), MENTEE, MENTOR, Stage.RAPPORT, Stage.GOAL_SETTING)
            )
        ],
    ),
    "pair_state.build_stage_picker": Builder(
        "message",
        lambda h: [
            pair_state.build_stage_picker(
                StageView(11, h(), MENTOR, Stage.ROLE_PLAY),
                note=pair_state.build_stage_moved_note(
                    StageMoved(11, 7, h(), MENTEE, MENTOR, Stage.RAPPORT, Stage.ROLE_PLAY)
                ),
            )
        ],
    ),
    "plans.build_plan_modal": Builder(
        "modal",
        lambda h: [
            plans.build_plan_modal(_plan(h, one_goal=one), today=TODAY) for one in (True, False)
        ],
    ),
    "plans.build_resource_form": Builder(
        "modal", lambda h: [plans.build_resource_form(PlanTarget(21, 11, h()))]
    ),
    "plans.build_task_form": Builder(
        "modal", lambda h: [plans.build_task_form(PlanTarget(21, 11, h()), today=TODAY)]
    ),
    "program.build_announcement_queued": Builder(
        "message", lambda h: [program.build_announcement_queued(_program(h), channel_id=CHANNEL)]
    ),
    "program.build_invitation": Builder(
        "message",
        lambda h: [
            program.build_invitation(
                _program(h), inviter_id=LEAD, lead_ids=[LEAD, OTHER], places_left=left
            )
            for left in (0, 3)
        ],
    ),
    "program.build_invitation_declined": Builder(
        "message", lambda h: [program.build_invitation_declined(_program(h))]
    ),
    "program.build_invitations_modal": Builder(
        "modal",
        lambda h: [
            program.build_invitations_modal(
                _program(h),
                InvitationPage(
                    7,
                    0,
                    60,
                    ((MENTEE, InvitationStatus.JOINED), (OTHER, InvitationStatus.DECLINED)),
                    InvitationCounts(waiting=30, joined=20, declined=10),
                ),
            )
        ],
    ),
    "program.build_invite_modal": Builder(
        "modal",
        lambda h: [program.build_invite_modal(_program(h, visibility=v)) for v in Visibility],
    ),
    "program.build_invite_result": Builder(
        "message",
        lambda h: [
            program.build_invite_result(
                _program(h, visibility=Visibility.INVITATION),
                Invited(new=(), already_invited=2, declined_before=1, already_in=1, leads=1),
            )
        ],
    ),
    "program.build_program_announcement": Builder(
        "message",
        lambda h: [
            program.build_program_announcement(p, places_left=2, lead_ids=[LEAD])
            for p in (_program(h), _other_purpose(h))
        ],
    ),
    "program.build_program_created": Builder(
        "message", lambda h: [program.build_program_created(_program(h), co_lead_ids=[OTHER])]
    ),
    "program.build_program_list": Builder(
        "message",
        lambda h: [
            program.build_program_list(
                [_program(h) for _ in range(50)],
                {7: ProgramCounts(mentors=1, mentees=2)},
                invitations={7: InvitationCounts(waiting=1)},
            )
        ],
    ),
    "program.build_program_modal": Builder(
        "modal",
        lambda h: [
            program.build_program_modal(program=p, co_lead_ids=[OTHER], today=TODAY)
            for p in (None, _program(h))
        ],
    ),
    "program.build_status_changed": Builder(
        "message",
        lambda h: [program.build_status_changed(_program(h, status=s)) for s in ProgramStatus],
    ),
    "prompts.build_delivery_failure": Builder(
        "message",
        lambda h: [
            prompts.build_delivery_failure(recipient_id=MENTEE, reason=h(), program_name=h())
        ],
    ),
    "prompts.build_due_reminder": Builder(
        "message",
        lambda h: [
            prompts.build_due_reminder(pairing_id=11, what="milestone", title=h(), due=TODAY)
        ],
    ),
    "prompts.build_graduation_prompt": Builder(
        "message",
        lambda h: [
            prompts.build_graduation_prompt(
                pairing_id=11, partner_user_id=MENTOR, program_name=h(), end=TODAY, left=left
            )
            for left in (
                None,
                {MENTEE: _left(MENTEE, Role.MENTEE)},
                {MENTEE: StillYours(MENTEE, Role.MENTEE)},
            )
        ],
    ),
    "prompts.build_lapse_escalation": Builder(
        "message",
        lambda h: [
            prompts.build_lapse_escalation(
                mentor_user_id=MENTOR, mentee_user_id=MENTEE, days=40, program_name=h()
            )
        ],
    ),
    "prompts.build_lapse_nudge": Builder(
        "message",
        lambda h: [
            prompts.build_lapse_nudge(
                pairing_id=11, partner_user_id=MENTOR, days=30, program_name=h()
            )
        ],
    ),
    "prompts.build_program_started": Builder(
        "message",
        lambda h: [
            prompts.build_program_started(program_name=h(), start=day, today=TODAY, pairs=2)
            for day in (TODAY, date(2026, 3, 1))
        ],
    ),
    "prompts.build_signal_escalation": Builder(
        "message",
        lambda h: [
            prompts.build_signal_escalation(
                _signal(kind), program_name=h(), nudged=[MENTEE, MENTOR], days=14
            )
            for kind in SignalKind
        ],
    ),
    "prompts.build_undelivered": Builder(
        "message",
        lambda h: [
            prompts.build_undelivered(what="your feedback", recipient_id=who, error=h())
            for who in (MENTOR, [MENTOR, CHANNEL])
        ],
    ),
    "scorecards.build_scorecard_comment_modal": Builder(
        "modal",
        lambda h: [
            scorecards.build_scorecard_comment_modal(
                scorecard_id=1, comment=h()[:1000], channel=None, ts=None
            )
        ],
    ),
    "scorecards.build_scorecard_prompt": Builder(
        "message",
        lambda h: [
            scorecards.build_scorecard_prompt(
                ScorecardView(1, 11, 4, MENTEE, MENTOR, NOW, {"clarity": 7}, h(), True), tz="UTC"
            )
        ],
    ),
    "sessions.build_log_modal": Builder(
        "modal",
        lambda h: [
            sessions.build_log_modal(
                pairing_id=11,
                me=MENTEE,
                partner_user_id=MENTOR,
                names={MENTEE: h(), MENTOR: h()},
                today=TODAY,
                default_minutes=60,
                goals=[(21, h()), (22, h())],
            )
        ],
    ),
    "sessions.build_logged_message": Builder(
        "message",
        lambda h: [
            sessions.build_logged_message(_logged(h), viewer_user_id=who, tz="UTC")
            for who in (MENTOR, MENTEE)
        ],
    ),
    "sessions.build_schedule_modal": Builder(
        "modal",
        lambda h: [
            sessions.build_schedule_modal(
                pairing_id=11,
                program_name=h(),
                partner_user_id=MENTOR,
                tz="UTC",
                defaults=defaults,
            )
            for defaults in (ScheduleDefaults(None, None, 60), ScheduleDefaults(4, LATER, 45))
        ],
    ),
    "sessions.build_session_dm": Builder(
        "message",
        lambda h: [
            sessions.build_session_dm(
                _change(h, kind), viewer_user_id=who, tz="UTC", without_email=[MENTOR]
            )
            for kind in ChangeKind
            for who in (MENTEE, MENTOR)
        ],
    ),
    "skills.build_skill_comparison": Builder(
        "message",
        lambda h: [
            skills.build_skill_comparison(_comparison(h), agenda_added=n) for n in (None, 0, 2)
        ],
    ),
    "skills.build_skill_comparison_modal": Builder(
        "modal", lambda h: [skills.build_skill_comparison_modal(_comparison(h), agenda_added=1)]
    ),
    "skills.build_skills_modal": Builder(
        "modal",
        lambda h: [
            skills.build_skills_modal(
                SkillForm(11, 1, role, MENTOR, [h(), h()], {}, role is Role.MENTOR, "k")
            )
            for role in Role
        ],
    ),
    "skills.build_skills_partner_prompt": Builder(
        "message", lambda h: [skills.build_skills_partner_prompt(_scores(h))]
    ),
    "skills.build_skills_saved": Builder(
        "message", lambda h: [skills.build_skills_saved(_scores(h))]
    ),
    "surveys.build_survey_modal": Builder(
        "modal",
        lambda h: [
            surveys.build_survey_modal(_survey_form(h, kind, role))
            for kind in SURVEYS
            for role in Role
        ],
    ),
    "surveys.build_survey_prompt": Builder(
        "message",
        lambda h: [
            surveys.build_survey_prompt(
                kind, pairing_id=11, mentee_user_id=MENTEE, program_name=h(), partner_user_id=p
            )
            for kind in SURVEYS
            for p in (MENTEE, MENTOR)
        ],
    ),
    "surveys.build_survey_thanks": Builder(
        "modal",
        lambda h: [
            surveys.build_survey_thanks(SurveySaved(11, kind, MENTEE, MENTOR, h(), True))
            for kind in SURVEYS
        ],
    ),
}

# Builders that take no words a person wrote: only ids, counts, dates and the bot's own text.
NO_USER_TEXT = {
    "help.build_help",  # the bot's subcommands; ``problem`` is mrkdwn the caller escaped
    "help.build_help_modal",  # the same list
    "home.build_home_empty",  # a user id
    "notes.build_delete_confirm",  # ids
    "notes.build_deleted_notice",  # counts
    "notes.build_document_form",  # an empty form
    "notice.build_notice",  # mrkdwn its caller made: callers escape what people wrote
    "notice.build_notice_modal",  # the same, in a modal
    "privacy.build_forget_modal",  # counts per table
    "privacy.build_forgotten",  # a count
    "prompts.build_agenda_prompt",  # an id and a time
    "prompts.build_did_you_meet",  # an id and a time
    "prompts.build_reassessment_prompt",  # an id
    "prompts.build_session_reminder",  # an id and a time
    "prompts.build_signal_nudge",  # counts from the data
    "scorecards.build_low_score_answer",  # a dimension and counts
    "scorecards.build_low_score_suggestion",  # a dimension and counts
    "sessions.build_cancel_modal",  # a time the bot wrote
}


# --- reading what Slack would parse --------------------------------------------------------------

_MARKUP = re.compile(r"<([^<>]*)>")
# An "&" that does not start a whole entity: a half-cut one, or one nobody escaped.
_LOOSE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")
# The bot's block-quote mark, at the start of a line (people's own ">" are escaped).
_QUOTE_MARK = re.compile(r"(?m)^>")


def _texts(node: Any, parsed: list[str], plain: list[str]) -> None:
    """Sort a result's strings into what Slack parses as mrkdwn and what it shows as typed."""
    if isinstance(node, list):
        for item in node:
            _texts(item, parsed, plain)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "mrkdwn":
        parsed.append(str(node["text"]))
    elif kind == "plain_text":
        plain.append(str(node["text"]))
    for key, value in node.items():
        if key == "private_metadata":
            continue  # comes back to the bot, never shown
        if key == "initial_value":
            plain.append(str(value))
        elif isinstance(value, dict | list):
            _texts(value, parsed, plain)


def _check_parsed(text: str) -> None:
    for inner in _MARKUP.findall(text):
        if inner.startswith("@"):
            assert inner[1:] in OWN_USERS, f"a mention the bot did not make: <{inner}>"
        elif inner.startswith("#"):
            assert inner[1:] in OWN_CHANNELS, f"a channel the bot did not name: <{inner}>"
        else:
            url, bar, label = inner.partition("|")
            assert bar, f"a bare link nobody labelled: <{inner}>"
            assert url.startswith(URL_START), f"a link the bot did not build: <{inner}>"
            assert label.endswith(f" ({SITE})"), f"a link that hides its site: <{inner}>"
    rest = _QUOTE_MARK.sub("", _MARKUP.sub("", text))
    assert "<" not in rest, f"a raw '<' in {text[:300]!r}"
    assert ">" not in rest, f"a raw '>' in {text[:300]!r}"
    loose = _LOOSE_AMPERSAND.search(text)
    assert loose is None, f"an '&' that is no entity: {text[max(loose.start() - 20, 0) :][:60]!r}"


def _check(result: Any, surface: Surface | Literal["text"]) -> None:
    parsed: list[str] = []
    plain: list[str] = []
    if surface == "text":
        assert isinstance(result, str)
        parsed.append(result)
    else:
        assert isinstance(result, dict)
        if surface == "message":
            parsed.append(str(result.get("text", "")))
        _texts(result, parsed, plain)
        assert_valid_view(result, surface=surface)
    for text in parsed:
        _check_parsed(text)
    for text in plain:
        # Nothing here holds "&amp;" as written: plain text shows it only if escaped by mistake.
        assert "&amp;" not in text, f"plain text escaped: {text[:200]!r}"


# --- the tests -----------------------------------------------------------------------------------

QUICK = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.parametrize("name", sorted(BUILDERS))
@QUICK
@given(data=st.data())
def test_no_words_from_people_act_as_markup_in_any_view(name: str, data: st.DataObject) -> None:
    builder = BUILDERS[name]

    # A few strings per example, taken in turn by every field: cheap to draw and to shrink.
    drawn: list[str] = data.draw(st.lists(HOSTILE, min_size=1, max_size=3))
    pool = cycle(drawn)

    def h() -> str:
        return next(pool)

    results = builder.make(h)
    assert results
    for result in results:
        _check(result, builder.surface)


def _public_builders() -> set[str]:
    found = set()
    for info in pkgutil.iter_modules(bot.views.__path__):
        module = importlib.import_module(f"bot.views.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("build_") and function.__module__ == module.__name__:
                found.add(f"{info.name}.{name}")
    return found


def test_every_view_builder_is_checked_or_said_to_take_no_words() -> None:
    builders = _public_builders()
    listed = {name for name in BUILDERS if name.split(".")[1].startswith("build_")}
    assert builders - listed - NO_USER_TEXT == set(), "add these to BUILDERS (or NO_USER_TEXT)"
    assert listed | NO_USER_TEXT <= builders, "these builders are gone: drop them here"
    assert not listed & NO_USER_TEXT


@given(text=HOSTILE, limit=st.integers(1, 400))
@settings(max_examples=80, deadline=None)
def test_the_text_helpers_leave_no_markup_and_no_half_entity(text: str, limit: int) -> None:
    for shown in (escape(text), inline(text, limit), words(text, limit), quote(text, limit)):
        _check_parsed(shown)
    for cut in (clip(escape(text), limit), clip_mrkdwn(escape(text), limit)):
        assert len(cut) <= limit
        _check_parsed(cut)
    assert len(inline(text, limit)) <= 5 * limit
    assert "\n" not in inline(text, limit)


@given(title=HOSTILE, tail=HOSTILE, limit=st.integers(5, 400))
@settings(max_examples=50, deadline=None)
def test_a_link_to_a_given_url_shows_its_site_and_cannot_break_out(
    title: str, tail: str, limit: int
) -> None:
    shown = link(title, URL_START + tail, limit=limit)
    _check_parsed(shown)
    assert shown.startswith(f"<{URL_START}")
    assert link(title, None, limit=limit) == inline(title, limit)
    elsewhere = link(title, "javascript:alert(1)|<!channel>", limit=limit)
    assert "<javascript" not in elsewhere
    _check_parsed(elsewhere)


def test_a_cut_never_leaves_half_an_entity_or_half_a_mention() -> None:
    text = "&amp;" * 3 + "<@U0MENTEE> and <https://docs.example/x|a doc (docs.example)> &lt;"
    for limit in range(1, len(text) + 2):
        cut = clip_mrkdwn(text, limit)
        assert len(cut) <= limit
        _check_parsed(cut)
        assert not _LOOSE_AMPERSAND.search(clip(text, limit))


# --- end to end: what the partner's DM says ------------------------------------------------------

HOSTILE_WORDS = "<!channel> <@U999> <https://evil|Open Slack> & <#C999> done"
SHOWN = "&lt;!channel&gt; &lt;@U999&gt; &lt;https://evil|Open Slack&gt; &amp; &lt;#C999&gt; done"


@pytest.fixture
def hostile_pair(engine: Engine, slack: SlackDouble) -> int:
    """Bob mentors Alice in a program whose lead gave it a hostile name."""
    with session_scope(engine) as session:
        pairing = make_pair(session, name="Spring <!here> & co")
        assert pairing.id is not None
        return pairing.id


def _dms_to(slack: SlackDouble, user_id: str, count: int) -> Iterator[dict[str, Any]]:
    """Every message posted so far (once ``count`` are out) to ``user_id``'s DM, checked."""
    for call in slack.wait_for("chat.postMessage", count=count):
        if call.params["channel"] == slack.dm_channel_id(user_id):
            yield call.params


def _shown_as_text(message: dict[str, Any]) -> str:
    """The message as text, after checking Slack can parse no one's words in it."""
    parsed: list[str] = [str(message.get("text", ""))]
    plain: list[str] = []
    _texts(message.get("blocks", []), parsed, plain)
    assert_valid_view(message, surface="message")
    for text in parsed:
        for inner in _MARKUP.findall(text):
            assert inner in (f"@{ALICE}", f"@{BOB}"), f"live: <{inner}>"
        assert "<" not in _MARKUP.sub("", text)
    return json.dumps(message, ensure_ascii=False)


def test_feedback_reaches_the_partner_as_text(
    bot: SlackToBot, slack: SlackDouble, hostile_pair: int
) -> None:
    bot.command("feedback", user_id=BOB)
    view = opened_view(slack)
    parts = (
        BlockId.FEEDBACK_WENT_WELL,
        BlockId.FEEDBACK_NEEDS_CHANGE,
        BlockId.FEEDBACK_NEXT_ACTION,
    )
    answer = bot.submit(view, dict.fromkeys(parts, HOSTILE_WORDS), user_id=BOB)
    assert answer.json()["response_action"] == "update"
    [dm] = _dms_to(slack, ALICE, 1)
    assert _shown_as_text(dm).count(SHOWN) == 3


def test_a_session_note_and_action_item_reach_the_partner_as_text(
    bot: SlackToBot, slack: SlackDouble, hostile_pair: int
) -> None:
    bot.command("log", user_id=ALICE)
    view = opened_view(slack)
    answer = bot.submit(
        view,
        {
            BlockId.LOG_MINUTES: "60",
            BlockId.LOG_NOTES: HOSTILE_WORDS,
            f"{BlockId.LOG_ACTION_TEXT_PREFIX}1": HOSTILE_WORDS,
        },
        user_id=ALICE,
    )
    assert answer.status == 200
    assert answer.body == ""
    [note] = [m for m in _dms_to(slack, BOB, 3) if m["text"].startswith("<@U0001> logged")]
    assert _shown_as_text(note).count(SHOWN) == 2


def test_an_agenda_item_reaches_the_mentor_as_text(
    bot: SlackToBot, slack: SlackDouble, hostile_pair: int
) -> None:
    bot.command("agenda", user_id=ALICE)
    view = opened_view(slack)
    assert view["callback_id"] == CallbackId.AGENDA
    answer = bot.submit(view, {BlockId.AGENDA_NEW: HOSTILE_WORDS}, user_id=ALICE)
    assert answer.status == 200
    [dm] = _dms_to(slack, BOB, 1)
    assert SHOWN in _shown_as_text(dm)


def test_a_cancel_reason_reaches_the_partner_as_text(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, hostile_pair: int
) -> None:
    schedule(bot, slack, day=date(2026, 3, 10), at=time(15, 0))
    slack.wait_for("chat.postMessage", count=2)
    bot.command("schedule", user_id=ALICE)
    opened_view(slack, 2)
    [meeting] = meetings(engine)
    [(view_id, moving)] = [
        (vid, v) for vid, v in slack.views.items() if v["title"]["text"] == "Move the session"
    ]
    bot.action(
        ActionId.SESSION_CANCEL,
        str(meeting.id),
        user_id=ALICE,
        view=moving,
        trigger_id=slack.new_trigger_id(view_id=view_id),
    )
    confirm = opened_view(slack, 1, method="views.push")
    answer = bot.submit(confirm, {BlockId.SESSION_CANCEL_REASON: HOSTILE_WORDS}, user_id=ALICE)
    assert answer.json() == {"response_action": "clear"}
    scheduled, cancelled = (_shown_as_text(m) for m in _dms_to(slack, BOB, 4))
    assert "Spring &lt;!here&gt; &amp; co" in scheduled  # the program's name, as the lead typed it
    assert "is cancelled" in cancelled
    assert SHOWN in cancelled
