"""Enrolment: joining a program, editing the profile matching uses, pausing, resuming, leaving.

Functions here change the database and return what people must be told (``Notification``); the
handlers queue those in the outbox in the same unit of work, so a change and its news are stored
together and a Slack failure never half-writes rows.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.commands import COMMAND
from bot.errors import FieldErrors, NotFound, UserError
from bot.ids import BlockId
from bot.services.invitations import invited_program_ids, mark_joined, require_invited
from bot.services.leads import program_lead_ids
from bot.services.programs import get_program
from storage.enums import (
    Cadence,
    FlagKind,
    PairingStatus,
    ParticipantStatus,
    ProgramStatus,
    Role,
    Visibility,
)
from storage.models import Flag, Pairing, Participant, Program

JOINABLE_STATUSES = (ProgramStatus.ENROLLING, ProgramStatus.ACTIVE)
# Who takes part right now (a paused person keeps their place and their pairings).
ENROLLED_STATUSES = (ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED)
# Pairings that still bind two people; leaving ends them all.
OPEN_PAIRING_STATUSES = (PairingStatus.PROPOSED, PairingStatus.ACTIVE, PairingStatus.PAUSED)
# Pairings the partner knows about (a proposed one has not been introduced yet).
RUNNING_PAIRING_STATUSES = (PairingStatus.ACTIVE, PairingStatus.PAUSED)

SITUATION_MIN = 20
AIM_MIN = 10
STORY_MAX = 1500
GAPS_MIN, GAPS_MAX = 2, 3
SCORE_MIN, SCORE_MAX = 1, 5
CAPACITY_MIN, CAPACITY_MAX = 1, 10
LIST_MAX_ITEMS = 10
LIST_ITEM_MAX = 50
AVAILABILITY_MAX = 500
NOTE_MAX = 1000
PAUSE_MAX_MONTHS = 6
# Slack option values hold 150 characters; longer competency names are sent clipped.
COMPETENCY_VALUE_MAX = 150
# Rows of offered skills a mentor's form shows (more when their profile already has more).
OFFER_ROWS, OFFER_MAX = 5, 10

GAP_BLOCKS = (
    (BlockId.JOIN_SKILL_1, BlockId.JOIN_SCORE_1),
    (BlockId.JOIN_SKILL_2, BlockId.JOIN_SCORE_2),
    (BlockId.JOIN_SKILL_3, BlockId.JOIN_SCORE_3),
)
# Block ids of the join modal's newer inputs; they belong with the others in bot.ids.BlockId.
# A mentor's offered skills: (skill, the level they offer it at), one pair of inputs per row.
OFFER_BLOCKS = tuple((f"join_offer_skill_{n}", f"join_offer_level_{n}") for n in range(1, 11))
JOIN_PRACTISING = "join_practising"
JOIN_QUIET = "join_quiet"


# --- what comes in, what goes out ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GapRow:
    """One skill row of the join form as submitted, raw: a skill and a mentee's self-score in it,
    or the level a mentor offers it at."""

    skill: str | None = None
    score: str | None = None


@dataclass(frozen=True, slots=True)
class ProfileForm:
    """The join/profile modal as submitted, unvalidated."""

    situation: str = ""
    aim: str = ""
    gaps: tuple[GapRow, ...] = ()
    offers: tuple[GapRow, ...] = ()
    practising: str = ""
    capacity: str = ""
    interests: str = ""
    values: str = ""
    work_days: tuple[str, ...] = ()
    work_start: time | None = None
    work_end: time | None = None
    availability: str = ""
    cadence: str | None = None
    quiet: bool = False


@dataclass(frozen=True, slots=True)
class ProfileData:
    """A validated profile, ready to store on a ``Participant``."""

    situation: str
    aim: str
    # A mentee's gaps with their self-scores, or a mentor's skills with the levels they stated.
    skills: tuple[tuple[str, int], ...]
    interests: tuple[str, ...]
    values: tuple[str, ...]
    work_days: str
    work_start: time
    work_end: time
    availability: str
    preferred_cadence: Cadence
    capacity: int
    practising: tuple[str, ...] = ()
    quiet: bool = False


@dataclass(frozen=True, slots=True)
class Enrolment:
    """The stored participant, and whether this was a new sign-up (not a profile edit)."""

    participant: Participant
    is_new: bool


class NotificationKind(StrEnum):
    """What a notification tells its recipient."""

    PAUSED = "paused"
    PARTNER_PAUSED = "partner_paused"
    RESUMED = "resumed"
    PARTNER_RESUMED = "partner_resumed"
    LEFT = "left"
    PARTNER_LEFT = "partner_left"
    REMATCH_REQUESTED = "rematch_requested"
    REMATCH_CONFIRMED = "rematch_confirmed"
    REMATCH_ALREADY_ASKED = "rematch_already_asked"

    @property
    def is_confirmation(self) -> bool:
        """Whether it goes to the person the news is about, not to a partner or a lead."""
        return self in _CONFIRMATIONS


_CONFIRMATIONS = frozenset(
    {
        NotificationKind.PAUSED,
        NotificationKind.RESUMED,
        NotificationKind.LEFT,
        NotificationKind.REMATCH_CONFIRMED,
        NotificationKind.REMATCH_ALREADY_ASKED,
    }
)


@dataclass(frozen=True, slots=True)
class Notification:
    """Something to tell one person, queued in the unit of work that made the change."""

    recipient_id: str
    kind: NotificationKind
    program_id: int
    program_name: str
    # The person who paused, resumed, left or asked.
    about_user_id: str
    # The day a pause ends, in the paused person's calendar.
    until: date | None = None
    note: str = ""
    offer_rematch: bool = False
    # Rows of the person's own words erased as they left (0: none, or they kept them).
    erased: int = 0


# --- programs open to join ----------------------------------------------------------------------


def joinable_programs(
    *, session: Session, team_id: str, user_id: str | None = None
) -> list[Program]:
    """Programs of the workspace that take sign-ups, soonest start first: the open ones, and
    those by invitation that ``user_id`` was invited to."""
    query = select(Program).where(
        Program.team_id == team_id,
        col(Program.status).in_([s.value for s in JOINABLE_STATUSES]),
    )
    invited = invited_program_ids(session, team_id=team_id, user_id=user_id) if user_id else set()
    query = query.where(
        or_(col(Program.visibility) == Visibility.OPEN, col(Program.id).in_(sorted(invited)))
    )
    return list(session.exec(query.order_by(col(Program.start_date), col(Program.id))))


def mentee_places_taken(*, session: Session, program_ids: Iterable[int]) -> dict[int, int]:
    """How many mentees take part in each program (paused ones keep their place)."""
    ids = list(program_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(Participant.program_id, func.count())
        .where(
            col(Participant.program_id).in_(ids),
            Participant.role == Role.MENTEE,
            col(Participant.status).in_([s.value for s in ENROLLED_STATUSES]),
        )
        .group_by(col(Participant.program_id))
    ).all()
    taken = dict.fromkeys(ids, 0)
    taken.update({program_id: int(count) for program_id, count in rows})
    return taken


def require_joinable(program: Program) -> None:
    """Refuse unless the program takes sign-ups (enrolling, or running and open to late joiners)."""
    if program.status in JOINABLE_STATUSES:
        return
    if program.status == ProgramStatus.DRAFT:
        raise UserError(
            f"{program.name} isn't open for enrolment yet. "
            f"Its leads open it with `{COMMAND} program open` when it's ready."
        )
    raise UserError(f"{program.name} has closed and no longer takes new participants.")


def check_can_join(*, session: Session, program: Program, user_id: str, role: Role) -> None:
    """Refuse a sign-up the program cannot take; editing an existing profile is always fine.

    An invitation-only program refuses whoever was not invited, before anything else is said
    about it (how full it is).
    """
    require_joinable(program)
    require_invited(session, program=program, user_id=user_id)
    if role != Role.MENTEE:
        return
    existing = find_participant(session=session, program=program, user_id=user_id, role=role)
    if existing is not None and existing.status in ENROLLED_STATUSES:
        return
    taken = mentee_places_taken(session=session, program_ids=[_id(program)])[_id(program)]
    if taken >= program.places:
        raise UserError(
            f"{program.name} is full ({taken} of {program.places} mentee places are taken). "
            "Ask one of its leads whether more places will open, or join as a mentor."
        )


def find_participant(
    *, session: Session, program: Program, user_id: str, role: Role
) -> Participant | None:
    """The person's enrolment in ``program`` with ``role``, whatever its status."""
    return session.exec(
        select(Participant).where(
            Participant.program_id == _id(program),
            Participant.user_id == user_id,
            Participant.role == role,
        )
    ).first()


