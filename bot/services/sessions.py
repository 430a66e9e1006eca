"""Sessions: scheduling, rescheduling and cancelling a pair's meetings, logging held ones, hours.

History is kept: a rescheduled meeting becomes MOVED and points on to its replacement through
``rescheduled_from_id``; a cancelled one stays as a CANCELLED row (the lapse rules count them).
Times are stored in UTC and taken in the acting person's own timezone.

A session is one calendar event however often it moves: the rows of a move chain share one
``ics_uid``, and its SEQUENCE is how far along the chain a row is (a cancellation one more).
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select

from bot.errors import FieldErrors, NotFound, UserError
from bot.ids import BlockId
from bot.services.access import OPEN_STATUSES, pairing_for, role_in
from bot.services.goals import pair_goals
from bot.services.programs import program_end
from bot.services.stages import PairEvent, note_event
from storage.enums import MeetingStatus, PairingStatus, ProgramStatus
from storage.models import ActionItem, AgendaItem, Goal, Meeting, MeetingGoal, Pairing, Program

SESSION_LENGTHS = (30, 45, 60, 90, 120)
MINUTES_MIN, MINUTES_MAX = 5, 480
ACTION_ITEMS_MAX = 3
ACTION_TEXT_MAX = 200
NOTES_MAX = 3000
CANCEL_REASON_MAX = 255
# A logged day matches a scheduled session up to this many days away (people log late).
MATCH_WINDOW_DAYS = 2
# The minimum interaction the seeds ask for: 6 hours over 12 months, scaled to the program.
MINIMUM_HOURS_PER_YEAR = 6.0
ICS_DOMAIN = "mentorbot"


class ChangeKind(StrEnum):
    """What happened to a session, for the messages that tell the pair."""

    SCHEDULED = "scheduled"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class ScheduleForm:
    """The schedule modal's answers as submitted, nothing checked yet."""

    day: date | None = None
    at: time | None = None
    length: str | None = None


@dataclass(frozen=True, slots=True)
class ActionForm:
    """One action item row of the log modal, as submitted."""

    text: str = ""
    owner_user_id: str | None = None
    due: date | None = None


@dataclass(frozen=True, slots=True)
class LogForm:
    """The log modal's answers as submitted, nothing checked yet."""

    day: date | None = None
    minutes: str = ""
    goal_ids: Sequence[str] = ()
    notes: str = ""
    actions: Sequence[ActionForm] = ()


@dataclass(frozen=True, slots=True)
class SessionChange:
    """A session scheduled, moved or cancelled: what both people are told, with the invite."""

    kind: ChangeKind
    meeting_id: int
    pairing_id: int
    program_name: str
    mentor_user_id: str
    mentee_user_id: str
    by_user_id: str
    start: datetime
    minutes: int
    ics_uid: str
    sequence: int
    # Who first scheduled the session: the invite's organizer through every move.
    organizer_user_id: str
    previous_start: datetime | None = None
    cancel_reason: str = ""


@dataclass(frozen=True, slots=True)
class ActionLine:
    """An action item as messages show it."""

    id: int
    text: str
    owner_user_id: str
    due_date: date | None


@dataclass(frozen=True, slots=True)
class HoursSummary:
    """Hours a pairing has held against the program's plan."""

    held: float
    planned_by_now: float
    minimum: float


@dataclass(frozen=True, slots=True)
class LoggedSession:
    """A held session as recorded, for the confirmation and the partner's note."""

    meeting_id: int
    pairing_id: int
    program_name: str
    mentor_user_id: str
    mentee_user_id: str
    logged_by: str
    held_at: datetime
    minutes: int
    notes: str
    goals: list[str]
    actions: list[ActionLine]
    hours: HoursSummary
    held_count: int
    was_scheduled: bool


@dataclass(frozen=True, slots=True)
class ScheduleDefaults:
    """What the schedule modal starts from: the upcoming session, if any, and the usual length."""

    meeting_id: int | None
    start: datetime | None
    minutes: int


# --- time helpers ------------------------------------------------------------------------------


