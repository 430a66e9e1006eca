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
    SkillStep,
    StillYours,
)
from bot.views.blocks import (
    Block,
    actions,
    button,
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
from bot.views.forms import FormState
from bot.views.surveys import survey_button
from bot.views.text import escape, inline
from storage.enums import GoalProgress, GoalStatus, Role, SurveyKind

GOALS_LISTED = 10
STATEMENT_SHOWN = 300
NOTE_SHOWN = 500
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
_SURVEY_NAMES = {
    SurveyKind.FINAL: "the final reflection",
    SurveyKind.INDEPENDENCE: "the independence audit",
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
    line = f"*{number}. {inline(goal.statement, STATEMENT_SHOWN)}*\n" + " · ".join(facts)
    if goal.progress_note:
        line += f"\n_{inline(goal.progress_note, NOTE_SHOWN)}_"
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
        f"*Closing your mentoring with <@{review.partner_user_id}> in "
        f"{escape(review.program_name)}.*\n"
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


def _survey_line(kind: SurveyKind, left: StillYours, partner_user_id: str) -> str:
    if kind is SurveyKind.FINAL:
        return "the final reflection: what changed, and the four signs of a good ending"
    if left.role is Role.MENTOR:
        return f"the independence audit: how ready <@{partner_user_id}> is to go on without you"
    return "the independence audit: how ready you are to go on without your mentor"


def _skills_line(step: SkillStep, left: StillYours, partner_user_id: str) -> str:
    if step is SkillStep.SCORE:
        return "your scores for the open skill round: your partner sees them once you both have"
    if left.role is Role.MENTOR:
        return f"a last skill round, so you both see how far <@{partner_user_id}> has come"
    return "a last skill round, so you both see how far you've come"


def still_yours_lines(
    left: StillYours, *, partner_user_id: str, review: bool = True, actions: bool = True
) -> list[str]:
    """What is still this person's to do, one line each (``review``/``actions``: include those)."""
    lines = []
    if review and left.review:
        lines.append("your part of the graduation review: how each goal went, and what comes next")
    lines += [_survey_line(kind, left, partner_user_id) for kind in left.surveys]
    if left.skills is not None:
        lines.append(_skills_line(left.skills, left, partner_user_id))
    if actions and left.actions:
        items = "action item" if left.actions == 1 else "action items"
        lines.append(
            f"{left.actions} open {items} of yours: tick off what's done, and let go of what "
            "no longer matters"
        )
    return lines


def still_yours_buttons(
    pairing_id: int, left: StillYours, *, review: bool = True, actions: bool = True
) -> list[Block]:
    """A button for each step in ``still_yours_lines`` (the review one first, as the primary)."""
    value = str(pairing_id)
    buttons: list[Block] = []
    if review and left.review:
        buttons.append(
            button("Review and graduate", ActionId.GRADUATION_OPEN, value=value, style="primary")
        )
    buttons += [survey_button(pairing_id, kind) for kind in left.surveys]
    if left.skills is SkillStep.SCORE:
        buttons.append(button("Score skills", ActionId.SKILLS_OPEN, value=value))
    elif left.skills is SkillStep.LAST_ROUND:
        buttons.append(button("Start the last skill round", ActionId.SKILLS_REASSESS, value=value))
    if actions and left.actions:
        buttons.append(button("See my action items", ActionId.AGENDA_OPEN, value=value))
    return buttons


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _still_blocks(
    pairing_id: int,
    left: StillYours,
    *,
    partner_user_id: str,
    review: bool,
    done: str,
) -> list[Block]:
    """What is still the person's to do, with its buttons; ``done`` when nothing is left."""
    lines = still_yours_lines(left, partner_user_id=partner_user_id, review=review)
    if not lines:
        return [context(done)]
    return [
        section("*Still yours to close well:*\n" + _bullets(lines)),
        actions(*still_yours_buttons(pairing_id, left, review=review)),
    ]


def build_graduation_request(result: GraduationResult) -> dict[str, Any]:
    """The partner's DM once the first part is in: add yours."""
    name = escape(result.program_name)
    text = (
        f"<@{result.actor_user_id}> has reviewed your goals in *{name}* and is "
        "ready to graduate. Add your part: say how each goal went and what comes next."
    )
    left = result.left_for(result.partner_user_id)
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
    ]
    # Their part is asked for above: the rest of what is theirs follows it.
    lines = still_yours_lines(left, partner_user_id=result.actor_user_id, review=False)
    if lines:
        blocks.append(section("*Also still yours, on your own:*\n" + _bullets(lines)))
        blocks.append(actions(*still_yours_buttons(result.pairing_id, left, review=False)))
    blocks.append(context(f"Or type `{COMMAND} graduate <@{result.actor_user_id}>`."))
    return message(f"Graduation in {name}: add your part", blocks)


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
        *_still_blocks(
            result.pairing_id,
            result.left_for(result.actor_user_id),
            partner_user_id=result.partner_user_id,
            review=False,
            done="That's everything from you for now: thank you.",
        ),
    ]
    return message(text, blocks)


def _goal_list(statements: Sequence[str]) -> str:
    lines = [f"• {inline(s, STATEMENT_SHOWN)}" for s in statements[:GOALS_LISTED]]
    if len(statements) > GOALS_LISTED:
        lines.append(f"…and {len(statements) - GOALS_LISTED} more")
    return "\n".join(lines)


def build_celebration(result: GraduationResult) -> dict[str, Any]:
    """The pair's celebration: the goals achieved (their own words) and what comes next."""
    name = escape(result.program_name)
    blocks: list[Block] = [
        header(":mortar_board: You graduated!"),
        section(
            f"Congratulations <@{result.mentee_user_id}> and <@{result.mentor_user_id}>: you've "
            f"completed *{name}* together. :tada:"
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
    blocks += _celebration_left(result)
    blocks.append(context("Only you two see this message."))
    return message(f"You graduated from {name}!", blocks)


def _celebration_left(result: GraduationResult) -> list[Block]:
    """What each of the two still has to do, by name, with one button for each step."""
    lines: list[str] = []
    buttons: dict[str, Block] = {}
    for user_id in (result.mentee_user_id, result.mentor_user_id):
        left = result.left_for(user_id)
        steps = [_SURVEY_NAMES[kind] for kind in left.surveys]
        if left.skills is SkillStep.LAST_ROUND:
            steps.append("a last skill round")
        elif left.skills is SkillStep.SCORE:
            steps.append("their scores for the open skill round")
        if steps:
            lines.append(f"<@{user_id}>: {_and(steps)}")
        # Each button opens the step for whoever clicks it: one of each is enough.
        for element in still_yours_buttons(result.pairing_id, left, review=False, actions=False):
            buttons.setdefault(str(element["action_id"]), element)
    if not lines:
        return []
    return [
        section("*Still to do, each of you on your own:*\n" + _bullets(lines)),
        actions(*buttons.values()),
    ]


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def build_public_celebration(result: GraduationResult) -> dict[str, Any]:
    """The channel post both agreed to: names, program, graduated. Never their goals."""
    text = (
        f":mortar_board: <@{result.mentee_user_id}> has graduated from "
        f"*{escape(result.program_name)}*, "
        f"mentored by <@{result.mentor_user_id}>. Congratulations to you both! :tada:"
    )
    return message(text, [section(text)])
