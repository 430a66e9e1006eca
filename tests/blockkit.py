"""Block Kit checker shared by every view test.

Slack answers a bad view or message with little more than ``invalid_blocks``, slack_sdk's model
classes check only some limits, and plain dicts are not checked at all. ``validate_view`` walks a
modal, a Home tab or the arguments of ``chat.postMessage`` and returns every problem with its path,
for example ``blocks[3].elements[1].text: button text is 80 chars, limit 75``;
``assert_valid_view`` fails the calling test when there is any.

Each block, element and composition object is described by a table of the fields it may carry, so
an unknown type or a misspelt field is reported too. The limits follow Slack's Block Kit reference
as summarised in the project's notes (/work/shared/SLACK.md).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

__all__ = ["Surface", "assert_valid_view", "validate_view"]

Surface = Literal["modal", "home", "message"]

# Slack's limits, in one place.
MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100  # modals and Home tabs
VIEW_BUTTON_TEXT_MAX = 24  # modal title, submit and close
PRIVATE_METADATA_MAX = 3000
ID_MAX = 255  # callback_id, external_id, block_id, action_id
MESSAGE_TEXT_MAX = 40_000
VIEW_JSON_MAX_BYTES = 250_000
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
ACTIONS_ELEMENTS_MAX = 25
CONTEXT_ELEMENTS_MAX = 10
INPUT_LABEL_MAX = 2000
INPUT_HINT_MAX = 2000
PLACEHOLDER_MAX = 150
PLAIN_TEXT_INPUT_LENGTH_MAX = 3000  # for both min_length and max_length
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
URL_MAX = 3000
IMAGE_ALT_TEXT_MAX = 2000
IMAGE_TITLE_MAX = 2000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTION_DESCRIPTION_MAX = 75
OPTION_GROUP_LABEL_MAX = 75
SELECT_OPTIONS_MAX = 100
OPTION_GROUPS_MAX = 100
OVERFLOW_OPTIONS_MAX = 5
CHOICE_OPTIONS_MAX = 10  # checkboxes and radio_buttons
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30  # confirm and deny


@dataclass(frozen=True)
class _At:
    """Where a value sits: its path, and the owner and field names used in messages."""

    path: str
    owner: str
    name: str

    @property
    def what(self) -> str:
        """Name the value in a message, e.g. ``button text``."""
        return f"{self.owner} {self.name}"


_Check = Callable[["_Walker", Any, _At], None]
_Rule = Callable[["_Walker", dict[str, Any], str, str], None]


@dataclass(frozen=True)
class _Kind:
    """The fields an object may have, those it must have, and rules across its fields."""

    fields: Mapping[str, _Check]
    required: frozenset[str] = frozenset()
    rules: tuple[_Rule, ...] = ()


def _kind(
    *bases: Mapping[str, _Check],
    required: str = "",
    rules: Sequence[_Rule] = (),
    typed: bool = True,
    **fields: _Check,
) -> _Kind:
    """Describe an object from shared field sets plus its own; ``typed`` ones carry a ``type``."""
    merged: dict[str, _Check] = {"type": _anything} if typed else {}
    for base in bases:
        merged.update(base)
    merged.update(fields)
    return _Kind(merged, frozenset(required.split()), tuple(rules))


def _join(path: str, key: str) -> str:
    """Append a field name to a path."""
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> str:
    """Name a JSON value's kind for a message."""
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return f"type {value['type']!r}"
    for kind, name in ((bool, "boolean"), (str, "string"), (list, "array"), (dict, "object")):
        if isinstance(value, kind):
            return name
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__


class _Walker:
    """Collects problems while walking one view."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.block_ids: dict[str, str] = {}

    def fail(self, path: str, message: str) -> None:
        """Record one problem at ``path``."""
        self.problems.append(f"{path or 'view'}: {message}")

    def check_object(self, obj: Any, path: str, owner: str, kind: _Kind) -> None:
        """Check an object's fields against ``kind``, reporting unknown and missing ones."""
        if not isinstance(obj, dict):
            self.fail(path, f"{owner} must be an object, got {_describe(obj)}")
            return
        for key in sorted(kind.required - obj.keys()):
            self.fail(_join(path, key), f"{owner} requires {key}")
        for key, value in obj.items():
            check = kind.fields.get(key)
            if check is None:
                self.fail(_join(path, key), f"{owner} has unknown field {key!r}")
            else:
                check(self, value, _At(_join(path, key), owner, key))
        for rule in kind.rules:
            rule(self, obj, path, owner)


