"""Goal views: the overview modal, the goal form, agreement DMs, progress and milestones."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.ids import ActionId, BlockId, CallbackId
from bot.services.goals import (
    GOOD_GOAL_EXAMPLE,
    MILESTONE_EXAMPLE,
    MILESTONE_TITLE_MAX,
    MILESTONES_MAX,
    PROGRESS_NOTE_MAX,
    STATEMENT_MAX,
    SUCCESS_EXAMPLE,
    SUCCESS_MAX,
    SUGGESTION_MAX,
    WEAK_GOAL_EXAMPLE,
    GoalBoard,
    GoalDecision,
    GoalForm,
    GoalView,
    MilestoneForm,
)
from bot.views.blocks import (
    Block,
    actions,
    button,
    context,
    datepicker,
    divider,
    input_block,
    message,
    modal,
    option,
    radio_buttons,
    read_metadata,
    section,
    text_input,
)
from bot.views.forms import FormState
from bot.views.text import escape, inline, quote, words
from storage.enums import GoalProgress, GoalStatus

# A modal holds 100 blocks; each goal takes three, so show a dozen and count the rest.
MAX_GOALS_SHOWN = 12

PROGRESS_LABELS = {
    GoalProgress.NOT_STARTED: "Not started",
    GoalProgress.ON_TRACK: "On track",
    GoalProgress.AT_RISK: "At risk",
    GoalProgress.DONE: "Done",
    GoalProgress.DROPPED: "Dropped",
}
PROGRESS_EMOJI = {
    GoalProgress.NOT_STARTED: ":white_circle:",
    GoalProgress.ON_TRACK: ":large_green_circle:",
    GoalProgress.AT_RISK: ":large_orange_circle:",
    GoalProgress.DONE: ":white_check_mark:",
    GoalProgress.DROPPED: ":heavy_minus_sign:",
}


def day(value: date) -> str:
    """A date as the goal views show it: "Tue 30 Jun 2026"."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- how a goal reads --------------------------------------------------------------------------


def _milestone_line(title: str, when: date, done: bool, today: date | None) -> str:
    name = inline(title, 120)
    if done:
        return f"✓ ~{name}~ · {day(when)}"
    late = " · :warning: overdue" if today is not None and when < today else ""
    return f"○ {name} · {day(when)}{late}"


def goal_details(goal: GoalView, *, today: date | None = None) -> str:
    """The goal as mrkdwn: statement, success, due date, progress and milestones."""
    g = goal.goal
    late = " · :warning: overdue" if today is not None and goal.overdue(today) else ""
    lines = [
        f"*{inline(g.statement, 600)}*",
        f"*Success looks like:* {words(g.success_criteria, 600)}",
        f"*Due:* {day(g.due_date)}{late}",
    ]
    progress = f"{PROGRESS_EMOJI[g.progress]} {PROGRESS_LABELS[g.progress]}"
    if g.progress_note:
        progress += f": _{inline(g.progress_note, PROGRESS_NOTE_MAX)}_"
    lines.append(f"*Progress:* {progress}")
    if goal.milestones:
        lines.append(f"*Milestones* ({goal.milestones_done} of {len(goal.milestones)} done)")
        lines.extend(
            _milestone_line(m.title, m.due_date, m.done_at is not None, today)
            for m in goal.milestones[:MILESTONES_MAX]
        )
    return "\n".join(lines)


def _status_line(goal: GoalView, *, viewer: str, partner: str) -> str:
    g = goal.goal
    if g.status is GoalStatus.AGREED:
        return ":handshake: *Agreed by both* · co-created"
    mine = g.proposed_by == viewer
    if g.status is GoalStatus.CHANGE_SUGGESTED:
        suggestion = inline(g.change_suggestion, 300)
        if mine:
            return (
                f":pencil2: *<@{partner}> suggested a change:* _{suggestion}_\n"
                "Edit the goal to answer; they'll be asked to agree again."
            )
        return f":pencil2: *You suggested a change:* _{suggestion}_"
    if mine:
        return f":hourglass_flowing_sand: *Proposed by you* · waiting for <@{partner}> to agree"
    return f":hourglass_flowing_sand: *Proposed by <@{partner}>* · waiting for you to agree"


