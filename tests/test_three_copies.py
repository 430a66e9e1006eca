"""Three copies of ``mentorbot run --http`` behind a load balancer, on one PostgreSQL database:
one is killed in the middle of a send, and still every prompt reaches Slack exactly once, paced.

What runs is what an operator runs (docs/deploy.md): ``mentorbot db upgrade`` once, then three
``mentorbot run --http --port N`` processes with the same settings, each with its scheduler. The
test plays the load balancer and Slack. It hands signed requests to the copies in turn: a lead
creates and opens a program in its modal, 2 mentors and 20 mentees join through the join modal,
the lead matches and approves every proposal, and each mentee books a session in the schedule
modal (a modal opened by one copy is submitted to the next). The copies speak to the Slack double,
which records every call and answers 429 to a channel that gets more than Slack's pace.

The copies run on the real clock (``mentorbot run`` has no other), so the prompts are ones due
at once: each session starts 13 to 14 minutes after it is booked, so its reminder (15 minutes
before) and the mentee's agenda prompt (24 hours before) are due as soon as they are planned.
Everyone works every day around the clock, in a zone where it is midday now, so no prompt waits
for working hours. While the test seeds, it holds the planning turn the copies take in turn (a
PostgreSQL advisory lock), so their passes skip; the next pass after it lets go, within a
minute, plans the 60 prompts.

Before letting go, once the sign-ups' own messages are out, it makes the double hold its answer
to the next post, and the copy that sent it is killed (SIGKILL) while it waits: the message is in
Slack, the copy never learns it, and the rest of its batch stays claimed until its 2-minute lease
runs out. The two other copies then take it over: the held message is found by its metadata
instead of being sent again, and the rest goes out. The lease is real time too, so the test
takes about four minutes.
"""

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from sqlmodel import col, select

from bot.ids import ActionId, BlockId
from bot.sandbox.slack_double import RecordedCall, SlackDouble
from scheduler.delivery import CHANNEL_BURST, METADATA_EVENT
from scheduler.tick import PG_PLANNING_LOCK
from storage.db import read_scope
from storage.enums import DeliveryStatus, PairingStatus
from storage.models import Delivery, Pairing
from tests.forms import Answer
from tests.harness import SIGNING_SECRET, Response, SlackToBot
from tests.pairs import button
from tests.test_enrolment import MENTEE as MENTEE_ANSWERS
from tests.test_enrolment import MENTOR as MENTOR_ANSWERS
from tests.test_programs import ANSWERS as PROGRAM_ANSWERS

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parent.parent
COPIES = 3
TOKEN = "xoxb-three-copies"
LEAD = "UADMIN"
MENTORS = ("UM01", "UM02")
MENTEES_EACH = 10
MENTEES = tuple(f"UE{n:02d}" for n in range(1, len(MENTORS) * MENTEES_EACH + 1))
LEADS_CHANNEL = "C0LEADS"
PROGRAM = "Harbour cohort"
# The prompts the copies' planners find due: an agenda prompt to each mentee, a reminder to both.
PLANNED = {"agenda_prompt": len(MENTEES), "session_reminder": 2 * len(MENTEES)}
# Booked this far ahead, a session's reminder (15 minutes before) is due as soon as it is planned.
SESSION_AHEAD = timedelta(minutes=13)
EVERY_DAY = [str(day) for day in range(1, 8)]
# Slack's pace for chat.postMessage: about a message a second per channel, after a short burst.
GAP = 1.0
# Loopback HTTP and three busy processes on two cores move a send by some milliseconds; the
# double allows one message more than the bot's burst, so that a paced send arriving a little
# early is not refused, and the spacing check below forgives this much.
JITTER = 0.25
# How long the double holds its answer to the post whose copy is then killed.
HOLD = 3.0
# Waits: a copy's start, the sign-ups' messages, a planning pass (every minute), and the dead
# copy's lease (2 minutes) with the deliveries that follow it.
START_WITHIN = 60.0
SETTLE_WITHIN = 90.0
PLANNED_WITHIN = 150.0
TAKEOVER_WITHIN = 240.0


