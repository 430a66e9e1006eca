"""Tests for the Block Kit checker: each limit is reported with its path, valid views pass."""

from __future__ import annotations

import re
from typing import Any

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ChannelSelectElement,
    CheckboxesElement,
    ConfirmObject,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    DateTimePickerElement,
    DividerBlock,
    EmailInputElement,
    HeaderBlock,
    ImageBlock,
    ImageElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    OptionGroup,
    OverflowMenuElement,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    RichTextBlock,
    RichTextElementParts,
    RichTextSectionElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
    TimePickerElement,
    UrlInputElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from tests.blockkit import (
    ACTIONS_ELEMENTS_MAX,
    BUTTON_TEXT_MAX,
    MESSAGE_MAX_BLOCKS,
    PRIVATE_METADATA_MAX,
    SECTION_FIELDS_MAX,
    VIEW_BUTTON_TEXT_MAX,
    VIEW_MAX_BLOCKS,
    Surface,
    assert_valid_view,
    validate_view,
)

Json = dict[str, Any]


def _pt(text: str) -> Json:
    """Build a plain_text object."""
    return {"type": "plain_text", "text": text}


def _md(text: str) -> Json:
    """Build a mrkdwn object."""
    return {"type": "mrkdwn", "text": text}


def _option(value: str, text: str | None = None) -> Json:
    """Build an option whose text defaults to its value."""
    return {"text": _pt(text or value), "value": value}


def _button(text: str = "Go", **fields: Any) -> Json:
    """Build a button."""
    return {"type": "button", "text": _pt(text), "action_id": "go", **fields}


def _select(**fields: Any) -> Json:
    """Build a static_select with options a and b."""
    options = [_option("a"), _option("b")]
    return {"type": "static_select", "action_id": "pick", "options": options, **fields}


def _choices(kind: str, **fields: Any) -> Json:
    """Build checkboxes or radio_buttons with options a and b."""
    return {"type": kind, "action_id": kind, "options": [_option("a"), _option("b")], **fields}


def _number(**fields: Any) -> Json:
    """Build a number_input that allows only whole numbers."""
    return {"type": "number_input", "action_id": "n", "is_decimal_allowed": False, **fields}


def _section(text: str = "Hello", **fields: Any) -> Json:
    """Build a section with mrkdwn text."""
    return {"type": "section", "text": _md(text), **fields}


def _accessory(element: Json) -> Json:
    """Build a section carrying ``element`` as its accessory."""
    return _section(accessory=element)


def _actions(*elements: Json) -> Json:
    """Build an actions block."""
    return {"type": "actions", "elements": list(elements)}


def _input(element: Json, **fields: Any) -> Json:
    """Build an input block."""
    return {"type": "input", "block_id": "in", "label": _pt("Name"), "element": element, **fields}


def _text_input(**fields: Any) -> Json:
    """Build a plain_text_input."""
    return {"type": "plain_text_input", "action_id": "name", **fields}


def _divider(**fields: Any) -> Json:
    """Build a divider."""
    return {"type": "divider", **fields}


def _modal(*blocks: Json, **fields: Any) -> Json:
    """Build a modal with title, submit and close."""
    view = {"type": "modal", "title": _pt("Goals"), "submit": _pt("Save"), "close": _pt("Cancel")}
    return {**view, "blocks": list(blocks), **fields}


def _home(*blocks: Json, **fields: Any) -> Json:
    """Build a Home tab view."""
    return {"type": "home", "blocks": list(blocks), **fields}


def _message(*blocks: Json, **fields: Any) -> Json:
    """Build chat.postMessage arguments with a fallback text."""
    return {"channel": "C123", "text": "Fallback", "blocks": list(blocks), **fields}


def _without(view: Json, key: str) -> Json:
    """Copy ``view`` without ``key``."""
    return {name: value for name, value in view.items() if name != key}