# Scalar checks.


def _anything(walker: _Walker, value: Any, at: _At) -> None:
    """Accept any value (pass-through content such as rich text)."""


def _string(limit: int | None = None, *, nonempty: bool = False) -> _Check:
    """Check for a string of at most ``limit`` chars."""

    def check(walker: _Walker, value: Any, at: _At) -> None:
        if not isinstance(value, str):
            walker.fail(at.path, f"{at.what} must be a string, got {_describe(value)}")
        elif nonempty and not value:
            walker.fail(at.path, f"{at.what} is empty")
        elif limit is not None and len(value) > limit:
            walker.fail(at.path, f"{at.what} is {len(value)} chars, limit {limit}")

    return check


def _boolean(walker: _Walker, value: Any, at: _At) -> None:
    """Check for a boolean."""
    if not isinstance(value, bool):
        walker.fail(at.path, f"{at.what} must be a boolean, got {_describe(value)}")


def _integer(low: int, high: int | None = None) -> _Check:
    """Check for an integer in ``low..high``."""

    def check(walker: _Walker, value: Any, at: _At) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            walker.fail(at.path, f"{at.what} must be an integer, got {_describe(value)}")
        elif value < low or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            walker.fail(at.path, f"{at.what} is {value}, must be {bounds}")

    return check


