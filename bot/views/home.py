"""The App Home tab: a person's dashboard, and the health of the programs a lead runs.

Also the lead's tools the health view opens: a pair's report, the re-match confirmation and its
outcome, and the messages a nudge or a re-match sends the pair. The tab stays within Slack's 100
blocks whatever the numbers: a lead's programs and each program's red flags come a page at a
time, and the person's own lists are cut with a pointer to the rest.
"""

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from bot.commands import COMMAND
from bot.ids import ActionId, BlockId
from bot.services.digest import Health, PairMetrics, RedFlag
from bot.services.home import (
    FLAGS_PER_PAGE,
    PROGRAMS_PER_PAGE,
    EnrolmentCard,
    HomeData,
    HomePage,
    JoinCard,
    LedCard,
    Nudge,
    ProgramHealth,
)
from bot.services.rematch import REASONS, Rematch
from bot.services.sessions import zone
from bot.views.blocks import (
    MODAL_BLOCKS_LIMIT,
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
from bot.views.dashboard import STAGE_LABELS, pair_card
from bot.views.program import STATUS_EMOJI, STATUS_LABELS, day, invitations_line
from bot.views.text import escape, quote
from storage.enums import FlagKind, ParticipantStatus, ProgramStatus, Role, Visibility

# Ids of the lead's health view. bot/ids.py is shared by every surface; these are read back only
# by handlers/home.py, so they live beside the view that makes them.
FLAG_NUDGE = "home_flag_nudge"  # value "<pairing id>:<flag kind>"
FLAG_REPORT = "home_flag_report"  # value: the pairing id
FLAG_REMATCH = "home_flag_rematch"  # value: the pairing id
REVIEW_PROPOSALS = "home_review_proposals"  # value: the program id
# Page buttons (value: ``HomePage.value``); two ids, as both can sit in one actions block.
PAGE_PREVIOUS = "home_page_previous"
PAGE_NEXT = "home_page_next"
REMATCH_CALLBACK = "home_rematch_modal"
REPORT_CALLBACK = "home_pair_report_modal"
REMATCH_DONE_CALLBACK = "home_rematch_done_modal"
REMATCH_REASON = "home_rematch_reason"
REMATCH_NOTE = "home_rematch_note"
REMATCH_NOTE_MAX = 500

HOME_BLOCKS_LIMIT = 100
PRIVACY_NOTE = "Your notes, feedback and scorecards are private to you and your mentoring partner."
LEAD_PRIVACY = "Numbers and flags only: notes, feedback, comments and ratings stay with each pair."
HEALTH_LABELS = {
    Health.ACTIVE: ":large_green_circle: {n} thriving",
    Health.LAPSING: ":large_yellow_circle: {n} lapsing",
    Health.STALLED: ":red_circle: {n} stalled",
    Health.PAUSED: ":double_vertical_bar: {n} paused",
    Health.GRADUATED: ":mortar_board: {n} graduated",
    Health.ENDED: ":white_circle: {n} ended",
}
# Always shown, even at zero: the four a lead watches.
HEALTH_ALWAYS = (Health.ACTIVE, Health.LAPSING, Health.STALLED, Health.PAUSED)
FLAG_LABELS = {
    FlagKind.DELIVERY_FAILED: ":no_entry: Can't reach",
    FlagKind.LAPSED: ":red_circle: Lapsed",
    FlagKind.LOW_SCORECARD: ":chart_with_downwards_trend: Low scorecards",
    FlagKind.ONE_SIDED_EFFORT: ":scales: One-sided effort",
    FlagKind.AGENDA_DRIFT: ":spiral_note_pad: Agenda drift",
    FlagKind.AVOIDED_FEEDBACK: ":speech_balloon: Avoided hard feedback",
    FlagKind.SKILL_GAP_UNRESOLVED: ":jigsaw: Skill gap unresolved",
    FlagKind.UNMATCHED: ":hourglass: Waiting for a match",
}
# Flags about someone a message cannot reach: nudging would not land.
NOT_NUDGEABLE = frozenset({FlagKind.DELIVERY_FAILED, FlagKind.UNMATCHED})


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def _number(value: float) -> str:
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def _short_day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b}"


def flag_label(kind: FlagKind) -> str:
    """A flag kind's short title (kinds added later read from their name)."""
    return FLAG_LABELS.get(kind, ":warning: " + kind.value.replace("_", " ").capitalize())


