"""Failure modes reach the pair before the lead: across simulated time, through the real app.

Bob (New York) mentors Alice (Berlin) in a biweekly program that started on Sunday 1 March 2026,
led by UADMIN. Their history is stored directly; what they do about a nudge they do in Slack
(the agenda, the feedback form, the goals), and the housekeeping job runs at the moments a test
picks, with the clock frozen in between.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.deps import Deps
from bot.gateway import SlackGateway, build_client
from bot.ids import ActionId, BlockId
from bot.sandbox.slack_double import SlackDouble
from bot.services.digest import Health, cohort_metrics
from bot.services.signals import NUDGED, Signal, SignalKind, detect_signals, lead_reason
from bot.views.prompts import build_signal_escalation, build_signal_nudge
from scheduler.delivery import Deliverer, Pacer, settle
from scheduler.jobs import HOUSEKEEPING, raise_signals
from scheduler.tick import tick
from storage.db import session_scope
from storage.enums import (
    AgendaSource,
    DeliveryStatus,
    FlagKind,
    GoalProgress,
    GoalStatus,
    MeetingStatus,
    PairingStatus,
    Role,
    Stage,
)
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
)
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot, eventually
from tests.pairs import MENTEE, MENTOR, TEAM, Pair, make_pair, posts, text_of

LEAD = "UADMIN"
BERLIN_MORNING = 8  # 09:00 in Berlin (CET) is 08:00 UTC in March
GOOD_FEEDBACK = "Open with the decision you need from the directors"


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment of 2026, UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def pair(engine: Engine, slack: SlackDouble) -> Pair:
    """Bob mentors Alice; their goals were written on the day they started."""
    stored = make_pair(engine, slack, stage=Stage.GUIDED_PRACTICE)
    with session_scope(engine) as session:
        for goal in session.exec(select(Goal)):
            goal.created_at = goal.updated_at = at(3, 1, 9)
            session.add(goal)
    return stored


@pytest.fixture
def deliverer(deps: Deps) -> Deliverer:
    return Deliverer(deps, worker="signals", pacer=Pacer(sleep=lambda _: None))


def held(
    engine: Engine,
    pair: Pair,
    when: datetime,
    *,
    agenda: bool = True,
    goal: bool = True,
    feedback: str | None = GOOD_FEEDBACK,
    actions: tuple[tuple[date, datetime | None], ...] = (),
) -> int:
    """A session the pair held at ``when``: its agenda, the goal it touched, Bob's feedback
    ("needs to change") and Alice's action items (due, done)."""
    with session_scope(engine) as session:
        meeting = Meeting(
            team_id=TEAM,
            pairing_id=pair.pairing_id,
            status=MeetingStatus.HELD,
            scheduled_start=when,
            held_at=when,
            minutes_held=60,
            created_at=when,
        )
        session.add(meeting)
        session.flush()
        meeting_id = meeting.id or 0
        if agenda:
            session.add(
                AgendaItem(
                    team_id=TEAM,
                    pairing_id=pair.pairing_id,
                    meeting_id=meeting_id,
                    text="How to open the quarterly review",
                    source=AgendaSource.MENTEE,
                    added_by=MENTEE,
                    created_at=when - timedelta(days=1),
                )
            )
        if goal:
            session.add(
                MeetingGoal(meeting_id=meeting_id, goal_id=pair.agreed_goal_id, team_id=TEAM)
            )
        if feedback is not None:
            session.add(
                Feedback(
                    team_id=TEAM,
                    pairing_id=pair.pairing_id,
                    meeting_id=meeting_id,
                    from_user_id=MENTOR,
                    went_well="You came with a clear question",
                    needs_change=feedback,
                    next_action="Draft the opening slide",
                    created_at=when + timedelta(hours=2),
                )
            )
        for due, done in actions:
            session.add(
                ActionItem(
                    team_id=TEAM,
                    pairing_id=pair.pairing_id,
                    meeting_id=meeting_id,
                    text=f"Draft the stakeholder map ({due:%d %b})",
                    owner_user_id=MENTEE,
                    due_date=due,
                    done_at=done,
                    created_at=when,
                )
            )
        return meeting_id


