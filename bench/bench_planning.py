"""Time planning passes (``plan_due``) over 1,000, 10,000 and 100,000 active pairings.

Run from the repository root: ``python bench/bench_planning.py`` (SQLite files in a temporary
directory). PostgreSQL runs too: on a throwaway server of its own with stock settings (initdb's
defaults, durable: fsync and synchronous commit on) when ``initdb`` is found, as the tests find
it, or on ``--database-url postgresql+psycopg://...`` (its public schema is dropped and rebuilt
for every size); ``--no-postgres`` skips it. Prints figures and the server's settings; asserts
nothing.

The data is a seeded, realistic mix: most pairs met recently and have a session booked within
the week (some within the hour), some have a past session nobody logged, some have lapsed, some
are new; every pair has a goal, some a milestone, spread around now. The build is then analysed
and checkpointed, as a server that has run a while has done (the passes do not pay for writing a
bulk load to disk). The outbox starts empty, so for each size the table shows two kinds of pass:

- the catch-up pass: the first one, as after a long downtime, which plans the whole backlog the
  data holds (seconds and messages enqueued);
- the passes the bot runs every minute from then on: the slowest of the next five, one minute
  apart (seconds, messages they enqueued between them). This is the figure that must stay
  under half a second at 100,000 pairings.

``hold ms`` is the longest any write transaction of the pass held the database: the rules read
in a read-only transaction and write in short slices, so a click's write never waits long for
the scheduler, however large the pass (at most 50 ms is the goal). On PostgreSQL a slice is one
round trip sent by a thread of its own, and the server measures how long it held its rows.

Peak Python memory (tracemalloc) is measured on an identical pass whose transaction is rolled
back, before each timed one; what it wrote is then put on disk, as the build is (left to the
operating system, the writing-out of its few hundred megabytes of SQLite log fell in the timed
catch-up's slices and held them 40-75 ms instead of 15-25).
"""

import argparse
import contextlib
import gc
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

# Run as a plain script, so the repository root is not on sys.path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import Session

from bot.config import Settings
from bot.deps import Deps
from bot.gateway import SlackGateway, build_client
from bot.sandbox.postgres import (
    postgres_binaries_available,
    throwaway_postgres,
)
from bot.wiring.runtime import settle_heap
from scheduler import outbox
from scheduler.rules import Planner
from scheduler.tick import PLAN_CHUNK, PlanReport, plan_due
from storage.db import make_engine, refresh_statistics
from storage.enums import (
    Cadence,
    GoalProgress,
    GoalStatus,
    MeetingStatus,
    PairingStatus,
    ProgramStatus,
    Role,
)
from storage.migrate import upgrade
from storage.models import Goal, Meeting, Milestone, Pairing, Participant, Program

SIZES = (1_000, 10_000, 100_000)
TEAM = "T0BENCH"
# A Tuesday afternoon in Europe, morning in New York, evening in India, night in Asia-Pacific.
NOW = datetime(2026, 4, 14, 13, 0, tzinfo=UTC)
PROGRAMS = (Cadence.WEEKLY, Cadence.BIWEEKLY, Cadence.BIWEEKLY, Cadence.MONTHLY, Cadence.WEEKLY)
TIMEZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
)
INSERT_CHUNK = 5_000
# Passes timed after the catch-up, one simulated minute apart.
STEADY_PASSES = 5


def _program_rows() -> list[dict[str, Any]]:
    return [
        {
            "id": n + 1,
            "team_id": TEAM,
            "name": f"Cohort {n + 1}",
            "status": ProgramStatus.ACTIVE,
            "cadence": cadence,
            # A year-long program in its fourth month: no midpoint or closing wave due now.
            "start_date": date(2026, 1, 5),
            "length_months": 12,
            "created_by": f"ULEAD{n:03d}",
            "created_at": NOW - timedelta(days=120),
            "updated_at": NOW - timedelta(days=120),
        }
        for n, cadence in enumerate(PROGRAMS)
    ]


def _ago(rng: random.Random, low_days: float, high_days: float) -> datetime:
    moment = NOW - timedelta(days=rng.uniform(low_days, high_days))
    return moment.replace(second=0, microsecond=0)


