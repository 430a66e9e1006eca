"""Short answers: confirmations and problems, as an ephemeral message."""

from typing import Any

from bot.views.blocks import message, section


def build_notice(text: str, *, problem: bool = False) -> dict[str, Any]:
    """A one-section message; problems lead with a warning sign."""
    shown = f":warning: {text}" if problem else text
    return message(shown, [section(shown)])
