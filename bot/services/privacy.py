"""People's rights over their data: everything stored about them, erasing it, and retention.

Three registries say, once, where personal data lives; every right is computed from them, and a
test fails when a table gains a text or person column that none of them names:

- ``PERSON_COLUMNS``: the columns that hold a Slack user id, by table;
- ``FREE_TEXT``: the columns that hold what people wrote, by table, with the column naming who
  wrote it (``None``: the pair wrote it together, or the lead, so it is the pair's to keep);
- ``LEADS_TEXT``: what program leads wrote about the program (kept: it is about no one).

Forgetting someone erases their profile and every word they wrote, and replaces their user id
with a pseudonym everywhere else, so that the program's counts, hours and averages stay right
while nothing points at them any more. What their partner wrote stays with the partner.
Retention purges every word of a closed program's pairs a set time after it closed.
"""

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, SQLModel, col, select

from storage.enums import DeliveryStatus, ParticipantStatus, ProgramStatus
from storage.models import (
    ActionItem,
    AgendaItem,
    Delivery,
    Feedback,
    Flag,
    Goal,
    GoalUpdate,
    Invitation,
    LearningResource,
    Meeting,
    Milestone,
    OutsideFeedbackRequest,
    PairDocument,
    Pairing,
    PairNote,
    Participant,
    PracticeTask,
    Program,
    ProgramLead,
    Scorecard,
    SkillAssessment,
    SlackUser,
    SurveyResponse,
    Workspace,
)

# A forgotten person's stand-in: never a Slack id, so it can never mention anyone.
ERASED_PREFIX = "erased-"
ERASED_TEXT = ""

PERSON_COLUMNS: dict[type[SQLModel], tuple[str, ...]] = {
    Program: ("created_by",),
    ProgramLead: ("user_id", "added_by"),
    Invitation: ("user_id", "invited_by"),
    Participant: ("user_id",),
    Pairing: ("mentor_user_id", "mentee_user_id", "approved_by"),
    Goal: ("proposed_by", "agreed_by"),
    GoalUpdate: ("by_user_id",),
    Meeting: ("scheduled_by", "logged_by"),
    AgendaItem: ("added_by",),
    ActionItem: ("owner_user_id",),
    Feedback: ("from_user_id",),
    Scorecard: ("mentee_user_id",),
    SkillAssessment: ("rater_user_id",),
    SurveyResponse: ("user_id",),
    LearningResource: ("added_by",),
    PairNote: ("author_user_id",),
    PairDocument: ("added_by",),
    OutsideFeedbackRequest: ("requester_user_id", "colleague_user_id"),
    SlackUser: ("user_id",),
    Workspace: ("installed_by",),
    Delivery: ("recipient_id",),
}


@dataclass(frozen=True, slots=True)
class Words:
    """Columns of one table holding what people wrote, and who wrote them."""

    columns: tuple[str, ...]
    # The column naming the author (None: the pair's shared text).
    author: str | None


FREE_TEXT: dict[type[SQLModel], tuple[Words, ...]] = {
    Participant: (
        Words(
            ("situation", "aim", "availability", "skills", "interests", "values", "practising"),
            "user_id",
        ),
    ),
    Goal: (
        Words(("statement", "success_criteria"), "proposed_by"),
        # The latest progress note and a suggested change: either of the pair may have written
        # them, so they stay with the pair (each update's own note names its author).
        Words(("progress_note", "change_suggestion"), None),
    ),
    GoalUpdate: (Words(("note",), "by_user_id"),),
    Milestone: (Words(("title",), None),),
    Meeting: (Words(("notes", "cancel_reason"), "logged_by"),),
    AgendaItem: (Words(("text",), "added_by"),),
    ActionItem: (Words(("text",), None),),
    Feedback: (Words(("went_well", "needs_change", "next_action"), "from_user_id"),),
    Scorecard: (Words(("comment",), "mentee_user_id"),),
    SurveyResponse: (Words(("comment",), "user_id"),),
    LearningResource: (Words(("title", "url"), "added_by"),),
    PracticeTask: (Words(("title",), None),),
    PairNote: (Words(("body",), "author_user_id"),),
    PairDocument: (Words(("title", "url"), "added_by"),),
    OutsideFeedbackRequest: (
        Words(("question",), "requester_user_id"),
        Words(("does_well", "to_change"), "colleague_user_id"),
    ),
    # Match reasons repeat both people's profiles (skills, interests, values).
    Pairing: (Words(("board_role", "end_reason", "match_reasons"), None),),
}

