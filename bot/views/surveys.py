"""Survey views: the DM prompt with its button, the survey modal, and the thank-you."""

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
    Block,
    actions,
    button,
    context,
    input_block,
    message,
    modal,
    option,
    radio_buttons,
    read_metadata,
    section,
    text_input,
)
from bot.views.forms import FormState
from bot.views.text import escape
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
    name = escape(program_name)
    text = intro.format(program=name, partner=partner_user_id)
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
    return message(f"{SURVEY_TITLES[kind]}: {name}", blocks)


def _scale_element(question: Question, initial: str | None) -> Block:
    options = [
        option(f"{score} · {word}", str(score))
        for score, word in enumerate(question.scale_words, start=1)
    ]
    return radio_buttons(options, initial=initial)


def _yes_no_element(initial: str | None) -> Block:
    return radio_buttons([option("Yes", "yes"), option("No", "no")], initial=initial)


def _question_input(question: Question, form: SurveyForm) -> Block:
    initial = form.answers.get(question.key)
    if question.type is QuestionType.SCALE:
        return input_block(
            question.block_id, question.label(form.role), _scale_element(question, initial)
        )
    if question.type is QuestionType.YES_NO:
        return input_block(question.block_id, question.label(form.role), _yes_no_element(initial))
    return input_block(
        question.block_id,
        question.label(form.role),
        text_input((initial or "")[:TEXT_MAX], max_length=TEXT_MAX, multiline=True),
        hint="Optional. Only your pair can ever read this.",
        optional=True,
    )


def build_survey_modal(form: SurveyForm) -> dict[str, Any]:
    """The survey: 1-to-5 ratings and yes/no questions (required), free text (optional)."""
    about = (
        f"<@{form.mentee_user_id}>"
        if form.kind is SurveyKind.INDEPENDENCE and form.role is Role.MENTOR
        else "you"
    )
    name = escape(form.program_name)
    intro = {
        SurveyKind.MIDPOINT: f"Halfway through *{name}* with <@{form.partner_user_id}>.",
        SurveyKind.FINAL: (
            f"Looking back on *{name}* with <@{form.partner_user_id}>. The last four "
            "questions are the signs of a good closure."
        ),
        SurveyKind.INDEPENDENCE: (
            f"How independent is {about} now, in *{name}*? 1 means not at all, 5 means fully."
        ),
    }[form.kind]
    blocks: list[Block] = [section(intro)]
    if form.answered_at is not None:
        blocks.append(context("You answered this before; sending it again replaces your answers."))
    blocks.extend(_question_input(question, form) for question in form.questions)
    blocks.append(context(PRIVACY))
    return modal(
        CallbackId.SURVEY,
        SURVEY_TITLES[form.kind],
        blocks,
        metadata={"pairing_id": form.pairing_id, "kind": form.kind.value},
        submit="Send",
        close="Later",
    )


def read_survey_target(view: Mapping[str, Any]) -> tuple[int, SurveyKind]:
    """The pairing and survey a submitted modal is about; UserError when it is out of date."""
    meta = read_metadata(view)
    return parse_survey_value(f"{meta.get('pairing_id')}:{meta.get('kind')}")


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
        f"*{escape(saved.program_name)}* is {again}. The same button lets you change your "
        "answers."
    )
    return modal(
        CallbackId.SURVEY_DONE,
        SURVEY_TITLES[saved.kind],
        [section(text), context(PRIVACY)],
        close="Done",
    )
