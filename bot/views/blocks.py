"""Small Block Kit builders shared by every view, so each view reads as its content.

Texts are clipped to Slack's limits here, once, rather than trusted at every call site. Input
elements take ``ActionId.INPUT`` as their action id: a modal is read back by ``block_id`` alone.
"""

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, time
from typing import Any

from bot.ids import ActionId

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
MODAL_TITLE_LIMIT = 24
MODAL_BLOCKS_LIMIT = 100
LABEL_LIMIT = 2000
PLACEHOLDER_LIMIT = 150
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
SELECT_OPTIONS_LIMIT = 100


# The start of an entity that escaping makes ("&amp;", "&lt;", "&gt;"), left at the end of a cut.
_HALF_ENTITY = re.compile(r"&(?:a|am|amp|l|lt|g|gt)?$")
# The start of the bot's own mention or link ("<@U…>", "<https://…|…>"), left open by a cut: in
# mrkdwn a raw "<" only ever opens one, as people's words are escaped (bot/views/text.py).
_HALF_MARKUP = re.compile(r"<[^<>]*$")


def clip(text: str, limit: int) -> str:
    """Shorten ``text`` to ``limit`` characters, marking the cut with an ellipsis; an entity
    (``&amp;``) is never cut in half."""
    if len(text) <= limit:
        return text
    return _HALF_ENTITY.sub("", text[: limit - 1]) + "…"


def clip_mrkdwn(text: str, limit: int) -> str:
    """``clip`` for mrkdwn: a mention or link the cut would leave open is dropped whole."""
    if len(text) <= limit:
        return text
    return _HALF_MARKUP.sub("", _HALF_ENTITY.sub("", text[: limit - 1])) + "…"


def plain(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    """A plain_text object."""
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    """A mrkdwn text object."""
    return {"type": "mrkdwn", "text": clip_mrkdwn(text, limit)}


def header(text: str) -> Block:
    """A header block."""
    return {"type": "header", "text": plain(text, HEADER_TEXT_LIMIT)}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    """A mrkdwn section, optionally with an accessory element."""
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> Block:
    """A context block of mrkdwn texts (Slack allows 10)."""
    return {"type": "context", "elements": [mrkdwn(text) for text in texts[:10]]}


def divider() -> Block:
    """A divider."""
    return {"type": "divider"}


def button(
    text: str, action_id: str, *, value: str | None = None, style: str | None = None
) -> Block:
    """A button element."""
    element: Block = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_LIMIT),
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    """An actions block (Slack allows 25 elements)."""
    block: Block = {"type": "actions", "elements": list(elements[:25])}
    if block_id:
        block["block_id"] = block_id
    return block


def message(text: str, blocks: list[Block]) -> dict[str, Any]:
    """Message arguments: blocks plus the plain ``text`` fallback notifications show."""
    return {"text": clip_mrkdwn(text, 3000), "blocks": blocks}


# --- modals and their inputs ------------------------------------------------------------------


