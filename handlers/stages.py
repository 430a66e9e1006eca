"""A pair's own controls: ``/mentor stage`` and its select, and pausing or resuming one pairing
(``/mentor pause|resume @partner``, reached from the enrolment handlers)."""

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.commands import COMMAND, Subcommand
from bot.deps import Deps
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
from handlers.commands import CommandRouter
from handlers.legacy import (
    CommandRequest,
    ack_problem,
    clicked_value,
    legacy,
    send,
    team_of,
    tell,
    user_of,
)

log = logging.getLogger(__name__)

STAGE = Subcommand(
    "stage",
    "stage [@partner] [STAGE]",
    "See your pair's stage, or move it forward or back (e.g. guided practice).",
)
PAUSE_USAGE = f"`{COMMAND} pause @partner [until YYYY-MM-DD]`"


def _split_mention(args: Sequence[str]) -> tuple[str, list[str]]:
    """The first mention among ``args`` (the partner) and the other words."""
    mention = next((word for word in args if mentioned_user(word)), "")
    rest = list(args)
    if mention:
        rest.remove(mention)
    return mention, rest


# --- /mentor stage ------------------------------------------------------------------------------


def handle_stage_command(request: CommandRequest) -> None:
    """Without a stage: show the pair's stage and a select; with one: move it there."""
    deps = request.deps
    hint, words = _split_mention(request.args)
    moved: StageMoved | None = None
    try:
        wanted = parse_stage(" ".join(words)) if words else None
        with deps.session() as session:
            view = stage_view(session, team_id=request.team_id, user_id=request.user_id, hint=hint)
            if wanted is not None:
                moved = move_pairing_stage(
                    session,
                    team_id=request.team_id,
                    user_id=request.user_id,
                    pairing_id=view.pairing_id,
                    stage=wanted,
                )
    except UserError as error:
        ack_problem(request.ack, error)
        return
    if moved is None:
        request.ack(**build_stage_picker(view))
        return
    request.ack(**build_stage_moved(moved))
    send(deps, moved.partner_user_id, build_partner_stage_moved(moved), what="stage DM")


def handle_stage_select(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """A stage picked in the picker: move the pairing, refresh the picker, tell the partner."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    picked = read_stage_option(clicked_value(body))
    try:
        if picked is None:
            raise UserError(f"That stage picker is out of date; type `{COMMAND} stage` again.")
        pairing_id, stage = picked
        with deps.session() as session:
            moved = move_pairing_stage(
                session, team_id=team_id, user_id=user_id, pairing_id=pairing_id, stage=stage
            )
            view = stage_view_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    except UserError as error:
        tell(deps, body, respond, error)
        return
    try:
        respond(
            **build_stage_picker(view, note=build_stage_moved_note(moved)), replace_original=True
        )
    except Exception as exc:
        log.warning("stage picker not refreshed", extra={"error": repr(exc)})
    send(deps, moved.partner_user_id, build_partner_stage_moved(moved), what="stage DM")


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
            f"I couldn't read *{rest[0]}* as a date. Usage: {PAUSE_USAGE}, e.g. `until 2026-04-01`."
        ) from None


def _confirm_pause_change(request: CommandRequest, change: PairingPauseChange) -> None:
    """Answer the person who paused or resumed the pairing, then DM their partner."""
    request.ack(**build_pairing_pause_confirmation(change))
    partner = change.partner_of(change.actor_user_id or "")
    send(
        request.deps,
        partner,
        build_partner_pairing_paused(change, recipient=partner),
        what="pause DM",
    )


def handle_pairing_pause(request: CommandRequest) -> None:
    """``/mentor pause @partner [until YYYY-MM-DD]``: pause that one pairing."""
    deps = request.deps
    try:
        until = _pause_date(request.args[1:])
        with deps.session() as session:
            change = pause_pairing(
                session,
                team_id=request.team_id,
                user_id=request.user_id,
                hint=request.args[0],
                until=until,
                now=deps.now(),
            )
    except UserError as error:
        ack_problem(request.ack, error)
        return
    _confirm_pause_change(request, change)


def handle_pairing_resume(request: CommandRequest) -> None:
    """``/mentor resume @partner``: run that one pairing again."""
    deps = request.deps
    try:
        if len(request.args) > 1:
            raise UserError(f"Usage: `{COMMAND} resume @partner`.")
        with deps.session() as session:
            change = resume_pairing(
                session,
                team_id=request.team_id,
                user_id=request.user_id,
                hint=request.args[0],
                now=deps.now(),
            )
    except UserError as error:
        ack_problem(request.ack, error)
        return
    _confirm_pause_change(request, change)


def register(app: App, router: CommandRouter) -> None:
    """Listen for ``/mentor stage`` and its select."""
    router.add(STAGE, legacy(handle_stage_command))
    app.action(ActionId.STAGE_MOVE.value)(handle_stage_select)
