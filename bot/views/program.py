"""Program views: the design modal and its answers, the list, the DMs and the announcement."""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.commands import COMMAND
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.invitations import (
    INVITATION_PAGE,
    STATUS_ORDER,
    InvitationCounts,
    InvitationPage,
    Invited,
)
from bot.services.programs import (
    CO_LEADS_MAX,
    COMPETENCIES_MAX,
    COMPETENCY_MAX,
    DEFAULT_LENGTH_MONTHS,
    GROUP_SIZE_MAX,
    GROUP_SIZE_MIN,
    LENGTH_MAX,
    LENGTH_MIN,
    LONG_TEXT_MAX,
    MEASURES,
    MIN_GROUP_MAX,
    MIN_GROUP_SIZE,
    NAME_MAX,
    PLACES_MAX,
    PLACES_MIN,
    PURPOSE_DETAIL_MAX,
    RETENTION_MAX,
    RETENTION_MIN,
    SESSION_MINUTES,
    ProgramCounts,
    ProgramForm,
    program_last_day,
    program_midpoint,
)
from bot.views.blocks import (
    Block,
    actions,
    button,
    checkboxes,
    clip,
    clip_mrkdwn,
    context,
    conversations_select,
    datepicker,
    header,
    input_block,
    message,
    modal,
    mrkdwn,
    multi_users_select,
    number_input,
    option,
    radio_buttons,
    section,
    static_select,
    text_input,
)
from bot.views.enrolment import join_action_id
from bot.views.forms import FormState
from bot.views.text import escape, listed, words
from storage.enums import (
    Cadence,
    ProgramStatus,
    Purpose,
    ReviewStyle,
    Role,
    Structure,
    Visibility,
)
from storage.models import InvitationStatus, Program

RETENTION_RANGE = (RETENTION_MIN, RETENTION_MAX)
MIN_GROUP_RANGE = (MIN_GROUP_SIZE, MIN_GROUP_MAX)
# Slack allows 50 blocks in a message: a header, the programs, and a closing line.
LIST_MAX_PROGRAMS = 45
SECTION_FIELD_LIMIT = 2000
# People a lead picks in the invite modal at once (a channel or a user group reaches more).
INVITE_PICK_MAX = 100
INVITATION_HEADINGS = {
    InvitationStatus.JOINED: "Joined",
    InvitationStatus.INVITED: "Yet to answer",
    InvitationStatus.DECLINED: "Not this time",
}

PURPOSE_LABELS = {
    Purpose.ENGAGEMENT: "Engagement",
    Purpose.ONBOARDING: "Onboarding",
    Purpose.REVERSE_MENTORING: "Reverse mentoring",
    Purpose.SKILLS_TRANSFER: "Skills transfer",
    Purpose.LEADERSHIP: "Leadership",
    Purpose.OTHER: "Other",
}
STRUCTURE_LABELS = {Structure.ONE_TO_ONE: "One-to-one", Structure.GROUP: "Group mentoring"}
REVIEW_LABELS = {ReviewStyle.FORMAL: "Formal review", ReviewStyle.CASUAL: "Casual check-in"}
CADENCE_LABELS = {
    Cadence.WEEKLY: "Weekly",
    Cadence.BIWEEKLY: "Every two weeks",
    Cadence.MONTHLY: "Monthly",
    Cadence.AS_NEEDED: "As needed",
}
VISIBILITY_LABELS = {
    Visibility.OPEN: "Open to everyone",
    Visibility.INVITATION: "By invitation only",
}
STATUS_LABELS = {
    ProgramStatus.DRAFT: "Draft",
    ProgramStatus.ENROLLING: "Enrolling",
    ProgramStatus.ACTIVE: "Active",
    ProgramStatus.CLOSED: "Closed",
}
STATUS_EMOJI = {
    ProgramStatus.DRAFT: ":memo:",
    ProgramStatus.ENROLLING: ":inbox_tray:",
    ProgramStatus.ACTIVE: ":large_green_circle:",
    ProgramStatus.CLOSED: ":white_circle:",
}


# --- the design modal --------------------------------------------------------------------------


