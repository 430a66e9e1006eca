"""Surveys: the "Take the survey" buttons of DMs, and the survey modal they open."""

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.deps import Deps
from bot.errors import FieldErrors, UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId, CallbackId
from bot.services.surveys import QUESTIONS, parse_survey_value, save_survey, survey_form
from bot.views.notice import build_notice
from bot.views.surveys import (
    build_survey_modal,
    build_survey_thanks,
    read_survey_answers,
    read_survey_target,
)
from handlers.commands import CommandRouter
from handlers.common import ack_field_errors, team_of, user_of

log = logging.getLogger(__name__)

# "survey_open" from a prompt, "survey_open:<kind>" where several surveys share a message.
SURVEY_ACTION = re.compile(rf"^{ActionId.SURVEY_OPEN.value}(:[a-z_]+)?$")


def clicked_value(body: dict[str, Any]) -> str:
    """The value of the button (or the chosen option) an interaction carries."""
    try:
        action = body["actions"][0]
    except (KeyError, IndexError, TypeError):
        return ""
    selected = action.get("selected_option") or {}
    return str(action.get("value") or selected.get("value") or "")


def refuse_click(
    deps: Deps, body: dict[str, Any], respond: Respond, error: UserError, *, problem: bool = True
) -> None:
    """Tell the person who clicked why nothing opened: under the message, or else by DM."""
    notice = build_notice(str(error), problem=problem)
    if body.get("response_url"):
        try:
            respond(**notice, response_type="ephemeral", replace_original=False)
            return
        except Exception as exc:
            log.warning("refusal not shown", extra={"error": repr(exc)})
    try:
        deps.gateway.post_message(user_of(body), notice)
    except SlackCallError as exc:
        log.warning("refusal not sent", extra={"error": exc.error})


def open_modal(deps: Deps, body: dict[str, Any], view: dict[str, Any], *, what: str) -> None:
    """Open ``view`` with the click's trigger id, right away (it lives 3 seconds)."""
    try:
        deps.gateway.open_modal(body["trigger_id"], view)
    except SlackCallError as exc:
        log.warning("%s modal not opened", what, extra={"error": exc.error})


def first_input(view: dict[str, Any], default: str) -> str:
    """The block id of the view's first input: where a problem with the whole form is shown."""
    for block in view.get("blocks", []):
        if block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return default


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
        refuse_click(deps, body, respond, error)
        return
    open_modal(deps, body, build_survey_modal(form), what="survey")


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
    except FieldErrors as error:
        ack_field_errors(ack, error)
        return
    except UserError as error:
        ack(response_action="errors", errors={fallback: str(error)})
        return
    ack(response_action="update", view=build_survey_thanks(saved))


def register(app: App, router: CommandRouter) -> None:
    """Listen for the survey buttons and the survey modal."""
    app.action(SURVEY_ACTION)(handle_survey_open)
    app.view(CallbackId.SURVEY.value)(handle_survey_submission)
