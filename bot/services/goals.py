"""Goals: specific, dated goals of a pair, agreed by both, with milestones and progress.

A goal one person writes is *proposed* until the other agrees to it (or suggests a change);
agreed goals are co-created. Every lookup by id checks the workspace and that the person acting
is in the pair (``pairing_for``). No Slack here: handlers queue the messages these results describe.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.errors import FieldErrors, Forbidden, NotFound, UserError
from bot.ids import BlockId
from bot.services.access import OPEN_STATUSES, pairing_for, partner_of, role_in
from bot.services.programs import get_program_by_id, program_end, program_last_day
from bot.services.stages import PairEvent, note_event
from storage.enums import GoalProgress, GoalStatus, Role, TaskStatus
from storage.models import Goal, GoalUpdate, Milestone, Pairing, PracticeTask, Program
from storage.types import utcnow

# The limits of a goal, shared by the modals and the validation.
STATEMENT_MIN_WORDS = 5
STATEMENT_MAX = 500
SUCCESS_MAX = 1000
MILESTONES_MAX = 5
MILESTONE_TITLE_MAX = 150
SUGGESTION_MAX = 1000
PROGRESS_NOTE_MAX = 150

# What a good goal looks like: specific about the skill and why it matters, not "get promoted".
GOOD_GOAL_EXAMPLE = "Build the stakeholder communication skills that block my path to a senior role"
WEAK_GOAL_EXAMPLE = "Get promoted"
SUCCESS_EXAMPLE = (
    "I present our roadmap to the leadership team on my own and handle their questions"
)
MILESTONE_EXAMPLE = "Run the weekly stakeholder update myself"

# Goals nobody works on any more; withdrawn ones are left out of every list and count.
CLOSED_PROGRESS = (GoalProgress.DONE, GoalProgress.DROPPED)
AWAITING_AGREEMENT = (GoalStatus.PROPOSED, GoalStatus.CHANGE_SUGGESTED)


# --- data --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MilestoneForm:
    """One milestone row of the goal modal as submitted (``milestone_id`` when it edits one)."""

    title: str = ""
    due_date: date | None = None
    milestone_id: int | None = None


@dataclass(frozen=True, slots=True)
class GoalForm:
    """The goal modal's answers as submitted: nothing checked yet."""

    statement: str = ""
    success_criteria: str = ""
    due_date: date | None = None
    milestones: list[MilestoneForm] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MilestoneInput:
    """A checked milestone."""

    title: str
    due_date: date
    milestone_id: int | None = None


@dataclass(frozen=True, slots=True)
class GoalInput:
    """A checked goal: specific, dated within the program, milestones inside its dates."""

    statement: str
    success_criteria: str
    due_date: date
    milestones: list[MilestoneInput]


@dataclass(frozen=True, slots=True)
class GoalView:
    """A goal with its milestones in order."""

    goal: Goal
    milestones: tuple[Milestone, ...] = ()
    # The goal's learning-plan practice tasks: done ones count toward its progress.
    tasks_done: int = 0
    tasks_total: int = 0

    @property
    def goal_id(self) -> int:
        """The goal's id."""
        assert self.goal.id is not None
        return self.goal.id

    @property
    def awaiting_agreement(self) -> bool:
        """Whether the goal still needs the other person's agreement."""
        return self.goal.status in AWAITING_AGREEMENT

    @property
    def is_open(self) -> bool:
        """Whether the pair still works on it (not done, not dropped)."""
        return self.goal.progress not in CLOSED_PROGRESS

    @property
    def milestones_done(self) -> int:
        """How many milestones are ticked off."""
        return sum(1 for m in self.milestones if m.done_at is not None)

    def may_agree(self, user_id: str) -> bool:
        """Whether ``user_id`` is the one to agree: anyone in the pair but the proposer."""
        return self.awaiting_agreement and user_id != self.goal.proposed_by

    def overdue(self, today: date) -> bool:
        """Whether the due date passed while the goal is still open."""
        return self.is_open and self.goal.due_date < today


