"""Three delivering processes on one PostgreSQL database share 1,000 due messages: each is sent
once, none is lost, and the work really is shared (``FOR UPDATE SKIP LOCKED``)."""

import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.sandbox.slack_double import SlackDouble
from scheduler import outbox
from scheduler.delivery import METADATA_EVENT
from scheduler.outbox import Planned
from storage.db import session_scope
from storage.enums import DeliveryStatus
from storage.models import Delivery

pytestmark = pytest.mark.postgres

TEAM = "T0001"
MESSAGES = 1_000
USERS = [f"UP{i:04d}" for i in range(200)]
WORKERS = 3
REPO = Path(__file__).resolve().parent.parent


def _enqueue(engine: Engine) -> set[str]:
    due = datetime.now(UTC) - timedelta(hours=1)
    planned = [
        Planned(
            team_id=TEAM,
            dedupe_key=f"shared:{n}",
            rule="test",
            recipient_id=USERS[n % len(USERS)],
            payload={"text": f"message {n}", "blocks": []},
            due_at=due,
        )
        for n in range(MESSAGES)
    ]
    with session_scope(engine) as session:
        assert outbox.enqueue(session, planned, now=due) == MESSAGES
    return {p.dedupe_key for p in planned}


def test_three_processes_deliver_a_thousand_messages_once(pg_url: str, pg_engine: Engine) -> None:
    keys = _enqueue(pg_engine)
    with SlackDouble() as slack:
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "scheduler.worker",
                    "--database-url",
                    pg_url,
                    "--api-url",
                    slack.api_url,
                    "--token",
                    "xoxb-concurrency",
                    "--worker-id",
                    f"worker-{n}",
                    "--until-empty",
                    # Pacing has its own tests: here only sharing the work matters.
                    "--per-channel",
                    "1000",
                    "--per-workspace",
                    "1000",
                    "--batch",
                    "10",
                ],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(WORKERS)
        ]
        outputs = [process.communicate(timeout=60) for process in workers]
        for process, (_, err) in zip(workers, outputs, strict=True):
            assert process.returncode == 0, err
        delivered: Counter[str] = Counter()
        for user in USERS:
            for message in slack.messages(slack.dm_channel_id(user)):
                assert message["metadata"]["event_type"] == METADATA_EVENT
                delivered[message["metadata"]["event_payload"]["key"]] += 1
        posts = slack.calls_to("chat.postMessage")

    assert set(delivered) == keys
    assert set(delivered.values()) == {1}
    assert len(posts) == MESSAGES
    # Each row was claimed by exactly one worker: the claims the workers report add up.
    claimed = [int(re.search(r"claimed (\d+)", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    assert sum(claimed) == MESSAGES
    with session_scope(pg_engine) as session:
        rows = list(session.exec(select(Delivery)))
    assert len(rows) == MESSAGES
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert {r.attempts for r in rows} == {1}
    by_worker = Counter(r.claimed_by for r in rows)
    assert len(by_worker) > 1, by_worker
    assert by_worker == Counter({f"worker-{n}": c for n, c in enumerate(claimed) if c})
