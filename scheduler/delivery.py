"""Sending the outbox: paced like Slack wants, retried when that helps, never sent twice.

Each claimed delivery goes through: drop if its moment passed (or it only informs someone in
quieter mode) -> resolve the conversation -> if the previous attempt's outcome is unknown, look
for the message first -> take the channel's next slot and fence the claim (its lease extended,
its conversation stored), in one short unit of work when the slot is now -> wait for the slot
-> send with the dedupe key as message metadata -> mark sent. Three units of work a message:
the claim, the slot with the fence, the mark. A 429 waits out ``Retry-After``; 5xx and
network errors back off exponentially with jitter up to a limit; permanent errors (the person
left, the channel is gone) fail for good and are raised to the program's leads as a red flag.

The pace is shared by every running copy of the bot: right before each send (and before its
fence) the channel's next slot is claimed in the database (``channelpace``), in one upsert of a
short transaction (the fence's too, when the slot is now) that moves the channel's next free
moment on by one gap. Copies
sending to one channel therefore take turns at Slack's rate together, instead of each keeping to
it alone; a 429 one copy gets is written there too and quiets the channel for all of them. No
transaction stays open while a copy waits for its slot. The per-workspace budget is each copy's.

Routine prompts (``Claim.bundle``) due for one person in one batch go as one message with a
section each (``bot.views.bundle``). Its metadata carries a key of its own and every bundled
dedupe key; before the send each bundled row stores that key (``sent_as``), so a retry after an
unknown outcome looks for the message by it and marks every row that went in it sent. Rows
come back from a failed bundle together (one back-off), and go as one message again.
"""

import logging
import os
import random
import secrets
import socket
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, literal
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite
from sqlmodel import Session, col, select

from bot.deps import Deps
from bot.directory import dm_channel, remember_dm_channel
from bot.export import chart_filename, chart_png
from bot.gateway import SlackCallError
from bot.services.digest import cohort_metrics
from bot.services.leads import program_lead_ids
from bot.services.pairing import record_conversation
from bot.services.workspaces import drop_reason, inactive_teams
from bot.views.bundle import build_bundle, can_bundle, pack
from bot.views.digest import chart_comment
from bot.views.prompts import build_delivery_failure, build_undelivered
from scheduler import outbox
from scheduler.outbox import OUTCOME_UNKNOWN, Claim, Planned
from scheduler.rules import DIGEST_RULE
from storage.enums import FlagKind
from storage.models import ChannelPace, Flag, Participant, Program
from storage.sql import upsert_into

log = logging.getLogger(__name__)

METADATA_EVENT = "mentorbot_delivery"
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(minutes=10)
# Why an informational prompt was not sent to someone who chose the quieter mode.
QUIET_MODE = "quiet mode"
# Slack refused what a message says: a bundle of prompts is then sent a prompt at a time, so
# that sharing a message never stops a prompt that would have gone on its own.
CONTENT_ERRORS = frozenset(
    {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "invalid_metadata_format"}
)


# A channel's next free moment further ahead than this is no wait Slack asked for (its Retry-After
# runs to seconds) but a clock that was set back, or a copy whose clock runs ahead: it is ignored,
# or the channel would stay quiet for as long.
PACE_HORIZON = 600.0


