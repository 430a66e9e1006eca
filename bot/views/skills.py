"""The skill matrix: the scoring modal, the "waiting" DMs, the side-by-side comparison."""

from typing import Any

from bot.ids import ActionId, BlockId, CallbackId
from bot.services.skills import (
    GAP_TOPIC,
    LEVELS,
    ComparisonRow,
    SkillComparison,
    SkillForm,
    SubmittedScores,
)
from bot.views.blocks import (
    Block,
    actions,
    button,
    context,
    header,
    input_block,
    message,
    modal,
    option,
    section,
    static_select,
)
from bot.views.text import inline
from storage.enums import Role

# A competency's name as shown (leads keep them short; an old, longer one is cut).
COMPETENCY_SHOWN = 200
PRIVATE_NOTE = "Private to your mentoring pair. Program leads see only average growth."


def _round_name(round_: int) -> str:
    return "the skill matrix" if round_ == 1 else f"the re-assessment (round {round_})"


def build_skills_modal(form: SkillForm) -> dict[str, Any]:
    """One 1-5 select per competency, for this round; prefilled with the person's own scores."""
    partner = f"<@{form.partner_user_id}>"
    whom = "yourself" if form.my_role is Role.MENTEE else f"your mentee {partner}"
    blocks: list[Block] = [
        section(
            f"*Round {form.round}*: score {whom} on each competency, "
            "from 1 (beginner) to 5 (expert)."
        ),
        context(
            f"{partner} scores independently. Neither of you sees the other's scores until you "
            "have both submitted; then you'll see them side by side, and gaps become topics."
        ),
    ]
    levels = [option(f"{score} · {name}", str(score)) for score, name in LEVELS.items()]
    for position, competency in enumerate(form.competencies):
        mine = form.my_scores.get(competency)
        blocks.append(
            input_block(
                f"{BlockId.SKILL_PREFIX}{position}",
                competency,
                static_select(levels, initial=mine, placeholder="1 to 5"),
            )
        )
    if form.submitted:
        blocks.append(
            context(
                f"You've submitted this round: waiting for {partner}. You can change your "
                "scores until they submit theirs."
            )
        )
    return modal(
        CallbackId.SKILLS,
        "Skill matrix",
        blocks,
        metadata={"pairing_id": form.pairing_id, "round": form.round, "key": form.competencies_key},
        submit="Save scores",
        close="Cancel",
    )


def build_skills_saved(saved: SubmittedScores) -> dict[str, Any]:
    """The submitter's own scores while the partner hasn't submitted: no partner numbers exist."""
    partner = f"<@{saved.partner_user_id}>"
    lines = "\n".join(
        f"• {inline(name, COMPETENCY_SHOWN)}: *{score}* ({LEVELS[score]})"
        for name, score in saved.scores
    )
    verb = "updated" if saved.edited else "saved"
    blocks: list[Block] = [
        section(f"Your scores for round {saved.round} are {verb}:\n{lines}"),
        section(
            f"Waiting for {partner}. You'll both see the scores side by side once they've "
            "submitted theirs; until then you can change yours."
        ),
        actions(button("Change my scores", ActionId.SKILLS_OPEN, value=str(saved.pairing_id))),
        context(PRIVATE_NOTE),
    ]
    return message(f"Your skill scores are {verb}: waiting for {partner}", blocks)


def build_skills_partner_prompt(saved: SubmittedScores) -> dict[str, Any]:
    """Tell the partner it's their turn, without a single one of the submitter's scores."""
    who = f"<@{saved.user_id}>"
    text = (
        f"{who} has scored {_round_name(saved.round)}. Add your own scores: you'll see each "
        "other's side by side once you've both submitted."
    )
    blocks: list[Block] = [
        section(text),
        actions(
            button(
                "Score the skills",
                ActionId.SKILLS_OPEN,
                value=str(saved.pairing_id),
                style="primary",
            )
        ),
        context(f"{who}'s scores stay hidden until yours are in, so neither of you is anchored."),
    ]
    return message(f"{who} has scored the skill matrix: your turn", blocks)


