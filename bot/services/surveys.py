"""Surveys: the midpoint check, the final reflection and the independence audit.

Each person of a pair answers for themselves: one ``SurveyResponse`` per (pairing, person, kind),
updated when they answer again. Numbers go to ``scores`` (question key -> int) and may be
aggregated for leads, over at least the program's minimum group of distinct people (one person's
answers are never an "average"); free text goes to ``comment`` and never leaves the pair.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from bot.errors import FieldErrors, UserError
from bot.ids import BlockId
from bot.services.access import pairing_for, partner_of, role_in
from bot.services.programs import MIN_GROUP_SIZE, RuleSettings
from bot.services.stages import PairEvent, note_event
from storage.enums import PairingStatus, Role, SurveyKind
from storage.models import Pairing, Program, SurveyResponse

SURVEY_KINDS = (SurveyKind.MIDPOINT, SurveyKind.FINAL, SurveyKind.INDEPENDENCE)
SCALE_MIN, SCALE_MAX = 1, 5
TEXT_MAX = 1500
# Surveys stay open while a pair runs and after it graduated (the reflection comes at the end).
ANSWERABLE = (PairingStatus.ACTIVE, PairingStatus.PAUSED, PairingStatus.GRADUATED)
# Pairings a program asks surveys of: the ones that ran.
ASKED = (PairingStatus.ACTIVE, PairingStatus.PAUSED, PairingStatus.GRADUATED, PairingStatus.ENDED)

SURVEY_TITLES = {
    SurveyKind.MIDPOINT: "Midpoint survey",
    SurveyKind.FINAL: "Final reflection",
    SurveyKind.INDEPENDENCE: "Independence audit",
}
YES, NO = "yes", "no"
DEFAULT_SCALE = ("not at all", "a little", "partly", "mostly", "fully")


class QuestionType(StrEnum):
    """How a question is answered."""

    SCALE = "scale"  # 1 to 5
    YES_NO = "yes_no"  # stored as 1 (yes) or 0 (no)
    TEXT = "text"  # free text, private to the pair


@dataclass(frozen=True, slots=True)
class Question:
    """One survey question, worded for each side of the pair and, neutrally, for leads."""

    key: str
    type: QuestionType
    mentee_label: str
    mentor_label: str
    lead_label: str = ""
    scale_words: tuple[str, ...] = DEFAULT_SCALE

    def label(self, role: Role) -> str:
        """The question as this person reads it."""
        return self.mentor_label if role is Role.MENTOR else self.mentee_label

    @property
    def numeric(self) -> bool:
        """Whether the answer is a number that may be aggregated."""
        return self.type is not QuestionType.TEXT

    @property
    def block_id(self) -> str:
        """The modal block that holds the answer."""
        return f"{BlockId.SURVEY_PREFIX}{self.key}"


def _scale(
    key: str, mentee: str, mentor: str, lead: str, words: tuple[str, ...] = DEFAULT_SCALE
) -> Question:
    return Question(key, QuestionType.SCALE, mentee, mentor, lead, words)


def _yes_no(key: str, mentee: str, mentor: str, lead: str) -> Question:
    return Question(key, QuestionType.YES_NO, mentee, mentor, lead)


def _text(key: str, mentee: str, mentor: str) -> Question:
    return Question(key, QuestionType.TEXT, mentee, mentor)


QUESTIONS: dict[SurveyKind, tuple[Question, ...]] = {
    SurveyKind.MIDPOINT: (
        _scale(
            "relationship_quality",
            "How good is your working relationship with your mentor?",
            "How good is your working relationship with your mentee?",
            "Relationship quality",
            ("poor", "fair", "good", "very good", "excellent"),
        ),
        _scale(
            "goal_alignment",
            "How well do your sessions serve the goals you agreed?",
            "How well do your sessions serve the goals you agreed?",
            "Goal alignment",
        ),
        _scale(
            "satisfaction",
            "How satisfied are you with the mentoring so far?",
            "How satisfied are you with the mentoring so far?",
            "Satisfaction",
        ),
        _text(
            "comment",
            "Anything to keep, change or raise for the second half?",
            "Anything to keep, change or raise for the second half?",
        ),
    ),
    SurveyKind.FINAL: (
        _scale(
            "goals_achieved",
            "Overall, how fully did you achieve your goals?",
            "Overall, how fully did your mentee achieve their goals?",
            "Goals achieved",
        ),
        _text(
            "what_changed",
            "What changed for you through the mentoring?",
            "What changed for your mentee, and for you?",
        ),
        _text(
            "what_next",
            "What next? Your next step after the program.",
            "What next? What you'd suggest your mentee takes on after the program.",
        ),
        # The four signs of a good closure, asked for explicitly.
        _yes_no(
            "sign_goals",
            "Were the goals you set achieved?",
            "Were the goals you set together achieved?",
            "Closure: goals achieved",
        ),
        _yes_no(
            "sign_confident",
            "Are you confident to go on without your mentor?",
            "Is your mentee confident to go on without you?",
            "Closure: confident without the mentor",
        ),
        _yes_no(
            "sign_passing_on",
            "Are you passing what you learned on to others?",
            "Is your mentee passing what they learned on to others?",
            "Closure: passing knowledge on",
        ),
        _yes_no(
            "sign_satisfied",
            "Are you satisfied with how the mentoring ended?",
            "Are you satisfied with how the mentoring ended?",
            "Closure: satisfied with the ending",
        ),
    ),
    SurveyKind.INDEPENDENCE: (
        _scale(
            "own_gaps",
            "Can you find and set your own skill gaps, without your mentor?",
            "Can your mentee find and set their own skill gaps, without you?",
            "Sets own skill gaps",
        ),
        _scale(
            "own_plan",
            "Can you plan how to close them (goals, steps, dates) on your own?",
            "Can your mentee plan how to close them (goals, steps, dates) on their own?",
            "Plans on their own",
        ),
        _scale(
            "own_execution",
            "Can you carry the plan out without your mentor?",
            "Can your mentee carry the plan out without you?",
            "Executes without the mentor",
        ),
        _text(
            "comment",
            "What shows it, or what still gets in the way?",
            "What shows it, or what still gets in the way?",
        ),
    ),
}

# FINAL has two free-text answers and the table one comment column: kept under these headings.
_TEXT_HEADINGS = {"what_changed": "What changed:", "what_next": "What next:"}


@dataclass(frozen=True, slots=True)
class SurveyForm:
    """What the survey modal needs: who asks about whom, and the person's earlier answers."""

    pairing_id: int
    kind: SurveyKind
    program_name: str
    role: Role
    partner_user_id: str
    mentee_user_id: str
    # Earlier answers by question key, as the form's values ("3", "yes", text).
    answers: dict[str, str] = field(default_factory=dict)
    answered_at: datetime | None = None

    @property
    def questions(self) -> tuple[Question, ...]:
        """The questions of this survey."""
        return QUESTIONS[self.kind]


