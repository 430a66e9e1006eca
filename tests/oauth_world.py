"""An OAuth-distributed bot over real HTTP against the Slack double, with two workspaces.

``oauth_world`` is the bot as ``mentorbot run --http`` runs it with ``SLACK_CLIENT_ID`` and
``SLACK_CLIENT_SECRET`` (no bot token), on a migrated SQLite file, with two workspaces that
installed it through the real OAuth dance: workspace A (``TEAM_A``, the double's default team,
so the harness's defaults speak for it) and workspace B (``TEAM_B``). Each has its own people,
channels, bot user and token; the double refuses any token it did not issue, and answers a call
about another workspace's person or channel as Slack does (``user_not_found``,
``channel_not_found``). ``oauth_world_empty`` is the same bot with nothing installed yet.

    def test_something(oauth_world: OAuthWorld) -> None:
        a, b = oauth_world.a, oauth_world.b
        b.bot.ask("status", user_id=b.people["carol"])      # signed, from workspace B
        oauth_world.slack.calls_to("chat.postMessage")[-1].team_id == TEAM_B

``World.install`` runs the dance (``GET /slack/install`` in an installer's browser, Slack's
consent screen, ``GET /slack/oauth_redirect``); ``World.add_workspace`` registers one more
workspace in the double with people and channels. ``deliver()`` runs the outbox once.
"""

import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from slack_bolt import App
from sqlalchemy import Engine

from bot.config import INSTALL_PATH, REDIRECT_PATH, Settings
from bot.deps import Deps
from bot.gateway import METHOD_SCOPES
from bot.sandbox.slack_double import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TEAM_ID,
    DEFAULT_TEAM_NAME,
    SlackDouble,
)
from bot.wiring.app import build_app
from bot.wiring.runtime import build_deps
from bot.wiring.server import build_wsgi_app
from bot.workspaces import InstalledWorkspaces
from scheduler.delivery import Deliverer, DeliveryReport, Pacer, use_pacer
from storage.db import make_engine
from storage.migrate import upgrade
from storage.types import Clock
from tests.harness import SIGNING_SECRET, Response, SlackToBot, serve

TEAM_A = DEFAULT_TEAM_ID
TEAM_B = "T0002"


@dataclass(frozen=True)
class Page:
    """What the installer's browser got back."""

    status: int
    headers: Message
    body: str

    @property
    def location(self) -> str:
        """Where a redirect sends the browser."""
        return str(self.headers.get("Location") or "")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        """Hand the redirect to the test instead of following it."""


class Browser:
    """An installer's browser: keeps the bot's cookies, stops at every redirect.

    (The bot's state cookie is ``Secure``; this browser sends it over loopback HTTP anyway.)
    """

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self._opener = urllib.request.build_opener(_NoRedirects)

    def get(self, url: str) -> Page:
        """GET ``url`` with the cookies held; remember the ones it sets."""
        request = urllib.request.Request(url)  # noqa: S310 - loopback URL built by the test
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            with self._opener.open(request, timeout=10) as reply:
                page = Page(reply.status, reply.headers, reply.read().decode())
        except urllib.error.HTTPError as error:
            page = Page(error.code, error.headers, error.read().decode())
        for header in page.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or morsel["expires"].startswith("Thu, 01 Jan 1970"):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return page


@dataclass
class Workspace:
    """One workspace of the world: its people (name -> user id) and channels (name -> id)."""

    team_id: str
    name: str
    people: dict[str, str]
    channels: dict[str, str]
    admin: str
    bot: "WorkspaceToBot"

    @property
    def bot_user_id(self) -> str:
        """The app's bot user in this workspace."""
        return self.bot.slack_double.bot_user_id_in(self.team_id)


