"""Tests for bot.sandbox.slack_double, driven through the real slack_sdk / slack_bolt clients."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from typing import Any
from urllib.error import URLError
from urllib.parse import parse_qs, urlsplit

import pytest
from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.sandbox.slack_double import (
    DEFAULT_BOT_USER_ID,
    RecordedCall,
    SlackDouble,
    UploadedFile,
    app_home_opened_event,
    block_actions_body,
    block_actions_payload,
    conversation_id_for,
    event_body,
    event_callback,
    sign,
    slash_command_body,
    slash_command_payload,
    view_submission_body,
)
from tests.conftest import TickingClock

SECRET = "signing-secret-for-tests"
MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "goal",
    "title": {"type": "plain_text", "text": "New goal"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}
HOME: dict[str, Any] = {
    "type": "home",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}],
}


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()


@pytest.fixture
def slack(clock: TickingClock) -> Iterator[SlackDouble]:
    with SlackDouble(clock=clock, socket_ping_interval=0.1) as double:
        yield double


@pytest.fixture
def client(slack: SlackDouble) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url)


def post_form(url: str, body: bytes) -> tuple[int, Any]:
    """POST a form body without slack_sdk (which always sends the token as a header)."""
    parts = urlsplit(url)
    connection = HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.request(
            "POST", parts.path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def api_error(exc: pytest.ExceptionInfo[SlackApiError]) -> Any:
    return exc.value.response["error"]


# ---------------------------------------------------------------- basics and auth


def test_api_url_points_at_loopback_and_auth_test_answers(
    slack: SlackDouble, client: WebClient
) -> None:
    assert slack.api_url.startswith("http://127.0.0.1:")
    assert slack.api_url.endswith("/api/")
    answer = client.auth_test()
    assert answer["ok"] is True
    assert answer["team_id"] == slack.team_id
    assert answer["user_id"] == slack.bot_user_id
    assert answer["bot_id"] == slack.bot_id
    assert answer["url"] == f"https://{slack.team_domain}.slack.com/"
    assert isinstance(answer.data, dict)
    assert {"team", "user"} <= set(answer.data)


def test_explicit_start_and_stop_close_the_port() -> None:
    double = SlackDouble().start()
    url = double.api_url
    assert WebClient(token="xoxb-x", base_url=url).auth_test()["ok"]
    double.stop()
    with pytest.raises(RuntimeError):
        _ = double.api_url
    with pytest.raises(ConnectionRefusedError):
        post_form(url + "auth.test", b"")


def test_missing_and_unknown_tokens_are_refused(slack: SlackDouble) -> None:
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=slack.api_url).auth_test()
    assert api_error(missing) == "not_authed"
    with pytest.raises(SlackApiError) as wrong:
        WebClient(token="nope", base_url=slack.api_url).auth_test()
    assert api_error(wrong) == "invalid_auth"

    slack.tokens = {"xoxb-only-this"}
    with pytest.raises(SlackApiError) as unknown:
        WebClient(token="xoxb-other", base_url=slack.api_url).auth_test()
    assert api_error(unknown) == "invalid_auth"
    assert WebClient(token="xoxb-only-this", base_url=slack.api_url).auth_test()["ok"]
    assert [c.error for c in slack.calls_to("auth.test")] == [
        "not_authed",
        "invalid_auth",
        "invalid_auth",
        None,
    ]


def test_token_form_param_and_app_token_rules(slack: SlackDouble) -> None:
    status, answer = post_form(
        slack.api_url + "chat.postMessage", b"token=xoxb-in-form&channel=C1&text=hello"
    )
    assert (status, answer["ok"]) == (200, True)
    assert slack.calls_to("chat.postMessage")[0].token == "xoxb-in-form"
    assert "token" not in slack.calls_to("chat.postMessage")[0].params

    with pytest.raises(SlackApiError) as app_token:
        WebClient(token="xapp-1-abc", base_url=slack.api_url).chat_postMessage(
            channel="C1", text="x"
        )
    assert api_error(app_token) == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as bot_token:
        WebClient(token="xoxb-1", base_url=slack.api_url).apps_connections_open(app_token="xoxb-1")
    assert api_error(bot_token) == "not_allowed_token_type"


def test_unknown_method_is_ok_false_with_http_200(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("mentor.nothing")
    assert exc.value.response.status_code == 200
    assert api_error(exc) == "unknown_method"


# ---------------------------------------------------------------- recording


def test_every_call_is_recorded_with_json_fields_decoded(
    slack: SlackDouble, client: WebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    client.chat_postMessage(channel="C1", text="json body", blocks=blocks)
    # Form bodies carry JSON fields as strings, like older clients send them.
    client.api_call(
        "chat.postMessage",
        params={"channel": "C1", "text": "form body", "blocks": json.dumps(blocks)},
    )
    with pytest.raises(SlackApiError):
        client.users_info(user="U404")

    calls = slack.calls
    assert [c.method for c in calls] == ["chat.postMessage", "chat.postMessage", "users.info"]
    assert all(isinstance(c, RecordedCall) and c.token == "xoxb-test" for c in calls)
    assert calls[0].params["blocks"] == blocks
    assert calls[1].params["blocks"] == blocks
    assert calls[0].at <= calls[1].at <= calls[2].at
    assert (calls[2].status, calls[2].error) == (200, "user_not_found")
    assert len(slack.calls_to("chat.postMessage")) == 2

    slack.reset()
    assert slack.calls == []
    assert slack.messages("C1") == []


def test_wait_for_blocks_until_calls_arrive(slack: SlackDouble, client: WebClient) -> None:
    worker = threading.Thread(
        target=lambda: [client.chat_postMessage(channel="C1", text=str(i)) for i in range(3)]
    )
    worker.start()
    calls = slack.wait_for("chat.postMessage", count=3, timeout=5)
    worker.join(timeout=5)
    assert [c.params["text"] for c in calls] == ["0", "1", "2"]
    # State is updated before the call is recorded.
    assert [m["text"] for m in slack.messages("C1")] == ["0", "1", "2"]
    with pytest.raises(TimeoutError):
        slack.wait_for("views.open", timeout=0.05)


# ---------------------------------------------------------------- chat.*


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_shape_and_monotonic_ts(slack: SlackDouble, client: WebClient) -> None:
    metadata = {"event_type": "mentor_nudge", "event_payload": {"nudge_id": 7}}
    answers = [
        client.chat_postMessage(channel="C1", text=f"m{i}", metadata=metadata) for i in range(5)
    ]
    stamps = [a["ts"] for a in answers]
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    assert [float(ts) for ts in stamps] == sorted({float(ts) for ts in stamps})
    first = answers[0]
    assert first["channel"] == "C1"
    assert first["message"]["text"] == "m0"
    assert first["message"]["bot_id"] == slack.bot_id
    assert first["message"]["user"] == slack.bot_user_id
    assert first["message"]["metadata"] == metadata

    dm = client.chat_postMessage(channel="U0042", text="direct")
    assert dm["channel"] == conversation_id_for(["U0042"]) == slack.dm_channel_id("U0042")
    blocks_only = client.chat_postMessage(channel="C1", blocks=[{"type": "divider"}])
    assert blocks_only["message"]["blocks"] == [{"type": "divider"}]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_validation_errors(slack: SlackDouble, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as no_text:
        client.chat_postMessage(channel="C1")
    assert api_error(no_text) == "no_text"
    with pytest.raises(SlackApiError) as too_many:
        client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "divider"}] * 51)
    assert api_error(too_many) == "invalid_blocks"
    assert too_many.value.response["response_metadata"]["messages"]
    with pytest.raises(SlackApiError) as bad_metadata:
        client.chat_postMessage(channel="C1", text="x", metadata={"event_type": "x"})
    assert api_error(bad_metadata) == "invalid_metadata_format"
    with pytest.raises(SlackApiError) as unknown_dm:
        client.chat_postMessage(channel="DNOPE", text="x")
    assert api_error(unknown_dm) == "channel_not_found"
    assert slack.messages("C1") == []


def test_ephemeral_update_delete_and_permalink(slack: SlackDouble, client: WebClient) -> None:
    ephemeral = client.chat_postEphemeral(channel="C1", user="U0001", text="only you")
    assert ephemeral["message_ts"]
    assert slack.messages("C1") == []

    posted = client.chat_postMessage(channel="C1", text="draft")
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="final")
    assert (updated["channel"], updated["ts"], updated["text"]) == ("C1", posted["ts"], "final")
    assert updated["message"]["edited"]["user"] == slack.bot_user_id
    assert slack.messages("C1")[0]["text"] == "final"

    link = client.chat_getPermalink(channel="C1", message_ts=posted["ts"])
    assert link["permalink"].endswith(f"/archives/C1/p{posted['ts'].replace('.', '')}")

    deleted = client.chat_delete(channel="C1", ts=posted["ts"])
    assert (deleted["channel"], deleted["ts"]) == ("C1", posted["ts"])
    assert slack.messages("C1") == []

    for method, params in (
        ("chat.update", {"channel": "C1", "ts": posted["ts"], "text": "again"}),
        ("chat.delete", {"channel": "C1", "ts": posted["ts"]}),
        ("chat.getPermalink", {"channel": "C1", "message_ts": posted["ts"]}),
    ):
        with pytest.raises(SlackApiError) as missing:
            client.api_call(method, params=params)
        assert api_error(missing) == "message_not_found"
    with pytest.raises(SlackApiError) as no_channel:
        client.chat_update(channel="C999", ts=posted["ts"], text="x")
    assert api_error(no_channel) == "channel_not_found"

    human = slack.add_message("C1", "written by a person", user="U0001")
    with pytest.raises(SlackApiError) as not_ours:
        client.chat_update(channel="C1", ts=human, text="x")
    assert api_error(not_ours) == "cant_update_message"


def test_schedule_message_limits_and_delivery(slack: SlackDouble, client: WebClient) -> None:
    now = int(time.time())
    with pytest.raises(SlackApiError) as past:
        client.chat_scheduleMessage(channel="C1", text="x", post_at=now - 60)
    assert api_error(past) == "time_in_past"
    with pytest.raises(SlackApiError) as far:
        client.chat_scheduleMessage(channel="C1", text="x", post_at=now + 121 * 86400)
    assert api_error(far) == "time_too_far"

    answer = client.chat_scheduleMessage(channel="C1", text="later", post_at=now + 3600)
    assert answer["scheduled_message_id"].startswith("Q")
    assert answer["post_at"] == now + 3600
    assert answer["channel"] == "C1"
    listed = client.chat_scheduledMessages_list(channel="C1")["scheduled_messages"]
    assert [item["id"] for item in listed] == [answer["scheduled_message_id"]]

    assert slack.run_scheduled(now=now) == []
    posted = slack.run_scheduled(now=now + 3600)
    assert [m["text"] for m in posted] == ["later"]
    assert [m["text"] for m in slack.messages("C1")] == ["later"]
    assert slack.scheduled_messages == []


# ---------------------------------------------------------------- conversations.*


def test_conversations_open_ids_are_stable(client: WebClient) -> None:
    dm = client.conversations_open(users="U1")["channel"]["id"]
    assert dm.startswith("D")
    again = client.conversations_open(users=["U1"])
    assert again["channel"]["id"] == dm
    assert again["already_open"] is True
    group = client.conversations_open(users="U1,U2,U3")["channel"]["id"]
    assert group[0] in "GC"
    assert client.conversations_open(users="U3,U1,U2")["channel"]["id"] == group
    assert client.conversations_open(users="U2")["channel"]["id"] not in (dm, group)
    full = client.conversations_open(users="U1", return_im=True)["channel"]
    assert full["is_im"] is True
    assert full["user"] == "U1"


def test_history_newest_first_with_metadata_and_paging(
    slack: SlackDouble, client: WebClient
) -> None:
    sent = []
    for index in range(5):
        metadata = {"event_type": "outbox_send", "event_payload": {"outbox_id": index}}
        sent.append(client.chat_postMessage(channel="C1", text=f"m{index}", metadata=metadata))
    stamps = [s["ts"] for s in sent]

    plain = client.conversations_history(channel="C1")
    assert [m["ts"] for m in plain["messages"]] == stamps[::-1]
    assert all("metadata" not in m for m in plain["messages"])

    rich = client.conversations_history(channel="C1", include_all_metadata=True, limit=2)
    assert [m["metadata"]["event_payload"]["outbox_id"] for m in rich["messages"]] == [4, 3]
    assert rich["messages"][0]["metadata"]["event_type"] == "outbox_send"
    assert rich["has_more"] is True
    cursor = rich["response_metadata"]["next_cursor"]
    page2 = client.conversations_history(channel="C1", limit=2, cursor=cursor)
    assert [m["text"] for m in page2["messages"]] == ["m2", "m1"]

    window = client.conversations_history(channel="C1", oldest=stamps[1], latest=stamps[3])
    assert [m["text"] for m in window["messages"]] == ["m2"]
    inclusive = client.conversations_history(
        channel="C1", oldest=stamps[1], latest=stamps[3], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["m3", "m2", "m1"]

    with pytest.raises(SlackApiError) as missing:
        client.conversations_history(channel="C404")
    assert api_error(missing) == "channel_not_found"


def test_threads_stay_out_of_history(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")
    client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])
    history = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in history] == ["parent"]
    assert history[0]["reply_count"] == 1
    replies = client.conversations_replies(channel="C1", ts=parent["ts"])["messages"]
    assert [m["text"] for m in replies] == ["parent", "reply"]


def test_info_and_join(slack: SlackDouble, client: WebClient) -> None:
    slack.add_channel("C0100", name="mentors", is_member=False)
    info = client.conversations_info(channel="C0100")["channel"]
    assert (info["id"], info["name"], info["is_member"], info["is_channel"]) == (
        "C0100",
        "mentors",
        False,
        True,
    )
    with pytest.raises(SlackApiError) as outside:
        client.chat_postMessage(channel="C0100", text="hi")
    assert api_error(outside) == "not_in_channel"
    joined = client.conversations_join(channel="C0100")
    assert joined["channel"]["is_member"] is True
    assert "warning" not in joined
    assert client.chat_postMessage(channel="#mentors", text="hi")["channel"] == "C0100"
    assert client.conversations_join(channel="C0100")["warning"] == "already_in_channel"
    with pytest.raises(SlackApiError) as missing:
        client.conversations_info(channel="C404")
    assert api_error(missing) == "channel_not_found"


# ---------------------------------------------------------------- users and team


def test_users_info_registry(slack: SlackDouble, client: WebClient) -> None:
    slack.add_user("U0001", name="alice", real_name="Alice A", tz="Europe/Berlin", is_admin=True)
    slack.add_user("U0002", name="bob", tz="America/New_York", tz_offset=-18000, deleted=True)
    alice = client.users_info(user="U0001")["user"]
    assert (alice["id"], alice["name"], alice["real_name"], alice["tz"]) == (
        "U0001",
        "alice",
        "Alice A",
        "Europe/Berlin",
    )
    assert alice["tz_offset"] in (3600, 7200)
    assert alice["is_admin"] is True
    assert alice["team_id"] == slack.team_id
    bob = client.users_info(user="U0002")["user"]
    assert (bob["deleted"], bob["tz_offset"]) == (True, -18000)
    with pytest.raises(SlackApiError) as missing:
        client.users_info(user="U404")
    assert api_error(missing) == "user_not_found"


def test_users_list_paginates_with_cursor(slack: SlackDouble, client: WebClient) -> None:
    for index in range(5):
        slack.add_user(f"U10{index}", name=f"user{index}")
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        page = client.users_list(limit=2, cursor=cursor or None)
        pages += 1
        seen += [m["id"] for m in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert seen == [DEFAULT_BOT_USER_ID, *[f"U10{i}" for i in range(5)]]
    with pytest.raises(SlackApiError) as bad:
        client.users_list(cursor="garbage!")
    assert api_error(bad) == "invalid_cursor"


def test_conversations_members_pages_like_slack(slack: SlackDouble, client: WebClient) -> None:
    slack.add_channel("C0MANY", members=[f"U2{n:02d}" for n in range(5)])
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        page = client.conversations_members(channel="C0MANY", limit=2, cursor=cursor or None)
        pages += 1
        seen += page["members"]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    # The bot is a member of a channel it was added to, as in Slack.
    assert (pages, seen) == (3, [*[f"U2{n:02d}" for n in range(5)], DEFAULT_BOT_USER_ID])
    with pytest.raises(SlackApiError) as bad:
        client.conversations_members(channel="C0MANY", cursor="garbage!")
    assert api_error(bad) == "invalid_cursor"
    # A private channel the bot is not in is invisible to it; an unknown one is not found.
    slack.add_channel("G0PRIV", is_private=True, is_member=False, members=["U200"])
    for channel in ("G0PRIV", "C0NONE"):
        with pytest.raises(SlackApiError) as hidden:
            client.conversations_members(channel=channel)
        assert api_error(hidden) == "channel_not_found"
    # A public channel's members can be read without joining it.
    slack.add_channel("C0OPEN", is_member=False, members=["U200"])
    assert client.conversations_members(channel="C0OPEN")["members"] == ["U200"]


def test_usergroups_users_list(slack: SlackDouble, client: WebClient) -> None:
    group = slack.add_usergroup("S0DEVS", handle="devs", users=["U200", "U201"])
    assert (group["handle"], group["user_count"]) == ("devs", 2)
    assert client.usergroups_users_list(usergroup="S0DEVS")["users"] == ["U200", "U201"]
    with pytest.raises(SlackApiError) as missing:
        client.usergroups_users_list(usergroup="S0NONE")
    assert api_error(missing) == "no_such_subteam"
    slack.reset()  # registered groups stay, like users and channels
    assert client.usergroups_users_list(usergroup="S0DEVS")["users"] == ["U200", "U201"]


def test_team_info(slack: SlackDouble, client: WebClient) -> None:
    team = client.team_info()["team"]
    assert (team["id"], team["name"], team["domain"]) == (
        slack.team_id,
        slack.team_name,
        slack.team_domain,
    )


# ---------------------------------------------------------------- views


def test_views_open_trigger_ids_are_single_use(slack: SlackDouble, client: WebClient) -> None:
    trigger = slack.new_trigger_id()
    opened = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert opened["id"].startswith("V")
    assert opened["hash"]
    assert opened["callback_id"] == "goal"
    assert opened["blocks"] == MODAL["blocks"]
    assert opened["root_view_id"] == opened["id"]
    assert slack.views[opened["id"]]["title"] == MODAL["title"]

    with pytest.raises(SlackApiError) as reused:
        client.views_open(trigger_id=trigger, view=MODAL)
    assert api_error(reused) == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as missing:
        client.views_open(trigger_id="", view=MODAL)
    assert api_error(missing) == "invalid_arguments"
    # Trigger ids the double did not issue (e.g. from a payload factory) work once too.
    foreign = "12345.98765.abcd2358fdea"
    assert client.views_open(trigger_id=foreign, view=MODAL)["ok"]
    with pytest.raises(SlackApiError) as foreign_reused:
        client.views_open(trigger_id=foreign, view=MODAL)
    assert api_error(foreign_reused) == "exchanged_trigger_id"


def test_trigger_ids_expire_on_the_injected_clock(
    slack: SlackDouble, client: WebClient, clock: TickingClock
) -> None:
    trigger = slack.new_trigger_id()
    clock.now += 3.5
    with pytest.raises(SlackApiError) as expired:
        client.views_open(trigger_id=trigger, view=MODAL)
    assert api_error(expired) == "expired_trigger_id"


def test_invalid_view_is_refused_with_messages(slack: SlackDouble, client: WebClient) -> None:
    bad = dict(MODAL, title={"type": "plain_text", "text": "x" * 25})
    bad.pop("submit")
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id=slack.new_trigger_id(), view=bad)
    assert api_error(exc) == "invalid_arguments"
    messages = exc.value.response["response_metadata"]["messages"]
    assert any("/view/title/text" in m for m in messages)
    assert any("submit" in m for m in messages)


def test_views_push_update_and_publish(slack: SlackDouble, client: WebClient) -> None:
    root = client.views_open(trigger_id=slack.new_trigger_id(), view=MODAL)["view"]
    pushed = client.views_push(trigger_id=slack.new_trigger_id(view_id=root["id"]), view=MODAL)
    assert pushed["view"]["previous_view_id"] == root["id"]
    assert pushed["view"]["root_view_id"] == root["id"]
    client.views_push(trigger_id=slack.new_trigger_id(view_id=root["id"]), view=MODAL)
    with pytest.raises(SlackApiError) as deep:
        client.views_push(trigger_id=slack.new_trigger_id(view_id=root["id"]), view=MODAL)
    assert api_error(deep) == "push_limit_reached"

    changed = dict(MODAL, private_metadata="step-2")
    updated = client.views_update(view_id=root["id"], hash=root["hash"], view=changed)["view"]
    assert (updated["id"], updated["private_metadata"]) == (root["id"], "step-2")
    assert updated["hash"] != root["hash"] or updated["private_metadata"] != ""
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=root["id"], hash="stale.1", view=changed)
    assert api_error(stale) == "hash_conflict"
    with pytest.raises(SlackApiError) as unknown:
        client.views_update(view_id="VNOPE", view=changed)
    assert api_error(unknown) == "not_found"

    home = client.views_publish(user_id="U0001", view=HOME)["view"]
    assert (home["type"], home["id"][0]) == ("home", "V")
    assert client.views_publish(user_id="U0001", view=HOME)["view"]["id"] == home["id"]
    assert slack.home_view("U0001") is not None


# ---------------------------------------------------------------- failure injection


def test_429_carries_retry_after(slack: SlackDouble, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="x")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "7"
    assert api_error(exc) == "ratelimited"
    assert slack.messages("C1") == []
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


def test_rate_limit_retry_handler_retries_then_succeeds(slack: SlackDouble) -> None:
    retrying = WebClient(
        token="xoxb-test",
        base_url=slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.fail_next("chat.postMessage", retry_after=0)
    assert retrying.chat_postMessage(channel="C1", text="eventually")["ok"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    assert [m["text"] for m in slack.messages("C1")] == ["eventually"]


def test_error_injection_status_times_and_wildcard(slack: SlackDouble, client: WebClient) -> None:
    slack.add_user("U0001")
    slack.fail_next("users.info", error="user_not_found")
    with pytest.raises(SlackApiError) as not_found:
        client.users_info(user="U0001")
    assert (not_found.value.response.status_code, api_error(not_found)) == (200, "user_not_found")
    assert client.users_info(user="U0001")["ok"]

    slack.fail_next("*", status=503, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as unavailable:
            client.auth_test()
        assert unavailable.value.response.status_code == 503
        assert unavailable.value.response["ok"] is False  # slack_sdk wraps the HTML body
    assert client.auth_test()["ok"]

    slack.fail_next("chat.postMessage", status=500, error="fatal_error", apply=True)
    with pytest.raises(SlackApiError) as fatal:
        client.chat_postMessage(channel="C1", text="maybe")
    assert (fatal.value.response.status_code, api_error(fatal)) == (500, "fatal_error")
    assert [m["text"] for m in slack.messages("C1")] == ["maybe"]


def test_delay_outlives_client_timeout(slack: SlackDouble) -> None:
    impatient = WebClient(token="xoxb-test", base_url=slack.api_url, timeout=1)
    metadata = {"event_type": "outbox_send", "event_payload": {"outbox_id": 42}}
    slack.fail_next("chat.postMessage", delay=3, apply=True)
    slack.fail_next("chat.postMessage", delay=3)
    started = time.monotonic()
    with pytest.raises((TimeoutError, URLError)):
        impatient.chat_postMessage(channel="C1", text="sent?", metadata=metadata)
    with pytest.raises((TimeoutError, URLError)):
        impatient.chat_postMessage(channel="C1", text="lost", metadata=metadata)
    assert time.monotonic() - started < 2.9
    # The applied one landed: the bot can reconcile it by its metadata.
    history = impatient.conversations_history(channel="C1", include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["sent?"]
    assert history["messages"][0]["metadata"]["event_payload"] == {"outbox_id": 42}


def test_channel_rate_limiter_uses_injected_clock(clock: TickingClock) -> None:
    with SlackDouble(channel_rate_limit=1.0, channel_burst=2, clock=clock) as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        client.chat_postMessage(channel="C1", text="1")
        client.chat_postMessage(channel="C1", text="2")
        with pytest.raises(SlackApiError) as limited:
            client.chat_postMessage(channel="C1", text="3")
        assert limited.value.response.status_code == 429
        assert int(limited.value.response.headers["Retry-After"]) >= 1
        assert api_error(limited) == "ratelimited"
        assert client.chat_postMessage(channel="C2", text="other channel")["ok"]
        assert [m["text"] for m in slack.messages("C1")] == ["1", "2"]

        clock.now += 0.5
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C1", text="still too soon")
        clock.now += 0.5
        assert client.chat_postMessage(channel="C1", text="3")["ok"]
        assert [m["text"] for m in slack.messages("C1")] == ["1", "2", "3"]


# ---------------------------------------------------------------- files


def test_files_upload_v2_round_trip(slack: SlackDouble, client: WebClient) -> None:
    answer = client.files_upload_v2(
        channel="C1",
        content="goal,progress\nship,80\n",
        filename="scorecard.csv",
        title="Scorecard",
        initial_comment="Your scorecard",
    )
    file = answer["file"]
    assert (file["name"], file["title"]) == ("scorecard.csv", "Scorecard")
    assert slack.uploaded_files == [
        UploadedFile(
            file["id"], "scorecard.csv", b"goal,progress\nship,80\n", "C1", "Your scorecard"
        )
    ]
    [shared] = slack.messages("C1")
    assert shared["text"] == "Your scorecard"
    assert shared["files"][0]["id"] == file["id"]
    assert [c.method for c in slack.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


# ---------------------------------------------------------------- socket mode


def test_socket_mode_round_trip_with_builtin_client(slack: SlackDouble) -> None:
    web = WebClient(token="xoxb-test", base_url=slack.api_url)
    received: list[SocketModeRequest] = []
    raw: list[str] = []

    def on_request(socket_client: Any, request: SocketModeRequest) -> None:
        received.append(request)
        socket_client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload={"text": "got it"})
        )

    socket_client = SocketModeClient(
        app_token="xapp-1-test", web_client=web, on_message_listeners=[raw.append]
    )
    socket_client.socket_mode_request_listeners.append(on_request)
    try:
        socket_client.connect()
        assert slack.wait_for_socket_client(timeout=5) == 1
        assert slack.calls_to("apps.connections.open")[0].token == "xapp-1-test"
        envelope_id = slack.socket_send("slash_commands", slash_command_payload("/mentor", "goals"))
        ack = slack.wait_for_socket_ack(envelope_id, timeout=5)
        assert ack == {"envelope_id": envelope_id, "payload": {"text": "got it"}}
        assert received[0].type == "slash_commands"
        assert received[0].payload["text"] == "goals"
        assert received[0].accepts_response_payload is True
        hello = json.loads(raw[0])
        assert hello["type"] == "hello"
        assert hello["connection_info"] == {"app_id": slack.app_id}
        with pytest.raises(TimeoutError):
            slack.wait_for_socket_ack("never-sent", timeout=0.05)
    finally:
        socket_client.close()


def test_socket_mode_refuses_unknown_tickets(slack: SlackDouble) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with pytest.raises(InvalidStatus):
        connect(slack.socket_url + "link/?ticket=forged", open_timeout=5)
    with pytest.raises(RuntimeError):
        slack.socket_send("events_api", {})


def test_bolt_socket_mode_handler_acks_through_the_double(slack: SlackDouble) -> None:
    app = App(client=WebClient(token="xoxb-test", base_url=slack.api_url))

    @app.command("/mentor")
    def mentor(ack: Ack) -> None:
        ack("hello from bolt")

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view=HOME)

    handler = SocketModeHandler(app, app_token="xapp-1-test")
    socket_client: SocketModeClient = handler.client
    try:
        socket_client.connect()
        slack.wait_for_socket_client(timeout=5)
        command = slack.socket_send("slash_commands", slash_command_payload())
        assert slack.wait_for_socket_ack(command, timeout=5)["payload"] == {
            "text": "hello from bolt"
        }
        event = slack.socket_send("events_api", event_callback(app_home_opened_event("U0001")))
        assert "payload" not in slack.wait_for_socket_ack(event, timeout=5)
        [publish] = slack.wait_for("views.publish", timeout=5)
        assert publish.params["user_id"] == "U0001"
    finally:
        socket_client.close()


# ---------------------------------------------------------------- requests into the bot


def test_sign_is_accepted_by_slack_sdk_verifier() -> None:
    body = slash_command_body()
    headers = sign(body, SECRET)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + "&x=1", headers)
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)
    stale = sign(body, SECRET, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)


def test_slash_command_body_has_slacks_fields() -> None:
    fields = parse_qs(slash_command_body("/mentor", "goals add", user_id="U9", trigger_id="1.2.a"))
    assert set(fields) == {
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    }
    assert (fields["command"], fields["text"], fields["user_id"]) == (
        ["/mentor"],
        ["goals add"],
        ["U9"],
    )


def dispatch(app: App, body: str, content_type: str) -> BoltResponse:
    headers = {**sign(body, SECRET), "Content-Type": content_type}
    return app.dispatch(BoltRequest(body=body, headers={k: [v] for k, v in headers.items()}))


def test_payload_factories_route_through_bolt(slack: SlackDouble) -> None:
    app = App(
        signing_secret=SECRET,
        client=WebClient(token="xoxb-test", base_url=slack.api_url),
    )
    seen: dict[str, Any] = {}
    home_seen = threading.Event()

    @app.command("/mentor")
    def mentor(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        seen["command"] = command["text"]
        ack()
        respond("working on it")

    @app.action("pick_mentor")
    def pick(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        seen["action"] = body["actions"][0]["value"]
        client.views_push(trigger_id=body["trigger_id"], view=MODAL)

    @app.view("goal")
    def submit(ack: Ack, view: dict[str, Any]) -> None:
        seen["submitted"] = view["state"]["values"]["title"]["value"]["value"]
        ack(response_action="errors", errors={"title": "too short"})

    @app.event("app_home_opened")
    def home(event: dict[str, Any]) -> None:
        seen["home"] = event["user"]
        home_seen.set()

    form = "application/x-www-form-urlencoded"
    response_url = slack.new_response_url()
    assert (
        dispatch(app, slash_command_body(text="status", response_url=response_url), form).status
        == 200
    )
    [responded] = slack.wait_for("response_url", timeout=5)
    assert responded.params["text"] == "working on it"

    root = WebClient(token="xoxb-test", base_url=slack.api_url).views_open(
        trigger_id=slack.new_trigger_id(), view=MODAL
    )["view"]
    action = block_actions_body(
        "pick_mentor", "U0002", view=root, trigger_id=slack.new_trigger_id(view_id=root["id"])
    )
    assert dispatch(app, action, form).status == 200
    [pushed] = slack.wait_for("views.push", timeout=5)
    assert pushed.error is None

    state = {"title": {"value": {"type": "plain_text_input", "value": "x"}}}
    submitted = dispatch(app, view_submission_body("goal", state), form)
    assert submitted.status == 200
    assert json.loads(submitted.body) == {
        "response_action": "errors",
        "errors": {"title": "too short"},
    }

    event = event_body(app_home_opened_event("U0003"))
    assert dispatch(app, event, "application/json").status == 200
    assert home_seen.wait(timeout=5)
    assert seen == {
        "command": "status",
        "action": "U0002",
        "submitted": "x",
        "home": "U0003",
    }
    assert "Ev" in json.loads(event)["event_id"][:2]
    assert json.loads(event)["event_id"] != json.loads(event_body({"type": "x"}))["event_id"]


def test_block_actions_payload_for_a_message() -> None:
    payload = block_actions_payload("done", "goal-1", user_id="U7", channel_id="C7")
    assert payload["type"] == "block_actions"
    assert payload["container"]["type"] == "message"
    assert payload["container"]["channel_id"] == "C7"
    assert payload["channel"]["id"] == "C7"
    assert payload["actions"][0]["value"] == "goal-1"
    assert payload["user"]["id"] == "U7"
    assert payload["response_url"].startswith("https://hooks.slack.com/actions/")


# ---------------------------------------------------------------- several workspaces and OAuth


def _second_workspace(slack: SlackDouble) -> WebClient:
    """Workspace T0002 with a person and a channel; a client holding its own bot token."""
    slack.add_workspace("T0002", "Second Workspace", token="xoxb-second")
    slack.add_user("U2001", name="carol", team_id="T0002")
    slack.add_channel("C2001", name="general", team_id="T0002")
    return WebClient(token="xoxb-second", base_url=slack.api_url)


def test_each_token_speaks_for_its_own_workspace(slack: SlackDouble, client: WebClient) -> None:
    second = _second_workspace(slack)
    slack.add_user("U0001", name="alice")
    mine = second.auth_test()
    assert (mine["team_id"], mine["team"]) == ("T0002", "Second Workspace")
    assert mine["user_id"] == slack.bot_user_id_in("T0002") != slack.bot_user_id
    assert client.auth_test()["team_id"] == slack.team_id == "T0001"
    assert second.users_info(user="U2001")["user"]["team_id"] == "T0002"
    posted = second.chat_postMessage(channel="C2001", text="hi")
    assert posted["message"]["team"] == "T0002"
    assert posted["message"]["user"] == slack.bot_user_id_in("T0002")
    assert [c.team_id for c in slack.calls] == ["T0002", "T0001", "T0002", "T0002"]


@pytest.mark.parametrize(
    ("method", "kwargs", "error"),
    [
        ("users_info", {"user": "U2001"}, "user_not_found"),
        ("chat_postMessage", {"channel": "C2001", "text": "x"}, "channel_not_found"),
        ("chat_postMessage", {"channel": "U2001", "text": "x"}, "channel_not_found"),
        ("conversations_open", {"users": "U2001"}, "user_not_found"),
        ("conversations_members", {"channel": "C2001"}, "channel_not_found"),
        (
            "chat_postEphemeral",
            {"channel": "C0001", "user": "U2001", "text": "x"},
            "user_not_found",
        ),
        ("views_publish", {"user_id": "U2001", "view": HOME}, "user_not_found"),
    ],
)
def test_another_workspaces_people_and_channels_are_not_found(
    slack: SlackDouble, client: WebClient, method: str, kwargs: dict[str, Any], error: str
) -> None:
    _second_workspace(slack)
    with pytest.raises(SlackApiError) as refused:
        getattr(client, method)(**kwargs)
    assert api_error(refused) == error
    assert slack.messages("C2001") == []


def test_user_groups_and_user_lists_stay_in_their_workspace(
    slack: SlackDouble, client: WebClient
) -> None:
    second = _second_workspace(slack)
    slack.add_usergroup("S2001", users=["U2001"], team_id="T0002")
    with pytest.raises(SlackApiError) as refused:
        client.usergroups_users_list(usergroup="S2001")
    assert api_error(refused) == "no_such_subteam"
    assert second.usergroups_users_list(usergroup="S2001")["users"] == ["U2001"]
    listed = {u["id"] for u in second.users_list()["members"]}
    assert listed == {"U2001", slack.bot_user_id_in("T0002")}


def _exchange(slack: SlackDouble, code: str, **extra: Any) -> Any:
    return WebClient(base_url=slack.api_url).oauth_v2_access(
        client_id=slack.client_id, client_secret=slack.client_secret, code=code, **extra
    )


def test_a_consent_code_is_exchanged_once_for_a_bot_token_in_slacks_shape(
    slack: SlackDouble,
) -> None:
    _second_workspace(slack)
    code = slack.authorize("T0002", "U2001", scopes=["commands", "chat:write"])
    answer = _exchange(slack, code)
    assert answer.data == {
        "ok": True,
        "app_id": slack.app_id,
        "authed_user": {"id": "U2001"},
        "scope": "commands,chat:write",
        "token_type": "bot",
        "access_token": answer["access_token"],
        "bot_user_id": slack.bot_user_id_in("T0002"),
        "team": {"id": "T0002", "name": "Second Workspace"},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    assert answer["access_token"].startswith("xoxb-")
    assert slack.tokens_of("T0002") == ["xoxb-second", answer["access_token"]]
    token = WebClient(token=answer["access_token"], base_url=slack.api_url)
    assert token.auth_test()["team_id"] == "T0002"
    with pytest.raises(SlackApiError) as again:
        _exchange(slack, code)
    assert api_error(again) == "invalid_code"
    assert [c.team_id for c in slack.calls_to("oauth.v2.access")] == ["T0002", None]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_id": "999.999"}, "invalid_client_id"),
        ({"client_secret": "f" * 32}, "bad_client_secret"),
        ({"code": "made-up"}, "invalid_code"),
        (
            {"redirect_uri": "https://elsewhere.example.com/slack/oauth_redirect"},
            "bad_redirect_uri",
        ),
        ({"grant_type": "password"}, "invalid_grant_type"),
    ],
)
def test_oauth_exchanges_are_refused_like_slack_refuses_them(
    slack: SlackDouble, change: dict[str, str], error: str
) -> None:
    code = slack.authorize(redirect_uri="https://bot.example.com/slack/oauth_redirect")
    arguments = {
        "client_id": slack.client_id,
        "client_secret": slack.client_secret,
        "code": code,
        "redirect_uri": "https://bot.example.com/slack/oauth_redirect",
        **change,
    }
    with pytest.raises(SlackApiError) as refused:
        WebClient(base_url=slack.api_url).oauth_v2_access(**arguments)
    assert api_error(refused) == error


def test_a_code_expires_after_ten_minutes(slack: SlackDouble) -> None:
    code = slack.authorize()
    slack.advance_clock(601)
    with pytest.raises(SlackApiError) as late:
        _exchange(slack, code)
    assert api_error(late) == "invalid_code"


def test_rotating_tokens_expire_and_refresh_into_a_new_pair(slack: SlackDouble) -> None:
    first = _exchange(slack, slack.authorize(rotating=True, expires_in=3600))
    assert first["access_token"].startswith("xoxe.xoxb-")
    assert first["refresh_token"].startswith("xoxe-1-")
    assert first["expires_in"] == 3600
    api = WebClient(base_url=slack.api_url)
    second = api.oauth_v2_access(
        client_id=slack.client_id,
        client_secret=slack.client_secret,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
    )
    assert second["token_type"] == "bot"
    assert second["team"] == {"id": slack.team_id, "name": slack.team_name}
    assert second["expires_in"] == slack.token_lifetime == 12 * 3600
    assert {second["access_token"], second["refresh_token"]}.isdisjoint(
        {first["access_token"], first["refresh_token"]}
    )
    # The refresh token is spent; the old access token works until it expires.
    with pytest.raises(SlackApiError) as spent:
        api.oauth_v2_access(
            client_id=slack.client_id,
            client_secret=slack.client_secret,
            grant_type="refresh_token",
            refresh_token=first["refresh_token"],
        )
    assert api_error(spent) == "invalid_refresh_token"
    old = WebClient(token=first["access_token"], base_url=slack.api_url)
    new = WebClient(token=second["access_token"], base_url=slack.api_url)
    assert old.auth_test()["ok"]
    slack.advance_clock(3600)
    with pytest.raises(SlackApiError) as expired:
        old.auth_test()
    assert api_error(expired) == "token_expired"
    assert new.auth_test()["ok"]
    assert slack.tokens_of(slack.team_id) == [second["access_token"]]


def test_revoked_tokens_answer_token_revoked(slack: SlackDouble) -> None:
    token = _exchange(slack, slack.authorize())["access_token"]
    client = WebClient(token=token, base_url=slack.api_url)
    assert client.auth_revoke(test=True)["revoked"] is False
    assert client.auth_test()["ok"]
    assert client.auth_revoke()["revoked"] is True
    with pytest.raises(SlackApiError) as revoked:
        client.auth_test()
    assert api_error(revoked) == "token_revoked"
    other = _exchange(slack, slack.authorize())["access_token"]
    assert slack.revoke_tokens(slack.team_id) == [token, other]
    assert slack.tokens_of(slack.team_id) == []


def test_an_org_wide_install_answers_for_the_org(slack: SlackDouble) -> None:
    slack.add_workspace("T0003", "Grid Team", enterprise_id="E0001", enterprise_name="Big Org")
    with pytest.raises(ValueError, match="no Enterprise Grid org"):
        slack.authorize(org_wide=True)
    with pytest.raises(KeyError, match="add_workspace"):
        slack.authorize("T9999")
    one = _exchange(slack, slack.authorize("T0003", "U3001"))
    assert one["team"] == {"id": "T0003", "name": "Grid Team"}
    assert one["enterprise"] == {"id": "E0001", "name": "Big Org"}
    assert one["is_enterprise_install"] is False
    org = _exchange(slack, slack.authorize("T0003", "U3001", org_wide=True))
    assert org["team"] is None
    assert org["is_enterprise_install"] is True
    checked = WebClient(token=org["access_token"], base_url=slack.api_url).auth_test()
    assert checked["is_enterprise_install"] is True
    assert checked["enterprise_id"] == "E0001"
