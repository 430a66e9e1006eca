"""The stage the demo plays on: the real bot, served over HTTP, talking to the Slack double.

Nothing here is a second code path. The bot is built as ``mentorbot run --http`` builds it (the
Bolt app of ``build_app``, the WSGI server of ``build_wsgi_app``, the scheduler's own jobs), on a
SQLite file in the demo's output folder, with a clock the player moves. People act only as Slack
would let them: a slash command, a click on a button the bot showed them, a modal filled in and
submitted, the Home tab opened; each is a request signed with the app's signing secret.

One request at a time: after each, the stage waits until the bot is idle (the listener pool and
the after-ack pool have nothing running), so what the bot did in answer is complete and belongs
to that moment of simulated time.
"""

import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App
from sqlalchemy import Engine

from bot.config import LogFormat, Settings
from bot.demo.capture import HOME_TAB, Actor, Capture, Channel
from bot.demo.transcript import JSON, Transcript
from bot.deps import Deps
from bot.gateway import SlackGateway, build_client
from bot.sandbox import slack_double
from bot.sandbox.client import SIGNING_SECRET, Response, Settle, SlackToBot, serve
from bot.sandbox.forms import Answer, fill
from bot.sandbox.slack_double import RecordedCall, SlackDouble
from bot.wiring.app import build_app
from bot.wiring.server import build_wsgi_app
from scheduler.delivery import Pacer, use_pacer
from storage.db import make_engine
from storage.migrate import upgrade

DATABASE_FILE = "mentorbot.db"
# The demo's bot token: the double accepts any; no real Slack is ever asked.
DEMO_TOKEN = "xoxb-mentorbot-demo"  # noqa: S105 - a placeholder the double answers, not a secret
# Long enough for a listener on a busy two-core machine; the demo stops if one runs longer.
IDLE_TIMEOUT = 30.0


class StageError(RuntimeError):
    """The bot did not answer as Slack expects (or stayed busy): the demo cannot go on."""


class SimulatedClock:
    """The bot's injected clock: it says what the player sets, and never moves by itself."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Person:
    """Someone in the demo's workspace, as Slack knows them."""

    user_id: str
    handle: str
    name: str
    tz: str
    email: str
    is_admin: bool = False


@dataclass(frozen=True)
class Message:
    """A message the bot posted in a conversation, as the double stores it."""

    channel: str
    ts: str
    blocks: tuple[JSON, ...]
    text: str = ""


@dataclass
class Step:
    """What one request led to: the bot's HTTP answer, the Web API calls it made, and the modal
    it left on the person's screen (as Slack holds it: with its id), if any."""

    response: Response
    calls: list[RecordedCall]
    modal: JSON | None = None

    @property
    def ack(self) -> JSON:
        """The bot's answer to the request, parsed ({} when it answered with nothing)."""
        if not self.response.body:
            return {}
        parsed = json.loads(self.response.body)
        return parsed if isinstance(parsed, dict) else {}


@dataclass
class Problems:
    """Everything that went wrong while the bot was driven: the demo reports it, never hides it."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        """Note one problem."""
        self.lines.append(line)


class _Collected(logging.Handler):
    """Keeps the bot's warnings and errors while the demo runs (it prints nothing itself)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def demo_settings(api_url: str, database_url: str) -> Settings:
    """The bot's settings for the demo: the double's URL and dummy credentials; nothing is read
    from the environment or a ``.env`` file, so the demo never touches a real workspace."""
    return Settings(
        slack_bot_token=DEMO_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=None,
        slack_api_url=api_url,
        database_url=database_url,
        log_level="WARNING",
        log_format=LogFormat.TEXT,
    )


