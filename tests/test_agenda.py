"""The agenda as the pair lives it: the mentee owns it, and saving it shares it with the mentor."""

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import col, select

from bot.deps import Deps
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox.slack_double import SlackDouble
from bot.services.agenda import add_agenda_items, agenda_for
from scheduler.delivery import Deliverer, Pacer, settle
from storage.db import session_scope
from storage.enums import AgendaSource, MeetingStatus
from storage.models import ActionItem, AgendaItem, Delivery, Meeting, Pairing
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock, counted_writes
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


def shares(engine: Engine) -> list[Delivery]:
    """The agenda DMs planned in the outbox, oldest first."""
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(Delivery).where(Delivery.rule == "agenda_shared").order_by(col(Delivery.id))
            )
        )


def block_ids(view: dict[str, Any]) -> set[str]:
    """The block ids of a view."""
    return {str(b.get("block_id")) for b in view["blocks"] if b.get("block_id")}


def agenda_dms(slack: SlackDouble, count: int) -> list[dict[str, Any]]:
    """The agenda DMs Bob got, once ``count`` messages went out, each checked."""
    posted = [c.params for c in slack.wait_for("chat.postMessage", count=count)]
    for params in posted:
        assert params["channel"] == slack.dm_channel_id(BOB)
        assert_valid_view(params, surface="message")
    return posted


def save(
    bot: SlackToBot, view: dict[str, Any], answers: dict[str, Any], user_id: str = ALICE
) -> dict[str, Any] | None:
    """Submit the agenda modal; the notice it was replaced by (checked), or None if it closed."""
    answer = bot.submit(view, answers, user_id=user_id)
    assert answer.status == 200
    if not answer.body:
        return None
    body = answer.json()
    assert body["response_action"] == "update", body
    assert_valid_view(body["view"], surface="modal")
    return dict(body["view"])


def test_the_modal_says_saving_shares_it_and_the_mentee_owns_it(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, meeting_id: int
) -> None:
    mentee_view = open_agenda(bot, slack, ALICE, 1)
    assert mentee_view["submit"]["text"] == "Save and share"
    text = json.dumps(mentee_view)
    assert "Saving shares the agenda with <@U0002>" in text
    assert "Tuesday 10 March, 15:00 (Europe/Berlin)" in text
    # No checkbox to miss: the button itself shares.
    assert BlockId.AGENDA_SUBMIT not in block_ids(mentee_view)
    mentor_view = open_agenda(bot, slack, BOB, 2)
    assert mentor_view["submit"]["text"] == "Save"
    text = json.dumps(mentor_view)
    assert "<@U0001> owns the agenda and hasn't shared it yet" in text
    assert "Tuesday 10 March, 10:00 (America/New_York)" in text
    assert "Suggest an item to your mentee" in text


def test_saving_shares_the_agenda_with_the_mentor(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, meeting_id: int
) -> None:
    view = open_agenda(bot, slack, ALICE, 1)
    notice = save(bot, view, {BlockId.AGENDA_NEW: "My promotion case\n- Feedback on my talk\n\n"})
    assert notice is not None
    assert "Saved and shared: <@U0002> gets your agenda by DM." in json.dumps(notice)
    assert [(i.text, i.source, i.meeting_id, i.added_by) for i in items(engine)] == [
        ("My promotion case", AgendaSource.MENTEE, meeting_id, ALICE),
        ("Feedback on my talk", AgendaSource.MENTEE, meeting_id, ALICE),
    ]
    with session_scope(engine) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        assert meeting.agenda_submitted_at == clock.current
    [dm] = agenda_dms(slack, 1)
    assert dm["text"].startswith("<@U0001> shared the agenda for your session on ")
    text = json.dumps(dm)
    assert "Tuesday 10 March, 10:00 (America/New_York)" in text
    assert "My promotion case" in text
    assert "Feedback on my talk" in text
    assert "Updated" not in text
    mentor_view = open_agenda(bot, slack, BOB, 2)
    text = json.dumps(mentor_view)
    assert "Feedback on my talk" in text
    assert "<@U0001> shared this agenda with you on Monday 2 March, 04:00" in text
    mentee_view = open_agenda(bot, slack, ALICE, 3)
    assert "Shared with <@U0002> on Monday 2 March, 10:00 (Europe/Berlin)" in json.dumps(
        mentee_view
    )