def build_program_modal(
    *,
    program: Program | None,
    co_lead_ids: list[str],
    today: date,
    retention_default: int | None = None,
) -> dict[str, Any]:
    """The program design modal: empty with sensible defaults, or ``program`` to edit;
    ``retention_default`` is the workspace's retention, named in the hint."""
    p = program
    rules = (p.rule_settings or {}) if p else {}
    retention = rules.get("retention_days")
    min_group = rules.get("min_group_size", MIN_GROUP_SIZE)
    default_words = (
        f"{retention_default:,} days" if retention_default else "this workspace's default"
    )
    minutes = sorted({*SESSION_MINUTES, *([p.session_minutes] if p else [])})
    minute_options = [option(f"{m} minutes", str(m)) for m in minutes]
    length_options = [
        option(f"{n} month{'' if n == 1 else 's'}", str(n))
        for n in range(LENGTH_MIN, LENGTH_MAX + 1)
    ]
    measure_options = [option(label, value) for value, label in MEASURES.items()]
    group_size = p.group_size if p and p.structure is Structure.GROUP else None

    blocks: list[Block] = [
        header("Why"),
        input_block(
            BlockId.PROGRAM_NAME,
            "Name",
            text_input(
                p.name if p else None, max_length=NAME_MAX, placeholder="e.g. Spring 2026 cohort"
            ),
            hint="People use it in commands, so keep it short.",
        ),
        input_block(
            BlockId.PROGRAM_PURPOSE,
            "Purpose",
            static_select(
                _choices(PURPOSE_LABELS),
                initial=p.purpose if p else None,
                placeholder="What is it for?",
            ),
        ),
        input_block(
            BlockId.PROGRAM_PURPOSE_DETAIL,
            "Purpose, in a line",
            text_input(p.purpose_detail if p else None, max_length=PURPOSE_DETAIL_MAX),
            hint="Needed when the purpose is Other.",
            optional=True,
        ),
        input_block(
            BlockId.PROGRAM_COMPANY_GOAL,
            "Company goal it serves",
            text_input(
                p.company_goal if p else None,
                max_length=LONG_TEXT_MAX,
                multiline=True,
                placeholder="e.g. Grow senior engineers from within",
            ),
        ),
        header("Shape"),
        input_block(
            BlockId.PROGRAM_STRUCTURE,
            "Structure",
            radio_buttons(
                _choices(STRUCTURE_LABELS), initial=p.structure if p else Structure.ONE_TO_ONE
            ),
        ),
        input_block(
            BlockId.PROGRAM_GROUP_SIZE,
            "Group size",
            number_input(
                _within(group_size, GROUP_SIZE_MIN, GROUP_SIZE_MAX),
                low=GROUP_SIZE_MIN,
                high=GROUP_SIZE_MAX,
            ),
            hint=(
                "Group mentoring only: how many mentees meet with one mentor "
                f"({GROUP_SIZE_MIN} to {GROUP_SIZE_MAX})."
            ),
            optional=True,
        ),
        input_block(
            BlockId.PROGRAM_PLACES,
            "Places",
            number_input(
                _within(p.places if p else 20, PLACES_MIN, PLACES_MAX),
                low=PLACES_MIN,
                high=PLACES_MAX,
            ),
            hint="How many mentees the program can take.",
        ),
        input_block(
            BlockId.PROGRAM_VISIBILITY,
            "Who may join",
            radio_buttons(
                _choices(VISIBILITY_LABELS), initial=p.visibility if p else Visibility.OPEN
            ),
        ),
        header("Rhythm"),
        input_block(
            BlockId.PROGRAM_CADENCE,
            "Pairs meet",
            static_select(_choices(CADENCE_LABELS), initial=p.cadence if p else Cadence.BIWEEKLY),
        ),
        input_block(
            BlockId.PROGRAM_SESSION_MINUTES,
            "Session length",
            static_select(minute_options, initial=p.session_minutes if p else 60),
        ),
        input_block(BlockId.PROGRAM_START, "Start date", datepicker(p.start_date if p else today)),
        input_block(
            BlockId.PROGRAM_END,
            "End date",
            datepicker(None, placeholder="Or pick a length below"),
            hint="Optional. If you pick one, the length is worked out from it in whole months.",
            optional=True,
        ),
        input_block(
            BlockId.PROGRAM_LENGTH,
            "Length",
            static_select(length_options, initial=p.length_months if p else DEFAULT_LENGTH_MONTHS),
            hint="Most programs run 6 to 12 months. The midpoint check is set halfway.",
        ),
        header("Measuring success"),
        input_block(
            BlockId.PROGRAM_SUCCESS,
            "How you'll know it worked",
            text_input(
                p.success_measures if p else None,
                max_length=LONG_TEXT_MAX,
                multiline=True,
                placeholder="e.g. 80% of mentees reach their goals; two internal promotions",
            ),
        ),
        input_block(
            BlockId.PROGRAM_MEASURES,
            "Measures to track",
            checkboxes(measure_options, initial=p.tracked_measures if p else list(MEASURES)),
            optional=True,
        ),
        input_block(
            BlockId.PROGRAM_REVIEW_STYLE,
            "Reviews",
            radio_buttons(
                _choices(REVIEW_LABELS), initial=p.review_style if p else ReviewStyle.CASUAL
            ),
        ),
        input_block(
            BlockId.PROGRAM_COMPETENCIES,
            "Skill-matrix competencies",
            text_input(
                "\n".join(p.competencies) if p else None,
                max_length=3000,
                multiline=True,
                placeholder="Communication\nStakeholder management\nSystem design",
            ),
            hint=(
                f"One per line, up to {COMPETENCIES_MAX}, each at most {COMPETENCY_MAX} "
                "characters. Mentor and mentee score them 1 to 5."
            ),
        ),
        header("Leads and digest"),
        input_block(
            BlockId.PROGRAM_DIGEST_CHANNEL,
            "Digest channel",
            conversations_select(p.digest_channel_id if p else None),
            hint="Where the weekly digest for leads goes. Invite me there with /invite @mentorbot.",
            optional=True,
        ),
        input_block(
            BlockId.PROGRAM_CO_LEADS,
            "Co-leads",
            multi_users_select(co_lead_ids, most=CO_LEADS_MAX),
            hint=f"Up to {CO_LEADS_MAX} people who may run this program with you.",
            optional=True,
        ),
        header("Privacy"),
        input_block(
            BlockId.PROGRAM_RETENTION,
            "Keep what people wrote for (days after it closes)",
            number_input(
                _within(retention if isinstance(retention, int) else None, *RETENTION_RANGE),
                low=RETENTION_RANGE[0],
                high=RETENTION_RANGE[1],
            ),
            hint=(
                "Notes, feedback, goals' words and comments are erased then; dates, hours and "
                f"counts stay. Empty: {default_words}."
            ),
            optional=True,
        ),
        input_block(
            BlockId.PROGRAM_MIN_GROUP,
            "Show leads averages over at least (people)",
            number_input(
                _within(min_group if isinstance(min_group, int) else None, *MIN_GROUP_RANGE),
                low=MIN_GROUP_RANGE[0],
                high=MIN_GROUP_RANGE[1],
            ),
            hint=(
                f"Never fewer than {MIN_GROUP_SIZE}: below that, leads see “too few answers to "
                "show” instead of a rating."
            ),
            optional=True,
        ),
    ]
    return modal(
        CallbackId.PROGRAM,
        "Edit program" if p else "New program",
        blocks,
        # The edited program's id, bare: ``edited_program_id`` reads it back.
        metadata=str(p.id) if p is not None and p.id is not None else None,
        submit="Save" if p else "Create",
        close="Cancel",
    )


