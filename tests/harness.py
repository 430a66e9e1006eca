"""Slack's side of the conversation with a running bot (the package's ``bot.sandbox.client``)."""

from typing import Any

import pytest

from bot.sandbox import client, slack_double
from bot.sandbox.client import (
    SIGNING_SECRET,
    Response,
    SlackToBot,
    eventually,
    now,
    serve,
)

TEAM_ID = slack_double.DEFAULT_TEAM_ID


class Settle(client.Settle):
    """The package's idle tracker for a test: on ``executors`` (the listener pool, the work after
    each ack) until the test ends, and a failed assertion when the bot stays busy."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *executors: Any) -> None:
        super().__init__()
        for executor in executors:
            # Recorded first, so the test's end puts the pool's own ``submit`` back.
            monkeypatch.setattr(executor, "submit", executor.submit)
            self.track(executor)

    def __call__(self, timeout: float = 10.0) -> bool:
        """Wait until nothing submitted is running; fail the test after ``timeout`` seconds."""
        assert super().__call__(timeout), f"listeners still running after {timeout:g} s"
        return True


__all__ = [
    "SIGNING_SECRET",
    "TEAM_ID",
    "Response",
    "Settle",
    "SlackToBot",
    "eventually",
    "now",
    "serve",
]
