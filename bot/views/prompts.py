"""The scheduler's prompts and nudges: short DMs, each with the one button that acts on it."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.ids import ActionId
from bot.views.blocks import Block, actions, button, context, message, section
from bot.views.surveys import survey_button
from storage.enums import SurveyKind


def local_time(moment: datetime, tz: str) -> str:
    """``Tuesday 10 March, 15:00`` in the person's timezone."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"


def _day(value: date) -> str:
    return f"{value:%A} {value.day} {value:%B}"


def build_agenda_prompt(
    *, pairing_id: int, partner_user_id: str, start: datetime, tz: str
) -> dict[str, Any]:
    """To the mentee a day ahead: the agenda is theirs to set."""
    when = local_time(start, tz)
    blocks: list[Block] = [
        section(
            f"Your session with <@{partner_user_id}> is on *{when}*. What do you want from it? "
            "Add your agenda so your mentor can prepare."
        ),
        actions(
            button("Add your agenda", ActionId.AGENDA_OPEN, value=str(pairing_id), style="primary")
        ),
    ]
    return message(f"Add your agenda for {when}", blocks)


def build_session_reminder(
    *, pairing_id: int, partner_user_id: str, start: datetime, tz: str, minutes: int
) -> dict[str, Any]:
    """To both, shortly before a session."""
    when = local_time(start, tz)
    blocks: list[Block] = [
        section(f"Your session with <@{partner_user_id}> starts at *{when}* ({minutes} minutes)."),
        actions(button("See the agenda", ActionId.AGENDA_OPEN, value=str(pairing_id))),
    ]
    return message(f"Session with your partner at {when}", blocks)


def build_did_you_meet(
    *, meeting_id: int, partner_user_id: str, start: datetime, tz: str
) -> dict[str, Any]:
    """To both, a day after a session nobody logged."""
    when = local_time(start, tz)
    value = str(meeting_id)
    blocks: list[Block] = [
        section(f"Did your session with <@{partner_user_id}> on *{when}* happen?"),
        actions(
            button("We met", ActionId.MEETING_HELD, value=value, style="primary"),
            button("It moved", ActionId.MEETING_MOVED, value=value),
            button("It was cancelled", ActionId.MEETING_CANCELLED, value=value),
        ),
        context("Logging it keeps your hours and your program lead's picture right."),
    ]
    return message(f"Did you meet on {when}?", blocks)


def build_lapse_nudge(
    *, pairing_id: int, partner_user_id: str, days: int, program_name: str
) -> dict[str, Any]:
    """To both, when no session was held for 1.5 times the cadence."""
    blocks: list[Block] = [
        section(
            f"It's been {days} days since you and <@{partner_user_id}> last met in "
            f"*{program_name}*. Regular sessions are what make mentoring work: pick a time now."
        ),
        actions(
            button("Schedule now", ActionId.SCHEDULE_OPEN, value=str(pairing_id), style="primary")
        ),
    ]
    return message(f"Time to meet again: {days} days since your last session", blocks)


def build_lapse_escalation(
    *, mentor_user_id: str, mentee_user_id: str, days: int, program_name: str
) -> dict[str, Any]:
    """To the program's leads, when a pair has not met for twice the cadence."""
    blocks: list[Block] = [
        section(
            f":warning: <@{mentor_user_id}> and <@{mentee_user_id}> in *{program_name}* have not "
            f"met for {days} days (twice the planned cadence). They were nudged; a word from you "
            "may help."
        )
    ]
    return message(f"A pair in {program_name} has lapsed", blocks)


def build_reassessment_prompt(*, pairing_id: int, partner_user_id: str) -> dict[str, Any]:
    """To both, every six weeks: score the skill matrix again."""
    blocks: list[Block] = [
        section(
            f"Six weeks have passed: time to score your skills again with <@{partner_user_id}>. "
            "Each of you scores on your own; you'll see both once you have both submitted."
        ),
        actions(
            button("Score skills", ActionId.SKILLS_OPEN, value=str(pairing_id), style="primary")
        ),
    ]
    return message("Time for a skill re-assessment", blocks)


def build_due_reminder(*, pairing_id: int, what: str, title: str, due: date) -> dict[str, Any]:
    """To the mentee, three days before a goal or milestone is due."""
    blocks: list[Block] = [
        section(f"Your {what} *{title}* is due on *{_day(due)}*. How is it going?"),
        actions(button("Update goals", ActionId.GOALS_OPEN, value=str(pairing_id))),
    ]
    return message(f"Your {what} is due on {_day(due)}", blocks)


def build_delivery_failure(*, recipient_id: str, reason: str, program_name: str) -> dict[str, Any]:
    """To the program's leads, when a message can never reach someone."""
    blocks: list[Block] = [
        section(
            f":warning: I can't reach <@{recipient_id}> in *{program_name}* ({reason}). "
            "They may have left the workspace; consider ending or re-matching their pairing."
        )
    ]
    return message(f"Can't reach a participant of {program_name}", blocks)


# Why a message could not reach someone, in words the sender can act on.
_UNDELIVERED_BECAUSE = {
    "user_not_found": "{who} is no longer in this workspace",
    "users_not_found": "{who} is no longer in this workspace",
    "account_inactive": "{who}'s account has been deactivated",
    "user_disabled": "{who}'s account has been deactivated",
    "cannot_dm_bot": "{who} is a bot, and bots can't get DMs",
    "channel_not_found": "I'm not a member of {who} (invite me with `/invite @mentorbot`)",
    "not_in_channel": "I'm not a member of {who} (invite me with `/invite @mentorbot`)",
    "is_archived": "{who} is archived",
}


def build_undelivered(*, what: str, recipient_id: str | list[str], error: str) -> dict[str, Any]:
    """To the person a message was from, when it finally could not be delivered."""
    ids = recipient_id if isinstance(recipient_id, list) else [recipient_id]
    who = " and ".join(f"<#{i}>" if i[:1] in "CG" else f"<@{i}>" for i in ids)
    because = _UNDELIVERED_BECAUSE.get(
        error, "Slack kept refusing it ({error}), even after several tries"
    ).format(who=who, error=error)
    text = f":warning: I couldn't deliver {what} to {who}: {because}."
    return message(text, [section(text)])


def build_graduation_prompt(
    *, pairing_id: int, partner_user_id: str, program_name: str, end: date
) -> dict[str, Any]:
    """To both, two weeks before the program ends: reflect, audit independence, graduate."""
    blocks: list[Block] = [
        section(
            f"*{program_name}* ends on *{_day(end)}*. Time to close well with "
            f"<@{partner_user_id}>: look back at your goals, take the final reflection and the "
            "independence audit, then graduate together and decide what comes next."
        ),
        actions(
            button(
                "Review and graduate",
                ActionId.GRADUATION_OPEN,
                value=str(pairing_id),
                style="primary",
            ),
            survey_button(pairing_id, SurveyKind.FINAL),
            survey_button(pairing_id, SurveyKind.INDEPENDENCE),
        ),
    ]
    return message(f"{program_name} ends on {_day(end)}: time to graduate", blocks)
