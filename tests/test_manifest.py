"""manifest.yml creates exactly the app the code needs: its commands, events and scopes."""

from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy import Engine

from bot.commands import COMMAND
from bot.config import REDIRECT_PATH
from bot.gateway import METHOD_SCOPES
from bot.sandbox import slack_double
from bot.wiring.oauth import BOT_SCOPES
from storage.db import session_scope
from storage.models import ProcessedEvent
from tests.harness import SlackToBot, eventually

MANIFEST = Path(__file__).parent.parent / "manifest.yml"
# Events a Slack app commonly subscribes to; the bot must handle exactly the manifest's ones.
CANDIDATE_EVENTS = (
    "app_home_opened",
    "app_mention",
    "member_joined_channel",
    "app_uninstalled",
    "tokens_revoked",
)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    """The parsed manifest."""
    data = yaml.safe_load(MANIFEST.read_text())
    assert isinstance(data, dict)
    return data


def test_manifest_fits_slacks_schema_limits(manifest: dict[str, Any]) -> None:
    assert set(manifest) <= {
        "_metadata", "display_information", "features", "oauth_config", "settings",
    }  # fmt: skip
    info = manifest["display_information"]
    assert 1 <= len(info["name"]) <= 35
    assert len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    commands = manifest["features"]["slash_commands"]
    assert 1 <= len(commands) <= 50
    for command in commands:
        assert command["command"].startswith("/")
        assert 2 <= len(command["command"]) <= 32
        assert 0 < len(command["description"]) <= 2000
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_scopes_are_exactly_what_the_called_methods_need(manifest: dict[str, Any]) -> None:
    needed = {scope for scopes in METHOD_SCOPES.values() for scope in scopes} | {"commands"}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed
    assert "user" not in manifest["oauth_config"]["scopes"]


def test_invitations_read_groups_and_channel_members_and_nothing_more(
    manifest: dict[str, Any],
) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert METHOD_SCOPES["usergroups.users.list"] == ("usergroups:read",)
    assert METHOD_SCOPES["conversations.members"] == ("channels:read", "groups:read")
    assert {"usergroups:read", "channels:read", "groups:read"} <= scopes
    # Reading who is in a channel never needs joining it or reading its messages for this.
    assert "channels:join" not in scopes


def test_the_manifest_command_is_the_one_the_app_handles(
    manifest: dict[str, Any], bot: SlackToBot
) -> None:
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert bot.command("help").status == 200
    other = slack_double.slash_command_body("/other", "help")
    assert bot.post(other).status == 404


def test_subscribed_events_are_exactly_the_handled_ones(
    manifest: dict[str, Any], bot: SlackToBot, engine: Engine
) -> None:
    subscribed = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    handled = set()
    for event_type in CANDIDATE_EVENTS:
        event = {"type": event_type, "user": "U0001", "tab": "home", "channel": "C0001"}
        # Every event is taken (200); a handled one is recorded once its listener is done.
        event_id = f"Ev-{event_type}"
        assert bot.event(event, event_id=event_id).status == 200
        if eventually(partial(_recorded, engine, event_id), timeout=2.0):
            handled.add(event_type)
    assert handled == subscribed


def _recorded(engine: Engine, event_id: str) -> bool:
    with session_scope(engine) as session:
        return session.get(ProcessedEvent, event_id) is not None


def test_oauth_installs_come_back_to_the_path_the_bot_serves(manifest: dict[str, Any]) -> None:
    [redirect] = manifest["oauth_config"]["redirect_urls"]
    url = urlsplit(redirect)
    assert (url.scheme, url.hostname, url.path) == ("https", "your-host", REDIRECT_PATH)
    # Org-wide Enterprise Grid installs are refused (bot.wiring.oauth): not offered either.
    assert manifest["settings"]["org_deploy_enabled"] is False


def test_an_install_asks_for_exactly_the_manifest_scopes(manifest: dict[str, Any]) -> None:
    assert set(BOT_SCOPES) == set(manifest["oauth_config"]["scopes"]["bot"])