def nudges(engine: Engine) -> list[Delivery]:
    """The nudges and leads' flag messages in the outbox, oldest first."""
    with session_scope(engine) as session:
        query = (
            select(Delivery)
            .where(col(Delivery.rule).in_(["signal_nudge", "signal_escalation"]))
            .order_by(col(Delivery.id))
        )
        return list(session.exec(query))


def flags(engine: Engine, kind: FlagKind | None = None) -> list[Flag]:
    """The red flags, oldest first."""
    with session_scope(engine) as session:
        query = select(Flag).order_by(col(Flag.id))
        if kind is not None:
            query = query.where(Flag.kind == kind)
        return list(session.exec(query))


def run(deps: Deps, clock: FrozenClock, moment: datetime) -> None:
    """The housekeeping job at ``moment``."""
    clock.current = moment
    raise_signals(deps)


def deliver(deps: Deps, deliverer: Deliverer, clock: FrozenClock, moment: datetime) -> None:
    """The outbox delivered at ``moment``, as the scheduler does."""
    clock.current = moment
    settle(deps)
    deliverer.run()


def dms(slack: SlackDouble, user: str) -> list[dict[str, Any]]:
    """What ``user``'s DM holds, oldest first, each checked against Block Kit's limits."""
    found = slack.messages(slack.dm_channel_id(user))
    for message in found:
        assert_valid_view({"text": message["text"], "blocks": message["blocks"]}, surface="message")
    return found


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """The (action id, value) of every button of a message."""
    return [
        (str(e["action_id"]), str(e.get("value")))
        for block in message.get("blocks", [])
        for e in block.get("elements", [])
        if e.get("type") == "button"
    ]


def click(
    bot: SlackToBot, slack: SlackDouble, user: str, message: dict[str, Any]
) -> dict[str, Any]:
    """``user`` clicks the one button of a DM; returns the modal it opened."""
    [(action_id, value)] = buttons(message)
    channel = slack.dm_channel_id(user)
    return new_view(
        slack,
        "views.open",
        lambda: bot.action(
            action_id,
            value,
            user_id=user,
            trigger_id=slack.new_trigger_id(),
            container={"type": "message", "message_ts": message["ts"], "channel_id": channel},
            channel_id=channel,
            message=message,
        ),
    )


def new_view(slack: SlackDouble, method: str, act: Callable[[], object]) -> dict[str, Any]:
    """Do ``act``, which opens or pushes a modal; return the modal as Slack holds it."""
    known, before = set(slack.views), len(slack.calls_to(method))
    act()
    call = slack.wait_for(method, count=before + 1)[before]
    assert_valid_view(call.params["view"], surface="modal")
    # The double records the call before it stores the view it answers with.
    assert eventually(lambda: len(set(slack.views) - known) == 1)
    [new_id] = set(slack.views) - known
    return slack.views[new_id]


def set_pairing(engine: Engine, pair: Pair, **values: Any) -> None:
    with session_scope(engine) as session:
        pairing = session.get(Pairing, pair.pairing_id)
        assert pairing is not None
        for key, value in values.items():
            setattr(pairing, key, value)
        session.add(pairing)


# --- one-sided effort: the mentee, the agenda --------------------------------------------------


