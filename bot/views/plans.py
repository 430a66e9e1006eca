"""Learning-plan views: the plan modal (every goal, or one goal to manage) and its two forms."""

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from bot.ids import ActionId, BlockId, CallbackId
from bot.services.plans import (
    KIND_LABELS,
    LINK_ERROR,
    STATUS_LABELS,
    TITLE_MAX,
    URL_MAX,
    GoalPlan,
    LearningPlan,
    PlanTarget,
    is_overdue,
)
from bot.views.blocks import (
    SECTION_TEXT_LIMIT,
    Block,
    actions,
    button,
    clip,
    context,
    datepicker,
    divider,
    input_block,
    modal,
    option,
    plain,
    section,
    static_select,
    text_input,
)
from bot.views.text import escape, inline, link
from storage.enums import ResourceKind, TaskStatus
from storage.models import LearningResource, PracticeTask

# A modal holds 100 blocks: the overview spends four per goal, the one-goal view one per item.
MAX_GOALS_SHOWN = 12
ITEMS_SHOWN = 10


def day(value: date) -> str:
    """A date as the plan shows it: "Tue 10 Mar"."""
    return f"{value:%a} {value.day} {value:%b}"


def confirm_dialog(title: str, text: str, yes: str) -> dict[str, Any]:
    """A button's "are you sure?" dialog; the way out keeps the item."""
    return {
        "title": plain(title, 100),
        "text": plain(text, 300),
        "confirm": plain(yes, 30),
        "deny": plain("Keep it", 30),
    }


# --- how items read ----------------------------------------------------------------------------


def resource_line(resource: LearningResource, *, linked: bool = True) -> str:
    """A resource as one mrkdwn line: its title (linked), its kind."""
    name = link(resource.title, resource.url if linked else None, limit=TITLE_MAX)
    return f"• {name} _({KIND_LABELS[resource.kind].lower()})_"


def task_line(task: PracticeTask, *, today: date) -> str:
    """A practice task as one mrkdwn line: state, title, due date, overdue mark."""
    name = inline(task.title, TITLE_MAX)
    due = f" · due {day(task.due_date)}" if task.due_date else ""
    if task.status is TaskStatus.DONE:
        return f"✓ ~{name}~{due}"
    mark = "◐" if task.status is TaskStatus.DOING else "○"
    late = " · :warning: overdue" if is_overdue(task, today) else ""
    return f"{mark} {name}{due} · {STATUS_LABELS[task.status]}{late}"


def _more(shown: int, total: int, what: str) -> str | None:
    hidden = total - shown
    return f"…and {hidden} more {what}" if hidden > 0 else None


def _hidden(total: int) -> list[str]:
    return [f"…and {total - ITEMS_SHOWN} more"] if total > ITEMS_SHOWN else []


def _summary(goal: GoalPlan, *, today: date) -> list[Block]:
    """A goal with its resources, then its tasks: two sections; links dropped if too long."""
    head = f"*{inline(goal.statement, 300)}*\n*Resources* ({len(goal.resources)})"
    text = head
    for linked in (True, False):
        lines = [head]
        lines += [resource_line(r, linked=linked) for r in goal.resources[:ITEMS_SHOWN]]
        lines += _hidden(len(goal.resources)) or ([] if goal.resources else ["_None yet._"])
        text = "\n".join(lines)
        if len(text) <= SECTION_TEXT_LIMIT:
            break
    lines = [f"*Practice tasks* ({goal.tasks_done} of {len(goal.tasks)} done)"]
    lines += [task_line(t, today=today) for t in goal.tasks[:ITEMS_SHOWN]]
    lines += _hidden(len(goal.tasks)) or ([] if goal.tasks else ["_None yet._"])
    return [section(text), section("\n".join(lines))]


