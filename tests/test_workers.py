"""``mentorbot run --http --workers N``: N processes serving one port, as an operator runs them.

The copy runs as its console script does, on a SQLite file and the Slack double. The tests send
signed requests over many connections at once, as Slack does, and check that every one is
answered, that both workers served some, that ``GET /metrics`` from any worker counts them all,
and how the copy stops: on SIGTERM all of it, cleanly; when a worker dies, the rest of it, with a
failure for the process manager to see.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.sandbox.slack_double import SlackDouble
from tests.harness import SIGNING_SECRET, SlackToBot
from tests.test_three_copies import free_port, mentorbot, until

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="finds the workers through Linux's /proc"
)

REPO = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-workers"
WORKERS = 2
START_WITHIN = 60.0
STOP_WITHIN = 40.0
USER = "U0WORKER"


@dataclass
class Copy:
    """One ``mentorbot run --http --workers 2`` and Slack's way in to it."""

    process: "subprocess.Popen[bytes]"
    bot: SlackToBot
    log: Path

    def workers(self) -> list[int]:
        """The workers' process ids (the children of ``run``)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(child) for child in children.read_text().split()] if children.exists() else []

    def serving(self) -> int:
        """How many workers have started serving (each says so in the log once)."""
        return self.log.read_text(errors="replace").count("serving Slack requests over HTTP")

    def tail(self) -> str:
        """The end of its log, for a failure's message."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])

    def healthy(self) -> bool:
        """Whether it answers its health check (it fails the test if it exited)."""
        if self.process.poll() is not None:
            pytest.fail(f"exited with {self.process.returncode} at start:\n{self.tail()}")
        try:
            return self.bot.get("/healthz").status == 200
        except OSError:
            return False


def cpu_ticks(pid: int) -> int:
    """The CPU time process ``pid`` has used, in clock ticks (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (reaped, or a zombie waiting to be)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """What a ``mentorbot`` process of these tests runs with: its folder, the repository, the
    token, and ``settings``."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "SLACK_BOT_TOKEN": TOKEN,
        **settings,
    }


def run_once(tmp_path: Path, *args: str, **settings: str) -> "subprocess.CompletedProcess[str]":
    """``mentorbot ARGS`` run to its end (a start that is refused), with its output."""
    return subprocess.run(
        [sys.executable, "-m", "bot.wiring.cli", *args],
        env=environment(tmp_path, **settings),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def slack() -> Iterator[SlackDouble]:
    with SlackDouble(tokens=[TOKEN]) as double:
        double.add_user(USER, name="wren", real_name="Wren Worker", tz="Europe/Berlin")
        yield double


@pytest.fixture
def copy(slack: SlackDouble, tmp_path: Path) -> Iterator[Copy]:
    port = free_port()
    env = environment(
        tmp_path,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'mentorbot.db'}",
        LOG_FORMAT="json",
    )
    log = tmp_path / "run.log"
    process = mentorbot(
        "run",
        "--http",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        env=env,
        cwd=tmp_path,
        log=log,
    )
    started = Copy(process, SlackToBot(f"http://127.0.0.1:{port}", slack=slack), log)
    try:
        assert until(started.healthy, START_WITHIN), started.tail()
        assert until(lambda: started.serving() == WORKERS, START_WITHIN), started.tail()
        yield started
    finally:
        if process.poll() is None:
            process.kill()
            for pid in started.workers():
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=30)


def counted(copy: Copy, surface: str) -> float:
    """``mentorbot_requests_total`` for ``surface``, as one scrape of ``GET /metrics`` says."""
    body = copy.bot.get("/metrics").body
    found = re.search(rf'^mentorbot_requests_total{{surface="{surface}"}} (\S+)$', body, re.M)
    return float(found.group(1)) if found else 0.0


def test_workers_share_the_port_and_every_scrape_counts_all_their_requests(copy: Copy) -> None:
    workers = copy.workers()
    before = {pid: cpu_ticks(pid) for pid in workers}
    sent = 240

    def help_once(_: int) -> int:
        return copy.bot.command("help", user_id=USER).status

    # Sixteen senders at once, each request on a connection of its own: whichever worker is
    # free accepts it.
    with ThreadPoolExecutor(16) as senders:
        statuses = list(senders.map(help_once, range(sent)))
    assert statuses == [200] * sent
    used = {pid: cpu_ticks(pid) - before[pid] for pid in workers}
    assert all(ticks >= 2 for ticks in used.values()), used  # both served (20 ms and more)
    # Whichever worker answers the scrape, it counts what every worker answered.
    assert {counted(copy, "command") for _ in range(6)} == {float(sent)}


def test_sigterm_stops_every_worker_and_the_copy_exits_cleanly(copy: Copy) -> None:
    workers = copy.workers()
    copy.process.send_signal(signal.SIGTERM)
    assert copy.process.wait(timeout=STOP_WITHIN) == 0, copy.tail()
    assert all(gone(pid) for pid in workers)
    lines = [json.loads(line) for line in copy.log.read_text().splitlines() if line.startswith("{")]
    assert sum(1 for line in lines if line["msg"] == "stopped") == WORKERS


def test_a_worker_that_dies_stops_the_copy_with_a_failure(copy: Copy) -> None:
    first, second = copy.workers()
    os.kill(second, signal.SIGKILL)
    assert copy.process.wait(timeout=STOP_WITHIN) == 1, copy.tail()
    assert until(lambda: gone(first), 5)
    assert "a worker stopped by itself: stopping the others" in copy.tail()


def test_workers_need_http_mode(tmp_path: Path) -> None:
    done = run_once(
        tmp_path, "run", "--socket", SLACK_APP_TOKEN="xapp-1-A1-1-abc", HTTP_WORKERS="2"
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "mentorbot: HTTP_WORKERS (run --workers) is for HTTP mode: Socket Mode holds one "
        "connection, in one process. Unset it, or run `mentorbot run --http`"
    ]


def test_a_port_in_use_is_said_once(copy: Copy, tmp_path: Path) -> None:
    port = copy.bot.base_url.rsplit(":", 1)[1]
    started = time.monotonic()
    done = run_once(
        tmp_path,
        *("run", "--http", "--port", port, "--workers", "2"),
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        DATABASE_URL=f"sqlite:///{tmp_path / 'other.db'}",
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"mentorbot: cannot listen on port {port}: Address already in use"
    )
    assert time.monotonic() - started < 30