def _as_number(value: Any) -> float | None:
    """Read a number given as a JSON number or a numeric string; None if it is neither."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _numeric_string(walker: _Walker, value: Any, at: _At) -> None:
    """Check for a number written as a string, as number_input wants."""
    if not isinstance(value, str) or _as_number(value) is None:
        walker.fail(at.path, f"{at.what} must be a numeric string, got {value!r}")


def _enum(*choices: str) -> _Check:
    """Check for one of ``choices``."""

    def check(walker: _Walker, value: Any, at: _At) -> None:
        if value not in choices:
            walker.fail(at.path, f"{at.what} must be one of {', '.join(choices)}, got {value!r}")

    return check


def _formatted(label: str, pattern: str, parse: Callable[[str], object] | None = None) -> _Check:
    """Check for a string matching ``pattern`` (and accepted by ``parse``)."""
    regex = re.compile(pattern)

    def check(walker: _Walker, value: Any, at: _At) -> None:
        valid = isinstance(value, str) and regex.fullmatch(value) is not None
        if valid and parse is not None:
            try:
                parse(value)
            except ValueError:
                valid = False
        if not valid:
            walker.fail(at.path, f"{at.what} must be {label}, got {value!r}")

    return check


# Composite checks.


def _list(
    item: _Check, *, limit: int | None = None, minimum: int = 1, item_name: str | None = None
) -> _Check:
    """Check for an array of ``minimum..limit`` items, each checked by ``item``."""

    def check(walker: _Walker, value: Any, at: _At) -> None:
        if not isinstance(value, list):
            walker.fail(at.path, f"{at.what} must be an array, got {_describe(value)}")
            return
        if limit is not None and len(value) > limit:
            walker.fail(at.path, f"{at.owner} has {len(value)} {at.name}, limit {limit}")
        elif len(value) < minimum:
            walker.fail(at.path, f"{at.owner} has {len(value)} {at.name}, needs at least {minimum}")
        for index, entry in enumerate(value):
            item(walker, entry, _At(f"{at.path}[{index}]", at.owner, item_name or at.name))

    return check


def _object(owner: str, kind: _Kind) -> _Check:
    """Check a nested composition object named ``owner`` in messages."""

    def check(walker: _Walker, value: Any, at: _At) -> None:
        walker.check_object(value, at.path, owner, kind)

    return check


_TEXT_KINDS = {
    "plain_text": _kind(required="text", text=_string(), emoji=_boolean),
    "mrkdwn": _kind(required="text", text=_string(), verbatim=_boolean),
}


def _text_object(limit: int | None, *, plain: bool = False) -> _Check:
    """Check a text object of at most ``limit`` chars; ``plain`` where Slack wants plain_text."""

    def check(walker: _Walker, value: Any, at: _At) -> None:
        kind = value.get("type") if isinstance(value, dict) else None
        if kind not in _TEXT_KINDS:
            expected = "plain_text" if plain else "plain_text or mrkdwn"
            walker.fail(at.path, f"{at.what} must be a {expected} object, got {_describe(value)}")
            return
        if plain and kind != "plain_text":
            walker.fail(at.path, f"{at.what} must be plain_text, got {kind}")
        walker.check_object(value, at.path, at.what, _TEXT_KINDS[kind])
        text = value.get("text")
        if text == "":
            walker.fail(at.path, f"{at.what} is empty")
        elif isinstance(text, str) and limit is not None and len(text) > limit:
            walker.fail(at.path, f"{at.what} is {len(text)} chars, limit {limit}")

    return check


_ID = _string(ID_MAX, nonempty=True)
_URL = _string(URL_MAX, nonempty=True)
_PLACEHOLDER = _text_object(PLACEHOLDER_MAX, plain=True)
_STYLE = _enum("primary", "danger")

_CONFIRM = _object(
    "confirm",
    _kind(
        typed=False,
        required="title text confirm deny",
        title=_text_object(CONFIRM_TITLE_MAX, plain=True),
        text=_text_object(CONFIRM_TEXT_MAX),
        confirm=_text_object(CONFIRM_BUTTON_MAX, plain=True),
        deny=_text_object(CONFIRM_BUTTON_MAX, plain=True),
        style=_STYLE,
    ),
)
_DISPATCH_CONFIG = _object(
    "dispatch_action_config",
    _kind(
        typed=False,
        trigger_actions_on=_list(
            _enum("on_enter_pressed", "on_character_entered"), limit=2, item_name="trigger"
        ),
    ),
)
_FILTER = _object(
    "filter",
    _kind(
        typed=False,
        include=_list(_enum("im", "mpim", "private", "public"), limit=4, item_name="entry"),
        exclude_external_shared_channels=_boolean,
        exclude_bot_users=_boolean,
    ),
)


def _option(*, mrkdwn: bool = False, url: bool = False) -> _Check:
    """Check an option; mrkdwn only in checkboxes and radio buttons, url only in overflow."""
    extra: dict[str, _Check] = {"url": _URL} if url else {}
    return _object(
        "option",
        _kind(
            extra,
            typed=False,
            required="text value",
            text=_text_object(OPTION_TEXT_MAX, plain=not mrkdwn),
            value=_string(OPTION_VALUE_MAX, nonempty=True),
            description=_text_object(OPTION_DESCRIPTION_MAX, plain=not mrkdwn),
        ),
    )


def _options(limit: int, *, mrkdwn: bool = False, url: bool = False) -> _Check:
    """Check an array of 1..``limit`` options."""
    return _list(_option(mrkdwn=mrkdwn, url=url), limit=limit, item_name="option")


# Slack rejects an empty initial_options array ("must provide at least 1 items"): omit the key.
_SELECT_INITIAL_OPTIONS = _options(SELECT_OPTIONS_MAX)
_CHOICE_INITIAL_OPTIONS = _options(CHOICE_OPTIONS_MAX, mrkdwn=True)
_ID_LIST = _list(_string(nonempty=True), item_name="id")

_OPTION_GROUPS = _list(
    _object(
        "option group",
        _kind(
            typed=False,
            required="label options",
            label=_text_object(OPTION_GROUP_LABEL_MAX, plain=True),
            options=_options(SELECT_OPTIONS_MAX),
        ),
    ),
    limit=OPTION_GROUPS_MAX,
    item_name="option group",
)


# Rules across the fields of one object.


def _exactly_one(*keys: str) -> _Rule:
    """Require exactly one of ``keys``."""

    def rule(walker: _Walker, obj: dict[str, Any], path: str, owner: str) -> None:
        present = [key for key in keys if key in obj]
        if len(present) != 1:
            walker.fail(path, f"{owner} needs exactly one of {', '.join(keys)}, has {len(present)}")

    return rule


def _at_least_one(*keys: str) -> _Rule:
    """Require at least one of ``keys``."""

    def rule(walker: _Walker, obj: dict[str, Any], path: str, owner: str) -> None:
        if not any(key in obj for key in keys):
            walker.fail(path, f"{owner} needs {' or '.join(keys)}")

    return rule


def _ordered(low: str, high: str) -> _Rule:
    """Require the number in ``low`` not to exceed the one in ``high`` when both are set."""

    def rule(walker: _Walker, obj: dict[str, Any], path: str, owner: str) -> None:
        low_value, high_value = _as_number(obj.get(low)), _as_number(obj.get(high))
        if low_value is not None and high_value is not None and low_value > high_value:
            walker.fail(
                _join(path, low),
                f"{owner} {low} {obj[low]!r} is greater than {high} {obj[high]!r}",
            )

    return rule


def _whole_numbers_unless_decimal(
    walker: _Walker, obj: dict[str, Any], path: str, owner: str
) -> None:
    """Require integer values in a number_input that does not allow decimals."""
    if obj.get("is_decimal_allowed") is True:
        return
    for key in ("initial_value", "min_value", "max_value"):
        number = _as_number(obj.get(key))
        if number is not None and not number.is_integer():
            walker.fail(
                _join(path, key),
                f"{owner} {key} {obj[key]!r} must be whole when is_decimal_allowed is false",
            )


def _initials_among_options(walker: _Walker, obj: dict[str, Any], path: str, owner: str) -> None:
    """Require initial_option(s) to match one of the element's options exactly."""
    options = obj.get("options")
    if not isinstance(options, list):
        groups = obj.get("option_groups")
        if not isinstance(groups, list):
            return
        options = [
            option
            for group in groups
            if isinstance(group, dict) and isinstance(group.get("options"), list)
            for option in group["options"]
        ]
    initials: list[tuple[str, Any]] = []
    if "initial_option" in obj:
        initials.append((_join(path, "initial_option"), obj["initial_option"]))
    if isinstance(obj.get("initial_options"), list):
        base = _join(path, "initial_options")
        initials += [(f"{base}[{i}]", option) for i, option in enumerate(obj["initial_options"])]
    for initial_path, initial in initials:
        if initial in options:
            continue
        value = initial.get("value") if isinstance(initial, dict) else initial
        # Slack compares the whole option, so a matching value with other text still fails.
        same_value = any(isinstance(o, dict) and o.get("value") == value for o in options)
        detail = "differs from the option with that value" if same_value else "is not an option"
        walker.fail(initial_path, f"{owner} initial option {value!r} {detail}")


