"""Reading a submitted modal: the one place that knows how Slack shapes ``view.state.values``.

Each input block holds one element, so values are looked up by ``block_id`` alone.
"""

from datetime import date, time
from typing import Any

from bot.errors import FieldErrors


class FormState:
    """Typed access to the values of a submitted view."""

    def __init__(self, view: dict[str, Any]) -> None:
        self._values: dict[str, dict[str, Any]] = view.get("state", {}).get("values", {})

    def _element(self, block_id: str) -> dict[str, Any]:
        block = self._values.get(block_id) or {}
        return next(iter(block.values()), {})

    def text(self, block_id: str) -> str:
        """A text or number input's value, stripped ('' when empty)."""
        return str(self._element(block_id).get("value") or "").strip()

    def option(self, block_id: str) -> str | None:
        """The value of a select's or radio group's chosen option."""
        selected = self._element(block_id).get("selected_option")
        return str(selected["value"]) if selected else None

    def options(self, block_id: str) -> list[str]:
        """The values of a multi-select's or checkbox group's chosen options."""
        return [str(o["value"]) for o in self._element(block_id).get("selected_options") or []]

    def date(self, block_id: str) -> date | None:
        """A date picker's date; a forged one (``2026-02-30``) is that field's error."""
        value = self._element(block_id).get("selected_date")
        if not value:
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise FieldErrors(
                {block_id: "That isn't a date: pick one from the calendar."}
            ) from None

    def time(self, block_id: str) -> time | None:
        """A time picker's time; a forged one (``25:99``) is that field's error."""
        value = self._element(block_id).get("selected_time")
        if not value:
            return None
        try:
            return time.fromisoformat(str(value))
        except ValueError:
            problem = "That isn't a time: pick one from the list."
            raise FieldErrors({block_id: problem}) from None

    def user(self, block_id: str) -> str | None:
        """A user select's user id."""
        value = self._element(block_id).get("selected_user")
        return str(value) if value else None

    def users(self, block_id: str) -> list[str]:
        """A multi user select's user ids."""
        return [str(u) for u in self._element(block_id).get("selected_users") or []]

    def conversation(self, block_id: str) -> str | None:
        """A conversation or channel select's channel id."""
        element = self._element(block_id)
        value = element.get("selected_conversation") or element.get("selected_channel")
        return str(value) if value else None
