"""The workspaces that installed the app by OAuth, and the Slack gateway that speaks for each.

Each workspace's bot token lives in slack-sdk's installation store (``slack_installations`` and
``slack_bots``, in the bot's own database). ``InstalledWorkspaces`` reads a workspace's token
once and keeps its gateway in memory until the workspace is forgotten (uninstalled, tokens
revoked, reinstalled) or, with token rotation, until the token comes within
``ROTATION_MINUTES`` of expiring: then it is refreshed with slack-sdk's ``TokenRotator`` and the
new token is saved back to the store. A Slack call never costs a store query. When Slack refuses
a cached token (another copy of the bot reinstalled or rotated it meanwhile), the next call reads
the store again.
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.gateway import SlackCallError, SlackCallInTransaction, SlackGateway, build_client
from storage.db import in_write_transaction, read_scope
from storage.models import Workspace

log = logging.getLogger(__name__)

# Refresh a rotating token this many minutes before it expires (Slack's live 12 hours). Bolt is
# given the same number (``token_rotation_expiration_minutes``).
ROTATION_MINUTES = 120
# After a failed refresh, the token still in hand is used this long before trying again.
ROTATION_RETRY_SECONDS = 60
# How long an install link (its OAuth state) stays good: Bolt's default, 10 minutes.
STATE_SECONDS = 600


@dataclass(frozen=True, slots=True)
class NotInstalled(SlackCallError):
    """The app has no installation in this workspace: nothing can be said to it, ever (until
    someone installs it again), so its deliveries are dropped rather than retried."""

    method: str = "installation"
    error: str = "not_installed"
    team_id: str = ""

    def __str__(self) -> str:
        return f"the app is not installed in workspace {self.team_id or '?'}"


@dataclass(frozen=True, slots=True)
class _Entry:
    bot: Bot
    gateway: SlackGateway
    # Until then (time.time()) the token needs no look: after it, rotate if it nears expiry.
    fresh_until: float


class InstalledWorkspaces:
    """Each installed workspace's gateway, with its own fresh bot token (``bot.deps.Workspaces``).

    Thread-safe: requests, the scheduler and deliveries ask at once; a workspace's token is
    looked up (and rotated) by one thread at a time while the others wait for its answer.
    """

    def __init__(
        self,
        *,
        store: InstallationStore,
        rotator: TokenRotator,
        engine: Engine,
        api_url: str,
        rotation_minutes: int = ROTATION_MINUTES,
        timeout: int = 10,
        strict: bool = False,
    ) -> None:
        self.store = store
        self.rotator = rotator
        self.engine = engine
        self.api_url = api_url
        self.rotation_minutes = rotation_minutes
        self.timeout = timeout
        self.strict = strict
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_settings(
        cls, settings: Settings, engine: Engine, *, timeout: int = 10, strict: bool = False
    ) -> "InstalledWorkspaces":
        """The installed workspaces of the app that ``settings`` name, stored on ``engine``."""
        if not settings.slack_client_id or not settings.slack_client_secret:
            raise ValueError("OAuth needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
        return cls(
            store=installation_store(settings, engine),
            rotator=TokenRotator(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret,
                client=build_client(None, settings.slack_api_url, timeout=timeout),
            ),
            engine=engine,
            api_url=settings.slack_api_url,
            timeout=timeout,
            strict=strict,
        )

    def gateway(self, team_id: str) -> SlackGateway:
        """The gateway that speaks for ``team_id``; ``NotInstalled`` when nobody installed it."""
        return self._entry(team_id).gateway

    def bot(self, team_id: str, *, enterprise_id: str | None = None) -> Bot:
        """The workspace's bot (its user id and fresh token); ``NotInstalled`` when none."""
        return self._entry(team_id, enterprise_id).bot

    def forget(self, team_id: str) -> None:
        """Drop the cached token: the next call reads the store again."""
        with self._lock:
            self._entries.pop(team_id, None)

    def _entry(self, team_id: str, enterprise_id: str | None = None) -> _Entry:
        entry = self._entries.get(team_id)
        if entry is not None and time.time() < entry.fresh_until:
            return entry
        with self._team_lock(team_id):
            # Another thread may have looked it up while this one waited.
            entry = self._entries.get(team_id)
            if entry is not None and time.time() < entry.fresh_until:
                return entry
            # Not known yet, or its token nears expiry: read the store (another copy of the bot
            # may have rotated it already, spending the refresh token this one holds).
            if entry is not None:
                enterprise_id = enterprise_id or entry.bot.enterprise_id
            bot = self._find(team_id, enterprise_id)
            if bot is None:
                self.forget(team_id)
                raise NotInstalled(team_id=team_id)
            if self._expiring(bot):
                return self._rotate(team_id, bot)
            return self._remember(team_id, bot)

    def _team_lock(self, team_id: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(team_id, threading.Lock())

    def _remember(self, team_id: str, bot: Bot, *, retry_at: float | None = None) -> _Entry:
        expires_at = bot.bot_token_expires_at
        fresh_until = (
            float("inf") if expires_at is None else expires_at - self.rotation_minutes * 60
        )
        if retry_at is not None:
            fresh_until = max(fresh_until, retry_at)
        client = build_client(bot.bot_token, self.api_url, timeout=self.timeout)
        gateway = SlackGateway(
            client,
            strict=self.strict,
            on_token_error=lambda _error: self._refused(team_id, bot.bot_token),
        )
        entry = _Entry(bot, gateway, fresh_until)
        with self._lock:
            self._entries[team_id] = entry
        return entry

    def _refused(self, team_id: str, token: str) -> None:
        """Slack refused a cached token: read the store again at the next call (another copy of
        the bot may have reinstalled or rotated it; an uninstall leaves nothing to find)."""
        with self._lock:
            entry = self._entries.get(team_id)
            if entry is not None and entry.bot.bot_token == token:
                del self._entries[team_id]

    def _find(self, team_id: str, enterprise_id: str | None) -> Bot | None:
        """The workspace's latest bot installation (one query; one more for a workspace of an
        Enterprise Grid org, whose installation is keyed by its org too)."""
        bot = self.store.find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None and enterprise_id is None:
            with read_scope(self.engine) as session:
                workspace = session.get(Workspace, team_id)
                enterprise_id = workspace.enterprise_id if workspace else None
            if enterprise_id:
                bot = self.store.find_bot(enterprise_id=enterprise_id, team_id=team_id)
        return bot

    def _rotate(self, team_id: str, bot: Bot) -> _Entry:
        """Refresh a token that nears expiry and save the new one; the entry to use now."""
        self._outside_transaction()
        installation = self.store.find_installation(
            enterprise_id=bot.enterprise_id, team_id=bot.team_id
        )
        try:
            if installation is None:
                rotated = self.rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=self.rotation_minutes
                )
                if rotated is not None:
                    self.store.save_bot(rotated)
            else:
                # Rotate the installation's bot token as the bots table has it, and save both.
                installation.bot_token = bot.bot_token
                installation.bot_refresh_token = bot.bot_refresh_token
                installation.bot_token_expires_at = bot.bot_token_expires_at
                renewed = self.rotator.perform_token_rotation(
                    installation=installation, minutes_before_expiration=self.rotation_minutes
                )
                rotated = None if renewed is None else renewed.to_bot()
                if renewed is not None:
                    self.store.save(renewed)
        except SlackTokenRotationError as exc:
            response = exc.api_error.response
            data = response.data if isinstance(response.data, dict) else {}
            return self._not_rotated(team_id, bot, str(data.get("error") or "rotation_failed"))
        except OSError:
            return self._not_rotated(team_id, bot, "connection_error")
        if rotated is None:
            return self._remember(team_id, bot)
        log.info("bot token rotated", extra={"team_id": team_id})
        return self._remember(team_id, rotated)

    def _not_rotated(self, team_id: str, bot: Bot, error: str) -> _Entry:
        """A refresh failed: keep a token that still works (trying again in a minute), or
        fail like the Slack call it was."""
        log.warning("token rotation failed", extra={"team_id": team_id, "error": error})
        if bot.bot_token_expires_at is not None and time.time() < bot.bot_token_expires_at:
            return self._remember(team_id, bot, retry_at=time.time() + ROTATION_RETRY_SECONDS)
        self.forget(team_id)
        raise SlackCallError("oauth.v2.access", error)

    def _expiring(self, bot: Bot) -> bool:
        expires_at = bot.bot_token_expires_at
        return expires_at is not None and time.time() >= expires_at - self.rotation_minutes * 60

    def _outside_transaction(self) -> None:
        # Refreshing a token is a Slack call: never inside a database write transaction.
        if not in_write_transaction():
            return
        if self.strict:
            raise SlackCallInTransaction("token rotation inside a database write transaction")
        log.error("token rotation inside a write transaction", stack_info=True)


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    """slack-sdk's installation store on the bot's database (migration 0008 made its tables)."""
    if not settings.slack_client_id:
        raise ValueError("the installation store needs SLACK_CLIENT_ID")
    return SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)


def state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    """slack-sdk's OAuth state store on the bot's database: an install link lives 10 minutes."""
    return SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)


def record_install(session: Session, installation: Installation, *, now: datetime) -> Workspace:
    """Create or refresh the workspace's row once an install completes (a reinstall clears a
    past uninstall)."""
    team_id = installation.team_id
    if not team_id:
        raise ValueError("an install without a workspace (org-wide) has no Workspace row")
    row = session.get(Workspace, team_id)
    if row is None:
        row = Workspace(team_id=team_id)
    row.name = installation.team_name or ""
    row.enterprise_id = installation.enterprise_id
    row.bot_user_id = installation.bot_user_id
    row.installed_by = installation.user_id
    row.installed_at = now
    row.uninstalled_at = None
    row.uninstall_reason = None
    session.add(row)
    return row
