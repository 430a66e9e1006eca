"""Pairings: matching rounds, the lead's decisions on proposals, pairing by hand, boards.

Matching itself (scores and the assignment) is pure and lives in ``bot.services.matching``; this
module loads the cohort, stores proposals as ``PROPOSED`` pairings, and turns the lead's
decisions into active pairings. It never talks to Slack: callers queue the introductions it
returns through the outbox.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from uuid import uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from bot.errors import Forbidden, NotFound, UserError
from bot.services.enrolment import stated_level
from bot.services.matching import (
    Candidate,
    Explanation,
    MatchWeights,
    explain,
    fit,
    form_groups,
    propose_matches,
)
from storage.enums import FlagKind, PairingStatus, ParticipantStatus, Role, Stage, Structure
from storage.models import Flag, Pairing, Participant, Program

# Statuses in which a pairing occupies a mentor's place and counts as the mentee's match.
LIVE_STATUSES = (PairingStatus.ACTIVE, PairingStatus.PAUSED)
# Statuses that mean "these two already worked together": never propose them again.
HISTORY_STATUSES = (*LIVE_STATUSES, PairingStatus.ENDED, PairingStatus.GRADUATED)
MAX_BOARD_SIZE = 7
PROPOSALS_PER_PAGE = 10
BOARD_ROLES = ("Challenger", "Connector", "Technical Expert", "Sponsor", "Peer")


@dataclass(frozen=True, slots=True)
class UnmatchedMentee:
    """A mentee the round could not place, and why."""

    participant_id: int
    user_id: str
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class MatchRound:
    """What a matching round proposed."""

    program_id: int
    proposals: int
    mentees_considered: int
    mentors_available: int
    unmatched: list[UnmatchedMentee] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ProposalRow:
    """One proposal as the lead reviews it."""

    pairing_id: int
    mentor_user_id: str
    mentee_user_ids: tuple[str, ...]
    score: float
    reasons: tuple[str, ...]
    group_key: str | None


@dataclass(frozen=True, slots=True)
class ProposalPage:
    """A page of a program's open proposals."""

    program_id: int
    program_name: str
    rows: list[ProposalRow]
    total: int
    offset: int
    unmatched: list[UnmatchedMentee]


@dataclass(frozen=True, slots=True)
class PersonIntro:
    """What an introduction says about one person (their profile, shared inside the pair)."""

    user_id: str
    role: Role
    aim: str
    # Skill names; a mentor's carry the level they stated ("Negotiation (4/5)").
    skills: tuple[str, ...]
    interests: tuple[str, ...]
    # What a mentor wants to practise as a mentor.
    practising: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchWhy:
    """Why one mentor was proposed for one mentee: the fit's parts as things stand now."""

    mentor_user_id: str
    mentee_user_id: str
    # The fit stored with the proposal, and the one computed now from the current profiles.
    proposed_score: float | None
    explanation: Explanation
    practising: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Introduction:
    """A new pairing (or group) to introduce in a group DM."""

    pairing_ids: tuple[int, ...]
    program_name: str
    cadence: str
    session_minutes: int
    length_months: int
    mentor: PersonIntro
    mentees: tuple[PersonIntro, ...]
    reasons: tuple[str, ...]

    @property
    def user_ids(self) -> list[str]:
        """Everyone in the conversation: the mentor first."""
        return [self.mentor.user_id, *(m.user_id for m in self.mentees)]


T = TypeVar("T", Participant, Pairing, Program)


