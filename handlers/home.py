"""The App Home tab."""

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps
from bot.gateway import SlackCallError
from bot.ids import ActionId
from bot.views.help import build_help_modal
from bot.views.home import build_home_empty
from handlers.commands import CommandRouter

log = logging.getLogger(__name__)


def handle_app_home_opened(event: dict[str, Any], deps: Deps) -> None:
    """Publish the person's Home tab whenever they open it."""
    if event.get("tab") != "home":
        return
    user_id = event["user"]
    try:
        deps.gateway.publish_home(user_id, build_home_empty(user_id=user_id))
    except SlackCallError as exc:
        log.warning("home tab not published", extra={"user_id": user_id, "error": exc.error})


def register(app: App, router: CommandRouter) -> None:
    """Listen for the Home tab and its buttons."""

    def handle_home_help(ack: Ack, body: dict[str, Any], deps: Deps) -> None:
        """Open the command list in a modal, right away: the trigger id expires in 3 s."""
        ack()
        try:
            deps.gateway.open_modal(body["trigger_id"], build_help_modal(router.subcommands))
        except SlackCallError as exc:
            log.warning("help modal not opened", extra={"error": exc.error})

    app.event("app_home_opened")(handle_app_home_opened)
    app.action(ActionId.HOME_HELP.value)(handle_home_help)
