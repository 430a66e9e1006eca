"""The edges: how every listener is acked, how it answers, and the one way problems are told.

Every Slack surface registers its listeners through this module, one rule per kind:

- **Commands** (``/mentor x``) and **clicks** (``block_actions``) are acked at once, before any
  database or Slack work. The handler then returns what the person should see: a ``Reply``
  (shown privately where they are) or a ``Modal`` (opened on the interaction's trigger; pushed
  over the modal a click came from). If Slack refuses the modal, the person is told so.
- **Submissions** (``view_submission``) are checked before the ack, because that is the only
  way to show a field's error under it. The handler returns how the modal ends (``None`` closes
  it, ``Update``, ``Push``, ``Clear``) and hands anything slow to ``later``, run after the ack.
- **Events** are handled once: an ``event_id`` is recorded only after its handler succeeded, so
  a retry Slack sends after a failed first try is handled again.

A ``UserError`` raised anywhere in a handler becomes its message, shown privately: under the
field in a modal, otherwise where the person clicked (in the modal, in the channel, or by DM).
Any other exception is logged with its traceback and the person gets one apologetic sentence.
Messages for anyone but the person who clicked go through the outbox (``Interaction.send``).
A button or form that no surface claims (``on_anything_else``, registered last) is out of date.
"""

import logging
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlmodel import Session, select

from bot import metrics
from bot.deps import Deps
from bot.errors import FieldErrors, NotFound, UserError
from bot.gateway import SlackCallError, SlackGateway
from bot.services.access import PairChoice, pairing_for, partner_of, resolve_pairing, role_in
from bot.services.events import event_processed, record_event
from bot.services.programs import get_program_by_id
from bot.views.blocks import read_metadata
from bot.views.forms import FormState
from bot.views.notice import build_notice, build_notice_modal
from scheduler import outbox
from scheduler.delivery import deliver_soon
from scheduler.outbox import Planned
from storage.db import awaited
from storage.models import Delivery, Pairing, Program

log = logging.getLogger(__name__)

APOLOGY = "Something went wrong on my side. Please try again in a minute."
SLACK_TROUBLE = "I couldn't reach Slack just now. Please try again in a minute."
SLOW_SLACK = "Slack didn't open the form in time. Please try again."
STALE_BUTTON = "That button is out of date."
OUT_OF_DATE = "This form is out of date. Close it and start again."


# --- what a handler answers ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    """A message shown privately to the person (an ephemeral answer, or a DM if need be)."""

    message: dict[str, Any]


def reply(text: str) -> Reply:
    """A one-line private answer."""
    return Reply(build_notice(text))


@dataclass(frozen=True, slots=True)
class Modal:
    """A modal opened on the interaction's trigger (pushed over the modal a click came from)."""

    view: dict[str, Any]


Answer = Reply | Modal | None


@dataclass(frozen=True, slots=True)
class Update:
    """The submitted modal is replaced by ``view``."""

    view: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Push:
    """``view`` is pushed over the submitted modal."""

    view: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Clear:
    """The whole stack of modals closes."""


Closing = Update | Push | Clear | None


# --- where an interaction came from, and the pair it is about -------------------------------------


class Surface(StrEnum):
    """Where the person was when they acted: it decides where an answer can be shown."""

    COMMAND = "command"
    MESSAGE = "message"
    MODAL = "modal"
    HOME = "home"
    # Nothing left on screen to answer in (a modal already closed): a DM.
    DM = "dm"


@dataclass(frozen=True, slots=True)
class Pair:
    """The mentoring pair an interaction is about, checked to be the actor's."""

    choice: PairChoice

    @property
    def id(self) -> int:
        """The pairing's id."""
        return self.choice.pairing.id or 0

    @property
    def pairing(self) -> Pairing:
        """The pairing row (detached)."""
        return self.choice.pairing

    @property
    def program(self) -> Program:
        """The pairing's program (detached)."""
        return self.choice.program

    @property
    def partner_user_id(self) -> str:
        """The actor's partner in the pair."""
        return self.choice.partner_user_id


class PairFrom(StrEnum):
    """Where an interaction names its pairing."""

    WORDS = "words"  # a command's words: the only pair, or the partner or program they name
    VALUE = "value"  # the clicked button's value
    METADATA = "metadata"  # the modal's private_metadata "pairing_id"


