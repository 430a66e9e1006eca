"""The ``mentorbot`` command line: run the bot, manage the database."""

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from types import FrameType

from slack_bolt.error import BoltError
from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError, Mode, Settings, load_settings
from bot.logs import configure_logging

log = logging.getLogger("mentorbot")

EXIT_CONFIG = 2
EXIT_FAILURE = 1


def _version() -> str:
    try:
        return version("mentorbot")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(
        prog="mentorbot",
        description="Structured mentorship programs that run inside Slack.",
        epilog="Configuration comes from the environment and a .env file: see .env.example.",
    )
    parser.add_argument("--version", action="version", version=f"mentorbot {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run the bot (Socket Mode if SLACK_APP_TOKEN is set, HTTP otherwise)",
        description="Run the bot and its scheduler until SIGINT or SIGTERM.",
    )
    mode = run.add_mutually_exclusive_group()
    mode.add_argument(
        "--socket",
        action="store_const",
        const=Mode.SOCKET,
        dest="mode",
        help="use Socket Mode (needs SLACK_APP_TOKEN)",
    )
    mode.add_argument(
        "--http",
        action="store_const",
        const=Mode.HTTP,
        dest="mode",
        help="serve HTTP on PORT (needs SLACK_SIGNING_SECRET)",
    )
    run.add_argument("--port", type=_port, help="HTTP port (default: PORT, or 3000)")
    run.add_argument(
        "--no-migrate",
        action="store_true",
        help="don't apply pending database migrations at start-up",
    )

    db = commands.add_parser(
        "db",
        help="manage the database schema",
        description="Manage the database schema (Alembic migrations).",
    )
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser(
        "upgrade",
        help="apply every pending migration",
        description="Apply every pending migration to DATABASE_URL.",
    )
    db_commands.add_parser(
        "current",
        help="show the database's schema revision",
        description="Show the schema revision DATABASE_URL is at.",
    )
    return parser


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 65535, got {value!r}")
    return port


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mentorbot`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        if args.command == "db":
            return _db(settings, args.db_command)
        return _run(settings, args.mode or settings.default_mode, args.port, not args.no_migrate)
    except ConfigError as exc:
        print(f"mentorbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except SQLAlchemyError as exc:
        print(
            f"mentorbot: the database at DATABASE_URL failed: {_first_line(exc)}", file=sys.stderr
        )
        return EXIT_FAILURE


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _db(settings: Settings, action: str) -> int:
    from storage.db import make_engine
    from storage.migrate import current_revision, head_revision, upgrade

    engine = make_engine(settings.database_url)
    try:
        if action == "upgrade":
            upgrade(engine)
            print(f"database is at revision {current_revision(engine)} (newest)")
        else:
            current = current_revision(engine)
            head = head_revision()
            state = "newest" if current == head else f"newest is {head}: run `mentorbot db upgrade`"
            print(f"{current or 'empty (no revision)'} ({state})")
    finally:
        engine.dispose()
    return 0


def _run(settings: Settings, mode: Mode, port: int | None, migrate: bool) -> int:
    settings.require_slack(mode)
    from bot.runtime import Runtime

    runtime = Runtime(settings)
    try:
        runtime.start(migrate=migrate, verify_requests=mode is Mode.HTTP)
    except BoltError as exc:
        runtime.stop()
        print(
            f"mentorbot: Slack refused SLACK_BOT_TOKEN ({_first_line(exc)}): "
            "copy the Bot User OAuth Token again from OAuth & Permissions",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except OSError as exc:
        runtime.stop()
        print(
            f"mentorbot: cannot reach Slack at SLACK_API_URL ({settings.slack_api_url}): "
            f"{_first_line(exc)}",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    _stop_on_signals()
    try:
        if mode is Mode.SOCKET:
            runtime.serve_socket_mode()
        else:
            runtime.serve_http(port or settings.port)
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
    return 0


def _stop_on_signals() -> None:
    """SIGTERM stops the bot the way Ctrl-C does: in the main thread, between requests."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
