"""The agenda of a pair's next session: the mentee owns it, and saving it shares it.

An agenda belongs to the upcoming SCHEDULED meeting, or (``meeting_id`` None) to "the next
session" while none is scheduled; scheduling one carries those items over. Open action items from
earlier sessions join the agenda by themselves, once each, and drop off when done.

When the mentee saves an agenda that differs from the one the mentor last got, the mentor gets
it by DM through the outbox (marked as updated after the first). The outbox is the record of
what was shared: each share's dedupe key holds a digest of the agenda it carried, so saving an
unchanged agenda plans nothing, and two saves racing with the same agenda plan one DM.
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, bindparam
from sqlmodel import Session, col, func, select

from bot.errors import FieldErrors, Forbidden, UserError
from bot.ids import BlockId
from bot.services.access import OPEN_STATUSES, role_in
from bot.services.plans import overdue_tasks
from bot.services.sessions import get_meeting, next_meeting, not_running, upcoming_meetings
from storage.enums import AgendaSource, MeetingStatus, Role
from storage.models import ActionItem, AgendaItem, Delivery, Meeting, Pairing

__all__ = [
    "AGENDA_NEW_MAX",
    "AGENDA_SHARED_RULE",
    "AGENDA_TEXT_MAX",
    "AgendaLine",
    "AgendaSaved",
    "AgendaShare",
    "AgendaView",
    "ShareKind",
    "add_agenda_items",
    "agenda_for",
    "next_meeting",
    "open_agenda",
    "parse_new_items",
    "pull_action_items",
    "pull_overdue_tasks",
    "settled_agenda",
    "upcoming_meetings",
    "update_agenda",
]

# The outbox rule of the mentor's agenda DM; its dedupe keys are the record of what was shared.
AGENDA_SHARED_RULE = "agenda_shared"

AGENDA_NEW_MAX = 5
AGENDA_TEXT_MAX = 200
# Bullets people paste in front of list items ("- ", "• ", "1. ").
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")


@dataclass(frozen=True, slots=True)
class AgendaLine:
    """One agenda item; an open action item carries its id for the "done" toggle."""

    id: int
    text: str
    source: AgendaSource
    added_by: str
    action_item_id: int | None = None
    owner_user_id: str | None = None
    due_date: date | None = None


@dataclass(frozen=True, slots=True)
class AgendaView:
    """The agenda of one session (or of the next one, when none is scheduled)."""

    pairing_id: int
    mentor_user_id: str
    mentee_user_id: str
    meeting_id: int | None
    meeting_start: datetime | None
    meeting_minutes: int | None
    # When the mentor last got it (None: never, or the last news was that it is empty).
    shared_at: datetime | None
    lines: list[AgendaLine]

    @property
    def shared(self) -> bool:
        """Whether the mentor has had this agenda by DM."""
        return self.shared_at is not None


class ShareKind(StrEnum):
    """What the mentor's DM says about the agenda."""

    SHARED = "shared"  # the first time the mentor gets this session's agenda
    UPDATED = "updated"  # it changed since the mentor last got it
    CLEARED = "cleared"  # the mentee took every item off


@dataclass(frozen=True, slots=True)
class AgendaShare:
    """One DM to the mentor about the agenda, keyed so the same agenda is never sent twice."""

    kind: ShareKind
    key: str


@dataclass(frozen=True, slots=True)
class AgendaSaved:
    """An agenda as saved, and the DM it owes the mentor (None: nothing new for them)."""

    agenda: AgendaView
    share: AgendaShare | None


def _pk(row: Pairing | Meeting | AgendaItem) -> int:
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has not been saved")
    return row.id


def _on_agenda(*, next_session: bool) -> list[ColumnElement[bool]]:
    """The WHERE clauses that select one agenda's items: a session's, or the next session's
    (the agenda of a pair with none booked)."""
    return [
        col(AgendaItem.team_id) == bindparam("team_id"),
        col(AgendaItem.pairing_id) == bindparam("pairing_id"),
        col(AgendaItem.meeting_id).is_(None)
        if next_session
        else col(AgendaItem.meeting_id) == bindparam("meeting_id"),
    ]


