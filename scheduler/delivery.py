"""Sending the outbox: paced like Slack wants, retried when that helps, never sent twice.

Each claimed delivery goes through: drop if its moment passed -> resolve the conversation (and
store it) -> if the previous attempt's outcome is unknown, look for the message first -> wait
for the channel's and the workspace's pace -> send with the dedupe key as message metadata ->
mark sent. A 429 waits out ``Retry-After``; 5xx and network errors back off exponentially with
jitter up to a limit; permanent errors (the person left, the channel is gone) fail for good and
are raised to the program's leads as a red flag.
"""

import logging
import os
import random
import socket
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.deps import Deps
from bot.export import chart_filename, chart_png
from bot.gateway import SlackCallError
from bot.services.digest import cohort_metrics
from bot.services.leads import program_lead_ids
from bot.services.pairing import record_conversation
from bot.views.prompts import build_delivery_failure, build_undelivered
from scheduler import outbox
from scheduler.outbox import OUTCOME_UNKNOWN, Claim, Planned
from scheduler.rules import DIGEST_RULE
from storage.enums import FlagKind
from storage.models import Flag, Program

log = logging.getLogger(__name__)

METADATA_EVENT = "mentorbot_delivery"
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(minutes=10)


class Pacer:
    """Spaces sends: about one a second per channel (``burst`` may go at once, as Slack allows
    short bursts), and a budget per workspace.

    A generic cell-rate algorithm per channel: each send moves the channel's theoretical arrival
    time on by one gap, and a send may start ``burst - 1`` gaps ahead of it. Thread-safe; the
    clock and the sleep are injected so tests and benchmarks control time.
    """

    def __init__(
        self,
        *,
        per_channel: float = 1.0,
        per_workspace: float = 20.0,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.channel_gap = 1.0 / per_channel
        self.workspace_gap = 1.0 / per_workspace
        self.tolerance = (max(burst, 1) - 1) * self.channel_gap
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._channel_due: dict[tuple[str, str], float] = {}
        self._workspace_free: dict[str, float] = {}

    def wait(self, team_id: str, channel_id: str) -> float:
        """Block until a message may go to ``channel_id``; returns the seconds waited."""
        with self._lock:
            now = self.clock()
            key = (team_id, channel_id)
            due = max(self._channel_due.get(key, now), now)
            start = max(now, due - self.tolerance, self._workspace_free.get(team_id, now))
            self._channel_due[key] = max(due, start) + self.channel_gap
            self._workspace_free[team_id] = start + self.workspace_gap
        delay = start - now
        if delay > 0:
            self.sleep(delay)
        return delay

    def hold(self, team_id: str, channel_id: str, seconds: float) -> None:
        """Slack said wait (429): keep this channel quiet for ``seconds``."""
        with self._lock:
            key = (team_id, channel_id)
            quiet_until = self.clock() + seconds + self.tolerance
            self._channel_due[key] = max(self._channel_due.get(key, 0.0), quiet_until)


# Slack lets a channel take a short burst before its one-a-second pace applies.
CHANNEL_BURST = 3
_pacers: "weakref.WeakKeyDictionary[Deps, Pacer]" = weakref.WeakKeyDictionary()
_pacers_lock = threading.Lock()


def pacer_for(deps: Deps) -> Pacer:
    """The one pacer of this process's bot, shared by the scheduler's and the after-ack sends."""
    with _pacers_lock:
        pacer = _pacers.get(deps)
        if pacer is None:
            pacer = _pacers[deps] = Pacer(burst=CHANNEL_BURST)
        return pacer


def use_pacer(deps: Deps, pacer: Pacer) -> None:
    """Make ``pacer`` the one this bot's deliveries share (tests and benchmarks control time)."""
    with _pacers_lock:
        _pacers[deps] = pacer


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    claimed: int = 0
    sent: int = 0
    reconciled: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempt: int, *, rng: random.Random) -> timedelta:
    """Exponential back-off with ±20% jitter, capped, for the given (1-based) attempt."""
    base: timedelta = min(BACKOFF_BASE * (2 ** max(attempt - 1, 0)), BACKOFF_CAP)
    return base * rng.uniform(0.8, 1.2)


