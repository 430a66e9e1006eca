"""GET /metrics: what the bot counts, scraped over real HTTP as Prometheus would.

The counters are shared by every test in a process, so each test compares two scrapes.
"""

import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED
from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine

from bot import metrics
from bot.config import ConfigError, Settings, load_settings
from bot.deps import Deps
from bot.gateway import SlackCallError, SlackGateway, build_client
from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from bot.wiring.app import _log_unhandled
from bot.wiring.runtime import Runtime
from bot.wiring.server import MetricsServer
from scheduler import outbox
from scheduler.delivery import Deliverer, Pacer
from scheduler.engine import build_scheduler
from scheduler.outbox import Planned
from storage.db import session_scope
from tests.conftest import FrozenClock
from tests.harness import TEAM_ID, Response, SlackToBot, eventually

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _scrape(bot: SlackToBot) -> tuple[str, Samples]:
    response = bot.get("/metrics")
    assert response.status == 200, response
    return response.body, _samples(response.body)


def _samples(body: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return _value(after, name, **labels) - _value(before, name, **labels)


def _planned(key: str, due_at: datetime) -> Planned:
    return Planned(
        team_id=TEAM_ID,
        dedupe_key=key,
        rule="test",
        recipient_id="U0001",
        payload={"text": "a private word for alice", "blocks": []},
        due_at=due_at,
    )


def test_requests_slack_calls_and_the_outbox_are_counted(
    bot: SlackToBot, slack: SlackDouble, deps: Deps, engine: Engine, clock: FrozenClock
) -> None:
    # The lag window is the last hour of the server's (real) clock: the bot's clock joins it.
    clock.current = datetime.now(UTC).replace(microsecond=0)
    _, before = _scrape(bot)

    assert bot.command("help").status == 200
    assert bot.action("no_such_button", "42").status == 200
    assert bot.post("command=%2Fmentor", headers={"X-Slack-Signature": "v0=forged"}).status == 401

    slack.fail_next("chat.postMessage")  # 429 with Retry-After
    with pytest.raises(SlackCallError):
        deps.gateway.post_message("C0001", {"text": "hi"})
    slack.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackCallError):
        deps.gateway.post_message("C0001", {"text": "hi"})

    with session_scope(engine) as session:
        due = clock() - timedelta(seconds=90)
        later = clock() + timedelta(hours=2)
        enqueued = [_planned("late", due), _planned("later", later)]
        assert outbox.enqueue(session, enqueued, now=clock()) == 2
    deliverer = Deliverer(deps, worker="w", pacer=Pacer(sleep=lambda _: None))
    assert deliverer.run().sent == 1

    plan_prompts = build_scheduler(deps).get_job("plan_prompts")
    plan_prompts.func()

    body, after = _scrape(bot)

    assert _grew(before, after, "mentorbot_requests_total", surface="command") == 1
    assert _grew(before, after, "mentorbot_requests_total", surface="action") == 1
    assert _grew(before, after, "mentorbot_requests_total", surface="refused") == 1
    assert _grew(before, after, "mentorbot_ack_seconds_count", surface="command") == 1
    assert _grew(before, after, "mentorbot_ack_seconds_count", surface="action") == 1
    # Answered well inside Slack's 3 seconds.
    assert _grew(before, after, "mentorbot_ack_seconds_bucket", surface="command", le="3.0") == 1

    # Two failed posts and the delivery's post (conversations.open may come before it).
    assert _grew(before, after, "mentorbot_slack_api_calls_total", method="chat.postMessage") == 3
    errors = "mentorbot_slack_api_errors_total"
    assert _grew(before, after, errors, method="chat.postMessage", error="ratelimited") == 1
    assert _grew(before, after, errors, method="chat.postMessage", error="channel_not_found") == 1
    limited = "mentorbot_slack_api_rate_limited_total"
    assert _grew(before, after, limited, method="chat.postMessage") == 1

    # Read from this test's database at scrape time: absolute, not grown.
    assert _value(after, "mentorbot_outbox_scrape_ok") == 1
    assert _value(after, "mentorbot_outbox_rows", status="sent") == 1
    assert _value(after, "mentorbot_outbox_rows", status="pending") == 1
    assert _value(after, "mentorbot_outbox_rows", status="failed") == 0
    assert _value(after, "mentorbot_delivery_lag_seconds_count") == 1
    for q in ("0.5", "0.95", "1.0"):
        assert _value(after, "mentorbot_delivery_lag_seconds", quantile=q) == 90

    assert _grew(before, after, "mentorbot_planning_pass_seconds_count") == 1

    # Labels are surfaces, methods, error codes and statuses: nobody's words or ids.
    for private in ("U0001", TEAM_ID, "C0001", "alice", "private word", "no_such_button"):
        assert private not in body


