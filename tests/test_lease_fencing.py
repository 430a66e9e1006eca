"""No send after a lost lease: two copies share one database while Slack answers each post
2.6 seconds late, and every message (alone, bundled or a file) still goes exactly once.

Time is the injected clock: each send moves it 2.6 s on, so the first copy's batch outlives its
2-minute lease half way through; at that moment the second copy runs a pass of its own, reclaims
what the first still holds and sends it. The first copy must then leave those alone, and the
second must not reclaim the send the first has in flight.
"""

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.config import Settings
from bot.deps import Deps
from bot.gateway import SlackGateway, build_client
from bot.sandbox.slack_double import SlackDouble
from scheduler import outbox
from scheduler.delivery import METADATA_EVENT, Deliverer, DeliveryReport, Pacer
from scheduler.outbox import Planned, SharedFile
from storage.db import session_scope
from storage.enums import DeliveryStatus
from storage.models import Delivery
from tests.conftest import FrozenClock

TEAM = "T0001"
LEASE = timedelta(minutes=2)
SLOW = timedelta(seconds=2.6)
SINGLE_USERS = [f"UL{i:03d}" for i in range(20)]
BUNDLE_USERS = ["UB001", "UB002"]
FILE_USERS = ["UF001", "UF002", "UF003", "UF004"]


class SlowGateway(SlackGateway):
    """A gateway to a Slack that answers each post or file share ``SLOW`` late (on the clock);
    ``before_send`` runs while the send is in flight, before Slack has taken it in."""

    def __init__(self, slack: SlackDouble, clock: FrozenClock) -> None:
        super().__init__(build_client("xoxb-fencing", slack.api_url, timeout=5), strict=True)
        self.clock = clock
        self.before_send: Callable[[], None] = lambda: None

    def _slowly(self) -> None:
        self.clock.advance(SLOW)
        self.before_send()

    def post_message(self, channel: str, message: dict[str, Any]) -> str:
        self._slowly()
        return super().post_message(channel, message)

    def upload_file(
        self,
        channel_id: str,
        *,
        filename: str,
        content: bytes,
        title: str,
        initial_comment: str | None = None,
    ) -> str:
        self._slowly()
        return super().upload_file(
            channel_id,
            filename=filename,
            content=content,
            title=title,
            initial_comment=initial_comment,
        )


def _planned(clock: FrozenClock) -> list[Planned]:
    """70 messages: 60 alone, two people's 3 routine prompts each (a bundle apiece), 4 files.

    The bundles and files come last, where the first copy's lease has run out.
    """
    due = clock()
    alone = [
        Planned(
            team_id=TEAM,
            dedupe_key=f"alone:{n}",
            rule="test",
            recipient_id=SINGLE_USERS[n % len(SINGLE_USERS)],
            payload={"text": f"message {n}", "blocks": []},
            due_at=due,
        )
        for n in range(60)
    ]
    bundled = [
        Planned(
            team_id=TEAM,
            dedupe_key=f"routine:{user}:{n}",
            rule="test",
            recipient_id=user,
            payload={"text": f"routine {n}"},
            due_at=due,
            bundle=True,
        )
        for user in BUNDLE_USERS
        for n in range(3)
    ]
    files = [
        Planned(
            team_id=TEAM,
            dedupe_key=f"file:{user}",
            rule="test",
            recipient_id=user,
            payload={"text": "an invite"},
            due_at=due,
            file=SharedFile(filename=f"invite-{user}.ics", title="Invite", content="BEGIN"),
        )
        for user in FILE_USERS
    ]
    return alone + bundled + files


def _delivered(slack: SlackDouble) -> Counter[str]:
    """How many times each dedupe key reached a conversation (files by their name)."""
    seen: Counter[str] = Counter()
    for user in SINGLE_USERS + BUNDLE_USERS:
        for message in slack.messages(slack.dm_channel_id(user)):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") != METADATA_EVENT:
                continue
            payload = metadata["event_payload"]
            seen.update(payload.get("keys") or [payload["key"]])
    for shared in slack.uploaded_files:
        seen[f"file:{shared.filename.removeprefix('invite-').removesuffix('.ics')}"] += 1
    return seen


def _unfence(monkeypatch: pytest.MonkeyPatch) -> None:
    """The claim checks as they were before the fence: a send goes out whatever the lease."""
    mine = outbox._mine
    monkeypatch.setattr(outbox, "fence", lambda session, **_: True)
    monkeypatch.setattr(outbox, "_fenced", lambda claim, worker, now: mine(claim.id, worker))


