"""OAuth distribution over real HTTP: the install dance, each workspace's own token, rotation,
refusals (cancelled, forged or spent state, bad code, org-wide installs, no installation)."""

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, event, func, text
from sqlmodel import SQLModel, col, select

from bot.config import INSTALL_PATH, REDIRECT_PATH, Mode, Settings
from bot.gateway import SlackCallError
from bot.sandbox import slack_double
from bot.sandbox.slack_double import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    RecordedCall,
    SlackDouble,
)
from bot.wiring.runtime import Runtime
from bot.wiring.server import build_wsgi_app
from bot.workspaces import InstalledWorkspaces
from handlers.middleware import NOT_INSTALLED
from scheduler import outbox
from scheduler.outbox import Planned
from storage.db import session_scope
from storage.enums import DeliveryStatus
from storage.models import Delivery, SlackUser, Workspace
from storage.slack_tables import bots, installations, oauth_states
from tests.conftest import FrozenClock
from tests.harness import SIGNING_SECRET, SlackToBot, serve
from tests.oauth_world import TEAM_A, TEAM_B, Browser, OAuthWorld, Page

MANIFEST = Path(__file__).parent.parent / "manifest.yml"
STATE_COOKIE = "slack-app-oauth-state"


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _stored(engine: Engine, table: Any, team_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.team_id == team_id)).mappings()
        return [dict(row) for row in rows]


def _workspace(engine: Engine, team_id: str) -> Workspace | None:
    with session_scope(engine) as session:
        row = session.get(Workspace, team_id)
        if row is not None:
            session.expunge(row)
        return row


def _start(world: OAuthWorld) -> tuple[Browser, str, dict[str, list[str]]]:
    """GET /slack/install in a new browser: the browser, the state and the authorize query."""
    browser = Browser()
    page = browser.get(world.base_url + INSTALL_PATH)
    assert page.status == 302, page
    query = parse_qs(urlsplit(page.location).query)
    return browser, query["state"][0], query


def _finish(world: OAuthWorld, browser: Browser, **params: str) -> Page:
    return browser.get(f"{world.base_url}{REDIRECT_PATH}?{urlencode(params)}")


def _nothing_installed(world: OAuthWorld) -> None:
    for table in (installations, bots, SQLModel.metadata.tables["workspace"]):
        assert _count(world.engine, table) == 0


def _plan(world: OAuthWorld, clock: FrozenClock, team_id: str, to: str, key: str) -> None:
    with session_scope(world.engine) as session:
        outbox.enqueue(
            session,
            [
                Planned(
                    team_id=team_id,
                    dedupe_key=key,
                    rule="test",
                    recipient_id=to,
                    payload={"text": f"hello {key}", "blocks": []},
                    due_at=clock(),
                )
            ],
            now=clock(),
        )


def _calls(world: OAuthWorld, method: str, team_id: str) -> list[RecordedCall]:
    return [c for c in world.slack.calls_to(method) if c.team_id == team_id]


# ---------------------------------------------------------------- the install dance


def test_the_whole_dance_installs_a_workspace(
    oauth_world_empty: OAuthWorld, clock: FrozenClock
) -> None:
    world = oauth_world_empty
    browser = Browser()
    start = browser.get(world.base_url + INSTALL_PATH)
    assert start.status == 302
    assert start.location.startswith(world.slack.base_url + "oauth/v2/authorize?")
    query = parse_qs(urlsplit(start.location).query)
    assert query["client_id"] == [DEFAULT_CLIENT_ID]
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert set(query["scope"][0].split(",")) == set(manifest["oauth_config"]["scopes"]["bot"])
    state = query["state"][0]
    assert browser.cookies == {STATE_COOKIE: state}
    assert _count(world.engine, oauth_states) == 1

    # Slack's consent screen: Bea, the admin of workspace B, clicks Allow.
    code = world.slack.authorize(TEAM_B, world.b.admin, scopes=query["scope"][0])
    page = _finish(world, browser, code=code, state=state)

    assert page.status == 200, page.body
    assert "mentorbot is installed" in page.body
    assert "Second Workspace" in page.body
    assert "/mentor help" in page.body
    assert "/invite @mentorbot" in page.body
    assert f"app_redirect?app={world.slack.app_id}&amp;team={TEAM_B}" in page.body
    assert browser.cookies == {}  # the state cookie is cleared
    [token] = world.slack.tokens_of(TEAM_B)
    [exchange] = world.slack.calls_to("oauth.v2.access")
    assert (exchange.team_id, exchange.error) == (TEAM_B, None)
    [installed] = _stored(world.engine, installations, TEAM_B)
    assert installed["bot_token"] == token
    assert installed["user_id"] == world.b.admin
    assert installed["bot_user_id"] == world.b.bot_user_id
    assert installed["is_enterprise_install"] is False
    [bot] = _stored(world.engine, bots, TEAM_B)
    assert (bot["bot_token"], bot["bot_refresh_token"]) == (token, None)
    workspace = _workspace(world.engine, TEAM_B)
    assert workspace is not None
    assert (workspace.name, workspace.bot_user_id) == ("Second Workspace", world.b.bot_user_id)
    assert (workspace.installed_by, workspace.installed_at) == (world.b.admin, clock())
    assert (workspace.enterprise_id, workspace.uninstalled_at) == (None, None)
    assert _workspace(world.engine, TEAM_A) is None
    assert _count(world.engine, oauth_states) == 0  # the state is spent

    # The workspace is served at once, with its own token.
    assert world.b.bot.command("program new", user_id=world.b.admin).status == 200
    [opened] = world.slack.wait_for("views.open")
    assert (opened.team_id, opened.token) == (TEAM_B, token)

    # The same redirect again (a reload, a replay): the state is spent, nothing changes.
    replay = Browser()
    replay.cookies[STATE_COOKIE] = state
    again = _finish(world, replay, code=code, state=state)
    assert again.status == 401
    assert "This install link has expired" in again.body
    assert len(world.slack.calls_to("oauth.v2.access")) == 1
    assert _count(world.engine, installations) == 1


