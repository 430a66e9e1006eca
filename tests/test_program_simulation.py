"""A 12-week program run by the scheduler across March 2026's DST changes (US 8 March, EU 29
March): every prompt goes out once, at the right local time, inside the recipient's working hours;
routine prompts due the same day come as one message with a section each.

Alice (mentee, Berlin) and Bob (mentor, New York) meet every Tuesday at 16:00 Berlin time. The
pair's actions are written to the database directly, at the moments they happen: the test is
about the scheduler, not the modals. Time is the frozen clock; nothing sleeps.

The engine plans every minute in production; replaying that over 12 weeks would be slow, so the
simulation plans at fewer points with a horizon reaching the next one (``plan_due``'s contract:
"run it at least every horizon") and delivers each row at its exact due time. The points are
every hour in which either person works (session reminders look two hours ahead, so never more
than an hour apart around a session) and every moment the pair does something. In the hours
between, nobody works, so nothing can fall due there but at the next working moment.
"""

import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.deps import Deps
from bot.ids import ActionId
from bot.sandbox.slack_double import SlackDouble
from scheduler.delivery import METADATA_EVENT, Deliverer, Pacer
from scheduler.tick import plan_due
from scheduler.timing import WorkingHours
from storage.db import session_scope
from storage.enums import (
    Cadence,
    DeliveryStatus,
    GoalProgress,
    GoalStatus,
    MeetingStatus,
    PairingStatus,
    ProgramStatus,
    Role,
)
from storage.models import Delivery, Goal, Meeting, Milestone, Pairing, Participant, Program
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock

TEAM = "T0001"
MENTEE, MENTOR, LEAD = "U0001", "U0002", "UADMIN"
BERLIN = ZoneInfo("Europe/Berlin")
HOURS = {
    MENTEE: WorkingHours(tz="Europe/Berlin"),
    MENTOR: WorkingHours(tz="America/New_York"),
    LEAD: WorkingHours(tz="UTC"),
}
# Prompts timed from the session itself, which was booked in working time.
SESSION_RELATIVE = {"session_reminder", "scorecard"}
# The rules whose every message this test predicts; others are checked only for the guarantees.
PREDICTED = {
    "agenda_prompt",
    "session_reminder",
    "did_you_meet",
    "lapse_nudge",
    "lapse_escalation",
    "skill_reassessment",
    "goal_due",
    "milestone_due",
}

PAIRING_START = datetime(2026, 3, 2, 9, tzinfo=UTC)  # Monday
END = datetime(2026, 5, 27, tzinfo=UTC)  # 12 weeks and a day later
SESSION_TIME = time(16, 0)  # Berlin
SESSIONS = [date(2026, 3, 3) + timedelta(weeks=k) for k in range(12)]  # Tuesdays
UNLOGGED = SESSIONS[3]  # 24 March: they meet, and log it only when "did you meet?" asks
LOGGED_LATE = datetime(2026, 3, 25, 17, tzinfo=UTC)
CANCELLED = SESSIONS[6]  # 14 April: called off the Friday before, no new date for a while
CANCELLED_AT = datetime(2026, 4, 10, 12, tzinfo=UTC)
RESUMED = SESSIONS[7]  # 21 April: booked after the lapse nudges, the day before
RESUMED_AT = datetime(2026, 4, 20, 15, tzinfo=UTC)
GOAL_DUE = date(2026, 4, 24)  # a Friday; a second milestone is due the same day
MILESTONE_DUE = date(2026, 4, 1)  # a Wednesday: "three days before" is the Sunday of the change


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def session_start(day: date) -> datetime:
    """16:00 in Berlin on ``day``, in UTC."""
    return datetime.combine(day, SESSION_TIME, tzinfo=BERLIN).astimezone(UTC)


@dataclass
class Pair:
    """The stored pairing, and the meetings the pair booked by day."""

    program_id: int
    pairing_id: int
    meetings: dict[date, int] = field(default_factory=dict)


