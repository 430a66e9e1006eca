"""Sessions: `/mentor schedule` (schedule, move, cancel) and `/mentor log`, with their modals."""

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlmodel import Session

from bot.calendar import build_invite
from bot.commands import Subcommand
from bot.deps import Deps
from bot.errors import NotFound, UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.access import partner_of
from bot.services.sessions import (
    ACTION_ITEMS_MAX,
    ActionForm,
    ChangeKind,
    LogForm,
    LoggedSession,
    ScheduleForm,
    SessionChange,
    cancel_session,
    check_open,
    get_meeting,
    local_day,
    log_session,
    mark_moved,
    meeting_for,
    pair_goals,
    schedule_defaults,
    schedule_session,
)
from bot.views.forms import FormState
from bot.views.notice import build_notice
from bot.views.sessions import (
    INVITE_FILENAME,
    build_cancel_modal,
    build_log_modal,
    build_logged_message,
    build_schedule_modal,
    build_session_dm,
    format_when,
    invite_texts,
)
from handlers.commands import CommandRouter
from handlers.legacy import (
    CommandRequest,
    ack_form_error,
    first_input,
    id_from,
    legacy,
    open_modal,
    open_pair_modal_from_button,
    open_pair_modal_from_command,
    pairing_and_program,
    person_name,
    person_tz,
    team_of,
    tell,
    user_of,
    view_metadata,
)
from handlers.scorecards import send_scorecard_prompt
from storage.models import Pairing, Program

log = logging.getLogger(__name__)

SCHEDULE = Subcommand(
    "schedule", "schedule [@partner]", "Schedule, move or cancel your next mentoring session."
)
LOG = Subcommand(
    "log", "log [@partner]", "Log a session you held: minutes, goals, notes and action items."
)


# --- schedule ------------------------------------------------------------------------------------


def _schedule_modal(
    deps: Deps, session: Session, *, team_id: str, user_id: str, pairing: Pairing, program: Program
) -> dict[str, Any]:
    assert pairing.id is not None
    check_open(pairing, program)
    return build_schedule_modal(
        pairing_id=pairing.id,
        program_name=program.name,
        partner_user_id=partner_of(pairing, user_id),
        tz=person_tz(deps, session, team_id=team_id, user_id=user_id),
        defaults=schedule_defaults(session, pairing=pairing, program=program, now=deps.now()),
    )


def handle_schedule_command(request: CommandRequest) -> None:
    """``/mentor schedule [@partner]``: open the schedule modal (prefilled when moving)."""
    open_pair_modal_from_command(request, _schedule_modal)