def _load_pair(session: Session, *, team_id: str, user_id: str, pairing_id: int) -> Pair:
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    program = get_program_by_id(session, team_id=team_id, program_id=pairing.program_id)
    return Pair(
        PairChoice(pairing, program, partner_of(pairing, user_id), role_in(pairing, user_id))
    )


def id_from(value: object, what: str | None = None) -> int:
    """An id from a button value or private_metadata; junk: ``what`` is gone, or a stale button."""
    try:
        return int(str(value))
    except ValueError:
        if what is None:
            raise UserError(STALE_BUTTON) from None
        raise NotFound(f"{what} no longer exists.") from None


# --- the interaction every handler receives ------------------------------------------------------


@dataclass(eq=False)
class Interaction:
    """One person acting in Slack: who and where, and how to answer them."""

    deps: Deps
    team_id: str
    user_id: str
    trigger_id: str
    surface: Surface
    response_url: str | None = None
    channel_id: str | None = None
    # The modal or Home tab the person acted in.
    source_view: dict[str, Any] | None = None
    pair_: Pair | None = None
    _trigger_used: bool = False
    _queued: bool = False

    @property
    def pair(self) -> Pair:
        """The pair this interaction is about (its listener named where to find it)."""
        if self.pair_ is None:
            raise RuntimeError("this listener resolves no pair: register it with pair=...")
        return self.pair_

    def now(self) -> datetime:
        """The current time (the injected clock)."""
        return self.deps.now()

    @property
    def gateway(self) -> SlackGateway:
        """Slack, as the person's own workspace (its token)."""
        return self.deps.slack(self.team_id)

    def tz(self) -> str:
        """The actor's Slack timezone (cached; UTC when Slack can't say)."""
        return self.deps.directory.tz(team_id=self.team_id, user_id=self.user_id)

    # --- sending and showing ---------------------------------------------------------------------

    def send(self, session: Session, *planned: Planned) -> int:
        """Queue messages for other people in this unit of work; they go out right after it.

        The outbox makes them exactly-once and retried; the sender hears if one finally fails.
        """
        self._queued = True
        return outbox.enqueue(session, list(planned), now=self.now())

    def open(self, view: dict[str, Any]) -> bool:
        """Open ``view`` on the trigger (pushed over the modal acted in); False if Slack refused."""
        if self._trigger_used or not self.trigger_id:
            return False
        self._trigger_used = True
        try:
            if self.surface is Surface.MODAL:
                self.gateway.push_modal(self.trigger_id, view)
            else:
                self.gateway.open_modal(self.trigger_id, view)
        except SlackCallError as error:
            log.warning(
                "modal not opened",
                extra={"callback_id": view.get("callback_id"), "error": error.error},
            )
            return False
        return True

    def _views_in_reach(self) -> set[str]:
        """The modals of the actor's own open stack, as Slack named them in this request."""
        shown = self.source_view or {}
        ids = (shown.get("id"), shown.get("root_view_id"), shown.get("previous_view_id"))
        return {str(view_id) for view_id in ids if view_id}

    def redraw(self, view_id: str | None, view: dict[str, Any]) -> None:
        """Replace an open modal of the actor's (one of the stack this request came from: a
        view id taken from metadata is checked, never trusted); Slack trouble is logged."""
        if not view_id:
            return
        if view_id not in self._views_in_reach():
            log.warning("modal not redrawn: not one of the actor's", extra={"view_id": view_id})
            return
        try:
            self.gateway.update_modal(view_id, view)
        except SlackCallError as error:
            log.warning("modal not redrawn", extra={"error": error.error})

    def replace_message(self, channel: object, ts: object, message: dict[str, Any]) -> bool:
        """Replace one of the bot's messages to the actor (a DM whose buttons are spent),
        named by a modal's metadata: only if the outbox delivered it to them. Slack trouble is
        logged: what was stored stands either way."""
        if not channel or not ts:
            return False
        if not self._received(str(channel), str(ts)):
            log.warning("message not updated: not one the actor received", extra={"ts": ts})
            return False
        return self._update(str(channel), str(ts), message)

    def _received(self, channel: str, ts: str) -> bool:
        """Whether the outbox delivered the message at ``channel``/``ts`` to the actor."""
        with self.deps.read() as session:
            rows = session.exec(
                select(Delivery.recipient_id, Delivery.extras).where(
                    Delivery.team_id == self.team_id,
                    Delivery.message_ts == ts,
                    Delivery.channel_id == channel,
                )
            ).all()
        return any(
            recipient == self.user_id or self.user_id in (extras or {}).get("members", [])
            for recipient, extras in rows
        )

    def _update(self, channel: str, ts: str, message: dict[str, Any]) -> bool:
        try:
            self.gateway.update_message(str(channel), str(ts), message)
        except SlackCallError as error:
            log.warning("message not updated", extra={"error": error.error})
            return False
        return True

    def send_file_to_self(
        self, *, filename: str, content: bytes, title: str, comment: str
    ) -> str | None:
        """Share a file in the actor's own DM with the bot (their export, their data): an
        answer to them alone, too large for the outbox. Slack's error (logged) if it refused."""
        gateway = self.gateway
        try:
            channel = gateway.open_conversation([self.user_id])
            gateway.upload_file(
                channel, filename=filename, content=content, title=title, initial_comment=comment
            )
        except SlackCallError as error:
            log.warning("file not shared", extra={"file": filename, "error": error.error})
            return error.error
        return None

    def tell(self, text: str, *, problem: bool = True) -> None:
        """Say one thing privately, wherever the person will see it."""
        self.answer(build_notice(text, problem=problem), notice=text, problem=problem)

    def answer(
        self, message: dict[str, Any], *, notice: str | None = None, problem: bool = False
    ) -> None:
        """Show ``message`` privately: in a small modal over a modal or Home (``notice``), else
        through the response_url, else as an ephemeral in the channel, else by DM."""
        gateway = self.gateway
        if notice is not None and self.surface in (Surface.MODAL, Surface.HOME):
            if self.open(build_notice_modal(notice, problem=problem)):
                return
        elif self.response_url and gateway.respond(
            self.response_url, {**message, "response_type": "ephemeral", "replace_original": False}
        ):
            return
        elif self.channel_id and self.surface is not Surface.HOME:
            try:
                gateway.post_ephemeral(self.channel_id, self.user_id, message)
                return
            except SlackCallError:
                pass  # the bot may not be in that channel: a DM always reaches the person
        try:
            gateway.post_message(self.user_id, message)
        except SlackCallError as error:
            log.warning("person not told", extra={"user_id": self.user_id, "error": error.error})


