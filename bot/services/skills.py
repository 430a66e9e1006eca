"""The skill matrix: mentor and mentee score the program's competencies 1 to 5, independently.

Rounds: round 1 starts with the pairing; each person submits once per round and may change their
scores until the partner has submitted; then the round is closed and both see the scores side by
side, gaps of 2 or more becoming topics for the next session. A re-assessment is the next round,
started by either person once the current one is closed; every round is kept, so growth since
round 1 shows per competency. A round exists as soon as someone submits it: nothing is stored
when a round is merely started, which keeps starting it idempotent.

Neither person's scores are shown to the other before the round is closed: ``compare_round``
refuses an open round, and nothing else here returns the partner's numbers.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.errors import FieldErrors, UserError
from bot.ids import BlockId
from bot.services.access import pairing_for, partner_of, role_in
from bot.services.programs import MIN_GROUP_SIZE, RuleSettings
from bot.services.scorecards import AgendaAdded, add_pair_agenda_items
from storage.enums import AgendaSource, Role
from storage.models import AgendaItem, Pairing, Program, SkillAssessment, SkillRating

LEVELS = {1: "Beginner", 2: "Developing", 3: "Competent", 4: "Advanced", 5: "Expert"}
SCORE_MIN, SCORE_MAX = 1, 5
GAP_TOPIC = 2
MAX_COMPETENCIES = 20
# The program's rhythm for re-assessments; the scheduler offers one this long after a round closed.
REASSESS_AFTER = timedelta(weeks=6)


@dataclass(frozen=True, slots=True)
class SkillForm:
    """What the scoring modal needs: the round, the competencies, and the person's own scores."""

    pairing_id: int
    round: int
    my_role: Role
    partner_user_id: str
    competencies: list[str]
    my_scores: dict[str, int]
    submitted: bool
    competencies_key: str


@dataclass(frozen=True, slots=True)
class SubmittedScores:
    """A person's scores for a round, as stored."""

    pairing_id: int
    round: int
    my_role: Role
    user_id: str
    partner_user_id: str
    scores: list[tuple[str, int]]
    edited: bool
    closed: bool


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One competency side by side, with its round-1 scores when this is a re-assessment."""

    competency: str
    mentee: int | None
    mentor: int | None
    first_mentee: int | None = None
    first_mentor: int | None = None

    @property
    def gap(self) -> int | None:
        """Mentee's score minus mentor's: positive when the mentee rates themselves higher."""
        return None if self.mentee is None or self.mentor is None else self.mentee - self.mentor

    @property
    def topic(self) -> bool:
        """Whether the gap is wide enough to talk about next session."""
        return self.gap is not None and abs(self.gap) >= GAP_TOPIC


@dataclass(frozen=True, slots=True)
class SkillComparison:
    """A closed round: both people's scores per competency."""

    pairing_id: int
    round: int
    mentee_user_id: str
    mentor_user_id: str
    rows: list[ComparisonRow]

    @property
    def topics(self) -> list[ComparisonRow]:
        """Competencies with a gap of 2 or more."""
        return [row for row in self.rows if row.topic]


@dataclass(frozen=True, slots=True)
class SkillState:
    """Where a pairing's skill matrix stands, for the Home tab and the scheduler."""

    round: int
    mentee_submitted: bool
    mentor_submitted: bool
    open_gaps: int
    last_closed_round: int | None = None
    last_closed_at: datetime | None = None

    @property
    def closed(self) -> bool:
        """Whether both have submitted the current round."""
        return self.mentee_submitted and self.mentor_submitted

    def waiting_for(self, role: Role) -> bool:
        """Whether ``role`` still has to submit the current round."""
        return not (self.mentee_submitted if role is Role.MENTEE else self.mentor_submitted)


@dataclass
class _Round:
    assessments: dict[Role, SkillAssessment] = field(default_factory=dict)
    scores: dict[Role, dict[str, int]] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return len(self.assessments) == len(Role)


def competencies_key(competencies: Sequence[str]) -> str:
    """A short fingerprint of the competency list, so a stale form is noticed on submit."""
    return hashlib.sha256(json.dumps(list(competencies)).encode()).hexdigest()[:12]


