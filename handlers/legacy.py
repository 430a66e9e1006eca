"""TEMPORARY: the old per-handler helpers, while handler modules move to ``handlers.listeners``."""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from slack_bolt import Ack, Respond
from sqlmodel import Session

from bot.deps import Deps
from bot.errors import FieldErrors, NotFound, UserError
from bot.gateway import SlackCallError
from bot.services.access import pairing_for, resolve_pairing
from bot.services.leads import require_lead
from bot.services.programs import get_program_by_id
from bot.views.notice import build_notice
from handlers.listeners import Answer, Command
from storage.models import Pairing, Program

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """One ``/mentor`` invocation, parsed, with what a subcommand handler needs to answer it."""

    ack: Any
    respond: Any
    deps: Deps
    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    args: tuple[str, ...]


def legacy(handler: Callable[[CommandRequest], None]) -> Callable[[Command], Answer]:
    """Run an old-style subcommand handler on an already-acked command."""

    def run(command: Command) -> Answer:
        def ack(*args: Any, **kwargs: Any) -> None:
            if kwargs or args:
                command.answer(dict(kwargs) if kwargs else {"text": args[0]})

        def respond(*args: Any, **kwargs: Any) -> None:
            command.answer(dict(kwargs) if kwargs else {"text": args[0]})

        handler(
            CommandRequest(
                ack=ack,
                respond=respond,
                deps=command.deps,
                team_id=command.team_id,
                user_id=command.user_id,
                channel_id=command.channel_id or "",
                trigger_id=command.trigger_id,
                args=command.args,
            )
        )
        return None

    run.__name__ = getattr(handler, "__name__", "legacy")
    return run


SLOW_SLACK = "Slack didn't let me open the form in time. Please try again."
OUT_OF_DATE = "This form is out of date. Close it and start again."
STALE_BUTTON = "That button is out of date."


# --- answering -----------------------------------------------------------------------------------


def ack_problem(ack: Ack, error: UserError) -> None:
    """Answer a command or button with the error's text, privately."""
    ack(**build_notice(str(error), problem=True))


def ack_field_errors(ack: Ack, error: FieldErrors) -> None:
    """Keep the modal open and show each message under its field."""
    ack(response_action="errors", errors=error.errors)


def ack_form_error(ack: Ack, error: UserError, *, block_id: str) -> None:
    """Keep the modal open: field errors under their fields, other refusals under ``block_id``."""
    if isinstance(error, FieldErrors):
        ack_field_errors(ack, error)
    else:
        ack_field_errors(ack, FieldErrors({block_id: str(error)}))


def send(deps: Deps, channel: str, message: dict[str, Any], *, what: str) -> str | None:
    """Post a message (a user id: their DM) and return its ts; a Slack failure is only logged."""
    try:
        return deps.gateway.post_message(channel, message)
    except SlackCallError as error:
        log.warning(
            "message not sent", extra={"what": what, "channel": channel, "error": error.error}
        )
        return None


def tell(
    deps: Deps,
    body: dict[str, Any],
    respond: Respond | None,
    error: UserError | str,
    *,
    problem: bool = True,
) -> None:
    """Tell the clicker privately: through ``respond``, else in the channel, else by DM."""
    notice = build_notice(str(error), problem=problem)
    user_id = user_of(body)
    if respond is not None and body.get("response_url"):
        try:
            respond(**notice, response_type="ephemeral", replace_original=False)
            return
        # A dead response_url (5 uses, 30 minutes) must not hide the problem: fall back.
        except Exception as exc:
            log.warning("response_url failed", extra={"error": repr(exc)})
    channel = body.get("channel")
    channel_id = channel.get("id") if isinstance(channel, dict) else None
    if channel_id:
        try:
            deps.gateway.post_ephemeral(str(channel_id), user_id, notice)
            return
        except SlackCallError:
            pass  # The bot may not be in that channel; a DM always reaches the person.
    send(deps, user_id, notice, what="notice")


# --- modals --------------------------------------------------------------------------------------


def open_modal(deps: Deps, trigger_id: str, view: dict[str, Any], *, push: bool = False) -> bool:
    """Open (or push) a modal right away (trigger ids live 3 s); False, logged, if Slack refused."""
    try:
        if push:
            deps.gateway.push_modal(trigger_id, view)
        else:
            deps.gateway.open_modal(trigger_id, view)
    except SlackCallError as error:
        log.warning(
            "modal not opened", extra={"callback_id": view.get("callback_id"), "error": error.error}
        )
        return False
    return True


def open_modal_then_ack(
    request: CommandRequest, view: dict[str, Any], *, slow_slack: str = SLOW_SLACK
) -> None:
    """Open the modal first, so Slack refusing it can still be answered in the command's ack."""
    if open_modal(request.deps, request.trigger_id, view):
        request.ack()
    else:
        request.ack(**build_notice(slow_slack, problem=True))


# --- reading payloads ----------------------------------------------------------------------------


