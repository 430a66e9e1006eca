"""Filling in a modal the way a person would, producing the ``state.values`` Slack sends back.

Shared by the tests and ``mentorbot demo``: both play people answering the bot's real modals.
"""

from collections.abc import Mapping
from datetime import date, time
from typing import Any

Answer = str | int | date | time | list[str] | None


def fill(view: Mapping[str, Any], answers: Mapping[str, Answer]) -> dict[str, Any]:
    """State values for ``view`` with ``answers`` keyed by block_id; unanswered inputs are empty.

    Option answers are option values; the chosen options are copied from the view, as Slack does.
    """
    state: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        block_id, element = block["block_id"], block["element"]
        answer = answers.get(block_id, _initial(element))
        state[block_id] = {element["action_id"]: _value(element, answer)}
    unknown = set(answers) - set(state)
    if unknown:
        raise KeyError(f"no input blocks {sorted(unknown)} in this view")
    return state


def _initial(element: Mapping[str, Any]) -> Answer:
    kind = element["type"]
    if kind in ("plain_text_input", "number_input", "url_text_input", "email_text_input"):
        return element.get("initial_value")
    if kind in ("static_select", "radio_buttons"):
        initial = element.get("initial_option")
        return initial["value"] if initial else None
    if kind in ("multi_static_select", "checkboxes"):
        return [o["value"] for o in element.get("initial_options", [])]
    if kind == "datepicker":
        return element.get("initial_date")
    if kind == "timepicker":
        return element.get("initial_time")
    if kind == "users_select":
        return element.get("initial_user")
    if kind == "multi_users_select":
        return list(element.get("initial_users", []))
    if kind in ("conversations_select", "channels_select"):
        return element.get("initial_conversation") or element.get("initial_channel")
    return None


def _options(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group["options"])
    return options


def _pick(element: Mapping[str, Any], value: str) -> dict[str, Any]:
    for option in _options(element):
        if option["value"] == value:
            return dict(option)
    raise KeyError(f"{value!r} is not an option of {element['action_id']}")


def _value(element: Mapping[str, Any], answer: Answer) -> dict[str, Any]:
    kind = element["type"]
    result: dict[str, Any] = {"type": kind}
    if kind in ("plain_text_input", "number_input", "url_text_input", "email_text_input"):
        result["value"] = None if answer in (None, "") else str(answer)
    elif kind in ("static_select", "radio_buttons"):
        result["selected_option"] = None if answer is None else _pick(element, str(answer))
    elif kind in ("multi_static_select", "checkboxes"):
        values = answer if isinstance(answer, list) else []
        result["selected_options"] = [_pick(element, v) for v in values]
    elif kind == "datepicker":
        result["selected_date"] = None if answer is None else str(answer)
    elif kind == "timepicker":
        result["selected_time"] = None if answer is None else str(answer)[:5]
    elif kind == "users_select":
        result["selected_user"] = answer
    elif kind == "multi_users_select":
        result["selected_users"] = answer if isinstance(answer, list) else []
    elif kind == "conversations_select":
        result["selected_conversation"] = answer
    elif kind == "channels_select":
        result["selected_channel"] = answer
    else:
        raise ValueError(f"cannot fill a {kind}")
    return result