def _who(user_ids: Sequence[str]) -> str:
    """A pair as "mentor → mentee", or the one person a flag is about."""
    return " → ".join(f"<@{u}>" for u in user_ids)


# --- the tab -------------------------------------------------------------------------------------


def build_home_empty(*, user_id: str) -> dict[str, Any]:
    """The Home tab for someone in no program yet: what the bot does and how to begin."""
    blocks = [
        header("Welcome to mentorbot 👋"),
        section(
            f"Hi <@{user_id}>! mentorbot runs mentorship programs right here in Slack: "
            "programs and matching, goals that are specific and dated, sessions with an agenda, "
            "three-part feedback, scorecards, skill matrices and a cohort digest for the leads.",
            block_id=BlockId.HOME_WELCOME,
        ),
        divider(),
        section(
            "*You're not in a program yet.*\n"
            f"• *Want a mentor, or to be one?* When a program opens, join it with `{COMMAND} join` "
            "or the Join button your program lead posts.\n"
            "• *Running a program?* Workspace admins set one up with "
            f"`{COMMAND} program new`, then open it for enrolment and match people."
        ),
        actions(button("See all commands", ActionId.HOME_HELP)),
        context(PRIVACY_NOTE),
    ]
    return {"type": "home", "blocks": blocks}


def build_home(data: HomeData, *, tz: str, today: date) -> dict[str, Any]:
    """The Home tab: pairings first, then the programs led with their health, then programs
    to join; whatever does not fit Slack's 100 blocks is pointed to, never cut off silently."""
    if data.is_new and not data.joinable and not data.may_create_programs:
        return build_home_empty(user_id=data.user_id)
    footer = [actions(button("See all commands", ActionId.HOME_HELP)), context(PRIVACY_NOTE)]
    leads = bool(data.led or data.may_create_programs)
    led = _led_section(data, tz=tz, today=today) if leads else []
    waiting = [e for e in data.enrolments if not e.matched]
    mine: list[list[Block]] = [pair_card(b, tz=tz, today=today) for b in data.pairings]
    mine += [[_enrolment(card)] for card in waiting]
    if not mine and not leads:
        mine = [[section("You're not in a program yet.")]]
    # A line for programs to join is kept free, so they are at least pointed to.
    room = HOME_BLOCKS_LIMIT - len(footer) - len(led) - (1 if data.joinable else 0)
    blocks = _fit(
        [header("Your mentoring")] if mine else [],
        mine,
        room,
        lambda n: f"…and {n} more: `{COMMAND} status`.",
    )
    # Nothing above the programs: no divider to open the tab with.
    blocks += led if blocks else led[1:]
    if data.joinable:
        room = HOME_BLOCKS_LIMIT - len(footer) - len(blocks)
        blocks += _fit(
            # Not "open for enrolment": a running program takes late joiners too.
            [divider(), header("Programs you can join")],
            [_join(card) for card in data.joinable],
            room,
            lambda n: f"…and {n} more: `{COMMAND} join`.",
        ) or [context(f"There are programs you can join: `{COMMAND} join` lists them.")]
    return {
        "type": "home",
        "blocks": blocks + footer,
        # The page travels with the tab: a button on it redraws the same page.
        "private_metadata": data.page.value,
    }


def _fit(
    head: list[Block], items: list[list[Block]], room: int, more: Callable[[int], str]
) -> list[Block]:
    """``head`` and as many whole ``items`` as fit in ``room`` blocks, then how many more."""
    if not items or len(head) + 1 > room:
        return []
    blocks = list(head)
    for index, item in enumerate(items):
        left = len(items) - index - 1
        if len(blocks) + len(item) + (1 if left else 0) > room:
            blocks.append(context(more(len(items) - index)))
            break
        blocks.extend(item)
    return blocks


def _enrolment(card: EnrolmentCard) -> Block:
    line = f"*{escape(card.program_name)}*: enrolled as {card.role.value}"
    if card.status is ParticipantStatus.PAUSED and card.paused_until:
        return section(f"{line}, paused until {day(card.paused_until.date())}.")
    if card.role is Role.MENTEE:
        return section(f"{line}. A lead will match you with a mentor soon.")
    return section(f"{line}. You'll be introduced when a lead matches you with a mentee.")


