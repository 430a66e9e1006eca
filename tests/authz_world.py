"""The authorization matrix's world, and the lab that runs one request in it at a time.

One invitation-only program (*Spring cohort*) run by a lead and a co-lead, with two running
pairs: pair A (Bob mentors Alice) holds a row of every kind a pair keeps (goals, milestones,
sessions held, scheduled and never logged, agenda and action items, feedback, a scorecard, a
closed skills round, a learning plan, notes, a document, outside-feedback requests open and
answered); pair B is another pair of the same program. Beside them: a participant without a pair
(a proposal for them waits for a lead), a workspace admin, the lead of another program, an
outsider the lead invited, and a colleague pair A's mentee asked for feedback.

The lab serves the real Bolt app over HTTP against the Slack double, as the suite's fixtures do,
but builds the world once: before every request the SQLite file is put back as it was built
(SQLite's backup API), so each request meets the same world. Every registration the app makes
(action ids, callback ids, the ``/mentor`` router) is recorded as it is made.
"""

import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any

from slack_bolt import App
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from bot.config import Settings
from bot.deps import Deps
from bot.gateway import SlackGateway, build_client
from bot.ids import ActionId, CallbackId
from bot.sandbox.slack_double import (
    RecordedCall,
    SlackDouble,
    app_home_opened_event,
    conversation_id_for,
)
from bot.services.agenda import add_agenda_items
from bot.services.feedback import FeedbackForm, save_feedback
from bot.services.goals import GoalForm, MilestoneForm, agree_goal, submit_goal_form
from bot.services.notes import add_document, add_note
from bot.services.outside_feedback import answer_request, ask_for_feedback
from bot.services.pairing import run_matching
from bot.services.plans import ResourceForm, TaskForm, add_resource, add_task
from bot.services.scorecards import ensure_scorecard, rate_scorecard
from bot.services.sessions import ActionForm, LogForm, ScheduleForm, log_session, schedule_session
from bot.services.skills import competencies_key, submit_scores
from bot.views.home import FLAG_REMATCH
from bot.wiring.app import build_app
from bot.wiring.server import build_wsgi_app
from handlers.commands import CommandRouter
from handlers.listeners import APOLOGY, SLACK_TROUBLE, SLOW_SLACK, Routes
from scheduler.delivery import Pacer, use_pacer
from storage.db import make_engine, session_scope
from storage.enums import (
    AgendaSource,
    MeetingStatus,
    PairingStatus,
    ProgramStatus,
    Role,
    Stage,
    Visibility,
)
from storage.migrate import upgrade
from storage.models import (
    ActionItem,
    Invitation,
    Meeting,
    Milestone,
    Pairing,
    Participant,
    Program,
    ProgramLead,
)
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.forms import Answer
from tests.harness import SIGNING_SECRET, TEAM_ID, Response, SlackToBot, serve

TEAM = TEAM_ID
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning
PROGRAM = "Spring cohort"
OTHER_PROGRAM = "Autumn cohort"
COMPETENCIES = ["Negotiation", "Public speaking"]
# Words only pair A (and pair B) wrote: nothing shown to anyone outside the pair may carry them.
SECRET = "zq-private-7c1"
OTHER_SECRET = "zq-private-b42"


class Who(StrEnum):
    """Every role the matrix sends each request as."""

    OUTSIDER = "outsider"
    PARTICIPANT = "participant"
    MENTEE = "mentee"  # pair A's mentee
    MENTOR = "mentor"  # pair A's mentor
    OTHER_MENTEE = "other_mentee"  # pair B's mentee
    OTHER_MENTOR = "other_mentor"  # pair B's mentor
    LEAD = "lead"
    CO_LEAD = "co_lead"
    ADMIN = "admin"
    OTHER_LEAD = "other_lead"  # the lead of another program
    COLLEAGUE = "colleague"  # asked by pair A's mentee for outside feedback


USER: dict[Who, str] = {
    Who.OUTSIDER: "U0OUT",
    Who.PARTICIPANT: "U0PART",
    Who.MENTEE: "U0001",
    Who.MENTOR: "U0002",
    Who.OTHER_MENTEE: "U0BMENTEE",
    Who.OTHER_MENTOR: "U0BMENTOR",
    Who.LEAD: "U0LEAD",
    Who.CO_LEAD: "U0COLEAD",
    Who.ADMIN: "UADMIN",
    Who.OTHER_LEAD: "U0OTHERLEAD",
    Who.COLLEAGUE: "U0COLL",
}
PAIR_A = (Who.MENTEE, Who.MENTOR)
PAIR_B = (Who.OTHER_MENTEE, Who.OTHER_MENTOR)
# People who are in the world but are no role of the matrix.
PROPOSED_MENTOR = "U0PMENTOR"  # the mentor the open proposal gives the participant
ANSWERED_COLLEAGUE = "U0COLL2"  # answered pair A's mentee already
NEW_COLLEAGUE = "U0COLL3"  # nobody asked them yet
DIGEST_CHANNEL = "C0DIGEST"
INVITE_CHANNEL = "C0TEAM"

HELD_DAY = date(2026, 1, 19)
UNLOGGED_AT = datetime(2026, 2, 26, 15, 0, tzinfo=UTC)  # scheduled, never logged
NEXT_DAY = date(2026, 3, 4)


