"""Matching views: the lead's proposals, "why this match?", the swap modal, introductions, the
board."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.commands import COMMAND
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.matching import ScorePart
from bot.services.pairing import (
    BOARD_ROLES,
    MAX_BOARD_SIZE,
    PROPOSALS_PER_PAGE,
    BoardSeat,
    Introduction,
    MatchRound,
    MatchWhy,
    ProposalPage,
    UnmatchedMentee,
)
from bot.views.blocks import (
    SELECT_OPTIONS_LIMIT,
    Block,
    actions,
    button,
    clip_mrkdwn,
    context,
    divider,
    header,
    input_block,
    message,
    modal,
    option,
    plain,
    section,
    static_select,
    text_input,
)
from bot.views.enrolment import day_label
from bot.views.text import escape, inline, listed
from storage.enums import ProgramStatus
from storage.models import Program

# Ids of the "why this match?" button and modal; they belong with the others in bot.ids.
# The button's value is the proposal's pairing id, like the other proposal buttons.
MATCH_WHY = "match_why"
MATCH_WHY_MODAL = "match_why_modal"
UNMATCHED_SHOWN = 10
CADENCE_WORDS = {
    "weekly": "every week",
    "biweekly": "every two weeks",
    "monthly": "every month",
    "as_needed": "as needed",
}


def _mentions(user_ids: Sequence[str]) -> str:
    return ", ".join(f"<@{u}>" for u in user_ids)


def _unmatched_lines(unmatched: Sequence[UnmatchedMentee]) -> str:
    lines = [
        f"• <@{m.user_id}>: {escape('; '.join(m.reasons)) or 'no fitting mentor'}"
        for m in unmatched[:UNMATCHED_SHOWN]
    ]
    if len(unmatched) > UNMATCHED_SHOWN:
        lines.append(f"…and {len(unmatched) - UNMATCHED_SHOWN} more.")
    return "\n".join(lines)


def build_match_summary(round_: MatchRound, *, program_name: str) -> str:
    """One line on what a matching round did."""
    return (
        f"Matching *{escape(program_name)}*: {round_.proposals} proposal"
        f"{'' if round_.proposals == 1 else 's'} for {round_.mentees_considered} unmatched "
        f"mentee{'' if round_.mentees_considered == 1 else 's'} and "
        f"{round_.mentors_available} mentor{'' if round_.mentors_available == 1 else 's'}; "
        f"{len(round_.unmatched)} could not be placed."
    )


def build_proposals(page: ProposalPage, *, summary: str | None = None) -> dict[str, Any]:
    """The lead's review message: each proposal with its fit and reasons, and what to do."""
    name = escape(page.program_name)
    blocks: list[Block] = [header(f"Match proposals: {page.program_name}")]
    if summary:
        blocks.append(section(summary))
    if not page.rows:
        blocks.append(
            section(
                "No open proposals. Approved pairs get their introduction by group DM; run "
                f"`/mentor match {name}` again when new people join."
            )
        )
    else:
        first, last = page.offset + 1, page.offset + len(page.rows)
        blocks.append(
            context(f"Showing {first} to {last} of {page.total}, best fit first. Fit is 0 to 100.")
        )
    for row in page.rows:
        who = f"*<@{row.mentor_user_id}>* mentors {_mentions(row.mentee_user_ids)}"
        blocks.append(section(f"{who} · fit *{row.score:.0f}*\n{_bullets(row.reasons)}"))
        value = str(row.pairing_id)
        blocks.append(
            actions(
                button("Approve", ActionId.MATCH_APPROVE, value=value, style="primary"),
                button("Swap mentor", ActionId.MATCH_SWAP, value=value),
                button("Leave for later", ActionId.MATCH_LATER, value=value),
                button("Why this match?", MATCH_WHY, value=value),
                block_id=f"proposal_{row.pairing_id}",
            )
        )
    navigation: list[Block] = []
    if page.total:
        approve_all = button(
            f"Approve all {page.total}", ActionId.MATCH_APPROVE_ALL, value=str(page.program_id)
        )
        approve_all["style"] = "primary"
        approve_all["confirm"] = {
            "title": plain("Approve every proposal?", 100),
            "text": plain(f"{page.total} introductions will go out right away."),
            "confirm": plain("Approve all", 30),
            "deny": plain("Not yet", 30),
        }
        navigation.append(approve_all)
    pages: list[Block] = []
    if page.offset > 0:
        previous = max(page.offset - PROPOSALS_PER_PAGE, 0)
        pages.append(button("Previous", ActionId.MATCH_PAGE, value=f"{page.program_id}:{previous}"))
    if page.offset + len(page.rows) < page.total:
        following = page.offset + len(page.rows)
        pages.append(button("Next", ActionId.MATCH_PAGE, value=f"{page.program_id}:{following}"))
    # Previous and Next share an action id, which Slack allows once per actions block.
    if navigation or pages:
        blocks.append(actions(*navigation, *pages[:1], block_id="proposal_navigation"))
    if len(pages) > 1:
        blocks.append(actions(pages[1], block_id="proposal_next"))
    if page.unmatched:
        blocks.append(divider())
        blocks.append(
            section(f"*Not placed ({len(page.unmatched)})*\n" + _unmatched_lines(page.unmatched))
        )
    text = f"Match proposals for {name}: {page.total} to review"
    return message(text, blocks)


