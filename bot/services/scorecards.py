"""Post-session scorecards: the mentee rates each session 1 to 10 on three dimensions.

Low scores that repeat (below 6 in two of the last three sessions) are raised with the mentee
before they become a pattern, as a suggested agenda item for the next session.

Why a suggestion is never repeated for the same window, without a new column: suggestions are
only made at the moment a scorecard becomes complete, and that moment is claimed once with a
conditional UPDATE (``completed_at IS NULL``), so each (latest scorecard, dimension) is suggested at
most once. A dimension that is already on the agenda (an uncovered ``SCORECARD`` item) is not
suggested again, and "Add to agenda" adds nothing when such an item exists, so a double click or a
second suggestion cannot duplicate it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Select, bindparam, case, func, update
from sqlalchemy import select as sql_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.errors import FieldErrors, Forbidden, NotFound, UserError
from bot.ids import BlockId
from bot.services.agenda import add_agenda_items, next_meeting
from storage.enums import AgendaSource, MeetingStatus, PairingStatus
from storage.models import AgendaItem, Meeting, Pairing, Scorecard
from storage.sql import insert_new

DIMENSIONS = ("clarity", "energy", "confidence")
LABELS = {
    "clarity": "Clarity of direction",
    "energy": "Energy after the session",
    "confidence": "Confidence in the next step",
}
SCORE_MIN, SCORE_MAX = 1, 10
LOW_BELOW = 6
LOW_WINDOW = 3
LOW_COUNT = 2
TREND_WINDOW = 3
COMMENT_MAX = 1000
# Pairings that can still receive a scorecard prompt.
PROMPTABLE = (PairingStatus.ACTIVE, PairingStatus.PAUSED, PairingStatus.ENDED)
# The agenda item each dimension becomes: neutral, specific, and recognisable by its start.
AGENDA_TEXT = {
    "clarity": (
        "Clarity of direction after our sessions has been below 6 in {low} of the last {of}: "
        "what would make the next steps clearer?"
    ),
    "energy": (
        "Energy after our sessions has been below 6 in {low} of the last {of}: "
        "what would make our sessions more energising?"
    ),
    "confidence": (
        "Confidence in the next step has been below 6 in {low} of the last {of}: "
        "what would make the next step feel doable?"
    ),
}


@dataclass(frozen=True, slots=True)
class ScorecardView:
    """One scorecard as its DM shows it."""

    scorecard_id: int
    pairing_id: int
    meeting_id: int
    mentee_user_id: str
    mentor_user_id: str
    session_start: datetime | None
    scores: dict[str, int | None]
    comment: str
    complete: bool


@dataclass(frozen=True, slots=True)
class RatingResult:
    """What a tap did: the scorecard now, and the low-score suggestions its completion raised."""

    scorecard: ScorecardView
    just_completed: bool
    suggestions: list["LowScoreSuggestion"]


@dataclass(frozen=True, slots=True)
class LowScoreSuggestion:
    """A dimension rated below 6 in two of the pair's last three sessions."""

    scorecard_id: int
    dimension: str
    low: int
    of: int


@dataclass(frozen=True, slots=True)
class AgendaAdded:
    """The result of adding an item to the pair's agenda."""

    item_id: int | None
    meeting_id: int | None
    meeting_start: datetime | None
    created: bool


@dataclass(frozen=True, slots=True)
class ScoreTrend:
    """A pairing's scorecard averages per dimension: the latest three against the three before."""

    scorecards: int
    latest: dict[str, float | None]
    previous: dict[str, float | None]

    def change(self, dimension: str) -> float | None:
        """Latest minus previous average, when both exist."""
        latest, previous = self.latest.get(dimension), self.previous.get(dimension)
        return None if latest is None or previous is None else round(latest - previous, 2)

    @property
    def latest_overall(self) -> float | None:
        """The mean of the latest dimension averages."""
        values = [v for v in self.latest.values() if v is not None]
        return round(sum(values) / len(values), 2) if values else None


