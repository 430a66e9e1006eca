"""Enrolment views: the program picker, the join/profile modal, pause and leave, and the DMs.

Join buttons carry ``action_id`` ``join:<role>`` (``ActionId.JOIN`` plus the role, because Slack
wants distinct action ids within one actions block) and ``value`` ``<program id>:<role>``.
"""

import json
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
    LIST_ITEM_MAX,
    LIST_MAX_ITEMS,
    NOTE_MAX,
    PAUSE_MAX_MONTHS,
    SCORE_MAX,
    SCORE_MIN,
    SITUATION_MIN,
    STORY_MAX,
    GapRow,
    Notification,
    NotificationKind,
    ProfileForm,
)
from bot.services.programs import program_end
from bot.views.blocks import (
    MODAL_TITLE_LIMIT,
    Block,
    actions,
    button,
    clip,
    context,
    header,
    message,
    plain,
    section,
)
from bot.views.forms import FormState
from storage.enums import Cadence, Purpose, Role, Visibility
from storage.models import Participant, Program

OPTION_TEXT_LIMIT = 75
SELECT_OPTIONS_LIMIT = 100
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
    names = ", ".join(p.name for p in programs)
    return message(f"Programs you can join: {names}", blocks)


def _program_summary(program: Program, places_left: int) -> str:
    lines = [f"*{escape(program.name)}* · {escape(purpose_label(program))}"]
    if program.company_goal:
        lines.append(f"_{escape(clip(program.company_goal.splitlines()[0], 200))}_")
    places = (
        f"{places_left} of {program.places} mentee places left"
        if places_left
        else f"all {program.places} mentee places are taken (mentors welcome)"
    )
    facts = [
        date_span(program.start_date, program_end(program) - timedelta(days=1)),
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
        _text_input(
            BlockId.JOIN_SITUATION,
            "Where are you now?",
            hint=(
                "One paragraph: your role, what goes well, what gets in your way."
                if mentee
                else "One paragraph: your role, your experience, what you'd like to pass on."
            ),
            initial=participant.situation if participant else "",
            multiline=True,
            min_length=SITUATION_MIN,
            max_length=STORY_MAX,
        ),
        _text_input(
            BlockId.JOIN_AIM,
            "Where do you want to be in 6 to 12 months?",
            hint="Specific beats big: “lead the quarterly review myself”, not “get promoted”.",
            initial=participant.aim if participant else "",
            multiline=True,
            max_length=STORY_MAX,
        ),
    ]
    stored = (
        [(str(s.get("skill", "")), s.get("score")) for s in participant.skills]
        if participant
        else []
    )
    if mentee:
        blocks += _gap_rows(program, stored)
    else:
        blocks += [
            _skills_offered(program, [skill for skill, _ in stored]),
            {
                "type": "input",
                "block_id": BlockId.JOIN_CAPACITY,
                "label": plain("How many mentees can you take?"),
                "hint": plain(f"Between {CAPACITY_MIN} and {CAPACITY_MAX}."),
                "element": _with_initial(
                    {
                        "type": "number_input",
                        "action_id": ActionId.INPUT,
                        "is_decimal_allowed": False,
                        "min_value": str(CAPACITY_MIN),
                        "max_value": str(CAPACITY_MAX),
                    },
                    "initial_value",
                    str(participant.capacity) if participant else None,
                ),
            },
        ]
    days = participant.work_days if participant else DEFAULT_DAYS
    day_options = [_option(name, str(i)) for i, name in enumerate(WEEKDAYS, start=1)]
    cadence = (participant.preferred_cadence if participant else None) or program.cadence
    cadence_options = [_option(label, c.value) for c, label in CADENCE_LABELS.items()]
    blocks += [
        _text_input(
            BlockId.JOIN_INTERESTS,
            "Interests",
            hint=f"Comma-separated, up to {LIST_MAX_ITEMS}: common ground helps a match.",
            initial=", ".join(participant.interests) if participant else "",
            optional=True,
            max_length=LIST_MAX_ITEMS * (LIST_ITEM_MAX + 2),
            placeholder="e.g. climbing, product design, jazz",
        ),
        _text_input(
            BlockId.JOIN_VALUES,
            "Values you care about",
            hint=f"Comma-separated, up to {LIST_MAX_ITEMS}.",
            initial=", ".join(participant.values) if participant else "",
            optional=True,
            max_length=LIST_MAX_ITEMS * (LIST_ITEM_MAX + 2),
            placeholder="e.g. candour, curiosity, craft",
        ),
        {
            "type": "input",
            "block_id": BlockId.JOIN_DAYS,
            "label": plain("Days you work"),
            "element": _with_initial(
                {"type": "checkboxes", "action_id": ActionId.INPUT, "options": day_options},
                "initial_options",
                [o for o in day_options if o["value"] in days] or None,
            ),
        },
        _time_input(
            BlockId.JOIN_WORK_START,
            "Your working day starts",
            participant.work_start if participant else DEFAULT_WORK_START,
        ),
        _time_input(
            BlockId.JOIN_WORK_END,
            "…and ends",
            participant.work_end if participant else DEFAULT_WORK_END,
        ),
        _text_input(
            BlockId.JOIN_AVAILABILITY,
            "Availability notes",
            initial=participant.availability if participant else "",
            optional=True,
            multiline=True,
            max_length=AVAILABILITY_MAX,
            placeholder="e.g. no meetings on Friday afternoons; away in August",
        ),
        {
            "type": "input",
            "block_id": BlockId.JOIN_CADENCE,
            "label": plain("How often would you like to meet?"),
            "element": {
                "type": "static_select",
                "action_id": ActionId.INPUT,
                "options": cadence_options,
                "initial_option": _option(CADENCE_LABELS[cadence], cadence.value),
            },
        },
        context("Times are in your own timezone, which comes from your Slack profile."),
    ]
    title = "Your profile" if editing else f"Join {program.name}"
    return {
        "type": "modal",
        "callback_id": CallbackId.JOIN,
        "private_metadata": json.dumps({"program_id": program.id, "role": role.value}),
        "title": plain(clip(title, MODAL_TITLE_LIMIT), MODAL_TITLE_LIMIT),
        "submit": plain("Save" if editing else "Join", MODAL_TITLE_LIMIT),
        "close": plain("Cancel", MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def _gap_rows(program: Program, stored: Sequence[tuple[str, Any]]) -> list[Block]:
    skills = _competency_options(program)
    scores = [
        _option(f"{n} {DASH} {SCORE_LABELS[n]}", str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)
    ]
    rows: list[Block] = []
    for index, (skill_block, score_block) in enumerate(GAP_BLOCKS):
        optional = index >= 2
        skill, score = stored[index] if index < len(stored) else (None, None)
        label = f"Skill to grow #{index + 1}" + (" (optional)" if optional else "")
        if skills:
            options = [_option("No third skill", NO_SKILL), *skills] if optional else skills
            element = _with_initial(
                {"type": "static_select", "action_id": ActionId.INPUT, "options": options},
                "initial_option",
                _find_option(options, skill),
            )
        else:
            element = {
                "type": "plain_text_input",
                "action_id": ActionId.INPUT,
                "max_length": LIST_ITEM_MAX,
                **({"initial_value": skill} if skill else {}),
            }
        rows.append(
            {
                "type": "input",
                "block_id": skill_block,
                "label": plain(label),
                "optional": optional,
                "element": element,
            }
        )
        rows.append(
            {
                "type": "input",
                "block_id": score_block,
                "label": plain(f"How strong are you at it now? #{index + 1}"),
                "hint": plain("1 = just starting, 5 = strong"),
                "optional": optional,
                "element": _with_initial(
                    {"type": "static_select", "action_id": ActionId.INPUT, "options": scores},
                    "initial_option",
                    _find_option(scores, None if score is None else str(score)),
                ),
            }
        )
    return rows


def _skills_offered(program: Program, stored: Sequence[str]) -> Block:
    skills = _competency_options(program)
    block: Block = {
        "type": "input",
        "block_id": BlockId.JOIN_SKILLS_OFFERED,
        "label": plain("Skills you can help with"),
    }
    if skills:
        initial = [o for o in (_find_option(skills, s) for s in stored) if o is not None]
        block["element"] = _with_initial(
            {"type": "multi_static_select", "action_id": ActionId.INPUT, "options": skills},
            "initial_options",
            initial or None,
        )
    else:
        block["hint"] = plain("Comma-separated.")
        block["element"] = {
            "type": "plain_text_input",
            "action_id": ActionId.INPUT,
            **({"initial_value": ", ".join(stored)} if stored else {}),
        }
    return block


def read_join_target(view: Mapping[str, Any]) -> tuple[int, Role]:
    """The (program id, role) a join modal was opened for; ValueError if it was tampered with."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
        return int(data["program_id"]), Role(data["role"])
    except (KeyError, TypeError) as exc:
        raise ValueError("join modal without its program") from exc


def read_profile_form(state: FormState) -> ProfileForm:
    """The join/profile modal's answers, as typed (validation is the service's job)."""

    def skill(block_id: str) -> str | None:
        # A select when the program lists competencies, free text when it doesn't.
        value = state.option(block_id) or state.text(block_id) or None
        return None if value == NO_SKILL else value

    offered = state.options(BlockId.JOIN_SKILLS_OFFERED) or [
        part.strip() for part in state.text(BlockId.JOIN_SKILLS_OFFERED).split(",")
    ]
    return ProfileForm(
        situation=state.text(BlockId.JOIN_SITUATION),
        aim=state.text(BlockId.JOIN_AIM),
        gaps=tuple(GapRow(skill(s), state.option(n)) for s, n in GAP_BLOCKS),
        skills_offered=tuple(s for s in offered if s),
        capacity=state.text(BlockId.JOIN_CAPACITY),
        interests=state.text(BlockId.JOIN_INTERESTS),
        values=state.text(BlockId.JOIN_VALUES),
        work_days=tuple(state.options(BlockId.JOIN_DAYS)),
        work_start=state.time(BlockId.JOIN_WORK_START),
        work_end=state.time(BlockId.JOIN_WORK_END),
        availability=state.text(BlockId.JOIN_AVAILABILITY),
        cadence=state.option(BlockId.JOIN_CADENCE),
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
        text = f"Your {role} profile for {program.name} is saved."
        blocks = [section(f":white_check_mark: Your {role} profile for *{name}* is saved.")]
    blocks.append({"type": "section", "fields": _profile_fields(participant)})
    blocks.append(
        context(
            f"Change it: `{COMMAND} profile {name}` · take a break: `{COMMAND} pause {name}` · "
            f"leave: `{COMMAND} leave {name}`"
        )
    )
    return message(text, blocks)


def _profile_fields(participant: Participant) -> list[dict[str, Any]]:
    skills = ", ".join(
        escape(str(s.get("skill")))
        + (f" ({s.get('score')}/5)" if participant.role == Role.MENTEE else "")
        for s in participant.skills
    )
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
    return [{"type": "mrkdwn", "text": clip(f"*{k}*\n{v}", 2000)} for k, v in fields]


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
    return {
        "type": "modal",
        "callback_id": CallbackId.PAUSE,
        "private_metadata": json.dumps({"program_id": program.id}),
        "title": plain("Take a break", MODAL_TITLE_LIMIT),
        "submit": plain("Pause", MODAL_TITLE_LIMIT),
        "close": plain("Cancel", MODAL_TITLE_LIMIT),
        "blocks": [
            section(intro),
            {
                "type": "input",
                "block_id": BlockId.PAUSE_UNTIL,
                "label": plain("Back on"),
                "hint": plain(f"A day after today, at most {PAUSE_MAX_MONTHS} months ahead."),
                "element": {
                    "type": "datepicker",
                    "action_id": ActionId.INPUT,
                    "initial_date": (paused_until or today + DEFAULT_PAUSE).isoformat(),
                },
            },
        ],
    }


def build_leave_modal(
    *, program: Program, roles: Sequence[Role], partner_ids: Sequence[str]
) -> dict[str, Any]:
    """Confirm leaving; the optional note goes to the people whose pairing ends."""
    name = escape(program.name)
    as_roles = " and ".join(f"a {r.value}" for r in roles)
    lines = [f"You're about to leave *{name}* as {as_roles}."]
    blocks: list[Block] = []
    if partner_ids:
        people = ", ".join(f"<@{user}>" for user in partner_ids)
        lines.append(f"Your pairing with {people} ends, and I'll pass on your note.")
    lines.append("You can join again later while the program takes sign-ups.")
    blocks.append(section("\n".join(lines)))
    if partner_ids:
        blocks.append(
            _text_input(
                BlockId.LEAVE_NOTE,
                "A note to your partner" if len(partner_ids) == 1 else "A note to your partners",
                optional=True,
                multiline=True,
                max_length=NOTE_MAX,
                placeholder="e.g. thank you, and why you're leaving",
            )
        )
    return {
        "type": "modal",
        "callback_id": CallbackId.LEAVE,
        "private_metadata": json.dumps({"program_id": program.id}),
        "title": plain(clip(f"Leave {program.name}", MODAL_TITLE_LIMIT), MODAL_TITLE_LIMIT),
        "submit": plain("Leave", MODAL_TITLE_LIMIT),
        "close": plain("Cancel", MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def read_program_id(view: Mapping[str, Any]) -> int:
    """The program a pause or leave modal was opened for; ValueError if it was tampered with."""
    try:
        return int(json.loads(view.get("private_metadata") or "{}")["program_id"])
    except (KeyError, TypeError) as exc:
        raise ValueError("modal without its program") from exc


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
                f"and your partners know. Back sooner? `{COMMAND} resume {name}`."
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
                f"Done: I've asked the leads of *{name}* to find you a new mentor. You'll get a "
                "group DM when you're matched."
            )
        case NotificationKind.REMATCH_ALREADY_ASKED:
            text = (
                f"The leads of *{name}* already know you'd like a new mentor; you'll get a group "
                "DM when you're matched."
            )
        case _:  # pragma: no cover - mypy checks every kind is handled
            assert_never(n.kind)
    return message(text, [section(text)])


# --- small helpers ------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str) -> str:
    """A person's own words as a block quote."""
    return "\n".join(f"> {escape(line)}" for line in text.splitlines() or [""])


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


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT_LIMIT), "value": value}


