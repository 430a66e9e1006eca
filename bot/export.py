"""What a lead takes away from a program: the digest message, its chart, the report, the CSV.

Each is built from one ``cohort_metrics`` pass. The ``/mentor digest|report|export`` commands,
the ``mentorbot export`` command line and the scheduler's weekly digest all come through here,
so they always agree. Nothing here calls Slack.
"""

import csv
import io
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from sqlmodel import Session, col, func, select

from bot.directory import cached_names
from bot.errors import NotFound, UserError
from bot.services.digest import CohortMetrics, PairMetrics, cohort_metrics
from bot.services.sessions import zone
from bot.views.digest import build_digest, build_report, digest_user_ids, report_user_ids
from storage.models import Program

log = logging.getLogger(__name__)

# One row per pair; ids, dates, counts and short codes only, never free text and never a rating:
# a pair's scores are its mentee's own answers (the digest shows averages over enough people).
CSV_COLUMNS = (
    "pair_id",
    "mentor_user_id",
    "mentee_user_id",
    "stage",
    "status",
    "health",
    "started_on",
    "last_session_on",
    "sessions_held",
    "sessions_planned",
    "hours_held",
    "hours_planned_by_now",
    "minimum_hours",
    "goals_total",
    "goals_agreed",
    "goals_done",
    "goals_on_track",
    "goals_at_risk",
    "goals_overdue",
    "skill_open_gaps",
    "flags",
)


@dataclass(frozen=True, slots=True)
class Digest:
    """A digest message with the metrics it was built from (the chart draws on the same)."""

    message: dict[str, Any]
    metrics: CohortMetrics


def digest_for(session: Session, *, program: Program, now: datetime) -> Digest:
    """Compute the program's metrics once and build its digest message."""
    metrics = cohort_metrics(session, program=program, now=now)
    names = cached_names(session, team_id=program.team_id, user_ids=digest_user_ids(metrics))
    return Digest(build_digest(metrics, names=names), metrics)


def build_digest_for(session: Session, *, program: Program, now: datetime) -> dict[str, Any]:
    """The program's digest message (``text`` and ``blocks``), ready for chat.postMessage."""
    return digest_for(session, program=program, now=now).message


def chart_png(metrics: CohortMetrics) -> bytes | None:
    """The digest chart, or None when the program has no pairs yet or drawing failed."""
    if not metrics.weeks or not metrics.pairs:
        return None
    try:
        # Imported here: matplotlib takes a moment to load, and only digests need it.
        from bot.charts import render_digest_chart

        return render_digest_chart(metrics)
    except Exception:
        # A chart is a nice-to-have: the digest reads fine without it.
        log.exception("digest chart not rendered", extra={"program_id": metrics.program_id})
        return None


def digest_chart_for(session: Session, *, program: Program, now: datetime) -> bytes | None:
    """The program's digest chart as PNG bytes, or None (see ``chart_png``)."""
    return chart_png(cohort_metrics(session, program=program, now=now))


def chart_filename(metrics: CohortMetrics) -> str:
    """A file name for the chart upload."""
    return f"digest-{_slug(metrics.program_name)}-{metrics.today.isoformat()}.png"


def program_for_export(session: Session, *, name: str, team_id: str | None) -> Program:
    """The program called ``name`` (any case), in ``team_id`` if given; one, or a clear error."""
    query = select(Program).where(func.lower(Program.name) == name.strip().lower())
    if team_id:
        query = query.where(Program.team_id == team_id)
    found = list(session.exec(query.order_by(col(Program.team_id))))
    if not found:
        where = f" in workspace {team_id}" if team_id else ""
        raise NotFound(f"there is no program called {name!r}{where}")
    if len(found) > 1:
        teams = ", ".join(p.team_id for p in found)
        raise UserError(f"several workspaces have a program called {name!r}: add --team ({teams})")
    return found[0]


def report_for(
    session: Session, *, program: Program, now: datetime, offset: int = 0
) -> dict[str, Any]:
    """One page of the program's pair report, as an ephemeral message."""
    metrics = cohort_metrics(session, program=program, now=now)
    names = cached_names(
        session, team_id=program.team_id, user_ids=report_user_ids(metrics, offset=offset)
    )
    return build_report(metrics, names=names, offset=offset)


# --- CSV -----------------------------------------------------------------------------------------


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def csv_row(pair: PairMetrics, *, tz: str) -> list[str]:
    """One pair's CSV row, in ``CSV_COLUMNS`` order."""
    goals = pair.goals
    last = pair.last_session_at
    last_on = last.astimezone(zone(tz)).date().isoformat() if last else ""
    return [
        str(pair.pairing_id),
        pair.mentor_user_id,
        pair.mentee_user_id,
        pair.stage.value,
        pair.status.value,
        pair.health.value,
        pair.started_on.isoformat() if pair.started_on else "",
        last_on,
        str(pair.sessions_held),
        str(pair.sessions_planned),
        _number(pair.hours_held),
        _number(pair.hours_planned),
        _number(pair.minimum_hours),
        str(goals.total),
        str(goals.agreed),
        str(goals.done),
        str(goals.on_track),
        str(goals.at_risk),
        str(goals.overdue),
        str(pair.skill_open_gaps),
        ";".join(kind.value for kind in pair.flags),
    ]


def write_csv(metrics: CohortMetrics, stream: TextIO) -> int:
    """Write the header and one row per pair to ``stream``; returns how many pairs."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for pair in metrics.pairs:
        writer.writerow(csv_row(pair, tz=metrics.timezone))
    return len(metrics.pairs)


def csv_bytes(metrics: CohortMetrics) -> bytes:
    """The CSV as UTF-8 bytes, for an upload."""
    out = io.StringIO()
    write_csv(metrics, out)
    return out.getvalue().encode()


def csv_filename(metrics: CohortMetrics) -> str:
    """A file name for the CSV."""
    return f"mentorbot-{_slug(metrics.program_name)}-{metrics.today.isoformat()}.csv"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "program"