def _unique_action_ids(walker: _Walker, obj: dict[str, Any], path: str, owner: str) -> None:
    """Require distinct action_ids among a block's elements."""
    elements = obj.get("elements")
    if not isinstance(elements, list):
        return
    seen: dict[str, str] = {}
    for index, element in enumerate(elements):
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if not isinstance(action_id, str):
            continue
        action_path = f"{_join(path, 'elements')}[{index}].action_id"
        if action_id in seen:
            walker.fail(
                action_path,
                f"duplicate action_id {action_id!r} in {owner} (first at {seen[action_id]})",
            )
        else:
            seen[action_id] = action_path


# Slack appends "(optional)" to an optional input's label itself; saying it too shows it twice.
_OPTIONAL_SUFFIX = re.compile(r"\(\s*optional\s*\)\W*$", re.IGNORECASE)


def _optional_said_once(walker: _Walker, obj: dict[str, Any], path: str, owner: str) -> None:
    """Refuse an optional input whose label already ends with "(optional)"."""
    label = obj.get("label")
    text = label.get("text") if isinstance(label, dict) else None
    if obj.get("optional") is True and isinstance(text, str) and _OPTIONAL_SUFFIX.search(text):
        walker.fail(
            _join(path, "label"),
            f'{owner} label {text!r} ends with "(optional)", which Slack already adds',
        )