def _owner_note(plan: LearningPlan) -> str:
    if plan.viewer_user_id == plan.mentee_user_id:
        return (
            f"You own this learning plan; <@{plan.mentor_user_id}> can add to it too. "
            "Done tasks count toward the goal's progress; overdue ones join your next agenda."
        )
    return (
        f"<@{plan.mentee_user_id}> owns this learning plan; you can add to it too. "
        "Done tasks count toward the goal's progress; overdue ones join the next agenda."
    )


def _add_buttons(goal: GoalPlan, *, manage: bool) -> Block:
    value = str(goal.goal_id)
    elements = [
        button("Add a resource", ActionId.PLAN_RESOURCE_ADD, value=value),
        button("Add a practice task", ActionId.PLAN_TASK_ADD, value=value),
    ]
    if manage:
        elements.append(button("Tick off or remove", ActionId.PLAN_GOAL_OPEN, value=value))
    return actions(*elements, block_id=f"plan_goal_{goal.goal_id}")


# --- the plan modal ----------------------------------------------------------------------------


def plan_metadata(plan: LearningPlan, parent: str | None) -> dict[str, Any]:
    """What a plan modal remembers: whose plan, which goal, the plan it was opened from."""
    return {"pairing_id": plan.pairing_id, "goal_id": plan.goal_id, "parent": parent}


def build_plan_modal(
    plan: LearningPlan, *, today: date, parent_view_id: str | None = None
) -> dict[str, Any]:
    """The pair's learning plans: every goal summarised, or one goal with controls per item."""
    partner = (
        plan.mentor_user_id if plan.viewer_user_id == plan.mentee_user_id else plan.mentee_user_id
    )
    blocks: list[Block] = [
        section(f"*Learning plan with <@{partner}>* · {escape(plan.program_name)}"),
        context(_owner_note(plan)),
    ]
    if not plan.live:
        blocks.append(context("This mentoring pair has ended; its plan is kept as it was."))
    if not plan.goals:
        blocks.append(
            section(
                "No goals yet: a learning plan belongs to a goal. Write one with `/mentor goals`, "
                "then add the resources and practice tasks behind it here."
            )
        )
    elif plan.goal_id is not None:
        blocks += _one_goal(plan.goals[0], today=today, live=plan.live)
    else:
        for goal in plan.goals[:MAX_GOALS_SHOWN]:
            blocks.append(divider())
            blocks += _summary(goal, today=today)
            if plan.live:
                blocks.append(_add_buttons(goal, manage=bool(goal.resources or goal.tasks)))
        more = _more(min(len(plan.goals), MAX_GOALS_SHOWN), len(plan.goals), "goals not shown")
        if more:
            blocks.append(context(more + ": open one from `/mentor goals`."))
    return modal(
        CallbackId.PLAN,
        "Learning plan",
        blocks,
        metadata=plan_metadata(plan, parent_view_id),
    )


def _one_goal(goal: GoalPlan, *, today: date, live: bool) -> list[Block]:
    blocks: list[Block] = [
        divider(),
        section(
            f"*{inline(goal.statement, 600)}*\nDue {day(goal.due_date)} · practice tasks "
            f"{goal.tasks_done} of {len(goal.tasks)} done"
        ),
    ]
    if live:
        blocks.append(_add_buttons(goal, manage=False))
    blocks.append(section(f"*Resources* ({len(goal.resources)})"))
    for resource in goal.resources[:ITEMS_SHOWN]:
        text = (
            f"{resource_line(resource)}\n"
            f"added by <@{resource.added_by}> on {day(resource.created_at.date())}"
        )
        remove = None
        if live:
            remove = button("Remove", ActionId.PLAN_RESOURCE_REMOVE, value=str(resource.id))
            remove["confirm"] = confirm_dialog(
                "Remove this resource?", clip(resource.title, 200), "Remove"
            )
        blocks.append(section(text, accessory=remove))
    if not goal.resources:
        blocks.append(context("No resources yet: articles, books, courses, videos, people."))
    more = _more(min(len(goal.resources), ITEMS_SHOWN), len(goal.resources), "older resources")
    if more:
        blocks.append(context(more + ": remove some to see them."))
    blocks.append(section(f"*Practice tasks* ({goal.tasks_done} of {len(goal.tasks)} done)"))
    for task in goal.tasks[:ITEMS_SHOWN]:
        blocks.append(
            section(task_line(task, today=today), accessory=_task_menu(task) if live else None)
        )
    if not goal.tasks:
        blocks.append(context("No practice tasks yet: something to try before a date."))
    hidden = goal.tasks[ITEMS_SHOWN:]
    if hidden:
        still_open = sum(1 for t in hidden if t.status is not TaskStatus.DONE)
        blocks.append(
            context(f"…and {len(hidden)} more tasks ({still_open} open), listed by due date.")
        )
    return blocks


