"""Delivery against Slack's per-channel rate limit, enforced by the double on a fake clock:
paced at the limit it never sees a 429; unpaced it waits out every Retry-After and still
delivers each message exactly once."""

import random
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.config import Settings
from bot.deps import Deps
from bot.gateway import SlackGateway, build_client
from bot.sandbox.slack_double import SlackDouble
from scheduler import outbox
from scheduler.delivery import METADATA_EVENT, Deliverer, Pacer
from scheduler.outbox import Planned
from storage.db import session_scope
from storage.enums import DeliveryStatus
from storage.models import Delivery
from tests.conftest import FrozenClock

TEAM = "T0001"
LIMIT = 5.0
USERS = ("U0001", "U0002")


class FakeTime:
    """One monotonic clock for the pacer and the double's limiter; sleeping moves it."""

    def __init__(self, clock: FrozenClock) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.wall = clock

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move both this clock and the bot's wall clock."""
        self.now += seconds
        self.wall.advance(timedelta(seconds=seconds))


@pytest.fixture
def fake_time(clock: FrozenClock) -> FakeTime:
    return FakeTime(clock)


@pytest.fixture
def limited(fake_time: FakeTime) -> Iterator[SlackDouble]:
    """A double allowing 5 messages a second per channel (bursts of 3), on the fake clock."""
    with SlackDouble(channel_rate_limit=LIMIT, clock=fake_time.clock) as double:
        yield double


@pytest.fixture
def limited_deps(
    settings: Settings, engine: Engine, clock: FrozenClock, limited: SlackDouble
) -> Iterator[Deps]:
    client = build_client(settings.slack_bot_token, limited.api_url, timeout=5)
    deps = Deps(settings=settings, engine=engine, gateway=SlackGateway(client), clock=clock)
    yield deps
    deps.background.shutdown(wait=True)


def _enqueue(engine: Engine, clock: FrozenClock, count: int) -> None:
    planned = [
        Planned(
            team_id=TEAM,
            dedupe_key=f"k{n}",
            rule="test",
            recipient_id=USERS[n % len(USERS)],
            payload={"text": f"message {n}", "blocks": []},
            due_at=clock(),
        )
        for n in range(count)
    ]
    with session_scope(engine) as session:
        outbox.enqueue(session, planned, now=clock())


def _delivered(slack: SlackDouble) -> Counter[str]:
    keys: Counter[str] = Counter()
    for user in USERS:
        for message in slack.messages(slack.dm_channel_id(user)):
            assert message["metadata"]["event_type"] == METADATA_EVENT
            keys[message["metadata"]["event_payload"]["key"]] += 1
    return keys


def _deliverer(deps: Deps, fake_time: FakeTime, per_channel: float) -> Deliverer:
    pacer = Pacer(
        per_channel=per_channel, per_workspace=1000, clock=fake_time.clock, sleep=fake_time.sleep
    )
    return Deliverer(deps, worker="limits", pacer=pacer, rng=random.Random(3))


def test_paced_at_the_limit_no_429_and_the_limit_is_used(
    engine: Engine,
    clock: FrozenClock,
    limited: SlackDouble,
    limited_deps: Deps,
    fake_time: FakeTime,
) -> None:
    _enqueue(engine, clock, 40)
    started = fake_time.now
    report = _deliverer(limited_deps, fake_time, LIMIT).run()
    assert report.sent == 40
    assert [c for c in limited.calls_to("chat.postMessage") if c.status == 429] == []
    assert set(_delivered(limited).values()) == {1}
    # 20 messages a channel, both channels at once, one every 1/5 s: 19 gaps of 0.2 s.
    assert fake_time.now - started == pytest.approx(19 / LIMIT, rel=0.1)


def test_unpaced_429s_are_waited_out_and_nothing_is_lost_or_doubled(
    engine: Engine,
    clock: FrozenClock,
    limited: SlackDouble,
    limited_deps: Deps,
    fake_time: FakeTime,
) -> None:
    _enqueue(engine, clock, 40)
    deliverer = _deliverer(limited_deps, fake_time, per_channel=1000)
    for _ in range(100):
        deliverer.run()
        with session_scope(engine) as session:
            rows = list(session.exec(select(Delivery)))
        if all(r.status is DeliveryStatus.SENT for r in rows):
            break
        # Nothing is due before a Retry-After runs out: let a second pass.
        fake_time.advance(1.0)
    limited_calls = [c for c in limited.calls_to("chat.postMessage") if c.status == 429]
    assert limited_calls
    assert sorted(_delivered(limited)) == sorted(f"k{n}" for n in range(40))
    assert set(_delivered(limited).values()) == {1}
    # A rate-limited try is not an attempt: no row is any closer to giving up.
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.SENT, 1)}


def test_a_429_on_a_first_dm_quiets_that_dm(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deps: Deps, fake_time: FakeTime
) -> None:
    """Slack said wait 7 s for Alice's DM: the next message to it waits that long too, instead
    of being sent (and refused) at once; then the refused one goes again."""
    _enqueue(engine, clock, 3)  # k0 and k2 to Alice, k1 to Bob
    slack.fail_next("chat.postMessage", retry_after=7)
    report = _deliverer(deps, fake_time, per_channel=1).run()
    assert (report.retried, report.sent) == (1, 3)
    alice = [
        c.params["metadata"]["event_payload"]["key"]
        for c in slack.calls_to("chat.postMessage")
        if c.params["channel"] == slack.dm_channel_id("U0001")
    ]
    assert alice == ["k0", "k2", "k0"]
    assert max(fake_time.slept) == pytest.approx(7, abs=0.1)
    assert set(_delivered(slack).values()) == {1}
