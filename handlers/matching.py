"""Matching: ``/mentor match``, the lead's proposal buttons, ``/mentor pair``, ``/mentor board``."""

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.commands import Subcommand
from bot.deps import Deps
from bot.directory import cached_names
from bot.errors import FieldErrors, UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.pairing import (
    Introduction,
    approve_proposals,
    board_seats,
    leave_for_later,
    mentee_programs,
    pair_by_hand,
    proposal_page,
    record_conversation,
    run_matching,
    set_board_roles,
    swap_choices,
    swap_mentor,
)
from bot.services.programs import get_program, get_program_by_id
from bot.views.forms import FormState
from bot.views.matching import (
    build_board,
    build_board_modal,
    build_introduction,
    build_match_summary,
    build_proposals,
    build_swap_modal,
)
from bot.views.notice import build_notice
from handlers.commands import CommandRouter
from handlers.legacy import (
    CommandRequest,
    ack_field_errors,
    ack_problem,
    check_lead,
    legacy,
    open_modal,
    send,
    team_of,
    tell,
    user_of,
    view_metadata,
)
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
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


# --- /mentor match ---------------------------------------------------------------------------


def matchable_program(deps: Deps, *, team_id: str, user_id: str, name: str) -> Program:
    """The named program, if ``user_id`` may match it and it takes matching now."""
    with deps.session() as session:
        program = get_program(session, team_id=team_id, name=name)
        check_lead(deps, session, program=program, user_id=user_id, action="match people")
    if program.status not in MATCHABLE:
        raise UserError(
            f"*{program.name}* is {program.status.value}: matching works while a program is "
            f"enrolling or active (`/mentor program open {program.name}`)."
        )
    return program


def handle_match_command(request: CommandRequest) -> None:
    """Run a matching round after the ack and DM the lead the proposals."""
    if not request.args:
        ack_problem(request.ack, UserError("Which program? Try `/mentor match Spring cohort`."))
        return
    deps, name = request.deps, " ".join(request.args)
    try:
        program = matchable_program(
            deps, team_id=request.team_id, user_id=request.user_id, name=name
        )
    except UserError as error:
        ack_problem(request.ack, error)
        return
    request.ack(**build_notice(f"Matching *{program.name}*… I'll DM you the proposals."))
    match_after_ack(deps, team_id=request.team_id, program=program, lead_id=request.user_id)


def match_after_ack(deps: Deps, *, team_id: str, program: Program, lead_id: str) -> None:
    """Run the round in the background (5,000 people take seconds) and DM the lead."""
    program_id = program.id
    if program_id is None:
        raise ValueError("the program has not been saved")
    deps.after_ack(lambda: _match_and_report(deps, team_id, program_id, lead_id))


def _match_and_report(deps: Deps, team_id: str, program_id: int, lead_id: str) -> None:
    with deps.session() as session:
        program = get_program_by_id(session, team_id=team_id, program_id=program_id)
        round_ = run_matching(session=session, program=program, now=deps.now())
        page = proposal_page(session, program=program)
        summary = build_match_summary(round_, program_name=program.name)
    log.info(
        "matching round",
        extra={"team_id": team_id, "program_id": program_id, "proposals": round_.proposals},
    )
    deps.gateway.post_message(lead_id, build_proposals(page, summary=summary))


# --- the lead's decisions --------------------------------------------------------------------


def _decision_context(body: dict[str, Any]) -> tuple[str, str, str, str | None, str | None]:
    action = body["actions"][0]
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return (
        team_of(body),
        user_of(body),
        action.get("value", ""),
        channel,
        container.get("message_ts"),
    )


def _proposal_program(deps: Deps, *, team_id: str, user_id: str, pairing_id: int) -> Program:
    with deps.session() as session:
        pairing = session.get(Pairing, pairing_id)
        if pairing is None or pairing.team_id != team_id:
            raise UserError("That proposal no longer exists; run `/mentor match` again.")
        program = get_program_by_id(session, team_id=team_id, program_id=pairing.program_id)
        check_lead(deps, session, program=program, user_id=user_id, action="decide on matches")
    return program


def _refresh_proposals(
    deps: Deps, program: Program, channel: str | None, ts: str | None, offset: int = 0
) -> None:
    if not channel or not ts:
        return
    with deps.session() as session:
        page = proposal_page(session, program=program, offset=offset)
    try:
        deps.gateway.update_message(channel, ts, build_proposals(page))
    except SlackCallError as error:
        log.warning("proposals not refreshed", extra={"error": error.error})


def introduce(deps: Deps, *, team_id: str, introductions: Sequence[Introduction]) -> int:
    """Open a group DM for each new pairing and post its introduction; returns how many went out."""
    sent = 0
    for intro in introductions:
        try:
            channel = deps.gateway.open_conversation(intro.user_ids)
            deps.gateway.post_message(channel, build_introduction(intro))
        except SlackCallError as error:
            log.warning(
                "introduction not sent",
                extra={"team_id": team_id, "pairing_ids": intro.pairing_ids, "error": error.error},
            )
            continue
        with deps.session() as session:
            record_conversation(session, pairing_ids=intro.pairing_ids, channel_id=channel)
        sent += 1
    return sent


