"""The agenda: ``/mentor agenda``, the "Add to agenda" button and the agenda modal."""

from slack_bolt import App

from bot.commands import Subcommand
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.access import pairing_for
from bot.services.agenda import open_agenda, parse_new_items, update_agenda
from bot.views.agenda import SUBMIT_VALUE, build_agenda_dm, build_agenda_modal
from bot.views.notice import build_notice_modal
from handlers.commands import CommandRouter
from handlers.common import message_to
from handlers.listeners import (
    Answer,
    Closing,
    Interaction,
    Modal,
    PairFrom,
    Submission,
    Update,
    on_click,
    on_submit,
)

AGENDA = Subcommand(
    "agenda", "agenda [@partner]", "See and add to the agenda of your next session."
)


def show_agenda(i: Interaction) -> Answer:
    """``/mentor agenda [@partner]`` and the "Add to agenda" button (value: the pairing id)."""
    tz = i.tz()
    mentor_name = i.deps.directory.name(team_id=i.team_id, user_id=i.pair.pairing.mentor_user_id)
    # Opening writes: open action items and overdue tasks join the agenda as it opens.
    with i.deps.session() as session:
        pairing = pairing_for(session, team_id=i.team_id, user_id=i.user_id, pairing_id=i.pair.id)
        agenda = open_agenda(session, pairing=pairing, user_id=i.user_id, now=i.now())
    return Modal(
        build_agenda_modal(agenda, viewer_user_id=i.user_id, tz=tz, mentor_name=mentor_name)
    )


def _chosen_ids(form: Submission, prefix: str) -> list[int]:
    """The ticked option values of every checkbox group whose block_id starts with ``prefix``."""
    state = form.state
    chosen: list[int] = []
    for block in form.view.get("blocks", []):
        block_id = str(block.get("block_id", ""))
        if block_id.startswith(prefix):
            chosen += [int(v) for v in state.options(block_id) if v.isdigit()]
    return chosen


def save_agenda(form: Submission) -> Closing:
    """Save the agenda; when the mentee submits it, the mentor's DM goes through the outbox."""
    state = form.state
    submit = SUBMIT_VALUE in state.options(BlockId.AGENDA_SUBMIT)
    new_items = parse_new_items(state.text(BlockId.AGENDA_NEW))
    meeting_id = None
    if form.metadata.get("meeting_id") is not None:
        meeting_id = form.meta_id("meeting_id", "That session")
    # The mentor reads the session's time in their own timezone, known before the unit of work.
    mentor = form.pair.pairing.mentor_user_id
    mentor_tz = (
        form.deps.directory.tz(team_id=form.team_id, user_id=mentor, max_age=None)
        if submit
        else "UTC"
    )
    with form.deps.session() as session:
        pairing = pairing_for(
            session, team_id=form.team_id, user_id=form.user_id, pairing_id=form.pair.id
        )
        agenda = update_agenda(
            session,
            pairing=pairing,
            meeting_id=meeting_id,
            user_id=form.user_id,
            new_items=new_items,
            remove_ids=_chosen_ids(form, BlockId.AGENDA_REMOVE_PREFIX),
            done_action_ids=_chosen_ids(form, BlockId.AGENDA_DONE_PREFIX),
            submit=submit,
            now=form.now(),
        )
        if submit:
            form.send(
                session,
                message_to(
                    form,
                    to=agenda.mentor_user_id,
                    rule="agenda_submitted",
                    message=build_agenda_dm(agenda, tz=mentor_tz),
                    what="your agenda",
                    pairing_id=agenda.pairing_id,
                    program_id=form.pair.program.id,
                ),
            )
    if not submit:
        return None
    return Update(
        build_notice_modal(
            f"Saved. Your agenda is on its way to <@{agenda.mentor_user_id}>.",
            problem=False,
            title="Agenda",
        )
    )


def register(app: App, router: CommandRouter) -> None:
    """Listen for the agenda command, button and modal."""
    router.add(AGENDA, show_agenda, pair=True)
    on_click(app, ActionId.AGENDA_OPEN, show_agenda, pair=PairFrom.VALUE)
    on_submit(
        app, CallbackId.AGENDA, save_agenda, pair=PairFrom.METADATA, errors_at=BlockId.AGENDA_NEW
    )
