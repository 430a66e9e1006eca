"""Post-session scorecards as the mentee lives them: one DM, a tap per rating, low-score nudges."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.deps import Deps
from bot.ids import ActionId, BlockId
from bot.sandbox.slack_double import SlackDouble
from bot.services.scorecards import (
    ScorecardFor,
    ensure_scorecards,
    low_score_dimensions,
    scorecard_trends,
)
from scheduler import outbox
from scheduler.delivery import Deliverer, Pacer, deliver_soon
from scheduler.rules import scorecard_prompt_now
from storage.db import session_scope
from storage.enums import AgendaSource, DeliveryStatus, MeetingStatus
from storage.models import AgendaItem, Delivery, Meeting, Scorecard
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot, eventually
from tests.test_feedback import MENTEE, MENTOR, OUTSIDER, TEAM, Pair, dm_click, make_pair

PREFIXES = {
    "clarity": ActionId.SCORECARD_CLARITY_PREFIX,
    "energy": ActionId.SCORECARD_ENERGY_PREFIX,
    "confidence": ActionId.SCORECARD_CONFIDENCE_PREFIX,
}
NEXT_SESSION = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)


def _ask(deps: Deps, *, team_id: str, meeting_id: int) -> None:
    """Ask for the scorecard prompt as logging a session does, and wait for the outbox's pass."""
    tz = deps.directory.tz(team_id=team_id, user_id=MENTEE)
    with deps.session() as session:
        planned = scorecard_prompt_now(
            session, team_id=team_id, meeting_id=meeting_id, tz=tz, now=deps.now()
        )
        if planned is not None:
            outbox.enqueue(session, [planned], now=deps.now())
    deliver_soon(deps).result(timeout=10)


def _delivered(engine: Engine) -> bool:
    """Whether the outbox has nothing left to send (what a tap queued has gone out)."""
    waiting = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    with session_scope(engine) as session:
        rows = session.exec(select(Delivery)).all()
    return all(row.status not in waiting for row in rows)


def _scorecards(engine: Engine) -> list[Scorecard]:
    with session_scope(engine) as session:
        return list(session.exec(select(Scorecard).order_by(Scorecard.id)))  # type: ignore[arg-type]


def _agenda(engine: Engine) -> list[AgendaItem]:
    with session_scope(engine) as session:
        return list(session.exec(select(AgendaItem).order_by(AgendaItem.id)))  # type: ignore[arg-type]


def _held_meeting(engine: Engine, pair: Pair, held_at: datetime) -> int:
    with session_scope(engine) as session:
        meeting = Meeting(
            team_id=TEAM,
            pairing_id=pair.pairing_id,
            status=MeetingStatus.HELD,
            scheduled_start=held_at,
            held_at=held_at,
            minutes_held=60,
        )
        session.add(meeting)
        session.flush()
        assert meeting.id is not None
        return meeting.id


def _scheduled_meeting(engine: Engine, pair: Pair) -> int:
    with session_scope(engine) as session:
        meeting = Meeting(
            team_id=TEAM,
            pairing_id=pair.pairing_id,
            status=MeetingStatus.SCHEDULED,
            scheduled_start=NEXT_SESSION,
        )
        session.add(meeting)
        session.flush()
        assert meeting.id is not None
        return meeting.id


def _prompt(slack: SlackDouble) -> dict[str, Any]:
    """The latest message in alice's DM."""
    message: dict[str, Any] = slack.messages(slack.dm_channel_id(MENTEE))[-1]
    return message


def _tap(
    bot: SlackToBot,
    slack: SlackDouble,
    scorecard_id: int,
    dimension: str,
    score: int,
    *,
    user_id: str = MENTEE,
    ts: str | None = None,
) -> None:
    dm_click(
        bot,
        slack,
        f"{PREFIXES[dimension]}{score}",
        f"{scorecard_id}:{score}",
        user_id=user_id,
        dm_of=MENTEE,
        ts=ts,
    )