def make_pair(engine: Engine) -> Pair:
    """A weekly program led by UADMIN; Bob mentors Alice from Monday 2 March, 09:00 UTC."""
    with session_scope(engine) as session:
        program = Program(
            team_id=TEAM,
            name="Spring",
            status=ProgramStatus.ACTIVE,
            start_date=PAIRING_START.date(),
            length_months=3,
            cadence=Cadence.WEEKLY,
            created_by=LEAD,
        )
        session.add(program)
        session.flush()
        assert program.id is not None
        people = {}
        for user_id, role, hours in (
            (MENTOR, Role.MENTOR, HOURS[MENTOR]),
            (MENTEE, Role.MENTEE, HOURS[MENTEE]),
        ):
            person = Participant(
                team_id=TEAM, program_id=program.id, user_id=user_id, role=role, timezone=hours.tz
            )
            session.add(person)
            session.flush()
            people[role] = person
        pairing = Pairing(
            team_id=TEAM,
            program_id=program.id,
            mentor_id=people[Role.MENTOR].id or 0,
            mentee_id=people[Role.MENTEE].id or 0,
            mentor_user_id=MENTOR,
            mentee_user_id=MENTEE,
            status=PairingStatus.ACTIVE,
            started_at=PAIRING_START,
        )
        session.add(pairing)
        session.flush()
        return Pair(program.id, pairing.id or 0)


class PairActions:
    """What the pair does, written straight to the database."""

    def __init__(self, engine: Engine, pair: Pair) -> None:
        self.engine = engine
        self.pair = pair

    def book(self, day: date) -> None:
        """Bob books the session of ``day``."""
        with session_scope(self.engine) as session:
            meeting = Meeting(
                team_id=TEAM,
                pairing_id=self.pair.pairing_id,
                status=MeetingStatus.SCHEDULED,
                scheduled_start=session_start(day),
                duration_minutes=60,
                scheduled_by=MENTOR,
            )
            session.add(meeting)
            session.flush()
            self.pair.meetings[day] = meeting.id or 0

    def log(self, day: date) -> None:
        """Alice logs the session of ``day`` as held."""
        with session_scope(self.engine) as session:
            meeting = session.get(Meeting, self.pair.meetings[day])
            assert meeting is not None
            meeting.status = MeetingStatus.HELD
            meeting.held_at = meeting.scheduled_start
            meeting.minutes_held = meeting.duration_minutes
            meeting.logged_by = MENTEE
            session.add(meeting)

    def cancel(self, day: date, at: datetime) -> None:
        """Bob calls the session of ``day`` off."""
        with session_scope(self.engine) as session:
            meeting = session.get(Meeting, self.pair.meetings[day])
            assert meeting is not None
            meeting.status = MeetingStatus.CANCELLED
            meeting.cancelled_at = at
            session.add(meeting)

    def set_goals(self) -> None:
        """An agreed goal due on a Friday, with a milestone due the Wednesday after EU DST and
        one due with the goal."""
        with session_scope(self.engine) as session:
            goal = Goal(
                team_id=TEAM,
                pairing_id=self.pair.pairing_id,
                statement="Run the quarterly stakeholder review on my own",
                due_date=GOAL_DUE,
                status=GoalStatus.AGREED,
                progress=GoalProgress.ON_TRACK,
                proposed_by=MENTEE,
                agreed_by=MENTOR,
            )
            session.add(goal)
            session.flush()
            session.add(
                Milestone(
                    team_id=TEAM,
                    goal_id=goal.id or 0,
                    title="Draft the review deck",
                    due_date=MILESTONE_DUE,
                )
            )
            session.add(
                Milestone(
                    team_id=TEAM,
                    goal_id=goal.id or 0,
                    title="Rehearse the review with my mentor",
                    due_date=GOAL_DUE,
                )
            )


Action = Callable[[], None]