class Stage:
    """The running bot and the Slack double, and the means for people to act on them."""

    def __init__(
        self,
        out_dir: Path,
        *,
        clock: SimulatedClock,
        people: Sequence[Person],
        channels: Sequence[Channel],
        transcript: Transcript,
    ) -> None:
        self.out_dir = out_dir
        self.clock = clock
        self.people = {person.user_id: person for person in people}
        self.channels = {channel.channel_id: channel for channel in channels}
        self.transcript = transcript
        self.problems = Problems()
        self._stack = ExitStack()
        self._settle = Settle()
        self._logs = _Collected()
        # Views as Slack holds them (with ids), by id; and the hash of each, to see changes.
        self._views: dict[str, JSON] = {}
        self._hashes: dict[str, str] = {}
        self.requests = 0
        self._unheard: list[RecordedCall] = []
        self._messages: dict[tuple[str, str], Message] = {}

    # --- starting and stopping --------------------------------------------------------------

    def __enter__(self) -> "Stage":
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        # The double's wall clock is the simulated one: message timestamps read like the story.
        self.slack = self._stack.enter_context(
            SlackDouble(wall_clock=lambda: self.clock.now.timestamp())
        )
        for person in self.people.values():
            self.slack.add_user(
                person.user_id,
                name=person.handle,
                real_name=person.name,
                email=person.email,
                tz=person.tz,
                is_admin=person.is_admin,
            )
        for channel in self.channels.values():
            self.slack.add_channel(
                channel.channel_id,
                name=channel.name,
                is_private=channel.private,
                members=channel.members,
            )
        self.engine = self._database()
        settings = demo_settings(self.slack.api_url, str(self.engine.url))
        client = build_client(settings.slack_bot_token, settings.slack_api_url, timeout=10)
        self.deps = Deps(
            settings=settings, engine=self.engine, gateway=SlackGateway(client), clock=self.clock
        )
        self._stack.callback(self.deps.background.shutdown, wait=True)
        # The pacing waits are real seconds; the simulated clock has none to spare.
        use_pacer(self.deps, Pacer(sleep=lambda _: None))
        self.app = self._app()
        url = self._stack.enter_context(
            serve(build_wsgi_app(self.app, self.engine, signing_secret=SIGNING_SECRET))
        )
        self.bot = SlackToBot(url, SIGNING_SECRET, slack=self.slack)
        self.capture = Capture(
            self.slack,
            self.transcript,
            names={p.user_id: p.name for p in self.people.values()},
            channels=list(self.channels.values()),
        )
        self._stack.enter_context(self._collecting_logs())

    def _database(self) -> Engine:
        """A fresh SQLite file in the output folder, built by the real migrations."""
        path = self.out_dir / DATABASE_FILE
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
        self._stack.callback(engine.dispose)
        upgrade(engine)
        return engine

    def _app(self) -> App:
        app = build_app(self.deps)
        executor = app.listener_runner.listener_executor
        self._settle.track(executor)
        self._settle.track(self.deps.background)
        self._stack.callback(executor.shutdown, wait=True)
        return app

    @contextmanager
    def _collecting_logs(self) -> Iterator[None]:
        root = logging.getLogger()
        root.addHandler(self._logs)
        try:
            yield
        finally:
            root.removeHandler(self._logs)

    # --- waiting, and reading what the bot did -----------------------------------------------

    def settle(self, actor: Actor | None = None) -> list[RecordedCall]:
        """Wait until the bot is idle; record what it did as happening now."""
        if not self._settle(IDLE_TIMEOUT):
            raise StageError(f"the bot was still busy after {IDLE_TIMEOUT:.0f} s")
        self._note_logged()
        calls = self.capture.collect(self.clock.now, actor)
        self._learn_views()
        self._learn_updates(calls)
        self._unheard += calls
        return calls

    def _learn_updates(self, calls: Sequence[RecordedCall]) -> None:
        """Keep the messages people may click in as they are now (the bot redraws some)."""
        for call in calls:
            if call.method != "chat.update":
                continue
            key = (str(call.params.get("channel")), str(call.params.get("ts")))
            if key in self._messages:
                blocks = call.params.get("blocks")
                self._messages[key] = Message(
                    key[0],
                    key[1],
                    tuple(blocks) if isinstance(blocks, list) else self._messages[key].blocks,
                    str(call.params.get("text", "")),
                )

    def remember(self, message: Message) -> None:
        """Keep ``message`` (a delivered one) to click in later, as it changes."""
        self._messages[message.channel, message.ts] = message

    def news(self) -> list[RecordedCall]:
        """The calls recorded since the last time this was asked (for the player to react)."""
        news, self._unheard = self._unheard, []
        return news

    def _note_logged(self) -> None:
        for record in self._logs.records:
            if record.levelno >= logging.ERROR:
                self.problems.add(
                    f"{self.clock.now:%a %d %b %H:%M}: the bot logged {_line(record)}"
                )
        self._logs.records.clear()

    def _learn_views(self) -> None:
        for view in self.slack.views_changed(self._hashes):
            self._hashes[view["id"]] = view["hash"]
            self._views[view["id"]] = view

    def _modal_of(self, calls: Sequence[RecordedCall], known: set[str]) -> JSON | None:
        """The modal the bot left on the actor's screen in ``calls`` (as Slack holds it)."""
        for call in reversed(calls):
            if call.method == "views.update" and call.params.get("view_id") in self._views:
                return self._views[str(call.params["view_id"])]
            if call.method in ("views.open", "views.push"):
                sent = call.params.get("view") or {}
                for view_id, view in reversed(self._views.items()):
                    if view_id not in known and _same_view(view, sent):
                        return view
        return None

    def dm(self, user_id: str) -> str:
        """The person's DM with the bot."""
        return self.slack.dm_channel_id(user_id)

    def messages(self, channel: str) -> list[Message]:
        """The bot's messages in ``channel``, oldest first, as they are now."""
        return [
            Message(channel, str(m["ts"]), tuple(m.get("blocks") or ()), str(m.get("text", "")))
            for m in self.slack.messages(channel)
            if m.get("user") == self.slack.bot_user_id
        ]

    def message(self, channel: str, ts: str) -> Message:
        """One of the bot's messages, as it is now (after any update)."""
        if (channel, ts) in self._messages:
            return self._messages[channel, ts]
        for message in self.messages(channel):
            if message.ts == ts:
                return message
        raise StageError(f"no message {ts} in {channel}")

    def view(self, view_id: str) -> JSON:
        """A view as Slack holds it now (after any update)."""
        try:
            return self._views[view_id]
        except KeyError:
            raise StageError(f"no view {view_id}") from None

    def home(self, user_id: str) -> JSON | None:
        """The person's Home tab as last published."""
        return self.slack.home_view(user_id)

    # --- what people do ----------------------------------------------------------------------

    def where(self, channel: str) -> str:
        """How a conversation is labelled in the transcript."""
        return self.capture.where(channel)

    def command(self, user_id: str, text: str, *, channel: str | None = None) -> Step:
        """``/mentor <text>`` typed by the person (in their DM with the bot, or ``channel``)."""
        channel = channel or self.dm(user_id)
        actor = Actor(user_id, self.where(channel))
        self.capture.action(self.clock.now, actor, f"typed `/mentor {text}`")
        name = self.channels[channel].name if channel in self.channels else "directmessage"
        return self._send(
            actor,
            lambda: self.bot.command(
                text,
                user_id=user_id,
                user_name=self.people[user_id].handle,
                channel_id=channel,
                channel_name=name,
                trigger_id=self.slack.new_trigger_id(),
            ),
        )

    def click(
        self,
        user_id: str,
        shown: Message | JSON,
        action_id: str,
        *,
        value: str | None = None,
        option: str | None = None,
        say: str | None = None,
    ) -> Step:
        """The person clicks the element ``action_id`` (with ``value``, when several share it)
        of a message or a view they were shown; ``option``: the option they pick in a select;
        ``say``: how the transcript puts it, when the button's label alone says too little."""
        blocks = shown.blocks if isinstance(shown, Message) else tuple(shown.get("blocks", ()))
        element, block_id = find_element(blocks, action_id, value=value)
        kind = str(element.get("type", "button"))
        fields: dict[str, Any] = {
            "user_id": user_id,
            "user_name": self.people[user_id].handle,
            "block_id": block_id,
            "action_type": kind,
            # A click in a modal gives a trigger tied to it: a modal it opens stacks on it.
            "trigger_id": self.slack.new_trigger_id(
                view_id=None if isinstance(shown, Message) else shown.get("id")
            ),
        }
        label = _plain(element.get("text"))
        if option is not None:
            picked = _option(element, option)
            fields["action_fields"] = {"selected_option": picked}
            label = _plain(picked.get("text"))
        else:
            fields["action_text"] = label
        if isinstance(shown, Message):
            where = self.where(shown.channel)
            fields.update(
                channel_id=shown.channel,
                message={
                    "type": "message",
                    "user": self.slack.bot_user_id,
                    "ts": shown.ts,
                    "text": shown.text,
                    "blocks": list(shown.blocks),
                },
                container={
                    "type": "message",
                    "message_ts": shown.ts,
                    "channel_id": shown.channel,
                    "is_ephemeral": False,
                },
                response_url=self.slack.new_response_url(),
            )
        else:
            where = HOME_TAB if shown.get("type") == "home" else f"Modal: {_title(shown)}"
            fields["view"] = shown
        actor = Actor(user_id, where)
        verb = "picked" if option is not None else "clicked"
        self.capture.action(self.clock.now, actor, say or f"{verb} “{label}”")
        payload = slack_double.block_actions_payload(
            action_id, value if value is not None else element.get("value"), **fields
        )
        return self._send(actor, lambda: self._post_payload(payload))

    def submit(self, user_id: str, view: JSON, answers: Mapping[str, Answer]) -> Step:
        """The person fills in ``view`` (as Slack holds it) with ``answers`` and submits it."""
        actor = Actor(user_id, f"Modal: {_title(view)}")
        self.capture.action(self.clock.now, actor, f"submitted “{_title(view)}”")
        payload = slack_double.view_submission_payload(
            str(view["callback_id"]),
            fill(view, answers),
            user_id=user_id,
            user_name=self.people[user_id].handle,
            private_metadata=str(view.get("private_metadata", "")),
            view_id=view.get("id"),
            root_view_id=view.get("root_view_id"),
            previous_view_id=view.get("previous_view_id"),
            blocks=list(view.get("blocks", [])),
            title=_title(view),
            view_hash=view.get("hash"),
            trigger_id=self.slack.new_trigger_id(),
        )
        step = self._send(actor, lambda: self._post_payload(payload))
        self._answered(step, actor, view)
        return step

    def open_home(self, user_id: str) -> Step:
        """The person opens the bot's Home tab."""
        actor = Actor(user_id, HOME_TAB)
        self.capture.action(self.clock.now, actor, "opened the Home tab")
        event = slack_double.app_home_opened_event(user_id, view=self.home(user_id))
        return self._send(actor, lambda: self.bot.event(event))

    def _post_payload(self, payload: JSON) -> Response:
        return self.bot.post(urlencode({"payload": json.dumps(payload)}))

    def _send(self, actor: Actor, request: Callable[[], Response]) -> Step:
        known = set(self._views)
        self.requests += 1
        response = request()
        if response.status != 200:
            self.problems.add(
                f"{self.clock.now:%a %d %b %H:%M}: the bot answered {response.status} to "
                f"{self.people[actor.user_id].name} ({response.body[:200]})"
            )
        calls = self.settle(actor)
        return Step(response, calls, self._modal_of(calls, known))

    def _answered(self, step: Step, actor: Actor, view: JSON) -> None:
        """What a submission's ack did to the modal: replaced it, pushed one, or refused it."""
        ack = step.ack
        action = ack.get("response_action")
        if action in ("update", "push") and isinstance(ack.get("view"), dict):
            shown = dict(ack["view"])
            self.capture.acked_view(self.clock.now, actor, shown, verb=f"{action}d")
            if action == "update" and view.get("id"):
                # Slack keeps the modal's id and stack, with the new content.
                kept = {**self._views.get(str(view["id"]), view), **shown}
                self._views[str(view["id"])] = kept
                step.modal = kept
            else:
                step.modal = shown
        elif action == "errors":
            self.problems.add(
                f"{self.clock.now:%a %d %b %H:%M}: {self.people[actor.user_id].name}'s "
                f"“{_title(view)}” was refused: {ack.get('errors')}"
            )