# An agenda's items, for a session and for the next one: built once, as every agenda form reads
# them several times (building took longer than SQLite ran it). The position after the last is
# worked out from them (``_after``).
_ITEMS = {
    next_session: select(AgendaItem)
    .where(*_on_agenda(next_session=next_session))
    .order_by(col(AgendaItem.position), col(AgendaItem.id))
    for next_session in (False, True)
}


def _agenda_of(pairing: Pairing, meeting_id: int | None) -> dict[str, object]:
    """The parameters of ``_ITEMS`` for one agenda."""
    found: dict[str, object] = {"team_id": pairing.team_id, "pairing_id": pairing.id}
    if meeting_id is not None:
        found["meeting_id"] = meeting_id
    return found


def _items(session: Session, *, pairing: Pairing, meeting_id: int | None) -> list[AgendaItem]:
    statement = _ITEMS[meeting_id is None]
    return list(session.exec(statement, params=_agenda_of(pairing, meeting_id)).all())


def _open_actions(session: Session, *, pairing: Pairing) -> list[ActionItem]:
    return list(
        session.exec(
            select(ActionItem)
            .where(
                ActionItem.team_id == pairing.team_id,
                ActionItem.pairing_id == pairing.id,
                col(ActionItem.done_at).is_(None),
            )
            .order_by(col(ActionItem.id))
        ).all()
    )


@dataclass(slots=True)
class _Working:
    """One agenda's items and the pair's open action items, read once by a unit of work that
    reads and changes them, and kept up to date as it does (the rows it adds, flushed, have
    their ids)."""

    items: list[AgendaItem]
    actions: list[ActionItem]

    @classmethod
    def read(cls, session: Session, *, pairing: Pairing, meeting_id: int | None) -> "_Working":
        return cls(
            _items(session, pairing=pairing, meeting_id=meeting_id),
            _open_actions(session, pairing=pairing),
        )

    def in_order(self) -> list[AgendaItem]:
        """The items as ``_items`` reads them: by position, then id."""
        return sorted(self.items, key=lambda item: (item.position, item.id or 0))


# --- what the mentor was sent ------------------------------------------------------------------