def test_one_sided_effort_nudges_the_mentee_once_in_her_morning_and_resolves_when_done(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    deliverer: Deliverer,
    pair: Pair,
) -> None:
    held(engine, pair, at(3, 3, 15), actions=((date(2026, 3, 6), None),))
    held(engine, pair, at(3, 10, 15))
    # 02:00 UTC on Thursday 12 March: 03:00 in Berlin, 22:00 the evening before in New York.
    run(deps, clock, at(3, 12, 2))
    [nudge] = nudges(engine)
    assert (nudge.recipient_id, nudge.pairing_id) == (MENTEE, pair.pairing_id)
    assert nudge.due_at == at(3, 12, BERLIN_MORNING)
    assert nudge.extras.get("bundle") is True
    [flag] = flags(engine)
    assert (flag.kind, flag.pairing_id, flag.raised_at, flag.resolved_at) == (
        FlagKind.ONE_SIDED_EFFORT,
        pair.pairing_id,
        at(3, 12, 2),
        None,
    )
    assert flag.detail == "none of the mentee's 1 action due by the last session was done"

    # Nothing goes out at night; the job running again adds nothing.
    deliver(deps, deliverer, clock, at(3, 12, 3))
    run(deps, clock, at(3, 12, 3))
    assert dms(slack, MENTEE) == []
    deliver(deps, deliverer, clock, at(3, 12, BERLIN_MORNING))
    run(deps, clock, at(3, 12, 10))
    deliver(deps, deliverer, clock, at(3, 12, 10))
    assert len(nudges(engine)) == 1
    assert len(flags(engine)) == 1
    [message] = dms(slack, MENTEE)
    said = text_of(message)
    assert "The action item you took on for your last session with <@U0002>" in said
    assert "Draft the stakeholder map" not in said  # the item's words stay in the agenda
    assert buttons(message) == [(ActionId.AGENDA_OPEN, str(pair.pairing_id))]
    assert dms(slack, MENTOR) == []
    assert dms(slack, LEAD) == []

    # Alice opens the agenda from the nudge and ticks the item off: the flag resolves.
    view = click(bot, slack, MENTEE, message)
    with session_scope(engine) as session:
        action = session.exec(select(ActionItem)).one()
    bot.submit(view, {f"{BlockId.AGENDA_DONE_PREFIX}0": [str(action.id)]}, user_id=MENTEE)
    run(deps, clock, at(3, 12, 11))
    [flag] = flags(engine)
    assert flag.resolved_at == at(3, 12, 11)
    assert flag.escalated_at is None
    assert len(nudges(engine)) == 1

    # It happens again after the next session: a new episode, a new nudge.
    held(engine, pair, at(3, 24, 15))
    with session_scope(engine) as session:
        session.add(
            ActionItem(
                team_id=TEAM,
                pairing_id=pair.pairing_id,
                text="Ask two directors what they expect",
                owner_user_id=MENTEE,
                due_date=date(2026, 3, 20),
            )
        )
    run(deps, clock, at(3, 25, 9))
    assert [f.resolved_at for f in flags(engine)] == [at(3, 12, 11), None]
    first, second = nudges(engine)
    assert second.recipient_id == MENTEE
    assert second.dedupe_key != first.dedupe_key
    assert second.due_at == at(3, 25, 9)  # in her working hours already: now


# --- agenda drift: the mentee, the agenda --------------------------------------------------------


def test_agenda_drift_nudges_the_mentee_and_writing_the_next_agenda_resolves_it(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    deliverer: Deliverer,
    pair: Pair,
) -> None:
    held(engine, pair, at(3, 3, 15), agenda=False)
    held(engine, pair, at(3, 10, 15), goal=False)
    held(engine, pair, at(3, 17, 15))
    run(deps, clock, at(3, 18, 9))
    [nudge] = nudges(engine)
    assert nudge.recipient_id == MENTEE
    deliver(deps, deliverer, clock, at(3, 18, 9))
    [message] = dms(slack, MENTEE)
    assert (
        "2 of your last 3 sessions with <@U0002> had no agenda or didn't touch your goals"
        in text_of(message)
    )
    assert buttons(message) == [(ActionId.AGENDA_OPEN, str(pair.pairing_id))]
    # The leads' digest reads the same detection.
    with session_scope(engine) as session:
        program = session.get(Program, pair.program_id)
        assert program is not None
        metrics = cohort_metrics(session, program=program, now=clock.current)
    [drift] = metrics.flags_of(FlagKind.AGENDA_DRIFT)
    assert drift.reason == "2 of the last 3 sessions had no agenda or touched none of their goals"

    view = click(bot, slack, MENTEE, message)
    bot.submit(view, {BlockId.AGENDA_NEW: "Rehearse the review's opening"}, user_id=MENTEE)
    run(deps, clock, at(3, 18, 10))
    [flag] = flags(engine)
    assert (flag.kind, flag.resolved_at) == (FlagKind.AGENDA_DRIFT, at(3, 18, 10))
    assert [d.recipient_id for d in nudges(engine)] == [MENTEE]


