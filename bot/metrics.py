"""What the running bot counts, for Prometheus to scrape at ``GET /metrics``.

The counters live in ``REGISTRY``, this module's own registry rather than prometheus_client's
global one, so that nothing a library registers there ends up in the scrape. The outbox figures
are not counted at all: ``OutboxCollector`` asks the database at scrape time, so every copy of
the bot reports the same truth and a restart loses nothing.

Several workers serving one port (``bot.wiring.workers``) keep their counters in files of a
shared folder instead (``prometheus_client``'s multiprocess mode, chosen before it is imported),
and a scrape from any of them sums every worker's.

Labels only ever hold a fixed set of words (surfaces, Web API methods, Slack's error codes,
outbox statuses, scheduled jobs): never a person's text, a user, channel or team id. Each label
value is checked here, so an odd value cannot become a new time series per request.
"""

import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED
from apscheduler.schedulers.base import BaseScheduler
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine, func, select

from bot.wiring.workers import METRICS_FOLDER_ENV
from storage.enums import DeliveryStatus
from storage.models import Delivery

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()

# The Slack surfaces a request to /slack/events is, by its payload's type.
SURFACES = {
    "command": "command",
    "block_actions": "action",
    "view_submission": "view",
    "event_callback": "event",
}
# Refused before Bolt saw it (signature, size, shape), and Slack's own notices (URL
# verification, SSL check, events rate limiting), which no listener answers.
REFUSED = "refused"
OTHER = "other"

