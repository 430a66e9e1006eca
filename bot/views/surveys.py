"""Survey views: the DM prompt with its button, the survey modal, and the thank-you."""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from bot.ids import ActionId, CallbackId
from bot.services.surveys import (
    SURVEY_TITLES,
    TEXT_MAX,
    Question,
    QuestionType,
    SurveyForm,
    SurveySaved,
    parse_survey_value,
    survey_value,
)
from bot.views.blocks import (
    MODAL_TITLE_LIMIT,
    Block,
    actions,
    button,
    context,
    message,
    plain,
    section,
)
from bot.views.forms import FormState
from storage.enums import Role, SurveyKind

PRIVACY = (
    "Your written answers stay with your pair; program leads only ever see numbers across the "
    "whole program."
)
BUTTON_LABELS = {
    SurveyKind.MIDPOINT: "Take the midpoint survey",
    SurveyKind.FINAL: "Take the final reflection",
    SurveyKind.INDEPENDENCE: "Take the independence audit",
}
_INTROS = {
    SurveyKind.MIDPOINT: (
        "You're halfway through *{program}* with <@{partner}>. How is it going? Three quick "
        "ratings and, if you like, a note."
    ),
    SurveyKind.FINAL: (
        "Your mentoring with <@{partner}> in *{program}* is coming to an end. Take a moment to "
        "reflect: what was achieved, what changed, what's next, and the four signs of a good "
        "closure."
    ),
}
_AUDIT_INTRO = {
    Role.MENTEE: (
        "The independence audit for *{program}*: can you now set your own skill gaps, plan and "
        "execute without <@{partner}>?"
    ),
    Role.MENTOR: (
        "The independence audit for *{program}*: can <@{partner}> now set their own skill gaps, "
        "plan and execute without you? Answer it about them."
    ),
}


def survey_button(pairing_id: int, kind: SurveyKind, *, primary: bool = False) -> Block:
    """A button that opens one survey of a pairing, for whoever clicks it."""
    # Action ids must differ inside an actions block, and these come in twos.
    return button(
        BUTTON_LABELS[kind],
        f"{ActionId.SURVEY_OPEN}:{kind.value}",
        value=survey_value(pairing_id, kind),
        style="primary" if primary else None,
    )


def build_survey_prompt(
    kind: SurveyKind,
    *,
    pairing_id: int,
    mentee_user_id: str,
    program_name: str,
    partner_user_id: str,
) -> dict[str, Any]:
    """The DM that asks one person of the pair to take a survey (sent by the scheduler, too)."""
    if kind is SurveyKind.INDEPENDENCE:
        role = Role.MENTOR if partner_user_id == mentee_user_id else Role.MENTEE
        intro = _AUDIT_INTRO[role]
    else:
        intro = _INTROS[kind]
    text = intro.format(program=program_name, partner=partner_user_id)
    blocks: list[Block] = [
        section(text),
        actions(
            button(
                "Take the survey",
                ActionId.SURVEY_OPEN,
                value=survey_value(pairing_id, kind),
                style="primary",
            )
        ),
        context(f"Two minutes. {PRIVACY}"),
    ]
    return message(f"{SURVEY_TITLES[kind]}: {program_name}", blocks)


def _scale_element(question: Question, initial: str | None) -> dict[str, Any]:
    options = [
        {"text": plain(f"{score} · {word}", 75), "value": str(score)}
        for score, word in enumerate(question.scale_words, start=1)
    ]
    element: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": ActionId.INPUT,
        "options": options,
    }
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def _yes_no_element(initial: str | None) -> dict[str, Any]:
    options = [
        {"text": plain("Yes", 75), "value": "yes"},
        {"text": plain("No", 75), "value": "no"},
    ]
    element: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": ActionId.INPUT,
        "options": options,
    }
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def _text_element(initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ActionId.INPUT,
        "multiline": True,
        "max_length": TEXT_MAX,
    }
    if initial:
        element["initial_value"] = initial[:TEXT_MAX]
    return element


def _input(question: Question, form: SurveyForm) -> Block:
    initial = form.answers.get(question.key)
    if question.type is QuestionType.SCALE:
        element = _scale_element(question, initial)
    elif question.type is QuestionType.YES_NO:
        element = _yes_no_element(initial)
    else:
        element = _text_element(initial)
    block: Block = {
        "type": "input",
        "block_id": question.block_id,
        "label": plain(question.label(form.role), 2000),
        "element": element,
    }
    if question.type is QuestionType.TEXT:
        block["optional"] = True
        block["hint"] = plain("Optional. Only your pair can ever read this.", 2000)
    return block


def build_survey_modal(form: SurveyForm) -> dict[str, Any]:
    """The survey: 1-to-5 ratings and yes/no questions (required), free text (optional)."""
    about = (
        f"<@{form.mentee_user_id}>"
        if form.kind is SurveyKind.INDEPENDENCE and form.role is Role.MENTOR
        else "you"
    )
    intro = {
        SurveyKind.MIDPOINT: (
            f"Halfway through *{form.program_name}* with <@{form.partner_user_id}>."
        ),
        SurveyKind.FINAL: (
            f"Looking back on *{form.program_name}* with <@{form.partner_user_id}>. The last four "
            "questions are the signs of a good closure."
        ),
        SurveyKind.INDEPENDENCE: (
            f"How independent is {about} now, in *{form.program_name}*? "
            "1 means not at all, 5 means fully."
        ),
    }[form.kind]
    blocks: list[Block] = [section(intro)]
    if form.answered_at is not None:
        blocks.append(context("You answered this before; sending it again replaces your answers."))
    blocks.extend(_input(question, form) for question in form.questions)
    blocks.append(context(PRIVACY))
    return {
        "type": "modal",
        "callback_id": CallbackId.SURVEY,
        "title": plain(SURVEY_TITLES[form.kind], MODAL_TITLE_LIMIT),
        "submit": plain("Send", MODAL_TITLE_LIMIT),
        "close": plain("Later", MODAL_TITLE_LIMIT),
        "private_metadata": json.dumps({"pairing_id": form.pairing_id, "kind": form.kind.value}),
        "blocks": blocks,
    }


def read_survey_target(view: Mapping[str, Any]) -> tuple[int, SurveyKind]:
    """The pairing and survey a submitted modal is about; UserError when it is out of date."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        value = f"{int(meta['pairing_id'])}:{meta['kind']}"
    except (ValueError, KeyError, TypeError):
        value = ""
    return parse_survey_value(value)


def read_survey_answers(
    view: Mapping[str, Any], questions: Iterable[Question]
) -> dict[str, str | None]:
    """The raw answers of a submitted survey modal, by question key."""
    form = FormState(dict(view))
    answers: dict[str, str | None] = {}
    for question in questions:
        if question.type is QuestionType.TEXT:
            answers[question.key] = form.text(question.block_id)
        else:
            answers[question.key] = form.option(question.block_id)
    return answers


def build_survey_thanks(saved: SurveySaved) -> dict[str, Any]:
    """What the modal turns into once the answers are stored."""
    again = "updated" if saved.updated else "saved"
    text = (
        f":white_check_mark: Thank you: your {SURVEY_TITLES[saved.kind].lower()} for "
        f"*{saved.program_name}* is {again}. The same button lets you change your answers."
    )
    return {
        "type": "modal",
        "callback_id": CallbackId.SURVEY_DONE,
        "title": plain(SURVEY_TITLES[saved.kind], MODAL_TITLE_LIMIT),
        "close": plain("Done", MODAL_TITLE_LIMIT),
        "blocks": [section(text), context(PRIVACY)],
    }
