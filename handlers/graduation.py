"""Graduation: ``/mentor graduate``, the "Add my part" button, the review modal, the celebration.

Every message the review leads to goes through the outbox: the partner's request for their part,
the confirmation to the person whose part is in, the pair's celebration and the public one.
"""

from dataclasses import replace

from slack_bolt import App

from bot.commands import Subcommand
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.graduation import (
    Graduated,
    GraduationResult,
    GraduationReview,
    graduation_review,
    graduation_review_for,
    submit_graduation,
)
from bot.views.graduation import (
    build_celebration,
    build_graduation_modal,
    build_graduation_request,
    build_graduation_waiting,
    build_public_celebration,
    read_graduation,
)
from bot.views.notice import build_notice
from handlers.commands import CommandRouter
from handlers.common import message_to
from handlers.listeners import (
    Answer,
    Click,
    Closing,
    Command,
    Interaction,
    Modal,
    Reply,
    Submission,
    on_click,
    on_submit,
)
from scheduler.outbox import Planned

GRADUATE = Subcommand(
    "graduate",
    "graduate [@partner]",
    "Close your mentoring: review your goals together, celebrate, choose what's next.",
)


def _review(review: GraduationReview | Graduated) -> Answer:
    """The review modal; a pair that graduated already is congratulated again instead."""
    if isinstance(review, Graduated):
        return Reply(build_notice(review.text))
    return Modal(build_graduation_modal(review))


def show_graduation(command: Command) -> Answer:
    """``/mentor graduate [@partner]``: the review of the pairing the words mean."""
    with command.deps.read() as session:
        review = graduation_review(
            session, team_id=command.team_id, user_id=command.user_id, hint=command.words
        )
    return _review(review)


def show_graduation_of_pair(click: Click) -> Answer:
    """ "Add my part" and "Review and graduate" (value: the pairing id): the same review."""
    with click.deps.read() as session:
        review = graduation_review_for(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            pairing_id=click.id("That mentoring pair"),
        )
    return _review(review)


def save_graduation(form: Submission) -> Closing:
    """Store the person's part; ask the partner for theirs, or graduate and celebrate."""
    pairing_id = form.meta_id("pairing_id", "That mentoring pair")
    answers = read_graduation(form.view)
    with form.deps.session() as session:
        result = submit_graduation(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            pairing_id=pairing_id,
            answers=answers,
            now=form.now(),
        )
        planned = _celebrations(form, result) if result.completed else _parts(form, result)
        form.send(session, *planned)
    return None


def _parts(i: Interaction, result: GraduationResult) -> list[Planned]:
    """One part is in: the partner is asked for theirs (once), the actor told it is in."""
    planned = []
    if result.first_part:
        planned.append(
            message_to(
                i,
                to=result.partner_user_id,
                rule="graduation_request",
                message=build_graduation_request(result),
                what="your request for their graduation part",
                pairing_id=result.pairing_id,
                program_id=result.program_id,
            )
        )
    planned.append(
        message_to(
            i,
            to=result.actor_user_id,
            rule="graduation_waiting",
            message=build_graduation_waiting(result),
            what="your graduation confirmation",
            pairing_id=result.pairing_id,
            program_id=result.program_id,
        )
    )
    return planned


def _celebrations(i: Interaction, result: GraduationResult) -> list[Planned]:
    """The pair's celebration in their conversation (a new group DM of both if they have none
    yet) and, when both chose a channel, the public one in the mentee's choice."""
    if result.conversation_id:
        celebration = message_to(
            i,
            to=result.conversation_id,
            rule="graduation_celebration",
            message=build_celebration(result),
            what="your graduation celebration",
            pairing_id=result.pairing_id,
            program_id=result.program_id,
        )
    else:
        celebration = message_to(
            i,
            to=result.mentor_user_id,
            rule="graduation_celebration",
            message=build_celebration(result),
            what="your graduation celebration",
            pairing_id=result.pairing_id,
            program_id=result.program_id,
            members=(result.mentor_user_id, result.mentee_user_id),
            conversation_of=(result.pairing_id,),
        )
    planned = [celebration]
    if result.channel_id:
        public = message_to(
            i,
            to=result.channel_id,
            rule="graduation_public",
            message=build_public_celebration(result),
            what="the news of your graduation",
            pairing_id=result.pairing_id,
            program_id=result.program_id,
        )
        # The channel is the mentee's choice: they hear if the bot can't post there.
        planned.append(replace(public, sender_id=result.mentee_user_id))
    return planned


def register(app: App, router: CommandRouter) -> None:
    """Listen for ``/mentor graduate``, its button and its modal."""
    router.add(GRADUATE, show_graduation)
    on_click(app, ActionId.GRADUATION_OPEN, show_graduation_of_pair)
    on_submit(app, CallbackId.GRADUATION, save_graduation, errors_at=BlockId.GRADUATION_AFTER)