@dataclass(eq=False)
class Command(Interaction):
    """``/mentor <name> <args…>``."""

    name: str = ""
    args: tuple[str, ...] = ()

    @property
    def words(self) -> str:
        """The arguments as typed (quotes resolved)."""
        return " ".join(self.args)


@dataclass(eq=False)
class Click(Interaction):
    """A button, select or overflow choice (``block_actions``)."""

    action_id: str = ""
    value: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    # The message the click was in (None in a modal or the Home tab).
    message_ts: str | None = None
    ephemeral: bool = False

    def id(self, what: str | None = None) -> int:
        """The clicked value as an id (``what`` names the thing if it is gone)."""
        return id_from(self.value, what)

    def modal_id(self, callback_id: str | None = None) -> str | None:
        """The view id of the modal clicked in (only if its callback is ``callback_id``)."""
        view = self.source_view or {}
        if self.surface is not Surface.MODAL:
            return None
        if callback_id is not None and view.get("callback_id") != str(callback_id):
            return None
        return str(view.get("id") or "") or None

    @property
    def metadata(self) -> dict[str, Any]:
        """The private_metadata of the modal clicked in ({} elsewhere)."""
        return read_metadata(self.source_view) if self.surface is Surface.MODAL else {}

    def update_message(self, message: dict[str, Any]) -> bool:
        """Replace the message clicked in (an ephemeral one through its response_url)."""
        if self.surface is not Surface.MESSAGE:
            return False
        if self.ephemeral or not (self.channel_id and self.message_ts):
            if self.response_url:
                return self.gateway.respond(
                    self.response_url, {**message, "replace_original": True}
                )
            return False
        # The message the click came from, as Slack says: the actor's own by definition.
        return self._update(self.channel_id, self.message_ts, message)