def test_opening_the_install_page_clears_expired_states(oauth_world_empty: OAuthWorld) -> None:
    world = oauth_world_empty
    with world.engine.begin() as conn:
        conn.execute(oauth_states.insert().values(state="stale", expire_at=datetime(2020, 1, 1)))
    _, state, _ = _start(world)
    with world.engine.connect() as conn:
        assert list(conn.execute(select(oauth_states.c.state)).scalars()) == [state]


def test_cancelled_consent_installs_nothing(oauth_world_empty: OAuthWorld) -> None:
    world = oauth_world_empty
    browser, state, _ = _start(world)
    page = _finish(world, browser, error="access_denied", state=state)
    assert page.status == 200
    assert "Installation cancelled" in page.body
    assert "nothing was installed" in page.body
    assert f'href="{INSTALL_PATH}"' in page.body
    assert world.slack.calls_to("oauth.v2.access") == []
    _nothing_installed(world)


@pytest.mark.parametrize(
    ("forge", "status", "says"),
    [
        ("no cookie", 400, "This install link can't be used"),
        ("no state", 400, "This install link can't be used"),
        ("forged state", 401, "This install link has expired"),
    ],
)
def test_a_redirect_without_its_own_state_installs_nothing(
    oauth_world_empty: OAuthWorld, forge: str, status: int, says: str
) -> None:
    world = oauth_world_empty
    browser, state, _ = _start(world)
    code = world.slack.authorize(TEAM_B, world.b.admin)
    params = {"code": code, "state": state}
    if forge == "no cookie":
        browser = Browser()
    elif forge == "no state":
        del params["state"]
    else:
        # A state of the attacker's own making, in a cookie of the attacker's own making.
        params["state"] = browser.cookies[STATE_COOKIE] = "forged-state"
    page = _finish(world, browser, **params)
    assert page.status == status
    assert says in page.body
    assert "Nothing was installed" in page.body
    assert world.slack.calls_to("oauth.v2.access") == []
    _nothing_installed(world)


def test_a_code_slack_refuses_installs_nothing(oauth_world_empty: OAuthWorld) -> None:
    world = oauth_world_empty
    browser, state, _ = _start(world)
    page = _finish(world, browser, code="not-a-code-slack-issued", state=state)
    assert page.status == 401
    assert "Slack refused the authorization code" in page.body
    assert [c.error for c in world.slack.calls_to("oauth.v2.access")] == ["invalid_code"]
    _nothing_installed(world)


def test_an_install_the_database_cannot_keep_says_so(oauth_world_empty: OAuthWorld) -> None:
    world = oauth_world_empty
    with world.engine.begin() as conn:
        conn.execute(text("DROP TABLE slack_bots"))
    page = world.install(TEAM_B)
    assert page.status == 500
    assert "The installation couldn't be saved" in page.body
    assert "Try again in a minute" in page.body
    assert _count(world.engine, SQLModel.metadata.tables["workspace"]) == 0