def zone(tz: str) -> ZoneInfo:
    """The person's timezone; an unknown name (Slack's legacy ones) falls back to UTC."""
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day(moment: datetime, tz: str) -> date:
    """The calendar day ``moment`` falls on in ``tz``."""
    return moment.astimezone(zone(tz)).date()


def _at_local(day: date, at: time, tz: str) -> datetime:
    return datetime.combine(day, at, tzinfo=zone(tz)).astimezone(UTC)


def new_ics_uid() -> str:
    """A stable, globally unique calendar UID for a new session."""
    return f"{uuid.uuid4()}@{ICS_DOMAIN}"


# --- lookups -----------------------------------------------------------------------------------


def _pk(row: Meeting | Pairing | Program) -> int:
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has not been saved")
    return row.id


def get_meeting(session: Session, *, pairing: Pairing, meeting_id: int) -> Meeting:
    """The pairing's meeting with this id; anything else (other pair, other team) is refused."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.pairing_id != pairing.id or meeting.team_id != pairing.team_id:
        raise UserError("That session no longer exists.")
    return meeting


def _ends(meeting: Meeting) -> datetime:
    assert meeting.scheduled_start is not None
    return meeting.scheduled_start + timedelta(minutes=meeting.duration_minutes)


# Looked up by every dashboard, agenda and status: built once (building a statement and its
# cache key took longer than SQLite ran it).
_UPCOMING = (
    select(Meeting)
    .where(
        col(Meeting.pairing_id).in_(bindparam("ids", expanding=True)),
        Meeting.status == MeetingStatus.SCHEDULED,
        col(Meeting.scheduled_start) > bindparam("since"),
    )
    .order_by(col(Meeting.scheduled_start), col(Meeting.id))
)
_MINUTES_HELD = (
    select(Meeting.pairing_id, func.sum(Meeting.minutes_held))
    .where(
        col(Meeting.pairing_id).in_(bindparam("ids", expanding=True)),
        Meeting.status == MeetingStatus.HELD,
    )
    .group_by(col(Meeting.pairing_id))
)


def upcoming_meetings(
    session: Session, *, pairing_ids: Sequence[int], now: datetime
) -> dict[int, Meeting]:
    """Each pairing's next SCHEDULED meeting not yet over (one query); pairings without none."""
    if not pairing_ids:
        return {}
    rows = session.exec(
        _UPCOMING,
        params={"ids": list(pairing_ids), "since": now - timedelta(minutes=MINUTES_MAX)},
    ).all()
    found: dict[int, Meeting] = {}
    for meeting in rows:
        if meeting.pairing_id not in found and _ends(meeting) > now:
            found[meeting.pairing_id] = meeting
    return found


def next_meeting(session: Session, *, pairing: Pairing, now: datetime) -> Meeting | None:
    """The pairing's upcoming (or running) SCHEDULED meeting, if there is one."""
    return upcoming_meetings(session, pairing_ids=[_pk(pairing)], now=now).get(_pk(pairing))


def _chain(session: Session, *, meeting: Meeting) -> tuple[Meeting, int]:
    """The first row of the meeting's move chain, and how many moves lead from it to this one."""
    first, moves, seen = meeting, 0, {meeting.id}
    previous_id = meeting.rescheduled_from_id
    while previous_id is not None and previous_id not in seen:
        previous = session.get(Meeting, previous_id)
        if previous is None:
            break
        seen.add(previous_id)
        first, moves = previous, moves + 1
        previous_id = previous.rescheduled_from_id
    return first, moves


def invite_sequence(session: Session, *, meeting: Meeting) -> int:
    """The calendar SEQUENCE of the meeting: how many times its session was moved before."""
    return _chain(session, meeting=meeting)[1]


def _organizer(session: Session, *, meeting: Meeting, fallback: str) -> str:
    """Who first scheduled the meeting's session (``fallback`` for rows from before that)."""
    return _chain(session, meeting=meeting)[0].scheduled_by or meeting.scheduled_by or fallback


def schedule_defaults(
    session: Session, *, pairing: Pairing, program: Program, now: datetime
) -> ScheduleDefaults:
    """The upcoming session to prefill (rescheduling), or the program's usual length."""
    upcoming = next_meeting(session, pairing=pairing, now=now)
    if upcoming is None:
        return ScheduleDefaults(None, None, program.session_minutes)
    return ScheduleDefaults(upcoming.id, upcoming.scheduled_start, upcoming.duration_minutes)


