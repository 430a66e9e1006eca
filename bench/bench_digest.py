"""Time the cohort digest on seeded programs of 50, 500 and 5,000 pairs in a SQLite file.

Run from the repository root: ``python bench/bench_digest.py`` (``--weeks``, ``--runs``,
``--sizes`` to change the set-up). Each program is 12 weeks into a weekly six-month cohort with
realistic activity (``bot.sandbox.demo_digest.seed_cohort``: about 11 sessions per pair with
agendas, scorecards, feedback, action items, goals and two skill rounds), inserted in bulk. It times
``build_digest_for`` (the metrics and the message) and the chart, counts the SQL statements, and
prints a table. Asserts nothing.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Run as a plain script, so the repository root is not on sys.path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, event, func, select

from bot.export import build_digest_for, chart_png
from bot.sandbox.demo_digest import seed_cohort
from bot.services.digest import cohort_metrics
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Meeting, Program

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIZES = (50, 500, 5_000)


def _timed(work: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return times, result


def _bench(engine: Engine, pairs: int, weeks: int, runs: int) -> dict[str, Any]:
    start = time.perf_counter()
    with session_scope(engine) as session:
        program_id = seed_cohort(session, pairs=pairs, now=NOW, weeks=weeks, name=f"P{pairs}").id
        meetings = session.execute(select(func.count()).select_from(Meeting)).scalar_one()
    seeded = time.perf_counter() - start

    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    def digest() -> dict[str, Any]:
        with session_scope(engine) as session:
            program = session.get(Program, program_id)
            assert program is not None
            return build_digest_for(session, program=program, now=NOW)

    event.listen(engine, "before_cursor_execute", count)
    digest()
    event.remove(engine, "before_cursor_execute", count)
    digest_times, message = _timed(digest, runs)

    with session_scope(engine) as session:
        program = session.get(Program, program_id)
        assert program is not None
        metrics = cohort_metrics(session, program=program, now=NOW)
    chart_times, png = _timed(lambda: chart_png(metrics), runs)
    return {
        "pairs": pairs,
        "meetings": meetings,
        "seed": seeded,
        "statements": statements,
        "digest_best": min(digest_times),
        "digest_median": statistics.median(digest_times),
        "chart_best": min(chart_times),
        "blocks": len(message["blocks"]),
        "flags": len(metrics.flags),
        "png_kb": len(png or b"") / 1024,
    }


def main() -> None:
    """Seed each size in a fresh SQLite file and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--weeks", type=int, default=12, help="weeks of history (default 12)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per size (default 5)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for pairs in args.sizes:
            engine = make_engine(f"sqlite:///{Path(folder) / f'digest-{pairs}.db'}")
            upgrade(engine)
            rows.append(_bench(engine, pairs, args.weeks, args.runs))
            engine.dispose()
    # Other processes on the machine slow every figure down: say how busy it was.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"cohort digest, SQLite file, {args.weeks} weeks of activity, best and median of "
        f"{args.runs} runs; {os.cpu_count()} CPUs, load average {load}\n"
    )
    print(
        f"{'pairs':>6} {'meetings':>9} {'seed s':>7} {'queries':>8} {'digest s':>9} "
        f"{'median s':>9} {'chart s':>8} {'blocks':>7} {'flags':>6} {'png KB':>7}"
    )
    for row in rows:
        print(
            f"{row['pairs']:>6,} {row['meetings']:>9,} {row['seed']:>7.1f} "
            f"{row['statements']:>8} {row['digest_best']:>9.3f} {row['digest_median']:>9.3f} "
            f"{row['chart_best']:>8.3f} {row['blocks']:>7} {row['flags']:>6} "
            f"{row['png_kb']:>7.0f}"
        )


if __name__ == "__main__":
    main()
