"""What several surfaces share: rights checks, the actor's day, and messages to other people."""

import uuid
from datetime import date, timedelta
from typing import Any

from bot.services.enrolment import local_today
from bot.services.leads import (
    is_program_lead,
    led_program_ids,
    require_lead,
    require_may_create_program,
)
from handlers.listeners import Interaction, Submission
from scheduler.outbox import Planned
from storage.models import Program


def check_lead(i: Interaction, program: Program, *, action: str) -> None:
    """Refuse unless the actor leads ``program`` or is a workspace admin right now.

    A program's leads are in the database; admin rights are asked of Slack each time (outside
    any unit of work), so a demoted admin stops being a lead at once.
    """
    with i.deps.read() as session:
        if is_program_lead(session, program=program, user_id=i.user_id):
            return
    is_admin = _is_admin(i)
    with i.deps.read() as session:
        require_lead(session, program=program, user_id=i.user_id, is_admin=is_admin, action=action)


# A form is submitted soon after the click that opened it asked Slack; an answer older than this
# (a form left open, or one forged long after) is asked again.
SUBMISSION_RIGHTS_AGE = timedelta(minutes=30)


def _is_admin(i: Interaction) -> bool:
    # A submission's ack should not wait on Slack: it takes the rights its modal's opening checked,
    # while they are recent.
    fresh = SUBMISSION_RIGHTS_AGE if isinstance(i, Submission) else timedelta(0)
    return i.deps.directory.is_admin(team_id=i.team_id, user_id=i.user_id, max_age=fresh)


def check_may_create_program(i: Interaction) -> None:
    """Refuse unless the actor is a workspace admin (asked of Slack) or already leads a program."""
    with i.deps.read() as session:
        if led_program_ids(session, team_id=i.team_id, user_id=i.user_id):
            return
    is_admin = _is_admin(i)
    with i.deps.read() as session:
        require_may_create_program(session, team_id=i.team_id, user_id=i.user_id, is_admin=is_admin)


def today(i: Interaction) -> date:
    """Today in the actor's own timezone."""
    return local_today(i.tz(), i.now())


def message_to(
    i: Interaction,
    *,
    to: str,
    rule: str,
    message: dict[str, Any],
    what: str,
    pairing_id: int | None = None,
    program_id: int | None = None,
    members: tuple[str, ...] = (),
    conversation_of: tuple[int, ...] = (),
    key: str | None = None,
) -> Planned:
    """A message from the actor to ``to`` (a person, or a channel id) through the outbox, due
    now; ``what`` says what it is ("your feedback") if the actor must hear it did not arrive.

    ``key`` names a message that must go once whatever happens (an introduction per pairing);
    without it the message is one of its kind, queued once by the unit of work that made it.
    """
    return Planned(
        team_id=i.team_id,
        dedupe_key=key or f"{rule}:{uuid.uuid4().hex}",
        rule=rule,
        recipient_id=to,
        channel_id=to if to[:1] in ("C", "G") else None,
        payload=message,
        due_at=i.now(),
        program_id=program_id,
        pairing_id=pairing_id,
        sender_id=i.user_id,
        what=what,
        members=members,
        conversation_of=conversation_of,
    )
