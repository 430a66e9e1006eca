"""Agenda views: the agenda modal (the mentee edits and submits, the mentor reads) and its DM."""

from typing import Any

from bot.ids import ActionId, BlockId, CallbackId
from bot.services.agenda import AGENDA_NEW_MAX, AGENDA_TEXT_MAX, AgendaLine, AgendaView
from bot.views.blocks import (
    Block,
    actions,
    button,
    checkboxes,
    clip,
    context,
    input_block,
    message,
    modal,
    option,
    section,
    text_input,
)
from bot.views.sessions import format_day, format_when
from storage.enums import AgendaSource

# Slack allows 10 options in a checkbox group: longer lists are split over several groups.
CHECKBOXES_PER_GROUP = 10
CHECKBOX_GROUPS_MAX = 5
SUBMIT_VALUE = "submit"
_SOURCE_NOTES = {
    AgendaSource.MENTOR: "from your mentor",
    AgendaSource.SCORECARD: "from a scorecard",
    AgendaSource.SKILL_GAP: "skill gap",
    AgendaSource.PRACTICE_TASK: "practice task",
}


def _line(line: AgendaLine, *, mentor_user_id: str) -> str:
    if line.source is AgendaSource.ACTION_ITEM:
        owner = f"<@{line.owner_user_id}>" if line.owner_user_id else "someone"
        due = f", due {format_day(line.due_date)}" if line.due_date else ""
        return f"• {line.text} _(action item: {owner}{due})_"
    note = _SOURCE_NOTES.get(line.source)
    if line.source is AgendaSource.MENTOR:
        note = f"from <@{mentor_user_id}>"
    return f"• {line.text}" + (f" _({note})_" if note else "")


def agenda_lines(agenda: AgendaView, *, lines: list[AgendaLine] | None = None) -> str:
    """The agenda as a bulleted list."""
    shown = agenda.lines if lines is None else lines
    return "\n".join(_line(line, mentor_user_id=agenda.mentor_user_id) for line in shown)


def _visible(agenda: AgendaView, viewer_user_id: str) -> list[AgendaLine]:
    """The mentee sees everything; the mentor sees the mentee's items once submitted."""
    if viewer_user_id == agenda.mentee_user_id or agenda.submitted or agenda.meeting_id is None:
        return agenda.lines
    return [line for line in agenda.lines if line.source is not AgendaSource.MENTEE]


def _checkbox_groups(
    prefix: str, label: str, options: list[tuple[str, str]], *, hint: str | None = None
) -> list[Block]:
    groups: list[Block] = []
    shown = options[: CHECKBOXES_PER_GROUP * CHECKBOX_GROUPS_MAX]
    for start in range(0, len(shown), CHECKBOXES_PER_GROUP):
        chunk = shown[start : start + CHECKBOXES_PER_GROUP]
        groups.append(
            input_block(
                f"{prefix}{start // CHECKBOXES_PER_GROUP}",
                label if start == 0 else f"{label} (more)",
                checkboxes([option(text, value) for text, value in chunk]),
                hint=hint if start == 0 else None,
                optional=True,
            )
        )
    return groups


def _heading(agenda: AgendaView, *, viewer_user_id: str, tz: str) -> str:
    partner = (
        agenda.mentor_user_id if viewer_user_id == agenda.mentee_user_id else agenda.mentee_user_id
    )
    if agenda.meeting_start is None:
        return (
            f"Agenda for your next session with <@{partner}>. None is scheduled yet: "
            "the agenda carries over once one is."
        )
    return (
        f"Agenda for your session with <@{partner}> on *{format_when(agenda.meeting_start, tz)}*."
    )


def build_agenda_modal(
    agenda: AgendaView, *, viewer_user_id: str, tz: str, mentor_name: str = ""
) -> dict[str, Any]:
    """The agenda: the mentee adds, removes and submits; the mentor reads and may add."""
    is_mentee = viewer_user_id == agenda.mentee_user_id
    shown = _visible(agenda, viewer_user_id)
    blocks: list[Block] = [section(_heading(agenda, viewer_user_id=viewer_user_id, tz=tz))]
    if shown:
        blocks.append(section(agenda_lines(agenda, lines=shown)))
    else:
        blocks.append(section("_Nothing on the agenda yet._"))
    if not is_mentee and agenda.meeting_id is not None and not agenda.submitted:
        blocks.append(
            context(
                f"<@{agenda.mentee_user_id}> has not submitted the agenda yet: "
                "you'll get a DM when they do."
            )
        )
    elif agenda.submitted and agenda.submitted_at is not None:
        blocks.append(context(f"Submitted on {format_when(agenda.submitted_at, tz)}."))
    removable = [
        (clip(line.text, 75), str(line.id))
        for line in shown
        if line.source is not AgendaSource.ACTION_ITEM
        and (is_mentee or line.added_by == viewer_user_id)
    ]
    blocks += _checkbox_groups(BlockId.AGENDA_REMOVE_PREFIX, "Take off the agenda", removable)
    actions_open = [
        (clip(line.text, 75), str(line.action_item_id))
        for line in shown
        if line.action_item_id is not None
    ]
    blocks += _checkbox_groups(
        BlockId.AGENDA_DONE_PREFIX,
        "Action items done",
        actions_open,
        hint="Ticked items are marked done and drop off the agenda.",
    )
    blocks.append(
        input_block(
            BlockId.AGENDA_NEW,
            "Add items" if is_mentee else "Suggest an item to your mentee",
            text_input(multiline=True, max_length=AGENDA_NEW_MAX * (AGENDA_TEXT_MAX + 1)),
            hint=(
                f"One per line, up to {AGENDA_NEW_MAX} at a time, {AGENDA_TEXT_MAX} characters "
                "each."
            ),
            optional=True,
        )
    )
    if is_mentee:
        who = mentor_name or "your mentor"
        label = (
            f"Send the updated agenda to {who}"
            if agenda.submitted
            else f"Submit the agenda to {who}"
        )
        blocks.append(
            input_block(
                BlockId.AGENDA_SUBMIT,
                "Submit",
                checkboxes([option(label, SUBMIT_VALUE)]),
                optional=True,
            )
        )
        blocks.append(context("You own the agenda: your mentor sees it once you submit it."))
    return modal(
        CallbackId.AGENDA,
        "Agenda",
        blocks,
        metadata={"pairing_id": agenda.pairing_id, "meeting_id": agenda.meeting_id},
        submit="Save",
    )


def build_agenda_dm(agenda: AgendaView, *, tz: str) -> dict[str, Any]:
    """Tell the mentor the mentee submitted the agenda, with its items."""
    mentee = agenda.mentee_user_id
    if agenda.meeting_start is None:
        text = f"<@{mentee}> shared the agenda for your next session"
    else:
        text = (
            f"<@{mentee}> submitted the agenda for your session on "
            f"{format_when(agenda.meeting_start, tz)}"
        )
    blocks: list[Block] = [
        section(f":memo: {text}:"),
        section(agenda_lines(agenda) or "_No items._"),
        actions(
            button("Open the agenda", ActionId.AGENDA_OPEN, value=str(agenda.pairing_id)),
            block_id="agenda_actions",
        ),
    ]
    return message(text, blocks)
