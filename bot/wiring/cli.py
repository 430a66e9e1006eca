"""The ``mentorbot`` command line: run the bot, manage the database."""

import argparse
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from slack_bolt.error import BoltError
from sqlalchemy.exc import SQLAlchemyError

from bot.config import MAX_HTTP_WORKERS, ConfigError, Mode, Settings, load_settings
from bot.logs import configure_logging
from storage.enums import DeliveryStatus

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.demo.play import WeekStats
    from bot.deps import Deps
    from bot.wiring.runtime import Runtime

log = logging.getLogger("mentorbot")

EXIT_CONFIG = 2
EXIT_FAILURE = 1
DEMO_OUT = "demo-output"
DEMO_SEED = 2026


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
        "--workers",
        type=_workers,
        help="HTTP mode: processes serving the port, one a core (default: HTTP_WORKERS, or 1)",
    )
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

    tick = commands.add_parser(
        "tick",
        help="run one planning and delivery pass, then exit",
        description="Plan every due prompt into the outbox and deliver what is due, once.",
    )
    tick.add_argument(
        "--at",
        type=_moment,
        metavar="ISO-8601",
        help="act as if it were this moment (e.g. 2026-03-10T09:00:00+01:00)",
    )

    box = commands.add_parser(
        "outbox",
        help="list deliveries, or retry a failed one",
        description="List the outbox's deliveries with their reasons.",
    )
    box.add_argument(
        "--status", choices=[s.value for s in DeliveryStatus], help="only deliveries in this status"
    )
    box.add_argument("--limit", type=_positive, default=50, help="how many (default 50)")
    box_commands = box.add_subparsers(dest="outbox_command", metavar="ACTION")
    retry = box_commands.add_parser(
        "retry",
        help="put a failed delivery back in the queue",
        description="Re-queue a failed or dropped delivery.",
    )
    retry.add_argument("id", type=_positive, help="the delivery's id (from `mentorbot outbox`)")

    purge = commands.add_parser(
        "purge",
        help="erase the words of programs closed longer ago than their retention",
        description=(
            "Erase what people wrote in programs closed more than their retention ago "
            "(RETENTION_DAYS, or the program's own setting); counts, dates and scores stay."
        ),
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="say what would be erased, change nothing"
    )

    export = commands.add_parser(
        "export",
        help="write a program's per-pair metrics to a CSV file",
        description="Write one CSV row per pair of PROGRAM: numbers and codes, no free text.",
    )
    export.add_argument("program", metavar="PROGRAM", help="the program's name (quote spaces)")
    export.add_argument(
        "--out", required=True, metavar="FILE", help="the CSV file to write ('-': standard output)"
    )
    export.add_argument(
        "--team", metavar="TEAM_ID", help="the workspace, if several have a program of that name"
    )

    workspace = commands.add_parser(
        "workspace",
        help="list the workspaces, or delete all of one's data",
        description=(
            "The workspaces in the database: installed, or uninstalled and kept "
            "WORKSPACE_RETENTION_DAYS before all their data is deleted."
        ),
    )
    workspace_commands = workspace.add_subparsers(
        dest="workspace_command", required=True, metavar="ACTION"
    )
    workspace_commands.add_parser(
        "list",
        help="each workspace with its state, dates and sizes",
        description="Each workspace: its state, when it installed and uninstalled the bot, "
        "until when its data is kept, and its programs, people and pending deliveries.",
    )
    wipe = workspace_commands.add_parser(
        "purge",
        help="delete every row of a workspace, for good",
        description=(
            "Delete every row of the workspace TEAM_ID from every table, in one transaction, "
            "and print how many rows each table lost. Asks for the team id first."
        ),
    )
    wipe.add_argument("team_id", metavar="TEAM_ID", help="from `mentorbot workspace list`")
    wipe.add_argument("--yes", action="store_true", help="don't ask: delete at once")
    wipe.add_argument(
        "--force",
        action="store_true",
        help="delete a workspace that still has the bot installed (its data is in use)",
    )
    demo = commands.add_parser(
        "demo",
        help="play a 12-week mentoring cohort against a built-in fake Slack",
        description=(
            "Play a 12-week cohort (a lead, 4 mentors, 6 mentees) in accelerated time against "
            "the Slack double that ships with mentorbot, driving the real bot with signed "
            "requests, and write what everyone saw. Needs no .env and no Slack tokens; writes "
            "only under --out."
        ),
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path(DEMO_OUT),
        metavar="DIR",
        help=f"the folder to write to (default: {DEMO_OUT})",
    )
    demo.add_argument(
        "--format",
        choices=["html", "text"],
        default="html",
        help="html: write DIR/index.html and DIR/transcript.json; text: print the transcript",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=DEMO_SEED,
        help=f"varies when people act; the same seed plays the same story (default {DEMO_SEED})",
    )
    return parser


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date and time: {value!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a timezone, e.g. {value}+00:00 or {value}Z")
    return moment.astimezone(UTC)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {value!r}")
    return int(value)


def _workers(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_HTTP_WORKERS:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to {MAX_HTTP_WORKERS}, got {value!r}"
        )
    return int(value)


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
    if args.command == "demo":
        # The demo brings its own fake Slack and settings: no .env, no tokens are read.
        return _demo(args.out, text=args.format == "text", seed=args.seed)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format, sql_echo=settings.sql_echo)
        if args.command == "db":
            return _db(settings, args.db_command)
        if args.command == "tick":
            return _tick(settings, args.at)
        if args.command == "outbox":
            return _outbox(settings, args)
        if args.command == "export":
            return _export(settings, args)
        if args.command == "purge":
            return _purge(settings, dry_run=args.dry_run)
        if args.command == "workspace":
            return _workspace(settings, args)
        if args.workers is not None:
            settings = replace(settings, http_workers=args.workers)
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