@dataclass(frozen=True, slots=True)
class GoalBoard:
    """Everything the goals overview shows one person of a pair."""

    pairing_id: int
    program_name: str
    viewer_user_id: str
    viewer_role: Role
    partner_user_id: str
    last_day: date
    live: bool
    goals: list[GoalView]


@dataclass(frozen=True, slots=True)
class GoalFormContext:
    """What the goal form needs: whose pair, the last day a goal may be due, the goal to edit."""

    pairing_id: int
    partner_user_id: str
    last_day: date
    goal: GoalView | None = None


@dataclass(frozen=True, slots=True)
class GoalSaved:
    """A goal saved from the modal, and whether the partner now has to agree to it."""

    goal: GoalView
    needs_agreement: bool
    author_user_id: str
    partner_user_id: str
    program_id: int
    program_name: str


@dataclass(frozen=True, slots=True)
class GoalDecision:
    """The other person agreed to a goal or suggested a change."""

    goal: GoalView
    actor_user_id: str
    proposer_user_id: str
    program_id: int
    program_name: str
    changed: bool
    stage_moved: bool = False


@dataclass(frozen=True, slots=True)
class GoalCounts:
    """A pairing's goals in numbers; ``proposed`` counts every goal still awaiting agreement."""

    total: int = 0
    agreed: int = 0
    proposed: int = 0
    done: int = 0
    on_track: int = 0
    at_risk: int = 0
    overdue: int = 0


# --- lookups -----------------------------------------------------------------------------------

# The lookups every goal card and dashboard makes, built once with their parameters as bind
# parameters: building a statement and its cache key took longer than SQLite ran it.
_PAIR_GOALS = (
    select(Goal)
    .where(Goal.pairing_id == sa.bindparam("pairing_id"), col(Goal.status) != GoalStatus.WITHDRAWN)
    .order_by(col(Goal.position), col(Goal.id))
)
# The same, for several pairings at once (pair by pair).
_PAIRS_GOALS = (
    select(Goal)
    .where(
        col(Goal.pairing_id).in_(sa.bindparam("ids", expanding=True)),
        col(Goal.status) != GoalStatus.WITHDRAWN,
    )
    .order_by(col(Goal.pairing_id), col(Goal.position), col(Goal.id))
)
_TASK_COUNTS = (
    sa.select(
        col(PracticeTask.goal_id),
        func.coalesce(
            func.sum(sa.case((col(PracticeTask.status) == TaskStatus.DONE, 1), else_=0)), 0
        ),
        func.count(col(PracticeTask.id)),
    )
    .where(
        col(PracticeTask.team_id) == sa.bindparam("team_id"),
        col(PracticeTask.goal_id).in_(sa.bindparam("ids", expanding=True)),
    )
    .group_by(col(PracticeTask.goal_id))
)
_MILESTONES = (
    select(Milestone)
    .where(
        Milestone.team_id == sa.bindparam("team_id"),
        col(Milestone.goal_id).in_(sa.bindparam("ids", expanding=True)),
    )
    .order_by(col(Milestone.goal_id), col(Milestone.position), col(Milestone.id))
)


def pair_goals(session: Session, *, pairing_id: int) -> list[Goal]:
    """The pair's goals in position order, withdrawn ones left out: the one definition of
    "the pair's goals" that goals, sessions, plans and graduation share."""
    return list(session.exec(_PAIR_GOALS, params={"pairing_id": pairing_id}))


def list_goals(session: Session, *, pairing: Pairing) -> list[GoalView]:
    """The pairing's goals in order, each with its milestones (three queries in all)."""
    goals = pair_goals(session, pairing_id=pairing.id or 0)
    return _with_milestones(session, team_id=pairing.team_id, goals=goals)