def program_script(actions: PairActions) -> list[tuple[datetime, Action]]:
    """Every move the pair makes over the 12 weeks, with its moment."""
    script: list[tuple[datetime, Action]] = [
        (PAIRING_START, actions.set_goals),
        (PAIRING_START, lambda: actions.book(SESSIONS[0])),
        (CANCELLED_AT, lambda: actions.cancel(CANCELLED, CANCELLED_AT)),
        (RESUMED_AT, lambda: actions.book(RESUMED)),
    ]
    for k, day in enumerate(SESSIONS):
        if day == CANCELLED:
            continue
        # Logged half an hour after the session ends, before any scorecard or "did you meet?".
        logged = LOGGED_LATE if day == UNLOGGED else session_start(day) + timedelta(minutes=90)
        script.append((logged, lambda day=day: actions.log(day)))  # type: ignore[misc]
        following = SESSIONS[k + 1] if k + 1 < len(SESSIONS) else None
        if following is not None and following != RESUMED:
            script.append((logged, lambda day=following: actions.book(day)))  # type: ignore[misc]
    return script


def planning_points(
    script: list[tuple[datetime, Action]], start: datetime, end: datetime
) -> list[datetime]:
    """Every hour in which anyone works, and every moment the pair acts."""
    points = {moment for moment, _ in script}
    moment = start
    while moment < end:
        if any(
            hours.contains(moment) or hours.contains(moment + timedelta(minutes=59))
            for hours in HOURS.values()
        ):
            points.add(moment)
        moment += timedelta(hours=1)
    return sorted(p for p in points if start <= p < end)


def _pending_due(engine: Engine, before: datetime) -> list[datetime]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Delivery.due_at)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at < before)
            .distinct()
        ).all()
    return sorted(rows)


def simulate(
    engine: Engine,
    clock: FrozenClock,
    deps: Deps,
    script: list[tuple[datetime, Action]],
    *,
    start: datetime = PAIRING_START,
    end: datetime = END,
) -> None:
    """Act, plan up to the next point, deliver each row at its due time; repeat until END.

    A row due at the next point itself goes after that point's planning, as the running bot
    plans (a day's prompts with it) and delivers in the same minute.
    """
    deliverer = Deliverer(
        deps, worker="sim", pacer=Pacer(sleep=lambda _: None), rng=random.Random(5)
    )
    by_moment: dict[datetime, list[Action]] = defaultdict(list)
    for moment, action in script:
        by_moment[moment].append(action)
    points = planning_points(script, start, end)
    for point, following in zip(points, [*points[1:], end], strict=True):
        clock.current = point
        for action in by_moment.pop(point, []):
            action()
        plan_due(deps, horizon=following - point)
        for due in _pending_due(engine, following):
            assert due >= point, f"planned too late: due {due}, planned at {point}"
            clock.current = due
            report = deliverer.run()
            assert report.errors == []
    assert not by_moment


def _expected(pair: Pair) -> Counter[tuple[str, str, datetime]]:
    """(rule, recipient, due moment) of every predicted prompt."""
    expected: Counter[tuple[str, str, datetime]] = Counter()
    for day in SESSIONS:
        if day == CANCELLED:
            continue  # called off before any prompt for it was due
        start = session_start(day)
        # Booked after its agenda moment had passed: the prompt goes out at once.
        agenda = RESUMED_AT if day == RESUMED else start - timedelta(hours=24)
        expected["agenda_prompt", MENTEE, agenda] += 1
        for person in (MENTEE, MENTOR):
            expected["session_reminder", person, start - timedelta(minutes=15)] += 1
    # A day after the unlogged session's end: 17:00 in Berlin, 12:00 in New York.
    for person in (MENTEE, MENTOR):
        expected["did_you_meet", person, utc(3, 25, 16)] += 1
    # 10.5 days after 7 April 14:00 UTC is Saturday 18 April: it moves back to Friday, and a
    # nudge's moment is a day, so each hears at the start of Friday, 09:00 their time.
    expected["lapse_nudge", MENTEE, utc(4, 17, 7)] += 1
    expected["lapse_nudge", MENTOR, utc(4, 17, 13)] += 1
    # Six and twelve weeks after Monday 2 March 09:00 UTC: 11:00 in Berlin, so Alice hears at the
    # start of that day, 09:00; Bob is still asleep, so his comes at 09:00 in New York.
    for week in (6, 12):
        moment = PAIRING_START + timedelta(weeks=week)
        expected["skill_reassessment", MENTEE, moment - timedelta(hours=2)] += 1
        expected["skill_reassessment", MENTOR, moment + timedelta(hours=4)] += 1
    # Three days before Friday 24 April, 09:00 in Berlin (summer time): the goal and the
    # milestone due with it.
    expected["goal_due", MENTEE, utc(4, 21, 7)] += 1
    expected["milestone_due", MENTEE, utc(4, 21, 7)] += 1
    # Three days before Wednesday 1 April is Sunday 29 March, the night the clocks change: it
    # moves back to Friday 27 March, at the start of that day, 09:00 in Berlin (winter time).
    expected["milestone_due", MENTEE, utc(3, 27, 8)] += 1
    return expected


