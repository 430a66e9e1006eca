"""What the cohort's people type and pick: the words in their forms, the options they choose.

The stories (``bot.demo.cohort``) say what each person means; these turn it into the answers a
person gives the bot's real modals, read off the modal they were shown.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.demo import cohort
from bot.demo.cohort import SESSION_MINUTES, Member, Story
from bot.demo.stage import StageError
from bot.demo.timeline import hours_of
from bot.demo.transcript import JSON
from bot.ids import BlockId
from bot.sandbox.forms import Answer

GRADUATION_NOTE = "Done: approved, shipped, and I can do the next one on my own."
SURVEY_WORDS = {
    True: "The sessions are focused and I leave each one with a next step I can take.",
    False: "The sessions feel unfocused lately; I'd like more direct feedback.",
}


def pick(pool: Sequence[str], index: int) -> str:
    """The ``index``-th of ``pool``, round and round."""
    return pool[index % len(pool)] if pool else "How the week went"


def buttons(blocks: Sequence[JSON]) -> list[JSON]:
    """Every element of the actions blocks in ``blocks``."""
    return [e for b in blocks if b.get("type") == "actions" for e in b.get("elements", [])]


def meeting_slot(mentee: Member, mentor: Member, day: date) -> datetime:
    """The start of a session on ``day`` (the mentee's date) in the middle of the hours both
    work, on the half hour; the mentee's own late morning when they share none."""
    zone = ZoneInfo(mentee.tz)
    opens = datetime.combine(day, mentee.work_start, tzinfo=zone)
    closes = datetime.combine(day, mentee.work_end, tzinfo=zone)
    mentor_hours = hours_of(mentor)
    shared = []
    moment = opens
    length = timedelta(minutes=SESSION_MINUTES)
    while moment + length <= closes:
        last_minute = (moment + length - timedelta(minutes=1)).astimezone(UTC)
        if mentor_hours.contains(moment.astimezone(UTC)) and mentor_hours.contains(last_minute):
            shared.append(moment)
        moment += timedelta(minutes=30)
    chosen = shared[len(shared) // 2] if shared else opens + timedelta(hours=2)
    return chosen.astimezone(UTC)


def join_answers(member: Member) -> dict[str, Answer]:
    """What a member writes in the join modal."""
    answers: dict[str, Answer] = {
        BlockId.JOIN_SITUATION: member.situation,
        BlockId.JOIN_AIM: member.aim,
        BlockId.JOIN_INTERESTS: member.interests,
        BlockId.JOIN_VALUES: member.values,
        BlockId.JOIN_DAYS: ["1", "2", "3", "4", "5"],
        BlockId.JOIN_WORK_START: member.work_start,
        BlockId.JOIN_WORK_END: member.work_end,
        BlockId.JOIN_CADENCE: "biweekly",
    }
    if member.availability:
        answers[BlockId.JOIN_AVAILABILITY] = member.availability
    if member.role == "mentor":
        for row, (skill, level) in enumerate(member.skills, start=1):
            answers[f"join_offer_skill_{row}"] = skill
            answers[f"join_offer_level_{row}"] = str(level)
        answers[BlockId.JOIN_CAPACITY] = member.capacity
        return answers
    gaps = (
        (BlockId.JOIN_SKILL_1, BlockId.JOIN_SCORE_1),
        (BlockId.JOIN_SKILL_2, BlockId.JOIN_SCORE_2),
    )
    for (skill_block, score_block), (skill, score) in zip(gaps, member.skills, strict=False):
        answers[skill_block] = skill
        answers[score_block] = str(score)
    return answers


def skill_scores(mentee: Member, *, by_mentor: bool, later_round: bool) -> dict[str, Answer]:
    """A person's 1-5 scores of ``mentee`` on each competency: the mentee scores their gaps as
    they stated them, the mentor a point higher; six weeks on, both see a point of growth."""
    stated = dict(mentee.skills)
    answers: dict[str, Answer] = {}
    for position, competency in enumerate(cohort.COMPETENCIES):
        level = stated.get(competency, 3)
        if by_mentor and competency in stated:
            level += 1
        if later_round:
            level += 1
        answers[f"{BlockId.SKILL_PREFIX}{position}"] = str(min(5, max(1, level)))
    return answers


def session_notes(story: Story, week: int) -> str:
    """The notes a mentee keeps of a session."""
    return f"We worked on: {pick(story.agenda, week)}. I'll try it this week and report back."


def mentor_feedback(story: Story, week: int, *, nudged: bool) -> cohort.Feedback:
    """The mentor's feedback after the session of ``week``: a mentor who avoids naming what
    should change does so until the bot nudges them."""
    vague = [f for f in story.feedback if f.needs_change.lower().startswith("nothing")]
    specific = [f for f in story.feedback if f not in vague]
    if vague and (not nudged or not specific):
        return vague[week % len(vague)]
    return specific[week % len(specific)]


def progress_note(story: Story, week: int, *, done: bool) -> str:
    """What the mentee writes about a goal's progress."""
    if done:
        return "Done: approved by the review, and the teams have signed off."
    return f"Week {week}: {pick(story.agenda, week).lower()}: done. Next milestone on track."


def element_of(view: JSON, block_id: str) -> JSON:
    """The input element of ``block_id`` in ``view``."""
    for block in view.get("blocks", []):
        if block.get("block_id") == block_id and isinstance(block.get("element"), dict):
            element: JSON = block["element"]
            return element
    raise StageError(f"no {block_id} in the {view.get('callback_id')} modal")


def options_of(view: JSON, block_id: str) -> list[str]:
    """Every option value of the input ``block_id`` ([] when the view has no such input)."""
    try:
        element = element_of(view, block_id)
    except StageError:
        return []
    return [str(o["value"]) for o in element.get("options", [])]


def best_option(element: JSON, *, prefer: Sequence[str] = (), low: bool = False) -> str:
    """The option a satisfied person picks: one of ``prefer``, else the highest number (the
    second lowest when ``low``), else the first."""
    values = [str(o["value"]) for o in element.get("options", [])]
    for wanted in prefer:
        if wanted in values and not low:
            return wanted
    numbers = sorted((int(v), v) for v in values if v.isdigit())
    if numbers:
        return numbers[1][1] if low and len(numbers) > 1 else numbers[-1][1]
    return values[0] if values else ""