def read_program_form(view: Mapping[str, Any]) -> ProgramForm:
    """The answers of a submitted program modal, unchecked."""
    state = FormState(dict(view))
    return ProgramForm(
        name=state.text(BlockId.PROGRAM_NAME),
        purpose=state.option(BlockId.PROGRAM_PURPOSE),
        purpose_detail=state.text(BlockId.PROGRAM_PURPOSE_DETAIL),
        company_goal=state.text(BlockId.PROGRAM_COMPANY_GOAL),
        structure=state.option(BlockId.PROGRAM_STRUCTURE),
        group_size=state.text(BlockId.PROGRAM_GROUP_SIZE),
        places=state.text(BlockId.PROGRAM_PLACES),
        success_measures=state.text(BlockId.PROGRAM_SUCCESS),
        tracked_measures=state.options(BlockId.PROGRAM_MEASURES),
        review_style=state.option(BlockId.PROGRAM_REVIEW_STYLE),
        cadence=state.option(BlockId.PROGRAM_CADENCE),
        session_minutes=state.option(BlockId.PROGRAM_SESSION_MINUTES),
        start_date=state.date(BlockId.PROGRAM_START),
        end_date=state.date(BlockId.PROGRAM_END),
        length_months=state.option(BlockId.PROGRAM_LENGTH),
        competencies=state.text(BlockId.PROGRAM_COMPETENCIES),
        visibility=state.option(BlockId.PROGRAM_VISIBILITY),
        digest_channel_id=state.conversation(BlockId.PROGRAM_DIGEST_CHANNEL),
        co_lead_ids=state.users(BlockId.PROGRAM_CO_LEADS),
        retention_days=state.text(BlockId.PROGRAM_RETENTION),
        min_group_size=state.text(BlockId.PROGRAM_MIN_GROUP),
    )


