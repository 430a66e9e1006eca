"""Pacing shared by every copy of the bot: a channel's slots are claimed in the database, so
copies sending to one channel together keep to Slack's rate for it, where each pacing alone
would post as many times too fast as there are copies.

The first tests drive two copies' pacers (and deliverers) on one fake clock; the last runs three
delivering processes, each with its own engine, pacer and deliverer, against one Slack double
that enforces the limit (429 with Retry-After), on SQLite and on PostgreSQL.
"""

import multiprocessing
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from multiprocessing.context import ForkServerContext
from multiprocessing.synchronize import Barrier

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.deps import Deps
from bot.sandbox.slack_double import SlackDouble
from scheduler import outbox, worker
from scheduler.delivery import METADATA_EVENT, Deliverer, Pacer
from scheduler.outbox import Planned
from storage.db import session_scope
from storage.enums import DeliveryStatus
from storage.models import ChannelPace, Delivery
from tests.conftest import FrozenClock

TEAM = "T0001"
OTHER_TEAM = "T0002"


class FakeTime:
    """One wall clock for every copy; a copy's sleep moves it (the copies take turns)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def _copy(fake_time: FakeTime, *, burst: int = 1) -> Pacer:
    """One copy's pacer: a message a second per channel, the workspace budget out of the way."""
    return Pacer(
        per_channel=1.0,
        per_workspace=1000.0,
        burst=burst,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
    )


def _wait(pacer: Pacer, engine: Engine, team_id: str, channel: str) -> None:
    """Take the channel's next slot and wait for it, as the Deliverer does."""
    with session_scope(engine) as session:
        delay = pacer.book(team_id, channel, session)
    if delay > 0:
        pacer.sleep(delay)


def _sends(
    engine: Engine, fake_time: FakeTime, copies: list[Pacer], channel: str = "C0001"
) -> list[float]:
    """Each copy in turn sends to ``channel``: the seconds from the first call to each send."""
    started = fake_time.now
    moments = []
    for pacer in copies:
        _wait(pacer, engine, TEAM, channel)
        moments.append(round(fake_time.now - started, 2))
    return moments


def test_copies_sending_to_one_channel_take_turns_at_its_pace(
    any_engine: Engine, fake_time: FakeTime
) -> None:
    a, b = _copy(fake_time), _copy(fake_time)
    # Each copy alone would send its first at once and its next a second later: [0, 0, 1, 1, ...].
    assert _sends(any_engine, fake_time, [a, b, a, b, b, a]) == [0, 1, 2, 3, 4, 5]


def test_the_burst_is_the_channel_s_not_each_copy_s(
    any_engine: Engine, fake_time: FakeTime
) -> None:
    a, b = _copy(fake_time, burst=3), _copy(fake_time, burst=3)
    assert _sends(any_engine, fake_time, [a, b, a, b, a, b]) == [0, 0, 0, 1, 2, 3]


def test_a_429_one_copy_got_quiets_the_channel_for_the_others(
    any_engine: Engine, fake_time: FakeTime
) -> None:
    a, b = _copy(fake_time), _copy(fake_time)
    with session_scope(any_engine) as session:
        a.hold(TEAM, "C0001", 5.0, session=session)
    assert _sends(any_engine, fake_time, [b, a]) == [5, 6]


def test_channels_and_workspaces_are_paced_apart(any_engine: Engine, fake_time: FakeTime) -> None:
    a, b = _copy(fake_time), _copy(fake_time)
    started = fake_time.now
    _wait(a, any_engine, TEAM, "C0001")
    _wait(b, any_engine, TEAM, "C0002")
    _wait(b, any_engine, OTHER_TEAM, "C0001")
    assert fake_time.now == started
    with session_scope(any_engine) as session:
        rows = session.exec(select(ChannelPace.team_id, ChannelPace.channel_id)).all()
    assert sorted(rows) == [(TEAM, "C0001"), (TEAM, "C0002"), (OTHER_TEAM, "C0001")]


def test_a_moment_left_by_a_clock_set_back_is_ignored(
    any_engine: Engine, fake_time: FakeTime
) -> None:
    # A copy whose clock ran a day ahead left the channel's next free moment a day away.
    with session_scope(any_engine) as session:
        session.add(ChannelPace(team_id=TEAM, channel_id="C0001", next_free=fake_time.now + 86400))
    a, b = _copy(fake_time), _copy(fake_time)
    assert _sends(any_engine, fake_time, [a, b]) == [0, 1]


def test_a_copy_that_got_a_429_quiets_the_channel_for_the_others(
    deps: Deps, slack: SlackDouble, clock: FrozenClock, fake_time: FakeTime
) -> None:
    planned = [
        Planned(
            team_id=TEAM,
            dedupe_key=f"k{n}",
            rule="test",
            recipient_id="C0001",
            channel_id="C0001",
            payload={"text": f"message {n}", "blocks": []},
            due_at=clock(),
        )
        for n in range(2)
    ]
    with session_scope(deps.engine) as session:
        outbox.enqueue(session, planned, now=clock())
    first = Deliverer(deps, worker="copy-a", pacer=_copy(fake_time), batch=1)
    second = Deliverer(deps, worker="copy-b", pacer=_copy(fake_time), batch=1)
    slack.fail_next("chat.postMessage", retry_after=7)
    assert first.run(max_batches=1).retried == 1
    started = fake_time.now
    assert second.run(max_batches=1).sent == 1
    assert fake_time.now - started == pytest.approx(7.0)