LEADS_TEXT: dict[type[SQLModel], tuple[str, ...]] = {
    Program: ("name", "purpose_detail", "company_goal", "success_measures"),
}


def _name(model: type[SQLModel]) -> str:
    """A table's name (what the report and the export call it)."""
    return str(model.__tablename__)


def is_erased(user_id: str) -> bool:
    """Whether ``user_id`` stands for someone who asked to be forgotten."""
    return user_id.startswith(ERASED_PREFIX)


def pseudonym() -> str:
    """A stand-in for a forgotten person's id: random, so nothing leads back to them."""
    return ERASED_PREFIX + secrets.token_hex(8)


# --- everything stored about someone -------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A column's value as JSON can hold it."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _row(row: SQLModel, columns: Iterable[str] | None = None) -> dict[str, Any]:
    names = list(columns) if columns is not None else list(type(row).model_fields)
    return {name: _plain(getattr(row, name)) for name in names if name != "team_id"}


def personal_data(session: Session, *, team_id: str, user_id: str) -> dict[str, Any]:
    """Everything stored about ``user_id`` in the workspace, as a JSON-ready dict.

    Rows that name them are theirs; what their pairs keep together (notes, goals, sessions,
    agendas, action items, documents, the pair's plans) is included and marked as shared.
    Message payloads in the outbox are left out: they repeat what the rows hold.
    """
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for model, columns in PERSON_COLUMNS.items():
        if model is Delivery:
            continue
        naming = or_(*(col(getattr(model, c)) == user_id for c in columns))
        in_team = col(model.team_id) == team_id  # type: ignore[attr-defined]
        for row in session.exec(select(model).where(in_team, naming)):
            found[_name(model)].append(_row(row))
    pairing_ids = sorted(
        {int(p["id"]) for p in found.get(_name(Pairing), []) if p.get("id") is not None}
    )
    shared = _pairs_shared(session, team_id=team_id, pairing_ids=pairing_ids, user_id=user_id)
    return {
        "about": "Everything mentorbot stores about you in this workspace.",
        "user_id": user_id,
        "yours": dict(found),
        "shared_with_your_pairs": shared,
    }


_SHARED: tuple[type[SQLModel], ...] = (
    Goal,
    Meeting,
    AgendaItem,
    ActionItem,
    PairNote,
    PairDocument,
    Feedback,
)


def _pairs_shared(
    session: Session, *, team_id: str, pairing_ids: Sequence[int], user_id: str
) -> dict[str, list[dict[str, Any]]]:
    """What the person's pairs keep together, that other people wrote (marked shared)."""
    if not pairing_ids:
        return {}
    shared: dict[str, list[dict[str, Any]]] = {}
    for model in _SHARED:
        authors = [w.author for w in FREE_TEXT.get(model, ()) if w.author]
        rows = session.exec(
            select(model).where(
                model.team_id == team_id,  # type: ignore[attr-defined]
                col(model.pairing_id).in_(pairing_ids),  # type: ignore[attr-defined]
            )
        ).all()
        theirs = [r for r in rows if all(getattr(r, a) != user_id for a in authors)]
        if theirs:
            shared[_name(model)] = [{**_row(r), "shared": True} for r in theirs]
    return shared


# --- forgetting someone --------------------------------------------------------------------------


@dataclass
class Forgotten:
    """What erasing someone changed, table by table."""

    pseudonym: str
    erased: dict[str, int] = field(default_factory=dict)
    renamed: dict[str, int] = field(default_factory=dict)
    dropped_messages: int = 0

    @property
    def anything(self) -> bool:
        """Whether anything about the person was stored."""
        return bool(self.erased or self.renamed)


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def words_of(session: Session, *, team_id: str, user_id: str) -> dict[str, int]:
    """How many rows of each table hold words the person wrote (what forgetting erases)."""
    counts: dict[str, int] = {}
    for model, groups in FREE_TEXT.items():
        for words in groups:
            if words.author is None:
                continue
            found = len(
                session.exec(
                    select(model.id).where(  # type: ignore[attr-defined]
                        col(model.team_id) == team_id,  # type: ignore[attr-defined]
                        col(getattr(model, words.author)) == user_id,
                    )
                ).all()
            )
            if found:
                counts[_name(model)] = counts.get(_name(model), 0) + found
    return counts