# --- the overview ------------------------------------------------------------------------------


def build_goals_overview(board: GoalBoard, *, today: date) -> dict[str, Any]:
    """The pair's goals, each with what can be done to it, and a button to add one."""
    blocks: list[Block] = [
        section(
            f"*Your goals with <@{board.partner_user_id}>* · {escape(board.program_name)}\n"
            "Specific and dated: what you'll be able to do, how you'll both know, and by when. "
            "A goal one of you writes is *proposed* until the other agrees; agreed goals are "
            "co-created."
        ),
    ]
    if board.live:
        blocks.append(
            actions(
                button(
                    "Add a goal", ActionId.GOAL_ADD, value=str(board.pairing_id), style="primary"
                ),
                block_id="goals_add",
            )
        )
    else:
        blocks.append(context("This mentoring pair has ended; its goals are kept as they were."))
    blocks.append(divider())
    if not board.goals:
        blocks.append(
            section(
                "No goals yet. A good one names a skill and why it matters, e.g. "
                f"“{GOOD_GOAL_EXAMPLE}”, not “{WEAK_GOAL_EXAMPLE}”."
            )
        )
    ordered = [g for g in board.goals if g.is_open] + [g for g in board.goals if not g.is_open]
    for goal in ordered[:MAX_GOALS_SHOWN]:
        status = _status_line(goal, viewer=board.viewer_user_id, partner=board.partner_user_id)
        blocks.append(section(f"{goal_details(goal, today=today)}\n{status}"))
        if board.live:
            blocks.append(_goal_buttons(goal, viewer=board.viewer_user_id))
        blocks.append(divider())
    hidden = ordered[MAX_GOALS_SHOWN:]
    if hidden:
        closed = sum(1 for g in hidden if not g.is_open)
        blocks.append(
            context(
                f"…and {len(hidden)} more goal{'' if len(hidden) == 1 else 's'} not shown "
                f"({closed} done or dropped)."
            )
        )
    return modal(CallbackId.GOALS, "Goals", blocks, metadata={"pairing_id": board.pairing_id})


def _goal_buttons(goal: GoalView, *, viewer: str) -> Block:
    value = str(goal.goal_id)
    elements = [
        button("Edit", ActionId.GOAL_EDIT, value=value),
        button("Update progress", ActionId.GOAL_UPDATE_PROGRESS, value=value),
        button(
            f"Milestones ({goal.milestones_done}/{len(goal.milestones)})"
            if goal.milestones
            else "Milestones",
            ActionId.GOAL_MILESTONES,
            value=value,
        ),
        # The learning plan's done practice tasks count toward the goal's progress.
        button(
            f"Learning plan (tasks {goal.tasks_done}/{goal.tasks_total})"
            if goal.tasks_total
            else "Learning plan",
            ActionId.PLAN_GOAL_OPEN,
            value=value,
        ),
    ]
    if goal.may_agree(viewer):
        elements.append(button("Agree", ActionId.GOAL_AGREE, value=value, style="primary"))
        elements.append(button("Suggest a change", ActionId.GOAL_SUGGEST, value=value))
    return actions(*elements, block_id=f"goal_{goal.goal_id}")


# --- the goal form -----------------------------------------------------------------------------


