"""Agenda views: the agenda modal (the mentee edits it and saving shares it, the mentor reads and
may add), the mentor's DM, and what the mentee is told once it is saved."""

from typing import Any

from bot.ids import ActionId, BlockId, CallbackId
from bot.services.agenda import (
    AGENDA_NEW_MAX,
    AGENDA_TEXT_MAX,
    AgendaLine,
    AgendaSaved,
    AgendaView,
    ShareKind,
)
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
from bot.views.text import escape
from storage.enums import AgendaSource

# Slack allows 10 options in a checkbox group: longer lists are split over several groups.
CHECKBOXES_PER_GROUP = 10
CHECKBOX_GROUPS_MAX = 5
# The mentee's submit button: saving is sharing, and the button says so.
SAVE_AND_SHARE = "Save and share"
_SOURCE_NOTES = {
    AgendaSource.MENTOR: "from your mentor",
    AgendaSource.SCORECARD: "from a scorecard",
    AgendaSource.SKILL_GAP: "skill gap",
    AgendaSource.PRACTICE_TASK: "practice task",
}


def _line(line: AgendaLine, *, mentor_user_id: str, viewer_user_id: str | None = None) -> str:
    if line.source is AgendaSource.ACTION_ITEM:
        owner = f"<@{line.owner_user_id}>" if line.owner_user_id else "someone"
        due = f", due {format_day(line.due_date)}" if line.due_date else ""
        return f"• {escape(line.text)} _(action item: {owner}{due})_"
    note = _SOURCE_NOTES.get(line.source)
    if line.source is AgendaSource.MENTOR:
        note = "yours" if viewer_user_id == mentor_user_id else f"from <@{mentor_user_id}>"
    return f"• {escape(line.text)}" + (f" _({note})_" if note else "")


def agenda_lines(agenda: AgendaView, *, viewer_user_id: str | None = None) -> str:
    """The agenda as a bulleted list (the mentor's own items marked "yours" for the mentor)."""
    return "\n".join(
        _line(line, mentor_user_id=agenda.mentor_user_id, viewer_user_id=viewer_user_id)
        for line in agenda.lines
    )


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


def _sharing_note(agenda: AgendaView, *, viewer_user_id: str, tz: str) -> str:
    """Where the agenda stands with the mentor, told to whoever has the modal open."""
    mentor, mentee = agenda.mentor_user_id, agenda.mentee_user_id
    when = None if agenda.shared_at is None else format_when(agenda.shared_at, tz)
    if viewer_user_id == mentee:
        if when is None:
            return (
                f":outbox_tray: *Saving shares the agenda with <@{mentor}>*: they get it by DM. "
                "You own it: add, remove and tick off items as you go."
            )
        return (
            f":white_check_mark: Shared with <@{mentor}> on {when}. "
            "*When you change it, saving sends them the update.*"
        )
    if when is None:
        return (
            f"<@{mentee}> owns the agenda and hasn't shared it yet: you'll get a DM when they "
            "save it. Items you add show as yours."
        )
    return f"<@{mentee}> shared this agenda with you on {when}. Items you add show as yours."


def build_agenda_modal(agenda: AgendaView, *, viewer_user_id: str, tz: str) -> dict[str, Any]:
    """The agenda: the mentee adds, removes and ticks off (saving shares it); the mentor reads
    and may add items of their own."""
    is_mentee = viewer_user_id == agenda.mentee_user_id
    blocks: list[Block] = [section(_heading(agenda, viewer_user_id=viewer_user_id, tz=tz))]
    if agenda.lines:
        blocks.append(section(agenda_lines(agenda, viewer_user_id=viewer_user_id)))
    else:
        blocks.append(section("_Nothing on the agenda yet._"))
    # A section, not a context: the one thing to know before pressing the button.
    blocks.append(section(_sharing_note(agenda, viewer_user_id=viewer_user_id, tz=tz)))
    removable = [
        (clip(line.text, 75), str(line.id))
        for line in agenda.lines
        if line.source is not AgendaSource.ACTION_ITEM
        and (is_mentee or line.added_by == viewer_user_id)
    ]
    blocks += _checkbox_groups(BlockId.AGENDA_REMOVE_PREFIX, "Take off the agenda", removable)
    actions_open = [
        (clip(line.text, 75), str(line.action_item_id))
        for line in agenda.lines
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
    return modal(
        CallbackId.AGENDA,
        "Agenda",
        blocks,
        metadata={"pairing_id": agenda.pairing_id, "meeting_id": agenda.meeting_id},
        submit=SAVE_AND_SHARE if is_mentee else "Save",
    )


def build_agenda_dm(agenda: AgendaView, *, tz: str, kind: ShareKind) -> dict[str, Any]:
    """Tell the mentor the mentee shared the agenda, or changed it since (marked as updated)."""
    mentee = agenda.mentee_user_id
    if agenda.meeting_start is None:
        session = "your next session"
    else:
        session = f"your session on {format_when(agenda.meeting_start, tz)}"
    if kind is ShareKind.SHARED:
        text = f"<@{mentee}> shared the agenda for {session}"
        heading = f":memo: {text}:"
    elif kind is ShareKind.UPDATED:
        text = f"Updated agenda: <@{mentee}> changed the agenda for {session}"
        heading = f":memo: *Updated agenda.* <@{mentee}> changed the agenda for {session}. Now:"
    else:
        text = f"Updated agenda: <@{mentee}> cleared the agenda for {session}"
        heading = f":memo: *Updated agenda.* <@{mentee}> cleared the agenda for {session}."
    listed = agenda_lines(agenda, viewer_user_id=agenda.mentor_user_id)
    blocks: list[Block] = [
        section(heading),
        section(listed or "_Nothing is on it now._"),
        actions(
            button("Open the agenda", ActionId.AGENDA_OPEN, value=str(agenda.pairing_id)),
            block_id="agenda_actions",
        ),
        context(f"<@{mentee}> owns the agenda; items you add show as yours."),
    ]
    return message(text, blocks)


def saved_notice(saved: AgendaSaved) -> str | None:
    """What the mentee is told once their agenda is saved (None: nothing to say)."""
    mentor = saved.agenda.mentor_user_id
    if saved.share is None:
        if not saved.agenda.shared:
            return None  # nothing on it, nothing shared
        return f"Saved. <@{mentor}> already has this agenda, so no new DM went out."
    return {
        ShareKind.SHARED: f"Saved and shared: <@{mentor}> gets your agenda by DM.",
        ShareKind.UPDATED: f"Saved. <@{mentor}> gets the updated agenda by DM.",
        ShareKind.CLEARED: f"Saved. <@{mentor}> hears that the agenda is empty now.",
    }[saved.share.kind]
