"""Surveys: the "Take the survey" buttons of DMs, and the survey modal they open."""

import re

from slack_bolt import App

from bot.ids import ActionId, CallbackId
from bot.services.surveys import QUESTIONS, parse_survey_value, save_survey, survey_form
from bot.views.surveys import (
    build_survey_modal,
    build_survey_thanks,
    read_survey_answers,
    read_survey_target,
)
from handlers.commands import CommandRouter
from handlers.listeners import (
    Answer,
    Click,
    Closing,
    Modal,
    Submission,
    Update,
    on_click,
    on_submit,
)

# "survey_open" from a prompt, "survey_open:<kind>" where several surveys share a message.
SURVEY_ACTION = re.compile(rf"^{ActionId.SURVEY_OPEN.value}(:[a-z_]+)?$")


def show_survey(click: Click) -> Answer:
    """The survey a DM button names ("<pairing id>:<kind>"), for whoever of the pair clicked."""
    pairing_id, kind = parse_survey_value(click.value)
    with click.deps.read() as session:
        form = survey_form(
            session, team_id=click.team_id, user_id=click.user_id, pairing_id=pairing_id, kind=kind
        )
    return Modal(build_survey_modal(form))


def save_survey_form(form: Submission) -> Closing:
    """Store the person's answers (all ratings required), then thank them in the modal."""
    pairing_id, kind = read_survey_target(form.view)
    answers = read_survey_answers(form.view, QUESTIONS[kind])
    with form.deps.session() as session:
        saved = save_survey(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            pairing_id=pairing_id,
            kind=kind,
            answers=answers,
            now=form.now(),
        )
    return Update(build_survey_thanks(saved))


def register(app: App, router: CommandRouter) -> None:
    """Listen for the survey buttons and the survey modal."""
    on_click(app, SURVEY_ACTION, show_survey)
    # A refusal that is no answer's fault shows under the first question.
    on_submit(app, CallbackId.SURVEY, save_survey_form)