def team_of(body: dict[str, Any]) -> str:
    """The workspace id of an interaction payload or command."""
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    user = body.get("user")
    if isinstance(user, dict) and user.get("team_id"):
        return str(user["team_id"])
    return str(body.get("team_id", ""))


def user_of(body: dict[str, Any]) -> str:
    """The acting user's id of an interaction payload or command."""
    user = body.get("user")
    if isinstance(user, dict):
        return str(user["id"])
    return str(body.get("user_id", ""))


def clicked_value(body: dict[str, Any]) -> str:
    """The value of the button (or the chosen option) an interaction carries."""
    try:
        action = body["actions"][0]
    except (KeyError, IndexError, TypeError):
        return ""
    selected = action.get("selected_option") or {}
    return str(action.get("value") or selected.get("value") or "")


def id_from(value: object, what: str | None = None) -> int:
    """An id from a button value or private_metadata; junk: ``what`` is gone, or a stale button."""
    try:
        return int(str(value))
    except ValueError:
        if what is None:
            raise UserError(STALE_BUTTON) from None
        raise NotFound(f"{what} no longer exists.") from None


def view_metadata(view: dict[str, Any] | None) -> dict[str, Any]:
    """A modal's private_metadata as a dict ({} when it is missing or unreadable)."""
    try:
        meta = json.loads((view or {}).get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def first_input(view: dict[str, Any], fallback: str) -> str:
    """The first input block of a view: where a refusal shows when no field is to blame."""
    for block in view.get("blocks", []):
        if block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return fallback


# --- people and pairs ----------------------------------------------------------------------------


def person_tz(deps: Deps, session: Session, *, team_id: str, user_id: str) -> str:
    """The person's Slack timezone; UTC when Slack can't tell us right now."""
    try:
        return deps.directory.tz(team_id=team_id, user_id=user_id, max_age=None)
    except (SlackCallError, UserError) as error:
        log.warning("timezone unknown, using UTC", extra={"user_id": user_id, "error": str(error)})
        return "UTC"


def person_name(deps: Deps, session: Session, *, team_id: str, user_id: str) -> str:
    """The person's real name, for plain text where mentions can't render ('' if unknown)."""
    try:
        return deps.directory.name(team_id=team_id, user_id=user_id)
    except (SlackCallError, UserError):
        return ""


def check_lead(
    deps: Deps, session: Session, *, program: Program, user_id: str, action: str
) -> None:
    """Raise Forbidden unless ``user_id`` is a workspace admin or one of the program's leads."""
    is_admin = deps.directory.person(
        team_id=program.team_id, user_id=user_id, max_age=None
    ).is_admin
    require_lead(session, program=program, user_id=user_id, is_admin=is_admin, action=action)


def pairing_and_program(
    session: Session, *, team_id: str, user_id: str, pairing_id: object
) -> tuple[Pairing, Program]:
    """The pairing (only for someone in it) and its program."""
    pairing = pairing_for(
        session, team_id=team_id, user_id=user_id, pairing_id=id_from(pairing_id, "That pair")
    )
    return pairing, get_program_by_id(session, team_id=team_id, program_id=pairing.program_id)


class PairModalBuilder(Protocol):
    """Builds a pair's modal for ``user_id``, inside the unit of work; refuses with UserError."""

    def __call__(
        self,
        deps: Deps,
        session: Session,
        *,
        team_id: str,
        user_id: str,
        pairing: Pairing,
        program: Program,
    ) -> dict[str, Any]: ...


def open_pair_modal_from_command(
    request: CommandRequest, build: PairModalBuilder, *, slow_slack: str | None = None
) -> None:
    """``/mentor X [@partner]``: the pairing the words mean, its modal built, then opened.

    With ``slow_slack`` the modal opens before the ack, so Slack refusing it is answered with
    that text; without, the command is acked first and a refusal is only logged.
    """
    deps = request.deps
    try:
        with deps.session() as session:
            choice = resolve_pairing(
                session,
                team_id=request.team_id,
                user_id=request.user_id,
                hint=" ".join(request.args),
            )
            view = build(
                deps,
                session,
                team_id=request.team_id,
                user_id=request.user_id,
                pairing=choice.pairing,
                program=choice.program,
            )
    except UserError as error:
        ack_problem(request.ack, error)
        return
    if slow_slack is None:
        request.ack()
        open_modal(deps, request.trigger_id, view)
    else:
        open_modal_then_ack(request, view, slow_slack=slow_slack)


def open_pair_modal_from_button(
    ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps, build: PairModalBuilder
) -> None:
    """A button whose value is a pairing id: that pair's modal, or the clicker hears why not."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            pairing, program = pairing_and_program(
                session, team_id=team_id, user_id=user_id, pairing_id=clicked_value(body)
            )
            view = build(
                deps, session, team_id=team_id, user_id=user_id, pairing=pairing, program=program
            )
    except UserError as error:
        tell(deps, body, respond, error)
        return
    open_modal(deps, body["trigger_id"], view)
