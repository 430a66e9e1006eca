"""``mentorbot demo`` run once per test process, as a user runs it: shared by the tests of what
it played (``test_demo.py``) and of the page it drew (``test_demo_browser.py``)."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Run:
    """One demo run: where it wrote, and what it printed."""

    out: Path
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def html_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``mentorbot demo --out OUT`` in a fresh process: no .env, no tokens, an empty home."""
    root = tmp_path_factory.mktemp("demo")
    for folder in ("cwd", "home", "tmp"):
        (root / folder).mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(root / "home"),
        "TMPDIR": str(root / "tmp"),
        "PYTHONPATH": str(Path(__file__).parent.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.wiring.cli", "demo", "--out", str(root / "out")],
        cwd=root / "cwd",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(root / "out", result.returncode, result.stdout, result.stderr)
