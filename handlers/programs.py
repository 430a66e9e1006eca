"""``/mentor program …``: design, list, open, start, close and announce programs."""

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_bolt import Ack, App
from sqlmodel import Session

from bot.commands import COMMAND, Subcommand
from bot.deps import Deps
from bot.errors import FieldErrors, UserError
from bot.gateway import SlackCallError
from bot.ids import BlockId, CallbackId
from bot.services.leads import program_lead_ids, require_may_create_program
from bot.services.programs import (
    co_lead_ids,
    get_program,
    get_program_by_id,
    list_programs,
    places_left,
    program_counts,
    require_editable,
    require_enrolling,
    save_program_form,
    set_program_status,
)
from bot.views.notice import build_notice
from bot.views.program import (
    build_invite_me_first,
    build_program_announcement,
    build_program_created,
    build_program_list,
    build_program_modal,
    build_status_changed,
    edited_program_id,
    read_program_form,
)
from handlers.commands import CommandRouter
from handlers.legacy import (
    CommandRequest,
    ack_field_errors,
    ack_form_error,
    ack_problem,
    check_lead,
    legacy,
    open_modal,
    send,
    team_of,
    user_of,
)
from storage.enums import ProgramStatus
from storage.models import Program

log = logging.getLogger(__name__)
T = TypeVar("T")

PROGRAM = Subcommand(
    "program",
    "program new | list | edit NAME | open NAME | start NAME | close NAME | announce NAME",
    "Set up, open, start, close and announce mentorship programs.",
    lead_only=True,
)
USAGE = f"`{COMMAND} {PROGRAM.usage}`"
SLACK_TROUBLE = "I couldn't reach Slack just now. Please try again in a minute."
# Slack's answers to a post in a channel the bot was never invited to (private ones look absent).
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})
STATUS_ACTIONS = {
    "open": (ProgramStatus.ENROLLING, "open its enrolment"),
    "start": (ProgramStatus.ACTIVE, "start it"),
    "close": (ProgramStatus.CLOSED, "close it"),
}


def handle_program_command(request: CommandRequest) -> None:
    """Route ``/mentor program ACTION [NAME]``; names may hold spaces, so the rest is the name."""
    action = request.args[0].lower() if request.args else ""
    name = " ".join(request.args[1:]).strip()
    if not action:
        ack_problem(request.ack, UserError(f"What should I do with programs? {USAGE}"))
    elif action == "new":
        _new(request)
    elif action == "list":
        _list(request)
    elif action not in (*STATUS_ACTIONS, "edit", "announce"):
        ack_problem(request.ack, UserError(f"I don't know `{COMMAND} program {action}`. {USAGE}"))
    elif not name:
        ack_problem(
            request.ack,
            UserError(f"Which program? Add its name: `{COMMAND} program {action} NAME`."),
        )
    elif action == "edit":
        _edit(request, name)
    elif action == "announce":
        _announce(request, name)
    else:
        _change_status(request, name, *STATUS_ACTIONS[action])


def _new(request: CommandRequest) -> None:
    """Open the design modal for admins and existing leads."""
    deps = request.deps

    def check(session: Session) -> dict[str, Any]:
        person = deps.directory.get(session, team_id=request.team_id, user_id=request.user_id)
        require_may_create_program(
            session, team_id=request.team_id, user_id=request.user_id, is_admin=person.is_admin
        )
        today = _local_today(deps.now(), person.tz)
        return build_program_modal(program=None, co_lead_ids=[], today=today)

    view = _in_session(request, check)
    if view is not None:
        request.ack()
        _open_modal(request, view)


def _edit(request: CommandRequest, name: str) -> None:
    """Open the design modal prefilled, for the program's leads."""
    deps = request.deps

    def check(session: Session) -> dict[str, Any]:
        program = get_program(session, team_id=request.team_id, name=name)
        check_lead(deps, session, program=program, user_id=request.user_id, action="edit it")
        require_editable(program)
        leads = co_lead_ids(session, program=program)
        return build_program_modal(program=program, co_lead_ids=leads, today=deps.now().date())

    view = _in_session(request, check)
    if view is not None:
        request.ack()
        _open_modal(request, view)


def _list(request: CommandRequest) -> None:
    """Answer with the workspace's programs and their head counts."""

    def build(session: Session) -> dict[str, Any]:
        programs = list_programs(session, team_id=request.team_id)
        return build_program_list(programs, program_counts(session=session, programs=programs))

    reply = _in_session(request, build)
    if reply is not None:
        request.ack(**reply)