def edited_program_id(view: Mapping[str, Any]) -> int | None:
    """The id of the program a submitted modal edits, or None when it creates one."""
    metadata = str(view.get("private_metadata") or "")
    return int(metadata) if metadata.isdigit() else None


def _choices(labels: Mapping[Any, str]) -> list[Block]:
    return [option(label, str(value)) for value, label in labels.items()]


def _within(value: int | None, low: int, high: int) -> int | None:
    """``value`` if Slack would accept it as the initial value of a number input, else None."""
    return value if value is not None and low <= value <= high else None


# --- messages ----------------------------------------------------------------------------------


def build_program_created(program: Program, *, co_lead_ids: Sequence[str]) -> dict[str, Any]:
    """The creator's DM: the program as saved, its computed dates, and what to do next."""
    name, arg = escape(program.name), escape(command_arg(program.name))
    end, midpoint = program_last_day(program), program_midpoint(program)
    fields = [
        f"*Purpose*\n{escape(purpose_text(program))}",
        f"*Company goal*\n{words(program.company_goal, 500)}",
        f"*Structure*\n{structure_text(program)}",
        f"*Places*\n{program.places} mentees",
        f"*Meetings*\n{CADENCE_LABELS[program.cadence]}, {program.session_minutes} min",
        f"*Runs*\n{day(program.start_date)} → {day(end)} ({_months(program.length_months)})",
        f"*Midpoint check*\n{day(midpoint)}",
        f"*Reviews*\n{REVIEW_LABELS[program.review_style]}",
        f"*Who may join*\n{VISIBILITY_LABELS[program.visibility]}",
        "*Digest channel*\n"
        + (f"<#{program.digest_channel_id}>" if program.digest_channel_id else "None yet"),
    ]
    tracked = ", ".join(MEASURES[m].lower() for m in program.tracked_measures if m in MEASURES)
    leads = ", ".join(f"<@{u}>" for u in [program.created_by, *co_lead_ids])
    blocks: list[Block] = [
        header(f"Program created: {program.name}"),
        section(f"*{name}* is saved as a draft. Here is what you set up:"),
        {"type": "section", "fields": [mrkdwn(f, SECTION_FIELD_LIMIT) for f in fields]},
        section(
            f"*Success looks like:* {words(program.success_measures, 1000)}\n"
            f"*Tracked:* {tracked or 'nothing built in'}\n"
            f"*Skill matrix:* {listed(program.competencies, 1000)}\n"
            f"*Leads:* {leads}"
        ),
        section(
            "*Next steps*\n"
            f"1. Open enrolment: `{COMMAND} program open {arg}`\n"
            f"2. In the channel where people should sign up: `{COMMAND} program announce {arg}` "
            "(invite me there first with `/invite @mentorbot`)\n"
            f"3. Once people are matched, start it: `{COMMAND} program start {arg}`"
        ),
        context(f"Change anything with `{COMMAND} program edit {arg}`."),
    ]
    fallback = (
        f"Program {name} created: {day(program.start_date)} to {day(end)}, "
        f"midpoint check {day(midpoint)}."
    )
    return message(fallback, blocks)