def handle_schedule_open(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The "Schedule" / "Reschedule" button (value: pairing id)."""
    open_pair_modal_from_button(ack, body, respond, deps, _schedule_modal)


def handle_schedule_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Schedule or move the session; every problem shows under its field and nothing is stored."""
    team_id, user_id, meta = team_of(body), user_of(body), view_metadata(view)
    state = FormState(view)
    form = ScheduleForm(
        day=state.date(BlockId.SESSION_DATE),
        at=state.time(BlockId.SESSION_TIME),
        length=state.option(BlockId.SESSION_LENGTH),
    )
    try:
        with deps.session() as session:
            pairing, program = pairing_and_program(
                session, team_id=team_id, user_id=user_id, pairing_id=meta.get("pairing_id")
            )
            meeting_id = meta.get("meeting_id")
            change = schedule_session(
                session,
                pairing=pairing,
                program=program,
                by_user_id=user_id,
                tz=person_tz(deps, session, team_id=team_id, user_id=user_id),
                form=form,
                meeting_id=None if meeting_id is None else id_from(meeting_id, "That session"),
                now=deps.now(),
            )
    except UserError as error:
        ack_form_error(ack, error, block_id=first_input(view, BlockId.SESSION_DATE))
        return
    ack()
    if change.kind is not ChangeKind.UNCHANGED:
        deps.after_ack(lambda: notify_session_change(deps, team_id=team_id, change=change))


def handle_session_cancel(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The "Cancel this session" button in the schedule modal: push the confirmation."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    meta = view_metadata(body.get("view") or {})
    try:
        with deps.session() as session:
            pairing, _ = pairing_and_program(
                session, team_id=team_id, user_id=user_id, pairing_id=meta.get("pairing_id")
            )
            meeting = get_meeting(
                session,
                pairing=pairing,
                meeting_id=id_from(body["actions"][0].get("value"), "That session"),
            )
            if meeting.scheduled_start is None or meeting.id is None or pairing.id is None:
                raise NotFound("That session no longer exists.")
            when = format_when(
                meeting.scheduled_start, person_tz(deps, session, team_id=team_id, user_id=user_id)
            )
            view = build_cancel_modal(pairing_id=pairing.id, meeting_id=meeting.id, when=when)
    except UserError as error:
        tell(deps, body, respond, error)
        return
    open_modal(deps, body["trigger_id"], view, push=True)


def handle_cancel_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Cancel the session (the row stays, CANCELLED), close the modals and tell both."""
    team_id, user_id, meta = team_of(body), user_of(body), view_metadata(view)
    reason = FormState(view).text(BlockId.SESSION_CANCEL_REASON)
    try:
        with deps.session() as session:
            pairing, program = pairing_and_program(
                session, team_id=team_id, user_id=user_id, pairing_id=meta.get("pairing_id")
            )
            change = cancel_session(
                session,
                pairing=pairing,
                program=program,
                meeting_id=id_from(meta.get("meeting_id"), "That session"),
                by_user_id=user_id,
                reason=reason,
                now=deps.now(),
            )
    except UserError as error:
        ack_form_error(ack, error, block_id=BlockId.SESSION_CANCEL_REASON)
        return
    ack(response_action="clear")
    deps.after_ack(lambda: notify_session_change(deps, team_id=team_id, change=change))


def notify_session_change(deps: Deps, *, team_id: str, change: SessionChange) -> None:
    """DM both people the session in their own timezone, each with the calendar invite."""
    people = [change.mentee_user_id, change.mentor_user_id]
    with deps.session() as session:
        zones = {u: person_tz(deps, session, team_id=team_id, user_id=u) for u in people}
        names = {u: person_name(deps, session, team_id=team_id, user_id=u) for u in people}
    summary, description, attendees = invite_texts(change, names=names)
    invite = build_invite(
        uid=change.ics_uid,
        start=change.start,
        minutes=change.minutes,
        summary=summary,
        description=description,
        organizer_name="mentorbot",
        attendees=attendees,
        sequence=change.sequence,
        cancelled=change.kind is ChangeKind.CANCELLED,
        now=deps.now(),
    )
    for user_id in people:
        try:
            deps.gateway.post_message(
                user_id, build_session_dm(change, viewer_user_id=user_id, tz=zones[user_id])
            )
            channel = deps.gateway.open_conversation([user_id])
            deps.gateway.upload_file(
                channel,
                filename=INVITE_FILENAME,
                content=invite,
                title=f"Cancelled: {summary}" if change.kind is ChangeKind.CANCELLED else summary,
            )
        except SlackCallError as error:
            log.warning(
                "session DM not sent",
                extra={"team_id": team_id, "meeting_id": change.meeting_id, "error": error.error},
            )


# --- log -----------------------------------------------------------------------------------------


def _log_modal(
    deps: Deps, session: Session, *, team_id: str, user_id: str, pairing: Pairing, program: Program
) -> dict[str, Any]:
    assert pairing.id is not None
    check_open(pairing, program)
    partner = partner_of(pairing, user_id)
    tz = person_tz(deps, session, team_id=team_id, user_id=user_id)
    return build_log_modal(
        pairing_id=pairing.id,
        me=user_id,
        partner_user_id=partner,
        names={
            u: person_name(deps, session, team_id=team_id, user_id=u) for u in (user_id, partner)
        },
        today=local_day(deps.now(), tz),
        default_minutes=program.session_minutes,
        goals=[(g.id or 0, g.statement) for g in pair_goals(session, pairing=pairing)],
    )


def handle_log_command(request: CommandRequest) -> None:
    """``/mentor log [@partner]``: open the log modal."""
    open_pair_modal_from_command(request, _log_modal)


def handle_log_open(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The "Log the session" button (value: pairing id)."""
    open_pair_modal_from_button(ack, body, respond, deps, _log_modal)


def _log_form(view: dict[str, Any]) -> LogForm:
    state = FormState(view)
    return LogForm(
        day=state.date(BlockId.LOG_DATE),
        minutes=state.text(BlockId.LOG_MINUTES),
        goal_ids=state.options(BlockId.LOG_GOALS),
        notes=state.text(BlockId.LOG_NOTES),
        actions=[
            ActionForm(
                text=state.text(f"{BlockId.LOG_ACTION_TEXT_PREFIX}{i}"),
                owner_user_id=state.option(f"{BlockId.LOG_ACTION_OWNER_PREFIX}{i}"),
                due=state.date(f"{BlockId.LOG_ACTION_DUE_PREFIX}{i}"),
            )
            for i in range(1, ACTION_ITEMS_MAX + 1)
        ],
    )


def handle_log_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    """Record the held session; problems show under their fields and nothing is stored."""
    team_id, user_id, meta = team_of(body), user_of(body), view_metadata(view)
    form = _log_form(view)
    try:
        with deps.session() as session:
            pairing, program = pairing_and_program(
                session, team_id=team_id, user_id=user_id, pairing_id=meta.get("pairing_id")
            )
            logged = log_session(
                session,
                pairing=pairing,
                program=program,
                by_user_id=user_id,
                tz=person_tz(deps, session, team_id=team_id, user_id=user_id),
                form=form,
                now=deps.now(),
            )
    except UserError as error:
        ack_form_error(ack, error, block_id=first_input(view, BlockId.LOG_DATE))
        return
    ack()
    deps.after_ack(lambda: notify_logged(deps, team_id=team_id, logged=logged))
    deps.after_ack(lambda: _ask_for_scorecard(deps, team_id=team_id, meeting_id=logged.meeting_id))


def _ask_for_scorecard(deps: Deps, *, team_id: str, meeting_id: int) -> None:
    """The mentee rates a session once it is logged (once: the scheduler may have asked already)."""
    send_scorecard_prompt(deps, team_id=team_id, meeting_id=meeting_id)


def notify_logged(deps: Deps, *, team_id: str, logged: LoggedSession) -> None:
    """Confirm the log to its author (hours against plan) and tell the partner."""
    partner = (
        logged.mentee_user_id
        if logged.logged_by == logged.mentor_user_id
        else logged.mentor_user_id
    )
    for user_id in (logged.logged_by, partner):
        try:
            with deps.session() as session:
                tz = person_tz(deps, session, team_id=team_id, user_id=user_id)
            deps.gateway.post_message(
                user_id, build_logged_message(logged, viewer_user_id=user_id, tz=tz)
            )
        except SlackCallError as error:
            log.warning(
                "session log DM not sent",
                extra={"team_id": team_id, "meeting_id": logged.meeting_id, "error": error.error},
            )


# --- "did you meet?" -------------------------------------------------------------------------


def handle_did_you_meet(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The scheduler's "Did you meet?" answers (value: meeting id).

    We met: open the log. It moved: the session is kept as moved; open the schedule for the new
    time. It was cancelled: the session is cancelled (it counts toward the lapse rules).
    """
    ack()
    team_id, user_id = team_of(body), user_of(body)
    action = body["actions"][0]
    answer = ActionId(action["action_id"])
    try:
        with deps.session() as session:
            meeting = meeting_for(
                session,
                team_id=team_id,
                user_id=user_id,
                meeting_id=id_from(action.get("value"), "That session"),
            )
            pairing, program = pairing_and_program(
                session, team_id=team_id, user_id=user_id, pairing_id=meeting.pairing_id
            )
            if answer is ActionId.MEETING_CANCELLED:
                change = cancel_session(
                    session,
                    pairing=pairing,
                    program=program,
                    meeting_id=meeting.id or 0,
                    by_user_id=user_id,
                    reason="did not happen",
                    now=deps.now(),
                )
                view = None
            else:
                if answer is ActionId.MEETING_MOVED:
                    mark_moved(session, meeting=meeting)
                build = _log_modal if answer is ActionId.MEETING_HELD else _schedule_modal
                view = build(
                    deps,
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    pairing=pairing,
                    program=program,
                )
    except UserError as error:
        tell(deps, body, respond, error)
        return
    if view is not None:
        open_modal(deps, body["trigger_id"], view)
        return
    respond(**build_notice("Noted: that session was cancelled."), replace_original=False)
    deps.after_ack(lambda: notify_session_change(deps, team_id=team_id, change=change))


def register(app: App, router: CommandRouter) -> None:
    """Listen for the session commands, buttons and modals."""
    router.add(SCHEDULE, legacy(handle_schedule_command))
    router.add(LOG, legacy(handle_log_command))
    app.action(ActionId.SCHEDULE_OPEN.value)(handle_schedule_open)
    for answer in (ActionId.MEETING_HELD, ActionId.MEETING_MOVED, ActionId.MEETING_CANCELLED):
        app.action(answer.value)(handle_did_you_meet)
    app.action(ActionId.SESSION_CANCEL.value)(handle_session_cancel)
    app.action(ActionId.LOG_OPEN.value)(handle_log_open)
    app.view(CallbackId.SCHEDULE.value)(handle_schedule_submission)
    app.view(CallbackId.SESSION_CANCEL.value)(handle_cancel_submission)
    app.view(CallbackId.LOG.value)(handle_log_submission)
