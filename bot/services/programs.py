"""Programs: lookups every surface shares, their settings and life cycle, and their head counts.

No Slack here: handlers turn a submitted modal into a ``ProgramForm``, and everything from
validation to storage happens in this module.
"""

import math
import re
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, func, select

from bot.errors import FieldErrors, NotFound, UserError
from bot.ids import BlockId
from bot.markup import escape
from storage.enums import (
    Cadence,
    PairingStatus,
    ParticipantStatus,
    ProgramStatus,
    Purpose,
    ReviewStyle,
    Role,
    Structure,
    Visibility,
)
from storage.models import Pairing, Participant, Program, ProgramLead

# The limits of a program's design, shared by the modal and the validation.
NAME_MAX = 80
PURPOSE_DETAIL_MAX = 255
LONG_TEXT_MAX = 1000
GROUP_SIZE_MIN, GROUP_SIZE_MAX = 2, 12
PLACES_MIN, PLACES_MAX = 1, 500
LENGTH_MIN, LENGTH_MAX = 1, 24
DEFAULT_LENGTH_MONTHS = 6
COMPETENCIES_MAX = 20
COMPETENCY_MAX = 80
CO_LEADS_MAX = 10
SESSION_MINUTES = (30, 45, 60, 90)

# Built-in measures a program can track (value -> label); Slack allows 10 checkboxes.
MEASURES: dict[str, str] = {
    "sessions": "Sessions held",
    "hours": "Hours against plan",
    "goals": "Goal progress",
    "scorecards": "Session scorecards",
    "skills": "Skill growth",
    "surveys": "Surveys",
}

# Pairings in which a mentee counts as matched.
_MATCHED_STATUSES = (PairingStatus.ACTIVE, PairingStatus.PAUSED)
# Which statuses each status can be reached from; a closed program stays closed.
_REACHABLE_FROM: dict[ProgramStatus, frozenset[ProgramStatus]] = {
    ProgramStatus.DRAFT: frozenset(),
    ProgramStatus.ENROLLING: frozenset({ProgramStatus.DRAFT}),
    ProgramStatus.ACTIVE: frozenset({ProgramStatus.DRAFT, ProgramStatus.ENROLLING}),
    ProgramStatus.CLOSED: frozenset(
        {ProgramStatus.DRAFT, ProgramStatus.ENROLLING, ProgramStatus.ACTIVE}
    ),
}
_STATUS_WORDS = {
    ProgramStatus.DRAFT: "a draft",
    ProgramStatus.ENROLLING: "open for enrolment",
    ProgramStatus.ACTIVE: "active",
    ProgramStatus.CLOSED: "closed",
}
_E = TypeVar("_E", bound=StrEnum)
# Bullets people paste in front of list items ("- ", "• ", "1. ").
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")


@dataclass(frozen=True, slots=True)
class ProgramForm:
    """The program modal's answers as submitted: nothing checked yet, numbers still text."""

    name: str = ""
    purpose: str | None = None
    purpose_detail: str = ""
    company_goal: str = ""
    structure: str | None = None
    group_size: str = ""
    places: str = ""
    success_measures: str = ""
    tracked_measures: list[str] = field(default_factory=list)
    review_style: str | None = None
    cadence: str | None = None
    session_minutes: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    length_months: str | None = None
    competencies: str = ""
    visibility: str | None = None
    digest_channel_id: str | None = None
    co_lead_ids: list[str] = field(default_factory=list)
    retention_days: str = ""
    min_group_size: str = ""


# Below 3 people an average is one person's answer, or can be worked back to it from one's own.
MIN_GROUP_SIZE = 3


@dataclass(frozen=True, slots=True)
class ProgramSettings:
    """A program's design, checked: every field is a valid ``Program`` value."""

    name: str
    purpose: Purpose
    purpose_detail: str
    company_goal: str
    structure: Structure
    group_size: int
    places: int
    success_measures: str
    tracked_measures: list[str]
    review_style: ReviewStyle
    cadence: Cadence
    session_minutes: int
    start_date: date
    length_months: int
    competencies: list[str]
    visibility: Visibility
    digest_channel_id: str | None
    # Kept in ``Program.rule_settings``, not columns: None keeps the deployment's RETENTION_DAYS.
    retention_days: int | None = None
    min_group_size: int = MIN_GROUP_SIZE