def _pk(row: Participant | Pairing | Program) -> int:
    """The primary key of a row that has been flushed."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id


def _row(session: Session, model: type[T], row_id: int) -> T:
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"That {model.__name__.lower()} no longer exists.")
    return row


# --- loading the cohort ----------------------------------------------------------------------


def _utc_offset_minutes(tz: str, now: datetime) -> int:
    try:
        offset = now.astimezone(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds() // 60) if offset else 0


def _skills(participant: Participant) -> dict[str, int | None]:
    if participant.role is Role.MENTOR:
        return {str(s["skill"]): stated_level(s) for s in participant.skills}
    return {str(s["skill"]): int(s.get("score", 3)) for s in participant.skills}


def _candidate(participant: Participant, *, load: int, now: datetime) -> Candidate:
    assert participant.id is not None
    return Candidate(
        participant_id=participant.id,
        user_id=participant.user_id,
        role=participant.role,
        skills=_skills(participant),
        interests=frozenset(i.strip().lower() for i in participant.interests if i.strip()),
        values=frozenset(v.strip().lower() for v in participant.values if v.strip()),
        utc_offset_minutes=_utc_offset_minutes(participant.timezone, now),
        work_start_minute=participant.work_start.hour * 60 + participant.work_start.minute,
        work_end_minute=participant.work_end.hour * 60 + participant.work_end.minute,
        work_days=frozenset(int(d) for d in participant.work_days),
        capacity=participant.capacity,
        current_load=load,
        active=participant.status is ParticipantStatus.ACTIVE,
    )


def _live_loads(session: Session, *, program: Program) -> Counter[int]:
    rows = session.exec(
        select(Pairing.mentor_id, func.count())
        .where(
            Pairing.team_id == program.team_id,
            Pairing.program_id == program.id,
            col(Pairing.status).in_([s.value for s in LIVE_STATUSES]),
        )
        .group_by(col(Pairing.mentor_id))
    ).all()
    return Counter({mentor_id: int(count) for mentor_id, count in rows})


def _matched_mentee_ids(session: Session, *, program: Program) -> set[int]:
    return set(
        session.exec(
            select(Pairing.mentee_id).where(
                Pairing.team_id == program.team_id,
                Pairing.program_id == program.id,
                col(Pairing.status).in_([s.value for s in LIVE_STATUSES]),
            )
        ).all()
    )


def past_pairs(session: Session, *, team_id: str) -> set[tuple[str, str]]:
    """(mentor, mentee) user ids that already worked together in any program of the workspace."""
    rows = session.exec(
        select(Pairing.mentor_user_id, Pairing.mentee_user_id).where(
            Pairing.team_id == team_id,
            col(Pairing.status).in_([s.value for s in HISTORY_STATUSES]),
        )
    ).all()
    return {(mentor, mentee) for mentor, mentee in rows}


def _participants(session: Session, *, program: Program) -> list[Participant]:
    return list(
        session.exec(
            select(Participant).where(
                Participant.team_id == program.team_id,
                Participant.program_id == program.id,
                Participant.status != ParticipantStatus.LEFT,
            )
        )
    )


# --- a matching round ------------------------------------------------------------------------


def run_matching(*, session: Session, program: Program, now: datetime) -> MatchRound:
    """Replace the program's open proposals with a fresh round for every unmatched mentee."""
    program_id = _pk(program)
    session.execute(
        delete(Pairing).where(
            col(Pairing.team_id) == program.team_id,
            col(Pairing.program_id) == program.id,
            col(Pairing.status) == PairingStatus.PROPOSED.value,
        )
    )
    people = _participants(session, program=program)
    loads = _live_loads(session, program=program)
    matched = _matched_mentee_ids(session, program=program)
    by_id = {p.id: p for p in people}
    mentees = [
        _candidate(p, load=0, now=now)
        for p in people
        if p.role is Role.MENTEE and p.status is ParticipantStatus.ACTIVE and p.id not in matched
    ]
    mentors = [
        _candidate(p, load=loads[p.id or 0], now=now) for p in people if p.role is Role.MENTOR
    ]
    history = past_pairs(session, team_id=program.team_id)
    weights = MatchWeights()
    if program.structure is Structure.GROUP:
        groups = form_groups(
            mentees,
            mentors,
            group_size=program.group_size,
            past_pairs=history,
            weights=weights,
        )
        unmatched = groups.unmatched
        proposals = 0
        for group in groups.groups:
            key = uuid4().hex
            for mentee_id in group.mentee_ids:
                mentee = by_id[mentee_id]
                session.add(
                    _proposed(
                        program, by_id[group.mentor_id], mentee, group.score, group.reasons, key
                    )
                )
                proposals += 1
    else:
        result = propose_matches(mentees, mentors, past_pairs=history, weights=weights)
        unmatched = result.unmatched
        proposals = len(result.proposals)
        for proposal in result.proposals:
            session.add(
                _proposed(
                    program,
                    by_id[proposal.mentor_id],
                    by_id[proposal.mentee_id],
                    proposal.score,
                    proposal.reasons,
                    None,
                )
            )
    left_out = [
        UnmatchedMentee(u.mentee_id, by_id[u.mentee_id].user_id, list(u.reasons)) for u in unmatched
    ]
    _flag_unmatched(session, program=program, unmatched=left_out, now=now)
    session.flush()
    return MatchRound(
        program_id=program_id,
        proposals=proposals,
        mentees_considered=len(mentees),
        mentors_available=sum(1 for m in mentors if m.active),
        unmatched=left_out,
    )