@dataclass
class World:
    """The ids of everything stored, and the modals and Home tabs their owners were shown."""

    program_id: int = 0
    other_program_id: int = 0
    pairing_id: int = 0
    other_pairing_id: int = 0
    proposal_id: int = 0
    agreed_goal_id: int = 0
    proposed_goal_id: int = 0
    milestone_ids: list[int] = field(default_factory=list)
    held_meeting_id: int = 0
    unlogged_meeting_id: int = 0
    next_meeting_id: int = 0
    agenda_item_id: int = 0
    action_item_id: int = 0
    scorecard_id: int = 0
    resource_id: int = 0
    task_id: int = 0
    note_id: int = 0
    document_id: int = 0
    open_request_id: int = 0
    answered_request_id: int = 0
    other_goal_id: int = 0
    other_meeting_id: int = 0
    other_agenda_item_id: int = 0
    # The words commands name things with; ``nobody`` names a partner no pair has.
    program_name: str = PROGRAM
    nobody: bool = False
    # Modals as Slack holds them, opened by their owners, by a name the surfaces use.
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Home tabs as Slack holds them, by role.
    homes: dict[Who, dict[str, Any]] = field(default_factory=dict)

    def partner(self, who: Who) -> str:
        """How ``who`` names the other person of pair A in a command: a mention."""
        if self.nobody:
            return "<@U0NOBODY|nobody>"
        other = Who.MENTOR if who is Who.MENTEE else Who.MENTEE
        return f"<@{USER[other]}|{other.value}>"

    def missing(self) -> "World":
        """The same world with every id and name pointing at nothing (views included)."""
        missing = replace(
            self,
            milestone_ids=[GONE for _ in self.milestone_ids],
            program_name="Winter cohort",
            nobody=True,
            views={name: _gone_view(view) for name, view in self.views.items()},
        )
        for name, value in vars(self).items():
            if name.endswith("_id") and isinstance(value, int):
                setattr(missing, name, GONE)
        return missing


GONE = 9999


def _gone_view(view: dict[str, Any]) -> dict[str, Any]:
    """``view`` with every id in its metadata pointing at nothing."""

    def gone(meta: Any) -> Any:
        if isinstance(meta, dict):
            return {
                k: GONE if k.endswith("_id") and isinstance(v, int) else gone(v)
                for k, v in meta.items()
            }
        return meta

    raw = view.get("private_metadata") or ""
    try:
        meta = json.loads(raw)
    except ValueError:
        return dict(view)
    if isinstance(meta, int):  # the program modal carries the edited program's id alone
        return {**view, "private_metadata": str(GONE)}
    return {**view, "private_metadata": json.dumps(gone(meta), separators=(",", ":"))}


@dataclass
class Registry:
    """What the app registered, as it registered it."""

    actions: list[str | re.Pattern[str]] = field(default_factory=list)
    views: list[str | re.Pattern[str]] = field(default_factory=list)
    events: list[str | re.Pattern[str]] = field(default_factory=list)
    routers: list[CommandRouter] = field(default_factory=list)


class Tracked(ThreadPoolExecutor):
    """A thread pool that remembers its work, so the lab can wait until all of it is done."""

    def __init__(self, workers: int, prefix: str) -> None:
        super().__init__(max_workers=workers, thread_name_prefix=prefix)
        self._futures: list[Future[Any]] = []
        self._guard = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn`` and keep its future."""
        future = super().submit(fn, *args, **kwargs)
        with self._guard:
            self._futures.append(future)
        return future

    def pending(self) -> list[Future[Any]]:
        """Work not finished yet (finished work is forgotten)."""
        with self._guard:
            self._futures = [f for f in self._futures if not f.done()]
            return list(self._futures)


@contextmanager
def recording(registry: Registry) -> Iterator[None]:
    """Record every click's and form's route (``handlers.listeners.Routes``), event listener
    and ``/mentor`` router while an app is built."""
    add, command, event = Routes.add, App.command, App.event

    def record_route(self: Routes, constraint: Any, listener: Any) -> None:
        (registry.actions if self.kind == "action" else registry.views).append(constraint)
        add(self, constraint, listener)

    def record_event(self: App, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        registry.events.append(constraints)
        return event(self, constraints, *args, **kwargs)

    def record_command(self: App, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        decorate = command(self, constraints, *args, **kwargs)

        def capture(listener: Any) -> Any:
            router = getattr(listener, "__self__", None)
            if isinstance(router, CommandRouter):
                registry.routers.append(router)
            return decorate(listener)

        return capture

    setattr(Routes, "add", record_route)  # noqa: B010 - a method replaced for the build only
    setattr(App, "command", record_command)  # noqa: B010
    setattr(App, "event", record_event)  # noqa: B010
    try:
        yield
    finally:
        setattr(Routes, "add", add)  # noqa: B010
        setattr(App, "command", command)  # noqa: B010
        setattr(App, "event", event)  # noqa: B010


Rows = dict[str, list[dict[str, Any]]]


@dataclass
class Seen:
    """What one request did: the bot's HTTP answer and every Slack call it led to."""

    who: Who
    status: int
    body: str
    calls: list[RecordedCall]
    response_url: str

    @property
    def user_id(self) -> str:
        """The person who sent the request."""
        return USER[self.who]

    def ack(self) -> dict[str, Any]:
        """The HTTP answer as JSON ({} when empty)."""
        found = json.loads(self.body) if self.body.strip().startswith("{") else {}
        return found if isinstance(found, dict) else {}