def _rate(
    bot: SlackToBot,
    slack: SlackDouble,
    deps: Deps,
    engine: Engine,
    pair: Pair,
    ratings: tuple[int, int, int],
    held_at: datetime,
) -> int:
    """Log a held session, send its prompt and tap the three ratings; returns the scorecard id."""
    meeting_id = _held_meeting(engine, pair, held_at)
    _ask(deps, team_id=TEAM, meeting_id=meeting_id)
    card = next(c for c in _scorecards(engine) if c.meeting_id == meeting_id)
    assert card.id is not None
    ts = _prompt(slack)["ts"]
    updates = len(slack.calls_to("chat.update"))
    for dimension, score in zip(("clarity", "energy", "confidence"), ratings, strict=True):
        _tap(bot, slack, card.id, dimension, score, ts=ts)
        updates += 1
        slack.wait_for("chat.update", count=updates)
    # A suggestion the last tap raised goes through the outbox, after the redraw.
    assert eventually(lambda: _delivered(engine))
    return card.id


def _suggestions(slack: SlackDouble) -> list[dict[str, Any]]:
    return [
        m
        for m in slack.messages(slack.dm_channel_id(MENTEE))
        # answered suggestions keep the question, so they still count
        if "Raise it at your next session?" in json.dumps(m.get("blocks", []))
    ]


def test_the_prompt_is_sent_once_however_often_it_is_asked_for(
    slack: SlackDouble, deps: Deps, engine: Engine
) -> None:
    pair = make_pair(engine)
    assert pair.meeting_id is not None
    _ask(deps, team_id=TEAM, meeting_id=pair.meeting_id)
    _ask(deps, team_id=TEAM, meeting_id=pair.meeting_id)
    [dm] = slack.calls_to("chat.postMessage")
    assert dm.params["channel"] == slack.dm_channel_id(MENTEE)
    assert_valid_view(dm.params, surface="message")
    [card] = _scorecards(engine)
    assert (card.meeting_id, card.mentee_user_id, card.completed_at) == (
        pair.meeting_id,
        MENTEE,
        None,
    )
    rows = [b for b in dm.params["blocks"] if b["type"] == "actions" and len(b["elements"]) == 10]
    assert [b["block_id"] for b in rows] == [
        BlockId.SCORECARD_CLARITY,
        BlockId.SCORECARD_ENERGY,
        BlockId.SCORECARD_CONFIDENCE,
    ]
    action_ids = [e["action_id"] for b in rows for e in b["elements"]]
    assert len(set(action_ids)) == 30
    assert rows[1]["elements"][4]["value"] == f"{card.id}:5"
    assert "<@U0002>" in json.dumps(dm.params)
    assert "Add a comment" in json.dumps(dm.params)


def test_no_prompt_for_a_session_that_was_not_held(
    slack: SlackDouble, deps: Deps, engine: Engine
) -> None:
    pair = make_pair(engine, meeting_status=MeetingStatus.CANCELLED)
    assert pair.meeting_id is not None
    _ask(deps, team_id=TEAM, meeting_id=pair.meeting_id)
    _ask(deps, team_id="TOTHER", meeting_id=pair.meeting_id)
    assert slack.calls_to("chat.postMessage") == []
    assert _scorecards(engine) == []


def test_a_failed_prompt_is_sent_by_the_retry(
    slack: SlackDouble, deps: Deps, engine: Engine, clock: FrozenClock
) -> None:
    pair = make_pair(engine)
    assert pair.meeting_id is not None
    slack.fail_next("chat.postMessage", retry_after=30)
    _ask(deps, team_id=TEAM, meeting_id=pair.meeting_id)
    assert slack.messages(slack.dm_channel_id(MENTEE)) == []
    _ask(deps, team_id=TEAM, meeting_id=pair.meeting_id)  # asking again changes nothing
    clock.advance(timedelta(seconds=31))  # the outbox honours Retry-After
    Deliverer(deps, worker="retry", pacer=Pacer(sleep=lambda _: None)).run()
    assert len(_scorecards(engine)) == 1
    assert len(slack.messages(slack.dm_channel_id(MENTEE))) == 1


