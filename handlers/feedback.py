"""Structured feedback: ``/mentor feedback``, the "Give feedback" button, the three-part modal."""

from slack_bolt import App

from bot.commands import Subcommand
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.feedback import FeedbackForm, feedback_target, save_feedback
from bot.views.feedback import build_feedback_message, build_feedback_modal, build_feedback_sent
from handlers.commands import CommandRouter
from handlers.common import message_to
from handlers.listeners import (
    Answer,
    Click,
    Closing,
    Interaction,
    Modal,
    PairFrom,
    Submission,
    Update,
    on_click,
    on_submit,
)

FEEDBACK = Subcommand(
    "feedback",
    "feedback [@partner]",
    "Give your partner feedback on your last session: what went well, what to change, one action.",
)


def show_feedback_form(i: Interaction) -> Answer:
    """``/mentor feedback [@partner]``: the modal for the pair's most recent held session."""
    tz = i.tz()
    with i.deps.read() as session:
        target = feedback_target(
            session, team_id=i.team_id, user_id=i.user_id, pairing_id=i.pair.id
        )
    return Modal(build_feedback_modal(target, tz=tz))


def show_feedback_form_for_session(click: Click) -> Answer:
    """ "Give feedback" on a session (value: the meeting id)."""
    meeting_id = click.id()
    tz = click.tz()
    with click.deps.read() as session:
        target = feedback_target(
            session, team_id=click.team_id, user_id=click.user_id, meeting_id=meeting_id
        )
    return Modal(build_feedback_modal(target, tz=tz))


def save_feedback_form(form: Submission) -> Closing:
    """Store the three parts (each required); the partner gets them through the outbox."""
    state = form.state
    answers = FeedbackForm(
        went_well=state.text(BlockId.FEEDBACK_WENT_WELL),
        needs_change=state.text(BlockId.FEEDBACK_NEEDS_CHANGE),
        next_action=state.text(BlockId.FEEDBACK_NEXT_ACTION),
    )
    meeting_id = form.metadata.get("meeting_id")
    partner = form.pair.partner_user_id
    partner_tz = form.deps.directory.tz(team_id=form.team_id, user_id=partner, max_age=None)
    with form.deps.session() as session:
        saved = save_feedback(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            pairing_id=form.pair.id,
            meeting_id=None if meeting_id is None else form.meta_id("meeting_id", "That session"),
            form=answers,
            now=form.now(),
        )
        form.send(
            session,
            message_to(
                form,
                to=saved.to_user_id,
                rule="feedback",
                message=build_feedback_message(saved, tz=partner_tz),
                what="your feedback",
                pairing_id=saved.pairing_id,
                program_id=form.pair.program.id,
            ),
        )
    return Update(build_feedback_sent(saved))


def register(app: App, router: CommandRouter) -> None:
    """Listen for feedback's command, button and modal."""
    router.add(FEEDBACK, show_feedback_form, pair=True)
    on_click(app, ActionId.FEEDBACK_OPEN, show_feedback_form_for_session)
    on_submit(
        app,
        CallbackId.FEEDBACK,
        save_feedback_form,
        pair=PairFrom.METADATA,
        errors_at=BlockId.FEEDBACK_WENT_WELL,
    )
