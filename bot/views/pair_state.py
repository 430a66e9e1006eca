"""Views of a pair's own controls: the stage picker and its notices, pausing one pairing."""

from typing import Any

from bot.commands import COMMAND
from bot.ids import ActionId, BlockId
from bot.services.pair_state import (
    MOVABLE_STAGES,
    STAGE_NAMES,
    PairingPauseChange,
    StageMoved,
    StageView,
)
from bot.services.stages import ORDER
from bot.views.blocks import Block, context, message, option, section, static_select
from bot.views.text import escape
from storage.enums import Stage

STEP_BACK_HINT = (
    "Stages move on by themselves as you meet and agree goals. Moving back a step is normal: "
    "when the mentee meets new, complex ground, step back from *Independent* to "
    "*Guided practice* (or to *Role-play* to rehearse first)."
)


def stage_option_value(pairing_id: int, stage: Stage) -> str:
    """The stage select's option value."""
    return f"{pairing_id}:{stage.value}"


def read_stage_option(value: str) -> tuple[int, Stage] | None:
    """The pairing and stage a stage select's option names, or None if it is out of date."""
    pairing_id, _, stage = value.partition(":")
    try:
        return int(pairing_id), Stage(stage)
    except ValueError:
        return None


def _ladder(current: Stage) -> str:
    return " → ".join(
        f"*{STAGE_NAMES[stage]}*" if stage is current else STAGE_NAMES[stage] for stage in ORDER
    )


def build_stage_picker(view: StageView, *, note: str | None = None) -> dict[str, Any]:
    """Where the pairing is, with a select to move it to any stage but graduated."""
    select = static_select(
        [
            option(STAGE_NAMES[stage], stage_option_value(view.pairing_id, stage))
            for stage in MOVABLE_STAGES
        ],
        # A graduated pair's stage is no option: the select then starts empty.
        initial=stage_option_value(view.pairing_id, view.stage),
        placeholder="Move to…",
        action_id=ActionId.STAGE_MOVE,
    )
    blocks: list[Block] = []
    if note:
        blocks.append(section(note))
    blocks.append(
        section(
            f"Your pairing with <@{view.partner_user_id}> in *{escape(view.program_name)}* is at "
            f"*{STAGE_NAMES[view.stage]}*.\n{_ladder(view.stage)}",
            block_id=BlockId.STAGE_PICK,
            accessory=select,
        )
    )
    blocks.append(context(STEP_BACK_HINT))
    text = f"Your pairing is at {STAGE_NAMES[view.stage]}"
    return message(note or text, blocks)


def _moved_words(moved: StageMoved) -> str:
    way = "back" if moved.backwards else "on"
    return f"{way} to *{STAGE_NAMES[moved.after]}* (from {STAGE_NAMES[moved.before]})"


def build_stage_moved_note(moved: StageMoved) -> str:
    """The line that confirms a move to the person who made it."""
    return (
        f":white_check_mark: Moved your pairing {_moved_words(moved)}. "
        f"A note to <@{moved.partner_user_id}> is on its way."
    )


def build_stage_moved(moved: StageMoved) -> dict[str, Any]:
    """The ephemeral confirmation of ``/mentor stage … STAGE``."""
    text = build_stage_moved_note(moved)
    return message(text, [section(text)])


def build_partner_stage_moved(moved: StageMoved) -> dict[str, Any]:
    """The partner's DM: who moved the pairing, and to where."""
    text = (
        f"<@{moved.actor_user_id}> moved your pairing in *{escape(moved.program_name)}* "
        f"{_moved_words(moved)}."
    )
    blocks: list[Block] = [section(text)]
    if moved.backwards:
        blocks.append(context("A step back is part of the process: new, complex ground needs it."))
    blocks.append(context(f"`{COMMAND} stage` shows where you are and moves it."))
    return message(text, blocks)


def _until(change: PairingPauseChange) -> str:
    if change.until is None:
        return "until one of you resumes it"
    return f"until {change.until:%A} {change.until.day} {change.until:%B}"


def build_pairing_pause_confirmation(change: PairingPauseChange) -> dict[str, Any]:
    """The ephemeral answer to ``/mentor pause|resume @partner``."""
    actor = change.actor_user_id or ""
    partner = change.partner_of(actor)
    name = escape(change.program_name)
    if change.paused:
        text = (
            f":pause_button: Paused your pairing with <@{partner}> in *{name}* "
            f"{_until(change)}. No prompts or nudges about it meanwhile; your other pairings carry "
            f"on. `{COMMAND} resume <@{partner}>` starts it again sooner."
        )
    else:
        text = (
            f":arrow_forward: Your pairing with <@{partner}> in *{name}* is "
            "running again. A note to them is on its way."
        )
    return message(text, [section(text)])


def build_partner_pairing_paused(change: PairingPauseChange, *, recipient: str) -> dict[str, Any]:
    """A DM to one person of the pair: the pairing was paused or resumed."""
    partner = change.partner_of(recipient)
    name = escape(change.program_name)
    if change.paused:
        text = (
            f"<@{change.actor_user_id}> paused your mentoring pairing in *{name}* "
            f"{_until(change)}. No prompts or nudges about it meanwhile."
        )
    elif change.actor_user_id:
        text = (
            f"<@{change.actor_user_id}> resumed your mentoring pairing in "
            f"*{name}*: it's running again."
        )
    else:
        text = (
            f"Your pause is over: your mentoring pairing with <@{partner}> in "
            f"*{name}* is running again."
        )
    return message(text, [section(text)])