def _submit_with_inputs(walker: _Walker, obj: dict[str, Any], path: str, owner: str) -> None:
    """Require submit on a modal that has an input block."""
    blocks = obj.get("blocks")
    if "submit" in obj or not isinstance(blocks, list):
        return
    if any(isinstance(block, dict) and block.get("type") == "input" for block in blocks):
        walker.fail(_join(path, "submit"), f"{owner} with input blocks needs submit")


# Elements.

_SELECT_BASE: dict[str, _Check] = {
    "action_id": _ID,
    "confirm": _CONFIRM,
    "focus_on_load": _boolean,
    "placeholder": _PLACEHOLDER,
}
_MULTI_BASE: dict[str, _Check] = {**_SELECT_BASE, "max_selected_items": _integer(1)}
_TEXT_INPUT_BASE: dict[str, _Check] = {
    "action_id": _ID,
    "initial_value": _string(),
    "dispatch_action_config": _DISPATCH_CONFIG,
    "focus_on_load": _boolean,
    "placeholder": _PLACEHOLDER,
}
_CHOICE_RULES = (_initials_among_options,)
_STATIC_RULES = (_exactly_one("options", "option_groups"), _initials_among_options)

_ELEMENTS: dict[str, _Kind] = {
    "button": _kind(
        required="text",
        text=_text_object(BUTTON_TEXT_MAX, plain=True),
        action_id=_ID,
        url=_URL,
        value=_string(BUTTON_VALUE_MAX),
        style=_STYLE,
        confirm=_CONFIRM,
        accessibility_label=_string(BUTTON_TEXT_MAX),
    ),
    "static_select": _kind(
        _SELECT_BASE,
        options=_options(SELECT_OPTIONS_MAX),
        option_groups=_OPTION_GROUPS,
        initial_option=_option(),
        rules=_STATIC_RULES,
    ),
    "multi_static_select": _kind(
        _MULTI_BASE,
        options=_options(SELECT_OPTIONS_MAX),
        option_groups=_OPTION_GROUPS,
        initial_options=_SELECT_INITIAL_OPTIONS,
        rules=_STATIC_RULES,
    ),
    "external_select": _kind(_SELECT_BASE, initial_option=_option(), min_query_length=_integer(0)),
    "multi_external_select": _kind(
        _MULTI_BASE, initial_options=_SELECT_INITIAL_OPTIONS, min_query_length=_integer(0)
    ),
    "users_select": _kind(_SELECT_BASE, initial_user=_string(nonempty=True)),
    "multi_users_select": _kind(_MULTI_BASE, initial_users=_ID_LIST),
    "conversations_select": _kind(
        _SELECT_BASE,
        initial_conversation=_string(nonempty=True),
        default_to_current_conversation=_boolean,
        response_url_enabled=_boolean,
        filter=_FILTER,
    ),
    "multi_conversations_select": _kind(
        _MULTI_BASE,
        initial_conversations=_ID_LIST,
        default_to_current_conversation=_boolean,
        filter=_FILTER,
    ),
    "channels_select": _kind(
        _SELECT_BASE, initial_channel=_string(nonempty=True), response_url_enabled=_boolean
    ),
    "multi_channels_select": _kind(_MULTI_BASE, initial_channels=_ID_LIST),
    "overflow": _kind(
        required="options",
        action_id=_ID,
        options=_options(OVERFLOW_OPTIONS_MAX, url=True),
        confirm=_CONFIRM,
    ),
    "checkboxes": _kind(
        required="options",
        action_id=_ID,
        options=_options(CHOICE_OPTIONS_MAX, mrkdwn=True),
        initial_options=_CHOICE_INITIAL_OPTIONS,
        confirm=_CONFIRM,
        focus_on_load=_boolean,
        rules=_CHOICE_RULES,
    ),
    "radio_buttons": _kind(
        required="options",
        action_id=_ID,
        options=_options(CHOICE_OPTIONS_MAX, mrkdwn=True),
        initial_option=_option(mrkdwn=True),
        confirm=_CONFIRM,
        focus_on_load=_boolean,
        rules=_CHOICE_RULES,
    ),
    "plain_text_input": _kind(
        _TEXT_INPUT_BASE,
        multiline=_boolean,
        min_length=_integer(0, PLAIN_TEXT_INPUT_LENGTH_MAX),
        max_length=_integer(1, PLAIN_TEXT_INPUT_LENGTH_MAX),
        rules=(_ordered("min_length", "max_length"),),
    ),
    "email_text_input": _kind(_TEXT_INPUT_BASE),
    "url_text_input": _kind(_TEXT_INPUT_BASE),
    "rich_text_input": _kind(_TEXT_INPUT_BASE, initial_value=_anything),
    "number_input": _kind(
        _TEXT_INPUT_BASE,
        initial_value=_numeric_string,
        required="is_decimal_allowed",
        is_decimal_allowed=_boolean,
        min_value=_numeric_string,
        max_value=_numeric_string,
        rules=(
            _ordered("min_value", "max_value"),
            _ordered("min_value", "initial_value"),
            _ordered("initial_value", "max_value"),
            _whole_numbers_unless_decimal,
        ),
    ),
    "datepicker": _kind(
        _SELECT_BASE,
        initial_date=_formatted("YYYY-MM-DD", r"\d{4}-\d{2}-\d{2}", date.fromisoformat),
    ),
    "timepicker": _kind(
        _SELECT_BASE,
        initial_time=_formatted("HH:mm", r"([01]\d|2[0-3]):[0-5]\d"),
        timezone=_string(nonempty=True),
    ),
    "datetimepicker": _kind(
        action_id=_ID, initial_date_time=_integer(0), confirm=_CONFIRM, focus_on_load=_boolean
    ),
    "image": _kind(
        required="alt_text",
        image_url=_URL,
        slack_file=_anything,
        alt_text=_string(IMAGE_ALT_TEXT_MAX, nonempty=True),
        rules=(_exactly_one("image_url", "slack_file"),),
    ),
}