def test_an_unchanged_agenda_is_not_sent_again_and_each_change_is_sent_once_as_an_update(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, meeting_id: int
) -> None:
    first = open_agenda(bot, slack, ALICE, 1)
    save(bot, first, {BlockId.AGENDA_NEW: "Practise the all-hands talk"})
    agenda_dms(slack, 1)
    # Saved again as it is (and the very same submission replayed): nothing new for Bob.
    again = open_agenda(bot, slack, ALICE, 2)
    for _ in range(2):
        notice = save(bot, again, {})
        assert notice is not None
        assert "<@U0002> already has this agenda, so no new DM went out" in json.dumps(notice)
    clock.advance(timedelta(hours=1))
    edit = open_agenda(bot, slack, ALICE, 3)
    notice = save(bot, edit, {BlockId.AGENDA_NEW: "Ask about the reorg"})
    assert notice is not None
    assert "<@U0002> gets the updated agenda by DM" in json.dumps(notice)
    [_, updated] = agenda_dms(slack, 2)
    assert updated["text"].startswith("Updated agenda: <@U0001> changed the agenda for your ")
    assert "*Updated agenda.*" in json.dumps(updated["blocks"][0])
    assert "Practise the all-hands talk" in json.dumps(updated)
    assert "Ask about the reorg" in json.dumps(updated)
    # Taking everything off is news too; saving the empty agenda again is not.
    emptied = open_agenda(bot, slack, ALICE, 4)
    remove = f"{BlockId.AGENDA_REMOVE_PREFIX}0"
    notice = save(bot, emptied, {remove: [str(i.id) for i in items(engine)]})
    assert notice is not None
    assert "hears that the agenda is empty now" in json.dumps(notice)
    [*_, cleared] = agenda_dms(slack, 3)
    assert cleared["text"].startswith("Updated agenda: <@U0001> cleared the agenda")
    assert "Nothing is on it now" in json.dumps(cleared)
    assert save(bot, open_agenda(bot, slack, ALICE, 5), {}) is None
    with session_scope(engine) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        assert meeting.agenda_submitted_at is None
    # Back to the very first agenda: Bob's latest news is "empty", so it goes again.
    save(
        bot, open_agenda(bot, slack, ALICE, 6), {BlockId.AGENDA_NEW: "Practise the all-hands talk"}
    )
    [*_, back] = agenda_dms(slack, 4)
    assert back["text"].startswith("Updated agenda: <@U0001> changed the agenda")
    assert "Practise the all-hands talk" in json.dumps(back)
    assert len(shares(engine)) == 4


def test_a_moved_session_keeps_its_shared_agenda(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, meeting_id: int
) -> None:
    save(bot, open_agenda(bot, slack, ALICE, 1), {BlockId.AGENDA_NEW: "Practise the talk"})
    agenda_dms(slack, 1)
    bot.command("schedule", user_id=ALICE)
    schedule_view = opened_view(slack, 2)
    bot.submit(
        schedule_view,
        {BlockId.SESSION_DATE: date(2026, 3, 12), BlockId.SESSION_TIME: time(15)},
        user_id=ALICE,
    )
    slack.wait_for("files.completeUploadExternal", count=2)
    with session_scope(engine) as session:
        moved = session.exec(select(Meeting).where(Meeting.status == MeetingStatus.SCHEDULED)).one()
    assert moved.id != meeting_id
    assert moved.agenda_submitted_at is not None
    view = open_agenda(bot, slack, ALICE, 3)
    assert "Thursday 12 March, 15:00 (Europe/Berlin)" in json.dumps(view)
    assert "Shared with <@U0002>" in json.dumps(view)
    notice = save(bot, view, {})
    assert notice is not None
    assert "already has this agenda" in json.dumps(notice)
    assert len(shares(engine)) == 1


def test_an_empty_agenda_shares_nothing_and_long_input_is_refused(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, meeting_id: int
) -> None:
    view = open_agenda(bot, slack, ALICE, 1)
    assert save(bot, view, {}) is None
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


def test_the_mentors_dm_shows_agenda_text_as_text(
    bot: SlackToBot, slack: SlackDouble, meeting_id: int
) -> None:
    view = open_agenda(bot, slack, ALICE, 1)
    save(bot, view, {BlockId.AGENDA_NEW: "<!channel> read <https://evil.example|our wiki> & more"})
    [dm] = agenda_dms(slack, 1)
    text = json.dumps(dm)
    assert "&lt;!channel&gt; read &lt;https://evil.example|our wiki&gt; &amp; more" in text
    assert "<!channel>" not in text


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


def test_opening_the_agenda_writes_only_when_something_joins_or_leaves_it(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    pairing_id: int,
    meeting_id: int,
) -> None:
    open_agenda(bot, slack, ALICE, 1)  # Alice's timezone read from Slack, and stored, once
    with counted_writes(engine) as writes:
        open_agenda(bot, slack, ALICE, 2)
        assert writes == []  # nothing to join it: read, no write lock taken
        with session_scope(engine) as session:
            session.add(
                ActionItem(
                    team_id=TEAM,
                    pairing_id=pairing_id,
                    text="Draft the stakeholder map",
                    owner_user_id=ALICE,
                    due_date=date(2026, 3, 9),
                )
            )
        writes.clear()
        pulled = open_agenda(bot, slack, ALICE, 3)
        assert writes == ["write"]
        assert [i.text for i in items(engine)] == ["Draft the stakeholder map"]
        writes.clear()
        again = open_agenda(bot, slack, ALICE, 4)
        assert writes == []
        assert again["blocks"] == pulled["blocks"]


