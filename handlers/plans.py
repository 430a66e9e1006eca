"""Learning plans: ``/mentor plan``, the plan modal and its forms, from Home and the goal overview.

The plan modal opens from the command and the Home tab's "Learning plan" button, and is pushed
over the goal overview by its per-goal "Learning plan" button. The add forms are pushed over
the plan and remember its view id, so it is redrawn once they are submitted.

The small helpers at the top are shared with the notes and outside-feedback surfaces.
"""

import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlmodel import Session

from bot.commands import Subcommand
from bot.deps import Deps
from bot.errors import FieldErrors, UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.enrolment import local_today
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
from bot.views.forms import FormState
from bot.views.notice import build_notice
from bot.views.plans import (
    build_material_notice,
    build_plan_modal,
    build_resource_form,
    build_task_form,
)
from handlers.commands import CommandRouter
from handlers.legacy import (
    CommandRequest,
    ack_field_errors,
    clicked_value,
    id_from,
    legacy,
    open_pair_modal_from_command,
    person_tz,
    team_of,
    user_of,
    view_metadata,
)
from storage.enums import TaskStatus
from storage.models import Pairing, Program

log = logging.getLogger(__name__)

PLAN = Subcommand(
    "plan", "plan [@partner]", "The learning plan behind each goal: resources and practice tasks."
)


# --- shared by the plan, notes and outside-feedback surfaces ------------------------------------


def in_modal(body: dict[str, Any]) -> dict[str, Any] | None:
    """The modal the click came from, if it came from one."""
    view = body.get("view") or {}
    return view if view.get("type") == "modal" else None


