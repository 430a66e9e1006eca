"""Sessions as the pair lives them: schedule, move, cancel, invites, logging and hours."""

import json
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.deps import Deps
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from bot.services.sessions import hours_held, minimum_hours, planned_hours_by
from scheduler.delivery import Deliverer, Pacer
from storage.db import session_scope
from storage.enums import GoalStatus, MeetingStatus, PairingStatus, ProgramStatus, Stage
from storage.models import (
    ActionItem,
    Goal,
    Meeting,
    MeetingGoal,
    Pairing,
    Program,
)
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot, eventually
from tests.pairs import add_pair

TEAM = slack_double.DEFAULT_TEAM_ID
ALICE, BOB, OUTSIDER = "U0001", "U0002", "UADMIN"
EMAILS = {ALICE: "alice@example.com", BOB: "bob@example.com"}


def give_emails(slack: SlackDouble, *user_ids: str) -> None:
    """Slack shares these people's emails from now on (as with the users:read.email scope)."""
    known = {
        ALICE: ("alice", "Alice Ng", "Europe/Berlin"),
        BOB: ("bob", "Bob Ode", "America/New_York"),
    }
    for user_id in user_ids:
        name, real_name, tz = known[user_id]
        slack.add_user(user_id, name=name, real_name=real_name, tz=tz, email=EMAILS[user_id])


@pytest.fixture
def emails(slack: SlackDouble) -> None:
    """Slack shares both Alice's and Bob's emails."""
    give_emails(slack, ALICE, BOB)


def make_pair(session: Session, *, name: str = "Spring cohort") -> Pairing:
    """An active program (1 March 2026, 6 months, 60-minute sessions) and its active pairing."""
    program = Program(
        team_id=TEAM,
        name=name,
        status=ProgramStatus.ACTIVE,
        start_date=date(2026, 3, 1),
        length_months=6,
        session_minutes=60,
        created_by=OUTSIDER,
    )
    return add_pair(session, program, stage=Stage.RAPPORT, mentor_first=True)


@pytest.fixture
def pairing_id(engine: Engine, slack: SlackDouble) -> int:
    """Bob mentors Alice in an active program."""
    with session_scope(engine) as session:
        pairing = make_pair(session)
        assert pairing.id is not None
        return pairing.id


def meetings(engine: Engine) -> list[Meeting]:
    """Every meeting, oldest first."""
    with session_scope(engine) as session:
        return list(session.exec(select(Meeting).order_by(col(Meeting.id))))


def opened_view(slack: SlackDouble, count: int = 1, method: str = "views.open") -> dict[str, Any]:
    """The ``count``-th modal the bot opened (or pushed), checked against Block Kit's rules."""
    view = slack.wait_for(method, count=count)[count - 1].params["view"]
    assert_valid_view(view, surface="modal")
    return dict(view)


def dms(slack: SlackDouble, count: int) -> dict[str, list[dict[str, Any]]]:
    """The DMs posted to each person (in their DM channel), oldest first, once ``count`` posts
    went out; each checked."""
    people = {slack.dm_channel_id(user): user for user in (ALICE, BOB)}
    posted: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for call in slack.wait_for("chat.postMessage", count=count):
        assert_valid_view(call.params, surface="message")
        posted[people[call.params["channel"]]].append(call.params)
    return posted


def starting(messages: list[dict[str, Any]], text: str) -> dict[str, Any]:
    """The one message whose text starts with ``text``."""
    [found] = [m for m in messages if m["text"].startswith(text)]
    return found


def invites(slack: SlackDouble, count: int) -> dict[str, Calendar]:
    """The .ics files shared so far, parsed, by the DM channel they were shared in."""
    slack.wait_for("files.completeUploadExternal", count=count)
    shared = {}
    for upload in slack.uploaded_files:
        assert upload.filename.endswith(".ics")
        assert upload.channel_id is not None
        shared[upload.channel_id] = Calendar.from_ical(upload.content)
    return shared


