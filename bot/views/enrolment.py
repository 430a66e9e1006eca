"""Enrolment views: the program picker, the join/profile modal, pause and leave, and the DMs.

Join buttons carry ``action_id`` ``join:<role>`` (``ActionId.JOIN`` plus the role, because Slack
wants distinct action ids within one actions block) and ``value`` ``<program id>:<role>``.
"""

from collections.abc import Mapping, Sequence
from datetime import date, time, timedelta
from typing import Any, assert_never

from bot.commands import COMMAND
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.enrolment import (
    AVAILABILITY_MAX,
    CAPACITY_MAX,
    CAPACITY_MIN,
    COMPETENCY_VALUE_MAX,
    GAP_BLOCKS,
    JOIN_PRACTISING,
    JOIN_QUIET,
    LIST_ITEM_MAX,
    LIST_MAX_ITEMS,
    NOTE_MAX,
    OFFER_BLOCKS,
    OFFER_MAX,
    OFFER_ROWS,
    PAUSE_MAX_MONTHS,
    SCORE_MAX,
    SCORE_MIN,
    SITUATION_MIN,
    STORY_MAX,
    GapRow,
    Notification,
    NotificationKind,
    ProfileForm,
    stated_level,
)
from bot.services.programs import program_last_day
from bot.views.blocks import (
    SELECT_OPTIONS_LIMIT,
    Block,
    actions,
    button,
    checkboxes,
    context,
    datepicker,
    header,
    input_block,
    message,
    modal,
    mrkdwn,
    number_input,
    option,
    read_metadata,
    section,
    static_select,
    text_input,
    timepicker,
)
from bot.views.forms import FormState
from bot.views.text import escape, inline, quote
from storage.enums import Cadence, Purpose, Role, Visibility
from storage.models import Participant, Program

PICKER_PROGRAMS_LIMIT = 20
# A sentinel for "no third skill": Slack's static_select cannot be cleared once picked.
NO_SKILL = "__none__"
DEFAULT_DAYS = "12345"
DEFAULT_WORK_START, DEFAULT_WORK_END = time(9, 0), time(18, 0)
DEFAULT_PAUSE = timedelta(days=14)

# Typographic dash for ranges (spelled out so linters do not mistake it for a hyphen).
DASH = "\N{EN DASH}"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CADENCE_LABELS = {
    Cadence.WEEKLY: "Every week",
    Cadence.BIWEEKLY: "Every two weeks",
    Cadence.MONTHLY: "Every month",
    Cadence.AS_NEEDED: "As needed",
}
SCORE_LABELS = {1: "just starting", 2: "learning", 3: "getting there", 4: "good", 5: "strong"}
# The level a mentor offers a skill at: how far they can take someone in it.
LEVEL_LABELS = {1: "the basics", 2: "some experience", 3: "solid", 4: "advanced", 5: "expert"}
ERASE_VALUE = "erase"
ERASE_LABEL = "Also erase everything I wrote in this program"
QUIET_VALUE = "quiet"
QUIET_LABEL = "Only prompts that need an answer"
QUIET_HINT = (
    "Quieter mode: you still get every prompt that asks you for something (an agenda, a "
    "scorecard, a survey); reminders and for-your-information nudges are left out."
)


def join_action_id(role: Role) -> str:
    """The action id of a "Join as <role>" button."""
    return f"{ActionId.JOIN.value}:{role.value}"


def join_buttons(program_id: int, *, mentee_places_left: bool = True) -> Block:
    """ "Join as mentee" / "Join as mentor" buttons, for the picker, Home and announcements."""
    buttons = [button("Join as mentor", join_action_id(Role.MENTOR), value=f"{program_id}:mentor")]
    if mentee_places_left:
        mentee = button(
            "Join as mentee",
            join_action_id(Role.MENTEE),
            value=f"{program_id}:mentee",
            style="primary",
        )
        buttons.insert(0, mentee)
    return actions(*buttons)


# --- the picker ---------------------------------------------------------------------------------


