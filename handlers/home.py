"""The App Home tab: each person's dashboard, and the buttons leads run their programs with."""

import logging
from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.gateway import SlackCallError
from bot.ids import ActionId
from bot.services.enrolment import local_today
from bot.services.home import home_data
from bot.services.programs import (
    co_lead_ids,
    get_program_by_id,
    require_editable,
    set_program_status,
)
from bot.views.help import build_help_modal
from bot.views.home import build_home
from bot.views.program import build_program_modal
from handlers.commands import CommandRouter
from handlers.common import check_lead, check_may_create_program, today
from handlers.listeners import Answer, Click, Modal, on_click, on_event
from handlers.matching import match_program
from storage.enums import ProgramStatus
from storage.models import Program

log = logging.getLogger(__name__)

STATUS_BUTTONS = {
    ActionId.PROGRAM_OPEN_ENROLMENT: (ProgramStatus.ENROLLING, "open its enrolment"),
    ActionId.PROGRAM_START: (ProgramStatus.ACTIVE, "start it"),
    ActionId.PROGRAM_CLOSE: (ProgramStatus.CLOSED, "close it"),
}


def publish_home(deps: Deps, *, team_id: str, user_id: str) -> None:
    """Build the person's Home tab from the database and publish it.

    Slack is asked who the person is (timezone, admin rights) before the read, never inside a
    unit of work; its errors propagate, so an event whose publish failed is handled again when
    Slack retries it.
    """
    person = deps.directory.person(team_id=team_id, user_id=user_id)
    now = deps.now()
    with deps.read() as session:
        data = home_data(
            session=session, team_id=team_id, user_id=user_id, is_admin=person.is_admin, now=now
        )
    view = build_home(data, tz=person.tz, today=local_today(person.tz, now))
    deps.gateway.publish_home(user_id, view)


def show_home(deps: Deps, team_id: str, event: dict[str, Any]) -> None:
    """``app_home_opened``: publish the person's Home tab whenever they open it."""
    if event.get("tab") != "home":
        return
    publish_home(deps, team_id=team_id, user_id=str(event["user"]))


def _refresh(click: Click) -> None:
    """Redraw the clicker's Home tab after a change; the change stands if Slack refuses."""
    try:
        publish_home(click.deps, team_id=click.team_id, user_id=click.user_id)
    except SlackCallError as error:
        log.warning(
            "home tab not refreshed", extra={"user_id": click.user_id, "error": error.error}
        )


def _program(click: Click) -> Program:
    """The program a Home button names (value: its id)."""
    with click.deps.read() as session:
        return get_program_by_id(
            session, team_id=click.team_id, program_id=click.id("That program")
        )


def new_program(click: Click) -> Answer:
    """The program design modal, empty, for admins and leads."""
    check_may_create_program(click)
    return Modal(build_program_modal(program=None, co_lead_ids=[], today=today(click)))


def edit_program(click: Click) -> Answer:
    """The program design modal, prefilled, for the program's leads."""
    program = _program(click)
    check_lead(click, program, action="edit it")
    require_editable(program)
    with click.deps.read() as session:
        co_leads = co_lead_ids(session, program=program)
    return Modal(build_program_modal(program=program, co_lead_ids=co_leads, today=today(click)))


def change_status(click: Click) -> Answer:
    """Open enrolment, start or close a program from the Home tab, then redraw the tab."""
    status, verb = STATUS_BUTTONS[ActionId(click.action_id)]
    program = _program(click)
    check_lead(click, program, action=verb)
    with click.deps.session() as session:
        program = get_program_by_id(session, team_id=click.team_id, program_id=program.id or 0)
        set_program_status(session=session, program=program, status=status, now=click.now())
    _refresh(click)
    return None


def match_from_home(click: Click) -> Answer:
    """Run a matching round from the Home tab; the proposals come by DM."""
    return match_program(click, _program(click))


def register(app: App, router: CommandRouter) -> None:
    """Listen for the Home tab and its buttons."""

    def show_help(click: Click) -> Answer:
        """The command list in a modal: Home has no channel to answer in."""
        return Modal(build_help_modal(router.subcommands))

    on_event(app, "app_home_opened", show_home)
    on_click(app, ActionId.HOME_HELP, show_help)
    on_click(app, ActionId.PROGRAM_NEW, new_program)
    on_click(app, ActionId.PROGRAM_EDIT, edit_program)
    on_click(app, ActionId.PROGRAM_MATCH, match_from_home)
    for action_id in STATUS_BUTTONS:
        on_click(app, action_id, change_status)
