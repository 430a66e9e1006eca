"""One pass of the engine: every scheduled job once, as the running bot would run them now."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice

from sqlalchemy import text
from sqlmodel import Session

from bot.deps import Deps
from scheduler import outbox
from scheduler.delivery import Deliverer, DeliveryReport
from scheduler.jobs import HOUSEKEEPING
from scheduler.rules import HORIZON, Planner

log = logging.getLogger(__name__)

PLAN_CHUNK = 200
# On PostgreSQL one copy of the bot plans at a time: the others' passes would find nothing new.
PG_PLANNING_LOCK = 0x6D62706C616E  # "mbplan"


@dataclass(frozen=True, slots=True)
class PlanReport:
    """What a planning pass found and how much of it was new."""

    considered: int
    enqueued: int
    # Another process was planning at that moment (PostgreSQL): this pass left it to that one.
    skipped: bool = False


def plan_due(deps: Deps, *, horizon: timedelta = HORIZON, wait: bool = True) -> PlanReport:
    """Run every rule for now and enqueue what is due; re-running adds nothing twice.

    Run it at least every ``horizon``: messages are enqueued when they fall due within it. With
    ``wait=False`` a pass is skipped while another process is planning (the scheduled pass of
    each copy of the bot: one of them is enough, and the next comes a minute later).
    """
    now = deps.now()
    considered = enqueued = 0
    with deps.session() as session:
        if not _planning_turn(session, wait=wait):
            log.info("planning left to another process")
            return PlanReport(considered=0, enqueued=0, skipped=True)
        planned = Planner(session, now=now, horizon=horizon).plan()
        while chunk := list(islice(planned, PLAN_CHUNK)):
            considered += len(chunk)
            enqueued += outbox.enqueue(session, chunk, now=now)
    if enqueued:
        log.info("planned prompts", extra={"considered": considered, "enqueued": enqueued})
    return PlanReport(considered=considered, enqueued=enqueued)


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