def _kitchen_sink_modal() -> Json:
    """Build a modal that uses every supported block and element type."""
    grouped = [{"label": _pt("Group"), "options": [_option("g1"), _option("g2")]}]
    mrkdwn_option = {"text": _md("*bold*"), "value": "m", "description": _md("_why_")}
    confirm = {
        "title": _pt("Sure?"),
        "text": _md("Really?"),
        "confirm": _pt("Yes"),
        "deny": _pt("No"),
    }
    return _modal(
        {"type": "header", "text": _pt("Programme")},
        _section(fields=[_md("*Mentor*"), _pt("Ada")], block_id="intro"),
        _accessory(_select(initial_option=_option("b"), placeholder=_pt("Pick"))),
        _accessory({"type": "image", "image_url": "https://example.com/a.png", "alt_text": "A"}),
        _accessory(
            {"type": "overflow", "action_id": "more", "options": [_option("x")], "confirm": confirm}
        ),
        {"type": "context", "elements": [_md("ctx"), _pt("ctx")], "block_id": "ctx"},
        _divider(block_id="div"),
        {
            "type": "actions",
            "block_id": "acts",
            "elements": [
                _button(style="danger", value="v", url="https://example.com", confirm=confirm),
                {"type": "datepicker", "action_id": "d", "initial_date": "2024-02-29"},
                {"type": "timepicker", "action_id": "t", "initial_time": "23:59"},
                {"type": "datetimepicker", "action_id": "dt", "initial_date_time": 1_700_000_000},
                {"type": "users_select", "action_id": "u", "initial_user": "U1"},
                {"type": "multi_users_select", "action_id": "mu", "initial_users": ["U1", "U2"]},
                {"type": "conversations_select", "action_id": "c", "filter": {"include": ["im"]}},
                {"type": "multi_channels_select", "action_id": "mc", "max_selected_items": 3},
                {"type": "external_select", "action_id": "ex", "min_query_length": 0},
            ],
        },
        _input(_text_input(min_length=1, max_length=3000, multiline=True), hint=_pt("Be brief")),
        _input(
            _choices("checkboxes", options=[mrkdwn_option], initial_options=[mrkdwn_option]),
            block_id="cb",
        ),
        _input(_choices("radio_buttons", initial_option=_option("a")), block_id="rb"),
        _input(
            {
                "type": "multi_static_select",
                "action_id": "ms",
                "option_groups": grouped,
                "initial_options": [_option("g2")],
            },
            block_id="ms",
            optional=True,
        ),
        _input(_number(min_value="1", max_value="10", initial_value="3"), block_id="num"),
        _input({"type": "email_text_input", "action_id": "e"}, block_id="email"),
        _input({"type": "url_text_input", "action_id": "url"}, block_id="url"),
        {
            "type": "image",
            "image_url": "https://example.com/b.png",
            "alt_text": "B",
            "title": _pt("Chart"),
        },
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": []}]},
        private_metadata="x" * PRIVATE_METADATA_MAX,
        callback_id="goals",
    )


@pytest.mark.parametrize(
    ("surface", "view"),
    [
        pytest.param("modal", _modal(_section()), id="modal"),
        pytest.param("home", _home(_section()), id="home"),
        pytest.param("message", _message(_section()), id="message"),
        pytest.param("message", {"channel": "C1", "text": "plain"}, id="text-only-message"),
        pytest.param("modal", _kitchen_sink_modal(), id="every-element-modal"),
        pytest.param(
            "modal",
            _modal(_input(_text_input(), label=_pt("Reason"), optional=True)),
            id="optional-input-labelled-once",
        ),
        pytest.param(
            "modal",
            _modal(_input(_text_input(), label=_pt("Optional reading list"), optional=True)),
            id="optional-input-word-not-suffix",
        ),
        pytest.param("modal", _modal(title=_pt("x" * VIEW_BUTTON_TEXT_MAX)), id="title-at-limit"),
        pytest.param("modal", _modal(*[_divider()] * VIEW_MAX_BLOCKS), id="modal-at-limit"),
        pytest.param("message", _message(*[_divider()] * MESSAGE_MAX_BLOCKS), id="message-limit"),
        pytest.param(
            "home",
            _home(_actions(*[_button(action_id=f"b{i}") for i in range(ACTIONS_ELEMENTS_MAX)])),
            id="actions-at-limit",
        ),
        pytest.param(
            "home", _home(_actions(_button("x" * BUTTON_TEXT_MAX))), id="button-text-at-limit"
        ),
        pytest.param(
            "home",
            _home(_section(fields=[_md("f")] * SECTION_FIELDS_MAX)),
            id="fields-at-limit",
        ),
        pytest.param(
            "message",
            _message(blocks='[{"type": "divider"}]'),
            id="blocks-as-json-string",
        ),
    ],
)
def test_valid_views_pass(surface: Surface, view: Json) -> None:
    """A valid view per surface, and views right at each limit, have no problems."""
    assert validate_view(view, surface=surface) == []
    assert_valid_view(view, surface=surface)


