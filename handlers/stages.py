"""A pair's own controls: ``/mentor stage`` and its select, and pausing or resuming one pairing
(``/mentor pause|resume @partner``, reached from the enrolment handlers)."""

from collections.abc import Sequence
from datetime import date

from slack_bolt import App
from sqlmodel import Session

from bot.commands import COMMAND, Subcommand
from bot.errors import UserError
from bot.ids import ActionId
from bot.services.pair_state import (
    PairingPauseChange,
    StageMoved,
    mentioned_user,
    move_pairing_stage,
    parse_stage,
    pause_pairing,
    resume_pairing,
    stage_view,
    stage_view_for,
)
from bot.views.pair_state import (
    build_pairing_pause_confirmation,
    build_partner_pairing_paused,
    build_partner_stage_moved,
    build_stage_moved,
    build_stage_moved_note,
    build_stage_picker,
    read_stage_option,
)
from bot.views.text import escape
from handlers.commands import CommandRouter
from handlers.common import message_to
from handlers.listeners import Answer, Click, Command, Interaction, Reply, on_click

STAGE = Subcommand(
    "stage",
    "stage [@partner] [STAGE]",
    "See your pair's stage, or move it forward or back (e.g. guided practice).",
)
PAUSE_USAGE = f"`{COMMAND} pause @partner [until YYYY-MM-DD]`"
STALE_PICKER = f"That stage picker is out of date; type `{COMMAND} stage` again."


def _split_mention(args: Sequence[str]) -> tuple[str, list[str]]:
    """The first mention among ``args`` (the partner) and the other words."""
    mention = next((word for word in args if mentioned_user(word)), "")
    rest = list(args)
    if mention:
        rest.remove(mention)
    return mention, rest


# --- /mentor stage ------------------------------------------------------------------------------


def show_or_move_stage(command: Command) -> Answer:
    """Without a stage: show the pair's stage and a select; with one: move it there."""
    hint, words = _split_mention(command.args)
    wanted = parse_stage(" ".join(words)) if words else None
    if wanted is None:
        with command.deps.read() as session:
            view = stage_view(session, team_id=command.team_id, user_id=command.user_id, hint=hint)
        return Reply(build_stage_picker(view))
    with command.deps.session() as session:
        view = stage_view(session, team_id=command.team_id, user_id=command.user_id, hint=hint)
        moved = move_pairing_stage(
            session,
            team_id=command.team_id,
            user_id=command.user_id,
            pairing_id=view.pairing_id,
            stage=wanted,
        )
        _tell_partner_of_move(command, session, moved)
    return Reply(build_stage_moved(moved))


def move_stage_from_picker(click: Click) -> Answer:
    """A stage picked in the picker: move the pairing, tell the partner, refresh the picker."""
    picked = read_stage_option(click.value)
    if picked is None:
        raise UserError(STALE_PICKER)
    pairing_id, stage = picked
    with click.deps.session() as session:
        moved = move_pairing_stage(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            pairing_id=pairing_id,
            stage=stage,
        )
        view = stage_view_for(
            session, team_id=click.team_id, user_id=click.user_id, pairing_id=pairing_id
        )
        _tell_partner_of_move(click, session, moved)
    click.update_message(build_stage_picker(view, note=build_stage_moved_note(moved)))
    return None


def _tell_partner_of_move(i: Interaction, session: Session, moved: StageMoved) -> None:
    i.send(
        session,
        message_to(
            i,
            to=moved.partner_user_id,
            rule="stage_moved",
            message=build_partner_stage_moved(moved),
            what="the news that you moved your pairing's stage",
            pairing_id=moved.pairing_id,
            program_id=moved.program_id,
        ),
    )


# --- pausing one pairing ------------------------------------------------------------------------


def targets_pairing(args: Sequence[str]) -> bool:
    """Whether ``/mentor pause|resume`` names a partner (one pairing), not a program."""
    return bool(args) and mentioned_user(args[0]) is not None


def _pause_date(words: Sequence[str]) -> date | None:
    rest = [w for w in words if w.lower() != "until"]
    if not rest:
        return None
    if len(rest) > 1:
        raise UserError(f"Usage: {PAUSE_USAGE}.")
    try:
        return date.fromisoformat(rest[0])
    except ValueError:
        raise UserError(
            f"I couldn't read *{escape(rest[0])}* as a date. Usage: {PAUSE_USAGE}, "
            "e.g. `until 2026-04-01`."
        ) from None


def pause_one_pairing(command: Command) -> Answer:
    """``/mentor pause @partner [until YYYY-MM-DD]``: pause that one pairing."""
    until = _pause_date(command.args[1:])
    with command.deps.session() as session:
        change = pause_pairing(
            session,
            team_id=command.team_id,
            user_id=command.user_id,
            hint=command.args[0],
            until=until,
            now=command.now(),
        )
        _tell_partner_of_pause(command, session, change)
    return Reply(build_pairing_pause_confirmation(change))


def resume_one_pairing(command: Command) -> Answer:
    """``/mentor resume @partner``: run that one pairing again."""
    if len(command.args) > 1:
        raise UserError(f"Usage: `{COMMAND} resume @partner`.")
    with command.deps.session() as session:
        change = resume_pairing(
            session,
            team_id=command.team_id,
            user_id=command.user_id,
            hint=command.args[0],
            now=command.now(),
        )
        _tell_partner_of_pause(command, session, change)
    return Reply(build_pairing_pause_confirmation(change))


def _tell_partner_of_pause(i: Interaction, session: Session, change: PairingPauseChange) -> None:
    partner = change.partner_of(i.user_id)
    i.send(
        session,
        message_to(
            i,
            to=partner,
            rule="pairing_paused" if change.paused else "pairing_resumed",
            message=build_partner_pairing_paused(change, recipient=partner),
            what=(
                "the news that you paused your pairing"
                if change.paused
                else "the news that your pairing runs again"
            ),
            pairing_id=change.pairing_id,
            program_id=change.program_id,
        ),
    )


def register(app: App, router: CommandRouter) -> None:
    """Listen for ``/mentor stage`` and its select."""
    router.add(STAGE, show_or_move_stage)
    on_click(app, ActionId.STAGE_MOVE, move_stage_from_picker)