def _proposed(
    program: Program,
    mentor: Participant,
    mentee: Participant,
    score: float,
    reasons: Sequence[str],
    group_key: str | None,
) -> Pairing:
    return Pairing(
        team_id=program.team_id,
        program_id=_pk(program),
        mentor_id=_pk(mentor),
        mentee_id=_pk(mentee),
        mentor_user_id=mentor.user_id,
        mentee_user_id=mentee.user_id,
        group_key=group_key,
        status=PairingStatus.PROPOSED,
        match_score=score,
        match_reasons=list(reasons),
    )


def _flag_unmatched(
    session: Session, *, program: Program, unmatched: list[UnmatchedMentee], now: datetime
) -> None:
    """Keep one open UNMATCHED flag per unplaced mentee (the digest lists them); resolve others."""
    program_id = _pk(program)
    open_flags = {
        flag.participant_id: flag
        for flag in session.exec(
            select(Flag).where(
                Flag.team_id == program.team_id,
                Flag.program_id == program.id,
                Flag.kind == FlagKind.UNMATCHED,
                col(Flag.resolved_at).is_(None),
            )
        )
    }
    still = {u.participant_id for u in unmatched}
    for participant_id, flag in open_flags.items():
        if participant_id not in still:
            flag.resolved_at = now
            session.add(flag)
    for mentee in unmatched:
        detail = "; ".join(mentee.reasons)[:255]
        existing = open_flags.get(mentee.participant_id)
        flag = existing or Flag(
            team_id=program.team_id,
            program_id=program_id,
            participant_id=mentee.participant_id,
            kind=FlagKind.UNMATCHED,
            dedupe_key=f"unmatched:{mentee.participant_id}:{now.isoformat()}",
            raised_at=now,
        )
        flag.detail = detail
        session.add(flag)


def open_unmatched(session: Session, *, program: Program) -> list[UnmatchedMentee]:
    """Mentees the last round could not place, with its reasons."""
    rows = session.exec(
        select(Flag, Participant)
        .join(Participant, col(Participant.id) == col(Flag.participant_id))
        .where(
            Flag.team_id == program.team_id,
            Flag.program_id == program.id,
            Flag.kind == FlagKind.UNMATCHED,
            col(Flag.resolved_at).is_(None),
        )
        .order_by(col(Flag.id))
    ).all()
    return [
        UnmatchedMentee(participant.id or 0, participant.user_id, flag.detail.split("; "))
        for flag, participant in rows
    ]


# --- reviewing proposals ---------------------------------------------------------------------


