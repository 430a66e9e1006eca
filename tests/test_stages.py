"""A pair's own controls through signed requests: moving the stage by hand, pausing one pairing."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.deps import Deps
from bot.ids import BlockId
from bot.sandbox.slack_double import SlackDouble
from bot.services.pair_state import resume_due_pairings
from bot.services.stages import PairEvent, note_event_for_program
from scheduler.delivery import Deliverer, Pacer, settle
from storage.db import session_scope
from storage.enums import DeliveryStatus, PairingStatus, ParticipantStatus, Stage
from storage.models import Delivery, Pairing, Participant
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot, eventually
from tests.pairs import MENTEE, MENTOR, OUTSIDER, Pair, make_pair, pairing_row, posts, text_of


@pytest.fixture
def pair(engine: Engine, slack: SlackDouble) -> Pair:
    """Bob mentors Alice; they are demonstrating."""
    return make_pair(engine, slack, stage=Stage.DEMONSTRATION)


def _ack(bot: SlackToBot, text: str, user_id: str) -> dict[str, Any]:
    """The private answer to ``/mentor <text>``, checked against Block Kit."""
    body = bot.ask(text, user_id=user_id)
    assert_valid_view({k: body[k] for k in ("text", "blocks")}, surface="message")
    return body


def _select(
    bot: SlackToBot, slack: SlackDouble, picker: dict[str, Any], stage: str, user_id: str
) -> dict[str, Any]:
    """Pick ``stage`` in the (ephemeral) picker's select, as Slack reports it; returns what the
    bot posted to the click's response_url."""
    [block] = [b for b in picker["blocks"] if b.get("block_id") == BlockId.STAGE_PICK]
    select = block["accessory"]
    [option] = [o for o in select["options"] if o["value"].endswith(f":{stage}")]
    url = slack.new_response_url()
    response = bot.action(
        select["action_id"],
        None,
        user_id=user_id,
        block_id=BlockId.STAGE_PICK,
        action_type="static_select",
        action_fields={"selected_option": option},
        container={
            "type": "message",
            "message_ts": "1.2",
            "channel_id": "C1",
            "is_ephemeral": True,
        },
        response_url=url,
    )
    assert response.status == 200
    return bot.answer_to(url)


