"""Scheduled jobs. Each opens its own unit of work and calls services; a failure is logged and
rolled back, and the next run starts fresh."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from bot.deps import Deps
from bot.directory import CACHE_TTL
from bot.errors import UserError
from bot.gateway import SlackCallError
from bot.services.enrolment import Notification, resume_due
from bot.services.events import prune_events
from bot.services.outside_feedback import expire_requests
from bot.services.pair_state import PairingPauseChange, resume_due_pairings
from bot.views.enrolment import build_notification
from bot.views.outside_feedback import build_expired_dm
from bot.views.pair_state import build_partner_pairing_paused
from scheduler import outbox
from scheduler.outbox import Planned
from scheduler.rules import working_hours
from scheduler.timing import WorkingHours, next_working_moment
from storage.enums import ParticipantStatus, ProgramStatus
from storage.models import Pairing, Participant, Program, SlackUser

log = logging.getLogger(__name__)


def prune_processed_events(deps: Deps) -> None:
    """Forget Slack event ids old enough that Slack can no longer redeliver them."""
    with deps.session() as session:
        removed = prune_events(session=session, now=deps.now())
    if removed:
        log.info("pruned processed event ids", extra={"removed": removed})


def resume_paused_participants(deps: Deps) -> None:
    """Bring back everyone whose pause has ended; the welcome-backs go through the outbox.

    Resuming and enqueueing share one unit of work: a crash loses neither, and the outbox's
    dedupe keys mean no one is welcomed back twice.
    """
    now = deps.now()
    with deps.session() as session:
        notifications = resume_due(session=session, now=now)
        planned = [
            Planned(
                team_id=program.team_id,
                dedupe_key=(
                    f"resume:{n.program_id}:{n.about_user_id}:{n.recipient_id}:{n.kind.value}:"
                    f"{n.until or now.date()}"
                ),
                rule="pause_ended",
                recipient_id=n.recipient_id,
                payload=build_notification(n),
                # Welcome-backs wait for the person's working hours, like every prompt.
                due_at=next_working_moment(hours, now) or now,
                program_id=n.program_id,
            )
            for n, program, hours in _addressed(session, notifications)
        ]
        planned += _pairings_back(session, resume_due_pairings(session=session, now=now), now)
        enqueued = outbox.enqueue(session, planned, now=now)
    if enqueued:
        log.info("resumed paused participants", extra={"notified": enqueued})


def _pairings_back(
    session: Session, changes: list[PairingPauseChange], now: datetime
) -> list[Planned]:
    """Tell both people that a pairing paused on its own runs again."""
    planned = []
    for change in changes:
        pairing = session.get(Pairing, change.pairing_id)
        if pairing is None:
            continue
        for user_id in (change.mentor_user_id, change.mentee_user_id):
            planned.append(
                Planned(
                    team_id=pairing.team_id,
                    dedupe_key=f"pairing_resumed:{change.pairing_id}:{user_id}:{now.date()}",
                    rule="pause_ended",
                    recipient_id=user_id,
                    payload=build_partner_pairing_paused(change, recipient=user_id),
                    due_at=now,
                    program_id=pairing.program_id,
                    pairing_id=change.pairing_id,
                )
            )
    return planned


def _addressed(
    session: Session, notifications: list[Notification]
) -> list[tuple[Notification, Program, WorkingHours]]:
    """Each notification with its program and its recipient's working hours (two queries)."""
    if not notifications:
        return []
    program_ids = {n.program_id for n in notifications}
    programs = {
        p.id: p for p in session.exec(select(Program).where(col(Program.id).in_(program_ids)))
    }
    people = {
        (p.program_id, p.user_id): working_hours(p)
        for p in session.exec(
            select(Participant).where(
                col(Participant.program_id).in_(program_ids),
                col(Participant.user_id).in_({n.recipient_id for n in notifications}),
            )
        )
    }
    return [
        (n, programs[n.program_id], people.get((n.program_id, n.recipient_id), WorkingHours()))
        for n in dict.fromkeys(notifications)
    ]


TIMEZONE_REFRESH_BATCH = 100


def refresh_timezones(deps: Deps) -> None:
    """Keep participants' timezones in step with Slack (people travel and move).

    Asks ``users.info`` only for people whose cached record is a day old, a batch per run, so
    the prompts follow a move within a day without spending the method's rate limit.
    """
    now = deps.now()
    with deps.session() as session:
        stale = session.exec(
            select(Participant.team_id, Participant.user_id)
            .join(Program, col(Program.id) == col(Participant.program_id))
            .outerjoin(
                SlackUser,
                (col(SlackUser.team_id) == col(Participant.team_id))
                & (col(SlackUser.user_id) == col(Participant.user_id)),
            )
            .where(
                col(Program.status).in_(
                    [ProgramStatus.ENROLLING.value, ProgramStatus.ACTIVE.value]
                ),
                col(Participant.status) != ParticipantStatus.LEFT.value,
                or_(col(SlackUser.id).is_(None), col(SlackUser.refreshed_at) < now - CACHE_TTL),
            )
            .distinct()
            .limit(TIMEZONE_REFRESH_BATCH)
        ).all()
    moved = 0
    for team_id, user_id in stale:
        try:
            # Slack is asked outside the unit of work: a slow answer must not hold the database.
            tz = deps.directory.person(team_id=team_id, user_id=user_id).tz
        except (UserError, SlackCallError) as exc:
            log.info("timezone not refreshed", extra={"user_id": user_id, "error": str(exc)})
            continue
        with deps.session() as session:
            moved += _set_timezone(session, team_id=team_id, user_id=user_id, tz=tz)
    if moved:
        log.info("timezones refreshed", extra={"changed": moved})


def _set_timezone(session: Session, *, team_id: str, user_id: str, tz: str) -> int:
    result = session.execute(
        update(Participant)
        .where(
            col(Participant.team_id) == team_id,
            col(Participant.user_id) == user_id,
            col(Participant.timezone) != tz,
        )
        .values(timezone=tz)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def expire_outside_feedback(deps: Deps) -> None:
    """Close outside-feedback requests unanswered for 14 days; each mentee hears via the outbox.

    Expiring and enqueueing share one unit of work, and the dedupe key names the request, so a
    crash or a second process never loses or doubles the notice.
    """
    now = deps.now()
    with deps.session() as session:
        expired = expire_requests(session, now=now)
        planned = [
            Planned(
                team_id=r.team_id,
                dedupe_key=f"outside_feedback_expired:{r.id}",
                rule="outside_feedback_expired",
                recipient_id=r.requester_user_id,
                payload=build_expired_dm(r),
                due_at=now,
                program_id=r.program_id or None,
                pairing_id=r.pairing_id,
            )
            for r in expired
        ]
        enqueued = outbox.enqueue(session, planned, now=now)
    if expired:
        log.info("outside feedback expired", extra={"expired": len(expired), "told": enqueued})


# Every housekeeping job, with how often the running bot runs it (``tick`` runs each once).
HOUSEKEEPING: tuple[tuple[Callable[[Deps], None], timedelta], ...] = (
    (prune_processed_events, timedelta(hours=1)),
    (resume_paused_participants, timedelta(minutes=15)),
    (refresh_timezones, timedelta(hours=1)),
    (expire_outside_feedback, timedelta(hours=1)),
)
