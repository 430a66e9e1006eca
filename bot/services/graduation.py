"""Graduation: both people review the original goals, choose what comes next, and celebrate.

Each person submits their part: an outcome per goal (kept as ``GoalUpdate`` history, the goal's
progress set from it), what happens after the program (end, or continue as peer advisors) and
whether to celebrate in a channel. When the second part comes in the pairing graduates.

Until then the parts already given wait in ``Pairing.end_reason`` (the schema has no column for
them, and the field means nothing while a pairing runs): ``graduating:`` followed by compact JSON,
``{"<user id>": {"a": "end"|"continue", "c": "<channel id>"|null}}``. It holds no private text:
only choices. Graduating replaces it with ``graduated``.
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.errors import FieldErrors, UserError
from bot.ids import BlockId
from bot.services.access import (
    PairChoice,
    my_pairings,
    pairing_for,
    partner_of,
    resolve_pairing,
    role_in,
)
from bot.services.goals import pair_goals
from bot.services.skills import skill_state
from bot.services.stages import PairEvent, note_event
from storage.enums import GoalProgress, GoalStatus, PairingStatus, Role, SurveyKind
from storage.models import ActionItem, Goal, GoalUpdate, Pairing, Program, SurveyResponse

GRADUATED_REASON = "graduated"
_PENDING_PREFIX = "graduating:"
END_REASON_MAX = 255
NOTE_MAX = 150
# A modal holds 100 blocks and each goal takes three.
MAX_GOALS_REVIEWED = 25
CLOSING_SURVEYS = (SurveyKind.FINAL, SurveyKind.INDEPENDENCE)
GRADUATABLE = (PairingStatus.ACTIVE, PairingStatus.PAUSED)
# A skill round closed longer ago than this says little about the end: a last round shows it.
LAST_ROUND_AFTER = timedelta(weeks=4)


class GoalOutcome(StrEnum):
    """How a goal ended, in a person's review (ordered: the pair's outcome is the more modest)."""

    NOT_ACHIEVED = "not_achieved"
    PARTLY = "partly"
    ACHIEVED = "achieved"


class AfterProgram(StrEnum):
    """What a person wants once the program is over."""

    END = "end"
    CONTINUE = "continue"


OUTCOME_LABELS = {
    GoalOutcome.ACHIEVED: "Achieved",
    GoalOutcome.PARTLY: "Partly achieved",
    GoalOutcome.NOT_ACHIEVED: "Not achieved",
}
AFTER_LABELS = {
    AfterProgram.END: "End the mentoring here",
    AfterProgram.CONTINUE: "Continue as peer advisors",
}
_OUTCOME_PROGRESS = {
    GoalOutcome.ACHIEVED: GoalProgress.DONE,
    # Progress made and worth carrying on: the nearest of the goal's own words.
    GoalOutcome.PARTLY: GoalProgress.ON_TRACK,
    GoalOutcome.NOT_ACHIEVED: GoalProgress.DROPPED,
}
_ORDER = list(GoalOutcome)
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,31}$")


def outcome_of(progress: GoalProgress) -> GoalOutcome:
    """The outcome a goal's progress suggests (the review's preselected answer)."""
    if progress is GoalProgress.DONE:
        return GoalOutcome.ACHIEVED
    if progress in (GoalProgress.ON_TRACK, GoalProgress.AT_RISK):
        return GoalOutcome.PARTLY
    return GoalOutcome.NOT_ACHIEVED


@dataclass(frozen=True, slots=True)
class GoalReview:
    """One goal as the graduation review shows it."""

    goal_id: int
    statement: str
    status: GoalStatus
    progress: GoalProgress
    progress_note: str
    due_date: date
    suggested: GoalOutcome


@dataclass(frozen=True, slots=True)
class Part:
    """One person's choices for after the program."""

    after: AfterProgram
    channel_id: str | None


class SkillStep(StrEnum):
    """What the skill matrix still asks of one person at the close."""

    # The open round waits for this person's scores.
    SCORE = "score"
    # Every round is closed and the last one is weeks old: a last round shows the growth.
    LAST_ROUND = "last_round"


