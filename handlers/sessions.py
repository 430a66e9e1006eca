"""Sessions: `/mentor schedule` (schedule, move, cancel) and `/mentor log`, with their modals.

Whatever changes a session tells both people in the unit of work that stored the change: each
gets a DM in their own timezone and the calendar invite, through the outbox. The invite names
both by their Slack email; the DM says whom it could not name, and the file goes regardless.
"""

from dataclasses import dataclass

from slack_bolt import App
from sqlmodel import Session

from bot.calendar import Invitee, build_invite, usable_email
from bot.commands import Subcommand
from bot.directory import CACHE_TTL
from bot.errors import NotFound
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.access import pairing_for, partner_of
from bot.services.goals import pair_goals
from bot.services.programs import get_program_by_id
from bot.services.sessions import (
    ACTION_ITEMS_MAX,
    ActionForm,
    ChangeKind,
    LogForm,
    ScheduleForm,
    SessionChange,
    cancel_session,
    check_open,
    get_meeting,
    local_day,
    log_session,
    mark_moved,
    meeting_for,
    schedule_defaults,
    schedule_session,
)
from bot.views.forms import FormState
from bot.views.notice import build_notice
from bot.views.sessions import (
    build_cancel_modal,
    build_log_modal,
    build_logged_message,
    build_schedule_modal,
    build_session_dm,
    format_when,
    invite_filename,
    invite_texts,
    invite_title,
)
from handlers.commands import CommandRouter
from handlers.common import message_to
from handlers.listeners import (
    Answer,
    Clear,
    Click,
    Closing,
    Interaction,
    Modal,
    PairFrom,
    Reply,
    Submission,
    on_click,
    on_submit,
)
from scheduler.outbox import Planned, SharedFile
from scheduler.rules import scorecard_prompt_now
from storage.models import Pairing, Program

SCHEDULE = Subcommand(
    "schedule", "schedule [@partner]", "Schedule, move or cancel your next mentoring session."
)
LOG = Subcommand(
    "log", "log [@partner]", "Log a session you held: minutes, goals, notes and action items."
)
# What each change is called when its DM can't be delivered ("I couldn't deliver …").
_WHAT = {
    ChangeKind.SCHEDULED: "the new session",
    ChangeKind.RESCHEDULED: "the session's new time",
    ChangeKind.CANCELLED: "the cancellation",
}


def _rows(session: Session, i: Interaction, pairing_id: int) -> tuple[Pairing, Program]:
    """The pairing (only for someone in it) and its program, in this unit of work."""
    pairing = pairing_for(session, team_id=i.team_id, user_id=i.user_id, pairing_id=pairing_id)
    return pairing, get_program_by_id(session, team_id=i.team_id, program_id=pairing.program_id)


@dataclass(frozen=True, slots=True)
class Someone:
    """One of the pair as Slack describes them: timezone, name and (maybe) email."""

    tz: str = "UTC"
    name: str = ""
    email: str | None = None


def _someone(i: Interaction, user_id: str, *, fresh: bool) -> Someone:
    """A person from the directory: asked of Slack when ``fresh`` and the cache is a day old,
    else as cached (a submission's ack must not wait on Slack; its modal's opening asked)."""
    person = i.deps.directory.known(
        team_id=i.team_id, user_id=user_id, max_age=CACHE_TTL if fresh else None
    )
    if person is None:
        # The session still changes: the DM uses UTC and says the invite lacks this person.
        return Someone()
    return Someone(tz=person.tz, name=person.real_name, email=usable_email(person.email))


def _people(i: Interaction, pairing: Pairing, *, fresh: bool = False) -> dict[str, Someone]:
    """Both people of the pair, looked up before any unit of work."""
    return {
        user_id: _someone(i, user_id, fresh=fresh)
        for user_id in (pairing.mentee_user_id, pairing.mentor_user_id)
    }


# --- telling both people -------------------------------------------------------------------------