def proposal_page(
    session: Session, *, program: Program, offset: int = 0, limit: int = PROPOSALS_PER_PAGE
) -> ProposalPage:
    """Open proposals, best first; a group counts as one proposal."""
    program_id = _pk(program)
    rows = session.exec(
        select(Pairing)
        .where(
            Pairing.team_id == program.team_id,
            Pairing.program_id == program.id,
            Pairing.status == PairingStatus.PROPOSED,
        )
        .order_by(col(Pairing.match_score).desc(), col(Pairing.id))
    ).all()
    grouped: dict[str, list[Pairing]] = {}
    for pairing in rows:
        grouped.setdefault(pairing.group_key or f"pair:{pairing.id}", []).append(pairing)
    proposals = [
        ProposalRow(
            pairing_id=members[0].id or 0,
            mentor_user_id=members[0].mentor_user_id,
            mentee_user_ids=tuple(m.mentee_user_id for m in members),
            score=members[0].match_score or 0.0,
            reasons=tuple(members[0].match_reasons),
            group_key=members[0].group_key,
        )
        for members in grouped.values()
    ]
    offset = max(0, min(offset, max(len(proposals) - 1, 0)))
    return ProposalPage(
        program_id=program_id,
        program_name=program.name,
        rows=proposals[offset : offset + limit],
        total=len(proposals),
        offset=offset,
        unmatched=open_unmatched(session, program=program),
    )


def _proposal_members(session: Session, *, program: Program, pairing_id: int) -> list[Pairing]:
    pairing = session.get(Pairing, pairing_id)
    if (
        pairing is None
        or pairing.team_id != program.team_id
        or pairing.program_id != program.id
        or pairing.status is not PairingStatus.PROPOSED
    ):
        raise NotFound("That proposal was already decided, or replaced by a newer matching round.")
    if pairing.group_key is None:
        return [pairing]
    return list(
        session.exec(
            select(Pairing).where(
                Pairing.team_id == program.team_id,
                Pairing.group_key == pairing.group_key,
                Pairing.status == PairingStatus.PROPOSED,
            )
        )
    )


def approve_proposals(
    session: Session,
    *,
    program: Program,
    pairing_ids: Iterable[int] | None,
    lead_user_id: str,
    now: datetime,
) -> list[Introduction]:
    """Turn proposals (all of them when ``pairing_ids`` is None) into active pairings."""
    if pairing_ids is None:
        pairing_ids = [
            row.pairing_id for row in proposal_page(session, program=program, limit=10**9).rows
        ]
    introductions = []
    for pairing_id in pairing_ids:
        members = _proposal_members(session, program=program, pairing_id=pairing_id)
        for pairing in members:
            _check_places(
                session,
                program=program,
                mentor_id=pairing.mentor_id,
                mentee_id=pairing.mentee_id,
                adding=1 if program.structure is Structure.ONE_TO_ONE else 0,
            )
            pairing.status = PairingStatus.ACTIVE
            pairing.stage = Stage.RAPPORT
            pairing.started_at = now
            pairing.approved_by = lead_user_id
            session.add(pairing)
        session.flush()
        introductions.append(_introduction(session, program=program, members=members))
    _resolve_unmatched_flags(session, program=program, now=now)
    return introductions


def leave_for_later(session: Session, *, program: Program, pairing_id: int) -> None:
    """Set a proposal aside: the mentee waits for a later round."""
    for pairing in _proposal_members(session, program=program, pairing_id=pairing_id):
        pairing.status = PairingStatus.DECLINED
        session.add(pairing)