# --- the prompt -------------------------------------------------------------------------------


def ensure_scorecard(
    session: Session, *, team_id: str, meeting_id: int, now: datetime
) -> tuple[Scorecard | None, bool]:
    """The meeting's scorecard, created if missing; (None, False) when no prompt is due.

    The boolean says whether this call created it: only the creator sends the prompt, so calling
    twice (or from two processes at once, thanks to the unique constraint) never sends twice.
    """
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.team_id != team_id or not _rateable(meeting, now):
        return None, False
    existing = _scorecard_of_meeting(session, meeting_id=meeting_id)
    if existing is not None:
        return existing, False
    pairing = session.get(Pairing, meeting.pairing_id)
    if pairing is None or pairing.status not in PROMPTABLE:
        return None, False
    row = Scorecard(
        team_id=team_id,
        pairing_id=meeting.pairing_id,
        meeting_id=meeting_id,
        mentee_user_id=pairing.mentee_user_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another process created it first: that one sends the prompt.
        return _scorecard_of_meeting(session, meeting_id=meeting_id), False
    return row, True


@dataclass(frozen=True, slots=True)
class ScorecardFor:
    """A session that is due a scorecard, with what its row and its message need."""

    team_id: str
    pairing_id: int
    meeting_id: int
    mentee_user_id: str
    mentor_user_id: str
    session_start: datetime


def ensure_scorecards(
    session: Session, sessions: Sequence[ScorecardFor], *, now: datetime
) -> list[ScorecardView]:
    """``ensure_scorecard`` for many sessions at once (planning, after downtime): one INSERT
    that skips meetings which have a card, one SELECT; the views of the cards still to fill in.

    The caller has checked the sessions are rateable and their pairings promptable.
    """
    if not sessions:
        return []
    table = Scorecard.__table__  # type: ignore[attr-defined]
    session.execute(
        insert_new(session, table, unique=["meeting_id"]),
        [
            {
                "team_id": s.team_id,
                "pairing_id": s.pairing_id,
                "meeting_id": s.meeting_id,
                "mentee_user_id": s.mentee_user_id,
                "comment": "",
                "created_at": now,
            }
            for s in sessions
        ],
    )
    wanted = {s.meeting_id: s for s in sessions}
    cards = session.exec(select(Scorecard).where(col(Scorecard.meeting_id).in_(list(wanted))))
    return [
        _view(
            card,
            mentor_user_id=wanted[card.meeting_id].mentor_user_id,
            session_start=wanted[card.meeting_id].session_start,
        )
        for card in cards
        if card.completed_at is None and card.team_id == wanted[card.meeting_id].team_id
    ]


def _rateable(meeting: Meeting, now: datetime) -> bool:
    """A held session, or a scheduled one whose end has passed (nobody logged it yet)."""
    if meeting.status is MeetingStatus.HELD:
        return True
    if meeting.status is not MeetingStatus.SCHEDULED or meeting.scheduled_start is None:
        return False
    return meeting.scheduled_start + timedelta(minutes=meeting.duration_minutes) <= now


def _scorecard_of_meeting(session: Session, *, meeting_id: int) -> Scorecard | None:
    return session.exec(select(Scorecard).where(Scorecard.meeting_id == meeting_id)).first()


def scorecard_view(session: Session, *, scorecard: Scorecard) -> ScorecardView:
    """The scorecard with what its message shows about the session."""
    meeting = session.get(Meeting, scorecard.meeting_id)
    pairing = session.get(Pairing, scorecard.pairing_id)
    assert pairing is not None
    return _view(
        scorecard,
        mentor_user_id=pairing.mentor_user_id,
        session_start=(meeting.held_at or meeting.scheduled_start) if meeting else None,
    )


def _view(
    scorecard: Scorecard, *, mentor_user_id: str, session_start: datetime | None
) -> ScorecardView:
    assert scorecard.id is not None
    return ScorecardView(
        scorecard_id=scorecard.id,
        pairing_id=scorecard.pairing_id,
        meeting_id=scorecard.meeting_id,
        mentee_user_id=scorecard.mentee_user_id,
        mentor_user_id=mentor_user_id,
        session_start=session_start,
        scores={d: getattr(scorecard, d) for d in DIMENSIONS},
        comment=scorecard.comment,
        complete=scorecard.completed_at is not None,
    )


def _own_scorecard(session: Session, *, team_id: str, user_id: str, scorecard_id: int) -> Scorecard:
    row = session.get(Scorecard, scorecard_id)
    if row is None or row.team_id != team_id:
        raise NotFound("That scorecard no longer exists.")
    if row.mentee_user_id != user_id:
        raise Forbidden(
            "Only the mentee rates their sessions, so this scorecard isn't yours to fill in."
        )
    return row


# --- ratings ----------------------------------------------------------------------------------


def rate_scorecard(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    scorecard_id: int,
    dimension: str,
    score: int,
    now: datetime,
) -> RatingResult:
    """Store one rating (a tap); the tap that completes the card checks for repeated low scores."""
    if dimension not in DIMENSIONS:
        raise UserError("That button is out of date.")
    if not SCORE_MIN <= score <= SCORE_MAX:
        raise UserError(f"Ratings go from {SCORE_MIN} to {SCORE_MAX}.")
    row = _own_scorecard(session, team_id=team_id, user_id=user_id, scorecard_id=scorecard_id)
    session.execute(
        update(Scorecard).where(col(Scorecard.id) == scorecard_id).values({dimension: score})
    )
    # Claimed once: only the update that flips completed_at from NULL sees a row.
    claimed = session.execute(
        update(Scorecard)
        .where(
            col(Scorecard.id) == scorecard_id,
            col(Scorecard.completed_at).is_(None),
            *(getattr(Scorecard, d).is_not(None) for d in DIMENSIONS),
        )
        .values(completed_at=now)
    )
    just_completed = bool(cast(CursorResult[Any], claimed).rowcount)
    session.refresh(row)
    suggestions: list[LowScoreSuggestion] = []
    if just_completed:
        suggestions = _suggestions(session, scorecard=row)
    return RatingResult(
        scorecard=scorecard_view(session, scorecard=row),
        just_completed=just_completed,
        suggestions=suggestions,
    )


def save_scorecard_comment(
    session: Session, *, team_id: str, user_id: str, scorecard_id: int, comment: str
) -> ScorecardView:
    """Store the mentee's optional comment (empty clears it)."""
    text = comment.strip()
    if len(text) > COMMENT_MAX:
        too_long = f"Keep it to {COMMENT_MAX} characters; this has {len(text)}."
        raise FieldErrors({BlockId.SCORECARD_COMMENT: too_long})
    row = _own_scorecard(session, team_id=team_id, user_id=user_id, scorecard_id=scorecard_id)
    row.comment = text
    session.add(row)
    session.flush()
    return scorecard_view(session, scorecard=row)


def own_scorecard_view(
    session: Session, *, team_id: str, user_id: str, scorecard_id: int
) -> ScorecardView:
    """The mentee's scorecard; anyone else is refused."""
    row = _own_scorecard(session, team_id=team_id, user_id=user_id, scorecard_id=scorecard_id)
    return scorecard_view(session, scorecard=row)


# --- the low-score rule -----------------------------------------------------------------------


def _last_completed(session: Session, *, pairing_id: int, limit: int) -> list[Scorecard]:
    return list(
        session.exec(
            select(Scorecard)
            .join(Meeting, col(Meeting.id) == col(Scorecard.meeting_id))
            .where(Scorecard.pairing_id == pairing_id, col(Scorecard.completed_at).is_not(None))
            .order_by(
                func.coalesce(
                    col(Meeting.held_at), col(Meeting.scheduled_start), col(Scorecard.created_at)
                ).desc(),
                col(Scorecard.id).desc(),
            )
            .limit(limit)
        ).all()
    )


def _low_counts(rows: Sequence[Scorecard]) -> dict[str, int]:
    return {
        d: sum(1 for r in rows if (s := getattr(r, d)) is not None and s < LOW_BELOW)
        for d in DIMENSIONS
    }


def low_score_dimensions(session: Session, *, pairing_id: int) -> list[str]:
    """Dimensions rated below 6 in at least two of the pair's last three completed scorecards."""
    rows = _last_completed(session, pairing_id=pairing_id, limit=LOW_WINDOW)
    return [d for d, low in _low_counts(rows).items() if low >= LOW_COUNT]


def _suggestions(session: Session, *, scorecard: Scorecard) -> list[LowScoreSuggestion]:
    rows = _last_completed(session, pairing_id=scorecard.pairing_id, limit=LOW_WINDOW)
    if not rows or rows[0].id != scorecard.id:
        return []  # a late rating of an older session: the latest window is not this one's
    assert scorecard.id is not None
    on_agenda = _open_scorecard_items(session, pairing_id=scorecard.pairing_id)
    return [
        LowScoreSuggestion(scorecard_id=scorecard.id, dimension=d, low=low, of=len(rows))
        for d, low in _low_counts(rows).items()
        if low >= LOW_COUNT and d not in on_agenda
    ]


def _open_scorecard_items(session: Session, *, pairing_id: int) -> set[str]:
    texts = session.exec(
        select(AgendaItem.text).where(
            AgendaItem.pairing_id == pairing_id,
            AgendaItem.source == AgendaSource.SCORECARD,
            col(AgendaItem.covered).is_(False),
        )
    ).all()
    return {d for d in DIMENSIONS for text in texts if text.startswith(_agenda_prefix(d))}


def _agenda_prefix(dimension: str) -> str:
    return AGENDA_TEXT[dimension].split("{", 1)[0]


def suggestion_for(
    session: Session, *, team_id: str, user_id: str, scorecard_id: int, dimension: str
) -> LowScoreSuggestion:
    """Re-check a suggestion's button: the mentee's own card, a known dimension, still low."""
    if dimension not in DIMENSIONS:
        raise UserError("That button is out of date.")
    row = _own_scorecard(session, team_id=team_id, user_id=user_id, scorecard_id=scorecard_id)
    rows = _last_completed(session, pairing_id=row.pairing_id, limit=LOW_WINDOW)
    return LowScoreSuggestion(
        scorecard_id=scorecard_id,
        dimension=dimension,
        low=_low_counts(rows)[dimension],
        of=len(rows),
    )


def raise_low_score(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    scorecard_id: int,
    dimension: str,
    low: int,
    of: int,
    now: datetime,
) -> AgendaAdded:
    """The mentee agreed: put the low dimension on the agenda of the pair's next session.

    ``low`` of ``of`` are the counts the suggestion was made with (newer ratings may have changed
    them since); they are kept within what the rule can have said.
    """
    suggestion_for(
        session, team_id=team_id, user_id=user_id, scorecard_id=scorecard_id, dimension=dimension
    )
    row = session.get(Scorecard, scorecard_id)
    assert row is not None
    pairing = session.get(Pairing, row.pairing_id)
    assert pairing is not None
    low = min(max(low, LOW_COUNT), LOW_WINDOW)
    text = AGENDA_TEXT[dimension].format(low=low, of=min(max(of, low), LOW_WINDOW))
    existing = session.exec(
        select(AgendaItem).where(
            AgendaItem.pairing_id == row.pairing_id,
            AgendaItem.source == AgendaSource.SCORECARD,
            col(AgendaItem.covered).is_(False),
            col(AgendaItem.text).startswith(_agenda_prefix(dimension)),
        )
    ).first()
    if existing is not None:
        meeting = session.get(Meeting, existing.meeting_id) if existing.meeting_id else None
        return AgendaAdded(
            item_id=existing.id,
            meeting_id=existing.meeting_id,
            meeting_start=meeting.scheduled_start if meeting else None,
            created=False,
        )
    added = add_pair_agenda_items(
        session,
        pairing=pairing,
        texts=[text],
        source=AgendaSource.SCORECARD,
        added_by=user_id,
        now=now,
    )
    if added:
        return added[0]
    # The very same sentence is on the agenda already (the agenda skips duplicates).
    meeting = next_meeting(session, pairing=pairing, now=now)
    return AgendaAdded(
        item_id=None,
        meeting_id=meeting.id if meeting else None,
        meeting_start=meeting.scheduled_start if meeting else None,
        created=False,
    )


# --- agenda items ------------------------------------------------------------------------------


def add_pair_agenda_items(
    session: Session,
    *,
    pairing: Pairing,
    texts: Sequence[str],
    source: AgendaSource,
    added_by: str,
    now: datetime,
) -> list[AgendaAdded]:
    """Append items to the agenda of the pair's next scheduled session (or the open agenda)."""
    meeting = next_meeting(session, pairing=pairing, now=now)
    rows = add_agenda_items(
        session,
        pairing=pairing,
        meeting_id=meeting.id if meeting else None,
        items=texts,
        source=source,
        author_user_id=added_by,
        now=now,
    )
    return [
        AgendaAdded(
            item_id=row.id,
            meeting_id=row.meeting_id,
            meeting_start=meeting.scheduled_start if meeting else None,
            created=True,
        )
        for row in rows
    ]


# --- trends for the Home tab and the digest ---------------------------------------------------


def _trends_query() -> Select[Any]:
    """Per pairing, the averages of its latest and previous completed scorecards (built once:
    building it took longer than SQLite ran it)."""
    meeting_time = func.coalesce(
        col(Meeting.held_at), col(Meeting.scheduled_start), col(Scorecard.created_at)
    )
    ranked = (
        sql_select(
            col(Scorecard.pairing_id).label("pairing_id"),
            col(Scorecard.clarity).label("clarity"),
            col(Scorecard.energy).label("energy"),
            col(Scorecard.confidence).label("confidence"),
            func.row_number()
            .over(
                partition_by=col(Scorecard.pairing_id),
                order_by=(meeting_time.desc(), col(Scorecard.id).desc()),
            )
            .label("rank"),
            func.count().over(partition_by=col(Scorecard.pairing_id)).label("total"),
        )
        .join(Meeting, col(Meeting.id) == col(Scorecard.meeting_id))
        .where(
            col(Scorecard.pairing_id).in_(bindparam("ids", expanding=True)),
            col(Scorecard.completed_at).is_not(None),
        )
        .subquery()
    )
    latest_window = ranked.c.rank <= TREND_WINDOW
    previous_window = ranked.c.rank > TREND_WINDOW
    columns = [ranked.c.pairing_id, func.max(ranked.c.total)]
    for d in DIMENSIONS:
        columns.append(func.avg(case((latest_window, ranked.c[d]))))
        columns.append(func.avg(case((previous_window, ranked.c[d]))))
    return (
        sql_select(*columns).where(ranked.c.rank <= 2 * TREND_WINDOW).group_by(ranked.c.pairing_id)
    )


_TRENDS = _trends_query()


def scorecard_trends(session: Session, *, pairing_ids: Sequence[int]) -> dict[int, ScoreTrend]:
    """Per pairing: the average of the latest three completed scorecards and of the three before."""
    if not pairing_ids:
        return {}
    rows = session.execute(_TRENDS, {"ids": list(pairing_ids)}).all()
    trends: dict[int, ScoreTrend] = {}
    for row in rows:
        pairing_id, count, *averages = row
        latest = {d: _round(averages[2 * i]) for i, d in enumerate(DIMENSIONS)}
        previous = {d: _round(averages[2 * i + 1]) for i, d in enumerate(DIMENSIONS)}
        trends[int(pairing_id)] = ScoreTrend(
            scorecards=int(count), latest=latest, previous=previous
        )
    return trends


def _round(value: object) -> float | None:
    return None if value is None else round(float(str(value)), 2)
