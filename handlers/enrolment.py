"""Enrolment: ``/mentor join|profile|pause|resume|leave``, the Join and re-match buttons, and the
join, pause and leave modals."""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.commands import COMMAND, Subcommand
from bot.errors import UserError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.enrolment import (
    ENROLLED_STATUSES,
    Notification,
    NotificationKind,
    check_can_join,
    enrol,
    enrolments_in,
    find_participant,
    joinable_programs,
    leave_program,
    local_date,
    local_today,
    mentee_places_taken,
    participations_in_program,
    partner_ids,
    pause_participation,
    request_rematch,
    require_joinable,
    resume_participation,
    validate_profile,
)
from bot.services.invitations import decline_invitation, require_invited
from bot.services.privacy import erase_words_in_program
from bot.services.programs import get_program, get_program_by_id
from bot.views.enrolment import (
    ERASE_VALUE,
    build_join_confirmation,
    build_join_modal,
    build_join_picker,
    build_leave_modal,
    build_notification,
    build_pause_modal,
    notification_subject,
    read_join_target,
    read_profile_form,
)
from bot.views.program import build_invitation_declined
from bot.views.text import escape
from handlers.commands import CommandRouter
from handlers.common import message_to
from handlers.listeners import (
    STALE_BUTTON,
    Answer,
    Click,
    Closing,
    Command,
    Interaction,
    Modal,
    Reply,
    Submission,
    id_from,
    on_click,
    on_submit,
)
from handlers.stages import pause_one_pairing, resume_one_pairing, targets_pairing
from storage.enums import ParticipantStatus, Role
from storage.models import Participant, Program

JOIN = Subcommand(
    "join", "join [PROGRAM] [as mentor|mentee]", "Join a program as a mentor or a mentee."
)
PROFILE = Subcommand("profile", "profile [PROGRAM]", "Edit your mentoring profile.")
PAUSE = Subcommand(
    "pause",
    "pause [PROGRAM | @partner [until YYYY-MM-DD]]",
    "Take a break until a day you pick (or pause one pairing); you're back by yourself.",
)
RESUME = Subcommand("resume", "resume [PROGRAM | @partner]", "End your break (or a pairing's) now.")
LEAVE = Subcommand("leave", "leave PROGRAM", "Leave a program; your partners get a note.")

# "join" from anyone's single button, "join:<role>" from join_buttons().
JOIN_ACTION = re.compile(rf"^{ActionId.JOIN.value}(:[a-z]+)?$")
STALE_FORM = f"This form is out of date. Close it and start again with `{COMMAND} join`."


# --- commands -----------------------------------------------------------------------------------


def parse_program_and_role(args: Sequence[str]) -> tuple[str | None, Role | None]:
    """Split ``Spring cohort as mentee`` into the program name and the role (either optional)."""
    words = list(args)
    role: Role | None = None
    if len(words) >= 2 and words[-2].lower() == "as":
        try:
            role = Role(words[-1].lower())
        except ValueError:
            raise UserError(
                f"Join as a *mentor* or a *mentee*, e.g. `{COMMAND} join Spring cohort as mentee`."
            ) from None
        words = words[:-2]
    return " ".join(words).strip() or None, role


def show_join(command: Command) -> Answer:
    """Open the join modal for one program and role, or list the programs open to join."""
    name, role = parse_program_and_role(command.args)
    with command.deps.read() as session:
        if name:
            programs = [get_program(session, team_id=command.team_id, name=name)]
            require_joinable(programs[0])
            require_invited(session, program=programs[0], user_id=command.user_id)
        else:
            programs = joinable_programs(
                session=session, team_id=command.team_id, user_id=command.user_id
            )
        if role is not None and len(programs) == 1:
            return Modal(_join_modal(session, programs[0], command.user_id, role))
        taken = mentee_places_taken(session=session, program_ids=[p.id or 0 for p in programs])
    return Reply(build_join_picker(programs, taken))


def show_profile(command: Command) -> Answer:
    """Open the person's profile, prefilled, in the same modal they joined with."""
    name, role = parse_program_and_role(command.args)
    with command.deps.read() as session:
        program, rows = participations_in_program(
            session=session,
            team_id=command.team_id,
            user_id=command.user_id,
            program_name=name,
            subcommand=PROFILE.name,
        )
    require_joinable(program)
    mine = [p for p in rows if role is None or p.role == role]
    name = escape(program.name)
    if not mine:
        raise UserError(f"You're not a {role} in *{name}*.")
    if len(mine) > 1:
        raise UserError(
            f"You're both a mentor and a mentee in *{name}*: "
            f"`{COMMAND} profile {name} as mentee` or `… as mentor`."
        )
    return Modal(build_join_modal(program=program, role=mine[0].role, participant=mine[0]))