def _bullets(reasons: Sequence[str]) -> str:
    """Reasons as a list; they quote what people wrote (interests, skills), so it is escaped."""
    return "\n".join(f"• {escape(reason)}" for reason in reasons) or "• no strong signal"


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def _part_text(part: ScorePart) -> str:
    head = (
        f"*{part.name}* · weight {_percent(part.weight)} · {part.value:.2f} of 1 "
        f"\N{RIGHTWARDS ARROW} *{part.points:.1f}* points"
    )
    return clip_mrkdwn(head + "\n" + _bullets(part.basis), 3000)


def _why_blocks(why: MatchWhy, *, many: bool) -> list[Block]:
    result = why.explanation
    pair = f"<@{why.mentor_user_id}> and <@{why.mentee_user_id}>"
    blocks: list[Block] = [section(f"*{pair}* · fit *{result.score:.1f}* of 100")]
    if not many:
        blocks.append(
            context(
                "Each part scores 0 to 1 and counts by its weight; the fit is their weighted "
                "sum out of 100."
            )
        )
    blocks += [section(_part_text(part)) for part in result.parts]
    notes = []
    if why.proposed_score is not None and abs(why.proposed_score - result.score) >= 0.05:
        notes.append(
            f"Proposed at fit {why.proposed_score:.1f}; a profile has changed since, so these "
            "parts are as things stand now."
        )
    if result.blockers:
        blockers = "; ".join(escape(blocker) for blocker in result.blockers)
        notes.append(f"Would not be proposed now: {blockers}.")
    if why.practising:
        practising = ", ".join(escape(item) for item in why.practising)
        notes.append(f"The mentor wants to practise {practising} (not part of the fit).")
    if notes:
        blocks.append(context(*(clip_mrkdwn(note, 2000) for note in notes)))
    return blocks


def build_why_modal(whys: Sequence[MatchWhy]) -> dict[str, Any]:
    """The parts of a proposal's fit: skills, interests, values, time overlap, with their
    weights and what each was computed from (one set per member of a group)."""
    blocks: list[Block] = []
    for index, why in enumerate(whys):
        if index:
            blocks.append(divider())
        blocks += _why_blocks(why, many=len(whys) > 1)
    if len(whys) > 1:
        blocks.insert(
            0,
            context(
                "A group's fit is the average of its members' fits. Each part scores 0 to 1 "
                "and counts by its weight."
            ),
        )
    return modal(MATCH_WHY_MODAL, "Why this match?", blocks, close="Close")


def build_swap_modal(
    *,
    pairing_id: int,
    program_id: int,
    mentee_user_id: str,
    choices: Sequence[tuple[int, str, float]],
    channel_id: str | None = None,
    message_ts: str | None = None,
) -> dict[str, Any]:
    """Pick another mentor for a proposal; ``choices`` are (participant id, name, fit).

    ``channel_id`` and ``message_ts`` name the proposals message to redraw once swapped.
    """
    options = [
        option(f"{name} (fit {score:.0f})", str(participant_id))
        for participant_id, name, score in choices[:SELECT_OPTIONS_LIMIT]
    ]
    blocks: list[Block] = [section(f"Who should mentor <@{mentee_user_id}> instead?")]
    if options:
        blocks.append(
            input_block(
                BlockId.MATCH_SWAP_MENTOR,
                "Mentor",
                static_select(options, placeholder="Best fit first"),
            )
        )
    else:
        blocks.append(
            section("No other mentor has room, or they were this mentee's mentor before.")
        )
    metadata: dict[str, Any] = {"pairing_id": pairing_id, "program_id": program_id}
    if channel_id and message_ts:
        metadata.update(channel=channel_id, ts=message_ts)
    return modal(
        CallbackId.MATCH_SWAP,
        "Swap mentor",
        blocks,
        metadata=metadata,
        submit="Swap" if options else None,
        close="Cancel",
    )


def introduction_what(intro: Introduction) -> str:
    """What an introduction is, in the lead's words, should it never arrive."""
    people = [f"<@{user_id}>" for user_id in intro.user_ids]  # the mentor first
    return f"the introduction of {', '.join(people[:-1])} and {people[-1]}"


def approved_text(introductions: Sequence[Introduction]) -> str:
    """The lead's answer to an approval: the introductions are queued, not yet delivered."""
    if not introductions:
        return "There were no open proposals left to approve."
    if len(introductions) == 1:
        return f"Approved: {introduction_what(introductions[0])} is on its way."
    return f"Approved {len(introductions)}: their introductions are on their way."