def _pair_rows(size: int, seed: int) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Rows for ``size`` pairings, a thousand pairings at a time."""
    rng = random.Random(seed)
    goal_id = 0
    for first in range(0, size, 1_000):
        batch: dict[str, list[dict[str, Any]]] = {
            "participant": [],
            "pairing": [],
            "meeting": [],
            "goal": [],
            "milestone": [],
        }
        for n in range(first, min(first + 1_000, size)):
            program = n % len(PROGRAMS)
            gap = PROGRAMS[program].days or 30
            mentor_id, mentee_id = 2 * n + 1, 2 * n + 2
            for pid, role in ((mentor_id, Role.MENTOR), (mentee_id, Role.MENTEE)):
                batch["participant"].append(
                    {
                        "id": pid,
                        "team_id": TEAM,
                        "program_id": program + 1,
                        "user_id": f"U{pid:08d}",
                        "role": role,
                        "timezone": rng.choice(TIMEZONES),
                        "joined_at": NOW - timedelta(days=150),
                        "updated_at": NOW - timedelta(days=150),
                    }
                )
            kind = rng.random()
            started = _ago(rng, 0.2 * gap, 1.4 * gap) if kind >= 0.92 else _ago(rng, 14, 98)
            batch["pairing"].append(
                {
                    "id": n + 1,
                    "team_id": TEAM,
                    "program_id": program + 1,
                    "mentor_id": mentor_id,
                    "mentee_id": mentee_id,
                    "mentor_user_id": f"U{mentor_id:08d}",
                    "mentee_user_id": f"U{mentee_id:08d}",
                    "status": PairingStatus.ACTIVE,
                    "created_at": started,
                    "started_at": started,
                }
            )
            meetings: list[tuple[MeetingStatus, datetime]] = []
            if kind < 0.75:  # healthy: met within the cadence, next session booked this week
                last = _ago(rng, 1, gap)
                meetings += [
                    (MeetingStatus.HELD, last - timedelta(days=gap)),
                    (MeetingStatus.HELD, last),
                ]
                upcoming = NOW + timedelta(minutes=rng.randrange(15, 7 * 24 * 60, 15))
                meetings.append((MeetingStatus.SCHEDULED, upcoming))
            elif kind < 0.80:  # a session in the last three days that nobody logged
                meetings += [
                    (MeetingStatus.HELD, _ago(rng, gap + 3, 2 * gap)),
                    (MeetingStatus.SCHEDULED, _ago(rng, 0.1, 3)),
                ]
            elif kind < 0.92:  # lapsing: no session for 1.2 to 2.5 times the cadence
                meetings.append((MeetingStatus.HELD, _ago(rng, 1.2 * gap, 2.5 * gap)))
            for status, moment in meetings:
                batch["meeting"].append(
                    {
                        "team_id": TEAM,
                        "pairing_id": n + 1,
                        "status": status,
                        "scheduled_start": moment,
                        "duration_minutes": 60,
                        "held_at": moment if status is MeetingStatus.HELD else None,
                        "created_at": moment - timedelta(days=7),
                    }
                )
            goal_id += 1
            batch["goal"].append(
                {
                    "id": goal_id,
                    "team_id": TEAM,
                    "pairing_id": n + 1,
                    "statement": "Lead the quarterly review on my own",
                    "due_date": NOW.date() + timedelta(days=rng.randint(-30, 90)),
                    "status": GoalStatus.AGREED,
                    "progress": GoalProgress.ON_TRACK,
                    "proposed_by": f"U{mentee_id:08d}",
                    "created_at": started,
                    "updated_at": started,
                }
            )
            if rng.random() < 0.3:
                batch["milestone"].append(
                    {
                        "team_id": TEAM,
                        "goal_id": goal_id,
                        "title": "Draft the review deck",
                        "due_date": NOW.date() + timedelta(days=rng.randint(-10, 40)),
                    }
                )
        yield batch


def build(engine: Engine, size: int) -> None:
    """Fill an empty, migrated database with ``size`` active pairings."""
    tables = {
        "participant": Participant.__table__,  # type: ignore[attr-defined]
        "pairing": Pairing.__table__,  # type: ignore[attr-defined]
        "meeting": Meeting.__table__,  # type: ignore[attr-defined]
        "goal": Goal.__table__,  # type: ignore[attr-defined]
        "milestone": Milestone.__table__,  # type: ignore[attr-defined]
    }
    with engine.begin() as conn:
        conn.execute(Program.__table__.insert(), _program_rows())  # type: ignore[attr-defined]
        batches = _pair_rows(size, seed=size)
        while chunk := list(islice(batches, INSERT_CHUNK // 1_000)):
            for name, table in tables.items():
                rows = [row for batch in chunk for row in batch[name]]
                if rows:
                    conn.execute(table.insert(), rows)
    if engine.dialect.name == "postgresql":
        # What autovacuum does to a table that grew: statistics and the visibility map (which
        # lets index-only scans skip the heap).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        refresh_statistics(engine)  # what the bot's housekeeping does at start
    settle_disk(engine)


def settle_disk(engine: Engine) -> None:
    """Put what was written on disk, as a server that has run a while since has done: the
    timed passes must not pay for writing a bulk load (or the rolled-back pass that measures
    memory) to disk. The database's checkpoint (SQLite: its log copied back into the file and
    emptied), then the operating system's dirty pages written out."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            try:
                conn.execute(text("CHECKPOINT"))
            except ProgrammingError:  # not allowed to on a --database-url server
                print("postgresql: no CHECKPOINT before the passes (needs pg_checkpoint)")
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    os.sync()


