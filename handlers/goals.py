"""Goals: ``/mentor goals``, the overview and its buttons, agreement DMs, progress, milestones.

The overview opens from the command, the Home tab and DMs (``GOALS_OPEN``); the modals it leads to
are pushed on top of it and remember its view id, so it can be redrawn once they are submitted.
Messages to the partner (agreement requests, "agreed", change suggestions) go through the outbox.
"""

from datetime import date
from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.commands import Subcommand
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.access import pairing_for
from bot.services.goals import (
    agree_goal,
    check_may_decide,
    goal_board,
    goal_form_context,
    goal_to_change,
    goal_view,
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
    build_goals_overview,
    build_milestones_modal,
    build_progress_modal,
    build_suggest_modal,
    read_goal_form,
    read_message_ref,
    read_overview_id,
    read_progress,
    read_suggestion,
)
from handlers.commands import CommandRouter
from handlers.common import message_to, today
from handlers.listeners import (
    Answer,
    Click,
    Closing,
    Interaction,
    Modal,
    PairFrom,
    Submission,
    on_click,
    on_submit,
)

GOALS = Subcommand(
    "goals", "goals [@partner]", "Write, agree and track your goals, milestones and progress."
)


# --- the overview ------------------------------------------------------------------------------


def _overview(i: Interaction, session: Session, *, pairing_id: int, day: date) -> dict[str, Any]:
    """The pair's goals overview as the actor sees it on ``day``."""
    pairing = pairing_for(session, team_id=i.team_id, user_id=i.user_id, pairing_id=pairing_id)
    board = goal_board(session, pairing=pairing, viewer_user_id=i.user_id)
    return build_goals_overview(board, today=day)


def _redraw_overview(i: Interaction, view_id: str | None, *, pairing_id: int) -> None:
    """Show the overview ``view_id`` (if a modal was opened over it) again with what changed."""
    if not view_id:
        return
    day = today(i)
    with i.deps.read() as session:
        view = _overview(i, session, pairing_id=pairing_id, day=day)
    i.redraw(view_id, view)


def show_goals(i: Interaction) -> Answer:
    """``/mentor goals [@partner]`` and the Goals button (Home tab, DMs): the pair's overview
    (of the pair and program this request has found already)."""
    day = today(i)
    with i.deps.read() as session:
        board = goal_board(
            session, pairing=i.pair.pairing, viewer_user_id=i.user_id, program=i.pair.program
        )
    return Modal(build_goals_overview(board, today=day))


# --- adding and editing a goal -----------------------------------------------------------------


def show_new_goal_form(click: Click) -> Answer:
    """ "Add a goal" (value: the pairing id): the empty goal form."""
    return _goal_form(click, pairing_id=click.id("That mentoring pair"), goal_id=None)


def show_goal_form(click: Click) -> Answer:
    """ "Edit" (value: the goal id): the goal form, filled in."""
    return _goal_form(click, pairing_id=None, goal_id=click.id("That goal"))


def _goal_form(click: Click, *, pairing_id: int | None, goal_id: int | None) -> Answer:
    with click.deps.read() as session:
        ctx = goal_form_context(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            pairing_id=pairing_id,
            goal_id=goal_id,
        )
    view = build_goal_form(
        pairing_id=ctx.pairing_id,
        partner_user_id=ctx.partner_user_id,
        last_day=ctx.last_day,
        goal=ctx.goal,
        overview_view_id=click.modal_id(CallbackId.GOALS),
    )
    return Modal(view)


