"""The outbox: planned once, sent once, paced, retried, reconciled after a lost outcome."""

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.config import Settings
from bot.deps import Deps
from bot.directory import dm_channel, remember_dm_channel
from bot.gateway import SlackGateway, build_client
from bot.sandbox.slack_double import SlackDouble
from scheduler import outbox
from scheduler.delivery import METADATA_EVENT, Deliverer, Pacer, backoff
from scheduler.outbox import Planned
from storage.db import session_scope
from storage.enums import DeliveryStatus, FlagKind, ProgramStatus
from storage.models import Delivery, Flag, Program, SlackUser
from tests.conftest import FrozenClock, counted_writes

TEAM = "T0001"


class FakeTime:
    """A monotonic clock whose sleep only moves it forward."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def deliverer(deps: Deps, fake_time: FakeTime) -> Deliverer:
    pacer = Pacer(per_channel=1.0, per_workspace=20.0, clock=fake_time.clock, sleep=fake_time.sleep)
    return Deliverer(deps, worker="test-1", pacer=pacer, rng=random.Random(7))


def _plan(engine: Engine, clock: FrozenClock, *items: Planned) -> int:
    with session_scope(engine) as session:
        return outbox.enqueue(session, list(items), now=clock())


def _item(clock: FrozenClock, key: str, recipient: str = "U0001", **extra: object) -> Planned:
    values: dict[str, object] = {"due_at": clock(), **extra}
    return Planned(
        team_id=TEAM,
        dedupe_key=key,
        rule="test",
        recipient_id=recipient,
        payload={"text": f"hello {key}", "blocks": []},
        **values,  # type: ignore[arg-type]
    )


def _rows(engine: Engine) -> list[Delivery]:
    with session_scope(engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)))  # type: ignore[arg-type]


def test_planning_twice_creates_one_row(engine: Engine, clock: FrozenClock) -> None:
    assert _plan(engine, clock, _item(clock, "k1"), _item(clock, "k2")) == 2
    assert _plan(engine, clock, _item(clock, "k1"), _item(clock, "k3")) == 1
    assert [r.dedupe_key for r in _rows(engine)] == ["k1", "k2", "k3"]


def test_due_rows_are_sent_once_with_their_key_as_metadata(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer
) -> None:
    _plan(
        engine,
        clock,
        _item(clock, "k1"),
        _item(clock, "later", due_at=clock() + timedelta(hours=1)),
    )
    report = deliverer.run()
    assert (report.claimed, report.sent) == (1, 1)
    [message] = slack.messages(slack.dm_channel_id("U0001"))
    assert message["metadata"] == {"event_type": METADATA_EVENT, "event_payload": {"key": "k1"}}
    sent, later = _rows(engine)
    assert (sent.status, sent.message_ts) == (DeliveryStatus.SENT, message["ts"])
    assert later.status is DeliveryStatus.PENDING
    assert deliverer.run().claimed == 0
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_message_takes_three_write_units_and_its_conversation_is_stored_before_the_send(
    engine: Engine,
    clock: FrozenClock,
    slack: SlackDouble,
    deliverer: Deliverer,
    fake_time: FakeTime,
    deps: Deps,
) -> None:
    _plan(engine, clock, _item(clock, "k1"))
    slack.fail_next("chat.postMessage", status=503)
    with counted_writes(engine) as writes:
        assert deliverer.run(max_batches=1).retried == 1
        # The claim, the channel's slot with the fence, then the retry's mark.
        assert len(writes) == 3
        [row] = _rows(engine)
        assert row.channel_id == slack.dm_channel_id("U0001")
        clock.advance(timedelta(minutes=5))
        fake_time.now += 300
        writes.clear()
        assert deliverer.run(max_batches=1).sent == 1
        assert len(writes) == 3
        # A send that must wait for its slot fences after the wait, in a unit of its own.
        _plan(engine, clock, _item(clock, "k2"), _item(clock, "k3"))
        writes.clear()
        assert (
            Deliverer(deps, worker="test-1", pacer=deliverer.pacer, bundling=False)
            .run(max_batches=1)
            .sent
            == 2
        )
        # The claim, then each: the slot, the fence after the wait, the mark.
        assert len(writes) == 1 + 2 * 3
        assert fake_time.slept


def test_sends_to_one_channel_are_spaced_a_second_apart(
    engine: Engine,
    clock: FrozenClock,
    slack: SlackDouble,
    deliverer: Deliverer,
    fake_time: FakeTime,
) -> None:
    _plan(engine, clock, *(_item(clock, f"k{i}") for i in range(3)), _item(clock, "bob", "U0002"))
    assert deliverer.run().sent == 4
    # Alice's three messages wait a second each; Bob's only the workspace's 50 ms.
    assert sum(fake_time.slept) == pytest.approx(2.0, abs=0.11)


def test_a_429_waits_out_retry_after_without_using_an_attempt(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer
) -> None:
    _plan(engine, clock, _item(clock, "k1"))
    slack.fail_next("chat.postMessage", retry_after=7)
    report = deliverer.run()
    assert (report.sent, report.retried) == (0, 1)
    [row] = _rows(engine)
    assert (row.status, row.attempts, row.error) == (DeliveryStatus.PENDING, 0, "ratelimited")
    assert row.next_attempt_at == clock() + timedelta(seconds=7)
    clock.advance(timedelta(seconds=6))
    assert deliverer.run().claimed == 0
    clock.advance(timedelta(seconds=2))
    assert deliverer.run().sent == 1


def test_server_errors_back_off_then_give_up_and_flag(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer
) -> None:
    with session_scope(engine) as session:
        program = Program(
            team_id=TEAM,
            name="P",
            status=ProgramStatus.ACTIVE,
            start_date=clock().date(),
            created_by="UADMIN",
        )
        session.add(program)
        session.flush()
        program_id = program.id
    _plan(engine, clock, _item(clock, "k1", program_id=program_id))
    slack.fail_next("*", status=503, times=100)
    waits = []
    for _ in range(6):
        before = clock()
        deliverer.run()
        [row, *_] = _rows(engine)
        if row.status is DeliveryStatus.FAILED:
            break
        waits.append((row.next_attempt_at - before).total_seconds())  # type: ignore[operator]
        clock.current = row.next_attempt_at  # type: ignore[assignment]
    [row, *_] = _rows(engine)
    assert row.status is DeliveryStatus.FAILED
    assert row.error == "gave up after 6 attempts: http_503"
    assert waits == sorted(waits)
    assert waits[0] == pytest.approx(5, rel=0.25)
    with session_scope(engine) as session:
        [flag] = session.exec(select(Flag)).all()
        assert flag.kind is FlagKind.DELIVERY_FAILED
    # The program's lead hears about it once, through the outbox.
    slack.reset()
    clock.current = max(r.next_attempt_at or clock() for r in _rows(engine))
    deliverer.run()
    [notice] = [r for r in _rows(engine) if r.rule == "delivery_failed"]
    assert (notice.recipient_id, notice.status) == ("UADMIN", DeliveryStatus.SENT)
    assert "I can't reach <@U0001>" in notice.payload["text"] + str(notice.payload["blocks"])


def test_permanent_errors_fail_at_once(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer
) -> None:
    _plan(engine, clock, _item(clock, "k1", channel_id="D0GONE"))
    slack.fail_next("chat.postMessage", error="account_inactive", status=200)
    assert deliverer.run().failed == 1
    [row] = _rows(engine)
    assert (row.status, row.error, row.attempts) == (DeliveryStatus.FAILED, "account_inactive", 1)


def test_a_message_whose_moment_passed_is_dropped(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer
) -> None:
    _plan(engine, clock, _item(clock, "k1", expires_at=clock() + timedelta(minutes=5)))
    clock.advance(timedelta(minutes=6))
    assert deliverer.run().dropped == 1
    assert slack.calls_to("chat.postMessage") == []


def test_a_crash_after_sending_is_reconciled_not_resent(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deps: Deps, deliverer: Deliverer
) -> None:
    """The process sent the message and died before marking it: the lease runs out, and the
    next worker finds the message by its metadata instead of sending it again."""
    _plan(engine, clock, _item(clock, "k1"))
    with session_scope(engine) as session:
        [_] = outbox.claim(session, worker="dead", now=clock(), lease=timedelta(minutes=2), limit=5)
    channel = deps.gateway.open_conversation(["U0001"])
    deps.gateway.post_message(
        channel,
        {
            "text": "hello k1",
            "metadata": {"event_type": METADATA_EVENT, "event_payload": {"key": "k1"}},
        },
    )
    assert deliverer.run().claimed == 0  # the dead worker's lease still holds
    clock.advance(timedelta(minutes=3))
    report = deliverer.run()
    assert (report.reconciled, report.sent) == (1, 0)
    assert len(slack.messages(channel)) == 1
    [row] = _rows(engine)
    assert row.status is DeliveryStatus.SENT


def test_a_crash_before_sending_sends_after_the_lease(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer
) -> None:
    _plan(engine, clock, _item(clock, "k1"))
    with session_scope(engine) as session:
        outbox.claim(session, worker="dead", now=clock(), lease=timedelta(minutes=2), limit=5)
    clock.advance(timedelta(minutes=3))
    assert deliverer.run().sent == 1
    assert len(slack.messages(slack.dm_channel_id("U0001"))) == 1


@pytest.fixture
def impatient_deps(settings: Settings, engine: Engine, clock: FrozenClock) -> Iterator[Deps]:
    """Deps whose Slack client gives up after one second."""
    client = build_client(settings.slack_bot_token, settings.slack_api_url, timeout=1)
    deps = Deps(settings=settings, engine=engine, gateway=SlackGateway(client), clock=clock)
    yield deps
    deps.background.shutdown(wait=True)


def test_a_timed_out_send_that_reached_slack_is_not_sent_twice(
    engine: Engine,
    clock: FrozenClock,
    slack: SlackDouble,
    impatient_deps: Deps,
    fake_time: FakeTime,
) -> None:
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    deliverer = Deliverer(impatient_deps, worker="w", pacer=pacer, rng=random.Random(1))
    _plan(engine, clock, _item(clock, "k1"))
    slack.fail_next("chat.postMessage", delay=1.5, apply=True)
    assert deliverer.run().retried == 1
    [row] = _rows(engine)
    assert row.error == outbox.OUTCOME_UNKNOWN
    clock.current = row.next_attempt_at  # type: ignore[assignment]
    assert deliverer.run().reconciled == 1
    assert len(slack.messages(slack.dm_channel_id("U0001"))) == 1


def test_a_lookup_refused_by_a_rate_limit_is_made_again_before_any_resend(
    engine: Engine,
    clock: FrozenClock,
    slack: SlackDouble,
    impatient_deps: Deps,
    fake_time: FakeTime,
) -> None:
    """The outcome of the send stays unknown until a lookup answers: a 429 on the lookup keeps
    the row looking, instead of sending the message a second time."""
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    deliverer = Deliverer(impatient_deps, worker="w", pacer=pacer, rng=random.Random(1))
    _plan(engine, clock, _item(clock, "k1"))
    slack.fail_next("chat.postMessage", delay=1.5, apply=True)
    deliverer.run()
    [row] = _rows(engine)
    clock.current = row.next_attempt_at  # type: ignore[assignment]
    slack.fail_next("conversations.history", retry_after=3)
    assert deliverer.run().retried == 1
    [row] = _rows(engine)
    assert (row.error, row.attempts) == (outbox.OUTCOME_UNKNOWN, 1)
    clock.advance(timedelta(seconds=3))
    assert deliverer.run().reconciled == 1
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_failed_deliveries_can_be_requeued(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer
) -> None:
    _plan(engine, clock, _item(clock, "k1"))
    slack.fail_next("chat.postMessage", error="channel_not_found", status=200)
    deliverer.run()
    with session_scope(engine) as session:
        [row] = outbox.list_deliveries(session, status=DeliveryStatus.FAILED)
        outbox.requeue(session, delivery_id=row.id or 0, now=clock())
    assert deliverer.run().sent == 1


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(3)
    waits = [backoff(n, rng=rng).total_seconds() for n in range(1, 12)]
    assert 4 <= waits[0] <= 6
    assert waits[3] > waits[1]
    assert max(waits) <= 600 * 1.2


def _kept_dm(engine: Engine, user_id: str) -> str | None:
    with session_scope(engine) as session:
        return dm_channel(session, team_id=TEAM, user_id=user_id)


def test_a_persons_conversation_is_opened_once_and_kept_across_restarts(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer, deps: Deps
) -> None:
    deps.directory.person(team_id=TEAM, user_id="U0001")
    dm = slack.dm_channel_id("U0001")
    _plan(engine, clock, _item(clock, "k1"))
    assert deliverer.run().sent == 1
    assert _kept_dm(engine, "U0001") == dm

    _plan(engine, clock, _item(clock, "k2"))
    assert deliverer.run().sent == 1
    # Another copy, or this one started again: the conversation is read, not asked of Slack.
    _plan(engine, clock, _item(clock, "k3"))
    again = Deliverer(deps, worker="test-2", pacer=deliverer.pacer, rng=random.Random(7))
    assert again.run().sent == 1
    # What Slack says of the person, refreshed, leaves the conversation kept.
    deps.directory.person(team_id=TEAM, user_id="U0001", max_age=timedelta(0))

    assert [m["text"] for m in slack.messages(dm)] == ["hello k1", "hello k2", "hello k3"]
    assert len(slack.calls_to("conversations.open")) == 1
    assert _kept_dm(engine, "U0001") == dm


def test_a_kept_conversation_slack_no_longer_knows_is_opened_anew(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer, deps: Deps
) -> None:
    deps.directory.person(team_id=TEAM, user_id="U0001")
    with session_scope(engine) as session:
        remember_dm_channel(session, team_id=TEAM, user_id="U0001", channel_id="DGONE00001")
    _plan(engine, clock, _item(clock, "k1"))

    report = deliverer.run()
    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    [row] = _rows(engine)
    assert (row.status, row.channel_id) == (DeliveryStatus.PENDING, None)
    assert _kept_dm(engine, "U0001") is None

    clock.advance(timedelta(minutes=10))
    assert deliverer.run().sent == 1
    dm = slack.dm_channel_id("U0001")
    assert [m["text"] for m in slack.messages(dm)] == ["hello k1"]
    assert _kept_dm(engine, "U0001") == dm
    with session_scope(engine) as session:
        assert session.exec(select(Flag)).all() == []  # nothing for a lead to look into


def test_a_person_the_directory_never_looked_up_gets_no_row_for_their_conversation(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer
) -> None:
    _plan(engine, clock, _item(clock, "k1"), _item(clock, "k2"))
    assert deliverer.run().sent == 2
    # Nowhere to keep the conversation: each message asks for it again, as before.
    assert len(slack.calls_to("conversations.open")) == 2
    with session_scope(engine) as session:
        assert session.exec(select(SlackUser)).all() == []