def build_program_list(
    programs: Sequence[Program],
    counts: Mapping[int, ProgramCounts],
    *,
    invitations: Mapping[int, InvitationCounts] | None = None,
    everything: bool = True,
) -> dict[str, Any]:
    """The programs the person may see, one section each; beyond what a message holds, their
    names. ``invitations`` holds the counts of the programs they lead; ``everything``: the
    whole workspace is listed (an admin), else only what is open to them."""
    if not programs:
        text = (
            "There are no programs yet. Workspace admins and program leads can create one with "
            f"`{COMMAND} program new`."
            if everything
            else "There are no programs open to you right now. When one opens for enrolment, "
            f"`{COMMAND} join` lists it."
        )
        return message(text, [section(text)])
    invited = invitations or {}
    # Running programs first; closed ones are history.
    ordered = sorted(programs, key=lambda p: p.status is ProgramStatus.CLOSED)
    shown, rest = ordered[:LIST_MAX_PROGRAMS], ordered[LIST_MAX_PROGRAMS:]
    blocks: list[Block] = [header(f"Programs ({len(programs)})")]
    blocks += [
        _list_entry(p, counts.get(p.id or 0, ProgramCounts()), invited.get(p.id or 0))
        for p in shown
    ]
    if rest:
        names = ", ".join(escape(p.name) for p in rest)
        blocks.append(context(clip_mrkdwn(f"…and {len(rest)} more: {names}", 3000)))
    elif invitations is not None:
        blocks.append(
            context(
                f"Leads: `{COMMAND} program edit NAME` to change a program, "
                f"`{COMMAND} program invite NAME @people #channel` to invite people."
            )
        )
    fallback = "Programs: " + ", ".join(f"{escape(p.name)} ({p.status.value})" for p in programs)
    return message(fallback, blocks)


def _list_entry(
    program: Program, counts: ProgramCounts, invitations: InvitationCounts | None
) -> Block:
    status = program.status
    lines = [
        f"{STATUS_EMOJI[status]} *{escape(program.name)}* · {STATUS_LABELS[status]}"
        + (" · by invitation" if program.visibility is Visibility.INVITATION else ""),
        f"{day(program.start_date)} → {day(program_last_day(program))} · "
        f"midpoint {day(program_midpoint(program))} · {CADENCE_LABELS[program.cadence].lower()}",
        f"Places filled: {counts.mentees_active}/{program.places} · "
        f"enrolled: {_count(counts.mentors, 'mentor')}, {_count(counts.mentees, 'mentee')}",
    ]
    if invitations is not None:
        lines.append(invitations_line(invitations, program))
    return section("\n".join(lines))


def invitations_line(counts: InvitationCounts, program: Program) -> str:
    """A program's invitations in one line, for its leads."""
    if not counts.total:
        if program.visibility is Visibility.INVITATION:
            return "*Invitations:* nobody invited yet, and only the invited may join."
        return "*Invitations:* none sent."
    return (
        f"*Invitations:* {counts.total:,} · {counts.joined:,} joined · "
        f"{counts.waiting:,} yet to answer · {counts.declined:,} not this time"
    )


def build_program_announcement(
    program: Program, *, places_left: int, lead_ids: Sequence[str]
) -> dict[str, Any]:
    """The channel announcement with a Join button for each role."""
    assert program.id is not None
    end = program_last_day(program)
    places = (
        f"{places_left} of {program.places} mentee places left"
        if places_left
        else "Mentee places are all taken; mentors are still welcome"
    )
    fields = [
        f"*Meetings*\n{CADENCE_LABELS[program.cadence]}, {program.session_minutes} min sessions",
        f"*Runs*\n{day(program.start_date)} → {day(end)} ({_months(program.length_months)})",
        f"*Format*\n{structure_text(program)}",
        f"*Places*\n{places}",
        f"*Who it's for*\n{_audience(program)}",
    ]
    leads = ", ".join(f"<@{u}>" for u in lead_ids)
    blocks: list[Block] = [
        header(f"Join the {program.name} mentorship program"),
        section(
            f"*What it's for:* {escape(purpose_text(program))}\n"
            f"*The company goal it serves:* {words(program.company_goal, 1000)}"
        ),
        {"type": "section", "fields": [mrkdwn(f, SECTION_FIELD_LIMIT) for f in fields]},
        section(
            "*Want a mentor?* Say where you are and where you want to be in 6 to 12 months.",
            accessory=button(
                "Join as mentee",
                ActionId.JOIN.value,
                value=f"{program.id}:mentee",
                style="primary",
            ),
        ),
        section(
            "*Want to mentor?* Share what you can teach and how many mentees you can take.",
            accessory=button("Join as mentor", ActionId.JOIN.value, value=f"{program.id}:mentor"),
        ),
        context(f"Questions? Ask the leads: {leads}."),
    ]
    name = escape(program.name)
    fallback = f"{name} is open for enrolment: join as a mentee or as a mentor."
    return message(fallback, blocks)


def _audience(program: Program) -> str:
    if program.visibility is Visibility.INVITATION:
        return "People the leads invite. Ask a lead if you'd like to take part."
    return "Everyone in the workspace"


