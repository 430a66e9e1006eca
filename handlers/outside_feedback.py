"""Outside feedback: ``/mentor ask-feedback @colleague [question]``, the colleague's DM and modal.

The mentee checks the request in a small modal (question, a goal to rate, which mentor may see
it) before it goes. The colleague answers or declines from their DM; the answer goes to the
mentee only, with a button to share it with their mentor. Requests expire after 14 days
(``scheduler.jobs.expire_outside_feedback``).

Every message to someone other than the person acting goes through the outbox. The colleague's
request DM is keyed by its request: if the outbox finally gives up on it, the mentee hears so
(the outbox tells the sender) and the request stops counting as open, so they can ask again.
"""

from slack_bolt import App

from bot.commands import Subcommand
from bot.directory import CACHE_TTL, cached_names
from bot.errors import UserError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.outside_feedback import (
    REQUEST_DM_RULE,
    answer_request,
    ask_context,
    ask_for_feedback,
    decline_request,
    request_dm_key,
    request_to_answer,
    share_with_mentor,
)
from bot.services.pair_state import mentioned_user
from bot.views.outside_feedback import (
    build_answer_dm,
    build_ask_modal,
    build_ask_sent,
    build_declined_dm,
    build_feedback_modal,
    build_request_closed,
    build_request_dm,
    build_shared_dm,
)
from handlers.commands import CommandRouter
from handlers.common import message_to
from handlers.listeners import (
    OUT_OF_DATE,
    Answer,
    Click,
    Closing,
    Command,
    Interaction,
    Modal,
    Submission,
    Update,
    id_from,
    on_click,
    on_submit,
    reply,
)

ASK = Subcommand(
    "ask-feedback",
    "ask-feedback @colleague [question]",
    "Mentees: ask someone outside the program for a short feedback note.",
)
USAGE = "Name who to ask: `/mentor ask-feedback @colleague How did my demo land?`"
REQUEST = "That feedback request"


def _colleague_is_bot(i: Interaction, colleague: str, *, fresh: bool) -> bool:
    """Whether the colleague is an app; refuses one Slack says has left the workspace.

    ``fresh``: ask Slack if the cache is a day old (a command, already acked); a submission
    takes the cache as it is, so its ack never waits on Slack.
    """
    person = i.deps.directory.person(
        team_id=i.team_id, user_id=colleague, max_age=CACHE_TTL if fresh else None
    )
    if person.deleted:
        raise UserError(f"<@{colleague}> is no longer in this workspace.")
    return person.is_bot


# --- the mentee asks -----------------------------------------------------------------------------


def show_ask_form(command: Command) -> Answer:
    """Check whom the mentee asks, then open the ask modal."""
    colleague = mentioned_user(command.args[0]) if command.args else None
    if colleague is None:
        raise UserError(USAGE)
    is_bot = _colleague_is_bot(command, colleague, fresh=True)
    with command.deps.read() as session:
        ask = ask_context(
            session,
            team_id=command.team_id,
            user_id=command.user_id,
            colleague_user_id=colleague,
            question=" ".join(command.args[1:]),
            colleague_is_bot=is_bot,
        )
        names = cached_names(
            session, team_id=command.team_id, user_ids=[c.partner_user_id for c in ask.pairings]
        )
    return Modal(build_ask_modal(ask, names=names))


def send_ask(form: Submission) -> Closing:
    """Store the request and queue the colleague's DM; the modal says it is on its way.

    A colleague known to have left is refused here; one who leaves before the DM lands is the
    outbox's to report, and the request then no longer blocks asking again.
    """
    state = form.state
    pairing, goal = state.option(BlockId.PAIRING), state.option(BlockId.OUTSIDE_FEEDBACK_GOAL)
    colleague = str(form.metadata.get("colleague") or "")
    if not colleague:
        raise UserError(OUT_OF_DATE)
    is_bot = _colleague_is_bot(form, colleague, fresh=False)
    mentee_tz = form.tz()
    colleague_tz = form.deps.directory.tz(team_id=form.team_id, user_id=colleague, max_age=None)
    with form.deps.session() as session:
        request = ask_for_feedback(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            colleague_user_id=colleague,
            pairing_id=None if pairing is None else id_from(pairing, "That mentoring pair"),
            goal_id=None if goal is None else id_from(goal, "That goal"),
            question=state.text(BlockId.OUTSIDE_FEEDBACK_QUESTION),
            now=form.now(),
            colleague_is_bot=is_bot,
        )
        # No program: the colleague is no participant, so a failure is no red flag for the
        # program's leads (who must not learn whom a mentee asked); the mentee hears of it.
        form.send(
            session,
            message_to(
                form,
                to=request.colleague_user_id,
                rule=REQUEST_DM_RULE,
                message=build_request_dm(request, tz=colleague_tz),
                what="your feedback request",
                pairing_id=request.pairing_id,
                key=request_dm_key(request.id),
            ),
        )
    return Update(build_ask_sent(request, tz=mentee_tz))


