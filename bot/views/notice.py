"""Short answers: confirmations and problems, as an ephemeral message or a small modal."""

from typing import Any

from bot.ids import CallbackId
from bot.views.blocks import message, modal, section


def build_notice(text: str, *, problem: bool = False) -> dict[str, Any]:
    """A one-section message; problems lead with a warning sign."""
    shown = f":warning: {text}" if problem else text
    return message(shown, [section(shown)])


def build_notice_modal(
    text: str, *, problem: bool = True, title: str = "Mentoring"
) -> dict[str, Any]:
    """A small modal that says one thing, for a click made where no message can be shown."""
    shown = f":warning: {text}" if problem else text
    return modal(CallbackId.NOTICE, title, [section(shown)], close="OK")
