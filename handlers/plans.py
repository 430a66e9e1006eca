"""Learning plans: ``/mentor plan``, the plan modal and its forms, from Home and the goal overview.

The plan modal opens from the command and the Home tab's "Learning plan" button, and is pushed
over the goal overview by its per-goal "Learning plan" button. The add forms are pushed over
the plan and remember its view id, so it is redrawn once they are submitted.
"""

from typing import Any

from slack_bolt import App

from bot.commands import Subcommand
from bot.errors import UserError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.plans import (
    ResourceForm,
    TaskForm,
    add_resource,
    add_task,
    learning_plan,
    plan_target,
    remove_resource,
    remove_task,
    set_task_status,
)
from bot.views.plans import build_plan_modal, build_resource_form, build_task_form
from handlers.commands import CommandRouter
from handlers.common import today
from handlers.listeners import (
    Answer,
    Click,
    Closing,
    Interaction,
    Modal,
    PairFrom,
    Submission,
    id_from,
    on_click,
    on_submit,
)
from storage.enums import TaskStatus

PLAN = Subcommand(
    "plan", "plan [@partner]", "The learning plan behind each goal: resources and practice tasks."
)
STALE_MENU = "That menu is out of date; open the plan again."
STATUSES = {status.value: status for status in TaskStatus}


# --- the plan modal ------------------------------------------------------------------------------


def _plan_view(
    i: Interaction,
    *,
    pairing_id: int | None = None,
    goal_id: int | None = None,
    parent: str | None = None,
) -> dict[str, Any]:
    """The plan of every goal of a pairing, or of one goal, as the actor sees it today."""
    day = today(i)
    with i.deps.read() as session:
        plan = learning_plan(
            session, team_id=i.team_id, user_id=i.user_id, pairing_id=pairing_id, goal_id=goal_id
        )
    return build_plan_modal(plan, today=day, parent_view_id=parent)


def show_plan(i: Interaction) -> Answer:
    """``/mentor plan [@partner]`` and the Home tab's "Learning plan" button: every goal's plan."""
    return Modal(_plan_view(i, pairing_id=i.pair.id))


def show_goal_plan(click: Click) -> Answer:
    """One goal's plan (value: goal id), from the goal overview or the plan's "Tick off" button.

    Pushed over the every-goal plan, it remembers that modal so changes redraw both.
    """
    parent = click.modal_id(CallbackId.PLAN)
    return Modal(_plan_view(click, goal_id=click.id("That goal"), parent=parent))


def _plan_of(click: Click) -> dict[str, Any] | None:
    """The plan modal the click came from, as what a form needs to redraw it."""
    view_id = click.modal_id(CallbackId.PLAN)
    if view_id is None:
        return None
    return {**click.metadata, "view_id": view_id}


def _refresh_plans(i: Interaction, plan: object) -> None:
    """Redraw the plan modal ``plan`` describes, and the every-goal plan it was opened from."""
    if not isinstance(plan, dict) or not plan.get("view_id"):
        return
    pairing_id, goal_id, parent = plan.get("pairing_id"), plan.get("goal_id"), plan.get("parent")
    if goal_id is None:
        view = _plan_view(i, pairing_id=id_from(pairing_id, "That mentoring pair"))
    else:
        view = _plan_view(i, goal_id=id_from(goal_id, "That goal"), parent=parent)
    i.redraw(str(plan["view_id"]), view)
    if parent:
        i.redraw(str(parent), _plan_view(i, pairing_id=id_from(pairing_id, "That mentoring pair")))


# --- adding --------------------------------------------------------------------------------------


def show_resource_form(click: Click) -> Answer:
    """Push the add-a-resource form for the goal the button names."""
    with click.deps.read() as session:
        target = plan_target(
            session, team_id=click.team_id, user_id=click.user_id, goal_id=click.id("That goal")
        )
    return Modal(build_resource_form(target, plan=_plan_of(click)))


def show_task_form(click: Click) -> Answer:
    """Push the add-a-task form for the goal the button names."""
    day = today(click)
    with click.deps.read() as session:
        target = plan_target(
            session, team_id=click.team_id, user_id=click.user_id, goal_id=click.id("That goal")
        )
    return Modal(build_task_form(target, today=day, plan=_plan_of(click)))


def save_resource(form: Submission) -> Closing:
    """Check and store the resource; the plan underneath is redrawn after the modal closes."""
    state = form.state
    answers = ResourceForm(
        title=state.text(BlockId.PLAN_RESOURCE_TITLE),
        url=state.text(BlockId.PLAN_RESOURCE_URL),
        kind=state.option(BlockId.PLAN_RESOURCE_KIND),
    )
    with form.deps.session() as session:
        add_resource(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            goal_id=form.meta_id("goal_id", "That goal"),
            form=answers,
            now=form.now(),
        )
    plan = form.metadata.get("plan")
    form.later(lambda: _refresh_plans(form, plan))
    return None


def save_task(form: Submission) -> Closing:
    """Check and store the practice task; the plan underneath is redrawn after the modal closes."""
    state = form.state
    answers = TaskForm(
        title=state.text(BlockId.PLAN_TASK_TITLE), due_date=state.date(BlockId.PLAN_TASK_DUE)
    )
    day = today(form)
    with form.deps.session() as session:
        add_task(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            goal_id=form.meta_id("goal_id", "That goal"),
            form=answers,
            today=day,
            now=form.now(),
        )
    plan = form.metadata.get("plan")
    form.later(lambda: _refresh_plans(form, plan))
    return None


# --- ticking off and removing --------------------------------------------------------------------


def change_task(click: Click) -> Answer:
    """A task's overflow (value "<choice>:<task id>"): done, doing, to-do, or remove."""
    choice, _, task = click.value.partition(":")
    task_id = id_from(task, "That practice task")
    status = STATUSES.get(choice)
    if status is None and choice != "remove":
        raise UserError(STALE_MENU)
    with click.deps.session() as session:
        if status is None:
            remove_task(session, team_id=click.team_id, user_id=click.user_id, task_id=task_id)
        else:
            set_task_status(
                session,
                team_id=click.team_id,
                user_id=click.user_id,
                task_id=task_id,
                status=status,
                now=click.now(),
            )
    _refresh_plans(click, _plan_of(click))
    return None


def remove_plan_resource(click: Click) -> Answer:
    """Take a resource off the plan (value: resource id); the plan is redrawn."""
    with click.deps.session() as session:
        remove_resource(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            resource_id=click.id("That resource"),
        )
    _refresh_plans(click, _plan_of(click))
    return None


def register(app: App, router: CommandRouter) -> None:
    """Listen for the plan command, buttons and forms."""
    router.add(PLAN, show_plan, pair=True)
    on_click(app, ActionId.PLAN_OPEN, show_plan, pair=PairFrom.VALUE)
    on_click(app, ActionId.PLAN_GOAL_OPEN, show_goal_plan)
    on_click(app, ActionId.PLAN_RESOURCE_ADD, show_resource_form)
    on_click(app, ActionId.PLAN_TASK_ADD, show_task_form)
    on_click(app, ActionId.PLAN_TASK_MENU, change_task)
    on_click(app, ActionId.PLAN_RESOURCE_REMOVE, remove_plan_resource)
    on_submit(app, CallbackId.PLAN_RESOURCE, save_resource, errors_at=BlockId.PLAN_RESOURCE_TITLE)
    on_submit(app, CallbackId.PLAN_TASK, save_task, errors_at=BlockId.PLAN_TASK_TITLE)