@dataclass
class Lab:
    """The bot, its database and the Slack double, with the world built once."""

    slack: SlackDouble
    engine: Engine
    deps: Deps
    app: App
    bot: SlackToBot
    registry: Registry
    listeners: Tracked
    background: Tracked
    world: World = field(default_factory=World)
    _saved: sqlite3.Connection | None = None
    _saved_rows: Rows = field(default_factory=dict)

    # --- waiting, saving and restoring -----------------------------------------------------------

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every listener and everything it handed off has finished."""
        for _ in range(1000):
            pending = self.listeners.pending() + self.background.pending()
            if not pending:
                return
            for future in pending:
                future.result(timeout=timeout)
        raise AssertionError("the bot never went quiet")

    def save(self) -> None:
        """Keep the database as it is now, to go back to before every request."""
        self.settle()
        saved = sqlite3.connect(":memory:", check_same_thread=False)
        raw = self.engine.raw_connection()
        try:
            live = raw.driver_connection
            assert isinstance(live, sqlite3.Connection)
            live.backup(saved)
        finally:
            raw.close()
        self._saved = saved
        self._saved_rows = self.dump()

    def restore(self) -> None:
        """Put the database back as it was saved."""
        assert self._saved is not None, "save() the world first"
        self.settle()
        raw = self.engine.raw_connection()
        try:
            live = raw.driver_connection
            assert isinstance(live, sqlite3.Connection)
            self._saved.backup(live)
        finally:
            raw.close()

    def dump(self) -> Rows:
        """Every row of every table, in primary-key order."""
        rows: Rows = {}
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for table in SQLModel.metadata.sorted_tables:
                order = ", ".join(c.name for c in table.primary_key.columns)
                cursor.execute(f'SELECT * FROM "{table.name}" ORDER BY {order}')  # noqa: S608
                names = [d[0] for d in cursor.description]
                rows[table.name] = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
            cursor.close()
        finally:
            raw.close()
        return rows

    def write(self, change: Callable[[Session], None]) -> None:
        """Change the world in one unit of work (a surface's setting, before its request)."""
        with session_scope(self.engine) as session:
            change(session)

    # --- Slack's side ----------------------------------------------------------------------------

    def _sent(self, who: Who, send: Callable[[str], Response], url: str) -> Seen:
        mark = len(self.slack.calls)
        response = send(USER[who])
        self.settle()
        return Seen(who, response.status, response.body, self.slack.calls[mark:], url)

    def command(self, who: Who, words: str, *, channel_id: str = "C0001") -> Seen:
        """``/mentor <words>`` typed by ``who``."""
        url = self.slack.new_response_url()
        return self._sent(
            who,
            lambda user: self.bot.command(
                words,
                user_id=user,
                response_url=url,
                trigger_id=self.slack.new_trigger_id(),
                channel_id=channel_id,
            ),
            url,
        )

    def click(
        self,
        who: Who,
        action_id: str,
        value: str,
        *,
        view: dict[str, Any] | None = None,
        select: bool = False,
    ) -> Seen:
        """``who`` clicks (``select``: picks) in ``view`` (a modal, a Home tab) or in a DM."""
        url = self.slack.new_response_url()
        fields: dict[str, Any] = {"user_id": USER[who], "response_url": url}
        if select:
            option = {"text": {"type": "plain_text", "text": "x"}, "value": value}
            fields["action_type"] = "static_select"
            fields["action_fields"] = {"selected_option": option}
        if view is not None:
            fields["view"] = view
            fields["trigger_id"] = self.slack.new_trigger_id(view_id=view.get("id"))
        else:
            # Slack names the message a click came from: one of the bot's, in the clicker's DM.
            channel = self.slack.dm_channel_id(USER[who])
            blocks = [{"type": "actions", "elements": [{"type": "button", "action_id": action_id}]}]
            ts = self.slack.add_message(USER[who], "a message", user=self.slack.bot_user_id)
            message = {
                "type": "message",
                "ts": ts,
                "user": self.slack.bot_user_id,
                "blocks": blocks,
            }
            fields["trigger_id"] = self.slack.new_trigger_id()
            fields["channel_id"] = channel
            fields["message"] = message
            fields["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": False,
            }
        return self._sent(
            who, lambda _: self.bot.action(action_id, None if select else value, **fields), url
        )

    def submit(self, who: Who, view: dict[str, Any], answers: dict[str, Answer]) -> Seen:
        """``who`` submits ``view`` filled with ``answers`` (by block id)."""
        return self._sent(who, lambda user: self.bot.submit(view, answers, user_id=user), "")

    def open_home(self, who: Who) -> Seen:
        """``who`` opens the bot's App Home tab (the ``app_home_opened`` event)."""
        return self._sent(who, lambda user: self.bot.event(app_home_opened_event(user)), "")

    def home(self, who: Who) -> dict[str, Any]:
        """``who`` opens the App Home: the tab as Slack holds it."""
        self.open_home(who)
        found = self.slack.home_view(USER[who])
        assert found is not None, f"no Home tab for {who}"
        return found

    def fresh(self, prepare: Callable[["Lab"], None] | None = None) -> Rows:
        """The world as built (then ``prepare``d) and a blank Slack; the rows a request meets."""
        self.restore()
        self.slack.reset()
        if prepare is None:
            return self._saved_rows
        prepare(self)
        return self.dump()

    def modal(self, send: Callable[[], Seen]) -> dict[str, Any]:
        """The modal ``send`` opened or pushed, as Slack holds it (with its id)."""
        self.slack.reset()
        seen = send()
        opened = [c.params["view"] for c in seen.calls if c.method in ("views.open", "views.push")]
        assert opened, f"no modal opened: {[c.method for c in seen.calls]} {seen.body[:300]}"
        view = opened[-1]
        assert view.get("callback_id") != CallbackId.NOTICE, json.dumps(view)[:600]
        assert_valid_view(view, surface="modal")
        held = [
            v
            for v in self.slack.views.values()
            if v["callback_id"] == view["callback_id"]
            and v["private_metadata"] == view.get("private_metadata", "")
        ]
        return held[-1]


@contextmanager
def open_lab(folder: Path) -> Iterator[Lab]:
    """The real app over HTTP on a SQLite file, the Slack double, and the world built in it."""
    with SlackDouble(socket_ping_interval=0.1) as slack:
        _people(slack)
        engine = make_engine(f"sqlite:///{folder / 'authz.db'}")
        upgrade(engine)
        settings = Settings(
            slack_bot_token="xoxb-test-token",
            slack_signing_secret=SIGNING_SECRET,
            slack_app_token="xapp-test-token",
            slack_api_url=slack.api_url,
            database_url="sqlite://",
        )
        client = build_client(settings.slack_bot_token, settings.slack_api_url, timeout=5)
        background = Tracked(4, "after-ack")
        deps = Deps(
            settings=settings,
            engine=engine,
            gateway=SlackGateway(client, strict=True),
            clock=FrozenClock(NOW),
            background=background,
        )
        use_pacer(deps, Pacer(sleep=lambda _: None))
        registry = Registry()
        with recording(registry):
            app = build_app(deps)
        listeners = Tracked(16, "listener")
        _use_executor(app, listeners)
        try:
            with serve(build_wsgi_app(app, engine, signing_secret=SIGNING_SECRET)) as url:
                lab = Lab(
                    slack=slack,
                    engine=engine,
                    deps=deps,
                    app=app,
                    bot=SlackToBot(url, slack=slack),
                    registry=registry,
                    listeners=listeners,
                    background=background,
                )
                build_world(lab)
                lab.save()
                yield lab
                lab.settle()
        finally:
            background.shutdown(wait=True)
            listeners.shutdown(wait=True)
            engine.dispose()


def _use_executor(app: App, executor: Executor) -> None:
    """Run the app's listeners on ``executor`` (Bolt keeps its pool in the listener runner)."""
    runner = app._listener_runner
    old = runner.listener_executor
    runner.listener_executor = executor
    if isinstance(old, ThreadPoolExecutor):
        old.shutdown(wait=False)


# --- the people ---------------------------------------------------------------------------------


def _people(slack: SlackDouble) -> None:
    names = {
        Who.OUTSIDER: ("oscar", "Oscar Out", "Europe/London"),
        Who.PARTICIPANT: ("pat", "Pat Part", "Europe/Paris"),
        Who.MENTEE: ("alice", "Alice Ng", "Europe/Berlin"),
        Who.MENTOR: ("bob", "Bob Ode", "America/New_York"),
        Who.OTHER_MENTEE: ("bea", "Bea Other", "Europe/Madrid"),
        Who.OTHER_MENTOR: ("ben", "Ben Other", "Europe/Rome"),
        Who.LEAD: ("lee", "Lee Lead", "Europe/Dublin"),
        Who.CO_LEAD: ("cora", "Cora Colead", "Europe/Oslo"),
        Who.ADMIN: ("ada", "Ada Admin", "UTC"),
        Who.OTHER_LEAD: ("olga", "Olga Lead", "Europe/Vienna"),
        Who.COLLEAGUE: ("dana", "Dana Colleague", "Asia/Tokyo"),
    }
    for who, (name, real_name, tz) in names.items():
        slack.add_user(
            USER[who],
            name=name,
            real_name=real_name,
            tz=tz,
            email=f"{name}@example.com",
            is_admin=who is Who.ADMIN,
        )
    for user_id, name in (
        (PROPOSED_MENTOR, "pete"),
        (ANSWERED_COLLEAGUE, "eli"),
        (NEW_COLLEAGUE, "fay"),
    ):
        slack.add_user(user_id, name=name, tz="UTC", email=f"{name}@example.com")
    slack.add_channel(DIGEST_CHANNEL, name="mentoring-leads")
    slack.add_channel(INVITE_CHANNEL, name="team", members=[USER[Who.OUTSIDER]])


# --- the world ----------------------------------------------------------------------------------


def build_world(lab: Lab) -> None:
    """Store the world through the services, then have each modal opened by its owner."""
    world = lab.world
    with session_scope(lab.engine) as session:
        _programs(session, world)
        _pairs(session, world)
    with session_scope(lab.engine) as session:
        _pair_data(session, world)
    with session_scope(lab.engine) as session:
        _other_pair_data(session, world)
    # Everyone looked up once: a refusal's fresh look-up then changes nothing in the cache.
    for user_id in [*USER.values(), PROPOSED_MENTOR, ANSWERED_COLLEAGUE, NEW_COLLEAGUE]:
        lab.deps.directory.person(team_id=TEAM, user_id=user_id)
    lab.settle()
    _shown(lab)


def _shown(lab: Lab) -> None:
    """Every modal and Home tab, opened by the person it is for, as Slack holds it."""
    w, views = lab.world, lab.world.views
    pairing, program = str(lab.world.pairing_id), str(lab.world.program_id)
    for who in (Who.LEAD, Who.MENTEE):
        w.homes[who] = lab.home(who)

    def command(who: Who, words: str) -> dict[str, Any]:
        return lab.modal(lambda: lab.command(who, words))

    def click(
        who: Who, action_id: str, value: object, in_view: str | None = None
    ) -> dict[str, Any]:
        parent = w.homes[who] if in_view == "home" else views[in_view] if in_view else None
        return lab.modal(lambda: lab.click(who, action_id, str(value), view=parent))

    views["goals"] = command(Who.MENTEE, "goals")
    views["goal_new"] = click(Who.MENTEE, ActionId.GOAL_ADD, pairing, "goals")
    views["goal_edit"] = click(Who.MENTEE, ActionId.GOAL_EDIT, w.agreed_goal_id, "goals")
    views["goal_suggest"] = click(Who.MENTOR, ActionId.GOAL_SUGGEST, w.proposed_goal_id)
    views["goal_progress"] = click(
        Who.MENTEE, ActionId.GOAL_UPDATE_PROGRESS, w.agreed_goal_id, "goals"
    )
    views["milestones"] = click(Who.MENTEE, ActionId.GOAL_MILESTONES, w.agreed_goal_id, "goals")
    views["schedule"] = command(Who.MENTEE, "schedule")
    views["session_cancel"] = click(
        Who.MENTEE, ActionId.SESSION_CANCEL, w.next_meeting_id, "schedule"
    )
    views["log"] = command(Who.MENTOR, "log")
    views["agenda"] = command(Who.MENTEE, "agenda")
    views["feedback"] = command(Who.MENTEE, "feedback")
    views["scorecard_comment"] = click(Who.MENTEE, ActionId.SCORECARD_COMMENT, w.scorecard_id)
    views["skills"] = click(Who.MENTEE, ActionId.SKILLS_REASSESS, pairing)
    views["survey"] = click(Who.MENTEE, ActionId.SURVEY_OPEN, f"{pairing}:midpoint")
    views["graduation"] = command(Who.MENTEE, "graduate")
    views["plan"] = command(Who.MENTEE, "plan")
    views["plan_resource"] = click(Who.MENTEE, ActionId.PLAN_RESOURCE_ADD, w.agreed_goal_id, "plan")
    views["plan_task"] = click(Who.MENTEE, ActionId.PLAN_TASK_ADD, w.agreed_goal_id, "plan")
    views["notes"] = command(Who.MENTEE, "notes")
    views["notes_document"] = click(Who.MENTEE, ActionId.NOTES_DOCUMENT_ADD, pairing, "notes")
    views["notes_delete"] = click(Who.MENTEE, ActionId.NOTES_DELETE, pairing, "notes")
    views["ask"] = command(Who.MENTEE, f"ask-feedback <@{NEW_COLLEAGUE}> How was my demo?")
    views["outside_feedback"] = click(
        Who.COLLEAGUE, ActionId.OUTSIDE_FEEDBACK_GIVE, w.open_request_id
    )
    views["program_new"] = command(Who.LEAD, "program new")
    views["program_edit"] = command(Who.LEAD, f"program edit {PROGRAM}")
    views["join"] = command(Who.OUTSIDER, f"join {PROGRAM} as mentee")
    views["pause"] = command(Who.MENTEE, f"pause {PROGRAM}")
    views["leave"] = command(Who.MENTEE, f"leave {PROGRAM}")
    views["forget_me"] = command(Who.MENTEE, "forget-me")
    views["invite"] = click(Who.LEAD, ActionId.INVITE_OPEN, program, "home")
    views["invitations"] = click(Who.LEAD, ActionId.INVITATIONS_OPEN, program, "home")
    views["rematch"] = click(Who.LEAD, FLAG_REMATCH, pairing, "home")
    views["swap"] = click(Who.LEAD, ActionId.MATCH_SWAP, w.proposal_id)
    views["board"] = click(Who.MENTEE, ActionId.BOARD_EDIT, program)


def _programs(session: Any, world: World) -> None:
    program = Program(
        team_id=TEAM,
        name=PROGRAM,
        status=ProgramStatus.ACTIVE,
        start_date=date(2026, 1, 5),
        length_months=6,
        competencies=list(COMPETENCIES),
        digest_channel_id=DIGEST_CHANNEL,
        visibility=Visibility.INVITATION,
        purpose_detail="Grow the next leads",
        company_goal="Fill half of our lead roles from inside by 2027.",
        success_measures="Mentees lead a team within a year.",
        created_by=USER[Who.LEAD],
        timezone="Europe/Dublin",
    )
    other = Program(
        team_id=TEAM,
        name=OTHER_PROGRAM,
        status=ProgramStatus.ACTIVE,
        start_date=date(2026, 2, 2),
        length_months=6,
        competencies=["Writing"],
        created_by=USER[Who.OTHER_LEAD],
    )
    session.add(program)
    session.add(other)
    session.flush()
    world.program_id, world.other_program_id = program.id or 0, other.id or 0
    session.add(
        ProgramLead(
            team_id=TEAM,
            program_id=world.program_id,
            user_id=USER[Who.CO_LEAD],
            added_by=USER[Who.LEAD],
        )
    )
    # The outsider was invited and has not answered yet.
    session.add(
        Invitation(
            team_id=TEAM,
            program_id=world.program_id,
            user_id=USER[Who.OUTSIDER],
            invited_by=USER[Who.LEAD],
            invited_at=datetime(2026, 2, 20, tzinfo=UTC),
        )
    )


def _participant(session: Any, world: World, user_id: str, role: Role, **fields: Any) -> int:
    row = Participant(
        team_id=TEAM,
        program_id=world.program_id,
        user_id=user_id,
        role=role,
        situation="Where I am now",
        aim="Where I want to be",
        timezone="UTC",
        joined_at=datetime(2026, 1, 2, tzinfo=UTC),
        **fields,
    )
    session.add(row)
    session.flush()
    return row.id or 0


def _pairing(session: Any, world: World, mentor: str, mentee: str) -> int:
    pairing = Pairing(
        team_id=TEAM,
        program_id=world.program_id,
        mentor_id=_participant(session, world, mentor, Role.MENTOR, capacity=2),
        mentee_id=_participant(session, world, mentee, Role.MENTEE),
        mentor_user_id=mentor,
        mentee_user_id=mentee,
        status=PairingStatus.ACTIVE,
        stage=Stage.GUIDED_PRACTICE,
        started_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
        approved_by=USER[Who.LEAD],
    )
    session.add(pairing)
    session.flush()
    return pairing.id or 0


def _pairs(session: Any, world: World) -> None:
    world.pairing_id = _pairing(session, world, USER[Who.MENTOR], USER[Who.MENTEE])
    world.other_pairing_id = _pairing(
        session, world, USER[Who.OTHER_MENTOR], USER[Who.OTHER_MENTEE]
    )
    # The participant waits for a mentor; the lead's matching round proposes one.
    _participant(
        session,
        world,
        USER[Who.PARTICIPANT],
        Role.MENTEE,
        skills=[{"skill": "Negotiation", "score": 2}],
    )
    _participant(
        session,
        world,
        PROPOSED_MENTOR,
        Role.MENTOR,
        skills=[{"skill": "Negotiation", "score": 4}],
    )
    program = session.get(Program, world.program_id)
    run_matching(session=session, program=program, now=NOW)
    proposals = session.exec(
        select(Pairing).where(
            Pairing.program_id == world.program_id, Pairing.status == PairingStatus.PROPOSED
        )
    ).all()
    assert [p.mentee_user_id for p in proposals] == [USER[Who.PARTICIPANT]], proposals
    world.proposal_id = proposals[0].id or 0


def _pair_data(session: Any, world: World) -> None:
    mentee, mentor = USER[Who.MENTEE], USER[Who.MENTOR]
    pairing = session.get(Pairing, world.pairing_id)
    program = session.get(Program, world.program_id)
    today = NOW.date()
    agreed = submit_goal_form(
        session,
        team_id=TEAM,
        user_id=mentee,
        pairing_id=world.pairing_id,
        goal_id=None,
        form=GoalForm(
            statement="Run the quarterly directors review on my own",
            success_criteria="The directors sign it off without my manager in the room.",
            due_date=date(2026, 6, 1),
            milestones=[
                MilestoneForm("Draft the review deck", date(2026, 3, 20)),
                MilestoneForm("Dry run with Bob", date(2026, 4, 10)),
            ],
        ),
        today=today,
        now=NOW,
    )
    world.agreed_goal_id = agreed.goal.goal.id or 0

    agree_goal(session, team_id=TEAM, user_id=mentor, goal_id=world.agreed_goal_id, now=NOW)
    proposed = submit_goal_form(
        session,
        team_id=TEAM,
        user_id=mentee,
        pairing_id=world.pairing_id,
        goal_id=None,
        form=GoalForm(
            statement="Give a conference talk on our platform migration this summer",
            success_criteria="The talk is accepted and I give it without notes.",
            due_date=date(2026, 6, 20),
        ),
        today=today,
        now=NOW,
    )
    world.proposed_goal_id = proposed.goal.goal.id or 0
    world.milestone_ids = [
        m.id or 0
        for m in session.exec(
            select(Milestone)
            .where(Milestone.goal_id == world.agreed_goal_id)
            .order_by(Milestone.position)  # type: ignore[arg-type]
        ).all()
    ]
    logged = log_session(
        session,
        pairing=pairing,
        program=program,
        by_user_id=mentor,
        tz="UTC",
        form=LogForm(
            day=HELD_DAY,
            minutes="60",
            goal_ids=[str(world.agreed_goal_id)],
            notes=f"We mapped who the directors listen to {SECRET}",
            actions=[ActionForm(f"Draft the opening {SECRET}", mentee, date(2026, 3, 3))],
        ),
        now=NOW,
    )
    world.held_meeting_id = logged.meeting_id
    unlogged = Meeting(
        team_id=TEAM,
        pairing_id=world.pairing_id,
        status=MeetingStatus.SCHEDULED,
        scheduled_start=UNLOGGED_AT,
        scheduled_by=mentee,
        ics_uid="unlogged@mentorbot",
    )
    session.add(unlogged)
    session.flush()
    world.unlogged_meeting_id = unlogged.id or 0
    change = schedule_session(
        session,
        pairing=pairing,
        program=program,
        by_user_id=mentee,
        tz="UTC",
        form=ScheduleForm(day=NEXT_DAY, at=time(15, 0), length="60"),
        meeting_id=None,
        now=NOW,
    )
    world.next_meeting_id = change.meeting_id
    [item] = add_agenda_items(
        session,
        pairing=pairing,
        meeting_id=world.next_meeting_id,
        items=[f"How to open the review {SECRET}"],
        source=AgendaSource.MENTEE,
        author_user_id=mentee,
        now=NOW,
    )
    world.agenda_item_id = item.id or 0

    [action] = session.exec(
        select(ActionItem).where(ActionItem.pairing_id == world.pairing_id)
    ).all()
    world.action_item_id = action.id or 0
    save_feedback(
        session,
        team_id=TEAM,
        user_id=mentor,
        pairing_id=world.pairing_id,
        meeting_id=world.held_meeting_id,
        form=FeedbackForm(
            went_well=f"You knew your numbers {SECRET}",
            needs_change="Open with the decision you need, not the history.",
            next_action="Rewrite the first slide as the ask.",
        ),
        now=NOW,
    )
    card, _ = ensure_scorecard(session, team_id=TEAM, meeting_id=world.held_meeting_id, now=NOW)
    assert card is not None
    world.scorecard_id = card.id or 0
    rate_scorecard(
        session,
        team_id=TEAM,
        user_id=mentee,
        scorecard_id=world.scorecard_id,
        dimension="clarity",
        score=7,
        now=NOW,
    )
    key = competencies_key(COMPETENCIES)
    for user_id, scores in ((mentee, {0: "2", 1: "4"}), (mentor, {0: "4", 1: "4"})):
        submit_scores(
            session,
            team_id=TEAM,
            user_id=user_id,
            pairing_id=world.pairing_id,
            round_=1,
            answers=scores,
            key=key,
            now=NOW,
        )
    world.resource_id = (
        add_resource(
            session,
            team_id=TEAM,
            user_id=mentee,
            goal_id=world.agreed_goal_id,
            form=ResourceForm(
                title="Running a directors review", url="https://example.com/r", kind="article"
            ),
            now=NOW,
        ).id
        or 0
    )
    world.task_id = (
        add_task(
            session,
            team_id=TEAM,
            user_id=mentee,
            goal_id=world.agreed_goal_id,
            form=TaskForm(title="Present the deck to my team", due_date=date(2026, 3, 13)),
            today=today,
            now=NOW,
        ).id
        or 0
    )
    world.note_id = (
        add_note(
            session,
            team_id=TEAM,
            user_id=mentee,
            pairing_id=world.pairing_id,
            body=f"Bob's tip: lead with the ask {SECRET}",
            now=NOW,
        ).id
        or 0
    )
    world.document_id = (
        add_document(
            session,
            team_id=TEAM,
            user_id=mentor,
            pairing_id=world.pairing_id,
            title="Review deck",
            url="https://docs.example.com/d/review",
            now=NOW,
        ).id
        or 0
    )
    world.open_request_id = ask_for_feedback(
        session,
        team_id=TEAM,
        user_id=mentee,
        colleague_user_id=USER[Who.COLLEAGUE],
        pairing_id=world.pairing_id,
        goal_id=world.agreed_goal_id,
        question="How did my roadmap review land?",
        now=NOW,
    ).id
    answered = ask_for_feedback(
        session,
        team_id=TEAM,
        user_id=mentee,
        colleague_user_id=ANSWERED_COLLEAGUE,
        pairing_id=world.pairing_id,
        goal_id=None,
        question="Was my update clear?",
        now=NOW,
    ).id
    answer_request(
        session,
        team_id=TEAM,
        user_id=ANSWERED_COLLEAGUE,
        request_id=answered,
        does_well=f"Crisp numbers {SECRET}",
        to_change="Shorter intro.",
        rating="4",
        now=NOW,
    )
    world.answered_request_id = answered


def _other_pair_data(session: Any, world: World) -> None:
    mentee = USER[Who.OTHER_MENTEE]
    pairing = session.get(Pairing, world.other_pairing_id)
    program = session.get(Program, world.program_id)
    goal = submit_goal_form(
        session,
        team_id=TEAM,
        user_id=mentee,
        pairing_id=world.other_pairing_id,
        goal_id=None,
        form=GoalForm(
            statement="Lead the design review for the billing rewrite this spring",
            success_criteria="The review ends with a decision the team keeps.",
            due_date=date(2026, 5, 29),
        ),
        today=NOW.date(),
        now=NOW,
    )
    world.other_goal_id = goal.goal.goal.id or 0
    change = schedule_session(
        session,
        pairing=pairing,
        program=program,
        by_user_id=mentee,
        tz="UTC",
        form=ScheduleForm(day=NEXT_DAY, at=time(11, 0), length="60"),
        meeting_id=None,
        now=NOW,
    )
    world.other_meeting_id = change.meeting_id
    [item] = add_agenda_items(
        session,
        pairing=pairing,
        meeting_id=world.other_meeting_id,
        items=[f"Billing rewrite: who decides? {OTHER_SECRET}"],
        source=AgendaSource.MENTEE,
        author_user_id=mentee,
        now=NOW,
    )
    world.other_agenda_item_id = item.id or 0
    add_note(
        session,
        team_id=TEAM,
        user_id=USER[Who.OTHER_MENTOR],
        pairing_id=world.other_pairing_id,
        body=f"Ben's note for Bea {OTHER_SECRET}",
        now=NOW,
    )


# --- what a request did, seen from Slack ---------------------------------------------------------

APOLOGIES = (APOLOGY, SLACK_TROUBLE, SLOW_SLACK)
# Web API methods that only read: they show nothing to anyone and change nothing.
READS = frozenset({"users.info", "auth.test", "conversations.info", "files.getUploadURLExternal"})
# Methods that put words in a conversation (anything else shows them to the actor alone).
MESSAGES = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.update", "files.completeUploadExternal"}
)