def modal(
    callback_id: str,
    title: str,
    blocks: Sequence[Block],
    *,
    metadata: Mapping[str, Any] | str | None = None,
    submit: str | None = None,
    close: str = "Close",
) -> dict[str, Any]:
    """A modal view; ``metadata`` (a mapping is stored as compact JSON) comes back on submit."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": str(callback_id),
        "title": plain(title, MODAL_TITLE_LIMIT),
        "close": plain(close, MODAL_TITLE_LIMIT),
        "blocks": list(blocks[:MODAL_BLOCKS_LIMIT]),
    }
    if submit:
        view["submit"] = plain(submit, MODAL_TITLE_LIMIT)
    if isinstance(metadata, str):
        view["private_metadata"] = metadata
    elif metadata is not None:
        view["private_metadata"] = json.dumps(dict(metadata), separators=(",", ":"))
    return view


def read_metadata(view: Mapping[str, Any] | None) -> dict[str, Any]:
    """A view's private_metadata as a dict ({} when it is missing or unreadable)."""
    try:
        meta = json.loads((view or {}).get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def input_block(
    block_id: str,
    label: str,
    element: Block,
    *,
    hint: str | None = None,
    optional: bool = False,
    dispatch_action: bool = False,
) -> Block:
    """An input block holding one element."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, LABEL_LIMIT),
        "element": element,
    }
    if hint:
        block["hint"] = plain(hint, LABEL_LIMIT)
    if optional:
        block["optional"] = True
    if dispatch_action:
        block["dispatch_action"] = True
    return block


def text_input(
    initial: str | None = None,
    *,
    max_length: int | None = None,
    min_length: int | None = None,
    multiline: bool = False,
    placeholder: str | None = None,
) -> Block:
    """A plain-text input (Slack rejects an empty initial value, so none is sent)."""
    element: Block = {"type": "plain_text_input", "action_id": ActionId.INPUT.value}
    if multiline:
        element["multiline"] = True
    if min_length is not None:
        element["min_length"] = min_length
    if max_length is not None:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_LIMIT)
    if initial:
        element["initial_value"] = initial
    return element


def number_input(
    initial: int | None = None, *, low: int | None = None, high: int | None = None
) -> Block:
    """A whole-number input."""
    element: Block = {
        "type": "number_input",
        "action_id": ActionId.INPUT.value,
        "is_decimal_allowed": False,
    }
    if low is not None:
        element["min_value"] = str(low)
    if high is not None:
        element["max_value"] = str(high)
    if initial is not None:
        element["initial_value"] = str(initial)
    return element


def datepicker(initial: date | None = None, *, placeholder: str = "Pick a date") -> Block:
    """A date picker."""
    element: Block = {
        "type": "datepicker",
        "action_id": ActionId.INPUT.value,
        "placeholder": plain(placeholder, PLACEHOLDER_LIMIT),
    }
    if initial is not None:
        element["initial_date"] = initial.isoformat()
    return element


def timepicker(initial: time | None = None, *, placeholder: str = "Pick a time") -> Block:
    """A time picker (hours and minutes)."""
    element: Block = {
        "type": "timepicker",
        "action_id": ActionId.INPUT.value,
        "placeholder": plain(placeholder, PLACEHOLDER_LIMIT),
    }
    if initial is not None:
        element["initial_time"] = initial.strftime("%H:%M")
    return element


def option(text: str, value: str) -> Block:
    """An option of a select, radio group or checkbox group."""
    return {"text": plain(text, OPTION_TEXT_LIMIT), "value": value[:OPTION_VALUE_LIMIT]}


def find_option(options: Sequence[Block], value: object) -> Block | None:
    """The option whose value is ``value`` (None for no value or no such option)."""
    if value is None:
        return None
    wanted = str(value)[:OPTION_VALUE_LIMIT]
    return next((o for o in options if o["value"] == wanted), None)


def static_select(
    options: Sequence[Block],
    *,
    initial: object = None,
    placeholder: str = "Choose",
    action_id: str = ActionId.INPUT.value,
) -> Block:
    """A single select; ``initial`` is the value of the option chosen at first."""
    element: Block = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, PLACEHOLDER_LIMIT),
        "options": list(options[:SELECT_OPTIONS_LIMIT]),
    }
    chosen = find_option(options, initial)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def multi_select(
    options: Sequence[Block], *, initial: Sequence[object] = (), placeholder: str = "Choose"
) -> Block:
    """A multi select; ``initial`` are the values chosen at first."""
    element: Block = {
        "type": "multi_static_select",
        "action_id": ActionId.INPUT.value,
        "placeholder": plain(placeholder, PLACEHOLDER_LIMIT),
        "options": list(options[:SELECT_OPTIONS_LIMIT]),
    }
    chosen = [o for o in (find_option(options, v) for v in initial) if o is not None]
    if chosen:
        element["initial_options"] = chosen
    return element


def conversations_select(
    initial: str | None = None,
    *,
    placeholder: str = "Pick a channel",
    include: Sequence[str] = ("public", "private"),
) -> Block:
    """A channel picker (bots' DMs left out)."""
    element: Block = {
        "type": "conversations_select",
        "action_id": ActionId.INPUT.value,
        "placeholder": plain(placeholder, PLACEHOLDER_LIMIT),
        "filter": {"include": list(include), "exclude_bot_users": True},
    }
    if initial:
        element["initial_conversation"] = initial
    return element


def multi_users_select(
    initial: Sequence[str] = (), *, most: int, placeholder: str = "Pick people"
) -> Block:
    """A picker of up to ``most`` people."""
    element: Block = {
        "type": "multi_users_select",
        "action_id": ActionId.INPUT.value,
        "placeholder": plain(placeholder, PLACEHOLDER_LIMIT),
        "max_selected_items": most,
    }
    if initial:
        element["initial_users"] = list(initial)[:most]
    return element


def checkboxes(options: Sequence[Block], *, initial: Sequence[object] = ()) -> Block:
    """A checkbox group (Slack allows 10 options)."""
    element: Block = {
        "type": "checkboxes",
        "action_id": ActionId.INPUT.value,
        "options": list(options[:10]),
    }
    chosen = [o for o in (find_option(options, v) for v in initial) if o is not None]
    if chosen:
        element["initial_options"] = chosen
    return element


def radio_buttons(options: Sequence[Block], *, initial: object = None) -> Block:
    """A radio group (Slack allows 10 options)."""
    element: Block = {
        "type": "radio_buttons",
        "action_id": ActionId.INPUT.value,
        "options": list(options[:10]),
    }
    chosen = find_option(options, initial)
    if chosen is not None:
        element["initial_option"] = chosen
    return element