def _digest(lines: Sequence[AgendaLine]) -> str:
    """A fingerprint of the agenda as the mentor reads it, leaving out the mentor's own items
    (adding one is no news to them)."""
    text = "\n".join(
        f"{line.source.value}\t{line.text}"
        for line in lines
        if line.source is not AgendaSource.MENTOR
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_EMPTY = _digest([])


@dataclass(frozen=True, slots=True)
class _LastShare:
    count: int
    digest: str
    at: datetime


def _share_prefix(session: Session, *, pairing: Pairing, meeting: Meeting | None) -> str:
    """The start of the dedupe keys of one session's agenda DMs.

    A session is known by its calendar UID, which survives moves; "the next session" by the
    pair's latest meeting, so an agenda written after a session was held starts afresh.
    """
    if meeting is not None:
        about = meeting.ics_uid or f"meeting-{_pk(meeting)}"
    else:
        latest = session.exec(
            select(func.max(Meeting.id)).where(Meeting.pairing_id == pairing.id)
        ).one()
        about = f"next-{latest or 0}"
    return f"{AGENDA_SHARED_RULE}:{_pk(pairing)}:{about}:"


def _last_share(session: Session, *, pairing: Pairing, prefix: str) -> _LastShare | None:
    """The latest agenda DM planned under ``prefix``, and how many there were."""
    rows = session.exec(
        select(Delivery.dedupe_key, Delivery.created_at)
        .where(
            Delivery.team_id == pairing.team_id,
            Delivery.pairing_id == pairing.id,
            Delivery.rule == AGENDA_SHARED_RULE,
            col(Delivery.dedupe_key).startswith(prefix, autoescape=True),
        )
        .order_by(col(Delivery.id).desc())
    ).all()
    if not rows:
        return None
    key, at = rows[0]
    return _LastShare(count=len(rows), digest=key.rsplit(":", 1)[-1], at=at)


def _shared_at(last: _LastShare | None) -> datetime | None:
    return None if last is None or last.digest == _EMPTY else last.at


def _share(
    last: _LastShare | None, *, prefix: str, lines: Sequence[AgendaLine]
) -> AgendaShare | None:
    """The DM the mentor is owed for the agenda now: none if they already have it."""
    digest = _digest(lines)
    if last is None:
        if digest == _EMPTY:
            return None
        return AgendaShare(ShareKind.SHARED, f"{prefix}1:{digest}")
    if digest == last.digest:
        return None
    kind = ShareKind.CLEARED if digest == _EMPTY else ShareKind.UPDATED
    # The count keeps an agenda changed back to an earlier version a new DM, not a repeat.
    return AgendaShare(kind, f"{prefix}{last.count + 1}:{digest}")


# --- reading and changing ----------------------------------------------------------------------


def agenda_for(session: Session, *, pairing: Pairing, meeting: Meeting | None) -> AgendaView:
    """The agenda of ``meeting`` (None: the next session's), read only."""
    return _agenda_and_last_share(session, pairing=pairing, meeting=meeting)[0]


def _agenda_and_last_share(
    session: Session,
    *,
    pairing: Pairing,
    meeting: Meeting | None,
    known: "_Working | None" = None,
) -> tuple[AgendaView, str, _LastShare | None]:
    """The agenda, the prefix of its DMs' keys and the last DM planned under it (read once:
    the agenda's ``shared_at`` and a save's share both come from it). ``known``: its items and
    the pair's open action items as the caller has them already (read here otherwise)."""
    meeting_id = None if meeting is None else _pk(meeting)
    if meeting is not None and meeting.pairing_id != pairing.id:
        raise Forbidden("That session belongs to another mentoring pair.")
    if known is None:
        known = _Working.read(session, pairing=pairing, meeting_id=meeting_id)
    open_by_text = {a.text: a for a in reversed(known.actions)}
    upcoming = meeting is None or meeting.status is MeetingStatus.SCHEDULED
    lines: list[AgendaLine] = []
    for item in known.in_order():
        action = open_by_text.get(item.text) if item.source is AgendaSource.ACTION_ITEM else None
        if item.source is AgendaSource.ACTION_ITEM and action is None and upcoming:
            continue  # done since: it drops off the next agenda
        lines.append(
            AgendaLine(
                id=_pk(item),
                text=item.text,
                source=item.source,
                added_by=item.added_by,
                action_item_id=None if action is None else action.id,
                owner_user_id=None if action is None else action.owner_user_id,
                due_date=None if action is None else action.due_date,
            )
        )
    prefix = _share_prefix(session, pairing=pairing, meeting=meeting)
    last = _last_share(session, pairing=pairing, prefix=prefix)
    view = AgendaView(
        pairing_id=_pk(pairing),
        mentor_user_id=pairing.mentor_user_id,
        mentee_user_id=pairing.mentee_user_id,
        meeting_id=meeting_id,
        meeting_start=None if meeting is None else meeting.scheduled_start,
        meeting_minutes=None if meeting is None else meeting.duration_minutes,
        # An agenda submitted before saving shared it has no DM on record, only its time.
        shared_at=_shared_at(last) or (None if meeting is None else meeting.agenda_submitted_at),
        lines=lines,
    )
    return view, prefix, last


def _after(items: Sequence[AgendaItem]) -> int:
    """The position after the last of an agenda's items (``_items``: every row of it)."""
    return max((item.position for item in items), default=-1) + 1


def add_agenda_items(
    session: Session,
    *,
    pairing: Pairing,
    meeting_id: int | None,
    items: Sequence[str],
    source: AgendaSource,
    author_user_id: str,
    now: datetime,
) -> list[AgendaItem]:
    """Add items to an agenda; blanks and items already on it are skipped. Returns the new rows."""
    if meeting_id is not None:
        get_meeting(session, pairing=pairing, meeting_id=meeting_id)
    current = _items(session, pairing=pairing, meeting_id=meeting_id)
    added = _add_texts(
        session,
        pairing=pairing,
        meeting_id=meeting_id,
        current=current,
        items=items,
        source=source,
        author_user_id=author_user_id,
        now=now,
    )
    session.flush()
    return added


def _add_texts(
    session: Session,
    *,
    pairing: Pairing,
    meeting_id: int | None,
    current: list[AgendaItem],
    items: Sequence[str],
    source: AgendaSource,
    author_user_id: str,
    now: datetime,
) -> list[AgendaItem]:
    """``add_agenda_items`` on an agenda whose items are ``current``, which gets the rows added
    (not flushed yet)."""
    seen = {i.text.casefold() for i in current}
    texts: list[str] = []
    for raw in items:
        text = raw.strip()
        if not text or text.casefold() in seen:
            continue
        if len(text) > AGENDA_TEXT_MAX:
            raise UserError(f"Keep each agenda item under {AGENDA_TEXT_MAX} characters.")
        seen.add(text.casefold())
        texts.append(text)
    lines = [(text, source, author_user_id) for text in texts]
    return _append(
        session, pairing=pairing, meeting_id=meeting_id, to=current, lines=lines, now=now
    )


def _append(
    session: Session,
    *,
    pairing: Pairing,
    meeting_id: int | None,
    to: list[AgendaItem],
    lines: Sequence[tuple[str, AgendaSource, str]],
    now: datetime,
) -> list[AgendaItem]:
    """Put ``lines`` (text, source, who added it) at the end of the agenda whose items are
    ``to``, which gets the new rows (not flushed yet); the rows."""
    position = _after(to)
    added = [
        AgendaItem(
            team_id=pairing.team_id,
            pairing_id=_pk(pairing),
            meeting_id=meeting_id,
            text=text,
            source=source,
            added_by=added_by,
            position=position + n,
            created_at=now,
        )
        for n, (text, source, added_by) in enumerate(lines)
    ]
    session.add_all(added)
    to.extend(added)
    return added


def pull_action_items(
    session: Session, *, pairing: Pairing, meeting_id: int | None, now: datetime
) -> int:
    """Put every open action item on the agenda, once (idempotent); returns how many were added."""
    working = _Working.read(session, pairing=pairing, meeting_id=meeting_id)
    added = _pull_actions(session, pairing=pairing, meeting_id=meeting_id, now=now, known=working)
    session.flush()
    return len(added)


def _pull_actions(
    session: Session, *, pairing: Pairing, meeting_id: int | None, now: datetime, known: _Working
) -> list[AgendaItem]:
    """``pull_action_items`` on what is ``known``, which gets the rows added (not flushed)."""
    lines = [
        (action.text, AgendaSource.ACTION_ITEM, action.owner_user_id)
        for action in _actions_to_pull(known.items, known.actions)
    ]
    return _append(
        session, pairing=pairing, meeting_id=meeting_id, to=known.items, lines=lines, now=now
    )


def pull_overdue_tasks(
    session: Session, *, pairing: Pairing, meeting_id: int | None, now: datetime
) -> int:
    """Put each overdue practice task on the agenda, once (idempotent); returns how many were added.

    A task done (or given a later date) since drops off the agenda, as done action items do.
    """
    current = _items(session, pairing=pairing, meeting_id=meeting_id)
    added = _pull_tasks(
        session,
        pairing=pairing,
        meeting_id=meeting_id,
        now=now,
        known=_Working(current, actions=[]),
    )
    session.flush()
    return len(added)


def _pull_tasks(
    session: Session, *, pairing: Pairing, meeting_id: int | None, now: datetime, known: _Working
) -> list[AgendaItem]:
    """``pull_overdue_tasks`` on what is ``known``, which is kept up to date: the rows added
    (not flushed)."""
    missing, stale = _tasks_to_pull(known.items, _overdue_lines(session, pairing=pairing, now=now))
    for item in stale:
        session.delete(item)
        known.items.remove(item)
    lines = [(text, AgendaSource.PRACTICE_TASK, pairing.mentee_user_id) for text in missing]
    return _append(
        session, pairing=pairing, meeting_id=meeting_id, to=known.items, lines=lines, now=now
    )


def _clip_item(text: str) -> str:
    """Shorten an item the bot writes to the agenda's limit."""
    return text if len(text) <= AGENDA_TEXT_MAX else text[: AGENDA_TEXT_MAX - 1] + "…"


def parse_new_items(text: str) -> list[str]:
    """The new agenda items typed one per line, checked: at most 5, each up to 200 characters."""
    items = [_BULLET.sub("", line).strip() for line in text.splitlines()]
    items = [item for item in items if item]
    if len(items) > AGENDA_NEW_MAX:
        raise FieldErrors(
            {BlockId.AGENDA_NEW: f"Add up to {AGENDA_NEW_MAX} items at a time, one per line."}
        )
    too_long = [n for n, item in enumerate(items, start=1) if len(item) > AGENDA_TEXT_MAX]
    if too_long:
        raise FieldErrors(
            {
                BlockId.AGENDA_NEW: f"Item {too_long[0]} is too long: keep each item under "
                f"{AGENDA_TEXT_MAX} characters."
            }
        )
    return items


def _check_live(pairing: Pairing) -> None:
    if pairing.status not in OPEN_STATUSES:
        raise UserError(f"{not_running(pairing)} so its agenda is closed.")


def _target(
    session: Session, *, pairing: Pairing, meeting_id: int | None, now: datetime
) -> Meeting | None:
    """The session an agenda form was about, followed to where it is now."""
    if meeting_id is None:
        return next_meeting(session, pairing=pairing, now=now)
    meeting = get_meeting(session, pairing=pairing, meeting_id=meeting_id)
    seen = {meeting_id}
    while meeting.status is MeetingStatus.MOVED:
        moved_to = session.exec(
            select(Meeting).where(
                Meeting.pairing_id == pairing.id, Meeting.rescheduled_from_id == meeting.id
            )
        ).first()
        if moved_to is None or moved_to.id in seen:
            break
        seen.add(_pk(moved_to))
        meeting = moved_to
    if meeting.status is MeetingStatus.HELD:
        raise UserError(
            "That session has been logged as held meanwhile: open the agenda again for the "
            "next one."
        )
    if meeting.status is not MeetingStatus.SCHEDULED:
        return next_meeting(session, pairing=pairing, now=now)
    return meeting


def _actions_to_pull(
    items: Sequence[AgendaItem], actions: Sequence[ActionItem]
) -> list[ActionItem]:
    """The open action items not on the agenda yet (one each, by text)."""
    on_agenda = {i.text for i in items if i.source is AgendaSource.ACTION_ITEM}
    missing = []
    for action in actions:
        if action.text not in on_agenda:
            on_agenda.add(action.text)
            missing.append(action)
    return missing


def _overdue_lines(session: Session, *, pairing: Pairing, now: datetime) -> list[str]:
    """The agenda's line for each overdue practice task of the pair."""
    pending = overdue_tasks(session, pairing_ids=[_pk(pairing)], today=now.date())[_pk(pairing)]
    return [
        _clip_item(f"Overdue practice task: {t.title} (due {t.due_date:%d %b})") for t in pending
    ]


def _tasks_to_pull(
    items: Sequence[AgendaItem], wanted: Sequence[str]
) -> tuple[list[str], list[AgendaItem]]:
    """The overdue tasks' lines not on the agenda yet, and the task items to take off it (done,
    or given a later date, since)."""
    on_agenda: set[str] = set()
    stale: list[AgendaItem] = []
    for item in items:
        if item.source is not AgendaSource.PRACTICE_TASK:
            continue
        if item.text in wanted:
            on_agenda.add(item.text)
        else:
            stale.append(item)
    return [text for text in dict.fromkeys(wanted) if text not in on_agenda], stale


def settled_agenda(
    session: Session, *, pairing: Pairing, user_id: str, now: datetime
) -> AgendaView | None:
    """The next session's agenda as ``open_agenda`` gives it, read only: None when opening it
    must write (an open action item or an overdue task is to join it, or a task to leave it).

    Most openings change nothing, and a read takes no lock a click's write waits for.
    """
    role_in(pairing, user_id)
    _check_live(pairing)
    meeting = next_meeting(session, pairing=pairing, now=now)
    known = _Working.read(
        session, pairing=pairing, meeting_id=None if meeting is None else meeting.id
    )
    if _actions_to_pull(known.items, known.actions):
        return None
    missing, stale = _tasks_to_pull(known.items, _overdue_lines(session, pairing=pairing, now=now))
    if missing or stale:
        return None
    return _agenda_and_last_share(session, pairing=pairing, meeting=meeting, known=known)[0]


def open_agenda(session: Session, *, pairing: Pairing, user_id: str, now: datetime) -> AgendaView:
    """The next session's agenda for someone in the pair, with open action items pulled in."""
    role_in(pairing, user_id)
    _check_live(pairing)
    meeting = next_meeting(session, pairing=pairing, now=now)
    pull_action_items(
        session, pairing=pairing, meeting_id=None if meeting is None else meeting.id, now=now
    )
    pull_overdue_tasks(
        session, pairing=pairing, meeting_id=None if meeting is None else meeting.id, now=now
    )
    return agenda_for(session, pairing=pairing, meeting=meeting)


def update_agenda(
    session: Session,
    *,
    pairing: Pairing,
    meeting_id: int | None,
    user_id: str,
    new_items: Sequence[str],
    remove_ids: Sequence[int],
    done_action_ids: Sequence[int],
    now: datetime,
) -> AgendaSaved:
    """Apply an agenda form: add, remove, tick action items done; a mentee's save shares it."""
    role = role_in(pairing, user_id)
    _check_live(pairing)
    meeting = _target(session, pairing=pairing, meeting_id=meeting_id, now=now)
    target_id = None if meeting is None else _pk(meeting)
    # Read once: every step below works on these and keeps them up to date.
    known = _Working.read(session, pairing=pairing, meeting_id=target_id)
    items = {_pk(i): i for i in known.items}
    for item_id in remove_ids:
        item = items.get(item_id)
        if item is None or item.source is AgendaSource.ACTION_ITEM:
            continue  # gone already, or an action item: those leave the agenda when done
        if role is not Role.MENTEE and item.added_by != user_id:
            raise Forbidden("Only the mentee can take their items off the agenda.")
        session.delete(item)
        del items[item_id]
    if done_action_ids:
        chosen = set(done_action_ids)
        done_texts = {action.text for action in known.actions if action.id in chosen}
        for action in known.actions:
            if action.id in chosen:
                action.done_at = now
                session.add(action)
        known.actions = [action for action in known.actions if action.id not in chosen]
        for item in list(items.values()):
            if item.source is AgendaSource.ACTION_ITEM and item.text in done_texts:
                session.delete(item)
                del items[_pk(item)]
    known.items = list(items.values())
    _add_texts(
        session,
        pairing=pairing,
        meeting_id=target_id,
        current=known.items,
        items=new_items,
        source=AgendaSource.MENTEE if role is Role.MENTEE else AgendaSource.MENTOR,
        author_user_id=user_id,
        now=now,
    )
    _pull_actions(session, pairing=pairing, meeting_id=target_id, now=now, known=known)
    _pull_tasks(session, pairing=pairing, meeting_id=target_id, now=now, known=known)
    session.flush()
    view, prefix, last = _agenda_and_last_share(
        session, pairing=pairing, meeting=meeting, known=known
    )
    if role is not Role.MENTEE:
        return AgendaSaved(view, None)  # the mentee owns the agenda: only their save shares it
    share = _share(last, prefix=prefix, lines=view.lines)
    if share is None:
        return AgendaSaved(view, None)
    shared_at = None if share.kind is ShareKind.CLEARED else now
    if meeting is not None:
        # What the Home tab reads: whether the upcoming session has an agenda the mentor has.
        meeting.agenda_submitted_at = shared_at
        session.add(meeting)
    return AgendaSaved(replace(view, shared_at=shared_at), share)
