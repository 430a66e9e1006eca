"""Scheduled jobs. Each opens its own unit of work and calls services; a failure is logged and
rolled back, and the next run starts fresh."""

import logging

from bot.deps import Deps
from bot.services.events import prune_events

log = logging.getLogger(__name__)


def prune_processed_events(deps: Deps) -> None:
    """Forget Slack event ids old enough that Slack can no longer redeliver them."""
    with deps.session() as session:
        removed = prune_events(session=session, now=deps.now())
    if removed:
        log.info("pruned processed event ids", extra={"removed": removed})