@dataclass(frozen=True, slots=True)
class StillYours:
    """What one person of a pair still has to do to close well."""

    user_id: str
    role: Role
    # Their part of the graduation review (how each goal went, what comes next).
    review: bool = False
    # Closing surveys they have not answered.
    surveys: tuple[SurveyKind, ...] = ()
    skills: SkillStep | None = None
    # Action items they own that are still open.
    actions: int = 0

    @property
    def nothing_left(self) -> bool:
        """Whether every closing step of theirs is done."""
        return not (self.review or self.surveys or self.skills or self.actions)


@dataclass(frozen=True, slots=True)
class GraduationReview:
    """What the graduation modal shows one person of the pair."""

    pairing_id: int
    program_name: str
    role: Role
    partner_user_id: str
    goals: tuple[GoalReview, ...]
    more_goals: int
    mine: Part | None
    partner_done: bool


@dataclass(frozen=True, slots=True)
class GraduationAnswers:
    """The graduation modal as submitted, unvalidated: raw values keyed by goal id."""

    outcomes: Mapping[int, str | None] = field(default_factory=dict)
    notes: Mapping[int, str] = field(default_factory=dict)
    after: str | None = None
    channel_id: str | None = None


@dataclass(frozen=True, slots=True)
class GraduationResult:
    """One part submitted; when both are in, what the celebration says and where it goes."""

    pairing_id: int
    program_id: int
    program_name: str
    actor_user_id: str
    partner_user_id: str
    mentor_user_id: str
    mentee_user_id: str
    first_part: bool  # the actor's first submission (not a change of mind)
    completed: bool
    conversation_id: str | None = None
    achieved: tuple[str, ...] = ()
    partly: tuple[str, ...] = ()
    continue_as_peers: bool = False
    # Only when both chose a channel: the mentee's (the celebration is theirs).
    channel_id: str | None = None
    # What each person (by user id) still has to do to close well.
    left: dict[str, StillYours] = field(default_factory=dict)

    @property
    def user_ids(self) -> list[str]:
        """Both people, the mentor first."""
        return [self.mentor_user_id, self.mentee_user_id]

    def left_for(self, user_id: str) -> StillYours:
        """What ``user_id`` still has to do (nothing, when they are not in the pair)."""
        role = Role.MENTOR if user_id == self.mentor_user_id else Role.MENTEE
        return self.left.get(user_id, StillYours(user_id, role))


class AlreadyGraduated(UserError):
    """The pair graduated already: a part sent now changes nothing."""


@dataclass(frozen=True, slots=True)
class Graduated:
    """Asked for the review of a pair that graduated already: congratulate them again."""

    text: str


# --- the parts waiting for the partner ----------------------------------------------------------