def swap_choices(
    session: Session, *, program: Program, pairing_id: int, now: datetime
) -> list[tuple[Participant, float]]:
    """Mentors who could take this proposal's mentee instead, best fit first."""
    [pairing, *_] = _proposal_members(session, program=program, pairing_id=pairing_id)
    mentee = _row(session, Participant, pairing.mentee_id)
    history = past_pairs(session, team_id=program.team_id)
    loads = _live_loads(session, program=program)
    mentee_candidate = _candidate(mentee, load=0, now=now)
    choices = []
    for person in _participants(session, program=program):
        if person.role is not Role.MENTOR or person.id == pairing.mentor_id:
            continue
        if person.status is not ParticipantStatus.ACTIVE or person.user_id == mentee.user_id:
            continue
        if (person.user_id, mentee.user_id) in history:
            continue
        if loads[person.id or 0] >= person.capacity:
            continue
        result = fit(
            mentee_candidate,
            _candidate(person, load=loads[person.id or 0], now=now),
            MatchWeights(),
        )
        choices.append((person, result.score))
    return sorted(choices, key=lambda choice: (-choice[1], choice[0].id or 0))[:100]


def swap_mentor(
    session: Session,
    *,
    program: Program,
    pairing_id: int,
    mentor_participant_id: int,
    now: datetime,
) -> Pairing:
    """Give a proposal another mentor, re-scoring the fit."""
    [pairing, *_] = _proposal_members(session, program=program, pairing_id=pairing_id)
    allowed = {
        p.id: score
        for p, score in swap_choices(session, program=program, pairing_id=pairing_id, now=now)
    }
    if mentor_participant_id not in allowed:
        raise UserError(
            "That mentor can't take this mentee: they are at capacity, paused, "
            "or were this mentee's mentor before."
        )
    mentor = _row(session, Participant, mentor_participant_id)
    mentee = _row(session, Participant, pairing.mentee_id)
    result = fit(
        _candidate(mentee, load=0, now=now), _candidate(mentor, load=0, now=now), MatchWeights()
    )
    pairing.mentor_id = mentor_participant_id
    pairing.mentor_user_id = mentor.user_id
    pairing.match_score = result.score
    pairing.match_reasons = list(result.reasons)
    session.add(pairing)
    session.flush()
    return pairing


def explain_proposal(
    session: Session, *, program: Program, pairing_id: int, now: datetime
) -> list[MatchWhy]:
    """The fit of an open proposal split into its parts, one per member of a group."""
    members = _proposal_members(session, program=program, pairing_id=pairing_id)
    people = {
        p.id: p
        for p in session.exec(
            select(Participant).where(
                col(Participant.id).in_([members[0].mentor_id, *(m.mentee_id for m in members)])
            )
        )
    }
    mentor = people[members[0].mentor_id]
    # Groups ignore a mentor's capacity, as matching does: only a one-to-one load can block.
    grouped = program.structure is Structure.GROUP
    load = 0 if grouped else _live_loads(session, program=program)[_pk(mentor)]
    mentor_candidate = _candidate(mentor, load=load, now=now)
    history = past_pairs(session, team_id=program.team_id)
    return [
        MatchWhy(
            mentor_user_id=mentor.user_id,
            mentee_user_id=pairing.mentee_user_id,
            proposed_score=pairing.match_score,
            explanation=explain(
                _candidate(people[pairing.mentee_id], load=0, now=now),
                mentor_candidate,
                MatchWeights(),
                past_pairs=history,
            ),
            practising=tuple(mentor.practising),
        )
        for pairing in members
    ]


# --- pairing by hand -------------------------------------------------------------------------


def _participant(session: Session, *, program: Program, user_id: str, role: Role) -> Participant:
    participant = session.exec(
        select(Participant).where(
            Participant.team_id == program.team_id,
            Participant.program_id == program.id,
            Participant.user_id == user_id,
            Participant.role == role,
        )
    ).first()
    if participant is None or participant.status is ParticipantStatus.LEFT:
        raise NotFound(
            f"<@{user_id}> hasn't joined *{program.name}* as a {role.value}. "
            f"They can join with `/mentor join {program.name} as {role.value}`."
        )
    return participant


