"""A delivering process killed with SIGKILL at random points: after a restart, every due message
was sent exactly once and every outbox row is marked sent.

The workers are real processes forked from a forkserver that has already imported the bot (a
fresh interpreter takes a second to import it; a fork takes milliseconds), so dozens of kills fit
in a few seconds. Each restart acts a lease later than the one before, through ``--at``, so rows
a dead worker held are taken over; its sends with an unknown outcome are looked up by their
metadata before anything is sent again. The last run is a plain ``python -m scheduler.worker``.
"""

import multiprocessing
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.sandbox.slack_double import SlackDouble
from scheduler import outbox, worker
from scheduler.delivery import METADATA_EVENT
from scheduler.outbox import Planned
from storage.db import session_scope
from storage.enums import DeliveryStatus
from storage.models import Delivery

TEAM = "T0001"
USERS = [f"UK{i:04d}" for i in range(10)]
MESSAGES = 60
KILLS = 30
SEED = 20260329
LEASE = timedelta(minutes=2)
# Each restart acts this much later than the one before: past the dead worker's lease.
RESTART_EVERY = LEASE + timedelta(minutes=1)
REPO = Path(__file__).resolve().parent.parent

BEFORE_CLAIM = "killed before claiming"
CLAIMED_NOT_SENT = "killed between claim and send"
SENT_NOT_MARKED = "killed between send and mark"


@pytest.fixture(scope="module")
def forkserver() -> ForkServerContext:
    """Workers fork from a server that imported the worker module once."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["scheduler.worker"])
    return context


@pytest.fixture
def crash_slack() -> Iterator[SlackDouble]:
    """The Slack double, with the people the outbox writes to."""
    with SlackDouble() as double:
        for user in USERS:
            double.add_user(user, name=user.lower(), tz="Europe/Berlin")
        yield double


def _enqueue(engine: Engine, due: datetime) -> list[str]:
    planned = [
        Planned(
            team_id=TEAM,
            dedupe_key=f"crash:{n}",
            rule="test",
            recipient_id=USERS[n % len(USERS)],
            payload={"text": f"message {n}", "blocks": []},
            due_at=due,
        )
        for n in range(MESSAGES)
    ]
    with session_scope(engine) as session:
        assert outbox.enqueue(session, planned, now=due) == MESSAGES
    return [p.dedupe_key for p in planned]


def _rows(engine: Engine) -> list[Delivery]:
    with session_scope(engine) as session:
        return list(session.exec(select(Delivery)))


def _delivered_keys(slack: SlackDouble) -> Counter[str]:
    """How many times each dedupe key reached Slack, from every DM's stored messages."""
    keys: Counter[str] = Counter()
    for user in USERS:
        for message in slack.messages(slack.dm_channel_id(user)):
            metadata = message.get("metadata") or {}
            assert metadata.get("event_type") == METADATA_EVENT
            keys[metadata["event_payload"]["key"]] += 1
    return keys


def _argv(database_url: str, slack: SlackDouble, worker_id: str, at: datetime) -> list[str]:
    return [
        "--database-url",
        database_url,
        "--api-url",
        slack.api_url,
        "--token",
        "xoxb-crash-test",
        "--worker-id",
        worker_id,
        "--at",
        at.isoformat(),
        "--until-empty",
        "--per-channel",
        "10",
        "--batch",
        "10",
    ]


def _kill_when(rng: random.Random, slack: SlackDouble, process: BaseProcess) -> None:
    """Wait for a random moment of the worker's life, then SIGKILL it."""
    mode = rng.choice(("early", "mid-batch", "mid-send"))
    posts = len(slack.calls_to("chat.postMessage"))
    if mode == "mid-send":
        # The double applies the post, then holds the answer: the worker dies not knowing.
        slack.fail_next("chat.postMessage", delay=1.0, apply=True)
    try:
        if mode != "early":
            slack.wait_for("chat.postMessage", count=posts + 1, timeout=5)
    except TimeoutError:
        pass  # nothing left to send: kill it anyway
    time.sleep(rng.uniform(0, 0.06))
    process.kill()
    process.join(timeout=10)
    assert process.exitcode is not None


def _classify(engine: Engine, slack: SlackDouble, worker_id: str) -> str:
    """Where in the delivery of a row the kill landed (the furthest point reached)."""
    delivered = _delivered_keys(slack)
    held = [r for r in _rows(engine) if r.claimed_by == worker_id]
    if any(r.status is DeliveryStatus.SENDING and delivered[r.dedupe_key] for r in held):
        return SENT_NOT_MARKED
    if any(r.status is DeliveryStatus.SENDING for r in held):
        return CLAIMED_NOT_SENT
    if not held:
        return BEFORE_CLAIM
    return "killed between batches"


def test_killed_workers_leave_every_message_sent_exactly_once(
    engine: Engine,
    crash_slack: SlackDouble,
    forkserver: ForkServerContext,
) -> None:
    database_url = str(engine.url)
    # The reconcile looks for a message posted since shortly before it was due; the double
    # stamps messages with the wall clock, so the rows fall due in the real recent past.
    start = datetime.now(UTC).replace(microsecond=0)
    keys = _enqueue(engine, start - timedelta(hours=1))
    rng = random.Random(SEED)
    landed: Counter[str] = Counter()
    for run in range(KILLS):
        worker_id = f"crash-{run}"
        at = start + RESTART_EVERY * run
        process = forkserver.Process(
            target=worker.main, args=(_argv(database_url, crash_slack, worker_id, at),)
        )
        process.start()
        _kill_when(rng, crash_slack, process)
        landed[_classify(engine, crash_slack, worker_id)] += 1

    # No key reached Slack twice, whatever the kills interrupted.
    assert max(_delivered_keys(crash_slack).values(), default=0) <= 1
    # The kills landed in every window of a delivery.
    assert {BEFORE_CLAIM, CLAIMED_NOT_SENT, SENT_NOT_MARKED} <= set(landed), landed

    final = subprocess.run(
        [
            sys.executable,
            "-m",
            "scheduler.worker",
            *_argv(database_url, crash_slack, "final", start + RESTART_EVERY * KILLS),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert final.returncode == 0, final.stderr
    assert "final: claimed" in final.stdout

    delivered = _delivered_keys(crash_slack)
    assert sorted(delivered) == sorted(keys)
    assert set(delivered.values()) == {1}
    rows = _rows(engine)
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert {r.message_ts for r in rows} == {
        m["ts"] for user in USERS for m in crash_slack.messages(crash_slack.dm_channel_id(user))
    }