_LONG_URL = "https://example.com/" + "x" * 2981

_CASES = [
    # Surfaces.
    ("message", _message(*[_divider()] * 51), "blocks: message has 51 blocks, limit 50"),
    ("modal", _modal(*[_divider()] * 101), "blocks: modal has 101 blocks, limit 100"),
    ("home", _home(*[_divider()] * 101), "blocks: home has 101 blocks, limit 100"),
    ("modal", _modal(title=_pt("x" * 25)), "title: modal title is 25 chars, limit 24"),
    ("modal", _modal(submit=_pt("x" * 25)), "submit: modal submit is 25 chars, limit 24"),
    ("modal", _modal(close=_pt("x" * 25)), "close: modal close is 25 chars, limit 24"),
    ("modal", _modal(title=_md("Goals")), "title: modal title must be plain_text, got mrkdwn"),
    ("modal", _modal(title="Goals"), "title: modal title must be a plain_text object, got string"),
    ("modal", _without(_modal(), "title"), "title: modal requires title"),
    (
        "modal",
        _modal(private_metadata="x" * 3001),
        "private_metadata: modal private_metadata is 3001 chars, limit 3000",
    ),
    (
        "modal",
        _modal(callback_id="x" * 256),
        "callback_id: modal callback_id is 256 chars, limit 255",
    ),
    ("home", _home(external_id="x" * 256), "external_id: home external_id is 256 chars, limit 255"),
    (
        "modal",
        _without(_modal(_input(_text_input())), "submit"),
        "submit: modal with input blocks needs submit",
    ),
    ("modal", {**_modal(), "type": "home"}, "type: view type must be 'modal', got 'home'"),
    ("modal", _modal(sumbit=_pt("Save")), "sumbit: modal has unknown field 'sumbit'"),
    (
        "message",
        _without(_message(_section()), "text"),
        "text: message with blocks needs a non-empty fallback text",
    ),
    (
        "message",
        _message(_section(), text="  "),
        "text: message with blocks needs a non-empty fallback text",
    ),
    ("message", {"text": "x" * 40_001}, "text: message text is 40001 chars, limit 40000"),
    ("message", {"channel": "C1"}, "text: message needs text, blocks or attachments"),
    (
        "message",
        _message(attachments=[{"blocks": [{"type": "header", "text": _pt("x" * 151)}]}]),
        "attachments[0].blocks[0].text: header block text is 151 chars, limit 150",
    ),
    # Ids.
    (
        "home",
        _home(_section(block_id="b"), _divider(block_id="b")),
        "blocks[1].block_id: duplicate block_id 'b' (first at blocks[0].block_id)",
    ),
    (
        "home",
        _home(_divider(block_id="x" * 256)),
        "blocks[0].block_id: divider block block_id is 256 chars, limit 255",
    ),
    (
        "home",
        _home(_actions(_button(), _button())),
        "blocks[0].elements[1].action_id: duplicate action_id 'go' in actions block"
        " (first at blocks[0].elements[0].action_id)",
    ),
    (
        "home",
        _home(_actions(_button(action_id="x" * 256))),
        "blocks[0].elements[0].action_id: button action_id is 256 chars, limit 255",
    ),
    # Blocks.
    ("home", _home({"type": "sectoin"}), "blocks[0]: unknown block type 'sectoin'"),
    (
        "home",
        _home(_actions(*[_button(action_id=f"b{i}") for i in range(26)])),
        "blocks[0].elements: actions block has 26 elements, limit 25",
    ),
    ("home", _home(_section("")), "blocks[0].text: section block text is empty"),
    (
        "home",
        _home(_section("x" * 3001)),
        "blocks[0].text: section block text is 3001 chars, limit 3000",
    ),
    (
        "home",
        _home(_section(fields=[_md("f")] * 11)),
        "blocks[0].fields: section block has 11 fields, limit 10",
    ),
    (
        "home",
        _home(_section(fields=[_md("x" * 2001)])),
        "blocks[0].fields[0]: section block field is 2001 chars, limit 2000",
    ),
    ("home", _home({"type": "section"}), "blocks[0]: section block needs text or fields"),
    (
        "home",
        _home({"type": "header", "text": _pt("x" * 151)}),
        "blocks[0].text: header block text is 151 chars, limit 150",
    ),
    (
        "home",
        _home({"type": "header", "text": _md("Hi")}),
        "blocks[0].text: header block text must be plain_text, got mrkdwn",
    ),
    (
        "home",
        _home({"type": "context", "elements": [_md("c")] * 11}),
        "blocks[0].elements: context block has 11 elements, limit 10",
    ),
    (
        "home",
        _home({"type": "context", "elements": [_button()]}),
        "blocks[0].elements[0]: button is not allowed as context block element",
    ),
    (
        "modal",
        _modal({**_input(_text_input()), "label": _pt("x" * 2001)}),
        "blocks[0].label: input block label is 2001 chars, limit 2000",
    ),
    (
        "modal",
        _modal(_input(_text_input(), hint=_pt("x" * 2001))),
        "blocks[0].hint: input block hint is 2001 chars, limit 2000",
    ),
    (
        "modal",
        _modal(_without(_input(_text_input()), "element")),
        "blocks[0].element: input block requires element",
    ),
    (
        "modal",
        _modal(_input(_button())),
        "blocks[0].element: button is not allowed as input block element",
    ),
    (
        "home",
        _home({"type": "image", "image_url": "https://e.x/a.png"}),
        "blocks[0].alt_text: image block requires alt_text",
    ),
    (
        "home",
        _home({"type": "image", "alt_text": "A"}),
        "blocks[0]: image block needs exactly one of image_url, slack_file, has 0",
    ),
    (
        "home",
        _home({"type": "rich_text", "elements": [{"type": "text", "text": "hi"}]}),
        "blocks[0].elements[0].type: rich_text block element type must be one of rich_text_section,"
        " rich_text_list, rich_text_preformatted, rich_text_quote, got 'text'",
    ),
    (
        "modal",
        _modal(_input(_text_input(), label=_pt("Reason (optional)"), optional=True)),
        "blocks[0].label: input block label 'Reason (optional)' ends with \"(optional)\","
        " which Slack already adds",
    ),
    (
        "modal",
        _modal(_input(_text_input(), label=_pt("Skill #3 (Optional):"), optional=True)),
        "blocks[0].label: input block label 'Skill #3 (Optional):' ends with \"(optional)\","
        " which Slack already adds",
    ),
    # Elements.
    (
        "home",
        _home(_actions({"type": "buton"})),
        "blocks[0].elements[0]: unknown element type 'buton'",
    ),
    (
        "home",
        _home(_actions(_button(acton_id="go"))),
        "blocks[0].elements[0].acton_id: button has unknown field 'acton_id'",
    ),
    (
        "home",
        _home(_actions(_text_input())),
        "blocks[0].elements[0]: plain_text_input is not allowed as actions block element",
    ),
    (
        "home",
        _home(_actions(_button("x" * 76))),
        "blocks[0].elements[0].text: button text is 76 chars, limit 75",
    ),
    (
        "home",
        _home(_actions({**_button(), "text": _md("Go")})),
        "blocks[0].elements[0].text: button text must be plain_text, got mrkdwn",
    ),
    (
        "home",
        _home(_actions(_button(value="x" * 2001))),
        "blocks[0].elements[0].value: button value is 2001 chars, limit 2000",
    ),
    (
        "home",
        _home(_actions(_button(url=_LONG_URL))),
        "blocks[0].elements[0].url: button url is 3001 chars, limit 3000",
    ),
    (
        "home",
        _home(_actions(_button(style="secondary"))),
        "blocks[0].elements[0].style: button style must be one of primary, danger, got 'secondary'",
    ),
    (
        "home",
        _home(
            _actions(
                _button(
                    confirm={
                        "title": _pt("x" * 101),
                        "text": _md("?"),
                        "confirm": _pt("Yes"),
                        "deny": _pt("No"),
                    }
                )
            )
        ),
        "blocks[0].elements[0].confirm.title: confirm title is 101 chars, limit 100",
    ),
    (
        "modal",
        _modal(_input(_text_input(placeholder=_pt("x" * 151)))),
        "blocks[0].element.placeholder: plain_text_input placeholder is 151 chars, limit 150",
    ),
    (
        "modal",
        _modal(_input(_text_input(max_length=3001))),
        "blocks[0].element.max_length: plain_text_input max_length is 3001,"
        " must be between 1 and 3000",
    ),
    (
        "modal",
        _modal(_input(_text_input(min_length=10, max_length=5))),
        "blocks[0].element.min_length: plain_text_input min_length 10 is greater than max_length 5",
    ),
    # Options.
    (
        "home",
        _home(_accessory(_select(options=[_option(str(i)) for i in range(101)]))),
        "blocks[0].accessory.options: static_select has 101 options, limit 100",
    ),
    (
        "home",
        _home(_accessory(_select(options=[]))),
        "blocks[0].accessory.options: static_select has 0 options, needs at least 1",
    ),
    (
        "home",
        _home(_accessory(_select(options=[_option("a", "x" * 76)]))),
        "blocks[0].accessory.options[0].text: option text is 76 chars, limit 75",
    ),
    (
        "home",
        _home(_accessory(_select(options=[_option("x" * 151, "A")]))),
        "blocks[0].accessory.options[0].value: option value is 151 chars, limit 150",
    ),
    (
        "home",
        _home(_accessory(_select(options=[{**_option("a"), "description": _pt("x" * 76)}]))),
        "blocks[0].accessory.options[0].description: option description is 76 chars, limit 75",
    ),
    (
        "home",
        _home(_accessory(_select(options=[{"text": _md("*a*"), "value": "a"}]))),
        "blocks[0].accessory.options[0].text: option text must be plain_text, got mrkdwn",
    ),
    (
        "home",
        _home(_accessory(_select(option_groups=[{"label": _pt("G"), "options": [_option("a")]}]))),
        "blocks[0].accessory: static_select needs exactly one of options, option_groups, has 2",
    ),
    (
        "home",
        _home(_accessory(_select(initial_option=_option("zzz")))),
        "blocks[0].accessory.initial_option: static_select initial option 'zzz' is not an option",
    ),
    (
        "home",
        _home(_accessory(_select(initial_option=_option("a", "Other text")))),
        "blocks[0].accessory.initial_option: static_select initial option 'a'"
        " differs from the option with that value",
    ),
    (
        "home",
        _home(_accessory({**_select(), "type": "multi_static_select", "initial_options": []})),
        "blocks[0].accessory.initial_options: multi_static_select has 0 initial_options,"
        " needs at least 1",
    ),
    (
        "home",
        _home(_accessory({"type": "overflow", "options": [_option(str(i)) for i in range(6)]})),
        "blocks[0].accessory.options: overflow has 6 options, limit 5",
    ),
    (
        "home",
        _home(_accessory({"type": "overflow", "options": []})),
        "blocks[0].accessory.options: overflow has 0 options, needs at least 1",
    ),
    (
        "modal",
        _modal(_input(_choices("checkboxes", options=[_option(str(i)) for i in range(11)]))),
        "blocks[0].element.options: checkboxes has 11 options, limit 10",
    ),
    (
        "modal",
        _modal(_input(_choices("checkboxes", initial_options=[_option("zzz")]))),
        "blocks[0].element.initial_options[0]: checkboxes initial option 'zzz' is not an option",
    ),
    (
        "modal",
        _modal(_input(_choices("radio_buttons", options=[_option(str(i)) for i in range(11)]))),
        "blocks[0].element.options: radio_buttons has 11 options, limit 10",
    ),
    (
        "modal",
        _modal(_input(_choices("radio_buttons", initial_option=_option("zzz")))),
        "blocks[0].element.initial_option: radio_buttons initial option 'zzz' is not an option",
    ),
    # Pickers and number input.
    (
        "modal",
        _modal(_input({"type": "datepicker", "initial_date": "2024-02-30"})),
        "blocks[0].element.initial_date: datepicker initial_date must be YYYY-MM-DD,"
        " got '2024-02-30'",
    ),
    (
        "modal",
        _modal(_input({"type": "datepicker", "initial_date": "05/01/2024"})),
        "blocks[0].element.initial_date: datepicker initial_date must be YYYY-MM-DD,"
        " got '05/01/2024'",
    ),
    (
        "modal",
        _modal(_input({"type": "timepicker", "initial_time": "24:00"})),
        "blocks[0].element.initial_time: timepicker initial_time must be HH:mm, got '24:00'",
    ),
    (
        "modal",
        _modal(_input({"type": "datetimepicker", "initial_date_time": "1700000000"})),
        "blocks[0].element.initial_date_time: datetimepicker initial_date_time must be an integer,"
        " got string",
    ),
    (
        "modal",
        _modal(_input(_without(_number(), "is_decimal_allowed"))),
        "blocks[0].element.is_decimal_allowed: number_input requires is_decimal_allowed",
    ),
    (
        "modal",
        _modal(_input(_number(min_value="10", max_value="1"))),
        "blocks[0].element.min_value: number_input min_value '10' is greater than max_value '1'",
    ),
    (
        "modal",
        _modal(_input(_number(initial_value="1.5"))),
        "blocks[0].element.initial_value: number_input initial_value '1.5' must be whole"
        " when is_decimal_allowed is false",
    ),
    (
        "modal",
        _modal(_input(_number(max_value="ten"))),
        "blocks[0].element.max_value: number_input max_value must be a numeric string, got 'ten'",
    ),
]


