"""The real Bolt app behind the real HTTP server, receiving what Slack sends."""

import json
from urllib.parse import urlencode

import pytest
from slack_bolt import App

from bot.ids import ActionId
from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from bot.wiring.server import build_wsgi_app
from storage.db import make_engine
from tests.blockkit import assert_valid_view
from tests.harness import SIGNING_SECRET, SlackToBot, eventually, now, serve


def _help_lines(response_json: dict[str, object]) -> str:
    return json.dumps(response_json["blocks"], ensure_ascii=False)


def test_help_answers_privately_with_every_subcommand(bot: SlackToBot, app: App) -> None:
    response = bot.command("help")
    assert response.status == 200
    answer = response.json()
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    assert_valid_view(answer, surface="message")
    assert "`/mentor help` — Show this list of commands." in _help_lines(answer)


@pytest.mark.parametrize("text", ["", "   ", "HELP"])
def test_no_subcommand_or_odd_case_gets_the_help(bot: SlackToBot, text: str) -> None:
    answer = bot.command(text).json()
    assert "`/mentor help`" in _help_lines(answer)
    assert ":warning:" not in _help_lines(answer)


def test_unknown_subcommand_says_so_and_lists_the_rest(bot: SlackToBot) -> None:
    answer = bot.command("frobnicate now").json()
    assert_valid_view(answer, surface="message")
    assert "I don't know `/mentor frobnicate`" in _help_lines(answer)
    assert "`/mentor help`" in _help_lines(answer)


def test_the_request_url_check_is_answered_with_its_challenge(bot: SlackToBot) -> None:
    # What Slack sends when a Request URL is set in the app's settings.
    body = {"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    response = bot.post(
        json.dumps({**body, "type": "url_verification"}), content_type="application/json"
    )
    assert response.status == 200
    assert response.json() == {"challenge": body["challenge"]}


def test_slacks_certificate_check_is_answered_empty(bot: SlackToBot) -> None:
    response = bot.post(urlencode({"ssl_check": "1", "token": "legacy"}))
    assert (response.status, response.body) == (200, "")


def test_slack_holding_back_events_is_acknowledged(bot: SlackToBot) -> None:
    held = {
        "type": "app_rate_limited",
        "token": "legacy",
        "team_id": "T0001",
        "minute_rate_limited": 1518467820,
        "api_app_id": "A0001",
    }
    response = bot.post(json.dumps(held), content_type="application/json")
    assert response.status == 200
    assert response.json() == {"ok": True}


def test_unreadable_input_gets_a_message_not_a_traceback(bot: SlackToBot) -> None:
    response = bot.command('goals "unterminated')
    assert response.status == 200
    text = _help_lines(response.json())
    assert "I couldn't read that command" in text
    assert "Traceback" not in response.body


def test_forged_signature_is_refused_and_nothing_happens(
    bot: SlackToBot, slack: SlackDouble
) -> None:
    body = slack_double.event_body(slack_double.app_home_opened_event("U0001"))
    forged = {"X-Slack-Signature": "v0=" + "0" * 64}
    response = bot.post(body, content_type="application/json", headers=forged)
    assert response.status == 401
    assert slack.calls_to("views.publish") == []


def test_signature_with_the_wrong_secret_is_refused(bot: SlackToBot) -> None:
    impostor = SlackToBot(bot.base_url, secret="0123456789abcdef0123456789abcdef")
    assert impostor.command("help").status == 401


def test_requests_older_than_five_minutes_are_refused(bot: SlackToBot) -> None:
    body = slack_double.slash_command_body("/mentor", "help")
    assert bot.post(body, timestamp=now() - 301).status == 401
    assert bot.post(body, timestamp=now() - 240).status == 200


def test_home_tab_shows_a_newcomer_how_to_begin(bot: SlackToBot, slack: SlackDouble) -> None:
    response = bot.event(slack_double.app_home_opened_event("U0001"))
    assert response.status == 200
    [call] = slack.wait_for("views.publish")
    assert call.params["user_id"] == "U0001"
    view = call.params["view"]
    assert_valid_view(view, surface="home")
    text = json.dumps(view, ensure_ascii=False)
    assert "You're not in a program yet" in text
    assert "<@U0001>" in text


def test_messages_tab_does_not_republish_home(bot: SlackToBot, slack: SlackDouble) -> None:
    bot.event(slack_double.app_home_opened_event("U0001", tab="messages"))
    bot.event(slack_double.app_home_opened_event("U0001"))
    assert len(slack.wait_for("views.publish")) == 1
    assert len(slack.calls_to("views.publish")) == 1


def test_slack_retries_of_one_event_are_handled_once(bot: SlackToBot, slack: SlackDouble) -> None:
    event = slack_double.app_home_opened_event("U0001")
    first = bot.event(event, event_id="Ev0RETRY01")
    retry = bot.event(
        event,
        event_id="Ev0RETRY01",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert (first.status, retry.status) == (200, 200)
    slack.wait_for("views.publish")
    # Another event, handled after the retry was dropped: still only one publish for U0001.
    bot.event(slack_double.app_home_opened_event("U0002"), event_id="Ev0OTHER01")
    calls = slack.wait_for("views.publish", count=2)
    assert [call.params["user_id"] for call in calls] == ["U0001", "U0002"]


def test_home_help_button_opens_the_command_list(bot: SlackToBot, slack: SlackDouble) -> None:
    trigger_id = slack.new_trigger_id()
    response = bot.action(ActionId.HOME_HELP, trigger_id=trigger_id, container={"type": "view"})
    assert response.status == 200
    [call] = slack.wait_for("views.open")
    assert call.params["trigger_id"] == trigger_id
    assert_valid_view(call.params["view"], surface="modal")
    assert "/mentor help" in json.dumps(call.params["view"])


def test_home_publish_failure_is_logged_not_raised(
    bot: SlackToBot, slack: SlackDouble, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fail_next("views.publish", error="user_not_found", status=200)
    assert bot.event(slack_double.app_home_opened_event("UGONE")).status == 200
    assert eventually(
        lambda: any(getattr(r, "error", None) == "user_not_found" for r in caplog.records)
    )
    assert not any("unhandled error" in r.getMessage() for r in caplog.records)


def test_healthz_reports_the_database(bot: SlackToBot, app: App) -> None:
    healthy = bot.get("/healthz")
    assert (healthy.status, healthy.json()) == (200, {"ok": True})
    broken = make_engine("sqlite:////nonexistent-dir/mentorbot.db")
    with serve(build_wsgi_app(app, broken, signing_secret=SIGNING_SECRET)) as url:
        down = SlackToBot(url).get("/healthz")
    assert (down.status, down.json()) == (503, {"ok": False, "error": "database unavailable"})


def test_unknown_paths_are_404(bot: SlackToBot) -> None:
    assert bot.get("/slack/events").status == 404
    assert bot.post(urlencode({"a": "b"}), path="/elsewhere").status == 404
