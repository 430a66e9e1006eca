"""Enrolment: ``/mentor join|profile|pause|resume|leave``, the Join and re-match buttons, and the
join, pause and leave modals."""

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from slack_bolt import Ack, App
from sqlmodel import Session

from bot.commands import COMMAND, Subcommand
from bot.deps import Deps
from bot.errors import UserError
from bot.gateway import SlackCallError, SlackGateway
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.enrolment import (
    ENROLLED_STATUSES,
    Notification,
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
from bot.services.programs import get_program, get_program_by_id
from bot.views.enrolment import (
    build_join_confirmation,
    build_join_modal,
    build_join_picker,
    build_leave_modal,
    build_notification,
    build_pause_modal,
    read_join_target,
    read_profile_form,
    read_program_id,
)
from bot.views.forms import FormState
from handlers.commands import CommandRouter
from handlers.legacy import (
    OUT_OF_DATE,
    SLOW_SLACK,
    STALE_BUTTON,
    CommandRequest,
    ack_form_error,
    ack_problem,
    id_from,
    legacy,
    open_modal,
    open_modal_then_ack,
    person_tz,
    send,
    team_of,
    tell,
    user_of,
)
from handlers.stages import handle_pairing_pause, handle_pairing_resume, targets_pairing
from storage.enums import ParticipantStatus, Role
from storage.models import Participant, Program

log = logging.getLogger(__name__)

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


def handle_join_command(request: CommandRequest) -> None:
    """Open the join modal for one program and role, or list the programs open to join."""
    deps = request.deps
    modal: dict[str, Any] | None = None
    try:
        name, role = parse_program_and_role(request.args)
        with deps.session() as session:
            if name:
                programs = [get_program(session, team_id=request.team_id, name=name)]
                require_joinable(programs[0])
            else:
                programs = joinable_programs(session=session, team_id=request.team_id)
            if role is not None and len(programs) == 1:
                modal = _join_modal(session, programs[0], request.user_id, role)
            else:
                ids = [int(p.id or 0) for p in programs]
                picker = build_join_picker(
                    programs, mentee_places_taken(session=session, program_ids=ids)
                )
    except UserError as exc:
        ack_problem(request.ack, exc)
        return
    if modal is None:
        request.ack(**picker)
    else:
        open_modal_then_ack(request, modal)


def handle_profile_command(request: CommandRequest) -> None:
    """Open the person's profile, prefilled, in the same modal they joined with."""
    try:
        name, role = parse_program_and_role(request.args)
        with request.deps.session() as session:
            program, rows = participations_in_program(
                session=session,
                team_id=request.team_id,
                user_id=request.user_id,
                program_name=name,
                subcommand=PROFILE.name,
            )
            require_joinable(program)
            mine = [p for p in rows if role is None or p.role == role]
            if not mine:
                raise UserError(f"You're not a {role} in *{program.name}*.")
            if len(mine) > 1:
                raise UserError(
                    f"You're both a mentor and a mentee in *{program.name}*: "
                    f"`{COMMAND} profile {program.name} as mentee` or `… as mentor`."
                )
            modal = build_join_modal(program=program, role=mine[0].role, participant=mine[0])
    except UserError as exc:
        ack_problem(request.ack, exc)
        return
    open_modal_then_ack(request, modal)


def handle_pause_command(request: CommandRequest) -> None:
    """Open the pause modal: pick the day you'll be back."""
    if targets_pairing(request.args):  # `/mentor pause @partner`: only that pairing
        handle_pairing_pause(request)
        return
    deps = request.deps
    try:
        with deps.session() as session:
            program, rows = _named_participations(session, request, PAUSE)
            timezone = rows[0].timezone
            ends = [p.paused_until for p in rows if p.paused_until]
            modal = build_pause_modal(
                program=program,
                today=local_today(timezone, deps.now()),
                paused_until=local_date(timezone, max(ends)) if ends else None,
            )
    except UserError as exc:
        ack_problem(request.ack, exc)
        return
    open_modal_then_ack(request, modal)


def handle_resume_command(request: CommandRequest) -> None:
    """End the person's pause now and tell their partners."""
    if targets_pairing(request.args):  # `/mentor resume @partner`: only that pairing
        handle_pairing_resume(request)
        return
    deps = request.deps
    try:
        with deps.session() as session:
            _, rows = _named_participations(
                session, request, RESUME, statuses=(ParticipantStatus.PAUSED,)
            )
            notifications = [
                n
                for participant in rows
                for n in resume_participation(
                    session=session, participant=participant, now=deps.now()
                )
            ]
    except UserError as exc:
        ack_problem(request.ack, exc)
        return
    mine = [n for n in notifications if n.recipient_id == request.user_id]
    if mine:
        request.ack(**build_notification(mine[0]))
    else:  # pragma: no cover - resuming always tells the person
        request.ack()
    deliver_notifications(deps.gateway, [n for n in notifications if n not in mine])


def handle_leave_command(request: CommandRequest) -> None:
    """Open the leave modal, with a note for the people whose pairing ends."""
    try:
        with request.deps.session() as session:
            program, rows = _named_participations(session, request, LEAVE)
            if not request.args:
                # Leaving is not undone by a click: make people name the program.
                raise UserError(
                    f"Say which program to leave, e.g. `{COMMAND} leave {program.name}`."
                )
            modal = build_leave_modal(
                program=program,
                roles=[p.role for p in rows],
                partner_ids=partner_ids(session=session, participants=rows),
            )
    except UserError as exc:
        ack_problem(request.ack, exc)
        return
    open_modal_then_ack(request, modal)


# --- buttons ------------------------------------------------------------------------------------


def handle_join_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], deps: Deps) -> None:
    """Open the join modal from a Join button (picker, Home tab or a lead's announcement)."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        program_id, role = _join_value(str(action.get("value") or ""))
        with deps.session() as session:
            program = get_program_by_id(session, team_id=team_id, program_id=program_id)
            modal = _join_modal(session, program, user_id, role)
    except UserError as exc:
        tell(deps, body, None, exc)
        return
    # Right here, not in background work: the trigger id expires 3 seconds after the click.
    if not open_modal(deps, body["trigger_id"], modal):
        tell(deps, body, None, SLOW_SLACK)


def handle_rematch_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], deps: Deps
) -> None:
    """A mentee whose mentor left asks the leads for a new match."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        program_id = id_from(action.get("value") or "")
        with deps.session() as session:
            program = get_program_by_id(session, team_id=team_id, program_id=program_id)
            notifications = request_rematch(
                session=session, program=program, user_id=user_id, now=deps.now()
            )
    except UserError as exc:
        tell(deps, body, None, exc)
        return
    deliver_notifications(deps.gateway, notifications)