@pytest.mark.parametrize(
    ("surface", "view", "expected"),
    [pytest.param(*case, id=case[2][:80]) for case in _CASES],
)
def test_violation_is_reported_with_its_path(surface: Surface, view: Json, expected: str) -> None:
    """Each broken limit or rule yields exactly the expected path-qualified problem, alone."""
    assert validate_view(view, surface=surface) == [expected]


def test_oversized_view_json_is_reported() -> None:
    """A view over 250 kB is reported even when every block is within its own limits."""
    view = _modal(*[_section("x" * 3000) for _ in range(VIEW_MAX_BLOCKS)])
    (problem,) = validate_view(view, surface="modal")
    assert re.fullmatch(r"view: modal JSON is [\d,]+ bytes, limit 250,000", problem)


def test_assert_valid_view_lists_every_problem() -> None:
    """assert_valid_view raises one AssertionError naming all problems with their paths."""
    view = _modal(_actions(_button("x" * 80)), title=_pt("x" * 25))
    with pytest.raises(AssertionError) as raised:
        assert_valid_view(view, surface="modal")
    message = str(raised.value)
    assert message.startswith("2 Block Kit problem(s) in modal:")
    assert "title: modal title is 25 chars, limit 24" in message
    assert "blocks[0].elements[0].text: button text is 80 chars, limit 75" in message