def test_stage_is_shown_and_moved_forward_and_back_with_the_partner_told(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    picker = _ack(bot, "stage", MENTEE)
    text = text_of(picker)
    assert "*Demonstration*" in text
    assert "Independent* to *Guided practice*" in text  # the step-back hint
    [block] = [b for b in picker["blocks"] if b.get("block_id") == BlockId.STAGE_PICK]
    values = [o["value"].split(":")[1] for o in block["accessory"]["options"]]
    assert "graduated" not in values
    assert values[0] == "rapport"
    assert block["accessory"]["initial_option"]["value"] == f"{pair.pairing_id}:demonstration"

    refreshed = _select(bot, slack, picker, "independent", MENTEE)
    assert refreshed["replace_original"] is True
    assert "on to *Independent*" in text_of(refreshed)
    assert f"A note to <@{MENTOR}> is on its way" in text_of(refreshed)
    assert_valid_view({k: refreshed[k] for k in ("text", "blocks")}, surface="message")
    assert pairing_row(engine, pair.pairing_id).stage is Stage.INDEPENDENT
    slack.wait_for("chat.postMessage")
    [told] = posts(slack, MENTOR)
    assert f"<@{MENTEE}> moved your pairing in *Spring cohort* on to *Independent*" in told["text"]

    # New, complex ground: the mentor steps back a stage by name.
    moved = _ack(bot, f"stage <@{MENTEE}|alice> guided practice", MENTOR)
    assert "back to *Guided practice* (from Independent)" in moved["text"]
    assert pairing_row(engine, pair.pairing_id).stage is Stage.GUIDED_PRACTICE
    slack.wait_for("chat.postMessage", count=2)
    [back] = posts(slack, MENTEE)
    assert f"<@{MENTOR}> moved your pairing" in back["text"]
    assert "back to *Guided practice*" in back["text"]

    # The stage's value works as well as its name.
    _ack(bot, "stage role_play", MENTEE)
    assert pairing_row(engine, pair.pairing_id).stage is Stage.ROLE_PLAY


def test_unknown_or_graduated_stage_names_get_a_clear_message(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    unknown = _ack(bot, "stage flying solo", MENTEE)
    assert "I don't know the stage *flying solo*" in unknown["text"]
    assert "`guided_practice`" in unknown["text"]
    assert "`graduated`" not in unknown["text"]
    graduated = _ack(bot, "stage graduated", MENTEE)
    assert "/mentor graduate" in graduated["text"]
    same = _ack(bot, "stage demonstration", MENTEE)
    assert "already at *Demonstration*" in same["text"]
    assert pairing_row(engine, pair.pairing_id).stage is Stage.DEMONSTRATION
    assert slack.calls_to("chat.postMessage") == []


def test_someone_outside_the_pair_can_neither_see_nor_move_its_stage(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    assert "not in a mentoring pair" in _ack(bot, "stage", OUTSIDER)["text"]
    assert "not in a mentoring pair" in _ack(bot, "stage independent", OUTSIDER)["text"]
    picker = _ack(bot, "stage", MENTEE)
    refusal = _select(bot, slack, picker, "independent", OUTSIDER)
    assert "another mentoring pair" in refusal["text"]
    assert refusal["replace_original"] is False
    assert pairing_row(engine, pair.pairing_id).stage is Stage.DEMONSTRATION
    assert slack.calls_to("chat.postMessage") == []


def test_one_pairing_is_paused_and_resumed_by_mentioning_the_partner(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    paused = _ack(bot, f"pause <@{MENTOR}|bob> until 2026-03-20", MENTEE)
    assert "Paused your pairing with <@U0002>" in paused["text"]
    assert "until Friday 20 March" in paused["text"]
    row = pairing_row(engine, pair.pairing_id)
    assert row.status is PairingStatus.PAUSED
    # Midnight at the start of that day in Alice's Berlin (UTC+1 in March).
    assert row.paused_until == datetime(2026, 3, 19, 23, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        people = session.exec(select(Participant)).all()
        assert {p.status for p in people} == {ParticipantStatus.ACTIVE}  # only the pairing
    slack.wait_for("chat.postMessage")
    [told] = posts(slack, MENTOR)
    assert f"<@{MENTEE}> paused your mentoring pairing" in told["text"]

    again = _ack(bot, f"pause <@{MENTOR}>", MENTEE)
    assert "already paused" in again["text"]

    resumed = _ack(bot, f"resume <@{MENTOR}>", MENTEE)
    assert "running again. A note to them is on its way." in resumed["text"]
    row = pairing_row(engine, pair.pairing_id)
    assert row.status is PairingStatus.ACTIVE
    assert row.paused_until is None
    slack.wait_for("chat.postMessage", count=2)
    assert f"<@{MENTEE}> resumed" in posts(slack, MENTOR)[-1]["text"]

    not_paused = _ack(bot, f"resume <@{MENTOR}>", MENTEE)
    assert "isn't paused" in not_paused["text"]


def _deliveries(engine: Engine, rule: str) -> list[Delivery]:
    with session_scope(engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.rule == rule)).all()
        return list(rows)


def _deliver_due(deps: Deps) -> None:
    """The scheduler's next delivery pass, once the delivery after the ack is idle: else the
    two race for the message, and the test may look while the other one still sends it."""
    assert settle(deps)
    Deliverer(deps, worker="test", pacer=Pacer(sleep=lambda _: None)).run()


@pytest.mark.parametrize("landed", [False, True], ids=["lost", "landed-but-500"])
def test_a_partner_pause_note_that_meets_a_500_is_retried_and_lands_once(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    pair: Pair,
    landed: bool,
) -> None:
    # ``landed``: Slack posted the note but answered 500, so the retry must find it, not repost.
    slack.fail_next("chat.postMessage", status=500, error="fatal_error", apply=landed)
    paused = _ack(bot, f"pause <@{MENTOR}> until 2026-03-20", MENTEE)
    assert "Paused your pairing" in paused["text"]
    slack.wait_for("chat.postMessage")
    assert eventually(
        lambda: (
            [(d.status, d.attempts) for d in _deliveries(engine, "pairing_paused")]
            == [(DeliveryStatus.PENDING, 1)]
        )
    )

    clock.advance(timedelta(minutes=1))
    _deliver_due(deps)
    _deliver_due(deps)

    [note] = slack.messages(slack.dm_channel_id(MENTOR))
    assert f"<@{MENTEE}> paused your mentoring pairing" in note["text"]
    assert [d.status for d in _deliveries(engine, "pairing_paused")] == [DeliveryStatus.SENT]
    assert len(slack.calls_to("chat.postMessage")) == (1 if landed else 2)
    assert slack.messages(slack.dm_channel_id(MENTEE)) == []  # Alice is told of no trouble


def test_a_stage_note_that_cannot_be_delivered_is_reported_to_the_mover(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps, pair: Pair
) -> None:
    slack.fail_next("chat.postMessage", error="account_inactive")
    moved = _ack(bot, "stage independent", MENTEE)
    assert f"A note to <@{MENTOR}> is on its way" in moved["text"]
    assert pairing_row(engine, pair.pairing_id).stage is Stage.INDEPENDENT  # the move stands
    assert eventually(
        lambda: [d.status for d in _deliveries(engine, "stage_moved")] == [DeliveryStatus.FAILED]
    )

    # The notice goes out with the failure's own delivery pass, or else with the next one.
    _deliver_due(deps)
    assert eventually(lambda: len(posts(slack, MENTEE)) == 1)
    [told] = posts(slack, MENTEE)
    assert told["text"] == (
        ":warning: I couldn't deliver the news that you moved your pairing's stage to "
        f"<@{MENTOR}>: <@{MENTOR}>'s account has been deactivated."
    )
    assert slack.messages(slack.dm_channel_id(MENTOR)) == []


def test_bad_pause_dates_and_outsiders_change_nothing(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    assert (
        "couldn't read *soonish*" in _ack(bot, f"pause <@{MENTOR}> until soonish", MENTEE)["text"]
    )
    assert "after today" in _ack(bot, f"pause <@{MENTOR}> until 2026-03-01", MENTEE)["text"]
    assert "6 months at most" in _ack(bot, f"pause <@{MENTOR}> until 2027-03-01", MENTEE)["text"]
    outsider = _ack(bot, f"pause <@{MENTOR}>", OUTSIDER)
    assert "not in a mentoring pair" in outsider["text"]
    assert pairing_row(engine, pair.pairing_id).status is PairingStatus.ACTIVE
    assert slack.calls_to("chat.postMessage") == []


def test_an_open_ended_pause_lasts_until_resumed_and_a_dated_one_ends_on_its_day(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pair: Pair
) -> None:
    assert "until one of you resumes it" in _ack(bot, f"pause <@{MENTEE}>", MENTOR)["text"]
    clock.advance(timedelta(days=200))
    with session_scope(engine) as session:
        assert resume_due_pairings(session, now=clock()) == []
    assert pairing_row(engine, pair.pairing_id).status is PairingStatus.PAUSED

    _ack(bot, f"resume <@{MENTEE}>", MENTOR)
    clock.current = datetime(2026, 3, 2, 9, tzinfo=UTC)
    _ack(bot, f"pause <@{MENTEE}> until 2026-03-10", MENTOR)
    clock.current = datetime(2026, 3, 10, 5, 30, tzinfo=UTC)  # Bob's midnight in New York
    with session_scope(engine) as session:
        [change] = resume_due_pairings(session, now=clock())
    assert change.actor_user_id is None
    assert not change.paused
    assert pairing_row(engine, pair.pairing_id).status is PairingStatus.ACTIVE


def test_a_program_event_moves_only_the_pairs_behind_it(engine: Engine, slack: SlackDouble) -> None:
    behind = make_pair(engine, slack, stage=Stage.GUIDED_PRACTICE)
    first = pairing_row(engine, behind.pairing_id)
    program_id = first.program_id
    others = {}
    with session_scope(engine) as session:
        # The same two people in two more pairings of the program: one already concluding, one
        # that ended early (not running, so left as it was).
        for stage, status in (
            (Stage.CONCLUDING, PairingStatus.ACTIVE),
            (Stage.RAPPORT, PairingStatus.ENDED),
        ):
            other = Pairing.model_validate(
                first.model_dump(exclude={"id"}) | {"stage": stage, "status": status}
            )
            session.add(other)
            session.flush()
            others[other.id or 0] = stage
    with session_scope(engine) as session:
        moved = note_event_for_program(
            session, program_id=program_id, event=PairEvent.FINAL_SURVEY_DUE
        )
        again = note_event_for_program(
            session, program_id=program_id, event=PairEvent.FINAL_SURVEY_DUE
        )
    assert (moved, again) == (1, 0)
    assert pairing_row(engine, behind.pairing_id).stage is Stage.CONCLUDING
    assert {pid: pairing_row(engine, pid).stage for pid in others} == others
    with session_scope(engine) as session, pytest.raises(ValueError, match="note_event"):
        note_event_for_program(session, program_id=program_id, event=PairEvent.SESSION_SCHEDULED)