def goals_of_pairs(
    session: Session, *, team_id: str, pairing_ids: Sequence[int]
) -> dict[int, list[GoalView]]:
    """``list_goals`` of several pairings of one workspace, in three queries in all."""
    found: dict[int, list[GoalView]] = {pairing_id: [] for pairing_id in pairing_ids}
    if not pairing_ids:
        return found
    goals = list(session.exec(_PAIRS_GOALS, params={"ids": list(pairing_ids)}))
    for view in _with_milestones(session, team_id=team_id, goals=goals):
        found[view.goal.pairing_id].append(view)
    return found


def _with_milestones(session: Session, *, team_id: str, goals: Sequence[Goal]) -> list[GoalView]:
    by_goal = _milestones_of(session, team_id=team_id, goal_ids=[g.id for g in goals])
    tasks = _task_counts(session, team_id=team_id, goal_ids=[g.id for g in goals])
    return [
        GoalView(g, tuple(by_goal.get(g.id or 0, ())), *tasks.get(g.id or 0, (0, 0))) for g in goals
    ]


def goal_view(session: Session, *, goal: Goal) -> GoalView:
    """One goal with its milestones."""
    by_goal = _milestones_of(session, team_id=goal.team_id, goal_ids=[goal.id])
    tasks = _task_counts(session, team_id=goal.team_id, goal_ids=[goal.id])
    return GoalView(goal, tuple(by_goal.get(goal.id or 0, ())), *tasks.get(goal.id or 0, (0, 0)))


def _task_counts(
    session: Session, *, team_id: str, goal_ids: Sequence[int | None]
) -> dict[int, tuple[int, int]]:
    """(done, total) learning-plan practice tasks per goal, in one grouped query."""
    ids = [i for i in goal_ids if i is not None]
    if not ids:
        return {}
    rows = session.execute(_TASK_COUNTS, {"team_id": team_id, "ids": ids})
    return {goal_id: (int(done), int(total)) for goal_id, done, total in rows}


def _milestones_of(
    session: Session, *, team_id: str, goal_ids: Sequence[int | None]
) -> dict[int, list[Milestone]]:
    ids = [i for i in goal_ids if i is not None]
    by_goal: dict[int, list[Milestone]] = defaultdict(list)
    if not ids:
        return by_goal
    for milestone in session.exec(_MILESTONES, params={"team_id": team_id, "ids": ids}):
        by_goal[milestone.goal_id].append(milestone)
    return by_goal


def goal_for(session: Session, *, team_id: str, user_id: str, goal_id: int) -> tuple[Goal, Pairing]:
    """The goal and its pairing, if the goal is in the workspace and ``user_id`` is in the pair."""
    goal = session.get(Goal, goal_id)
    if goal is None or goal.team_id != team_id or goal.status is GoalStatus.WITHDRAWN:
        raise NotFound("That goal no longer exists.")
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=goal.pairing_id)
    return goal, pairing


def goal_board(
    session: Session, *, pairing: Pairing, viewer_user_id: str, program: Program | None = None
) -> GoalBoard:
    """The overview of a pairing's goals for one of its two people (``program``: the pairing's,
    if the caller has it)."""
    role = role_in(pairing, viewer_user_id)
    if program is None or program.id != pairing.program_id:
        program = get_program_by_id(session, team_id=pairing.team_id, program_id=pairing.program_id)
    assert pairing.id is not None
    return GoalBoard(
        pairing_id=pairing.id,
        program_name=program.name,
        viewer_user_id=viewer_user_id,
        viewer_role=role,
        partner_user_id=partner_of(pairing, viewer_user_id),
        last_day=program_last_day(program),
        live=pairing.status in OPEN_STATUSES,
        goals=list_goals(session, pairing=pairing),
    )


