"""Shared notes and documents: ``/mentor notes``, the notes modal, its forms and deleting them.

Private to the pair: every lookup goes through ``pairing_for``, so a lead or anyone else is
refused. Saving a note redraws the modal in place; the document and delete forms are pushed over
it and remember its view id, so it is redrawn after them.
"""

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlmodel import Session

from bot.commands import Subcommand
from bot.deps import Deps
from bot.errors import FieldErrors, UserError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.access import pairing_for, partner_of
from bot.services.notes import (
    add_document,
    add_note,
    delete_notes_and_documents,
    pair_notes,
    remove_document,
)
from bot.services.programs import get_program_by_id
from bot.views.forms import FormState
from bot.views.notes import (
    build_delete_confirm,
    build_deleted_dm,
    build_deleted_notice,
    build_document_form,
    build_notes_modal,
)
from bot.views.plans import build_material_notice
from handlers.commands import CommandRouter
from handlers.legacy import (
    CommandRequest,
    ack_field_errors,
    clicked_value,
    id_from,
    legacy,
    open_pair_modal_from_command,
    person_tz,
    send,
    team_of,
    user_of,
    view_metadata,
)
from handlers.plans import in_modal, redraw, refuse, show
from storage.models import Pairing, Program

log = logging.getLogger(__name__)

NOTES = Subcommand(
    "notes", "notes [@partner]", "Your pair's shared running notes and document links."
)


def _notes_view(
    deps: Deps, session: Session, *, team_id: str, user_id: str, pairing_id: int, offset: int = 0
) -> dict[str, Any]:
    notes = pair_notes(
        session, team_id=team_id, user_id=user_id, pairing_id=pairing_id, offset=offset
    )
    return build_notes_modal(notes, tz=person_tz(deps, session, team_id=team_id, user_id=user_id))


def _refresh_notes(
    deps: Deps, view_id: str | None, *, team_id: str, user_id: str, pairing_id: int
) -> None:
    """Redraw the notes modal ``view_id`` with what changed (after the unit of work)."""
    if not view_id:
        return
    try:
        with deps.session() as session:
            view = _notes_view(
                deps, session, team_id=team_id, user_id=user_id, pairing_id=pairing_id
            )
    except UserError as error:
        log.info("notes not redrawn", extra={"error": str(error)})
        return
    redraw(deps, view_id, view)


def _notes_view_id(body: dict[str, Any]) -> str | None:
    current = in_modal(body)
    if current and current.get("callback_id") == CallbackId.NOTES.value:
        return str(current.get("id") or "") or None
    return None


# --- opening and reading -----------------------------------------------------------------------


def _notes_of_pair(
    deps: Deps, session: Session, *, team_id: str, user_id: str, pairing: Pairing, program: Program
) -> dict[str, Any]:
    return _notes_view(deps, session, team_id=team_id, user_id=user_id, pairing_id=pairing.id or 0)


def handle_notes_command(request: CommandRequest) -> None:
    """``/mentor notes [@partner]``: the pair's running notes and documents."""
    open_pair_modal_from_command(request, _notes_of_pair)