def build_goal_form(
    *,
    pairing_id: int,
    partner_user_id: str,
    last_day: date,
    goal: GoalView | None = None,
    overview_view_id: str | None = None,
) -> dict[str, Any]:
    """Add a goal, or edit ``goal``: statement, success, due date and up to five milestones."""
    g = goal.goal if goal else None
    blocks: list[Block] = [
        section(
            "*Specific and dated.* Say what you'll be able to do and why it matters, e.g. "
            f"“{GOOD_GOAL_EXAMPLE}”, not “{WEAK_GOAL_EXAMPLE}”. "
            f"<@{partner_user_id}> will be asked to agree to it."
        )
    ]
    statement_hint = "At least five words: the skill, and why it matters to you."
    if g is not None and g.status is GoalStatus.AGREED:
        statement_hint = (
            "You both agreed to this goal. Changing the goal, what success looks like or the "
            "due date asks your partner to agree again; changing milestones alone doesn't."
        )
        blocks.append(
            context(
                f":handshake: Agreed with <@{partner_user_id}>. Changing the goal, what success "
                "looks like or the due date asks them to agree again; milestones alone don't."
            )
        )
    elif g is not None and g.status is GoalStatus.CHANGE_SUGGESTED and g.change_suggestion:
        blocks.append(
            section(
                f":pencil2: *Suggested change:* _{inline(g.change_suggestion, 1000)}_",
            )
        )
    blocks += [
        input_block(
            BlockId.GOAL_STATEMENT,
            "The goal",
            text_input(
                g.statement if g else None,
                max_length=STATEMENT_MAX,
                multiline=True,
                placeholder=f"e.g. {GOOD_GOAL_EXAMPLE}",
            ),
            hint=statement_hint,
        ),
        input_block(
            BlockId.GOAL_SUCCESS,
            "What success looks like",
            text_input(
                g.success_criteria if g else None,
                max_length=SUCCESS_MAX,
                multiline=True,
                placeholder=f"e.g. {SUCCESS_EXAMPLE}",
            ),
            hint="How will you both know it worked?",
        ),
        input_block(
            BlockId.GOAL_DUE,
            "Due date",
            datepicker(g.due_date if g else None),
            hint=f"After today, and by {day(last_day)}, the program's last day.",
        ),
        section(
            f"*Milestones* (optional, up to {MILESTONES_MAX}): dated steps toward the goal, "
            "between today and its due date. Each needs a title and a date; clear both to "
            "remove one."
        ),
    ]
    existing = list(goal.milestones[:MILESTONES_MAX]) if goal else []
    for row in range(1, MILESTONES_MAX + 1):
        milestone = existing[row - 1] if row <= len(existing) else None
        blocks.append(
            input_block(
                f"{BlockId.GOAL_MILESTONE_TITLE_PREFIX}{row}",
                f"Milestone {row}",
                text_input(
                    milestone.title if milestone else None,
                    max_length=MILESTONE_TITLE_MAX,
                    placeholder=f"e.g. {MILESTONE_EXAMPLE}" if row == 1 else None,
                ),
                optional=True,
            )
        )
        blocks.append(
            input_block(
                f"{BlockId.GOAL_MILESTONE_DUE_PREFIX}{row}",
                f"Milestone {row} date",
                datepicker(milestone.due_date if milestone else None),
                optional=True,
            )
        )
    metadata = {
        "pairing_id": pairing_id,
        "goal_id": goal.goal_id if goal else None,
        "milestone_ids": [m.id for m in existing],
        "overview": overview_view_id,
    }
    title = "Edit goal" if goal else "Add a goal"
    return modal(
        CallbackId.GOAL_FORM, title, blocks, metadata=metadata, submit="Save goal", close="Cancel"
    )


def read_goal_form(view: Mapping[str, Any]) -> GoalForm:
    """The goal form's answers, milestone rows matched to the milestones they edit."""
    state = FormState(dict(view))
    ids = read_metadata(view).get("milestone_ids") or []
    rows = []
    for row in range(1, MILESTONES_MAX + 1):
        rows.append(
            MilestoneForm(
                title=state.text(f"{BlockId.GOAL_MILESTONE_TITLE_PREFIX}{row}"),
                due_date=state.date(f"{BlockId.GOAL_MILESTONE_DUE_PREFIX}{row}"),
                milestone_id=_int(ids[row - 1]) if row <= len(ids) else None,
            )
        )
    return GoalForm(
        statement=state.text(BlockId.GOAL_STATEMENT),
        success_criteria=state.text(BlockId.GOAL_SUCCESS),
        due_date=state.date(BlockId.GOAL_DUE),
        milestones=rows,
    )


# --- agreement ---------------------------------------------------------------------------------