@dataclass
class Verdict:
    """What the person was shown, and every Slack call that reached someone else."""

    shown: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    # Calls that changed something in Slack beyond an answer to the person who acted.
    stray: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """Whether the person was told no (a warning, or an error under a field)."""
        return bool(self.problems)

    @property
    def apologies(self) -> list[str]:
        """What the person was told that is a failure of the bot, not an answer."""
        return [t for t in self.shown + self.problems if any(a in t for a in APOLOGIES)]


def _text_of(message: dict[str, Any]) -> str:
    found = str(message.get("text") or "")
    for block in message.get("blocks") or []:
        section = block.get("text") if isinstance(block, dict) else None
        if isinstance(section, dict) and section.get("text"):
            found = found or str(section["text"])
    return found


def judge(seen: Seen) -> Verdict:
    """Sort what ``seen`` did into answers to its person and calls that reached anyone else."""
    verdict = Verdict()
    me, dm = seen.user_id, conversation_id_for([seen.user_id])

    def show(text: str) -> None:
        verdict.shown.append(text)
        if text.startswith(":warning:"):
            verdict.problems.append(text)

    ack = seen.ack()
    if ack.get("response_action") == "errors":
        verdict.problems += [str(v) for v in dict(ack.get("errors") or {}).values()]
    elif ack.get("response_action"):
        verdict.shown.append(f"(the modal: {ack['response_action']})")
    elif ack.get("text"):
        show(str(ack["text"]))
    for call in seen.calls:
        params, method = call.params, call.method
        if method in READS:
            continue
        answer_to_me = {
            "response_url": params.get("response_url") == seen.response_url,
            "chat.postEphemeral": params.get("user") == me,
            "chat.postMessage": params.get("channel") in (me, dm),
        }
        if answer_to_me.get(method):
            show(_text_of(params))
        elif method == "conversations.open" and str(params.get("users")) == me:
            continue
        elif method in ("views.open", "views.push"):
            view = params.get("view") or {}
            if view.get("callback_id") == CallbackId.NOTICE:
                show(_text_of({"blocks": view.get("blocks") or []}))
            else:
                verdict.opened.append(str(view.get("callback_id")))
        elif method == "views.publish" and params.get("user_id") == me:
            verdict.shown.append("(their Home tab)")
        elif method == "files.completeUploadExternal" and params.get("channel_id") == dm:
            verdict.shown.append("(a file in their DM)")
        else:
            verdict.stray.append(f"{method} {json.dumps(params, default=str)[:300]}")
    return verdict


