"""``/mentor program …``: design, list, open, start, close and announce programs."""

from collections.abc import Callable

from slack_bolt import App

from bot.commands import COMMAND, Subcommand
from bot.errors import UserError
from bot.ids import BlockId, CallbackId
from bot.services.enrolment import local_today
from bot.services.leads import program_lead_ids
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
from bot.views.program import (
    build_announcement_queued,
    build_program_announcement,
    build_program_created,
    build_program_list,
    build_program_modal,
    build_status_changed,
    edited_program_id,
    read_program_form,
)
from handlers.commands import CommandRouter
from handlers.common import check_lead, check_may_create_program, message_to, today
from handlers.listeners import Answer, Closing, Command, Modal, Reply, Submission, on_submit
from storage.enums import ProgramStatus
from storage.models import Program

PROGRAM = Subcommand(
    "program",
    "program new | list | edit NAME | open NAME | start NAME | close NAME | announce NAME",
    "Set up, open, start, close and announce mentorship programs.",
    lead_only=True,
)
USAGE = f"`{COMMAND} {PROGRAM.usage}`"
STATUS_ACTIONS = {
    "open": (ProgramStatus.ENROLLING, "open its enrolment"),
    "start": (ProgramStatus.ACTIVE, "start it"),
    "close": (ProgramStatus.CLOSED, "close it"),
}


def run_program_command(command: Command) -> Answer:
    """Route ``/mentor program ACTION [NAME]``; names may hold spaces, so the rest is the name."""
    action = command.args[0].lower() if command.args else ""
    name = " ".join(command.args[1:]).strip()
    if not action:
        raise UserError(f"What should I do with programs? {USAGE}")
    if action == "new":
        return _new(command)
    if action == "list":
        return _list(command)
    named: dict[str, Callable[[Command, str], Answer]] = {
        "edit": _edit,
        "announce": _announce,
        **{status: _status_changer(status) for status in STATUS_ACTIONS},
    }
    run = named.get(action)
    if run is None:
        raise UserError(f"I don't know `{COMMAND} program {action}`. {USAGE}")
    if not name:
        raise UserError(f"Which program? Add its name: `{COMMAND} program {action} NAME`.")
    return run(command, name)


def _new(command: Command) -> Answer:
    """Open the design modal for admins and existing leads."""
    check_may_create_program(command)
    # The start date defaults to today in the lead's own calendar.
    return Modal(build_program_modal(program=None, co_lead_ids=[], today=today(command)))


def _led_program(command: Command, name: str, *, action: str) -> Program:
    """The program called ``name``, if the person leads it (or is an admin)."""
    with command.deps.read() as session:
        program = get_program(session, team_id=command.team_id, name=name)
    check_lead(command, program, action=action)
    return program


def _edit(command: Command, name: str) -> Answer:
    """Open the design modal prefilled, for the program's leads."""
    program = _led_program(command, name, action="edit it")
    require_editable(program)
    with command.deps.read() as session:
        leads = co_lead_ids(session, program=program)
    return Modal(build_program_modal(program=program, co_lead_ids=leads, today=today(command)))


def _list(command: Command) -> Answer:
    """Answer with the workspace's programs and their head counts."""
    with command.deps.read() as session:
        programs = list_programs(session, team_id=command.team_id)
        counts = program_counts(session=session, programs=programs)
    return Reply(build_program_list(programs, counts))


def _status_changer(action_word: str) -> Callable[[Command, str], Answer]:
    status, action = STATUS_ACTIONS[action_word]

    def change(command: Command, name: str) -> Answer:
        """Open, start or close a program, for its leads."""
        program_id = _led_program(command, name, action=action).id or 0
        with command.deps.session() as session:
            program = get_program_by_id(session, team_id=command.team_id, program_id=program_id)
            set_program_status(session=session, program=program, status=status, now=command.now())
            return Reply(build_status_changed(program))

    return change


def _announce(command: Command, name: str) -> Answer:
    """Post the enrolling program's announcement, with Join buttons, where the command was typed.

    It goes through the outbox like any message to others: if the bot is not in that channel,
    the lead is told so (and how to invite it) once Slack refuses the post.
    """
    program_id = _led_program(command, name, action="announce it").id or 0
    channel_id = command.channel_id
    if not channel_id:
        raise UserError("Run this in the channel where people should sign up.")
    with command.deps.session() as session:
        program = get_program_by_id(session, team_id=command.team_id, program_id=program_id)
        require_enrolling(program)
        announcement = build_program_announcement(
            program,
            places_left=places_left(session=session, program=program),
            lead_ids=program_lead_ids(session, program=program),
        )
        # No program_id: a channel that refuses the post is the lead's to fix, told to them
        # directly, not a participant's lost message to flag on the program.
        command.send(
            session,
            message_to(
                command,
                to=channel_id,
                rule="program_announcement",
                message=announcement,
                what=f"the announcement of {program.name}",
            ),
        )
    return Reply(build_announcement_queued(program, channel_id=channel_id))


def save_program(form: Submission) -> Closing:
    """Create or update the program; bad answers keep the modal open with inline errors."""
    answers = read_program_form(form.view)
    program_id = edited_program_id(form.view)
    if program_id is None:
        check_may_create_program(form)
    else:
        # Whoever holds a view can submit it: check the program's team and lead again.
        with form.deps.read() as session:
            edited = get_program_by_id(session, team_id=form.team_id, program_id=program_id)
        check_lead(form, edited, action="edit it")
    timezone = form.tz()
    now = form.now()
    with form.deps.session() as session:
        program = (
            None
            if program_id is None
            else get_program_by_id(session, team_id=form.team_id, program_id=program_id)
        )
        saved = save_program_form(
            session=session,
            team_id=form.team_id,
            user_id=form.user_id,
            form=answers,
            # "In the past" by the lead's own calendar.
            today=local_today(timezone, now),
            now=now,
            program=program,
            timezone=timezone,
        )
        if program is None:
            form.send(
                session,
                message_to(
                    form,
                    to=form.user_id,
                    rule="program_created",
                    message=build_program_created(
                        saved, co_lead_ids=co_lead_ids(session, program=saved)
                    ),
                    what="your new program's summary",
                    program_id=saved.id,
                ),
            )
    return None


def register(app: App, router: CommandRouter) -> None:
    """Add ``/mentor program`` and listen for the program modal."""
    router.add(PROGRAM, run_program_command)
    on_submit(app, CallbackId.PROGRAM, save_program, errors_at=BlockId.PROGRAM_NAME)