def _tally(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return func.coalesce(func.sum(sa.case((condition, 1), else_=0)), 0)


_GOAL_SUMMARY = (
    sa.select(
        col(Goal.pairing_id),
        func.count(col(Goal.id)),
        _tally(col(Goal.status) == GoalStatus.AGREED),
        _tally(col(Goal.status).in_([s.value for s in AWAITING_AGREEMENT])),
        _tally(col(Goal.progress) == GoalProgress.DONE),
        _tally(col(Goal.progress) == GoalProgress.ON_TRACK),
        _tally(col(Goal.progress) == GoalProgress.AT_RISK),
        _tally(
            sa.and_(
                col(Goal.due_date) < sa.bindparam("day"),
                col(Goal.progress).not_in([p.value for p in CLOSED_PROGRESS]),
            )
        ),
    )
    .where(
        col(Goal.pairing_id).in_(sa.bindparam("ids", expanding=True)),
        col(Goal.status) != GoalStatus.WITHDRAWN,
    )
    .group_by(col(Goal.pairing_id))
)


def goal_summary(
    session: Session, *, pairing_ids: Iterable[int], today: date | None = None
) -> dict[int, GoalCounts]:
    """Goal counts per pairing in one grouped query; ``today`` decides what is overdue."""
    ids = sorted(set(pairing_ids))
    counts = {pairing_id: GoalCounts() for pairing_id in ids}
    if not ids:
        return counts
    day = today or utcnow().date()
    for pairing_id, *numbers in session.execute(_GOAL_SUMMARY, {"ids": ids, "day": day}):
        counts[pairing_id] = GoalCounts(*(int(n) for n in numbers))
    return counts


# --- the goal form -----------------------------------------------------------------------------


def _day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def validate_goal_form(
    form: GoalForm, *, today: date, program_end: date, current: GoalView | None = None
) -> GoalInput:
    """Check the goal modal's answers; FieldErrors names every problem at once, with examples.

    ``program_end`` is the day after the program's last day. Dates already stored on ``current``
    (the goal being edited) may lie in the past: an overdue goal can still be reworded.
    """
    errors: dict[str, str] = {}
    last_day = program_end - timedelta(days=1)
    suggestion = max(min(today + timedelta(days=90), last_day), today)

    statement = " ".join(form.statement.split())
    if not statement:
        errors[BlockId.GOAL_STATEMENT] = (
            "Write the goal: what you'll be able to do, and why it matters. "
            f"For example: “{GOOD_GOAL_EXAMPLE}”."
        )
    elif len(statement.split()) < STATEMENT_MIN_WORDS:
        errors[BlockId.GOAL_STATEMENT] = (
            "Make it specific: say what you'll be able to do and why, in a sentence. "
            f"For example: “{GOOD_GOAL_EXAMPLE}” rather than “{WEAK_GOAL_EXAMPLE}”."
        )
    elif len(statement) > STATEMENT_MAX:
        errors[BlockId.GOAL_STATEMENT] = (
            f"Keep the goal to {STATEMENT_MAX} characters (it has {len(statement)}); "
            "put the detail under what success looks like. "
            f"For example: “{GOOD_GOAL_EXAMPLE}”."
        )

    success = form.success_criteria.strip()
    if not success:
        errors[BlockId.GOAL_SUCCESS] = (
            f"Say how you'll both know it worked. For example: “{SUCCESS_EXAMPLE}”."
        )
    elif len(success) > SUCCESS_MAX:
        errors[BlockId.GOAL_SUCCESS] = (
            f"Keep this to {SUCCESS_MAX} characters; it has {len(success)}."
        )

    due = form.due_date
    unchanged_due = current is not None and due == current.goal.due_date
    if due is None:
        errors[BlockId.GOAL_DUE] = (
            "Pick a due date: a goal without a deadline drifts. For example: "
            f"“{GOOD_GOAL_EXAMPLE}” by {_day(suggestion)}."
        )
    elif due <= today and not unchanged_due:
        errors[BlockId.GOAL_DUE] = (
            f"Pick a date after today ({_day(today)}), for example {_day(suggestion)}."
        )
    elif last_day <= today and not unchanged_due:
        errors[BlockId.GOAL_DUE] = (
            f"The program's last day ({_day(last_day)}) has passed, so there's no time left for "
            f"a new deadline. For example: “{GOOD_GOAL_EXAMPLE}” belongs in your next program."
        )
    elif due >= program_end and not unchanged_due:
        errors[BlockId.GOAL_DUE] = (
            f"The program ends on {_day(last_day)}; pick a due date on or before it, "
            f"for example {_day(suggestion)}."
        )

    milestones = _milestones(form, due=due, today=today, current=current, errors=errors)
    if errors:
        raise FieldErrors(errors)
    assert due is not None
    return GoalInput(
        statement=statement, success_criteria=success, due_date=due, milestones=milestones
    )


def _milestones(
    form: GoalForm,
    *,
    due: date | None,
    today: date,
    current: GoalView | None,
    errors: dict[str, str],
) -> list[MilestoneInput]:
    """The milestone rows that carry a title and a date; a half-filled row is an error."""
    stored = {m.id: m.due_date for m in current.milestones} if current else {}
    checked: list[MilestoneInput] = []
    for row, milestone in enumerate(form.milestones[:MILESTONES_MAX], start=1):
        title_block = f"{BlockId.GOAL_MILESTONE_TITLE_PREFIX}{row}"
        due_block = f"{BlockId.GOAL_MILESTONE_DUE_PREFIX}{row}"
        title = " ".join(milestone.title.split())
        when = milestone.due_date
        if not title and when is None:
            continue
        example_day = _day(min(today + timedelta(days=30), due) if due and due > today else today)
        if not title:
            errors[title_block] = (
                f"Name this milestone, or clear its date. For example: “{MILESTONE_EXAMPLE}”."
            )
        elif len(title) > MILESTONE_TITLE_MAX:
            errors[title_block] = (
                f"Keep a milestone to {MILESTONE_TITLE_MAX} characters; it has {len(title)}."
            )
        if when is None:
            errors[due_block] = (
                f"Give “{title[:60]}” a date between today and the goal's due date, "
                f"for example {example_day}."
            )
            continue
        unchanged = (
            milestone.milestone_id is not None and stored.get(milestone.milestone_id) == when
        )
        if when < today and not unchanged:
            errors[due_block] = (
                f"This date has passed; pick one from today on, for example {example_day}."
            )
        elif due is not None and when > due:
            errors[due_block] = (
                f"This milestone falls after the goal's due date ({_day(due)}); pick a date on "
                f"or before it, for example {example_day}."
            )
        if title:
            checked.append(MilestoneInput(title, when, milestone.milestone_id))
    return checked


def goal_form_context(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    pairing_id: int | None = None,
    goal_id: int | None = None,
) -> GoalFormContext:
    """Check that ``user_id`` may add a goal to the pairing (or edit the goal), for the form."""
    goal: GoalView | None = None
    if goal_id is not None:
        found, pairing = goal_for(session, team_id=team_id, user_id=user_id, goal_id=goal_id)
        goal = goal_view(session, goal=found)
    elif pairing_id is not None:
        pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    else:
        raise ValueError("name a pairing or a goal")
    _require_live(pairing)
    program = get_program_by_id(session, team_id=team_id, program_id=pairing.program_id)
    assert pairing.id is not None
    return GoalFormContext(
        pairing_id=pairing.id,
        partner_user_id=partner_of(pairing, user_id),
        last_day=program_last_day(program),
        goal=goal,
    )


def submit_goal_form(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    pairing_id: int,
    goal_id: int | None,
    form: GoalForm,
    today: date,
    now: datetime,
) -> GoalSaved:
    """Check access and the answers, then store the goal: the whole goal modal submission."""
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    _require_live(pairing)
    program = get_program_by_id(session, team_id=team_id, program_id=pairing.program_id)
    current = None
    if goal_id is not None:
        current = goal_view(session, goal=_goal_in(session, pairing=pairing, goal_id=goal_id))
    data = validate_goal_form(form, today=today, program_end=program_end(program), current=current)
    goal, needs = save_goal(
        session, pairing=pairing, author_user_id=user_id, goal_id=goal_id, data=data, now=now
    )
    return GoalSaved(
        goal=goal_view(session, goal=goal),
        needs_agreement=needs,
        author_user_id=user_id,
        partner_user_id=partner_of(pairing, user_id),
        program_id=pairing.program_id,
        program_name=program.name,
    )


def save_goal(
    session: Session,
    *,
    pairing: Pairing,
    author_user_id: str,
    goal_id: int | None,
    data: GoalInput,
    now: datetime,
) -> tuple[Goal, bool]:
    """Create or edit a goal; True when the partner now has to agree to it.

    A new goal is proposed by its author. Rewording an agreed goal (statement, success or due
    date) proposes it again; changing only its milestones does not.
    """
    role_in(pairing, author_user_id)
    _require_live(pairing)
    if goal_id is None:
        goal = Goal(
            team_id=pairing.team_id,
            pairing_id=pairing.id or 0,
            statement=data.statement,
            success_criteria=data.success_criteria,
            due_date=data.due_date,
            status=GoalStatus.PROPOSED,
            proposed_by=author_user_id,
            position=_next_position(session, pairing=pairing),
            created_at=now,
            updated_at=now,
        )
        session.add(goal)
        session.flush()
        _save_milestones(session, goal=goal, milestones=data.milestones)
        return goal, True

    goal = _goal_in(session, pairing=pairing, goal_id=goal_id)
    worded = (goal.statement, goal.success_criteria, goal.due_date) != (
        data.statement,
        data.success_criteria,
        data.due_date,
    )
    milestones_changed = _save_milestones(session, goal=goal, milestones=data.milestones)
    goal.statement, goal.success_criteria = data.statement, data.success_criteria
    goal.due_date = data.due_date
    if goal.status is GoalStatus.AGREED:
        needs = worded
    else:
        # A pending goal saved with changes, or re-sent after a suggestion, goes to the partner.
        needs = worded or milestones_changed or goal.status is GoalStatus.CHANGE_SUGGESTED
    if needs:
        _propose(goal, by=author_user_id)
    if worded or milestones_changed or needs:
        goal.updated_at = now
    session.add(goal)
    session.flush()
    return goal, needs


def _propose(goal: Goal, *, by: str) -> None:
    goal.status = GoalStatus.PROPOSED
    goal.proposed_by = by
    goal.agreed_by = None
    goal.agreed_at = None
    goal.co_created = False
    goal.change_suggestion = ""


def _next_position(session: Session, *, pairing: Pairing) -> int:
    highest = session.exec(
        select(func.max(Goal.position)).where(
            Goal.team_id == pairing.team_id, Goal.pairing_id == pairing.id
        )
    ).one()
    return 0 if highest is None else int(highest) + 1


def _save_milestones(session: Session, *, goal: Goal, milestones: Sequence[MilestoneInput]) -> bool:
    """Make the goal's milestones the form's rows, ordered by date; True when anything changed."""
    stored = _milestones_of(session, team_id=goal.team_id, goal_ids=[goal.id]).get(goal.id or 0, [])
    existing = {m.id: m for m in stored}
    changed = False
    redated = False
    kept: list[Milestone] = []
    for row in milestones:
        milestone = existing.pop(row.milestone_id, None) if row.milestone_id else None
        if milestone is None:
            milestone = Milestone(
                team_id=goal.team_id, goal_id=goal.id or 0, title=row.title, due_date=row.due_date
            )
            changed = redated = True
        elif (milestone.title, milestone.due_date) != (row.title, row.due_date):
            redated = redated or milestone.due_date != row.due_date
            milestone.title, milestone.due_date = row.title, row.due_date
            changed = True
        kept.append(milestone)
    for gone in existing.values():
        session.delete(gone)
        changed = True
    if redated:
        # New dates: order by date (a stable sort keeps same-day rows in the order written).
        kept.sort(key=lambda m: m.due_date)
    else:
        # Same dates: keep the order the pair chose with the move buttons.
        kept.sort(key=lambda m: m.position)
    for position, milestone in enumerate(kept):
        milestone.position = position
        session.add(milestone)
    session.flush()
    return changed


def _goal_in(session: Session, *, pairing: Pairing, goal_id: int) -> Goal:
    goal = session.get(Goal, goal_id)
    if (
        goal is None
        or goal.team_id != pairing.team_id
        or goal.pairing_id != pairing.id
        or goal.status is GoalStatus.WITHDRAWN
    ):
        raise NotFound("That goal no longer exists.")
    return goal


def _require_live(pairing: Pairing) -> None:
    if pairing.status not in OPEN_STATUSES:
        raise UserError("This mentoring pair has ended, so its goals can't be changed any more.")


# --- agreement ---------------------------------------------------------------------------------


def _decider(session: Session, *, team_id: str, user_id: str, goal_id: int) -> tuple[Goal, Pairing]:
    """The goal, if ``user_id`` is the partner who decides on it."""
    goal, pairing = goal_for(session, team_id=team_id, user_id=user_id, goal_id=goal_id)
    _require_live(pairing)
    if goal.proposed_by == user_id and goal.status is not GoalStatus.AGREED:
        raise Forbidden(
            f"You proposed this goal, so it's <@{partner_of(pairing, user_id)}>'s to agree to; "
            "I've asked them. You can still edit it while you wait."
        )
    return goal, pairing


def agree_goal(
    session: Session, *, team_id: str, user_id: str, goal_id: int, now: datetime
) -> GoalDecision:
    """The partner agrees: the goal becomes agreed and co-created, and the pair's stage moves on."""
    goal, pairing = _decider(session, team_id=team_id, user_id=user_id, goal_id=goal_id)
    program = get_program_by_id(session, team_id=team_id, program_id=pairing.program_id)
    changed = goal.status is not GoalStatus.AGREED
    moved = False
    if changed:
        goal.status = GoalStatus.AGREED
        goal.agreed_by = user_id
        goal.agreed_at = now
        goal.co_created = True
        goal.change_suggestion = ""
        goal.updated_at = now
        session.add(goal)
        session.flush()
        # The pair now has at least one agreed goal: goal setting is done.
        moved = note_event(session, pairing=pairing, event=PairEvent.GOALS_AGREED)
    return GoalDecision(
        goal=goal_view(session, goal=goal),
        actor_user_id=user_id,
        proposer_user_id=goal.proposed_by,
        program_id=pairing.program_id,
        program_name=program.name,
        changed=changed,
        stage_moved=moved,
    )


def check_may_decide(session: Session, *, team_id: str, user_id: str, goal_id: int) -> GoalView:
    """The goal, if ``user_id`` may agree to it or suggest a change (before a modal opens)."""
    goal, _ = _decider(session, team_id=team_id, user_id=user_id, goal_id=goal_id)
    if goal.status is GoalStatus.AGREED:
        raise UserError("You've both agreed to this goal already; edit it to change it.")
    return goal_view(session, goal=goal)


def suggest_change(
    session: Session, *, team_id: str, user_id: str, goal_id: int, suggestion: str, now: datetime
) -> GoalDecision:
    """The partner asks for a change: the proposer gets the suggestion to edit the goal with."""
    text = suggestion.strip()
    if not text:
        raise FieldErrors({BlockId.GOAL_SUGGESTION: "Say what you'd change about this goal."})
    if len(text) > SUGGESTION_MAX:
        raise FieldErrors(
            {
                BlockId.GOAL_SUGGESTION: (
                    f"Keep the suggestion to {SUGGESTION_MAX} characters; it has {len(text)}."
                )
            }
        )
    goal, pairing = _decider(session, team_id=team_id, user_id=user_id, goal_id=goal_id)
    if goal.status is GoalStatus.AGREED:
        raise FieldErrors(
            {BlockId.GOAL_SUGGESTION: "You've both agreed to this goal already; edit it instead."}
        )
    program = get_program_by_id(session, team_id=team_id, program_id=pairing.program_id)
    goal.status = GoalStatus.CHANGE_SUGGESTED
    goal.change_suggestion = text
    goal.updated_at = now
    session.add(goal)
    session.flush()
    return GoalDecision(
        goal=goal_view(session, goal=goal),
        actor_user_id=user_id,
        proposer_user_id=goal.proposed_by,
        program_id=pairing.program_id,
        program_name=program.name,
        changed=True,
    )


# --- progress and milestones -------------------------------------------------------------------


def record_progress(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    goal_id: int,
    progress: str | None,
    note: str,
    now: datetime,
    meeting_id: int | None = None,
) -> Goal:
    """Either person records how a goal is going; each update is kept as history. Returns the
    goal (nothing more is read inside the write: whoever shows it reads it afterwards)."""
    errors: dict[str, str] = {}
    try:
        chosen = GoalProgress(progress or "")
    except ValueError:
        errors[BlockId.GOAL_PROGRESS_STATUS] = "Pick how the goal is going."
    line = " ".join(note.split())
    if len(line) > PROGRESS_NOTE_MAX:
        errors[BlockId.GOAL_PROGRESS_NOTE] = (
            f"Keep the note to one line of {PROGRESS_NOTE_MAX} characters; it has {len(line)}."
        )
    if errors:
        raise FieldErrors(errors)
    goal, pairing = goal_for(session, team_id=team_id, user_id=user_id, goal_id=goal_id)
    _require_live(pairing)
    goal.progress = chosen
    goal.progress_note = line
    goal.updated_at = now
    session.add(goal)
    session.add(
        GoalUpdate(
            team_id=team_id,
            goal_id=goal.id or 0,
            meeting_id=meeting_id,
            progress=chosen,
            note=line,
            by_user_id=user_id,
            at=now,
        )
    )
    return goal


def progress_history(session: Session, *, goal: Goal) -> list[GoalUpdate]:
    """A goal's progress updates, oldest first."""
    return list(
        session.exec(
            select(GoalUpdate)
            .where(GoalUpdate.team_id == goal.team_id, GoalUpdate.goal_id == goal.id)
            .order_by(col(GoalUpdate.at), col(GoalUpdate.id))
        )
    )


def goal_to_change(session: Session, *, team_id: str, user_id: str, goal_id: int) -> GoalView:
    """A goal with its milestones, for someone in its live pair (before a modal opens)."""
    goal, pairing = goal_for(session, team_id=team_id, user_id=user_id, goal_id=goal_id)
    _require_live(pairing)
    return goal_view(session, goal=goal)


def _milestone_for(
    session: Session, *, team_id: str, user_id: str, milestone_id: int
) -> tuple[Milestone, Goal]:
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.team_id != team_id:
        raise NotFound("That milestone no longer exists.")
    goal, pairing = goal_for(session, team_id=team_id, user_id=user_id, goal_id=milestone.goal_id)
    _require_live(pairing)
    return milestone, goal


def toggle_milestone(
    session: Session, *, team_id: str, user_id: str, milestone_id: int, now: datetime
) -> Goal:
    """Tick a milestone off, or untick it; returns its goal (``goal_view`` reads the rest, after
    the write: nothing more is read while it holds the write lock)."""
    milestone, goal = _milestone_for(
        session, team_id=team_id, user_id=user_id, milestone_id=milestone_id
    )
    milestone.done_at = None if milestone.done_at is not None else now
    session.add(milestone)
    return goal


def move_milestone(
    session: Session, *, team_id: str, user_id: str, milestone_id: int, up: bool
) -> Goal:
    """Move a milestone one place up or down (at either end nothing moves); returns its goal."""
    milestone, goal = _milestone_for(
        session, team_id=team_id, user_id=user_id, milestone_id=milestone_id
    )
    ordered = list(goal_view(session, goal=goal).milestones)
    index = next(i for i, m in enumerate(ordered) if m.id == milestone.id)
    other = index - 1 if up else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, item in enumerate(ordered):
            item.position = position
            session.add(item)
    return goal