def _join(card: JoinCard) -> list[Block]:
    when = f"running since {card.start}" if card.running else f"starts {card.start}"
    return [
        section(
            f"*{escape(card.program_name)}* ({when}): join as a {role.value}",
            accessory=button("Join", ActionId.JOIN, value=f"{card.program_id}:{role.value}"),
        )
        for role in card.roles
    ]


# --- the programs a lead runs --------------------------------------------------------------------


def _led_section(data: HomeData, *, tz: str, today: date) -> list[Block]:
    blocks: list[Block] = [divider(), header("Programs you lead")]
    start, total = data.led_offset, data.led_total
    if total > PROGRAMS_PER_PAGE:
        blocks.append(
            context(
                f"Programs {start + 1} to {start + len(data.led)} of {total}, running ones first · "
                f"every one: `{COMMAND} program list`"
            )
        )
    for card in data.led:
        blocks.extend(led_card(card, page=data.page, tz=tz, today=today))
    if total > PROGRAMS_PER_PAGE:
        pager = _pager(
            previous=HomePage(start - PROGRAMS_PER_PAGE) if start > 0 else None,
            following=(
                HomePage(start + PROGRAMS_PER_PAGE) if start + PROGRAMS_PER_PAGE < total else None
            ),
            what="programs",
        )
        blocks.append(actions(*pager, block_id="led_pages"))
    if data.may_create_programs:
        blocks.append(actions(button("New program", ActionId.PROGRAM_NEW, style="primary")))
    return blocks


def _pager(*, previous: HomePage | None, following: HomePage | None, what: str) -> list[Block]:
    buttons = []
    if previous is not None:
        buttons.append(button(f"← Previous {what}", PAGE_PREVIOUS, value=previous.value))
    if following is not None:
        buttons.append(button(f"Next {what} →", PAGE_NEXT, value=following.value))
    return buttons


def led_card(card: LedCard, *, page: HomePage, tz: str, today: date) -> list[Block]:
    """One program: status, health, plan, what waits on the lead, controls, then its flags."""
    program, health = card.program, card.health
    status = f"{STATUS_EMOJI[program.status]} {STATUS_LABELS[program.status]}"
    title = f"*{escape(program.name)}* · {status}"
    if health is not None and program.status is ProgramStatus.ACTIVE:
        title += f" · week {health.week} of {health.weeks_total}"
    else:
        title += f" · starts {day(program.start_date)}"
    counts = card.counts
    lines = [
        title,
        f"{counts.mentees_active} of {program.places} places filled · "
        f"{_plural(counts.mentors, 'mentor')} · {_plural(counts.mentees, 'mentee')} "
        f"({counts.mentees_matched} matched)",
    ]
    if health is not None and health.running:
        lines += _health_lines(health)
    elif health is not None:
        lines.append("No pairs running yet: approve a match to start one.")
    if card.invitations.total or program.visibility is Visibility.INVITATION:
        lines.append(invitations_line(card.invitations, program))
    blocks: list[Block] = [section("\n".join(lines))]
    blocks.append(section(_waiting_text(card)))
    blocks.append(actions(*_controls(card), block_id=f"led_{program.id}"))
    if health is not None and health.running:
        blocks.extend(_flag_blocks(card, health, page=page, tz=tz, today=today))
    return blocks


def _health_lines(health: ProgramHealth) -> list[str]:
    head = health.headline
    counts = head.counts
    buckets = " · ".join(
        HEALTH_LABELS[h].format(n=f"{counts.get(h, 0):,}")
        for h in Health
        if h in HEALTH_ALWAYS or counts.get(h, 0)
    )
    hours = (
        f"*Hours:* {_number(head.hours_total)} h held · "
        f"{_number(head.hours_planned_per_pair)} h a pair due by now "
        f"(of the {_number(head.hours_minimum_per_pair)} h minimum)"
    )
    if head.pairs_behind_hours:
        hours += f" · {_plural(head.pairs_behind_hours, 'pair')} behind"
    return [
        f"*Pairs:* {buckets}",
        f"*Sessions:* {head.sessions_week:,} this week of {_number(head.sessions_week_planned)} "
        f"planned · {head.sessions_total:,} of {head.sessions_total_planned:,} planned to date",
        hours,
    ]