def test_sessions_that_touch_no_goal_are_drift_too(
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    deliverer: Deliverer,
    slack: SlackDouble,
    pair: Pair,
) -> None:
    held(engine, pair, at(3, 3, 15))
    held(engine, pair, at(3, 10, 15), goal=False)
    held(engine, pair, at(3, 17, 15), goal=False)
    run(deps, clock, at(3, 18, 9))
    deliver(deps, deliverer, clock, at(3, 18, 9))
    [message] = dms(slack, MENTEE)
    assert "2 of your last 3 sessions with <@U0002> didn't touch any of your goals" in text_of(
        message
    )


# --- avoided feedback: the mentor, the feedback form ---------------------------------------------


def test_avoided_feedback_nudges_the_mentor_in_his_morning_and_real_feedback_resolves_it(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    deliverer: Deliverer,
    pair: Pair,
) -> None:
    held(engine, pair, at(3, 3, 15), feedback=None)
    held(engine, pair, at(3, 10, 15), feedback="Nothing really, all good!")
    last = held(engine, pair, at(3, 17, 15), feedback=None)
    # 02:00 UTC on Wednesday 18 March is 22:00 on Tuesday in New York (EDT since 8 March).
    run(deps, clock, at(3, 18, 2))
    [nudge] = nudges(engine)
    assert nudge.recipient_id == MENTOR
    assert nudge.due_at == at(3, 18, 13)  # 09:00 in New York
    deliver(deps, deliverer, clock, at(3, 18, 9))
    assert dms(slack, MENTOR) == []
    deliver(deps, deliverer, clock, at(3, 18, 13))
    [message] = dms(slack, MENTOR)
    assert (
        "Your feedback on your last 3 sessions with <@U0001> hasn't named anything to change"
        in text_of(message)
    )
    assert buttons(message) == [(ActionId.FEEDBACK_OPEN, str(last))]
    assert dms(slack, MENTEE) == []

    view = click(bot, slack, MENTOR, message)
    bot.submit(
        view,
        {
            BlockId.FEEDBACK_WENT_WELL: "You led the discussion from the start",
            BlockId.FEEDBACK_NEEDS_CHANGE: "Name the decision you need in the first minute",
            BlockId.FEEDBACK_NEXT_ACTION: "Rewrite the opening slide around that decision",
        },
        user_id=MENTOR,
    )
    run(deps, clock, at(3, 18, 14))
    [flag] = flags(engine)
    assert (flag.kind, flag.resolved_at) == (FlagKind.AVOIDED_FEEDBACK, at(3, 18, 14))
    assert len(nudges(engine)) == 1


# --- falling scorecards: the mentor; escalation to the leads -------------------------------------


def _scorecards(engine: Engine, pair: Pair, scores: list[tuple[datetime, int]]) -> None:
    for when, clarity in scores:
        meeting_id = held(engine, pair, when)
        with session_scope(engine) as session:
            session.add(
                Scorecard(
                    team_id=TEAM,
                    pairing_id=pair.pairing_id,
                    meeting_id=meeting_id,
                    mentee_user_id=MENTEE,
                    clarity=clarity,
                    energy=8,
                    confidence=8,
                    completed_at=when + timedelta(hours=2),
                )
            )


