"""The edges every listener shares: one error path, answers that reach the person, no Slack call
inside a write transaction, and commands that survive a slow Slack."""

import json
import logging
import re
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from slack_bolt import App
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import select

from bot.deps import Deps
from bot.gateway import SlackCallInTransaction, SlackGateway, build_client
from bot.ids import BlockId
from bot.sandbox.slack_double import SlackDouble
from handlers import feedback, listeners, status
from handlers.listeners import APOLOGY
from scheduler.delivery import Deliverer, Pacer
from scheduler.engine import build_scheduler
from scheduler.jobs import HOUSEKEEPING
from scheduler.tick import tick
from storage.db import make_engine, read_scope, session_scope
from storage.enums import ParticipantStatus
from storage.migrate import upgrade
from storage.models import Feedback, Participant, SlackUser
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.forms import Answer
from tests.harness import SlackToBot
from tests.pairs import MENTEE, MENTOR, make_pair

CHANNEL = "C0001"


def _answers(slack: SlackDouble, method: str) -> list[dict[str, object]]:
    return [c.params for c in slack.calls_to(method)]


# --- answering the person ------------------------------------------------------------------------


def test_a_used_up_response_url_falls_back_to_an_ephemeral_in_the_channel(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    make_pair(engine, slack)
    url = slack.new_response_url()
    spend = urllib.request.Request(url, data=b'{"text": "x"}', method="POST")  # noqa: S310
    for _ in range(5):  # Slack takes a response_url five times, then answers 404 used_url
        urllib.request.urlopen(spend, timeout=5).close()  # noqa: S310 - the double's loopback URL
    with caplog.at_level(logging.WARNING, logger="bot.gateway"):
        response = bot.command("status", user_id=MENTEE, response_url=url, channel_id=CHANNEL)
        assert (response.status, response.body) == (200, "")
        [shown] = slack.wait_for("chat.postEphemeral")
    assert (shown.params["channel"], shown.params["user"]) == (CHANNEL, MENTEE)
    assert "your mentor in *Spring cohort*" in json.dumps(shown.params)
    assert slack.calls_to("response_url")[-1].error == "used_url"
    assert any(r.getMessage() == "response_url refused" for r in caplog.records)
    assert slack.calls_to("chat.postMessage") == []


def test_when_neither_the_response_url_nor_the_channel_takes_it_the_answer_comes_by_dm(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine, slack)
    slack.fail_next("chat.postEphemeral", error="channel_not_found")
    dead = f"{slack.base_url}hooks/response/expired"  # Slack answers 404 for an unknown URL
    bot.command("status", user_id=MENTEE, response_url=dead, channel_id=CHANNEL)
    [dm] = slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == MENTEE
    assert "your mentor in *Spring cohort*" in json.dumps(dm.params)
    assert_valid_view(dm.params, surface="message")


def test_an_answer_through_the_response_url_is_checked_not_assumed(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine, slack)
    answer = bot.ask("status", user_id=MENTEE, channel_id=CHANNEL)
    assert "your mentor in *Spring cohort*" in json.dumps(answer)
    assert slack.calls_to("chat.postEphemeral") == []
    assert slack.calls_to("chat.postMessage") == []


# --- one error path ------------------------------------------------------------------------------


def test_an_unexpected_error_in_a_command_is_logged_and_apologised_for(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database caught fire")

    monkeypatch.setattr(status, "pair_dashboards", broken)
    with caplog.at_level(logging.ERROR, logger="handlers.listeners"):
        answer = bot.ask("status", user_id=MENTEE)
    assert (
        answer["text"] == ":warning: Something went wrong on my side. Please try again in a minute."
    )
    assert "caught fire" not in json.dumps(answer)
    [failure] = [r for r in caplog.records if r.getMessage() == "listener failed"]
    assert failure.exc_info is not None
    assert (failure.__dict__["listener"], failure.__dict__["user_id"]) == ("/mentor status", MENTEE)


def test_an_unexpected_error_in_a_submission_keeps_the_modal_open_and_stores_nothing(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_pair(engine, slack)
    bot.command("feedback", user_id=MENTEE, trigger_id=slack.new_trigger_id())
    [opened] = slack.wait_for("views.open")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(feedback, "save_feedback", broken)
    answers: dict[str, Answer] = {
        BlockId.FEEDBACK_WENT_WELL: "You came with a clear question.",
        BlockId.FEEDBACK_NEEDS_CHANGE: "Start with the stakeholder map next time.",
        BlockId.FEEDBACK_NEXT_ACTION: "Send me the map by Thursday.",
    }
    refused = bot.submit(opened.params["view"], answers, user_id=MENTEE)
    assert refused.status == 200
    body = refused.json()
    assert body["response_action"] == "errors"
    assert body["errors"] == {BlockId.FEEDBACK_WENT_WELL: APOLOGY}
    with session_scope(engine) as session:
        assert session.exec(select(Feedback)).all() == []


# --- a slow Slack --------------------------------------------------------------------------------


def test_a_slow_views_open_is_acked_at_once_and_the_person_told(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine, slack)
    # Slack holds views.open past Bolt's 3-second ack deadline, then gives up (504).
    slack.fail_next("views.open", delay=3.5)
    started = time.monotonic()
    url = slack.new_response_url()
    response = bot.command(
        "feedback", user_id=MENTEE, trigger_id=slack.new_trigger_id(), response_url=url
    )
    acked_after = time.monotonic() - started
    assert (response.status, response.body) == (200, "")
    assert acked_after < 3.0
    told = bot.answer_to(url, timeout=10)
    assert told["text"] == ":warning: Slack didn't open the form in time. Please try again."


# --- no Slack call inside a write transaction ----------------------------------------------------


def test_a_slack_call_inside_a_write_transaction_is_refused(
    engine: Engine, slack: SlackDouble, deps: Deps
) -> None:
    strict = SlackGateway(build_client("xoxb-test", slack.api_url), strict=True)
    with session_scope(engine), pytest.raises(SlackCallInTransaction):
        strict.user_info("U0001")
    # A read-only unit holds no lock: asking Slack inside one is allowed.
    with read_scope(engine):
        assert strict.user_info("U0001").tz == "Europe/Berlin"
    assert [c.method for c in slack.calls] == ["users.info"]


def test_outside_the_tests_a_slack_call_in_a_transaction_is_logged_not_raised(
    engine: Engine, slack: SlackDouble, caplog: pytest.LogCaptureFixture
) -> None:
    lenient = SlackGateway(build_client("xoxb-test", slack.api_url))
    with caplog.at_level(logging.ERROR, logger="bot.gateway"), session_scope(engine):
        lenient.user_info("U0001")
    assert [r.getMessage() for r in caplog.records] == ["slack call inside a write transaction"]


def test_looking_someone_up_asks_slack_outside_any_transaction(
    deps: Deps, engine: Engine, slack: SlackDouble
) -> None:
    # deps' gateway is strict: a users.info inside the cache's write would raise.
    assert deps.directory.tz(team_id="T0001", user_id="U0002") == "America/New_York"
    assert deps.directory.tz(team_id="T0001", user_id="U0002") == "America/New_York"
    assert len(slack.calls_to("users.info")) == 1  # the second answer came from the cache
    with read_scope(engine) as session:
        [cached] = session.exec(select(SlackUser)).all()
    assert (cached.user_id, cached.tz) == ("U0002", "America/New_York")


def test_a_read_unit_refuses_to_write(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'read.db'}")
    try:
        upgrade(engine)
        with read_scope(engine) as session, pytest.raises(OperationalError):
            session.execute(text("DELETE FROM program"))
        # The connection goes back to the pool able to write again.
        with session_scope(engine) as session:
            session.execute(text("DELETE FROM program"))
    finally:
        engine.dispose()


def test_a_read_unit_refuses_to_write_on_either_backend_and_its_connection_writes_after(
    any_engine: Engine,
) -> None:
    with read_scope(any_engine) as session:
        assert session.execute(text("SELECT count(*) FROM program")).scalar() == 0
    # Every pooled connection has been a reader once; a writer still gets a writable one.
    for _ in range(3):
        with (
            pytest.raises(DBAPIError, match=r"(?i)read.only|readonly"),
            read_scope(any_engine) as session,
        ):
            session.execute(text("DELETE FROM program"))
        with session_scope(any_engine) as session:
            session.execute(text("DELETE FROM program"))
        with any_engine.connect() as conn:  # a plain connection is no reader either
            conn.execute(text("DELETE FROM program"))
            conn.commit()


def test_the_admin_check_for_a_lead_action_asks_slack_every_time(
    deps: Deps, slack: SlackDouble
) -> None:
    assert deps.directory.is_admin(team_id="T0001", user_id="UADMIN")
    assert deps.directory.is_admin(team_id="T0001", user_id="UADMIN")
    assert len(slack.calls_to("users.info")) == 2


def test_messages_to_others_are_retried_and_delivered_once(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps, clock: FrozenClock
) -> None:
    make_pair(engine, slack)
    bot.command("feedback", user_id=MENTEE, trigger_id=slack.new_trigger_id())
    [opened] = slack.wait_for("views.open")
    # Slack applies the post, then answers 503: the bot cannot know the feedback arrived.
    slack.fail_next("chat.postMessage", status=503, apply=True)
    answers: dict[str, Answer] = {
        BlockId.FEEDBACK_WENT_WELL: "You came with a clear question.",
        BlockId.FEEDBACK_NEEDS_CHANGE: "Start with the stakeholder map next time.",
        BlockId.FEEDBACK_NEXT_ACTION: "Send me the map by Thursday.",
    }
    closing = bot.submit(opened.params["view"], answers, user_id=MENTEE).json()
    assert "on its way" in json.dumps(closing)
    slack.wait_for("chat.postMessage")
    deps.background.shutdown(wait=True)
    clock.advance(timedelta(minutes=1))
    report = Deliverer(deps, worker="retry", pacer=Pacer(sleep=lambda _: None)).run()
    # The retry looked in the DM first and found it: reconciled, not sent again.
    assert (report.reconciled, report.sent) == (1, 0)
    assert len(slack.messages(slack.dm_channel_id(MENTOR))) == 1


# --- replaying a moment --------------------------------------------------------------------------


def test_tick_runs_every_job_the_running_bot_schedules(
    deps: Deps, engine: Engine, slack: SlackDouble, clock: FrozenClock
) -> None:
    make_pair(engine, slack)
    with session_scope(engine) as session:
        alice = session.exec(select(Participant).where(Participant.user_id == MENTEE)).one()
        alice.status = ParticipantStatus.PAUSED
        alice.paused_until = clock.current - timedelta(hours=1)
        session.add(alice)
    tick(deps, Deliverer(deps, worker="tick", pacer=Pacer(sleep=lambda _: None)))
    with session_scope(engine) as session:
        alice = session.exec(select(Participant).where(Participant.user_id == MENTEE)).one()
    # The pause ended although only the 15-minute job ends pauses in the running bot.
    assert (alice.status, alice.paused_until) == (ParticipantStatus.ACTIVE, None)
    jobs = {job.id for job in build_scheduler(deps).get_jobs()}
    assert jobs == {job.__name__ for job, _ in HOUSEKEEPING} | {"plan_prompts", "deliver_outbox"}


def _named(name: str) -> listeners.BoltListener:
    def listener(ack: object, body: object, context: object) -> None:
        """A stand-in."""

    listener.__name__ = name
    return listener


def _found(routes: listeners.Routes, body: dict[str, object]) -> str | None:
    listener = routes.find(body)
    return None if listener is None else listener.__name__


def test_each_id_finds_the_first_listener_that_claims_it_and_the_catch_all_the_rest() -> None:
    """Bolt hands a request to the next listener that matches when the first has not acked in
    3 seconds: behind one Bolt listener a kind, a busy moment never reaches a catch-all that
    would tell someone their form or button is out of date while its own listener stores it."""
    app = App(token="xoxb-test", signing_secret="secret", token_verification_enabled=False)
    views, clicks = listeners._routes(app, "view"), listeners._routes(app, "action")
    views.add("goal_edit", _named("goal_edit"))
    clicks.add(re.compile(r"goal_progress_\d+"), _named("progress"))
    clicks.add("goal_progress_7", _named("seven"))  # the pattern came first, as Bolt: it wins
    clicks.add("agenda_open", _named("agenda"))
    views.add(listeners._ANYTHING, _named("stale form"))
    clicks.add(listeners._ANYTHING, _named("stale button"))
    assert len(app._listeners) == 2  # one Bolt listener a kind, however many surfaces
    assert _found(views, {"view": {"callback_id": "goal_edit"}}) == "goal_edit"
    assert _found(views, {"view": {"callback_id": "goal_edit_v0"}}) == "stale form"
    assert _found(clicks, {"actions": [{"action_id": "goal_progress_12"}]}) == "progress"
    assert _found(clicks, {"actions": [{"action_id": "goal_progress_7"}]}) == "progress"
    assert _found(clicks, {"actions": [{"action_id": "agenda_open"}]}) == "agenda"
    assert _found(clicks, {"actions": [{"action_id": "goal_progress_x"}]}) == "stale button"
    assert _found(clicks, {"actions": []}) == "stale button"


def test_without_a_catch_all_an_unclaimed_id_reaches_no_listener() -> None:
    app = App(token="xoxb-test", signing_secret="secret", token_verification_enabled=False)
    clicks = listeners._routes(app, "action")
    clicks.add("agenda_open", _named("agenda"))
    assert _found(clicks, {"actions": [{"action_id": "agenda_close"}]}) is None