# ``ProgramSettings`` fields stored in ``Program.rule_settings`` rather than in a column.
_RULE_FIELDS = ("retention_days", "min_group_size")
RETENTION_MIN, RETENTION_MAX = 1, 36500
MIN_GROUP_MAX = 50


@dataclass(frozen=True, slots=True)
class ProgramCounts:
    """Who takes part in a program: enrolled (active or paused) and active people by role."""

    mentors: int = 0
    mentors_active: int = 0
    mentees: int = 0
    mentees_active: int = 0
    mentees_matched: int = 0

    @property
    def mentees_unmatched(self) -> int:
        """Enrolled mentees without a live pairing (proposals not yet approved count here)."""
        return self.mentees - self.mentees_matched


# --- lookups -----------------------------------------------------------------------------------


def get_program(session: Session, *, team_id: str, name: str) -> Program:
    """The workspace's program called ``name`` (any case), or a NotFound naming the choices."""
    program = session.exec(
        select(Program).where(
            Program.team_id == team_id, func.lower(Program.name) == name.strip().lower()
        )
    ).first()
    if program is None:
        # Anyone may mistype a name: only programs open to everyone are named back (a draft or
        # an invitation-only program is not everyone's to know about).
        names = [
            p.name
            for p in list_programs(session, team_id=team_id)
            if p.status is not ProgramStatus.DRAFT and p.visibility is Visibility.OPEN
        ]
        known = ", ".join(f"*{escape(n)}*" for n in names) if names else "none open to everyone"
        raise NotFound(f"There is no program called *{escape(name)}*. Programs here: {known}.")
    return program


def get_program_by_id(session: Session, *, team_id: str, program_id: int) -> Program:
    """The workspace's program with this id (ids from buttons are checked against the team)."""
    program = session.get(Program, program_id)
    if program is None or program.team_id != team_id:
        raise NotFound("That program no longer exists.")
    return program


def list_programs(
    session: Session, *, team_id: str, statuses: tuple[ProgramStatus, ...] | None = None
) -> list[Program]:
    """The workspace's programs, newest start first, optionally only in some statuses."""
    query = select(Program).where(Program.team_id == team_id)
    if statuses:
        query = query.where(col(Program.status).in_([s.value for s in statuses]))
    return list(session.exec(query.order_by(col(Program.start_date).desc(), col(Program.id))))


def program_end(program: Program) -> date:
    """The day after the program's last day: when its schedule stops (not a day to show)."""
    return program.start_date + relativedelta(months=program.length_months)


def program_last_day(program: Program) -> date:
    """The program's last day, as people are shown it ("1 Apr to 30 Sep")."""
    return program_end(program) - timedelta(days=1)


def program_midpoint(program: Program) -> date:
    """The program's midpoint, when the formal midpoint check is due."""
    return program.start_date + (program_end(program) - program.start_date) / 2


def co_lead_ids(session: Session, *, program: Program) -> list[str]:
    """The people added as co-leads of ``program`` (its creator not included)."""
    rows = session.exec(
        select(ProgramLead.user_id)
        .where(ProgramLead.team_id == program.team_id, ProgramLead.program_id == program.id)
        .order_by(col(ProgramLead.id))
    ).all()
    return list(rows)


# --- head counts -------------------------------------------------------------------------------


