"""A workspace leaves: ``app_uninstalled``, and ``tokens_revoked`` for the bot's token.

Bolt authorizes neither event (the workspace's token is gone already: it sets the request's
team from the payload, so the middleware lets it through) and acks both at once. The uninstall
is one unit of work: the workspace marked, its tokens deleted, its pending deliveries dropped;
then the gateways forget the workspace's cached token. A redelivery of a handled event is
ignored (``on_event``), and running the uninstall again changes nothing.
"""

import logging
from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.services.workspaces import APP_UNINSTALLED, TOKENS_REVOKED, uninstall
from handlers.commands import CommandRouter
from handlers.listeners import on_event

log = logging.getLogger(__name__)


def app_uninstalled(deps: Deps, team_id: str, event: dict[str, Any]) -> None:
    """The app was removed from the workspace, every token with it."""
    _uninstall(deps, team_id, APP_UNINSTALLED)


def tokens_revoked(deps: Deps, team_id: str, event: dict[str, Any]) -> None:
    """Tokens were revoked: the workspace is gone for the bot when its bot token is.

    The event lists the revoked tokens' user ids by kind; the bot asks for no user tokens, so
    a revocation of only those (``oauth``) leaves it installed.
    """
    tokens = event.get("tokens")
    if not isinstance(tokens, dict) or not tokens.get("bot"):
        log.info("tokens revoked, none of them the bot's", extra={"team_id": team_id})
        return
    _uninstall(deps, team_id, TOKENS_REVOKED)


def _uninstall(deps: Deps, team_id: str, reason: str) -> None:
    if not team_id:
        log.warning("uninstall event without a team ignored", extra={"reason": reason})
        return
    with deps.session() as session:
        done = uninstall(session, team_id=team_id, reason=reason, now=deps.now())
    # After the commit: a token read from the store before it would be cached again.
    if deps.workspaces is not None:
        deps.workspaces.forget(team_id)
    log.info(
        "workspace uninstalled" if done.first else "workspace uninstall repeated",
        extra={
            "team_id": team_id,
            "reason": reason,
            "tokens_deleted": done.tokens,
            "deliveries_dropped": done.dropped,
        },
    )


def register(app: App, router: CommandRouter) -> None:
    """Listen for the events that end the bot's stay in a workspace."""
    on_event(app, "app_uninstalled", app_uninstalled)
    on_event(app, "tokens_revoked", tokens_revoked)
