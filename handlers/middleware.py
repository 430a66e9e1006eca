"""Cross-cutting request middleware: what every listener needs, put in Bolt's context, and the
requests no listener should ever see."""

import logging
from collections.abc import Callable

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

from bot import logs
from bot.deps import Deps

log = logging.getLogger(__name__)

NOT_INSTALLED = (
    "mentorbot isn't installed in your workspace, so it can't answer you here. "
    "Ask an admin of your workspace to install it."
)


def register(app: App, deps: Deps) -> None:
    """Install the middleware on ``app``."""

    def inject_deps(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        context["deps"] = deps
        return next()

    app.use(name_request_in_logs)
    app.use(refuse_other_workspaces)
    app.use(inject_deps)


def name_request_in_logs(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Every line logged for the request from here on (by the middleware after this, its
    listener, and the work the listener hands off) names its workspace and person."""
    logs.identify(team_id=context.team_id, user_id=context.user_id)
    return next()


def refuse_other_workspaces(
    req: BoltRequest, context: BoltContext, next: Callable[[], BoltResponse]
) -> BoltResponse:
    """A request from a workspace the bot's token does not belong to is refused, unanswered by
    any listener: it would write that workspace's rows and answer with this one's token.

    (Someone of another workspace can reach the bot in a channel shared between workspaces.)
    With OAuth, Bolt authorizes each request with its own workspace's installation, so every
    installed workspace passes; one without an installation is answered ``NOT_INSTALLED`` by
    Bolt before this runs.
    """
    installed = context.authorize_result.team_id if context.authorize_result else None
    if not installed or not context.team_id or context.team_id == installed:
        return next()
    log.warning(
        "request from another workspace refused",
        extra={"team_id": context.team_id, "installed": installed},
    )
    if req.body.get("command"):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": NOT_INSTALLED})
    return BoltResponse(status=200, body="")
