"""Matching: ``/mentor match``, the lead's proposal buttons, ``/mentor pair``, ``/mentor board``.

A matching round and every decision on its proposals are a lead's; the proposals reach the lead
by DM and each button redraws that message in place. Introductions go through the outbox in the
unit of work that approved the pairs: they land once, in a group DM, or the lead hears why not.
"""

import logging
import re
from collections.abc import Sequence
from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.commands import Subcommand
from bot.directory import cached_names
from bot.errors import FieldErrors, NotFound, UserError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.enrolment import local_today
from bot.services.pairing import (
    Introduction,
    approve_proposals,
    board_role_clash,
    board_seats,
    explain_proposal,
    leave_for_later,
    mentee_programs,
    pair_by_hand,
    proposal_page,
    run_matching,
    set_board_roles,
    swap_choices,
    swap_mentor,
)
from bot.services.programs import get_program, get_program_by_id, start_if_due
from bot.views.matching import (
    MATCH_WHY,
    approved_text,
    build_board,
    build_board_modal,
    build_introduction,
    build_match_summary,
    build_proposals,
    build_swap_modal,
    build_why_modal,
    introduction_what,
    start_text,
)
from bot.views.text import escape
from handlers.commands import CommandRouter
from handlers.common import check_lead, message_to
from handlers.listeners import (
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
    reply,
)
from scheduler.outbox import Planned
from storage.enums import ProgramStatus
from storage.models import Pairing, Program

log = logging.getLogger(__name__)

MATCH = Subcommand(
    "match", "match PROGRAM", "Propose mentors for a program's unmatched mentees.", lead_only=True
)
PAIR = Subcommand(
    "pair", "pair @mentor @mentee PROGRAM", "Pair two enrolled people by hand.", lead_only=True
)
BOARD = Subcommand("board", "board [PROGRAM]", "See and edit your personal board of mentors.")
MATCHABLE = (ProgramStatus.ENROLLING, ProgramStatus.ACTIVE)
DECIDE = "decide on matches"
GONE_PROPOSAL = "That proposal no longer exists; run `/mentor match` again."
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


# --- a matching round ----------------------------------------------------------------------------


def _require_matchable(program: Program) -> None:
    if program.status not in MATCHABLE:
        name = escape(program.name)
        raise UserError(
            f"*{name}* is {program.status.value}: matching works while a program is "
            f"enrolling or active (`/mentor program open {name}`)."
        )


def match_program(i: Interaction, program: Program) -> Answer:
    """Run a matching round for a lead (``/mentor match``, the Home tab's Match button).

    The round runs here, after the ack (thousands of people take seconds); its proposals go to
    the lead's DM through the outbox, from the unit of work that stored them.
    """
    check_lead(i, program, action="match people")
    _require_matchable(program)
    i.tell(
        f"Matching *{escape(program.name)}*… the proposals will be in your DMs in a moment.",
        problem=False,
    )
    with i.deps.session() as session:
        program = get_program_by_id(session, team_id=i.team_id, program_id=program.id or 0)
        _require_matchable(program)
        round_ = run_matching(session=session, program=program, now=i.now())
        proposals = proposal_page(session, program=program)
        summary = build_match_summary(round_, program_name=program.name)
        i.send(
            session,
            message_to(
                i,
                to=i.user_id,
                rule="match_proposals",
                message=build_proposals(proposals, summary=summary),
                what=f"the match proposals for {escape(program.name)}",
                program_id=program.id,
            ),
        )
    log.info(
        "matching round",
        extra={"team_id": i.team_id, "program_id": program.id, "proposals": round_.proposals},
    )
    return None


def match_command(command: Command) -> Answer:
    """``/mentor match PROGRAM``."""
    if not command.args:
        raise UserError("Which program? Try `/mentor match Spring cohort`.")
    with command.deps.read() as session:
        program = get_program(session, team_id=command.team_id, name=command.words)
    return match_program(command, program)


# --- the lead's decisions ------------------------------------------------------------------------


def _program_of_proposal(i: Interaction, pairing_id: int) -> Program:
    """The program of a proposal, for one of its leads (UserError otherwise)."""
    with i.deps.read() as session:
        pairing = session.get(Pairing, pairing_id)
        if pairing is None or pairing.team_id != i.team_id:
            raise NotFound(GONE_PROPOSAL)
        program = get_program_by_id(session, team_id=i.team_id, program_id=pairing.program_id)
    check_lead(i, program, action=DECIDE)
    return program


def _led_program(i: Interaction, program_id: int) -> Program:
    """A program named by a button, for one of its leads (UserError otherwise)."""
    with i.deps.read() as session:
        program = get_program_by_id(session, team_id=i.team_id, program_id=program_id)
    check_lead(i, program, action=DECIDE)
    return program