def _competencies(session: Session, *, pairing: Pairing) -> list[str]:
    program = session.get(Program, pairing.program_id)
    competencies = [c for c in (program.competencies if program else []) if c.strip()]
    if not competencies:
        raise UserError(
            "Your program has no competencies to score yet. Ask your program lead to add them "
            "(`/mentor program edit`)."
        )
    return competencies[:MAX_COMPETENCIES]


def _rounds(session: Session, *, pairing_id: int) -> dict[int, _Round]:
    return dict(_all_rounds(session, pairing_ids=[pairing_id]).get(pairing_id, {}))


def _current(rounds: Mapping[int, _Round]) -> int:
    return max(rounds, default=1)


def _form(
    *,
    pairing: Pairing,
    user_id: str,
    round_: int,
    found: _Round | None,
    competencies: list[str],
) -> SkillForm:
    assert pairing.id is not None
    role = role_in(pairing, user_id)
    mine = found.scores.get(role, {}) if found else {}
    return SkillForm(
        pairing_id=pairing.id,
        round=round_,
        my_role=role,
        partner_user_id=partner_of(pairing, user_id),
        competencies=competencies,
        my_scores={c: s for c, s in mine.items() if c in competencies},
        submitted=bool(found and role in found.assessments),
        competencies_key=competencies_key(competencies),
    )


def open_skills(
    session: Session, *, team_id: str, user_id: str, pairing_id: int
) -> SkillForm | SkillComparison:
    """The current round's form while it is open; its side-by-side view once it is closed."""
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    competencies = _competencies(session, pairing=pairing)
    rounds = _rounds(session, pairing_id=pairing_id)
    current = _current(rounds)
    found = rounds.get(current)
    if found is not None and found.closed:
        return _comparison(pairing, rounds, current)
    return _form(
        pairing=pairing, user_id=user_id, round_=current, found=found, competencies=competencies
    )


def start_round(session: Session, *, team_id: str, user_id: str, pairing_id: int) -> SkillForm:
    """A re-assessment: the form for the next round, once both have submitted the current one."""
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    competencies = _competencies(session, pairing=pairing)
    rounds = _rounds(session, pairing_id=pairing_id)
    current = _current(rounds)
    found = rounds.get(current)
    if found is None or not found.closed:
        # Nothing to re-assess yet: the open round is the one to score.
        return _form(
            pairing=pairing, user_id=user_id, round_=current, found=found, competencies=competencies
        )
    return _form(
        pairing=pairing, user_id=user_id, round_=current + 1, found=None, competencies=competencies
    )


def submit_scores(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    pairing_id: int,
    round_: int,
    answers: Mapping[int, str | None],
    key: str,
    now: datetime,
) -> SubmittedScores:
    """Store one person's scores for a round (answers by competency position, "1".."5")."""
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    competencies = _competencies(session, pairing=pairing)
    if key != competencies_key(competencies):
        raise UserError(
            "The program's competencies changed while this form was open. Close it and open "
            "`/mentor skills` again."
        )
    scores = _validate(competencies, answers)
    role = role_in(pairing, user_id)
    partner = partner_of(pairing, user_id)
    rounds = _rounds(session, pairing_id=pairing_id)
    current = _current(rounds)
    found = rounds.get(current)
    current_closed = found is not None and found.closed
    if round_ == current + 1 and current_closed:
        found = None
    elif round_ != current or current_closed or round_ < 1:
        raise UserError(
            f"Round {round_} is closed: you've both submitted it. Start a re-assessment to "
            "score again."
        )
    own = found.assessments.get(role) if found else None
    if own is None:
        own = SkillAssessment(
            team_id=team_id,
            pairing_id=pairing_id,
            round=round_,
            rater_role=role,
            rater_user_id=user_id,
            submitted_at=now,
        )
        try:
            with session.begin_nested():
                session.add(own)
        except IntegrityError:
            raise UserError(
                "You've just submitted this round from another window; open it again to change "
                "your scores."
            ) from None
        edited, existing = False, {}
    else:
        own.submitted_at = now
        session.add(own)
        edited = True
        existing = {
            r.competency: r
            for r in session.exec(select(SkillRating).where(SkillRating.assessment_id == own.id))
        }
    assert own.id is not None
    for competency, score in scores:
        rating = existing.pop(competency, None) or SkillRating(
            team_id=team_id, assessment_id=own.id, competency=competency, score=score
        )
        rating.score = score
        session.add(rating)
    for stale in existing.values():
        session.delete(stale)
    session.flush()
    partner_role = Role.MENTOR if role is Role.MENTEE else Role.MENTEE
    closed = found is not None and partner_role in found.assessments
    return SubmittedScores(
        pairing_id=pairing_id,
        round=round_,
        my_role=role,
        user_id=user_id,
        partner_user_id=partner,
        scores=scores,
        edited=edited,
        closed=closed,
    )


