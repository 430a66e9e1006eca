"""The scheduler's prompts and nudges: short DMs, each with the one button that acts on it."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.ids import ActionId
from bot.services.graduation import StillYours
from bot.services.scorecards import LOW_BELOW, LOW_COUNT, LOW_WINDOW
from bot.services.signals import (
    NUDGED,
    Signal,
    SignalKind,
    dimension_phrase,
    lead_action,
    lead_reason,
)
from bot.views.blocks import Block, actions, button, context, message, section
from bot.views.graduation import still_yours_buttons, still_yours_lines
from bot.views.surveys import survey_button
from bot.views.text import escape, inline
from storage.enums import Role, SurveyKind


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
            f"*{escape(program_name)}*. Regular sessions are what make mentoring work: pick a "
            "time now."
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
    name = escape(program_name)
    blocks: list[Block] = [
        section(
            f":warning: <@{mentor_user_id}> and <@{mentee_user_id}> in *{name}* have not "
            f"met for {days} days (twice the planned cadence). They were nudged; a word from you "
            "may help."
        )
    ]
    return message(f"A pair in {name} has lapsed", blocks)


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
        section(f"Your {what} *{inline(title, 300)}* is due on *{_day(due)}*. How is it going?"),
        actions(button("Update goals", ActionId.GOALS_OPEN, value=str(pairing_id))),
    ]
    return message(f"Your {what} is due on {_day(due)}", blocks)


def build_delivery_failure(*, recipient_id: str, reason: str, program_name: str) -> dict[str, Any]:
    """To the program's leads, when a message can never reach someone."""
    name = escape(program_name)
    blocks: list[Block] = [
        section(
            f":warning: I can't reach <@{recipient_id}> in *{name}* ({escape(reason)}). "
            "They may have left the workspace; consider ending or re-matching their pairing."
        )
    ]
    return message(f"Can't reach a participant of {name}", blocks)


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
    ).format(who=who, error=escape(error))
    text = f":warning: I couldn't deliver {what} to {who}: {because}."
    return message(text, [section(text)])


