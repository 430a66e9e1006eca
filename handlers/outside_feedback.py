"""Outside feedback: ``/mentor ask-feedback @colleague [question]``, the colleague's DM and modal.

The mentee checks the request in a small modal (question, a goal to rate, which mentor may see
it) before it goes. The colleague answers or declines from their DM; the answer goes to the
mentee only, with a button to share it with their mentor. Requests expire after 14 days
(``scheduler.jobs.expire_outside_feedback``).
"""

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.commands import Subcommand
from bot.deps import Deps
from bot.directory import cached_names
from bot.errors import FieldErrors, UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.outside_feedback import (
    answer_request,
    ask_context,
    ask_for_feedback,
    decline_request,
    request_to_answer,
    share_with_mentor,
    withdraw_request,
)
from bot.services.pair_state import mentioned_user
from bot.views.forms import FormState
from bot.views.notice import build_notice
from bot.views.outside_feedback import (
    build_answer_dm,
    build_ask_failed,
    build_ask_modal,
    build_ask_sent,
    build_declined_dm,
    build_feedback_modal,
    build_request_closed,
    build_request_dm,
    build_shared_dm,
)
from handlers.commands import CommandRouter
from handlers.legacy import (
    CommandRequest,
    ack_field_errors,
    ack_problem,
    clicked_value,
    id_from,
    legacy,
    person_tz,
    send,
    team_of,
    user_of,
    view_metadata,
)
from handlers.plans import refuse, show

log = logging.getLogger(__name__)

ASK = Subcommand(
    "ask-feedback",
    "ask-feedback @colleague [question]",
    "Mentees: ask someone outside the program for a short feedback note.",
)
USAGE = "Name who to ask: `/mentor ask-feedback @colleague How did my demo land?`"


