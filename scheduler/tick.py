"""One pass of the engine: every scheduled job once, as the running bot would run them now."""

import logging
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice

from sqlalchemy import text
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from bot.deps import Deps
from scheduler import outbox
from scheduler.delivery import Deliverer, DeliveryReport
from scheduler.jobs import HOUSEKEEPING
from scheduler.rules import HORIZON, Planner, Writes
from scheduler.slices import slices_for
from storage.db import checkpoint

log = logging.getLogger(__name__)

# Messages a slice of a planning pass writes. On SQLite a slice's hold is mostly the index and
# table pages its rows touch, rewritten at its commit: 100 keeps the longest hold of a catch-up
# over 100,000 pairings about 20 ms on a quick machine, and well under 50 on a slow one.
PLAN_CHUNK = 100
# On PostgreSQL one copy of the bot plans at a time: the others' passes would find nothing new.
PG_PLANNING_LOCK = 0x6D62706C616E  # "mbplan"


@dataclass(frozen=True, slots=True)
class PlanReport:
    """What a planning pass found and how much of it was new."""

    considered: int
    enqueued: int
    # Another process was planning at that moment (PostgreSQL): this pass left it to that one.
    skipped: bool = False
    # The longest any of the pass's write transactions held the database, in seconds: a
    # measure of the pass, not part of what it found (two reports alike differ in it).
    longest_hold: float = field(default=0.0, compare=False)


class TimedWrites:
    """Short write units of work, each timed from its start to its commit: how long it held
    the write lock (SQLite) or its rows (PostgreSQL).

    On PostgreSQL they commit without waiting for the disk (``synchronous_commit`` off for
    these transactions only). What a pass writes is derived from the data and re-derived by
    the next pass, so a crash that loses its last commits loses nothing: the next pass plans
    them again. And whatever a delivery acts on is on disk by the time the delivery's own
    commit (synchronous, as every other) is, for the log is written in order. A catch-up pass
    commits hundreds of writes; waiting for the disk at each was most of PostgreSQL's time.
    (The slices of messages on PostgreSQL commit the same way, ``scheduler.slices``.)
    """

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.longest = 0.0

    @contextmanager
    def __call__(self) -> Iterator[Session]:
        started = time.perf_counter()
        try:
            with self.deps.session() as session:
                if session.get_bind().dialect.name == "postgresql":
                    session.execute(text("SET LOCAL synchronous_commit = off"))
                yield session
        finally:
            self.longest = max(self.longest, time.perf_counter() - started)


def plan_due(deps: Deps, *, horizon: timedelta = HORIZON, wait: bool = True) -> PlanReport:
    """Run every rule for now and enqueue what is due; re-running adds nothing twice.

    Run it at least every ``horizon``: messages are enqueued when they fall due within it. With
    ``wait=False`` a pass is skipped while another process is planning (the scheduled pass of
    each copy of the bot: one of them is enough, and the next comes a minute later).

    The rules read in one read-only transaction, which takes no lock a click waits for; what
    they find is written in short transactions (slices) of ``PLAN_CHUNK`` messages, each with
    the notes of the pairs whose messages it completes (and the rules' own small writes), so at
    100,000 pairings no write of a pass holds the database for more than a few milliseconds
    (``bench/bench_planning.py`` prints the longest as ``hold``). On PostgreSQL the slices are
    sent by a thread of their own while the rules read on (``scheduler.slices``). Re-reading
    what a pass wrote is never needed: each message's dedupe key makes a repeat a no-op.
    """
    now = deps.now()
    considered = enqueued = 0
    writes = TimedWrites(deps)
    with _planning_reads(deps, writes) as (reader, write):
        if not _planning_turn(reader, wait=wait):
            log.info("planning left to another process")
            return PlanReport(considered=0, enqueued=0, skipped=True)
        planner = Planner(reader, now=now, horizon=horizon, writes=write, hand_flags=True)
        planned = planner.plan()
        with slices_for(deps.engine, write, writes) as slices:
            while chunk := list(islice(planned, PLAN_CHUNK)):
                considered += len(chunk)
                # In key order: a rule reads its rows in whatever order the database's plan
                # gives, and the outbox sends what falls due at one moment in the order it was
                # written (a person's bundle too); the same plan sends in the same order.
                chunk.sort(key=lambda item: (item.due_at, item.dedupe_key))
                documents = outbox.prepare(chunk, now=now, dialect=deps.engine.dialect)
                # The flags raised with its messages, the notes of the pairs whose last
                # message it holds: with the chunk.
                slices.put(documents, planner.take_notes(), planner.take_flags())
            slices.put([], planner.take_notes(), planner.take_flags())
            enqueued, held = slices.finish()
    longest = max(held, writes.longest)
    report = PlanReport(considered=considered, enqueued=enqueued, longest_hold=longest)
    if enqueued:
        checkpoint(deps.engine)
        log.info(
            "planned prompts",
            extra={
                "considered": considered,
                "enqueued": enqueued,
                "longest_hold_ms": round(report.longest_hold * 1000, 1),
            },
        )
    return report


@contextmanager
def _planning_reads(deps: Deps, writes: TimedWrites) -> Iterator[tuple[Session, Writes]]:
    """The transaction the rules read in, and the units they write in.

    An in-memory SQLite database is one connection shared by every thread, which cannot hold a
    read transaction beside a write one: there the whole pass is one write transaction.
    """
    if isinstance(deps.engine.pool, StaticPool):
        with writes() as session:
            shared: AbstractContextManager[Session] = nullcontext(session)
            yield session, lambda: shared
        return
    with deps.read() as reader:
        yield reader, writes


def _planning_turn(session: Session, *, wait: bool) -> bool:
    """Take this transaction's turn to plan. SQLite's write transaction already serialises the
    passes; PostgreSQL takes an advisory lock, released at commit."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    if wait:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_PLANNING_LOCK})
        return True
    taken = session.execute(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": PG_PLANNING_LOCK}
    ).scalar()
    return bool(taken)


def tick(deps: Deps, deliverer: Deliverer) -> tuple[PlanReport, DeliveryReport]:
    """Run every scheduled job once: housekeeping (pauses ending, timezones, expiries, old event
    ids), then planning, then delivering everything due; so any moment can be replayed."""
    for job, _ in HOUSEKEEPING:
        job(deps)
    return plan_due(deps), deliverer.run()