_SINGLE_SELECTS = frozenset(
    {"static_select", "external_select", "users_select", "conversations_select", "channels_select"}
)
_SELECTS = _SINGLE_SELECTS | {f"multi_{name}" for name in _SINGLE_SELECTS}
_ACTIONS_ELEMENTS = frozenset(
    {"button", "checkboxes", "datepicker", "datetimepicker", "overflow", "radio_buttons"}
    | {"timepicker"}
    | _SELECTS
)
_ACCESSORY_ELEMENTS = (_ACTIONS_ELEMENTS - {"datetimepicker"}) | {"image"}
_INPUT_ELEMENTS = (_ACTIONS_ELEMENTS - {"button", "overflow"}) | {
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
}
_CONTEXT_ELEMENTS = frozenset({"image", *_TEXT_KINDS})


def _element(allowed: frozenset[str]) -> _Check:
    """Check a block element (or, in context blocks, a text object) of one of ``allowed``."""

    def check(walker: _Walker, value: Any, at: _At) -> None:
        kind = value.get("type") if isinstance(value, dict) else None
        if not isinstance(value, dict) or not isinstance(kind, str):
            walker.fail(at.path, f"{at.what} must be an element object, got {_describe(value)}")
        elif kind not in _ELEMENTS and kind not in _TEXT_KINDS:
            walker.fail(at.path, f"unknown element type {kind!r}")
        else:
            if kind not in allowed:
                walker.fail(at.path, f"{kind} is not allowed as {at.what}")
            if kind in _TEXT_KINDS:
                _text_object(None)(walker, value, at)
            else:
                walker.check_object(value, at.path, kind, _ELEMENTS[kind])

    return check


# Blocks.

_RICH_TEXT_ELEMENTS = _enum(
    "rich_text_section", "rich_text_list", "rich_text_preformatted", "rich_text_quote"
)