def test_falling_scorecards_reach_the_leads_once_after_two_weeks_and_not_before(
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    deliverer: Deliverer,
    pair: Pair,
) -> None:
    _scorecards(engine, pair, [(at(3, 3, 15), 8), (at(3, 10, 15), 5), (at(3, 17, 15), 4)])
    raised = at(3, 18, 14)
    run(deps, clock, raised)
    [nudge] = nudges(engine)
    assert nudge.recipient_id == MENTOR
    deliver(deps, deliverer, clock, raised)
    [message] = dms(slack, MENTOR)
    said = text_of(message)
    assert "<@U0001>'s ratings of your recent sessions have dipped: clarity of direction" in said
    assert "what would make the next steps clearer" in said
    assert "If nothing changes in 14 days, your program lead" in said

    # Held three more sessions, still low: a day short of two weeks, nobody else hears.
    _scorecards(engine, pair, [(at(3, 24, 15), 5), (at(3, 31, 15), 6)])
    run(deps, clock, raised + timedelta(days=13, hours=23))
    deliver(deps, deliverer, clock, raised + timedelta(days=13, hours=23))
    assert [d.rule for d in nudges(engine)] == ["signal_nudge"]
    assert dms(slack, LEAD) == []
    assert flags(engine)[0].escalated_at is None

    run(deps, clock, raised + timedelta(days=14))
    run(deps, clock, raised + timedelta(days=14, hours=1))
    deliver(deps, deliverer, clock, raised + timedelta(days=14, hours=1))
    [flag] = flags(engine)
    assert flag.escalated_at == raised + timedelta(days=14)
    assert flag.resolved_at is None
    escalations = [d for d in nudges(engine) if d.rule == "signal_escalation"]
    assert [d.recipient_id for d in escalations] == [LEAD]
    [told] = dms(slack, LEAD)
    said = text_of(told)
    assert "*Falling scorecards* in *Spring cohort*: <@U0002> → <@U0001>" in said
    assert "clarity rated low in recent sessions" in said
    assert "below 6" not in said
    assert "I nudged <@U0002> privately 14 days ago" in said
    assert "*Suggested:* Ask the mentor how the sessions feel from their side" in said
    # Better ratings resolve it, without a word to anyone.
    _scorecards(engine, pair, [(at(4, 7, 15), 8), (at(4, 14, 15), 8)])
    run(deps, clock, at(4, 15, 9))
    assert flags(engine)[0].resolved_at == at(4, 15, 9)
    assert len(nudges(engine)) == 2
    assert len(dms(slack, MENTOR)) == 1


def test_a_program_sets_its_own_escalation_threshold(
    engine: Engine, deps: Deps, clock: FrozenClock, pair: Pair
) -> None:
    with session_scope(engine) as session:
        program = session.get(Program, pair.program_id)
        assert program is not None
        program.rule_settings = {"escalate_after_days": 3}
        session.add(program)
    held(engine, pair, at(3, 3, 15))
    held(engine, pair, at(3, 10, 15), actions=((date(2026, 3, 6), None),))
    run(deps, clock, at(3, 12, 9))
    run(deps, clock, at(3, 15, 8, 59))
    assert [d.rule for d in nudges(engine)] == ["signal_nudge"]
    run(deps, clock, at(3, 15, 9))
    assert [d.rule for d in nudges(engine)] == ["signal_nudge", "signal_escalation"]
    assert "If nothing changes in 3 days" in text_of(nudges(engine)[0].payload)


# --- stalled goals: both people, the goals -----------------------------------------------------