def start_text(program: Program, *, started: bool, today: date) -> str:
    """What an approval did to the program's start, and why ("" when there is nothing to say)."""
    name = escape(program.name)
    if started:
        return (
            f"*{name}* has started: it was due to start on {day_label(program.start_date)} and "
            "now has a running pair, so prompts and check-ins run for its pairs from now on."
        )
    if program.status is ProgramStatus.ENROLLING and program.start_date > today:
        return (
            f"*{name}* starts by itself on its start date, {day_label(program.start_date)}; "
            "prompts and check-ins begin then. To start it sooner: "
            f"`{COMMAND} program start {name}`."
        )
    return ""


def build_introduction(intro: Introduction) -> dict[str, Any]:
    """The group DM that introduces a new pairing (or group) and starts rapport."""
    mentees = [m.user_id for m in intro.mentees]
    group = len(mentees) > 1
    name = escape(intro.program_name)
    blocks: list[Block] = [
        header("Meet your mentoring group 👋" if group else "Meet your mentoring partner 👋"),
        section(
            f"Welcome to *{name}*! <@{intro.mentor.user_id}> will mentor {_mentions(mentees)}."
        ),
    ]
    for person in (intro.mentor, *intro.mentees):
        facts = []
        if person.aim:
            facts.append(f"_Aims for:_ {inline(person.aim, 300)}")
        if person.skills:
            label = "Offers" if person.role.value == "mentor" else "Wants to grow"
            facts.append(f"_{label}:_ {listed(person.skills[:5], 500)}")
        if person.practising:
            facts.append(f"_Wants to practise:_ {listed(person.practising[:5], 500)}")
        if person.interests:
            facts.append(f"_Into:_ {listed(person.interests[:5], 500)}")
        blocks.append(section(f"*<@{person.user_id}>* ({person.role.value})\n" + "\n".join(facts)))
    if intro.reasons:
        blocks.append(section("*Why you were matched*\n" + _bullets(intro.reasons)))
    cadence = CADENCE_WORDS.get(intro.cadence, intro.cadence)
    blocks.append(
        section(
            f"*How it works:* meet {cadence}, {intro.session_minutes} minutes each, for "
            f"{intro.length_months} months. The mentee owns the agenda."
        )
    )
    blocks.append(
        section(
            "*Your first session is for getting to know each other.* Each of you shares one "
            "pivotal challenge or failure and what it taught you. No problem-solving yet: "
            "listen, ask, and find what you have in common. Pick a day and time for it below."
        )
    )
    blocks.append(
        actions(
            button(
                "Schedule the first session",
                ActionId.SCHEDULE_OPEN,
                value=str(intro.pairing_ids[0]),
                style="primary",
            )
        )
    )
    blocks.append(
        context("What you write here stays between you. Program leads see only aggregates.")
    )
    text = f"Meet your mentoring {'group' if group else 'partner'} in {name}"
    return message(text, blocks)


def build_board(
    *, program_name: str, program_id: int, mentee_user_id: str, seats: Sequence[BoardSeat]
) -> dict[str, Any]:
    """A mentee's personal board of directors."""
    blocks: list[Block] = [header(f"Your board: {program_name}")]
    if not seats:
        blocks.append(
            section("You have no mentors in this program yet. A lead will match you soon.")
        )
    for seat in seats:
        role = inline(seat.role, 80) if seat.role else "_no role yet_"
        paused = " (paused)" if seat.status.value == "paused" else ""
        blocks.append(section(f"*{role}*: <@{seat.mentor_user_id}>{paused}"))
    blocks.append(
        context(
            f"Up to {MAX_BOARD_SIZE} mentors, each with a distinct role such as "
            + ", ".join(BOARD_ROLES)
            + "."
        )
    )
    if seats:
        blocks.append(actions(button("Edit roles", ActionId.BOARD_EDIT, value=str(program_id))))
    return message(f"Your board in {escape(program_name)}: {len(seats)} mentor(s)", blocks)


def build_board_modal(
    *, program_id: int, seats: Sequence[BoardSeat], names: dict[str, str]
) -> dict[str, Any]:
    """Edit the role of each mentor on the board (a preset or your own label)."""
    blocks: list[Block] = [
        section("Give each mentor a distinct role. Leave one empty for no role.")
    ]
    for seat in seats[:MAX_BOARD_SIZE]:
        name = names.get(seat.mentor_user_id, seat.mentor_user_id)
        blocks.append(
            input_block(
                f"{BlockId.BOARD_ROLE_PREFIX}{seat.pairing_id}",
                f"Role of {name}",
                text_input(seat.role, max_length=40, placeholder=" / ".join(BOARD_ROLES)),
                optional=True,
            )
        )
    return modal(
        CallbackId.BOARD,
        "Your board",
        blocks,
        metadata={"program_id": program_id},
        submit="Save",
        close="Cancel",
    )
