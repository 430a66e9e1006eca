"""The agenda as the pair lives it: the mentee owns it, the mentor reads it once submitted."""

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.deps import Deps
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox.slack_double import SlackDouble
from bot.services.agenda import add_agenda_items, agenda_for
from scheduler.delivery import Deliverer, Pacer
from storage.db import session_scope
from storage.enums import AgendaSource, MeetingStatus
from storage.models import ActionItem, AgendaItem, Meeting, Pairing
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot
from tests.test_sessions import ALICE, BOB, OUTSIDER, TEAM, make_pair, opened_view

NEXT_SESSION = datetime(2026, 3, 10, 14, tzinfo=UTC)  # 15:00 in Berlin, 10:00 in New York


@pytest.fixture
def pairing_id(engine: Engine, slack: SlackDouble) -> int:
    """Bob mentors Alice in an active program."""
    with session_scope(engine) as session:
        pairing = make_pair(session)
        assert pairing.id is not None
        return pairing.id


@pytest.fixture
def meeting_id(engine: Engine, pairing_id: int) -> int:
    """Their next session, on Tuesday 10 March."""
    with session_scope(engine) as session:
        meeting = Meeting(
            team_id=TEAM,
            pairing_id=pairing_id,
            scheduled_start=NEXT_SESSION,
            scheduled_by=ALICE,
            ics_uid="next@mentorbot",
        )
        session.add(meeting)
        session.flush()
        assert meeting.id is not None
        return meeting.id


def items(engine: Engine) -> list[AgendaItem]:
    """Every agenda item, in order."""
    with session_scope(engine) as session:
        return list(session.exec(select(AgendaItem).order_by(col(AgendaItem.id))))


def open_agenda(bot: SlackToBot, slack: SlackDouble, user_id: str, count: int) -> dict[str, Any]:
    """``/mentor agenda`` as ``user_id``; returns the modal (the ``count``-th opened)."""
    answer = bot.command("agenda", user_id=user_id)
    assert answer.status == 200
    view = opened_view(slack, count)
    assert view["callback_id"] == CallbackId.AGENDA
    return view


def block_ids(view: dict[str, Any]) -> set[str]:
    """The block ids of a view."""
    return {str(b.get("block_id")) for b in view["blocks"] if b.get("block_id")}


def test_the_mentee_adds_items_and_the_mentor_sees_not_submitted_yet(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, meeting_id: int
) -> None:
    view = open_agenda(bot, slack, ALICE, 1)
    assert "Tuesday 10 March, 15:00 (Europe/Berlin)" in json.dumps(view)
    answer = bot.submit(
        view, {BlockId.AGENDA_NEW: "My promotion case\n- Feedback on my talk\n\n"}, user_id=ALICE
    )
    assert answer.status == 200
    assert [(i.text, i.source, i.meeting_id, i.added_by) for i in items(engine)] == [
        ("My promotion case", AgendaSource.MENTEE, meeting_id, ALICE),
        ("Feedback on my talk", AgendaSource.MENTEE, meeting_id, ALICE),
    ]
    mentor_view = open_agenda(bot, slack, BOB, 2)
    text = json.dumps(mentor_view)
    assert "has not submitted the agenda yet" in text
    assert "Tuesday 10 March, 10:00 (America/New_York)" in text
    assert "My promotion case" not in text
    assert BlockId.AGENDA_SUBMIT not in block_ids(mentor_view)
    assert slack.calls_to("chat.postMessage") == []
    with session_scope(engine) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        assert meeting.agenda_submitted_at is None


def test_submitting_dms_the_mentor_the_agenda(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, meeting_id: int
) -> None:
    view = open_agenda(bot, slack, ALICE, 1)
    answer = bot.submit(
        view,
        {BlockId.AGENDA_NEW: "Practise the all-hands talk", BlockId.AGENDA_SUBMIT: ["submit"]},
        user_id=ALICE,
    ).json()
    assert answer["response_action"] == "update"
    assert_valid_view(answer["view"], surface="modal")
    assert "Your agenda is on its way to <@U0002>." in json.dumps(answer["view"])
    with session_scope(engine) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        assert meeting.agenda_submitted_at == clock.current
    [dm] = slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == slack.dm_channel_id(BOB)
    assert_valid_view(dm.params, surface="message")
    text = json.dumps(dm.params)
    assert "<@U0001> submitted the agenda" in text
    assert "Tuesday 10 March, 10:00 (America/New_York)" in text
    assert "Practise the all-hands talk" in text
    mentor_view = open_agenda(bot, slack, BOB, 2)
    assert "Practise the all-hands talk" in json.dumps(mentor_view)
    assert "not submitted" not in json.dumps(mentor_view)