# --- schedule, reschedule, cancel --------------------------------------------------------------


def check_open(pairing: Pairing, program: Program) -> None:
    """Refuse changes to the sessions of an ended pair or a closed program."""
    if program.status is ProgramStatus.CLOSED:
        raise UserError(f"*{program.name}* has closed, so its sessions can't change any more.")
    if pairing.status not in OPEN_STATUSES:
        raise UserError(f"{not_running(pairing)} so its sessions can't change.")


def not_running(pairing: Pairing) -> str:
    """Why a pair can't act any more, as the start of a sentence."""
    why = {
        PairingStatus.PROPOSED: "hasn't been approved yet",
        PairingStatus.DECLINED: "was not approved",
        PairingStatus.GRADUATED: "has graduated",
    }.get(pairing.status, "has ended")
    return f"This mentoring pair {why},"


def _start_of(
    form: ScheduleForm, *, program: Program, tz: str, now: datetime
) -> tuple[datetime, int]:
    """The checked start (UTC) and length of a schedule form; every problem at once."""
    errors: dict[str, str] = {}
    if form.day is None:
        errors[BlockId.SESSION_DATE] = "Pick the day of the session."
    if form.at is None:
        errors[BlockId.SESSION_TIME] = "Pick the time the session starts."
    minutes = int(form.length) if form.length and form.length.isdigit() else 0
    if minutes not in SESSION_LENGTHS:
        errors[BlockId.SESSION_LENGTH] = "Pick how long the session lasts."
    if form.day is not None and form.at is not None:
        start = _at_local(form.day, form.at, tz)
        end_day = program_end(program)
        if form.day < program.start_date:
            errors[BlockId.SESSION_DATE] = (
                f"*{program.name}* starts on {program.start_date:%d %B %Y}: pick a day from then."
            )
        elif form.day >= end_day:
            last = end_day - timedelta(days=1)
            errors[BlockId.SESSION_DATE] = (
                f"*{program.name}* ends on {last:%d %B %Y}: pick a day before it ends."
            )
        elif start <= now:
            if form.day < local_day(now, tz):
                errors[BlockId.SESSION_DATE] = "That day has passed: pick today or a later day."
            else:
                errors[BlockId.SESSION_TIME] = "That time has passed: pick a later time."
    if errors:
        raise FieldErrors(errors)
    assert form.day is not None
    assert form.at is not None
    return _at_local(form.day, form.at, tz), minutes


def _change(
    session: Session,
    kind: ChangeKind,
    meeting: Meeting,
    *,
    pairing: Pairing,
    program: Program,
    by_user_id: str,
    sequence: int,
    previous_start: datetime | None = None,
) -> SessionChange:
    assert meeting.scheduled_start is not None
    assert meeting.ics_uid is not None
    return SessionChange(
        kind=kind,
        meeting_id=_pk(meeting),
        pairing_id=_pk(pairing),
        program_name=program.name,
        mentor_user_id=pairing.mentor_user_id,
        mentee_user_id=pairing.mentee_user_id,
        by_user_id=by_user_id,
        start=meeting.scheduled_start,
        minutes=meeting.duration_minutes,
        ics_uid=meeting.ics_uid,
        sequence=sequence,
        organizer_user_id=_organizer(session, meeting=meeting, fallback=by_user_id),
        previous_start=previous_start,
        cancel_reason=meeting.cancel_reason,
    )


def _move_agenda(
    session: Session, *, pairing: Pairing, from_meeting_id: int | None, to_meeting_id: int | None
) -> None:
    """Carry the agenda along when its session moves (or back to "next session" when cancelled)."""
    items = session.exec(
        select(AgendaItem).where(
            AgendaItem.pairing_id == pairing.id,
            AgendaItem.meeting_id == from_meeting_id
            if from_meeting_id is not None
            else col(AgendaItem.meeting_id).is_(None),
        )
    ).all()
    for item in items:
        item.meeting_id = to_meeting_id
        session.add(item)