def _introductions(
    i: Interaction, program: Program, introductions: Sequence[Introduction]
) -> list[Planned]:
    """Each new pairing's introduction, once per pairing, in a group DM of everyone in it."""
    return [
        message_to(
            i,
            to=intro.user_ids[0],
            rule="introduction",
            message=build_introduction(intro),
            what=introduction_what(intro),
            pairing_id=intro.pairing_ids[0],
            program_id=program.id,
            members=tuple(intro.user_ids),
            conversation_of=tuple(intro.pairing_ids),
            key="introduction:" + "-".join(str(p) for p in sorted(intro.pairing_ids)),
        )
        for intro in introductions
    ]


def _redraw(click: Click, program: Program, offset: int = 0) -> None:
    """Show the proposals as they are now, in the message the lead clicked in."""
    with click.deps.read() as session:
        proposals = proposal_page(session, program=program, offset=offset)
    click.update_message(build_proposals(proposals))


def _start_if_due(i: Interaction, session: Session, program: Program) -> str:
    """Start the program if its start date has come (a matched program is never left unstarted);
    what the lead should hear about its start, in the approval's answer."""
    now = i.now()
    # The start date is a day in the program's calendar: its lead's timezone when it was made.
    today = local_today(program.timezone, now)
    started = start_if_due(session=session, program=program, today=today, now=now)
    if started:
        log.info("program started at approval", extra={"program_id": program.id})
    return start_text(program, started=started, today=today)


def _approve(click: Click, program: Program, pairing_ids: list[int] | None) -> Answer:
    with click.deps.session() as session:
        program = get_program_by_id(session, team_id=click.team_id, program_id=program.id or 0)
        intros = approve_proposals(
            session,
            program=program,
            pairing_ids=pairing_ids,
            lead_user_id=click.user_id,
            now=click.now(),
        )
        click.send(session, *_introductions(click, program, intros))
        start = _start_if_due(click, session, program) if intros else ""
    _redraw(click, program)
    return reply(" ".join(part for part in (approved_text(intros), start) if part))


def approve(click: Click) -> Answer:
    """Approve one proposal: the pair becomes active and its introduction is queued."""
    pairing_id = click.id()
    program = _program_of_proposal(click, pairing_id)
    return _approve(click, program, [pairing_id])


def approve_all(click: Click) -> Answer:
    """Approve every open proposal of the program (value: its id)."""
    program = _led_program(click, click.id("That program"))
    return _approve(click, program, None)


def set_aside(click: Click) -> Answer:
    """Set a proposal aside for a later round."""
    pairing_id = click.id()
    program = _program_of_proposal(click, pairing_id)
    with click.deps.session() as session:
        leave_for_later(session, program=program, pairing_id=pairing_id)
    _redraw(click, program)
    return None


def show_page(click: Click) -> Answer:
    """Show another page of proposals (value: ``program_id:offset``), for a lead only."""
    program_id, _, offset = click.value.partition(":")
    program = _led_program(click, id_from(program_id, "That program"))
    _redraw(click, program, offset=id_from(offset or "0"))
    return None


def show_why(click: Click) -> Answer:
    """ "Why this match?": the parts of a proposal's fit, recomputed now, for a lead only."""
    pairing_id = click.id()
    program = _program_of_proposal(click, pairing_id)
    with click.deps.read() as session:
        whys = explain_proposal(session, program=program, pairing_id=pairing_id, now=click.now())
    return Modal(build_why_modal(whys))


def show_swap(click: Click) -> Answer:
    """The swap modal: the mentors who could take this proposal's mentee instead."""
    pairing_id = click.id()
    program = _program_of_proposal(click, pairing_id)
    with click.deps.read() as session:
        choices = swap_choices(session, program=program, pairing_id=pairing_id, now=click.now())
        pairing = session.get(Pairing, pairing_id)
        if pairing is None:
            raise NotFound(GONE_PROPOSAL)
        names = cached_names(
            session, team_id=click.team_id, user_ids=[p.user_id for p, _ in choices]
        )
    return Modal(
        build_swap_modal(
            pairing_id=pairing_id,
            program_id=program.id or 0,
            mentee_user_id=pairing.mentee_user_id,
            choices=[(p.id or 0, names.get(p.user_id, p.user_id), score) for p, score in choices],
            channel_id=click.channel_id if click.message_ts else None,
            message_ts=click.message_ts,
        )
    )


def save_swap(form: Submission) -> Closing:
    """Give the proposal the chosen mentor, then redraw the lead's proposals message."""
    chosen = form.state.option(BlockId.MATCH_SWAP_MENTOR)
    if chosen is None:
        raise FieldErrors({BlockId.MATCH_SWAP_MENTOR: "Pick a mentor."})
    pairing_id = form.meta_id("pairing_id", "That proposal")
    program = _program_of_proposal(form, pairing_id)
    with form.deps.session() as session:
        swap_mentor(
            session,
            program=program,
            pairing_id=pairing_id,
            mentor_participant_id=id_from(chosen),
            now=form.now(),
        )
    channel, ts = form.metadata.get("channel"), form.metadata.get("ts")
    form.later(lambda: form.replace_message(channel, ts, _proposals_of(form, program)))
    return None


def _proposals_of(i: Interaction, program: Program) -> dict[str, Any]:
    """The proposals message of ``program`` as it stands now (its first page)."""
    with i.deps.read() as session:
        return build_proposals(proposal_page(session, program=program))


