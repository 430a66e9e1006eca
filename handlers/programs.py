"""``/mentor program …``: design, list, open, start, close, announce programs and invite people.

Inviting asks Slack who is in a user group or a channel before anything is stored (never inside
a unit of work), then stores the invitations and queues one DM each in one unit of work.
"""

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from slack_bolt import App

from bot.commands import COMMAND, Subcommand
from bot.errors import UserError
from bot.gateway import SlackCallError
from bot.ids import BlockId, CallbackId
from bot.services.enrolment import local_today
from bot.services.invitations import (
    INVITE_MAX,
    InvitationCounts,
    invitation_counts,
    invite_people,
    parse_invite_words,
    programs_visible_to,
    require_invitable,
)
from bot.services.leads import led_program_ids, program_lead_ids
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
    build_invitation,
    build_invite_result,
    build_program_announcement,
    build_program_created,
    build_program_list,
    build_program_modal,
    build_status_changed,
    edited_program_id,
    read_program_form,
)
from bot.views.text import escape
from handlers.commands import CommandRouter
from handlers.common import check_lead, check_may_create_program, message_to, today
from handlers.listeners import (
    Answer,
    Closing,
    Command,
    Interaction,
    Modal,
    Reply,
    Submission,
    on_submit,
)
from storage.enums import ProgramStatus
from storage.models import Program

PROGRAM = Subcommand(
    "program",
    "program new | list | edit NAME | open NAME | start NAME | close NAME | announce NAME"
    " | invite NAME @people @group #channel",
    "Set up, open, start, close and announce mentorship programs, and invite people.",
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
        "invite": _invite,
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
    return Modal(
        build_program_modal(
            program=None,
            co_lead_ids=[],
            today=today(command),
            retention_default=command.deps.settings.retention_days,
        )
    )


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
    return Modal(
        build_program_modal(
            program=program,
            co_lead_ids=leads,
            today=today(command),
            retention_default=command.deps.settings.retention_days,
        )
    )


def _list(command: Command) -> Answer:
    """The programs the person may see, with head counts; leads also see their invitations.

    Admins see every program of the workspace; everyone else sees the programs they lead, took
    part in or may join (never a draft, nor an invitation-only program they weren't invited to).
    Admin rights are asked of Slack before the read.
    """
    is_admin = command.deps.directory.is_admin(
        team_id=command.team_id, user_id=command.user_id, max_age=timedelta(0)
    )
    with command.deps.read() as session:
        led = led_program_ids(session, team_id=command.team_id, user_id=command.user_id)
        if is_admin:
            programs = list_programs(session, team_id=command.team_id)
        else:
            programs = programs_visible_to(
                session, team_id=command.team_id, user_id=command.user_id, led_ids=led
            )
        counts = program_counts(session=session, programs=programs)
        mine = [p for p in programs if is_admin or p.id in led]
        invited = invitation_counts(session, programs=mine)
    return Reply(
        build_program_list(
            programs,
            counts,
            invitations={p.id or 0: invited.get(p.id or 0, InvitationCounts()) for p in mine}
            if mine
            else None,
            everything=is_admin,
        )
    )


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
                what=f"the announcement of {escape(program.name)}",
            ),
        )
    return Reply(build_announcement_queued(program, channel_id=channel_id))


def _invite(command: Command, _name: str) -> Answer:
    """``/mentor program invite PROGRAM @a @b @group #channel``, for the program's leads."""
    words = parse_invite_words(command.args[1:])
    program = _led_program(command, words.program_name, action="invite people to it")
    require_invitable(program)
    return Reply(
        invite(
            command,
            program_id=program.id or 0,
            user_ids=words.user_ids,
            usergroup_ids=words.usergroup_ids,
            channel_ids=words.channel_ids,
        )
    )


def invite(
    i: Interaction,
    *,
    program_id: int,
    user_ids: Sequence[str] = (),
    usergroup_ids: Sequence[str] = (),
    channel_ids: Sequence[str] = (),
) -> dict[str, Any]:
    """Invite people, user groups' and channels' members to the program (its lead checked by
    the caller); the answer for the lead: who was invited, who was left out and why.

    Groups and channels are asked of Slack first, outside any unit of work; the bot itself and
    people Slack says are bots or deactivated are left out. Then one unit of work stores the
    invitations and queues one DM each, keyed by the invitation: it lands once.
    """
    people = list(user_ids)
    problems: list[str] = []
    gateway = i.gateway
    for group in usergroup_ids:
        try:
            people += gateway.usergroup_members(group)
        except SlackCallError as error:
            problems.append(_group_problem(group, error))
    for channel in channel_ids:
        try:
            members = gateway.channel_members(channel, most=INVITE_MAX)
        except SlackCallError as error:
            problems.append(_channel_problem(channel, error))
            continue
        if len(members) > INVITE_MAX:
            raise UserError(
                f"<#{channel}> has more than {INVITE_MAX:,} members: an invitation that wide is "
                "an announcement. Announce the program there instead "
                f"(`{COMMAND} program announce NAME`), or invite a smaller channel or a user group."
            )
        people += members
    bot_user_id = gateway.bot_user_id()
    with i.deps.session() as session:
        program = get_program_by_id(session, team_id=i.team_id, program_id=program_id)
        require_invitable(program)
        outcome = invite_people(
            session,
            program=program,
            user_ids=[u for u in people if u != bot_user_id],
            invited_by=i.user_id,
            now=i.now(),
        )
        if outcome.new:
            invitation = build_invitation(
                program,
                inviter_id=i.user_id,
                lead_ids=program_lead_ids(session, program=program),
                places_left=places_left(session=session, program=program),
            )
            # No program_id: someone the DM can't reach is the inviter's to hear about, not a
            # participant's lost message to flag on the program.
            i.send(
                session,
                *(
                    message_to(
                        i,
                        to=row.user_id,
                        rule="invitation",
                        message=invitation,
                        what=f"the invitation to {escape(program.name)}",
                        key=f"invitation:{row.id}",
                    )
                    for row in outcome.new
                ),
            )
        return build_invite_result(program, outcome, problems=problems)


def _group_problem(group: str, error: SlackCallError) -> str:
    if error.error == "no_such_subteam":
        return f"I couldn't find the user group `{group}`: it may have been deleted."
    return f"I couldn't read who is in the user group `{group}` (Slack said `{error.error}`)."


def _channel_problem(channel: str, error: SlackCallError) -> str:
    if error.error in ("channel_not_found", "not_in_channel"):
        return (
            f"I can't see who is in <#{channel}>: for a private channel, invite me there first "
            "(`/invite @mentorbot`), then try again."
        )
    return f"I couldn't read who is in <#{channel}> (Slack said `{error.error}`)."


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
