"""Shared notes views: the notes modal, the document form, deleting, and telling the partner."""

from datetime import datetime
from typing import Any

from bot.ids import ActionId, BlockId, CallbackId
from bot.services.notes import (
    NOTE_MAX,
    NOTES_PER_PAGE,
    EntryKind,
    MaterialDeleted,
    NoteEntry,
    PairNotes,
)
from bot.services.plans import LINK_ERROR, TITLE_MAX, URL_MAX
from bot.services.sessions import zone
from bot.views.blocks import (
    Block,
    actions,
    button,
    clip,
    context,
    divider,
    input_block,
    message,
    modal,
    section,
    text_input,
)
from bot.views.notice import build_notice_modal
from bot.views.plans import confirm_dialog
from bot.views.text import escape, link, words
from storage.models import PairDocument

PRIVACY = "Private to the two of you: program leads never see them."


def when(moment: datetime, tz: str) -> str:
    """A moment in the reader's timezone: "Tue 3 Mar 2026, 15:00"."""
    local = moment.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}"


def _day(moment: datetime, tz: str) -> str:
    local = moment.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b %Y}"


def _entry(entry: NoteEntry, tz: str) -> Block:
    if entry.kind is EntryKind.SESSION:
        who = f" · logged by <@{entry.author_user_id}>" if entry.author_user_id else ""
        head = f"*Session on {_day(entry.at, tz)}*{who}"
    else:
        head = f"*{when(entry.at, tz)}* · <@{entry.author_user_id}>"
    return section(f"{head}\n{words(entry.body, 2500)}")


def _document(document: PairDocument, tz: str, *, live: bool) -> Block:
    text = (
        f"{link(document.title, document.url, limit=TITLE_MAX)}\n"
        f"added by <@{document.added_by}> on {_day(document.created_at, tz)}"
    )
    remove = None
    if live:
        remove = button("Remove", ActionId.NOTES_DOCUMENT_REMOVE, value=str(document.id))
        remove["confirm"] = confirm_dialog(
            "Remove this document?",
            f"{clip(document.title, 200)} leaves your list (not the file).",
            "Remove",
        )
    return section(text, accessory=remove)


def build_notes_modal(notes: PairNotes, *, tz: str) -> dict[str, Any]:
    """The pair's running notes (newest first, a page at a time) and their document links."""
    pid = str(notes.pairing_id)
    blocks: list[Block] = [
        section(
            f"*Shared notes with <@{notes.partner_user_id}>* · {escape(notes.program_name)}\n"
            f"Your running notes and documents in one place. {PRIVACY}"
        )
    ]
    if notes.live:
        blocks.append(
            input_block(
                BlockId.NOTES_NEW,
                "Add a note",
                text_input(
                    max_length=NOTE_MAX,
                    multiline=True,
                    placeholder="What you discussed, decided or want to remember",
                ),
                hint="Dated, and visible to both of you.",
            )
        )
    else:
        blocks.append(context("This mentoring pair has ended; its notes are kept as they were."))
    add = button("Add a document", ActionId.NOTES_DOCUMENT_ADD, value=pid) if notes.live else None
    blocks.append(section(f"*Documents* ({notes.total_documents})", accessory=add))
    blocks += [_document(d, tz, live=notes.live) for d in notes.documents]
    if not notes.documents:
        blocks.append(context("No documents yet: keep links to shared docs, slides or recordings."))
    elif notes.total_documents > len(notes.documents):
        blocks.append(
            context(
                f"Showing the newest {len(notes.documents)} of {notes.total_documents} documents."
            )
        )
    blocks.append(divider())
    blocks.append(
        section(f"*Running notes* ({notes.total_entries}), newest first, with each session's")
    )
    blocks += [_entry(e, tz) for e in notes.entries]
    if not notes.entries:
        blocks.append(context("No notes yet. Notes you log with a session show here too."))
    pages = _pages(notes)
    if pages:
        blocks += pages
    blocks.append(
        actions(
            _delete_button(pid),
            block_id="notes_delete",
        )
    )
    return modal(
        CallbackId.NOTES,
        "Shared notes",
        blocks,
        metadata={"pairing_id": notes.pairing_id, "offset": notes.offset},
        submit="Save note" if notes.live else None,
    )