@dataclass
class Copy:
    """One ``mentorbot run --http`` process, and Slack's way in to it."""

    process: "subprocess.Popen[bytes]"
    bot: SlackToBot
    log: Path

    @property
    def worker(self) -> str:
        """Its name in the outbox's claims (``scheduler.delivery.worker_id``)."""
        return f"{socket.gethostname()}:{self.process.pid}"[:64]

    def tail(self, lines: int = 40) -> str:
        """The end of its log, for a failure's message."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class LoadBalancer:
    """Hands Slack's requests to the copies in turn, as a round-robin load balancer does."""

    def __init__(self, copies: list[Copy]) -> None:
        self.copies = copies
        self._turn = itertools.cycle(copies)
        self.served: Counter[str] = Counter()

    def next(self) -> SlackToBot:
        """The copy whose turn it is."""
        copy = next(self._turn)
        self.served[copy.worker] += 1
        return copy.bot

    def command(self, words: str, *, user_id: str, **fields: Any) -> Response:
        """``/mentor <words>`` typed by ``user_id``."""
        return self.next().command(words, user_id=user_id, **fields)

    def ask(self, words: str, *, user_id: str) -> str:
        """What ``/mentor <words>`` answered ``user_id`` (the ack, or its response_url)."""
        return json.dumps(self.next().ask(words, user_id=user_id, timeout=15), ensure_ascii=False)

    def submit(self, view: dict[str, Any], answers: dict[str, Answer], *, user_id: str) -> None:
        """``user_id`` submits ``view`` filled with ``answers``, and it is accepted."""
        response = self.next().submit(view, answers, user_id=user_id)
        assert response.status == 200, response.body
        assert '"errors"' not in response.body, response.body

    def action(self, action_id: str, value: str, **fields: Any) -> Response:
        """A button clicked."""
        return self.next().action(action_id, value, **fields)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where ``now`` is about midday (``Etc/GMT-3`` is three hours ahead)."""
    ahead = 12 - now.astimezone(UTC).hour
    return f"Etc/GMT{-ahead:+d}" if ahead else "Etc/GMT"


def until(condition: Callable[[], bool], within: float, every: float = 0.25) -> bool:
    """Whether ``condition`` holds within ``within`` seconds (checked every ``every``)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def mentorbot(*args: str, env: dict[str, str], cwd: Path, log: Path) -> "subprocess.Popen[bytes]":
    """``mentorbot ARGS`` as the console script runs it, its output in ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.wiring.cli", *args],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def healthy(copy: Copy) -> bool:
    """Whether the copy answers its health check (it fails the test if it died)."""
    if copy.process.poll() is not None:
        pytest.fail(f"a copy exited with {copy.process.returncode} at start:\n{copy.tail()}")
    try:
        with urllib.request.urlopen(copy.bot.base_url + "/healthz", timeout=2) as reply:  # noqa: S310
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture
def zone() -> ZoneInfo:
    """Everyone's timezone: one where it is about midday now."""
    return ZoneInfo(midday_zone(datetime.now(UTC)))


@pytest.fixture
def slack(zone: ZoneInfo) -> Iterator[SlackDouble]:
    """The Slack double at Slack's per-channel pace, with the lead, mentors and mentees."""
    with SlackDouble(
        tokens=[TOKEN], channel_rate_limit=1 / GAP, channel_burst=CHANNEL_BURST + 1
    ) as double:
        tz = zone.key
        double.add_user(LEAD, name="ada", real_name="Ada Lead", tz=tz, is_admin=True)
        for user_id in (*MENTORS, *MENTEES):
            double.add_user(user_id, name=user_id.lower(), real_name=f"Person {user_id}", tz=tz)
        double.add_channel(LEADS_CHANNEL, name="mentoring-leads")
        yield double