@dataclass(eq=False)
class Submission(Interaction):
    """A modal submitted (``view_submission``)."""

    view: dict[str, Any] = field(default_factory=dict)
    _later: list[Callable[[], object]] = field(default_factory=list)

    @property
    def state(self) -> FormState:
        """The submitted values, read by block id."""
        return FormState(self.view)

    @property
    def metadata(self) -> dict[str, Any]:
        """The modal's private_metadata."""
        return read_metadata(self.view)

    def meta_id(self, key: str, what: str | None = None) -> int:
        """An id the modal carries in its metadata (``OUT_OF_DATE`` if it carries none)."""
        value = self.metadata.get(key)
        if value is None:
            raise UserError(OUT_OF_DATE)
        return id_from(value, what)

    def tz(self) -> str:
        """The actor's timezone as cached, whatever its age: the ack must not wait on Slack."""
        return self.deps.directory.tz(team_id=self.team_id, user_id=self.user_id, max_age=None)

    def later(self, work: Callable[[], object]) -> None:
        """Run ``work`` once the modal has been answered (slow work, Slack calls)."""
        self._later.append(work)


# --- running a handler: the one error path --------------------------------------------------------


class _NotTheirs(UserError):
    """A problem that is not the person's to fix (Slack's, or a bug): apologised for, and an
    event that met it is left for Slack to deliver again."""


def _problem(
    error: Exception,
    *,
    listener: str,
    surface: str,
    stale: str,
    team_id: str = "",
    user_id: str = "",
) -> UserError:
    """The one error path: what any error a listener raised means for the person, logged once.

    A ``UserError`` is its own message. An id beyond any the database holds (a forged value;
    SQLite's driver raises ``OverflowError``) means the ``stale`` surface. Slack's failure and
    anything unexpected are ``_NotTheirs``; the unexpected is logged with its traceback and
    counted by ``surface``.
    """
    if isinstance(error, UserError):
        return error
    if isinstance(error, OverflowError):
        log.warning("listener refused an id out of range", extra={"listener": listener})
        return UserError(stale)
    if isinstance(error, SlackCallError):
        log.warning("listener stopped by Slack", extra={"listener": listener, "error": error.error})
        return _NotTheirs(SLACK_TROUBLE)
    log.error(
        "listener failed",
        exc_info=error,
        extra={"listener": listener, "team_id": team_id, "user_id": user_id},
    )
    metrics.listener_failed(surface)
    return _NotTheirs(APOLOGY)


def _run(interaction: Interaction, what: str, work: Callable[[], object]) -> None:
    """Run a command's or click's handler after its ack, and show its answer or its problem."""
    try:
        answer = work()
    except Exception as error:
        problem = _problem(
            error,
            listener=what,
            surface=_metric_surface(interaction),
            stale=STALE_BUTTON,
            team_id=interaction.team_id,
            user_id=interaction.user_id,
        )
        interaction.tell(str(problem))
        return
    finally:
        _kick(interaction)
    if isinstance(answer, Reply):
        interaction.answer(answer.message)
    elif isinstance(answer, Modal) and not interaction.open(answer.view):
        interaction.tell(SLOW_SLACK)


def _kick(interaction: Interaction) -> None:
    """Deliver what the interaction queued right away, not at the scheduler's next pass."""
    if interaction._queued:
        interaction._queued = False
        deliver_soon(interaction.deps)


def _metric_surface(interaction: Interaction) -> str:
    """The surface label of the request the interaction came in as."""
    if isinstance(interaction, Command):
        return "command"
    if isinstance(interaction, Submission):
        return "view"
    return "action" if isinstance(interaction, Click) else "event"


def _pair(interaction: Interaction, source: PairFrom | None, key: object) -> None:
    """Resolve the pair the interaction names, for someone in it (UserError otherwise)."""
    if source is None:
        return
    with interaction.deps.read() as session:
        if source is PairFrom.WORDS:
            choice = resolve_pairing(
                session, team_id=interaction.team_id, user_id=interaction.user_id, hint=str(key)
            )
            interaction.pair_ = Pair(choice)
            return
        interaction.pair_ = _load_pair(
            session,
            team_id=interaction.team_id,
            user_id=interaction.user_id,
            pairing_id=id_from(key, "That mentoring pair"),
        )


# --- commands ------------------------------------------------------------------------------------

CommandHandler = Callable[[Command], Answer]