def handle_approve(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Approve one proposal: the pair becomes active and is introduced."""
    ack()
    team_id, user_id, value, channel, ts = _decision_context(body)
    try:
        program = _proposal_program(deps, team_id=team_id, user_id=user_id, pairing_id=int(value))
        with deps.session() as session:
            intros = approve_proposals(
                session,
                program=program,
                pairing_ids=[int(value)],
                lead_user_id=user_id,
                now=deps.now(),
            )
    except UserError as error:
        tell(deps, body, respond, error)
        return
    introduce(deps, team_id=team_id, introductions=intros)
    _refresh_proposals(deps, program, channel, ts)


def handle_approve_all(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Approve every open proposal; the introductions go out after the ack."""
    ack()
    team_id, user_id, value, channel, ts = _decision_context(body)
    try:
        with deps.session() as session:
            program = get_program_by_id(session, team_id=team_id, program_id=int(value))
            check_lead(deps, session, program=program, user_id=user_id, action="decide on matches")
            intros = approve_proposals(
                session, program=program, pairing_ids=None, lead_user_id=user_id, now=deps.now()
            )
    except UserError as error:
        tell(deps, body, respond, error)
        return

    def send() -> None:
        sent = introduce(deps, team_id=team_id, introductions=intros)
        _refresh_proposals(deps, program, channel, ts)
        respond(
            **build_notice(f"Approved {len(intros)}; {sent} introductions sent."),
            replace_original=False,
        )

    deps.after_ack(send)


def handle_later(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Set a proposal aside for a later round."""
    ack()
    team_id, user_id, value, channel, ts = _decision_context(body)
    try:
        program = _proposal_program(deps, team_id=team_id, user_id=user_id, pairing_id=int(value))
        with deps.session() as session:
            leave_for_later(session, program=program, pairing_id=int(value))
    except UserError as error:
        tell(deps, body, respond, error)
        return
    _refresh_proposals(deps, program, channel, ts)


def handle_page(ack: Ack, body: dict[str, Any], deps: Deps) -> None:
    """Show another page of proposals."""
    ack()
    team_id, _, value, channel, ts = _decision_context(body)
    program_id, _, offset = value.partition(":")
    with deps.session() as session:
        program = get_program_by_id(session, team_id=team_id, program_id=int(program_id))
    _refresh_proposals(deps, program, channel, ts, offset=int(offset or 0))


def handle_swap(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Open the swap modal with the mentors who could take this mentee."""
    ack()
    team_id, user_id, value, channel, ts = _decision_context(body)
    try:
        program = _proposal_program(deps, team_id=team_id, user_id=user_id, pairing_id=int(value))
        with deps.session() as session:
            choices = swap_choices(session, program=program, pairing_id=int(value), now=deps.now())
            pairing = session.get(Pairing, int(value))
            assert pairing is not None
            names = cached_names(session, team_id=team_id, user_ids=[p.user_id for p, _ in choices])
    except UserError as error:
        tell(deps, body, respond, error)
        return
    assert program.id is not None
    view = build_swap_modal(
        pairing_id=int(value),
        program_id=program.id,
        mentee_user_id=pairing.mentee_user_id,
        choices=[(p.id or 0, names.get(p.user_id, p.user_id), score) for p, score in choices],
    )
    meta = json.loads(view["private_metadata"])
    view["private_metadata"] = json.dumps({**meta, "channel": channel, "ts": ts})
    open_modal(deps, body["trigger_id"], view)


def handle_swap_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Swap the proposal's mentor, then refresh the lead's proposals message."""
    meta = view_metadata(view)
    team_id, user_id = team_of(body), user_of(body)
    chosen = FormState(view).option(BlockId.MATCH_SWAP_MENTOR)
    if chosen is None:
        ack_field_errors(ack, FieldErrors({BlockId.MATCH_SWAP_MENTOR: "Pick a mentor."}))
        return
    try:
        program = _proposal_program(
            deps, team_id=team_id, user_id=user_id, pairing_id=int(meta["pairing_id"])
        )
        with deps.session() as session:
            swap_mentor(
                session,
                program=program,
                pairing_id=int(meta["pairing_id"]),
                mentor_participant_id=int(chosen),
                now=deps.now(),
            )
    except UserError as error:
        ack_field_errors(ack, FieldErrors({BlockId.MATCH_SWAP_MENTOR: str(error)}))
        return
    ack()
    _refresh_proposals(deps, program, meta.get("channel"), meta.get("ts"))


# --- /mentor pair ----------------------------------------------------------------------------


def _user_id(word: str) -> str | None:
    found = _MENTION.match(word)
    return found.group(1) if found else None


def handle_pair_command(request: CommandRequest) -> None:
    """``/mentor pair @mentor @mentee PROGRAM``: pair and introduce them right away."""
    args = request.args
    mentor_id = _user_id(args[0]) if args else None
    mentee_id = _user_id(args[1]) if len(args) > 1 else None
    if mentor_id is None or mentee_id is None or len(args) < 3:
        ack_problem(
            request.ack,
            UserError("Usage: `/mentor pair @mentor @mentee PROGRAM`, mentor first."),
        )
        return
    deps = request.deps
    try:
        with deps.session() as session:
            program = get_program(session, team_id=request.team_id, name=" ".join(args[2:]))
            check_lead(
                deps, session, program=program, user_id=request.user_id, action="pair people"
            )
            intro = pair_by_hand(
                session,
                program=program,
                mentor_user_id=mentor_id,
                mentee_user_id=mentee_id,
                lead_user_id=request.user_id,
                now=deps.now(),
            )
    except UserError as error:
        ack_problem(request.ack, error)
        return
    request.ack(
        **build_notice(f"Paired <@{mentor_id}> with <@{mentee_id}>. Sending their introduction…")
    )
    deps.after_ack(lambda: _introduce_one(deps, request.team_id, intro))


def _introduce_one(deps: Deps, team_id: str, intro: Introduction) -> None:
    introduce(deps, team_id=team_id, introductions=[intro])


# --- /mentor board ---------------------------------------------------------------------------


def _board_program(deps: Deps, *, team_id: str, user_id: str, name: str | None) -> Program:
    with deps.session() as session:
        if name:
            return get_program(session, team_id=team_id, name=name)
        programs = mentee_programs(session, team_id=team_id, user_id=user_id)
    if len(programs) == 1:
        return programs[0]
    if not programs:
        raise UserError("You're not a mentee in any program, so you have no board yet.")
    names = ", ".join(f"*{p.name}*" for p in programs)
    raise UserError(f"You're a mentee in several programs ({names}): say which one.")


def handle_board_command(request: CommandRequest) -> None:
    """Show the mentee's board of mentors."""
    deps = request.deps
    try:
        program = _board_program(
            deps,
            team_id=request.team_id,
            user_id=request.user_id,
            name=" ".join(request.args) or None,
        )
        with deps.session() as session:
            seats = board_seats(session, program=program, mentee_user_id=request.user_id)
    except UserError as error:
        ack_problem(request.ack, error)
        return
    assert program.id is not None
    request.ack(
        **build_board(
            program_name=program.name,
            program_id=program.id,
            mentee_user_id=request.user_id,
            seats=seats,
        )
    )


def handle_board_edit(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Open the board roles modal."""
    ack()
    team_id, user_id, value, _, _ = _decision_context(body)
    with deps.session() as session:
        try:
            program = get_program_by_id(session, team_id=team_id, program_id=int(value))
        except UserError as error:
            tell(deps, body, respond, error)
            return
        seats = board_seats(session, program=program, mentee_user_id=user_id)
        names = cached_names(session, team_id=team_id, user_ids=[s.mentor_user_id for s in seats])
    if not seats:
        respond(**build_notice("You have no mentors to give roles to yet.", problem=True))
        return
    view = build_board_modal(program_id=int(value), seats=seats, names=names)
    open_modal(deps, body["trigger_id"], view)


def handle_board_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Save the board's roles; a role given twice is an inline error."""
    team_id, user_id = team_of(body), user_of(body)
    meta = view_metadata(view)
    form = FormState(view)
    block_ids = [
        block["block_id"]
        for block in view.get("blocks", [])
        if str(block.get("block_id", "")).startswith(BlockId.BOARD_ROLE_PREFIX)
    ]
    roles = {
        int(block_id.removeprefix(BlockId.BOARD_ROLE_PREFIX)): form.text(block_id) or None
        for block_id in block_ids
    }
    try:
        with deps.session() as session:
            program = get_program_by_id(
                session, team_id=team_id, program_id=int(meta["program_id"])
            )
            seats = set_board_roles(session, program=program, mentee_user_id=user_id, roles=roles)
    except UserError as error:
        first = block_ids[-1] if block_ids else BlockId.BOARD_ROLE_PREFIX
        for block_id in block_ids:
            role = (form.text(block_id) or "").lower()
            if role and role in str(error).lower():
                first = block_id
        ack_field_errors(ack, FieldErrors({first: str(error)}))
        return
    ack()
    assert program.id is not None
    message = build_board(
        program_name=program.name, program_id=program.id, mentee_user_id=user_id, seats=seats
    )
    send(deps, user_id, message, what="board")


def register(app: App, router: CommandRouter) -> None:
    """Listen for matching's commands, buttons and modals."""
    router.add(MATCH, legacy(handle_match_command))
    router.add(PAIR, legacy(handle_pair_command))
    router.add(BOARD, legacy(handle_board_command))
    app.action(ActionId.MATCH_APPROVE.value)(handle_approve)
    app.action(ActionId.MATCH_APPROVE_ALL.value)(handle_approve_all)
    app.action(ActionId.MATCH_LATER.value)(handle_later)
    app.action(ActionId.MATCH_PAGE.value)(handle_page)
    app.action(ActionId.MATCH_SWAP.value)(handle_swap)
    app.action(ActionId.BOARD_EDIT.value)(handle_board_edit)
    app.view(CallbackId.MATCH_SWAP.value)(handle_swap_submission)
    app.view(CallbackId.BOARD.value)(handle_board_submission)
