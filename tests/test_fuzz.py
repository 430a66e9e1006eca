"""Property-based tests of what people and forgers can send: random ``/mentor`` text, mutated
clicks, random modal states and random events, through the real Bolt app over HTTP.

Every answer is 200 with a clear message, 400 or 401: never a 500, a stack trace (an error logged
with its traceback) or a fault apologised for; a refused click or submission stores nothing.

The clicks and modals fuzzed are the real ones: a tour of the bot (every Home tab, every
subcommand, then every element pressed, breadth first) collects what each screen offers, with the
database as it was when the screen was shown; each example starts from that database again.
"""

import copy
import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import App
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from bot.commands import Subcommand
from bot.deps import Deps
from bot.sandbox import slack_double
from bot.sandbox.demo_digest import seed_cohort
from bot.sandbox.slack_double import SlackDouble
from bot.services.outside_feedback import ask_for_feedback
from bot.services.pairing import run_matching
from bot.views.outside_feedback import build_request_dm
from bot.views.surveys import build_survey_prompt
from bot.wiring.app import build_app
from handlers.commands import CommandRouter
from handlers.listeners import APOLOGY, Routes
from scheduler.delivery import Deliverer, Pacer
from scheduler.tick import tick
from storage.db import session_scope
from storage.enums import MeetingStatus, ProgramStatus, Role, SurveyKind, Visibility
from storage.models import (
    AgendaItem,
    Invitation,
    LearningResource,
    Meeting,
    Milestone,
    PairDocument,
    PairNote,
    Participant,
    PracticeTask,
    Program,
    Scorecard,
)
from tests.blockkit import assert_valid_view
from tests.harness import Response, Settle, SlackToBot
from tests.pairs import MENTEE, MENTOR, OUTSIDER, TEAM, make_pair

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the clock fixture's moment
LEAD = "UADMIN"
NEWCOMER, SPARE_MENTOR, OTHER_MENTOR = "U0004", "U0005", "U0006"
STRANGER = "U0NOBODY9"  # not in the workspace
EVERYONE = (MENTEE, MENTOR, OUTSIDER, LEAD, NEWCOMER, SPARE_MENTOR, OTHER_MENTOR)
SPRING, SUMMER, AUTUMN, WINTER = "Spring cohort", "Summer cohort", "Autumn cohort", "Winter cohort"
# Tables a read may write: the cache of Slack profiles, refreshed when Slack is asked.
CACHES = frozenset({"slackuser"})
# What a person must never read: internals, or a fault apologised for.
LEAKS = re.compile(r"Traceback|\b[A-Za-z]+(Error|Exception)\b|\bNone\b|File \"")


def fuzz(examples: int) -> settings:
    """Hypothesis settings for a test that reuses its (function-scoped) running bot."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# --- waiting for the work after the ack, and going back to a saved database -----------------------


class States:
    """Saved contents of the SQLite file, to put the world back as it was after a step."""

    def __init__(self, engine: Engine) -> None:
        self.path = str(engine.url.database)
        self._saved: list[sqlite3.Connection] = []
        self._current = -1
        # PRAGMA data_version moves when another connection commits a change.
        self._watch = sqlite3.connect(self.path, check_same_thread=False)
        self._version = self._data_version()

    def _data_version(self) -> int:
        return int(self._watch.execute("PRAGMA data_version").fetchone()[0])

    def save(self) -> int:
        """Save the database as it is now; its number, for ``restore``."""
        saved = sqlite3.connect(":memory:", check_same_thread=False)
        with closing(sqlite3.connect(self.path)) as live:
            live.backup(saved)
        self._saved.append(saved)
        self._version = self._data_version()
        self._current = len(self._saved) - 1
        return self._current

    def restore(self, state: int) -> None:
        """Put saved ``state`` back (unless nothing changed it since)."""
        if state == self._current and not self.changed():
            return
        with closing(sqlite3.connect(self.path)) as live:
            self._saved[state].backup(live)
        self._version = self._data_version()
        self._current = state

    def changed(self) -> bool:
        """Whether the bot committed a change since the last save or restore."""
        return self._data_version() != self._version

    def close(self) -> None:
        """Let the saved copies go."""
        for saved in [*self._saved, self._watch]:
            saved.close()


def rows(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table but the caches, to compare before and after."""
    found = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in CACHES:
                found[table.name] = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
    return found


def changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    """The tables whose rows differ, with what was added and what went."""
    return {
        name: {
            "added": sorted(set(after[name]) - set(before[name]))[:3],
            "gone": sorted(set(before[name]) - set(after[name]))[:3],
        }
        for name in before
        if before[name] != after[name]
    }


# --- what the app registers -----------------------------------------------------------------------