def _waiting_text(card: LedCard) -> str:
    parts = []
    if card.proposals:
        parts.append(f"{_plural(card.proposals, 'proposal')} to approve")
    if card.unmatched:
        text = f"{_plural(card.unmatched, 'mentee')} without a mentor"
        health = card.health
        if health is not None and health.waiting_user_ids:
            names = ", ".join(f"<@{u}>" for u in health.waiting_user_ids)
            extra = health.waiting - len(health.waiting_user_ids)
            text += f" (waiting for a new round: {names}{f' +{extra}' if extra > 0 else ''})"
        parts.append(text)
    return "*Waiting on you:* " + (" · ".join(parts) if parts else "nothing right now.")


def _controls(card: LedCard) -> list[Block]:
    program = card.program
    pid = str(program.id)
    buttons = []
    if card.proposals:
        buttons.append(button("Review proposals", REVIEW_PROPOSALS, value=pid, style="primary"))
    if program.status in (ProgramStatus.ENROLLING, ProgramStatus.ACTIVE):
        style = None if card.proposals else "primary"
        buttons.append(button("Match", ActionId.PROGRAM_MATCH, value=pid, style=style))
    if program.status in (ProgramStatus.ENROLLING, ProgramStatus.ACTIVE):
        buttons.append(button("Invite people", ActionId.INVITE_OPEN, value=pid))
    if card.invitations.total:
        buttons.append(button("Who's invited", ActionId.INVITATIONS_OPEN, value=pid))
    buttons.append(button("Edit", ActionId.PROGRAM_EDIT, value=pid))
    if program.status is ProgramStatus.DRAFT:
        buttons.append(button("Open enrolment", ActionId.PROGRAM_OPEN_ENROLMENT, value=pid))
    if program.status in (ProgramStatus.DRAFT, ProgramStatus.ENROLLING):
        buttons.append(button("Start", ActionId.PROGRAM_START, value=pid))
    close = button("Close", ActionId.PROGRAM_CLOSE, value=pid, style="danger")
    close["confirm"] = {
        "title": plain("Close this program?", 100),
        "text": plain(f"{program.name} stops its schedule for good.", 300),
        "confirm": plain("Close it", 30),
        "deny": plain("Keep it", 30),
    }
    buttons.append(close)
    return buttons


def _flag_blocks(
    card: LedCard, health: ProgramHealth, *, page: HomePage, tz: str, today: date
) -> list[Block]:
    pid = card.program.id or 0
    if not health.flag_total:
        return [section("*Red flags:* none right now. :tada:")]
    first = health.flag_offset
    shown = f"{first + 1} to {first + len(health.flags)} of {health.flag_total}"
    blocks = [section(f"*Red flags* ({shown}, the most urgent first)")]
    for index, flag in enumerate(health.flags):
        nudge = health.nudges.get((flag.pairing_id or 0, flag.kind.value))
        blocks.append(section(_flag_text(flag, nudge, tz=tz, today=today)))
        buttons = _flag_buttons(flag)
        if buttons:
            blocks.append(actions(*buttons, block_id=f"flag_{pid}_{first + index}"))
    if health.flag_total > FLAGS_PER_PAGE:
        at = page.programs
        pager = _pager(
            previous=HomePage(at, pid, first - FLAGS_PER_PAGE) if first > 0 else None,
            following=(
                HomePage(at, pid, first + FLAGS_PER_PAGE)
                if first + FLAGS_PER_PAGE < health.flag_total
                else None
            ),
            what="flags",
        )
        blocks.append(actions(*pager, block_id=f"flag_pages_{pid}"))
    return blocks


def _flag_text(flag: RedFlag, nudge: Nudge | None, *, tz: str, today: date) -> str:
    text = (
        f"*{flag_label(flag.kind)}* · {_who(flag.user_ids)}: {escape(flag.reason)}.\n"
        f"_Suggested: {escape(flag.action)}_"
    )
    if nudge is not None:
        sent = nudge.at.astimezone(zone(tz)).date()
        when = "today" if sent == today else f"on {_short_day(sent)}"
        by = f" by <@{nudge.sender_id}>" if nudge.sender_id else ""
        text += f"\n:envelope: Nudged{by} {when}."
    return clip_mrkdwn(text, 3000)


def _flag_buttons(flag: RedFlag) -> list[Block]:
    if flag.pairing_id is None:
        return []
    pairing = str(flag.pairing_id)
    buttons = []
    if flag.kind not in NOT_NUDGEABLE:
        buttons.append(button("Nudge the pair", FLAG_NUDGE, value=f"{pairing}:{flag.kind.value}"))
    buttons.append(button("Open the report", FLAG_REPORT, value=pairing))
    buttons.append(button("Re-match", FLAG_REMATCH, value=pairing))
    return buttons


