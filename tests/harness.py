"""Slack's side of the conversation with a running bot (the package's ``bot.sandbox.client``)."""

from bot.sandbox import slack_double
from bot.sandbox.client import (
    SIGNING_SECRET,
    Response,
    SlackToBot,
    eventually,
    now,
    serve,
)

TEAM_ID = slack_double.DEFAULT_TEAM_ID

__all__ = ["SIGNING_SECRET", "TEAM_ID", "Response", "SlackToBot", "eventually", "now", "serve"]
