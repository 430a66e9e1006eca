"""Settings, read once from the environment and a ``.env`` file.

A missing or malformed value stops the program at start-up with one line that names the variable
and says where to get the right value (``ConfigError``), never later with a traceback.
"""

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///mentorbot.db"
# Like the HTTP server: every interface of the host or container, so Prometheus can reach it.
DEFAULT_METRICS_HOST = "0.0.0.0"  # noqa: S104
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Where Bolt's OAuth flow starts an install, and where Slack sends the installer back.
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


class ConfigError(Exception):
    """A setting is missing or malformed; the message is the one line shown to the operator."""


class Mode(StrEnum):
    """How the bot receives Slack's requests."""

    SOCKET = "socket"
    HTTP = "http"


class LogFormat(StrEnum):
    """How log lines are written."""

    TEXT = "text"
    JSON = "json"


# HTTP_WORKERS and `run --workers`: a host's cores, with room; more is a typo, not a plan.
MAX_HTTP_WORKERS = 64
# Listener threads a process may have (LISTENER_THREADS).
MAX_LISTENER_THREADS = 256


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot is configured with."""

    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.TEXT
    listener_threads: int = 16
    # HTTP mode: processes serving the one port (each a copy of the bot, with its own threads),
    # so that one copy uses every core of its host. Python runs one thread at a time a process.
    http_workers: int = 1
    # Every SQL statement in the log: for debugging the database only, never left on (it shows
    # what people wrote).
    sql_echo: bool = False
    # Days after a program closes before its pairs' words are purged (a program may set its own).
    retention_days: int = 365
    # OAuth distribution: other workspaces install the app; each one's token is in the database.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    # Only needed when the app lists several redirect URLs: the one this server answers.
    slack_redirect_uri: str | None = None
    # Days an uninstalled workspace's data is kept before all of it is deleted.
    workspace_retention_days: int = 30
    # Socket Mode's GET /metrics: off unless a port is given (Socket Mode needs no inbound port,
    # and a second copy on the same host would find a fixed one taken).
    metrics_port: int | None = None
    metrics_host: str = DEFAULT_METRICS_HOST

    @property
    def oauth(self) -> bool:
        """Whether workspaces install the app by OAuth (client credentials, no bot token)."""
        return bool(self.slack_client_id and self.slack_client_secret and not self.slack_bot_token)

    @property
    def default_mode(self) -> Mode:
        """Socket Mode when an app-level token is configured, HTTP otherwise."""
        return Mode.SOCKET if self.slack_app_token else Mode.HTTP

    def require_bot_token(self) -> None:
        """Fail with a clear line unless the bot can speak to Slack: a bot token, or OAuth
        client credentials (each installed workspace's token is then in the database)."""
        self._require_one_distribution()
        if not self.slack_bot_token and not self.oauth:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: install the app from manifest.yml and copy the "
                "Bot User OAuth Token (xoxb-…) from OAuth & Permissions"
            )

    def _require_one_distribution(self) -> None:
        """Client id and secret come together, and never with a bot token."""
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            have, missing = (
                ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
                if self.slack_client_id
                else ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")
            )
            raise ConfigError(
                f"{missing} is not set but {have} is: OAuth needs both, from Basic Information "
                "> App Credentials"
            )
        if self.slack_client_id and self.slack_bot_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set: keep the "
                "bot token to serve one workspace, or the client credentials to let workspaces "
                "install the app, not both"
            )

    def require_slack(self, mode: Mode) -> None:
        """Fail with a clear line if a token or secret that ``mode`` needs is missing."""
        self.require_bot_token()
        if mode is Mode.SOCKET and self.oauth:
            raise ConfigError(
                "OAuth installs (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) need HTTP mode: unset "
                "SLACK_APP_TOKEN, or run `mentorbot run --http` with a public HTTPS URL"
            )
        if mode is Mode.SOCKET and not self.slack_app_token:
            raise ConfigError(
                "SLACK_APP_TOKEN is not set, and Socket Mode needs it: under Basic Information > "
                "App-Level Tokens, generate a token (xapp-…) with the connections:write scope"
            )
        if mode is Mode.SOCKET and self.http_workers > 1:
            raise ConfigError(
                "HTTP_WORKERS (run --workers) is for HTTP mode: Socket Mode holds one connection, "
                "in one process. Unset it, or run `mentorbot run --http`"
            )
        if mode is Mode.HTTP and not self.slack_signing_secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set, and HTTP mode needs it: copy the Signing Secret "
                "from Basic Information > App Credentials"
            )