def show_pause(command: Command) -> Answer:
    """Open the pause modal (pick the day you'll be back), or pause the pairing named."""
    if targets_pairing(command.args):  # `/mentor pause @partner`: only that pairing
        return pause_one_pairing(command)
    with command.deps.read() as session:
        program, rows = _named_participations(session, command, PAUSE)
    timezone = rows[0].timezone
    ends = [p.paused_until for p in rows if p.paused_until]
    return Modal(
        build_pause_modal(
            program=program,
            today=local_today(timezone, command.now()),
            paused_until=local_date(timezone, max(ends)) if ends else None,
        )
    )


def resume(command: Command) -> Answer:
    """End the person's pause now (or the named pairing's); their partners hear it."""
    if targets_pairing(command.args):  # `/mentor resume @partner`: only that pairing
        return resume_one_pairing(command)
    with command.deps.session() as session:
        _, rows = _named_participations(
            session, command, RESUME, statuses=(ParticipantStatus.PAUSED,)
        )
        notifications = [
            n
            for participant in rows
            for n in resume_participation(
                session=session, participant=participant, now=command.now()
            )
        ]
        own = _queue_news(command, session, notifications)
    return _answer_with(own)


def show_leave(command: Command) -> Answer:
    """Open the leave modal, with a note for the people whose pairing ends."""
    with command.deps.read() as session:
        program, rows = _named_participations(session, command, LEAVE)
        if not command.args:
            # Leaving is not undone by a click: make people name the program.
            name = escape(program.name)
            raise UserError(f"Say which program to leave, e.g. `{COMMAND} leave {name}`.")
        partners = partner_ids(session=session, participants=rows)
    return Modal(
        build_leave_modal(program=program, roles=[p.role for p in rows], partner_ids=partners)
    )


# --- buttons ------------------------------------------------------------------------------------


def open_join(click: Click) -> Answer:
    """Open the join modal from a Join button (picker, Home tab or a lead's announcement)."""
    program_id, role = _join_value(click.value)
    with click.deps.read() as session:
        program = get_program_by_id(session, team_id=click.team_id, program_id=program_id)
        return Modal(_join_modal(session, program, click.user_id, role))


def decline(click: Click) -> Answer:
    """ "Not this time" on an invitation: recorded for the leads' counts (no DM to them), and
    the invitation's buttons are replaced by the way back."""
    program_id = click.id("That program")
    with click.deps.session() as session:
        program = get_program_by_id(session, team_id=click.team_id, program_id=program_id)
        decline_invitation(session, program=program, user_id=click.user_id, now=click.now())
    answered = build_invitation_declined(program)
    return None if click.update_message(answered) else Reply(answered)


def ask_for_rematch(click: Click) -> Answer:
    """A mentee whose mentor left asks the leads for a new match; the leads hear it by DM."""
    program_id = click.id()
    with click.deps.session() as session:
        program = get_program_by_id(session, team_id=click.team_id, program_id=program_id)
        notifications = request_rematch(
            session=session, program=program, user_id=click.user_id, now=click.now()
        )
        own = _queue_news(click, session, notifications)
    return _answer_with(own)


# --- modals -------------------------------------------------------------------------------------


def save_join(form: Submission) -> Closing:
    """Validate the profile and store it; the confirmation (what happens next) comes by DM."""
    try:
        program_id, role = read_join_target(form.view)
    except ValueError:
        raise UserError(STALE_FORM) from None
    answers = read_profile_form(form.state)
    with form.deps.read() as session:
        program = get_program_by_id(session, team_id=form.team_id, program_id=program_id)
        # A submission forged for a program that admits only the invited: refused before its
        # answers are even looked at (and again as it is stored).
        require_invited(session, program=program, user_id=form.user_id)
    profile = validate_profile(answers, program=program, role=role)
    # Asked before the sign-up's unit of work: the lookup may ask Slack. Better a joined person
    # on UTC than a lost sign-up; the next profile save corrects it.
    timezone = form.tz()
    with form.deps.session() as session:
        program = get_program_by_id(session, team_id=form.team_id, program_id=program_id)
        enrolment = enrol(
            session=session,
            program=program,
            user_id=form.user_id,
            role=role,
            profile=profile,
            timezone=timezone,
            now=form.now(),
        )
        confirmation = build_join_confirmation(
            program=program, participant=enrolment.participant, is_new=enrolment.is_new
        )
        form.send(
            session,
            message_to(
                form,
                to=form.user_id,
                rule="join_confirmation",
                message=confirmation,
                what="your join confirmation",
                program_id=program_id,
            ),
        )
    return None


def save_pause(form: Submission) -> Closing:
    """Pause the person (and their pairings) until the day they picked; partners hear it."""
    until = form.state.date(BlockId.PAUSE_UNTIL)
    return _change_enrolments(
        form,
        lambda session, participant: pause_participation(
            session=session, participant=participant, until=until, now=form.now()
        ),
    )


