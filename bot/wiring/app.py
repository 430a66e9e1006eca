"""Wiring: the Bolt app with its middleware and every Slack surface's listeners. Nothing else."""

import logging
from collections.abc import Callable
from typing import cast

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult

from bot import metrics
from bot.deps import Deps
from bot.logs import ContextThreadPool
from bot.wiring.oauth import InstallFlow, WorkspaceAuthorize
from bot.workspaces import InstalledWorkspaces
from handlers import (
    agenda,
    commands,
    digest,
    enrolment,
    feedback,
    goals,
    graduation,
    home,
    listeners,
    matching,
    middleware,
    notes,
    outside_feedback,
    plans,
    privacy,
    programs,
    scorecards,
    sessions,
    skills,
    stages,
    status,
    surveys,
    workspaces,
)
from handlers.commands import CommandRouter


def build_router() -> CommandRouter:
    """Every ``/mentor`` subcommand, registered by the surfaces that own them."""
    return CommandRouter()


def build_app(deps: Deps) -> App:
    """Create the Bolt app on the gateway's client.

    Bolt's own signature check is off: in HTTP mode ``bot.wiring.server`` checks every request
    before Bolt reads it (Bolt's check logs the bodies it refuses), and Socket Mode needs none.
    With OAuth (``deps.workspaces``), Bolt runs the install flow and authorizes each request
    with its own workspace's installation; a workspace without one is told so.
    """
    settings = deps.settings
    installed = deps.workspaces if isinstance(deps.workspaces, InstalledWorkspaces) else None
    oauth_flow: InstallFlow | None = None
    authorize: Callable[..., AuthorizeResult] | None = None
    if installed is not None:
        oauth_flow = InstallFlow(deps, installed)
        # Bolt types ``authorize`` as a plain callable; an ``Authorize`` may also answer None.
        authorize = cast("Callable[..., AuthorizeResult]", WorkspaceAuthorize(installed))
    app = App(
        client=deps.gateway.client,
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=False,
        # Bolt's default pool has 5 workers; slow work after ack() needs more headroom. Each
        # listener runs in its request's context, so its log lines carry the request's id.
        listener_executor=ContextThreadPool(
            max_workers=settings.listener_threads, thread_name_prefix="listener"
        ),
        oauth_flow=oauth_flow,
        authorize=authorize,
        user_facing_authorize_error_message=middleware.NOT_INSTALLED if installed else None,
    )
    router = build_router()
    middleware.register(app, deps)
    commands.register(app, router)
    home.register(app, router)
    enrolment.register(app, router)
    programs.register(app, router)
    matching.register(app, router)
    goals.register(app, router)
    sessions.register(app, router)
    agenda.register(app, router)
    feedback.register(app, router)
    scorecards.register(app, router)
    skills.register(app, router)
    stages.register(app, router)
    surveys.register(app, router)
    graduation.register(app, router)
    status.register(app, router)
    digest.register(app, router)
    plans.register(app, router)
    notes.register(app, router)
    outside_feedback.register(app, router)
    privacy.register(app, router)
    workspaces.register(app, router)
    listeners.on_anything_else(app)
    app.error(_log_unhandled)
    return app


def _log_unhandled(error: Exception, body: dict[str, object], logger: logging.Logger) -> None:
    """Log a listener's unexpected exception with context; Slack users never see a traceback."""
    metrics.listener_failed(metrics.payload_surface(body))
    logger.error(
        "unhandled error in a listener",
        exc_info=error,
        extra={"team_id": _team_of(body), "payload_type": body.get("type") or body.get("command")},
    )


def _team_of(body: dict[str, object]) -> object:
    team = body.get("team")
    return team.get("id") if isinstance(team, dict) else body.get("team_id")