def test_an_agenda_save_reads_its_items_and_the_open_action_items_once(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int, meeting_id: int
) -> None:
    """Adding, ticking done, pulling action items and tasks in, and drawing the agenda for the
    share all work on one reading of each, inside the save's write."""
    with session_scope(engine) as session:
        for text in ("Draft the stakeholder map", "Book the offsite"):
            session.add(
                ActionItem(
                    team_id=TEAM,
                    pairing_id=pairing_id,
                    text=text,
                    owner_user_id=ALICE,
                    due_date=date(2026, 3, 9),
                )
            )
    view = open_agenda(bot, slack, ALICE, 1)  # the action items join it
    with session_scope(engine) as session:
        offsite = session.exec(select(ActionItem).where(ActionItem.text == "Book the offsite"))
        offsite_id = offsite.one().id
    done_block = next(b for b in block_ids(view) if b.startswith(BlockId.AGENDA_DONE_PREFIX))
    reads: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.startswith("SELECT"):
            reads.extend(t for t in ("agendaitem", "actionitem") if f"FROM {t} " in statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        notice = save(
            bot,
            view,
            {BlockId.AGENDA_NEW: "My promotion case\nThe roadmap", done_block: [str(offsite_id)]},
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert sorted(reads) == ["actionitem", "agendaitem"]
    assert notice is not None
    assert [i.text for i in items(engine)] == [
        "Draft the stakeholder map",
        "My promotion case",
        "The roadmap",
    ]
    [dm] = agenda_dms(slack, 1)
    assert "Book the offsite" not in json.dumps(dm)
    assert "The roadmap" in json.dumps(dm)


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
    notice = save(bot, view, {BlockId.AGENDA_NEW: "Talk about the reorg"})
    assert notice is not None
    assert "Saved and shared" in json.dumps(notice)
    assert {(i.text, i.meeting_id) for i in items(engine)} == {
        ("Ask two peers for feedback", None),
        ("Talk about the reorg", None),
    }
    # No session yet: Bob gets it for "your next session".
    [shared] = shares(engine)
    assert shared.recipient_id == BOB
    assert shared.payload["text"] == "<@U0001> shared the agenda for your next session"
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
    # Now it is the agenda of a dated session: saving tells Bob which one, once.
    assert "Saving shares the agenda with <@U0002>" in json.dumps(again)
    save(bot, again, {})
    save(bot, again, {})
    assert [d.payload["text"] for d in shares(engine)] == [
        "<@U0001> shared the agenda for your next session",
        "<@U0001> shared the agenda for your session on Tuesday 10 March, 10:00 (America/New_York)",
    ]


def test_the_mentor_adds_items_marked_as_theirs_and_only_the_mentees_save_shares(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, meeting_id: int
) -> None:
    mentor_view = open_agenda(bot, slack, BOB, 1)
    assert save(bot, mentor_view, {BlockId.AGENDA_NEW: "Bring your draft"}, user_id=BOB) is None
    [item] = items(engine)
    assert (item.text, item.source, item.added_by) == ("Bring your draft", AgendaSource.MENTOR, BOB)
    mentee_view = open_agenda(bot, slack, ALICE, 2)
    assert f"Bring your draft _(from <@{BOB}>)_" in json.dumps(mentee_view)
    # Bob's own suggestion is no news to Bob: Alice saving it as it is sends nothing.
    assert save(bot, mentee_view, {}) is None
    # Bob replays Alice's form: his save never shares, and what he adds is his.
    assert save(bot, mentee_view, {BlockId.AGENDA_NEW: "sneaky"}, user_id=BOB) is None
    assert {(i.text, i.source) for i in items(engine)} == {
        ("Bring your draft", AgendaSource.MENTOR),
        ("sneaky", AgendaSource.MENTOR),
    }
    assert shares(engine) == []
    with session_scope(engine) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        assert meeting.agenda_submitted_at is None
    # Alice adds her own item: Bob gets the agenda, his items marked as his.
    save(bot, open_agenda(bot, slack, ALICE, 3), {BlockId.AGENDA_NEW: "My promotion case"})
    [dm] = agenda_dms(slack, 1)
    text = json.dumps(dm)
    assert "My promotion case" in text
    assert "Bring your draft _(yours)_" in text
    assert len(shares(engine)) == 1


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
    forged = bot.submit(view, {BlockId.AGENDA_NEW: "Read their notes"}, user_id=OUTSIDER).json()
    assert forged["response_action"] == "errors"
    assert "another mentoring pair" in forged["errors"][BlockId.AGENDA_NEW]
    assert items(engine) == []
    assert slack.calls_to("chat.postMessage") == []


def _submit_agenda(bot: SlackToBot, slack: SlackDouble) -> None:
    """Alice adds an item and saves the agenda, which shares it with Bob."""
    view = open_agenda(bot, slack, ALICE, 1)
    notice = save(bot, view, {BlockId.AGENDA_NEW: "Practise the all-hands talk"})
    assert notice is not None


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
    # The failure queued Alice's notice: the delivery after the ack claims again and sends it.
    assert settle(deps)
    assert slack.messages(slack.dm_channel_id(BOB)) == []
    [notice] = slack.messages(slack.dm_channel_id(ALICE))
    assert notice["text"] == (
        ":warning: I couldn't deliver your agenda to <@U0002>: "
        "<@U0002> is no longer in this workspace."
    )
