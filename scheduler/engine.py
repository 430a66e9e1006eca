"""The clock: APScheduler 3 with in-memory interval jobs in each process.

APScheduler's job stores must never be shared between processes, so nothing about *what* is due
lives here: jobs only wake the engine up, and the database says what to do.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot import metrics
from bot.deps import Deps
from bot.logs import job_scope
from scheduler.delivery import Deliverer, pacer_for, worker_id
from scheduler.jobs import HOUSEKEEPING
from scheduler.tick import plan_due

log = logging.getLogger(__name__)


def _guarded(job: Callable[[Deps], None], deps: Deps) -> Callable[[], None]:
    def run() -> None:
        # Every line the run logs names its job (and none a request's id).
        with job_scope(job.__name__):
            try:
                job(deps)
            except Exception:
                # The unit of work has rolled back; log with the traceback, wait for next run.
                log.exception("scheduled job failed", extra={"job": job.__name__})

    run.__name__ = job.__name__
    return run


DELIVERY_EVERY = timedelta(seconds=5)
PLANNING_EVERY = timedelta(minutes=1)


def build_scheduler(deps: Deps) -> BackgroundScheduler:
    """A scheduler with every job registered, not yet started."""
    scheduler = BackgroundScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1}
    )
    deliverer = Deliverer(deps, worker=worker_id(), pacer=pacer_for(deps))

    def deliver_outbox(deps: Deps) -> None:
        report = deliverer.run()
        if report.claimed:
            log.info("outbox delivered", extra=vars(report))

    def plan_prompts(deps: Deps) -> None:
        with metrics.PLANNING_SECONDS.time():
            plan_due(deps, wait=False)

    scheduled = [*HOUSEKEEPING, (plan_prompts, PLANNING_EVERY), (deliver_outbox, DELIVERY_EVERY)]
    for job, every in scheduled:
        scheduler.add_job(
            _guarded(job, deps),
            "interval",
            seconds=every.total_seconds(),
            id=job.__name__,
            next_run_time=deps.now(),
        )
    return scheduler
