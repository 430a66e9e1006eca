"""Structured feedback as the pair lives it: the three-part modal, its errors, the partner's DM."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.ids import ActionId, BlockId
from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from bot.services.feedback import feedback_stats, is_trivial_change
from storage.db import session_scope
from storage.enums import MeetingStatus, PairingStatus, ProgramStatus
from storage.models import Feedback, Meeting, Pairing, Program
from tests.blockkit import assert_valid_view
from tests.forms import Answer
from tests.harness import SlackToBot
from tests.pairs import add_pair

TEAM = slack_double.DEFAULT_TEAM_ID
MENTEE, MENTOR, OUTSIDER = "U0001", "U0002", "U0003"
COMPETENCIES = ["Negotiation", "Public speaking", "Python"]
HELD_AT = datetime(2026, 2, 27, 15, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Pair:
    """The rows of one mentoring pair made for a test."""

    program_id: int
    pairing_id: int
    meeting_id: int | None


def make_pair(
    engine: Engine,
    *,
    competencies: list[str] | None = None,
    meeting_status: MeetingStatus | None = MeetingStatus.HELD,
) -> Pair:
    """An active program, bob mentoring alice, and (by default) one held session."""
    with session_scope(engine) as session:
        program = Program(
            team_id=TEAM,
            name="Spring cohort",
            status=ProgramStatus.ACTIVE,
            start_date=date(2026, 2, 1),
            competencies=COMPETENCIES if competencies is None else competencies,
            created_by="UADMIN",
        )
        pairing = add_pair(session, program, started_at=datetime(2026, 2, 2, tzinfo=UTC))
        assert program.id is not None
        assert pairing.id is not None
        meeting_id = None
        if meeting_status is not None:
            meeting = Meeting(
                team_id=TEAM,
                pairing_id=pairing.id,
                status=meeting_status,
                scheduled_start=HELD_AT,
                held_at=HELD_AT if meeting_status is MeetingStatus.HELD else None,
                minutes_held=60 if meeting_status is MeetingStatus.HELD else None,
            )
            session.add(meeting)
            session.flush()
            meeting_id = meeting.id
        return Pair(program_id=program.id, pairing_id=pairing.id, meeting_id=meeting_id)


def dm_click(
    bot: SlackToBot,
    slack: SlackDouble,
    action_id: str,
    value: str,
    *,
    user_id: str,
    dm_of: str | None = None,
    ts: str | None = None,
) -> None:
    """Click a button on the bot's latest DM to ``dm_of`` (default: the clicker)."""
    channel = slack.dm_channel_id(dm_of or user_id)
    if ts is None:
        ts = slack.messages(channel)[-1]["ts"]
    response = bot.action(
        action_id,
        value,
        user_id=user_id,
        trigger_id=slack.new_trigger_id(),
        container={"type": "message", "message_ts": ts, "channel_id": channel},
        channel_id=channel,
    )
    assert response.status == 200


def _feedback(engine: Engine) -> list[Feedback]:
    with session_scope(engine) as session:
        return list(session.exec(select(Feedback).order_by(Feedback.id)))  # type: ignore[arg-type]


def _open_modal(bot: SlackToBot, slack: SlackDouble, *, user_id: str = MENTEE) -> dict[str, Any]:
    answer = bot.command("feedback", user_id=user_id, trigger_id=slack.new_trigger_id())
    assert answer.status == 200
    [opened] = slack.wait_for("views.open")
    view: dict[str, Any] = opened.params["view"]
    assert_valid_view(view, surface="modal")
    slack.reset()
    return view


GOOD: dict[str, Answer] = {
    BlockId.FEEDBACK_WENT_WELL: "You came with a clear question and a draft plan.",
    BlockId.FEEDBACK_NEEDS_CHANGE: "We ran out of time for the stakeholder map; start with it.",
    BlockId.FEEDBACK_NEXT_ACTION: "Send me the one-page stakeholder map by Thursday.",
}


