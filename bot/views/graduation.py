"""Graduation views: the review modal, the DMs between the two parts, the celebrations."""

from collections.abc import Mapping, Sequence
from typing import Any

from bot.commands import COMMAND
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.graduation import (
    AFTER_LABELS,
    NOTE_MAX,
    OUTCOME_LABELS,
    AfterProgram,
    GoalOutcome,
    GoalReview,
    GraduationAnswers,
    GraduationResult,
    GraduationReview,
)
from bot.views.blocks import (
    Block,
    actions,
    button,
    clip,
    context,
    conversations_select,
    divider,
    header,
    input_block,
    message,
    modal,
    option,
    radio_buttons,
    section,
    static_select,
    text_input,
)
from bot.views.enrolment import escape
from bot.views.forms import FormState
from bot.views.surveys import survey_button
from storage.enums import GoalProgress, GoalStatus, SurveyKind

GOALS_LISTED = 10
STATEMENT_SHOWN = 300
_PROGRESS_WORDS = {
    GoalProgress.NOT_STARTED: "not started",
    GoalProgress.ON_TRACK: "on track",
    GoalProgress.AT_RISK: "at risk",
    GoalProgress.DONE: "done",
    GoalProgress.DROPPED: "dropped",
}
_STATUS_WORDS = {
    GoalStatus.AGREED: "agreed",
    GoalStatus.PROPOSED: "never agreed",
    GoalStatus.CHANGE_SUGGESTED: "never agreed",
    GoalStatus.WITHDRAWN: "withdrawn",
}
CLOSING_SIGNS = (
    "The final reflection and the independence audit come by DM: they ask the four signs of a "
    "good closure (goals achieved, confident to go on alone, passing it on, a good ending)."
)


def _goal_lines(goal: GoalReview, number: int) -> str:
    facts = [
        _STATUS_WORDS.get(goal.status, goal.status.value),
        _PROGRESS_WORDS[goal.progress],
        f"due {goal.due_date.day} {goal.due_date:%b %Y}",
    ]
    line = f"*{number}. {escape(clip(goal.statement, STATEMENT_SHOWN))}*\n" + " · ".join(facts)
    if goal.progress_note:
        line += f"\n_{escape(goal.progress_note)}_"
    return line


def _goal_blocks(goal: GoalReview, number: int) -> list[Block]:
    outcomes = [option(OUTCOME_LABELS[o], o.value) for o in reversed(GoalOutcome)]
    return [
        section(_goal_lines(goal, number)),
        input_block(
            f"{BlockId.GRADUATION_GOAL_PREFIX}{goal.goal_id}",
            "Was it achieved?",
            static_select(outcomes, initial=goal.suggested.value),
        ),
        input_block(
            f"{BlockId.GRADUATION_NOTE_PREFIX}{goal.goal_id}",
            "What was achieved, in one line",
            text_input(max_length=NOTE_MAX),
            optional=True,
        ),
    ]


def build_graduation_modal(review: GraduationReview) -> dict[str, Any]:
    """Review the original goals, choose what comes next and whether to celebrate publicly."""
    intro = (
        f"*Closing your mentoring with <@{review.partner_user_id}> in {review.program_name}.*\n"
        "Review the goals you set, then choose what comes next. Once you've both added your "
        "part, you graduate and I'll celebrate with you."
    )
    blocks: list[Block] = [section(intro)]
    if review.partner_done:
        blocks.append(context(f"<@{review.partner_user_id}> has added their part already."))
    if review.mine is not None:
        blocks.append(context("You've sent your part; sending it again replaces it."))
    if not review.goals:
        blocks.append(section("You recorded no goals, so there is nothing to review."))
    for number, goal in enumerate(review.goals, start=1):
        blocks.extend(_goal_blocks(goal, number))
    if review.more_goals:
        blocks.append(
            context(f"…and {review.more_goals} more goals: their progress stays as it is.")
        )
    blocks.append(divider())
    afters = [option(AFTER_LABELS[a], a.value) for a in AfterProgram]
    blocks.append(
        input_block(
            BlockId.GRADUATION_AFTER,
            "After the program",
            radio_buttons(afters, initial=review.mine.after.value if review.mine else None),
            hint=(
                "Peer advisors keep in touch as equals, without program prompts. You continue "
                "only if you both choose it."
            ),
        )
    )
    channel = conversations_select(
        review.mine.channel_id if review.mine is not None else None,
        placeholder="No public celebration",
        include=("public",),
    )
    blocks.append(
        input_block(
            BlockId.GRADUATION_CHANNEL,
            "Celebrate in a channel?",
            channel,
            hint=(
                "Only if you both pick a channel, in the mentee's choice. The post names you two, "
                "the program and that you graduated: never your goals."
            ),
            optional=True,
        )
    )
    blocks.append(context(CLOSING_SIGNS))
    return modal(
        CallbackId.GRADUATION,
        "Graduation",
        blocks,
        metadata={"pairing_id": review.pairing_id},
        submit="Send my part",
        close="Not yet",
    )


def _goal_id(block_id: str, prefix: str) -> int | None:
    try:
        return int(block_id.removeprefix(prefix))
    except ValueError:
        return None


