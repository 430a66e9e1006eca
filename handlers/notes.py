"""Shared notes and documents: ``/mentor notes``, the notes modal, its forms and deleting them.

Private to the pair: every lookup goes through ``pairing_for``, so a lead or anyone else is
refused. Saving a note redraws the modal in place; the document and delete forms are pushed over
it and remember its view id, so it is redrawn after them.
"""

import re
from typing import Any

from slack_bolt import App

from bot.commands import Subcommand
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.notes import (
    add_document,
    add_note,
    delete_notes_and_documents,
    pair_notes,
    remove_document,
)
from bot.views.notes import (
    build_delete_confirm,
    build_deleted_dm,
    build_deleted_notice,
    build_document_form,
    build_notes_modal,
)
from handlers.commands import CommandRouter
from handlers.common import message_to
from handlers.listeners import (
    Answer,
    Click,
    Closing,
    Interaction,
    Modal,
    PairFrom,
    Submission,
    Update,
    id_from,
    on_click,
    on_submit,
)

NOTES = Subcommand(
    "notes", "notes [@partner]", "Your pair's shared running notes and document links."
)
PAIR = "That mentoring pair"


def _notes_view(i: Interaction, *, pairing_id: int, offset: int = 0) -> dict[str, Any]:
    """The notes modal of a pairing, a page of running notes from ``offset``, in the actor's tz."""
    tz = i.tz()
    with i.deps.read() as session:
        notes = pair_notes(
            session, team_id=i.team_id, user_id=i.user_id, pairing_id=pairing_id, offset=offset
        )
    return build_notes_modal(notes, tz=tz)


def _refresh_notes(i: Interaction, view_id: object, *, pairing_id: int) -> None:
    """Redraw the notes modal ``view_id`` (if there is one) with what changed."""
    if not view_id:
        return
    i.redraw(str(view_id), _notes_view(i, pairing_id=pairing_id))


# --- opening and reading -------------------------------------------------------------------------


def show_notes(i: Interaction) -> Answer:
    """``/mentor notes [@partner]`` and the Home tab's "Notes" button: the pair's running notes
    and documents."""
    return Modal(_notes_view(i, pairing_id=i.pair.id))


def turn_page(click: Click) -> Answer:
    """Newer / older notes (value "<pairing id>:<offset>"), in place."""
    pairing_id, _, offset = click.value.partition(":")
    view = _notes_view(click, pairing_id=id_from(pairing_id, PAIR), offset=id_from(offset or "0"))
    click.redraw(click.modal_id(CallbackId.NOTES), view)
    return None


# --- adding --------------------------------------------------------------------------------------


def save_note(form: Submission) -> Closing:
    """Save a dated note; the modal stays open with the note at the top."""
    tz = form.tz()
    with form.deps.session() as session:
        add_note(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            pairing_id=form.pair.id,
            body=form.state.text(BlockId.NOTES_NEW),
            now=form.now(),
        )
        notes = pair_notes(
            session, team_id=form.team_id, user_id=form.user_id, pairing_id=form.pair.id
        )
    return Update(build_notes_modal(notes, tz=tz))


def show_document_form(click: Click) -> Answer:
    """Push the document form over the notes modal (value: pairing id)."""
    return Modal(
        build_document_form(
            pairing_id=click.pair.id, notes_view_id=click.modal_id(CallbackId.NOTES)
        )
    )


def save_document(form: Submission) -> Closing:
    """Keep the document link; the notes modal underneath is redrawn after this one closes."""
    state = form.state
    with form.deps.session() as session:
        add_document(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            pairing_id=form.pair.id,
            title=state.text(BlockId.NOTES_DOCUMENT_TITLE),
            url=state.text(BlockId.NOTES_DOCUMENT_URL),
            now=form.now(),
        )
    notes_view_id = form.metadata.get("notes_view_id")
    form.later(lambda: _refresh_notes(form, notes_view_id, pairing_id=form.pair.id))
    return None


def remove_pair_document(click: Click) -> Answer:
    """Take a document link off the list (value: document id); the notes modal is redrawn."""
    with click.deps.session() as session:
        pairing_id = remove_document(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            document_id=click.id("That document"),
        )
    _refresh_notes(click, click.modal_id(CallbackId.NOTES), pairing_id=pairing_id)
    return None


# --- deleting on request -------------------------------------------------------------------------


def confirm_delete(click: Click) -> Answer:
    """Push the confirmation step (value: pairing id): nothing is deleted until it is submitted."""
    return Modal(
        build_delete_confirm(
            pairing_id=click.pair.id,
            partner_user_id=click.pair.partner_user_id,
            notes_view_id=click.modal_id(CallbackId.NOTES),
        )
    )


def delete_notes(form: Submission) -> Closing:
    """Delete the pair's notes and documents; the partner is told through the outbox."""
    partner = form.pair.partner_user_id
    with form.deps.session() as session:
        deleted, _ = delete_notes_and_documents(
            session, team_id=form.team_id, user_id=form.user_id, pairing_id=form.pair.id
        )
        form.send(
            session,
            message_to(
                form,
                to=partner,
                rule="notes_deleted",
                message=build_deleted_dm(
                    actor_user_id=form.user_id, program_name=form.pair.program.name
                ),
                what="the news that you deleted your shared notes",
                pairing_id=form.pair.id,
                program_id=form.pair.program.id,
            ),
        )
    notes_view_id = form.metadata.get("notes_view_id")
    form.later(lambda: _refresh_notes(form, notes_view_id, pairing_id=form.pair.id))
    return Update(build_deleted_notice(deleted, partner_user_id=partner))


def register(app: App, router: CommandRouter) -> None:
    """Listen for the notes command, buttons and forms."""
    router.add(NOTES, show_notes, pair=True)
    on_click(app, ActionId.NOTES_OPEN, show_notes, pair=PairFrom.VALUE)
    # The page buttons sit side by side, so their action ids carry a suffix (":newer").
    on_click(app, re.compile(rf"^{ActionId.NOTES_PAGE.value}(:[a-z]+)?$"), turn_page)
    on_click(app, ActionId.NOTES_DOCUMENT_ADD, show_document_form, pair=PairFrom.VALUE)
    on_click(app, ActionId.NOTES_DOCUMENT_REMOVE, remove_pair_document)
    on_click(app, ActionId.NOTES_DELETE, confirm_delete, pair=PairFrom.VALUE)
    on_submit(app, CallbackId.NOTES, save_note, pair=PairFrom.METADATA, errors_at=BlockId.NOTES_NEW)
    on_submit(
        app,
        CallbackId.NOTES_DOCUMENT,
        save_document,
        pair=PairFrom.METADATA,
        errors_at=BlockId.NOTES_DOCUMENT_TITLE,
    )
    on_submit(app, CallbackId.NOTES_DELETE, delete_notes, pair=PairFrom.METADATA)