def test_stalled_goals_nudge_both_then_the_leads_and_a_moving_goal_ends_it(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    deliverer: Deliverer,
    pair: Pair,
) -> None:
    with session_scope(engine) as session:
        goal = session.get(Goal, pair.agreed_goal_id)
        assert goal is not None
        goal.progress = GoalProgress.NOT_STARTED
        session.add(goal)
    for day in (10, 17, 24):
        held(engine, pair, at(3, day, 15))
    # Four weeks after they started (1 March), no goal is moving.
    run(deps, clock, at(3, 28, 9))
    assert nudges(engine) == []
    run(deps, clock, at(3, 29, 9))
    # Sunday: each hears on Monday morning, in their own timezone (Berlin is on CEST now).
    assert sorted((d.recipient_id, d.due_at) for d in nudges(engine)) == [
        (MENTEE, at(3, 30, 7)),
        (MENTOR, at(3, 30, 13)),
    ]
    [stall] = flags(engine)
    assert (stall.kind, stall.pairing_id) == (FlagKind.STALLED, pair.pairing_id)
    run(deps, clock, at(3, 30, 9))
    deliver(deps, deliverer, clock, at(3, 30, 13))
    [to_alice] = dms(slack, MENTEE)
    [to_bob] = dms(slack, MENTOR)
    assert "none of your goals has moved yet" in text_of(to_alice)
    assert "none of <@U0001>'s goals has moved yet" in text_of(to_bob)
    assert buttons(to_alice) == [(ActionId.GOALS_OPEN, str(pair.pairing_id))]

    # Two weeks on, still stalled: the leads hear, once.
    for day in (31,):
        held(engine, pair, at(3, day, 15))
    run(deps, clock, at(4, 12, 9))
    run(deps, clock, at(4, 12, 10))
    escalations = [d for d in nudges(engine) if d.rule == "signal_escalation"]
    assert [d.recipient_id for d in escalations] == [LEAD]
    assert "none of their goals in motion after 6 weeks" in text_of(escalations[0].payload)

    # Alice says how her goal is going: it moves, and the stall is over.
    overview = click(bot, slack, MENTEE, to_alice)
    form = new_view(
        slack,
        "views.push",
        lambda: bot.action(
            ActionId.GOAL_UPDATE_PROGRESS,
            str(pair.agreed_goal_id),
            user_id=MENTEE,
            view=overview,
            trigger_id=slack.new_trigger_id(view_id=overview["id"]),
        ),
    )
    bot.submit(
        form,
        {BlockId.GOAL_PROGRESS_STATUS: GoalProgress.ON_TRACK.value},
        user_id=MENTEE,
        view_id=form["id"],
        root_view_id=form["root_view_id"],
    )
    assert eventually(lambda: _progress(engine, pair) is GoalProgress.ON_TRACK)
    run(deps, clock, at(4, 13, 9))
    with session_scope(engine) as session:
        program = session.get(Program, pair.program_id)
        assert program is not None
        assert detect_signals(session, program=program, now=clock.current) == []
    assert len(nudges(engine)) == 3


def _progress(engine: Engine, pair: Pair) -> GoalProgress:
    with session_scope(engine) as session:
        goal = session.get(Goal, pair.agreed_goal_id)
        assert goal is not None
        return goal.progress


# --- paused and finished pairs -------------------------------------------------------------------


def test_a_paused_pair_is_left_alone_and_its_waiting_nudge_is_dropped(
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    deliverer: Deliverer,
    pair: Pair,
) -> None:
    held(engine, pair, at(3, 3, 15))
    held(engine, pair, at(3, 10, 15), actions=((date(2026, 3, 6), None),))
    run(deps, clock, at(3, 12, 2))
    [nudge] = nudges(engine)
    assert nudge.status is DeliveryStatus.PENDING
    # They pause overnight: the nudge due in the morning never goes, nobody hears later.
    set_pairing(engine, pair, status=PairingStatus.PAUSED, paused_until=at(4, 30))
    run(deps, clock, at(3, 12, 3))
    [flag] = flags(engine)
    assert flag.resolved_at == at(3, 12, 3)
    [nudge] = nudges(engine)
    assert nudge.status is DeliveryStatus.DROPPED
    for day in (12, 20, 30):
        run(deps, clock, at(3, day, 10))
        deliver(deps, deliverer, clock, at(3, day, 10))
    assert dms(slack, MENTEE) == []
    assert dms(slack, LEAD) == []
    assert len(nudges(engine)) == 1
    # Back from the pause with the item still open: a fresh start, one new nudge.
    set_pairing(engine, pair, status=PairingStatus.ACTIVE, paused_until=None)
    run(deps, clock, at(3, 31, 10))
    assert [d.status for d in nudges(engine)] == [DeliveryStatus.DROPPED, DeliveryStatus.PENDING]