# --- the profile --------------------------------------------------------------------------------


def validate_profile(form: ProfileForm, *, program: Program, role: Role) -> ProfileData:
    """Check every field at once; raise ``FieldErrors`` naming each wrong one."""
    errors: dict[str, str] = {}
    partner = "your mentor" if role == Role.MENTEE else "your mentees"
    situation = _story(
        form.situation,
        BlockId.JOIN_SITUATION,
        errors,
        minimum=SITUATION_MIN,
        too_short=f"Tell {partner} a little more (at least {SITUATION_MIN} characters).",
    )
    aim = _story(
        form.aim,
        BlockId.JOIN_AIM,
        errors,
        minimum=AIM_MIN,
        too_short=(f"Say where you want to be in 6 to 12 months (at least {AIM_MIN} characters)."),
    )
    practising: tuple[str, ...] = ()
    if role == Role.MENTEE:
        skills = _skill_gaps(form.gaps, program, errors)
        capacity = 1
    else:
        skills = _skills_offered(form.offers, program, errors)
        practising = _short_list(form.practising, "things to practise", JOIN_PRACTISING, errors)
        capacity = _capacity(form.capacity, errors)
    interests = _short_list(form.interests, "interests", BlockId.JOIN_INTERESTS, errors)
    values = _short_list(form.values, "values", BlockId.JOIN_VALUES, errors)
    days = "".join(sorted({d for d in form.work_days if d in "1234567" and len(d) == 1}))
    if not days:
        errors[BlockId.JOIN_DAYS] = "Pick at least one day you work."
    start, end = form.work_start, form.work_end
    if start is None:
        errors[BlockId.JOIN_WORK_START] = "Pick when your working day starts."
    if end is None:
        errors[BlockId.JOIN_WORK_END] = "Pick when your working day ends."
    if start is not None and end is not None and start >= end:
        errors[BlockId.JOIN_WORK_START] = "Start must be before end."
    if len(form.availability) > AVAILABILITY_MAX:
        errors[BlockId.JOIN_AVAILABILITY] = (
            f"Keep availability notes to {AVAILABILITY_MAX} characters "
            f"(this is {len(form.availability)})."
        )
    cadence = _cadence(form.cadence)
    if cadence is None:
        errors[BlockId.JOIN_CADENCE] = "Pick how often you'd like to meet."
    if errors or start is None or end is None or cadence is None:
        raise FieldErrors(errors)
    return ProfileData(
        situation=situation,
        aim=aim,
        skills=skills,
        interests=interests,
        values=values,
        work_days=days,
        work_start=start,
        work_end=end,
        availability=form.availability,
        preferred_cadence=cadence,
        capacity=capacity,
        practising=practising,
        quiet=form.quiet,
    )