def planning_deps(engine: Engine, now: datetime) -> Deps:
    """What ``plan_due`` needs, with the clock stopped at ``now`` (planning never calls Slack)."""
    settings = Settings(
        slack_bot_token="xoxb-bench",  # noqa: S106 - the fake token planning never uses
        slack_signing_secret=None,
        slack_app_token=None,
        database_url=str(engine.url),
    )
    # Planning never calls Slack.
    gateway = SlackGateway(build_client("xoxb-bench", "http://127.0.0.1:9/api/"))
    return Deps(settings=settings, engine=engine, gateway=gateway, clock=lambda: now)


def _rolled_back_pass(engine: Engine, now: datetime) -> int:
    """``plan_due``'s work, in a transaction that is rolled back: leaves the data as it was."""
    enqueued = 0
    with Session(engine) as session:
        planned = Planner(session, now=now).plan()
        while chunk := list(islice(planned, PLAN_CHUNK)):
            enqueued += outbox.enqueue(session, chunk, now=now)
        session.rollback()
    return enqueued


def _peak_mib(engine: Engine, now: datetime) -> float:
    gc.collect()  # earlier garbage is not the pass's
    tracemalloc.start()
    _rolled_back_pass(engine, now)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def _timed(engine: Engine, now: datetime) -> tuple[float, PlanReport]:
    deps = planning_deps(engine, now)
    started = time.perf_counter()
    report = plan_due(deps)
    return time.perf_counter() - started, report


def run(engine: Engine, size: int, label: str) -> None:
    """Build ``size`` pairings, then time and measure the planning passes; print one line."""
    started = time.perf_counter()
    build(engine, size)
    built = time.perf_counter() - started
    settle_heap()  # as the bot does once it has started
    catch_up_peak = _peak_mib(engine, NOW)
    settle_disk(engine)
    catch_up_s, catch_up = _timed(engine, NOW)
    minutes = [NOW + timedelta(minutes=m) for m in range(1, STEADY_PASSES + 1)]
    steady_peak = _peak_mib(engine, minutes[0])
    settle_disk(engine)
    steady = [_timed(engine, moment) for moment in minutes]
    figures = (
        label,
        f"{size:,}",
        f"{built:.1f}",
        f"{catch_up_s:.3f}",
        f"{catch_up.enqueued:,}",
        f"{catch_up.longest_hold * 1000:.1f}",
        f"{catch_up_peak:.1f}",
        f"{max(seconds for seconds, _ in steady):.3f}",
        f"{sum(report.enqueued for _, report in steady):,}",
        f"{max(report.longest_hold for _, report in steady) * 1000:.1f}",
        f"{steady_peak:.1f}",
    )
    print("".join(f"{f:>12}" for f in figures), flush=True)


def _fresh_postgres(url: str) -> Engine:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    return engine


# The settings that decide the figures, printed with them.
SHOWN_SETTINGS = (
    "server_version",
    "shared_buffers",
    "work_mem",
    "effective_cache_size",
    "random_page_cost",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "jit",
)


@contextlib.contextmanager
def stock_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server with stock settings; yields the URL of an empty database."""
    with throwaway_postgres(durable=True) as url:
        yield url


def _settings_line(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            shown = [
                f"{name}={conn.execute(text(f'SHOW {name}')).scalar()}" for name in SHOWN_SETTINGS
            ]
    finally:
        engine.dispose()
    return "postgresql: " + ", ".join(shown)


def _run_postgres(url: str, sizes: list[int]) -> None:
    print(_settings_line(url), flush=True)
    for size in sizes:
        engine = _fresh_postgres(url)
        try:
            run(engine, size, "postgresql")
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Print one line of figures per backend and size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="run PostgreSQL on this database (emptied!)")
    parser.add_argument(
        "--no-postgres", action="store_true", help="SQLite only: start no PostgreSQL server"
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=list(SIZES), help="pairing counts to run"
    )
    args = parser.parse_args(argv)
    groups = ("", "", "", "catch-up", "", "", "", "every minute", "", "", "")
    header = (
        "backend",
        "pairings",
        "build s",
        "pass s",
        "enqueued",
        "hold ms",
        "peak MiB",
        "slowest s",
        "enqueued",
        "hold ms",
        "peak MiB",
    )
    print("".join(f"{g:>12}" for g in groups))
    print("".join(f"{h:>12}" for h in header))
    with tempfile.TemporaryDirectory(prefix="bench-planning-") as tmp:
        for size in args.sizes:
            engine = make_engine(f"sqlite:///{Path(tmp) / f'plan-{size}.db'}")
            upgrade(engine)
            try:
                run(engine, size, "sqlite")
            finally:
                engine.dispose()
    if args.database_url:
        _run_postgres(args.database_url, args.sizes)
    elif args.no_postgres:
        return
    elif not postgres_binaries_available():
        print("postgresql: skipped (initdb and pg_ctl not found; install postgresql)")
    else:
        with stock_postgres() as url:
            _run_postgres(url, args.sizes)


if __name__ == "__main__":
    main()