def _rich_text_element(walker: _Walker, value: Any, at: _At) -> None:
    """Check only the type of a rich_text element; its content passes through."""
    if not isinstance(value, dict):
        walker.fail(at.path, f"{at.what} must be an object, got {_describe(value)}")
    else:
        _RICH_TEXT_ELEMENTS(walker, value.get("type"), _At(_join(at.path, "type"), at.what, "type"))


_BLOCKS: dict[str, _Kind] = {
    "section": _kind(
        block_id=_ID,
        text=_text_object(SECTION_TEXT_MAX),
        fields=_list(
            _text_object(SECTION_FIELD_TEXT_MAX), limit=SECTION_FIELDS_MAX, item_name="field"
        ),
        accessory=_element(_ACCESSORY_ELEMENTS),
        expand=_boolean,
        rules=(_at_least_one("text", "fields"),),
    ),
    "header": _kind(required="text", block_id=_ID, text=_text_object(HEADER_TEXT_MAX, plain=True)),
    "divider": _kind(block_id=_ID),
    "context": _kind(
        required="elements",
        block_id=_ID,
        elements=_list(
            _element(_CONTEXT_ELEMENTS), limit=CONTEXT_ELEMENTS_MAX, item_name="element"
        ),
    ),
    "actions": _kind(
        required="elements",
        block_id=_ID,
        elements=_list(
            _element(_ACTIONS_ELEMENTS), limit=ACTIONS_ELEMENTS_MAX, item_name="element"
        ),
        rules=(_unique_action_ids,),
    ),
    "input": _kind(
        required="label element",
        block_id=_ID,
        label=_text_object(INPUT_LABEL_MAX, plain=True),
        element=_element(_INPUT_ELEMENTS),
        hint=_text_object(INPUT_HINT_MAX, plain=True),
        optional=_boolean,
        dispatch_action=_boolean,
        rules=(_optional_said_once,),
    ),
    "image": _kind(
        required="alt_text",
        block_id=_ID,
        image_url=_URL,
        slack_file=_anything,
        alt_text=_string(IMAGE_ALT_TEXT_MAX, nonempty=True),
        title=_text_object(IMAGE_TITLE_MAX, plain=True),
        rules=(_exactly_one("image_url", "slack_file"),),
    ),
    "rich_text": _kind(
        required="elements",
        block_id=_ID,
        elements=_list(_rich_text_element, item_name="element"),
    ),
}


def _block(walker: _Walker, value: Any, at: _At) -> None:
    """Check one block and record its block_id, which must be unique in the view."""
    kind = value.get("type") if isinstance(value, dict) else None
    if not isinstance(value, dict) or not isinstance(kind, str):
        walker.fail(at.path, f"block must be an object with a type, got {_describe(value)}")
        return
    if kind not in _BLOCKS:
        walker.fail(at.path, f"unknown block type {kind!r}")
        return
    walker.check_object(value, at.path, f"{kind} block", _BLOCKS[kind])
    block_id = value.get("block_id")
    if isinstance(block_id, str):
        id_path = _join(at.path, "block_id")
        first = walker.block_ids.setdefault(block_id, id_path)
        if first != id_path:
            walker.fail(id_path, f"duplicate block_id {block_id!r} (first at {first})")


def _blocks(limit: int) -> _Check:
    """Check a view's or message's blocks array."""
    return _list(_block, limit=limit, minimum=0, item_name="block")


# Surfaces.

_VIEW_BASE: dict[str, _Check] = {
    "blocks": _blocks(VIEW_MAX_BLOCKS),
    "private_metadata": _string(PRIVATE_METADATA_MAX),
    "callback_id": _ID,
    "external_id": _ID,
}
_VIEWS: dict[str, _Kind] = {
    "modal": _kind(
        _VIEW_BASE,
        required="title blocks",
        title=_text_object(VIEW_BUTTON_TEXT_MAX, plain=True),
        submit=_text_object(VIEW_BUTTON_TEXT_MAX, plain=True),
        close=_text_object(VIEW_BUTTON_TEXT_MAX, plain=True),
        clear_on_close=_boolean,
        notify_on_close=_boolean,
        submit_disabled=_boolean,
        rules=(_submit_with_inputs,),
    ),
    "home": _kind(_VIEW_BASE, required="blocks"),
}