def test_a_paused_pair_is_never_nudged_and_an_ended_pairs_flags_are_closed(
    engine: Engine, deps: Deps, clock: FrozenClock, pair: Pair
) -> None:
    set_pairing(engine, pair, status=PairingStatus.PAUSED)
    held(engine, pair, at(3, 3, 15), agenda=False, feedback=None)
    held(engine, pair, at(3, 10, 15), agenda=False, feedback=None)
    held(engine, pair, at(3, 17, 15), agenda=False, feedback=None)
    run(deps, clock, at(3, 18, 9))
    assert nudges(engine) == []
    assert flags(engine) == []
    set_pairing(engine, pair, status=PairingStatus.ACTIVE)
    run(deps, clock, at(3, 18, 10))
    assert {f.kind for f in flags(engine)} == {FlagKind.AGENDA_DRIFT, FlagKind.AVOIDED_FEEDBACK}
    set_pairing(engine, pair, status=PairingStatus.ENDED, ended_at=at(3, 19))
    run(deps, clock, at(3, 19, 10))
    assert all(f.resolved_at == at(3, 19, 10) for f in flags(engine))
    assert len(nudges(engine)) == 2


# --- the scheduler runs it -----------------------------------------------------------------------


def test_tick_runs_the_job_and_delivers_the_nudge(
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    deliverer: Deliverer,
    pair: Pair,
) -> None:
    assert (raise_signals, timedelta(hours=1)) in HOUSEKEEPING
    held(engine, pair, at(3, 3, 15))
    held(engine, pair, at(3, 10, 15), actions=((date(2026, 3, 6), None),))
    clock.current = at(3, 12, 10)
    tick(deps, deliverer)
    tick(deps, deliverer)
    [message] = posts(slack, MENTEE)
    assert "action item" in message["text"]
    assert len(nudges(engine)) == 1


# --- one detection, set-based --------------------------------------------------------------------


def _query_count(engine: Engine, program_id: int, now: datetime) -> int:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as session:
            program = session.get(Program, program_id)
            assert program is not None
            statements.clear()
            detect_signals(session, program=program, now=now)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def _more_pairs(engine: Engine, pair: Pair, count: int) -> None:
    """``count`` more pairs in the program, each with three drifting sessions."""
    with session_scope(engine) as session:
        for n in range(count):
            people = []
            for user, role in ((f"UMX{n}", Role.MENTOR), (f"UEX{n}", Role.MENTEE)):
                person = Participant(
                    team_id=TEAM, program_id=pair.program_id, user_id=user, role=role
                )
                session.add(person)
                session.flush()
                people.append(person)
            pairing = Pairing(
                team_id=TEAM,
                program_id=pair.program_id,
                mentor_id=people[0].id or 0,
                mentee_id=people[1].id or 0,
                mentor_user_id=people[0].user_id,
                mentee_user_id=people[1].user_id,
                status=PairingStatus.ACTIVE,
                started_at=at(3, 1, 9),
            )
            session.add(pairing)
            session.flush()
            session.add(
                Goal(
                    team_id=TEAM,
                    pairing_id=pairing.id or 0,
                    statement="A goal",
                    due_date=date(2026, 6, 1),
                    status=GoalStatus.AGREED,
                    proposed_by=people[1].user_id,
                )
            )
            for day in (3, 10, 17):
                when = at(3, day, 15)
                session.add(
                    Meeting(
                        team_id=TEAM,
                        pairing_id=pairing.id or 0,
                        status=MeetingStatus.HELD,
                        scheduled_start=when,
                        held_at=when,
                        minutes_held=60,
                    )
                )


def test_detection_takes_the_same_queries_for_one_pair_and_forty(
    engine: Engine, pair: Pair
) -> None:
    for day in (3, 10, 17):
        held(engine, pair, at(3, day, 15), agenda=False)
    now = at(3, 18, 9)
    alone = _query_count(engine, pair.program_id, now)
    _more_pairs(engine, pair, 40)
    assert _query_count(engine, pair.program_id, now) == alone <= 4
    with session_scope(engine) as session:
        program = session.get(Program, pair.program_id)
        assert program is not None
        found = detect_signals(session, program=program, now=now)
    drifting = {s.pairing_id for s in found if s.kind is SignalKind.AGENDA_DRIFT}
    assert len(drifting) == 41
    # Forty pairs without any feedback: avoided feedback too; Alice and Bob have theirs.
    avoided = {s.pairing_id for s in found if s.kind is SignalKind.AVOIDED_FEEDBACK}
    assert len(avoided) == 40
    assert pair.pairing_id not in avoided