def _organizer(change: SessionChange, people: dict[str, Someone]) -> Invitee | None:
    """Who the invite comes from: the person who first scheduled the session.

    Calendars accept an invitation only from an organizer with an address, and take updates to
    an event only from the organizer it came from: the first scheduler stays the organizer
    through every move and the cancellation, whoever makes them. Without their email, the
    other person of the pair (the session is theirs as much); without either, nobody.
    """
    other = (
        change.mentor_user_id
        if change.organizer_user_id == change.mentee_user_id
        else change.mentee_user_id
    )
    for user_id in (change.organizer_user_id, other):
        someone = people.get(user_id)
        if someone is not None and someone.email:
            return Invitee(someone.name, someone.email)
    return None


def _invite(i: Interaction, change: SessionChange, people: dict[str, Someone]) -> SharedFile:
    """The .ics of the change, named uniquely for its session and SEQUENCE."""
    names = {user_id: someone.name for user_id, someone in people.items() if someone.name}
    summary, description = invite_texts(change, names=names)
    attendees = [
        Invitee(people[user_id].name, email)
        for user_id in (change.mentee_user_id, change.mentor_user_id)
        if (email := people[user_id].email)
    ]
    content = build_invite(
        uid=change.ics_uid,
        start=change.start,
        minutes=change.minutes,
        summary=summary,
        description=description,
        organizer=_organizer(change, people),
        attendees=attendees,
        sequence=change.sequence,
        cancelled=change.kind is ChangeKind.CANCELLED,
        now=i.now(),
    )
    return SharedFile(
        filename=invite_filename(change),
        title=invite_title(change, summary),
        content=content.decode(),
    )


def _tell_both(
    session: Session,
    i: Interaction,
    change: SessionChange,
    *,
    people: dict[str, Someone],
    program_id: int | None,
) -> None:
    """Queue each person's DM (in their timezone) and calendar invite with the change."""
    if change.kind is ChangeKind.UNCHANGED:
        return
    invite = _invite(i, change, people)
    without_email = [user_id for user_id, someone in people.items() if not someone.email]
    planned: list[Planned] = []
    for person in (change.mentee_user_id, change.mentor_user_id):
        planned.append(
            message_to(
                i,
                to=person,
                rule=f"session_{change.kind.value}",
                message=build_session_dm(
                    change,
                    viewer_user_id=person,
                    tz=people[person].tz,
                    without_email=without_email,
                ),
                what=_WHAT[change.kind],
                pairing_id=change.pairing_id,
                program_id=program_id,
            )
        )
        planned.append(
            Planned(
                team_id=i.team_id,
                # Once per person and version of the session: the file's name, the same for
                # both people, must be one share per DM for a retry to recognise its own.
                dedupe_key=f"session_invite:{change.meeting_id}:{change.sequence}:{person}",
                rule="session_invite",
                recipient_id=person,
                payload={},
                due_at=i.now(),
                program_id=program_id,
                pairing_id=change.pairing_id,
                sender_id=i.user_id,
                what="the calendar invite",
                file=invite,
            )
        )
    i.send(session, *planned)


# --- schedule ------------------------------------------------------------------------------------


def _schedule_view(i: Interaction, pairing: Pairing, program: Program) -> Modal:
    """The schedule modal for the pair (prefilled when a session is there to move)."""
    check_open(pairing, program)
    # Opening may ask Slack: both people's emails and zones are then fresh for the submission,
    # which must read them from the cache.
    tz = _people(i, pairing, fresh=True)[i.user_id].tz
    with i.deps.read() as session:
        defaults = schedule_defaults(session, pairing=pairing, program=program, now=i.now())
    return Modal(
        build_schedule_modal(
            pairing_id=pairing.id or 0,
            program_name=program.name,
            partner_user_id=partner_of(pairing, i.user_id),
            tz=tz,
            defaults=defaults,
        )
    )


def show_schedule(i: Interaction) -> Answer:
    """``/mentor schedule [@partner]`` and the "Schedule" / "Reschedule" button (pairing id)."""
    return _schedule_view(i, i.pair.pairing, i.pair.program)