def build_agreement_request(
    goal: GoalView, *, proposer_user_id: str, program_name: str, revised: bool = False
) -> dict[str, Any]:
    """The partner's DM: a proposed goal with Agree and Suggest a change."""
    verb = "revised a goal" if revised else "proposed a goal"
    intro = (
        f"<@{proposer_user_id}> {verb} for your mentoring in *{escape(program_name)}*. Agree if "
        "it's specific and dated, or suggest a change."
    )
    value = str(goal.goal_id)
    blocks = [
        section(intro),
        section(goal_details(goal)),
        actions(
            button("Agree", ActionId.GOAL_AGREE, value=value, style="primary"),
            button("Suggest a change", ActionId.GOAL_SUGGEST, value=value),
            button("All goals", ActionId.GOALS_OPEN, value=str(goal.goal.pairing_id)),
            block_id=f"goal_decision_{goal.goal_id}",
        ),
    ]
    text = f"<@{proposer_user_id}> {verb}: {inline(goal.goal.statement, 200)}"
    return message(text, blocks)


def build_agreement_settled(
    goal: GoalView, *, proposer_user_id: str, agreed: bool
) -> dict[str, Any]:
    """The partner's DM once they decided: no more buttons to decide with."""
    if agreed:
        intro = (
            f":handshake: You agreed to this goal with <@{proposer_user_id}>. "
            "It's marked co-created."
        )
    else:
        intro = (
            f":pencil2: You suggested a change to <@{proposer_user_id}>'s goal: "
            f"_{inline(goal.goal.change_suggestion, 500)}_. They'll revise it and ask "
            "you again."
        )
    blocks = [
        section(intro),
        section(goal_details(goal)),
        actions(
            button("All goals", ActionId.GOALS_OPEN, value=str(goal.goal.pairing_id)),
            block_id=f"goal_decision_{goal.goal_id}",
        ),
    ]
    return message(intro, blocks)


def build_goal_agreed(decision: GoalDecision) -> dict[str, Any]:
    """The proposer's DM: the partner agreed."""
    goal = decision.goal
    text = (
        f":handshake: <@{decision.actor_user_id}> agreed to your goal "
        f"“{inline(goal.goal.statement, 300)}”. It's co-created now."
    )
    blocks = [
        section(text),
        actions(
            button("All goals", ActionId.GOALS_OPEN, value=str(goal.goal.pairing_id)),
            block_id=f"goal_agreed_{goal.goal_id}",
        ),
    ]
    return message(f"<@{decision.actor_user_id}> agreed to your goal", blocks)


def build_change_suggested(decision: GoalDecision) -> dict[str, Any]:
    """The proposer's DM: the partner suggests a change, with a button to edit the goal."""
    goal = decision.goal
    text = (
        f":pencil2: <@{decision.actor_user_id}> suggested a change to your goal:\n"
        f"{quote(goal.goal.change_suggestion, 1000)}"
    )
    blocks = [
        section(text),
        section(goal_details(goal)),
        actions(
            button("Edit goal", ActionId.GOAL_EDIT, value=str(goal.goal_id), style="primary"),
            button("All goals", ActionId.GOALS_OPEN, value=str(goal.goal.pairing_id)),
            block_id=f"goal_change_{goal.goal_id}",
        ),
    ]
    return message(f"<@{decision.actor_user_id}> suggested a change to your goal", blocks)


def build_suggest_modal(
    goal: GoalView,
    *,
    proposer_user_id: str,
    channel: str | None = None,
    ts: str | None = None,
    overview_view_id: str | None = None,
) -> dict[str, Any]:
    """Ask what should change about a proposed goal."""
    blocks: list[Block] = [
        section(f"<@{proposer_user_id}>'s proposed goal:\n{goal_details(goal)}"),
        input_block(
            BlockId.GOAL_SUGGESTION,
            "What would you change?",
            text_input(
                None,
                max_length=SUGGESTION_MAX,
                multiline=True,
                placeholder="e.g. Make it about presenting to the leadership team, due in June",
            ),
            hint="They'll get your suggestion and can revise the goal.",
        ),
    ]
    metadata = {
        "goal_id": goal.goal_id,
        "channel": channel,
        "ts": ts,
        "overview": overview_view_id,
    }
    return modal(
        CallbackId.GOAL_SUGGEST,
        "Suggest a change",
        blocks,
        metadata=metadata,
        submit="Send",
        close="Cancel",
    )