def build_status_changed(program: Program) -> dict[str, Any]:
    """The lead's confirmation that a program moved to its new status."""
    name, arg = escape(program.name), escape(command_arg(program.name))
    texts = {
        ProgramStatus.ENROLLING: (
            f"*{name}* is open for enrolment. Post the sign-up announcement in a channel with "
            f"`{COMMAND} program announce {arg}`."
        ),
        ProgramStatus.ACTIVE: (
            f"*{name}* is active: from now on its schedule runs (session prompts, nudges and the "
            "leads' digest)."
        ),
        ProgramStatus.CLOSED: f"*{name}* is closed, and its schedule has stopped.",
    }
    status = program.status
    text = ":white_check_mark: " + texts.get(status, f"*{name}* is now {STATUS_LABELS[status]}.")
    return message(text, [section(text)])


def build_announcement_queued(program: Program, *, channel_id: str) -> dict[str, Any]:
    """The lead's confirmation: the announcement is on its way (they hear if it can't land)."""
    text = (
        f":mega: The announcement of *{escape(program.name)}* is on its way to <#{channel_id}>. "
        "If I can't post there, I'll tell you why."
    )
    return message(text, [section(text)])


# --- wording shared by the program views ------------------------------------------------------


def day(value: date) -> str:
    """A date as people read it, e.g. ``2 Mar 2026``."""
    return f"{value.day} {value:%b %Y}"


def command_arg(name: str) -> str:
    """``name`` as it can be typed after a command (quoted when it holds an apostrophe)."""
    return f'"{name}"' if "'" in name and '"' not in name else name


def purpose_text(program: Program) -> str:
    """What the program is for, in words."""
    if program.purpose is Purpose.OTHER:
        return program.purpose_detail or "Other"
    label = PURPOSE_LABELS[program.purpose]
    return f"{label}: {program.purpose_detail}" if program.purpose_detail else label


def structure_text(program: Program) -> str:
    """One-to-one, or groups of N."""
    if program.structure is Structure.GROUP:
        return f"Groups of {program.group_size} mentees with a mentor"
    return "One mentor, one mentee"


def _months(n: int) -> str:
    return f"{n} month{'' if n == 1 else 's'}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# --- invitations -------------------------------------------------------------------------------


def build_invitation(
    program: Program, *, inviter_id: str, lead_ids: Sequence[str], places_left: int
) -> dict[str, Any]:
    """The DM an invited person gets: what the program is, Join as mentee or mentor, or not."""
    assert program.id is not None
    name = escape(program.name)
    end = program_last_day(program)
    places = (
        f"{places_left} of {program.places} mentee places left"
        if places_left
        else "Mentee places are all taken; mentors are still welcome"
    )
    fields = [
        f"*Meetings*\n{CADENCE_LABELS[program.cadence]}, {program.session_minutes} min sessions",
        f"*Runs*\n{day(program.start_date)} → {day(end)} ({_months(program.length_months)})",
        f"*Format*\n{structure_text(program)}",
        f"*Places*\n{places}",
    ]
    buttons: list[Block] = []
    if places_left:
        buttons.append(
            button(
                "Join as mentee",
                join_action_id(Role.MENTEE),
                value=f"{program.id}:{Role.MENTEE.value}",
                style="primary",
            )
        )
    buttons.append(
        button("Join as mentor", join_action_id(Role.MENTOR), value=f"{program.id}:mentor")
    )
    buttons.append(button("Not this time", ActionId.INVITATION_DECLINE, value=str(program.id)))
    leads = ", ".join(f"<@{u}>" for u in lead_ids)
    blocks: list[Block] = [
        header(clip(f"You're invited to {program.name}", 150)),
        section(
            f"<@{inviter_id}> invites you to *{name}*, a mentorship program.\n"
            f"*What it's for:* {escape(purpose_text(program))}\n"
            f"*The company goal it serves:* {words(program.company_goal, 1000)}"
        ),
        {"type": "section", "fields": [mrkdwn(f, SECTION_FIELD_LIMIT) for f in fields]},
        section(
            "*Want a mentor?* Say where you are and where you want to be in 6 to 12 months.\n"
            "*Want to mentor?* Share what you can teach and how many mentees you can take."
        ),
        actions(*buttons, block_id="invitation"),
        context(
            f"Questions? Ask the leads: {leads}. *Not this time* lets them know, and I won't "
            "ask again."
        ),
    ]
    return message(f"You're invited to the {name} mentorship program", blocks)