def handle_notes_open(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """The Home tab's "Notes" button (value: pairing id)."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            view = _notes_view(
                deps,
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=id_from(clicked_value(body), "That pair"),
            )
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    show(deps, body, view)


def handle_notes_page(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Newer / older notes (value "<pairing id>:<offset>"), in place."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    pairing_id, _, offset = clicked_value(body).partition(":")
    try:
        with deps.session() as session:
            view = _notes_view(
                deps,
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=id_from(pairing_id, "That pair"),
                offset=id_from(offset or 0, "That"),
            )
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    redraw(deps, _notes_view_id(body), view)


# --- adding --------------------------------------------------------------------------------------


def handle_note_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Save a dated note; the modal stays open with the note at the top."""
    team_id, user_id, meta = team_of(body), user_of(body), view_metadata(view)
    try:
        with deps.session() as session:
            note = add_note(
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=id_from(meta.get("pairing_id"), "That pair"),
                body=FormState(view).text(BlockId.NOTES_NEW),
                now=deps.now(),
            )
            fresh = _notes_view(
                deps, session, team_id=team_id, user_id=user_id, pairing_id=note.pairing_id
            )
    except FieldErrors as errors:
        ack_field_errors(ack, errors)
        return
    except UserError as error:
        ack_field_errors(ack, FieldErrors({BlockId.NOTES_NEW: str(error)}))
        return
    ack(response_action="update", view=fresh)


def handle_document_add(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Push the document form over the notes modal."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            pairing = pairing_for(
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=id_from(clicked_value(body), "That pair"),
            )
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    show(
        deps,
        body,
        build_document_form(pairing_id=pairing.id or 0, notes_view_id=_notes_view_id(body)),
    )


def handle_document_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Keep the document link; the notes modal underneath is redrawn."""
    team_id, user_id, meta = team_of(body), user_of(body), view_metadata(view)
    state = FormState(view)
    try:
        with deps.session() as session:
            document = add_document(
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=id_from(meta.get("pairing_id"), "That pair"),
                title=state.text(BlockId.NOTES_DOCUMENT_TITLE),
                url=state.text(BlockId.NOTES_DOCUMENT_URL),
                now=deps.now(),
            )
    except FieldErrors as errors:
        ack_field_errors(ack, errors)
        return
    except UserError as error:
        ack_field_errors(ack, FieldErrors({BlockId.NOTES_DOCUMENT_TITLE: str(error)}))
        return
    ack()
    _refresh_notes(
        deps,
        meta.get("notes_view_id"),
        team_id=team_id,
        user_id=user_id,
        pairing_id=document.pairing_id,
    )


def handle_document_remove(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Take a document link off the list; the notes modal is redrawn."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            pairing_id = remove_document(
                session,
                team_id=team_id,
                user_id=user_id,
                document_id=id_from(clicked_value(body), "That document"),
            )
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    _refresh_notes(
        deps, _notes_view_id(body), team_id=team_id, user_id=user_id, pairing_id=pairing_id
    )


# --- deleting on request -------------------------------------------------------------------------


def handle_delete_open(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Push the confirmation step: nothing is deleted until it is submitted."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        with deps.session() as session:
            pairing = pairing_for(
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=id_from(clicked_value(body), "That pair"),
            )
    except UserError as error:
        refuse(deps, body, respond, error)
        return
    view = build_delete_confirm(
        pairing_id=pairing.id or 0,
        partner_user_id=partner_of(pairing, user_id),
        notes_view_id=_notes_view_id(body),
    )
    show(deps, body, view)


def handle_delete_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Delete the pair's notes and documents; the partner is told."""
    team_id, user_id, meta = team_of(body), user_of(body), view_metadata(view)
    try:
        with deps.session() as session:
            deleted, pairing = delete_notes_and_documents(
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=id_from(meta.get("pairing_id"), "That pair"),
            )
            partner = partner_of(pairing, user_id)
            program = get_program_by_id(session, team_id=team_id, program_id=pairing.program_id)
    except UserError as error:
        # The confirmation has no field: say why in place of it.
        ack(response_action="update", view=build_material_notice(str(error), title="Shared notes"))
        return
    ack(response_action="update", view=build_deleted_notice(deleted))
    _refresh_notes(
        deps,
        meta.get("notes_view_id"),
        team_id=team_id,
        user_id=user_id,
        pairing_id=pairing.id or 0,
    )
    send(
        deps,
        partner,
        build_deleted_dm(actor_user_id=user_id, program_name=program.name),
        what="notes deleted notice",
    )


def register(app: App, router: CommandRouter) -> None:
    """Listen for the notes command, buttons and forms."""
    router.add(NOTES, legacy(handle_notes_command))
    app.action(ActionId.NOTES_OPEN.value)(handle_notes_open)
    app.action(re.compile(rf"^{ActionId.NOTES_PAGE.value}(:[a-z]+)?$"))(handle_notes_page)
    app.action(ActionId.NOTES_DOCUMENT_ADD.value)(handle_document_add)
    app.action(ActionId.NOTES_DOCUMENT_REMOVE.value)(handle_document_remove)
    app.action(ActionId.NOTES_DELETE.value)(handle_delete_open)
    app.view(CallbackId.NOTES.value)(handle_note_submission)
    app.view(CallbackId.NOTES_DOCUMENT.value)(handle_document_submission)
    app.view(CallbackId.NOTES_DELETE.value)(handle_delete_submission)
