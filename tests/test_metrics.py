"""GET /metrics: what the bot counts, scraped over real HTTP as Prometheus would.

The counters are shared by every test in a process, so each test compares two scrapes.
"""

import logging
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine

from bot import metrics
from bot.deps import Deps
from bot.gateway import SlackCallError
from bot.sandbox.slack_double import SlackDouble
from bot.wiring.app import _log_unhandled
from scheduler import outbox
from scheduler.delivery import Deliverer, Pacer
from scheduler.engine import build_scheduler
from scheduler.outbox import Planned
from storage.db import session_scope
from tests.conftest import FrozenClock
from tests.harness import TEAM_ID, SlackToBot

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _scrape(bot: SlackToBot) -> tuple[str, Samples]:
    response = bot.get("/metrics")
    assert response.status == 200, response
    samples: Samples = {}
    for family in text_string_to_metric_families(response.body):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return response.body, samples


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