def save_goal_form(form: Submission) -> Closing:
    """Check and store the goal; the partner is asked to agree when the change needs it."""
    pairing_id = form.meta_id("pairing_id", "That mentoring pair")
    revised = form.metadata.get("goal_id") is not None
    goal_id = form.meta_id("goal_id", "That goal") if revised else None
    day = today(form)
    with form.deps.session() as session:
        saved = submit_goal_form(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            pairing_id=pairing_id,
            goal_id=goal_id,
            form=read_goal_form(form.view),
            today=day,
            now=form.now(),
        )
        if saved.needs_agreement:
            request = build_agreement_request(
                saved.goal,
                proposer_user_id=form.user_id,
                program_name=saved.program_name,
                revised=revised,
            )
            form.send(
                session,
                message_to(
                    form,
                    to=saved.partner_user_id,
                    rule="goal_agreement",
                    message=request,
                    what="your revised goal" if revised else "your proposed goal",
                    pairing_id=pairing_id,
                    program_id=saved.program_id,
                ),
            )
    overview = read_overview_id(form.view)
    form.later(lambda: _redraw_overview(form, overview, pairing_id=pairing_id))
    return None


# --- agreement ---------------------------------------------------------------------------------


def agree(click: Click) -> Answer:
    """The partner agrees to a goal (value: its id): co-created, and the proposer hears of it."""
    with click.deps.session() as session:
        decision = agree_goal(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            goal_id=click.id("That goal"),
            now=click.now(),
        )
        if decision.changed:
            click.send(
                session,
                message_to(
                    click,
                    to=decision.proposer_user_id,
                    rule="goal_agreed",
                    message=build_goal_agreed(decision),
                    what="your agreement to their goal",
                    pairing_id=decision.goal.goal.pairing_id,
                    program_id=decision.program_id,
                ),
            )
    # Clicked in the agreement DM: it loses its decision buttons. Clicked in the overview: redrawn.
    click.update_message(
        build_agreement_settled(
            decision.goal, proposer_user_id=decision.proposer_user_id, agreed=True
        )
    )
    _redraw_overview(
        click, click.modal_id(CallbackId.GOALS), pairing_id=decision.goal.goal.pairing_id
    )
    return None


def show_suggest_form(click: Click) -> Answer:
    """ "Suggest a change" (value: the goal id): the small modal to write the suggestion in."""
    with click.deps.read() as session:
        goal = check_may_decide(
            session, team_id=click.team_id, user_id=click.user_id, goal_id=click.id("That goal")
        )
    # The agreement DM it was clicked in, to take its buttons off once the suggestion is sent.
    in_message = click.message_ts is not None and not click.ephemeral
    view = build_suggest_modal(
        goal,
        proposer_user_id=goal.goal.proposed_by,
        channel=click.channel_id if in_message else None,
        ts=click.message_ts if in_message else None,
        overview_view_id=click.modal_id(CallbackId.GOALS),
    )
    return Modal(view)


def save_suggestion(form: Submission) -> Closing:
    """Store the suggested change; the proposer gets it with a button to edit the goal."""
    goal_id = form.meta_id("goal_id", "That goal")
    with form.deps.session() as session:
        decision = suggest_change(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            goal_id=goal_id,
            suggestion=read_suggestion(form.view),
            now=form.now(),
        )
        form.send(
            session,
            message_to(
                form,
                to=decision.proposer_user_id,
                rule="goal_change",
                message=build_change_suggested(decision),
                what="your suggested change",
                pairing_id=decision.goal.goal.pairing_id,
                program_id=decision.program_id,
            ),
        )
    settled = build_agreement_settled(
        decision.goal, proposer_user_id=decision.proposer_user_id, agreed=False
    )
    channel, ts = read_message_ref(form.view)
    overview = read_overview_id(form.view)
    pairing_id = decision.goal.goal.pairing_id
    # The agreement DM the suggestion was opened from, without its decision buttons.
    form.later(lambda: form.replace_message(channel, ts, settled))
    form.later(lambda: _redraw_overview(form, overview, pairing_id=pairing_id))
    return None


# --- progress ----------------------------------------------------------------------------------