def _offline_deps(settings: Settings, at: datetime | None = None) -> "Deps":
    """Deps for a one-shot command: the database, and Slack only if a token (or, with OAuth,
    the installed workspaces' tokens) is at hand."""
    from bot.wiring.runtime import build_deps
    from storage.db import make_engine

    engine = make_engine(settings.database_url)
    if at is None:
        return build_deps(settings, engine)
    return build_deps(settings, engine, clock=lambda: at)


def _tick(settings: Settings, at: datetime | None) -> int:
    from scheduler.delivery import Deliverer, worker_id
    from scheduler.tick import tick
    from storage.migrate import upgrade

    settings.require_bot_token()
    deps = _offline_deps(settings, at)
    try:
        upgrade(deps.engine)
        planned, delivered = tick(deps, Deliverer(deps, worker=worker_id()))
    finally:
        deps.engine.dispose()
    print(
        f"{deps.now():%Y-%m-%d %H:%M} UTC: planned {planned.enqueued} new "
        f"(of {planned.considered} due); delivered {delivered.sent}, "
        f"reconciled {delivered.reconciled}, retrying {delivered.retried}, "
        f"failed {delivered.failed}, dropped {delivered.dropped}"
    )
    return 0


def _purge(settings: Settings, *, dry_run: bool) -> int:
    from bot.services.privacy import due_for_purge, purge_program_words

    deps = _offline_deps(settings)
    try:
        with deps.session() as session:
            programs = due_for_purge(
                session, now=deps.now(), retention_days=settings.retention_days
            )
            report = purge_program_words(session, programs=programs, dry_run=dry_run)
    finally:
        deps.engine.dispose()
    verb = "would erase" if dry_run else "erased"
    if not report.programs:
        print("nothing to purge: no closed program is past its retention")
        return 0
    for program_id, name in report.programs:
        print(f"program {program_id} ({name})")
    for table, rows in sorted(report.rows.items()):
        if rows:
            print(f"  {table}: {verb} the words of {rows} row(s)")
    return 0