def test_an_empty_agenda_cannot_be_submitted_and_long_input_is_refused(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, meeting_id: int
) -> None:
    view = open_agenda(bot, slack, ALICE, 1)
    empty = bot.submit(view, {BlockId.AGENDA_SUBMIT: ["submit"]}, user_id=ALICE).json()
    assert "at least one item" in empty["errors"][BlockId.AGENDA_NEW]
    six = "\n".join(f"item {n}" for n in range(6))
    assert (
        "up to 5"
        in bot.submit(view, {BlockId.AGENDA_NEW: six}, user_id=ALICE).json()["errors"][
            BlockId.AGENDA_NEW
        ]
    )
    long = bot.submit(view, {BlockId.AGENDA_NEW: "ok\n" + "x" * 201}, user_id=ALICE).json()
    assert "Item 2 is too long" in long["errors"][BlockId.AGENDA_NEW]
    assert items(engine) == []
    assert slack.calls_to("chat.postMessage") == []


def test_open_action_items_join_the_agenda_once_and_drop_off_when_done(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    clock: FrozenClock,
    pairing_id: int,
    meeting_id: int,
) -> None:
    with session_scope(engine) as session:
        held = Meeting(
            team_id=TEAM,
            pairing_id=pairing_id,
            status=MeetingStatus.HELD,
            scheduled_start=datetime(2026, 3, 2, 8, tzinfo=UTC),
            held_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
            minutes_held=60,
        )
        session.add(held)
        session.flush()
        for text, done in (("Draft the stakeholder map", None), ("Read the book", clock.current)):
            session.add(
                ActionItem(
                    team_id=TEAM,
                    pairing_id=pairing_id,
                    meeting_id=held.id,
                    text=text,
                    owner_user_id=ALICE,
                    due_date=date(2026, 3, 9),
                    done_at=done,
                )
            )
    view = open_agenda(bot, slack, ALICE, 1)
    open_agenda(bot, slack, ALICE, 2)
    pulled = items(engine)
    assert [(i.text, i.source, i.meeting_id) for i in pulled] == [
        ("Draft the stakeholder map", AgendaSource.ACTION_ITEM, meeting_id)
    ]
    text = json.dumps(view)
    assert "Draft the stakeholder map" in text
    assert "Read the book" not in text
    done_block = f"{BlockId.AGENDA_DONE_PREFIX}0"
    assert done_block in block_ids(view)
    # Action items leave the agenda when done, not by removal.
    assert f"{BlockId.AGENDA_REMOVE_PREFIX}0" not in block_ids(view)

    with session_scope(engine) as session:
        action = session.exec(select(ActionItem).where(col(ActionItem.done_at).is_(None))).one()
    bot.submit(view, {done_block: [str(action.id)]}, user_id=ALICE)
    with session_scope(engine) as session:
        ticked = session.get(ActionItem, action.id)
        assert ticked is not None
        assert ticked.done_at == clock.current
    assert items(engine) == []
    assert "Draft the stakeholder map" not in json.dumps(open_agenda(bot, slack, ALICE, 3))


def test_action_items_from_a_logged_session_reach_the_next_agenda(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pairing_id: int
) -> None:
    bot.command("log", user_id=BOB)
    log_view = opened_view(slack, 1)
    bot.submit(
        log_view,
        {
            BlockId.LOG_MINUTES: "60",
            f"{BlockId.LOG_ACTION_TEXT_PREFIX}1": "Ask two peers for feedback",
        },
        user_id=BOB,
    )
    view = open_agenda(bot, slack, ALICE, 2)
    assert "None is scheduled yet" in json.dumps(view)
    assert "Ask two peers for feedback" in json.dumps(view)
    bot.submit(view, {BlockId.AGENDA_NEW: "Talk about the reorg"}, user_id=ALICE)
    assert {(i.text, i.meeting_id) for i in items(engine)} == {
        ("Ask two peers for feedback", None),
        ("Talk about the reorg", None),
    }
    # Scheduling the session carries the agenda over to it.
    bot.command("schedule", user_id=ALICE)
    schedule_view = opened_view(slack, 3)
    bot.submit(
        schedule_view,
        {BlockId.SESSION_DATE: date(2026, 3, 10), BlockId.SESSION_TIME: time(15)},
        user_id=ALICE,
    )
    with session_scope(engine) as session:
        scheduled = session.exec(
            select(Meeting).where(Meeting.status == MeetingStatus.SCHEDULED)
        ).one()
    assert {i.meeting_id for i in items(engine)} == {scheduled.id}
    again = open_agenda(bot, slack, ALICE, 4)
    assert "Tuesday 10 March, 15:00 (Europe/Berlin)" in json.dumps(again)
    assert len(items(engine)) == 2


def test_the_mentor_may_add_an_item_but_not_submit(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, meeting_id: int
) -> None:
    mentor_view = open_agenda(bot, slack, BOB, 1)
    bot.submit(mentor_view, {BlockId.AGENDA_NEW: "Bring your draft"}, user_id=BOB)
    [item] = items(engine)
    assert (item.text, item.source, item.added_by) == ("Bring your draft", AgendaSource.MENTOR, BOB)
    mentee_view = open_agenda(bot, slack, ALICE, 2)
    assert "Bring your draft" in json.dumps(mentee_view)
    # Bob replays Alice's form with "submit" ticked: refused, nothing changes.
    forged = bot.submit(
        mentee_view,
        {BlockId.AGENDA_NEW: "sneaky", BlockId.AGENDA_SUBMIT: ["submit"]},
        user_id=BOB,
    ).json()
    assert "only they can submit" in forged["errors"][BlockId.AGENDA_NEW]
    assert len(items(engine)) == 1
    with session_scope(engine) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        assert meeting.agenda_submitted_at is None
    assert slack.calls_to("chat.postMessage") == []