def _awaiting_new_time(session: Session, *, pairing: Pairing) -> Meeting | None:
    """The pair's latest session if someone answered "It moved" and no new time is set yet.

    Its next time continues it (same calendar event, SEQUENCE one more) rather than start a
    second event beside the one already in both calendars.
    """
    latest = session.exec(
        select(Meeting).where(Meeting.pairing_id == pairing.id).order_by(col(Meeting.id).desc())
    ).first()
    # A successor would be a later row, so the latest row, if MOVED, has none.
    if latest is None or latest.status is not MeetingStatus.MOVED:
        return None
    return latest


def _move(
    session: Session,
    old: Meeting,
    *,
    pairing: Pairing,
    program: Program,
    by_user_id: str,
    start: datetime,
    minutes: int,
    now: datetime,
) -> SessionChange:
    """The session's new row at its new time; the old one is kept, MOVED, and points on to it."""
    old.status = MeetingStatus.MOVED
    session.add(old)
    moved = Meeting(
        team_id=pairing.team_id,
        pairing_id=_pk(pairing),
        status=MeetingStatus.SCHEDULED,
        scheduled_start=start,
        duration_minutes=minutes,
        scheduled_by=by_user_id,
        rescheduled_from_id=old.id,
        # The same calendar event: apps move the one they have instead of adding a second.
        ics_uid=old.ics_uid or new_ics_uid(),
        agenda_submitted_at=old.agenda_submitted_at,
        created_at=now,
    )
    session.add(moved)
    session.flush()
    _move_agenda(session, pairing=pairing, from_meeting_id=old.id, to_meeting_id=moved.id)
    return _change(
        session,
        ChangeKind.RESCHEDULED,
        moved,
        pairing=pairing,
        program=program,
        by_user_id=by_user_id,
        sequence=invite_sequence(session, meeting=old) + 1,
        previous_start=old.scheduled_start,
    )


def schedule_session(
    session: Session,
    *,
    pairing: Pairing,
    program: Program,
    by_user_id: str,
    tz: str,
    form: ScheduleForm,
    meeting_id: int | None,
    now: datetime,
) -> SessionChange:
    """Schedule the pair's next session, or move the one ``meeting_id`` names (history kept)."""
    role_in(pairing, by_user_id)
    check_open(pairing, program)
    start, minutes = _start_of(form, program=program, tz=tz, now=now)
    if meeting_id is None:
        if next_meeting(session, pairing=pairing, now=now) is not None:
            raise FieldErrors(
                {
                    BlockId.SESSION_DATE: "Your partner scheduled a session meanwhile: close this "
                    "and open the schedule again to move it."
                }
            )
        note_event(session, pairing=pairing, event=PairEvent.SESSION_SCHEDULED)
        moved = _awaiting_new_time(session, pairing=pairing)
        if moved is not None:
            # Its agenda went back to "the next session" when it was marked moved.
            _move_agenda(session, pairing=pairing, from_meeting_id=None, to_meeting_id=moved.id)
            return _move(
                session,
                moved,
                pairing=pairing,
                program=program,
                by_user_id=by_user_id,
                start=start,
                minutes=minutes,
                now=now,
            )
        meeting = Meeting(
            team_id=pairing.team_id,
            pairing_id=_pk(pairing),
            status=MeetingStatus.SCHEDULED,
            scheduled_start=start,
            duration_minutes=minutes,
            scheduled_by=by_user_id,
            ics_uid=new_ics_uid(),
            created_at=now,
        )
        session.add(meeting)
        session.flush()
        _move_agenda(session, pairing=pairing, from_meeting_id=None, to_meeting_id=meeting.id)
        return _change(
            session,
            ChangeKind.SCHEDULED,
            meeting,
            pairing=pairing,
            program=program,
            by_user_id=by_user_id,
            sequence=0,
        )
    old = get_meeting(session, pairing=pairing, meeting_id=meeting_id)
    if old.status is not MeetingStatus.SCHEDULED:
        raise FieldErrors(
            {
                BlockId.SESSION_DATE: f"That session was {old.status.value} meanwhile: close this "
                "and open the schedule again."
            }
        )
    if old.scheduled_start == start and old.duration_minutes == minutes:
        return _change(
            session,
            ChangeKind.UNCHANGED,
            old,
            pairing=pairing,
            program=program,
            by_user_id=by_user_id,
            sequence=invite_sequence(session, meeting=old),
        )
    return _move(
        session,
        old,
        pairing=pairing,
        program=program,
        by_user_id=by_user_id,
        start=start,
        minutes=minutes,
        now=now,
    )