def build_join_picker(programs: Sequence[Program], taken: Mapping[int, int]) -> dict[str, Any]:
    """One section per joinable program with its join buttons; a friendly note when none is."""
    if not programs:
        text = (
            "No program is open to join right now. A program lead opens one with "
            f"`{COMMAND} program open`; it shows up here as soon as it takes sign-ups."
        )
        return message(text, [section(text)])
    blocks: list[Block] = [
        header("Programs you can join"),
        section(
            "A *mentee* picks 2 or 3 skills to grow; a *mentor* helps others grow theirs. "
            "Choose your role:"
        ),
    ]
    for program in programs[:PICKER_PROGRAMS_LIMIT]:
        program_id = int(program.id or 0)
        places_left = max(program.places - taken.get(program_id, 0), 0)
        blocks.append(section(_program_summary(program, places_left)))
        blocks.append(join_buttons(program_id, mentee_places_left=places_left > 0))
    hidden = len(programs) - PICKER_PROGRAMS_LIMIT
    if hidden > 0:
        blocks.append(context(f"…and {hidden} more: `{COMMAND} join PROGRAM` opens one by name."))
    names = ", ".join(escape(p.name) for p in programs)
    return message(f"Programs you can join: {names}", blocks)


def _program_summary(program: Program, places_left: int) -> str:
    lines = [f"*{escape(program.name)}* · {escape(purpose_label(program))}"]
    if program.company_goal:
        lines.append(f"_{inline(program.company_goal.splitlines()[0], 200)}_")
    places = (
        f"{places_left} of {program.places} mentee places left"
        if places_left
        else f"all {program.places} mentee places are taken (mentors welcome)"
    )
    facts = [
        date_span(program.start_date, program_last_day(program)),
        f"meets {CADENCE_LABELS[program.cadence].lower()}",
        places,
    ]
    if program.visibility == Visibility.INVITATION:
        facts.append("by invitation")
    lines.append(" · ".join(facts))
    return "\n".join(lines)


# --- the join / profile modal -------------------------------------------------------------------


def build_join_modal(
    *, program: Program, role: Role, participant: Participant | None
) -> dict[str, Any]:
    """The sign-up form for (program, role); with ``participant`` it edits their profile."""
    editing = participant is not None
    mentee = role == Role.MENTEE
    if editing:
        intro = f"Your *{role.value}* profile for *{escape(program.name)}*."
    else:
        intro = f"You're joining *{escape(program.name)}* as a *{role.value}*."
    blocks: list[Block] = [
        section(f"{intro}\n{escape(purpose_label(program))}"),
        input_block(
            BlockId.JOIN_SITUATION,
            "Where are you now?",
            text_input(
                participant.situation if participant else None,
                multiline=True,
                min_length=SITUATION_MIN,
                max_length=STORY_MAX,
            ),
            hint=(
                "One paragraph: your role, what goes well, what gets in your way."
                if mentee
                else "One paragraph: your role, your experience, what you'd like to pass on."
            ),
        ),
        input_block(
            BlockId.JOIN_AIM,
            "Where do you want to be in 6 to 12 months?",
            text_input(
                participant.aim if participant else None, multiline=True, max_length=STORY_MAX
            ),
            hint="Specific beats big: “lead the quarterly review myself”, not “get promoted”.",
        ),
    ]
    stored = (
        [
            (str(s.get("skill", "")), s.get("score") if mentee else stated_level(s))
            for s in participant.skills
        ]
        if participant
        else []
    )
    list_max_length = LIST_MAX_ITEMS * (LIST_ITEM_MAX + 2)
    if mentee:
        blocks += _gap_rows(program, stored)
    else:
        blocks += [
            *_offer_rows(program, stored),
            input_block(
                JOIN_PRACTISING,
                "What do you want to practise as a mentor?",
                text_input(
                    ", ".join(participant.practising) if participant else None,
                    max_length=list_max_length,
                    placeholder="e.g. coaching, giving hard feedback, listening",
                ),
                hint=(
                    f"Comma-separated, up to {LIST_MAX_ITEMS}. "
                    "Your mentees see it in your introduction."
                ),
                optional=True,
            ),
            input_block(
                BlockId.JOIN_CAPACITY,
                "How many mentees can you take?",
                number_input(
                    participant.capacity if participant else None,
                    low=CAPACITY_MIN,
                    high=CAPACITY_MAX,
                ),
                hint=f"Between {CAPACITY_MIN} and {CAPACITY_MAX}.",
            ),
        ]
    days = participant.work_days if participant else DEFAULT_DAYS
    day_options = [option(name, str(i)) for i, name in enumerate(WEEKDAYS, start=1)]
    cadence = (participant.preferred_cadence if participant else None) or program.cadence
    cadence_options = [option(label, c.value) for c, label in CADENCE_LABELS.items()]
    quiet = [QUIET_VALUE] if participant and participant.quiet else []
    blocks += [
        input_block(
            BlockId.JOIN_INTERESTS,
            "Interests",
            text_input(
                ", ".join(participant.interests) if participant else None,
                max_length=list_max_length,
                placeholder="e.g. climbing, product design, jazz",
            ),
            hint=f"Comma-separated, up to {LIST_MAX_ITEMS}: common ground helps a match.",
            optional=True,
        ),
        input_block(
            BlockId.JOIN_VALUES,
            "Values you care about",
            text_input(
                ", ".join(participant.values) if participant else None,
                max_length=list_max_length,
                placeholder="e.g. candour, curiosity, craft",
            ),
            hint=f"Comma-separated, up to {LIST_MAX_ITEMS}.",
            optional=True,
        ),
        input_block(
            BlockId.JOIN_DAYS, "Days you work", checkboxes(day_options, initial=list(days))
        ),
        input_block(
            BlockId.JOIN_WORK_START,
            "Your working day starts",
            timepicker(participant.work_start if participant else DEFAULT_WORK_START),
        ),
        input_block(
            BlockId.JOIN_WORK_END,
            "…and ends",
            timepicker(participant.work_end if participant else DEFAULT_WORK_END),
        ),
        input_block(
            BlockId.JOIN_AVAILABILITY,
            "Availability notes",
            text_input(
                participant.availability if participant else None,
                multiline=True,
                max_length=AVAILABILITY_MAX,
                placeholder="e.g. no meetings on Friday afternoons; away in August",
            ),
            optional=True,
        ),
        input_block(
            BlockId.JOIN_CADENCE,
            "How often would you like to meet?",
            static_select(cadence_options, initial=cadence.value),
        ),
        input_block(
            JOIN_QUIET,
            "Prompts",
            checkboxes([option(QUIET_LABEL, QUIET_VALUE)], initial=quiet),
            hint=QUIET_HINT,
            optional=True,
        ),
        context("Times are in your own timezone, which comes from your Slack profile."),
    ]
    return modal(
        CallbackId.JOIN,
        "Your profile" if editing else f"Join {program.name}",
        blocks,
        metadata={"program_id": program.id, "role": role.value},
        submit="Save" if editing else "Join",
        close="Cancel",
    )