def run_command(command: Command, handler: CommandHandler, *, pair: bool = False) -> None:
    """Run a subcommand's handler (the command is acked already)."""

    def work() -> Answer:
        _pair(command, PairFrom.WORDS if pair else None, command.words)
        return handler(command)

    _run(command, f"/mentor {command.name}", work)


def command_of(
    context: BoltContext, command: dict[str, Any], *, name: str, args: tuple[str, ...]
) -> Command:
    """The Command a slash command's payload describes."""
    return Command(
        deps=context["deps"],
        team_id=context.team_id or str(command.get("team_id") or ""),
        user_id=context.user_id or str(command.get("user_id") or ""),
        trigger_id=str(command.get("trigger_id") or ""),
        surface=Surface.COMMAND,
        response_url=command.get("response_url"),
        channel_id=command.get("channel_id"),
        name=name,
        args=args,
    )


# --- clicks --------------------------------------------------------------------------------------

ClickHandler = Callable[[Click], Answer]


def _obj(value: object) -> dict[str, Any]:
    """A payload's object, or {} where a forged payload has something else."""
    return value if isinstance(value, dict) else {}


def _word(value: object) -> str | None:
    """A payload's id or URL, or None where a forged payload has something else."""
    return value if isinstance(value, str) and value else None


def _click_of(body: dict[str, Any], context: BoltContext, deps: Deps) -> Click:
    actions = body.get("actions")
    action = _obj(actions[0] if isinstance(actions, list) and actions else {})
    selected = _obj(action.get("selected_option"))
    container = _obj(body.get("container"))
    view = body.get("view") if isinstance(body.get("view"), dict) else None
    if view is not None and view.get("type") == "home":
        surface = Surface.HOME
    elif view is not None:
        surface = Surface.MODAL
    else:
        surface = Surface.MESSAGE
    channel = _obj(body.get("channel"))
    in_message = container.get("type") == "message"
    return Click(
        deps=deps,
        team_id=context.team_id or "",
        user_id=context.user_id or "",
        trigger_id=str(body.get("trigger_id") or ""),
        surface=surface,
        response_url=_word(body.get("response_url")),
        channel_id=_word(container.get("channel_id")) or _word(channel.get("id")),
        source_view=view,
        action_id=str(action.get("action_id") or ""),
        value=str(action.get("value") or selected.get("value") or ""),
        body=body,
        message_ts=_word(container.get("message_ts")) if in_message else None,
        ephemeral=bool(container.get("is_ephemeral")),
    )