def test_input_is_not_modified() -> None:
    """Validating parses JSON-string blocks on a copy, leaving the caller's dict alone."""
    message = {"text": "Fallback", "blocks": '[{"type": "divider"}]'}
    validate_view(message, surface="message")
    assert message["blocks"] == '[{"type": "divider"}]'


def _sdk_blocks() -> list[Any]:
    """Build blocks of every supported kind with slack_sdk's model classes."""
    options = [Option(value=f"v{i}", text=f"Option {i}") for i in range(3)]
    box = Option(value="x", text=MarkdownTextObject(text="*x*"), description="More")
    confirm = ConfirmObject(title="Sure?", text="Really?", confirm="Yes", deny="No")
    return [
        HeaderBlock(text="Programme", block_id="header"),
        SectionBlock(
            text="*Hi*",
            fields=["one", "two"],
            accessory=ButtonElement(text="Go", action_id="go", value="1", style="primary"),
        ),
        SectionBlock(
            text="Pick",
            accessory=StaticSelectElement(
                action_id="pick", placeholder="Pick", options=options, initial_option=options[1]
            ),
        ),
        SectionBlock(text="More", accessory=OverflowMenuElement(action_id="ov", options=options)),
        SectionBlock(
            text="Pic", accessory=ImageElement(image_url="https://e.x/a.png", alt_text="a")
        ),
        DividerBlock(),
        ContextBlock(
            elements=[
                MarkdownTextObject(text="ctx"),
                PlainTextObject(text="ctx"),
                ImageElement(image_url="https://e.x/a.png", alt_text="a"),
            ]
        ),
        ActionsBlock(
            elements=[
                ButtonElement(text="Stop", action_id="stop", style="danger", confirm=confirm),
                DatePickerElement(action_id="date", initial_date="2024-05-01"),
                TimePickerElement(action_id="time", initial_time="09:30"),
                DateTimePickerElement(action_id="when", initial_date_time=1_700_000_000),
                UserSelectElement(action_id="user", placeholder="Who"),
                ConversationSelectElement(
                    action_id="conv", filter=ConversationFilter(include=["public", "private"])
                ),
                ChannelSelectElement(action_id="chan"),
                StaticMultiSelectElement(
                    action_id="multi", options=options, initial_options=[options[0]]
                ),
                UserMultiSelectElement(action_id="users", initial_users=["U1"]),
            ]
        ),
        InputBlock(
            block_id="name",
            label="Name",
            hint="Full name",
            element=PlainTextInputElement(action_id="name", min_length=1, max_length=100),
        ),
        InputBlock(
            block_id="boxes",
            label="Boxes",
            element=CheckboxesElement(action_id="boxes", options=[box], initial_options=[box]),
        ),
        InputBlock(
            block_id="radio",
            label="Radio",
            element=RadioButtonsElement(
                action_id="radio", options=options, initial_option=options[0]
            ),
        ),
        InputBlock(
            block_id="grouped",
            label="Grouped",
            element=StaticSelectElement(
                action_id="grouped",
                option_groups=[OptionGroup(label="Group", options=options)],
                initial_option=options[2],
            ),
        ),
        InputBlock(
            block_id="number",
            label="Hours",
            element=NumberInputElement(
                action_id="hours",
                is_decimal_allowed=False,
                min_value=1,
                max_value=9,
                initial_value=2,
            ),
        ),
        InputBlock(block_id="email", label="Email", element=EmailInputElement(action_id="email")),
        InputBlock(block_id="url", label="Link", element=UrlInputElement(action_id="url")),
        ImageBlock(image_url="https://e.x/b.png", alt_text="b", title="Chart"),
        RichTextBlock(
            elements=[RichTextSectionElement(elements=[RichTextElementParts.Text(text="hi")])]
        ),
    ]


