"""Structured feedback: ``/mentor feedback``, the "Give feedback" button, the three-part modal."""

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlmodel import Session

from bot.commands import Subcommand
from bot.deps import Deps
from bot.errors import FieldErrors, UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.access import resolve_pairing
from bot.services.feedback import FeedbackForm, SavedFeedback, feedback_target, save_feedback
from bot.views.feedback import build_feedback_message, build_feedback_modal, build_feedback_sent
from bot.views.forms import FormState
from bot.views.notice import build_notice
from handlers.commands import CommandRequest, CommandRouter
from handlers.common import ack_field_errors, ack_problem, team_of, user_of

log = logging.getLogger(__name__)

FEEDBACK = Subcommand(
    "feedback",
    "feedback [@partner]",
    "Give your partner feedback on your last session: what went well, what to change, one action.",
)
SLOW_SLACK = "Slack didn't open the form in time. Please try again."
OUT_OF_DATE = "This form is out of date. Close it and start again."


# --- shared by the pair-journey surfaces of this package -------------------------------------


def user_tz(deps: Deps, session: Session, *, team_id: str, user_id: str) -> str:
    """The person's Slack timezone; UTC when Slack can't say right now."""
    try:
        return deps.directory.get(session, team_id=team_id, user_id=user_id).tz
    except (SlackCallError, UserError) as error:
        log.warning("timezone unknown", extra={"user_id": user_id, "error": str(error)})
        return "UTC"


def tell(deps: Deps, body: dict[str, Any], respond: Respond | None, text: str) -> None:
    """Show a problem to the person who clicked: privately where they clicked, else by DM."""
    notice = build_notice(text, problem=True)
    if respond is not None and body.get("response_url"):
        try:
            respond(**notice, response_type="ephemeral", replace_original=False)
            return
        # A dead response_url (5 uses, 30 minutes) must not hide the problem: fall back to a DM.
        except Exception as error:
            log.warning("response_url failed", extra={"error": repr(error)})
    send(deps, user_of(body), notice, what="notice")


def send(deps: Deps, channel: str, message: dict[str, Any], *, what: str) -> str | None:
    """Post a message; a Slack failure is logged, never raised to the person."""
    try:
        return deps.gateway.post_message(channel, message)
    except SlackCallError as error:
        log.warning(
            "message not sent", extra={"what": what, "channel": channel, "error": error.error}
        )
        return None


def open_modal(deps: Deps, trigger_id: str, view: dict[str, Any], *, what: str) -> bool:
    """Open a modal right away (trigger ids live 3 seconds); False when Slack refused."""
    try:
        deps.gateway.open_modal(trigger_id, view)
    except SlackCallError as error:
        log.warning("modal not opened", extra={"what": what, "error": error.error})
        return False
    return True


def open_then_ack(request: CommandRequest, view: dict[str, Any], *, what: str) -> None:
    """Open the modal first, so a failure can still be answered in the command's ack."""
    if open_modal(request.deps, request.trigger_id, view, what=what):
        request.ack()
    else:
        request.ack(**build_notice(SLOW_SLACK, problem=True))


def whole_number(value: str) -> int:
    """A button value's number; an out-of-date button otherwise."""
    try:
        return int(value)
    except ValueError:
        raise UserError("That button is out of date.") from None


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """A modal's private_metadata as a dict."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        raise UserError(OUT_OF_DATE) from None
    if not isinstance(data, dict):
        raise UserError(OUT_OF_DATE)
    return data


# --- feedback ---------------------------------------------------------------------------------


def handle_feedback_command(request: CommandRequest) -> None:
    """``/mentor feedback [@partner]``: the modal for the pair's most recent held session."""
    deps = request.deps
    try:
        with deps.session() as session:
            choice = resolve_pairing(
                session,
                team_id=request.team_id,
                user_id=request.user_id,
                hint=" ".join(request.args),
            )
            assert choice.pairing.id is not None
            target = feedback_target(
                session,
                team_id=request.team_id,
                user_id=request.user_id,
                pairing_id=choice.pairing.id,
            )
            tz = user_tz(deps, session, team_id=request.team_id, user_id=request.user_id)
    except UserError as error:
        ack_problem(request.ack, error)
        return
    open_then_ack(request, build_feedback_modal(target, tz=tz), what="feedback modal")


def handle_feedback_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    """ "Give feedback" on a session (value: the meeting id)."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        meeting_id = whole_number(str(action.get("value") or ""))
        with deps.session() as session:
            target = feedback_target(
                session, team_id=team_id, user_id=user_id, meeting_id=meeting_id
            )
            tz = user_tz(deps, session, team_id=team_id, user_id=user_id)
    except UserError as error:
        tell(deps, body, respond, str(error))
        return
    open_modal(deps, body["trigger_id"], build_feedback_modal(target, tz=tz), what="feedback")


def handle_feedback_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Store the three parts (each required), then DM them to the partner."""
    team_id, user_id = team_of(body), user_of(body)
    state = FormState(view)
    form = FeedbackForm(
        went_well=state.text(BlockId.FEEDBACK_WENT_WELL),
        needs_change=state.text(BlockId.FEEDBACK_NEEDS_CHANGE),
        next_action=state.text(BlockId.FEEDBACK_NEXT_ACTION),
    )
    try:
        meta = metadata(view)
        meeting_id = meta.get("meeting_id")
        with deps.session() as session:
            saved = save_feedback(
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=int(meta["pairing_id"]),
                meeting_id=int(meeting_id) if meeting_id is not None else None,
                form=form,
                now=deps.now(),
            )
    except FieldErrors as errors:
        ack_field_errors(ack, errors)
        return
    except (UserError, KeyError, ValueError, TypeError) as error:
        text = str(error) if isinstance(error, UserError) else OUT_OF_DATE
        ack_field_errors(ack, FieldErrors({BlockId.FEEDBACK_WENT_WELL: text}))
        return
    ack(response_action="update", view=build_feedback_sent(saved))
    deps.after_ack(_deliver(deps, team_id, saved))


def _deliver(deps: Deps, team_id: str, saved: SavedFeedback) -> Callable[[], None]:
    def deliver() -> None:
        with deps.session() as session:
            tz = user_tz(deps, session, team_id=team_id, user_id=saved.to_user_id)
        send(deps, saved.to_user_id, build_feedback_message(saved, tz=tz), what="feedback")

    return deliver


def register(app: App, router: CommandRouter) -> None:
    """Listen for feedback's command, button and modal."""
    router.add(FEEDBACK, handle_feedback_command)
    app.action(ActionId.FEEDBACK_OPEN.value)(handle_feedback_button)
    app.view(CallbackId.FEEDBACK.value)(handle_feedback_submission)