def stated_level(entry: Mapping[str, object]) -> int | None:
    """The level a mentor stated for one offered skill; None for skills stored before levels
    were asked (their score was a placeholder that nobody gave)."""
    score = entry.get("score")
    return int(score) if entry.get("stated") is True and isinstance(score, int) else None


def competency_matching(program: Program, value: str) -> str | None:
    """The program competency a submitted option value stands for (values may be clipped)."""
    for competency in program.competencies:
        if value and value == str(competency)[:COMPETENCY_VALUE_MAX]:
            return str(competency)
    return None


def _story(text: str, block: str, errors: dict[str, str], *, minimum: int, too_short: str) -> str:
    if len(text) < minimum:
        errors[block] = too_short
    elif len(text) > STORY_MAX:
        errors[block] = f"Keep it to one paragraph: {STORY_MAX:,} characters at most."
    return text


def _skill_from(value: str, program: Program) -> str | None:
    # A program without competencies lets people name their skills in free text.
    if not program.competencies:
        return value[:LIST_ITEM_MAX].strip() or None
    return competency_matching(program, value)


def _skill_gaps(
    rows: Sequence[GapRow], program: Program, errors: dict[str, str]
) -> tuple[tuple[str, int], ...]:
    gaps: list[tuple[str, int]] = []
    seen: set[str] = set()
    empty_rows: list[str] = []
    for row, (skill_block, score_block) in zip(rows, GAP_BLOCKS, strict=False):
        if not row.skill:
            empty_rows.append(skill_block)
            continue
        skill = _skill_from(row.skill, program)
        if skill is None:
            errors[skill_block] = f"{row.skill} isn't one of this program's skills any more."
            continue
        if skill.lower() in seen:
            errors[skill_block] = f"You picked {skill} twice."
            continue
        seen.add(skill.lower())
        score = _int_or_none(row.score)
        if score is None or not SCORE_MIN <= score <= SCORE_MAX:
            errors[score_block] = "Score this skill from 1 (just starting) to 5 (strong)."
            continue
        gaps.append((skill, score))
    empty_rows += [skill_block for skill_block, _ in GAP_BLOCKS[len(rows) :]]
    # Rows with a wrong skill count as picked: their own message says what to fix.
    picked = len(GAP_BLOCKS) - len(empty_rows)
    if not GAPS_MIN <= picked <= GAPS_MAX:
        target = empty_rows[0] if empty_rows else GAP_BLOCKS[0][0]
        errors.setdefault(target, f"Pick {GAPS_MIN} or {GAPS_MAX} skills you want to grow.")
    return tuple(gaps)


