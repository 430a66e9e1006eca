"""Post-session scorecards: the one-tap rating DM, the comment modal, the low-score suggestion."""

from typing import Any

from bot.ids import ActionId, BlockId, CallbackId
from bot.services.scorecards import (
    AGENDA_TEXT,
    COMMENT_MAX,
    DIMENSIONS,
    LABELS,
    LOW_BELOW,
    SCORE_MAX,
    SCORE_MIN,
    AgendaAdded,
    LowScoreSuggestion,
    ScorecardView,
)
from bot.views.blocks import (
    Block,
    actions,
    button,
    context,
    input_block,
    message,
    modal,
    section,
    text_input,
)
from bot.views.feedback import local_day
from bot.views.text import inline

# Each question's row of buttons: its block id and the action id prefix of its buttons.
RATING_BLOCKS = {
    "clarity": BlockId.SCORECARD_CLARITY,
    "energy": BlockId.SCORECARD_ENERGY,
    "confidence": BlockId.SCORECARD_CONFIDENCE,
}
RATING_PREFIXES = {
    "clarity": ActionId.SCORECARD_CLARITY_PREFIX,
    "energy": ActionId.SCORECARD_ENERGY_PREFIX,
    "confidence": ActionId.SCORECARD_CONFIDENCE_PREFIX,
}
QUESTIONS = {
    "clarity": "How clear is your direction after this session?",
    "energy": "How much energy do you have after this session?",
    "confidence": "How confident are you in your next step?",
}
# How the low-score suggestion names each dimension inside a sentence.
NOUNS = {
    "clarity": "clarity of direction",
    "energy": "energy after sessions",
    "confidence": "confidence in the next step",
}
WORDS = {1: "one", 2: "two", 3: "three"}


def rating_action_id(dimension: str, score: int) -> str:
    """The action id of one rating button: distinct per question and per score."""
    return f"{RATING_PREFIXES[dimension]}{score}"


def build_scorecard_prompt(card: ScorecardView, *, tz: str) -> dict[str, Any]:
    """The mentee's scorecard DM: three rows of 1-10 buttons, chosen values highlighted."""
    when = f" on {local_day(card.session_start, tz)}" if card.session_start else ""
    blocks: list[Block] = [
        section(
            f"How was your session with <@{card.mentor_user_id}>{when}? Three quick ratings, "
            f"one tap each: {SCORE_MIN} is low, {SCORE_MAX} is high."
        )
    ]
    for number, dimension in enumerate(DIMENSIONS, start=1):
        chosen = card.scores.get(dimension)
        picked = f"  ·  you chose *{chosen}*" if chosen is not None else ""
        blocks.append(section(f"*{number}. {LABELS[dimension]}*{picked}\n{QUESTIONS[dimension]}"))
        blocks.append(
            actions(
                *(
                    button(
                        str(score),
                        rating_action_id(dimension, score),
                        value=f"{card.scorecard_id}:{score}",
                        style="primary" if score == chosen else None,
                    )
                    for score in range(SCORE_MIN, SCORE_MAX + 1)
                ),
                block_id=RATING_BLOCKS[dimension],
            )
        )
    label = "Edit your comment" if card.comment else "Add a comment"
    blocks.append(actions(button(label, ActionId.SCORECARD_COMMENT, value=str(card.scorecard_id))))
    if card.comment:
        blocks.append(context(f"Your comment: _{inline(card.comment, 2800)}_"))
    if card.complete:
        blocks.append(
            section(
                ":white_check_mark: *Thank you!* Your ratings are saved. You can still change "
                "one with a tap."
            )
        )
    blocks.append(
        context("Private to your mentoring pair. Program leads see only averages, never comments.")
    )
    return message(f"Rate your session with <@{card.mentor_user_id}>: three quick taps", blocks)


def build_scorecard_comment_modal(
    *, scorecard_id: int, comment: str, channel: str | None, ts: str | None
) -> dict[str, Any]:
    """The optional comment on a scorecard."""
    return modal(
        CallbackId.SCORECARD_COMMENT,
        "Your comment",
        [
            input_block(
                BlockId.SCORECARD_COMMENT,
                "Comment",
                text_input(
                    comment,
                    multiline=True,
                    max_length=COMMENT_MAX,
                    placeholder="Anything your ratings don't say",
                ),
                optional=True,
            ),
            context("Private to your mentoring pair; leave it empty to remove your comment."),
        ],
        # Where the scorecard is, so it is redrawn with the comment once saved.
        metadata={"scorecard_id": scorecard_id, "channel": channel, "ts": ts},
        submit="Save",
        close="Cancel",
    )


def _suggestion_text(suggestion: LowScoreSuggestion) -> str:
    of = WORDS.get(suggestion.of, str(suggestion.of))
    low = WORDS.get(suggestion.low, str(suggestion.low))
    if suggestion.low == suggestion.of:
        low = "both" if suggestion.of == 2 else "all"
    noun = NOUNS[suggestion.dimension]
    return (
        f"Your {noun} was below {LOW_BELOW} in {low} of your last {of} sessions. "
        "Raise it at your next session?"
    )


def build_low_score_suggestion(suggestion: LowScoreSuggestion) -> dict[str, Any]:
    """Ask the mentee whether to put a repeated low score on the next session's agenda."""
    text = _suggestion_text(suggestion)
    item = AGENDA_TEXT[suggestion.dimension].format(low=suggestion.low, of=suggestion.of)
    value = ":".join(
        str(part)
        for part in (suggestion.scorecard_id, suggestion.dimension, suggestion.low, suggestion.of)
    )
    blocks: list[Block] = [
        section(text),
        context(
            f"If you agree, I'll add this to the agenda, which your mentor sees: “{item}” "
            "Raising it early keeps it from becoming a pattern."
        ),
        actions(
            button("Add to agenda", ActionId.SCORECARD_RAISE, value=value, style="primary"),
            button("Not now", ActionId.SCORECARD_NOT_NOW, value=value),
        ),
    ]
    return message(text, blocks)


def build_low_score_answer(
    suggestion: LowScoreSuggestion, *, added: AgendaAdded | None, tz: str
) -> dict[str, Any]:
    """The suggestion after the mentee answered: what was done, no buttons left."""
    question = _suggestion_text(suggestion)
    if added is None:
        answer = "Not now, then. If it keeps coming up, you can raise it whenever you're ready."
    else:
        where = (
            f"your session on {local_day(added.meeting_start, tz)}"
            if added.meeting_start
            else "your next session"
        )
        answer = (
            f":white_check_mark: Added to the agenda of {where}."
            if added.created
            else f"It's already on the agenda of {where}."
        )
    return message(answer, [section(question), context(answer)])
