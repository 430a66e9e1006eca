"""Goals: ``/mentor goals``, the overview and its buttons, agreement DMs, progress, milestones.

The overview opens from the command, the Home tab and DMs (``GOALS_OPEN``); the modals it leads to
are pushed on top of it and remember its view id, so it can be refreshed once they are submitted.
"""

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlmodel import Session

from bot.commands import Subcommand
from bot.deps import Deps
from bot.errors import FieldErrors, UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.access import pairing_for
from bot.services.enrolment import local_today
from bot.services.goals import (
    GoalView,
    agree_goal,
    check_may_decide,
    goal_board,
    goal_form_context,
    goal_to_change,
    move_milestone,
    record_progress,
    submit_goal_form,
    suggest_change,
    toggle_milestone,
)
from bot.views.goals import (
    build_agreement_request,
    build_agreement_settled,
    build_change_suggested,
    build_goal_agreed,
    build_goal_form,
    build_goal_notice,
    build_goals_overview,
    build_milestones_modal,
    build_progress_modal,
    build_suggest_modal,
    read_goal_form,
    read_goal_id,
    read_goal_target,
    read_message_ref,
    read_overview_id,
    read_progress,
    read_suggestion,
)
from bot.views.notice import build_notice
from handlers.commands import CommandRouter
from handlers.legacy import (
    CommandRequest,
    ack_field_errors,
    ack_form_error,
    legacy,
    open_modal,
    open_pair_modal_from_command,
    person_tz,
    send,
    team_of,
    user_of,
)
from storage.models import Pairing, Program

log = logging.getLogger(__name__)

GOALS = Subcommand(
    "goals", "goals [@partner]", "Write, agree and track your goals, milestones and progress."
)
_OUT_OF_DATE = "This form is out of date. Close it and open your goals again."


# --- shared steps ------------------------------------------------------------------------------


def _today(deps: Deps, session: Session, *, team_id: str, user_id: str) -> date:
    """Today in the person's own timezone (UTC when Slack can't say)."""
    return local_today(person_tz(deps, session, team_id=team_id, user_id=user_id), deps.now())


