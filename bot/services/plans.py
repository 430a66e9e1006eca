"""Learning plans: the resources and practice tasks behind each goal of a pair.

The mentee owns a goal's learning plan; either person of the pair may add to it, tick tasks off
or remove items. Every lookup by id goes through the pair (``pairing_for`` / ``goal_for``), so a
lead or a third person is refused. Done tasks count toward the goal's progress (see
``GoalView.tasks_done``); overdue ones show on the Home tab and join the next session's agenda.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot.errors import FieldErrors, NotFound, UserError
from bot.ids import BlockId
from bot.services.access import OPEN_STATUSES, pairing_for
from bot.services.goals import CLOSED_PROGRESS, goal_for, pair_goals
from bot.services.programs import get_program_by_id
from storage.enums import GoalStatus, ResourceKind, TaskStatus
from storage.models import Goal, LearningResource, PracticeTask

TITLE_MAX = 150
URL_MAX = 2000
LINK_ERROR = "Links must start with http:// or https://"
# Kinds that are a page somewhere: without a link the pair can't open them.
LINKED_KINDS = (ResourceKind.ARTICLE, ResourceKind.COURSE, ResourceKind.VIDEO)
KIND_LABELS = {
    ResourceKind.ARTICLE: "Article",
    ResourceKind.BOOK: "Book",
    ResourceKind.COURSE: "Course",
    ResourceKind.VIDEO: "Video",
    ResourceKind.PERSON: "Person to talk to",
    ResourceKind.OTHER: "Other",
}
STATUS_LABELS = {TaskStatus.TODO: "to do", TaskStatus.DOING: "doing", TaskStatus.DONE: "done"}


# --- data --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResourceForm:
    """The add-a-resource form as submitted, nothing checked yet."""

    title: str = ""
    url: str = ""
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class TaskForm:
    """The add-a-task form as submitted, nothing checked yet."""

    title: str = ""
    due_date: date | None = None


@dataclass(frozen=True, slots=True)
class GoalPlan:
    """One goal's learning plan: its resources (newest first) and tasks (open first, by date)."""

    goal_id: int
    statement: str
    due_date: date
    is_open: bool
    resources: list[LearningResource]
    tasks: list[PracticeTask]

    @property
    def tasks_done(self) -> int:
        """How many practice tasks are done."""
        return sum(1 for t in self.tasks if t.status is TaskStatus.DONE)

    def overdue(self, today: date) -> list[PracticeTask]:
        """The tasks past their due date and not done."""
        return [t for t in self.tasks if is_overdue(t, today)]


@dataclass(frozen=True, slots=True)
class LearningPlan:
    """The learning plans of a pair's goals (or of one goal), for one person of the pair."""

    pairing_id: int
    mentee_user_id: str
    mentor_user_id: str
    viewer_user_id: str
    program_name: str
    live: bool
    goals: list[GoalPlan]
    # Opened for one goal (from the goal overview or "Manage"), rather than for all of them.
    goal_id: int | None = None


@dataclass(frozen=True, slots=True)
class PlanTarget:
    """The goal a plan form adds to, checked: the person is in its live pair."""

    goal_id: int
    pairing_id: int
    statement: str


@dataclass(frozen=True, slots=True)
class OverdueTask:
    """A practice task past its due date, with the goal it belongs to."""

    task_id: int
    pairing_id: int
    goal_id: int
    title: str
    due_date: date
    goal_statement: str


# --- reading -----------------------------------------------------------------------------------


def is_overdue(task: PracticeTask, today: date) -> bool:
    """Whether the task is past its due date and not done."""
    return (
        task.status is not TaskStatus.DONE and task.due_date is not None and task.due_date < today
    )


def _task_order(task: PracticeTask) -> tuple[int, date, int]:
    return (
        1 if task.status is TaskStatus.DONE else 0,
        task.due_date or date.max,
        task.id or 0,
    )


def _plans_of(session: Session, *, team_id: str, goals: list[Goal]) -> list[GoalPlan]:
    ids = [g.id for g in goals if g.id is not None]
    resources: dict[int, list[LearningResource]] = defaultdict(list)
    tasks: dict[int, list[PracticeTask]] = defaultdict(list)
    if ids:
        for resource in session.exec(
            select(LearningResource)
            .where(LearningResource.team_id == team_id, col(LearningResource.goal_id).in_(ids))
            .order_by(col(LearningResource.created_at).desc(), col(LearningResource.id).desc())
        ):
            resources[resource.goal_id].append(resource)
        for task in session.exec(
            select(PracticeTask).where(
                PracticeTask.team_id == team_id, col(PracticeTask.goal_id).in_(ids)
            )
        ):
            tasks[task.goal_id].append(task)
    return [
        GoalPlan(
            goal_id=g.id or 0,
            statement=g.statement,
            due_date=g.due_date,
            is_open=g.progress not in CLOSED_PROGRESS,
            resources=resources.get(g.id or 0, []),
            tasks=sorted(tasks.get(g.id or 0, []), key=_task_order),
        )
        for g in goals
    ]


