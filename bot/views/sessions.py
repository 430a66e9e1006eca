"""Session views: the schedule, cancel and log modals, and the DMs that tell the pair."""

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.ids import ActionId, BlockId, CallbackId
from bot.services.sessions import (
    ACTION_ITEMS_MAX,
    ACTION_TEXT_MAX,
    CANCEL_REASON_MAX,
    MINUTES_MAX,
    MINUTES_MIN,
    NOTES_MAX,
    SESSION_LENGTHS,
    ChangeKind,
    HoursSummary,
    LoggedSession,
    ScheduleDefaults,
    SessionChange,
    zone,
)
from bot.views.blocks import (
    Block,
    actions,
    button,
    context,
    datepicker,
    input_block,
    message,
    modal,
    multi_select,
    number_input,
    option,
    section,
    static_select,
    text_input,
    timepicker,
)
from bot.views.text import escape, inline, words


def format_when(start: datetime, tz: str) -> str:
    """A session's start as its reader lives it: "Tuesday 10 March, 15:00 (Europe/Berlin)"."""
    place = zone(tz)
    local = start.astimezone(place)
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M} ({place.key})"


def format_day(day: date) -> str:
    """A calendar day: "Tuesday 10 March"."""
    return f"{day:%A} {day.day} {day:%B}"


def format_hours(hours: float) -> str:
    """Hours with at most one decimal (halves round up) and no trailing zero: 3, 3.5."""
    tenths = math.floor(hours * 10 + 0.5)
    return f"{tenths / 10:.1f}".removesuffix(".0")


# --- schedule ------------------------------------------------------------------------------------


def build_schedule_modal(
    *,
    pairing_id: int,
    program_name: str,
    partner_user_id: str,
    tz: str,
    defaults: ScheduleDefaults,
) -> dict[str, Any]:
    """Pick the day, time (in the person's own timezone) and length of the next session."""
    place = zone(tz).key
    moving = defaults.meeting_id is not None and defaults.start is not None
    blocks: list[Block] = []
    local = defaults.start.astimezone(zone(tz)) if moving and defaults.start else None
    if local is not None and defaults.start is not None:
        blocks.append(
            section(
                f"Your next session with <@{partner_user_id}> is on "
                f"*{format_when(defaults.start, tz)}*. Pick a new time to move it."
            )
        )
    else:
        blocks.append(
            section(
                f"Plan your next session with <@{partner_user_id}> in *{escape(program_name)}*."
            )
        )
    minutes = defaults.minutes if defaults.minutes in SESSION_LENGTHS else 60
    # The picker shows and returns the time in the person's own timezone.
    time_element = {
        **timepicker(None if local is None else local.time()),
        "timezone": place,
    }
    blocks += [
        input_block(
            BlockId.SESSION_DATE,
            "Day",
            datepicker(None if local is None else local.date(), placeholder="Pick a day"),
        ),
        input_block(
            BlockId.SESSION_TIME,
            f"Start time ({place})",
            time_element,
            hint=f"In your Slack timezone, {place}. Your partner sees the time in theirs.",
        ),
        input_block(
            BlockId.SESSION_LENGTH,
            "Length",
            static_select(
                [option(f"{m} minutes", str(m)) for m in SESSION_LENGTHS],
                initial=str(minutes),
                placeholder="Pick a length",
            ),
        ),
        context("You both get a DM with the time in your own timezone and a calendar invite."),
    ]
    if moving:
        blocks.append(
            actions(
                button(
                    "Cancel this session",
                    ActionId.SESSION_CANCEL,
                    value=str(defaults.meeting_id),
                    style="danger",
                ),
                block_id="session_cancel",
            )
        )
    return modal(
        CallbackId.SCHEDULE,
        "Move the session" if moving else "Schedule a session",
        blocks,
        metadata={"pairing_id": pairing_id, "meeting_id": defaults.meeting_id},
        submit="Move it" if moving else "Schedule",
    )


def build_cancel_modal(*, pairing_id: int, meeting_id: int, when: str) -> dict[str, Any]:
    """Confirm cancelling a session, with an optional reason for the partner."""
    return modal(
        CallbackId.SESSION_CANCEL,
        "Cancel the session",
        [
            section(
                f"Cancel the session on *{when}*? Your partner is told, and the calendar "
                "invite is withdrawn."
            ),
            input_block(
                BlockId.SESSION_CANCEL_REASON,
                "Reason",
                text_input(
                    multiline=True,
                    max_length=CANCEL_REASON_MAX,
                    placeholder="Shared with your partner only",
                ),
                optional=True,
            ),
        ],
        metadata={"pairing_id": pairing_id, "meeting_id": meeting_id},
        submit="Cancel session",
        close="Keep it",
    )