@pytest.fixture
def copies(pg_url: str, slack: SlackDouble, tmp_path: Path) -> Iterator[list[Copy]]:
    """The database migrated by ``mentorbot db upgrade``, then three copies serving HTTP."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": pg_url,
        "LOG_FORMAT": "json",
    }
    migrate = mentorbot("db", "upgrade", env=env, cwd=tmp_path, log=tmp_path / "migrate.log")
    assert migrate.wait(timeout=120) == 0, (tmp_path / "migrate.log").read_text()
    started = []
    for n in range(COPIES):
        port = free_port()
        log = tmp_path / f"copy-{n}.log"
        process = mentorbot(
            "run", "--http", "--port", str(port), "--no-migrate", env=env, cwd=tmp_path, log=log
        )
        started.append(Copy(process, SlackToBot(f"http://127.0.0.1:{port}", slack=slack), log))
    try:
        for copy in started:
            assert until(partial(healthy, copy), START_WITHIN), copy.tail()
        yield started
    finally:
        for copy in started:
            if copy.process.poll() is None:
                copy.process.kill()
            copy.process.wait(timeout=30)


def deliveries(engine: Engine) -> list[Delivery]:
    """Every outbox row, oldest first."""
    with read_scope(engine) as session:
        return list(session.exec(select(Delivery).order_by(col(Delivery.id))))


def settled(engine: Engine) -> bool:
    """Whether no delivery is waiting or being sent."""
    waiting = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    return not [row for row in deliveries(engine) if row.status in waiting]


def active_pairs(engine: Engine) -> int:
    """How many pairings are running."""
    with read_scope(engine) as session:
        pairings = session.exec(select(Pairing).where(Pairing.status == PairingStatus.ACTIVE))
        return len(list(pairings))


def opened_modal(slack: SlackDouble, send: Callable[[str], Response]) -> dict[str, Any]:
    """The modal that ``send(trigger_id)`` opened."""
    trigger = slack.new_trigger_id()
    response = send(trigger)
    assert response.status == 200, response.body

    def found() -> list[RecordedCall]:
        return [c for c in slack.calls_to("views.open") if c.params.get("trigger_id") == trigger]

    assert until(lambda: bool(found()), 15, every=0.01), response.body
    view: dict[str, Any] = found()[0].params["view"]
    return view


def command_modal(lb: LoadBalancer, slack: SlackDouble, words: str, user_id: str) -> dict[str, Any]:
    """``/mentor <words>`` typed by ``user_id``: the modal it opened."""
    return opened_modal(
        slack, lambda trigger: lb.command(words, user_id=user_id, trigger_id=trigger)
    )


def seed(lb: LoadBalancer, slack: SlackDouble, engine: Engine, zone: ZoneInfo) -> None:
    """The program's first days, each step a request to the next copy, up to booked sessions."""
    today = datetime.now(zone).date()
    view = command_modal(lb, slack, "program new", LEAD)
    program: dict[str, Answer] = {
        **PROGRAM_ANSWERS,
        BlockId.PROGRAM_NAME: PROGRAM,
        BlockId.PROGRAM_STRUCTURE: "one_to_one",
        BlockId.PROGRAM_PLACES: len(MENTEES),
        BlockId.PROGRAM_START: today,
        BlockId.PROGRAM_COMPETENCIES: "Negotiation\nPublic speaking\nHiring",
        BlockId.PROGRAM_VISIBILITY: "open",
        BlockId.PROGRAM_DIGEST_CHANNEL: LEADS_CHANNEL,
        BlockId.PROGRAM_CO_LEADS: [],
    }
    lb.submit(view, program, user_id=LEAD)
    assert "is open for enrolment" in lb.ask(f"program open {PROGRAM}", user_id=LEAD)
    around_the_clock: dict[str, Answer] = {
        BlockId.JOIN_DAYS: EVERY_DAY,
        BlockId.JOIN_WORK_START: clock_time(0, 0),
        BlockId.JOIN_WORK_END: clock_time(23, 59),
    }
    mentor = {**MENTOR_ANSWERS, **around_the_clock, BlockId.JOIN_CAPACITY: str(MENTEES_EACH)}
    for user_id in MENTORS:
        view = command_modal(lb, slack, f"join {PROGRAM} as mentor", user_id)
        lb.submit(view, mentor, user_id=user_id)
    mentee = {**MENTEE_ANSWERS, **around_the_clock}
    for user_id in MENTEES:
        view = command_modal(lb, slack, f"join {PROGRAM} as mentee", user_id)
        lb.submit(view, mentee, user_id=user_id)
    assert "is active" in lb.ask(f"program start {PROGRAM}", user_id=LEAD)
    lb.ask(f"match {PROGRAM}", user_id=LEAD)
    lead_dm = slack.dm_channel_id(LEAD)

    def proposals() -> list[dict[str, Any]]:
        return [m for m in slack.messages(lead_dm) if ActionId.MATCH_APPROVE_ALL in json.dumps(m)]

    assert until(lambda: bool(proposals()), 15), "no match proposals"
    [shown] = proposals()
    approve_all = button(shown, ActionId.MATCH_APPROVE_ALL)
    assert approve_all["text"]["text"] == f"Approve all {len(MENTEES)}"
    url = slack.new_response_url()
    clicked = lb.action(
        ActionId.MATCH_APPROVE_ALL,
        approve_all["value"],
        user_id=LEAD,
        trigger_id=slack.new_trigger_id(),
        container={"type": "message", "message_ts": shown["ts"], "channel_id": lead_dm},
        channel_id=lead_dm,
        response_url=url,
    )
    assert clicked.status == 200, clicked.body
    assert "Approved" in json.dumps(lb.copies[0].bot.answer_to(url, timeout=15))
    assert active_pairs(engine) == len(MENTEES)
    # One moment for every session, so that each mentor's reminders all fall due at once.
    start = (datetime.now(zone) + SESSION_AHEAD).replace(second=0, microsecond=0)
    start += timedelta(minutes=1)
    for user_id in MENTEES:
        view = command_modal(lb, slack, "schedule", user_id)
        booking: dict[str, Answer] = {
            BlockId.SESSION_DATE: start.date(),
            BlockId.SESSION_TIME: start.time(),
            BlockId.SESSION_LENGTH: "60",
        }
        lb.submit(view, booking, user_id=user_id)