def load_settings(
    environ: Mapping[str, str] | None = None, *, env_file: Path | None = Path(".env")
) -> Settings:
    """Read settings from ``environ`` (default: the process) over the ``.env`` file.

    Real environment variables always win over the file.
    """
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = values.get(name, "").strip()
        return value or None

    return Settings(
        slack_bot_token=_token(get("SLACK_BOT_TOKEN"), "SLACK_BOT_TOKEN", "xoxb-", _BOT_HELP),
        slack_signing_secret=_signing_secret(get("SLACK_SIGNING_SECRET")),
        slack_app_token=_token(get("SLACK_APP_TOKEN"), "SLACK_APP_TOKEN", "xapp-", _APP_HELP),
        slack_api_url=_api_url(get("SLACK_API_URL")),
        database_url=_database_url(get("DATABASE_URL")),
        port=_int(get("PORT"), "PORT", default=3000, low=1, high=65535),
        log_level=_choice(get("LOG_LEVEL"), "LOG_LEVEL", LOG_LEVELS, default="INFO").upper(),
        log_format=LogFormat(
            _choice(get("LOG_FORMAT"), "LOG_FORMAT", tuple(LogFormat), default="text").lower()
        ),
        listener_threads=_int(
            get("LISTENER_THREADS"),
            "LISTENER_THREADS",
            default=16,
            low=1,
            high=MAX_LISTENER_THREADS,
        ),
        http_workers=_int(
            get("HTTP_WORKERS"), "HTTP_WORKERS", default=1, low=1, high=MAX_HTTP_WORKERS
        ),
        sql_echo=_bool(get("SQL_ECHO"), "SQL_ECHO"),
        retention_days=_int(
            get("RETENTION_DAYS"), "RETENTION_DAYS", default=365, low=1, high=36500
        ),
        workspace_retention_days=_int(
            get("WORKSPACE_RETENTION_DAYS"),
            "WORKSPACE_RETENTION_DAYS",
            default=30,
            low=1,
            high=36500,
        ),
        slack_client_id=_client_id(get("SLACK_CLIENT_ID")),
        slack_client_secret=_client_secret(get("SLACK_CLIENT_SECRET")),
        slack_redirect_uri=_redirect_uri(get("SLACK_REDIRECT_URI")),
        metrics_port=_metrics_port(get("METRICS_PORT")),
        metrics_host=_metrics_host(get("METRICS_HOST")),
    )


_BOT_HELP = "copy the Bot User OAuth Token from OAuth & Permissions"
_APP_HELP = (
    "generate an app-level token with the connections:write scope under Basic Information > "
    "App-Level Tokens, or unset it to use HTTP mode"
)


def _token(value: str | None, name: str, prefix: str, help_text: str) -> str | None:
    if value is None:
        return None
    if not value.startswith(prefix):
        raise ConfigError(f"{name} must start with {prefix}: {help_text}")
    return value


def _signing_secret(value: str | None) -> str | None:
    if value is None:
        return None
    if value.startswith(("xox", "xapp-")) or not re.fullmatch(r"[0-9A-Za-z]{16,128}", value):
        raise ConfigError(
            "SLACK_SIGNING_SECRET does not look like a signing secret (32 letters and digits): "
            "copy it from Basic Information > App Credentials, not a token"
        )
    return value


def _client_id(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"\d+\.\d+", value):
        raise ConfigError(
            "SLACK_CLIENT_ID does not look like a client id (digits, a dot, digits): copy it "
            "from Basic Information > App Credentials"
        )
    return value


def _client_secret(value: str | None) -> str | None:
    if value is None:
        return None
    if value.startswith(("xox", "xapp-")) or not re.fullmatch(r"[0-9A-Za-z]{16,128}", value):
        raise ConfigError(
            "SLACK_CLIENT_SECRET does not look like a client secret (32 letters and digits): "
            "copy it from Basic Information > App Credentials, not a token"
        )
    return value


def _redirect_uri(value: str | None) -> str | None:
    if value is None:
        return None
    # The server answers Slack's redirect on this one path (bot.wiring.server).
    if not re.fullmatch(rf"https?://[^\s/]+(/\S*)?{re.escape(REDIRECT_PATH)}", value):
        raise ConfigError(
            f"SLACK_REDIRECT_URI must be this server's public URL ending in {REDIRECT_PATH}, "
            f"e.g. https://mentorbot.example.com{REDIRECT_PATH}, got {value!r}"
        )
    return value


def _metrics_port(value: str | None) -> int | None:
    if value is None:
        return None
    return _int(value, "METRICS_PORT", default=0, low=1, high=65535)


# A host name: dot-separated labels of letters, digits and inner hyphens.
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")


def _metrics_host(value: str | None) -> str:
    if value is None:
        return DEFAULT_METRICS_HOST
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not _HOST_NAME.fullmatch(value):
            raise ConfigError(
                "METRICS_HOST must be an address or host name to listen on, such as 0.0.0.0 "
                f"(every interface), 127.0.0.1 or ::, without a scheme or port, got {value!r}"
            ) from None
    return value


def _api_url(value: str | None) -> str:
    if value is None:
        return DEFAULT_SLACK_API_URL
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise ConfigError(
            f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_SLACK_API_URL}, got {value!r}"
        )
    # slack_sdk joins method names onto the base URL, which therefore has to end with a slash.
    return value if value.endswith("/") else value + "/"


def _database_url(value: str | None) -> str:
    if value is None:
        return DEFAULT_DATABASE_URL
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy needs the driver spelled out.
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            value = "postgresql+psycopg://" + value[len(prefix) :]
    hint = "use sqlite:///mentorbot.db or postgresql+psycopg://user:password@host:5432/dbname"
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL: {hint}") from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(f"DATABASE_URL names an unsupported database ({backend}): {hint}")
    if backend == "postgresql":
        if url.get_driver_name() != "psycopg":
            raise ConfigError(
                f"DATABASE_URL must use the psycopg driver (postgresql+psycopg://): {hint}"
            )
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise ConfigError(
                "DATABASE_URL points at PostgreSQL but its driver is not installed: "
                "pip install 'mentorbot[postgres]'"
            ) from None
    return value


def _int(value: str | None, name: str, *, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return number


def _bool(value: str | None, name: str) -> bool:
    if value is None:
        return False
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def _choice(value: str | None, name: str, choices: tuple[str, ...], *, default: str) -> str:
    if value is None:
        return default
    if value.upper() not in (choice.upper() for choice in choices):
        allowed = ", ".join(choices)
        raise ConfigError(f"{name} must be one of {allowed}, got {value!r}")
    return value
