"""The App Home tab: a person's dashboard, and the programs a lead runs."""

from datetime import date
from typing import Any

from bot.commands import COMMAND
from bot.ids import ActionId, BlockId
from bot.services.home import EnrolmentCard, HomeData, JoinCard, LedCard
from bot.views.blocks import Block, actions, button, context, divider, header, plain, section
from bot.views.dashboard import pair_card
from bot.views.program import STATUS_EMOJI, STATUS_LABELS, day
from storage.enums import ParticipantStatus, ProgramStatus, Role

PRIVACY_NOTE = "Your notes, feedback and scorecards are private to you and your mentoring partner."


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
    """The Home tab: pairings first, then enrolments, programs to join and programs led."""
    if data.is_new and not data.joinable and not data.may_create_programs:
        return build_home_empty(user_id=data.user_id)
    blocks: list[Block] = [header("Your mentoring")]
    for board in data.pairings:
        blocks.extend(pair_card(board, tz=tz, today=today))
    waiting = [e for e in data.enrolments if not e.matched]
    blocks.extend(_enrolment(card) for card in waiting)
    if not data.pairings and not waiting:
        blocks.append(section("You're not in a program yet."))
    if data.joinable:
        blocks.append(divider())
        blocks.append(header("Open for enrolment"))
        for card in data.joinable:
            blocks.extend(_join(card))
    if data.led or data.may_create_programs:
        blocks.append(divider())
        blocks.append(header("Programs you lead"))
        for led in data.led:
            blocks.extend(_led(led))
        if data.more_led:
            blocks.append(context(f"…and {data.more_led} more: `{COMMAND} program list`."))
        if data.may_create_programs:
            blocks.append(actions(button("New program", ActionId.PROGRAM_NEW, style="primary")))
    blocks.append(actions(button("See all commands", ActionId.HOME_HELP)))
    blocks.append(context(PRIVACY_NOTE))
    return {"type": "home", "blocks": blocks}


def _enrolment(card: EnrolmentCard) -> Block:
    line = f"*{card.program_name}*: enrolled as {card.role.value}"
    if card.status is ParticipantStatus.PAUSED and card.paused_until:
        return section(f"{line}, paused until {day(card.paused_until.date())}.")
    if card.role is Role.MENTEE:
        return section(f"{line}. A lead will match you with a mentor soon.")
    return section(f"{line}. You'll be introduced when a lead matches you with a mentee.")


def _join(card: JoinCard) -> list[Block]:
    return [
        section(
            f"*{card.program_name}* (starts {card.start}): join as a {role.value}",
            accessory=button("Join", ActionId.JOIN, value=f"{card.program_id}:{role.value}"),
        )
        for role in card.roles
    ]


def _led(card: LedCard) -> list[Block]:
    program, counts = card.program, card.counts
    pid = str(program.id)
    status = f"{STATUS_EMOJI[program.status]} {STATUS_LABELS[program.status]}"
    text = (
        f"*{program.name}* · {status} · starts {day(program.start_date)}\n"
        f"{counts.mentees_active} of {program.places} places filled · {counts.mentors} mentors · "
        f"{counts.mentees} mentees ({counts.mentees_matched} matched, "
        f"{counts.mentees_unmatched} unmatched)"
    )
    buttons = [button("Edit", ActionId.PROGRAM_EDIT, value=pid)]
    if program.status is ProgramStatus.DRAFT:
        buttons.append(button("Open enrolment", ActionId.PROGRAM_OPEN_ENROLMENT, value=pid))
    if program.status in (ProgramStatus.DRAFT, ProgramStatus.ENROLLING):
        buttons.append(button("Start", ActionId.PROGRAM_START, value=pid))
    if program.status in (ProgramStatus.ENROLLING, ProgramStatus.ACTIVE):
        buttons.insert(0, button("Match", ActionId.PROGRAM_MATCH, value=pid, style="primary"))
    close = button("Close", ActionId.PROGRAM_CLOSE, value=pid, style="danger")
    close["confirm"] = {
        "title": plain("Close this program?", 100),
        "text": plain(f"{program.name} stops its schedule for good.", 300),
        "confirm": plain("Close it", 30),
        "deny": plain("Keep it", 30),
    }
    buttons.append(close)
    return [section(text), actions(*buttons, block_id=f"led_{pid}")]