# --- the colleague answers -----------------------------------------------------------------------


def show_feedback_form(click: Click) -> Answer:
    """The colleague's "Give feedback" button (value: request id): open the feedback modal."""
    with click.deps.read() as session:
        request = request_to_answer(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            request_id=click.id(REQUEST),
            now=click.now(),
        )
    return Modal(build_feedback_modal(request, channel=click.channel_id, ts=click.message_ts))


def decline(click: Click) -> Answer:
    """The colleague declines: their DM says so, and the mentee is told politely."""
    with click.deps.session() as session:
        request = decline_request(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            request_id=click.id(REQUEST),
            now=click.now(),
        )
        click.send(
            session,
            message_to(
                click,
                to=request.requester_user_id,
                rule="outside_feedback_declined",
                message=build_declined_dm(request),
                what="your note that you can't give feedback this time",
                pairing_id=request.pairing_id,
                program_id=request.program_id or None,
            ),
        )
    click.update_message(build_request_closed(request, declined=True))
    return None


def save_feedback(form: Submission) -> Closing:
    """Store the colleague's note; it goes to the mentee only, through the outbox."""
    state = form.state
    with form.deps.session() as session:
        request = answer_request(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            request_id=form.meta_id("request_id", REQUEST),
            does_well=state.text(BlockId.OUTSIDE_FEEDBACK_DOES_WELL),
            to_change=state.text(BlockId.OUTSIDE_FEEDBACK_TO_CHANGE),
            rating=state.option(BlockId.OUTSIDE_FEEDBACK_RATING),
            now=form.now(),
        )
        form.send(
            session,
            message_to(
                form,
                to=request.requester_user_id,
                rule="outside_feedback_answer",
                message=build_answer_dm(request),
                what="your feedback",
                pairing_id=request.pairing_id,
                program_id=request.program_id or None,
            ),
        )
    # Take the buttons off the colleague's request DM: stale ones only refuse a second answer.
    channel, ts = form.metadata.get("channel"), form.metadata.get("ts")
    closed = build_request_closed(request, declined=False)
    form.later(lambda: form.replace_message(channel, ts, closed))
    return None


# --- the mentee shares ---------------------------------------------------------------------------


def share(click: Click) -> Answer:
    """The mentee shares the answer with their mentor (once)."""
    with click.deps.session() as session:
        request, first = share_with_mentor(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            request_id=click.id("That feedback"),
        )
        if first:
            click.send(
                session,
                message_to(
                    click,
                    to=request.mentor_user_id,
                    rule="outside_feedback_shared",
                    message=build_shared_dm(request),
                    what="the feedback you shared",
                    pairing_id=request.pairing_id,
                    program_id=request.program_id or None,
                ),
            )
    if not first:
        return reply(f"You've shared this with <@{request.mentor_user_id}> already.")
    click.update_message(build_answer_dm(request))
    return None


def register(app: App, router: CommandRouter) -> None:
    """Listen for the ask command, the colleague's buttons and both modals."""
    router.add(ASK, show_ask_form)
    on_click(app, ActionId.OUTSIDE_FEEDBACK_GIVE, show_feedback_form)
    on_click(app, ActionId.OUTSIDE_FEEDBACK_DECLINE, decline)
    on_click(app, ActionId.OUTSIDE_FEEDBACK_SHARE, share)
    on_submit(
        app,
        CallbackId.OUTSIDE_FEEDBACK_ASK,
        send_ask,
        errors_at=BlockId.OUTSIDE_FEEDBACK_QUESTION,
    )
    on_submit(
        app,
        CallbackId.OUTSIDE_FEEDBACK,
        save_feedback,
        errors_at=BlockId.OUTSIDE_FEEDBACK_DOES_WELL,
    )