def _check_places(
    session: Session, *, program: Program, mentor_id: int, mentee_id: int, adding: int
) -> None:
    mentor = _row(session, Participant, mentor_id)
    live = [s.value for s in LIVE_STATUSES]
    mentor_load = session.exec(
        select(func.count()).where(
            Pairing.team_id == program.team_id,
            Pairing.mentor_id == mentor_id,
            col(Pairing.status).in_(live),
        )
    ).one()
    if adding and mentor_load + adding > mentor.capacity:
        raise UserError(
            f"<@{mentor.user_id}> is at capacity ({mentor.capacity} "
            f"mentee{'s' if mentor.capacity != 1 else ''}). "
            "Raise their capacity or pick another mentor."
        )
    board = session.exec(
        select(func.count()).where(
            Pairing.team_id == program.team_id,
            Pairing.mentee_id == mentee_id,
            col(Pairing.status).in_(live),
        )
    ).one()
    if board >= MAX_BOARD_SIZE:
        raise UserError(
            f"That mentee already has {MAX_BOARD_SIZE} mentors, the most a board can hold."
        )


def pair_by_hand(
    session: Session,
    *,
    program: Program,
    mentor_user_id: str,
    mentee_user_id: str,
    lead_user_id: str,
    now: datetime,
) -> Introduction:
    """A lead pairs two enrolled people directly, skipping the matching round."""
    if mentor_user_id == mentee_user_id:
        raise UserError("Someone can't mentor themselves: pick two different people.")
    mentor = _participant(session, program=program, user_id=mentor_user_id, role=Role.MENTOR)
    mentee = _participant(session, program=program, user_id=mentee_user_id, role=Role.MENTEE)
    live = session.exec(
        select(Pairing).where(
            Pairing.team_id == program.team_id,
            Pairing.program_id == program.id,
            Pairing.mentor_id == _pk(mentor),
            Pairing.mentee_id == _pk(mentee),
            col(Pairing.status).in_([s.value for s in (*LIVE_STATUSES, PairingStatus.PROPOSED)]),
        )
    ).first()
    if live is not None:
        raise UserError(
            f"<@{mentor_user_id}> and <@{mentee_user_id}> are already paired in *{program.name}*."
        )
    _check_places(session, program=program, mentor_id=_pk(mentor), mentee_id=_pk(mentee), adding=1)
    result = fit(
        _candidate(mentee, load=0, now=now), _candidate(mentor, load=0, now=now), MatchWeights()
    )
    pairing = Pairing(
        team_id=program.team_id,
        program_id=_pk(program),
        mentor_id=_pk(mentor),
        mentee_id=_pk(mentee),
        mentor_user_id=mentor.user_id,
        mentee_user_id=mentee.user_id,
        status=PairingStatus.ACTIVE,
        stage=Stage.RAPPORT,
        match_score=result.score,
        match_reasons=["paired by a program lead", *result.reasons],
        approved_by=lead_user_id,
        started_at=now,
    )
    session.add(pairing)
    session.flush()
    _resolve_unmatched_flags(session, program=program, now=now)
    return _introduction(session, program=program, members=[pairing])


def _resolve_unmatched_flags(session: Session, *, program: Program, now: datetime) -> None:
    matched = _matched_mentee_ids(session, program=program)
    if not matched:
        return
    session.execute(
        update(Flag)
        .where(
            col(Flag.team_id) == program.team_id,
            col(Flag.program_id) == program.id,
            col(Flag.kind) == FlagKind.UNMATCHED.value,
            col(Flag.resolved_at).is_(None),
            col(Flag.participant_id).in_(matched),
        )
        .values(resolved_at=now)
    )


def record_conversation(session: Session, *, pairing_ids: Sequence[int], channel_id: str) -> None:
    """Remember the group DM where a pairing was introduced."""
    session.execute(
        update(Pairing)
        .where(col(Pairing.id).in_(list(pairing_ids)))
        .values(conversation_id=channel_id)
    )


