"""Feedback from outside the program: asked, answered, shared, declined and expired.

Alice (U0001, the mentee) asks Dana (U0005), a colleague outside the program; Bob (U0002) is her
mentor and Carol (U0003) someone else.
"""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.deps import Deps
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox.slack_double import SlackDouble
from scheduler.delivery import Deliverer, Pacer
from scheduler.jobs import expire_outside_feedback
from storage.db import session_scope
from storage.enums import DeliveryStatus, OutsideFeedbackStatus
from storage.models import Delivery, OutsideFeedbackRequest
from tests.conftest import FrozenClock
from tests.harness import Response, SlackToBot
from tests.pairs import AGREED_GOAL, MENTEE, MENTOR, OUTSIDER, Pair, make_pair, posts
from tests.test_plans import ephemeral, new_view, submit, text, values

COLLEAGUE = "U0005"
ASK = f"ask-feedback <@{COLLEAGUE}|dana> How did my roadmap review land?"


@pytest.fixture
def pair(engine: Engine, slack: SlackDouble) -> Pair:
    """Bob mentors Alice; Dana works with Alice but is not in the program."""
    slack.add_user(COLLEAGUE, name="dana", real_name="Dana Colleague", tz="Asia/Tokyo")
    return make_pair(engine, slack)


def requests(engine: Engine) -> list[OutsideFeedbackRequest]:
    """Every stored request."""
    with session_scope(engine) as session:
        return list(
            session.exec(select(OutsideFeedbackRequest).order_by(col(OutsideFeedbackRequest.id)))
        )


def ask(
    bot: SlackToBot, slack: SlackDouble, answers: dict[str, Any] | None = None, command: str = ASK
) -> Response:
    """The mentee asks Dana through the command and its modal; returns the modal's answer."""
    view = new_view(slack, "views.open", lambda: bot.command(command, user_id=MENTEE))
    assert view["callback_id"] == CallbackId.OUTSIDE_FEEDBACK_ASK
    return submit(bot, view, answers or {}, MENTEE)


def dm_click(
    bot: SlackToBot, slack: SlackDouble, user: str, action_id: str, value: str
) -> Response:
    """Click a button of the bot's last DM to ``user`` (a forged click when they have none)."""
    channel = slack.dm_channel_id(user)
    messages = slack.messages(channel)
    if not messages:
        return bot.action(action_id, value, user_id=user, trigger_id=slack.new_trigger_id())
    message = messages[-1]
    return bot.action(
        action_id,
        value,
        user_id=user,
        trigger_id=slack.new_trigger_id(),
        container={
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": False,
        },
        channel_id=channel,
        message=message,
    )