def _delete_button(pid: str) -> Block:
    return button(
        "Delete our notes and documents", ActionId.NOTES_DELETE, value=pid, style="danger"
    )


def _pages(notes: PairNotes) -> list[Block]:
    """Newer / older buttons once the notes run past a page (ids differ inside a block)."""
    if notes.total_entries <= NOTES_PER_PAGE:
        return []
    first = notes.offset + 1
    last = notes.offset + len(notes.entries)
    buttons: list[Block] = []
    if notes.offset > 0:
        newer = max(notes.offset - NOTES_PER_PAGE, 0)
        buttons.append(
            button("Newer", f"{ActionId.NOTES_PAGE}:newer", value=f"{notes.pairing_id}:{newer}")
        )
    if last < notes.total_entries:
        buttons.append(
            button("Older", f"{ActionId.NOTES_PAGE}:older", value=f"{notes.pairing_id}:{last}")
        )
    return [
        context(f"Showing {first} to {last} of {notes.total_entries}."),
        actions(*buttons, block_id="notes_pages"),
    ]


def build_document_form(*, pairing_id: int, notes_view_id: str | None) -> dict[str, Any]:
    """Keep a document link with the pair: title and URL."""
    blocks: list[Block] = [
        section(f"A link to a file or doc you share. {PRIVACY}"),
        input_block(
            BlockId.NOTES_DOCUMENT_TITLE,
            "Title",
            text_input(max_length=TITLE_MAX, placeholder="e.g. Q3 roadmap review slides"),
        ),
        input_block(
            BlockId.NOTES_DOCUMENT_URL,
            "Link",
            text_input(max_length=URL_MAX, placeholder="https://…"),
            hint=f"{LINK_ERROR}.",
        ),
    ]
    return modal(
        CallbackId.NOTES_DOCUMENT,
        "Add a document",
        blocks,
        metadata={"pairing_id": pairing_id, "notes_view_id": notes_view_id},
        submit="Add",
        close="Back",
    )


def build_delete_confirm(
    *, pairing_id: int, partner_user_id: str, notes_view_id: str | None
) -> dict[str, Any]:
    """The confirmation step before the pair's notes and documents are deleted."""
    blocks: list[Block] = [
        section(
            ":warning: *Delete all of your shared notes and documents?*\n"
            "Every running-notes entry, the notes logged with each session and every document "
            "link go for good; the files themselves stay where they are. "
            f"<@{partner_user_id}> will be told. Goals, sessions and learning plans stay."
        )
    ]
    return modal(
        CallbackId.NOTES_DELETE,
        "Delete notes",
        blocks,
        metadata={"pairing_id": pairing_id, "notes_view_id": notes_view_id},
        submit="Delete them",
        close="Keep them",
    )


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _counted(deleted: MaterialDeleted) -> str:
    return ", ".join(
        [
            _n(deleted.notes, "note", "notes"),
            _n(deleted.session_notes, "session's notes", "sessions' notes"),
            _n(deleted.documents, "document link", "document links"),
        ]
    )


def build_deleted_notice(deleted: MaterialDeleted, *, partner_user_id: str) -> dict[str, Any]:
    """What the person who deleted the notes sees instead of the confirmation."""
    return build_notice_modal(
        f":wastebasket: Deleted: {_counted(deleted)}. "
        f"A message telling <@{partner_user_id}> is on its way.",
        problem=False,
        title="Deleted",
    )


def build_deleted_dm(*, actor_user_id: str, program_name: str) -> dict[str, Any]:
    """Tell the partner that the pair's notes and documents were deleted."""
    text = (
        f"<@{actor_user_id}> deleted your shared notes and document links in "
        f"*{escape(program_name)}*. Goals, sessions and learning plans are unchanged."
    )
    return message(text, [section(f":wastebasket: {text}")])
