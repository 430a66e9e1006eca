"""Keep-alive connections to Slack (bot.transport), against the Slack double over real HTTP."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot import transport
from bot.gateway import SlackCallError, SlackGateway, build_client
from bot.sandbox.slack_double import SlackDouble


@pytest.fixture
def slack() -> Iterator[SlackDouble]:
    transport.reset()
    with SlackDouble() as double:
        double.add_user("U0001", name="alice", tz="Europe/Berlin")
        yield double
    transport.reset()


def gateway_for(slack: SlackDouble, *, timeout: int = 10) -> SlackGateway:
    return SlackGateway(build_client("xoxb-test", slack.api_url, timeout=timeout))


def test_calls_and_answers_share_one_connection(slack: SlackDouble) -> None:
    gateway = gateway_for(slack)
    for n in range(5):
        gateway.post_message("U0001", {"text": f"hello {n}"})
    assert gateway.user_info("U0001").tz == "Europe/Berlin"
    assert gateway.respond(slack.new_response_url(), {"text": "done"})

    assert slack.connections_accepted == 1
    assert [m["text"] for m in slack.messages("U0001")] == [f"hello {n}" for n in range(5)]


def test_refusals_keep_their_shape_and_the_connection(slack: SlackDouble) -> None:
    gateway = gateway_for(slack)
    slack.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackCallError) as limited:
        gateway.post_message("U0001", {"text": "too fast"})
    assert (limited.value.error, limited.value.status, limited.value.retry_after) == (
        "ratelimited",
        429,
        7.0,
    )
    slack.fail_next("chat.postMessage", status=503)
    with pytest.raises(SlackCallError) as down:
        gateway.post_message("U0001", {"text": "down"})
    assert (down.value.error, down.value.status) == ("http_503", 503)
    slack.fail_next("users.info", error="user_not_found")
    with pytest.raises(SlackCallError) as missing:
        gateway.user_info("U0001")
    assert missing.value.error == "user_not_found"
    spent = slack.new_response_url()
    for n in range(5):
        assert gateway.respond(spent, {"text": f"answer {n}"})
    assert not gateway.respond(spent, {"text": "a sixth"})  # Slack's 404

    gateway.post_message("U0001", {"text": "after all that"})
    assert [m["text"] for m in slack.messages("U0001")] == ["after all that"]
    assert slack.connections_accepted == 1


def test_an_answer_that_came_too_late_never_reaches_the_next_call(slack: SlackDouble) -> None:
    gateway = gateway_for(slack, timeout=1)
    slack.fail_next("chat.postMessage", delay=2, apply=True)
    with pytest.raises(SlackCallError) as timed_out:
        gateway.post_message("U0001", {"text": "slow"})
    assert timed_out.value.error == "connection_error"

    # The timed-out connection is closed, not pooled: the late answer cannot be read as the
    # answer to this call.
    assert gateway.user_info("U0001").user_id == "U0001"
    assert slack.connections_accepted == 2


def test_a_connection_slack_closed_while_idle_is_replaced_without_a_retry(
    slack: SlackDouble,
) -> None:
    gateway = gateway_for(slack)
    gateway.post_message("U0001", {"text": "first"})
    slack.drop_connections()

    gateway.post_message("U0001", {"text": "second"})
    assert [m["text"] for m in slack.messages("U0001")] == ["first", "second"]
    assert [c.method for c in slack.calls] == ["chat.postMessage", "chat.postMessage"]
    assert slack.connections_accepted == 2


def test_slack_gone_is_a_connection_error(slack: SlackDouble) -> None:
    gateway = gateway_for(slack)
    gateway.post_message("U0001", {"text": "first"})
    slack.stop()
    with pytest.raises(SlackCallError) as gone:
        gateway.post_message("U0001", {"text": "nobody there"})
    assert gone.value.error == "connection_error"


def test_a_forked_worker_opens_connections_of_its_own(slack: SlackDouble) -> None:
    gateway = gateway_for(slack)
    gateway.post_message("U0001", {"text": "parent, before"})

    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            gateway.post_message("U0001", {"text": "child"})
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0

    gateway.post_message("U0001", {"text": "parent, after"})
    assert [m["text"] for m in slack.messages("U0001")] == [
        "parent, before",
        "child",
        "parent, after",
    ]
    # The parent kept its connection; the child opened its own instead of writing on it.
    assert slack.connections_accepted == 2


def test_behind_an_egress_proxy_the_calls_go_through_it(
    slack: SlackDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    # slack_sdk reads the proxy from the environment; such calls take slack_sdk's own way.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{closed.getsockname()[1]}"
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    gateway = gateway_for(slack)
    assert gateway.client.proxy == proxy

    with pytest.raises(SlackCallError) as unreachable:
        gateway.post_message("U0001", {"text": "through the proxy"})
    assert unreachable.value.error == "connection_error"
    assert not gateway.respond(slack.new_response_url(), {"text": "through the proxy"})
    assert slack.connections_accepted == 0


def test_many_threads_at_once_each_keep_a_connection_without_complaint(
    slack: SlackDouble, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = gateway_for(slack)
    threads = 40  # more than the 16 listener threads by default
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(2):
            list(pool.map(lambda n: gateway.post_message("U0001", {"text": "hi"}), range(threads)))
    # No more connections than calls under way at once, and every one kept, none closed as
    # "pool is full" (urllib3 would say so): the calls after them open nothing new.
    opened = slack.connections_accepted
    assert opened <= threads
    for _ in range(10):
        gateway.post_message("U0001", {"text": "one more"})

    assert len(slack.messages("U0001")) == 2 * threads + 10
    assert slack.connections_accepted == opened
    assert not [r for r in caplog.records if r.name.startswith("urllib3")]