class Deliverer:
    """Claims due deliveries and sends them; several may run against one PostgreSQL database."""

    def __init__(
        self,
        deps: Deps,
        *,
        worker: str,
        pacer: Pacer | None = None,
        lease: timedelta = timedelta(minutes=2),
        batch: int = 50,
        max_attempts: int = MAX_ATTEMPTS,
        rng: random.Random | None = None,
    ) -> None:
        self.deps = deps
        self.worker = worker
        self.pacer = pacer or Pacer()
        self.lease = lease
        self.batch = batch
        self.max_attempts = max_attempts
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def run(self, *, max_batches: int = 100) -> DeliveryReport:
        """Deliver everything due now, a batch at a time."""
        report = DeliveryReport()
        for _ in range(max_batches):
            with self.deps.session() as session:
                claims = outbox.claim(
                    session,
                    worker=self.worker,
                    now=self.deps.now(),
                    lease=self.lease,
                    limit=self.batch,
                )
            if not claims:
                break
            report.claimed += len(claims)
            for claim in claims:
                self._deliver(claim, report)
        return report

    def _deliver(self, claim: Claim, report: DeliveryReport) -> None:
        now = self.deps.now()
        if claim.expires_at is not None and now > claim.expires_at:
            with self.deps.session() as session:
                outbox.mark_dropped(
                    session, delivery_id=claim.id, worker=self.worker, reason="expired"
                )
            report.dropped += 1
            return
        try:
            channel = self._channel(claim)
            # A 429 must quiet the conversation the pacer paces, not the user id it came from.
            claim = replace(claim, channel_id=channel)
            if claim.needs_check and self._already_sent(claim, channel, report):
                return
            self.pacer.wait(claim.team_id, channel)
            ts = self._send(claim, channel)
        except SlackCallError as error:
            self._failed_call(claim, error, report)
            return
        self._sent(claim, channel, ts)
        report.sent += 1

    def _sent(self, claim: Claim, channel: str, ts: str | None, *, found: bool = False) -> None:
        """Mark the delivery sent and do what follows it: record the conversation on the
        pairings it introduced, put the chart under a digest (``found``: it may be there)."""
        with self.deps.session() as session:
            outbox.mark_sent(
                session, delivery_id=claim.id, worker=self.worker, ts=ts, now=self.deps.now()
            )
            if claim.conversation_of:
                record_conversation(session, pairing_ids=claim.conversation_of, channel_id=channel)
        if claim.rule == DIGEST_RULE:
            self._attach_chart(claim, channel, look_first=found)

    def _send(self, claim: Claim, channel: str) -> str | None:
        """Post the message (its dedupe key as metadata), or share the file; returns the ts."""
        shared = claim.file
        if shared is not None:
            self.deps.gateway.upload_file(
                channel,
                filename=shared.filename,
                content=shared.content.encode(),
                title=shared.title,
                initial_comment=shared.comment,
            )
            return None
        message = {
            **claim.payload,
            "metadata": {"event_type": METADATA_EVENT, "event_payload": {"key": claim.dedupe_key}},
        }
        return self.deps.gateway.post_message(channel, message)

    def _attach_chart(self, claim: Claim, channel: str, *, look_first: bool) -> None:
        """Upload the digest's chart under it; the digest reads fine if this fails."""
        try:
            with self.deps.read() as session:
                program = session.get(Program, claim.program_id)
                metrics = (
                    cohort_metrics(session, program=program, now=self.deps.now())
                    if program
                    else None
                )
            png = chart_png(metrics) if metrics is not None else None
            if png is None or metrics is None:
                return
            filename = chart_filename(metrics)
            oldest = (claim.due_at - timedelta(minutes=5)).timestamp()
            if look_first and self.deps.gateway.find_file(
                channel, filename=filename, oldest=oldest
            ):
                return
            self.deps.gateway.upload_file(
                channel,
                filename=filename,
                content=png,
                title=f"{metrics.program_name}: sessions and scorecards per week",
                initial_comment=(
                    "Sessions per week against plan, and the scorecard trend, for "
                    f"*{metrics.program_name}*."
                ),
            )
        except (SlackCallError, ValueError) as error:
            log.warning(
                "digest chart not uploaded", extra={"delivery_id": claim.id, "error": str(error)}
            )

    def _channel(self, claim: Claim) -> str:
        """The conversation to post in, resolved once and stored before the first send."""
        if claim.channel_id:
            return claim.channel_id
        if claim.members:
            channel = self.deps.gateway.open_conversation(claim.members)
        elif claim.recipient_id[:1] in ("U", "W"):
            channel = self.deps.gateway.open_conversation([claim.recipient_id])
        else:
            channel = claim.recipient_id
        with self.deps.session() as session:
            outbox.remember_channel(
                session, delivery_id=claim.id, worker=self.worker, channel_id=channel
            )
        return channel

    def _already_sent(self, claim: Claim, channel: str, report: DeliveryReport) -> bool:
        oldest = (claim.due_at - timedelta(minutes=5)).timestamp()
        shared = claim.file
        if shared is not None:
            # A file share carries no metadata: it is known by its name, unique per delivery.
            ts = self.deps.gateway.find_file(channel, filename=shared.filename, oldest=oldest)
        else:
            ts = self.deps.gateway.find_by_metadata(
                channel, event_type=METADATA_EVENT, key=claim.dedupe_key, oldest=oldest
            )
        if ts is None:
            return False
        self._sent(claim, channel, ts, found=True)
        log.info("delivery reconciled", extra={"delivery_id": claim.id, "ts": ts})
        report.reconciled += 1
        return True

    def _failed_call(self, claim: Claim, error: SlackCallError, report: DeliveryReport) -> None:
        now = self.deps.now()
        report.errors.append(error.error)
        extra = {"delivery_id": claim.id, "rule": claim.rule, "error": error.error}
        with self.deps.session() as session:
            if error.permanent:
                outbox.mark_failed(
                    session, delivery_id=claim.id, worker=self.worker, error=error.error
                )
                self._flag(session, claim, error.error, now)
                self._tell_sender(session, claim, error.error, now)
                report.failed += 1
                log.warning("delivery failed for good", extra=extra)
            elif error.error == "ratelimited":
                wait = error.retry_after or 1.0
                self.pacer.hold(claim.team_id, claim.channel_id or claim.recipient_id, wait)
                outbox.mark_retry(
                    session,
                    delivery_id=claim.id,
                    worker=self.worker,
                    at=now + timedelta(seconds=wait),
                    error=error.error,
                    count_attempt=False,
                )
                report.retried += 1
            elif claim.attempts >= self.max_attempts:
                reason = f"gave up after {claim.attempts} attempts: {error.error}"
                outbox.mark_failed(session, delivery_id=claim.id, worker=self.worker, error=reason)
                self._flag(session, claim, reason, now)
                self._tell_sender(session, claim, error.error, now)
                report.failed += 1
                log.warning("delivery failed for good", extra=extra)
            else:
                # A timeout may have delivered the message: the next attempt looks first.
                unknown = error.error == "connection_error" or (error.status or 0) >= 500
                outbox.mark_retry(
                    session,
                    delivery_id=claim.id,
                    worker=self.worker,
                    at=now + backoff(claim.attempts, rng=self.rng),
                    error=OUTCOME_UNKNOWN if unknown else error.error,
                )
                report.retried += 1
                log.info("delivery will be retried", extra=extra)

    def _tell_sender(self, session: Session, claim: Claim, error: str, now: datetime) -> None:
        """The person a message was from hears, once, that it could not be delivered."""
        sender = claim.sender_id
        if sender is None or sender == claim.recipient_id:
            return
        outbox.enqueue(
            session,
            [
                Planned(
                    team_id=claim.team_id,
                    dedupe_key=f"undelivered:{claim.id}",
                    rule="undelivered",
                    recipient_id=sender,
                    payload=build_undelivered(
                        what=claim.what,
                        recipient_id=claim.members or claim.recipient_id,
                        error=error,
                    ),
                    due_at=now,
                    program_id=claim.program_id,
                )
            ],
            now=now,
        )

    def _flag(self, session: Session, claim: Claim, reason: str, now: datetime) -> None:
        """A red flag for the program's leads (digest and Home), once per recipient and reason."""
        if claim.program_id is None:
            return
        key = f"delivery_failed:{claim.recipient_id}:{reason.split(':')[-1].strip()}"
        exists = session.exec(
            select(Flag).where(Flag.team_id == claim.team_id, Flag.dedupe_key == key)
        ).first()
        if exists is not None:
            return
        session.add(
            Flag(
                team_id=claim.team_id,
                program_id=claim.program_id,
                kind=FlagKind.DELIVERY_FAILED,
                dedupe_key=key,
                detail=f"<@{claim.recipient_id}>: {reason}"[:255],
                raised_at=now,
            )
        )
        program = session.get(Program, claim.program_id)
        if program is None:
            return
        notice = build_delivery_failure(
            recipient_id=claim.recipient_id, reason=reason, program_name=program.name
        )
        outbox.enqueue(
            session,
            [
                Planned(
                    team_id=claim.team_id,
                    dedupe_key=f"{key}:lead:{lead}",
                    rule="delivery_failed",
                    recipient_id=lead,
                    payload=notice,
                    due_at=now,
                    program_id=claim.program_id,
                )
                for lead in program_lead_ids(session, program=program)
                if lead != claim.recipient_id
            ],
            now=now,
        )