# --- modals -------------------------------------------------------------------------------------


def handle_join_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Validate the profile, store it, close the modal, then DM what happens next."""
    team_id, user_id = team_of(body), user_of(body)
    try:
        program_id, role = read_join_target(view)
    except ValueError:
        ack(response_action="errors", errors={BlockId.JOIN_SITUATION: STALE_FORM})
        return
    form = read_profile_form(FormState(view))
    try:
        with deps.session() as session:
            program = get_program_by_id(session, team_id=team_id, program_id=program_id)
            profile = validate_profile(form, program=program, role=role)
        # Apart from the sign-up's unit of work: the lookup may ask Slack, and SQLite's write
        # lock should not wait on Slack.
        timezone = _timezone(deps, team_id=team_id, user_id=user_id)
        with deps.session() as session:
            program = get_program_by_id(session, team_id=team_id, program_id=program_id)
            enrolment = enrol(
                session=session,
                program=program,
                user_id=user_id,
                role=role,
                profile=profile,
                timezone=timezone,
                now=deps.now(),
            )
    except UserError as exc:
        # A refusal that is not a field's fault (the program closed or filled up) shows on the
        # first field.
        ack_form_error(ack, exc, block_id=BlockId.JOIN_SITUATION)
        return
    ack()
    confirmation = build_join_confirmation(
        program=program, participant=enrolment.participant, is_new=enrolment.is_new
    )
    send(deps, user_id, confirmation, what="join confirmation")


def handle_pause_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Pause the person (and their pairings) until the day they picked; tell their partners."""
    team_id, user_id = team_of(body), user_of(body)
    until = FormState(view).date(BlockId.PAUSE_UNTIL)
    try:
        program = _modal_program(deps, view, team_id)
        with deps.session() as session:
            rows = _enrolments(session, program, user_id)
            notifications = [
                n
                for participant in rows
                for n in pause_participation(
                    session=session, participant=participant, until=until, now=deps.now()
                )
            ]
    except UserError as exc:
        ack_form_error(ack, exc, block_id=BlockId.PAUSE_UNTIL)
        return
    ack()
    deliver_notifications(deps.gateway, notifications)