@contextmanager
def planning_held(engine: Engine) -> Iterator[None]:
    """Hold the copies' planning turn: while another session has it, each copy's pass leaves
    planning to that one, so the prompts are planned only once the sign-ups are out."""
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_PLANNING_LOCK})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_PLANNING_LOCK})


def planned(engine: Engine) -> Counter[str]:
    """How many of the planners' prompts are in the outbox, by rule."""
    return Counter(row.rule for row in deliveries(engine) if row.rule in PLANNED)


def metadata_keys(call: RecordedCall) -> list[str]:
    """The outbox keys a posted message carries (a bundle carries each of its prompts')."""
    metadata = call.params.get("metadata") or {}
    assert metadata.get("event_type") == METADATA_EVENT, call.params
    payload: dict[str, Any] = metadata["event_payload"]
    return [str(key) for key in payload.get("keys") or [payload["key"]]]


def channel_of(slack: SlackDouble, call: RecordedCall) -> str:
    """The conversation a post went to (a user id stands for their DM)."""
    channel = str(call.params["channel"])
    return slack.dm_channel_id(channel) if channel[:1] in ("U", "W") else channel


def too_close(times: list[float]) -> list[str]:
    """Sends to one channel faster than Slack's pace: any ``k`` of them must span at least
    ``k - CHANNEL_BURST`` gaps (the pacer's cell-rate rule), give or take ``JITTER``."""
    times = sorted(times)
    found = []
    for i, first in enumerate(times):
        for j in range(i + CHANNEL_BURST, len(times)):
            needed = (j - i - (CHANNEL_BURST - 1)) * GAP
            if times[j] - first < needed - JITTER:
                found.append(f"{j - i + 1} posts in {times[j] - first:.2f}s")
    return found


