"""Structured feedback after a session, always in three parts, private to the pair.

What went well, what specifically needs to change, one concrete next action: each part is required,
because feedback without the middle part is praise, and without the last one it changes nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from bot.errors import FieldErrors, NotFound, UserError
from bot.ids import BlockId
from bot.services.access import pairing_for, partner_of
from storage.enums import MeetingStatus
from storage.models import Feedback, Meeting, Pairing

PART_MIN = 10
PART_MAX = 1000

# "Needs to change" answers that say nothing: the digest counts them as avoided hard feedback.
# Compared after lower-casing and trimming spaces and final punctuation (the same in SQL).
TRIVIAL_CHANGES = frozenset(
    {
        "",
        "-",
        "n/a",
        "na",
        "none",
        "nothing",
        "nothing really",
        "nothing much",
        "nothing at all",
        "nothing for now",
        "nothing specific",
        "nothing to change",
        "nothing needs to change",
        "nothing needs changing",
        "nothing comes to mind",
        "nothing i can think of",
        "nothing, all good",
        "nothing, keep it up",
        "nothing really, all good",
        "no changes",
        "no change",
        "no changes needed",
        "no complaints",
        "no notes",
        "not much",
        "not really",
        "all good",
        "all good really",
        "all good, nothing",
        "keep it up",
        "keep going",
        "keep doing what you do",
        "everything was fine",
        "everything was great",
        "everything is fine",
        "everything was good",
        "it was all good",
        "it was perfect",
        "perfect as is",
        "all fine",
    }
)
_TRAILING = ".!?… "


@dataclass(frozen=True, slots=True)
class FeedbackForm:
    """The three parts as typed in the modal."""

    went_well: str
    needs_change: str
    next_action: str


@dataclass(frozen=True, slots=True)
class FeedbackTarget:
    """What a feedback modal is about: the pair, the session (if any) and earlier answers."""

    pairing_id: int
    meeting_id: int | None
    partner_user_id: str
    session_start: datetime | None
    existing: FeedbackForm | None


@dataclass(frozen=True, slots=True)
class SavedFeedback:
    """Feedback as stored, with who it is for."""

    feedback_id: int
    pairing_id: int
    meeting_id: int | None
    from_user_id: str
    to_user_id: str
    form: FeedbackForm
    session_start: datetime | None
    edited: bool


@dataclass(frozen=True, slots=True)
class FeedbackStats:
    """A pairing's feedback counts: how many, and how many named something to change."""

    count: int
    with_needs_change: int

    @property
    def without_needs_change(self) -> int:
        """Feedback that skipped the hard part."""
        return self.count - self.with_needs_change


def is_trivial_change(text: str) -> bool:
    """Whether a "needs to change" answer says nothing (e.g. "nothing really, all good!")."""
    return _normal(text) in TRIVIAL_CHANGES


def _normal(text: str) -> str:
    return text.strip().lower().rstrip(_TRAILING)


def validate_feedback(form: FeedbackForm) -> FeedbackForm:
    """Check the three parts at once; raise FieldErrors by block_id, or return them trimmed."""
    parts = {
        BlockId.FEEDBACK_WENT_WELL: (
            form.went_well.strip(),
            "Say what went well: it tells your partner what to keep doing.",
        ),
        BlockId.FEEDBACK_NEEDS_CHANGE: (
            form.needs_change.strip(),
            "Say what specifically needs to change: it's the part people skip, and the one "
            "that helps most.",
        ),
        BlockId.FEEDBACK_NEXT_ACTION: (
            form.next_action.strip(),
            "Name one concrete next action: it turns the feedback into progress.",
        ),
    }
    errors: dict[str, str] = {}
    for block_id, (text, missing) in parts.items():
        if not text:
            errors[block_id] = missing
        elif len(text) < PART_MIN:
            errors[block_id] = (
                f"Add a little more (at least {PART_MIN} characters): a specific example "
                "makes it useful."
            )
        elif len(text) > PART_MAX:
            errors[block_id] = f"Keep it to {PART_MAX} characters; this has {len(text)}."
    if errors:
        raise FieldErrors(errors)
    return FeedbackForm(*(text for text, _ in parts.values()))


def _meeting_of(session: Session, *, pairing: Pairing, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.team_id != pairing.team_id or meeting.pairing_id != pairing.id:
        raise NotFound("That session no longer exists.")
    if meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.MOVED):
        raise UserError("That session didn't take place, so there's nothing to give feedback on.")
    return meeting