def build_invitation_declined(program: Program) -> dict[str, Any]:
    """The invitation once declined: its buttons are spent, the way back is said."""
    text = (
        f"You said *not this time* to *{escape(program.name)}*: thanks for letting the leads "
        f"know. If you change your mind while it takes sign-ups: "
        f"`{COMMAND} join {escape(command_arg(program.name))}`."
    )
    return message(text, [section(text)])


def build_invite_result(
    program: Program, outcome: Invited, *, problems: Sequence[str] = ()
) -> dict[str, Any]:
    """The lead's answer: how many were invited, who was left out and why, what went wrong."""
    name = escape(program.name)
    left_out = [
        (outcome.already_invited, "was already invited", "were already invited"),
        (outcome.declined_before, "said not this time before", "said not this time before"),
        (outcome.already_in, "is in already", "are in already"),
        (outcome.leads, "leads it", "lead it"),
    ]
    reasons = [f"{n:,} {one if n == 1 else many}" for n, one, many in left_out if n]
    invited = len(outcome.new)
    if invited:
        head = f":envelope: Invited {invited:,} to *{name}*"
        head += f": {', '.join(reasons)}." if reasons else "."
        head += " Each gets a DM with Join buttons; if one can't be delivered, I'll tell you."
    else:
        head = f"Nobody new to invite to *{name}*" + (
            f": {', '.join(reasons)}." if reasons else "."
        )
    lines = [head]
    if program.visibility is Visibility.INVITATION:
        lines.append("Only the invited may join it.")
    if problems:
        lines.append("\n".join(f":warning: {p}" for p in problems))
    text = "\n".join(lines)
    return message(text, [section(text)])


def build_invite_modal(program: Program) -> dict[str, Any]:
    """Pick people and a channel to invite to the program (from its Home card)."""
    only = (
        " It's by invitation only: nobody else may join."
        if program.visibility is Visibility.INVITATION
        else ""
    )
    blocks: list[Block] = [
        section(
            f"Invite people to *{escape(program.name)}*: each gets a DM with *Join as mentee* "
            f"and *Join as mentor* buttons.{only} People already in it or invited are left out."
        ),
        input_block(
            BlockId.INVITE_PEOPLE,
            "People",
            multi_users_select(most=INVITE_PICK_MAX),
            hint=f"Up to {INVITE_PICK_MAX} people.",
            optional=True,
        ),
        input_block(
            BlockId.INVITE_CHANNEL,
            "Everyone in a channel",
            conversations_select(placeholder="Pick a channel"),
            hint="For a private channel, invite me into it first (/invite @mentorbot).",
            optional=True,
        ),
        context(
            f"A user group: `{COMMAND} program invite {escape(command_arg(program.name))} @group`."
        ),
    ]
    return modal(
        CallbackId.INVITE,
        "Invite people",
        blocks,
        metadata={"program_id": program.id},
        submit="Invite",
        close="Cancel",
    )


def build_invitations_modal(program: Program, page: InvitationPage) -> dict[str, Any]:
    """Who was invited, who joined and who declined, a page of names at a time."""
    counts = page.counts
    name = escape(program.name)
    if not page.total:
        text = f"Nobody has been invited to *{name}* yet."
        return modal(CallbackId.INVITATIONS, "Invitations", [section(text)])
    blocks: list[Block] = [
        section(f"*{name}*\n{invitations_line(counts, program)}"),
    ]
    for status in STATUS_ORDER:
        names = [f"<@{user}>" for user, shown in page.rows if shown is status]
        if names:
            blocks.append(section(f"*{INVITATION_HEADINGS[status]}*\n" + ", ".join(names)))
    last = page.offset + len(page.rows)
    if page.total > INVITATION_PAGE:
        blocks.append(context(f"People {page.offset + 1:,} to {last:,} of {page.total:,}"))
        pager: list[Block] = []
        if page.offset > 0:
            previous = max(page.offset - INVITATION_PAGE, 0)
            pager.append(
                button(
                    "← Previous",
                    ActionId.INVITATIONS_PREVIOUS,
                    value=f"{page.program_id}:{previous}",
                )
            )
        if last < page.total:
            pager.append(
                button("Next →", ActionId.INVITATIONS_NEXT, value=f"{page.program_id}:{last}")
            )
        blocks.append(actions(*pager, block_id="invitation_pages"))
    return modal(
        CallbackId.INVITATIONS,
        "Invitations",
        blocks,
        metadata={"program_id": page.program_id},
    )