def save_leave(form: Submission) -> Closing:
    """Leave the program: pairings end, partners get the note (mentees an offer to re-match);
    with the box ticked, everything the person wrote in the program is erased as well."""
    note = form.state.text(BlockId.LEAVE_NOTE)
    erase = ERASE_VALUE in form.state.options(BlockId.LEAVE_ERASE)
    program_id = form.meta_id("program_id", "That program")
    with form.deps.session() as session:
        program = get_program_by_id(session, team_id=form.team_id, program_id=program_id)
        notifications = [
            n
            for participant in _enrolments(session, program, form.user_id)
            for n in leave_program(
                session=session, participant=participant, note=note, now=form.now()
            )
        ]
        if erase:
            erased = sum(
                erase_words_in_program(
                    session, team_id=form.team_id, program_id=program_id, user_id=form.user_id
                ).values()
            )
            notifications = [
                replace(n, erased=erased) if n.kind is NotificationKind.LEFT else n
                for n in notifications
            ]
        _queue_news(form, session, notifications, own_too=True)
    return None


def _change_enrolments(
    form: Submission, change: Callable[[Session, Participant], list[Notification]]
) -> Closing:
    """Apply ``change`` to each of the person's enrolments in the modal's program; everyone
    it concerns hears of it through the outbox, the person too (the modal is closing)."""
    program_id = form.meta_id("program_id", "That program")
    with form.deps.session() as session:
        program = get_program_by_id(session, team_id=form.team_id, program_id=program_id)
        notifications = [
            n
            for participant in _enrolments(session, program, form.user_id)
            for n in change(session, participant)
        ]
        _queue_news(form, session, notifications, own_too=True)
    return None


# --- telling people -----------------------------------------------------------------------------


def _queue_news(
    i: Interaction,
    session: Session,
    notifications: Iterable[Notification],
    *,
    own_too: bool = False,
) -> list[Notification]:
    """Queue the news for partners and leads in this unit of work; returns the actor's own.

    ``own_too``: the actor's confirmations are queued as well (a submitted modal has closed, so
    there is nothing left to answer in). The same person enrolled in two roles would otherwise
    hear the same news twice, so each notification goes once.
    """
    unique = list(dict.fromkeys(notifications))
    own = [n for n in unique if n.kind.is_confirmation and n.recipient_id == i.user_id]
    queued = unique if own_too else [n for n in unique if n not in own]
    i.send(
        session,
        *(
            message_to(
                i,
                to=n.recipient_id,
                rule=f"enrolment_{n.kind.value}",
                message=build_notification(n),
                what=notification_subject(n),
                program_id=n.program_id,
            )
            for n in queued
        ),
    )
    return own


def _answer_with(own: Sequence[Notification]) -> Answer:
    """The actor's own confirmation as the private answer (the first, if several)."""
    return Reply(build_notification(own[0])) if own else None


# --- helpers ------------------------------------------------------------------------------------


def _join_modal(session: Session, program: Program, user_id: str, role: Role) -> dict[str, Any]:
    check_can_join(session=session, program=program, user_id=user_id, role=role)
    existing = find_participant(session=session, program=program, user_id=user_id, role=role)
    enrolled = existing if existing and existing.status != ParticipantStatus.LEFT else None
    return build_join_modal(program=program, role=role, participant=enrolled)


def _join_value(value: str) -> tuple[int, Role]:
    program_id, _, role = value.partition(":")
    try:
        return id_from(program_id), Role(role)
    except ValueError:
        raise UserError(STALE_BUTTON) from None


def _named_participations(
    session: Session,
    command: Command,
    subcommand: Subcommand,
    statuses: Sequence[ParticipantStatus] = ENROLLED_STATUSES,
) -> tuple[Program, list[Participant]]:
    """The person's enrolments in the program the command's words name (or their only one)."""
    return participations_in_program(
        session=session,
        team_id=command.team_id,
        user_id=command.user_id,
        program_name=command.words or None,
        subcommand=subcommand.name,
        statuses=statuses,
    )


def _enrolments(session: Session, program: Program, user_id: str) -> list[Participant]:
    rows = enrolments_in(session=session, program=program, user_id=user_id)
    if not rows:
        raise UserError(f"You're not in {program.name} any more.")
    return rows


def register(app: App, router: CommandRouter) -> None:
    """Register the enrolment subcommands, buttons and modals."""
    router.add(JOIN, show_join)
    router.add(PROFILE, show_profile)
    router.add(PAUSE, show_pause)
    router.add(RESUME, resume)
    router.add(LEAVE, show_leave)
    on_click(app, JOIN_ACTION, open_join)
    on_click(app, ActionId.REMATCH, ask_for_rematch)
    on_click(app, ActionId.INVITATION_DECLINE, decline)
    on_submit(app, CallbackId.JOIN, save_join, errors_at=BlockId.JOIN_SITUATION)
    on_submit(app, CallbackId.PAUSE, save_pause, errors_at=BlockId.PAUSE_UNTIL)
    on_submit(app, CallbackId.LEAVE, save_leave, errors_at=BlockId.LEAVE_NOTE)