def test_the_digest_and_the_rule_read_the_same_signals(engine: Engine) -> None:
    from tests.test_digest import NOW, build_cohort

    cohort = build_cohort(engine)
    with session_scope(engine) as session:
        program = session.get(Program, cohort.program_id)
        assert program is not None
        metrics = cohort_metrics(session, program=program, now=NOW)
        found = detect_signals(session, program=program, now=NOW)
    kinds = {k.flag_kind for k in SignalKind}
    from_digest = {(f.kind, f.pairing_id, f.reason) for f in metrics.flags if f.kind in kinds}
    # A stall is a bucket of the digest's headline, not one of its red flags.
    from_rule = {
        (s.kind.flag_kind, s.pairing_id, lead_reason(s))
        for s in found
        if s.kind is not SignalKind.STALLED
    }
    assert from_digest == from_rule
    assert {kind for kind, _, _ in from_rule} == {
        FlagKind.LOW_SCORECARD,
        FlagKind.ONE_SIDED_EFFORT,
        FlagKind.AGENDA_DRIFT,
        FlagKind.AVOIDED_FEEDBACK,
    }
    stalled = {s.pairing_id for s in found if s.kind is SignalKind.STALLED}
    assert stalled == {p.pairing_id for p in metrics.pairs if p.health is Health.STALLED}
    assert stalled == {cohort.pairing_ids["stalled"]}


@pytest.mark.parametrize("kind", list(SignalKind))
def test_every_nudge_and_flag_message_fits_slack_and_names_one_fix(kind: SignalKind) -> None:
    signal = Signal(
        kind,
        7,
        MENTOR,
        MENTEE,
        2,
        of=3,
        without_agenda=1,
        off_goal=1,
        notes=1,
        meeting_id=9,
        dimensions=("clarity", "confidence"),
        goals_agreed=True,
        since=at(3, 29, 9),
    )
    for role in NUDGED[kind]:
        nudge = build_signal_nudge(signal, role=role, escalate_after_days=14)
        assert_valid_view(nudge, surface="message")
        [(_, value)] = buttons(nudge)
        assert value == ("9" if kind is SignalKind.AVOIDED_FEEDBACK else "7")
        alone = "Only you get this note." in text_of(nudge)
        assert alone is (len(NUDGED[kind]) == 1)
    flag = build_signal_escalation(
        signal, program_name="Spring <!channel>", nudged=[MENTEE], days=15
    )
    assert_valid_view(flag, surface="message")
    assert "<!channel>" not in text_of(flag)
    assert "*Suggested:*" in text_of(flag)


@pytest.mark.postgres
def test_postgresql_raises_the_same_flags_and_nudges(
    engine: Engine, pg_engine: Engine, settings: Settings, clock: FrozenClock
) -> None:
    from tests.test_digest import NOW, build_cohort

    found = []
    for database in (engine, pg_engine):
        build_cohort(database)
        client = build_client(settings.slack_bot_token, settings.slack_api_url, timeout=5)
        on = Deps(
            settings=settings,
            engine=database,
            gateway=SlackGateway(client, strict=True),
            clock=clock,
        )
        clock.current = NOW
        raise_signals(on)
        raise_signals(on)
        with session_scope(database) as session:
            raised = sorted(
                (f.kind, f.pairing_id or 0, f.detail)
                for f in session.exec(select(Flag).where(col(Flag.resolved_at).is_(None)))
                if f.dedupe_key.startswith("signal:")
            )
            planned = sorted(
                (d.rule, d.recipient_id, d.due_at)
                for d in session.exec(select(Delivery).where(Delivery.rule == "signal_nudge"))
            )
        found.append((raised, planned))
    assert found[0] == found[1]
    raised, planned = found[0]
    assert {kind for kind, _, _ in raised} == {
        FlagKind.LOW_SCORECARD,
        FlagKind.ONE_SIDED_EFFORT,
        FlagKind.AGENDA_DRIFT,
        FlagKind.AVOIDED_FEEDBACK,
        FlagKind.STALLED,
    }
    # One nudge per flag, and the stalled pair's both people.
    assert len(planned) == len(raised) + 1
