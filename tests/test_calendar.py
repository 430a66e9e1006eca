"""Calendar invites that work as invites: both people by email, one event through every change."""

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import Engine

from bot.calendar import Invitee, build_invite, usable_email
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox.slack_double import SlackDouble
from storage.enums import MeetingStatus
from tests.conftest import FrozenClock
from tests.harness import SlackToBot
from tests.test_sessions import (
    ALICE,
    BOB,
    EMAILS,
    addresses,
    dms,
    give_emails,
    meetings,
    opened_view,
    pairing_id,
    schedule,
)

__all__ = ["pairing_id"]  # the fixture, used by name

ALICE_AT, BOB_AT = f"mailto:{EMAILS[ALICE]}", f"mailto:{EMAILS[BOB]}"
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
START = datetime(2026, 3, 10, 14, tzinfo=UTC)


def _invite(**changes: Any) -> Calendar:
    """A built invite, parsed back as a calendar app reads it."""
    alice, bob = Invitee("Alice Ng", EMAILS[ALICE]), Invitee("Bob Ode", EMAILS[BOB])
    spec: dict[str, Any] = {
        "uid": "abc@mentorbot",
        "start": START,
        "minutes": 45,
        "summary": "Mentoring: Alice Ng & Bob Ode",
        "description": "Agenda in Slack",
        "organizer": alice,
        "attendees": [alice, bob],
        "sequence": 0,
        "now": NOW,
        **changes,
    }
    return Calendar.from_ical(build_invite(**spec))


def _event(calendar: Calendar) -> Any:
    """The one event of an invite (as icalendar types it: any property value)."""
    [event] = calendar.walk("VEVENT")
    return event


def _uploads(slack: SlackDouble, count: int) -> list[tuple[str, Calendar]]:
    """(channel, parsed .ics) of the first ``count`` files shared, once that many were."""
    slack.wait_for("files.completeUploadExternal", count=count)
    shared = []
    for upload in slack.uploaded_files[:count]:
        assert upload.filename.endswith(".ics")
        assert upload.channel_id is not None
        shared.append((upload.channel_id, Calendar.from_ical(upload.content)))
    return shared


def _move(bot: SlackToBot, slack: SlackDouble, *, opened: int, day: date, at: time) -> None:
    """Bob opens the schedule (it offers to move the session) and moves it."""
    bot.command("schedule", user_id=BOB)
    view = opened_view(slack, opened)
    assert view["submit"]["text"] == "Move it"
    answer = bot.submit(view, {BlockId.SESSION_DATE: day, BlockId.SESSION_TIME: at}, user_id=BOB)
    assert answer.status == 200
    assert answer.body == "", answer.body


def _cancel(bot: SlackToBot, slack: SlackDouble, *, opened: int, meeting_id: int) -> None:
    """Bob cancels the session from the schedule modal."""
    bot.command("schedule", user_id=BOB)
    opened_view(slack, opened)
    # The modal just opened: the last "Move the session" the double holds.
    view_id, saved = [
        (vid, v) for vid, v in slack.views.items() if v["title"]["text"] == "Move the session"
    ][-1]
    bot.action(
        ActionId.SESSION_CANCEL,
        str(meeting_id),
        user_id=BOB,
        view=saved,
        trigger_id=slack.new_trigger_id(view_id=view_id),
    )
    confirm = opened_view(slack, 1, method="views.push")
    answer = bot.submit(confirm, {BlockId.SESSION_CANCEL_REASON: "Travelling"}, user_id=BOB)
    assert answer.json() == {"response_action": "clear"}


# --- the file --------------------------------------------------------------------------------


def test_an_invite_is_a_request_from_its_organizer_to_both_in_utc() -> None:
    calendar = _invite(start=START - timedelta(hours=1), sequence=2)
    assert str(calendar["method"]) == "REQUEST"
    assert str(calendar["version"]) == "2.0"
    assert "mentorbot" in str(calendar["prodid"])
    event = _event(calendar)
    assert event.decoded("dtstart") == datetime(2026, 3, 10, 13, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 3, 10, 13, 45, tzinfo=UTC)
    raw = calendar.to_ical()
    assert b"DTSTART:20260310T130000Z" in raw
    assert b"VTIMEZONE" not in raw  # UTC needs none: each app shows its reader's own time
    assert str(event["uid"]) == "abc@mentorbot"
    assert int(str(event["sequence"])) == 2
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["organizer"]) == ALICE_AT
    assert event["organizer"].params["cn"] == "Alice Ng"
    attendees = {str(a): a.params for a in event["attendee"]}
    assert set(attendees) == {ALICE_AT, BOB_AT}
    assert attendees[BOB_AT]["cn"] == "Bob Ode"
    assert attendees[BOB_AT]["partstat"] == "NEEDS-ACTION"
    assert attendees[ALICE_AT]["partstat"] == "ACCEPTED"  # the organizer set the time