def test_three_taps_store_the_ratings_and_update_the_message_in_place(
    bot: SlackToBot, slack: SlackDouble, deps: Deps, engine: Engine
) -> None:
    pair = make_pair(engine)
    assert pair.meeting_id is not None
    _ask(deps, team_id=TEAM, meeting_id=pair.meeting_id)
    [card] = _scorecards(engine)
    assert card.id is not None
    ts = _prompt(slack)["ts"]
    for count, (dimension, score) in enumerate(
        (("clarity", 7), ("energy", 8), ("confidence", 9)), start=1
    ):
        _tap(bot, slack, card.id, dimension, score, ts=ts)
        update = slack.wait_for("chat.update", count=count)[-1]
        assert update.params["ts"] == ts
        assert update.params["channel"] == slack.dm_channel_id(MENTEE)
        assert_valid_view(update.params, surface="message")
    [card] = _scorecards(engine)
    assert (card.clarity, card.energy, card.confidence) == (7, 8, 9)
    assert card.completed_at == deps.now()
    shown = _prompt(slack)
    chosen = {
        b["block_id"]: [e["text"]["text"] for e in b["elements"] if e.get("style") == "primary"]
        for b in shown["blocks"]
        if b["type"] == "actions" and len(b["elements"]) == 10
    }
    assert chosen == {
        BlockId.SCORECARD_CLARITY: ["7"],
        BlockId.SCORECARD_ENERGY: ["8"],
        BlockId.SCORECARD_CONFIDENCE: ["9"],
    }
    assert "Thank you!" in json.dumps(shown)
    assert _suggestions(slack) == []


def test_someone_other_than_the_mentee_cannot_rate(
    bot: SlackToBot, slack: SlackDouble, deps: Deps, engine: Engine
) -> None:
    pair = make_pair(engine)
    assert pair.meeting_id is not None
    slack.add_user(OUTSIDER, name="carol", real_name="Carol Third", tz="UTC")
    _ask(deps, team_id=TEAM, meeting_id=pair.meeting_id)
    [card] = _scorecards(engine)
    assert card.id is not None
    for intruder in (MENTOR, OUTSIDER):
        _tap(bot, slack, card.id, "clarity", 2, user_id=intruder)
    refusals = slack.wait_for("response_url", count=2)
    for refusal in refusals:
        assert "Only the mentee rates their sessions" in refusal.params["text"]
        assert_valid_view(refusal.params, surface="message")
    dm_click(bot, slack, ActionId.SCORECARD_COMMENT, str(card.id), user_id=MENTOR, dm_of=MENTEE)
    slack.wait_for("response_url", count=3)
    [card] = _scorecards(engine)
    assert (card.clarity, card.energy, card.confidence, card.comment) == (None, None, None, "")
    assert slack.calls_to("chat.update") == []
    assert slack.calls_to("views.open") == []


def test_the_optional_comment(
    bot: SlackToBot, slack: SlackDouble, deps: Deps, engine: Engine
) -> None:
    pair = make_pair(engine)
    assert pair.meeting_id is not None
    _ask(deps, team_id=TEAM, meeting_id=pair.meeting_id)
    [card] = _scorecards(engine)
    dm_click(bot, slack, ActionId.SCORECARD_COMMENT, str(card.id), user_id=MENTEE)
    [opened] = slack.wait_for("views.open")
    view = opened.params["view"]
    assert_valid_view(view, surface="modal")
    too_long = bot.submit(view, {BlockId.SCORECARD_COMMENT: "x" * 1001}, user_id=MENTEE).json()
    assert "1000 characters" in too_long["errors"][BlockId.SCORECARD_COMMENT]
    assert _scorecards(engine)[0].comment == ""
    stranger = bot.submit(view, {BlockId.SCORECARD_COMMENT: "Sneaky"}, user_id=MENTOR).json()
    assert "Only the mentee" in stranger["errors"][BlockId.SCORECARD_COMMENT]
    ok = bot.submit(view, {BlockId.SCORECARD_COMMENT: "More time on the plan, please."})
    assert ok.status == 200
    assert _scorecards(engine)[0].comment == "More time on the plan, please."
    [update] = slack.wait_for("chat.update")
    assert_valid_view(update.params, surface="message")
    assert "More time on the plan, please." in json.dumps(update.params)