def _clicked(body: dict[str, Any]) -> int | None:
    """The id a button carries as its value."""
    try:
        return int(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _in_modal(body: dict[str, Any]) -> bool:
    return (body.get("view") or {}).get("type") == "modal"


def _overview_clicked(body: dict[str, Any]) -> str | None:
    """The overview's view id when the click came from it."""
    view = body.get("view") or {}
    if view.get("type") == "modal" and view.get("callback_id") == CallbackId.GOALS.value:
        return str(view.get("id") or "") or None
    return None


def _show(deps: Deps, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Push ``view`` over the modal the click came from, or open it (from a DM or Home)."""
    open_modal(deps, body["trigger_id"], view, push=_in_modal(body))


def _refuse(deps: Deps, body: dict[str, Any], respond: Respond, error: UserError) -> None:
    """Explain a refused click where the person is looking: over the modal, in the DM, or Home."""
    if body.get("view") or not body.get("response_url"):
        _show(deps, body, build_goal_notice(str(error)))
        return
    respond(**build_notice(str(error), problem=True), replace_original=False)


def _refresh_overview(
    deps: Deps, view_id: str | None, *, team_id: str, user_id: str, pairing_id: int
) -> None:
    """Show the overview ``view_id`` again with what changed (after the unit of work)."""
    if not view_id:
        return
    try:
        with deps.session() as session:
            pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
            board = goal_board(session, pairing=pairing, viewer_user_id=user_id)
            today = _today(deps, session, team_id=team_id, user_id=user_id)
        deps.gateway.update_modal(view_id, build_goals_overview(board, today=today))
    except (UserError, SlackCallError) as exc:
        log.warning("goals overview not refreshed", extra={"error": str(exc)})


def _update_dm(deps: Deps, channel: str | None, ts: str | None, message: dict[str, Any]) -> None:
    if not channel or not ts:
        return
    try:
        deps.gateway.update_message(channel, ts, message)
    except SlackCallError as exc:
        log.warning("goal DM not updated", extra={"error": exc.error})


def _message_ref(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The DM message a button was clicked in, if it was clicked in a message."""
    container = body.get("container") or {}
    if container.get("type") != "message":
        return None, None
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel, container.get("message_ts")


# --- the overview ------------------------------------------------------------------------------


def _overview_modal(
    deps: Deps, session: Session, *, team_id: str, user_id: str, pairing: Pairing, program: Program
) -> dict[str, Any]:
    """The pair's goals overview, as ``user_id`` sees it today."""
    board = goal_board(session, pairing=pairing, viewer_user_id=user_id)
    today = _today(deps, session, team_id=team_id, user_id=user_id)
    return build_goals_overview(board, today=today)


def handle_goals_command(request: CommandRequest) -> None:
    """``/mentor goals [@partner]``: open the pair's goals overview."""
    open_pair_modal_from_command(request, _overview_modal)


def handle_goals_open(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The shared Goals button (Home tab, DMs): open the pairing's goals overview."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            pairing = pairing_for(
                session, team_id=team_id, user_id=user_id, pairing_id=_clicked(body) or 0
            )
            board = goal_board(session, pairing=pairing, viewer_user_id=user_id)
            today = _today(deps, session, team_id=team_id, user_id=user_id)
    except UserError as error:
        _refuse(deps, body, respond, error)
        return
    _show(deps, body, build_goals_overview(board, today=today))


# --- adding and editing a goal -----------------------------------------------------------------


def handle_goal_add(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Open the goal form for a new goal of the pairing the button names."""
    _open_goal_form(ack, body, respond, deps, pairing_id=_clicked(body) or 0, goal_id=None)


def handle_goal_edit(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Open the goal form prefilled with the goal the button names."""
    _open_goal_form(ack, body, respond, deps, pairing_id=None, goal_id=_clicked(body) or 0)


def _open_goal_form(
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    deps: Deps,
    *,
    pairing_id: int | None,
    goal_id: int | None,
) -> None:
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            ctx = goal_form_context(
                session, team_id=team_id, user_id=user_id, pairing_id=pairing_id, goal_id=goal_id
            )
    except UserError as error:
        _refuse(deps, body, respond, error)
        return
    view = build_goal_form(
        pairing_id=ctx.pairing_id,
        partner_user_id=ctx.partner_user_id,
        last_day=ctx.last_day,
        goal=ctx.goal,
        overview_view_id=_overview_clicked(body),
    )
    _show(deps, body, view)


def handle_goal_form_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Check and store the goal; the partner gets a DM to agree when it needs their agreement."""
    team_id, user_id = team_of(body), user_of(body)
    pairing_id, goal_id = read_goal_target(view)
    if pairing_id is None:
        ack_field_errors(ack, FieldErrors({BlockId.GOAL_STATEMENT: _OUT_OF_DATE}))
        return
    form = read_goal_form(view)
    try:
        with deps.session() as session:
            today = _today(deps, session, team_id=team_id, user_id=user_id)
            saved = submit_goal_form(
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=pairing_id,
                goal_id=goal_id,
                form=form,
                today=today,
                now=deps.now(),
            )
    except UserError as error:
        ack_form_error(ack, error, block_id=BlockId.GOAL_STATEMENT)
        return
    ack()
    _refresh_overview(
        deps, read_overview_id(view), team_id=team_id, user_id=user_id, pairing_id=pairing_id
    )
    if saved.needs_agreement:
        request = build_agreement_request(
            saved.goal,
            proposer_user_id=user_id,
            program_name=saved.program_name,
            revised=goal_id is not None,
        )
        send(deps, saved.partner_user_id, request, what="goal agreement request")


# --- agreement ---------------------------------------------------------------------------------


def handle_goal_agree(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The partner agrees to a goal: it becomes co-created and the proposer hears about it."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            decision = agree_goal(
                session,
                team_id=team_id,
                user_id=user_id,
                goal_id=_clicked(body) or 0,
                now=deps.now(),
            )
    except UserError as error:
        _refuse(deps, body, respond, error)
        return
    channel, ts = _message_ref(body)
    settled = build_agreement_settled(
        decision.goal, proposer_user_id=decision.proposer_user_id, agreed=True
    )
    _update_dm(deps, channel, ts, settled)
    _refresh_overview(
        deps,
        _overview_clicked(body),
        team_id=team_id,
        user_id=user_id,
        pairing_id=decision.goal.goal.pairing_id,
    )
    if decision.changed:
        send(
            deps, decision.proposer_user_id, build_goal_agreed(decision), what="goal agreed notice"
        )


def handle_goal_suggest(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Open the small modal in which the partner suggests a change."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            goal = check_may_decide(
                session, team_id=team_id, user_id=user_id, goal_id=_clicked(body) or 0
            )
    except UserError as error:
        _refuse(deps, body, respond, error)
        return
    channel, ts = _message_ref(body)
    view = build_suggest_modal(
        goal,
        proposer_user_id=goal.goal.proposed_by,
        channel=channel,
        ts=ts,
        overview_view_id=_overview_clicked(body),
    )
    _show(deps, body, view)


def handle_suggest_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Store the suggested change and send it to the proposer with a button to edit the goal."""
    team_id, user_id = team_of(body), user_of(body)
    goal_id = read_goal_id(view)
    if goal_id is None:
        ack_field_errors(ack, FieldErrors({BlockId.GOAL_SUGGESTION: _OUT_OF_DATE}))
        return
    try:
        with deps.session() as session:
            decision = suggest_change(
                session,
                team_id=team_id,
                user_id=user_id,
                goal_id=goal_id,
                suggestion=read_suggestion(view),
                now=deps.now(),
            )
    except UserError as error:
        ack_form_error(ack, error, block_id=BlockId.GOAL_SUGGESTION)
        return
    ack()
    channel, ts = read_message_ref(view)
    settled = build_agreement_settled(
        decision.goal, proposer_user_id=decision.proposer_user_id, agreed=False
    )
    _update_dm(deps, channel, ts, settled)
    _refresh_overview(
        deps,
        read_overview_id(view),
        team_id=team_id,
        user_id=user_id,
        pairing_id=decision.goal.goal.pairing_id,
    )
    send(
        deps, decision.proposer_user_id, build_change_suggested(decision), what="change suggestion"
    )


# --- progress ----------------------------------------------------------------------------------


def handle_update_progress(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Open the progress modal for the goal the button names."""
    _open_goal_modal(
        ack,
        body,
        respond,
        deps,
        lambda goal, _today_, overview: build_progress_modal(goal, overview_view_id=overview),
    )


def handle_progress_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Store the progress update (kept as history) and refresh the overview."""
    team_id, user_id = team_of(body), user_of(body)
    goal_id = read_goal_id(view)
    if goal_id is None:
        ack_field_errors(ack, FieldErrors({BlockId.GOAL_PROGRESS_STATUS: _OUT_OF_DATE}))
        return
    progress, note = read_progress(view)
    try:
        with deps.session() as session:
            goal = record_progress(
                session,
                team_id=team_id,
                user_id=user_id,
                goal_id=goal_id,
                progress=progress,
                note=note,
                now=deps.now(),
            )
    except UserError as error:
        ack_form_error(ack, error, block_id=BlockId.GOAL_PROGRESS_STATUS)
        return
    ack()
    _refresh_overview(
        deps,
        read_overview_id(view),
        team_id=team_id,
        user_id=user_id,
        pairing_id=goal.goal.pairing_id,
    )


# --- milestones --------------------------------------------------------------------------------


def handle_goal_milestones(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Open the milestones modal: tick off, untick, reorder."""
    _open_goal_modal(
        ack,
        body,
        respond,
        deps,
        lambda goal, today, overview: build_milestones_modal(
            goal, today=today, overview_view_id=overview
        ),
    )


def _open_goal_modal(
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    deps: Deps,
    build: Callable[[GoalView, date, str | None], dict[str, Any]],
) -> None:
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            goal = goal_to_change(
                session, team_id=team_id, user_id=user_id, goal_id=_clicked(body) or 0
            )
            today = _today(deps, session, team_id=team_id, user_id=user_id)
    except UserError as error:
        _refuse(deps, body, respond, error)
        return
    _show(deps, body, build(goal, today, _overview_clicked(body)))


def handle_milestone_change(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Tick off, untick or move a milestone, then redraw the milestones modal and the overview."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    action_id = body["actions"][0]["action_id"]
    milestone_id = _clicked(body) or 0
    try:
        with deps.session() as session:
            if action_id == ActionId.GOAL_MILESTONE_TOGGLE:
                goal = toggle_milestone(
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    milestone_id=milestone_id,
                    now=deps.now(),
                )
            else:
                goal = move_milestone(
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    milestone_id=milestone_id,
                    up=action_id == ActionId.GOAL_MILESTONE_UP,
                )
            today = _today(deps, session, team_id=team_id, user_id=user_id)
    except UserError as error:
        _refuse(deps, body, respond, error)
        return
    view = body.get("view") or {}
    overview = read_overview_id(view)
    if view.get("id"):
        try:
            deps.gateway.update_modal(
                str(view["id"]),
                build_milestones_modal(goal, today=today, overview_view_id=overview),
            )
        except SlackCallError as exc:
            log.warning("milestones not redrawn", extra={"error": exc.error})
    _refresh_overview(
        deps, overview, team_id=team_id, user_id=user_id, pairing_id=goal.goal.pairing_id
    )


def register(app: App, router: CommandRouter) -> None:
    """Listen for the goals command, buttons and modals."""
    router.add(GOALS, legacy(handle_goals_command))
    app.action(ActionId.GOALS_OPEN.value)(handle_goals_open)
    app.action(ActionId.GOAL_ADD.value)(handle_goal_add)
    app.action(ActionId.GOAL_EDIT.value)(handle_goal_edit)
    app.action(ActionId.GOAL_AGREE.value)(handle_goal_agree)
    app.action(ActionId.GOAL_SUGGEST.value)(handle_goal_suggest)
    app.action(ActionId.GOAL_UPDATE_PROGRESS.value)(handle_update_progress)
    app.action(ActionId.GOAL_MILESTONES.value)(handle_goal_milestones)
    for action_id in (
        ActionId.GOAL_MILESTONE_TOGGLE,
        ActionId.GOAL_MILESTONE_UP,
        ActionId.GOAL_MILESTONE_DOWN,
    ):
        app.action(action_id.value)(handle_milestone_change)
    app.view(CallbackId.GOAL_FORM.value)(handle_goal_form_submission)
    app.view(CallbackId.GOAL_SUGGEST.value)(handle_suggest_submission)
    app.view(CallbackId.GOAL_PROGRESS.value)(handle_progress_submission)
