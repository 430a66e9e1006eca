"""Structured feedback: ``/mentor feedback``, the "Give feedback" button, the three-part modal."""

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlmodel import Session

from bot.commands import Subcommand
from bot.deps import Deps
from bot.errors import FieldErrors, UserError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.feedback import FeedbackForm, SavedFeedback, feedback_target, save_feedback
from bot.views.feedback import build_feedback_message, build_feedback_modal, build_feedback_sent
from bot.views.forms import FormState
from handlers.commands import CommandRequest, CommandRouter
from handlers.common import (
    OUT_OF_DATE,
    ack_field_errors,
    id_from,
    open_modal,
    open_pair_modal_from_command,
    person_tz,
    send,
    team_of,
    tell,
    user_of,
    view_metadata,
)
from storage.models import Pairing, Program

FEEDBACK = Subcommand(
    "feedback",
    "feedback [@partner]",
    "Give your partner feedback on your last session: what went well, what to change, one action.",
)
SLOW_SLACK = "Slack didn't open the form in time. Please try again."


def _feedback_modal(
    deps: Deps, session: Session, *, team_id: str, user_id: str, pairing: Pairing, program: Program
) -> dict[str, Any]:
    """The modal for the pair's most recent held session."""
    assert pairing.id is not None
    target = feedback_target(session, team_id=team_id, user_id=user_id, pairing_id=pairing.id)
    return build_feedback_modal(
        target, tz=person_tz(deps, session, team_id=team_id, user_id=user_id)
    )


def handle_feedback_command(request: CommandRequest) -> None:
    """``/mentor feedback [@partner]``: the modal for the pair's most recent held session."""
    open_pair_modal_from_command(request, _feedback_modal, slow_slack=SLOW_SLACK)


def handle_feedback_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    """ "Give feedback" on a session (value: the meeting id)."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        meeting_id = id_from(action.get("value") or "")
        with deps.session() as session:
            target = feedback_target(
                session, team_id=team_id, user_id=user_id, meeting_id=meeting_id
            )
            tz = person_tz(deps, session, team_id=team_id, user_id=user_id)
    except UserError as error:
        tell(deps, body, respond, error)
        return
    open_modal(deps, body["trigger_id"], build_feedback_modal(target, tz=tz))


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
        meta = view_metadata(view)
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
            tz = person_tz(deps, session, team_id=team_id, user_id=saved.to_user_id)
        send(deps, saved.to_user_id, build_feedback_message(saved, tz=tz), what="feedback")

    return deliver


def register(app: App, router: CommandRouter) -> None:
    """Listen for feedback's command, button and modal."""
    router.add(FEEDBACK, handle_feedback_command)
    app.action(ActionId.FEEDBACK_OPEN.value)(handle_feedback_button)
    app.view(CallbackId.FEEDBACK.value)(handle_feedback_submission)