def _delivered(slack: SlackDouble) -> dict[str, list[dict[str, object]]]:
    """Every message in the three people's DMs, by each dedupe key it carries (a bundle names
    every prompt it holds)."""
    found: dict[str, list[dict[str, object]]] = defaultdict(list)
    for person in (MENTEE, MENTOR, LEAD):
        for message in slack.messages(slack.dm_channel_id(person)):
            assert message["metadata"]["event_type"] == METADATA_EVENT
            payload = message["metadata"]["event_payload"]
            for key in payload.get("keys") or [payload["key"]]:
                found[key].append(message)
    return found


def _local(day: date, clock_time: str) -> str:
    return f"{day:%A} {day.day} {day:%B}, {clock_time}"


def test_twelve_weeks_across_both_dst_changes(
    engine: Engine, clock: FrozenClock, deps: Deps, slack: SlackDouble
) -> None:
    pair = make_pair(engine)
    simulate(engine, clock, deps, program_script(PairActions(engine, pair)))

    with session_scope(engine) as session:
        rows = list(session.exec(select(Delivery).order_by(Delivery.due_at, Delivery.id)))  # type: ignore[arg-type]

    # Every prompt reached Slack exactly once, at the moment it was due.
    delivered = _delivered(slack)
    assert sorted(delivered) == sorted(r.dedupe_key for r in rows)
    assert {len(messages) for messages in delivered.values()} == {1}
    assert [(r.status, r.sent_at) for r in rows] == [(DeliveryStatus.SENT, r.due_at) for r in rows]

    # Each predicted prompt, and nothing else from those rules.
    actual = Counter((r.rule, r.recipient_id, r.due_at) for r in rows if r.rule in PREDICTED)
    assert actual == _expected(pair)

    # Inside the recipient's working hours, in their timezone, unless timed from the session.
    outside = [
        (r.rule, r.recipient_id, r.due_at)
        for r in rows
        if r.rule not in SESSION_RELATIVE and not HOURS[r.recipient_id].contains(r.due_at)
    ]
    assert outside == []
    for row in rows:
        assert_valid_view(row.payload, surface="message")

    # Local times in what each person reads: 16:00 in Berlin throughout; in New York 10:00,
    # then 11:00 while only the US has moved its clocks (8 to 29 March), then 10:00 again.
    reminders = {
        (r.recipient_id, r.due_at): delivered[r.dedupe_key][0]
        for r in rows
        if r.rule == "session_reminder"
    }
    for day in SESSIONS:
        if day == CANCELLED:
            continue
        due = session_start(day) - timedelta(minutes=15)
        bob = "11:00" if date(2026, 3, 8) <= day < date(2026, 3, 29) else "10:00"
        assert _local(day, "16:00") in str(reminders[MENTEE, due]["text"])
        assert _local(day, bob) in str(reminders[MENTOR, due]["text"])
    # The same 16:00 in Berlin is 15:00 UTC before 29 March and 14:00 UTC after it.
    assert session_start(date(2026, 3, 24)) == utc(3, 24, 15)
    assert session_start(date(2026, 3, 31)) == utc(3, 31, 14)
    agendas = [r for r in rows if r.rule == "agenda_prompt"]
    for row in agendas:
        assert "16:00*" in json.dumps(row.payload)
    milestone, _ = [r for r in rows if r.rule == "milestone_due"]
    assert "Wednesday 1 April" in str(delivered[milestone.dedupe_key][0]["text"])

    # Routine prompts due the same day went as one message, a section each: the lapse nudge
    # and the midpoint survey on Friday 17 April (for each at 09:00 their time), the goal and
    # the milestone due with it. Everything else went on its own.
    by_message: dict[str | None, list[Delivery]] = defaultdict(list)
    for row in rows:
        by_message[row.message_ts].append(row)
    bundles = {
        (group[0].recipient_id, group[0].due_at): {r.rule for r in group}
        for group in by_message.values()
        if len(group) > 1
    }
    assert bundles == {
        (MENTEE, utc(4, 17, 7)): {"lapse_nudge", "midpoint_survey"},
        (MENTOR, utc(4, 17, 13)): {"lapse_nudge", "midpoint_survey"},
        (MENTEE, utc(4, 21, 7)): {"goal_due", "milestone_due"},
    }
    [goal] = [r for r in rows if r.rule == "goal_due"]
    bundled = by_message[goal.message_ts]
    [message] = delivered[goal.dedupe_key]
    assert all(delivered[r.dedupe_key] == [message] for r in bundled)
    text = json.dumps(message["blocks"])
    assert "Rehearse the review with my mentor" in text
    assert "Run the quarterly stakeholder review on my own" in text
    buttons = [
        element["action_id"]
        for block in message["blocks"]  # type: ignore[attr-defined]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert buttons == [ActionId.GOALS_OPEN, ActionId.GOALS_OPEN]
    assert_valid_view({"text": message["text"], "blocks": message["blocks"]}, surface="message")


@pytest.fixture
def pair(engine: Engine) -> Pair:
    """The pair, stored."""
    return make_pair(engine)


@pytest.mark.parametrize("days_later", [13, 14])
def test_no_lapse_while_the_pair_sits_in_a_late_session(
    engine: Engine, clock: FrozenClock, deps: Deps, pair: Pair, days_later: int
) -> None:
    """Booked 13 (or 14) days after their last session, the pair is neither nudged nor reported
    to the leads as that session starts, before they had a chance to log it."""
    actions = PairActions(engine, pair)
    last = date(2026, 4, 7)
    actions.book(last)
    actions.log(last)
    day = last + timedelta(days=days_later)
    actions.book(day)
    start = session_start(day)
    deliverer = Deliverer(deps, worker="t", pacer=Pacer(sleep=lambda _: None))
    for minutes in (-60, -15, 0, 30, 60, 85):
        clock.current = start + timedelta(minutes=minutes)
        plan_due(deps)
        deliverer.run()
    with session_scope(engine) as session:
        rules = sorted(session.exec(select(Delivery.rule)).all())
    assert rules.count("session_reminder") == 2
    assert [rule for rule in rules if rule.startswith("lapse")] == []


def test_a_due_reminder_aimed_at_a_weekend_comes_the_friday_before(
    engine: Engine, clock: FrozenClock, deps: Deps, slack: SlackDouble, pair: Pair
) -> None:
    """Three days before Wednesday 1 April is Sunday 29 March: the milestone's reminder comes on
    Friday 27 March at the start of the working day, 09:00 in Berlin, not on Monday."""
    PairActions(engine, pair).set_goals()
    simulate(engine, clock, deps, [], start=utc(3, 26, 12), end=utc(3, 31, 12))
    with session_scope(engine) as session:
        [row] = session.exec(select(Delivery).where(Delivery.rule == "milestone_due")).all()
    assert (row.recipient_id, row.due_at, row.sent_at) == (MENTEE, utc(3, 27, 8), row.due_at)
    [message] = _delivered(slack)[row.dedupe_key]
    assert "Wednesday 1 April" in str(message["text"])