def read_overview_id(view: Mapping[str, Any]) -> str | None:
    """The goals overview a modal was pushed from, to refresh it once something changed."""
    overview = read_metadata(view).get("overview")
    return str(overview) if overview else None


def read_message_ref(view: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The DM (channel, ts) a suggestion modal was opened from, if any."""
    meta = read_metadata(view)
    channel, ts = meta.get("channel"), meta.get("ts")
    return (str(channel) if channel else None, str(ts) if ts else None)


def read_suggestion(view: Mapping[str, Any]) -> str:
    """The suggested change as written."""
    return FormState(dict(view)).text(BlockId.GOAL_SUGGESTION)


# --- progress and milestones -------------------------------------------------------------------


def build_progress_modal(goal: GoalView, *, overview_view_id: str | None = None) -> dict[str, Any]:
    """How is the goal going: a status and a one-line note."""
    options = [option(PROGRESS_LABELS[p], p.value) for p in GoalProgress]
    radio = radio_buttons(options, initial=goal.goal.progress.value)
    blocks: list[Block] = [
        section(f"*{inline(goal.goal.statement, 600)}*\nDue {day(goal.goal.due_date)}"),
        input_block(BlockId.GOAL_PROGRESS_STATUS, "How is it going?", radio),
        input_block(
            BlockId.GOAL_PROGRESS_NOTE,
            "One-line note",
            text_input(
                goal.goal.progress_note or None,
                max_length=PROGRESS_NOTE_MAX,
                placeholder="e.g. Ran the stakeholder update twice; the third is on Friday",
            ),
            optional=True,
        ),
        context("Either of you can update progress; every update is kept."),
    ]
    return modal(
        CallbackId.GOAL_PROGRESS,
        "Update progress",
        blocks,
        metadata={"goal_id": goal.goal_id, "overview": overview_view_id},
        submit="Save",
        close="Cancel",
    )


def read_progress(view: Mapping[str, Any]) -> tuple[str | None, str]:
    """The chosen progress value and the note."""
    state = FormState(dict(view))
    return state.option(BlockId.GOAL_PROGRESS_STATUS), state.text(BlockId.GOAL_PROGRESS_NOTE)


def build_milestones_modal(
    goal: GoalView, *, today: date, live: bool = True, overview_view_id: str | None = None
) -> dict[str, Any]:
    """Tick milestones off and put them in order."""
    blocks: list[Block] = [
        section(f"*{inline(goal.goal.statement, 600)}*\nDue {day(goal.goal.due_date)}")
    ]
    if not goal.milestones:
        blocks.append(
            section(
                "No milestones yet. Add up to five dated steps with *Edit* on the goal, e.g. "
                f"“{MILESTONE_EXAMPLE}”."
            )
        )
    last = len(goal.milestones) - 1
    for index, milestone in enumerate(goal.milestones):
        done = milestone.done_at is not None
        blocks.append(section(_milestone_line(milestone.title, milestone.due_date, done, today)))
        if not live:
            continue
        value = str(milestone.id)
        elements = [
            button(
                "Untick" if done else "Tick off",
                ActionId.GOAL_MILESTONE_TOGGLE,
                value=value,
                style=None if done else "primary",
            )
        ]
        if index > 0:
            elements.append(button("Move up", ActionId.GOAL_MILESTONE_UP, value=value))
        if index < last:
            elements.append(button("Move down", ActionId.GOAL_MILESTONE_DOWN, value=value))
        blocks.append(actions(*elements, block_id=f"milestone_{milestone.id}"))
    if goal.milestones:
        blocks.append(context(f"{goal.milestones_done} of {len(goal.milestones)} done."))
    return modal(
        CallbackId.GOAL_MILESTONES,
        "Milestones",
        blocks,
        metadata={"goal_id": goal.goal_id, "overview": overview_view_id},
        close="Done",
    )