def forget_person(session: Session, *, team_id: str, user_id: str, now: datetime) -> Forgotten:
    """Erase the person's profile and words, and make them a pseudonym everywhere else."""
    report = Forgotten(pseudonym=pseudonym())
    # Their running enrolments end, so nothing more is planned for them.
    session.execute(
        update(Participant)
        .where(
            col(Participant.team_id) == team_id,
            col(Participant.user_id) == user_id,
            col(Participant.status) != ParticipantStatus.LEFT.value,
        )
        .values(status=ParticipantStatus.LEFT, left_at=now, paused_until=None)
    )
    for model, groups in FREE_TEXT.items():
        for words in groups:
            if words.author is None:
                continue
            erased = session.execute(
                update(model)
                .where(
                    col(model.team_id) == team_id,  # type: ignore[attr-defined]
                    col(getattr(model, words.author)) == user_id,
                )
                .values(**{c: _blank(model, c) for c in words.columns})
            )
            if _count(erased):
                name = _name(model)
                report.erased[name] = report.erased.get(name, 0) + _count(erased)
    # Messages to them that have not gone out never will; sent ones keep no words.
    report.dropped_messages = _count(
        session.execute(
            update(Delivery)
            .where(
                col(Delivery.team_id) == team_id,
                col(Delivery.recipient_id) == user_id,
                col(Delivery.status).in_(
                    [DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]
                ),
            )
            .values(status=DeliveryStatus.DROPPED, error="recipient asked to be forgotten")
        )
    )
    session.execute(
        update(Delivery)
        .where(col(Delivery.team_id) == team_id, col(Delivery.recipient_id) == user_id)
        .values(payload={}, extras={})
    )
    session.execute(
        delete(SlackUser).where(
            col(SlackUser.team_id) == team_id, col(SlackUser.user_id) == user_id
        )
    )
    session.execute(
        delete(ProgramLead).where(
            col(ProgramLead.team_id) == team_id, col(ProgramLead.user_id) == user_id
        )
    )
    for model, columns in PERSON_COLUMNS.items():
        if model in (SlackUser, ProgramLead):
            continue
        for column in columns:
            renamed = session.execute(
                update(model)
                .where(
                    col(model.team_id) == team_id,  # type: ignore[attr-defined]
                    col(getattr(model, column)) == user_id,
                )
                .values(**{column: report.pseudonym})
            )
            if _count(renamed):
                name = _name(model)
                report.renamed[name] = report.renamed.get(name, 0) + _count(renamed)
    # Match reasons repeat their profile to whoever reads the pairing.
    session.execute(
        update(Pairing)
        .where(
            col(Pairing.team_id) == team_id,
            or_(
                col(Pairing.mentor_user_id) == report.pseudonym,
                col(Pairing.mentee_user_id) == report.pseudonym,
            ),
        )
        .values(match_reasons=[])
    )
    # Red flags name people in their detail: the leads keep the flag, not the name.
    for flag in session.exec(
        select(Flag).where(Flag.team_id == team_id, col(Flag.detail).contains(user_id))
    ):
        flag.detail = flag.detail.replace(f"<@{user_id}>", "a former participant")
        flag.detail = flag.detail.replace(user_id, report.pseudonym)
        session.add(flag)
    return report


def _blank(model: type[SQLModel], column: str) -> Any:
    """The empty value of a column: an empty list for JSON lists, else empty text or NULL."""
    info = model.model_fields[column]
    if info.default_factory is list:
        return []
    return None if info.default is None else ERASED_TEXT


# --- retention -----------------------------------------------------------------------------------


