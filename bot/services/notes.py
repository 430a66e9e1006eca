"""The pair's shared notes and documents: one place, private to the two of them.

The running notes merge the pair's own dated entries with the notes logged with each held
session. Every lookup goes through ``pairing_for``: a lead or a third person is refused, and
nothing here is ever aggregated for leads. ``delete_pair_material`` removes it all on request.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BindParameter, bindparam, delete, update
from sqlmodel import Session, col, func, select

from bot.errors import FieldErrors, NotFound, UserError
from bot.ids import BlockId
from bot.services.access import OPEN_STATUSES, pairing_for
from bot.services.plans import TITLE_MAX, check_link
from bot.services.programs import get_program_by_id
from storage.enums import MeetingStatus
from storage.models import (
    Goal,
    LearningResource,
    Meeting,
    OutsideFeedbackRequest,
    PairDocument,
    Pairing,
    PairNote,
    PracticeTask,
)

NOTE_MAX = 2000
NOTES_PER_PAGE = 15
DOCUMENTS_SHOWN = 10


class EntryKind(StrEnum):
    """Where a running-notes entry comes from."""

    NOTE = "note"
    SESSION = "session"


class MaterialScope(StrEnum):
    """How much of a pair's material a deletion removes."""

    # The running notes (their own and each session's) and the document links.
    NOTES = "notes"
    # Also the learning plans and the mentee's outside feedback: all the pair's material.
    ALL = "all"


@dataclass(frozen=True, slots=True)
class NoteEntry:
    """One dated entry of the running notes."""

    kind: EntryKind
    entry_id: int
    author_user_id: str | None
    body: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PairNotes:
    """A page of the pair's running notes, newest first, and their documents."""

    pairing_id: int
    mentee_user_id: str
    mentor_user_id: str
    viewer_user_id: str
    program_name: str
    live: bool
    entries: list[NoteEntry]
    total_entries: int
    offset: int
    documents: list[PairDocument]
    total_documents: int

    @property
    def partner_user_id(self) -> str:
        """The viewer's partner."""
        return (
            self.mentor_user_id
            if self.viewer_user_id == self.mentee_user_id
            else self.mentee_user_id
        )


@dataclass(frozen=True, slots=True)
class NotesCount:
    """How much a pair keeps: running-notes entries and document links."""

    entries: int = 0
    documents: int = 0


@dataclass(frozen=True, slots=True)
class MaterialDeleted:
    """What a deletion removed, in numbers."""

    notes: int = 0
    session_notes: int = 0
    documents: int = 0
    resources: int = 0
    tasks: int = 0
    outside_feedback: int = 0


def _pk(row: Pairing) -> int:
    if row.id is None:
        raise ValueError("the pairing has not been saved")
    return row.id


def _when(meeting: Meeting) -> datetime:
    return meeting.held_at or meeting.scheduled_start or meeting.created_at


def _entries(session: Session, *, pairing: Pairing) -> list[NoteEntry]:
    notes = session.exec(
        select(PairNote).where(
            PairNote.team_id == pairing.team_id, PairNote.pairing_id == pairing.id
        )
    )
    meetings = session.exec(
        select(Meeting).where(
            Meeting.team_id == pairing.team_id,
            Meeting.pairing_id == pairing.id,
            col(Meeting.status) == MeetingStatus.HELD.value,
            col(Meeting.notes) != "",
        )
    )
    entries = [
        NoteEntry(EntryKind.NOTE, n.id or 0, n.author_user_id, n.body, n.created_at) for n in notes
    ] + [
        NoteEntry(EntryKind.SESSION, m.id or 0, m.logged_by, m.notes, _when(m))
        for m in meetings
        if m.notes.strip()
    ]
    return sorted(entries, key=lambda e: (e.at, e.kind is EntryKind.NOTE, e.entry_id), reverse=True)