def show_progress_form(click: Click) -> Answer:
    """ "Update progress" (value: the goal id): the progress modal."""
    with click.deps.read() as session:
        goal = goal_to_change(
            session, team_id=click.team_id, user_id=click.user_id, goal_id=click.id("That goal")
        )
    return Modal(build_progress_modal(goal, overview_view_id=click.modal_id(CallbackId.GOALS)))


def save_progress(form: Submission) -> Closing:
    """Store the progress update (kept as history) and redraw the overview."""
    goal_id = form.meta_id("goal_id", "That goal")
    progress, note = read_progress(form.view)
    with form.deps.session() as session:
        goal = record_progress(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            goal_id=goal_id,
            progress=progress,
            note=note,
            now=form.now(),
        )
    overview = read_overview_id(form.view)
    pairing_id = goal.pairing_id
    form.later(lambda: _redraw_overview(form, overview, pairing_id=pairing_id))
    return None


# --- milestones --------------------------------------------------------------------------------


def show_milestones(click: Click) -> Answer:
    """ "Milestones" (value: the goal id): tick off, untick, reorder."""
    day = today(click)
    with click.deps.read() as session:
        goal = goal_to_change(
            session, team_id=click.team_id, user_id=click.user_id, goal_id=click.id("That goal")
        )
    view = build_milestones_modal(
        goal, today=day, overview_view_id=click.modal_id(CallbackId.GOALS)
    )
    return Modal(view)


def change_milestone(click: Click) -> Answer:
    """Tick off, untick or move a milestone (value: its id); redraw its modal and the overview."""
    milestone_id = click.id("That milestone")
    day = today(click)
    with click.deps.session() as session:
        if click.action_id == ActionId.GOAL_MILESTONE_TOGGLE:
            changed = toggle_milestone(
                session,
                team_id=click.team_id,
                user_id=click.user_id,
                milestone_id=milestone_id,
                now=click.now(),
            )
        else:
            changed = move_milestone(
                session,
                team_id=click.team_id,
                user_id=click.user_id,
                milestone_id=milestone_id,
                up=click.action_id == ActionId.GOAL_MILESTONE_UP,
            )
    # Drawn from a read after the write: the write lock is not held for it.
    with click.deps.read() as session:
        goal = goal_view(session, goal=changed)
    overview = read_overview_id(click.source_view or {})
    click.redraw(
        click.modal_id(CallbackId.GOAL_MILESTONES),
        build_milestones_modal(goal, today=day, overview_view_id=overview),
    )
    _redraw_overview(click, overview, pairing_id=goal.goal.pairing_id)
    return None


def register(app: App, router: CommandRouter) -> None:
    """Listen for the goals command, buttons and modals."""
    router.add(GOALS, show_goals, pair=True)
    on_click(app, ActionId.GOALS_OPEN, show_goals, pair=PairFrom.VALUE)
    on_click(app, ActionId.GOAL_ADD, show_new_goal_form)
    on_click(app, ActionId.GOAL_EDIT, show_goal_form)
    on_click(app, ActionId.GOAL_AGREE, agree)
    on_click(app, ActionId.GOAL_SUGGEST, show_suggest_form)
    on_click(app, ActionId.GOAL_UPDATE_PROGRESS, show_progress_form)
    on_click(app, ActionId.GOAL_MILESTONES, show_milestones)
    for action_id in (
        ActionId.GOAL_MILESTONE_TOGGLE,
        ActionId.GOAL_MILESTONE_UP,
        ActionId.GOAL_MILESTONE_DOWN,
    ):
        on_click(app, action_id, change_milestone)
    on_submit(app, CallbackId.GOAL_FORM, save_goal_form, errors_at=BlockId.GOAL_STATEMENT)
    on_submit(app, CallbackId.GOAL_SUGGEST, save_suggestion, errors_at=BlockId.GOAL_SUGGESTION)
    on_submit(app, CallbackId.GOAL_PROGRESS, save_progress, errors_at=BlockId.GOAL_PROGRESS_STATUS)