def leaks(seen: Seen) -> list[str]:
    """Calls that carry a pair's words (pair A's or pair B's) to anyone outside that pair."""
    found = []
    for words, pair in ((SECRET, PAIR_A), (OTHER_SECRET, PAIR_B)):
        people = {USER[who] for who in pair}
        places = people | {conversation_id_for([u]) for u in people} | {conversation_id_for(people)}
        for call in seen.calls:
            params = call.params
            if words not in json.dumps(params, default=str):
                continue
            if call.method in MESSAGES:
                to = params.get("channel") or params.get("channel_id")
                if to in places and params.get("user", next(iter(people))) in people:
                    continue
            elif seen.user_id in people:
                continue  # a modal, a Home tab or an answer: the actor's own screen
            found.append(f"{call.method}: {words}")
    return found


# --- whose rows ---------------------------------------------------------------------------------


def _owners(rows: Rows) -> dict[str, dict[Any, Any]]:
    return {
        "goal_id": {r["id"]: r["pairing_id"] for r in rows["goal"]},
        "meeting_id": {r["id"]: r["pairing_id"] for r in rows["meeting"]},
        "assessment_id": {r["id"]: r["pairing_id"] for r in rows["skillassessment"]},
    }


def _pairing_of(table: str, row: dict[str, Any], owners: dict[str, dict[Any, Any]]) -> Any:
    if table == "pairing":
        return row["id"]
    if row.get("pairing_id") is not None:
        return row["pairing_id"]
    for column, owner in owners.items():
        if row.get(column) is not None:
            return owner.get(row[column])
    return None


def rows_of(rows: Rows, *, pairing_ids: set[int], program_ids: set[int]) -> Rows:
    """The rows that belong to ``pairing_ids`` or to ``program_ids``."""
    owners = _owners(rows)
    kept: Rows = {}
    for table, found in rows.items():
        kept[table] = [
            row
            for row in found
            if _pairing_of(table, row, owners) in pairing_ids
            or (table == "program" and row["id"] in program_ids)
            or row.get("program_id") in program_ids
        ]
    return kept


def changed(before: Rows, after: Rows) -> dict[str, str]:
    """Per table, a short account of what differs (empty when nothing does)."""
    found = {}
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, []), after.get(table, [])
        if old != new:
            gone = [r for r in old if r not in new]
            added = [r for r in new if r not in old]
            found[table] = (
                f"-{json.dumps(gone, default=str)[:400]} +{json.dumps(added, default=str)[:400]}"
            )
    return found
