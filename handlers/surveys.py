"""Surveys: the "Take the survey" buttons of DMs, and the survey modal they open."""

import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.deps import Deps
from bot.errors import UserError
from bot.ids import ActionId, CallbackId
from bot.services.surveys import QUESTIONS, parse_survey_value, save_survey, survey_form
from bot.views.surveys import (
    build_survey_modal,
    build_survey_thanks,
    read_survey_answers,
    read_survey_target,
)
from handlers.commands import CommandRouter
from handlers.legacy import (
    ack_form_error,
    clicked_value,
    first_input,
    open_modal,
    team_of,
    tell,
    user_of,
)

# "survey_open" from a prompt, "survey_open:<kind>" where several surveys share a message.
SURVEY_ACTION = re.compile(rf"^{ActionId.SURVEY_OPEN.value}(:[a-z_]+)?$")


def handle_survey_open(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Open the survey a DM button names, for the person of the pair who clicked."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        pairing_id, kind = parse_survey_value(clicked_value(body))
        with deps.session() as session:
            form = survey_form(
                session, team_id=team_id, user_id=user_id, pairing_id=pairing_id, kind=kind
            )
    except UserError as error:
        tell(deps, body, respond, error)
        return
    open_modal(deps, body["trigger_id"], build_survey_modal(form))


def handle_survey_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Store the person's answers (all ratings required), then thank them in the modal."""
    team_id, user_id = team_of(body), user_of(body)
    fallback = first_input(view, "survey")
    try:
        pairing_id, kind = read_survey_target(view)
    except UserError as error:
        ack(response_action="errors", errors={fallback: str(error)})
        return
    answers = read_survey_answers(view, QUESTIONS[kind])
    try:
        with deps.session() as session:
            saved = save_survey(
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=pairing_id,
                kind=kind,
                answers=answers,
                now=deps.now(),
            )
    except UserError as error:
        ack_form_error(ack, error, block_id=fallback)
        return
    ack(response_action="update", view=build_survey_thanks(saved))


def register(app: App, router: CommandRouter) -> None:
    """Listen for the survey buttons and the survey modal."""
    app.action(SURVEY_ACTION)(handle_survey_open)
    app.view(CallbackId.SURVEY.value)(handle_survey_submission)