def _row_text(row: ComparisonRow) -> str:
    gap = row.gap
    mark = ":warning: " if row.topic else ""
    gap_text = "" if gap is None else f"  ·  gap *{gap:+d}*" if gap else "  ·  gap 0"
    line = (
        f"{mark}*{inline(row.competency, COMPETENCY_SHOWN)}*\nmentee *{_score(row.mentee)}*  ·  "
        f"mentor *{_score(row.mentor)}*{gap_text}"
    )
    growth = []
    if row.first_mentee is not None and row.mentee is not None:
        growth.append(f"mentee {row.first_mentee} → {row.mentee}")
    if row.first_mentor is not None and row.mentor is not None:
        growth.append(f"mentor {row.first_mentor} → {row.mentor}")
    if growth:
        line += f"\n_Since round 1:_ {', '.join(growth)}"
    return line


def _score(score: int | None) -> str:
    return "none" if score is None else str(score)


def _comparison_blocks(comparison: SkillComparison, *, agenda_added: int | None) -> list[Block]:
    mentee, mentor = f"<@{comparison.mentee_user_id}>", f"<@{comparison.mentor_user_id}>"
    blocks: list[Block] = [
        header(f"Skill matrix: round {comparison.round}"),
        section(
            f"{mentee} (mentee) and {mentor} (mentor) have both scored round {comparison.round}. "
            f"Here they are side by side; gaps of {GAP_TOPIC} or more are topics for your next "
            "session."
        ),
    ]
    blocks.extend(section(_row_text(row)) for row in comparison.rows)
    topics = comparison.topics
    if topics:
        listed = "\n".join(
            f"• {inline(row.competency, COMPETENCY_SHOWN)} (gap {row.gap:+d})" for row in topics
        )
        blocks.append(section(f"*Topics for your next session*\n{listed}"))
    else:
        blocks.append(
            section(f"No gaps of {GAP_TOPIC} or more: you see these skills much the same way.")
        )
    buttons = []
    value = f"{comparison.pairing_id}:{comparison.round}"
    if topics and agenda_added is None:
        buttons.append(
            button(
                "Add gaps to agenda", ActionId.SKILLS_GAPS_TO_AGENDA, value=value, style="primary"
            )
        )
    buttons.append(
        button("Start a re-assessment", ActionId.SKILLS_REASSESS, value=str(comparison.pairing_id))
    )
    blocks.append(actions(*buttons))
    if agenda_added is not None:
        blocks.append(
            context(
                f":white_check_mark: Added {agenda_added} gap{'' if agenda_added == 1 else 's'} "
                "to your agenda."
                if agenda_added
                else "These gaps are already on your agenda."
            )
        )
    blocks.append(context("Gap = the mentee's score minus the mentor's. " + PRIVATE_NOTE))
    return blocks


def build_skill_comparison(
    comparison: SkillComparison, *, agenda_added: int | None = None
) -> dict[str, Any]:
    """Both people's scores side by side, gaps highlighted, growth since round 1 shown."""
    topics = len(comparison.topics)
    text = (
        f"Skill matrix round {comparison.round}: both scores are in, "
        f"{topics} gap{'' if topics == 1 else 's'} to talk about"
    )
    return message(text, _comparison_blocks(comparison, agenda_added=agenda_added))


def build_skill_comparison_modal(
    comparison: SkillComparison, *, agenda_added: int | None = None
) -> dict[str, Any]:
    """The same comparison in a modal, for buttons on the Home tab (nothing to submit)."""
    # The skill matrix's callback id: its buttons redraw it in place, as they do the form.
    return modal(
        CallbackId.SKILLS,
        "Skill matrix",
        _comparison_blocks(comparison, agenda_added=agenda_added),
    )
