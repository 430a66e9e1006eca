"""Reading a submitted modal: the one place that knows how Slack shapes ``view.state.values``.

Each input block holds one element, so values are looked up by ``block_id`` alone. A forged
submission may put anything anywhere: whatever is not of the shape Slack sends reads as empty.
"""

import re
from datetime import date, time
from typing import Any

from bot.errors import FieldErrors

# Slack's ids of people and conversations: anything else in a user or channel select is forged.
_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]+")


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _id(value: object, shape: re.Pattern[str]) -> str | None:
    return value if isinstance(value, str) and shape.fullmatch(value) else None


def _ids(value: object) -> list[str]:
    found = [_id(v, _USER_ID) for v in value] if isinstance(value, list) else []
    return [v for v in found if v]


class FormState:
    """Typed access to the values of a submitted view."""

    def __init__(self, view: dict[str, Any]) -> None:
        self._values = _obj(_obj(_obj(view).get("state")).get("values"))

    def _element(self, block_id: str) -> dict[str, Any]:
        block = _obj(self._values.get(block_id))
        return _obj(next(iter(block.values()), {}))

    def text(self, block_id: str) -> str:
        """A text or number input's value, stripped ('' when empty)."""
        return str(self._element(block_id).get("value") or "").strip()

    def option(self, block_id: str) -> str | None:
        """The value of a select's or radio group's chosen option."""
        value = _obj(self._element(block_id).get("selected_option")).get("value")
        return None if value is None else str(value)

    def options(self, block_id: str) -> list[str]:
        """The values of a multi-select's or checkbox group's chosen options."""
        chosen = self._element(block_id).get("selected_options")
        options = [_obj(o).get("value") for o in chosen] if isinstance(chosen, list) else []
        return [str(value) for value in options if value is not None]

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
        return _id(self._element(block_id).get("selected_user"), _USER_ID)

    def users(self, block_id: str) -> list[str]:
        """A multi user select's user ids."""
        return _ids(self._element(block_id).get("selected_users"))

    def conversation(self, block_id: str) -> str | None:
        """A conversation or channel select's channel id."""
        element = self._element(block_id)
        value = element.get("selected_conversation") or element.get("selected_channel")
        return _id(value, _CHANNEL_ID)