def _pending(pairing: Pairing) -> dict[str, Part]:
    if pairing.status not in GRADUATABLE or not pairing.end_reason.startswith(_PENDING_PREFIX):
        return {}
    try:
        raw = json.loads(pairing.end_reason.removeprefix(_PENDING_PREFIX))
        return {
            str(user): Part(AfterProgram(entry["a"]), entry.get("c") or None)
            for user, entry in raw.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def _store_pending(pairing: Pairing, parts: Mapping[str, Part]) -> None:
    def encode(keep_channels: bool) -> str:
        raw = {
            user: {"a": part.after.value, "c": part.channel_id if keep_channels else None}
            for user, part in parts.items()
        }
        return _PENDING_PREFIX + json.dumps(raw, separators=(",", ":"))

    text = encode(keep_channels=True)
    # Ids are short; should they ever not fit, celebrating privately is the safe loss.
    pairing.end_reason = text if len(text) <= END_REASON_MAX else encode(keep_channels=False)


# --- the review ---------------------------------------------------------------------------------


def _program_name(session: Session, pairing: Pairing) -> str:
    program = session.get(Program, pairing.program_id)
    return program.name if program is not None else "your program"


def _graduated_already(session: Session, pairing: Pairing, user_id: str) -> str:
    ended = pairing.ended_at
    when = f" on {ended.day} {ended:%B %Y}" if ended else ""
    return (
        f"You and <@{partner_of(pairing, user_id)}> already graduated from "
        f"*{_program_name(session, pairing)}*{when}. Congratulations again! :mortar_board:"
    )


def _require_graduatable(session: Session, pairing: Pairing, user_id: str) -> None:
    if pairing.status is PairingStatus.GRADUATED:
        raise AlreadyGraduated(_graduated_already(session, pairing, user_id))
    if pairing.status not in GRADUATABLE:
        raise UserError("This mentoring pair has ended, so it can't graduate.")


def _pick(session: Session, *, team_id: str, user_id: str, hint: str) -> Pairing:
    """The running pairing the person means, or the graduated one they name (or only had)."""
    try:
        return resolve_pairing(session, team_id=team_id, user_id=user_id, hint=hint).pairing
    except UserError as not_running:
        try:
            choice: PairChoice = resolve_pairing(
                session,
                team_id=team_id,
                user_id=user_id,
                hint=hint,
                statuses=(PairingStatus.GRADUATED,),
            )
        except UserError:
            raise not_running from None
        if hint or not my_pairings(session, team_id=team_id, user_id=user_id):
            return choice.pairing
        raise not_running from None


def graduation_review(
    session: Session, *, team_id: str, user_id: str, hint: str = ""
) -> GraduationReview | Graduated:
    """The review for ``/mentor graduate [@partner]``."""
    pairing = _pick(session, team_id=team_id, user_id=user_id, hint=hint)
    return graduation_review_for(
        session, team_id=team_id, user_id=user_id, pairing_id=pairing.id or 0
    )


def graduation_review_for(
    session: Session, *, team_id: str, user_id: str, pairing_id: int
) -> GraduationReview | Graduated:
    """The review of one pairing, if the person is in it and it can still graduate."""
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    if pairing.status is PairingStatus.GRADUATED:
        return Graduated(_graduated_already(session, pairing, user_id))
    _require_graduatable(session, pairing, user_id)
    goals = pair_goals(session, pairing_id=pairing_id)
    parts = _pending(pairing)
    partner = partner_of(pairing, user_id)
    return GraduationReview(
        pairing_id=pairing_id,
        program_name=_program_name(session, pairing),
        role=role_in(pairing, user_id),
        partner_user_id=partner,
        goals=tuple(
            GoalReview(
                goal_id=goal.id or 0,
                statement=goal.statement,
                status=goal.status,
                progress=goal.progress,
                progress_note=goal.progress_note,
                due_date=goal.due_date,
                suggested=outcome_of(goal.progress),
            )
            for goal in goals[:MAX_GOALS_REVIEWED]
        ),
        more_goals=max(0, len(goals) - MAX_GOALS_REVIEWED),
        mine=parts.get(user_id),
        partner_done=partner in parts,
    )


# --- submitting a part --------------------------------------------------------------------------


def validate_graduation(
    answers: GraduationAnswers, *, goal_ids: Sequence[int]
) -> tuple[dict[int, GoalOutcome], dict[int, str], Part]:
    """Outcomes, notes and choices from the modal; FieldErrors names every missing answer."""
    errors: dict[str, str] = {}
    outcomes: dict[int, GoalOutcome] = {}
    notes: dict[int, str] = {}
    for goal_id in goal_ids:
        raw = answers.outcomes.get(goal_id)
        try:
            outcomes[goal_id] = GoalOutcome(raw or "")
        except ValueError:
            errors[f"{BlockId.GRADUATION_GOAL_PREFIX}{goal_id}"] = (
                "Say whether this goal was achieved, partly achieved or not achieved."
            )
        note = " ".join((answers.notes.get(goal_id) or "").split())
        if len(note) > NOTE_MAX:
            errors[f"{BlockId.GRADUATION_NOTE_PREFIX}{goal_id}"] = (
                f"Keep it to one line of {NOTE_MAX} characters; it has {len(note)}."
            )
        notes[goal_id] = note
    try:
        after = AfterProgram(answers.after or "")
    except ValueError:
        errors[BlockId.GRADUATION_AFTER] = "Choose whether the mentoring ends or continues."
        after = AfterProgram.END
    if errors:
        raise FieldErrors(errors)
    channel = answers.channel_id or ""
    # A public or private channel's id, as the channel select sends it; anything else is ignored.
    public = channel if _CHANNEL_ID.match(channel) else None
    return outcomes, notes, Part(after, public)


def submit_graduation(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    pairing_id: int,
    answers: GraduationAnswers,
    now: datetime,
) -> GraduationResult:
    """Store one person's part of the graduation; the second part graduates the pairing."""
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    _require_graduatable(session, pairing, user_id)
    reviewable = pair_goals(session, pairing_id=pairing_id)[:MAX_GOALS_REVIEWED]
    goals = {goal.id or 0: goal for goal in reviewable}
    # Goals added since the modal opened were not shown: only the ones answered are reviewed.
    reviewed = [goal_id for goal_id in goals if goal_id in answers.outcomes]
    outcomes, notes, part = validate_graduation(answers, goal_ids=reviewed)
    parts = _pending(pairing)
    partner = partner_of(pairing, user_id)
    first_part = user_id not in parts
    combined: dict[int, GoalOutcome] = {}
    for goal_id, mine in outcomes.items():
        goal = goals[goal_id]
        # With the partner's part in, the goal's progress holds their outcome: keep the modest one.
        outcome = (
            min(mine, outcome_of(goal.progress), key=_ORDER.index) if partner in parts else mine
        )
        combined[goal_id] = outcome
        _record_outcome(
            session, goal=goal, mine=mine, outcome=outcome, note=notes[goal_id], by=user_id, now=now
        )
    parts[user_id] = part
    result = GraduationResult(
        pairing_id=pairing_id,
        program_id=pairing.program_id,
        program_name=_program_name(session, pairing),
        actor_user_id=user_id,
        partner_user_id=partner,
        mentor_user_id=pairing.mentor_user_id,
        mentee_user_id=pairing.mentee_user_id,
        first_part=first_part,
        completed=False,
    )
    if partner not in parts:
        _store_pending(pairing, parts)
        note_event(session, pairing=pairing, event=PairEvent.FINAL_SURVEY_DUE)
        session.add(pairing)
        session.flush()
        return replace(
            result, left=closing_left(session, pairing_ids=[pairing_id], now=now)[pairing_id]
        )
    graduated = _graduate(
        session,
        pairing=pairing,
        parts=parts,
        goals=goals,
        combined=combined,
        now=now,
        result=result,
    )
    return replace(
        graduated, left=closing_left(session, pairing_ids=[pairing_id], now=now)[pairing_id]
    )


def _record_outcome(
    session: Session,
    *,
    goal: Goal,
    mine: GoalOutcome,
    outcome: GoalOutcome,
    note: str,
    by: str,
    now: datetime,
) -> None:
    """Keep the person's review as history; the goal itself shows the pair's outcome."""
    line = f"Graduation review: {OUTCOME_LABELS[mine].lower()}" + (f": {note}" if note else "")
    session.add(
        GoalUpdate(
            team_id=goal.team_id,
            goal_id=goal.id or 0,
            progress=_OUTCOME_PROGRESS[mine],
            note=line[:END_REASON_MAX],
            by_user_id=by,
            at=now,
        )
    )
    goal.progress = _OUTCOME_PROGRESS[outcome]
    if note:
        goal.progress_note = note
    goal.updated_at = now
    session.add(goal)


def _graduate(
    session: Session,
    *,
    pairing: Pairing,
    parts: Mapping[str, Part],
    goals: Mapping[int, Goal],
    combined: Mapping[int, GoalOutcome],
    now: datetime,
    result: GraduationResult,
) -> GraduationResult:
    mentor, mentee = parts[pairing.mentor_user_id], parts[pairing.mentee_user_id]
    pairing.status = PairingStatus.GRADUATED
    note_event(session, pairing=pairing, event=PairEvent.GRADUATED)
    pairing.ended_at = now
    pairing.end_reason = GRADUATED_REASON
    pairing.paused_until = None
    pairing.continue_as_peers = (
        mentor.after is AfterProgram.CONTINUE and mentee.after is AfterProgram.CONTINUE
    )
    session.add(pairing)
    session.flush()
    # Goals not answered in this last part keep the outcome their progress shows.
    outcomes = {gid: combined.get(gid, outcome_of(goal.progress)) for gid, goal in goals.items()}
    both_public = mentor.channel_id is not None and mentee.channel_id is not None
    return replace(
        result,
        completed=True,
        conversation_id=pairing.conversation_id,
        achieved=tuple(
            goals[gid].statement
            for gid, outcome in outcomes.items()
            if outcome is GoalOutcome.ACHIEVED
        ),
        partly=tuple(
            goals[gid].statement
            for gid, outcome in outcomes.items()
            if outcome is GoalOutcome.PARTLY
        ),
        continue_as_peers=pairing.continue_as_peers,
        channel_id=mentee.channel_id if both_public else None,
    )


def closing_left(
    session: Session, *, pairing_ids: Sequence[int], now: datetime
) -> dict[int, dict[str, StillYours]]:
    """Per pairing, what each person (by user id) still has to do to close well: their part of
    the review, the closing surveys, the skill matrix, their open action items.

    A fixed number of grouped queries, however many pairings: the scheduler asks it for a whole
    program's closing prompts.
    """
    ids = sorted(set(pairing_ids))
    if not ids:
        return {}
    pairings = session.exec(
        select(Pairing, Program.competencies)
        .join(Program, col(Program.id) == col(Pairing.program_id))
        .where(col(Pairing.id).in_(ids))
    ).all()
    answered: set[tuple[int, str, SurveyKind]] = {
        (pid, user, SurveyKind(kind))
        for pid, user, kind in session.execute(
            sa.select(
                col(SurveyResponse.pairing_id),
                col(SurveyResponse.user_id),
                col(SurveyResponse.kind),
            ).where(
                col(SurveyResponse.pairing_id).in_(ids),
                col(SurveyResponse.kind).in_([k.value for k in CLOSING_SURVEYS]),
            )
        ).all()
    }
    actions: dict[tuple[int, str], int] = {
        (pid, owner): int(count)
        for pid, owner, count in session.execute(
            sa.select(col(ActionItem.pairing_id), col(ActionItem.owner_user_id), func.count())
            .where(col(ActionItem.pairing_id).in_(ids), col(ActionItem.done_at).is_(None))
            .group_by(col(ActionItem.pairing_id), col(ActionItem.owner_user_id))
        ).all()
    }
    skills = skill_state(session, pairing_ids=ids)
    left: dict[int, dict[str, StillYours]] = {}
    for pairing, competencies in pairings:
        pid = pairing.id or 0
        parts = _pending(pairing)
        running = pairing.status in GRADUATABLE
        state = skills.get(pid)
        people: dict[str, StillYours] = {}
        for user_id, role in (
            (pairing.mentor_user_id, Role.MENTOR),
            (pairing.mentee_user_id, Role.MENTEE),
        ):
            step = None
            if state is not None and competencies:
                if not state.closed:
                    step = SkillStep.SCORE if state.waiting_for(role) else None
                elif state.last_closed_at is None or now - state.last_closed_at >= LAST_ROUND_AFTER:
                    step = SkillStep.LAST_ROUND
            people[user_id] = StillYours(
                user_id=user_id,
                role=role,
                review=running and user_id not in parts,
                surveys=tuple(k for k in CLOSING_SURVEYS if (pid, user_id, k) not in answered),
                skills=step,
                actions=actions.get((pid, user_id), 0) if running else 0,
            )
        left[pid] = people
    return left