def _check_message(walker: _Walker, message: dict[str, Any]) -> None:
    """Check chat.postMessage arguments; keys other than text/blocks/attachments are ignored."""
    text, blocks = message.get("text"), message.get("blocks")
    if text is not None:
        _string(MESSAGE_TEXT_MAX)(walker, text, _At("text", "message", "text"))
    has_text = isinstance(text, str) and bool(text.strip())
    if blocks and not has_text:
        walker.fail("text", "message with blocks needs a non-empty fallback text")
    elif not (has_text or blocks or message.get("attachments")):
        walker.fail("text", "message needs text, blocks or attachments")
    if blocks is not None:
        _blocks(MESSAGE_MAX_BLOCKS)(walker, blocks, _At("blocks", "message", "blocks"))
    attachments = message.get("attachments")
    if attachments is None:
        return
    if not isinstance(attachments, list):
        walker.fail("attachments", f"attachments must be an array, got {_describe(attachments)}")
        return
    for index, attachment in enumerate(attachments):
        at = _At(f"attachments[{index}]", "message", "attachment")
        if not isinstance(attachment, dict):
            walker.fail(at.path, f"attachment must be an object, got {_describe(attachment)}")
        elif "blocks" in attachment:
            at = _At(f"{at.path}.blocks", "attachment", "blocks")
            _blocks(MESSAGE_MAX_BLOCKS)(walker, attachment["blocks"], at)


def _plain(walker: _Walker, value: Any, path: str) -> Any:
    """Turn slack_sdk model objects (anything with ``to_dict``) and tuples into JSON data."""
    if isinstance(value, dict):
        return {key: _plain(walker, item, _join(path, str(key))) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(walker, item, f"{path}[{i}]") for i, item in enumerate(value)]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        try:
            return _plain(walker, to_dict(), path)
        except Exception as exc:  # slack_sdk raises its own error types on invalid models
            walker.fail(path, f"{type(value).__name__}.to_dict() failed: {exc}")
    return value


def validate_view(view: Mapping[str, Any], *, surface: Surface) -> list[str]:
    """Return every Block Kit problem in a modal, Home tab or chat.postMessage arguments."""
    walker = _Walker()
    data = _plain(walker, view, "")
    if walker.problems:  # a model that cannot serialise leaves nothing sensible to walk
        return walker.problems
    if not isinstance(data, dict):
        walker.fail("", f"{surface} must be an object, got {_describe(data)}")
        return walker.problems
    if surface == "message":
        for key in ("blocks", "attachments"):
            # slack_sdk also accepts blocks and attachments as a JSON string.
            if isinstance(data.get(key), str):
                try:
                    data[key] = json.loads(data[key])
                except ValueError as exc:
                    walker.fail(key, f"message {key} is not valid JSON: {exc}")
                    del data[key]
        _check_message(walker, data)
    else:
        if data.get("type") != surface:
            walker.fail("type", f"view type must be {surface!r}, got {data.get('type')!r}")
        walker.check_object(data, "", surface, _VIEWS[surface])
    try:
        size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    except (TypeError, ValueError) as exc:
        walker.fail("", f"{surface} is not JSON-serializable: {exc}")
    else:
        if size > VIEW_JSON_MAX_BYTES:
            walker.fail("", f"{surface} JSON is {size:,} bytes, limit {VIEW_JSON_MAX_BYTES:,}")
    return walker.problems


def assert_valid_view(view: Mapping[str, Any], *, surface: Surface) -> None:
    """Fail the calling test, listing every Block Kit problem in ``view``."""
    __tracebackhide__ = True
    problems = validate_view(view, surface=surface)
    if problems:
        listing = "\n".join(f"  {problem}" for problem in problems)
        raise AssertionError(f"{len(problems)} Block Kit problem(s) in {surface}:\n{listing}")
