"""The App Home tab: each person's dashboard, and the buttons leads run their programs with."""

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps
from bot.errors import UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId
from bot.services.home import home_data
from bot.services.leads import require_may_create_program
from bot.services.programs import (
    co_lead_ids,
    get_program_by_id,
    require_editable,
    set_program_status,
)
from bot.views.help import build_help_modal
from bot.views.home import build_home
from bot.views.notice import build_notice
from bot.views.program import build_program_modal
from handlers.commands import CommandRouter
from handlers.legacy import check_lead, open_modal, send, team_of, user_of
from handlers.matching import match_after_ack, matchable_program
from scheduler.timing import WorkingHours
from storage.enums import ProgramStatus

log = logging.getLogger(__name__)

STATUS_BUTTONS = {
    ActionId.PROGRAM_OPEN_ENROLMENT: (ProgramStatus.ENROLLING, "open its enrolment"),
    ActionId.PROGRAM_START: (ProgramStatus.ACTIVE, "start it"),
    ActionId.PROGRAM_CLOSE: (ProgramStatus.CLOSED, "close it"),
}


def publish_home(deps: Deps, *, team_id: str, user_id: str) -> None:
    """Build the person's Home tab from the database and publish it; Slack trouble is logged."""
    try:
        with deps.session() as session:
            person = deps.directory.get(session, team_id=team_id, user_id=user_id)
            now = deps.now()
            data = home_data(
                session=session, team_id=team_id, user_id=user_id, is_admin=person.is_admin, now=now
            )
            today = now.astimezone(WorkingHours(tz=person.tz).zone).date()
            view = build_home(data, tz=person.tz, today=today)
        deps.gateway.publish_home(user_id, view)
    except (SlackCallError, UserError) as exc:
        log.warning("home tab not published", extra={"user_id": user_id, "error": str(exc)})


def handle_app_home_opened(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    """Publish the person's Home tab whenever they open it."""
    if event.get("tab") != "home":
        return
    publish_home(deps, team_id=team_of(body), user_id=event["user"])


def _tell(deps: Deps, user_id: str, error: UserError) -> None:
    """Home has no channel to answer in: problems go to the person's DM with the bot."""
    send(deps, user_id, build_notice(str(error), problem=True), what="notice")


def handle_program_new(ack: Ack, body: dict[str, Any], deps: Deps) -> None:
    """Open the program design modal for admins and leads."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            person = deps.directory.get(session, team_id=team_id, user_id=user_id)
            require_may_create_program(
                session, team_id=team_id, user_id=user_id, is_admin=person.is_admin
            )
    except UserError as error:
        _tell(deps, user_id, error)
        return
    open_modal(
        deps,
        body["trigger_id"],
        build_program_modal(program=None, co_lead_ids=[], today=deps.now().date()),
    )


def handle_program_edit(ack: Ack, body: dict[str, Any], deps: Deps) -> None:
    """Open the program design modal prefilled, for its leads."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            program = get_program_by_id(
                session, team_id=team_id, program_id=int(body["actions"][0]["value"])
            )
            check_lead(deps, session, program=program, user_id=user_id, action="edit it")
            require_editable(program)
            view = build_program_modal(
                program=program,
                co_lead_ids=co_lead_ids(session, program=program),
                today=deps.now().date(),
            )
    except UserError as error:
        _tell(deps, user_id, error)
        return
    open_modal(deps, body["trigger_id"], view)


def handle_program_status(ack: Ack, body: dict[str, Any], deps: Deps) -> None:
    """Open enrolment, start or close a program from the Home tab, then refresh it."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    action = body["actions"][0]
    status, verb = STATUS_BUTTONS[ActionId(action["action_id"])]
    try:
        with deps.session() as session:
            program = get_program_by_id(session, team_id=team_id, program_id=int(action["value"]))
            check_lead(deps, session, program=program, user_id=user_id, action=verb)
            set_program_status(session=session, program=program, status=status, now=deps.now())
    except UserError as error:
        _tell(deps, user_id, error)
    publish_home(deps, team_id=team_id, user_id=user_id)


def handle_program_match(ack: Ack, body: dict[str, Any], deps: Deps) -> None:
    """Run a matching round from the Home tab; proposals arrive by DM."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            name = get_program_by_id(
                session, team_id=team_id, program_id=int(body["actions"][0]["value"])
            ).name
        program = matchable_program(deps, team_id=team_id, user_id=user_id, name=name)
    except UserError as error:
        _tell(deps, user_id, error)
        return
    match_after_ack(deps, team_id=team_id, program=program, lead_id=user_id)


def register(app: App, router: CommandRouter) -> None:
    """Listen for the Home tab and its buttons."""

    def handle_home_help(ack: Ack, body: dict[str, Any], deps: Deps) -> None:
        """Open the command list in a modal, right away: the trigger id expires in 3 s."""
        ack()
        open_modal(deps, body["trigger_id"], build_help_modal(router.subcommands))

    app.event("app_home_opened")(handle_app_home_opened)
    app.action(ActionId.HOME_HELP.value)(handle_home_help)
    app.action(ActionId.PROGRAM_NEW.value)(handle_program_new)
    app.action(ActionId.PROGRAM_EDIT.value)(handle_program_edit)
    app.action(ActionId.PROGRAM_MATCH.value)(handle_program_match)
    for action_id in STATUS_BUTTONS:
        app.action(action_id.value)(handle_program_status)