def test_the_modal_explains_why_all_three_parts_matter(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine)
    view = _open_modal(bot, slack)
    text = json.dumps(view, ensure_ascii=False)
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert inputs == list(GOOD)
    assert all(not b.get("optional") for b in view["blocks"] if b["type"] == "input")
    assert "each one matters" in text
    assert "<@U0002>" in text
    assert "Fri 27 Feb" in text  # the held session, in alice's own timezone


@pytest.mark.parametrize("missing", list(GOOD))
def test_each_missing_part_gets_an_inline_error_and_nothing_is_stored(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, missing: str
) -> None:
    make_pair(engine)
    view = _open_modal(bot, slack)
    answer = bot.submit(view, {**GOOD, missing: ""}, user_id=MENTEE).json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [missing]
    assert _feedback(engine) == []
    assert slack.calls_to("chat.postMessage") == []


def test_all_problems_show_at_once_with_reasons(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine)
    view = _open_modal(bot, slack)
    answer = bot.submit(
        view,
        {
            BlockId.FEEDBACK_WENT_WELL: "",
            BlockId.FEEDBACK_NEEDS_CHANGE: "faster",
            BlockId.FEEDBACK_NEXT_ACTION: "x" * 1001,
        },
        user_id=MENTEE,
    ).json()
    errors = answer["errors"]
    assert "what to keep doing" in errors[BlockId.FEEDBACK_WENT_WELL]
    assert "at least 10 characters" in errors[BlockId.FEEDBACK_NEEDS_CHANGE]
    assert "1000 characters; this has 1001" in errors[BlockId.FEEDBACK_NEXT_ACTION]
    assert _feedback(engine) == []