@pytest.mark.parametrize(
    ("energies", "fires"),
    [
        ((5, 7, 5), True),  # two of three below 6
        ((8, 5, 3), True),  # the two latest
        ((6, 5, 6), False),  # 6 is not below 6: only one low
        ((5, 6, 8), False),  # only one low of three
        ((6, 6, 6), False),
    ],
)
def test_the_low_score_rule_fires_exactly_at_two_of_the_last_three(
    bot: SlackToBot,
    slack: SlackDouble,
    deps: Deps,
    engine: Engine,
    energies: tuple[int, int, int],
    fires: bool,
) -> None:
    pair = make_pair(engine, meeting_status=None)
    start = datetime(2026, 2, 9, 15, tzinfo=UTC)
    for week, energy in enumerate(energies):
        _rate(bot, slack, deps, engine, pair, (8, energy, 8), start + timedelta(weeks=week))
    with session_scope(engine) as session:
        low = low_score_dimensions(session, pairing_id=pair.pairing_id)
    assert low == (["energy"] if fires else [])
    suggestions = _suggestions(slack)
    assert len(suggestions) == (1 if fires else 0)
    # The suggestion is queued with the tap that completed the card, and sent once.
    with session_scope(engine) as session:
        queued = session.exec(select(Delivery).where(Delivery.rule == "low_score_suggestion")).all()
        assert [(row.status, row.recipient_id) for row in queued] == (
            [(DeliveryStatus.SENT, MENTEE)] if fires else []
        )
    if fires:
        assert_valid_view(suggestions[0], surface="message")
        assert suggestions[0]["text"] == (
            "Your energy after sessions was below 6 in two of your last three sessions. "
            "Raise it at your next session?"
        )


def test_add_to_agenda_puts_the_low_score_on_the_next_session(
    bot: SlackToBot, slack: SlackDouble, deps: Deps, engine: Engine
) -> None:
    pair = make_pair(engine, meeting_status=None)
    next_id = _scheduled_meeting(engine, pair)
    start = datetime(2026, 2, 9, 15, tzinfo=UTC)
    latest = 0
    for week, clarity in enumerate((4, 8, 5)):
        latest = _rate(
            bot, slack, deps, engine, pair, (clarity, 8, 8), start + timedelta(weeks=week)
        )
    [suggestion] = _suggestions(slack)
    buttons = next(b for b in suggestion["blocks"] if b["type"] == "actions")["elements"]
    value = buttons[0]["value"]
    assert value.startswith(f"{latest}:clarity:")
    dm_click(bot, slack, ActionId.SCORECARD_RAISE, value, user_id=OUTSIDER, dm_of=MENTEE)
    slack.wait_for("response_url")
    assert _agenda(engine) == []
    updates = len(slack.calls_to("chat.update"))
    dm_click(bot, slack, ActionId.SCORECARD_RAISE, value, user_id=MENTEE, ts=suggestion["ts"])
    update = slack.wait_for("chat.update", count=updates + 1)[-1]
    assert_valid_view(update.params, surface="message")
    assert "Added to the agenda of your session on Mon 9 Mar" in json.dumps(update.params)
    assert not [b for b in update.params["blocks"] if b["type"] == "actions"]
    [item] = _agenda(engine)
    assert (item.source, item.meeting_id, item.added_by, item.pairing_id) == (
        AgendaSource.SCORECARD,
        next_id,
        MENTEE,
        pair.pairing_id,
    )
    assert item.text.startswith("Clarity of direction after our sessions has been below 6")
    # A second click (or a second suggestion) never duplicates it.
    dm_click(bot, slack, ActionId.SCORECARD_RAISE, value, user_id=MENTEE, ts=suggestion["ts"])
    again = slack.wait_for("chat.update", count=updates + 2)[-1]
    assert "already on the agenda" in json.dumps(again.params)
    assert len(_agenda(engine)) == 1
    # The next low card in the same pattern does not ask again while the item is open.
    _rate(bot, slack, deps, engine, pair, (3, 8, 8), start + timedelta(weeks=3))
    assert len(_suggestions(slack)) == 1