REQUESTS = Counter(
    "mentorbot_requests_total",
    "Requests to /slack/events, by Slack surface.",
    ["surface"],
    registry=REGISTRY,
)
# Slack gives up on an answer after 3 s: the buckets are finest below that.
ACK_SECONDS = Histogram(
    "mentorbot_ack_seconds",
    "Time from a request to /slack/events arriving to the bot answering it (the ack).",
    ["surface"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
    registry=REGISTRY,
)
LISTENER_ERRORS = Counter(
    "mentorbot_listener_errors_total",
    "Listener failures that reached the catch-all: logged with a traceback, a bug until shown "
    "otherwise.",
    ["surface"],
    registry=REGISTRY,
)
SLACK_CALLS = Counter(
    "mentorbot_slack_api_calls_total",
    "Slack Web API calls, by method (failed ones included).",
    ["method"],
    registry=REGISTRY,
)
SLACK_ERRORS = Counter(
    "mentorbot_slack_api_errors_total",
    "Slack Web API calls that failed, by method and Slack's error code.",
    ["method", "error"],
    registry=REGISTRY,
)
SLACK_RATE_LIMITED = Counter(
    "mentorbot_slack_api_rate_limited_total",
    "Slack Web API calls answered with HTTP 429, by method.",
    ["method"],
    registry=REGISTRY,
)
PLANNING_SECONDS = Histogram(
    "mentorbot_planning_pass_seconds",
    "How long one scheduled planning pass took (rules run and new messages enqueued).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
# The scheduler wakes up within milliseconds; a run due more than a second ago is skipped
# (APScheduler's grace time), so the buckets are finest below a second.
SCHEDULER_LAG = Histogram(
    "mentorbot_scheduler_lag_seconds",
    "How late each scheduled job run started: from when it was due to when the scheduler handed "
    "it to its threads, by job.",
    ["job"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0),
    registry=REGISTRY,
)
SCHEDULER_SKIPPED = Counter(
    "mentorbot_scheduler_runs_skipped_total",
    "Scheduled job runs that never started, by job and why: its previous run was still going "
    "(busy), or it was due more than a second before a thread took it (missed).",
    ["job", "reason"],
    registry=REGISTRY,
)

# Slack's error codes are lowercase words; "http_503" and "connection_error" are ours.
_CODE = re.compile(r"[a-z0-9_.]{1,64}")
# Web API method names, as the gateway spells them ("chat.postMessage"), and scheduled jobs'
# ids (their functions' names).
_NAME = re.compile(r"[A-Za-z0-9_.]{1,64}")
# How far back the delivery lag looks, and how long before being sent a message may have been
# due to count: bounding ``due_at`` lets the (status, due_at) index find the rows, and a message
# sent more than a day late shows in the failed and pending counts long before.
LAG_WINDOW = timedelta(hours=1)
LAG_DUE_WINDOW = timedelta(days=1)
LAG_QUANTILES = (0.5, 0.95, 1.0)
# The classic text format, which every Prometheus reads (2.x does not know version 1.0.0); the
# names here are all plain ASCII, so it says the same as the newer one.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


def surface_of(kind: object) -> str:
    """The surface label for a payload's type (or "command" for a slash command)."""
    return SURFACES.get(kind, OTHER) if isinstance(kind, str) else OTHER


def payload_surface(payload: Mapping[str, object]) -> str:
    """The surface label of a Slack payload as Bolt reads it (a slash command has no type)."""
    return surface_of("command" if "command" in payload else payload.get("type"))


def code(value: str) -> str:
    """``value`` as a label when it looks like a Slack error code, "other" otherwise."""
    return value if _CODE.fullmatch(value) else OTHER


def _name(value: str) -> str:
    return value if _NAME.fullmatch(value) else OTHER


def request_answered(surface: str, seconds: float) -> None:
    """One request to /slack/events answered after ``seconds``."""
    REQUESTS.labels(surface=surface).inc()
    ACK_SECONDS.labels(surface=surface).observe(seconds)


def listener_failed(surface: str) -> None:
    """A listener raised something nobody expected."""
    LISTENER_ERRORS.labels(surface=surface).inc()


def slack_called(method: str) -> None:
    """A Web API call is about to be made."""
    SLACK_CALLS.labels(method=_name(method)).inc()


def slack_failed(method: str, error: str, status: int | None = None) -> None:
    """A Web API call failed with ``error`` (Slack's code, or ours), HTTP ``status``."""
    SLACK_ERRORS.labels(method=_name(method), error=code(error)).inc()
    if status == 429:
        SLACK_RATE_LIMITED.labels(method=_name(method)).inc()


def _utcnow() -> datetime:
    return datetime.now(UTC)


def watch_scheduler(scheduler: BaseScheduler, *, now: Callable[[], datetime] = _utcnow) -> None:
    """Time how late each run of ``scheduler``'s jobs starts, and count the runs it skipped.

    Timed when the scheduler hands a due run to its thread pool: that is when the run starts,
    unless every thread is busy. ``now`` is the scheduler's own clock, the wall clock.
    """

    def on_event(event: Any) -> None:
        job = _name(str(event.job_id))
        if event.code == EVENT_JOB_SUBMITTED:
            started = now()
            # One time a run, or several when missed runs are not coalesced into one.
            for due in event.scheduled_run_times:
                SCHEDULER_LAG.labels(job=job).observe(max(0.0, (started - due).total_seconds()))
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            SCHEDULER_SKIPPED.labels(job=job, reason="busy").inc()
        elif event.code == EVENT_JOB_MISSED:
            SCHEDULER_SKIPPED.labels(job=job, reason="missed").inc()

    scheduler.add_listener(
        on_event, EVENT_JOB_SUBMITTED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED
    )


class OutboxCollector:
    """Outbox rows by status and the due→sent lag of recent deliveries, read at scrape time."""

    def __init__(self, engine: Engine, clock: Callable[[], float]) -> None:
        self.engine = engine
        # Unix time, as the HTTP server's clock: the tests freeze it.
        self.clock = clock

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "mentorbot_outbox_scrape_ok", "Whether the outbox figures could be read (1) or not."
        )
        try:
            counts, lags = self._read()
        except Exception:
            # A scrape must still answer (the counters above are in it) when the database is not.
            log.warning("outbox metrics unavailable", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        rows = GaugeMetricFamily(
            "mentorbot_outbox_rows", "Rows in the outbox, by status.", labels=["status"]
        )
        for status in DeliveryStatus:
            rows.add_metric([status.value], counts.get(status.value, 0))
        yield rows
        yield _lag_summary(lags)

    def _read(self) -> tuple[dict[str, int], list[float]]:
        now = datetime.fromtimestamp(self.clock(), UTC)
        table = Delivery.__table__  # type: ignore[attr-defined]
        by_status = select(table.c.status, func.count()).group_by(table.c.status)
        recent = select(table.c.due_at, table.c.sent_at).where(
            table.c.status == DeliveryStatus.SENT,
            table.c.due_at >= now - LAG_DUE_WINDOW,
            table.c.sent_at >= now - LAG_WINDOW,
        )
        # A plain connection that only reads: it never takes SQLite's write lock.
        with self.engine.connect() as conn:
            counts = {str(status): int(n) for status, n in conn.execute(by_status)}
            lags = [
                max(0.0, (sent - due).total_seconds())
                for due, sent in conn.execute(recent)
                if sent is not None
            ]
        return counts, lags


def _lag_summary(lags: list[float]) -> Metric:
    """Nearest-rank quantiles of ``lags``; with none sent in the window, no quantiles at all
    (a 0 would read as "on time")."""
    name = "mentorbot_delivery_lag_seconds"
    summary = Metric(
        name,
        "Seconds from a message falling due to it being sent, for those sent in the last hour.",
        "summary",
    )
    ordered = sorted(lags)
    for q in LAG_QUANTILES if ordered else ():
        rank = max(1, math.ceil(q * len(ordered)))
        summary.add_sample(name, {"quantile": str(q)}, ordered[rank - 1])
    summary.add_sample(name + "_count", {}, len(ordered))
    summary.add_sample(name + "_sum", {}, sum(ordered))
    return summary


class _Counted:
    """The process-wide counters, inside one server's scrape."""

    def collect(self) -> Iterator[Metric]:
        return iter(REGISTRY.collect())


def scraper(engine: Engine, clock: Callable[[], float]) -> Callable[[], tuple[bytes, str]]:
    """What ``GET /metrics`` answers for a server on ``engine``: the body and its content type.

    Each server gets a registry of its own for the database figures (the tests run many servers,
    each on its own database, in one process); the counters are shared.
    """
    registry = CollectorRegistry()
    folder = os.environ.get(METRICS_FOLDER_ENV)
    if folder:
        # Every worker's counters, summed.
        MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Counted())
    registry.register(OutboxCollector(engine, clock))

    def scrape() -> tuple[bytes, str]:
        return generate_latest(registry), CONTENT_TYPE

    return scrape
