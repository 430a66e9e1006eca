"""The ``/mentor help`` message."""

from collections.abc import Sequence
from typing import Any

from bot.commands import COMMAND, Subcommand
from bot.ids import CallbackId
from bot.views.blocks import context, header, message, modal, section


def build_help(subcommands: Sequence[Subcommand], *, problem: str | None = None) -> dict[str, Any]:
    """The list of subcommands, one line each, leads' commands apart; ``problem`` leads it."""
    everyone = [sub for sub in subcommands if not sub.lead_only]
    leads = [sub for sub in subcommands if sub.lead_only]
    blocks = []
    if problem:
        blocks.append(section(f":warning: {problem}"))
    blocks.append(header("mentorbot commands"))
    blocks.append(section(_lines(everyone)))
    if leads:
        blocks.append(section("*For program leads*\n" + _lines(leads)))
    blocks.append(context("Private by default: only you see this message."))
    fallback = (
        (problem + " " if problem else "")
        + "mentorbot commands: "
        + ", ".join(f"{COMMAND} {sub.name}" for sub in subcommands)
    )
    return message(fallback, blocks)


def _lines(subcommands: Sequence[Subcommand]) -> str:
    return "\n".join(f"`{COMMAND} {sub.usage}` — {sub.summary}" for sub in subcommands)


def build_help_modal(subcommands: Sequence[Subcommand]) -> dict[str, Any]:
    """The same list in a modal, for the Home tab's button (Home has no channel to answer in)."""
    # Nothing to submit: like a notice, it only says things.
    return modal(CallbackId.HELP, "mentorbot commands", build_help(subcommands)["blocks"][1:])