def test_a_cancellation_is_the_same_event_with_method_cancel() -> None:
    calendar = _invite(sequence=3, cancelled=True)
    assert str(calendar["method"]) == "CANCEL"
    event = _event(calendar)
    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == "abc@mentorbot"
    assert int(str(event["sequence"])) == 3
    assert addresses(event) == [ALICE_AT, BOB_AT]


def test_without_any_address_it_is_a_plain_event_not_an_invalid_request() -> None:
    calendar = _invite(organizer=None, attendees=[])
    assert "method" not in calendar
    event = _event(calendar)
    assert "organizer" not in event
    assert "attendee" not in event
    assert event.decoded("dtstart") == START
    cancelled = _event(_invite(organizer=None, attendees=[], sequence=1, cancelled=True))
    assert str(cancelled["status"]) == "CANCELLED"
    assert int(str(cancelled["sequence"])) == 1


def test_names_that_look_like_syntax_stay_names() -> None:
    tricky = Invitee('Bob "The Boss"; ROLE=CHAIR, Jr.', EMAILS[BOB])
    event = _event(_invite(attendees=[tricky]))
    attendee = event["attendee"]  # one attendee: the property itself, not a list
    assert str(attendee) == BOB_AT
    assert attendee.params["cn"] == 'Bob "The Boss"; ROLE=CHAIR, Jr.'
    assert attendee.params["role"] == "REQ-PARTICIPANT"


@pytest.mark.parametrize(
    ("raw", "usable"),
    [
        ("alice@example.com", "alice@example.com"),
        (" o'brien+mentoring@example.co.uk ", "o'brien+mentoring@example.co.uk"),
        ("", None),
        (None, None),
        ("alice@localhost", None),
        ("alice@example.com\r\nATTENDEE:mailto:eve@example.com", None),
        ('"Alice" <alice@example.com>', None),
    ],
)
def test_only_a_plain_address_becomes_a_mailto(raw: str | None, usable: str | None) -> None:
    assert usable_email(raw) == usable


def test_times_must_know_their_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _invite(start=datetime(2026, 3, 10, 14))


# --- through Slack ---------------------------------------------------------------------------