def learning_plan(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    pairing_id: int | None = None,
    goal_id: int | None = None,
) -> LearningPlan:
    """The plan of every goal of the pairing, or of one goal, for someone in the pair."""
    if goal_id is not None:
        goal, pairing = goal_for(session, team_id=team_id, user_id=user_id, goal_id=goal_id)
        goals = [goal]
    elif pairing_id is not None:
        pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
        # Open goals first, each group in the pair's order.
        goals = sorted(
            pair_goals(session, pairing_id=pairing.id or 0),
            key=lambda g: g.progress in CLOSED_PROGRESS,
        )
    else:
        raise ValueError("name a pairing or a goal")
    program = get_program_by_id(session, team_id=team_id, program_id=pairing.program_id)
    return LearningPlan(
        pairing_id=pairing.id or 0,
        mentee_user_id=pairing.mentee_user_id,
        mentor_user_id=pairing.mentor_user_id,
        viewer_user_id=user_id,
        program_name=program.name,
        live=pairing.status in OPEN_STATUSES,
        goals=_plans_of(session, team_id=team_id, goals=goals),
        goal_id=goal_id,
    )


# Shown on every dashboard: built once (building it took longer than SQLite ran it).
_OVERDUE = (
    select(PracticeTask, Goal)
    .join(Goal, col(Goal.id) == col(PracticeTask.goal_id))
    .where(
        col(Goal.pairing_id).in_(bindparam("ids", expanding=True)),
        col(Goal.team_id) == col(PracticeTask.team_id),
        col(Goal.status) != GoalStatus.WITHDRAWN,
        col(PracticeTask.status) != TaskStatus.DONE,
        col(PracticeTask.due_date) < bindparam("today"),
    )
    .order_by(col(PracticeTask.due_date), col(PracticeTask.id))
)


def overdue_tasks(
    session: Session, *, pairing_ids: Iterable[int], today: date
) -> dict[int, list[OverdueTask]]:
    """Each pairing's overdue practice tasks, oldest due date first (one query)."""
    ids = sorted(set(pairing_ids))
    found: dict[int, list[OverdueTask]] = {pid: [] for pid in ids}
    if not ids:
        return found
    rows = session.exec(_OVERDUE, params={"ids": ids, "today": today}).all()
    for task, goal in rows:
        found[goal.pairing_id].append(
            OverdueTask(
                task_id=task.id or 0,
                pairing_id=goal.pairing_id,
                goal_id=goal.id or 0,
                title=task.title,
                due_date=task.due_date or today,
                goal_statement=goal.statement,
            )
        )
    return found


# --- checking ----------------------------------------------------------------------------------


def check_link(url: str) -> str | None:
    """Why ``url`` is not a link the pair can open (http or https, with a host), or None."""
    if len(url) > URL_MAX:
        return f"Keep the link to {URL_MAX} characters; it has {len(url)}."
    if any(c.isspace() for c in url):
        return f"{LINK_ERROR}, with no spaces, e.g. https://example.com/article."
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return f"{LINK_ERROR}, e.g. https://example.com/article."
    if parts.scheme.lower() not in ("http", "https"):
        return f"{LINK_ERROR}, e.g. https://example.com/article."
    if not host:
        return f"{LINK_ERROR} and name a website, e.g. https://example.com/article."
    return None


def _title(value: str, *, block_id: str, what: str, errors: dict[str, str]) -> str:
    title = " ".join(value.split())
    if not title:
        errors[block_id] = f"Give the {what} a title."
    elif len(title) > TITLE_MAX:
        errors[block_id] = f"Keep the title to {TITLE_MAX} characters; it has {len(title)}."
    return title


def validate_resource(form: ResourceForm) -> tuple[str, str | None, ResourceKind]:
    """Check the add-a-resource form; FieldErrors names every problem at once."""
    errors: dict[str, str] = {}
    title = _title(form.title, block_id=BlockId.PLAN_RESOURCE_TITLE, what="resource", errors=errors)
    kind: ResourceKind | None = None
    try:
        kind = ResourceKind(form.kind or "")
    except ValueError:
        errors[BlockId.PLAN_RESOURCE_KIND] = "Pick what kind of resource this is."
    url = form.url.strip()
    if url:
        problem = check_link(url)
        if problem:
            errors[BlockId.PLAN_RESOURCE_URL] = problem
    elif kind in LINKED_KINDS:
        errors[BlockId.PLAN_RESOURCE_URL] = (
            f"Add the link to this {KIND_LABELS[kind].lower()}. {LINK_ERROR}."
        )
    if errors:
        raise FieldErrors(errors)
    assert kind is not None
    return title, url or None, kind