def addresses(event: Any, name: str = "attendee") -> list[str]:
    """The addresses of a property an event may hold once or many times (ATTENDEE), sorted."""
    found = event.get(name, [])
    return sorted(str(a) for a in (found if isinstance(found, list) else [found]))


def button_values(message: dict[str, Any]) -> dict[str, str]:
    """Action id -> value of every button in a message."""
    return {
        element["action_id"]: element.get("value", "")
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


def schedule(
    bot: SlackToBot,
    slack: SlackDouble,
    *,
    day: date,
    at: time,
    user_id: str = ALICE,
    minutes: str = "60",
    opened: int = 1,
) -> dict[str, Any]:
    """Open the schedule modal as ``user_id`` and submit it; returns the modal."""
    bot.command("schedule", user_id=user_id)
    view = opened_view(slack, opened)
    answer = bot.submit(
        view,
        {BlockId.SESSION_DATE: day, BlockId.SESSION_TIME: at, BlockId.SESSION_LENGTH: minutes},
        user_id=user_id,
    )
    assert answer.status == 200
    assert answer.body == "", answer.body
    return view


# --- schedule ------------------------------------------------------------------------------------


def test_schedule_stores_utc_and_dms_each_in_their_own_timezone(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int, emails: None
) -> None:
    view = schedule(bot, slack, day=date(2026, 3, 10), at=time(15, 0))
    assert "Europe/Berlin" in json.dumps(view)
    [meeting] = meetings(engine)
    # Berlin is UTC+1 on 10 March; New York already switched to summer time (UTC-4) on 8 March.
    assert meeting.scheduled_start == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    assert meeting.status is MeetingStatus.SCHEDULED
    assert meeting.duration_minutes == 60
    assert meeting.scheduled_by == ALICE
    assert meeting.ics_uid is not None
    assert meeting.ics_uid.endswith("@mentorbot")

    posted = dms(slack, 2)
    [alice] = posted[ALICE]
    [bob] = posted[BOB]
    assert (
        "Session with <@U0002> on Tuesday 10 March, 15:00 (Europe/Berlin), 60 minutes"
        in alice["text"]
    )
    assert (
        "Session with <@U0001> on Tuesday 10 March, 10:00 (America/New_York), 60 minutes"
        in bob["text"]
    )
    assert button_values(alice) == {
        ActionId.AGENDA_OPEN: str(pairing_id),
        ActionId.SCHEDULE_OPEN: str(pairing_id),
    }
    assert button_values(bob) == {ActionId.SCHEDULE_OPEN: str(pairing_id)}

    shared = invites(slack, 2)
    assert set(shared) == {slack.dm_channel_id(ALICE), slack.dm_channel_id(BOB)}
    # Named for the session and its SEQUENCE: how an upload of unknown outcome is found again.
    assert {u.filename for u in slack.uploaded_files} == {f"mentoring-session-{meeting.id}-0.ics"}
    for calendar in shared.values():
        assert str(calendar["method"]) == "REQUEST"
        [event] = calendar.walk("VEVENT")
        assert event.decoded("dtstart") == datetime(2026, 3, 10, 14, tzinfo=UTC)
        assert event.decoded("dtend") == datetime(2026, 3, 10, 15, tzinfo=UTC)
        assert str(event["uid"]) == meeting.ics_uid
        assert int(str(event["sequence"])) == 0
        assert str(event["organizer"]) == "mailto:alice@example.com"
        assert addresses(event) == ["mailto:alice@example.com", "mailto:bob@example.com"]
    assert all("couldn't add" not in json.dumps(dm) for dm in (alice, bob))

    with session_scope(engine) as session:
        assert session.get(Pairing, pairing_id).stage is Stage.RAPPORT  # type: ignore[union-attr]


def test_the_mentor_schedules_by_mention_in_their_timezone_or_from_a_button(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    bot.command("schedule <@U0001|alice>", user_id=BOB)
    view = opened_view(slack)
    assert "Start time (America/New_York)" in json.dumps(view)
    time_block = next(b for b in view["blocks"] if b.get("block_id") == BlockId.SESSION_TIME)
    assert time_block["element"]["timezone"] == "America/New_York"
    length = next(b for b in view["blocks"] if b.get("block_id") == BlockId.SESSION_LENGTH)
    assert length["element"]["initial_option"]["value"] == "60"
    bot.action(
        ActionId.SCHEDULE_OPEN, str(pairing_id), user_id=ALICE, trigger_id=slack.new_trigger_id()
    )
    assert opened_view(slack, 2)["callback_id"] == CallbackId.SCHEDULE


def test_reschedule_keeps_the_moved_row_and_links_it(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    schedule(bot, slack, day=date(2026, 3, 10), at=time(15, 0))
    dms(slack, 2)
    invites(slack, 2)
    bot.command("schedule", user_id=BOB)
    view = opened_view(slack, 2)
    dates = {b.get("block_id"): b.get("element", {}) for b in view["blocks"]}
    assert dates[BlockId.SESSION_DATE]["initial_date"] == "2026-03-10"
    assert dates[BlockId.SESSION_TIME]["initial_time"] == "10:00"  # Bob's New York time
    assert view["submit"]["text"] == "Move it"
    answer = bot.submit(
        view, {BlockId.SESSION_DATE: date(2026, 3, 12), BlockId.SESSION_TIME: time(9)}, user_id=BOB
    )
    assert answer.status == 200
    old, new = meetings(engine)
    assert old.status is MeetingStatus.MOVED
    assert new.status is MeetingStatus.SCHEDULED
    assert new.rescheduled_from_id == old.id
    assert new.scheduled_start == datetime(2026, 3, 12, 13, tzinfo=UTC)
    assert new.ics_uid == old.ics_uid

    posted = dms(slack, 4)
    assert "Moved" in posted[ALICE][-1]["text"]
    assert "Thursday 12 March, 14:00 (Europe/Berlin)" in posted[ALICE][-1]["text"]
    assert "Thursday 12 March, 09:00 (America/New_York)" in posted[BOB][-1]["text"]
    slack.wait_for("files.completeUploadExternal", count=4)
    assert {u.filename for u in slack.uploaded_files[2:]} == {f"mentoring-session-{new.id}-1.ics"}
    moved = [Calendar.from_ical(u.content) for u in slack.uploaded_files[2:]]
    for calendar in moved:
        [event] = calendar.walk("VEVENT")
        assert str(event["uid"]) == old.ics_uid
        assert int(str(event["sequence"])) == 1
        assert event.decoded("dtstart") == datetime(2026, 3, 12, 13, tzinfo=UTC)


def test_cancel_keeps_the_row_and_sends_a_cancel_invite(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    clock: FrozenClock,
    pairing_id: int,
    emails: None,
) -> None:
    schedule(bot, slack, day=date(2026, 3, 10), at=time(15, 0))
    dms(slack, 2)
    invites(slack, 2)
    bot.command("schedule", user_id=ALICE)
    opened_view(slack, 2)
    [meeting] = meetings(engine)
    [(view_id, saved)] = [
        (vid, v) for vid, v in slack.views.items() if v["title"]["text"] == "Move the session"
    ]
    bot.action(
        ActionId.SESSION_CANCEL,
        str(meeting.id),
        user_id=ALICE,
        view=saved,
        trigger_id=slack.new_trigger_id(view_id=view_id),
    )
    confirm = opened_view(slack, 1, method="views.push")
    assert confirm["callback_id"] == CallbackId.SESSION_CANCEL
    answer = bot.submit(confirm, {BlockId.SESSION_CANCEL_REASON: "Sick today"}, user_id=ALICE)
    assert answer.json() == {"response_action": "clear"}
    [cancelled] = meetings(engine)
    assert cancelled.status is MeetingStatus.CANCELLED
    assert cancelled.cancelled_at == clock.current
    assert cancelled.cancel_reason == "Sick today"

    posted = dms(slack, 4)
    assert "cancelled" in posted[BOB][-1]["text"]
    assert "Sick today" in json.dumps(posted[BOB][-1])
    slack.wait_for("files.completeUploadExternal", count=4)
    for upload in slack.uploaded_files[2:]:
        calendar = Calendar.from_ical(upload.content)
        assert str(calendar["method"]) == "CANCEL"
        [event] = calendar.walk("VEVENT")
        assert str(event["status"]) == "CANCELLED"
        assert str(event["uid"]) == meeting.ics_uid
        assert int(str(event["sequence"])) == 1
    # The next schedule starts afresh: a new session, not a move.
    bot.command("schedule", user_id=ALICE)
    assert opened_view(slack, 3)["title"]["text"] == "Schedule a session"


@pytest.mark.parametrize(
    ("day", "at", "block_id", "words"),
    [
        (date(2026, 3, 2), time(9, 30), BlockId.SESSION_TIME, "time has passed"),  # 08:30 UTC
        (date(2026, 3, 1), time(18), BlockId.SESSION_DATE, "day has passed"),
        (date(2026, 9, 1), time(10), BlockId.SESSION_DATE, "ends on 31 August 2026"),
        (date(2026, 2, 20), time(10), BlockId.SESSION_DATE, "starts on 01 March 2026"),
    ],
)
def test_schedule_errors_show_inline_and_store_nothing(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    pairing_id: int,
    day: date,
    at: time,
    block_id: str,
    words: str,
) -> None:
    bot.command("schedule", user_id=ALICE)
    view = opened_view(slack)
    answer = bot.submit(
        view, {BlockId.SESSION_DATE: day, BlockId.SESSION_TIME: at}, user_id=ALICE
    ).json()
    assert answer["response_action"] == "errors"
    assert words in answer["errors"][block_id]
    assert meetings(engine) == []
    assert slack.calls_to("chat.postMessage") == []


def test_an_empty_schedule_form_lists_every_problem(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    bot.command("schedule", user_id=ALICE)
    view = opened_view(slack)
    answer = bot.submit(view, {BlockId.SESSION_LENGTH: None}, user_id=ALICE).json()
    assert set(answer["errors"]) == {
        BlockId.SESSION_DATE,
        BlockId.SESSION_TIME,
        BlockId.SESSION_LENGTH,
    }
    assert meetings(engine) == []


# --- log -----------------------------------------------------------------------------------------


def _goal(engine: Engine, pairing_id: int) -> int:
    with session_scope(engine) as session:
        goal = Goal(
            team_id=TEAM,
            pairing_id=pairing_id,
            statement="Build the stakeholder communication skills a senior role needs",
            due_date=date(2026, 8, 1),
            status=GoalStatus.AGREED,
            proposed_by=ALICE,
        )
        session.add(goal)
        session.flush()
        assert goal.id is not None
        return goal.id


def _open_log(bot: SlackToBot, slack: SlackDouble, user_id: str, count: int) -> dict[str, Any]:
    bot.command("log", user_id=user_id)
    return opened_view(slack, count)


def test_log_marks_the_scheduled_session_held_with_goals_notes_and_actions(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pairing_id: int
) -> None:
    goal_id = _goal(engine, pairing_id)
    schedule(bot, slack, day=date(2026, 3, 3), at=time(15, 0))
    dms(slack, 2)
    clock.current = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
    view = _open_log(bot, slack, ALICE, 2)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[BlockId.LOG_DATE]["element"]["initial_date"] == "2026-03-03"
    assert blocks[BlockId.LOG_GOALS]["element"]["options"][0]["value"] == str(goal_id)
    answer = bot.submit(
        view,
        {
            BlockId.LOG_MINUTES: "75",
            BlockId.LOG_GOALS: [str(goal_id)],
            BlockId.LOG_NOTES: "Shared our pivotal failures.",
            f"{BlockId.LOG_ACTION_TEXT_PREFIX}1": "Draft the stakeholder map",
            f"{BlockId.LOG_ACTION_DUE_PREFIX}1": date(2026, 3, 10),
            f"{BlockId.LOG_ACTION_TEXT_PREFIX}2": "Send two articles",
            f"{BlockId.LOG_ACTION_OWNER_PREFIX}2": BOB,
        },
        user_id=ALICE,
    )
    assert answer.status == 200
    assert answer.body == ""
    [meeting] = meetings(engine)
    assert meeting.status is MeetingStatus.HELD
    assert meeting.held_at == datetime(2026, 3, 3, 14, tzinfo=UTC)
    assert meeting.minutes_held == 75
    assert meeting.notes == "Shared our pivotal failures."
    assert meeting.logged_by == ALICE
    with session_scope(engine) as session:
        touched = session.exec(select(MeetingGoal)).all()
        assert [(t.meeting_id, t.goal_id) for t in touched] == [(meeting.id, goal_id)]
        actions = session.exec(select(ActionItem).order_by(col(ActionItem.id))).all()
        assert [(a.text, a.owner_user_id, a.due_date, a.meeting_id) for a in actions] == [
            ("Draft the stakeholder map", ALICE, date(2026, 3, 10), meeting.id),
            ("Send two articles", BOB, None, meeting.id),
        ]
        assert session.get(Pairing, pairing_id).stage is Stage.RAPPORT  # type: ignore[union-attr]

    # Two schedule DMs, two log DMs and Alice's scorecard (all in DM channels), in any order.
    posted = dms(slack, 5)
    confirmation = starting(posted[ALICE], "Logged:")
    assert "Logged: 75 minutes with <@U0002> on Tuesday 3 March" in confirmation["text"]
    text = json.dumps(confirmation)
    assert "1.3 h held, of 0 h due by now / 3 h minimum over the program" in text
    assert button_values(confirmation)[ActionId.FEEDBACK_OPEN] == str(meeting.id)
    partner = json.dumps(starting(posted[BOB], "<@U0001> logged your session"))
    assert "Shared our pivotal failures." in partner

    # Logging it sends Alice, the mentee, her scorecard for the session, once, via the outbox.
    def scorecard_dms() -> list[dict[str, object]]:
        return [
            m
            for m in slack.messages(slack.dm_channel_id(ALICE))
            if "clarity" in json.dumps(m.get("blocks", [])).lower()
        ]

    assert eventually(lambda: len(scorecard_dms()) == 1)
    assert_valid_view(scorecard_dms()[0], surface="message")


def test_a_late_log_finds_the_scheduled_session_of_the_days_before(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pairing_id: int
) -> None:
    schedule(bot, slack, day=date(2026, 3, 3), at=time(15, 0))
    clock.current = datetime(2026, 3, 5, 15, tzinfo=UTC)
    view = _open_log(bot, slack, BOB, 2)
    bot.submit(view, {BlockId.LOG_DATE: date(2026, 3, 4), BlockId.LOG_MINUTES: "45"}, user_id=BOB)
    [meeting] = meetings(engine)
    assert meeting.status is MeetingStatus.HELD
    assert meeting.minutes_held == 45
    assert meeting.logged_by == BOB


def test_the_second_held_session_moves_the_stage_and_hours_add_up(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pairing_id: int
) -> None:
    clock.current = datetime(2026, 6, 1, 12, tzinfo=UTC)  # half way: 1.5 of 3 hours planned
    first = _open_log(bot, slack, BOB, 1)
    bot.submit(first, {BlockId.LOG_DATE: date(2026, 5, 20), BlockId.LOG_MINUTES: "90"}, user_id=BOB)
    with session_scope(engine) as session:
        assert session.get(Pairing, pairing_id).stage is Stage.RAPPORT  # type: ignore[union-attr]
    second = _open_log(bot, slack, ALICE, 2)
    assert not any(b.get("block_id") == BlockId.LOG_GOALS for b in second["blocks"])
    bot.submit(second, {BlockId.LOG_MINUTES: "60"}, user_id=ALICE)
    held = meetings(engine)
    assert [m.status for m in held] == [MeetingStatus.HELD, MeetingStatus.HELD]
    assert held[0].held_at == datetime(2026, 5, 20, 16, tzinfo=UTC)  # noon in New York
    assert held[1].held_at == datetime(2026, 6, 1, 10, tzinfo=UTC)  # noon in Berlin
    with session_scope(engine) as session:
        pairing = session.get(Pairing, pairing_id)
        assert pairing is not None
        assert pairing.stage is Stage.GOAL_SETTING

    def confirmations() -> list[dict[str, Any]]:
        posted = [c.params for c in slack.calls_to("chat.postMessage")]
        return [p for p in posted if p["text"].startswith("Logged: 60 minutes")]

    # The scorecard DMs go out alongside, in no particular order: wait for this one.
    assert eventually(lambda: len(confirmations()) == 1)
    [confirmation] = confirmations()
    assert confirmation["channel"] == slack.dm_channel_id(ALICE)
    assert "2.5 h held, of 1.5 h due by now / 3 h minimum over the program" in json.dumps(
        confirmation
    )


def test_log_errors_show_inline_all_at_once_and_store_nothing(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    view = _open_log(bot, slack, ALICE, 1)
    answer = bot.submit(
        view,
        {
            BlockId.LOG_DATE: date(2026, 3, 3),
            BlockId.LOG_MINUTES: "0",
            f"{BlockId.LOG_ACTION_OWNER_PREFIX}1": BOB,
            f"{BlockId.LOG_ACTION_DUE_PREFIX}2": date(2026, 3, 9),
        },
        user_id=ALICE,
    ).json()
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert "still to come" in errors[BlockId.LOG_DATE]
    assert "from 5 to 480" in errors[BlockId.LOG_MINUTES]
    assert "Say what needs doing" in errors[f"{BlockId.LOG_ACTION_TEXT_PREFIX}1"]
    assert "Say what needs doing" in errors[f"{BlockId.LOG_ACTION_TEXT_PREFIX}2"]
    before = bot.submit(view, {BlockId.LOG_DATE: date(2026, 2, 27)}, user_id=ALICE).json()
    assert "started on 01 March 2026" in before["errors"][BlockId.LOG_DATE]
    too_long = bot.submit(view, {BlockId.LOG_MINUTES: "481"}, user_id=ALICE).json()
    assert BlockId.LOG_MINUTES in too_long["errors"]
    assert meetings(engine) == []
    with session_scope(engine) as session:
        assert session.exec(select(ActionItem)).all() == []
    assert slack.calls_to("chat.postMessage") == []


# --- privacy -------------------------------------------------------------------------------------


def test_a_third_person_can_neither_schedule_nor_log_for_the_pair(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    assert "not in a mentoring pair" in bot.ask("schedule", user_id=OUTSIDER)["text"]
    assert "not in a mentoring pair" in bot.ask("log", user_id=OUTSIDER)["text"]
    for action in (ActionId.SCHEDULE_OPEN, ActionId.LOG_OPEN):
        bot.action(action, str(pairing_id), user_id=OUTSIDER, trigger_id=slack.new_trigger_id())
    refusals = slack.wait_for("response_url", count=4)[2:]
    assert all("another mentoring pair" in c.params["text"] for c in refusals)
    assert slack.calls_to("views.open") == []

    bot.command("schedule", user_id=ALICE)
    schedule_view = opened_view(slack)
    forged = bot.submit(
        schedule_view,
        {BlockId.SESSION_DATE: date(2026, 3, 10), BlockId.SESSION_TIME: time(15)},
        user_id=OUTSIDER,
    ).json()
    assert forged["response_action"] == "errors"
    assert "another mentoring pair" in json.dumps(forged)
    log_view = _open_log(bot, slack, ALICE, 2)
    forged_log = bot.submit(log_view, {BlockId.LOG_NOTES: "snooping"}, user_id=OUTSIDER).json()
    assert forged_log["response_action"] == "errors"
    assert meetings(engine) == []
    assert slack.calls_to("chat.postMessage") == []


def test_an_ended_pair_can_no_longer_schedule_or_log(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    with session_scope(engine) as session:
        pairing = session.get(Pairing, pairing_id)
        assert pairing is not None
        pairing.status = PairingStatus.ENDED
        session.add(pairing)
    for action in (ActionId.SCHEDULE_OPEN, ActionId.LOG_OPEN, ActionId.AGENDA_OPEN):
        bot.action(action, str(pairing_id), user_id=ALICE, trigger_id=slack.new_trigger_id())
    refusals = slack.wait_for("response_url", count=3)
    assert all("This mentoring pair has ended," in c.params["text"] for c in refusals)
    assert slack.calls_to("views.open") == []


def test_a_session_of_another_pair_cannot_be_cancelled(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    slack.add_user("U0003", name="carol", real_name="Carol Rao", tz="Asia/Tokyo")
    slack.add_user("U0004", name="dan", real_name="Dan Li", tz="Asia/Tokyo")
    with session_scope(engine) as session:
        other = make_pair(session, name="Other cohort")
        other.mentor_user_id, other.mentee_user_id = "U0004", "U0003"
        session.add(other)
        session.flush()
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=other.id or 0,
                scheduled_start=datetime(2026, 3, 10, 1, tzinfo=UTC),
                ics_uid="other@mentorbot",
            )
        )
    [theirs] = meetings(engine)
    forged = {
        "type": "modal",
        "callback_id": CallbackId.SESSION_CANCEL,
        "private_metadata": json.dumps({"pairing_id": pairing_id, "meeting_id": theirs.id}),
        "blocks": [
            {
                "type": "input",
                "block_id": BlockId.SESSION_CANCEL_REASON,
                "optional": True,
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {"type": "plain_text_input", "action_id": ActionId.INPUT},
            }
        ],
    }
    answer = bot.submit(forged, {}, user_id=ALICE).json()
    assert answer["response_action"] == "errors"
    assert meetings(engine)[0].status is MeetingStatus.SCHEDULED


# --- hours ---------------------------------------------------------------------------------------


def test_hours_scale_to_the_program_and_sum_per_pairing(engine: Engine) -> None:
    with session_scope(engine) as session:
        pairing = make_pair(session)
        other = make_pair(session, name="Autumn cohort")
        program = session.get(Program, pairing.program_id)
        assert program is not None
        assert minimum_hours(program) == 3.0
        program.length_months = 12
        assert minimum_hours(program) == 6.0
        assert planned_hours_by(program, date(2026, 2, 1)) == 0.0
        assert planned_hours_by(program, date(2027, 6, 1)) == 6.0
        assert planned_hours_by(program, date(2026, 9, 1)) == pytest.approx(184 / 365 * 6)
        for minutes, status in ((90, MeetingStatus.HELD), (30, MeetingStatus.HELD)):
            session.add(
                Meeting(
                    team_id=TEAM,
                    pairing_id=pairing.id or 0,
                    status=status,
                    minutes_held=minutes,
                    scheduled_start=datetime(2026, 3, 5, tzinfo=UTC),
                )
            )
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=pairing.id or 0,
                status=MeetingStatus.CANCELLED,
                scheduled_start=datetime(2026, 3, 6, tzinfo=UTC),
            )
        )
        session.flush()
        assert hours_held(session, pairing_ids=[pairing.id or 0, other.id or 0]) == {
            pairing.id: 2.0,
            other.id: 0.0,
        }


def _past_meeting(engine: Engine, pairing_id: int) -> int:
    with session_scope(engine) as session:
        meeting = Meeting(
            team_id="T0001",
            pairing_id=pairing_id,
            status=MeetingStatus.SCHEDULED,
            scheduled_start=datetime(2026, 3, 2, 8, tzinfo=UTC),
            duration_minutes=60,
        )
        session.add(meeting)
        session.flush()
        return meeting.id or 0


def _answer(
    bot: SlackToBot, slack: SlackDouble, action_id: str, meeting_id: int, user: str
) -> None:
    response = bot.action(
        action_id,
        str(meeting_id),
        user_id=user,
        trigger_id=slack.new_trigger_id(),
        container={"type": "message", "message_ts": "1.2", "channel_id": "D1"},
    )
    assert response.status == 200


def test_did_you_meet_we_met_opens_the_log(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pairing_id: int
) -> None:
    meeting_id = _past_meeting(engine, pairing_id)
    clock.current = datetime(2026, 3, 3, 10, tzinfo=UTC)
    _answer(bot, slack, ActionId.MEETING_HELD, meeting_id, BOB)
    view = opened_view(slack)
    assert view["callback_id"] == CallbackId.LOG
    assert meetings(engine)[0].status is MeetingStatus.SCHEDULED  # nothing changes until logged


def test_did_you_meet_it_moved_keeps_history_and_opens_scheduling(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pairing_id: int
) -> None:
    meeting_id = _past_meeting(engine, pairing_id)
    clock.current = datetime(2026, 3, 3, 10, tzinfo=UTC)
    _answer(bot, slack, ActionId.MEETING_MOVED, meeting_id, ALICE)
    assert BlockId.SESSION_DATE in json.dumps(opened_view(slack))
    assert meetings(engine)[0].status is MeetingStatus.MOVED


def test_did_you_meet_cancelled_records_it_and_a_stranger_cannot(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    clock: FrozenClock,
    pairing_id: int,
    emails: None,
) -> None:
    meeting_id = _past_meeting(engine, pairing_id)
    clock.current = datetime(2026, 3, 3, 10, tzinfo=UTC)
    _answer(bot, slack, ActionId.MEETING_CANCELLED, meeting_id, OUTSIDER)
    assert eventually(
        lambda: len(slack.calls_to("chat.postMessage")) + len(slack.calls_to("response_url")) >= 1
    )
    assert meetings(engine)[0].status is MeetingStatus.SCHEDULED
    _answer(bot, slack, ActionId.MEETING_CANCELLED, meeting_id, ALICE)
    assert eventually(lambda: meetings(engine)[0].status is MeetingStatus.CANCELLED)
    [cancelled] = meetings(engine)
    assert cancelled.cancel_reason == "did not happen"
    # Alice hears it is noted; both get the news and the calendar's cancellation by DM.
    assert eventually(
        lambda: any(
            "on their way to you and <@U0002>" in c.params.get("text", "")
            for c in slack.calls_to("response_url")
        )
    )
    posted = dms(slack, 2)
    assert all("is cancelled" in posted[person][-1]["text"] for person in (ALICE, BOB))
    shared = invites(slack, 2)
    assert set(shared) == {slack.dm_channel_id(ALICE), slack.dm_channel_id(BOB)}
    for calendar in shared.values():
        assert str(calendar["method"]) == "CANCEL"
        assert str(calendar.walk("VEVENT")[0]["uid"]) == cancelled.ics_uid


def test_an_invite_whose_upload_outcome_is_unknown_is_not_shared_twice(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    pairing_id: int,
) -> None:
    # Slack shares the first invite, then answers 503: the bot can't know whether it landed.
    slack.fail_next("files.completeUploadExternal", status=503, apply=True)
    schedule(bot, slack, day=date(2026, 3, 10), at=time(15, 0))
    dms(slack, 2)
    slack.wait_for("files.completeUploadExternal", count=2)
    deps.background.shutdown(wait=True)
    clock.advance(timedelta(minutes=1))
    report = Deliverer(deps, worker="retry", pacer=Pacer(sleep=lambda _: None)).run()
    # The retry looked in the DM for the invite's name first, found it and shared nothing.
    assert (report.reconciled, report.sent) == (1, 0)
    assert sorted(u.channel_id or "" for u in slack.uploaded_files) == sorted(
        [slack.dm_channel_id(ALICE), slack.dm_channel_id(BOB)]
    )
    assert len(slack.calls_to("chat.postMessage")) == 2