def _task_menu(task: PracticeTask) -> Block:
    """A task's overflow: move it along, back, or remove it (Slack allows 5 options)."""
    choices: list[tuple[str, str]] = []
    if task.status is not TaskStatus.DONE:
        choices.append(("Mark done ✓", "done"))
    if task.status is TaskStatus.TODO:
        choices.append(("Start it (doing)", "doing"))
    if task.status is not TaskStatus.TODO:
        choices.append(("Back to to-do", "todo"))
    choices.append(("Remove", "remove"))
    return {
        "type": "overflow",
        "action_id": ActionId.PLAN_TASK_MENU.value,
        "options": [option(text, f"{value}:{task.id}") for text, value in choices],
    }


# --- the forms ---------------------------------------------------------------------------------


def form_metadata(target: PlanTarget, plan: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a plan form remembers: the goal it adds to, and the plan modal to redraw after."""
    return {"goal_id": target.goal_id, "plan": dict(plan) if plan else None}


def build_resource_form(
    target: PlanTarget, *, plan: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Add a resource to a goal's plan: title, link, kind."""
    kinds = [option(label, kind.value) for kind, label in KIND_LABELS.items()]
    blocks: list[Block] = [
        section(f"For *{inline(target.statement, 300)}*"),
        input_block(
            BlockId.PLAN_RESOURCE_TITLE,
            "Title",
            text_input(max_length=TITLE_MAX, placeholder="e.g. Crucial Conversations, chapter 3"),
        ),
        input_block(
            BlockId.PLAN_RESOURCE_KIND,
            "Kind",
            static_select(kinds, placeholder="Article, book, course…"),
        ),
        input_block(
            BlockId.PLAN_RESOURCE_URL,
            "Link",
            text_input(max_length=URL_MAX, placeholder="https://…"),
            hint=(
                f"{LINK_ERROR}. Needed for an article, course or video; "
                f"optional for a {KIND_LABELS[ResourceKind.BOOK].lower()} or a person."
            ),
            optional=True,
        ),
    ]
    return modal(
        CallbackId.PLAN_RESOURCE,
        "Add a resource",
        blocks,
        metadata=form_metadata(target, plan),
        submit="Add",
        close="Back",
    )


def build_task_form(
    target: PlanTarget, *, today: date, plan: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Add a practice task to a goal's plan: title and due date."""
    blocks: list[Block] = [
        section(f"For *{inline(target.statement, 300)}*"),
        input_block(
            BlockId.PLAN_TASK_TITLE,
            "Practice task",
            text_input(max_length=TITLE_MAX, placeholder="e.g. Run the Monday stand-up on my own"),
        ),
        input_block(
            BlockId.PLAN_TASK_DUE,
            "Due",
            datepicker(today + timedelta(days=7)),
            hint="Overdue tasks show on your Home tab and join your next session's agenda.",
        ),
    ]
    return modal(
        CallbackId.PLAN_TASK,
        "Add a practice task",
        blocks,
        metadata=form_metadata(target, plan),
        submit="Add",
        close="Back",
    )