def pair_notes(
    session: Session, *, team_id: str, user_id: str, pairing_id: int, offset: int = 0
) -> PairNotes:
    """A page of the pair's running notes and their documents, for someone in the pair."""
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    program = get_program_by_id(session, team_id=team_id, program_id=pairing.program_id)
    entries = _entries(session, pairing=pairing)
    start = max(0, min(offset, max(len(entries) - 1, 0)))
    start -= start % NOTES_PER_PAGE
    documents = list(
        session.exec(
            select(PairDocument)
            .where(PairDocument.team_id == team_id, PairDocument.pairing_id == pairing.id)
            .order_by(col(PairDocument.created_at).desc(), col(PairDocument.id).desc())
        )
    )
    return PairNotes(
        pairing_id=_pk(pairing),
        mentee_user_id=pairing.mentee_user_id,
        mentor_user_id=pairing.mentor_user_id,
        viewer_user_id=user_id,
        program_name=program.name,
        live=pairing.status in OPEN_STATUSES,
        entries=entries[start : start + NOTES_PER_PAGE],
        total_entries=len(entries),
        offset=start,
        documents=documents[:DOCUMENTS_SHOWN],
        total_documents=len(documents),
    )


# What the pair cards count, built once (their building took longer than SQLite ran them).
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_NOTES_PER_PAIR = (
    select(PairNote.pairing_id, func.count())
    .where(col(PairNote.pairing_id).in_(_IDS))
    .group_by(col(PairNote.pairing_id))
)
_NOTED_SESSIONS_PER_PAIR = (
    select(Meeting.pairing_id, func.count())
    .where(
        col(Meeting.pairing_id).in_(_IDS),
        col(Meeting.status) == MeetingStatus.HELD.value,
        col(Meeting.notes) != "",
    )
    .group_by(col(Meeting.pairing_id))
)
_DOCUMENTS_PER_PAIR = (
    select(PairDocument.pairing_id, func.count())
    .where(col(PairDocument.pairing_id).in_(_IDS))
    .group_by(col(PairDocument.pairing_id))
)


# The reads ``notes_counts`` makes (parameter ``ids``), for a caller that runs them with others.
NOTES_READS = {
    "notes": _NOTES_PER_PAIR,
    "noted_sessions": _NOTED_SESSIONS_PER_PAIR,
    "documents": _DOCUMENTS_PER_PAIR,
}


def notes_counts(session: Session, *, pairing_ids: Iterable[int]) -> dict[int, NotesCount]:
    """Entries and documents per pairing, for the pair cards (three grouped queries)."""
    ids = sorted(set(pairing_ids))
    if not ids:
        return {}
    rows = {
        name: list(session.exec(read, params={"ids": ids}).all())
        for name, read in NOTES_READS.items()
    }
    return notes_from(ids, rows)


def notes_from(
    ids: Iterable[int], rows: Mapping[str, Sequence[tuple[Any, ...]]]
) -> dict[int, NotesCount]:
    """``notes_counts`` from the rows of ``NOTES_READS``."""
    notes = dict(rows["notes"])
    held = dict(rows["noted_sessions"])
    documents = dict(rows["documents"])
    return {
        pid: NotesCount(
            entries=int(notes.get(pid, 0)) + int(held.get(pid, 0)),
            documents=int(documents.get(pid, 0)),
        )
        for pid in ids
    }


def _live(session: Session, *, team_id: str, user_id: str, pairing_id: int) -> Pairing:
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    if pairing.status not in OPEN_STATUSES:
        raise UserError("This mentoring pair has ended, so its notes can't be added to.")
    return pairing