# --- /mentor pair --------------------------------------------------------------------------------


def _user_id(word: str) -> str | None:
    found = _MENTION.match(word)
    return found.group(1) if found else None


def pair_command(command: Command) -> Answer:
    """``/mentor pair @mentor @mentee PROGRAM``: pair them and queue their introduction."""
    args = command.args
    mentor_id = _user_id(args[0]) if args else None
    mentee_id = _user_id(args[1]) if len(args) > 1 else None
    if mentor_id is None or mentee_id is None or len(args) < 3:
        raise UserError("Usage: `/mentor pair @mentor @mentee PROGRAM`, mentor first.")
    with command.deps.read() as session:
        program = get_program(session, team_id=command.team_id, name=" ".join(args[2:]))
    check_lead(command, program, action="pair people")
    with command.deps.session() as session:
        program = get_program_by_id(session, team_id=command.team_id, program_id=program.id or 0)
        intro = pair_by_hand(
            session,
            program=program,
            mentor_user_id=mentor_id,
            mentee_user_id=mentee_id,
            lead_user_id=command.user_id,
            now=command.now(),
        )
        command.send(session, *_introductions(command, program, [intro]))
        start = _start_if_due(command, session, program)
    paired = f"Paired <@{mentor_id}> with <@{mentee_id}>. Their introduction is on its way."
    return reply(f"{paired} {start}".strip())


# --- /mentor board -------------------------------------------------------------------------------


def _board_program(i: Interaction, name: str | None) -> Program:
    with i.deps.read() as session:
        if name:
            return get_program(session, team_id=i.team_id, name=name)
        programs = mentee_programs(session, team_id=i.team_id, user_id=i.user_id)
    if len(programs) == 1:
        return programs[0]
    if not programs:
        raise UserError("You're not a mentee in any program, so you have no board yet.")
    names = ", ".join(f"*{escape(p.name)}*" for p in programs)
    raise UserError(f"You're a mentee in several programs ({names}): say which one.")


def board_command(command: Command) -> Answer:
    """``/mentor board [PROGRAM]``: the mentee's board of mentors, privately."""
    program = _board_program(command, command.words or None)
    with command.deps.read() as session:
        seats = board_seats(session, program=program, mentee_user_id=command.user_id)
    return Reply(
        build_board(
            program_name=program.name,
            program_id=program.id or 0,
            mentee_user_id=command.user_id,
            seats=seats,
        )
    )


def show_board_roles(click: Click) -> Answer:
    """The board roles modal (value: the program id)."""
    with click.deps.read() as session:
        program = get_program_by_id(
            session, team_id=click.team_id, program_id=click.id("That program")
        )
        seats = board_seats(session, program=program, mentee_user_id=click.user_id)
        names = cached_names(
            session, team_id=click.team_id, user_ids=[s.mentor_user_id for s in seats]
        )
    if not seats:
        raise UserError("You have no mentors to give roles to yet.")
    return Modal(build_board_modal(program_id=program.id or 0, seats=seats, names=names))


def save_board_roles(form: Submission) -> Closing:
    """Save the board's roles (a role given twice is refused under its second field)."""
    prefix = str(BlockId.BOARD_ROLE_PREFIX)
    block_ids = [
        str(block["block_id"])
        for block in form.view.get("blocks", [])
        if str(block.get("block_id", "")).startswith(prefix)
    ]
    roles = {
        id_from(block_id.removeprefix(prefix)): form.state.text(block_id) or None
        for block_id in block_ids
    }
    clash = board_role_clash(roles)
    if clash is not None:
        pairing_id, problem = clash
        raise FieldErrors({f"{prefix}{pairing_id}": problem})
    with form.deps.session() as session:
        program = get_program_by_id(
            session, team_id=form.team_id, program_id=form.meta_id("program_id", "That program")
        )
        seats = set_board_roles(session, program=program, mentee_user_id=form.user_id, roles=roles)
    board = build_board(
        program_name=program.name,
        program_id=program.id or 0,
        mentee_user_id=form.user_id,
        seats=seats,
    )
    # The modal is gone once answered: the board as it now stands comes back by DM.
    form.later(lambda: form.answer(board))
    return None


def register(app: App, router: CommandRouter) -> None:
    """Listen for matching's commands, buttons and modals."""
    router.add(MATCH, match_command)
    router.add(PAIR, pair_command)
    router.add(BOARD, board_command)
    on_click(app, ActionId.MATCH_APPROVE, approve)
    on_click(app, ActionId.MATCH_APPROVE_ALL, approve_all)
    on_click(app, ActionId.MATCH_LATER, set_aside)
    on_click(app, ActionId.MATCH_PAGE, show_page)
    on_click(app, ActionId.MATCH_SWAP, show_swap)
    on_click(app, MATCH_WHY, show_why)
    on_click(app, ActionId.BOARD_EDIT, show_board_roles)
    on_submit(app, CallbackId.MATCH_SWAP, save_swap, errors_at=BlockId.MATCH_SWAP_MENTOR)
    on_submit(app, CallbackId.BOARD, save_board_roles)