@pytest.mark.parametrize(
    ("surface", "payload"),
    [
        pytest.param(
            "modal",
            View(
                type="modal",
                title="Goals",
                submit="Save",
                close="Cancel",
                blocks=_sdk_blocks(),
                private_metadata="cohort=1",
                callback_id="goals",
                notify_on_close=True,
            ).to_dict(),
            id="modal",
        ),
        pytest.param("home", View(type="home", blocks=_sdk_blocks()[:7]).to_dict(), id="home"),
        pytest.param(
            "message",
            {"text": "Fallback", "blocks": [block.to_dict() for block in _sdk_blocks()[:8]]},
            id="message",
        ),
        pytest.param(
            "message",
            {"text": "Fallback", "blocks": _sdk_blocks()[:8]},
            id="message-with-model-objects",
        ),
    ],
)
def test_views_built_with_slack_sdk_pass(surface: Surface, payload: Json) -> None:
    """Views that slack_sdk's own models build and validate also pass the checker."""
    assert_valid_view(payload, surface=surface)


def test_sdk_model_that_cannot_serialise_is_reported() -> None:
    """A slack_sdk model that fails its own validation is reported instead of raising."""
    blocks = [ActionsBlock(elements=[ButtonElement(text="x" * 76, action_id="go")])]
    (problem,) = validate_view({"text": "Fallback", "blocks": blocks}, surface="message")
    assert problem.startswith("blocks[0]: ActionsBlock.to_dict() failed:")