def _pairing_of_meeting(
    session: Session, *, team_id: str, user_id: str, meeting_id: int
) -> Pairing:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.team_id != team_id:
        raise NotFound("That session no longer exists.")
    return pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=meeting.pairing_id)


def last_held_meeting(session: Session, *, pairing: Pairing) -> Meeting | None:
    """The pair's most recent held session."""
    return session.exec(
        select(Meeting)
        .where(
            Meeting.team_id == pairing.team_id,
            Meeting.pairing_id == pairing.id,
            Meeting.status == MeetingStatus.HELD,
        )
        .order_by(
            func.coalesce(col(Meeting.held_at), col(Meeting.scheduled_start)).desc(),
            col(Meeting.id).desc(),
        )
    ).first()


def _own_feedback(
    session: Session, *, pairing_id: int, meeting_id: int, user_id: str
) -> Feedback | None:
    return session.exec(
        select(Feedback)
        .where(
            Feedback.pairing_id == pairing_id,
            Feedback.meeting_id == meeting_id,
            Feedback.from_user_id == user_id,
        )
        .order_by(col(Feedback.id))
    ).first()


def feedback_target(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    pairing_id: int | None = None,
    meeting_id: int | None = None,
) -> FeedbackTarget:
    """What feedback would be about: a given meeting, or the pairing's last held one (or none)."""
    if meeting_id is not None:
        pairing = _pairing_of_meeting(
            session, team_id=team_id, user_id=user_id, meeting_id=meeting_id
        )
        meeting: Meeting | None = _meeting_of(session, pairing=pairing, meeting_id=meeting_id)
    elif pairing_id is not None:
        pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
        meeting = last_held_meeting(session, pairing=pairing)
    else:
        raise ValueError("feedback needs a pairing or a meeting")
    assert pairing.id is not None
    existing = None
    if meeting is not None and meeting.id is not None:
        row = _own_feedback(session, pairing_id=pairing.id, meeting_id=meeting.id, user_id=user_id)
        if row is not None:
            existing = FeedbackForm(row.went_well, row.needs_change, row.next_action)
    return FeedbackTarget(
        pairing_id=pairing.id,
        meeting_id=meeting.id if meeting else None,
        partner_user_id=partner_of(pairing, user_id),
        session_start=_session_start(meeting),
        existing=existing,
    )


def _session_start(meeting: Meeting | None) -> datetime | None:
    return (meeting.held_at or meeting.scheduled_start) if meeting else None


def save_feedback(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    pairing_id: int,
    meeting_id: int | None,
    form: FeedbackForm,
    now: datetime,
) -> SavedFeedback:
    """Validate and store feedback; a second submission on the same session edits the first."""
    clean = validate_feedback(form)
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    meeting = _meeting_of(session, pairing=pairing, meeting_id=meeting_id) if meeting_id else None
    row = (
        _own_feedback(session, pairing_id=pairing_id, meeting_id=meeting_id, user_id=user_id)
        if meeting_id is not None
        else None
    )
    edited = row is not None
    if row is None:
        row = Feedback(
            team_id=team_id,
            pairing_id=pairing_id,
            meeting_id=meeting_id,
            from_user_id=user_id,
            created_at=now,
        )
    row.went_well, row.needs_change, row.next_action = (
        clean.went_well,
        clean.needs_change,
        clean.next_action,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return SavedFeedback(
        feedback_id=row.id,
        pairing_id=pairing_id,
        meeting_id=meeting_id,
        from_user_id=user_id,
        to_user_id=partner_of(pairing, user_id),
        form=clean,
        session_start=_session_start(meeting),
        edited=edited,
    )


def feedback_stats(session: Session, *, pairing_ids: Sequence[int]) -> dict[int, FeedbackStats]:
    """Per pairing: feedback given, and how many named something to change (one grouped query)."""
    if not pairing_ids:
        return {}
    normal = func.rtrim(func.lower(func.trim(col(Feedback.needs_change))), _TRAILING)
    substantive = case((normal.in_(sorted(TRIVIAL_CHANGES)), 0), else_=1)
    rows = session.exec(
        select(col(Feedback.pairing_id), func.count(), func.sum(substantive))
        .where(col(Feedback.pairing_id).in_(list(pairing_ids)))
        .group_by(col(Feedback.pairing_id))
    ).all()
    return {
        pairing_id: FeedbackStats(count=int(count), with_needs_change=int(with_change or 0))
        for pairing_id, count, with_change in rows
    }