def _skills_offered(
    rows: Sequence[GapRow], program: Program, errors: dict[str, str]
) -> tuple[tuple[str, int], ...]:
    """A mentor's skills, each with the level they offer it at (a skill without one is refused:
    matching never makes a level up)."""
    offered: list[tuple[str, int]] = []
    seen: set[str] = set()
    for row, (skill_block, level_block) in zip(rows, OFFER_BLOCKS, strict=False):
        if not row.skill:
            continue  # an empty row; a level picked without a skill is left out with it
        skill = _skill_from(row.skill, program)
        if skill is None:
            errors[skill_block] = f"{row.skill} isn't one of this program's skills any more."
            continue
        if skill.lower() in seen:
            errors[skill_block] = f"You picked {skill} twice."
            continue
        seen.add(skill.lower())
        level = _int_or_none(row.score)
        if level is None or not SCORE_MIN <= level <= SCORE_MAX:
            errors[level_block] = (
                "Say the level you can help at, from 1 (the basics) to 5 (expert)."
            )
            continue
        offered.append((skill, level))
    if not seen and not any(block in errors for block, _ in OFFER_BLOCKS):
        errors[OFFER_BLOCKS[0][0]] = "Pick at least one skill you can help with."
    return tuple(offered)


def _capacity(raw: str, errors: dict[str, str]) -> int:
    number = _int_or_none(raw)
    if number is None or not CAPACITY_MIN <= number <= CAPACITY_MAX:
        errors[BlockId.JOIN_CAPACITY] = (
            f"Take between {CAPACITY_MIN} and {CAPACITY_MAX} mentees (a whole number)."
        )
        return CAPACITY_MIN
    return number


def _short_list(raw: str, what: str, block: str, errors: dict[str, str]) -> tuple[str, ...]:
    items: dict[str, str] = {}
    for part in raw.replace("\n", ",").split(","):
        item = " ".join(part.split())
        if item:
            items.setdefault(item.lower(), item)
    if len(items) > LIST_MAX_ITEMS:
        errors[block] = f"List at most {LIST_MAX_ITEMS} {what} (you gave {len(items)})."
    long = [item for item in items.values() if len(item) > LIST_ITEM_MAX]
    if long:
        errors[block] = f"Keep each of your {what} short ({LIST_ITEM_MAX} characters at most)."
    return tuple(items.values())


