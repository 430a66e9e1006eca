"""The agenda: ``/mentor agenda``, the "Add to agenda" button and the agenda modal.

The mentee owns the agenda and saving it shares it: the mentor's DM is planned in the unit of
work that saved it, once per change (an unchanged agenda saved again sends nothing).
"""

from slack_bolt import App

from bot.commands import Subcommand
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.access import pairing_for
from bot.services.agenda import (
    AGENDA_SHARED_RULE,
    open_agenda,
    parse_new_items,
    settled_agenda,
    update_agenda,
)
from bot.views.agenda import build_agenda_dm, build_agenda_modal, saved_notice
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
    with i.deps.read() as session:
        # The pair this request found: opening reads it again only if it must write.
        agenda = settled_agenda(session, pairing=i.pair.pairing, user_id=i.user_id, now=i.now())
    if agenda is None:
        # Open action items and overdue tasks join the agenda as it opens: then opening writes.
        with i.deps.session() as session:
            pairing = pairing_for(
                session, team_id=i.team_id, user_id=i.user_id, pairing_id=i.pair.id
            )
            agenda = open_agenda(session, pairing=pairing, user_id=i.user_id, now=i.now())
    return Modal(build_agenda_modal(agenda, viewer_user_id=i.user_id, tz=tz))


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
    """Save the agenda; a mentee's save that changed it sends the mentor the agenda (outbox)."""
    state = form.state
    new_items = parse_new_items(state.text(BlockId.AGENDA_NEW))
    meeting_id = None
    if form.metadata.get("meeting_id") is not None:
        meeting_id = form.meta_id("meeting_id", "That session")
    # The mentor reads the session's time in their own timezone, known before the unit of work.
    mentor = form.pair.pairing.mentor_user_id
    is_mentee = form.user_id == form.pair.pairing.mentee_user_id
    mentor_tz = (
        form.deps.directory.tz(team_id=form.team_id, user_id=mentor, max_age=None)
        if is_mentee
        else "UTC"
    )
    with form.deps.session() as session:
        pairing = pairing_for(
            session, team_id=form.team_id, user_id=form.user_id, pairing_id=form.pair.id
        )
        saved = update_agenda(
            session,
            pairing=pairing,
            meeting_id=meeting_id,
            user_id=form.user_id,
            new_items=new_items,
            remove_ids=_chosen_ids(form, BlockId.AGENDA_REMOVE_PREFIX),
            done_action_ids=_chosen_ids(form, BlockId.AGENDA_DONE_PREFIX),
            now=form.now(),
        )
        if saved.share is not None:
            form.send(
                session,
                message_to(
                    form,
                    to=saved.agenda.mentor_user_id,
                    rule=AGENDA_SHARED_RULE,
                    message=build_agenda_dm(saved.agenda, tz=mentor_tz, kind=saved.share.kind),
                    what="your agenda",
                    pairing_id=saved.agenda.pairing_id,
                    program_id=form.pair.program.id,
                    key=saved.share.key,
                ),
            )
    notice = saved_notice(saved) if is_mentee else None
    if notice is None:
        return None
    return Update(build_notice_modal(notice, problem=False, title="Agenda"))


def register(app: App, router: CommandRouter) -> None:
    """Listen for the agenda command, button and modal."""
    router.add(AGENDA, show_agenda, pair=True)
    on_click(app, ActionId.AGENDA_OPEN, show_agenda, pair=PairFrom.VALUE)
    on_submit(
        app, CallbackId.AGENDA, save_agenda, pair=PairFrom.METADATA, errors_at=BlockId.AGENDA_NEW
    )