def _message_ref(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The DM message a button was clicked in."""
    container = body.get("container") or {}
    if container.get("type") != "message":
        return None, None
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel, container.get("message_ts")


def _update(deps: Deps, channel: str | None, ts: str | None, message: dict[str, Any]) -> None:
    if not channel or not ts:
        return
    try:
        deps.gateway.update_message(channel, ts, message)
    except SlackCallError as exc:
        log.warning("feedback DM not updated", extra={"error": exc.error})


# --- the mentee asks -----------------------------------------------------------------------------


def handle_ask_command(request: CommandRequest) -> None:
    """Check whom the mentee asks, then open the ask modal."""
    colleague = mentioned_user(request.args[0]) if request.args else None
    if colleague is None:
        ack_problem(request.ack, UserError(USAGE))
        return
    deps = request.deps
    try:
        with deps.session() as session:
            person = deps.directory.get(session, team_id=request.team_id, user_id=colleague)
            if person.deleted:
                raise UserError(f"<@{colleague}> is no longer in this workspace.")
            ask = ask_context(
                session,
                team_id=request.team_id,
                user_id=request.user_id,
                colleague_user_id=colleague,
                question=" ".join(request.args[1:]),
                colleague_is_bot=person.is_bot,
            )
            names = cached_names(
                session,
                team_id=request.team_id,
                user_ids=[c.partner_user_id for c in ask.pairings],
            )
    except FieldErrors as error:
        ack_problem(request.ack, UserError(str(error)))
        return
    except UserError as error:
        ack_problem(request.ack, error)
        return
    except SlackCallError:
        ack_problem(request.ack, UserError("Slack didn't answer just now; please try again."))
        return
    request.ack()
    try:
        deps.gateway.open_modal(request.trigger_id, build_ask_modal(ask, names=names))
    except SlackCallError as exc:
        log.warning("ask modal not opened", extra={"error": exc.error})


def handle_ask_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    """Store the request and DM the colleague; the modal says where it went."""
    team_id, user_id, meta = team_of(body), user_of(body), view_metadata(view)
    state = FormState(view)
    pairing, goal = state.option(BlockId.PAIRING), state.option(BlockId.OUTSIDE_FEEDBACK_GOAL)
    try:
        with deps.session() as session:
            request = ask_for_feedback(
                session,
                team_id=team_id,
                user_id=user_id,
                colleague_user_id=str(meta.get("colleague") or ""),
                pairing_id=None if pairing is None else id_from(pairing, "That pair"),
                goal_id=None if goal is None else id_from(goal, "That goal"),
                question=state.text(BlockId.OUTSIDE_FEEDBACK_QUESTION),
                now=deps.now(),
            )
            mentee_tz = person_tz(deps, session, team_id=team_id, user_id=user_id)
            colleague_tz = person_tz(
                deps, session, team_id=team_id, user_id=request.colleague_user_id
            )
    except FieldErrors as errors:
        ack_field_errors(ack, errors)
        return
    except UserError as error:
        ack_field_errors(ack, FieldErrors({BlockId.OUTSIDE_FEEDBACK_QUESTION: str(error)}))
        return
    ack(response_action="update", view=build_ask_sent(request, tz=mentee_tz))
    if send(
        deps, request.colleague_user_id, build_request_dm(request, tz=colleague_tz), what="request"
    ):
        return
    # The colleague never got it: withdraw it, so the mentee can ask again (or someone else).
    with deps.session() as session:
        withdraw_request(session, team_id=team_id, request_id=request.id)
    send(deps, user_id, build_ask_failed(request), what="request failure notice")


# --- the colleague answers -----------------------------------------------------------------------


def handle_give(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The colleague's "Give feedback" button: open the feedback modal."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            request = request_to_answer(
                session,
                team_id=team_id,
                user_id=user_id,
                request_id=id_from(clicked_value(body), "That feedback request"),
                now=deps.now(),
            )
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    channel, ts = _message_ref(body)
    show(deps, body, build_feedback_modal(request, channel=channel, ts=ts))


def handle_decline(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The colleague declines: their DM says so, and the mentee is told politely."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            request = decline_request(
                session,
                team_id=team_id,
                user_id=user_id,
                request_id=id_from(clicked_value(body), "That feedback request"),
                now=deps.now(),
            )
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    channel, ts = _message_ref(body)
    _update(deps, channel, ts, build_request_closed(request, declined=True))
    send(deps, request.requester_user_id, build_declined_dm(request), what="declined notice")


def handle_feedback_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Store the colleague's note and send it to the mentee only."""
    team_id, user_id, meta = team_of(body), user_of(body), view_metadata(view)
    state = FormState(view)
    try:
        with deps.session() as session:
            request = answer_request(
                session,
                team_id=team_id,
                user_id=user_id,
                request_id=id_from(meta.get("request_id"), "That feedback request"),
                does_well=state.text(BlockId.OUTSIDE_FEEDBACK_DOES_WELL),
                to_change=state.text(BlockId.OUTSIDE_FEEDBACK_TO_CHANGE),
                rating=state.option(BlockId.OUTSIDE_FEEDBACK_RATING),
                now=deps.now(),
            )
    except FieldErrors as errors:
        ack_field_errors(ack, errors)
        return
    except UserError as error:
        ack_field_errors(ack, FieldErrors({BlockId.OUTSIDE_FEEDBACK_DOES_WELL: str(error)}))
        return
    ack()
    _update(
        deps, meta.get("channel"), meta.get("ts"), build_request_closed(request, declined=False)
    )
    send(deps, request.requester_user_id, build_answer_dm(request), what="outside feedback answer")


# --- the mentee shares -----------------------------------------------------------------------


def handle_share(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The mentee shares the answer with their mentor (once)."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            request, first = share_with_mentor(
                session,
                team_id=team_id,
                user_id=user_id,
                request_id=id_from(clicked_value(body), "That feedback"),
            )
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    if not first:
        _tell(respond, f"You've shared this with <@{request.mentor_user_id}> already.")
        return
    send(deps, request.mentor_user_id, build_shared_dm(request), what="shared outside feedback")
    channel, ts = _message_ref(body)
    _update(deps, channel, ts, build_answer_dm(request))


def _tell(respond: Respond, text: str) -> None:
    try:
        respond(**build_notice(text), replace_original=False)
    except Exception as exc:  # a spent response_url must not raise into Bolt
        log.warning("notice not shown", extra={"error": repr(exc)})


def register(app: App, router: CommandRouter) -> None:
    """Listen for the ask command, the colleague's buttons and both modals."""
    router.add(ASK, legacy(handle_ask_command))
    app.action(ActionId.OUTSIDE_FEEDBACK_GIVE.value)(handle_give)
    app.action(ActionId.OUTSIDE_FEEDBACK_DECLINE.value)(handle_decline)
    app.action(ActionId.OUTSIDE_FEEDBACK_SHARE.value)(handle_share)
    app.view(CallbackId.OUTSIDE_FEEDBACK_ASK.value)(handle_ask_submission)
    app.view(CallbackId.OUTSIDE_FEEDBACK.value)(handle_feedback_submission)