def program_counts(*, session: Session, programs: Iterable[Program]) -> dict[int, ProgramCounts]:
    """Head counts of each program by id, in one grouped query; programs nobody joined get zeros."""
    by_id = {p.id: p for p in programs if p.id is not None}
    counts = {program_id: ProgramCounts() for program_id in by_id}
    if not by_id:
        return counts
    enrolled = col(Participant.status) != ParticipantStatus.LEFT
    active = col(Participant.status) == ParticipantStatus.ACTIVE
    mentor = col(Participant.role) == Role.MENTOR
    mentee = col(Participant.role) == Role.MENTEE
    matched = (
        sa.exists()
        .where(
            col(Pairing.mentee_id) == col(Participant.id),
            col(Pairing.status).in_([s.value for s in _MATCHED_STATUSES]),
        )
        .correlate(Participant)
    )

    def tally(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return func.coalesce(func.sum(sa.case((condition, 1), else_=0)), 0)

    query = (
        sa.select(
            col(Participant.program_id),
            tally(sa.and_(mentor, enrolled)),
            tally(sa.and_(mentor, active)),
            tally(sa.and_(mentee, enrolled)),
            tally(sa.and_(mentee, active)),
            tally(sa.and_(mentee, enrolled, matched)),
        )
        .where(
            col(Participant.program_id).in_(list(by_id)),
            # Each program's rows belong to its own workspace; never count across workspaces.
            col(Participant.team_id).in_(sorted({p.team_id for p in by_id.values()})),
        )
        .group_by(col(Participant.program_id))
    )
    for program_id, *numbers in session.execute(query):
        counts[program_id] = ProgramCounts(*(int(n) for n in numbers))
    return counts


def places_left(*, session: Session, program: Program, counts: ProgramCounts | None = None) -> int:
    """Mentee places still free (``counts`` saves the query when the caller has them)."""
    if counts is None:
        counts = program_counts(session=session, programs=[program]).get(
            program.id or 0, ProgramCounts()
        )
    return max(program.places - counts.mentees_active, 0)


# --- validation --------------------------------------------------------------------------------


def validate_program_form(
    form: ProgramForm,
    *,
    today: date,
    taken_names: Collection[str] = (),
    current_start: date | None = None,
    enrolled_mentees: int = 0,
) -> ProgramSettings:
    """Check every answer at once; raise FieldErrors keyed by block_id, or return the settings.

    ``taken_names`` are other programs' names (any case); an existing program may keep a
    ``current_start`` in the past, and cannot offer fewer places than its ``enrolled_mentees``.
    """
    errors: dict[str, str] = {}

    name = " ".join(form.name.split())
    if not name:
        errors[BlockId.PROGRAM_NAME] = "Give the program a name."
    elif len(name) > NAME_MAX:
        errors[BlockId.PROGRAM_NAME] = (
            f"Keep the name to {NAME_MAX} characters; it has {len(name)}."
        )
    elif any(c in name for c in "<>&"):
        # Slack rewrites them in a command's text (&lt; …), so nobody could type the name; and a
        # name is shown in many messages, where they would be markup.
        errors[BlockId.PROGRAM_NAME] = (
            "Leave out <, > and &: Slack changes them in commands, so nobody could type the name."
        )
    elif name.lower() in {n.lower() for n in taken_names}:
        errors[BlockId.PROGRAM_NAME] = f"A program called *{name}* already exists."

    purpose = _member(Purpose, form.purpose)
    detail = form.purpose_detail.strip()
    if purpose is None:
        errors[BlockId.PROGRAM_PURPOSE] = "Pick what the program is for."
    if purpose is Purpose.OTHER and not detail:
        errors[BlockId.PROGRAM_PURPOSE_DETAIL] = "Say in a few words what the program is for."
    elif len(detail) > PURPOSE_DETAIL_MAX:
        errors[BlockId.PROGRAM_PURPOSE_DETAIL] = _too_long(PURPOSE_DETAIL_MAX, detail)

    goal = form.company_goal.strip()
    if not goal:
        errors[BlockId.PROGRAM_COMPANY_GOAL] = "Name the company goal this program serves."
    elif len(goal) > LONG_TEXT_MAX:
        errors[BlockId.PROGRAM_COMPANY_GOAL] = _too_long(LONG_TEXT_MAX, goal)

    structure = _member(Structure, form.structure)
    group_size = GROUP_SIZE_MIN
    if structure is None:
        errors[BlockId.PROGRAM_STRUCTURE] = "Pick one-to-one or group mentoring."
    elif structure is Structure.GROUP:
        size = _whole(form.group_size)
        if not form.group_size:
            errors[BlockId.PROGRAM_GROUP_SIZE] = (
                f"Say how many mentees share a mentor ({GROUP_SIZE_MIN} to {GROUP_SIZE_MAX})."
            )
        elif size is None:
            errors[BlockId.PROGRAM_GROUP_SIZE] = "The group size must be a whole number."
        elif not GROUP_SIZE_MIN <= size <= GROUP_SIZE_MAX:
            errors[BlockId.PROGRAM_GROUP_SIZE] = (
                f"Groups have {GROUP_SIZE_MIN} to {GROUP_SIZE_MAX} mentees; that's {size}."
            )
        else:
            group_size = size

    places = _whole(form.places)
    if not form.places:
        errors[BlockId.PROGRAM_PLACES] = "Say how many mentees the program can take."
    elif places is None:
        errors[BlockId.PROGRAM_PLACES] = "Places must be a whole number."
    elif places < PLACES_MIN:
        errors[BlockId.PROGRAM_PLACES] = f"Places must be at least {PLACES_MIN}."
    elif places > PLACES_MAX:
        errors[BlockId.PROGRAM_PLACES] = f"At most {PLACES_MAX} places; that's {places}."
    elif places < enrolled_mentees:
        errors[BlockId.PROGRAM_PLACES] = (
            f"{enrolled_mentees} mentees are already enrolled; places can't be fewer than that."
        )

    success = form.success_measures.strip()
    if not success:
        errors[BlockId.PROGRAM_SUCCESS] = "Say how you'll know the program worked."
    elif len(success) > LONG_TEXT_MAX:
        errors[BlockId.PROGRAM_SUCCESS] = _too_long(LONG_TEXT_MAX, success)
    measures = list(dict.fromkeys(form.tracked_measures))
    if any(m not in MEASURES for m in measures):
        errors[BlockId.PROGRAM_MEASURES] = "Pick the measures from the list."

    review_style = _member(ReviewStyle, form.review_style)
    if review_style is None:
        errors[BlockId.PROGRAM_REVIEW_STYLE] = "Pick a formal review or a casual check-in."
    cadence = _member(Cadence, form.cadence)
    if cadence is None:
        errors[BlockId.PROGRAM_CADENCE] = "Pick how often pairs meet."
    minutes = _whole(form.session_minutes or "")
    if minutes not in SESSION_MINUTES:
        errors[BlockId.PROGRAM_SESSION_MINUTES] = "Pick how long a session lasts."

    start = form.start_date
    if start is None:
        errors[BlockId.PROGRAM_START] = "Pick a start date."
    elif start < today and start != current_start:
        errors[BlockId.PROGRAM_START] = "The start date is in the past; pick today or later."
    length = _length(form, errors)

    competencies = _competencies(form.competencies, errors)

    visibility = _member(Visibility, form.visibility)
    if visibility is None:
        errors[BlockId.PROGRAM_VISIBILITY] = "Pick who may join."
    if len(set(form.co_lead_ids)) > CO_LEADS_MAX:
        errors[BlockId.PROGRAM_CO_LEADS] = (
            f"At most {CO_LEADS_MAX} co-leads; you picked {len(set(form.co_lead_ids))}."
        )

    retention = _retention(form.retention_days, errors)
    min_group = _min_group(form.min_group_size, errors)

    if errors:
        raise FieldErrors(errors)
    if (
        purpose is None
        or structure is None
        or places is None
        or review_style is None
        or cadence is None
        or minutes is None
        or start is None
        or length is None
        or visibility is None
    ):  # pragma: no cover - each was reported above; this only narrows the types
        raise AssertionError("a missing answer was not reported")
    return ProgramSettings(
        name=name,
        purpose=purpose,
        purpose_detail=detail,
        company_goal=goal,
        structure=structure,
        group_size=group_size,
        places=places,
        success_measures=success,
        tracked_measures=measures,
        review_style=review_style,
        cadence=cadence,
        session_minutes=minutes,
        start_date=start,
        length_months=length,
        competencies=competencies,
        visibility=visibility,
        digest_channel_id=form.digest_channel_id or None,
        retention_days=retention,
        min_group_size=min_group,
    )


def _retention(text: str, errors: dict[str, str]) -> int | None:
    """Days to keep people's words after the program closes; blank: the deployment's default."""
    if not text.strip():
        return None
    days = _whole(text)
    if days is None or not RETENTION_MIN <= days <= RETENTION_MAX:
        errors[BlockId.PROGRAM_RETENTION] = (
            f"Keep words for a whole number of days, {RETENTION_MIN} to {RETENTION_MAX:,}; "
            "leave it empty for this workspace's default."
        )
    return days


def _min_group(text: str, errors: dict[str, str]) -> int:
    """The fewest people an average shown to leads is over: 3 or more (blank: 3)."""
    if not text.strip():
        return MIN_GROUP_SIZE
    size = _whole(text)
    if size is None or size > MIN_GROUP_MAX:
        errors[BlockId.PROGRAM_MIN_GROUP] = (
            f"Give a whole number of people, {MIN_GROUP_SIZE} to {MIN_GROUP_MAX}."
        )
    elif size < MIN_GROUP_SIZE:
        errors[BlockId.PROGRAM_MIN_GROUP] = (
            f"At least {MIN_GROUP_SIZE}: below that an average is one person's answer, or can "
            "be worked back to it."
        )
    return size if size is not None and size >= MIN_GROUP_SIZE else MIN_GROUP_SIZE


def whole_months(start: date, end: date) -> int:
    """Months from ``start`` to ``end``, rounded to the nearest whole month."""
    delta = relativedelta(end, start)
    months = delta.years * 12 + delta.months
    return months + 1 if delta.days >= 15 else months


def _length(form: ProgramForm, errors: dict[str, str]) -> int | None:
    """The length in months: from the end date when one is given, else the chosen length."""
    if form.end_date is not None:
        if form.start_date is None:
            return None
        if form.end_date <= form.start_date:
            errors[BlockId.PROGRAM_END] = "The end date must be after the start date."
            return None
        months = whole_months(form.start_date, form.end_date)
        if not LENGTH_MIN <= months <= LENGTH_MAX:
            that = "less than one" if months < LENGTH_MIN else str(months)
            errors[BlockId.PROGRAM_END] = (
                f"A program runs {LENGTH_MIN} to {LENGTH_MAX} months; that's {that}."
            )
            return None
        return months
    chosen = _whole(form.length_months or "")
    if chosen is None:
        errors[BlockId.PROGRAM_LENGTH] = "Pick how many months the program runs."
    elif not LENGTH_MIN <= chosen <= LENGTH_MAX:
        errors[BlockId.PROGRAM_LENGTH] = (
            f"A program runs {LENGTH_MIN} to {LENGTH_MAX} months; that's {chosen}."
        )
        return None
    return chosen


def _competencies(text: str, errors: dict[str, str]) -> list[str]:
    """The skill matrix's competencies, one per line, bullets and blank lines dropped."""
    items = [_BULLET.sub("", line).strip() for line in text.splitlines()]
    items = [" ".join(item.split()) for item in items if item]
    seen: set[str] = set()
    duplicate = None
    for item in items:
        if item.lower() in seen and duplicate is None:
            duplicate = item
        seen.add(item.lower())
    too_long = next((i for i in items if len(i) > COMPETENCY_MAX), None)
    if not items:
        errors[BlockId.PROGRAM_COMPETENCIES] = "List at least one competency, one per line."
    elif len(items) > COMPETENCIES_MAX:
        errors[BlockId.PROGRAM_COMPETENCIES] = (
            f"At most {COMPETENCIES_MAX} competencies; you listed {len(items)}."
        )
    elif too_long is not None:
        errors[BlockId.PROGRAM_COMPETENCIES] = (
            f"Keep each competency to {COMPETENCY_MAX} characters; "
            f"“{too_long[:30]}…” has {len(too_long)}."
        )
    elif duplicate is not None:
        errors[BlockId.PROGRAM_COMPETENCIES] = f"“{duplicate}” is listed twice."
    return items


def _member(enum: type[_E], value: str | None) -> _E | None:
    """The enum member with this value, or None for no or an unknown value."""
    try:
        return enum(value) if value else None
    except ValueError:
        return None


def _whole(text: str) -> int | None:
    """The whole number written in ``text``, or None."""
    try:
        return int(text.strip())
    except ValueError:
        return None


def _too_long(limit: int, text: str) -> str:
    return f"Keep this to {limit} characters; it has {len(text)}."


# --- changes -----------------------------------------------------------------------------------


def save_program_form(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    form: ProgramForm,
    today: date,
    now: datetime,
    program: Program | None = None,
    timezone: str = "UTC",
) -> Program:
    """Validate the modal's answers and create the program (or update ``program``)."""
    if program is not None:
        require_editable(program)
    current_id = program.id if program is not None else None
    others = [p.name for p in list_programs(session, team_id=team_id) if p.id != current_id]
    enrolled = places_taken(session=session, program=program) if program is not None else 0
    settings = validate_program_form(
        form,
        today=today,
        taken_names=others,
        current_start=program.start_date if program else None,
        enrolled_mentees=enrolled,
    )
    if program is None:
        return create_program(
            session=session,
            team_id=team_id,
            user_id=user_id,
            settings=settings,
            co_lead_ids=form.co_lead_ids,
            now=now,
            timezone=timezone,
        )
    return update_program(
        session=session,
        program=program,
        settings=settings,
        co_lead_ids=form.co_lead_ids,
        user_id=user_id,
        now=now,
    )


def places_taken(*, session: Session, program: Program) -> int:
    """Active mentees of ``program``: the places in use."""
    counts = program_counts(session=session, programs=[program])
    return counts.get(program.id or 0, ProgramCounts()).mentees_active


def create_program(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    settings: ProgramSettings,
    co_lead_ids: Collection[str],
    now: datetime,
    timezone: str = "UTC",
) -> Program:
    """Store a new draft program led by ``user_id`` and the co-leads they named."""
    _require_free_name(session, team_id=team_id, name=settings.name, program_id=None)
    program = Program(
        team_id=team_id,
        created_by=user_id,
        status=ProgramStatus.DRAFT,
        timezone=timezone,
        created_at=now,
        updated_at=now,
        **_columns(settings),
    )
    _set_rules(program, settings)
    session.add(program)
    session.flush()
    _replace_co_leads(session, program=program, user_ids=co_lead_ids, by=user_id, now=now)
    return program


def _columns(settings: ProgramSettings) -> dict[str, Any]:
    """The settings stored in ``Program``'s own columns."""
    return {k: v for k, v in asdict(settings).items() if k not in _RULE_FIELDS}


def _set_rules(program: Program, settings: ProgramSettings) -> None:
    """Merge the privacy settings into ``rule_settings``, keeping every other rule's override
    (a new dict: the JSON column is saved only when it is replaced)."""
    rules = dict(program.rule_settings or {})
    rules["min_group_size"] = settings.min_group_size
    if settings.retention_days is None:
        rules.pop("retention_days", None)
    else:
        rules["retention_days"] = settings.retention_days
    program.rule_settings = rules


def require_editable(program: Program) -> None:
    """Refuse to change a closed program: its history is what reports are made of."""
    if program.status is ProgramStatus.CLOSED:
        raise UserError(f"*{program.name}* is closed; a closed program can't be edited.")


def require_enrolling(program: Program) -> None:
    """Only a program open for enrolment can be announced: the Join buttons must work."""
    if program.status is ProgramStatus.ENROLLING:
        return
    if program.status is ProgramStatus.DRAFT:
        raise UserError(
            f"*{program.name}* isn't open for enrolment yet. "
            f"Open it first with `/mentor program open {program.name}`, then announce it."
        )
    raise UserError(
        f"*{program.name}* is {_STATUS_WORDS[program.status]}; only a program open for "
        "enrolment can be announced."
    )


def update_program(
    *,
    session: Session,
    program: Program,
    settings: ProgramSettings,
    co_lead_ids: Collection[str],
    user_id: str,
    now: datetime,
) -> Program:
    """Apply new settings to ``program`` and replace its co-leads."""
    require_editable(program)
    _require_free_name(session, team_id=program.team_id, name=settings.name, program_id=program.id)
    for key, value in _columns(settings).items():
        setattr(program, key, value)
    _set_rules(program, settings)
    program.updated_at = now
    session.add(program)
    session.flush()
    _replace_co_leads(session, program=program, user_ids=co_lead_ids, by=user_id, now=now)
    return program


def set_program_status(
    *, session: Session, program: Program, status: ProgramStatus, now: datetime
) -> Program:
    """Move ``program`` to ``status``; UserError, and no change, when the move is impossible."""
    current = program.status
    if current is status:
        raise UserError(f"*{program.name}* is already {_STATUS_WORDS[status]}.")
    if current not in _REACHABLE_FROM[status]:
        if current is ProgramStatus.CLOSED:
            raise UserError(
                f"*{program.name}* is closed, and a closed program can't be reopened. "
                "Create a new one with `/mentor program new`."
            )
        raise UserError(
            f"*{program.name}* is {_STATUS_WORDS[current]}, so it can't be "
            f"{_STATUS_WORDS[status]} again."
        )
    program.status = status
    program.updated_at = now
    if status is ProgramStatus.CLOSED:
        program.closed_at = now
    session.add(program)
    session.flush()
    return program


def start_if_due(*, session: Session, program: Program, today: date, now: datetime) -> bool:
    """Start an enrolling program whose start date has come and that has a running pair.

    A lead should never be left with a program that was matched but never started: it starts by
    itself on its start date (the scheduler asks every hour), or at the first approval once that
    date has passed. Returns whether it started now.
    """
    if program.status is not ProgramStatus.ENROLLING or program.start_date > today:
        return False
    running = session.exec(
        select(Pairing.id).where(
            Pairing.program_id == program.id, col(Pairing.status) == PairingStatus.ACTIVE
        )
    ).first()
    if running is None:
        return False
    set_program_status(session=session, program=program, status=ProgramStatus.ACTIVE, now=now)
    return True


def _require_free_name(
    session: Session, *, team_id: str, name: str, program_id: int | None
) -> None:
    """Names are unique per workspace in any case: commands find programs by name."""
    clash = session.exec(
        select(Program.id).where(
            Program.team_id == team_id, func.lower(Program.name) == name.lower()
        )
    ).first()
    if clash is not None and clash != program_id:
        raise FieldErrors({BlockId.PROGRAM_NAME: f"A program called *{name}* already exists."})


def _replace_co_leads(
    session: Session, *, program: Program, user_ids: Collection[str], by: str, now: datetime
) -> None:
    """Make exactly ``user_ids`` the co-leads (the creator leads anyway, so is left out)."""
    wanted = [u for u in dict.fromkeys(user_ids) if u and u != program.created_by]
    existing = session.exec(
        select(ProgramLead).where(
            ProgramLead.team_id == program.team_id, ProgramLead.program_id == program.id
        )
    ).all()
    for lead in existing:
        if lead.user_id not in wanted:
            session.delete(lead)
    kept = {lead.user_id for lead in existing}
    assert program.id is not None
    for user_id in wanted:
        if user_id not in kept:
            session.add(
                ProgramLead(
                    team_id=program.team_id,
                    program_id=program.id,
                    user_id=user_id,
                    added_by=by,
                    added_at=now,
                )
            )
    session.flush()


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Every rule's defaults; a program overrides any of them in ``Program.rule_settings``."""

    agenda_prompt_hours: float = 24
    reminder_minutes: float = 15
    scorecard_after_minutes: float = 60
    did_you_meet_hours: float = 24
    lapse_nudge_factor: float = 1.5
    lapse_escalation_factor: float = 2.0
    reassessment_weeks: float = 6
    final_survey_days: float = 14
    due_reminder_days: int = 3
    # Days a failure mode (one-sided effort, agenda drift, ...) may persist after the pair was
    # nudged before it reaches the leads as a red flag.
    escalate_after_days: float = 14
    # Leads see an average only over at least this many distinct people (``group_floor``).
    min_group_size: float = MIN_GROUP_SIZE

    @property
    def group_floor(self) -> int:
        """The fewest distinct people an average shown to leads is over: never below 3."""
        size = self.min_group_size
        return max(MIN_GROUP_SIZE, math.ceil(size)) if math.isfinite(size) else MIN_GROUP_SIZE

    @classmethod
    def for_program(cls, program: Program) -> "RuleSettings":
        """The defaults with the program's overrides (unknown or non-numeric ones ignored)."""
        known = {f.name for f in fields(cls)}
        overrides: dict[str, Any] = {
            key: value
            for key, value in (program.rule_settings or {}).items()
            if key in known and isinstance(value, int | float) and value > 0
        }
        return replace(cls(), **overrides)