# --- a pair's report -----------------------------------------------------------------------------


def build_pair_report_modal(
    pair: PairMetrics,
    flags: Sequence[RedFlag],
    *,
    program_name: str,
    tz: str,
) -> dict[str, Any]:
    """One pair's line of ``/mentor report``, opened up: numbers and flags, no private text."""
    goals = pair.goals
    last = pair.last_session_at
    stage = STAGE_LABELS.get(pair.stage.value, pair.stage.value)
    health = HEALTH_LABELS[pair.health].format(n="").replace("  ", " ")
    started = f"started {_short_day(pair.started_on)}" if pair.started_on else "not started"
    fields = [
        f"*Last session*\n{_short_day(last.astimezone(zone(tz)).date()) if last else 'none yet'}",
        f"*Sessions*\n{pair.sessions_held} held of {pair.sessions_planned} planned",
        f"*Hours*\n{_number(pair.hours_held)} h of {_number(pair.hours_planned)} h planned by "
        f"now ({_number(pair.minimum_hours)} h minimum)",
        f"*Goals*\n{goals.done} done of {goals.total} · {goals.agreed} agreed · "
        f"{goals.on_track} on track · {goals.at_risk} at risk · {goals.overdue} overdue",
        f"*Skill gaps open*\n{pair.skill_open_gaps}",
    ]
    blocks: list[Block] = [
        section(
            f"*<@{pair.mentor_user_id}> → <@{pair.mentee_user_id}>* in "
            f"*{escape(program_name)}*\n{health} · {stage} · {started}"
        ),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if flags:
        lines = ["*Red flags*"]
        for flag in flags:
            lines.append(
                f"• *{flag_label(flag.kind)}*: {escape(flag.reason)}.\n"
                f"   _Suggested: {escape(flag.action)}_"
            )
        blocks.append(section(clip_mrkdwn("\n".join(lines), 3000)))
    else:
        blocks.append(section("*Red flags:* none for this pair right now."))
    buttons = [
        button("Nudge the pair", FLAG_NUDGE, value=f"{pair.pairing_id}:{flag.kind.value}")
        for flag in flags[:1]
        if flag.kind not in NOT_NUDGEABLE
    ]
    buttons.append(button("Re-match", FLAG_REMATCH, value=str(pair.pairing_id)))
    blocks.append(actions(*buttons))
    blocks.append(
        context(
            f"{LEAD_PRIVACY} Every pair of the program: "
            f"`{COMMAND} report {escape(program_name)}` · CSV: "
            f"`{COMMAND} export {escape(program_name)}`"
        )
    )
    return modal(REPORT_CALLBACK, "Pair report", blocks[:MODAL_BLOCKS_LIMIT])


# --- re-matching ---------------------------------------------------------------------------------


def build_rematch_modal(
    *,
    pairing_id: int,
    program_id: int,
    program_name: str,
    mentor_user_id: str,
    mentee_user_id: str,
    page: str,
) -> dict[str, Any]:
    """Confirm ending a pairing for a re-match, with why (stored) and a word for both."""
    name = escape(program_name)
    blocks: list[Block] = [
        section(
            f"End the pairing of <@{mentor_user_id}> (mentor) and <@{mentee_user_id}> "
            f"(mentee) in *{name}*?\n"
            "• Both hear it from me privately, kindly, and that it came from you.\n"
            f"• <@{mentee_user_id}> goes back on the unmatched list: the next matching round "
            f"proposes a new mentor (never <@{mentor_user_id}> again).\n"
            f"• <@{mentor_user_id}> stays in the program, with room for another mentee.\n"
            "• Sessions they had booked are called off."
        )
    ]
    blocks += [
        input_block(
            REMATCH_REASON,
            "Why is it ending?",
            static_select(
                [option(label.capitalize(), key) for key, label in REASONS.items()],
                placeholder="Pick a reason",
            ),
            hint="Kept with the pairing for the program's leads; the pair doesn't see it.",
        ),
        input_block(
            REMATCH_NOTE,
            "A word for both of them",
            text_input(
                multiline=True,
                max_length=REMATCH_NOTE_MAX,
                placeholder="Thank you both for giving it a real try…",
            ),
            hint="Optional. Both get it as you write it.",
            optional=True,
        ),
    ]
    return modal(
        REMATCH_CALLBACK,
        "Re-match this pair",
        blocks,
        metadata={"pairing_id": pairing_id, "program_id": program_id, "page": page},
        submit="End and re-match",
        close="Cancel",
    )


def build_rematch_done(outcome: Rematch, *, can_match: bool) -> dict[str, Any]:
    """What the lead sees once the pairing has ended: what happens next, and the next button."""
    mentor, mentee = f"<@{outcome.mentor_user_id}>", f"<@{outcome.mentee_user_id}>"
    name = escape(outcome.program_name)
    told = f"{mentor} and {mentee}" if not outcome.mentee_left else mentor
    steps = []
    if outcome.mentee_left:
        steps.append(f"{mentee} has left the program, so there is nobody to match again.")
    elif outcome.mentee_paused_until is not None:
        steps.append(
            f"{mentee} is paused until {day(outcome.mentee_paused_until.date())}: they join "
            "the first matching round after that."
        )
    else:
        steps.append(
            f"{mentee} is on the unmatched list of *{name}* "
            f"({_plural(outcome.waiting, 'mentee')} waiting). Run a matching round and approve "
            "a new mentor for them: both get an introduction."
        )
    steps.append(f"{mentor} has room for another mentee in the next round.")
    if outcome.cancelled_session is not None:
        steps.append("The sessions they had booked are called off.")
    blocks: list[Block] = [
        section(
            f":white_check_mark: {mentor} and {mentee} are no longer paired in *{name}*. "
            f"I'm telling {told}, kindly, inside their working hours; if a message can't "
            "reach someone, I'll tell you."
        ),
        section("*What happens next*\n" + "\n".join(f"• {s}" for s in steps)),
    ]
    if can_match and not outcome.mentee_left:
        blocks.append(
            actions(
                button(
                    "Run a matching round",
                    ActionId.PROGRAM_MATCH,
                    value=str(outcome.program_id),
                    style="primary",
                )
            )
        )
    return modal(REMATCH_DONE_CALLBACK, "Re-match", blocks, close="Done")


def build_rematch_message(
    outcome: Rematch, *, to_role: Role, lead_user_id: str, note: str
) -> dict[str, Any]:
    """To each of the two, privately: the pairing ended, why kindly, and what is theirs next."""
    lead, name = f"<@{lead_user_id}>", escape(outcome.program_name)
    mentor, mentee = f"<@{outcome.mentor_user_id}>", f"<@{outcome.mentee_user_id}>"
    if to_role is Role.MENTEE:
        text = (
            f"{lead}, who leads *{name}*, has ended your pairing with {mentor} so that you can "
            "be matched with a mentor who fits what you need now. It isn't a judgement on "
            "either of you: sometimes a match doesn't click, and finding a better one is what "
            "the program is for."
        )
        if outcome.mentee_paused_until is not None:
            nxt = (
                f"You're paused until {day(outcome.mentee_paused_until.date())}; you'll be in "
                "the first matching round after that, and get an introduction to your new mentor."
            )
        else:
            nxt = (
                "You're back on the list for the next matching round: you'll get an "
                "introduction as soon as a lead approves your new mentor. Bring what you "
                "learned and the goals you care about to them."
            )
        fallback = f"Your pairing in {name} is ending: a new match is coming"
    else:
        text = (
            f"{lead}, who leads *{name}*, has ended your pairing with {mentee} so that they "
            "can be matched with a mentor who fits what they need now. It isn't a judgement "
            f"on your mentoring: thank you for the time and care you gave {mentee}."
        )
        nxt = (
            "You stay in the program, with room for another mentee in a later round. If you'd "
            f"rather take a break, `{COMMAND} pause` does it."
        )
        fallback = f"Your pairing with your mentee in {name} is ending"
    blocks: list[Block] = [section(text), section(nxt)]
    if outcome.cancelled_session is not None:
        blocks.append(
            section(
                "The session you had booked together is called off: take it out of your calendar."
            )
        )
    if note.strip():
        blocks.append(section(clip_mrkdwn(f"{lead} added:\n{quote(note.strip())}", 3000)))
    blocks.append(context(f"Questions? {lead} is happy to talk it through."))
    return message(fallback, blocks)


# --- a lead's nudge ------------------------------------------------------------------------------

# Per flag kind: (to the mentor, to the mentee, the button that fixes it). ``{partner}`` is the
# other person's mention, ``{days}`` the days without a session, ``{skills}`` the competencies.
_NUDGES: dict[FlagKind, tuple[str, str, tuple[str, str] | None]] = {
    FlagKind.LAPSED: (
        "you and {partner} haven't met for {days} days. A short session this week keeps the "
        "momentum going, even 20 minutes to agree the next step. Could you pick a time "
        "together?",
        "you and {partner} haven't met for {days} days. A short session this week keeps the "
        "momentum going, even 20 minutes to agree the next step. Could you pick a time "
        "together?",
        ("Schedule a session", ActionId.SCHEDULE_OPEN),
    ),
    FlagKind.ONE_SIDED_EFFORT: (
        "{partner}'s action items from your recent sessions are still open. That usually "
        "means they're too big for the time they have: at your next session, agree fewer, "
        "smaller next steps together.",
        "the action items from your recent sessions with {partner} are still open. That "
        "usually means they're too big for the time you have: at your next session, agree "
        "fewer, smaller ones you can finish before the one after.",
        ("Open the agenda", ActionId.AGENDA_OPEN),
    ),
    FlagKind.AGENDA_DRIFT: (
        "your recent sessions with {partner} had no agenda. Ask {partner} to add two or three "
        "things they want from your next session: it helps you prepare and makes the time "
        "count.",
        "your recent sessions with {partner} had no agenda. You own it: two or three things "
        "you want from the next session help {partner} prepare and make the time count.",
        ("Open the agenda", ActionId.AGENDA_OPEN),
    ),
    FlagKind.AVOIDED_FEEDBACK: (
        "your recent feedback to {partner} hasn't named anything to change. Growth comes from "
        "that part: after your next session, name one specific thing to change and one next "
        "action, kindly and concretely.",
        "after your next session, ask {partner} for one specific thing you could do "
        "differently. It's the feedback that helps most, and it's easier to give when asked.",
        None,
    ),
    FlagKind.LOW_SCORECARD: (
        "at your next session with {partner}, ask what would make your sessions more useful "
        "to them, and agree one change to try.",
        "your recent session ratings suggest the sessions could be more useful to you. Tell "
        "{partner} what would help (a different focus, more practice, more challenge): put "
        "it on your next agenda.",
        ("Open the agenda", ActionId.AGENDA_OPEN),
    ),
    FlagKind.SKILL_GAP_UNRESOLVED: (
        "you and {partner} still score {skills} quite differently after two assessments. Try "
        "a session on it: agree with examples what good looks like, then score again.",
        "you and {partner} still score {skills} quite differently after two assessments. Try "
        "a session on it: agree with examples what good looks like, then score again.",
        ("Compare skills", ActionId.SKILLS_OPEN),
    ),
}
_NUDGE_FALLBACK = (
    "how is your mentoring with {partner} going? If something is getting in the way, tell "
    "{lead}: helping is what they're there for."
)


def nudge_skills(flag: RedFlag) -> str:
    """The competencies a skill-gap flag names (its reason starts with them)."""
    head, found, _ = flag.reason.partition(": still")
    return head if found and head else "some competencies"


def build_lead_nudge(
    flag: RedFlag,
    *,
    to_role: Role,
    pairing_id: int,
    partner_user_id: str,
    lead_user_id: str,
    program_name: str,
    days: int,
) -> dict[str, Any]:
    """A lead's nudge to one person of a flagged pair: kind, specific, with the one fix."""
    lead = f"<@{lead_user_id}>"
    found = _NUDGES.get(flag.kind)
    words = {
        "partner": f"<@{partner_user_id}>",
        "days": str(days),
        "skills": escape(nudge_skills(flag)),
        "lead": lead,
    }
    if found is None:
        body, fix = _NUDGE_FALLBACK.format(**words), None
    else:
        body = (found[0] if to_role is Role.MENTOR else found[1]).format(**words)
        fix = found[2]
    text = f"{lead}, who leads *{escape(program_name)}*, asked me to pass this on: {body}"
    blocks: list[Block] = [section(text)]
    if fix is not None:
        label, action_id = fix
        blocks.append(actions(button(label, action_id, value=str(pairing_id), style="primary")))
    blocks.append(
        context(
            f"<@{partner_user_id}> gets a note about this too. Reply to {lead} if you'd like help."
        )
    )
    return message(f"A note from your program lead about {escape(program_name)}", blocks)
