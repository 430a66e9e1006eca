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
        ["workspace", "--help"],
        ["workspace", "list", "--help"],
        ["workspace", "purge", "--help"],
        ["demo", "--help"],
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


@pytest.mark.parametrize("workers", ["0", "65", "two"])
def test_bad_workers_flag_is_rejected(workers: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["run", "--http", "--workers", workers])
    assert exited.value.code == 2
    assert f"--workers: must be a whole number from 1 to 64, got '{workers}'" in (
        capsys.readouterr().err
    )


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


def _mentorbot_at_a_terminal(
    *args: str, answer: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``mentorbot`` run by someone at a terminal who types ``answer`` when asked."""
    import pty

    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd)}
    controller, terminal = pty.openpty()
    try:
        os.write(controller, f"{answer}\n".encode())
        return subprocess.run(
            [sys.executable, "-m", "bot.wiring.cli", *args],
            cwd=cwd,
            env={**base, **env, "PYTHONPATH": str(Path(__file__).parent.parent)},
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)


def _two_workspaces(url: str) -> None:
    """T1 has the bot (single-workspace mode: no row of its own); T2 uninstalled it."""
    from datetime import UTC, date, datetime

    from storage.db import make_engine, session_scope
    from storage.enums import ProgramStatus, Role
    from storage.migrate import upgrade
    from storage.models import Participant, Program, Workspace

    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        session.add(
            Workspace(
                team_id="T2",
                name="Beta Corp",
                installed_at=datetime(2026, 1, 5, tzinfo=UTC),
                uninstalled_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
                uninstall_reason="app_uninstalled",
            )
        )
        for team_id, people in (("T1", ("U1", "U2", "U3")), ("T2", ("U7", "U8"))):
            program = Program(
                team_id=team_id,
                name="Cohort",
                status=ProgramStatus.ACTIVE,
                start_date=date(2026, 1, 5),
                created_by=people[0],
            )
            session.add(program)
            session.flush()
            for user_id in people:
                session.add(
                    Participant(
                        team_id=team_id,
                        program_id=program.id or 0,
                        user_id=user_id,
                        role=Role.MENTEE,
                    )
                )
    engine.dispose()


def _rows_of(url: str, team_id: str) -> int:
    from storage.db import make_engine, session_scope

    engine = make_engine(url)
    with session_scope(engine) as session:
        from bot.services.workspaces import workspace_row_counts

        rows = sum(workspace_row_counts(session, team_id=team_id).values())
    engine.dispose()
    return rows


def test_workspace_list_shows_states_dates_and_sizes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    _two_workspaces(url)
    listed = _mentorbot(
        "workspace",
        "list",
        cwd=tmp_path,
        env={"DATABASE_URL": url, "WORKSPACE_RETENTION_DAYS": "45"},
    )
    assert listed.returncode == 0, listed.stderr
    lines = [line.split("  ") for line in listed.stdout.splitlines()]
    summary, header, *rows = [[cell.strip() for cell in line if cell.strip()] for line in lines]
    assert summary == [
        "workspaces: 1 installed, 1 uninstalled (their data is kept 45 days: "
        "WORKSPACE_RETENTION_DAYS)"
    ]
    assert header == [
        "TEAM ID", "NAME", "STATE", "INSTALLED", "UNINSTALLED", "DATA KEPT UNTIL", "PROGRAMS",
        "PEOPLE", "PENDING DELIVERIES",
    ]  # fmt: skip
    assert rows == [
        ["T1", "-", "installed", "-", "-", "-", "1", "3", "0"],
        ["T2", "Beta Corp", "uninstalled", "2026-01-05", "2026-03-01", "2026-04-15", "1", "2", "0"],
    ]
    from storage.db import make_engine
    from storage.migrate import upgrade

    fresh = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    engine = make_engine(fresh["DATABASE_URL"])
    upgrade(engine)
    engine.dispose()
    empty = _mentorbot("workspace", "list", cwd=tmp_path, env=fresh)
    assert (empty.returncode, empty.stdout) == (0, "no workspaces in the database yet\n")


def test_workspace_purge_asks_refuses_and_counts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    _two_workspaces(url)
    env = {"DATABASE_URL": url}
    assert (_rows_of(url, "T1"), _rows_of(url, "T2")) == (4, 4)

    unknown = _mentorbot("workspace", "purge", "T9", "--yes", cwd=tmp_path, env=env)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == (
        "mentorbot: no workspace T9 in the database (`mentorbot workspace list` shows them)"
    )

    installed = _mentorbot("workspace", "purge", "T1", "--yes", cwd=tmp_path, env=env)
    assert installed.returncode == 1
    assert installed.stderr.strip() == (
        "mentorbot: workspace T1 still has the bot installed, so its data is in use: uninstall "
        "the app from it first, or give --force to delete it anyway"
    )

    unattended = _mentorbot("workspace", "purge", "T2", cwd=tmp_path, env=env)
    assert unattended.returncode == 2
    assert "give --yes to confirm without a terminal" in unattended.stderr

    mistyped = _mentorbot_at_a_terminal(
        "workspace", "purge", "T2", answer="T1", cwd=tmp_path, env=env
    )
    assert mistyped.returncode == 1
    assert "This deletes all 4 rows of workspace T2 (Beta Corp), in 3 tables, for good." in (
        mistyped.stdout
    )
    assert mistyped.stderr.strip() == "mentorbot: nothing deleted"
    assert (_rows_of(url, "T1"), _rows_of(url, "T2")) == (4, 4)

    confirmed = _mentorbot_at_a_terminal(
        "workspace", "purge", "T2", answer="T2", cwd=tmp_path, env=env
    )
    assert confirmed.returncode == 0, confirmed.stderr
    # The answer and its newline are echoed by the terminal, not written by the command.
    assert confirmed.stdout.split("Type T2 to delete it: ")[1].splitlines() == [
        "deleted workspace T2 (Beta Corp):",
        "  participant: 2",
        "  program: 1",
        "  workspace: 1",
        "  total: 4 rows in 3 tables",
    ]
    assert (_rows_of(url, "T1"), _rows_of(url, "T2")) == (4, 0)

    forced = _mentorbot("workspace", "purge", "T1", "--force", "--yes", cwd=tmp_path, env=env)
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.splitlines()[-1] == "  total: 4 rows in 2 tables"
    assert _rows_of(url, "T1") == 0