def test_three_copies_behind_a_load_balancer_post_every_prompt_once_and_paced(
    copies: list[Copy], slack: SlackDouble, pg_engine: Engine, zone: ZoneInfo
) -> None:
    lb = LoadBalancer(copies)
    with planning_held(pg_engine):
        seed(lb, slack, pg_engine, zone)
        assert len(lb.served) == COPIES
        assert max(lb.served.values()) - min(lb.served.values()) <= 1
        # The sign-ups' own messages (confirmations, proposals, introductions, bookings) go out
        # after each request's ack, from the copy that served it.
        assert until(lambda: settled(pg_engine), SETTLE_WITHIN), "the sign-ups' messages are stuck"
        # The next post is held: the copy that sends it dies before Slack answers.
        slack.fail_next("chat.postMessage", delay=HOLD, apply=True)
        before = len(slack.calls_to("chat.postMessage"))
    assert until(lambda: planned(pg_engine) == Counter(PLANNED), PLANNED_WITHIN), planned(pg_engine)
    held = slack.wait_for("chat.postMessage", count=before + 1, timeout=60)[before]
    [key] = metadata_keys(held)
    [row] = [r for r in deliveries(pg_engine) if r.dedupe_key == key]
    [victim] = [c for c in copies if c.worker == row.claimed_by]
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(timeout=10)
    assert time.time() - held.at < HOLD, "the copy was killed after Slack answered it"
    [row] = [r for r in deliveries(pg_engine) if r.dedupe_key == key]
    assert row.status is DeliveryStatus.SENDING, "the killed copy had finished the send"

    survivors = [c for c in copies if c is not victim]
    assert until(lambda: settled(pg_engine), TAKEOVER_WITHIN, every=1.0), Counter(
        r.status for r in deliveries(pg_engine)
    )
    for copy in survivors:
        copy.process.send_signal(signal.SIGTERM)
    for copy in survivors:
        assert copy.process.wait(timeout=60) == 0, copy.tail()

    rows = deliveries(pg_engine)
    assert [
        (r.dedupe_key, r.status, r.error) for r in rows if r.status is not DeliveryStatus.SENT
    ] == []
    posts = slack.calls_to("chat.postMessage")
    landed = [c for c in posts if c.status == 200 and c.error is None]
    posted: Counter[str] = Counter(key for call in landed for key in metadata_keys(call))
    # Every message of the outbox is in Slack exactly once, and nothing else is.
    messages = {r.dedupe_key for r in rows if "file" not in r.extras}
    assert set(posted) == messages
    assert {k: n for k, n in posted.items() if n > 1} == {}
    # So is every calendar invite, a file shared in each person's DM.
    invites = Counter(
        (r.channel_id, r.extras["file"]["filename"]) for r in rows if "file" in r.extras
    )
    shared = Counter((f.channel_id, f.filename) for f in slack.uploaded_files)
    assert {place: shared[place] for place in invites} == dict.fromkeys(invites, 1)
    # The held message was found by a survivor, not sent again; all three copies delivered.
    [row] = [r for r in rows if r.dedupe_key == key]
    assert row.claimed_by in {c.worker for c in survivors}
    assert {r.claimed_by for r in rows} == {c.worker for c in copies}

    # Paced: no channel was ever refused for going too fast, nor went faster than the pace.
    by_channel: defaultdict[str, list[float]] = defaultdict(list)
    for call in landed:
        by_channel[channel_of(slack, call)].append(call.at)
    refused = Counter(channel_of(slack, c) for c in posts if c.status == 429)
    fast = {channel: found for channel, times in by_channel.items() if (found := too_close(times))}
    pace = f"faster than Slack's pace: 429s {dict(refused)}, too close {fast}"
    assert (dict(refused), fast) == ({}, {}), pace