def _workspace(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.workspaces import workspace_rows
    from storage.db import make_engine, read_scope

    engine = make_engine(settings.database_url)
    try:
        if args.workspace_command == "purge":
            return _purge_workspace(engine, args.team_id, yes=args.yes, force=args.force)
        with read_scope(engine) as session:
            rows = workspace_rows(session, retention_days=settings.workspace_retention_days)
    finally:
        engine.dispose()
    if not rows:
        print("no workspaces in the database yet")
        return 0
    installed = sum(1 for row in rows if row.installed)
    print(
        f"workspaces: {installed} installed, {len(rows) - installed} uninstalled "
        f"(their data is kept {settings.workspace_retention_days} days: "
        "WORKSPACE_RETENTION_DAYS)"
    )
    table = [
        [
            "TEAM ID", "NAME", "STATE", "INSTALLED", "UNINSTALLED", "DATA KEPT UNTIL",
            "PROGRAMS", "PEOPLE", "PENDING DELIVERIES",
        ]
    ]  # fmt: skip
    for row in rows:
        table.append(
            [
                row.team_id,
                row.name[:30] or "-",
                row.state,
                _day(row.installed_at),
                _day(row.uninstalled_at),
                _day(row.kept_until),
                str(row.programs),
                str(row.people),
                str(row.pending),
            ]
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        print("  ".join(cells).rstrip())
    return 0


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else "-"


def _purge_workspace(engine: "Engine", team_id: str, *, yes: bool, force: bool) -> int:
    """Delete every row of ``team_id`` once the operator confirmed it (or gave ``--yes``)."""
    from bot.services.workspaces import is_installed, purge_workspace, workspace_row_counts
    from storage.db import read_scope, session_scope
    from storage.models import Workspace

    with read_scope(engine) as session:
        counts = workspace_row_counts(session, team_id=team_id)
        installed = is_installed(session, team_id=team_id)
        row = session.get(Workspace, team_id)
        name = f" ({row.name})" if row is not None and row.name else ""
    rows = sum(counts.values())
    if not rows:
        print(
            f"mentorbot: no workspace {team_id} in the database (`mentorbot workspace list` "
            "shows them)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if installed and not force:
        print(
            f"mentorbot: workspace {team_id}{name} still has the bot installed, so its data is "
            "in use: uninstall the app from it first, or give --force to delete it anyway",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    tables = sum(1 for count in counts.values() if count)
    if not yes:
        if not sys.stdin.isatty():
            print(
                f"mentorbot: this deletes {rows} rows of workspace {team_id}{name} for good: "
                "give --yes to confirm without a terminal",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        print(
            f"This deletes all {rows} rows of workspace {team_id}{name}, in {tables} tables, "
            "for good."
        )
        try:
            answer = input(f"Type {team_id} to delete it: ")
        except EOFError:
            answer = ""
        if answer.strip() != team_id:
            print("mentorbot: nothing deleted", file=sys.stderr)
            return EXIT_FAILURE
    with session_scope(engine) as session:
        # Installed again while the operator was asked: its data is in use once more.
        if not force and is_installed(session, team_id=team_id):
            print(
                f"mentorbot: workspace {team_id} was installed again: nothing deleted",
                file=sys.stderr,
            )
            return EXIT_FAILURE
        deleted = purge_workspace(session, team_id=team_id)
    print(f"deleted workspace {team_id}{name}:")
    for table, count in sorted(deleted.items()):
        if count:
            print(f"  {table}: {count}")
    total = sum(deleted.values())
    print(f"  total: {total} rows in {sum(1 for c in deleted.values() if c)} tables")
    return 0


def _outbox(settings: Settings, args: argparse.Namespace) -> int:
    from scheduler import outbox

    deps = _offline_deps(settings)
    try:
        with deps.session() as session:
            if args.outbox_command == "retry":
                try:
                    row = outbox.requeue(session, delivery_id=args.id, now=deps.now())
                except (LookupError, ValueError) as exc:
                    print(f"mentorbot: {exc}", file=sys.stderr)
                    return EXIT_FAILURE
                print(f"delivery {row.id} ({row.rule} to {row.recipient_id}) is queued again")
                return 0
            status = DeliveryStatus(args.status) if args.status else None
            rows = outbox.list_deliveries(session, status=status, limit=args.limit)
            counts = outbox.counts_by_status(session)
    finally:
        deps.engine.dispose()
    summary = ", ".join(f"{counts.get(s, 0)} {s.value}" for s in DeliveryStatus)
    print(f"outbox: {summary}")
    for row in rows:
        when = row.sent_at or row.due_at
        reason = f"  {row.error}" if row.error else ""
        print(
            f"{row.id:>6}  {row.status.value:<8} {when:%Y-%m-%d %H:%M}  {row.rule:<18} "
            f"{row.recipient_id:<12} tries {row.attempts}{reason}"
        )
    return 0


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.errors import UserError
    from bot.export import program_for_export, write_csv
    from bot.services.digest import cohort_metrics
    from storage.db import make_engine, session_scope
    from storage.types import utcnow

    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            try:
                program = program_for_export(session, name=args.program, team_id=args.team)
            except UserError as exc:
                print(f"mentorbot: {exc}", file=sys.stderr)
                return EXIT_FAILURE
            metrics = cohort_metrics(session, program=program, now=utcnow())
    finally:
        engine.dispose()
    if args.out == "-":
        count = write_csv(metrics, sys.stdout)
    else:
        try:
            with Path(args.out).open("w", newline="", encoding="utf-8") as out:
                count = write_csv(metrics, out)
        except OSError as exc:
            print(f"mentorbot: can't write {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAILURE
    print(
        f"wrote {count} pairs of {metrics.program_name} ({metrics.team_id}) to {args.out}",
        file=sys.stderr if args.out == "-" else sys.stdout,
    )
    return 0


class _WeekBar:
    """The demo's progress on stderr: a bar filling up for each simulated week on a terminal,
    one line per week otherwise (a log, a CI job)."""

    WIDTH = 24

    def __init__(self, weeks: int, stream: TextIO) -> None:
        self.weeks = weeks
        self.stream = stream
        self.tty = stream.isatty()
        self._drawn = -1

    def moved(self, week: int, fraction: float) -> None:
        """Redraw the week's bar (on a terminal, when it grew a cell)."""
        filled = int(fraction * self.WIDTH)
        if not self.tty or filled == self._drawn:
            return
        self._drawn = filled
        bar = "█" * filled + "░" * (self.WIDTH - filled)
        self.stream.write(f"\rweek {week:>2}/{self.weeks} {bar}")
        self.stream.flush()

    def week_done(self, stats: "WeekStats") -> None:
        """Close the week with what it held: "week  3/12: 14 messages, 2 sessions held"."""
        held = f"{stats.messages} messages, {stats.sessions} sessions held"
        if self.tty:
            self.stream.write(f"\rweek {stats.week:>2}/{self.weeks} {'█' * self.WIDTH} {held}\n")
        else:
            self.stream.write(f"week {stats.week:>2}/{self.weeks}: {held}\n")
        self.stream.flush()
        self._drawn = -1


def _demo(out: Path, *, text: bool, seed: int) -> int:
    """``mentorbot demo``: play the cohort, then write the page (or print the transcript)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"mentorbot: can't write to {out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    # matplotlib (the digest's chart) keeps a font cache: under the output folder, like the rest.
    os.environ.setdefault("MPLCONFIGDIR", str((out / ".matplotlib").resolve()))
    from bot.demo.cohort import WEEKS
    from bot.demo.play import play

    result = play(out, seed=seed, progress=_WeekBar(WEEKS, sys.stderr))
    transcript = result.transcript
    if text:
        from bot.demo.render_text import render_text

        print(render_text(transcript))
    else:
        from bot.demo.render_html import render_html

        (out / "index.html").write_text(render_html(transcript), encoding="utf-8")
        transcript.save(out / "transcript.json")
        print("What happened:")
        for line in transcript.summary:
            print(f"  • {line}")
        print(f"\nOpen {out / 'index.html'} to read what everyone saw.")
    if result.problems:
        print(f"mentorbot: the demo hit {len(result.problems)} problem(s):", file=sys.stderr)
        for problem in result.problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def _run(settings: Settings, mode: Mode, port: int | None, migrate: bool) -> int:
    settings.require_slack(mode)
    if mode is Mode.HTTP and settings.http_workers > 1:
        return _run_workers(settings, port or settings.port, migrate)
    from bot.wiring.runtime import Runtime

    runtime = Runtime(settings)
    failed = _start(runtime, migrate=migrate)
    if failed is not None:
        return failed
    _stop_on_signals()
    if mode is Mode.SOCKET:
        return _serve(runtime, runtime.serve_socket_mode)
    return _serve(runtime, partial(runtime.serve_http, port or settings.port))


def _serve(runtime: "Runtime", serve: Callable[[], None]) -> int:
    """Serve until SIGINT or SIGTERM (``_stop_on_signals``), then stop ``runtime``, letting
    its running work finish."""
    try:
        serve()
    except KeyboardInterrupt:
        pass  # how a signal stops the serving
    finally:
        runtime.stop()
    return 0


def _start(runtime: "Runtime", *, migrate: bool, schedule: bool = True) -> int | None:
    """Start ``runtime``; None, or the exit status of a start Slack refused."""
    try:
        runtime.start(migrate=migrate, schedule=schedule)
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
            f"mentorbot: cannot reach Slack at SLACK_API_URL ({runtime.settings.slack_api_url}): "
            f"{_first_line(exc)}",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    return None


def _run_workers(settings: Settings, port: int, migrate: bool) -> int:
    """HTTP mode in ``settings.http_workers`` processes sharing ``port`` (bot.wiring.workers)."""
    from bot.wiring import workers

    try:
        with workers.shared_metrics():
            if migrate:
                _migrate(settings)
            try:
                listening = workers.listen(port)
            except OSError as exc:
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                print(f"mentorbot: cannot listen on port {port}: {reason}", file=sys.stderr)
                return EXIT_FAILURE
            with listening:
                return workers.run_workers(
                    settings.http_workers, partial(_work, settings, listening)
                )
    except workers.WorkersError as exc:
        print(f"mentorbot: HTTP_WORKERS: {exc}", file=sys.stderr)
        return EXIT_CONFIG


def _migrate(settings: Settings) -> None:
    """Apply pending migrations once, before the workers start (and close every connection:
    a forked worker must not share one)."""
    from storage.db import make_engine
    from storage.migrate import current_revision, upgrade

    engine = make_engine(settings.database_url, echo=settings.sql_echo)
    try:
        upgrade(engine)
        log.info("database ready", extra={"revision": current_revision(engine)})
    finally:
        engine.dispose()


def _work(settings: Settings, listening: socket.socket, index: int) -> int:
    """One forked worker: a whole bot serving the shared socket; the first one schedules."""
    from bot.wiring.runtime import Runtime

    runtime = Runtime(settings)
    failed = _start(runtime, migrate=False, schedule=index == 0)
    if failed is not None:
        return failed
    _stop_on_signals()
    # A Ctrl-C reaches every process of the terminal: the watcher passes it on as one SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from bot.wiring.workers import worker_socket

    mine = worker_socket(listening, index)
    return _serve(runtime, partial(runtime.serve_http, mine.getsockname()[1], listening=mine))


def _stop_on_signals() -> None:
    """SIGTERM stops the bot the way Ctrl-C does: in the main thread, between requests."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
