"""Filling in a modal the way a person would (the package's ``bot.sandbox.forms``)."""

from bot.sandbox.forms import Answer, fill

__all__ = ["Answer", "fill"]