def read_graduation(view: Mapping[str, Any]) -> GraduationAnswers:
    """The raw answers of a submitted graduation modal, keyed by goal id."""
    form = FormState(dict(view))
    values: Mapping[str, Any] = (view.get("state") or {}).get("values") or {}
    outcomes: dict[int, str | None] = {}
    notes: dict[int, str] = {}
    for block_id in values:
        if block_id.startswith(BlockId.GRADUATION_GOAL_PREFIX):
            goal_id = _goal_id(block_id, BlockId.GRADUATION_GOAL_PREFIX)
            if goal_id is not None:
                outcomes[goal_id] = form.option(block_id)
        elif block_id.startswith(BlockId.GRADUATION_NOTE_PREFIX):
            goal_id = _goal_id(block_id, BlockId.GRADUATION_NOTE_PREFIX)
            if goal_id is not None:
                notes[goal_id] = form.text(block_id)
    return GraduationAnswers(
        outcomes=outcomes,
        notes=notes,
        after=form.option(BlockId.GRADUATION_AFTER),
        channel_id=form.conversation(BlockId.GRADUATION_CHANNEL),
    )


def _closing(kinds: Sequence[SurveyKind]) -> str:
    names = {
        SurveyKind.FINAL: "the final reflection",
        SurveyKind.INDEPENDENCE: "the independence audit",
    }
    return " and ".join(names.get(kind, kind.value) for kind in kinds)


def _surveys(pairing_id: int, kinds: Sequence[SurveyKind]) -> list[Block]:
    if not kinds:
        return []
    return [
        section(f"To close it well: {_closing(kinds)}, a few minutes each, on your own."),
        actions(*(survey_button(pairing_id, kind) for kind in kinds)),
    ]


def build_graduation_request(result: GraduationResult) -> dict[str, Any]:
    """The partner's DM once the first part is in: add yours."""
    text = (
        f"<@{result.actor_user_id}> has reviewed your goals in *{result.program_name}* and is "
        "ready to graduate. Add your part: say how each goal went and what comes next."
    )
    blocks: list[Block] = [
        section(text),
        actions(
            button(
                "Add my part",
                ActionId.GRADUATION_OPEN,
                value=str(result.pairing_id),
                style="primary",
            )
        ),
        *_surveys(result.pairing_id, result.surveys_due.get(result.partner_user_id, ())),
        context(f"Or type `{COMMAND} graduate <@{result.actor_user_id}>`."),
    ]
    return message(f"Graduation in {result.program_name}: add your part", blocks)


def build_graduation_waiting(result: GraduationResult) -> dict[str, Any]:
    """The DM to the person whose part is in, while the partner's is not."""
    if result.first_part:
        text = (
            ":white_check_mark: Your part is in. My request for theirs is on its way to "
            f"<@{result.partner_user_id}>; when it comes, you graduate and I'll celebrate with "
            "you both."
        )
    else:
        text = (
            ":white_check_mark: Your part is updated. Still waiting for "
            f"<@{result.partner_user_id}>'s part."
        )
    blocks: list[Block] = [
        section(text),
        *_surveys(result.pairing_id, result.surveys_due.get(result.actor_user_id, ())),
    ]
    return message(text, blocks)


def _goal_list(statements: Sequence[str]) -> str:
    lines = [f"• {escape(clip(s, STATEMENT_SHOWN))}" for s in statements[:GOALS_LISTED]]
    if len(statements) > GOALS_LISTED:
        lines.append(f"…and {len(statements) - GOALS_LISTED} more")
    return "\n".join(lines)


def build_celebration(result: GraduationResult) -> dict[str, Any]:
    """The pair's celebration: the goals achieved (their own words) and what comes next."""
    blocks: list[Block] = [
        header(":mortar_board: You graduated!"),
        section(
            f"Congratulations <@{result.mentee_user_id}> and <@{result.mentor_user_id}>: you've "
            f"completed *{result.program_name}* together. :tada:"
        ),
    ]
    if result.achieved:
        blocks.append(section("*Goals achieved*\n" + _goal_list(result.achieved)))
    if result.partly:
        blocks.append(section("*Partly achieved*\n" + _goal_list(result.partly)))
    if not result.achieved and not result.partly:
        blocks.append(
            section("The goals didn't land this time, and showing up to the end still counts.")
        )
    if result.continue_as_peers:
        after = (
            "*What's next:* you both chose to carry on as peer advisors. Keep in touch as equals "
            "whenever it helps; the program won't prompt you any more."
        )
    else:
        after = (
            "*What's next:* the mentoring ends here. Thank you both for the time and care you "
            "gave it; pass on what you learned."
        )
    blocks.append(section(after))
    due = [
        kind
        for kind in (SurveyKind.FINAL, SurveyKind.INDEPENDENCE)
        if any(kind in kinds for kinds in result.surveys_due.values())
    ]
    if due:
        blocks.append(section(f"Still to do, each of you on your own: {_closing(due)}."))
        blocks.append(actions(*(survey_button(result.pairing_id, kind) for kind in due)))
    blocks.append(context("Only you two see this message."))
    return message(f"You graduated from {result.program_name}!", blocks)


def build_public_celebration(result: GraduationResult) -> dict[str, Any]:
    """The channel post both agreed to: names, program, graduated. Never their goals."""
    text = (
        f":mortar_board: <@{result.mentee_user_id}> has graduated from *{result.program_name}*, "
        f"mentored by <@{result.mentor_user_id}>. Congratulations to you both! :tada:"
    )
    return message(text, [section(text)])