def cancel_session(
    session: Session,
    *,
    pairing: Pairing,
    program: Program,
    meeting_id: int,
    by_user_id: str,
    reason: str,
    now: datetime,
) -> SessionChange:
    """Cancel a scheduled session; the row stays, CANCELLED, and its agenda waits for the next."""
    role_in(pairing, by_user_id)
    check_open(pairing, program)
    meeting = get_meeting(session, pairing=pairing, meeting_id=meeting_id)
    if meeting.status is not MeetingStatus.SCHEDULED:
        raise UserError(f"That session was already {meeting.status.value}.")
    if len(reason) > CANCEL_REASON_MAX:
        raise FieldErrors(
            {
                BlockId.SESSION_CANCEL_REASON: (
                    f"Keep the reason under {CANCEL_REASON_MAX} characters."
                )
            }
        )
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = now
    meeting.cancel_reason = reason.strip()
    session.add(meeting)
    _move_agenda(session, pairing=pairing, from_meeting_id=meeting.id, to_meeting_id=None)
    if meeting.ics_uid is None:
        meeting.ics_uid = new_ics_uid()
    return _change(
        session,
        ChangeKind.CANCELLED,
        meeting,
        pairing=pairing,
        program=program,
        by_user_id=by_user_id,
        # A cancellation must outrank the last invite sent for the same UID.
        sequence=invite_sequence(session, meeting=meeting) + 1,
    )


# --- hours ---------------------------------------------------------------------------------------


def minimum_hours(program: Program) -> float:
    """The program's minimum interaction: 6 hours over 12 months, scaled to its length."""
    return MINIMUM_HOURS_PER_YEAR * program.length_months / 12


def planned_hours_by(program: Program, today: date) -> float:
    """The minimum pro rata to ``today``: what a pair should have held by now."""
    start, end = program.start_date, program_end(program)
    total = (end - start).days
    if total <= 0:
        return minimum_hours(program)
    share = min(max((today - start).days / total, 0.0), 1.0)
    return minimum_hours(program) * share


# The read ``hours_held`` makes (parameter ``ids``), for a caller that runs it with others.
HOURS_READS = {"minutes_held": _MINUTES_HELD}


def hours_held(session: Session, *, pairing_ids: Sequence[int]) -> dict[int, float]:
    """Hours of held sessions per pairing id (one grouped query); pairings with none get 0."""
    if not pairing_ids:
        return {}
    rows = session.exec(_MINUTES_HELD, params={"ids": list(pairing_ids)}).all()
    return hours_from(pairing_ids, {"minutes_held": rows})


def hours_from(
    pairing_ids: Sequence[int], rows: Mapping[str, Sequence[tuple[Any, ...]]]
) -> dict[int, float]:
    """``hours_held`` from the rows of ``HOURS_READS``."""
    hours = dict.fromkeys(pairing_ids, 0.0)
    for pairing_id, minutes in rows["minutes_held"]:
        hours[pairing_id] = float(minutes or 0) / 60
    return hours


def hours_summary(
    session: Session, *, pairing: Pairing, program: Program, today: date
) -> HoursSummary:
    """The pairing's hours held against the minimum due by now and over the whole program."""
    held = hours_held(session, pairing_ids=[_pk(pairing)])[_pk(pairing)]
    return HoursSummary(held, planned_hours_by(program, today), minimum_hours(program))


# --- logging a held session ----------------------------------------------------------------------