def _validate(competencies: list[str], answers: Mapping[int, str | None]) -> list[tuple[str, int]]:
    errors: dict[str, str] = {}
    scores: list[tuple[str, int]] = []
    for position, competency in enumerate(competencies):
        answer = answers.get(position)
        block_id = f"{BlockId.SKILL_PREFIX}{position}"
        try:
            score = int(answer or "")
        except ValueError:
            errors[block_id] = f"Score {competency} from 1 (beginner) to 5 (expert)."
            continue
        if not SCORE_MIN <= score <= SCORE_MAX:
            errors[block_id] = f"Score {competency} from 1 (beginner) to 5 (expert)."
            continue
        scores.append((competency, score))
    if errors:
        raise FieldErrors(errors)
    return scores


def compare_round(
    session: Session, *, team_id: str, user_id: str, pairing_id: int, round_: int
) -> SkillComparison:
    """Both people's scores for a closed round; refused while the partner hasn't submitted."""
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    rounds = _rounds(session, pairing_id=pairing_id)
    found = rounds.get(round_)
    if found is None or not found.closed:
        raise UserError(
            f"You'll see <@{partner_of(pairing, user_id)}>'s scores once you've both submitted "
            f"round {round_}."
        )
    return _comparison(pairing, rounds, round_)


def _comparison(pairing: Pairing, rounds: Mapping[int, _Round], round_: int) -> SkillComparison:
    assert pairing.id is not None
    found = rounds[round_]
    first = rounds.get(1) if round_ > 1 else None
    first_scores = first.scores if first is not None and first.closed else {}
    names: list[str] = []
    for role in (Role.MENTEE, Role.MENTOR):
        names.extend(c for c in found.scores.get(role, {}) if c not in names)
    rows = [
        ComparisonRow(
            competency=name,
            mentee=found.scores.get(Role.MENTEE, {}).get(name),
            mentor=found.scores.get(Role.MENTOR, {}).get(name),
            first_mentee=first_scores.get(Role.MENTEE, {}).get(name),
            first_mentor=first_scores.get(Role.MENTOR, {}).get(name),
        )
        for name in names
    ]
    return SkillComparison(
        pairing_id=pairing.id,
        round=round_,
        mentee_user_id=pairing.mentee_user_id,
        mentor_user_id=pairing.mentor_user_id,
        rows=rows,
    )


def gap_agenda_text(row: ComparisonRow, round_: int) -> str:
    """The agenda item a skill gap becomes: neutral, with both scores."""
    return (
        f"{_gap_prefix(row.competency)} mentee {row.mentee}, mentor {row.mentor} "
        f"(round {round_}). Compare what each of you sees."
    )


def _gap_prefix(competency: str) -> str:
    return f"Skill gap on {competency}:"


def gaps_to_agenda(
    session: Session, *, team_id: str, user_id: str, pairing_id: int, round_: int, now: datetime
) -> list[AgendaAdded]:
    """Add each gap of 2 or more as a SKILL_GAP agenda item (skipping those already on it)."""
    comparison = compare_round(
        session, team_id=team_id, user_id=user_id, pairing_id=pairing_id, round_=round_
    )
    pairing = session.get(Pairing, pairing_id)
    assert pairing is not None
    open_texts = session.exec(
        select(AgendaItem.text).where(
            AgendaItem.pairing_id == pairing_id,
            AgendaItem.source == AgendaSource.SKILL_GAP,
            col(AgendaItem.covered).is_(False),
        )
    ).all()
    texts = [
        gap_agenda_text(row, round_)
        for row in comparison.topics
        if not any(t.startswith(_gap_prefix(row.competency)) for t in open_texts)
    ]
    if not texts:
        return []
    return add_pair_agenda_items(
        session,
        pairing=pairing,
        texts=texts,
        source=AgendaSource.SKILL_GAP,
        added_by=user_id,
        now=now,
    )


# --- aggregates for the Home tab and digests --------------------------------------------------