def _missing_emails(
    change: SessionChange, *, viewer_user_id: str, without_email: Sequence[str]
) -> str | None:
    """Say plainly whom the invite could not name, and that the file works all the same."""
    missing = [u for u in (change.mentee_user_id, change.mentor_user_id) if u in without_email]
    if not missing:
        return None
    if len(missing) == 2:
        who, whose = "either of you", "your emails"
    elif missing == [viewer_user_id]:
        who, whose = "you", "your email"
    else:
        who, whose = f"<@{missing[0]}>", "their email"
    use = "remove the session from" if change.kind is ChangeKind.CANCELLED else "add it to"
    return (
        f":information_source: I couldn't add {who} to the invite: Slack didn't share {whose} "
        f"with me. The file below still works: open it to {use} your calendar."
    )


def build_session_dm(
    change: SessionChange, *, viewer_user_id: str, tz: str, without_email: Sequence[str] = ()
) -> dict[str, Any]:
    """Tell one of the pair about a session, in their own timezone, with what to do next.

    ``without_email``: people Slack shared no email of, so the invite could not name them.
    """
    partner = (
        change.mentee_user_id if viewer_user_id == change.mentor_user_id else change.mentor_user_id
    )
    when = format_when(change.start, tz)
    by = "you" if change.by_user_id == viewer_user_id else f"<@{change.by_user_id}>"
    pairing = str(change.pairing_id)
    buttons: list[Block] = []
    if change.kind is ChangeKind.CANCELLED:
        text = f"Session with <@{partner}> on {when} is cancelled."
        lines = [f":x: {text}"]
        if change.cancel_reason:
            lines.append(f"_Reason:_ {words(change.cancel_reason, 500)}")
        notes = [f"Cancelled by {by}. The calendar invite below removes it from your calendar."]
        buttons.append(button("Schedule another", ActionId.SCHEDULE_OPEN, value=pairing))
    else:
        text = f"Session with <@{partner}> on {when}, {change.minutes} minutes"
        lines = [f":calendar: {text}"]
        if change.kind is ChangeKind.RESCHEDULED and change.previous_start is not None:
            lines[0] = f":calendar: Moved: {text}"
            lines.append(f"_Was:_ {format_when(change.previous_start, tz)}")
            text = f"Moved: {text}"
        notes = [
            f"{'Moved' if change.kind is ChangeKind.RESCHEDULED else 'Scheduled'} by {by} in "
            f"{escape(change.program_name)}. Add the invite below to your calendar."
        ]
        if viewer_user_id == change.mentee_user_id:
            notes.append("You own the agenda: add what you want to talk about.")
            buttons.append(
                button("Add to agenda", ActionId.AGENDA_OPEN, value=pairing, style="primary")
            )
        buttons.append(button("Reschedule", ActionId.SCHEDULE_OPEN, value=pairing))
    blocks: list[Block] = [section("\n".join(lines)), context(*notes)]
    missing = _missing_emails(change, viewer_user_id=viewer_user_id, without_email=without_email)
    if missing is not None:
        blocks.append(context(missing))
    blocks.append(actions(*buttons, block_id="session_actions"))
    return message(text, blocks)


def invite_texts(change: SessionChange, *, names: dict[str, str]) -> tuple[str, str]:
    """The invite's summary and description (``names``: real names by user id)."""
    mentor = names.get(change.mentor_user_id) or "your mentor"
    mentee = names.get(change.mentee_user_id) or "your mentee"
    summary = f"Mentoring: {mentee} & {mentor}"
    description = (
        f"Mentoring session in {change.program_name}. {mentee} owns the agenda: "
        "add to it in Slack with /mentor agenda. Log the session afterwards with /mentor log."
    )
    return summary, description


def invite_title(change: SessionChange, summary: str) -> str:
    """The title the shared invite shows in Slack."""
    return f"Cancelled: {summary}" if change.kind is ChangeKind.CANCELLED else summary


def invite_filename(change: SessionChange) -> str:
    """The invite's file name, unique per session and SEQUENCE: a share whose outcome is
    unknown is found again in the DM by this name."""
    return f"mentoring-session-{change.meeting_id}-{change.sequence}.ics"


# --- log -----------------------------------------------------------------------------------------


