"""Cross-cutting request middleware: dependencies in, duplicate events out."""

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot.deps import Deps
from bot.services.events import claim_event

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    """Install the middleware on ``app``."""

    def inject_deps(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        context["deps"] = deps
        return next()

    app.use(inject_deps)
    app.use(drop_duplicate_events)


def drop_duplicate_events(
    body: dict[str, Any],
    context: BoltContext,
    next: Callable[[], BoltResponse],
) -> BoltResponse:
    """Answer a redelivered event with 200 and do nothing: Bolt does not de-duplicate."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if not event_id:
        return next()
    deps: Deps = context["deps"]
    with deps.session() as session:
        first = claim_event(
            session=session, team_id=context.team_id or "", event_id=event_id, now=deps.now()
        )
    if not first:
        log.info(
            "duplicate event dropped", extra={"event_id": event_id, "team_id": context.team_id}
        )
        return BoltResponse(status=200, body="")
    return next()