def _competency_options(program: Program) -> list[dict[str, Any]]:
    return [
        _option(str(c), str(c)[:COMPETENCY_VALUE_MAX])
        for c in program.competencies[:SELECT_OPTIONS_LIMIT]
        if str(c)
    ]


def _find_option(options: Sequence[dict[str, Any]], value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    wanted = value[:COMPETENCY_VALUE_MAX]
    return next((o for o in options if o["value"] == wanted), None)


def _with_initial(element: dict[str, Any], key: str, initial: Any) -> dict[str, Any]:
    # Slack rejects empty or null initial values: leave the key out instead.
    if initial:
        element[key] = initial
    return element


def _text_input(
    block_id: str,
    label: str,
    *,
    hint: str | None = None,
    initial: str = "",
    optional: bool = False,
    multiline: bool = False,
    min_length: int | None = None,
    max_length: int | None = None,
    placeholder: str | None = None,
) -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": ActionId.INPUT}
    if multiline:
        element["multiline"] = True
    if min_length is not None:
        element["min_length"] = min_length
    if max_length is not None:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    if initial:
        element["initial_value"] = initial
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
    }
    if hint:
        block["hint"] = plain(hint)
    if optional:
        block["optional"] = True
    return block


def _time_input(block_id: str, label: str, initial: time) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": {
            "type": "timepicker",
            "action_id": ActionId.INPUT,
            "initial_time": f"{initial:%H:%M}",
        },
    }