@dataclass
class Registered:
    """The app's subcommands and modal callback ids, as build_app registers them."""

    subcommands: list[Subcommand] = field(default_factory=list)
    callbacks: list[str] = field(default_factory=list)


def registered(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> Registered:
    """What build_app registers, spied on: a new subcommand or modal is fuzzed without a word."""
    found = Registered()
    add, route = CommandRouter.add, Routes.add

    def spy_add(router: CommandRouter, subcommand: Subcommand, *args: Any, **kw: Any) -> None:
        found.subcommands.append(subcommand)
        add(router, subcommand, *args, **kw)

    def spy_route(routes: Routes, constraint: Any, listener: Any) -> None:
        # Forms by their callback ids, not the catch-all for forms of older versions.
        if routes.kind == "view" and isinstance(constraint, str):
            found.callbacks.append(constraint)
        route(routes, constraint, listener)

    with monkeypatch.context() as patch:
        patch.setattr(CommandRouter, "add", spy_add)
        patch.setattr(Routes, "add", spy_route)
        spare = build_app(deps)
    spare.listener_runner.listener_executor.shutdown(wait=False)
    return found


# --- a world with something behind every button ---------------------------------------------------


def _enrich(engine: Engine, slack: SlackDouble, deps: Deps) -> None:
    """The pair of tests/pairs.py with sessions, a scorecard, plans, notes and an outside request;
    a seeded cohort with red flags; a program taking sign-ups, with proposals; an invitation-only
    one; then the prompts due now go out, and two the scheduler sends on other days."""
    for user, name in ((NEWCOMER, "dan"), (SPARE_MENTOR, "eve"), (OTHER_MENTOR, "fay")):
        slack.add_user(user, name=name, real_name=name.title(), tz="Europe/Paris")
    pair = make_pair(engine, slack)
    with session_scope(engine) as session:
        seed_cohort(session, pairs=6, now=NOW, name=AUTUMN, lead=LEAD, digest_channel_id=None)
        meetings = [
            Meeting(
                team_id=TEAM,
                pairing_id=pair.pairing_id,
                status=MeetingStatus.HELD,
                scheduled_start=NOW - timedelta(days=2),
                held_at=NOW - timedelta(days=2),
                minutes_held=60,
                logged_by=MENTEE,
            ),
            Meeting(
                team_id=TEAM,
                pairing_id=pair.pairing_id,
                scheduled_start=NOW - timedelta(hours=3),
                scheduled_by=MENTEE,
            ),
            Meeting(
                team_id=TEAM,
                pairing_id=pair.pairing_id,
                scheduled_start=NOW + timedelta(days=3),
                scheduled_by=MENTEE,
            ),
        ]
        session.add_all(meetings)
        session.flush()
        past, _, future = meetings
        goal, pairing_id = pair.agreed_goal_id, pair.pairing_id
        session.add_all(
            [
                Scorecard(
                    team_id=TEAM,
                    pairing_id=pairing_id,
                    meeting_id=past.id or 0,
                    mentee_user_id=MENTEE,
                ),
                Milestone(team_id=TEAM, goal_id=goal, title="Draft the deck", due_date=NOW.date()),
                LearningResource(
                    team_id=TEAM,
                    goal_id=goal,
                    title="A book",
                    url="https://example.com/b",
                    added_by=MENTEE,
                ),
                PracticeTask(team_id=TEAM, goal_id=goal, title="A mock review"),
                PairDocument(
                    team_id=TEAM,
                    pairing_id=pairing_id,
                    title="Deck",
                    url="https://example.com/d",
                    added_by=MENTOR,
                ),
                PairNote(team_id=TEAM, pairing_id=pairing_id, author_user_id=MENTEE, body="Hi"),
                AgendaItem(
                    team_id=TEAM,
                    pairing_id=pairing_id,
                    meeting_id=future.id,
                    text="The deck",
                    added_by=MENTEE,
                ),
            ]
        )
        request = ask_for_feedback(
            session,
            team_id=TEAM,
            user_id=MENTEE,
            colleague_user_id=OUTSIDER,
            pairing_id=pairing_id,
            goal_id=None,
            question="How did my demo land?",
            now=NOW,
        )
        for name, visibility in ((SUMMER, Visibility.OPEN), (WINTER, Visibility.INVITATION)):
            program = Program(
                team_id=TEAM,
                name=name,
                status=ProgramStatus.ENROLLING,
                visibility=visibility,
                start_date=date(2026, 4, 1),
                competencies=["Negotiation"],
                created_by=LEAD,
            )
            session.add(program)
            session.flush()
            for user, role in (
                (NEWCOMER, Role.MENTEE),
                (SPARE_MENTOR, Role.MENTOR),
                (OTHER_MENTOR, Role.MENTOR),
            ):
                session.add(
                    Participant(
                        team_id=TEAM,
                        program_id=program.id or 0,
                        user_id=user,
                        role=role,
                        skills=[{"skill": "Negotiation", "score": 2}],
                        interests=["chess"],
                    )
                )
            session.add(
                Invitation(
                    team_id=TEAM, program_id=program.id or 0, user_id=OUTSIDER, invited_by=LEAD
                )
            )
            session.flush()
            run_matching(session=session, program=program, now=NOW)
    tick(deps, Deliverer(deps, worker="fuzz", pacer=Pacer(sleep=lambda _: None)))
    deps.gateway.post_message(OUTSIDER, build_request_dm(request, tz="UTC"))
    for person, partner in ((MENTEE, MENTOR), (MENTOR, MENTEE)):
        prompt = build_survey_prompt(
            SurveyKind.MIDPOINT,
            pairing_id=pair.pairing_id,
            mentee_user_id=MENTEE,
            program_name=SPRING,
            partner_user_id=partner,
        )
        deps.gateway.post_message(person, prompt)


# --- the running bot, and what it told people -----------------------------------------------------


class _Errors(logging.Handler):
    """Keeps every record at ERROR: a listener that failed logs one, with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class World:
    """The running bot in the enriched world, and the means to wait, to reset and to check."""

    def __init__(
        self,
        bot: SlackToBot,
        slack: SlackDouble,
        engine: Engine,
        settle: Settle,
        states: States,
        found: Registered,
        errors: _Errors,
    ) -> None:
        self.bot, self.slack, self.engine = bot, slack, engine
        self.settle, self.states, self.found, self.errors = settle, states, found, errors

    def __repr__(self) -> str:
        # Hypothesis prints the arguments of a failing example: the bot is not one.
        return "World()"

    def reset(self, state: int = 0) -> int:
        """Back to a saved world, with nothing running; the number of Slack calls so far."""
        self.settle()
        self.states.restore(state)
        self.errors.records.clear()
        return len(self.slack.calls)

    def post(self, payload: Any) -> Response:
        """A signed interaction payload, as Slack posts it."""
        return self.bot.post(urlencode({"payload": json.dumps(payload)}))

    def shown_to(self, user: str, since: int) -> list[Any]:
        """Everything the bot showed ``user`` privately since call number ``since``."""
        dm = {user, self.slack.dm_channel_id(user)}
        shown = []
        for call in self.slack.calls[since:]:
            p = call.params
            modal_or_answer = call.method in ("response_url", "views.open", "views.push")
            ephemeral = call.method == "chat.postEphemeral" and p.get("user") == user
            in_dm = call.method in ("chat.postMessage", "chat.update") and p.get("channel") in dm
            if modal_or_answer or call.method == "views.update" or ephemeral or in_dm:
                shown.append(p)
        return shown

    def check(self, user: str | None, since: int) -> None:
        """No listener failed, and nothing shown to ``user`` leaks internals or apologises."""
        faults = [
            f"{r.name}: {r.getMessage()}\n{logging.Formatter().formatException(r.exc_info)}"
            if r.exc_info
            else f"{r.name}: {r.getMessage()}"
            for r in self.errors.records
        ]
        assert not faults, "\n".join(faults)
        for shown in self.shown_to(user, since) if user else []:
            text = json.dumps(shown, ensure_ascii=False)
            assert not LEAKS.search(text), text[:600]
            assert APOLOGY not in text, text[:600]


@pytest.fixture
def world(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    app: App,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    """The enriched world, every Home tab drawn once (the profile cache warm), saved as state 0."""
    _enrich(engine, slack, deps)
    found = registered(deps, monkeypatch)
    settle = Settle(monkeypatch, app.listener_runner.listener_executor, deps.background)
    for person in EVERYONE:
        bot.event(slack_double.app_home_opened_event(person))
    settle()
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    states = States(engine)
    states.save()
    try:
        yield World(bot, slack, engine, settle, states, found, errors)
    finally:
        settle()
        logging.getLogger().removeHandler(errors)
        states.close()


# --- the tour: every screen the bot shows, and every element on it --------------------------------

CLICKABLE = frozenset(
    {
        "button",
        "overflow",
        "static_select",
        "radio_buttons",
        "checkboxes",
        "multi_static_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "datepicker",
        "timepicker",
    }
)


@dataclass(frozen=True)
class Shown:
    """A modal, Home tab or message the bot showed ``user``, and the database it was shown in."""

    user: str
    state: int
    view: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    channel: str = ""
    ephemeral: bool = False


@dataclass(frozen=True)
class Press:
    """One element used where it was shown: ``action`` is what Slack sends as actions[0]."""

    shown: Shown
    action: dict[str, Any]

    def payload(self, slack: SlackDouble) -> dict[str, Any]:
        """The block_actions payload Slack would send, with a fresh trigger and response_url."""
        shown = self.shown
        fields = {k: v for k, v in self.action.items() if k not in ("action_id", "value")}
        container = None
        if shown.view is None:
            container = {
                "type": "message",
                "message_ts": (shown.message or {}).get("ts", ""),
                "channel_id": shown.channel,
                "is_ephemeral": shown.ephemeral,
            }
        return slack_double.block_actions_payload(
            self.action["action_id"],
            self.action.get("value"),
            user_id=shown.user,
            block_id=self.action.get("block_id", "actions"),
            action_type=self.action["type"],
            action_fields=fields,
            view=shown.view,
            message=shown.message,
            container=container,
            channel_id=shown.channel or slack_double.DEFAULT_CHANNEL_ID,
            # Not tied to the modal: the fuzz presses many buttons of one modal without closing
            # what each pushed, and Slack's stack holds three.
            trigger_id=slack.new_trigger_id(),
            response_url=slack.new_response_url(),
        )


def _actions(block_id: str, element: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """What Slack sends for each way of using ``element``."""
    base = {"action_id": element["action_id"], "block_id": block_id, "type": element["type"]}
    kind = element["type"]
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    if kind == "button":
        yield {**base, **({"value": element["value"]} if "value" in element else {})}
    elif kind in ("overflow", "static_select", "radio_buttons"):
        for option in options:
            yield {**base, "selected_option": option}
    elif kind in ("checkboxes", "multi_static_select"):
        yield {**base, "selected_options": options[:1]}
    elif kind == "users_select":
        yield {**base, "selected_user": MENTOR}
    elif kind in ("conversations_select", "channels_select"):
        yield {**base, "selected_conversation": "C0001", "selected_channel": "C0001"}
    elif kind == "datepicker":
        yield {**base, "selected_date": "2026-03-20"}
    elif kind == "timepicker":
        yield {**base, "selected_time": "10:00"}


def presses_in(shown: Shown) -> Iterator[Press]:
    """Every interactive element of a view or message, each way of using it."""
    body = shown.view if shown.view is not None else shown.message or {}
    for block in body.get("blocks") or []:
        if block.get("type") == "actions":
            elements = block.get("elements", [])
        elif block.get("type") == "section" and block.get("accessory"):
            elements = [block["accessory"]]
        elif block.get("type") == "input" and block.get("dispatch_action"):
            elements = [block["element"]]
        else:
            continue
        for element in elements:
            if element.get("action_id") and element.get("type") in CLICKABLE:
                for action in _actions(str(block.get("block_id", "")), element):
                    yield Press(shown, action)


class _Harvest:
    """What appeared in the Slack double since the last look, and whom it was shown to."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.views: dict[str, str] = {}
        self.messages: set[tuple[str, str]] = set()
        self.calls = 0

    def _new_views(self) -> list[dict[str, Any]]:
        # Only the views new or changed since the last look are copied.
        changed = self.world.slack.views_changed(self.views)
        self.views.update({view["id"]: view["hash"] for view in changed})
        return changed

    def __call__(self, actor: str, state: int) -> list[Shown]:
        slack = self.world.slack
        calls = slack.calls[self.calls :]
        self.calls += len(calls)
        homes = {str(c.params["user_id"]) for c in calls if c.method == "views.publish"}
        home_ids = {(slack.home_view(p) or {}).get("id"): p for p in homes}
        new = [Shown(home_ids.get(v["id"], actor), state, view=v) for v in self._new_views()]
        channels = {str(c.params.get("channel")) for c in calls if c.method == "chat.postMessage"}
        for channel in sorted(channels):
            owner = next((p for p in EVERYONE if channel in (p, slack.dm_channel_id(p))), None)
            where = slack.dm_channel_id(owner) if owner else channel
            for message in slack.messages(where):
                if (where, message["ts"]) in self.messages:
                    continue
                self.messages.add((where, message["ts"]))
                # A channel's message (an announcement) is pressed by whoever reads it.
                for reader in [owner] if owner else [actor, OUTSIDER]:
                    new.append(Shown(reader, state, message=message, channel=where))
        for call in calls:
            if call.method == "response_url" and call.params.get("blocks"):
                message = {**call.params, "ts": "1.000001"}
                new.append(Shown(actor, state, message=message, channel="C0001", ephemeral=True))
        return new


class Tour:
    """What the tour found: every element to press, and every modal to fill, by callback id."""

    def __init__(self) -> None:
        self.presses: list[Press] = []
        self.modals: dict[str, list[Shown]] = {}

    def __repr__(self) -> str:
        return f"Tour({len(self.presses)} presses, {len(self.modals)} modals)"


def _tails(sub: Subcommand) -> list[str]:
    """What to type after a subcommand, from its usage line: a program, a partner, an action."""
    if sub.name == "program":
        return ["new", "list", *(f"{action} {SUMMER}" for action in ("edit", "announce"))]
    tails = [""]
    if "PROGRAM" in sub.usage:
        tails += [SPRING, SUMMER]
    if "@partner" in sub.usage:
        tails.append("<@U0002|bob>")
    if "@colleague" in sub.usage:
        tails.append("<@U0004|dan> How did my demo land?")
    return tails


def _kind(press: Press) -> str:
    return re.sub(r"[:_]?\d+$", "", press.action["action_id"])


def take_tour(world: World, *, limit: int = 300) -> Tour:
    """Type every subcommand, then press what they, the DMs and the Home tabs showed, breadth
    first, each from the database its screen was shown in, until every registered modal has
    been seen (or ``limit`` steps)."""
    tour = Tour()
    harvest = _Harvest(world)
    presses: list[Press] = []
    commands = [
        (person, f"{sub.name} {tail}".strip())
        for sub in world.found.subcommands
        for person in ((LEAD,) if sub.lead_only else (MENTEE, MENTOR, OUTSIDER))
        for tail in _tails(sub)
    ]
    wanted = set(world.found.callbacks)

    def look(actor: str, state: int) -> None:
        if world.states.changed():
            state = world.states.save()
        for shown in harvest(actor, state):
            found = list(presses_in(shown))
            presses.extend(found)
            tour.presses.extend(found)
            if shown.view is not None and shown.view.get("type") == "modal":
                tour.modals.setdefault(str(shown.view.get("callback_id")), []).append(shown)

    look(LEAD, 0)
    pressed: dict[tuple[str, str, str], int] = {}
    kinds: dict[str, int] = {}
    steps = 0
    while (presses or commands) and steps < limit:
        if wanted <= set(tour.modals):
            break
        if commands:
            actor, text = commands.pop(0)
            world.reset(0)
            world.bot.command(
                text,
                user_id=actor,
                response_url=world.slack.new_response_url(),
                trigger_id=world.slack.new_trigger_id(),
            )
            state = 0
        else:
            # The kind of element pressed least so far first (rating buttons differ only by
            # their number), at most twice per person, kind and place.
            press = min(presses, key=lambda p: kinds.get(_kind(p), 0))
            presses.remove(press)
            place = str((press.shown.view or {}).get("callback_id", "message"))
            key = (press.shown.user, _kind(press), place)
            if pressed.get(key, 0) >= 2:
                continue
            pressed[key] = pressed.get(key, 0) + 1
            kinds[_kind(press)] = kinds.get(_kind(press), 0) + 1
            world.reset(press.shown.state)
            world.post(press.payload(world.slack))
            actor, state = press.shown.user, press.shown.state
        steps += 1
        world.settle()
        look(actor, state)
    return tour


@pytest.fixture
def toured(world: World) -> tuple[World, Tour]:
    """The world, after a tour that saw every registered modal."""
    return world, take_tour(world)


# --- /mentor with random text ---------------------------------------------------------------------

MENTIONS = st.sampled_from(
    [
        "<@U0002|bob>",
        "<@U0001>",
        "<@U9NOPE|x>",
        "<#C0001|general>",
        "<#C9|c>",
        "<!subteam^S1|@team>",
        "<!here>",
        "<!channel>",
        "@bob",
        "#general",
        "<https://example.com|click>",
    ]
)
ODD = st.sampled_from(
    [
        "2026-02-30",
        "2026-13-01",
        "1999-01-01",
        "9999-12-31",
        "25:99",
        "-1",
        "0",
        str(10**30),
        "1e309",
        "NaN",
        "payload",
        "payload={}",
        SPRING,
        f'"{SPRING}"',
        "'unbalanced",
        '"',
        "\u202e\u0000",
        "😀" * 30,
        "x" * 4000,
        "",
    ]
)


def _words(found: Registered) -> list[str]:
    """Subcommand names and the words of their usage lines (``program new | list …``)."""
    words = {s.name for s in found.subcommands}
    for s in found.subcommands:
        words.update(w for w in re.split(r"[^a-z-]+", s.usage.lower()) if len(w) > 1)
    return sorted(words)


@given(data=st.data())
@fuzz(120)
def test_random_command_text_gets_a_clear_private_answer(world: World, data: st.DataObject) -> None:
    since = world.reset()
    names = [s.name for s in world.found.subcommands]
    head = data.draw(st.sampled_from([*names, "", "HELP", "Goals"]))
    pieces = st.one_of(st.sampled_from(_words(world.found)), MENTIONS, ODD, st.text(max_size=40))
    text = " ".join([head, *data.draw(st.lists(pieces, max_size=5))])
    if LEAKS.search(text):
        return  # the answer may quote the person's own words
    user = data.draw(st.sampled_from([*EVERYONE[:4], STRANGER]))
    url, trigger = world.slack.new_response_url(), world.slack.new_trigger_id()
    response = world.bot.command(text, user_id=user, response_url=url, trigger_id=trigger)
    assert response.status == 200, (text, response)
    world.settle()
    answers = [response.json()] if response.body else []
    for call in world.slack.calls[since:]:
        p = call.params
        if call.method == "response_url" and p.get("response_url") == url:
            answers.append(p)
        elif call.method in ("views.open", "views.push") and p.get("trigger_id") == trigger:
            answers.append(p["view"])
        elif call.method in ("chat.postEphemeral", "chat.postMessage") and user in (
            p.get("user"),
            p.get("channel"),
        ):
            answers.append(p)
    assert answers, f"/mentor {text!r} by {user}: no answer"
    world.check(user, since)
    for answer in answers:
        assert not LEAKS.search(json.dumps(answer, ensure_ascii=False)), answer


# --- clicks: real payloads, mutated ---------------------------------------------------------------

JUNK_IDS = st.sampled_from(
    ["-1", "0", "-0", str(10**30), str(-(10**30)), "99999", "1.5", "1e3", "", " ", "null", "x"]
)
# Numbers no row has as its id (a junk value naming another real row would be a real click).
NO_ID = st.one_of(st.integers(max_value=0), st.integers(min_value=10**6))
JUNK = st.one_of(
    JUNK_IDS,
    st.text(st.characters(exclude_categories=["Nd"]), max_size=30),
    NO_ID,
    st.lists(NO_ID, max_size=2),
    st.dictionaries(st.sampled_from(["a", "id", "value"]), NO_ID, max_size=2),
    st.none(),
    st.booleans(),
)
# Paths whose loss or wrong type no listener may survive on (Slack always sends them).
ESSENTIAL: tuple[tuple[str | int, ...], ...] = (
    ("actions",),
    ("actions", 0),
    ("user",),
    ("user", "id"),
    ("type",),
)


def _paths(node: Any, at: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every path into a JSON value (dict keys and list indices)."""
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        yield (*at, key)
        yield from _paths(child, (*at, key))


def _set(payload: Any, path: tuple[str | int, ...], value: Any, *, drop: bool = False) -> None:
    *parents, last = path
    node = payload
    for key in parents:
        node = node[key]
    if drop:
        del node[last]
    else:
        node[last] = value


def _related(a: tuple[str | int, ...], b: tuple[str | int, ...]) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def _meaning(value: Any) -> Any:
    """What a listener would read from a value: its option's value, as a number if it is one."""
    if isinstance(value, dict):
        value = value.get("value")
    elif isinstance(value, list):
        value = [_meaning(v) for v in value]
    text = str(value).strip()
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else text


@st.composite
def mutated(draw: st.DrawFn, payload: dict[str, Any]) -> tuple[str, str]:
    """A click payload broken one way that makes it invalid (the value, the ids in it, the
    modal's metadata with it, an essential key, or the JSON cut short), plus up to two random
    drops or type changes anywhere else; the form-encoded body and what was broken."""
    payload = copy.deepcopy(payload)
    action = payload["actions"][0]
    field = next(
        (
            k
            for k in ("value", "selected_option", "selected_options", "selected_user")
            if k in action
        ),
        "value",
    )
    kind = draw(st.sampled_from(["truncate", "value", "ids", "metadata", "structure"]))
    broken: list[tuple[str | int, ...]] = [("actions", 0, field)]
    if kind in ("value", "metadata"):
        original = _meaning(action.get(field))
        action[field] = draw(JUNK.filter(lambda junk: _meaning(junk) != original))
        if kind == "metadata" and isinstance(payload.get("view"), dict):
            payload["view"]["private_metadata"] = draw(
                st.one_of(st.text(max_size=40), JUNK.map(json.dumps))
            )
            broken.append(("view", "private_metadata"))
    elif kind == "ids":
        text = json.dumps(action.get(field), ensure_ascii=False)
        number = draw(st.sampled_from(["-1", "0", str(10**30), "99999", "-99999"]))
        changed = re.sub(r"\d+", number, text)
        action[field] = json.loads(changed) if changed != text else draw(JUNK)
    elif kind == "structure":
        path = draw(st.sampled_from(ESSENTIAL))
        _set(payload, path, draw(JUNK), drop=draw(st.booleans()))
        broken = [path]
    for _ in range(draw(st.integers(0, 2))):
        paths = [p for p in _paths(payload) if not any(_related(p, b) for b in broken)]
        if not paths:
            break
        _set(payload, draw(st.sampled_from(paths)), draw(JUNK), drop=draw(st.booleans()))
    text = json.dumps(payload, default=str)
    if kind == "truncate":
        text = text[: draw(st.integers(0, len(text) - 1))]
    return urlencode({"payload": text}), kind


@given(data=st.data())
@fuzz(80)
def test_mutated_clicks_are_refused_without_a_fault_and_change_nothing(
    toured: tuple[World, Tour], data: st.DataObject
) -> None:
    world, tour = toured
    press = data.draw(st.sampled_from(tour.presses))
    since = world.reset(press.shown.state)
    before = rows(world.engine)
    body, kind = data.draw(mutated(press.payload(world.slack)))
    response = world.bot.post(body)
    assert response.status in (200, 400, 401), (kind, response)
    assert "Traceback" not in response.body
    world.settle()
    assert changes(before, rows(world.engine)) == {}, (kind, press.action)
    world.check(press.shown.user, since)


# --- submissions: every registered modal, filled at random ----------------------------------------

TEXT_INPUTS = ("plain_text_input", "number_input", "url_text_input", "email_text_input")
ODD_TEXT = st.sampled_from(
    [
        *(" ", "\n\n", "<!channel>", "<@U0002>", "2026-02-30", "-1", "0", str(10**30), "1e309"),
        *("NaN", "https://example.com", "javascript:alert(1)", "x" * 3001, "😀" * 200, "\u0000"),
    ]
)
WRONG_ELEMENT = st.sampled_from(
    [
        {"type": "datepicker", "selected_date": "2026-03-10"},
        {"type": "plain_text_input", "value": "x"},
        {"type": "static_select", "selected_option": {"value": "x"}},
        {"type": "static_select", "selected_option": "x"},
        {"type": "checkboxes", "selected_options": "x"},
        {"type": "checkboxes", "selected_options": [1, None]},
        {"type": "multi_users_select", "selected_users": "U0001"},
        {"type": "timepicker", "selected_time": 930},
        {},
        "text",
        5,
        [1],
        None,
    ]
)
DATES = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(str),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)).map(str),
    st.sampled_from(["2026-02-30", "2026-13-01", "junk", "", "0000-00-00", "2026-3-5"]),
)
TIMES = st.one_of(
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.sampled_from(["25:99", "24:00", "9:5", "", "noon", "10:00:00", "-1:00"]),
)