def on_click(
    app: App,
    action_id: str | re.Pattern[str],
    handler: ClickHandler,
    *,
    pair: PairFrom | None = None,
) -> None:
    """Listen for a button (select, overflow): ack at once, then run ``handler``.

    ``pair``: the click names a pairing (``PairFrom.VALUE``, or the modal's metadata), loaded
    and checked to be the clicker's before the handler runs, as ``click.pair``.
    """

    def listener(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        click = _click_of(body, context, context["deps"])

        def work() -> Answer:
            key = click.value if pair is PairFrom.VALUE else click.metadata.get("pairing_id")
            _pair(click, pair, key)
            return handler(click)

        _run(click, getattr(handler, "__name__", str(action_id)), work)

    listener.__name__ = getattr(handler, "__name__", "click")
    _routes(app, "action").add(action_id, listener)


# --- submissions ---------------------------------------------------------------------------------

SubmissionHandler = Callable[[Submission], Closing]


def _slack_shaped(view: dict[str, Any]) -> dict[str, Any]:
    """The view with ``state.values`` as Slack shapes it, ``{block_id: {action_id: element}}``:
    what a forged submission has elsewhere is dropped, so no reader of a form trips on it."""
    values = _obj(_obj(view.get("state")).get("values"))
    shaped = {
        str(block_id): {str(a): e for a, e in block.items() if isinstance(e, dict)}
        for block_id, block in values.items()
        if isinstance(block, dict)
    }
    return {**view, "state": {"values": shaped}}


def _first_input(view: dict[str, Any]) -> str | None:
    for block in view.get("blocks", []):
        if block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None


def _field_errors(view: dict[str, Any], error: UserError, errors_at: str | None) -> dict[str, str]:
    """Each message under its field; a refusal that is no field's fault under ``errors_at``."""
    inputs = {str(b.get("block_id")) for b in view.get("blocks", []) if b.get("type") == "input"}
    fallback = errors_at if errors_at in inputs else _first_input(view)
    if isinstance(error, FieldErrors):
        shown = {block: text for block, text in error.errors.items() if block in inputs}
        stray = [text for block, text in error.errors.items() if block not in inputs]
        if stray and fallback:
            shown[fallback] = "; ".join(filter(None, [shown.get(fallback), *stray]))
        return shown
    return {fallback: str(error)} if fallback else {}


def on_submit(
    app: App,
    callback_id: str | re.Pattern[str],
    handler: SubmissionHandler,
    *,
    pair: PairFrom | None = None,
    errors_at: str | None = None,
) -> None:
    """Listen for a modal's submission: check and store, then ack with how the modal ends.

    A UserError keeps the modal open with the message under its field (``errors_at``, else the
    first input, for refusals that are no field's fault); a modal without inputs closes and the
    person is told by DM.
    """

    def listener(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        deps: Deps = context["deps"]
        view = _slack_shaped(_obj(body.get("view")))
        form = Submission(
            deps=deps,
            team_id=context.team_id or "",
            user_id=context.user_id or "",
            trigger_id=str(body.get("trigger_id") or ""),
            surface=Surface.MODAL,
            source_view=view,
            view=view or {},
        )
        try:
            # The form's save is what its ack waits for: it goes before work after other acks.
            with awaited():
                if pair is not None:
                    _pair(form, PairFrom.METADATA, form.metadata.get("pairing_id"))
                closing = handler(form)
        except Exception as error:
            problem = _problem(
                error,
                listener=str(callback_id),
                surface="view",
                stale=OUT_OF_DATE,
                team_id=form.team_id,
                user_id=form.user_id,
            )
            _refuse_submission(ack, form, problem, errors_at)
        else:
            _close(ack, closing)
            _kick(form)
            form.surface = Surface.DM
            for work in form._later:
                _run(form, str(callback_id), work)
        finally:
            _kick(form)

    listener.__name__ = getattr(handler, "__name__", "submission")
    _routes(app, "view").add(callback_id, listener)


def _refuse_submission(ack: Ack, form: Submission, error: UserError, errors_at: str | None) -> None:
    errors = _field_errors(form.view, error, errors_at)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    form.surface = Surface.DM
    form.tell(str(error))


def _close(ack: Ack, closing: Closing) -> None:
    if isinstance(closing, Update):
        ack(response_action="update", view=closing.view)
    elif isinstance(closing, Push):
        ack(response_action="push", view=closing.view)
    elif isinstance(closing, Clear):
        ack(response_action="clear")
    else:
        ack()


# --- events --------------------------------------------------------------------------------------

EventHandler = Callable[[Deps, str, dict[str, Any]], None]
# Event ids being handled in this process: a redelivery that comes while the first try still
# runs is dropped (another copy of the bot may still handle it; handlers are idempotent).
_events_running: set[str] = set()
_events_lock = threading.Lock()


def _start_event(deps: Deps, event_id: str) -> bool:
    """Whether this delivery of ``event_id`` should be handled: not done, not in hand."""
    if not event_id:
        return True
    with deps.read() as session:
        if event_processed(session=session, event_id=event_id):
            return False
    with _events_lock:
        if event_id in _events_running:
            return False
        _events_running.add(event_id)
    return True


def on_event(app: App, event_type: str, handler: EventHandler) -> None:
    """Listen for an Events API event, handling each ``event_id`` once.

    Bolt acks events itself. The id is recorded only after ``handler`` succeeded: a redelivery
    of an event already handled is ignored, a retry after a failed first try is handled.
    """

    def listener(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        deps: Deps = context["deps"]
        team_id = context.team_id or ""
        event_id = str(body.get("event_id") or "")
        if not _start_event(deps, event_id):
            log.info("duplicate event dropped", extra={"event_id": event_id})
            return
        try:
            try:
                handler(deps, team_id, event)
            except Exception as error:
                problem = _problem(
                    error, listener=event_type, surface="event", stale=STALE_BUTTON, team_id=team_id
                )
                if isinstance(problem, _NotTheirs):  # not handled: Slack delivers it again
                    log.warning(
                        "event not handled", extra={"event_id": event_id, "type": event_type}
                    )
                    return
                # Nobody to tell, and a retry would be refused alike (someone Slack no longer
                # knows, a forged event): it is handled.
                log.warning(
                    "event refused",
                    extra={"event_id": event_id, "type": event_type, "why": type(error).__name__},
                )
            if event_id:
                with deps.session() as session:
                    record_event(
                        session=session, team_id=team_id, event_id=event_id, now=deps.now()
                    )
        finally:
            # Only once it is recorded: a redelivery in between would be handled again.
            with _events_lock:
                _events_running.discard(event_id)

    listener.__name__ = getattr(handler, "__name__", event_type)
    app.event(event_type)(listener)


# --- finding a click's or a submission's listener -------------------------------------------------

# A surface's listener, as Bolt would call it.
BoltListener = Callable[[Ack, dict[str, Any], BoltContext], None]


@dataclass
class Routes:
    """Every listener of one kind ("action" or "view"), behind one Bolt listener.

    Bolt tries each of an app's listeners in turn, running its matchers (with their keyword
    arguments worked out anew each time): with some hundred surfaces that was about a third of
    Bolt's time on a click. Here an id finds its listener in a dict, and the few patterns are
    tried in order; as in Bolt, the first registered that matches wins. Being one listener, a
    surface that has not acked within Bolt's 3 s gets Bolt's 404 (Slack has given up by then),
    never a catch-all's "out of date" while it still stores what it was sent.
    """

    kind: str
    exact: dict[str, tuple[int, BoltListener]] = field(default_factory=dict)
    patterns: list[tuple[int, re.Pattern[str], BoltListener]] = field(default_factory=list)
    added: int = 0

    def add(self, constraint: str | re.Pattern[str], listener: BoltListener) -> None:
        """Register ``listener`` for an id, or for the ids a pattern finds (``re.search``)."""
        if isinstance(constraint, str):
            self.exact.setdefault(constraint, (self.added, listener))
        else:
            self.patterns.append((self.added, constraint, listener))
        self.added += 1

    def find(self, body: dict[str, Any]) -> BoltListener | None:
        """The listener for this request's id, or None when no surface takes it."""
        found = _id_of(self.kind, body)
        hit = self.exact.get(found)
        for order, pattern, listener in self.patterns:
            if hit is not None and order > hit[0]:
                break
            if pattern.search(found) is not None:
                return listener
        return None if hit is None else hit[1]


_ROUTES: "weakref.WeakKeyDictionary[App, dict[str, Routes]]" = weakref.WeakKeyDictionary()
# What the router and the catch-alls listen for.
_ANYTHING = re.compile(".*")


def _routes(app: App, kind: str) -> Routes:
    """``app``'s routes of ``kind``; the first call registers the one Bolt listener for them."""
    by_kind = _ROUTES.setdefault(app, {})
    if kind in by_kind:
        return by_kind[kind]
    routes = by_kind[kind] = Routes(kind)

    def taken(body: dict[str, Any]) -> bool:
        return routes.find(body) is not None

    def route(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        listener = routes.find(body)
        if listener is not None:
            listener(ack, body, context)

    route.__name__ = f"{kind}_router"
    register = app.action if kind == "action" else app.view
    register(_ANYTHING, matchers=[taken])(route)
    return routes


def _id_of(kind: str, body: dict[str, Any]) -> str:
    """The action id of a click, or the callback id of a submitted view."""
    if kind == "view":
        return str(_obj(body.get("view")).get("callback_id") or "")
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else {}
    return str(_obj(first).get("action_id") or "")


def _stale_button(click: Click) -> Answer:
    raise UserError(STALE_BUTTON)


def _stale_form(form: Submission) -> Closing:
    raise UserError(OUT_OF_DATE)


def _ignore_event() -> None:
    """Taken (a 200): Slack retries what fails, and turns off the events of apps that fail."""


def on_anything_else(app: App) -> None:
    """Register last: a button or form no surface claims (an older version's, or a forged one)
    is answered as out of date, and an event no surface listens for is taken and dropped,
    instead of Bolt's 404."""
    on_click(app, _ANYTHING, _stale_button)
    on_submit(app, _ANYTHING, _stale_form)
    app.event(_ANYTHING)(_ignore_event)