def test_one_event_through_schedule_move_and_cancel_naming_both_by_email(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    give_emails(slack, ALICE, BOB)
    schedule(bot, slack, day=date(2026, 3, 10), at=time(15))
    _move(bot, slack, opened=2, day=date(2026, 3, 12), at=time(9))
    first, moved = meetings(engine)
    assert moved.rescheduled_from_id == first.id
    _cancel(bot, slack, opened=3, meeting_id=moved.id or 0)

    shared = _uploads(slack, 6)
    dm_channels = {slack.dm_channel_id(ALICE), slack.dm_channel_id(BOB)}
    stages = [shared[0:2], shared[2:4], shared[4:6]]
    expected = [
        ("REQUEST", 0, "CONFIRMED", datetime(2026, 3, 10, 14, tzinfo=UTC)),
        ("REQUEST", 1, "CONFIRMED", datetime(2026, 3, 12, 13, tzinfo=UTC)),
        ("CANCEL", 2, "CANCELLED", datetime(2026, 3, 12, 13, tzinfo=UTC)),
    ]
    for stage, (method, sequence, status, start) in zip(stages, expected, strict=True):
        assert {channel for channel, _ in stage} == dm_channels
        for _, calendar in stage:
            assert str(calendar["method"]) == method
            event = _event(calendar)
            assert str(event["uid"]) == first.ics_uid
            assert int(str(event["sequence"])) == sequence
            assert str(event["status"]) == status
            assert event.decoded("dtstart") == start
            # Alice scheduled it: she stays its organizer though Bob moved and cancelled it.
            assert str(event["organizer"]) == ALICE_AT
            assert addresses(event) == [ALICE_AT, BOB_AT]
    # Each change is one file per person, named for the session and its SEQUENCE.
    names = [u.filename for u in slack.uploaded_files]
    assert names == [
        *[f"mentoring-session-{first.id}-0.ics"] * 2,
        *[f"mentoring-session-{moved.id}-1.ics"] * 2,
        *[f"mentoring-session-{moved.id}-2.ics"] * 2,
    ]
    posted = dms(slack, 6)
    assert all("couldn't add" not in json.dumps(m) for m in posted[ALICE] + posted[BOB])


def test_without_an_email_the_dm_says_so_and_the_file_still_goes(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    give_emails(slack, BOB)  # Slack shares Bob's email, not Alice's
    schedule(bot, slack, day=date(2026, 3, 10), at=time(15))
    posted = dms(slack, 2)
    [alice] = posted[ALICE]
    [bob] = posted[BOB]
    assert (
        "I couldn't add you to the invite: Slack didn't share your email with me. "
        "The file below still works: open it to add it to your calendar."
    ) in json.dumps(alice)
    assert (
        "I couldn't add <@U0001> to the invite: Slack didn't share their email with me."
    ) in json.dumps(bob)
    shared = _uploads(slack, 2)
    assert {channel for channel, _ in shared} == {
        slack.dm_channel_id(ALICE),
        slack.dm_channel_id(BOB),
    }
    for _, calendar in shared:
        assert str(calendar["method"]) == "REQUEST"
        event = _event(calendar)
        # Alice scheduled it but has no address: a request needs one, so Bob's stands in.
        assert str(event["organizer"]) == BOB_AT
        assert addresses(event) == [BOB_AT]
        assert "Alice Ng" in str(event["summary"])


def test_without_any_email_both_hear_it_and_get_a_plain_event(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    schedule(bot, slack, day=date(2026, 3, 10), at=time(15))
    posted = dms(slack, 2)
    for person in (ALICE, BOB):
        assert (
            "I couldn't add either of you to the invite: Slack didn't share your emails with me."
        ) in json.dumps(posted[person])
    for _, calendar in _uploads(slack, 2):
        assert "method" not in calendar
        assert "organizer" not in _event(calendar)


def test_an_email_slack_starts_sharing_is_used_from_the_next_day(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pairing_id: int
) -> None:
    # Alice's profile is cached without an email (the scope came later), then Slack shares it.
    schedule(bot, slack, day=date(2026, 3, 10), at=time(15))
    _uploads(slack, 2)
    give_emails(slack, ALICE, BOB)
    clock.advance(timedelta(days=1, minutes=1))
    _move(bot, slack, opened=2, day=date(2026, 3, 12), at=time(9))
    for _, calendar in _uploads(slack, 4)[2:]:
        event = _event(calendar)
        assert str(calendar["method"]) == "REQUEST"
        assert str(event["organizer"]) == ALICE_AT
        assert addresses(event) == [ALICE_AT, BOB_AT]
        assert int(str(event["sequence"])) == 1


def test_a_session_that_moved_keeps_its_event_when_its_new_time_is_set(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pairing_id: int
) -> None:
    give_emails(slack, ALICE, BOB)
    schedule(bot, slack, day=date(2026, 3, 10), at=time(15))
    _uploads(slack, 2)
    [missed] = meetings(engine)
    # The day after, Bob answers "Did you meet?" with "It moved" and picks the new time.
    clock.current = datetime(2026, 3, 11, 10, tzinfo=UTC)
    bot.action(
        ActionId.MEETING_MOVED,
        str(missed.id),
        user_id=BOB,
        trigger_id=slack.new_trigger_id(),
        container={"type": "message", "message_ts": "1.2", "channel_id": "D1"},
    )
    view = opened_view(slack, 2)
    assert view["callback_id"] == CallbackId.SCHEDULE
    answer = bot.submit(
        view, {BlockId.SESSION_DATE: date(2026, 3, 13), BlockId.SESSION_TIME: time(9)}, user_id=BOB
    )
    assert answer.status == 200
    old, new = meetings(engine)
    assert (old.status, new.status) == (MeetingStatus.MOVED, MeetingStatus.SCHEDULED)
    assert new.rescheduled_from_id == old.id
    assert new.ics_uid == old.ics_uid
    posted = dms(slack, 4)
    assert posted[ALICE][-1]["text"].startswith("Moved: ")
    for _, calendar in _uploads(slack, 4)[2:]:
        event = _event(calendar)
        assert str(event["uid"]) == old.ics_uid
        assert int(str(event["sequence"])) == 1
        assert event.decoded("dtstart") == datetime(2026, 3, 13, 13, tzinfo=UTC)
        assert str(event["organizer"]) == ALICE_AT
