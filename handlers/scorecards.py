"""Post-session scorecards: the prompt after a session, one-tap ratings, comments, low scores."""

import logging
import re
from concurrent.futures import Future
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.deps import Deps
from bot.errors import FieldErrors, UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.scorecards import (
    LowScoreSuggestion,
    ensure_scorecard,
    own_scorecard_view,
    raise_low_score,
    rate_scorecard,
    save_scorecard_comment,
    scorecard_view,
    suggestion_for,
)
from bot.views.forms import FormState
from bot.views.scorecards import (
    RATING_PREFIXES,
    build_low_score_answer,
    build_low_score_suggestion,
    build_scorecard_comment_modal,
    build_scorecard_prompt,
)
from handlers.commands import CommandRouter
from handlers.legacy import (
    OUT_OF_DATE,
    ack_field_errors,
    id_from,
    open_modal,
    person_tz,
    send,
    team_of,
    tell,
    user_of,
    view_metadata,
)
from scheduler import outbox
from scheduler.delivery import deliver_soon
from scheduler.rules import scorecard_delivery

log = logging.getLogger(__name__)

_DIMENSION_OF = {prefix.value: dimension for dimension, prefix in RATING_PREFIXES.items()}
RATING_ACTION = re.compile(
    "^(" + "|".join(re.escape(prefix) for prefix in _DIMENSION_OF) + r")(\d{1,2})$"
)


def send_scorecard_prompt(deps: Deps, *, team_id: str, meeting_id: int) -> "Future[None] | None":
    """Queue the mentee's scorecard DM for a session; the outbox sends it exactly once.

    Logging a session and the scheduler (an hour after an unlogged session's end) both ask for
    it: the scorecard row and the outbox's dedupe key make every later ask a no-op. Returns
    the delivery running in the background (None when no scorecard is due), to wait on.
    """
    now = deps.now()
    with deps.session() as session:
        card, _ = ensure_scorecard(session, team_id=team_id, meeting_id=meeting_id, now=now)
        if card is None:
            return None
        shown = scorecard_view(session, scorecard=card)
        tz = person_tz(deps, session, team_id=team_id, user_id=shown.mentee_user_id)
        outbox.enqueue(
            session, [scorecard_delivery(shown, team_id=team_id, tz=tz, due_at=now)], now=now
        )
    return deliver_soon(deps)


def _container(body: dict[str, Any]) -> tuple[str | None, str | None]:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel, container.get("message_ts")


def _update(deps: Deps, body: dict[str, Any], message: dict[str, Any]) -> None:
    channel, ts = _container(body)
    if not channel or not ts:
        return
    try:
        deps.gateway.update_message(channel, ts, message)
    except SlackCallError as error:
        log.warning("message not updated", extra={"error": error.error})


def handle_rating(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    """One tap stores one rating and redraws the scorecard in place."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    matched = RATING_ACTION.match(str(action.get("action_id") or ""))
    scorecard, _, score = str(action.get("value") or "").partition(":")
    try:
        if matched is None:
            raise UserError("That button is out of date.")
        with deps.session() as session:
            result = rate_scorecard(
                session,
                team_id=team_id,
                user_id=user_id,
                scorecard_id=id_from(scorecard),
                dimension=_DIMENSION_OF[matched.group(1)],
                score=id_from(score),
                now=deps.now(),
            )
            tz = person_tz(deps, session, team_id=team_id, user_id=user_id)
    except UserError as error:
        tell(deps, body, respond, error)
        return
    for suggestion in result.suggestions:
        send(deps, user_id, build_low_score_suggestion(suggestion), what="low-score suggestion")
    # Redrawn last, so a redrawn card means everything this tap caused has been sent.
    _update(deps, body, build_scorecard_prompt(result.scorecard, tz=tz))


def handle_comment_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    """Open the optional comment modal."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        scorecard_id = id_from(action.get("value") or "")
        with deps.session() as session:
            card = own_scorecard_view(
                session, team_id=team_id, user_id=user_id, scorecard_id=scorecard_id
            )
    except UserError as error:
        tell(deps, body, respond, error)
        return
    channel, ts = _container(body)
    view = build_scorecard_comment_modal(
        scorecard_id=scorecard_id, comment=card.comment, channel=channel, ts=ts
    )
    open_modal(deps, body["trigger_id"], view)


def handle_comment_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Save the comment, then redraw the scorecard message."""
    team_id, user_id = team_of(body), user_of(body)
    comment = FormState(view).text(BlockId.SCORECARD_COMMENT)
    try:
        meta = view_metadata(view)
        with deps.session() as session:
            card = save_scorecard_comment(
                session,
                team_id=team_id,
                user_id=user_id,
                scorecard_id=int(meta["scorecard_id"]),
                comment=comment,
            )
            tz = person_tz(deps, session, team_id=team_id, user_id=user_id)
    except FieldErrors as errors:
        ack_field_errors(ack, errors)
        return
    except (UserError, KeyError, ValueError, TypeError) as error:
        text = str(error) if isinstance(error, UserError) else OUT_OF_DATE
        ack_field_errors(ack, FieldErrors({BlockId.SCORECARD_COMMENT: text}))
        return
    ack()
    channel, ts = meta.get("channel"), meta.get("ts")
    if channel and ts:
        try:
            deps.gateway.update_message(str(channel), str(ts), build_scorecard_prompt(card, tz=tz))
        except SlackCallError as error:
            log.warning("scorecard not redrawn", extra={"error": error.error})


def _suggestion_value(action: dict[str, Any]) -> LowScoreSuggestion:
    """The suggestion as it was asked: "<scorecard id>:<dimension>:<low>:<of>"."""
    parts = str(action.get("value") or "").split(":")
    if len(parts) != 4:
        raise UserError("That button is out of date.")
    scorecard, dimension, low, of = parts
    return LowScoreSuggestion(
        scorecard_id=id_from(scorecard),
        dimension=dimension,
        low=id_from(low),
        of=id_from(of),
    )


def handle_raise(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    """ "Add to agenda": the repeated low score becomes an item on the next session's agenda."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        asked = _suggestion_value(action)
        with deps.session() as session:
            added = raise_low_score(
                session,
                team_id=team_id,
                user_id=user_id,
                scorecard_id=asked.scorecard_id,
                dimension=asked.dimension,
                low=asked.low,
                of=asked.of,
                now=deps.now(),
            )
            tz = person_tz(deps, session, team_id=team_id, user_id=user_id)
    except UserError as error:
        tell(deps, body, respond, error)
        return
    _update(deps, body, build_low_score_answer(asked, added=added, tz=tz))


def handle_not_now(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    """ "Not now": nothing is added; the question is answered in place."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        asked = _suggestion_value(action)
        with deps.session() as session:
            suggestion_for(
                session,
                team_id=team_id,
                user_id=user_id,
                scorecard_id=asked.scorecard_id,
                dimension=asked.dimension,
            )
    except UserError as error:
        tell(deps, body, respond, error)
        return
    _update(deps, body, build_low_score_answer(asked, added=None, tz="UTC"))


def register(app: App, router: CommandRouter) -> None:
    """Listen for the scorecard's buttons and its comment modal (no command: it comes by DM)."""
    app.action(RATING_ACTION)(handle_rating)
    app.action(ActionId.SCORECARD_COMMENT.value)(handle_comment_button)
    app.action(ActionId.SCORECARD_RAISE.value)(handle_raise)
    app.action(ActionId.SCORECARD_NOT_NOW.value)(handle_not_now)
    app.view(CallbackId.SCORECARD_COMMENT.value)(handle_comment_submission)
