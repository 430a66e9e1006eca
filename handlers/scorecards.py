"""Post-session scorecards: one-tap ratings, the comment, low-score suggestions.

The prompt itself is queued by whoever asks first (logging a session, or the planner an hour
after an unlogged session's end): ``scheduler.rules.scorecard_prompt_now``.
"""

import re

from slack_bolt import App

from bot.errors import UserError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.scorecards import (
    LowScoreSuggestion,
    own_scorecard_view,
    raise_low_score,
    rate_scorecard,
    save_scorecard_comment,
    suggestion_for,
)
from bot.views.scorecards import (
    RATING_PREFIXES,
    build_low_score_answer,
    build_low_score_suggestion,
    build_scorecard_comment_modal,
    build_scorecard_prompt,
)
from handlers.commands import CommandRouter
from handlers.common import message_to
from handlers.listeners import (
    STALE_BUTTON,
    Answer,
    Click,
    Closing,
    Modal,
    Submission,
    id_from,
    on_click,
    on_submit,
)

_DIMENSION_OF = {prefix.value: dimension for dimension, prefix in RATING_PREFIXES.items()}
RATING_ACTION = re.compile(
    "^(" + "|".join(re.escape(prefix) for prefix in _DIMENSION_OF) + r")(\d{1,2})$"
)


def rate(click: Click) -> Answer:
    """One tap stores one rating and redraws the scorecard in place."""
    matched = RATING_ACTION.match(click.action_id)
    if matched is None:
        raise UserError(STALE_BUTTON)
    scorecard, _, score = click.value.partition(":")
    tz = click.tz()
    with click.deps.session() as session:
        result = rate_scorecard(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            scorecard_id=id_from(scorecard),
            dimension=_DIMENSION_OF[matched.group(1)],
            score=id_from(score),
            now=click.now(),
        )
        # The tap that completes the card may raise low-score suggestions: new DMs to the
        # mentee, queued with the rating so each goes out once.
        if result.suggestions:
            click.send(
                session,
                *(
                    message_to(
                        click,
                        to=click.user_id,
                        rule="low_score_suggestion",
                        message=build_low_score_suggestion(suggestion),
                        what="a suggestion for your agenda",
                        pairing_id=result.scorecard.pairing_id,
                    )
                    for suggestion in result.suggestions
                ),
            )
    click.update_message(build_scorecard_prompt(result.scorecard, tz=tz))
    return None


def show_comment_form(click: Click) -> Answer:
    """The "Add a comment" button (value: the scorecard id): the optional comment modal."""
    scorecard_id = click.id()
    with click.deps.read() as session:
        card = own_scorecard_view(
            session, team_id=click.team_id, user_id=click.user_id, scorecard_id=scorecard_id
        )
    return Modal(
        build_scorecard_comment_modal(
            scorecard_id=scorecard_id,
            comment=card.comment,
            channel=click.channel_id,
            ts=click.message_ts,
        )
    )


def save_comment(form: Submission) -> Closing:
    """Save the comment, then redraw the scorecard message it was written from."""
    scorecard_id = form.meta_id("scorecard_id", "That scorecard")
    comment = form.state.text(BlockId.SCORECARD_COMMENT)
    tz = form.tz()
    with form.deps.session() as session:
        card = save_scorecard_comment(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            scorecard_id=scorecard_id,
            comment=comment,
        )
    # The scorecard message shows the saved comment (it is saved whether or not this works).
    channel, ts = form.metadata.get("channel"), form.metadata.get("ts")
    shown = build_scorecard_prompt(card, tz=tz)
    form.later(lambda: form.replace_message(channel, ts, shown))
    return None


def _suggestion_value(click: Click) -> LowScoreSuggestion:
    """The suggestion as it was asked: "<scorecard id>:<dimension>:<low>:<of>"."""
    parts = click.value.split(":")
    if len(parts) != 4:
        raise UserError(STALE_BUTTON)
    scorecard, dimension, low, of = parts
    return LowScoreSuggestion(
        scorecard_id=id_from(scorecard),
        dimension=dimension,
        low=id_from(low),
        of=id_from(of),
    )


def add_to_agenda(click: Click) -> Answer:
    """ "Add to agenda": the repeated low score becomes an item on the next session's agenda."""
    asked = _suggestion_value(click)
    tz = click.tz()
    with click.deps.session() as session:
        added = raise_low_score(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            scorecard_id=asked.scorecard_id,
            dimension=asked.dimension,
            low=asked.low,
            of=asked.of,
            now=click.now(),
        )
    click.update_message(build_low_score_answer(asked, added=added, tz=tz))
    return None


def not_now(click: Click) -> Answer:
    """ "Not now": nothing is added; the question is answered in place."""
    asked = _suggestion_value(click)
    with click.deps.read() as session:
        suggestion_for(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            scorecard_id=asked.scorecard_id,
            dimension=asked.dimension,
        )
    click.update_message(build_low_score_answer(asked, added=None, tz="UTC"))
    return None


def register(app: App, router: CommandRouter) -> None:
    """Listen for the scorecard's buttons and its comment modal (no command: it comes by DM)."""
    on_click(app, RATING_ACTION, rate)
    on_click(app, ActionId.SCORECARD_COMMENT, show_comment_form)
    on_click(app, ActionId.SCORECARD_RAISE, add_to_agenda)
    on_click(app, ActionId.SCORECARD_NOT_NOW, not_now)
    on_submit(app, CallbackId.SCORECARD_COMMENT, save_comment, errors_at=BlockId.SCORECARD_COMMENT)