def worker_id() -> str:
    """This process's name in the outbox's claims: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


@dataclass
class _Soon:
    """One after-ack delivery loop per bot: a second kick while it runs makes it go once more,
    so one person's messages are not sent by two passes racing each other."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    busy: bool = False
    again: bool = False
    future: "Future[None] | None" = None


_soon: "weakref.WeakKeyDictionary[Deps, _Soon]" = weakref.WeakKeyDictionary()


def deliver_soon(deps: Deps) -> "Future[None]":
    """Deliver what is due right after the ack, instead of at the next scheduler pass."""
    with _pacers_lock:
        state = _soon.setdefault(deps, _Soon())
    with state.lock:
        if state.busy and state.future is not None:
            state.again = True
            return state.future
        # Submitted under the lock: the loop cannot finish before its future is known.
        state.busy = True
        state.future = deps.after_ack(lambda: _deliver_until_quiet(deps, state))
        return state.future


def settle(deps: Deps, timeout: float = 10.0) -> bool:
    """Wait until this bot's after-ack delivery is idle; False if it still runs after ``timeout``.

    For one-shot commands and tests that deliver a pass themselves: two passes at once would
    race for the same messages (each is still sent once, but not in a foreseeable order).
    """
    with _pacers_lock:
        state = _soon.get(deps)
    deadline = time.monotonic() + timeout
    while state is not None and time.monotonic() < deadline:
        with state.lock:
            future = state.future if state.busy else None
        if future is None:
            return True
        try:
            future.result(timeout=max(deadline - time.monotonic(), 0.0))
        except TimeoutError:
            return False
    return state is None or not state.busy


def _deliver_until_quiet(deps: Deps, state: _Soon) -> None:
    """Deliver until nothing is due (a failure notice queued by a pass goes out too)."""
    deliverer = Deliverer(deps, worker=worker_id(), pacer=pacer_for(deps))
    while True:
        try:
            while deliverer.run(max_batches=1).claimed:
                pass
        except Exception:
            log.exception("delivery after an ack failed")
        with state.lock:
            if not state.again:
                state.busy = False
                return
            state.again = False