class WorkspaceToBot(SlackToBot):
    """Slack's side of the conversation for one workspace: every request carries its team id,
    its general channel, and (unless told otherwise) its first person as the actor."""

    def __init__(
        self, base_url: str, *, slack: SlackDouble, team_id: str, user_id: str, channel_id: str
    ) -> None:
        super().__init__(base_url, slack=slack)
        self.slack_double = slack
        self.team_id = team_id
        self.user_id = user_id
        self.channel_id = channel_id

    def _ours(self, fields: dict[str, Any], *, channel: bool = True) -> dict[str, Any]:
        fields.setdefault("team_id", self.team_id)
        if channel:
            fields.setdefault("channel_id", self.channel_id)
        return fields

    def command(
        self,
        text: str,
        *,
        user_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> Response:
        """``/mentor <text>`` typed in this workspace."""
        return super().command(
            text, user_id=user_id or self.user_id, headers=headers, **self._ours(fields)
        )

    def ask(
        self, text: str, *, user_id: str | None = None, timeout: float = 5.0, **fields: Any
    ) -> dict[str, Any]:
        """``/mentor <text>`` in this workspace: its private answer."""
        return super().ask(
            text, user_id=user_id or self.user_id, timeout=timeout, **self._ours(fields)
        )

    def action(self, action_id: str, value: str | None = None, **fields: Any) -> Response:
        """A click in this workspace."""
        fields.setdefault("user_id", self.user_id)
        return super().action(action_id, value, **self._ours(fields))

    def submit(
        self,
        view: Mapping[str, Any],
        answers: Mapping[str, Any],
        *,
        user_id: str | None = None,
        **fields: Any,
    ) -> Response:
        """A modal submitted in this workspace."""
        return super().submit(
            view, answers, user_id=user_id or self.user_id, **self._ours(fields, channel=False)
        )

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> Response:
        """An Events API delivery from this workspace."""
        return super().event(
            event, event_id=event_id, headers=headers, **self._ours(fields, channel=False)
        )


@dataclass
class OAuthWorld:
    """The bot, the double, the database and the workspaces (by team id)."""

    slack: SlackDouble
    engine: Engine
    deps: Deps
    app: App
    base_url: str
    workspaces: dict[str, Workspace] = field(default_factory=dict)

    @property
    def installed(self) -> InstalledWorkspaces:
        """The bot's installed workspaces (its token cache)."""
        assert isinstance(self.deps.workspaces, InstalledWorkspaces)
        return self.deps.workspaces

    @property
    def a(self) -> Workspace:
        """Workspace A (the double's default team)."""
        return self.workspaces[TEAM_A]

    @property
    def b(self) -> Workspace:
        """Workspace B."""
        return self.workspaces[TEAM_B]

    def add_workspace(
        self,
        team_id: str,
        name: str,
        *,
        people: Mapping[str, str],
        channels: Mapping[str, str],
        admin: str,
        enterprise_id: str | None = None,
    ) -> Workspace:
        """Register a workspace in the double: people (name -> user id; ``admin`` names the
        workspace admin among them) and channels (name -> id, the first is where its slash
        commands are typed). Not installed yet: see ``install``."""
        if team_id != self.slack.team_id or enterprise_id:
            self.slack.add_workspace(team_id, name, enterprise_id=enterprise_id)
        for person, user_id in people.items():
            self.slack.add_user(
                user_id,
                name=person,
                real_name=person.title(),
                tz="Europe/Berlin",
                is_admin=person == admin,
                team_id=team_id,
            )
        for channel, channel_id in channels.items():
            self.slack.add_channel(channel_id, name=channel, team_id=team_id)
        workspace = Workspace(
            team_id=team_id,
            name=name,
            people=dict(people),
            channels=dict(channels),
            admin=people[admin],
            bot=WorkspaceToBot(
                self.base_url,
                slack=self.slack,
                team_id=team_id,
                user_id=next(iter(people.values())),
                channel_id=next(iter(channels.values())),
            ),
        )
        self.workspaces[team_id] = workspace
        return workspace

    def install(
        self,
        team_id: str,
        *,
        installer: str | None = None,
        rotating: bool = False,
        expires_in: int | None = None,
        org_wide: bool = False,
    ) -> Page:
        """The OAuth dance for ``team_id`` as an installer's browser lives it; the last page.

        ``installer``: who clicks Allow (default: the workspace's admin).
        """
        browser = Browser()
        start = browser.get(self.base_url + INSTALL_PATH)
        assert start.status == 302, start
        query = parse_qs(urlsplit(start.location).query)
        code = self.slack.authorize(
            team_id,
            installer or self.workspaces[team_id].admin,
            rotating=rotating,
            expires_in=expires_in,
            org_wide=org_wide,
            scopes=query["scope"][0],
            redirect_uri=query.get("redirect_uri", [None])[0],
        )
        return browser.get(
            f"{self.base_url}{REDIRECT_PATH}?"
            + urlencode({"code": code, "state": query["state"][0]})
        )

    def deliver(self) -> DeliveryReport:
        """One pass of the outbox (what the scheduler runs every few seconds)."""
        return Deliverer(self.deps, worker="oauth-world").run()


PEOPLE_A = {"alice": "U0001", "bob": "U0002", "ada": "UADMIN"}
CHANNELS_A = {"general": "C0001", "mentoring-leads": "C0LEADS"}
PEOPLE_B = {"carol": "U2001", "dan": "U2002", "bea": "U2ADMIN"}
CHANNELS_B = {"general": "C2001", "mentoring-leads": "C2LEADS"}


@contextmanager
def open_oauth_world(
    folder: Path,
    clock: Clock,
    *,
    install: bool = True,
    database_url: str | None = None,
    background: Executor | None = None,
) -> Iterator[OAuthWorld]:
    """The OAuth bot over HTTP on a SQLite file in ``folder`` (or the empty database at
    ``database_url``), with workspaces A and B (installed through the dance unless ``install``
    is False); ``clock`` is the bot's clock; ``background`` runs its after-ack work."""
    # tokens=(): the double takes no token it did not issue through OAuth.
    with SlackDouble(tokens=(), socket_ping_interval=0.1) as slack:
        engine = make_engine(database_url or f"sqlite:///{folder / 'oauth.db'}")
        upgrade(engine)
        settings = Settings(
            slack_bot_token=None,
            slack_signing_secret=SIGNING_SECRET,
            slack_app_token=None,
            slack_api_url=slack.api_url,
            database_url="sqlite://",
            slack_client_id=DEFAULT_CLIENT_ID,
            slack_client_secret=DEFAULT_CLIENT_SECRET,
        )
        deps = build_deps(settings, engine, clock=clock, strict=True, timeout=5)
        if background is not None:
            deps = replace(deps, background=background)
        # Pacing is tested on its own with a fake clock; here it would only make tests wait.
        use_pacer(deps, Pacer(sleep=lambda _: None))
        app = build_app(deps)
        try:
            with serve(build_wsgi_app(app, engine, signing_secret=SIGNING_SECRET)) as url:
                world = OAuthWorld(slack=slack, engine=engine, deps=deps, app=app, base_url=url)
                world.add_workspace(
                    TEAM_A, DEFAULT_TEAM_NAME, people=PEOPLE_A, channels=CHANNELS_A, admin="ada"
                )
                world.add_workspace(
                    TEAM_B, "Second Workspace", people=PEOPLE_B, channels=CHANNELS_B, admin="bea"
                )
                if install:
                    for team_id in (TEAM_A, TEAM_B):
                        page = world.install(team_id)
                        assert page.status == 200, page.body
                yield world
        finally:
            # Work handed off after an ack finishes before the database goes away.
            deps.background.shutdown(wait=True)
            engine.dispose()
    undeclared = {call.method for call in slack.calls} - set(METHOD_SCOPES) - {"response_url"}
    assert not undeclared, f"Web API methods missing from gateway.METHOD_SCOPES: {undeclared}"


@pytest.fixture
def oauth_world(tmp_path: Path, clock: Clock) -> Iterator[OAuthWorld]:
    """The OAuth bot with workspaces A and B installed."""
    with open_oauth_world(tmp_path, clock) as world:
        yield world


@pytest.fixture
def oauth_world_empty(tmp_path: Path, clock: Clock) -> Iterator[OAuthWorld]:
    """The OAuth bot with workspaces A and B known to Slack, installed in neither."""
    with open_oauth_world(tmp_path, clock, install=False) as world:
        yield world