@pytest.mark.parametrize("fenced", [True, False], ids=["fenced", "unfenced"])
def test_two_copies_with_a_slow_slack_send_every_message_once(
    any_engine: Engine,
    settings: Settings,
    slack: SlackDouble,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    fenced: bool,
) -> None:
    if not fenced:
        _unfence(monkeypatch)
    planned = _planned(clock)
    with session_scope(any_engine) as session:
        assert outbox.enqueue(session, planned, now=clock()) == len(planned) == 70

    copies: list[Deliverer] = []
    for name in ("copy-a", "copy-b"):
        gateway = SlowGateway(slack, clock)
        deps = Deps(settings=settings, engine=any_engine, gateway=gateway, clock=clock)
        copies.append(
            Deliverer(deps, worker=name, pacer=Pacer(sleep=lambda _: None), lease=LEASE, batch=100)
        )
    first, second = copies
    start = clock()
    second_reports: list[DeliveryReport] = []
    in_flight: list[int] = []

    def second_copy_runs_once_the_lease_is_gone() -> None:
        if second_reports or clock() - start <= LEASE:
            return
        # The first copy's send that crossed the lease is in flight: Slack has not taken it in.
        in_flight.append(len(slack.calls_to("chat.postMessage")))
        second_reports.append(second.run())

    assert isinstance(first.deps.gateway, SlowGateway)
    first.deps.gateway.before_send = second_copy_runs_once_the_lease_is_gone
    first_report = first.run(max_batches=1)
    assert second_reports, "the first copy's batch never outlived its lease"
    # Whatever is left (nothing, when fenced) goes in later passes, well past every lease.
    clock.advance(LEASE * 2)
    later = [first.run(), second.run()]

    delivered = _delivered(slack)
    keys = {p.dedupe_key for p in planned}
    twice = sorted(k for k, n in delivered.items() if n > 1)
    if not fenced:
        # Without the fence the fault of issue 15 comes back: the test has teeth.
        assert twice
        return
    assert set(delivered) == keys
    assert not twice, twice
    [second_report] = second_reports
    assert first_report.claimed == 70
    # The first copy sent 46 on time, the 47th with its lease extended just before the send;
    # the rest it left to the second copy, which reclaimed them (only them) and sent them.
    assert in_flight == [46]
    assert second_report.claimed == first_report.lost == 70 - first_report.sent == 23
    assert first_report.sent + second_report.sent == 70
    assert second_report.lost == 0
    assert sum(r.claimed for r in later) == 0
    with session_scope(any_engine) as session:
        rows = list(session.exec(select(Delivery)))
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert Counter(r.claimed_by for r in rows) == {
        "copy-a": first_report.sent,
        "copy-b": second_report.sent,
    }


def test_a_send_in_flight_keeps_its_lease_from_the_fence(
    engine: Engine, settings: Settings, slack: SlackDouble, clock: FrozenClock
) -> None:
    """The fence extends the lease from the moment of the send: another copy that comes while
    Slack is still answering finds nothing to reclaim, so it can't look in the conversation,
    see nothing yet, and send a second time."""
    with session_scope(engine) as session:
        outbox.enqueue(session, _planned(clock)[:1], now=clock())
    gateway = SlowGateway(slack, clock)
    deps = Deps(settings=settings, engine=engine, gateway=gateway, clock=clock)
    quiet = Pacer(sleep=lambda _: None)
    first = Deliverer(deps, worker="copy-a", pacer=quiet, lease=LEASE)
    second = Deliverer(deps, worker="copy-b", pacer=quiet, lease=LEASE)
    seen: list[DeliveryReport] = []

    def slack_answers_late_past_the_claims_lease() -> None:
        # The claim's lease ran out 1.6 s ago; the fence's holds for nearly two minutes more.
        seen.append(second.run())

    # The first copy's claim is old when it sends: it spent two minutes on earlier work.
    with session_scope(engine) as session:
        [claim] = outbox.claim(session, worker="copy-a", now=clock(), lease=LEASE, limit=1)
    clock.advance(LEASE - timedelta(seconds=1))
    gateway.before_send = slack_answers_late_past_the_claims_lease
    report = DeliveryReport()
    first._deliver(claim, report)
    assert report.sent == 1
    assert seen[0].claimed == 0
    assert sum(_delivered(slack).values()) == 1
