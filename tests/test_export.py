"""The per-pair CSV: to the lead's DM with ``/mentor export``, and with ``mentorbot export``."""

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.export import CSV_COLUMNS
from bot.sandbox.slack_double import SlackDouble
from storage.db import session_scope
from storage.models import Program
from tests.harness import SlackToBot
from tests.test_digest import (
    CHANNEL,
    LEAD,
    PROGRAM,
    SPECS,
    TEAM,
    Cohort,
    assert_no_secrets,
    build_cohort,
)

# What a cell may hold: ids, numbers, dates, enum values and flag codes. Never a sentence.
CELL = re.compile(r"^[A-Za-z0-9_.;-]*$")


@pytest.fixture
def cohort(engine: Engine, slack: SlackDouble) -> Cohort:
    """The digest tests' cohort of known activity."""
    slack.add_channel(CHANNEL, name="spring-leads", is_private=True)
    return build_cohort(engine)


def _rows(text: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert tuple(header) == CSV_COLUMNS
    rows = [dict(zip(header, row, strict=True)) for row in reader]
    for row in rows:
        bad = {k: v for k, v in row.items() if not CELL.match(v)}
        assert not bad, f"free text in the CSV: {bad}"
    return rows


def test_a_lead_gets_the_csv_in_a_dm(bot: SlackToBot, slack: SlackDouble, cohort: Cohort) -> None:
    answer = bot.ask(f"export {PROGRAM}", user_id=LEAD)
    assert answer["text"] == f"The CSV of *{PROGRAM}* is in your DM with me: 11 pairs."
    # The upload is done before the answer: the lead's answer says where it is.
    assert slack.calls_to("files.completeUploadExternal")
    [opened] = slack.calls_to("conversations.open")
    assert opened.params["users"] == LEAD
    [upload] = slack.uploaded_files
    assert upload.channel_id == slack.dm_channel_id(LEAD)
    assert upload.filename == "mentorbot-spring-cohort-2026-03-02.csv"
    assert upload.initial_comment is not None
    assert "11 pairs" in upload.initial_comment
    text = upload.content.decode()
    assert_no_secrets(text)
    rows = {row["pair_id"]: row for row in _rows(text)}
    assert len(rows) == len(SPECS)
    ids = cohort.pairing_ids
    assert rows[str(ids["lapsed"])] == {
        "pair_id": str(ids["lapsed"]),
        "mentor_user_id": "UM2",
        "mentee_user_id": "UE2",
        "stage": "guided_practice",
        "status": "active",
        "health": "lapsing",
        "started_on": "2025-12-08",
        "last_session_on": "2026-02-10",
        "sessions_held": "2",
        "sessions_planned": "12",
        "hours_held": "2",
        "hours_planned_by_now": "1.38",
        "minimum_hours": "3",
        "goals_total": "2",
        "goals_agreed": "2",
        "goals_done": "0",
        "goals_on_track": "1",
        "goals_at_risk": "1",
        "goals_overdue": "1",
        "skill_open_gaps": "0",
        "flags": "lapsed",
    }
    # The low pair's flag says that its scores fell; its ratings (5.67, 7, 6.33 over its last
    # three scorecards) are its mentee's own answers and stay out.
    low = rows[str(ids["low_scores"])]
    assert low["flags"] == "low_scorecard"
    assert not {"5.67", "6.33"} & set(low.values())
    assert rows[str(ids["paused"])]["flags"] == "delivery_failed"
    assert rows[str(ids["graduated"])]["health"] == "graduated"
    assert rows[str(ids["skill_gap"])]["skill_open_gaps"] == "1"
    assert rows[str(ids["healthy"])]["flags"] == ""


def test_no_column_carries_a_rating() -> None:
    """Scorecards, surveys and skill scores are one person's answers: no per-pair column."""
    rated = [c for c in CSV_COLUMNS if re.search(r"score|rating|survey|satisf|average", c)]
    assert rated == []
    assert "skill_open_gaps" in CSV_COLUMNS  # a count of gaps, not anyone's score


def test_a_failed_upload_is_told_to_the_lead(
    bot: SlackToBot, slack: SlackDouble, cohort: Cohort
) -> None:
    slack.fail_next("files.getUploadURLExternal", error="internal_error")
    problem = bot.ask(f"export {PROGRAM}", user_id=LEAD)
    assert "couldn't send you the CSV (internal_error)" in problem["text"]
    assert problem["text"].startswith(":warning:")
    # One answer only: the problem, with no confirmation after it.
    assert [c.params for c in slack.calls_to("response_url")] == [problem]
    assert not slack.uploaded_files


def _mentorbot(engine: Engine, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(cwd),
        "DATABASE_URL": str(engine.url),
        "PYTHONPATH": str(Path(__file__).parent.parent),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.wiring.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_line_writes_the_same_columns(
    engine: Engine, cohort: Cohort, tmp_path: Path
) -> None:
    out = tmp_path / "spring.csv"
    result = _mentorbot(engine, "export", PROGRAM, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote 11 pairs of {PROGRAM} ({TEAM}) to {out}"
    text = out.read_text(encoding="utf-8")
    assert_no_secrets(text)
    rows = _rows(text)
    assert sorted(int(r["pair_id"]) for r in rows) == sorted(cohort.pairing_ids.values())
    lapsed = next(r for r in rows if r["pair_id"] == str(cohort.pairing_ids["lapsed"]))
    assert (lapsed["mentor_user_id"], lapsed["mentee_user_id"], lapsed["sessions_held"]) == (
        "UM2",
        "UE2",
        "2",
    )


def test_the_command_line_asks_which_workspace_when_two_have_the_program(
    engine: Engine, cohort: Cohort, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        other = session.get(Program, cohort.program_id)
        assert other is not None
        session.add(
            Program(team_id="T0002", name=PROGRAM, start_date=other.start_date, created_by="UOTHER")
        )
    unknown = _mentorbot(engine, "export", "Autumn", "--out", "-", cwd=tmp_path)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "mentorbot: there is no program called 'Autumn'"
    ambiguous = _mentorbot(engine, "export", PROGRAM, "--out", "-", cwd=tmp_path)
    assert ambiguous.returncode == 1
    assert "add --team (T0001, T0002)" in ambiguous.stderr
    chosen = _mentorbot(engine, "export", PROGRAM, "--out", "-", "--team", TEAM, cwd=tmp_path)
    assert chosen.returncode == 0, chosen.stderr
    assert len(_rows(chosen.stdout)) == 11
    assert "Traceback" not in unknown.stderr + ambiguous.stderr + chosen.stderr


def test_export_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.wiring.cli import build_parser

    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["export", "--help"])
    assert exit_.value.code == 0
    assert "--out FILE" in capsys.readouterr().out
