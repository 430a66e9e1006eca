"""Shared fixtures: databases, the Slack double, and the real Bolt app wired to both."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_bolt import App
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.deps import Deps
from bot.gateway import METHOD_SCOPES, SlackGateway, build_client
from bot.sandbox.postgres import postgres_binaries_available, throwaway_postgres
from bot.sandbox.slack_double import SlackDouble
from bot.wiring.app import build_app
from bot.wiring.server import build_wsgi_app
from scheduler.delivery import Pacer, use_pacer
from storage.db import make_engine
from storage.migrate import upgrade
from tests.demo_run import html_run  # noqa: F401  (the demo's one run, for all)
from tests.harness import SIGNING_SECRET, SlackToBot, serve
from tests.oauth_world import oauth_world, oauth_world_empty  # noqa: F401  (fixtures for all)


@contextmanager
def counted_writes(engine: Engine) -> Iterator[list[str]]:
    """The SQLite write units (``BEGIN IMMEDIATE``) begun on ``engine`` while inside."""
    writes: list[str] = []

    def began(conn: Connection) -> None:
        if conn.get_execution_options().get("sqlite_begin") == "BEGIN IMMEDIATE":
            writes.append("write")

    event.listen(engine, "begin", began)
    try:
        yield writes
    finally:
        event.remove(engine, "begin", began)


class FrozenClock:
    """An injectable clock that moves only when a test says so."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def __call__(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self.current += delta


class TickingClock:
    """A monotonic clock (seconds) the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen at a Monday morning, UTC."""
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite file database built by the real migrations.

    A file, not ``:memory:``: listeners and after-ack work run in several threads at once, and
    an in-memory database is one shared connection that cannot hold two transactions.
    """
    engine = make_engine(f"sqlite:///{tmp_path / 'mentorbot.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server for the whole test session."""
    if not postgres_binaries_available():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql")
    with throwaway_postgres() as url:
        yield url


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A fresh database of its own on the throwaway server, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """The fresh PostgreSQL database, with the schema the migrations build."""
    engine = make_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """Each backend in turn: the SQLite file, then a fresh PostgreSQL database."""
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    return engine


@pytest.fixture
def slack() -> Iterator[SlackDouble]:
    """The Slack double, serving the Web API on loopback."""
    # A short ping interval lets Socket Mode clients close promptly at teardown.
    with SlackDouble(socket_ping_interval=0.1) as double:
        double.add_user("U0001", name="alice", real_name="Alice Ng", tz="Europe/Berlin")
        double.add_user("U0002", name="bob", real_name="Bob Ode", tz="America/New_York")
        double.add_user("UADMIN", name="ada", real_name="Ada Admin", tz="UTC", is_admin=True)
        yield double
    undeclared = {call.method for call in double.calls} - set(METHOD_SCOPES) - {"response_url"}
    assert not undeclared, f"Web API methods missing from gateway.METHOD_SCOPES: {undeclared}"


@pytest.fixture
def settings(slack: SlackDouble) -> Settings:
    """Settings pointing the bot at the Slack double."""
    return Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token="xapp-test-token",
        slack_api_url=slack.api_url,
        database_url="sqlite://",
    )


@pytest.fixture
def deps(settings: Settings, engine: Engine, clock: FrozenClock) -> Iterator[Deps]:
    """The bot's collaborators on the test database, the Slack double and the frozen clock."""
    client = build_client(settings.slack_bot_token, settings.slack_api_url, timeout=5)
    deps = Deps(
        settings=settings, engine=engine, gateway=SlackGateway(client, strict=True), clock=clock
    )
    # Pacing is tested on its own with a fake clock; here it would only make tests wait.
    use_pacer(deps, Pacer(sleep=lambda _: None))
    yield deps
    # Work handed off after an ack finishes before the database goes away.
    deps.background.shutdown(wait=True)


@pytest.fixture
def app(deps: Deps) -> App:
    """The real Bolt app, as ``mentorbot run`` builds it."""
    return build_app(deps)


@pytest.fixture
def bot(app: App, engine: Engine, slack: SlackDouble) -> Iterator[SlackToBot]:
    """Slack's side of the conversation with the bot, served over HTTP by waitress."""
    with serve(build_wsgi_app(app, engine, signing_secret=SIGNING_SECRET)) as url:
        yield SlackToBot(url, slack=slack)
