"""Structured feedback: the three-part modal, the DM that delivers it, the confirmation."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.ids import BlockId, CallbackId
from bot.services.feedback import PART_MAX, FeedbackTarget, SavedFeedback
from bot.views.blocks import (
    Block,
    context,
    header,
    input_block,
    message,
    modal,
    section,
    text_input,
)
from bot.views.text import words

WHY_THREE_PARTS = (
    "Good feedback has three parts, and each one matters: *what went well* tells your partner "
    "what to keep doing; *what needs to change* is the part people skip, and the one that helps "
    "most; *one concrete next action* turns it into progress."
)
PARTS = (
    (
        BlockId.FEEDBACK_WENT_WELL,
        "What went well",
        "Be specific: the moment or habit that helped, so it happens again.",
        "e.g. You came with a clear question and a draft plan, which made the hour count.",
    ),
    (
        BlockId.FEEDBACK_NEEDS_CHANGE,
        "What specifically needs to change",
        "Stuck? Ask yourself what would make the next session 10% better.",
        "e.g. We ran out of time for your stakeholder plan; let's start with it next time.",
    ),
    (
        BlockId.FEEDBACK_NEXT_ACTION,
        "One concrete next action",
        "One step someone can do before the next session, with a rough when.",
        "e.g. Send me the one-page stakeholder map by Thursday.",
    ),
)


def local_day(when: datetime, tz: str) -> str:
    """A date as the person reads it in their own timezone, e.g. "Mon 2 Mar"."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = when.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b}"


def _about(partner_user_id: str, session_start: datetime | None, tz: str) -> str:
    if session_start is None:
        return f"Feedback for <@{partner_user_id}>."
    return f"Feedback for <@{partner_user_id}> on your session of {local_day(session_start, tz)}."


def build_feedback_modal(target: FeedbackTarget, *, tz: str) -> dict[str, Any]:
    """The three required parts, prefilled when the person is editing earlier feedback."""
    blocks: list[Block] = [section(_about(target.partner_user_id, target.session_start, tz))]
    blocks.append(context(WHY_THREE_PARTS))
    existing = target.existing
    initial = (
        {
            BlockId.FEEDBACK_WENT_WELL: existing.went_well,
            BlockId.FEEDBACK_NEEDS_CHANGE: existing.needs_change,
            BlockId.FEEDBACK_NEXT_ACTION: existing.next_action,
        }
        if existing
        else {}
    )
    for block_id, label, hint, placeholder in PARTS:
        element = text_input(
            initial.get(block_id), max_length=PART_MAX, multiline=True, placeholder=placeholder
        )
        blocks.append(input_block(block_id, label, element, hint=hint))
    if existing:
        blocks.append(context("You gave feedback on this session already: saving replaces it."))
    blocks.append(context("Only your partner sees this. Program leads never see feedback text."))
    return modal(
        CallbackId.FEEDBACK,
        "Feedback",
        blocks,
        metadata={"pairing_id": target.pairing_id, "meeting_id": target.meeting_id},
        submit="Send feedback",
        close="Cancel",
    )


def build_feedback_sent(saved: SavedFeedback) -> dict[str, Any]:
    """The modal after sending: what happens next."""
    verb = "updated feedback" if saved.edited else "feedback"
    blocks = [
        section(f"Thank you! Your {verb} is on its way to <@{saved.to_user_id}>."),
        context(
            "Agree on the next action together at your next session. "
            "If it can't be delivered, I'll tell you."
        ),
    ]
    return modal(CallbackId.FEEDBACK_SENT, "Feedback sent", blocks, close="Done")


def build_feedback_message(saved: SavedFeedback, *, tz: str) -> dict[str, Any]:
    """The DM that delivers feedback to the person it is for."""
    when = (
        f" on your session of {local_day(saved.session_start, tz)}" if saved.session_start else ""
    )
    intro = (
        f"<@{saved.from_user_id}> updated their feedback{when}."
        if saved.edited
        else f"<@{saved.from_user_id}> gave you feedback{when}."
    )
    form = saved.form
    blocks: list[Block] = [
        header("Feedback for you"),
        section(intro),
        section(f"*What went well*\n{words(form.went_well, PART_MAX)}"),
        section(f"*What specifically needs to change*\n{words(form.needs_change, PART_MAX)}"),
        section(f"*One concrete next action*\n{words(form.next_action, PART_MAX)}"),
        context(
            "Private to the two of you. Reply with your own: `/mentor feedback` "
            "(what went well, what needs to change, one next action)."
        ),
    ]
    return message(f"Feedback from <@{saved.from_user_id}>", blocks)