# --- three processes against the double's limit ---------------------------------------------

# Messages a second per channel: the double's limit and the pace the copies are configured with
# (faster than Slack's one a second, so the test takes seconds, not minutes).
LIMIT = 2.5
# Each channel in turn, crowded by all three copies at once.
MAIN = "C0MAIN"
CHANNELS = {MAIN: 20, "C0SIDEA": 10, "C0SIDEB": 10}
WARM_UP = "C0WARMUP"
COPIES = 3
BATCH = 3
# Seconds a send's moment, as the double stamps it, may stray from the slot it was sent in.
JITTER = 0.1


@pytest.fixture(scope="module")
def forkserver() -> ForkServerContext:
    """Copies fork from a server that imported the bot once (a fresh interpreter takes seconds)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["scheduler.worker"])
    return context


def _enqueue(engine: Engine) -> set[str]:
    """The messages, due a minute ago: each copy's warm-up first, then a channel's all due
    before the next channel's."""
    due = datetime.now(UTC) - timedelta(minutes=1)
    queue = [(WARM_UP, n) for n in range(COPIES)]
    queue += [(channel, n) for channel, count in CHANNELS.items() for n in range(count)]
    planned = [
        Planned(
            team_id=TEAM,
            dedupe_key=f"paced:{channel}:{n}",
            rule="test",
            recipient_id=channel,
            channel_id=channel,
            payload={"text": f"message {n}", "blocks": []},
            due_at=due + timedelta(milliseconds=index),
        )
        for index, (channel, n) in enumerate(queue)
    ]
    with session_scope(engine) as session:
        assert outbox.enqueue(session, planned, now=due) == len(planned)
    return {p.dedupe_key for p in planned}


def _deliver_as_a_copy(database_url: str, api_url: str, name: str, start: Barrier) -> None:
    """One copy of the bot: its own engine, pacer (at ``LIMIT``) and deliverer, draining the
    outbox; the copies start together."""
    deps = worker.build_deps(database_url=database_url, api_url=api_url, token="xoxb-pacing")
    pacer = Pacer(per_channel=LIMIT, per_workspace=1000.0)
    deliverer = Deliverer(deps, worker=name, pacer=pacer, batch=BATCH)
    try:
        # Like a copy that has been running a while: a fresh process's one-off costs (its first
        # statements compiled, its first request) are behind it before the copies start.
        warm_up = Deliverer(deps, worker=name, pacer=pacer, batch=1)
        assert warm_up.run(max_batches=1).sent == 1
        start.wait(timeout=60)
        worker.drain(deliverer)
    finally:
        deps.engine.dispose()
        deps.background.shutdown(wait=False)


def test_three_copies_together_keep_to_each_channel_s_limit(
    any_engine: Engine, forkserver: ForkServerContext
) -> None:
    keys = _enqueue(any_engine)
    database_url = any_engine.url.render_as_string(hide_password=False)
    with SlackDouble(channel_rate_limit=LIMIT) as slack:
        for channel in [*CHANNELS, WARM_UP]:
            slack.add_channel(channel)
        start = forkserver.Barrier(COPIES)
        copies = [
            forkserver.Process(
                target=_deliver_as_a_copy, args=(database_url, slack.api_url, f"copy-{n}", start)
            )
            for n in range(COPIES)
        ]
        try:
            for process in copies:
                process.start()
            for process in copies:
                process.join(timeout=120)
        finally:
            for process in copies:
                if process.is_alive():
                    process.kill()
        assert [process.exitcode for process in copies] == [0] * COPIES
        posts = slack.calls_to("chat.postMessage")
        delivered: Counter[str] = Counter()
        for channel in [*CHANNELS, WARM_UP]:
            for message in slack.messages(channel):
                assert message["metadata"]["event_type"] == METADATA_EVENT
                delivered[message["metadata"]["event_payload"]["key"]] += 1

    assert [c.params.get("channel") for c in posts if c.status == 429] == []
    assert delivered == Counter(keys)
    with session_scope(any_engine) as session:
        rows = list(session.exec(select(Delivery)))
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.SENT, 1)}
    # The copies really did crowd the channel: each of them sent to it.
    crowd = {r.claimed_by for r in rows if r.recipient_id == MAIN}
    assert crowd == {f"copy-{n}" for n in range(COPIES)}

    moments: dict[str, list[float]] = defaultdict(list)
    for call in posts:
        moments[str(call.params["channel"])].append(call.at)
    for channel in CHANNELS:
        at = moments[channel]
        span = max(at) - min(at)
        rate = (len(at) - 1) / span
        assert rate >= 0.9 * LIMIT, (channel, rate)
        # Never faster than the limit: the sends took at least their gaps (give or take the
        # moments' jitter: the double stamps each request when it reads it).
        assert span >= (len(at) - 1) / LIMIT - JITTER, (channel, rate)
