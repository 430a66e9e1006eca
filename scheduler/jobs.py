"""Scheduled jobs. Each opens its own unit of work and calls services; a failure is logged and
rolled back, and the next run starts fresh."""

import logging

from bot.deps import Deps
from bot.services.enrolment import resume_due
from bot.services.events import prune_events
from handlers.enrolment import deliver_notifications

log = logging.getLogger(__name__)


def prune_processed_events(deps: Deps) -> None:
    """Forget Slack event ids old enough that Slack can no longer redeliver them."""
    with deps.session() as session:
        removed = prune_events(session=session, now=deps.now())
    if removed:
        log.info("pruned processed event ids", extra={"removed": removed})


def resume_paused_participants(deps: Deps) -> None:
    """Bring back everyone whose pause has ended, and welcome them (and their partners) back."""
    # The unit of work locks what it resumes, so two running copies never welcome anyone twice.
    with deps.session() as session:
        notifications = resume_due(session=session, now=deps.now())
    if notifications:
        sent = deliver_notifications(deps.gateway, notifications)
        log.info("resumed paused participants", extra={"notified": sent})