def validate_task(form: TaskForm, *, today: date) -> tuple[str, date]:
    """Check the add-a-task form; FieldErrors names every problem at once."""
    errors: dict[str, str] = {}
    title = _title(form.title, block_id=BlockId.PLAN_TASK_TITLE, what="task", errors=errors)
    if form.due_date is None:
        errors[BlockId.PLAN_TASK_DUE] = "Pick the day this task is due."
    elif form.due_date < today:
        errors[BlockId.PLAN_TASK_DUE] = "That day has passed; pick today or a later day."
    if errors:
        raise FieldErrors(errors)
    assert form.due_date is not None
    return title, form.due_date


def _live_goal(session: Session, *, team_id: str, user_id: str, goal_id: int) -> Goal:
    goal, pairing = goal_for(session, team_id=team_id, user_id=user_id, goal_id=goal_id)
    if pairing.status not in OPEN_STATUSES:
        raise UserError("This mentoring pair has ended, so its learning plan can't be changed.")
    return goal


def plan_target(session: Session, *, team_id: str, user_id: str, goal_id: int) -> PlanTarget:
    """The goal a plan form will add to, if the person is in its live pair (before it opens)."""
    goal = _live_goal(session, team_id=team_id, user_id=user_id, goal_id=goal_id)
    return PlanTarget(goal_id=goal.id or 0, pairing_id=goal.pairing_id, statement=goal.statement)


# --- changing ----------------------------------------------------------------------------------


def add_resource(
    session: Session, *, team_id: str, user_id: str, goal_id: int, form: ResourceForm, now: datetime
) -> LearningResource:
    """Add a resource to a goal's plan; bad input stores nothing."""
    title, url, kind = validate_resource(form)
    goal = _live_goal(session, team_id=team_id, user_id=user_id, goal_id=goal_id)
    resource = LearningResource(
        team_id=team_id,
        goal_id=goal.id or 0,
        title=title,
        url=url,
        kind=kind,
        added_by=user_id,
        created_at=now,
    )
    session.add(resource)
    session.flush()
    return resource


def add_task(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    goal_id: int,
    form: TaskForm,
    today: date,
    now: datetime,
) -> PracticeTask:
    """Add a practice task to a goal's plan; bad input stores nothing."""
    title, due = validate_task(form, today=today)
    goal = _live_goal(session, team_id=team_id, user_id=user_id, goal_id=goal_id)
    task = PracticeTask(
        team_id=team_id, goal_id=goal.id or 0, title=title, due_date=due, created_at=now
    )
    session.add(task)
    session.flush()
    return task


def _task_for(session: Session, *, team_id: str, user_id: str, task_id: int) -> PracticeTask:
    task = session.get(PracticeTask, task_id)
    if task is None or task.team_id != team_id:
        raise NotFound("That practice task no longer exists.")
    _live_goal(session, team_id=team_id, user_id=user_id, goal_id=task.goal_id)
    return task


def set_task_status(
    session: Session, *, team_id: str, user_id: str, task_id: int, status: TaskStatus, now: datetime
) -> PracticeTask:
    """Move a task to to-do, doing or done (done tasks count toward the goal's progress)."""
    task = _task_for(session, team_id=team_id, user_id=user_id, task_id=task_id)
    if task.status is not status:
        task.status = status
        task.done_at = now if status is TaskStatus.DONE else None
        session.add(task)
        session.flush()
    return task


def remove_task(session: Session, *, team_id: str, user_id: str, task_id: int) -> int:
    """Take a task off the plan; returns its goal's id."""
    task = _task_for(session, team_id=team_id, user_id=user_id, task_id=task_id)
    session.delete(task)
    session.flush()
    return task.goal_id


def remove_resource(session: Session, *, team_id: str, user_id: str, resource_id: int) -> int:
    """Take a resource off the plan; returns its goal's id."""
    resource = session.get(LearningResource, resource_id)
    if resource is None or resource.team_id != team_id:
        raise NotFound("That resource no longer exists.")
    _live_goal(session, team_id=team_id, user_id=user_id, goal_id=resource.goal_id)
    session.delete(resource)
    session.flush()
    return resource.goal_id