def _cadence(raw: str | None) -> Cadence | None:
    try:
        return Cadence(raw) if raw else None
    except ValueError:
        return None


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(str(raw).strip()) if raw is not None else None
    except ValueError:
        return None


# --- joining ------------------------------------------------------------------------------------


def enrol(
    *,
    session: Session,
    program: Program,
    user_id: str,
    role: Role,
    profile: ProfileData,
    timezone: str,
    now: datetime,
) -> Enrolment:
    """Sign the person up with ``profile``, or update the profile they already have."""
    _lock(session, program)
    check_can_join(session=session, program=program, user_id=user_id, role=role)
    mark_joined(session, program=program, user_id=user_id, now=now)
    existing = find_participant(session=session, program=program, user_id=user_id, role=role)
    if existing is not None:
        is_new = existing.status == ParticipantStatus.LEFT
        if is_new:
            existing.status = ParticipantStatus.ACTIVE
            existing.joined_at, existing.left_at, existing.paused_until = now, None, None
        _apply(existing, profile, timezone=timezone, now=now)
        session.add(existing)
        session.flush()
        return Enrolment(existing, is_new)
    participant = Participant(
        team_id=program.team_id,
        program_id=_id(program),
        user_id=user_id,
        role=role,
        joined_at=now,
    )
    _apply(participant, profile, timezone=timezone, now=now)
    try:
        with session.begin_nested():
            session.add(participant)
    except IntegrityError:
        # A double-clicked submit raced us to the insert: update the row it wrote instead.
        raced = find_participant(session=session, program=program, user_id=user_id, role=role)
        if raced is None:
            raise
        _apply(raced, profile, timezone=timezone, now=now)
        session.add(raced)
        session.flush()
        return Enrolment(raced, False)
    return Enrolment(participant, True)


def _lock(session: Session, program: Program) -> None:
    # Serialises sign-ups to one program on PostgreSQL so two people never take the last place;
    # SQLite has a single writer anyway (and SQLAlchemy leaves FOR UPDATE out there).
    session.exec(select(Program.id).where(Program.id == _id(program)).with_for_update()).one()


def _apply(participant: Participant, profile: ProfileData, *, timezone: str, now: datetime) -> None:
    participant.situation = profile.situation
    participant.aim = profile.aim
    # A mentor's levels are marked as stated: entries stored before levels were asked carry a
    # placeholder score that matching must not read as a level.
    stated = {"stated": True} if participant.role is Role.MENTOR else {}
    participant.skills = [
        {"skill": skill, "score": score, **stated} for skill, score in profile.skills
    ]
    participant.practising = list(profile.practising)
    participant.quiet = profile.quiet
    participant.interests = list(profile.interests)
    participant.values = list(profile.values)
    participant.work_days = profile.work_days
    participant.work_start = profile.work_start
    participant.work_end = profile.work_end
    participant.availability = profile.availability
    participant.preferred_cadence = profile.preferred_cadence
    participant.capacity = profile.capacity
    participant.timezone = timezone
    participant.updated_at = now


# --- finding someone's enrolments ---------------------------------------------------------------


def participations(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    statuses: Sequence[ParticipantStatus] = ENROLLED_STATUSES,
) -> list[tuple[Participant, Program]]:
    """The person's enrolments in this workspace, with their programs, oldest first."""
    rows = session.exec(
        select(Participant, Program)
        .join(Program, col(Program.id) == col(Participant.program_id))
        .where(
            Participant.team_id == team_id,
            Program.team_id == team_id,
            Participant.user_id == user_id,
            col(Participant.status).in_([s.value for s in statuses]),
        )
        .order_by(col(Participant.joined_at), col(Participant.id))
    ).all()
    return [(participant, program) for participant, program in rows]


def enrolments_in(
    *,
    session: Session,
    program: Program,
    user_id: str,
    statuses: Sequence[ParticipantStatus] = ENROLLED_STATUSES,
) -> list[Participant]:
    """The person's enrolments in ``program`` (one per role), in the given statuses."""
    return list(
        session.exec(
            select(Participant)
            .where(
                Participant.program_id == _id(program),
                Participant.user_id == user_id,
                col(Participant.status).in_([s.value for s in statuses]),
            )
            .order_by(col(Participant.id))
        ).all()
    )