def requested(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> OutsideFeedbackRequest:
    """Alice asks Dana about her agreed goal; returns the stored request."""
    answer = ask(bot, slack, {BlockId.OUTSIDE_FEEDBACK_GOAL: str(pair.agreed_goal_id)}).json()
    assert answer["response_action"] == "update"
    slack.wait_for("chat.postMessage")
    [request] = requests(engine)
    return request


# --- asked and answered --------------------------------------------------------------------------


def test_a_colleague_answers_and_only_the_mentee_gets_it_until_shared(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pair: Pair
) -> None:
    view = new_view(slack, "views.open", lambda: bot.command(ASK, user_id=MENTEE))
    assert "How did my roadmap review land?" in text(view)
    assert str(pair.agreed_goal_id) in text(view)
    answer = submit(
        bot, view, {BlockId.OUTSIDE_FEEDBACK_GOAL: str(pair.agreed_goal_id)}, MENTEE
    ).json()
    assert answer["response_action"] == "update"
    assert "I've asked <@U0005>" in text(answer["view"])
    [request] = requests(engine)
    assert (request.status, request.requester_user_id, request.colleague_user_id) == (
        OutsideFeedbackStatus.OPEN,
        MENTEE,
        COLLEAGUE,
    )
    assert (request.pairing_id, request.goal_id) == (pair.pairing_id, pair.agreed_goal_id)
    assert request.question == "How did my roadmap review land?"
    assert request.expires_at == clock.current + timedelta(days=14)

    slack.wait_for("chat.postMessage")  # the DM goes out after the modal's answer
    [dm] = posts(slack, COLLEAGUE)
    assert "<@U0001> would value your feedback" in text(dm)
    assert "How did my roadmap review land?" in text(dm)
    assert values(dm, ActionId.OUTSIDE_FEEDBACK_GIVE) == [str(request.id)]

    form = new_view(
        slack,
        "views.open",
        lambda: dm_click(bot, slack, COLLEAGUE, ActionId.OUTSIDE_FEEDBACK_GIVE, str(request.id)),
    )
    assert form["callback_id"] == CallbackId.OUTSIDE_FEEDBACK
    assert AGREED_GOAL in text(form)
    sent = submit(
        bot,
        form,
        {
            BlockId.OUTSIDE_FEEDBACK_DOES_WELL: "You kept the directors on the decisions.",
            BlockId.OUTSIDE_FEEDBACK_TO_CHANGE: "Send the pre-read a day earlier.",
            BlockId.OUTSIDE_FEEDBACK_RATING: "4",
        },
        COLLEAGUE,
    )
    assert sent.body == ""
    [request] = requests(engine)
    assert (request.status, request.rating, request.answered_at) == (
        OutsideFeedbackStatus.ANSWERED,
        4,
        clock.current,
    )
    assert request.to_change == "Send the pre-read a day earlier."

    [answer_dm] = slack.wait_for("chat.postMessage", 2)[1:]
    assert answer_dm.params["channel"] == MENTEE
    [mentee_dm] = posts(slack, MENTEE)
    assert "Send the pre-read a day earlier." in text(mentee_dm)
    assert "4 · strong" in text(mentee_dm)
    # Dana's DM no longer offers buttons; the mentor and anyone else got nothing.
    [closed] = slack.wait_for("chat.update")
    assert "Your feedback went to <@U0001>" in text(closed.params)
    assert posts(slack, MENTOR) == []
    assert posts(slack, OUTSIDER) == []

    share = values(mentee_dm, ActionId.OUTSIDE_FEEDBACK_SHARE)
    assert share == [str(request.id)]
    assert dm_click(bot, slack, MENTEE, ActionId.OUTSIDE_FEEDBACK_SHARE, share[0]).status == 200
    [shared] = slack.wait_for("chat.postMessage", 3)[2:]
    assert shared.params["channel"] == MENTOR
    assert "<@U0001> shared feedback they asked <@U0005> for" in text(posts(slack, MENTOR))
    assert "Send the pre-read a day earlier." in text(posts(slack, MENTOR))
    [request] = requests(engine)
    assert request.shared_with_mentor

    # Sharing twice sends nothing more; nobody but the mentee can share it.
    dm_click(bot, slack, MENTEE, ActionId.OUTSIDE_FEEDBACK_SHARE, share[0])
    dm_click(bot, slack, OUTSIDER, ActionId.OUTSIDE_FEEDBACK_SHARE, share[0])
    slack.wait_for("response_url", 2)
    assert len(posts(slack, MENTOR)) == 1


# --- refused requests ----------------------------------------------------------------------------


def test_who_can_be_asked_and_how_often(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    for command, problem in [
        ("ask-feedback", "Name who to ask"),
        ("ask-feedback dana", "Name who to ask"),
        ("ask-feedback <@U0001|alice>", "can't give yourself outside feedback"),
        ("ask-feedback <@U0002|bob> hi", "is your mentor"),
    ]:
        assert problem in text(ephemeral(bot.command(command, user_id=MENTEE))), command
    mentor_asks = ephemeral(bot.command(f"ask-feedback <@{COLLEAGUE}>", user_id=MENTOR))
    assert "Only a mentee asks" in text(mentor_asks)
    assert slack.calls_to("views.open") == []

    ask(bot, slack)
    slack.wait_for("chat.postMessage")
    again = ephemeral(bot.command(ASK, user_id=MENTEE))
    assert "already have an open request with <@U0005>" in text(again)
    assert len(requests(engine)) == 1
    [request] = requests(engine)
    assert request.goal_id is None

    # Someone else can't answer it; empty answers are inline errors and store nothing.
    dm_click(bot, slack, OUTSIDER, ActionId.OUTSIDE_FEEDBACK_GIVE, str(request.id))
    [refusal] = slack.wait_for("response_url")
    assert "sent to someone else" in text(refusal.params)
    opened = len(slack.calls_to("views.open"))
    form = new_view(
        slack,
        "views.open",
        lambda: dm_click(bot, slack, COLLEAGUE, ActionId.OUTSIDE_FEEDBACK_GIVE, str(request.id)),
    )
    assert len(slack.calls_to("views.open")) == opened + 1
    assert BlockId.OUTSIDE_FEEDBACK_RATING not in text(form)  # no goal was chosen to rate
    errors = submit(bot, form, {BlockId.OUTSIDE_FEEDBACK_DOES_WELL: " "}, COLLEAGUE).json()[
        "errors"
    ]
    assert set(errors) == {BlockId.OUTSIDE_FEEDBACK_DOES_WELL, BlockId.OUTSIDE_FEEDBACK_TO_CHANGE}
    forged = submit(
        bot,
        form,
        {BlockId.OUTSIDE_FEEDBACK_DOES_WELL: "x", BlockId.OUTSIDE_FEEDBACK_TO_CHANGE: "y"},
        OUTSIDER,
    ).json()
    assert "sent to someone else" in forged["errors"][BlockId.OUTSIDE_FEEDBACK_DOES_WELL]
    [request] = requests(engine)
    assert (request.status, request.does_well) == (OutsideFeedbackStatus.OPEN, "")


# --- declined -------------------------------------------------------------------------------------


def test_a_colleague_declines_and_the_mentee_is_told_politely(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    request = requested(bot, slack, engine, pair)
    assert (
        dm_click(bot, slack, COLLEAGUE, ActionId.OUTSIDE_FEEDBACK_DECLINE, str(request.id)).status
        == 200
    )
    [told] = slack.wait_for("chat.postMessage", 2)[1:]
    assert told.params["channel"] == MENTEE
    assert "can't give feedback this time, and that's fine" in text(posts(slack, MENTEE))
    [closed] = slack.wait_for("chat.update")
    assert "You declined" in text(closed.params)
    [request] = requests(engine)
    assert request.status is OutsideFeedbackStatus.DECLINED
    # The old DM's button no longer works; the mentee may ask again.
    dm_click(bot, slack, COLLEAGUE, ActionId.OUTSIDE_FEEDBACK_GIVE, str(request.id))
    [refusal] = slack.wait_for("response_url")
    assert "You declined this request" in text(refusal.params)
    ask(bot, slack)
    assert [r.status for r in requests(engine)] == [
        OutsideFeedbackStatus.DECLINED,
        OutsideFeedbackStatus.OPEN,
    ]


# --- expired -----------------------------------------------------------------------------------


def test_requests_expire_after_14_days_and_the_mentee_hears_once(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    clock: FrozenClock,
    deps: Deps,
    pair: Pair,
) -> None:
    request = requested(bot, slack, engine, pair)
    clock.advance(timedelta(days=13, hours=23))
    expire_outside_feedback(deps)
    assert requests(engine)[0].status is OutsideFeedbackStatus.OPEN

    clock.advance(timedelta(hours=2))
    # Past its 14 days the button refuses even before the job has run.
    dm_click(bot, slack, COLLEAGUE, ActionId.OUTSIDE_FEEDBACK_GIVE, str(request.id))
    [refusal] = slack.wait_for("response_url")
    assert "This request has expired" in text(refusal.params)

    expire_outside_feedback(deps)
    expire_outside_feedback(deps)  # a second run (or process) changes nothing
    assert requests(engine)[0].status is OutsideFeedbackStatus.EXPIRED
    with session_scope(engine) as session:
        [delivery] = session.exec(select(Delivery)).all()
        assert (delivery.rule, delivery.recipient_id, delivery.status) == (
            "outside_feedback_expired",
            MENTEE,
            DeliveryStatus.PENDING,
        )
    Deliverer(deps, worker="test", pacer=Pacer(sleep=lambda _: None)).run()
    # The outbox posts into the DM it opened with the mentee.
    [expired] = posts(slack, slack.dm_channel_id(MENTEE))
    assert "Your feedback request to <@U0005> expired after 14 days" in text(expired)
    # Expired, the colleague can be asked again.
    ask(bot, slack)
    assert [r.status for r in requests(engine)] == [
        OutsideFeedbackStatus.EXPIRED,
        OutsideFeedbackStatus.OPEN,
    ]


def test_a_request_slack_cannot_deliver_is_withdrawn(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    slack.fail_next("chat.postMessage", error="cannot_dm_bot")
    ask(bot, slack)
    [notice] = slack.wait_for("chat.postMessage", 2)[1:]
    assert notice.params["channel"] == MENTEE
    assert "withdrew your feedback request" in text(notice.params)
    assert requests(engine) == []
