"""The ``mentorbot`` command line, run as a user would run it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.wiring.cli import build_parser


def _mentorbot(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "bot.wiring.cli", *args],
        cwd=cwd,
        env={**base, **(env or {}), "PYTHONPATH": str(Path(__file__).parent.parent)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_a_token_ends_with_one_clear_line(tmp_path: Path) -> None:
    result = _mentorbot("run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "mentorbot: SLACK_BOT_TOKEN is not set: install the app from manifest.yml and copy the "
        "Bot User OAuth Token (xoxb-…) from OAuth & Permissions"
    ]
    assert "Traceback" not in result.stderr


def test_a_bad_value_in_dotenv_is_reported_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=eighty\n")
    result = _mentorbot("db", "current", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "mentorbot: PORT must be a whole number from 1 to 65535, got 'eighty'"
    )


def test_db_upgrade_then_current_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    before = _mentorbot("db", "current", cwd=tmp_path, env=env)
    assert before.returncode == 0
    assert before.stdout.startswith("empty (no revision)")
    upgraded = _mentorbot("db", "upgrade", cwd=tmp_path, env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    after = _mentorbot("db", "current", cwd=tmp_path, env=env)
    assert after.stdout.strip().endswith("(newest)")


def test_the_default_database_is_a_file_in_the_working_directory(tmp_path: Path) -> None:
    assert _mentorbot("db", "upgrade", cwd=tmp_path).returncode == 0
    assert (tmp_path / "mentorbot.db").is_file()


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'missing-dir' / 'bot.db'}"}
    result = _mentorbot("db", "upgrade", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("mentorbot: the database at DATABASE_URL failed:")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["run", "--help"],
        ["db", "--help"],
        ["db", "upgrade", "--help"],
        ["tick", "--help"],
        ["outbox", "--help"],
        ["outbox", "retry", "--help"],
    ],
)
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == 0
    assert "usage: mentorbot" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--version"])
    assert capsys.readouterr().out.startswith("mentorbot 0.")


def test_bad_port_flag_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["run", "--port", "0"])
    assert exited.value.code == 2
    assert "must be a whole number from 1 to 65535" in capsys.readouterr().err


def test_tick_and_outbox_commands(tmp_path: Path) -> None:
    from bot.sandbox.slack_double import SlackDouble

    with SlackDouble() as slack:
        env = {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": slack.api_url,
        }
        ticked = _mentorbot("tick", "--at", "2026-03-02T09:00:00+00:00", cwd=tmp_path, env=env)
        assert ticked.returncode == 0, ticked.stderr
        assert ticked.stdout.startswith("2026-03-02 09:00 UTC: planned 0 new")
        listed = _mentorbot("outbox", "--status", "failed", cwd=tmp_path, env=env)
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.startswith("outbox: 0 pending, 0 sending, 0 sent, 0 failed")
        missing = _mentorbot("outbox", "retry", "42", cwd=tmp_path, env=env)
        assert missing.returncode == 1
        assert missing.stderr.strip() == "mentorbot: no delivery with id 42"


def test_tick_refuses_a_naive_time(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["tick", "--at", "2026-03-02T09:00"])
    assert "give a timezone" in capsys.readouterr().err


def test_purge_says_what_it_would_erase_then_erases_it(tmp_path: Path) -> None:
    from datetime import UTC, date, datetime, timedelta

    from sqlmodel import select

    from storage.db import make_engine, session_scope
    from storage.enums import ProgramStatus, Role
    from storage.migrate import upgrade
    from storage.models import Participant, Program

    url = f"sqlite:///{tmp_path / 'bot.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        program = Program(
            team_id="T1",
            name="Old cohort",
            status=ProgramStatus.CLOSED,
            start_date=date(2024, 1, 1),
            closed_at=datetime.now(UTC) - timedelta(days=400),
            created_by="ULEAD",
        )
        session.add(program)
        session.flush()
        session.add(
            Participant(
                team_id="T1",
                program_id=program.id or 0,
                user_id="U1",
                role=Role.MENTEE,
                situation="words that must go",
            )
        )
    engine.dispose()
    env = {"DATABASE_URL": url}
    dry = _mentorbot("purge", "--dry-run", cwd=tmp_path, env=env)
    assert dry.returncode == 0, dry.stderr
    assert "Old cohort" in dry.stdout
    assert "participant: would erase the words of 1 row(s)" in dry.stdout
    done = _mentorbot("purge", cwd=tmp_path, env=env)
    assert "participant: erased the words of 1 row(s)" in done.stdout
    engine = make_engine(url)
    with session_scope(engine) as session:
        [kept] = session.exec(select(Participant)).all()
    engine.dispose()
    assert (kept.situation, kept.role) == ("", Role.MENTEE)
    again = _mentorbot("purge", cwd=tmp_path, env={**env, "RETENTION_DAYS": "500"})
    assert again.stdout.strip() == "nothing to purge: no closed program is past its retention"