def participations_in_program(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    program_name: str | None,
    subcommand: str,
    statuses: Sequence[ParticipantStatus] = ENROLLED_STATUSES,
) -> tuple[Program, list[Participant]]:
    """The person's enrolments in the program named (or their only one); else a clear refusal."""
    paused_only = tuple(statuses) == (ParticipantStatus.PAUSED,)
    state = "paused in" if paused_only else "in"
    rows = participations(session=session, team_id=team_id, user_id=user_id, statuses=statuses)
    if program_name:
        program = get_program(session, team_id=team_id, name=program_name)
        mine = [participant for participant, p in rows if p.id == program.id]
        if not mine:
            raise UserError(f"You're not {state} *{program.name}*.")
        return program, mine
    programs = {program.id: program for _, program in rows}
    if not programs:
        hint = "" if paused_only else f" `{COMMAND} join` shows the programs open to join."
        raise UserError(f"You're not {state} any program.{hint}")
    if len(programs) > 1:
        names = ", ".join(f"*{p.name}*" for p in programs.values())
        example = next(iter(programs.values())).name
        raise UserError(
            f"You're {state} {names}. Say which one, e.g. `{COMMAND} {subcommand} {example}`."
        )
    program = next(iter(programs.values()))
    return program, [participant for participant, _ in rows]


def partner_ids(*, session: Session, participants: Sequence[Participant]) -> list[str]:
    """The people in running pairings with any of ``participants``."""
    ids = {_id(p) for p in participants}
    if not ids:
        return []
    pairings = _pairings_of(session, ids, RUNNING_PAIRING_STATUSES)
    partners = [
        pairing.mentee_user_id if pairing.mentor_id in ids else pairing.mentor_user_id
        for pairing in pairings
    ]
    return list(dict.fromkeys(partners))


# --- pausing and resuming -----------------------------------------------------------------------


def local_today(timezone: str, now: datetime) -> date:
    """Today in the person's calendar."""
    return now.astimezone(_zone(timezone)).date()


def local_date(timezone: str, moment: datetime) -> date:
    """The calendar day ``moment`` falls on for the person."""
    return moment.astimezone(_zone(timezone)).date()


def check_pause_date(until: date | None, *, today: date) -> date:
    """A pause ends on a day after today and at most six months ahead."""
    if until is None:
        message = "Pick the day you'll be back."
    elif until <= today:
        message = "Pick a day after today: that's the day you'll be back."
    elif until > today + relativedelta(months=PAUSE_MAX_MONTHS):
        message = f"Pause for {PAUSE_MAX_MONTHS} months at most; you can always pause again."
    else:
        return until
    raise FieldErrors({BlockId.PAUSE_UNTIL: message})


def pause_participation(
    *, session: Session, participant: Participant, until: date | None, now: datetime
) -> list[Notification]:
    """Pause the person until the start of ``until`` in their timezone, and their pairings too."""
    if participant.status == ParticipantStatus.LEFT:
        raise UserError("You've left this program, so there's nothing to pause.")
    back_on = check_pause_date(until, today=local_today(participant.timezone, now))
    program = _program_of(session, participant)
    participant.status = ParticipantStatus.PAUSED
    participant.paused_until = datetime.combine(
        back_on, time(0), tzinfo=_zone(participant.timezone)
    ).astimezone(UTC)
    participant.updated_at = now
    session.add(participant)
    notifications = [
        _notify(participant.user_id, NotificationKind.PAUSED, program, participant, until=back_on)
    ]
    pairings = _pairings_of(session, {_id(participant)}, RUNNING_PAIRING_STATUSES)
    members = _members(session, pairings)
    for pairing in pairings:
        _sync_pairing(pairing, members)
        session.add(pairing)
        partner = _partner_user(pairing, participant)
        notifications.append(
            _notify(partner, NotificationKind.PARTNER_PAUSED, program, participant, until=back_on)
        )
    session.flush()
    return notifications