def _inputs(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view.get("blocks", []) if b.get("type") == "input"]


def _right(element: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A value of the element's own shape: in range, out of range, or forged."""
    kind = element["type"]
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    forged = st.builds(
        lambda v: {"text": {"type": "plain_text", "text": "x"}, "value": v}, st.text(max_size=20)
    )
    option = st.one_of(st.sampled_from(options), forged) if options else forged
    people = st.sampled_from([*EVERYONE, STRANGER, "", "USLACKBOT", "B0BOT", "<!here>"])
    if kind in TEXT_INPUTS:
        limit = int(element.get("max_length", 3000))
        text = st.one_of(
            st.text(max_size=60),
            ODD_TEXT,
            st.integers(-(10**12), 10**12).map(str),
            st.text(min_size=1, max_size=5).map(lambda t: (t * (limit + 1))[: limit + 3]),
        )
        value: st.SearchStrategy[Any] = st.fixed_dictionaries({"value": st.one_of(text, st.none())})
    elif kind in ("static_select", "radio_buttons"):
        value = st.fixed_dictionaries({"selected_option": st.one_of(option, st.none())})
    elif kind in ("multi_static_select", "checkboxes"):
        value = st.fixed_dictionaries({"selected_options": st.lists(option, max_size=12)})
    elif kind == "datepicker":
        value = st.fixed_dictionaries({"selected_date": st.one_of(DATES, st.none())})
    elif kind == "timepicker":
        value = st.fixed_dictionaries({"selected_time": st.one_of(TIMES, st.none())})
    elif kind == "users_select":
        value = st.fixed_dictionaries({"selected_user": st.one_of(people, st.none())})
    elif kind == "multi_users_select":
        value = st.fixed_dictionaries({"selected_users": st.lists(people, max_size=12)})
    elif kind in ("conversations_select", "channels_select"):
        channel = st.sampled_from(["C0001", "C0NOPE", "D0001", "", "junk"])
        value = st.fixed_dictionaries(
            {"selected_conversation": st.one_of(channel, st.none()), "selected_channel": channel}
        )
    else:
        value = st.just({})
    return value.map(lambda v: {"type": kind, **v})


@st.composite
def filled(draw: st.DrawFn, view: dict[str, Any]) -> dict[str, Any]:
    """``state.values`` for ``view``: each input answered in its own shape most of the time,
    sometimes missing, sometimes in another element's shape or no shape at all."""
    values: dict[str, Any] = {}
    for block in _inputs(view):
        element = block["element"]
        roll = draw(st.integers(0, 19))
        if roll == 0:
            continue  # the block is missing
        if roll == 1:
            values[block["block_id"]] = draw(WRONG_ELEMENT)  # not even {action_id: element}
        else:
            shape = draw(WRONG_ELEMENT) if roll == 2 else draw(_right(element))
            values[block["block_id"]] = {element.get("action_id", "input"): shape}
    return values


@given(data=st.data())
@fuzz(80)
def test_random_modal_states_are_answered_inline_or_closed(
    toured: tuple[World, Tour], data: st.DataObject
) -> None:
    world, tour = toured
    callbacks = sorted(world.found.callbacks)
    unseen = set(callbacks) - set(tour.modals)
    assert not unseen, f"the tour never opened {unseen}: give it a way there (_enrich, _tails)"
    shown = data.draw(st.sampled_from(tour.modals[data.draw(st.sampled_from(callbacks))]))
    view = shown.view or {}
    since = world.reset(shown.state)
    metadata = view.get("private_metadata", "")
    if data.draw(st.integers(0, 9)) == 0:
        metadata = data.draw(st.one_of(st.text(max_size=40), JUNK.map(json.dumps)))
    payload = slack_double.view_submission_payload(
        str(view["callback_id"]),
        data.draw(filled(view)),
        user_id=shown.user,
        private_metadata=metadata,
        blocks=list(view.get("blocks", [])),
        view_id=view.get("id"),
        root_view_id=view.get("root_view_id"),
        previous_view_id=view.get("previous_view_id"),
    )
    if data.draw(st.integers(0, 19)) == 0:
        payload["view"]["state"] = data.draw(st.one_of(JUNK, st.just({"values": [1]})))
    before = rows(world.engine)
    response = world.post(payload)
    assert response.status == 200, response
    answer = response.json() if response.body else {}
    action = answer.get("response_action")
    world.settle()
    world.check(shown.user, since)
    if action == "errors":
        inputs = {str(b.get("block_id")) for b in _inputs(view)}
        assert answer["errors"], answer
        assert set(answer["errors"]) <= inputs, (answer, inputs)
        for text in answer["errors"].values():
            assert text.strip(), answer
            assert not LEAKS.search(text), text
            assert APOLOGY not in text, text
        assert changes(before, rows(world.engine)) == {}, answer
        return
    assert action in (None, "update", "push", "clear"), answer
    if action in ("update", "push"):
        assert_valid_view(answer["view"], surface="modal")
    # Told by DM why the form was refused (not a note the outbox sent later).
    refused = [
        s
        for s in world.shown_to(shown.user, since)
        if str(s.get("text", "")).startswith(":warning:") and "metadata" not in s
    ]
    if action is None and refused:
        assert changes(before, rows(world.engine)) == {}, refused


# --- events: app_home_opened and others, at random ------------------------------------------------

# Mostly the one event the bot subscribes to, whose handler does the work.
EVENT_TYPES = st.sampled_from(
    ["app_home_opened"] * 5 + ["message", "app_mention", "tokens_revoked", "", "x" * 300]
)
EVENT_KEYS = ("user", "tab", "channel", "view", "event_ts", "type")
ENVELOPE_KEYS = (
    "team_id",
    "event_id",
    "api_app_id",
    "authorizations",
    "event_time",
    "is_ext_shared_channel",
    "enterprise_id",
    "type",
    "event",
)


@st.composite
def random_events(draw: st.DrawFn) -> dict[str, Any]:
    """An Events API delivery: an app_home_opened (or another type) with fields dropped or of
    the wrong type, in an envelope with fields dropped or of the wrong type."""
    event = slack_double.app_home_opened_event(draw(st.sampled_from([*EVERYONE, STRANGER])))
    event["type"] = draw(EVENT_TYPES)
    event["tab"] = draw(st.sampled_from(["home", "home", "messages", ""]))
    body = slack_double.event_callback(event)
    for node, keys in ((body["event"], EVENT_KEYS), (body, ENVELOPE_KEYS)):
        for key in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)):
            if draw(st.booleans()):
                node.pop(key, None)
            else:
                node[key] = draw(JUNK)
    return body


@given(body=random_events(), again=st.booleans())
@fuzz(200)
def test_random_events_are_taken_or_refused_never_a_fault(
    world: World, body: dict[str, Any], again: bool
) -> None:
    since = world.reset()
    sent = json.dumps(body, default=str)
    for _ in range(2 if again else 1):  # Slack's retry of the same delivery
        response = world.bot.post(sent, content_type="application/json")
        assert response.status in (200, 400), response
        assert "Traceback" not in response.body
        world.settle()
    world.check(None, since)
