"""One pass of the engine: plan what is due into the outbox, then deliver it."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice

from bot.deps import Deps
from scheduler import outbox
from scheduler.delivery import Deliverer, DeliveryReport
from scheduler.rules import HORIZON, Planner

log = logging.getLogger(__name__)

PLAN_CHUNK = 200


@dataclass(frozen=True, slots=True)
class PlanReport:
    """What a planning pass found and how much of it was new."""

    considered: int
    enqueued: int


def plan_due(deps: Deps, *, horizon: timedelta = HORIZON) -> PlanReport:
    """Run every rule for now and enqueue what is due; re-running adds nothing twice.

    Run it at least every ``horizon``: messages are enqueued when they fall due within it.
    """
    now = deps.now()
    considered = enqueued = 0
    with deps.session() as session:
        planned = Planner(session, now=now, horizon=horizon).plan()
        while chunk := list(islice(planned, PLAN_CHUNK)):
            considered += len(chunk)
            enqueued += outbox.enqueue(session, chunk, now=now)
    if enqueued:
        log.info("planned prompts", extra={"considered": considered, "enqueued": enqueued})
    return PlanReport(considered=considered, enqueued=enqueued)


def tick(deps: Deps, deliverer: Deliverer) -> tuple[PlanReport, DeliveryReport]:
    """Plan, then deliver everything due."""
    return plan_due(deps), deliverer.run()
