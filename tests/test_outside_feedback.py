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
from bot.services.outside_feedback import REQUEST_DM_RULE
from scheduler.jobs import expire_outside_feedback
from scheduler.outbox import OUTCOME_UNKNOWN
from storage.db import session_scope
from storage.enums import DeliveryStatus, OutsideFeedbackStatus
from storage.models import Delivery, Flag, OutsideFeedbackRequest
from tests.conftest import FrozenClock
from tests.harness import Response, SlackToBot
from tests.pairs import AGREED_GOAL, MENTEE, MENTOR, OUTSIDER, Pair, make_pair, posts
from tests.test_plans import deliver, ephemeral, new_view, settled, submit, text, values

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
    bot: SlackToBot,
    slack: SlackDouble,
    user: str,
    action_id: str,
    value: str,
    response_url: str | None = None,
) -> Response:
    """Click a button of the bot's last DM to ``user`` (a forged click when they have none)."""
    channel = slack.dm_channel_id(user)
    messages = slack.messages(channel)
    url = response_url or slack.new_response_url()
    if not messages:
        return bot.action(
            action_id, value, user_id=user, trigger_id=slack.new_trigger_id(), response_url=url
        )
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
        response_url=url,
    )


def refusal(bot: SlackToBot, slack: SlackDouble, user: str, action_id: str, value: str) -> str:
    """Click a DM button as ``user``; what the bot answered them privately."""
    url = slack.new_response_url()
    dm_click(bot, slack, user, action_id, value, response_url=url)
    return text(bot.answer_to(url))


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
    assert "Your feedback request to <@U0005> is on its way" in text(answer["view"])
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
    assert answer_dm.params["channel"] == slack.dm_channel_id(MENTEE)
    [mentee_dm] = posts(slack, MENTEE)
    assert "Send the pre-read a day earlier." in text(mentee_dm)
    assert "4 · strong" in text(mentee_dm)
    # Dana's DM no longer offers buttons; the mentor and anyone else got nothing.
    [closed] = slack.wait_for("chat.update")
    assert "Your feedback is on its way to <@U0001>" in text(closed.params)
    assert posts(slack, MENTOR) == []
    assert posts(slack, OUTSIDER) == []

    share = values(mentee_dm, ActionId.OUTSIDE_FEEDBACK_SHARE)
    assert share == [str(request.id)]
    assert dm_click(bot, slack, MENTEE, ActionId.OUTSIDE_FEEDBACK_SHARE, share[0]).status == 200
    [shared] = slack.wait_for("chat.postMessage", 3)[2:]
    assert shared.params["channel"] == slack.dm_channel_id(MENTOR)
    assert "<@U0001> shared feedback they asked <@U0005> for" in text(posts(slack, MENTOR))
    assert "Send the pre-read a day earlier." in text(posts(slack, MENTOR))
    [request] = requests(engine)
    assert request.shared_with_mentor

    # Sharing twice sends nothing more; nobody but the mentee can share it.
    again = refusal(bot, slack, MENTEE, ActionId.OUTSIDE_FEEDBACK_SHARE, share[0])
    assert "You've shared this with <@U0002> already" in again
    forged = refusal(bot, slack, OUTSIDER, ActionId.OUTSIDE_FEEDBACK_SHARE, share[0])
    assert "no longer here to share" in forged
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
        assert problem in text(ephemeral(bot.ask(command, user_id=MENTEE))), command
    mentor_asks = ephemeral(bot.ask(f"ask-feedback <@{COLLEAGUE}>", user_id=MENTOR))
    assert "Only a mentee asks" in text(mentor_asks)
    # Someone Slack says has left, or an app, can't be asked.
    slack.add_user("U0006", name="gone", deleted=True)
    slack.add_user("U0007", name="helper", is_bot=True)
    gone = ephemeral(bot.ask("ask-feedback <@U0006|gone>", user_id=MENTEE))
    assert "<@U0006> is no longer in this workspace" in text(gone)
    app = ephemeral(bot.ask("ask-feedback <@U0007|helper>", user_id=MENTEE))
    assert "is an app, not a person" in text(app)
    assert slack.calls_to("views.open") == []

    ask(bot, slack)
    slack.wait_for("chat.postMessage")
    again = ephemeral(bot.ask(ASK, user_id=MENTEE))
    assert "already have an open request with <@U0005>" in text(again)
    assert len(requests(engine)) == 1
    [request] = requests(engine)
    assert request.goal_id is None

    # Someone else can't answer it; empty answers are inline errors and store nothing.
    forged_give = refusal(bot, slack, OUTSIDER, ActionId.OUTSIDE_FEEDBACK_GIVE, str(request.id))
    assert "sent to someone else" in forged_give
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
    assert told.params["channel"] == slack.dm_channel_id(MENTEE)
    assert "can't give feedback this time, and that's fine" in text(posts(slack, MENTEE))
    [closed] = slack.wait_for("chat.update")
    assert "You declined" in text(closed.params)
    [request] = requests(engine)
    assert request.status is OutsideFeedbackStatus.DECLINED
    # The old DM's button no longer works; the mentee may ask again.
    old = refusal(bot, slack, COLLEAGUE, ActionId.OUTSIDE_FEEDBACK_GIVE, str(request.id))
    assert "You declined this request" in old
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
    late = refusal(bot, slack, COLLEAGUE, ActionId.OUTSIDE_FEEDBACK_GIVE, str(request.id))
    assert "This request has expired" in late

    expire_outside_feedback(deps)
    expire_outside_feedback(deps)  # a second run (or process) changes nothing
    assert requests(engine)[0].status is OutsideFeedbackStatus.EXPIRED
    with session_scope(engine) as session:
        [delivery] = session.exec(select(Delivery).where(Delivery.rule != REQUEST_DM_RULE)).all()
        assert (delivery.rule, delivery.recipient_id, delivery.status) == (
            "outside_feedback_expired",
            MENTEE,
            DeliveryStatus.PENDING,
        )
    deliver(deps)
    # The outbox posts into the DM it opened with the mentee.
    [expired] = posts(slack, slack.dm_channel_id(MENTEE))
    assert "Your feedback request to <@U0005> expired after 14 days" in text(expired)
    # Expired, the colleague can be asked again.
    ask(bot, slack)
    assert [r.status for r in requests(engine)] == [
        OutsideFeedbackStatus.EXPIRED,
        OutsideFeedbackStatus.OPEN,
    ]