@dataclass(frozen=True, slots=True)
class SurveySaved:
    """A stored survey answer set."""

    pairing_id: int
    kind: SurveyKind
    user_id: str
    partner_user_id: str
    program_name: str
    updated: bool


@dataclass(frozen=True, slots=True)
class QuestionAggregate:
    """One numeric question across a program: answers and the average (yes/no: share of yes),
    None when fewer distinct people than the program's minimum group answered it."""

    key: str
    label: str
    type: QuestionType
    answers: int
    average: float | None
    people: int = 0


@dataclass(frozen=True, slots=True)
class KindAggregate:
    """One survey across a program: how many answered, and the averages. Never free text."""

    kind: SurveyKind
    responses: int
    mentors: int
    mentees: int
    pairs_complete: int
    questions: tuple[QuestionAggregate, ...]


@dataclass(frozen=True, slots=True)
class SurveyAggregates:
    """Every survey of a program, as numbers for the leads' digest."""

    program_id: int
    pairings: int
    kinds: dict[SurveyKind, KindAggregate]


# --- button values ------------------------------------------------------------------------------


def survey_value(pairing_id: int, kind: SurveyKind) -> str:
    """The value of a button that opens a survey."""
    return f"{pairing_id}:{kind.value}"


def parse_survey_value(value: str) -> tuple[int, SurveyKind]:
    """The pairing and survey a button (or modal) means; UserError when it is out of date."""
    pairing_id, _, kind = value.partition(":")
    try:
        parsed = int(pairing_id), SurveyKind(kind)
    except ValueError:
        raise UserError("That survey button is out of date.") from None
    if parsed[1] not in SURVEY_KINDS:
        raise UserError("That survey button is out of date.")
    return parsed


# --- reading and answering ----------------------------------------------------------------------


def _answerable(session: Session, *, team_id: str, user_id: str, pairing_id: int) -> Pairing:
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    if pairing.status not in ANSWERABLE:
        raise UserError("This mentoring pair has ended, so its surveys are closed.")
    return pairing