def resume_participation(
    *, session: Session, participant: Participant, now: datetime
) -> list[Notification]:
    """End the person's pause now; their pairings run again unless the partner is paused too."""
    if participant.status != ParticipantStatus.PAUSED:
        raise UserError("You're not paused, so there's nothing to resume.")
    return _resume(session, [participant], now)


def resume_due(*, session: Session, now: datetime) -> list[Notification]:
    """Resume everyone whose pause has ended (for the scheduler)."""
    # SKIP LOCKED: another running copy of the bot resuming the same people leaves them to it.
    due = session.exec(
        select(Participant)
        .where(
            Participant.status == ParticipantStatus.PAUSED,
            col(Participant.paused_until) <= now,
        )
        .order_by(col(Participant.id))
        .with_for_update(skip_locked=True)
    ).all()
    return _resume(session, list(due), now)


def _resume(
    session: Session, participants: Sequence[Participant], now: datetime
) -> list[Notification]:
    if not participants:
        return []
    for participant in participants:
        participant.status = ParticipantStatus.ACTIVE
        participant.paused_until = None
        participant.updated_at = now
        session.add(participant)
    ids = {_id(p) for p in participants}
    programs = _programs(session, {p.program_id for p in participants})
    pairings = _pairings_of(session, ids, (PairingStatus.PAUSED,))
    members = _members(session, pairings)
    notifications: list[Notification] = []
    for participant in participants:
        program = programs[participant.program_id]
        notifications.append(
            _notify(participant.user_id, NotificationKind.RESUMED, program, participant)
        )
    for pairing in pairings:
        _sync_pairing(pairing, members)
        session.add(pairing)
        for back in (members[pairing.mentor_id], members[pairing.mentee_id]):
            if _id(back) not in ids:
                continue
            program = programs[back.program_id]
            partner = _partner_user(pairing, back)
            notifications.append(_notify(partner, NotificationKind.PARTNER_RESUMED, program, back))
    session.flush()
    return notifications


def _sync_pairing(pairing: Pairing, members: dict[int, Participant]) -> None:
    """A running pairing is paused while either person is, until the later of their returns."""
    paused = [
        member
        for member in (members[pairing.mentor_id], members[pairing.mentee_id])
        if member.status == ParticipantStatus.PAUSED
    ]
    if paused:
        pairing.status = PairingStatus.PAUSED
        pairing.paused_until = max((m.paused_until for m in paused if m.paused_until), default=None)
    else:
        pairing.status = PairingStatus.ACTIVE
        pairing.paused_until = None


# --- leaving ------------------------------------------------------------------------------------


def leave_program(
    *, session: Session, participant: Participant, note: str, now: datetime
) -> list[Notification]:
    """Take the person out of the program and end their pairings; partners get ``note``."""
    if participant.status == ParticipantStatus.LEFT:
        raise UserError("You've already left this program.")
    program = _program_of(session, participant)
    note = note.strip()[:NOTE_MAX]
    participant.status = ParticipantStatus.LEFT
    participant.left_at = now
    participant.paused_until = None
    participant.updated_at = now
    session.add(participant)
    notifications = [_notify(participant.user_id, NotificationKind.LEFT, program, participant)]
    # The note is private to the partner: end_reason, which leads may see, stays generic.
    reason = f"the {participant.role.value} left the program"
    for pairing in _pairings_of(session, {_id(participant)}, OPEN_PAIRING_STATUSES):
        was_running = pairing.status in RUNNING_PAIRING_STATUSES
        pairing.status = PairingStatus.ENDED
        pairing.ended_at = now
        pairing.end_reason = reason
        pairing.paused_until = None
        session.add(pairing)
        if was_running:
            notifications.append(
                _notify(
                    _partner_user(pairing, participant),
                    NotificationKind.PARTNER_LEFT,
                    program,
                    participant,
                    note=note,
                    # The mentee lost their mentor: offer to find another.
                    offer_rematch=pairing.mentor_id == participant.id,
                )
            )
    session.flush()
    return notifications