def test_metrics_content_type_is_prometheus_text(bot: SlackToBot) -> None:
    with urllib.request.urlopen(bot.base_url + "/metrics", timeout=10) as reply:  # noqa: S310
        assert reply.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"


def test_a_listener_error_is_counted_by_surface(bot: SlackToBot) -> None:
    _, before = _scrape(bot)
    logger = logging.getLogger("test_metrics")
    _log_unhandled(RuntimeError("boom"), {"type": "view_submission", "user": {"id": "U1"}}, logger)
    _log_unhandled(RuntimeError("boom"), {"command": "/mentor", "user_id": "U1"}, logger)
    _, after = _scrape(bot)
    assert _grew(before, after, "mentorbot_listener_errors_total", surface="view") == 1
    assert _grew(before, after, "mentorbot_listener_errors_total", surface="command") == 1


def test_a_listener_that_fails_is_counted_and_the_person_told(
    bot: SlackToBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("handlers.status.pair_dashboards", broken)
    _, before = _scrape(bot)
    answer = bot.ask("status", user_id="U0001")
    _, after = _scrape(bot)
    assert "went wrong" in str(answer).lower()
    assert _grew(before, after, "mentorbot_listener_errors_total", surface="command") == 1


def test_an_unreadable_database_still_answers_the_scrape() -> None:
    broken = create_engine("sqlite:////nonexistent-directory/mentorbot.db")
    body, content_type = metrics.scraper(broken, lambda: 0.0)()
    text = body.decode()
    assert content_type.startswith("text/plain")
    assert "mentorbot_outbox_scrape_ok 0.0" in text
    assert "mentorbot_outbox_rows" not in text
    assert "mentorbot_requests_total" in text


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("ratelimited", "ratelimited"),
        ("http_503", "http_503"),
        ("Not_A_Code", "other"),
        ("Alice said <@U0001>", "other"),
        ("x" * 65, "other"),
    ],
)
def test_odd_error_codes_become_other(raw: str, label: str) -> None:
    assert metrics.code(raw) == label


def test_surfaces_are_a_fixed_set() -> None:
    kinds: Mapping[object, str] = {
        "command": "command",
        "block_actions": "action",
        "view_submission": "view",
        "event_callback": "event",
        "url_verification": "other",
        None: "other",
        42: "other",
    }
    for kind, surface in kinds.items():
        assert metrics.surface_of(kind) == surface


# --- the scheduler -------------------------------------------------------------------------------


def _counted() -> Samples:
    """The process-wide counters (no database figures)."""
    return _samples(generate_latest(metrics.REGISTRY).decode())