def test_an_org_wide_install_is_refused_and_its_token_given_back(
    oauth_world_empty: OAuthWorld,
) -> None:
    world = oauth_world_empty
    grid = world.add_workspace(
        "T0003",
        "Grid Team",
        people={"gus": "U3001"},
        channels={"general": "C3001"},
        admin="gus",
        enterprise_id="E0001",
    )
    page = world.install(grid.team_id, org_wide=True)
    assert page.status == 403
    assert "can't be installed across a whole Enterprise Grid organization" in page.body
    assert "Install it in each workspace" in page.body
    _nothing_installed(world)
    [revoked] = world.slack.calls_to("auth.revoke")
    assert revoked.error is None
    assert world.slack.tokens_of(grid.team_id) == []  # the org's token no longer works

    # Installed in the workspace itself (not the org), it works: keyed by org and team.
    assert world.install(grid.team_id).status == 200
    [token] = world.slack.tokens_of(grid.team_id)
    [bot] = _stored(world.engine, bots, grid.team_id)
    assert bot["enterprise_id"] == "E0001"
    workspace = _workspace(world.engine, grid.team_id)
    assert workspace is not None
    assert workspace.enterprise_id == "E0001"
    assert grid.bot.command("program new", user_id=grid.admin).status == 200
    [opened] = world.slack.wait_for("views.open")
    assert (opened.team_id, opened.token) == (grid.team_id, token)


# ---------------------------------------------------------------- each workspace's own token


def test_each_workspace_is_answered_with_its_own_token(oauth_world: OAuthWorld) -> None:
    world = oauth_world
    [token_a] = world.slack.tokens_of(TEAM_A)
    [token_b] = world.slack.tokens_of(TEAM_B)
    for workspace in (world.a, world.b):
        assert workspace.bot.command("program new", user_id=workspace.admin).status == 200
    world.slack.wait_for("views.open", 2)
    for team_id, token in ((TEAM_A, token_a), (TEAM_B, token_b)):
        for method in ("users.info", "views.open"):
            [call] = _calls(world, method, team_id)
            assert (call.token, call.error) == (token, None)
    # An event from B: B's Home tab, published with B's token.
    carol = world.b.people["carol"]
    assert world.b.bot.event(slack_double.app_home_opened_event(carol)).status == 200
    [published] = world.slack.wait_for("views.publish")
    assert (published.params["user_id"], published.token) == (carol, token_b)


def test_the_store_is_read_once_per_workspace_not_per_call(
    oauth_world: OAuthWorld, clock: FrozenClock
) -> None:
    world = oauth_world
    reads: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "slack_bots" in statement or "slack_installations" in statement:
            reads.append(statement)

    event.listen(world.engine, "before_cursor_execute", seen)
    try:
        for _ in range(3):
            for workspace in (world.a, world.b):
                workspace.bot.command("program new", user_id=workspace.admin)
        world.slack.wait_for("views.open", 6)
        for workspace in (world.a, world.b):
            for name, user_id in workspace.people.items():
                _plan(world, clock, workspace.team_id, user_id, f"{workspace.team_id}-{name}")
        assert world.deliver().sent == 6
    finally:
        event.remove(world.engine, "before_cursor_execute", seen)
    assert len(world.slack.calls) > 20
    assert len(reads) == 2, reads
    assert all("FROM slack_bots" in statement for statement in reads)


def test_a_team_without_an_installation_is_told_so_without_a_500(
    oauth_world: OAuthWorld,
) -> None:
    world = oauth_world
    bot = SlackToBot(world.base_url, slack=world.slack)
    before = len(world.slack.calls)
    answer = bot.ask("join", user_id="U9001", team_id="T0999")
    assert answer["text"] == NOT_INSTALLED
    clicked = bot.action("goals_open", "1", user_id="U9001", team_id="T0999")
    assert clicked.status == 200
    home = slack_double.app_home_opened_event("U9001")
    assert bot.event(home, team_id="T0999").status == 200
    # Nobody spoke to Slack for T0999 (the answers went to its response_urls), nothing stored.
    spoken = [c for c in world.slack.calls[before:] if c.method != "response_url"]
    assert spoken == []
    with session_scope(world.engine) as session:
        stored = session.exec(select(SlackUser).where(col(SlackUser.team_id) == "T0999")).all()
        assert stored == []


def test_a_delivery_for_a_team_without_an_installation_fails_for_good(
    oauth_world: OAuthWorld, clock: FrozenClock
) -> None:
    world = oauth_world
    _plan(world, clock, "T0999", "U9001", "nobody-home")
    report = world.deliver()
    assert (report.sent, report.failed, report.retried) == (0, 1, 0)
    with session_scope(world.engine) as session:
        [row] = session.exec(select(Delivery)).all()
        assert (row.status, row.error) == (DeliveryStatus.FAILED, "not_installed")
    assert [c for c in world.slack.calls if c.team_id == "T0999"] == []


