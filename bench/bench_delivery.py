"""Delivery throughput against a fake Slack that enforces a per-channel rate limit.

Run from the repository root: ``python bench/bench_delivery.py``. Prints figures; asserts
nothing. Real time: about half a minute.

1. Paced: the Deliverer's pacer is set to the double's limit (5 messages a second per channel);
   200 messages across 4 DMs should go out at close to the limit, without a single 429.
2. Unpaced: the pacer allows far more than Slack does; the double answers 429 with Retry-After,
   the Deliverer waits it out, and every message still arrives exactly once.
"""

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

# Run as a plain script, so the repository root is not on sys.path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, func
from sqlmodel import col, select

from bot.sandbox.slack_double import RecordedCall, SlackDouble
from scheduler import outbox
from scheduler.delivery import METADATA_EVENT, Deliverer, Pacer
from scheduler.outbox import Planned
from scheduler.worker import build_deps, drain
from storage.db import make_engine, session_scope
from storage.enums import DeliveryStatus
from storage.migrate import upgrade
from storage.models import Delivery
from storage.types import utcnow

TEAM = "T0001"
LIMIT = 5.0  # messages a second per channel, enforced by the double
MESSAGES = 200
USERS = ("UB0001", "UB0002", "UB0003", "UB0004")
UNPACED = 1_000.0
DEADLINE_S = 60.0


@dataclass(frozen=True)
class Result:
    """What one delivery run achieved."""

    seconds: float
    per_channel: dict[str, float]
    delivered: int
    duplicates: int
    ratelimited: int


def _enqueue(engine: Engine, run: str) -> None:
    due = utcnow() - timedelta(minutes=1)
    planned = [
        Planned(
            team_id=TEAM,
            dedupe_key=f"{run}:{n}",
            rule="bench",
            recipient_id=USERS[n % len(USERS)],
            payload={"text": f"message {n}", "blocks": []},
            due_at=due,
        )
        for n in range(MESSAGES)
    ]
    with session_scope(engine) as session:
        outbox.enqueue(session, planned, now=due)


def _pending(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(
            session.exec(
                select(func.count()).where(col(Delivery.status) != DeliveryStatus.SENT.value)
            ).one()
        )


def _rates(posts: list[RecordedCall]) -> dict[str, float]:
    """Messages a second per channel: sends after the first, over the time they took."""
    moments: dict[str, list[float]] = defaultdict(list)
    for call in posts:
        moments[str(call.params["channel"])].append(call.at)
    return {
        channel: (len(times) - 1) / (max(times) - min(times))
        for channel, times in sorted(moments.items())
        if len(times) > 1 and max(times) > min(times)
    }


def deliver(database_url: str, per_channel: float, run: str) -> Result:
    """Send ``MESSAGES`` messages through a fresh double; return the figures."""
    with SlackDouble(channel_rate_limit=LIMIT) as slack:
        # The fake Slack takes any bot token.
        deps = build_deps(
            database_url=database_url,
            api_url=slack.api_url,
            token="xoxb-bench",  # noqa: S106
        )
        try:
            _enqueue(deps.engine, run)
            pacer = Pacer(per_channel=per_channel, per_workspace=max(20.0, per_channel))
            deliverer = Deliverer(deps, worker=f"bench-{run}", pacer=pacer)
            started = time.perf_counter()
            # Rate-limited rows wait for Retry-After in the outbox: poll until all are sent.
            while _pending(deps.engine) and time.perf_counter() - started < DEADLINE_S:
                if not drain(deliverer).claimed:
                    time.sleep(0.05)
            seconds = time.perf_counter() - started
        finally:
            deps.engine.dispose()
        calls = slack.calls_to("chat.postMessage")
        sent = [c for c in calls if c.status == 200 and c.error is None]
        keys: Counter[str] = Counter()
        for user in USERS:
            for message in slack.messages(slack.dm_channel_id(user)):
                assert message["metadata"]["event_type"] == METADATA_EVENT
                keys[message["metadata"]["event_payload"]["key"]] += 1
    return Result(
        seconds=seconds,
        per_channel=_rates(sent),
        delivered=len(keys),
        duplicates=sum(n - 1 for n in keys.values()),
        ratelimited=sum(1 for c in calls if c.status == 429),
    )


def _report(label: str, result: Result) -> None:
    rates = list(result.per_channel.values())
    mean = sum(rates) / len(rates) if rates else 0.0
    print(
        f"{label:<8} {result.seconds:>8.1f} {min(rates, default=0):>10.2f} {mean:>10.2f} "
        f"{max(rates, default=0):>10.2f} {mean / LIMIT:>9.0%} {result.ratelimited:>6} "
        f"{result.delivered:>6}/{MESSAGES} {result.duplicates:>5}"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the paced and the unpaced delivery and print a line for each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    # Each 429 is logged as a warning: expected here, and noise in the table.
    logging.basicConfig(level=logging.ERROR)
    print(f"{MESSAGES} messages to {len(USERS)} DMs; the fake Slack allows {LIMIT:g}/s per channel")
    print(
        f"{'pacer':<8} {'seconds':>8} {'min msg/s':>10} {'mean msg/s':>10} {'max msg/s':>10} "
        f"{'of limit':>9} {'429s':>6} {'delivered':>10} {'dups':>5}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        for label, per_channel in (("paced", LIMIT), ("unpaced", UNPACED)):
            url = f"sqlite:///{Path(tmp) / f'{label}.db'}"
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            _report(label, deliver(url, per_channel, label))


if __name__ == "__main__":
    main()