def _check_log(
    form: LogForm,
    *,
    pairing: Pairing,
    program: Program,
    goals: Sequence[Goal],
    tz: str,
    now: datetime,
) -> tuple[date, int, list[int]]:
    """The checked day, minutes and goal ids of a log form; every problem at once."""
    errors: dict[str, str] = {}
    today = local_day(now, tz)
    if form.day is None:
        errors[BlockId.LOG_DATE] = "Pick the day you met."
    elif form.day > today:
        errors[BlockId.LOG_DATE] = "That day is still to come: log a session once it's been held."
    elif form.day < program.start_date:
        errors[BlockId.LOG_DATE] = (
            f"*{program.name}* started on {program.start_date:%d %B %Y}: pick a day from then."
        )
    minutes = int(form.minutes) if form.minutes.isdigit() else 0
    if not MINUTES_MIN <= minutes <= MINUTES_MAX:
        errors[BlockId.LOG_MINUTES] = (
            f"Enter how many minutes you met, from {MINUTES_MIN} to {MINUTES_MAX}."
        )
    known = {goal.id for goal in goals}
    goal_ids = [int(g) for g in form.goal_ids if g.isdigit()]
    if len(goal_ids) != len(form.goal_ids) or not set(goal_ids) <= known:
        errors[BlockId.LOG_GOALS] = "One of those goals no longer exists: pick again."
    if len(form.notes) > NOTES_MAX:
        errors[BlockId.LOG_NOTES] = f"Keep the notes under {NOTES_MAX} characters."
    people = {pairing.mentor_user_id, pairing.mentee_user_id}
    for index, action in enumerate(form.actions[:ACTION_ITEMS_MAX], start=1):
        text_block = f"{BlockId.LOG_ACTION_TEXT_PREFIX}{index}"
        if not action.text and (action.owner_user_id or action.due):
            errors[text_block] = "Say what needs doing, or clear this item's owner and due date."
        elif len(action.text) > ACTION_TEXT_MAX:
            errors[text_block] = f"Keep an action item under {ACTION_TEXT_MAX} characters."
        if action.owner_user_id and action.owner_user_id not in people:
            errors[f"{BlockId.LOG_ACTION_OWNER_PREFIX}{index}"] = "Pick one of the two of you."
        if action.due and action.due < today:
            errors[f"{BlockId.LOG_ACTION_DUE_PREFIX}{index}"] = (
                "That date has passed: pick today or a later day."
            )
    if errors:
        raise FieldErrors(errors)
    assert form.day is not None
    return form.day, minutes, goal_ids


def _scheduled_match(
    session: Session, *, pairing: Pairing, day: date, tz: str, now: datetime
) -> Meeting | None:
    """The scheduled session a logged day is about: that day's, else the latest past one nearby."""
    window = timedelta(days=MATCH_WINDOW_DAYS + 1)
    middle = _at_local(day, time(12), tz)
    candidates = session.exec(
        select(Meeting)
        .where(
            Meeting.pairing_id == pairing.id,
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.scheduled_start) >= middle - window,
            col(Meeting.scheduled_start) <= middle + window,
        )
        .order_by(col(Meeting.scheduled_start).desc())
    ).all()
    same_day = [
        m for m in candidates if m.scheduled_start and local_day(m.scheduled_start, tz) == day
    ]
    if same_day:
        return same_day[-1]
    nearby = [
        m
        for m in candidates
        if m.scheduled_start
        and m.scheduled_start <= now
        and abs((local_day(m.scheduled_start, tz) - day).days) <= MATCH_WINDOW_DAYS
    ]
    return nearby[0] if nearby else None


