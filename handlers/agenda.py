"""The agenda: ``/mentor agenda``, the "Add to agenda" button and the agenda modal."""

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlmodel import Session

from bot.commands import Subcommand
from bot.deps import Deps
from bot.errors import UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.agenda import AgendaView, open_agenda, parse_new_items, update_agenda
from bot.views.agenda import SUBMIT_VALUE, build_agenda_dm, build_agenda_modal
from bot.views.forms import FormState
from handlers.commands import CommandRouter
from handlers.legacy import (
    CommandRequest,
    ack_form_error,
    id_from,
    legacy,
    open_pair_modal_from_button,
    open_pair_modal_from_command,
    pairing_and_program,
    person_name,
    person_tz,
    team_of,
    user_of,
    view_metadata,
)
from storage.models import Pairing, Program

log = logging.getLogger(__name__)

AGENDA = Subcommand(
    "agenda", "agenda [@partner]", "See and add to the agenda of your next session."
)


def _agenda_modal(
    deps: Deps, session: Session, *, team_id: str, user_id: str, pairing: Pairing, program: Program
) -> dict[str, Any]:
    agenda = open_agenda(session, pairing=pairing, user_id=user_id, now=deps.now())
    return build_agenda_modal(
        agenda,
        viewer_user_id=user_id,
        tz=person_tz(deps, session, team_id=team_id, user_id=user_id),
        mentor_name=person_name(deps, session, team_id=team_id, user_id=pairing.mentor_user_id),
    )


def handle_agenda_command(request: CommandRequest) -> None:
    """``/mentor agenda [@partner]``: open the next session's agenda."""
    open_pair_modal_from_command(request, _agenda_modal)


def handle_agenda_open(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The "Add to agenda" / "Open the agenda" button (value: pairing id)."""
    open_pair_modal_from_button(ack, body, respond, deps, _agenda_modal)


def _chosen_ids(view: dict[str, Any], prefix: str) -> list[int]:
    """The ticked option values of every checkbox group whose block_id starts with ``prefix``."""
    state = FormState(view)
    chosen: list[int] = []
    for block in view.get("blocks", []):
        block_id = str(block.get("block_id", ""))
        if block_id.startswith(prefix):
            chosen += [int(v) for v in state.options(block_id) if v.isdigit()]
    return chosen


def handle_agenda_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Save the agenda; when the mentee submits it, the mentor gets it by DM."""
    team_id, user_id, meta = team_of(body), user_of(body), view_metadata(view)
    state = FormState(view)
    submit = SUBMIT_VALUE in state.options(BlockId.AGENDA_SUBMIT)
    try:
        new_items = parse_new_items(state.text(BlockId.AGENDA_NEW))
        with deps.session() as session:
            pairing, _ = pairing_and_program(
                session, team_id=team_id, user_id=user_id, pairing_id=meta.get("pairing_id")
            )
            meeting_id = meta.get("meeting_id")
            agenda = update_agenda(
                session,
                pairing=pairing,
                meeting_id=None if meeting_id is None else id_from(meeting_id, "That session"),
                user_id=user_id,
                new_items=new_items,
                remove_ids=_chosen_ids(view, BlockId.AGENDA_REMOVE_PREFIX),
                done_action_ids=_chosen_ids(view, BlockId.AGENDA_DONE_PREFIX),
                submit=submit,
                now=deps.now(),
            )
    except UserError as error:
        ack_form_error(ack, error, block_id=BlockId.AGENDA_NEW)
        return
    ack()
    if submit:
        deps.after_ack(lambda: send_agenda(deps, team_id=team_id, agenda=agenda))


def send_agenda(deps: Deps, *, team_id: str, agenda: AgendaView) -> None:
    """DM the mentor the submitted agenda, with the session in their timezone."""
    mentor = agenda.mentor_user_id
    try:
        with deps.session() as session:
            tz = person_tz(deps, session, team_id=team_id, user_id=mentor)
        deps.gateway.post_message(mentor, build_agenda_dm(agenda, tz=tz))
    except SlackCallError as error:
        log.warning(
            "agenda DM not sent",
            extra={"team_id": team_id, "pairing_id": agenda.pairing_id, "error": error.error},
        )


def register(app: App, router: CommandRouter) -> None:
    """Listen for the agenda command, button and modal."""
    router.add(AGENDA, legacy(handle_agenda_command))
    app.action(ActionId.AGENDA_OPEN.value)(handle_agenda_open)
    app.view(CallbackId.AGENDA.value)(handle_agenda_submission)