def show(deps: Deps, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Push ``view`` over the modal the click came from, or open it (from a DM or Home)."""
    try:
        if in_modal(body):
            deps.gateway.push_modal(body["trigger_id"], view)
        else:
            deps.gateway.open_modal(body["trigger_id"], view)
    except SlackCallError as exc:
        log.warning(
            "modal not shown", extra={"callback": view.get("callback_id"), "error": exc.error}
        )


def refuse(deps: Deps, body: dict[str, Any], respond: Respond, error: UserError) -> None:
    """Explain a refused click where the person is looking: over the modal, in the DM, or Home."""
    if body.get("view") or not body.get("response_url"):
        show(deps, body, build_material_notice(str(error)))
        return
    try:
        respond(**build_notice(str(error), problem=True), replace_original=False)
    except Exception as exc:  # a spent response_url must not raise into Bolt
        log.warning("problem not shown", extra={"error": repr(exc)})


def redraw(deps: Deps, view_id: str | None, view: dict[str, Any]) -> None:
    """Replace an open modal; Slack trouble is logged (the person can reopen it)."""
    if not view_id:
        return
    try:
        deps.gateway.update_modal(view_id, view)
    except SlackCallError as exc:
        log.warning("modal not redrawn", extra={"error": exc.error})


def person_today(deps: Deps, session: Session, *, team_id: str, user_id: str) -> date:
    """Today in the person's own timezone."""
    return local_today(person_tz(deps, session, team_id=team_id, user_id=user_id), deps.now())


# --- the plan modal ------------------------------------------------------------------------------


def _plan_view(
    deps: Deps,
    session: Session,
    *,
    team_id: str,
    user_id: str,
    pairing_id: int | None,
    goal_id: int | None,
    parent: str | None = None,
) -> dict[str, Any]:
    plan = learning_plan(
        session, team_id=team_id, user_id=user_id, pairing_id=pairing_id, goal_id=goal_id
    )
    today = person_today(deps, session, team_id=team_id, user_id=user_id)
    return build_plan_modal(plan, today=today, parent_view_id=parent)


def _plan_of_pair(
    deps: Deps, session: Session, *, team_id: str, user_id: str, pairing: Pairing, program: Program
) -> dict[str, Any]:
    return _plan_view(
        deps, session, team_id=team_id, user_id=user_id, pairing_id=pairing.id or 0, goal_id=None
    )


def handle_plan_command(request: CommandRequest) -> None:
    """``/mentor plan [@partner]``: the learning plans of the pair's goals."""
    open_pair_modal_from_command(request, _plan_of_pair)


def handle_plan_open(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The Home tab's "Learning plan" button (value: pairing id): every goal's plan."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            view = _plan_view(
                deps,
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=id_from(clicked_value(body), "That pair"),
                goal_id=None,
            )
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    show(deps, body, view)


def handle_plan_goal_open(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """One goal's plan (value: goal id), from the goal overview or the plan's "Tick off" button."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    current = in_modal(body)
    parent = None
    if current and current.get("callback_id") == CallbackId.PLAN.value:
        parent = str(current.get("id") or "") or None
    try:
        with deps.session() as session:
            view = _plan_view(
                deps,
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=None,
                goal_id=id_from(clicked_value(body), "That goal"),
                parent=parent,
            )
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    show(deps, body, view)


def _refresh_plans(deps: Deps, plan: dict[str, Any] | None, *, team_id: str, user_id: str) -> None:
    """Redraw the plan modal ``plan`` describes, and the every-goal plan it was opened from."""
    if not plan or not plan.get("view_id"):
        return
    pairing_id, goal_id, parent = plan.get("pairing_id"), plan.get("goal_id"), plan.get("parent")
    try:
        with deps.session() as session:
            view = _plan_view(
                deps,
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=None if goal_id is not None else id_from(pairing_id, "That"),
                goal_id=None if goal_id is None else id_from(goal_id, "That"),
                parent=parent,
            )
            under = None
            if parent:
                under = _plan_view(
                    deps,
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    pairing_id=id_from(pairing_id, "That"),
                    goal_id=None,
                )
    except UserError as error:
        log.info("plan not redrawn", extra={"error": str(error)})
        return
    redraw(deps, str(plan["view_id"]), view)
    if under is not None:
        redraw(deps, str(parent), under)


def _plan_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The plan modal the click came from, as what a form needs to redraw it."""
    current = in_modal(body)
    if not current or current.get("callback_id") != CallbackId.PLAN.value:
        return None
    return {**view_metadata(current), "view_id": current.get("id")}


# --- adding ------------------------------------------------------------------------------------


def handle_resource_add(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Push the add-a-resource form for the goal the button names."""
    _open_form(ack, body, respond, deps, task=False)


def handle_task_add(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Push the add-a-task form for the goal the button names."""
    _open_form(ack, body, respond, deps, task=True)


def _open_form(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps, *, task: bool) -> None:
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            target = plan_target(
                session,
                team_id=team_id,
                user_id=user_id,
                goal_id=id_from(clicked_value(body), "That goal"),
            )
            today = person_today(deps, session, team_id=team_id, user_id=user_id)
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    plan = _plan_of(body)
    view = (
        build_task_form(target, today=today, plan=plan)
        if task
        else build_resource_form(target, plan=plan)
    )
    show(deps, body, view)


def handle_resource_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Check and store the resource; the plan underneath is redrawn."""
    team_id, user_id, meta = team_of(body), user_of(body), view_metadata(view)
    state = FormState(view)
    form = ResourceForm(
        title=state.text(BlockId.PLAN_RESOURCE_TITLE),
        url=state.text(BlockId.PLAN_RESOURCE_URL),
        kind=state.option(BlockId.PLAN_RESOURCE_KIND),
    )
    try:
        with deps.session() as session:
            add_resource(
                session,
                team_id=team_id,
                user_id=user_id,
                goal_id=id_from(meta.get("goal_id"), "That goal"),
                form=form,
                now=deps.now(),
            )
    except FieldErrors as errors:
        ack_field_errors(ack, errors)
        return
    except UserError as error:
        ack_field_errors(ack, FieldErrors({BlockId.PLAN_RESOURCE_TITLE: str(error)}))
        return
    ack()
    _refresh_plans(deps, meta.get("plan"), team_id=team_id, user_id=user_id)


def handle_task_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Check and store the practice task; the plan underneath is redrawn."""
    team_id, user_id, meta = team_of(body), user_of(body), view_metadata(view)
    state = FormState(view)
    form = TaskForm(
        title=state.text(BlockId.PLAN_TASK_TITLE), due_date=state.date(BlockId.PLAN_TASK_DUE)
    )
    try:
        with deps.session() as session:
            add_task(
                session,
                team_id=team_id,
                user_id=user_id,
                goal_id=id_from(meta.get("goal_id"), "That goal"),
                form=form,
                today=person_today(deps, session, team_id=team_id, user_id=user_id),
                now=deps.now(),
            )
    except FieldErrors as errors:
        ack_field_errors(ack, errors)
        return
    except UserError as error:
        ack_field_errors(ack, FieldErrors({BlockId.PLAN_TASK_TITLE: str(error)}))
        return
    ack()
    _refresh_plans(deps, meta.get("plan"), team_id=team_id, user_id=user_id)


# --- ticking off and removing ------------------------------------------------------------------


def handle_task_menu(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """A task's overflow: done, doing, back to to-do, or remove; the plan is redrawn."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    choice, _, task_id = clicked_value(body).partition(":")
    try:
        with deps.session() as session:
            if choice == "remove":
                remove_task(
                    session, team_id=team_id, user_id=user_id, task_id=id_from(task_id, "That task")
                )
            else:
                try:
                    status = TaskStatus(choice)
                except ValueError:
                    raise UserError("That menu is out of date; open the plan again.") from None
                set_task_status(
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    task_id=id_from(task_id, "That task"),
                    status=status,
                    now=deps.now(),
                )
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    _refresh_plans(deps, _plan_of(body), team_id=team_id, user_id=user_id)


def handle_resource_remove(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Take a resource off the plan; the plan is redrawn."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            remove_resource(
                session,
                team_id=team_id,
                user_id=user_id,
                resource_id=id_from(clicked_value(body), "That resource"),
            )
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    _refresh_plans(deps, _plan_of(body), team_id=team_id, user_id=user_id)


def register(app: App, router: CommandRouter) -> None:
    """Listen for the plan command, buttons and forms."""
    router.add(PLAN, legacy(handle_plan_command))
    app.action(ActionId.PLAN_OPEN.value)(handle_plan_open)
    app.action(ActionId.PLAN_GOAL_OPEN.value)(handle_plan_goal_open)
    app.action(ActionId.PLAN_RESOURCE_ADD.value)(handle_resource_add)
    app.action(ActionId.PLAN_TASK_ADD.value)(handle_task_add)
    app.action(ActionId.PLAN_TASK_MENU.value)(handle_task_menu)
    app.action(ActionId.PLAN_RESOURCE_REMOVE.value)(handle_resource_remove)
    app.view(CallbackId.PLAN_RESOURCE.value)(handle_resource_submission)
    app.view(CallbackId.PLAN_TASK.value)(handle_task_submission)