def test_scheduler_lag_and_skipped_runs_are_counted_by_job() -> None:
    scheduler = BackgroundScheduler(timezone="UTC")
    due = datetime.now(UTC).replace(microsecond=0)
    # The scheduler's clock, as the lag reads it: two seconds after the run fell due.
    metrics.watch_scheduler(scheduler, now=lambda: due + timedelta(seconds=2))
    seen = {code: threading.Event() for code in (EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED)}
    submitted: list[str] = []

    def saw(event: object) -> None:
        code = getattr(event, "code", None)
        if code == EVENT_JOB_SUBMITTED:
            submitted.append(str(getattr(event, "job_id", "")))
        elif code in seen:
            seen[code].set()

    # Added after the metrics' listener: called after it.
    scheduler.add_listener(saw, EVENT_JOB_SUBMITTED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
    running, release = threading.Event(), threading.Event()

    def held() -> None:
        running.set()
        release.wait(timeout=10)

    before = _counted()
    # Due now and held running; never too late to run (no grace time).
    scheduler.add_job(
        held, "interval", hours=1, id="held_job", next_run_time=due, misfire_grace_time=None
    )
    # Due a minute ago: past APScheduler's grace time, so it is handed over and then skipped.
    scheduler.add_job(
        lambda: None,
        "interval",
        hours=1,
        id="stale_job",
        next_run_time=datetime.now(UTC) - timedelta(minutes=1),
        misfire_grace_time=1,
    )
    scheduler.start()
    try:
        assert running.wait(timeout=10)
        assert seen[EVENT_JOB_MISSED].wait(timeout=10)
        # Due again while its first run still holds its only instance.
        scheduler.modify_job("held_job", next_run_time=datetime.now(UTC))
        assert seen[EVENT_JOB_MAX_INSTANCES].wait(timeout=10)
    finally:
        release.set()
        scheduler.shutdown(wait=True)
    after = _counted()

    lag = "mentorbot_scheduler_lag_seconds"
    # One run started (the busy one never did), two seconds late.
    assert submitted.count("held_job") == 1
    assert _grew(before, after, f"{lag}_count", job="held_job") == 1
    assert _grew(before, after, f"{lag}_sum", job="held_job") == pytest.approx(2.0)
    assert _grew(before, after, f"{lag}_bucket", job="held_job", le="2.5") == 1
    assert _grew(before, after, f"{lag}_bucket", job="held_job", le="1.0") == 0
    skipped = "mentorbot_scheduler_runs_skipped_total"
    assert _grew(before, after, skipped, job="held_job", reason="busy") == 1
    assert _grew(before, after, skipped, job="held_job", reason="missed") == 0
    assert _grew(before, after, skipped, job="stale_job", reason="missed") == 1
    assert _grew(before, after, f"{lag}_count", job="stale_job") == 1


# --- Socket Mode's metrics port ------------------------------------------------------------------


def _get(url: str) -> Response:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:  # noqa: S310 - loopback URL
            assert reply.headers["Content-Type"]
            return Response(reply.status, reply.read().decode())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read().decode())


def test_the_metrics_port_serves_the_scrape_in_prometheus_text_format(engine: Engine) -> None:
    server = MetricsServer(metrics.scraper(engine, time.time), host="127.0.0.1", port=0)
    url = f"http://127.0.0.1:{server.port}"
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=10) as reply:  # noqa: S310
            assert reply.status == 200
            assert reply.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            samples = _samples(reply.read().decode())
        # The counters and this database's outbox, as GET /metrics answers in HTTP mode.
        assert ("mentorbot_outbox_scrape_ok", frozenset()) in samples
        assert _value(samples, "mentorbot_outbox_scrape_ok") == 1
        assert ("mentorbot_outbox_rows", frozenset({("status", "pending")})) in samples
        assert _get(url + "/metrics?name[]=x").status == 200
        assert _get(url + "/slack/events").status == 404
        assert _get(url + "/").status == 404
    finally:
        server.close()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/metrics", timeout=5)  # noqa: S310


def _socket_settings(slack: SlackDouble, tmp_path: Path, port: int) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=None,
        slack_app_token="xapp-test-token",
        slack_api_url=slack.api_url,
        database_url=f"sqlite:///{tmp_path / 'bot.db'}",
        metrics_port=port,
        metrics_host="127.0.0.1",
    )