def test_the_mentee_removes_items_and_the_agenda_button_opens_it(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int, meeting_id: int
) -> None:
    with session_scope(engine) as session:
        pairing = session.get(Pairing, pairing_id)
        assert pairing is not None
        added = add_agenda_items(
            session,
            pairing=pairing,
            meeting_id=meeting_id,
            items=["Scores keep dropping", "Scores keep dropping", " "],
            source=AgendaSource.SCORECARD,
            author_user_id=ALICE,
            now=datetime(2026, 3, 2, 9, tzinfo=UTC),
        )
        assert len(added) == 1
    bot.action(
        ActionId.AGENDA_OPEN, str(pairing_id), user_id=ALICE, trigger_id=slack.new_trigger_id()
    )
    view = opened_view(slack, 1)
    remove = f"{BlockId.AGENDA_REMOVE_PREFIX}0"
    assert "Scores keep dropping" in json.dumps(view)
    bot.submit(view, {remove: [str(added[0].id)]}, user_id=ALICE)
    assert items(engine) == []
    with session_scope(engine) as session:
        pairing = session.get(Pairing, pairing_id)
        meeting = session.get(Meeting, meeting_id)
        assert pairing is not None
        assert agenda_for(session, pairing=pairing, meeting=meeting).lines == []


def test_a_third_person_can_neither_open_nor_change_the_agenda(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int, meeting_id: int
) -> None:
    assert "not in a mentoring pair" in bot.ask("agenda", user_id=OUTSIDER)["text"]
    bot.action(
        ActionId.AGENDA_OPEN, str(pairing_id), user_id=OUTSIDER, trigger_id=slack.new_trigger_id()
    )
    [_, refusal] = slack.wait_for("response_url", count=2)
    assert "another mentoring pair" in refusal.params["text"]
    assert slack.calls_to("views.open") == []

    view = open_agenda(bot, slack, ALICE, 1)
    forged = bot.submit(
        view,
        {BlockId.AGENDA_NEW: "Read their notes", BlockId.AGENDA_SUBMIT: ["submit"]},
        user_id=OUTSIDER,
    ).json()
    assert forged["response_action"] == "errors"
    assert "another mentoring pair" in forged["errors"][BlockId.AGENDA_NEW]
    assert items(engine) == []
    assert slack.calls_to("chat.postMessage") == []


def _submit_agenda(bot: SlackToBot, slack: SlackDouble) -> None:
    """Alice adds an item and submits the agenda to Bob."""
    view = open_agenda(bot, slack, ALICE, 1)
    answer = bot.submit(
        view,
        {BlockId.AGENDA_NEW: "Practise the all-hands talk", BlockId.AGENDA_SUBMIT: ["submit"]},
        user_id=ALICE,
    )
    assert answer.json()["response_action"] == "update"


def test_the_mentors_agenda_dm_is_retried_after_a_server_error_and_lands_once(
    bot: SlackToBot,
    slack: SlackDouble,
    deps: Deps,
    clock: FrozenClock,
    meeting_id: int,
) -> None:
    slack.fail_next("chat.postMessage", status=500)
    _submit_agenda(bot, slack)
    slack.wait_for("chat.postMessage")
    deps.background.shutdown(wait=True)
    assert slack.messages(slack.dm_channel_id(BOB)) == []
    clock.advance(timedelta(minutes=1))
    report = Deliverer(deps, worker="retry", pacer=Pacer(sleep=lambda _: None)).run()
    assert (report.sent, report.failed) == (1, 0)
    [dm] = slack.messages(slack.dm_channel_id(BOB))
    assert "Practise the all-hands talk" in json.dumps(dm)
    assert slack.messages(slack.dm_channel_id(ALICE)) == []


def test_alice_hears_when_her_agenda_cannot_reach_a_mentor_who_left(
    bot: SlackToBot,
    slack: SlackDouble,
    deps: Deps,
    meeting_id: int,
) -> None:
    slack.fail_next("conversations.open", error="user_not_found")
    _submit_agenda(bot, slack)
    slack.wait_for("conversations.open")
    deps.background.shutdown(wait=True)
    # The failure queued Alice's notice; the next pass of the outbox sends it.
    Deliverer(deps, worker="next", pacer=Pacer(sleep=lambda _: None)).run()
    assert slack.messages(slack.dm_channel_id(BOB)) == []
    [notice] = slack.messages(slack.dm_channel_id(ALICE))
    assert notice["text"] == (
        ":warning: I couldn't deliver your agenda to <@U0002>: "
        "<@U0002> is no longer in this workspace."
    )