def save_schedule(form: Submission) -> Closing:
    """Schedule or move the session; every problem shows under its field and nothing is stored."""
    state = form.state
    answers = ScheduleForm(
        day=state.date(BlockId.SESSION_DATE),
        at=state.time(BlockId.SESSION_TIME),
        length=state.option(BlockId.SESSION_LENGTH),
    )
    meeting_id = None
    if form.metadata.get("meeting_id") is not None:
        meeting_id = form.meta_id("meeting_id", "That session")
    people = _people(form, form.pair.pairing)
    with form.deps.session() as session:
        pairing, program = _rows(session, form, form.pair.id)
        change = schedule_session(
            session,
            pairing=pairing,
            program=program,
            by_user_id=form.user_id,
            tz=people[form.user_id].tz,
            form=answers,
            meeting_id=meeting_id,
            now=form.now(),
        )
        _tell_both(session, form, change, people=people, program_id=program.id)
    return None


def confirm_cancel(click: Click) -> Answer:
    """The "Cancel this session" button in the schedule modal: the confirmation, pushed."""
    meeting_id = click.id("That session")
    tz = click.tz()
    with click.deps.read() as session:
        meeting = get_meeting(session, pairing=click.pair.pairing, meeting_id=meeting_id)
    if meeting.scheduled_start is None:
        raise NotFound("That session no longer exists.")
    return Modal(
        build_cancel_modal(
            pairing_id=click.pair.id,
            meeting_id=meeting_id,
            when=format_when(meeting.scheduled_start, tz),
        )
    )


def save_cancel(form: Submission) -> Closing:
    """Cancel the session (the row stays, CANCELLED), close the modals and tell both."""
    reason = form.state.text(BlockId.SESSION_CANCEL_REASON)
    meeting_id = form.meta_id("meeting_id", "That session")
    people = _people(form, form.pair.pairing)
    with form.deps.session() as session:
        pairing, program = _rows(session, form, form.pair.id)
        change = cancel_session(
            session,
            pairing=pairing,
            program=program,
            meeting_id=meeting_id,
            by_user_id=form.user_id,
            reason=reason,
            now=form.now(),
        )
        _tell_both(session, form, change, people=people, program_id=program.id)
    return Clear()


# --- log -----------------------------------------------------------------------------------------


def _log_view(i: Interaction, pairing: Pairing, program: Program) -> Modal:
    """The log modal for the pair, with its goals and both names for the action items."""
    check_open(pairing, program)
    partner = partner_of(pairing, i.user_id)
    tz = i.tz()
    names = {u: i.deps.directory.name(team_id=i.team_id, user_id=u) for u in (i.user_id, partner)}
    with i.deps.read() as session:
        goals = [(g.id or 0, g.statement) for g in pair_goals(session, pairing_id=pairing.id or 0)]
    return Modal(
        build_log_modal(
            pairing_id=pairing.id or 0,
            me=i.user_id,
            partner_user_id=partner,
            names=names,
            today=local_day(i.now(), tz),
            default_minutes=program.session_minutes,
            goals=goals,
        )
    )


def show_log(i: Interaction) -> Answer:
    """``/mentor log [@partner]`` and the "Log the session" button (value: the pairing id)."""
    return _log_view(i, i.pair.pairing, i.pair.program)


def _log_form(state: FormState) -> LogForm:
    """The log modal's answers, nothing checked yet."""
    return LogForm(
        day=state.date(BlockId.LOG_DATE),
        minutes=state.text(BlockId.LOG_MINUTES),
        goal_ids=state.options(BlockId.LOG_GOALS),
        notes=state.text(BlockId.LOG_NOTES),
        actions=[
            ActionForm(
                text=state.text(f"{BlockId.LOG_ACTION_TEXT_PREFIX}{n}"),
                owner_user_id=state.option(f"{BlockId.LOG_ACTION_OWNER_PREFIX}{n}"),
                due=state.date(f"{BlockId.LOG_ACTION_DUE_PREFIX}{n}"),
            )
            for n in range(1, ACTION_ITEMS_MAX + 1)
        ],
    )