def add_note(
    session: Session, *, team_id: str, user_id: str, pairing_id: int, body: str, now: datetime
) -> PairNote:
    """Add a dated entry to the pair's running notes; empty or overlong notes store nothing."""
    text = body.strip()
    if not text:
        raise FieldErrors({BlockId.NOTES_NEW: "Write something before you save the note."})
    if len(text) > NOTE_MAX:
        raise FieldErrors(
            {BlockId.NOTES_NEW: f"Keep a note to {NOTE_MAX} characters; it has {len(text)}."}
        )
    pairing = _live(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    note = PairNote(
        team_id=team_id, pairing_id=_pk(pairing), author_user_id=user_id, body=text, created_at=now
    )
    session.add(note)
    session.flush()
    return note


def add_document(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    pairing_id: int,
    title: str,
    url: str,
    now: datetime,
) -> PairDocument:
    """Keep a document link with the pair; a bad link or a missing title stores nothing."""
    errors: dict[str, str] = {}
    name = " ".join(title.split())
    if not name:
        errors[BlockId.NOTES_DOCUMENT_TITLE] = "Give the document a title."
    elif len(name) > TITLE_MAX:
        errors[BlockId.NOTES_DOCUMENT_TITLE] = (
            f"Keep the title to {TITLE_MAX} characters; it has {len(name)}."
        )
    link = url.strip()
    problem = check_link(link) if link else "Paste the document's link (http:// or https://)."
    if problem:
        errors[BlockId.NOTES_DOCUMENT_URL] = problem
    if errors:
        raise FieldErrors(errors)
    pairing = _live(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    document = PairDocument(
        team_id=team_id,
        pairing_id=_pk(pairing),
        title=name,
        url=link,
        added_by=user_id,
        created_at=now,
    )
    session.add(document)
    session.flush()
    return document


def remove_document(session: Session, *, team_id: str, user_id: str, document_id: int) -> int:
    """Take a document link off the pair's list; returns the pairing's id."""
    document = session.get(PairDocument, document_id)
    if document is None or document.team_id != team_id:
        raise NotFound("That document is no longer on your list.")
    _live(session, team_id=team_id, user_id=user_id, pairing_id=document.pairing_id)
    session.delete(document)
    session.flush()
    return document.pairing_id


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def delete_pair_material(
    session: Session, *, pairing: Pairing, scope: MaterialScope = MaterialScope.ALL
) -> MaterialDeleted:
    """Delete the pair's notes (their own and each session's) and documents; with ``ALL`` also
    their learning plans and outside feedback. Touches this pairing's rows only."""
    pid, team = _pk(pairing), pairing.team_id
    notes = _count(
        session.execute(
            delete(PairNote).where(col(PairNote.team_id) == team, col(PairNote.pairing_id) == pid)
        )
    )
    session_notes = _count(
        session.execute(
            update(Meeting)
            .where(col(Meeting.team_id) == team, col(Meeting.pairing_id) == pid)
            .where(col(Meeting.notes) != "")
            .values(notes="")
        )
    )
    documents = _count(
        session.execute(
            delete(PairDocument).where(
                col(PairDocument.team_id) == team, col(PairDocument.pairing_id) == pid
            )
        )
    )
    if scope is MaterialScope.NOTES:
        session.flush()
        return MaterialDeleted(notes=notes, session_notes=session_notes, documents=documents)
    goal_ids = select(Goal.id).where(col(Goal.team_id) == team, col(Goal.pairing_id) == pid)
    resources = _count(
        session.execute(
            delete(LearningResource).where(
                col(LearningResource.team_id) == team, col(LearningResource.goal_id).in_(goal_ids)
            )
        )
    )
    tasks = _count(
        session.execute(
            delete(PracticeTask).where(
                col(PracticeTask.team_id) == team, col(PracticeTask.goal_id).in_(goal_ids)
            )
        )
    )
    outside = _count(
        session.execute(
            delete(OutsideFeedbackRequest).where(
                col(OutsideFeedbackRequest.team_id) == team,
                col(OutsideFeedbackRequest.pairing_id) == pid,
            )
        )
    )
    session.flush()
    return MaterialDeleted(notes, session_notes, documents, resources, tasks, outside)


def delete_notes_and_documents(
    session: Session, *, team_id: str, user_id: str, pairing_id: int
) -> tuple[MaterialDeleted, Pairing]:
    """Either person of the pair deletes its running notes and documents."""
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    return delete_pair_material(session, pairing=pairing, scope=MaterialScope.NOTES), pairing