def _person(participant: Participant) -> PersonIntro:
    mentor = participant.role is Role.MENTOR
    skills = []
    for entry in participant.skills:
        level = stated_level(entry) if mentor else None
        skills.append(str(entry["skill"]) + (f" ({level}/5)" if level is not None else ""))
    return PersonIntro(
        user_id=participant.user_id,
        role=participant.role,
        aim=participant.aim,
        skills=tuple(skills),
        interests=tuple(participant.interests),
        practising=tuple(participant.practising) if mentor else (),
    )


def _introduction(
    session: Session, *, program: Program, members: Sequence[Pairing]
) -> Introduction:
    people = {
        p.id: p
        for p in session.exec(
            select(Participant).where(
                col(Participant.id).in_([members[0].mentor_id, *(m.mentee_id for m in members)])
            )
        )
    }
    return Introduction(
        pairing_ids=tuple(m.id or 0 for m in members),
        program_name=program.name,
        cadence=program.cadence.value,
        session_minutes=program.session_minutes,
        length_months=program.length_months,
        mentor=_person(people[members[0].mentor_id]),
        mentees=tuple(_person(people[m.mentee_id]) for m in members),
        reasons=tuple(members[0].match_reasons),
    )


# --- the personal board of directors ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardSeat:
    """One mentor on a mentee's board."""

    pairing_id: int
    mentor_user_id: str
    role: str | None
    status: PairingStatus


def board_seats(session: Session, *, program: Program, mentee_user_id: str) -> list[BoardSeat]:
    """The mentee's live mentors in the program, in the order they joined the board."""
    rows = session.exec(
        select(Pairing)
        .where(
            Pairing.team_id == program.team_id,
            Pairing.program_id == program.id,
            Pairing.mentee_user_id == mentee_user_id,
            col(Pairing.status).in_([s.value for s in LIVE_STATUSES]),
        )
        .order_by(col(Pairing.started_at), col(Pairing.id))
    ).all()
    return [BoardSeat(p.id or 0, p.mentor_user_id, p.board_role, p.status) for p in rows]


def _clean_roles(roles: Mapping[int, str | None]) -> dict[int, str | None]:
    return {
        pid: (role.strip()[:40] if role and role.strip() else None) for pid, role in roles.items()
    }


def board_role_clash(roles: Mapping[int, str | None]) -> tuple[int, str] | None:
    """The first seat (in the order given) whose role an earlier seat has too, and what to say."""
    seen: set[str] = set()
    for pairing_id, role in _clean_roles(roles).items():
        if not role:
            continue
        if role.lower() in seen:
            return pairing_id, (
                f"Each mentor needs a distinct role; *{role.lower().title()}* is given twice."
            )
        seen.add(role.lower())
    return None


def set_board_roles(
    session: Session, *, program: Program, mentee_user_id: str, roles: dict[int, str | None]
) -> list[BoardSeat]:
    """Give each board seat a distinct role (or none); only the mentee edits their board."""
    seats = {
        seat.pairing_id: seat
        for seat in board_seats(session, program=program, mentee_user_id=mentee_user_id)
    }
    unknown = set(roles) - set(seats)
    if unknown:
        raise Forbidden("You can only set roles on your own board.")
    clash = board_role_clash(roles)
    if clash is not None:
        raise UserError(clash[1])
    for pairing_id, role in _clean_roles(roles).items():
        pairing = session.get(Pairing, pairing_id)
        assert pairing is not None
        pairing.board_role = role
        session.add(pairing)
    session.flush()
    return board_seats(session, program=program, mentee_user_id=mentee_user_id)


def mentee_programs(session: Session, *, team_id: str, user_id: str) -> list[Program]:
    """Programs where ``user_id`` is a mentee (not left)."""
    return list(
        session.exec(
            select(Program)
            .join(Participant, col(Participant.program_id) == col(Program.id))
            .where(
                Participant.team_id == team_id,
                Participant.user_id == user_id,
                Participant.role == Role.MENTEE,
                Participant.status != ParticipantStatus.LEFT,
            )
            .order_by(col(Program.start_date).desc())
        )
    )