def save_log(form: Submission) -> Closing:
    """Record the held session, queueing both people's DMs and the mentee's scorecard with it."""
    answers = _log_form(form.state)
    people = _people(form, form.pair.pairing)
    partner = partner_of(form.pair.pairing, form.user_id)
    zones = {form.user_id: people[form.user_id].tz, partner: people[partner].tz}
    mentee_tz = zones[form.pair.pairing.mentee_user_id]
    with form.deps.session() as session:
        pairing, program = _rows(session, form, form.pair.id)
        logged = log_session(
            session,
            pairing=pairing,
            program=program,
            by_user_id=form.user_id,
            tz=zones[form.user_id],
            form=answers,
            now=form.now(),
        )
        form.send(
            session,
            *(
                message_to(
                    form,
                    to=person,
                    rule="session_logged",
                    message=build_logged_message(logged, viewer_user_id=person, tz=zone),
                    what="your session log",
                    pairing_id=logged.pairing_id,
                    program_id=program.id,
                )
                for person, zone in zones.items()
            ),
        )
        prompt = scorecard_prompt_now(
            session,
            team_id=form.team_id,
            meeting_id=logged.meeting_id,
            tz=mentee_tz,
            now=form.now(),
        )
        if prompt is not None:
            form.send(session, prompt)
    return None


# --- "did you meet?" -----------------------------------------------------------------------------


def answer_did_you_meet(click: Click) -> Answer:
    """The scheduler's "Did you meet?" answers (value: the meeting id).

    We met: open the log. It moved: the session is kept as moved; open the schedule for the new
    time. It was cancelled: the session is cancelled (it counts toward the lapse rules).
    """
    answer = ActionId(click.action_id)
    meeting_id = click.id("That session")
    with click.deps.read() as session:
        meeting = meeting_for(
            session, team_id=click.team_id, user_id=click.user_id, meeting_id=meeting_id
        )
        pairing, program = _rows(session, click, meeting.pairing_id)
    if answer is ActionId.MEETING_HELD:
        return _log_view(click, pairing, program)
    if answer is ActionId.MEETING_MOVED:
        check_open(pairing, program)
        with click.deps.session() as session:
            moved = meeting_for(
                session, team_id=click.team_id, user_id=click.user_id, meeting_id=meeting_id
            )
            mark_moved(session, meeting=moved)
        return _schedule_view(click, pairing, program)
    people = _people(click, pairing, fresh=True)
    with click.deps.session() as session:
        pairing, program = _rows(session, click, meeting.pairing_id)
        change = cancel_session(
            session,
            pairing=pairing,
            program=program,
            meeting_id=meeting_id,
            by_user_id=click.user_id,
            reason="did not happen",
            now=click.now(),
        )
        _tell_both(session, click, change, people=people, program_id=program.id)
    partner = partner_of(pairing, click.user_id)
    return Reply(
        build_notice(
            "Noted: that session was cancelled. A note and the calendar update are on their "
            f"way to you and <@{partner}>."
        )
    )


def register(app: App, router: CommandRouter) -> None:
    """Listen for the session commands, buttons and modals."""
    router.add(SCHEDULE, show_schedule, pair=True)
    router.add(LOG, show_log, pair=True)
    on_click(app, ActionId.SCHEDULE_OPEN, show_schedule, pair=PairFrom.VALUE)
    on_click(app, ActionId.LOG_OPEN, show_log, pair=PairFrom.VALUE)
    for answer in (ActionId.MEETING_HELD, ActionId.MEETING_MOVED, ActionId.MEETING_CANCELLED):
        on_click(app, answer, answer_did_you_meet)
    on_click(app, ActionId.SESSION_CANCEL, confirm_cancel, pair=PairFrom.METADATA)
    on_submit(
        app,
        CallbackId.SCHEDULE,
        save_schedule,
        pair=PairFrom.METADATA,
        errors_at=BlockId.SESSION_DATE,
    )
    on_submit(
        app,
        CallbackId.SESSION_CANCEL,
        save_cancel,
        pair=PairFrom.METADATA,
        errors_at=BlockId.SESSION_CANCEL_REASON,
    )
    on_submit(app, CallbackId.LOG, save_log, pair=PairFrom.METADATA, errors_at=BlockId.LOG_DATE)