def log_session(
    session: Session,
    *,
    pairing: Pairing,
    program: Program,
    by_user_id: str,
    tz: str,
    form: LogForm,
    now: datetime,
) -> LoggedSession:
    """Record a held session: the scheduled one it was, or a new one; goals, notes, actions."""
    role_in(pairing, by_user_id)
    check_open(pairing, program)
    goals = pair_goals(session, pairing_id=pairing.id or 0)
    day, minutes, goal_ids = _check_log(
        form, pairing=pairing, program=program, goals=goals, tz=tz, now=now
    )
    meeting = _scheduled_match(session, pairing=pairing, day=day, tz=tz, now=now)
    was_scheduled = meeting is not None
    if meeting is not None and meeting.scheduled_start is not None:
        on_day = local_day(meeting.scheduled_start, tz) == day
        held_at = meeting.scheduled_start if on_day else _at_local(day, time(12), tz)
    else:
        held_at = _at_local(day, time(12), tz)
    held_at = min(held_at, now)
    if meeting is None:
        meeting = Meeting(
            team_id=pairing.team_id,
            pairing_id=_pk(pairing),
            scheduled_start=held_at,
            duration_minutes=minutes,
            ics_uid=new_ics_uid(),
            created_at=now,
        )
        session.add(meeting)
        session.flush()
        # The "next session" agenda written before this unscheduled session was its agenda.
        for agenda_item in session.exec(
            select(AgendaItem).where(
                AgendaItem.pairing_id == pairing.id,
                col(AgendaItem.meeting_id).is_(None),
                col(AgendaItem.created_at) <= held_at + timedelta(minutes=minutes),
            )
        ).all():
            agenda_item.meeting_id = meeting.id
            session.add(agenda_item)
    meeting.status = MeetingStatus.HELD
    meeting.held_at = held_at
    meeting.minutes_held = minutes
    meeting.notes = form.notes.strip()
    meeting.logged_by = by_user_id
    session.add(meeting)
    meeting_id = _pk(meeting)
    for goal_id in goal_ids:
        session.add(MeetingGoal(meeting_id=meeting_id, goal_id=goal_id, team_id=pairing.team_id))
    owner_default = pairing.mentee_user_id
    actions: list[ActionItem] = []
    for action in form.actions[:ACTION_ITEMS_MAX]:
        if not action.text:
            continue
        item = ActionItem(
            team_id=pairing.team_id,
            pairing_id=_pk(pairing),
            meeting_id=meeting_id,
            text=action.text,
            owner_user_id=action.owner_user_id or owner_default,
            due_date=action.due,
            created_at=now,
        )
        session.add(item)
        actions.append(item)
    session.flush()
    held_count = len(
        session.exec(
            select(Meeting.id).where(
                Meeting.pairing_id == pairing.id, Meeting.status == MeetingStatus.HELD
            )
        ).all()
    )
    note_event(
        session,
        pairing=pairing,
        event=PairEvent.FIRST_SESSION_HELD if held_count == 1 else PairEvent.SECOND_SESSION_HELD,
    )
    statements = {goal.id: goal.statement for goal in goals}
    return LoggedSession(
        meeting_id=meeting_id,
        pairing_id=_pk(pairing),
        program_name=program.name,
        mentor_user_id=pairing.mentor_user_id,
        mentee_user_id=pairing.mentee_user_id,
        logged_by=by_user_id,
        held_at=held_at,
        minutes=minutes,
        notes=meeting.notes,
        goals=[statements[g] for g in goal_ids],
        actions=[ActionLine(_pk_action(a), a.text, a.owner_user_id, a.due_date) for a in actions],
        hours=hours_summary(session, pairing=pairing, program=program, today=local_day(now, tz)),
        held_count=held_count,
        was_scheduled=was_scheduled,
    )


def _pk_action(item: ActionItem) -> int:
    if item.id is None:
        raise ValueError("ActionItem has not been saved")
    return item.id


def meeting_for(session: Session, *, team_id: str, user_id: str, meeting_id: int) -> Meeting:
    """A meeting of a pair ``user_id`` belongs to; anyone else is refused."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.team_id != team_id:
        raise NotFound("That session no longer exists.")
    pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=meeting.pairing_id)
    return meeting


def mark_moved(session: Session, *, meeting: Meeting) -> None:
    """A session that did not happen at its time: kept as history, MOVED, with nothing new yet.

    Its agenda waits for the next session, as a cancelled one's does; the next time scheduled
    continues the same calendar event (``schedule_session``).
    """
    if meeting.status is MeetingStatus.SCHEDULED:
        meeting.status = MeetingStatus.MOVED
        session.add(meeting)
        pairing = session.get(Pairing, meeting.pairing_id)
        if pairing is not None:
            _move_agenda(session, pairing=pairing, from_meeting_id=meeting.id, to_meeting_id=None)