def find_element(
    blocks: Sequence[JSON], action_id: str, *, value: str | None = None, startswith: bool = False
) -> tuple[JSON, str]:
    """The interactive element ``action_id`` (and ``value``, or a value starting with it when
    ``startswith``) in ``blocks``, with its block_id."""
    for block in blocks:
        candidates = list(block.get("elements", [])) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        if block.get("type") == "input" and isinstance(block.get("element"), dict):
            candidates.append(block["element"])
        for element in candidates:
            if element.get("action_id") != action_id:
                continue
            found = str(element.get("value", ""))
            if value is None or found == value or (startswith and found.startswith(value)):
                return element, str(block.get("block_id", ""))
    offered = sorted(
        {
            f"{e.get('action_id')}={e.get('value')}"
            for b in blocks
            for e in [*b.get("elements", []), b.get("accessory") or {}]
            if isinstance(e, dict) and e.get("action_id")
        }
    )
    raise StageError(
        f"nothing to click: no {action_id} ({value}) on that screen, only {offered[:12]}"
    )


def has_element(blocks: Sequence[JSON], action_id: str, *, value: str | None = None) -> bool:
    """Whether ``blocks`` offer the element ``action_id`` (with ``value``)."""
    try:
        find_element(blocks, action_id, value=value)
    except StageError:
        return False
    return True


def _option(element: JSON, value: str) -> JSON:
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options += group.get("options", [])
    for option in options:
        if option.get("value") == value:
            return dict(option)
    raise StageError(f"no option {value} in {element.get('action_id')}")


def _same_view(held: JSON, sent: JSON) -> bool:
    """Whether ``held`` (as Slack keeps it) is the view the bot sent as ``sent``."""
    return all(
        str(held.get(key, "")) == str(sent.get(key, ""))
        for key in ("callback_id", "private_metadata")
    )


def _plain(text: Any) -> str:
    return str(text.get("text", "")) if isinstance(text, dict) else ""


def _title(view: JSON) -> str:
    return _plain(view.get("title")) or "modal"


def _line(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        text += f": {record.exc_info[1]!r}"
    return text


__all__ = [
    "Message",
    "Person",
    "Problems",
    "SimulatedClock",
    "Stage",
    "StageError",
    "Step",
    "demo_settings",
    "find_element",
    "has_element",
]
