"""Graduation: ``/mentor graduate``, the "Add my part" button, the review modal, the celebration."""

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.commands import Subcommand
from bot.deps import Deps
from bot.errors import UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.graduation import (
    AlreadyGraduated,
    GraduationResult,
    graduation_review,
    graduation_review_for,
    submit_graduation,
)
from bot.services.pairing import record_conversation
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
from handlers.legacy import (
    CommandRequest,
    ack_form_error,
    ack_problem,
    clicked_value,
    id_from,
    legacy,
    open_modal,
    open_modal_then_ack,
    send,
    team_of,
    tell,
    user_of,
)

log = logging.getLogger(__name__)

GRADUATE = Subcommand(
    "graduate",
    "graduate [@partner]",
    "Close your mentoring: review your goals together, celebrate, choose what's next.",
)
STALE = "This form is out of date. Close it and start again with `/mentor graduate`."


def handle_graduate_command(request: CommandRequest) -> None:
    """Open the graduation review for the pairing the person means."""
    deps = request.deps
    try:
        with deps.session() as session:
            review = graduation_review(
                session,
                team_id=request.team_id,
                user_id=request.user_id,
                hint=" ".join(request.args),
            )
    except AlreadyGraduated as done:
        request.ack(**build_notice(str(done)))
        return
    except UserError as error:
        ack_problem(request.ack, error)
        return
    open_modal_then_ack(request, build_graduation_modal(review))


def handle_graduation_open(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The partner's "Add my part" button: open the same review."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        pairing_id = id_from(clicked_value(body))
        with deps.session() as session:
            review = graduation_review_for(
                session, team_id=team_id, user_id=user_id, pairing_id=pairing_id
            )
    except AlreadyGraduated as done:
        tell(deps, body, respond, done, problem=False)
        return
    except UserError as error:
        tell(deps, body, respond, error)
        return
    open_modal(deps, body["trigger_id"], build_graduation_modal(review))


def handle_graduation_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Store the person's part; ask the partner for theirs, or graduate and celebrate."""
    team_id, user_id = team_of(body), user_of(body)
    try:
        pairing_id, answers = read_graduation(view)
    except (ValueError, KeyError, TypeError):
        ack(response_action="errors", errors={BlockId.GRADUATION_AFTER: STALE})
        return
    try:
        with deps.session() as session:
            result = submit_graduation(
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=pairing_id,
                answers=answers,
                now=deps.now(),
            )
    except UserError as error:
        ack_form_error(ack, error, block_id=BlockId.GRADUATION_AFTER)
        return
    ack()
    if result.completed:
        celebrate(deps, team_id=team_id, result=result)
        return
    if result.first_part:
        send(
            deps,
            result.partner_user_id,
            build_graduation_request(result),
            what="graduation request",
        )
    send(
        deps,
        result.actor_user_id,
        build_graduation_waiting(result),
        what="graduation confirmation",
    )


def celebrate(deps: Deps, *, team_id: str, result: GraduationResult) -> None:
    """Celebrate with the pair in their conversation and, if both agreed, in a channel."""
    channel = result.conversation_id
    if channel is None:
        try:
            channel = deps.gateway.open_conversation(result.user_ids)
        except SlackCallError as exc:
            log.warning("pair conversation not opened", extra={"error": exc.error})
        else:
            with deps.session() as session:
                record_conversation(session, pairing_ids=[result.pairing_id], channel_id=channel)
    delivered = (
        channel is not None
        and send(deps, channel, build_celebration(result), what="celebration") is not None
    )
    if not delivered:
        for user in result.user_ids:  # each of them still hears it
            send(deps, user, build_celebration(result), what="celebration")
    if result.channel_id and (
        send(deps, result.channel_id, build_public_celebration(result), what="public celebration")
        is None
    ):
        send(
            deps,
            result.mentee_user_id,
            build_notice(
                f"I couldn't post your graduation in <#{result.channel_id}>: invite me there "
                "first (`/invite` and my name), then share the news yourself.",
                problem=True,
            ),
            what="celebration notice",
        )


def register(app: App, router: CommandRouter) -> None:
    """Listen for ``/mentor graduate``, its button and its modal."""
    router.add(GRADUATE, legacy(handle_graduate_command))
    app.action(ActionId.GRADUATION_OPEN.value)(handle_graduation_open)
    app.view(CallbackId.GRADUATION.value)(handle_graduation_submission)