def test_valid_feedback_is_stored_and_sent_to_the_partner(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    pair = make_pair(engine)
    view = _open_modal(bot, slack)
    answer = bot.submit(view, GOOD, user_id=MENTEE).json()
    assert answer["response_action"] == "update"
    assert_valid_view(answer["view"], surface="modal")
    assert "<@U0002>" in json.dumps(answer["view"])
    [row] = _feedback(engine)
    assert (row.pairing_id, row.meeting_id, row.from_user_id) == (
        pair.pairing_id,
        pair.meeting_id,
        MENTEE,
    )
    assert row.needs_change == GOOD[BlockId.FEEDBACK_NEEDS_CHANGE]
    [dm] = slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == slack.dm_channel_id(MENTOR)
    assert_valid_view(dm.params, surface="message")
    text = json.dumps(dm.params, ensure_ascii=False)
    assert "<@U0001> gave you feedback" in text
    assert "Fri 27 Feb" in text  # bob reads the date in New York time
    for part in GOOD.values():
        assert str(part) in text


def test_resubmitting_edits_the_same_feedback(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine)
    bot.submit(_open_modal(bot, slack), GOOD, user_id=MENTEE)
    slack.wait_for("chat.postMessage")
    view = _open_modal(bot, slack)
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    prefilled = {b["block_id"]: b["element"].get("initial_value") for b in inputs}
    assert prefilled[BlockId.FEEDBACK_WENT_WELL] == GOOD[BlockId.FEEDBACK_WENT_WELL]
    changed = {**GOOD, BlockId.FEEDBACK_NEXT_ACTION: "Book a dry run with your manager."}
    bot.submit(view, changed, user_id=MENTEE)
    [row] = _feedback(engine)
    assert row.next_action == "Book a dry run with your manager."
    [dm] = slack.wait_for("chat.postMessage")
    assert "updated their feedback" in json.dumps(dm.params)


def test_the_button_on_a_session_opens_feedback_on_that_session(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    pair = make_pair(engine)
    bot.action(
        ActionId.FEEDBACK_OPEN,
        str(pair.meeting_id),
        user_id=MENTOR,
        trigger_id=slack.new_trigger_id(),
    )
    [opened] = slack.wait_for("views.open")
    view = opened.params["view"]
    assert_valid_view(view, surface="modal")
    assert "<@U0001>" in json.dumps(view)
    bot.submit(view, GOOD, user_id=MENTOR)
    [row] = _feedback(engine)
    assert (row.from_user_id, row.meeting_id) == (MENTOR, pair.meeting_id)
    [dm] = slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == slack.dm_channel_id(MENTEE)
    assert_valid_view(dm.params, surface="message")


def test_without_a_held_session_feedback_attaches_to_no_meeting(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine, meeting_status=MeetingStatus.SCHEDULED)
    view = _open_modal(bot, slack)
    assert "on your session of" not in json.dumps(view)
    bot.submit(view, GOOD, user_id=MENTEE)
    [row] = _feedback(engine)
    assert row.meeting_id is None


def test_a_third_person_cannot_give_feedback_on_the_pairs_session(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    pair = make_pair(engine)
    slack.add_user(OUTSIDER, name="carol", real_name="Carol Third", tz="UTC")
    answer = bot.ask("feedback", user_id=OUTSIDER)
    assert "not in a mentoring pair" in answer["text"]
    bot.action(
        ActionId.FEEDBACK_OPEN,
        str(pair.meeting_id),
        user_id=OUTSIDER,
        trigger_id=slack.new_trigger_id(),
    )
    refusal = slack.wait_for("response_url", count=2)[-1]
    assert "another mentoring pair" in refusal.params["text"]
    assert_valid_view(refusal.params, surface="message")
    assert slack.calls_to("views.open") == []
    forged = {
        "type": "modal",
        "callback_id": "feedback_modal",
        "private_metadata": json.dumps(
            {"pairing_id": pair.pairing_id, "meeting_id": pair.meeting_id}
        ),
        "blocks": [
            {
                "type": "input",
                "block_id": block_id,
                "label": {"type": "plain_text", "text": "Part"},
                "element": {"type": "plain_text_input", "action_id": "input"},
            }
            for block_id in GOOD
        ],
    }
    refused = bot.submit(forged, GOOD, user_id=OUTSIDER).json()
    assert refused["response_action"] == "errors"
    assert "another mentoring pair" in refused["errors"][BlockId.FEEDBACK_WENT_WELL]
    assert _feedback(engine) == []
    assert slack.calls_to("chat.postMessage") == []


def test_feedback_stats_count_feedback_that_skipped_the_hard_part(engine: Engine) -> None:
    pair = make_pair(engine)
    other = make_pair_in_second_program(engine)
    with session_scope(engine) as session:
        for pairing_id, change in (
            (pair.pairing_id, "Start with the stakeholder map next time."),
            (pair.pairing_id, "Nothing really, all good!"),
            (pair.pairing_id, "  Nothing to change.  "),
            (other, "Keep it up"),
        ):
            session.add(
                Feedback(
                    team_id=TEAM,
                    pairing_id=pairing_id,
                    from_user_id=MENTOR,
                    went_well="Clear question and a plan.",
                    needs_change=change,
                    next_action="Send the map by Thursday.",
                )
            )
    with session_scope(engine) as session:
        stats = feedback_stats(session, pairing_ids=[pair.pairing_id, other, 999])
    assert set(stats) == {pair.pairing_id, other}
    assert (stats[pair.pairing_id].count, stats[pair.pairing_id].with_needs_change) == (3, 1)
    assert stats[other].without_needs_change == 1
    assert is_trivial_change("Nothing really, all good!")
    assert not is_trivial_change("Nothing beats preparation: bring the draft earlier.")


def make_pair_in_second_program(engine: Engine) -> int:
    """Another pairing (a second program, same people) for aggregate tests."""
    with session_scope(engine) as session:
        first = session.exec(select(Pairing)).first()
        assert first is not None
        program = Program(
            team_id=TEAM,
            name="Autumn cohort",
            status=ProgramStatus.ACTIVE,
            start_date=date(2026, 2, 1),
            competencies=COMPETENCIES,
            created_by="UADMIN",
        )
        session.add(program)
        session.flush()
        assert program.id is not None
        pairing = Pairing(
            team_id=TEAM,
            program_id=program.id,
            mentor_id=first.mentor_id,
            mentee_id=first.mentee_id,
            mentor_user_id=MENTOR,
            mentee_user_id=MENTEE,
            status=PairingStatus.ACTIVE,
        )
        session.add(pairing)
        session.flush()
        assert pairing.id is not None
        return pairing.id