def _change_status(request: CommandRequest, name: str, status: ProgramStatus, action: str) -> None:
    """Open, start or close a program, for its leads."""
    deps = request.deps

    def change(session: Session) -> dict[str, Any]:
        program = get_program(session, team_id=request.team_id, name=name)
        check_lead(deps, session, program=program, user_id=request.user_id, action=action)
        set_program_status(session=session, program=program, status=status, now=deps.now())
        return build_status_changed(program)

    reply = _in_session(request, change)
    if reply is not None:
        request.ack(**reply)


def _announce(request: CommandRequest, name: str) -> None:
    """Post the enrolling program's announcement, with Join buttons, where the command was typed."""
    deps = request.deps

    def build(session: Session) -> tuple[Program, dict[str, Any]]:
        program = get_program(session, team_id=request.team_id, name=name)
        check_lead(deps, session, program=program, user_id=request.user_id, action="announce it")
        require_enrolling(program)
        announcement = build_program_announcement(
            program,
            places_left=places_left(session=session, program=program),
            lead_ids=program_lead_ids(session, program=program),
        )
        return program, announcement

    built = _in_session(request, build)
    if built is None:
        return
    program, announcement = built
    request.ack()
    try:
        deps.gateway.post_message(request.channel_id, announcement)
    except SlackCallError as exc:
        log.warning("announcement not posted", extra={"error": exc.error})
        if exc.error in NOT_A_MEMBER:
            _tell(request, build_invite_me_first(program, channel_id=request.channel_id))
        else:
            _tell(request, build_notice(SLACK_TROUBLE, problem=True))


def handle_program_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Create or update the program; bad answers keep the modal open with inline errors."""
    team_id, user_id = team_of(body), user_of(body)
    form = read_program_form(view)
    program_id = edited_program_id(view)
    now = deps.now()
    try:
        with deps.session() as session:
            person = deps.directory.get(session, team_id=team_id, user_id=user_id)
            program = None
            if program_id is None:
                require_may_create_program(
                    session, team_id=team_id, user_id=user_id, is_admin=person.is_admin
                )
            else:
                # Whoever holds a view can submit it: check the program's team and lead again.
                program = get_program_by_id(session, team_id=team_id, program_id=program_id)
                check_lead(deps, session, program=program, user_id=user_id, action="edit it")
            saved = save_program_form(
                session=session,
                team_id=team_id,
                user_id=user_id,
                form=form,
                today=_local_today(now, person.tz),
                now=now,
                program=program,
                timezone=person.tz,
            )
            confirmation = build_program_created(
                saved, co_lead_ids=co_lead_ids(session, program=saved)
            )
    except UserError as exc:
        ack_form_error(ack, exc, block_id=BlockId.PROGRAM_NAME)
        return
    except SlackCallError as exc:
        log.warning("program not saved", extra={"error": exc.error})
        ack_field_errors(ack, FieldErrors({BlockId.PROGRAM_NAME: SLACK_TROUBLE}))
        return
    ack()
    if program_id is not None:
        return
    send(deps, user_id, confirmation, what="program confirmation")


def _local_today(now: datetime, tz: str) -> date:
    """Today's date where the person is: a start date is "in the past" by their calendar."""
    try:
        return now.astimezone(ZoneInfo(tz)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.date()


def _in_session(request: CommandRequest, work: Callable[[Session], T]) -> T | None:
    """Run ``work`` in one unit of work; a refusal or Slack trouble is acked, and None returned."""
    try:
        with request.deps.session() as session:
            return work(session)
    except UserError as exc:
        ack_problem(request.ack, exc)
    except SlackCallError as exc:
        log.warning("program command failed", extra={"error": exc.error})
        ack_problem(request.ack, UserError(SLACK_TROUBLE))
    return None


def _open_modal(request: CommandRequest, view: dict[str, Any]) -> None:
    """Open ``view`` on the command's trigger (valid for 3 s, once); say so if Slack refuses."""
    if not open_modal(request.deps, request.trigger_id, view):
        _tell(
            request,
            build_notice(
                "I couldn't open the form in time. Please run the command again.",
                problem=True,
            ),
        )


def _tell(request: CommandRequest, reply: dict[str, Any]) -> None:
    """Answer after the ack through the command's response_url; failing that, log it."""
    try:
        request.respond(**reply)
    except Exception:  # the response_url can expire or be used up; nothing else to tell
        log.warning("response_url answer failed", exc_info=True)


def register(app: App, router: CommandRouter) -> None:
    """Add ``/mentor program`` and listen for the program modal."""
    router.add(PROGRAM, legacy(handle_program_command))
    app.view(CallbackId.PROGRAM.value)(handle_program_submission)