@pytest.fixture
def socket_runtime(slack: SlackDouble, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime in Socket Mode on the double, with its metrics on a free port."""
    runtime = Runtime(_socket_settings(slack, tmp_path, 0))
    runtime.start(migrate=True)
    thread = threading.Thread(target=runtime.serve_socket_mode, daemon=True)
    thread.start()
    slack.wait_for_socket_client(timeout=10)
    yield runtime
    runtime.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_socket_mode_requests_are_counted_on_the_metrics_port(
    socket_runtime: Runtime, slack: SlackDouble
) -> None:
    assert socket_runtime.metrics_server is not None
    url = f"http://127.0.0.1:{socket_runtime.metrics_server.port}/metrics"

    def scrape() -> Samples:
        response = _get(url)
        assert response.status == 200
        return _samples(response.body)

    before = scrape()
    command = slack.socket_send("slash_commands", slack_double.slash_command_payload())
    event = slack.socket_send(
        "events_api", slack_double.event_callback(slack_double.app_home_opened_event("U0002"))
    )
    slack.wait_for_socket_ack(command, timeout=5)
    slack.wait_for_socket_ack(event, timeout=5)

    def counted() -> bool:
        after = scrape()
        return (
            _grew(before, after, "mentorbot_requests_total", surface="command") == 1
            and _grew(before, after, "mentorbot_requests_total", surface="event") == 1
        )

    # Counted once the ack has gone out, a moment after Slack has it.
    assert eventually(counted)
    after = scrape()
    assert _grew(before, after, "mentorbot_ack_seconds_count", surface="command") == 1
    assert _grew(before, after, "mentorbot_ack_seconds_bucket", surface="command", le="3.0") == 1
    # The scheduler runs in this process: its first runs were timed.
    assert _value(after, "mentorbot_scheduler_lag_seconds_count", job="deliver_outbox") >= 1
    socket_runtime.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)


def test_a_metrics_port_in_use_stops_socket_mode_with_one_line(
    slack: SlackDouble, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        runtime = Runtime(_socket_settings(slack, tmp_path, port))
        runtime.start(migrate=True)
        try:
            with pytest.raises(ConfigError, match=f"METRICS_PORT {port} on METRICS_HOST 127.0.0.1"):
                runtime.serve_socket_mode()
        finally:
            runtime.stop()
    # Refused before connecting to Slack.
    assert slack.calls_to("apps.connections.open") == []


def test_the_metrics_port_is_off_unless_set_and_checked_when_it_is() -> None:
    unset = load_settings({}, env_file=None)
    every_interface = "0.0.0.0"  # noqa: S104 - the default under test
    assert (unset.metrics_port, unset.metrics_host) == (None, every_interface)
    chosen = load_settings({"METRICS_PORT": "9464", "METRICS_HOST": "127.0.0.1"}, env_file=None)
    assert (chosen.metrics_port, chosen.metrics_host) == (9464, "127.0.0.1")
    for host in ("::", "metrics.internal", "localhost"):
        assert load_settings({"METRICS_HOST": host}, env_file=None).metrics_host == host
    for port in ("0", "70000", "nine"):
        with pytest.raises(ConfigError, match="METRICS_PORT must be a whole number from 1 to"):
            load_settings({"METRICS_PORT": port}, env_file=None)
    for host in ("http://metrics", "127.0.0.1:9464", "[::1]", "-bad-"):
        with pytest.raises(ConfigError, match="METRICS_HOST must be an address or host name"):
            load_settings({"METRICS_HOST": host}, env_file=None)


def test_a_spent_response_url_is_counted_as_a_failed_answer(slack: SlackDouble) -> None:
    """``respond()`` answers through the gateway, which counts every answer and each refusal:
    Slack takes a response_url 5 times, then answers 404."""
    gateway = SlackGateway(build_client("xoxb-test", slack.api_url))
    url = slack.new_response_url()
    before = _samples(generate_latest(metrics.REGISTRY).decode())
    answered = [gateway.respond(url, {"text": f"answer {n}"}) for n in range(6)]
    after = _samples(generate_latest(metrics.REGISTRY).decode())
    assert answered == [True] * 5 + [False]
    assert _grew(before, after, "mentorbot_slack_api_calls_total", method="response_url") == 6
    refused = {"method": "response_url", "error": "http_404"}
    assert _grew(before, after, "mentorbot_slack_api_errors_total", **refused) == 1