def request_rematch(
    *, session: Session, program: Program, user_id: str, now: datetime
) -> list[Notification]:
    """Ask the program's leads to find a mentee a new mentor, once per ended pairing."""
    mentee = find_participant(session=session, program=program, user_id=user_id, role=Role.MENTEE)
    if mentee is None or mentee.status == ParticipantStatus.LEFT:
        raise NotFound(f"You're not a mentee in *{program.name}* any more.")
    ended = session.exec(
        select(Pairing)
        .where(Pairing.mentee_id == _id(mentee), Pairing.status == PairingStatus.ENDED)
        .order_by(col(Pairing.ended_at).desc(), col(Pairing.id).desc())
    ).first()
    already = _notify(user_id, NotificationKind.REMATCH_ALREADY_ASKED, program, mentee)
    # One open UNMATCHED flag per mentee, shared with matching: it resolves the flag when the
    # mentee is placed, and the leads' views list the open ones.
    waiting = session.exec(
        select(Flag.id).where(
            Flag.team_id == program.team_id,
            Flag.program_id == _id(program),
            Flag.participant_id == _id(mentee),
            Flag.kind == FlagKind.UNMATCHED,
            col(Flag.resolved_at).is_(None),
        )
    ).first()
    if waiting is not None:
        return [already]
    # Keyed by the pairing that ended, so even two clicks at once DM the leads only once.
    key = f"rematch:{_id(mentee)}:{ended.id if ended else 0}"
    flag = Flag(
        team_id=program.team_id,
        program_id=_id(program),
        pairing_id=ended.id if ended else None,
        participant_id=mentee.id,
        kind=FlagKind.UNMATCHED,
        dedupe_key=key,
        detail="mentee asked to be re-matched",
        raised_at=now,
    )
    try:
        with session.begin_nested():
            session.add(flag)
    except IntegrityError:
        return [already]
    leads = program_lead_ids(session, program=program)
    return [
        *(_notify(lead, NotificationKind.REMATCH_REQUESTED, program, mentee) for lead in leads),
        _notify(user_id, NotificationKind.REMATCH_CONFIRMED, program, mentee),
    ]


# --- helpers ------------------------------------------------------------------------------------


def _id(row: Any) -> int:
    """A stored row's primary key (rows read from the database always have one)."""
    if row.id is None:  # pragma: no cover - only unsaved rows lack an id
        raise ValueError(f"{type(row).__name__} has not been saved")
    return int(row.id)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _notify(
    recipient: str,
    kind: NotificationKind,
    program: Program,
    about: Participant,
    *,
    until: date | None = None,
    note: str = "",
    offer_rematch: bool = False,
) -> Notification:
    return Notification(
        recipient_id=recipient,
        kind=kind,
        program_id=_id(program),
        program_name=program.name,
        about_user_id=about.user_id,
        until=until,
        note=note,
        offer_rematch=offer_rematch,
    )


def _program_of(session: Session, participant: Participant) -> Program:
    program = session.get(Program, participant.program_id)
    if program is None:  # pragma: no cover - a foreign key guarantees it
        raise NotFound("That program no longer exists.")
    return program


def _programs(session: Session, ids: set[int]) -> dict[int, Program]:
    programs = session.exec(select(Program).where(col(Program.id).in_(ids))).all()
    return {_id(program): program for program in programs}


def _pairings_of(
    session: Session, participant_ids: set[int], statuses: Sequence[PairingStatus]
) -> list[Pairing]:
    return list(
        session.exec(
            select(Pairing)
            .where(
                or_(
                    col(Pairing.mentor_id).in_(participant_ids),
                    col(Pairing.mentee_id).in_(participant_ids),
                ),
                col(Pairing.status).in_([s.value for s in statuses]),
            )
            .order_by(col(Pairing.id))
        ).all()
    )


def _members(session: Session, pairings: Sequence[Pairing]) -> dict[int, Participant]:
    ids = {p.mentor_id for p in pairings} | {p.mentee_id for p in pairings}
    if not ids:
        return {}
    members = session.exec(select(Participant).where(col(Participant.id).in_(ids))).all()
    return {_id(member): member for member in members}


def _partner_user(pairing: Pairing, participant: Participant) -> str:
    return pairing.mentee_user_id if pairing.mentor_id == participant.id else pairing.mentor_user_id