class Pacer:
    """Spaces sends: about one a second per channel (``burst`` may go at once, as Slack allows
    short bursts), and a budget per workspace.

    A generic cell-rate algorithm per channel: each send moves the channel's theoretical arrival
    time on by one gap, and a send may start ``burst - 1`` gaps ahead of it. A send claims the
    channel's slot in the database (``book``), so every copy of the bot keeps to one pace
    together; the workspace budget stays this copy's. The caller sleeps out the wait, outside
    the unit of work.
    Thread-safe; the clock and the sleep are injected so tests and benchmarks control time. The
    clock is wall time by default: the one that every copy, on any host, reads alike.
    """

    def __init__(
        self,
        *,
        per_channel: float = 1.0,
        per_workspace: float = 20.0,
        burst: int = 1,
        clock: Callable[[], float] = time.time,
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

    def book(self, team_id: str, channel_id: str, session: Session) -> float:
        """Claim the channel's next slot for every copy in ``session`` (a write unit of work,
        committed before any wait); the seconds until the slot, for the caller to wait."""
        # Connected (on SQLite holding the write lock) before the clock is read: a slot counted
        # from a moment that went stale meanwhile would come early.
        session.connection()
        now, start = self._reserve(team_id, channel_id)
        start = claim_slot(
            session,
            team_id=team_id,
            channel_id=channel_id,
            now=now,
            earliest=start,
            gap=self.channel_gap,
            tolerance=self.tolerance,
        )
        return max(start - self.clock(), 0.0)

    def _reserve(self, team_id: str, channel_id: str) -> tuple[float, float]:
        """This copy's own reckoning: now, and the moment its next send may start."""
        with self._lock:
            now = self.clock()
            key = (team_id, channel_id)
            due = max(_current(self._channel_due.get(key), now), now)
            free = _current(self._workspace_free.get(team_id), now)
            start = max(now, due - self.tolerance, free)
            self._channel_due[key] = max(due, start) + self.channel_gap
            self._workspace_free[team_id] = start + self.workspace_gap
        return now, start

    def hold(
        self, team_id: str, channel_id: str, seconds: float, *, session: Session | None = None
    ) -> None:
        """Slack said wait (429): keep this channel quiet for ``seconds``, for every copy when
        given the unit of work that records the refusal (``session``)."""
        with self._lock:
            key = (team_id, channel_id)
            now = self.clock()
            quiet_until = now + seconds + self.tolerance
            self._channel_due[key] = max(self._channel_due.get(key, 0.0), quiet_until)
        if session is not None:
            quiet_channel(
                session, team_id=team_id, channel_id=channel_id, until=quiet_until, now=now
            )


def _current(moment: float | None, now: float) -> float:
    """``moment``, unless it is missing or past the horizon (a clock set back): then ``now``."""
    return now if moment is None or moment > now + PACE_HORIZON else moment


def _upsert(session: Session) -> pg.Insert | sqlite.Insert:
    """An INSERT into ``channelpace`` that can turn into an UPDATE, on the session's backend."""
    return upsert_into(session, ChannelPace.__table__)  # type: ignore[attr-defined]


def claim_slot(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    now: float,
    earliest: float,
    gap: float,
    tolerance: float,
) -> float:
    """Claim the channel's next send slot for every copy at once; returns its moment.

    One upsert: the channel's next free moment moves on by one ``gap`` from where it was (from
    ``earliest`` when that is later), and the slot is up to ``tolerance`` (the burst) ahead of
    it. The row stays locked only until the caller's short transaction commits: copies sending
    to one channel queue there for a moment; copies sending elsewhere never meet.
    """
    table = ChannelPace.__table__  # type: ignore[attr-defined]
    start = max(now, earliest)
    kept = table.c.next_free.between(start, now + PACE_HORIZON)
    statement = (
        _upsert(session)
        .values(team_id=team_id, channel_id=channel_id, next_free=start + gap)
        .on_conflict_do_update(
            index_elements=[table.c.team_id, table.c.channel_id],
            set_={"next_free": case((kept, table.c.next_free), else_=literal(start)) + gap},
        )
        .returning(table.c.next_free)
    )
    next_free = float(session.execute(statement).scalar_one())
    # next_free - gap is where the channel stood before this send (or ``start``).
    return max(start, next_free - gap - tolerance)


def quiet_channel(
    session: Session, *, team_id: str, channel_id: str, until: float, now: float
) -> None:
    """No copy sends to the channel before ``until`` (Slack answered 429)."""
    table = ChannelPace.__table__  # type: ignore[attr-defined]
    kept = table.c.next_free.between(until, now + PACE_HORIZON)
    session.execute(
        _upsert(session)
        .values(team_id=team_id, channel_id=channel_id, next_free=until)
        .on_conflict_do_update(
            index_elements=[table.c.team_id, table.c.channel_id],
            set_={"next_free": case((kept, table.c.next_free), else_=literal(until))},
        )
    )


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
    # Messages that carried several deliveries (each is counted in ``sent``).
    bundles: int = 0
    # Claims not sent because their lease ran out and another worker took them over.
    lost: int = 0
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
        bundling: bool = True,
    ) -> None:
        self.deps = deps
        self.worker = worker
        self.pacer = pacer or Pacer()
        self.lease = lease
        self.batch = batch
        self.max_attempts = max_attempts
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        # False sends every prompt on its own (bench/bench_messages.py measures the difference).
        self.bundling = bundling

    def run(self, *, max_batches: int = 100) -> DeliveryReport:
        """Deliver everything due now, a batch at a time."""
        report = DeliveryReport()
        for _ in range(max_batches):
            with self.deps.session() as session:
                claimed = outbox.claim(
                    session,
                    worker=self.worker,
                    now=self.deps.now(),
                    lease=self.lease,
                    limit=self.batch,
                    whole_bundles=self.bundling,
                )
                claims = self._drop_uninstalled(session, claimed, report)
                claims = self._drop_quiet(session, claims, report)
            if not claimed:
                break
            report.claimed += len(claimed)
            for unit in self._units(claims):
                if len(unit) == 1 and not self._bundleable(unit[0]):
                    self._deliver(unit[0], report)
                else:
                    self._deliver_together(unit, report)
        return report

    def _drop_uninstalled(
        self, session: Session, claims: list[Claim], report: DeliveryReport
    ) -> list[Claim]:
        """Drop what is for a workspace that uninstalled the bot (its token is gone): the
        uninstall dropped what was pending then, this drops what slipped in since (a send that
        failed and came back, a delivery retried by hand). One small query per batch."""
        if not claims:
            return claims
        gone = inactive_teams(session)
        if not gone:
            return claims
        for claim in claims:
            if claim.team_id in gone:
                outbox.mark_dropped(
                    session,
                    delivery_id=claim.id,
                    worker=self.worker,
                    reason=drop_reason(gone[claim.team_id]),
                )
                report.dropped += 1
        return [c for c in claims if c.team_id not in gone]

    def _drop_quiet(
        self, session: Session, claims: list[Claim], report: DeliveryReport
    ) -> list[Claim]:
        """Drop the prompts that only inform people who chose the quieter mode.

        In the claim's unit of work; the mode is the one of the prompt's program (of any of the
        person's programs for a message outside one), read as the prompt goes out.
        """
        informing = [c for c in claims if not c.needs_answer]
        if not informing:
            return claims
        rows = session.exec(
            select(Participant.team_id, Participant.program_id, Participant.user_id).where(
                col(Participant.quiet).is_(True),
                col(Participant.user_id).in_({c.recipient_id for c in informing}),
            )
        ).all()
        in_program = {(team, program, user) for team, program, user in rows}
        anywhere = {(team, user) for team, _, user in rows}
        quiet = {
            c.id
            for c in informing
            if (c.team_id, c.program_id, c.recipient_id) in in_program
            or (c.program_id is None and (c.team_id, c.recipient_id) in anywhere)
        }
        for claim_id in quiet:
            outbox.mark_dropped(
                session, delivery_id=claim_id, worker=self.worker, reason=QUIET_MODE
            )
        report.dropped += len(quiet)
        return [c for c in claims if c.id not in quiet]

    @staticmethod
    def _bundleable(claim: Claim) -> bool:
        """A routine prompt in a person's DM, a plain message: it may share one with others."""
        return (
            claim.bundle
            and not claim.members
            and claim.file is None
            and not claim.conversation_of
            and _is_person(claim.recipient_id)
            and can_bundle(claim.payload)
        )

    def _units(self, claims: list[Claim]) -> list[list[Claim]]:
        """The batch as what is sent together: each person's routine prompts, the rest alone."""
        units: dict[tuple[Any, ...], list[Claim]] = {}
        for claim in claims:
            if self.bundling and self._bundleable(claim):
                key: tuple[Any, ...] = ("bundle", claim.team_id, claim.recipient_id)
            else:
                key = ("alone", claim.id)
            units.setdefault(key, []).append(claim)
        return list(units.values())

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
            channel, opened = self._channel(claim)
            # A 429 must quiet the conversation the pacer paces, not the user id it came from.
            claim = replace(claim, channel_id=channel, opened_now=opened)
            if claim.needs_check and self._already_sent(claim, channel, report):
                return
            if not self._paced(claim.team_id, channel, lambda session: self._fence(session, claim)):
                report.lost += 1
                return
            ts = self._send(claim, channel)
        except SlackCallError as error:
            self._failed_call([claim], error, report)
            return
        self._sent(claim, channel, ts)
        report.sent += 1

    def _deliver_together(self, claims: list[Claim], report: DeliveryReport) -> None:
        """Send one person's routine prompts as one message (a few, past Slack's limits).

        The expired are dropped first, and those whose last send may have landed are looked up.
        """
        now = self.deps.now()
        expired = [c for c in claims if c.expires_at is not None and now > c.expires_at]
        if expired:
            with self.deps.session() as session:
                for claim in expired:
                    outbox.mark_dropped(
                        session, delivery_id=claim.id, worker=self.worker, reason="expired"
                    )
            report.dropped += len(expired)
        gone = {c.id for c in expired}
        live = [c for c in claims if c.id not in gone]
        if not live:
            return
        try:
            # One person's DM: any row that resolved it already knows it.
            known = next((c.channel_id for c in live if c.channel_id), None)
            channel, opened = (
                (known, False) if known else self._dm(live[0].team_id, live[0].recipient_id)
            )
            live = [replace(c, opened_now=opened) for c in live]
            found = self._find_sent(live, channel)
        except SlackCallError as error:
            self._failed_call(live, error, report, channel=None)
            return
        if found:
            landed = [c for c in live if c.sent_as in found]
            with self.deps.session() as session:
                for claim in landed:
                    outbox.mark_sent(
                        session,
                        delivery_id=claim.id,
                        worker=self.worker,
                        ts=found[claim.sent_as],
                        now=self.deps.now(),
                    )
            log.info("delivery reconciled", extra={"delivery_ids": [c.id for c in landed]})
            report.reconciled += len(landed)
            live = [c for c in live if c.sent_as not in found]
        for part in pack([c.payload for c in live]):
            self._post([live[i] for i in part], channel, report)

    def _find_sent(self, claims: list[Claim], channel: str) -> dict[str, str]:
        """The ts of each message the claims' unknown-outcome sends left, by metadata key."""
        since: dict[str, datetime] = {}
        for claim in claims:
            if claim.needs_check:
                since[claim.sent_as] = min(since.get(claim.sent_as, claim.due_at), claim.due_at)
        found: dict[str, str] = {}
        for key, due in since.items():
            ts = self.deps.slack(claims[0].team_id).find_by_metadata(
                channel,
                event_type=METADATA_EVENT,
                key=key,
                oldest=(due - timedelta(minutes=5)).timestamp(),
            )
            if ts is not None:
                found[key] = ts
        return found

    def _post(self, claims: list[Claim], channel: str, report: DeliveryReport) -> None:
        """Send the claims as one message, under a key stored on each row before the send.

        A prompt alone goes under its own dedupe key; several under a bundle's, which names them
        all in the metadata.
        """
        key = claims[0].dedupe_key if len(claims) == 1 else f"bundle:{secrets.token_hex(8)}"
        held: list[Claim] = []

        def fence(session: Session) -> bool:
            # A row whose lease ran out may be another worker's to send by now: it stays out.
            now = self.deps.now()
            held[:] = [
                c
                for c in claims
                if outbox.remember_send(
                    session,
                    claim=c,
                    worker=self.worker,
                    channel_id=channel,
                    key=key,
                    now=now,
                    lease=self.lease,
                )
            ]
            if held:
                self._keep_dm(session, held[0], channel)
            return bool(held)

        self._paced(claims[0].team_id, channel, fence)
        report.lost += len(claims) - len(held)
        if not held:
            return
        payload: dict[str, Any] = {"key": key}
        if len(claims) > 1:
            payload["keys"] = [c.dedupe_key for c in held]
        message = {
            **build_bundle([c.payload for c in held]),
            "metadata": {"event_type": METADATA_EVENT, "event_payload": payload},
        }
        try:
            ts = self.deps.slack(held[0].team_id).post_message(channel, message)
        except SlackCallError as error:
            if len(held) > 1 and error.error in CONTENT_ERRORS:
                log.warning(
                    "bundle refused: sending its prompts one by one",
                    extra={"delivery_ids": [c.id for c in held], "error": error.error},
                )
                for claim in held:
                    self._post([claim], channel, report)
                return
            self._failed_call(held, error, report, channel=channel)
            return
        with self.deps.session() as session:
            for claim in held:
                outbox.mark_sent(
                    session, delivery_id=claim.id, worker=self.worker, ts=ts, now=self.deps.now()
                )
        report.sent += len(held)
        report.bundles += int(len(held) > 1)

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

    def _paced(self, team_id: str, channel: str, fence: Callable[[Session], bool]) -> bool:
        """Take the channel's next send slot, then ``fence`` (whether the claims still hold,
        their leases then running from now); the fence's answer.

        The fence must be the last thing before the send, or a wait could outlast the lease it
        extends: when the slot is now it is in the slot's own short unit of work, after a wait
        in one of its own. Either is committed before the Slack call.
        """
        with self.deps.session() as session:
            delay = self.pacer.book(team_id, channel, session)
            if delay <= 0:
                return fence(session)
        self.pacer.sleep(delay)
        with self.deps.session() as session:
            return fence(session)

    def _fence(self, session: Session, claim: Claim) -> bool:
        """Whether the claim still holds right before its send; its conversation is stored with
        the extended lease, so that a reconcile knows where to look."""
        held = outbox.fence(
            session,
            claim=claim,
            worker=self.worker,
            now=self.deps.now(),
            lease=self.lease,
            channel_id=claim.channel_id,
        )
        if not held:
            log.warning("delivery lease lost: not sending", extra={"delivery_id": claim.id})
        else:
            self._keep_dm(session, claim, claim.channel_id)
        return held

    def _send(self, claim: Claim, channel: str) -> str | None:
        """Post the message (its dedupe key as metadata), or share the file; returns the ts."""
        shared = claim.file
        if shared is not None:
            self.deps.slack(claim.team_id).upload_file(
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
        return self.deps.slack(claim.team_id).post_message(channel, message)

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
            if look_first and self.deps.slack(claim.team_id).find_file(
                channel, filename=filename, oldest=oldest
            ):
                return
            self.deps.slack(claim.team_id).upload_file(
                channel,
                filename=filename,
                content=png,
                title=f"{metrics.program_name}: sessions and scorecards per week",
                initial_comment=chart_comment(metrics),
            )
        except (SlackCallError, ValueError) as error:
            log.warning(
                "digest chart not uploaded", extra={"delivery_id": claim.id, "error": str(error)}
            )

    def _channel(self, claim: Claim) -> tuple[str, bool]:
        """The conversation to post in, and whether it was opened just now: resolved once, and
        stored by the fence before the first send."""
        if claim.channel_id:
            return claim.channel_id, False
        if claim.members:
            return self.deps.slack(claim.team_id).open_conversation(claim.members), True
        if _is_person(claim.recipient_id):
            return self._dm(claim.team_id, claim.recipient_id)
        return claim.recipient_id, False

    def _dm(self, team_id: str, user_id: str) -> tuple[str, bool]:
        """The bot's conversation with a person, and whether it was opened just now: the one
        kept from before, or opened now (``conversations.open`` is a Tier 3 method, some 50
        calls a minute) and kept by the fence before the first send in it (``_keep_dm``)."""
        with self.deps.read() as session:
            known = dm_channel(session, team_id=team_id, user_id=user_id)
        if known:
            return known, False
        return self.deps.slack(team_id).open_conversation([user_id]), True

    def _keep_dm(self, session: Session, claim: Claim, channel: str | None) -> None:
        if _in_dm(claim, channel):
            remember_dm_channel(
                session, team_id=claim.team_id, user_id=claim.recipient_id, channel_id=channel
            )

    def _already_sent(self, claim: Claim, channel: str, report: DeliveryReport) -> bool:
        oldest = (claim.due_at - timedelta(minutes=5)).timestamp()
        shared = claim.file
        if shared is not None:
            # A file share carries no metadata: it is known by its name, unique per delivery.
            ts = self.deps.slack(claim.team_id).find_file(
                channel, filename=shared.filename, oldest=oldest
            )
        else:
            ts = self.deps.slack(claim.team_id).find_by_metadata(
                channel, event_type=METADATA_EVENT, key=claim.sent_as, oldest=oldest
            )
        if ts is None:
            return False
        self._sent(claim, channel, ts, found=True)
        log.info("delivery reconciled", extra={"delivery_id": claim.id, "message_ts": ts})
        report.reconciled += 1
        return True

    def _failed_call(
        self,
        claims: list[Claim],
        error: SlackCallError,
        report: DeliveryReport,
        *,
        channel: str | None = None,
    ) -> None:
        """What follows a failed send of ``claims`` (one message: they share its fate)."""
        now = self.deps.now()
        report.errors.append(error.error)
        retry_at: datetime | None = None
        held = False
        with self.deps.session() as session:
            stale = (
                error.error == "channel_not_found"
                and not claims[0].opened_now
                and _in_dm(claims[0], channel or claims[0].channel_id)
            )
            if stale:
                # The person's kept conversation is gone (the app was installed anew, say):
                # forget it; the next attempt opens theirs again.
                remember_dm_channel(
                    session,
                    team_id=claims[0].team_id,
                    user_id=claims[0].recipient_id,
                    channel_id=None,
                )
            reopen_at = (
                now + backoff(max(c.attempts for c in claims), rng=self.rng) if stale else None
            )
            for claim in claims:
                extra = {"delivery_id": claim.id, "rule": claim.rule, "error": error.error}
                if reopen_at is not None and claim.attempts < self.max_attempts:
                    outbox.mark_retry(
                        session,
                        delivery_id=claim.id,
                        worker=self.worker,
                        at=reopen_at,
                        error=OUTCOME_UNKNOWN if claim.needs_check else error.error,
                        forget_channel=True,
                    )
                    report.retried += 1
                    log.info("conversation gone: delivery will be retried", extra=extra)
                elif error.permanent:
                    outbox.mark_failed(
                        session, delivery_id=claim.id, worker=self.worker, error=error.error
                    )
                    self._flag(session, claim, error.error, now)
                    self._tell_sender(session, claim, error.error, now)
                    report.failed += 1
                    log.warning("delivery failed for good", extra=extra)
                elif error.error == "ratelimited":
                    wait = error.retry_after or 1.0
                    if not held:
                        conversation = channel or claim.channel_id or claim.recipient_id
                        self.pacer.hold(claim.team_id, conversation, wait, session=session)
                        held = True
                    outbox.mark_retry(
                        session,
                        delivery_id=claim.id,
                        worker=self.worker,
                        at=now + timedelta(seconds=wait),
                        # Refused while looking for a send that may have landed: look again.
                        error=OUTCOME_UNKNOWN if claim.needs_check else error.error,
                        count_attempt=False,
                    )
                    report.retried += 1
                elif claim.attempts >= self.max_attempts:
                    reason = f"gave up after {claim.attempts} attempts: {error.error}"
                    outbox.mark_failed(
                        session, delivery_id=claim.id, worker=self.worker, error=reason
                    )
                    self._flag(session, claim, reason, now)
                    self._tell_sender(session, claim, error.error, now)
                    report.failed += 1
                    log.warning("delivery failed for good", extra=extra)
                else:
                    # One moment for all: a bundle's rows come back together, as one message.
                    if retry_at is None:
                        attempts = max(c.attempts for c in claims)
                        retry_at = now + backoff(attempts, rng=self.rng)
                    # A timeout may have delivered the message: the next attempt looks first
                    # (and still does when this attempt failed before it could look).
                    unknown = error.error == "connection_error" or (error.status or 0) >= 500
                    unknown = unknown or claim.needs_check
                    outbox.mark_retry(
                        session,
                        delivery_id=claim.id,
                        worker=self.worker,
                        at=retry_at,
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


def _is_person(recipient_id: str) -> bool:
    return recipient_id[:1] in ("U", "W")


def _in_dm(claim: Claim, channel: str | None) -> bool:
    """Whether ``channel`` is the claim's recipient's own conversation with the bot."""
    is_dm = channel is not None and channel.startswith("D")
    return is_dm and not claim.members and _is_person(claim.recipient_id)


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
    """Deliver until nothing is due (a failure notice queued by a pass goes out too).

    A batch that was not full took everything due when it claimed (what was queued since asked
    for ``again``): only a full one, or one that failed a send for good and so queued a notice
    of it, is followed by another claim.
    """
    deliverer = Deliverer(deps, worker=worker_id(), pacer=pacer_for(deps))
    while True:
        try:
            while True:
                report = deliverer.run(max_batches=1)
                if report.claimed < deliverer.batch and not report.failed:
                    break
        except Exception:
            log.exception("delivery after an ack failed")
        with state.lock:
            if not state.again:
                state.busy = False
                return
            state.again = False
