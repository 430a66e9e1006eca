"""A pairing at a glance: the cards ``/mentor status`` and the Home tab share."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.ids import ActionId
from bot.services.dashboard import PairDashboard, Waiting
from bot.services.goals import GoalView
from bot.views.blocks import Block, actions, button, context, header, message, section
from bot.views.prompts import local_time
from bot.views.text import escape, inline
from storage.enums import GoalProgress, GoalStatus, PairingStatus, Role

STAGE_LABELS = {
    "rapport": "Building rapport",
    "goal_setting": "Setting goals",
    "cadence_planned": "Cadence planned",
    "demonstration": "Execution: demonstration",
    "role_play": "Execution: role-play",
    "guided_practice": "Execution: guided practice",
    "independent": "Execution: independent",
    "concluding": "Concluding",
    "graduated": "Graduated",
}
PROGRESS_LABELS = {
    GoalProgress.NOT_STARTED: "not started",
    GoalProgress.ON_TRACK: "on track",
    GoalProgress.AT_RISK: ":warning: at risk",
    GoalProgress.DONE: ":white_check_mark: done",
    GoalProgress.DROPPED: "dropped",
}
GOALS_SHOWN = 4
OVERDUE_SHOWN = 3
_BUTTONS = {
    Waiting.LOG: ("Log the last session", ActionId.LOG_OPEN),
    Waiting.SCHEDULE: ("Schedule the next session", ActionId.SCHEDULE_OPEN),
    Waiting.AGENDA: ("Add your agenda", ActionId.AGENDA_OPEN),
    Waiting.AGREE_GOALS: ("Agree goals", ActionId.GOALS_OPEN),
    Waiting.SET_GOALS: ("Write your goals", ActionId.GOALS_OPEN),
    Waiting.SCORE_SKILLS: ("Score skills", ActionId.SKILLS_OPEN),
}
_NOTES = {Waiting.RATE_SESSION: "rate your last session (see your DMs)"}


def _goal_line(view: GoalView, today: date) -> str:
    goal = view.goal
    state = (
        PROGRESS_LABELS[goal.progress] if goal.status is GoalStatus.AGREED else "awaiting agreement"
    )
    done = sum(1 for m in view.milestones if m.done_at is not None)
    milestones = f" · milestones {done}/{len(view.milestones)}" if view.milestones else ""
    late = " · :warning: overdue" if view.overdue(today) else ""
    tasks = f" · tasks {view.tasks_done}/{view.tasks_total}" if view.tasks_total else ""
    return (
        f"• {inline(goal.statement, 120)} — {state} · due {goal.due_date:%d %b}"
        f"{milestones}{tasks}{late}"
    )


def pair_card(board: PairDashboard, *, tz: str, today: date) -> list[Block]:
    """One pairing's blocks: who, stage, next session, goals, hours, scores, what's waiting."""
    choice = board.choice
    partner_role = "mentee" if choice.my_role is Role.MENTOR else "mentor"
    program = escape(choice.program.name)
    title = f"*<@{choice.partner_user_id}>*, your {partner_role} in *{program}*"
    if choice.pairing.board_role:
        title += f" ({inline(choice.pairing.board_role, 80)})"
    facts = [STAGE_LABELS.get(choice.pairing.stage.value, choice.pairing.stage.value)]
    if choice.pairing.status is PairingStatus.PAUSED:
        facts.append("paused")
    if board.next_session:
        agenda = "agenda shared" if board.agenda_submitted else "no agenda yet"
        facts.append(f"next: {local_time(board.next_session, tz)} ({agenda})")
    else:
        facts.append("no session scheduled")
    blocks: list[Block] = [section(f"{title}\n{' · '.join(facts)}")]
    counts = board.goal_counts
    if board.goals:
        lines = [_goal_line(g, today) for g in board.goals[:GOALS_SHOWN]]
        if len(board.goals) > GOALS_SHOWN:
            lines.append(f"…and {len(board.goals) - GOALS_SHOWN} more")
        blocks.append(
            section(f"*Goals* ({counts.done} done of {counts.total})\n" + "\n".join(lines))
        )
    if board.overdue_tasks:
        late = [
            f"• {inline(t.title, 100)} · due {t.due_date:%d %b}"
            for t in board.overdue_tasks[:OVERDUE_SHOWN]
        ]
        if len(board.overdue_tasks) > OVERDUE_SHOWN:
            late.append(f"…and {len(board.overdue_tasks) - OVERDUE_SHOWN} more")
        blocks.append(section("*:warning: Overdue practice tasks*\n" + "\n".join(late)))
    summary = [
        f"{board.hours_held:.1f} h held of {board.hours_planned:.1f} h planned by now "
        f"({board.hours_minimum:.0f} h minimum)"
    ]
    if board.trend and board.trend.latest_overall is not None:
        summary.append(f"scorecards {board.trend.latest_overall:.1f}/10")
    if board.skills is not None:
        if board.skills.closed:
            summary.append(
                f"skills round {board.skills.round}: {board.skills.open_gaps} gaps to work on"
            )
        else:
            summary.append(f"skills round {board.skills.round} in progress")
    if board.notes.entries or board.notes.documents:
        entries, documents = board.notes.entries, board.notes.documents
        summary.append(
            f"shared notes: {entries} {'entry' if entries == 1 else 'entries'}, "
            f"{documents} document{'' if documents == 1 else 's'}"
        )
    blocks.append(context(" · ".join(summary)))
    waiting = list(dict.fromkeys(board.waiting))
    buttons: dict[str, Block] = {}
    for item in waiting:
        if item in _BUTTONS:
            label, action_id = _BUTTONS[item]
            buttons.setdefault(action_id, button(label, action_id, value=str(board.pairing_id)))
    notes = [_NOTES[item] for item in waiting if item in _NOTES]
    if buttons or notes:
        blocks.append(section("*Waiting on you:* " + (", ".join(notes) if notes else "")))
    pid = str(board.pairing_id)
    buttons.setdefault(ActionId.PLAN_OPEN, button("Learning plan", ActionId.PLAN_OPEN, value=pid))
    buttons.setdefault(ActionId.NOTES_OPEN, button("Notes", ActionId.NOTES_OPEN, value=pid))
    blocks.append(actions(*buttons.values(), block_id=f"pair_{board.pairing_id}"))
    return blocks


def build_status(boards: Sequence[PairDashboard], *, tz: str, today: date) -> dict[str, Any]:
    """``/mentor status``: every pairing of the person, privately."""
    blocks: list[Block] = [header("Your mentoring")]
    if not boards:
        blocks.append(
            section(
                "You're not in a mentoring pair yet. Join a program with `/mentor join`; "
                "a lead will match you."
            )
        )
    for board in boards:
        blocks.extend(pair_card(board, tz=tz, today=today))
    waiting = sum(len(b.waiting) for b in boards)
    text = f"Your mentoring: {len(boards)} pairing(s), {waiting} thing(s) waiting on you"
    return message(text, blocks[:50])