def _gap_rows(program: Program, stored: Sequence[tuple[str, Any]]) -> list[Block]:
    return _skill_rows(
        program,
        GAP_BLOCKS,
        stored,
        required=2,
        skill_label="Skill to grow",
        blank="No third skill",
        number_label="How strong are you at it now?",
        labels=SCORE_LABELS,
        hint="1 = just starting, 5 = strong",
    )


def _skill_rows(
    program: Program,
    block_ids: Sequence[tuple[str, str]],
    stored: Sequence[tuple[str, Any]],
    *,
    required: int,
    skill_label: str,
    blank: str,
    number_label: str,
    labels: Mapping[int, str],
    hint: str,
) -> list[Block]:
    """A skill (picked from the competencies, or typed) and a 1-to-5 number per row; rows past
    ``required`` are optional."""
    skills = _competency_options(program)
    numbers = [option(f"{n} {DASH} {labels[n]}", str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]
    rows: list[Block] = []
    for index, (skill_block, number_block) in enumerate(block_ids):
        optional = index >= required
        skill, number = stored[index] if index < len(stored) else (None, None)
        # Slack itself appends "(optional)" to an optional input's label.
        label = f"{skill_label} #{index + 1}"
        if skills:
            options = [option(blank, NO_SKILL), *skills] if optional else skills
            element = static_select(options, initial=skill)
        else:
            element = text_input(skill, max_length=LIST_ITEM_MAX)
        rows.append(input_block(skill_block, label, element, optional=optional))
        rows.append(
            input_block(
                number_block,
                f"{number_label} #{index + 1}",
                static_select(numbers, initial=number),
                hint=hint,
                optional=optional,
            )
        )
    return rows


def _offer_rows(program: Program, stored: Sequence[tuple[str, Any]]) -> list[Block]:
    """A skill and the level the mentor offers it at, per row; the first row is required."""
    shown = min(OFFER_MAX, max(OFFER_ROWS, len(stored)))
    rows: list[Block] = [
        context(
            "*Skills you can help with*, and the level you can help at in each: matching "
            "weighs a mentee's gap by it, and their lead sees it with the proposal."
        )
    ]
    if len(stored) > OFFER_MAX:
        rows.append(
            context(
                f"You offer {len(stored)} skills; this form holds {OFFER_MAX}, "
                "so saving it keeps the ones below."
            )
        )
    return rows + _skill_rows(
        program,
        OFFER_BLOCKS[:shown],
        stored,
        required=1,
        skill_label="Skill you offer",
        blank="No skill here",
        number_label="Your level in it",
        labels=LEVEL_LABELS,
        hint="1 = the basics, 5 = expert: how far you can take someone in it",
    )


def read_join_target(view: Mapping[str, Any]) -> tuple[int, Role]:
    """The (program id, role) a join modal was opened for; ValueError if it was tampered with."""
    data = read_metadata(view)
    try:
        return int(data["program_id"]), Role(data["role"])
    except (KeyError, TypeError) as exc:
        raise ValueError("join modal without its program") from exc


def read_profile_form(state: FormState) -> ProfileForm:
    """The join/profile modal's answers, as typed (validation is the service's job)."""

    def skill(block_id: str) -> str | None:
        # A select when the program lists competencies, free text when it doesn't.
        value = state.option(block_id) or state.text(block_id) or None
        return None if value == NO_SKILL else value

    return ProfileForm(
        situation=state.text(BlockId.JOIN_SITUATION),
        aim=state.text(BlockId.JOIN_AIM),
        gaps=tuple(GapRow(skill(s), state.option(n)) for s, n in GAP_BLOCKS),
        offers=tuple(GapRow(skill(s), state.option(n)) for s, n in OFFER_BLOCKS),
        practising=state.text(JOIN_PRACTISING),
        capacity=state.text(BlockId.JOIN_CAPACITY),
        interests=state.text(BlockId.JOIN_INTERESTS),
        values=state.text(BlockId.JOIN_VALUES),
        work_days=tuple(state.options(BlockId.JOIN_DAYS)),
        work_start=state.time(BlockId.JOIN_WORK_START),
        work_end=state.time(BlockId.JOIN_WORK_END),
        availability=state.text(BlockId.JOIN_AVAILABILITY),
        cadence=state.option(BlockId.JOIN_CADENCE),
        quiet=QUIET_VALUE in state.options(JOIN_QUIET),
    )


def build_join_confirmation(
    *, program: Program, participant: Participant, is_new: bool
) -> dict[str, Any]:
    """The DM after joining (what happens next) or after a profile edit, with a summary."""
    name = escape(program.name)
    role = participant.role.value
    if is_new:
        partner = "mentor" if participant.role == Role.MENTEE else "mentees"
        text = f"You're in! You joined *{name}* as a {role}."
        next_steps = (
            "*What happens next*\n"
            "• A program lead matches mentors and mentees by skills, interests, values and "
            "working hours.\n"
            f"• When you're matched you'll get a group DM introducing you to your {partner}, "
            "with ideas for a first conversation.\n"
            "• Until then nothing is due from you."
        )
        blocks = [section(f":tada: {text}"), section(next_steps)]
    else:
        text = f"Your {role} profile for {name} is saved."
        blocks = [section(f":white_check_mark: Your {role} profile for *{name}* is saved.")]
    blocks.append({"type": "section", "fields": _profile_fields(participant)})
    blocks.append(
        context(
            f"Change it: `{COMMAND} profile {name}` · take a break: `{COMMAND} pause {name}` · "
            f"leave: `{COMMAND} leave {name}`"
        )
    )
    return message(text, blocks)


def _skill_summary(participant: Participant) -> str:
    """Each skill with its self-score (a mentee) or the level it is offered at (a mentor)."""
    mentee = participant.role == Role.MENTEE
    shown = []
    for entry in participant.skills:
        score = entry.get("score") if mentee else stated_level(entry)
        level = "level not stated" if score is None else f"{score}/5"
        shown.append(f"{escape(str(entry.get('skill')))} ({level})")
    return ", ".join(shown)


def _profile_fields(participant: Participant) -> list[dict[str, Any]]:
    skills = _skill_summary(participant)
    hours = (
        f"{days_label(participant.work_days)} {participant.work_start:%H:%M}{DASH}"
        f"{participant.work_end:%H:%M} ({escape(participant.timezone)})"
    )
    fields = [
        ("Skills to grow" if participant.role == Role.MENTEE else "Skills you offer", skills),
        ("Working hours", hours),
    ]
    if participant.preferred_cadence:
        fields.append(("Meeting", CADENCE_LABELS[participant.preferred_cadence]))
    if participant.role == Role.MENTOR:
        count = participant.capacity
        fields.append(("Can take", f"{count} mentee{'s' if count != 1 else ''}"))
        if participant.practising:
            fields.append(
                ("Want to practise", ", ".join(escape(p) for p in participant.practising))
            )
    prompts = (
        "Quieter mode: only those that need an answer"
        if participant.quiet
        else "All of them, reminders included"
    )
    fields.append(("Prompts", prompts))
    return [mrkdwn(f"*{k}*\n{v}", 2000) for k, v in fields]


# --- pause and leave ----------------------------------------------------------------------------


def build_pause_modal(
    *, program: Program, today: date, paused_until: date | None
) -> dict[str, Any]:
    """Pick the day you'll be back; your pairings pause until then."""
    name = escape(program.name)
    if paused_until:
        intro = (
            f"You're paused in *{name}* until *{day_label(paused_until)}*. Pick another day to "
            f"change it, or come back now with `{COMMAND} resume {name}`."
        )
    else:
        intro = (
            f"Take a break from *{name}*: no prompts or nudges, and your pairings pause too "
            "(your partners get a short note). You're back automatically on the day you pick."
        )
    return modal(
        CallbackId.PAUSE,
        "Take a break",
        [
            section(intro),
            input_block(
                BlockId.PAUSE_UNTIL,
                "Back on",
                datepicker(paused_until or today + DEFAULT_PAUSE),
                hint=f"A day after today, at most {PAUSE_MAX_MONTHS} months ahead.",
            ),
        ],
        metadata={"program_id": program.id},
        submit="Pause",
        close="Cancel",
    )


def build_leave_modal(
    *, program: Program, roles: Sequence[Role], partner_ids: Sequence[str]
) -> dict[str, Any]:
    """Confirm leaving: what is kept, an optional note for the people whose pairing ends, and
    a box to erase one's own words as well."""
    name = escape(program.name)
    as_roles = " and ".join(f"a {r.value}" for r in roles)
    lines = [f"You're about to leave *{name}* as {as_roles}."]
    blocks: list[Block] = []
    if partner_ids:
        people = ", ".join(f"<@{user}>" for user in partner_ids)
        lines.append(f"Your pairing with {people} ends, and I'll pass on your note.")
    lines.append("You can join again later while the program takes sign-ups.")
    blocks.append(section("\n".join(lines)))
    blocks.append(
        section(
            "*What is kept*\n"
            "• What you and a partner keep together (shared notes, goals, agendas, action "
            "items, documents) stays with your partner: it's theirs too.\n"
            "• Your session ratings and survey scores stay in the program's numbers, counted "
            "under no name: leads only ever see totals, never one person's answers.\n"
            "• Your profile and the words you wrote (session notes, feedback, comments, goals "
            "and agenda items you proposed) stay too, unless you tick the box below.\n"
            "• Messages already delivered in Slack stay in Slack."
        )
    )
    if partner_ids:
        blocks.append(
            input_block(
                BlockId.LEAVE_NOTE,
                "A note to your partner" if len(partner_ids) == 1 else "A note to your partners",
                text_input(
                    multiline=True,
                    max_length=NOTE_MAX,
                    placeholder="e.g. thank you, and why you're leaving",
                ),
                optional=True,
            )
        )
    blocks.append(
        input_block(
            BlockId.LEAVE_ERASE,
            "Your words",
            checkboxes([option(ERASE_LABEL, ERASE_VALUE)]),
            hint=(
                "Your profile and every word you wrote in this program are emptied for good. "
                "Your partner keeps what they wrote; dates, hours and ratings stay so the "
                f"program's numbers still add up. To erase your name too, everywhere: "
                f"{COMMAND} forget-me."
            ),
            optional=True,
        )
    )
    return modal(
        CallbackId.LEAVE,
        f"Leave {program.name}",
        blocks,
        metadata={"program_id": program.id},
        submit="Leave",
        close="Cancel",
    )


# --- notifications ------------------------------------------------------------------------------


def build_notification(notification: Notification) -> dict[str, Any]:
    """The DM for a pause, a return, a departure or a re-match request."""
    n = notification
    name = escape(n.program_name)
    who = f"<@{n.about_user_id}>"
    back_on = f"*{day_label(n.until)}*" if n.until else "soon"
    blocks: list[Block]
    match n.kind:
        case NotificationKind.PAUSED:
            text = (
                f"You're paused in *{name}* until {back_on}: no prompts or nudges until then, "
                "and a note to your partners is on its way. "
                f"Back sooner? `{COMMAND} resume {name}`."
            )
        case NotificationKind.PARTNER_PAUSED:
            text = (
                f"{who} is taking a break from *{name}* and is back on {back_on}. Your pairing "
                "is paused until then: nothing is due from you, and I'll tell you when they're "
                "back."
            )
        case NotificationKind.RESUMED:
            text = (
                f":wave: Welcome back to *{name}*! Your pairings are active again and prompts "
                "pick up where they left off."
            )
        case NotificationKind.PARTNER_RESUMED:
            text = f":wave: {who} is back in *{name}*: your pairing is active again."
        case NotificationKind.LEFT:
            text = (
                f"You've left *{name}*. Thank you for taking part! You can join again with "
                f"`{COMMAND} join {name}` while it takes sign-ups."
            )
            if n.erased:
                text += (
                    f" As you asked, what you wrote in it is erased ({n.erased} "
                    f"{'entry' if n.erased == 1 else 'entries'})."
                )
        case NotificationKind.PARTNER_LEFT:
            text = f"{who} has left *{name}*, so your pairing has ended."
            blocks = [section(text)]
            if n.note:
                blocks.append(section("Their note:\n" + quote(n.note)))
            if n.offer_rematch:
                blocks.append(
                    section(
                        "Would you like a new mentor? I'll ask the program's leads to match you "
                        "again."
                    )
                )
                blocks.append(
                    actions(
                        button(
                            "Find me a new mentor",
                            ActionId.REMATCH,
                            value=str(n.program_id),
                            style="primary",
                        )
                    )
                )
            else:
                blocks.append(context("Your freed place shows up in the next matching round."))
            return message(text, blocks)
        case NotificationKind.REMATCH_REQUESTED:
            text = (
                f"{who} asks for a new mentor in *{name}*: their mentor left the program. "
                f"Run `{COMMAND} match {name}` to propose one."
            )
        case NotificationKind.REMATCH_CONFIRMED:
            text = (
                f"Done: your request for a new mentor is on its way to the leads of *{name}*. "
                "You'll get a group DM when you're matched."
            )
        case NotificationKind.REMATCH_ALREADY_ASKED:
            text = (
                f"The leads of *{name}* already know you'd like a new mentor; you'll get a group "
                "DM when you're matched."
            )
        case _:  # pragma: no cover - mypy checks every kind is handled
            assert_never(n.kind)
    return message(text, [section(text)])


def notification_subject(notification: Notification) -> str:
    """What a notification is, in the words its sender hears if it can't be delivered."""
    match notification.kind:
        case NotificationKind.PARTNER_PAUSED:
            return "the news of your break"
        case NotificationKind.PARTNER_RESUMED:
            return "the news that you're back"
        case NotificationKind.PARTNER_LEFT:
            return "your goodbye note" if notification.note else "the news that you left"
        case NotificationKind.REMATCH_REQUESTED:
            return "your request for a new mentor"
        case _:
            return "your confirmation"


# --- small helpers ------------------------------------------------------------------------------


def purpose_label(program: Program) -> str:
    """What the program is for, in words."""
    if program.purpose == Purpose.OTHER and program.purpose_detail:
        return program.purpose_detail
    label = program.purpose.value.replace("_", " ").capitalize()
    return f"{label}: {program.purpose_detail}" if program.purpose_detail else label


def day_label(day: date) -> str:
    """A date as people say it: "Monday 16 March"."""
    return f"{day:%A} {day.day} {day:%B}"


def date_span(first: date, last: date) -> str:
    """Two dates as a range, e.g. 1 Apr to 30 Sep 2026 joined by a dash."""
    end = f"{last.day} {last:%b %Y}"
    start = f"{first.day} {first:%b}" + ("" if first.year == last.year else f" {first:%Y}")
    return f"{start} {DASH} {end}"


def days_label(days: str) -> str:
    """ISO weekdays ("12345") as a range (Mon to Fri), or a list when they are not consecutive."""
    numbers = [int(d) for d in days if d.isdigit() and 1 <= int(d) <= len(WEEKDAYS)]
    if not numbers:
        return "no days"
    names = [WEEKDAYS[n - 1] for n in numbers]
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{names[0]}{DASH}{names[-1]}"
    return ", ".join(names)


def _competency_options(program: Program) -> list[Block]:
    return [
        option(str(c), str(c)[:COMPETENCY_VALUE_MAX])
        for c in program.competencies[:SELECT_OPTIONS_LIMIT]
        if str(c)
    ]