def build_log_modal(
    *,
    pairing_id: int,
    me: str,
    partner_user_id: str,
    names: dict[str, str],
    today: date,
    default_minutes: int,
    goals: Sequence[tuple[int, str]],
) -> dict[str, Any]:
    """Record a held session: day, minutes, goals touched, private notes, up to 3 action items."""
    blocks: list[Block] = [
        section(f"Log a session you held with <@{partner_user_id}>."),
        input_block(BlockId.LOG_DATE, "Day you met", datepicker(today, placeholder="Pick a day")),
        input_block(
            BlockId.LOG_MINUTES,
            "Minutes",
            number_input(
                min(max(default_minutes, MINUTES_MIN), MINUTES_MAX),
                low=MINUTES_MIN,
                high=MINUTES_MAX,
            ),
        ),
    ]
    if goals:
        blocks.append(
            input_block(
                BlockId.LOG_GOALS,
                "Goals you worked on",
                multi_select(
                    [option(statement, str(gid)) for gid, statement in goals],
                    placeholder="Pick goals",
                ),
                optional=True,
            )
        )
    blocks.append(
        input_block(
            BlockId.LOG_NOTES,
            "Notes",
            text_input(multiline=True, max_length=NOTES_MAX),
            optional=True,
            hint="Private to the two of you: program leads never see them.",
        )
    )
    owners = [
        option(f"Me ({names.get(me) or 'you'})", me),
        option(names.get(partner_user_id) or "My partner", partner_user_id),
    ]
    blocks.append(context("*Action items* for before the next session: each needs a description."))
    for index in range(1, ACTION_ITEMS_MAX + 1):
        blocks += [
            input_block(
                f"{BlockId.LOG_ACTION_TEXT_PREFIX}{index}",
                f"Action item {index}",
                text_input(max_length=ACTION_TEXT_MAX),
                optional=True,
            ),
            input_block(
                f"{BlockId.LOG_ACTION_OWNER_PREFIX}{index}",
                f"Owner of item {index}",
                static_select(owners, placeholder="The mentee"),
                optional=True,
                hint="Left empty, the mentee owns it.",
            ),
            input_block(
                f"{BlockId.LOG_ACTION_DUE_PREFIX}{index}",
                f"Due date of item {index}",
                datepicker(),
                optional=True,
            ),
        ]
    return modal(
        CallbackId.LOG,
        "Log a session",
        blocks,
        metadata={"pairing_id": pairing_id},
        submit="Log it",
    )


def _hours_line(hours: HoursSummary) -> str:
    return (
        f"*Hours:* {format_hours(hours.held)} h held, of {format_hours(hours.planned_by_now)} h "
        f"due by now / {format_hours(hours.minimum)} h minimum over the program"
    )


def build_logged_message(logged: LoggedSession, *, viewer_user_id: str, tz: str) -> dict[str, Any]:
    """Confirm a logged session to the logger, or tell the partner (short, notes included)."""
    partner = (
        logged.mentee_user_id if viewer_user_id == logged.mentor_user_id else logged.mentor_user_id
    )
    day = format_day(logged.held_at.astimezone(zone(tz)).date())
    if viewer_user_id == logged.logged_by:
        text = f"Logged: {logged.minutes} minutes with <@{partner}> on {day}"
    else:
        text = f"<@{logged.logged_by}> logged your session on {day}: {logged.minutes} minutes"
    lines = [f":white_check_mark: {text}.", _hours_line(logged.hours)]
    if logged.goals:
        lines.append("*Goals worked on:* " + "; ".join(inline(g, 150) for g in logged.goals[:10]))
    if logged.actions:
        lines.append("*Action items:*")
        for action in logged.actions:
            due = f", due {format_day(action.due_date)}" if action.due_date else ""
            lines.append(f"• {inline(action.text, 500)} (<@{action.owner_user_id}>{due})")
    if logged.notes and viewer_user_id != logged.logged_by:
        lines.append(f"*Notes:* {words(logged.notes, 600)}")
    pairing = str(logged.pairing_id)
    blocks: list[Block] = [
        section("\n".join(lines)),
        actions(
            button(
                "Give feedback",
                ActionId.FEEDBACK_OPEN,
                value=str(logged.meeting_id),
                style="primary",
            ),
            button("Schedule the next one", ActionId.SCHEDULE_OPEN, value=pairing),
            block_id="logged_actions",
        ),
        context("Notes and feedback stay between the two of you."),
    ]
    return message(text, blocks)