def _all_rounds(session: Session, *, pairing_ids: Sequence[int]) -> dict[int, dict[int, _Round]]:
    rows = session.exec(
        select(SkillAssessment, SkillRating)
        .outerjoin(SkillRating, col(SkillRating.assessment_id) == col(SkillAssessment.id))
        .where(col(SkillAssessment.pairing_id).in_(list(pairing_ids)))
    ).all()
    result: dict[int, dict[int, _Round]] = defaultdict(lambda: defaultdict(_Round))
    for assessment, rating in rows:
        found = result[assessment.pairing_id][assessment.round]
        found.assessments[assessment.rater_role] = assessment
        scores = found.scores.setdefault(assessment.rater_role, {})
        if rating is not None:
            scores[rating.competency] = rating.score
    return result


def skill_state(session: Session, *, pairing_ids: Sequence[int]) -> dict[int, SkillState]:
    """Per pairing: the current round, who has submitted it, and the gaps of the last closed one."""
    if not pairing_ids:
        return {}
    every = _all_rounds(session, pairing_ids=pairing_ids)
    states: dict[int, SkillState] = {}
    for pairing_id in pairing_ids:
        rounds = every.get(pairing_id, {})
        current = _current(rounds)
        found = rounds.get(current) or _Round()
        closed = [n for n, r in rounds.items() if r.closed]
        last = max(closed, default=None)
        gaps = 0
        closed_at = None
        if last is not None:
            done = rounds[last]
            mentee, mentor = done.scores.get(Role.MENTEE, {}), done.scores.get(Role.MENTOR, {})
            gaps = sum(
                1 for c, s in mentee.items() if c in mentor and abs(s - mentor[c]) >= GAP_TOPIC
            )
            closed_at = max(a.submitted_at for a in done.assessments.values())
        states[pairing_id] = SkillState(
            round=current,
            mentee_submitted=Role.MENTEE in found.assessments,
            mentor_submitted=Role.MENTOR in found.assessments,
            open_gaps=gaps,
            last_closed_round=last,
            last_closed_at=closed_at,
        )
    return states


def skill_growth(
    session: Session, *, program_id: int, min_people: int | None = 1
) -> dict[str, float]:
    """Average growth per competency since round 1 across the program's pairings.

    A pairing's score in a round is the mean of the mentee's and the mentor's scores; its growth
    is its latest closed round minus round 1. Only pairings with a closed re-assessment count,
    and a competency only when at least ``min_people`` distinct people scored it (both people
    of each pair count). Anything a lead sees passes None: the program's minimum group, never
    fewer than 3 (below it, a competency's growth is one pair's own scores).
    """
    if min_people is None:
        program = session.get(Program, program_id)
        min_people = RuleSettings.for_program(program).group_floor if program else MIN_GROUP_SIZE
    rows = session.exec(
        select(SkillAssessment, SkillRating)
        .join(Pairing, col(Pairing.id) == col(SkillAssessment.pairing_id))
        .join(SkillRating, col(SkillRating.assessment_id) == col(SkillAssessment.id))
        .where(Pairing.program_id == program_id)
    ).all()
    every: dict[int, dict[int, _Round]] = defaultdict(lambda: defaultdict(_Round))
    for assessment, rating in rows:
        found = every[assessment.pairing_id][assessment.round]
        found.assessments[assessment.rater_role] = assessment
        found.scores.setdefault(assessment.rater_role, {})[rating.competency] = rating.score
    growth: dict[str, list[float]] = defaultdict(list)
    raters: dict[str, set[str]] = defaultdict(set)
    for rounds in every.values():
        first = rounds.get(1)
        last = max((n for n, r in rounds.items() if r.closed), default=None)
        if first is None or not first.closed or last is None or last == 1:
            continue
        before, after = _joint(first), _joint(rounds[last])
        people = {a.rater_user_id for r in (first, rounds[last]) for a in r.assessments.values()}
        for competency, score in after.items():
            if competency in before:
                growth[competency].append(score - before[competency])
                raters[competency].update(people)
    return {
        c: round(sum(v) / len(v), 2)
        for c, v in sorted(growth.items())
        if len(raters[c]) >= min_people
    }


def _joint(found: _Round) -> dict[str, float]:
    mentee, mentor = found.scores.get(Role.MENTEE, {}), found.scores.get(Role.MENTOR, {})
    return {c: (s + mentor[c]) / 2 for c, s in mentee.items() if c in mentor}