def test_not_now_adds_nothing(
    bot: SlackToBot, slack: SlackDouble, deps: Deps, engine: Engine
) -> None:
    pair = make_pair(engine, meeting_status=None)
    start = datetime(2026, 2, 9, 15, tzinfo=UTC)
    for week in range(2):
        _rate(bot, slack, deps, engine, pair, (8, 8, 2), start + timedelta(weeks=week))
    [suggestion] = _suggestions(slack)
    assert suggestion["text"].startswith(
        "Your confidence in the next step was below 6 in both of your last two sessions."
    )
    value = next(b for b in suggestion["blocks"] if b["type"] == "actions")["elements"][1]["value"]
    updates = len(slack.calls_to("chat.update"))
    dm_click(bot, slack, ActionId.SCORECARD_NOT_NOW, value, user_id=MENTEE, ts=suggestion["ts"])
    update = slack.wait_for("chat.update", count=updates + 1)[-1]
    assert_valid_view(update.params, surface="message")
    assert "Not now" in update.params["text"]
    assert _agenda(engine) == []


def test_scorecard_trends_compare_the_latest_three_with_the_three_before(
    bot: SlackToBot, slack: SlackDouble, deps: Deps, engine: Engine
) -> None:
    pair = make_pair(engine, meeting_status=None)
    start = datetime(2026, 1, 5, 15, tzinfo=UTC)
    ratings = [(4, 4, 4), (5, 5, 5), (6, 6, 6), (7, 8, 9), (8, 8, 9), (9, 8, 9), (10, 10, 10)]
    for week, scores in enumerate(ratings):
        _rate(bot, slack, deps, engine, pair, scores, start + timedelta(weeks=week))
    with session_scope(engine) as session:
        trends = scorecard_trends(session, pairing_ids=[pair.pairing_id, 999])
    trend = trends[pair.pairing_id]
    assert set(trends) == {pair.pairing_id}
    assert trend.scorecards == 7
    assert trend.latest == {"clarity": 9.0, "energy": 8.67, "confidence": 9.33}
    assert trend.previous == {"clarity": 6.0, "energy": 6.33, "confidence": 6.67}
    assert trend.change("clarity") == 3.0


def test_planning_creates_many_cards_at_once_and_reuses_the_ones_there(
    slack: SlackDouble, deps: Deps, engine: Engine
) -> None:
    pair = make_pair(engine)
    assert pair.meeting_id is not None
    _ask(deps, team_id=TEAM, meeting_id=pair.meeting_id)  # logged: its card already exists
    [existing] = _scorecards(engine)
    later = _held_meeting(engine, pair, datetime(2026, 3, 9, 10, tzinfo=UTC))
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)

    def due(meeting_id: int) -> ScorecardFor:
        return ScorecardFor(
            team_id=TEAM,
            pairing_id=pair.pairing_id,
            meeting_id=meeting_id,
            mentee_user_id=MENTEE,
            mentor_user_id=MENTOR,
            session_start=start,
        )

    now = datetime(2026, 3, 10, 9, tzinfo=UTC)
    with session_scope(engine) as session:
        views = ensure_scorecards(session, [due(pair.meeting_id), due(later)], now=now)
    cards = {card.meeting_id: card for card in _scorecards(engine)}
    assert set(cards) == {pair.meeting_id, later}
    assert cards[pair.meeting_id].id == existing.id
    assert {(v.meeting_id, v.scorecard_id, v.mentor_user_id) for v in views} == {
        (m, cards[m].id, MENTOR) for m in cards
    }
    with session_scope(engine) as session:
        done = session.get(Scorecard, existing.id)
        assert done is not None
        done.completed_at = now
        session.add(done)
    with session_scope(engine) as session:
        again = ensure_scorecards(session, [due(pair.meeting_id), due(later)], now=now)
    assert [v.meeting_id for v in again] == [later]  # a rated session is not asked again
    assert len(_scorecards(engine)) == 2
