"""A lead ends a pairing that does not work, so the mentee can be matched again.

The pairing ends with the lead's reason; the mentee goes back on the program's unmatched list
(an open UNMATCHED flag, the same one a mentee's own re-match request raises), so the next
matching round proposes someone new for them, never their old mentor (matching skips past
pairs). Sessions the pair had booked are called off. No Slack here: the caller queues the
messages to both people through the outbox in the same unit of work.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.errors import NotFound, UserError
from storage.enums import FlagKind, MeetingStatus, PairingStatus, ParticipantStatus
from storage.models import Flag, Meeting, Pairing, Participant, Program

# Why a lead ends a pairing for a re-match: the key travels in the form, the label is stored.
REASONS = {
    "fit": "not a good fit for each other",
    "time": "they can't find time to meet",
    "mentor": "the mentor can't continue",
    "needs": "the mentee's needs have changed",
    "reach": "one of them can't be reached",
    "other": "another reason",
}
END_REASON = "ended by a lead for a re-match: {reason}"
# Pairings a lead can end this way: running or paused ones.
ENDABLE = (PairingStatus.ACTIVE, PairingStatus.PAUSED)


@dataclass(frozen=True, slots=True)
class Rematch:
    """What ending the pairing did, for the messages to both and what the lead hears next."""

    pairing_id: int
    program_id: int
    program_name: str
    mentor_user_id: str
    mentee_user_id: str
    reason: str
    # The mentee's pause ends on this day: they join the first matching round after it.
    mentee_paused_until: datetime | None
    # The mentee left the program meanwhile: there is nobody to match again.
    mentee_left: bool
    # Mentees of the program now waiting for a match, this one included.
    waiting: int
    # The first session the pair had booked, now called off (None if none was).
    cancelled_session: datetime | None


def rematch_pairing(
    session: Session,
    *,
    program: Program,
    pairing_id: int,
    reason: str,
    lead_user_id: str,
    now: datetime,
) -> Rematch:
    """End the pairing for ``reason`` (a ``REASONS`` key) and put its mentee back in the queue."""
    if reason not in REASONS:
        raise UserError("Pick why the pairing is ending.")
    # Locked: two leads (or two clicks) ending it at once end it once.
    pairing = session.exec(
        select(Pairing)
        .where(
            Pairing.id == pairing_id,
            Pairing.team_id == program.team_id,
            Pairing.program_id == program.id,
        )
        .with_for_update()
    ).first()
    if pairing is None:
        raise NotFound("That pairing no longer exists.")
    if pairing.status not in ENDABLE:
        raise UserError(
            f"<@{pairing.mentor_user_id}> and <@{pairing.mentee_user_id}> are no longer paired "
            f"(the pairing is {pairing.status.value}): nothing to re-match."
        )
    pairing.status = PairingStatus.ENDED
    pairing.ended_at = now
    pairing.paused_until = None
    pairing.end_reason = END_REASON.format(reason=REASONS[reason])[:255]
    session.add(pairing)
    cancelled = _call_off_sessions(session, pairing_id=pairing_id, now=now)
    mentee = session.get(Participant, pairing.mentee_id)
    left = mentee is None or mentee.status is ParticipantStatus.LEFT
    if mentee is not None and not left:
        _back_in_queue(session, program=program, mentee=mentee, pairing_id=pairing_id, now=now)
    session.flush()
    return Rematch(
        pairing_id=pairing_id,
        program_id=program.id or 0,
        program_name=program.name,
        mentor_user_id=pairing.mentor_user_id,
        mentee_user_id=pairing.mentee_user_id,
        reason=REASONS[reason],
        mentee_paused_until=(
            mentee.paused_until
            if mentee is not None and mentee.status is ParticipantStatus.PAUSED
            else None
        ),
        mentee_left=left,
        waiting=_waiting(session, program=program),
        cancelled_session=cancelled,
    )


def _call_off_sessions(session: Session, *, pairing_id: int, now: datetime) -> datetime | None:
    """Cancel the pair's sessions still to come; the first one's start, if any."""
    upcoming = session.exec(
        select(Meeting)
        .where(
            Meeting.pairing_id == pairing_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.scheduled_start) > now,
        )
        .order_by(col(Meeting.scheduled_start))
    ).all()
    for meeting in upcoming:
        meeting.status = MeetingStatus.CANCELLED
        meeting.cancelled_at = now
        meeting.cancel_reason = "the pairing ended"
        session.add(meeting)
    return upcoming[0].scheduled_start if upcoming else None


def _back_in_queue(
    session: Session, *, program: Program, mentee: Participant, pairing_id: int, now: datetime
) -> None:
    """One open UNMATCHED flag for the mentee: the Home tab, the digest and matching read it."""
    waiting = session.exec(
        select(Flag.id).where(
            Flag.team_id == program.team_id,
            Flag.program_id == program.id,
            Flag.participant_id == mentee.id,
            Flag.kind == FlagKind.UNMATCHED,
            col(Flag.resolved_at).is_(None),
        )
    ).first()
    if waiting is not None:
        return
    flag = Flag(
        team_id=program.team_id,
        program_id=program.id or 0,
        pairing_id=pairing_id,
        participant_id=mentee.id,
        kind=FlagKind.UNMATCHED,
        # The key of a mentee's own re-match request for this pairing: asking again later
        # finds it and is told a lead already knows.
        dedupe_key=f"rematch:{mentee.id}:{pairing_id}",
        detail="a lead ended the pairing for a re-match",
        raised_at=now,
    )
    try:
        with session.begin_nested():
            session.add(flag)
    except IntegrityError:
        # The same pairing was flagged before (its mentee asked): that flag stands for both.
        pass


def _waiting(session: Session, *, program: Program) -> int:
    """Mentees of the program waiting for a match (open UNMATCHED flags)."""
    return int(
        session.exec(
            select(func.count()).where(
                Flag.team_id == program.team_id,
                Flag.program_id == program.id,
                Flag.kind == FlagKind.UNMATCHED,
                col(Flag.resolved_at).is_(None),
            )
        ).one()
    )
