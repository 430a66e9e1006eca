"""A stand-alone delivery worker: drain the outbox once and exit (tests, benchmarks, operators).

``python -m scheduler.worker --database-url URL --api-url URL --until-empty`` delivers every
due message and exits 0. Several may run at once against one PostgreSQL database; on SQLite run
one at a time. ``--at`` freezes the clock, so a test can move time past a dead worker's lease.
The bot token comes from ``--token`` or ``SLACK_BOT_TOKEN``.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.config import Settings
from bot.deps import Deps
from bot.gateway import SlackGateway, build_client
from scheduler.delivery import Deliverer, DeliveryReport, Pacer, worker_id
from storage.db import make_engine

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The worker's arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m scheduler.worker",
        description="Deliver the outbox's due messages, then exit.",
    )
    parser.add_argument("--database-url", required=True, help="the database holding the outbox")
    parser.add_argument("--api-url", required=True, help="Slack's Web API base URL")
    parser.add_argument("--token", help="bot token (default: SLACK_BOT_TOKEN)")
    parser.add_argument("--worker-id", help="name in the outbox's claims (default: host:pid)")
    parser.add_argument(
        "--at", type=_moment, metavar="ISO-8601", help="act as if it were always this moment"
    )
    parser.add_argument(
        "--until-empty", action="store_true", help="keep delivering until nothing is due"
    )
    parser.add_argument(
        "--per-channel", type=float, default=1.0, help="messages a second per channel"
    )
    parser.add_argument(
        "--per-workspace", type=float, default=20.0, help="messages a second per workspace"
    )
    parser.add_argument("--batch", type=int, default=50, help="deliveries claimed at a time")
    parser.add_argument("--timeout", type=int, default=10, help="Slack call timeout, seconds")
    return parser


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date and time: {value!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a timezone, e.g. {value}+00:00")
    return moment.astimezone(UTC)


def build_deps(
    *, database_url: str, api_url: str, token: str, at: datetime | None = None, timeout: int = 10
) -> Deps:
    """Deps on ``database_url`` and the Web API at ``api_url``; the clock is frozen at ``at``."""
    settings = Settings(
        slack_bot_token=token,
        slack_signing_secret=None,
        slack_app_token=None,
        slack_api_url=api_url,
        database_url=database_url,
    )
    gateway = SlackGateway(build_client(token, api_url, timeout=timeout))
    engine = make_engine(database_url)
    if at is None:
        return Deps(settings=settings, engine=engine, gateway=gateway)
    return Deps(settings=settings, engine=engine, gateway=gateway, clock=lambda: at)


def drain(deliverer: Deliverer) -> DeliveryReport:
    """Run ``deliverer`` until a pass claims nothing; returns the passes' totals."""
    total = DeliveryReport()
    while True:
        report = deliverer.run()
        if not report.claimed:
            return total
        for name in ("claimed", "sent", "reconciled", "retried", "failed", "dropped", "lost"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.errors.extend(report.errors)


def main(argv: Sequence[str] | None = None) -> int:
    """Deliver what is due (everything, with ``--until-empty``); returns the exit status."""
    args = build_parser().parse_args(argv)
    token = args.token or os.environ.get("SLACK_BOT_TOKEN")
    if not token:
        sys.stderr.write("scheduler.worker: give --token or set SLACK_BOT_TOKEN\n")
        return EXIT_USAGE
    deps = build_deps(
        database_url=args.database_url,
        api_url=args.api_url,
        token=token,
        at=args.at,
        timeout=args.timeout,
    )
    pacer = Pacer(per_channel=args.per_channel, per_workspace=args.per_workspace)
    deliverer = Deliverer(
        deps, worker=(args.worker_id or worker_id())[:64], pacer=pacer, batch=args.batch
    )
    try:
        report = drain(deliverer) if args.until_empty else deliverer.run()
    finally:
        deps.engine.dispose()
        deps.background.shutdown(wait=False)
    # A summary line for the operator (not a log record: it is the command's output).
    sys.stdout.write(
        f"{deliverer.worker}: claimed {report.claimed}, sent {report.sent}, "
        f"reconciled {report.reconciled}, retrying {report.retried}, failed {report.failed}, "
        f"dropped {report.dropped}, left to another copy {report.lost}\n"
    )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