@dataclass
class Purged:
    """What a retention pass erased (or, in a dry run, would erase), by program and table."""

    programs: list[tuple[int, str]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def due_for_purge(session: Session, *, now: datetime, retention_days: int) -> list[Program]:
    """Closed programs whose words are older than their retention: ``retention_days`` after
    they closed (a program's own ``rule_settings['retention_days']`` wins)."""
    closed = session.exec(
        select(Program).where(
            col(Program.status) == ProgramStatus.CLOSED.value, col(Program.closed_at).is_not(None)
        )
    ).all()
    due = []
    for program in closed:
        days = int(program.rule_settings.get("retention_days", retention_days))
        if program.closed_at is not None and now - program.closed_at >= timedelta(days=days):
            due.append(program)
    return due


def purge_program_words(
    session: Session, *, programs: Sequence[Program], dry_run: bool = False
) -> Purged:
    """Erase every word the pairs of ``programs`` wrote, keeping their numbers (counts, dates,
    scores), so the program's report still adds up; ``dry_run`` counts without changing."""
    report = Purged(programs=[(p.id or 0, p.name) for p in programs])
    program_ids = [p.id for p in programs if p.id is not None]
    if not program_ids:
        return report
    pairing_ids = select(Pairing.id).where(col(Pairing.program_id).in_(program_ids))
    goal_ids = select(Goal.id).where(col(Goal.pairing_id).in_(pairing_ids))
    scope: dict[type[SQLModel], Any] = {
        Participant: col(Participant.program_id).in_(program_ids),
        Pairing: col(Pairing.program_id).in_(program_ids),
        Goal: col(Goal.pairing_id).in_(pairing_ids),
        GoalUpdate: col(GoalUpdate.goal_id).in_(goal_ids),
        Milestone: col(Milestone.goal_id).in_(goal_ids),
        LearningResource: col(LearningResource.goal_id).in_(goal_ids),
        PracticeTask: col(PracticeTask.goal_id).in_(goal_ids),
        SurveyResponse: col(SurveyResponse.program_id).in_(program_ids),
    }
    for model, groups in FREE_TEXT.items():
        where = scope.get(model)
        if where is None:
            where = col(model.pairing_id).in_(pairing_ids)  # type: ignore[attr-defined]
        columns = [c for words in groups for c in words.columns]
        name = _name(model)
        if dry_run:
            report.rows[name] = len(session.exec(select(model).where(where)).all())
            continue
        changed = session.execute(
            update(model).where(where).values(**{c: _blank(model, c) for c in columns})
        )
        report.rows[name] = _count(changed)
    if not dry_run:
        session.execute(
            update(Delivery)
            .where(
                col(Delivery.program_id).in_(program_ids),
                col(Delivery.status) == DeliveryStatus.SENT.value,
            )
            .values(payload={})
        )
    return report


# --- erasing one's words in one program (leaving it) ---------------------------------------------


def erase_words_in_program(
    session: Session, *, team_id: str, program_id: int, user_id: str
) -> dict[str, int]:
    """Erase what ``user_id`` wrote in one program (their profile, notes, feedback, comments...),
    keeping the numbers and what others wrote; returns the rows changed, by table.

    The pair's shared words (``Words.author`` None) stay with the partner, and the person's id
    stays on the rows: only ``forget_person`` takes their name away everywhere.
    """
    in_program = col(Pairing.program_id) == program_id
    pairing_ids = select(Pairing.id).where(col(Pairing.team_id) == team_id, in_program)
    goal_ids = select(Goal.id).where(col(Goal.pairing_id).in_(pairing_ids))
    scope: dict[type[SQLModel], Any] = {
        Participant: col(Participant.program_id) == program_id,
        GoalUpdate: col(GoalUpdate.goal_id).in_(goal_ids),
        LearningResource: col(LearningResource.goal_id).in_(goal_ids),
        SurveyResponse: col(SurveyResponse.program_id) == program_id,
    }
    erased: dict[str, int] = {}
    for model, groups in FREE_TEXT.items():
        where = scope.get(model)
        if where is None:
            if "pairing_id" not in model.model_fields:
                continue
            where = col(model.pairing_id).in_(pairing_ids)  # type: ignore[attr-defined]
        for words in groups:
            if words.author is None:
                continue
            changed = _count(
                session.execute(
                    update(model)
                    .where(
                        col(model.team_id) == team_id,  # type: ignore[attr-defined]
                        where,
                        col(getattr(model, words.author)) == user_id,
                    )
                    .values(**{c: _blank(model, c) for c in words.columns})
                )
            )
            if changed:
                erased[_name(model)] = erased.get(_name(model), 0) + changed
    theirs = select(Pairing.id).where(
        col(Pairing.team_id) == team_id,
        in_program,
        or_(col(Pairing.mentor_user_id) == user_id, col(Pairing.mentee_user_id) == user_id),
    )
    # Match reasons repeat their profile; sent messages' copies are kept only to reconcile.
    session.execute(update(Pairing).where(col(Pairing.id).in_(theirs)).values(match_reasons=[]))
    session.execute(
        update(Delivery)
        .where(
            col(Delivery.team_id) == team_id,
            col(Delivery.status) == DeliveryStatus.SENT.value,
            or_(
                col(Delivery.pairing_id).in_(theirs),
                (col(Delivery.program_id) == program_id) & (col(Delivery.recipient_id) == user_id),
            ),
        )
        .values(payload={})
    )
    return erased