def handle_leave_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Leave the program: pairings end, partners get the note (mentees an offer to re-match)."""
    team_id, user_id = team_of(body), user_of(body)
    note = FormState(view).text(BlockId.LEAVE_NOTE)
    try:
        program = _modal_program(deps, view, team_id)
        with deps.session() as session:
            rows = _enrolments(session, program, user_id)
            notifications = [
                n
                for participant in rows
                for n in leave_program(
                    session=session, participant=participant, note=note, now=deps.now()
                )
            ]
    except UserError as exc:
        has_note = any(b.get("block_id") == BlockId.LEAVE_NOTE for b in view.get("blocks", []))
        if has_note:
            ack(response_action="errors", errors={BlockId.LEAVE_NOTE: str(exc)})
        else:
            # Errors need an input block to sit under; without one, close and say it by DM.
            ack()
            tell(deps, body, None, exc)
        return
    ack()
    deliver_notifications(deps.gateway, notifications)


# --- delivery -----------------------------------------------------------------------------------


def deliver_notifications(gateway: SlackGateway, notifications: Iterable[Notification]) -> int:
    """DM each notification once; a Slack failure is logged and the rest still go out."""
    sent = 0
    # The same person enrolled in two roles would otherwise hear the same news twice.
    for notification in dict.fromkeys(notifications):
        try:
            gateway.post_message(notification.recipient_id, build_notification(notification))
        except SlackCallError as exc:
            log.warning(
                "notification not delivered",
                extra={
                    "recipient": notification.recipient_id,
                    "kind": notification.kind.value,
                    "error": exc.error,
                },
            )
        else:
            sent += 1
    return sent


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


def _modal_program(deps: Deps, view: dict[str, Any], team_id: str) -> Program:
    try:
        program_id = read_program_id(view)
    except ValueError:
        raise UserError(OUT_OF_DATE) from None
    with deps.session() as session:
        return get_program_by_id(session, team_id=team_id, program_id=program_id)


def _named_participations(
    session: Session,
    request: CommandRequest,
    subcommand: Subcommand,
    statuses: Sequence[ParticipantStatus] = ENROLLED_STATUSES,
) -> tuple[Program, list[Participant]]:
    """The person's enrolments in the program the command's words name (or their only one)."""
    return participations_in_program(
        session=session,
        team_id=request.team_id,
        user_id=request.user_id,
        program_name=" ".join(request.args) or None,
        subcommand=subcommand.name,
        statuses=statuses,
    )


def _enrolments(session: Session, program: Program, user_id: str) -> list[Participant]:
    rows = enrolments_in(session=session, program=program, user_id=user_id)
    if not rows:
        raise UserError(f"You're not in {program.name} any more.")
    return rows


def _timezone(deps: Deps, *, team_id: str, user_id: str) -> str:
    # Better a joined person on UTC than a lost sign-up; the next profile save fixes it.
    with deps.session() as session:
        return person_tz(deps, session, team_id=team_id, user_id=user_id)


def register(app: App, router: CommandRouter) -> None:
    """Register the enrolment subcommands, buttons and modals."""
    router.add(JOIN, legacy(handle_join_command))
    router.add(PROFILE, legacy(handle_profile_command))
    router.add(PAUSE, legacy(handle_pause_command))
    router.add(RESUME, legacy(handle_resume_command))
    router.add(LEAVE, legacy(handle_leave_command))
    app.action(JOIN_ACTION)(handle_join_button)
    app.action(ActionId.REMATCH.value)(handle_rematch_button)
    app.view(CallbackId.JOIN.value)(handle_join_submission)
    app.view(CallbackId.PAUSE.value)(handle_pause_submission)
    app.view(CallbackId.LEAVE.value)(handle_leave_submission)