def test_a_reinstall_brings_a_new_token_and_clears_an_uninstall(
    oauth_world: OAuthWorld, clock: FrozenClock
) -> None:
    world = oauth_world
    [old] = world.slack.tokens_of(TEAM_A)
    world.a.bot.command("program new", user_id=world.a.admin)
    assert world.slack.wait_for("views.open")[-1].token == old
    with session_scope(world.engine) as session:
        row = session.get(Workspace, TEAM_A)
        assert row is not None
        row.uninstalled_at = clock()
        row.uninstall_reason = "app_uninstalled"
    clock.advance(timedelta(days=2))
    assert world.install(TEAM_A, installer=world.a.people["bob"]).status == 200
    [_, new] = world.slack.tokens_of(TEAM_A)
    workspace = _workspace(world.engine, TEAM_A)
    assert workspace is not None
    assert (workspace.uninstalled_at, workspace.uninstall_reason) == (None, None)
    assert (workspace.installed_by, workspace.installed_at) == (world.a.people["bob"], clock())
    world.a.bot.command("program new", user_id=world.a.admin)
    assert world.slack.wait_for("views.open", 2)[-1].token == new


def test_a_token_slack_refuses_is_read_again_from_the_store(oauth_world: OAuthWorld) -> None:
    world = oauth_world
    carol = world.b.people["carol"]
    # A second copy of the bot on the same database, holding B's token in its cache.
    other_copy = InstalledWorkspaces.for_settings(world.deps.settings, world.engine, timeout=5)
    [old] = world.slack.tokens_of(TEAM_B)
    assert other_copy.bot(TEAM_B).bot_token == old
    # B is reinstalled through this copy, and the old token revoked.
    assert world.install(TEAM_B).status == 200
    WebClient(token=old, base_url=world.slack.api_url).auth_revoke()
    [new] = world.slack.tokens_of(TEAM_B)
    with pytest.raises(SlackCallError) as refused:
        other_copy.gateway(TEAM_B).post_message(carol, {"text": "hi"})
    assert refused.value.error == "token_revoked"
    other_copy.gateway(TEAM_B).post_message(carol, {"text": "hi again"})
    assert [c.token for c in world.slack.calls_to("chat.postMessage")] == [old, new]


# ---------------------------------------------------------------- token rotation


def _rotating_b(world: OAuthWorld, *, expires_in: int) -> str:
    """Install workspace B with token rotation; its first access token."""
    assert world.install(TEAM_B, rotating=True, expires_in=expires_in).status == 200
    [first] = world.slack.tokens_of(TEAM_B)
    return first


def _refreshes(world: OAuthWorld) -> list[RecordedCall]:
    return [
        c
        for c in world.slack.calls_to("oauth.v2.access")
        if c.params.get("grant_type") == "refresh_token"
    ]


def test_a_token_near_expiry_is_refreshed_before_a_delivery_that_uses_the_new_one(
    oauth_world_empty: OAuthWorld, clock: FrozenClock
) -> None:
    world = oauth_world_empty
    # Thirty minutes left: inside the two hours before expiry when the bot refreshes.
    first = _rotating_b(world, expires_in=30 * 60)
    [stored] = _stored(world.engine, bots, TEAM_B)
    assert stored["bot_token"] == first
    first_refresh = stored["bot_refresh_token"]
    assert first_refresh.startswith("xoxe-1-")
    carol = world.b.people["carol"]
    _plan(world, clock, TEAM_B, carol, "first")
    assert world.deliver().sent == 1

    [refresh] = _refreshes(world)
    assert (refresh.team_id, refresh.params["refresh_token"]) == (TEAM_B, first_refresh)
    [fresh] = [t for t in world.slack.tokens_of(TEAM_B) if t != first]
    [posted] = world.slack.calls_to("chat.postMessage")
    assert (posted.token, posted.team_id, posted.error) == (fresh, TEAM_B, None)
    assert world.slack.calls.index(refresh) < world.slack.calls.index(posted)
    # The install's auth.test is the only call that used the first token.
    assert [c.method for c in world.slack.calls if c.token == first] == ["auth.test"]
    # Saved back: the bot row and the installation carry the new pair.
    [row] = _stored(world.engine, bots, TEAM_B)
    assert row["bot_token"] == fresh
    assert row["bot_refresh_token"] not in (None, first_refresh)
    [installation] = _stored(world.engine, installations, TEAM_B)
    assert installation["bot_token"] == fresh

    # The first token dies on time; the bot has long stopped using it and refreshes no more.
    world.slack.advance_clock(30 * 60)
    with pytest.raises(SlackApiError) as expired:
        WebClient(token=first, base_url=world.slack.api_url).auth_test()
    assert expired.value.response["error"] == "token_expired"
    _plan(world, clock, TEAM_B, carol, "second")
    assert world.deliver().sent == 1
    assert world.slack.calls_to("chat.postMessage")[-1].token == fresh
    assert len(_refreshes(world)) == 1


