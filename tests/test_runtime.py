"""``mentorbot run`` end to end: Socket Mode against the double's WebSocket, HTTP mode as a real
process that answers Slack and stops cleanly on SIGTERM."""

import gc
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from bot.wiring.runtime import Runtime
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Workspace
from tests.blockkit import assert_valid_view
from tests.harness import SIGNING_SECRET, SlackToBot, eventually


@pytest.fixture
def socket_runtime(slack: SlackDouble, tmp_path: Path) -> Iterator[Runtime]:
    """A started runtime holding a Socket Mode connection to the double."""
    settings = Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=None,
        slack_app_token="xapp-test-token",
        slack_api_url=slack.api_url,
        database_url=f"sqlite:///{tmp_path / 'bot.db'}",
    )
    runtime = Runtime(settings)
    runtime.start(migrate=True)
    thread = threading.Thread(target=runtime.serve_socket_mode, daemon=True)
    thread.start()
    slack.wait_for_socket_client(timeout=10)
    yield runtime
    runtime.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_socket_mode_acks_a_slash_command_with_the_help(
    socket_runtime: Runtime, slack: SlackDouble
) -> None:
    envelope_id = slack.socket_send(
        "slash_commands", slack_double.slash_command_payload(text="help")
    )
    ack = slack.wait_for_socket_ack(envelope_id, timeout=5)
    assert_valid_view(ack["payload"], surface="message")
    assert "/mentor help" in json.dumps(ack["payload"])


def test_socket_mode_delivers_events(socket_runtime: Runtime, slack: SlackDouble) -> None:
    payload = slack_double.event_callback(slack_double.app_home_opened_event("U0002"))
    envelope_id = slack.socket_send("events_api", payload)
    slack.wait_for_socket_ack(envelope_id, timeout=5)
    [call] = slack.wait_for("views.publish")
    assert call.params["user_id"] == "U0002"


def test_stopping_lets_work_handed_off_after_an_ack_finish(
    socket_runtime: Runtime,
) -> None:
    assert socket_runtime.deps is not None
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def after_ack() -> None:
        started.set()
        release.wait(timeout=5)
        finished.set()

    socket_runtime.deps.after_ack(after_ack)
    assert started.wait(timeout=5)
    stopping = threading.Thread(target=socket_runtime.stop)
    stopping.start()
    # stop() waits for the work: it is still running while the work is held.
    stopping.join(timeout=0.2)
    assert stopping.is_alive()
    release.set()
    stopping.join(timeout=10)
    assert finished.is_set()
    assert not stopping.is_alive()


def test_what_start_up_built_is_set_aside_from_the_collector(socket_runtime: Runtime) -> None:
    # Frozen: a full collection in a planning pass's write no longer walks the app and modules.
    assert gc.get_freeze_count() > 10_000


def test_runtime_schedules_its_jobs(socket_runtime: Runtime) -> None:
    assert socket_runtime.scheduler is not None
    # get_jobs() orders by next run time, which moves as soon as the jobs first run.
    assert sorted(job.id for job in socket_runtime.scheduler.get_jobs()) == [
        "deliver_outbox",
        "expire_outside_feedback",
        "plan_prompts",
        "prune_processed_events",
        "purge_expired_words",
        "purge_uninstalled_workspaces",
        "raise_signals",
        "refresh_database_statistics",
        "refresh_timezones",
        "resume_paused_participants",
        "start_due_programs",
    ]


def _start_bot(slack: SlackDouble, tmp_path: Path, port: int) -> subprocess.Popen[str]:
    return _start_bot_at(slack.api_url, tmp_path, port)


def _start_bot_at(api_url: str, tmp_path: Path, port: int) -> subprocess.Popen[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(Path(__file__).parent.parent),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "LOG_FORMAT": "json",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot.wiring.cli", "run", "--http", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_http_mode_process_answers_slack_and_stops_on_sigterm(
    slack: SlackDouble, tmp_path: Path
) -> None:
    port = _free_port()
    process = _start_bot(slack, tmp_path, port)
    try:
        bot = SlackToBot(f"http://127.0.0.1:{port}")

        def healthy() -> bool:
            try:
                return bot.get("/healthz").status == 200
            except OSError:
                return False

        if not eventually(healthy, timeout=60):
            process.kill()
            pytest.fail(f"the bot did not come up:\n{process.communicate(timeout=10)[1]}")
        answer = bot.command("help")
        assert answer.status == 200
        assert "/mentor help" in answer.body
        assert bot.command("help", headers={"X-Slack-Signature": "v0=forged"}).status == 401
        assert (tmp_path / "bot.db").is_file()
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    messages = [line["msg"] for line in lines]
    assert "serving Slack requests over HTTP" in messages
    assert messages[-1] == "stopped"
    assert "Traceback" not in stderr


def test_a_refused_token_stops_the_bot_with_one_line(slack: SlackDouble, tmp_path: Path) -> None:
    slack.fail_next("auth.test", error="invalid_auth", status=200)
    process = _start_bot(slack, tmp_path, _free_port())
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stderr.strip().splitlines()[-1].startswith("mentorbot: Slack refused SLACK_BOT_TOKEN")
    assert "Traceback" not in stderr


def test_unreachable_slack_is_one_line(tmp_path: Path) -> None:
    with SlackDouble() as gone:
        url = gone.api_url
    process = _start_bot_at(url, tmp_path, _free_port())
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 1
    assert (
        stderr.strip()
        .splitlines()[-1]
        .startswith(f"mentorbot: cannot reach Slack at SLACK_API_URL ({url})")
    )
    assert "Traceback" not in stderr


def test_a_single_workspace_bot_started_with_a_working_token_resumes_its_uninstalled_workspace(
    slack: SlackDouble, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    engine = make_engine(url)
    upgrade(engine)
    # Just now: well inside the retention, so the runtime's purge job leaves both rows alone.
    gone = datetime.now(UTC)
    with session_scope(engine) as session:
        for team_id in (slack_double.DEFAULT_TEAM_ID, "T0OTHER"):
            session.add(
                Workspace(
                    team_id=team_id,
                    installed_at=gone,
                    uninstalled_at=gone,
                    uninstall_reason="app_uninstalled",
                )
            )
    engine.dispose()
    settings = Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=None,
        slack_api_url=slack.api_url,
        database_url=url,
    )
    runtime = Runtime(settings)
    runtime.start(migrate=False)
    try:
        assert runtime.engine is not None
        with session_scope(runtime.engine) as session:
            ours = session.get(Workspace, slack_double.DEFAULT_TEAM_ID)
            other = session.get(Workspace, "T0OTHER")
            assert ours is not None
            assert other is not None
            assert (ours.uninstalled_at, ours.uninstall_reason) == (None, None)
            # Only the token's own workspace: another that left stays stopped.
            assert other.uninstalled_at is not None
    finally:
        runtime.stop()
    # Bolt's auth.test checks the token; the gateway's tells the team (asked once, then kept).
    assert [c.method for c in slack.calls] == ["auth.test", "auth.test"]