def build_graduation_prompt(
    *,
    pairing_id: int,
    partner_user_id: str,
    program_name: str,
    end: date,
    left: Mapping[str, StillYours] | None = None,
) -> dict[str, Any]:
    """To both, two weeks before the program ends: what is still theirs to close well.

    ``left`` (``graduation.closing_left`` of the pairing, by user id) names each person's own
    steps; without it the prompt lists the steps every pair has.
    """
    mine = next((s for user, s in (left or {}).items() if user != partner_user_id), None)
    name = escape(program_name)
    opening = f"*{name}* ends on *{_day(end)}*. Time to close well with <@{partner_user_id}>"
    if mine is None:
        blocks: list[Block] = [
            section(
                f"{opening}: look back at your goals, take the final reflection and the "
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
        return message(f"{name} ends on {_day(end)}: time to graduate", blocks)
    lines = still_yours_lines(mine, partner_user_id=partner_user_id)
    if not lines:
        blocks = [
            section(
                f"{opening}. You've done your part already: the review, the reflection and the "
                f"audit are in. Thank you: you two graduate once <@{partner_user_id}> has added "
                "their part."
            )
        ]
        return message(f"{name} ends on {_day(end)}", blocks)
    bullets = "\n".join(f"• {line}" for line in lines)
    blocks = [
        section(f"{opening}. Still yours, each a few minutes:\n{bullets}"),
        actions(*still_yours_buttons(pairing_id, mine)),
    ]
    if mine.review:
        blocks.append(context("You graduate together once you've both added your part."))
    return message(f"{name} ends on {_day(end)}: what's still yours", blocks)


# --- failure modes: the pair first, the leads next ------------------------------------------

SIGNAL_TITLES = {
    SignalKind.ONE_SIDED_EFFORT: "One-sided effort",
    SignalKind.AGENDA_DRIFT: "Agenda drift",
    SignalKind.AVOIDED_FEEDBACK: "Avoided hard feedback",
    SignalKind.LOW_SCORECARD: "Falling scorecards",
    SignalKind.STALLED: "Stalled goals",
}
# The question a mentor can bring when a dimension's ratings fall.
_LOW_QUESTIONS = {
    "clarity": "what would make the next steps clearer",
    "energy": "what would make our sessions more energising",
    "confidence": "what would make the next step feel doable",
}


def _one_sided(signal: Signal, partner: str) -> tuple[str, str, Block]:
    if signal.count == 1:
        said = f"The action item you took on for your last session with <@{partner}> is still open."
        it = "it"
    else:
        said = (
            f"None of the {signal.count} action items you took on for your last session with "
            f"<@{partner}> is ticked off yet."
        )
        it = "them"
    text = (
        f"{said} Done already? Tick {it} off on the agenda. Didn't get to {it}? That happens: "
        f"bring {it} to your next session and agree something smaller together."
    )
    open_agenda = button(
        "Open the agenda", ActionId.AGENDA_OPEN, value=str(signal.pairing_id), style="primary"
    )
    return "Your action items from your last session are still open", text, open_agenda


def _drift(signal: Signal, partner: str) -> tuple[str, str, Block]:
    if not signal.off_goal:
        what = "had no agenda"
    elif not signal.without_agenda:
        what = "didn't touch any of your goals"
    else:
        what = "had no agenda or didn't touch your goals"
    text = (
        f"{signal.count} of your last {signal.of} sessions with <@{partner}> {what}. You own the "
        "agenda: two or three points before the next session, each tied to one of your goals, "
        "make sure the time goes where you want it."
    )
    set_agenda = button(
        "Set the next agenda", ActionId.AGENDA_OPEN, value=str(signal.pairing_id), style="primary"
    )
    return "A few lines of agenda make your next session yours", text, set_agenda


def _avoided(signal: Signal, partner: str) -> tuple[str, str, Block]:
    if signal.notes == 0:
        said = f"Your last {signal.of} sessions with <@{partner}> have no feedback from you yet."
    else:
        said = (
            f"Your feedback on your last {signal.of} sessions with <@{partner}> hasn't named "
            "anything to change yet."
        )
    text = (
        f"{said} The \u201cneeds to change\u201d part is the one people skip, and the one that "
        "helps most: one specific thing from your last session is enough."
    )
    give = button(
        "Give feedback", ActionId.FEEDBACK_OPEN, value=str(signal.meeting_id), style="primary"
    )
    return "One specific thing to change helps your mentee most", text, give


def _low(signal: Signal, partner: str) -> tuple[str, str, Block]:
    phrases = [dimension_phrase(d) for d in signal.dimensions]
    named = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    question = _LOW_QUESTIONS.get(signal.dimensions[0], "what would make our sessions more useful")
    text = (
        f"<@{partner}>'s ratings of your recent sessions have dipped: {named} "
        f"{'was' if len(phrases) == 1 else 'were'} below "
        f"{LOW_BELOW} in at least {LOW_COUNT} of the last {LOW_WINDOW}. It happens, and asking is "
        f"the quickest fix: put one question on your next agenda, such as {question}."
    )
    add = button(
        "Add it to the agenda", ActionId.AGENDA_OPEN, value=str(signal.pairing_id), style="primary"
    )
    return "A question for your next session", text, add


def _stalled(signal: Signal, partner: str, role: Role) -> tuple[str, str, Block]:
    together = f"You and <@{partner}> have been working together for {signal.count} weeks"
    if not signal.goals_agreed and role is Role.MENTEE:
        said = (
            f"{together}, and no goal is agreed yet. A goal gives your sessions something to aim "
            f"at: write one that is specific and dated, and ask <@{partner}> to agree it."
        )
    elif not signal.goals_agreed:
        said = (
            f"{together}, and no goal is agreed yet. Help <@{partner}> write one specific, dated "
            "goal, then agree it or suggest a change."
        )
    elif role is Role.MENTEE:
        said = (
            f"{together}, and none of your goals has moved yet. After your next session, say how "
            "each one is going, or change the one that no longer fits."
        )
    else:
        said = (
            f"{together}, and none of <@{partner}>'s goals has moved yet. At your next session, "
            "pick one together and agree the first step."
        )
    goals = button("Open goals", ActionId.GOALS_OPEN, value=str(signal.pairing_id), style="primary")
    return "A goal that moves gives your sessions direction", said, goals


def build_signal_nudge(signal: Signal, *, role: Role, escalate_after_days: int) -> dict[str, Any]:
    """To the person of the pair who can fix a failure mode: what the data says, kindly, and the
    one button that fixes it. Private: the partner does not get it."""
    partner = signal.partner_of(role)
    if signal.kind is SignalKind.ONE_SIDED_EFFORT:
        fallback, text, fix = _one_sided(signal, partner)
    elif signal.kind is SignalKind.AGENDA_DRIFT:
        fallback, text, fix = _drift(signal, partner)
    elif signal.kind is SignalKind.AVOIDED_FEEDBACK:
        fallback, text, fix = _avoided(signal, partner)
    elif signal.kind is SignalKind.LOW_SCORECARD:
        fallback, text, fix = _low(signal, partner)
    else:
        fallback, text, fix = _stalled(signal, partner, role)
    who = (
        f"<@{partner}> gets a note like this one too."
        if len(NUDGED[signal.kind]) > 1
        else "Only you get this note."
    )
    blocks: list[Block] = [
        section(text),
        actions(fix),
        context(
            f"{who} If nothing changes in {escalate_after_days} days, your program lead gets a "
            "short heads-up to help: numbers only, never what you wrote."
        ),
    ]
    return message(fallback, blocks)


def build_signal_escalation(
    signal: Signal, *, program_name: str, nudged: Sequence[str], days: int
) -> dict[str, Any]:
    """To the program's leads, when a failure mode outlasted the pair's nudge: the flag, what
    the data says (counts only) and the suggested action."""
    name = escape(program_name)
    who = " and ".join(f"<@{user}>" for user in nudged)
    title = SIGNAL_TITLES[signal.kind]
    blocks: list[Block] = [
        section(
            f":triangular_flag_on_post: *{title}* in *{name}*: <@{signal.mentor_user_id}> → "
            f"<@{signal.mentee_user_id}>: {lead_reason(signal)}. I nudged {who} privately "
            f"{days} days ago, and it hasn't changed."
        ),
        section(f"*Suggested:* {lead_action(signal)}"),
        context(
            "Counts only: what the pair wrote stays with them. "
            f"`/mentor report {name}` shows every pair."
        ),
    ]
    return message(f"{title}: a pair in {name} needs a word from you", blocks)


def build_program_started(
    *, program_name: str, start: date, today: date, pairs: int
) -> dict[str, Any]:
    """To the program's leads, when the program started by itself once its start date came."""
    name = escape(program_name)
    running = f"{pairs} pair is" if pairs == 1 else f"{pairs} pairs are"
    when = "on its start date" if today == start else f"(its start date was {_day(start)})"
    text = (
        f":rocket: *{name}* started today {when}: {running} running. From now on I send them "
        "their prompts (agenda, reminders, scorecards, check-ins) and you the weekly digest."
    )
    blocks: list[Block] = [
        section(text),
        context(
            "Pairs you approve from now on start right away. "
            "`/mentor program list` shows where every program stands."
        ),
    ]
    return message(f"{name} has started", blocks)