# --- the colleague's DM through the outbox -------------------------------------------------------


@pytest.mark.parametrize("reached_slack", [False, True])
def test_a_request_dm_that_slack_fails_with_a_500_is_retried_and_lands_once(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    clock: FrozenClock,
    deps: Deps,
    pair: Pair,
    reached_slack: bool,
) -> None:
    # Slack answers 500 (having posted the message or not): the outcome is unknown.
    slack.fail_next("chat.postMessage", status=500, apply=reached_slack)
    assert ask(bot, slack).json()["response_action"] == "update"
    first = settled(engine, REQUEST_DM_RULE, DeliveryStatus.PENDING)
    assert first.error == OUTCOME_UNKNOWN
    [request] = requests(engine)
    assert request.status is OutsideFeedbackStatus.OPEN

    clock.advance(timedelta(minutes=1))
    deliver(deps)
    [dm] = slack.messages(slack.dm_channel_id(COLLEAGUE))
    assert "<@U0001> would value your feedback" in text(dm)
    assert values(dm, ActionId.OUTSIDE_FEEDBACK_GIVE) == [str(request.id)]
    assert settled(engine, REQUEST_DM_RULE, DeliveryStatus.SENT).attempts == 2
    assert posts(slack, MENTEE) == []  # nothing went wrong that Alice must hear of
    again = ephemeral(bot.ask(ASK, user_id=MENTEE))
    assert "already have an open request with <@U0005>" in text(again)


def test_a_request_slack_can_never_deliver_tells_the_mentee_who_may_ask_again(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps, pair: Pair
) -> None:
    slack.fail_next("chat.postMessage", error="account_inactive")
    ask(bot, slack)
    settled(engine, REQUEST_DM_RULE, DeliveryStatus.FAILED)
    deliver(deps)
    [notice] = posts(slack, MENTEE)
    assert "I couldn't deliver your feedback request to <@U0005>" in text(notice)
    assert "deactivated" in text(notice)
    assert slack.messages(slack.dm_channel_id(COLLEAGUE)) == []
    # Dana is no participant: the program's leads get no red flag (nor learn whom Alice asked).
    with session_scope(engine) as session:
        assert session.exec(select(Flag)).all() == []

    # It never reached Dana, so it no longer counts as open: asking again replaces it.
    [lost] = requests(engine)
    assert ask(bot, slack).json()["response_action"] == "update"
    [request] = requests(engine)
    assert request.id != lost.id
    assert request.status is OutsideFeedbackStatus.OPEN
    [dm] = slack.wait_for("chat.postMessage", 3)[2:]
    assert dm.params["channel"] == slack.dm_channel_id(COLLEAGUE)
    assert values(dm.params, ActionId.OUTSIDE_FEEDBACK_GIVE) == [str(request.id)]


def test_a_request_that_never_arrived_is_dropped_without_an_expiry_notice(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    clock: FrozenClock,
    deps: Deps,
    pair: Pair,
) -> None:
    slack.fail_next("chat.postMessage", error="account_inactive")
    ask(bot, slack)
    settled(engine, REQUEST_DM_RULE, DeliveryStatus.FAILED)
    deliver(deps)
    assert len(posts(slack, MENTEE)) == 1  # told once, when it could not be delivered

    clock.advance(timedelta(days=15))
    expire_outside_feedback(deps)
    assert requests(engine) == []
    with session_scope(engine) as session:
        rules = session.exec(select(Delivery.rule)).all()
        assert "outside_feedback_expired" not in rules
    deliver(deps)
    assert len(posts(slack, MENTEE)) == 1