def test_a_token_far_from_expiry_is_not_refreshed(
    oauth_world_empty: OAuthWorld, clock: FrozenClock
) -> None:
    world = oauth_world_empty
    first = _rotating_b(world, expires_in=12 * 3600)
    _plan(world, clock, TEAM_B, world.b.people["carol"], "hello")
    assert world.deliver().sent == 1
    assert world.b.bot.command("program new", user_id=world.b.admin).status == 200
    assert world.slack.wait_for("views.open")[-1].token == first
    assert world.slack.calls_to("chat.postMessage")[-1].token == first
    assert _refreshes(world) == []


def test_a_failed_refresh_keeps_the_token_that_still_works_and_tries_again_later(
    oauth_world_empty: OAuthWorld, clock: FrozenClock
) -> None:
    world = oauth_world_empty
    first = _rotating_b(world, expires_in=30 * 60)
    world.slack.fail_next("oauth.v2.access", status=500)
    carol = world.b.people["carol"]
    _plan(world, clock, TEAM_B, carol, "one")
    _plan(world, clock, TEAM_B, world.b.people["dan"], "two")
    assert world.deliver().sent == 2
    # One refresh tried (and failed); both messages went with the token still valid.
    assert [c.status for c in _refreshes(world)] == [500]
    assert {c.token for c in world.slack.calls_to("chat.postMessage")} == {first}


# ---------------------------------------------------------------- single-workspace mode


def test_single_workspace_mode_serves_no_install_pages(bot: SlackToBot) -> None:
    for path in (INSTALL_PATH, f"{REDIRECT_PATH}?code=x&state=y"):
        answer = bot.get(path)
        assert answer.status == 404
        assert answer.json() == {"ok": False, "error": "not_found"}
    assert bot.command("help").status == 200


# ---------------------------------------------------------------- mentorbot run / tick with OAuth


def test_tick_delivers_with_each_workspaces_own_token(
    oauth_world: OAuthWorld, clock: FrozenClock, tmp_path: Path
) -> None:
    world = oauth_world
    _plan(world, clock, TEAM_A, world.a.people["alice"], "to-a")
    _plan(world, clock, TEAM_B, world.b.people["carol"], "to-b")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(Path(__file__).parent.parent),
        "DATABASE_URL": world.engine.url.render_as_string(hide_password=False),
        "SLACK_API_URL": world.slack.api_url,
        "SLACK_CLIENT_ID": DEFAULT_CLIENT_ID,
        "SLACK_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
    }
    ticked = subprocess.run(
        [sys.executable, "-m", "bot.wiring.cli", "tick", "--at", clock().isoformat()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ticked.returncode == 0, ticked.stderr
    assert "delivered 2" in ticked.stdout
    for team_id in (TEAM_A, TEAM_B):
        [token] = world.slack.tokens_of(team_id)
        assert [c.token for c in _calls(world, "chat.postMessage", team_id)] == [token]


def test_the_runtime_in_oauth_mode_asks_slack_nothing_until_a_workspace_needs_it(
    tmp_path: Path,
) -> None:
    with SlackDouble(tokens=()) as slack:
        settings = Settings(
            slack_bot_token=None,
            slack_signing_secret=SIGNING_SECRET,
            slack_app_token=None,
            slack_api_url=slack.api_url,
            database_url=f"sqlite:///{tmp_path / 'bot.db'}",
            slack_client_id=DEFAULT_CLIENT_ID,
            slack_client_secret=DEFAULT_CLIENT_SECRET,
        )
        settings.require_slack(Mode.HTTP)
        runtime = Runtime(settings)
        runtime.start(migrate=True)
        try:
            assert runtime.app is not None
            assert runtime.engine is not None
            assert runtime.deps is not None
            assert runtime.deps.workspaces is not None
            wsgi = build_wsgi_app(runtime.app, runtime.engine, signing_secret=SIGNING_SECRET)
            with serve(wsgi) as url:
                page = Browser().get(url + INSTALL_PATH)
            assert page.status == 302
            assert page.location.startswith(slack.base_url + "oauth/v2/authorize?")
        finally:
            runtime.stop()
        assert slack.calls == []