def _response(
    session: Session, *, pairing_id: int, user_id: str, kind: SurveyKind
) -> SurveyResponse | None:
    return session.exec(
        select(SurveyResponse).where(
            SurveyResponse.pairing_id == pairing_id,
            SurveyResponse.user_id == user_id,
            SurveyResponse.kind == kind,
        )
    ).first()


def _program_name(session: Session, pairing: Pairing) -> str:
    program = session.get(Program, pairing.program_id)
    return program.name if program is not None else "your program"


def survey_form(
    session: Session, *, team_id: str, user_id: str, pairing_id: int, kind: SurveyKind
) -> SurveyForm:
    """The survey as this person of the pair sees it, with their earlier answers filled in."""
    pairing = _answerable(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    existing = _response(session, pairing_id=pairing_id, user_id=user_id, kind=kind)
    return SurveyForm(
        pairing_id=pairing_id,
        kind=kind,
        program_name=_program_name(session, pairing),
        role=role_in(pairing, user_id),
        partner_user_id=partner_of(pairing, user_id),
        mentee_user_id=pairing.mentee_user_id,
        answers=_form_answers(kind, existing) if existing else {},
        answered_at=existing.submitted_at if existing else None,
    )


def _form_answers(kind: SurveyKind, response: SurveyResponse) -> dict[str, str]:
    answers: dict[str, str] = {}
    texts = [q for q in QUESTIONS[kind] if q.type is QuestionType.TEXT]
    split = _split_comment(response.comment, [q.key for q in texts])
    for question in QUESTIONS[kind]:
        if question.type is QuestionType.TEXT:
            answers[question.key] = split.get(question.key, "")
            continue
        score = response.scores.get(question.key)
        if score is None:
            continue
        if question.type is QuestionType.YES_NO:
            answers[question.key] = YES if score else NO
        else:
            answers[question.key] = str(score)
    return answers


def _join_comment(texts: Mapping[str, str]) -> str:
    """One comment from the survey's free-text answers (FINAL has two, under headings)."""
    if len(texts) == 1:
        return next(iter(texts.values()))
    parts = [f"{_TEXT_HEADINGS.get(key, key)}\n{text}" for key, text in texts.items() if text]
    return "\n\n".join(parts)


def _split_comment(comment: str, keys: Sequence[str]) -> dict[str, str]:
    if len(keys) == 1:
        return {keys[0]: comment}
    found: dict[str, str] = {}
    positions = sorted(
        (comment.find(_TEXT_HEADINGS[key]), key) for key in keys if _TEXT_HEADINGS[key] in comment
    )
    for index, (start, key) in enumerate(positions):
        end = positions[index + 1][0] if index + 1 < len(positions) else len(comment)
        found[key] = comment[start + len(_TEXT_HEADINGS[key]) : end].strip()
    return found


def validate_survey(
    kind: SurveyKind, answers: Mapping[str, str | None]
) -> tuple[dict[str, int], dict[str, str]]:
    """Scores and texts from raw answers keyed by question key; FieldErrors names every gap."""
    errors: dict[str, str] = {}
    scores: dict[str, int] = {}
    texts: dict[str, str] = {}
    for question in QUESTIONS[kind]:
        raw = (answers.get(question.key) or "").strip()
        if question.type is QuestionType.TEXT:
            if len(raw) > TEXT_MAX:
                errors[question.block_id] = (
                    f"Keep this to {TEXT_MAX} characters; it has {len(raw)}."
                )
            texts[question.key] = raw
        elif question.type is QuestionType.YES_NO:
            if raw not in (YES, NO):
                errors[question.block_id] = "Answer yes or no."
            else:
                scores[question.key] = 1 if raw == YES else 0
        else:
            score = int(raw) if raw.isdigit() else None
            if score is None or not SCALE_MIN <= score <= SCALE_MAX:
                errors[question.block_id] = f"Pick a number from {SCALE_MIN} to {SCALE_MAX}."
            else:
                scores[question.key] = score
    if errors:
        raise FieldErrors(errors)
    return scores, texts


def save_survey(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    pairing_id: int,
    kind: SurveyKind,
    answers: Mapping[str, str | None],
    now: datetime,
) -> SurveySaved:
    """Store the person's answers to a survey of their pairing; answering again replaces them."""
    scores, texts = validate_survey(kind, answers)
    pairing = _answerable(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    response = _response(session, pairing_id=pairing_id, user_id=user_id, kind=kind)
    updated = response is not None
    if response is None:
        response = SurveyResponse(
            team_id=team_id,
            program_id=pairing.program_id,
            pairing_id=pairing_id,
            user_id=user_id,
            kind=kind,
        )
    response.scores = scores  # replaced, never mutated: JSON columns don't track edits
    response.comment = _join_comment(texts)
    response.submitted_at = now
    session.add(response)
    if kind is SurveyKind.FINAL and pairing.status is not PairingStatus.GRADUATED:
        # Reflecting on the whole of it means the pair is concluding.
        note_event(session, pairing=pairing, event=PairEvent.FINAL_SURVEY_DUE)
    session.flush()
    return SurveySaved(
        pairing_id=pairing_id,
        kind=kind,
        user_id=user_id,
        partner_user_id=partner_of(pairing, user_id),
        program_name=_program_name(session, pairing),
        updated=updated,
    )


# --- for the scheduler and the digest -----------------------------------------------------------


def survey_due(
    session: Session, *, pairing_ids: Sequence[int], kind: SurveyKind
) -> dict[int, set[str]]:
    """Who has answered ``kind``, per pairing (every pairing asked about is a key)."""
    answered: dict[int, set[str]] = {pairing_id: set() for pairing_id in pairing_ids}
    if not answered:
        return answered
    rows = session.exec(
        select(SurveyResponse.pairing_id, SurveyResponse.user_id).where(
            col(SurveyResponse.pairing_id).in_(list(answered)),
            SurveyResponse.kind == kind,
        )
    ).all()
    for pairing_id, user_id in rows:
        answered[pairing_id].add(user_id)
    return answered


def survey_aggregates(session: Session, *, program_id: int) -> SurveyAggregates:
    """Completion counts and averages per survey and question; numbers only, never free text,
    and an average only over the program's minimum group of people (``group_floor``)."""
    program = session.get(Program, program_id)
    floor = RuleSettings.for_program(program).group_floor if program else MIN_GROUP_SIZE
    pairings = {
        p.id: p
        for p in session.exec(
            select(Pairing).where(
                Pairing.program_id == program_id,
                col(Pairing.status).in_([s.value for s in ASKED]),
            )
        )
    }
    # Only the numeric columns are read: free text never enters an aggregate.
    rows = session.exec(
        select(
            SurveyResponse.pairing_id,
            SurveyResponse.user_id,
            SurveyResponse.kind,
            SurveyResponse.scores,
        ).where(
            SurveyResponse.program_id == program_id,
            col(SurveyResponse.kind).in_([k.value for k in SURVEY_KINDS]),
        )
    ).all()
    by_kind: dict[SurveyKind, list[tuple[int, str, dict[str, int]]]] = defaultdict(list)
    for pairing_id, user_id, kind, scores in rows:
        if pairing_id in pairings:
            by_kind[SurveyKind(kind)].append((pairing_id, user_id, dict(scores or {})))
    kinds = {
        kind: _aggregate(kind, by_kind.get(kind, []), pairings, floor) for kind in SURVEY_KINDS
    }
    return SurveyAggregates(program_id=program_id, pairings=len(pairings), kinds=kinds)


def _aggregate(
    kind: SurveyKind,
    rows: Sequence[tuple[int, str, dict[str, int]]],
    pairings: Mapping[int | None, Pairing],
    floor: int,
) -> KindAggregate:
    mentors = sum(1 for pid, user, _ in rows if pairings[pid].mentor_user_id == user)
    mentees = sum(1 for pid, user, _ in rows if pairings[pid].mentee_user_id == user)
    people: dict[int, set[str]] = defaultdict(set)
    for pid, user, _ in rows:
        people[pid].add(user)
    complete = sum(
        1
        for pid, users in people.items()
        if {pairings[pid].mentor_user_id, pairings[pid].mentee_user_id} <= users
    )
    questions = []
    for question in QUESTIONS[kind]:
        if not question.numeric:
            continue
        answered = [
            (user, scores[question.key])
            for _, user, scores in rows
            if isinstance(scores.get(question.key), int)
        ]
        values = [value for _, value in answered]
        # People, not answers: a mentor of two pairs who answered twice is one person.
        answered_by = len({user for user, _ in answered})
        shown = values and answered_by >= floor
        questions.append(
            QuestionAggregate(
                question.key,
                question.lead_label,
                question.type,
                len(values),
                round(sum(values) / len(values), 2) if shown else None,
                answered_by,
            )
        )
    return KindAggregate(
        kind=kind,
        responses=len(rows),
        mentors=mentors,
        mentees=mentees,
        pairs_complete=complete,
        questions=tuple(questions),
    )
