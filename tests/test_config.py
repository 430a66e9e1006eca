"""Settings: defaults, .env files, and one clear line for every bad value."""

import re
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, LogFormat, Mode, load_settings

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def test_defaults_with_nothing_set() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000
    assert settings.log_level == "INFO"
    assert settings.log_format is LogFormat.TEXT
    assert settings.default_mode is Mode.HTTP


def test_env_file_fills_in_but_real_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nLOG_FORMAT=json\nSLACK_BOT_TOKEN=xoxb-from-file\n")
    settings = load_settings({"PORT": "5000"}, env_file=env_file)
    assert settings.port == 5000
    assert settings.log_format is LogFormat.JSON
    assert settings.slack_bot_token == "xoxb-from-file"


def test_app_token_selects_socket_mode() -> None:
    settings = load_settings({"SLACK_APP_TOKEN": "xapp-1-A1-1-abc"}, env_file=None)
    assert settings.default_mode is Mode.SOCKET


def test_api_url_gets_the_trailing_slash_slack_sdk_needs() -> None:
    settings = load_settings({"SLACK_API_URL": "http://127.0.0.1:9000/api"}, env_file=None)
    assert settings.slack_api_url == "http://127.0.0.1:9000/api/"


def test_postgres_urls_are_given_the_psycopg_driver() -> None:
    settings = load_settings({"DATABASE_URL": "postgres://u:p@db:5432/mentor"}, env_file=None)
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/mentor"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN must start with xoxb-"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN must start with xapp-"),
        ({"SLACK_SIGNING_SECRET": "xoxb-1-2"}, "SLACK_SIGNING_SECRET does not look like"),
        ({"SLACK_SIGNING_SECRET": "short"}, "SLACK_SIGNING_SECRET does not look like"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL must be an http(s) URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL names an unsupported database"),
        ({"DATABASE_URL": "postgresql+asyncpg://u@h/db"}, "must use the psycopg driver"),
        ({"PORT": "http"}, "PORT must be a whole number from 1 to 65535, got 'http'"),
        ({"PORT": "70000"}, "PORT must be a whole number from 1 to 65535"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be one of text, json"),
        ({"LISTENER_THREADS": "0"}, "LISTENER_THREADS must be a whole number from 1 to 256"),
        ({"HTTP_WORKERS": "two"}, "HTTP_WORKERS must be a whole number from 1 to 64, got 'two'"),
        ({"HTTP_WORKERS": "0"}, "HTTP_WORKERS must be a whole number from 1 to 64"),
    ],
)
def test_malformed_values_name_the_variable(environ: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ, env_file=None)
    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("environ", "mode", "expected"),
    [
        ({}, Mode.HTTP, "SLACK_BOT_TOKEN is not set: install the app from manifest.yml"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, Mode.HTTP, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, Mode.SOCKET, "SLACK_APP_TOKEN is not set"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "HTTP_WORKERS": "2"},
            Mode.SOCKET,
            r"HTTP_WORKERS \(run --workers\) is for HTTP mode",
        ),
    ],
)
def test_missing_slack_credentials_say_where_to_get_them(
    environ: dict[str, str], mode: Mode, expected: str
) -> None:
    settings = load_settings(environ, env_file=None)
    with pytest.raises(ConfigError, match=expected):
        settings.require_slack(mode)


def test_complete_settings_pass_for_both_modes() -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_APP_TOKEN": "xapp-1",
        },
        env_file=None,
    )
    settings.require_slack(Mode.HTTP)
    settings.require_slack(Mode.SOCKET)


CLIENT = {"SLACK_CLIENT_ID": "1000000001.2000000002", "SLACK_CLIENT_SECRET": SECRET}
REDIRECT = "https://mentorbot.example.com/slack/oauth_redirect"


def test_client_credentials_without_a_bot_token_mean_oauth_in_http_mode() -> None:
    settings = load_settings(
        {**CLIENT, "SLACK_SIGNING_SECRET": SECRET, "SLACK_REDIRECT_URI": REDIRECT}, env_file=None
    )
    assert settings.oauth
    assert settings.default_mode is Mode.HTTP
    assert settings.slack_redirect_uri == REDIRECT
    settings.require_slack(Mode.HTTP)
    settings.require_bot_token()  # one-shot commands (tick) speak for every installed workspace


def test_a_bot_token_alone_is_single_workspace_mode() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}, env_file=None)
    assert not settings.oauth


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SLACK_CLIENT_ID": "abc"}, "SLACK_CLIENT_ID does not look like a client id"),
        ({"SLACK_CLIENT_SECRET": "xoxb-1-2"}, "SLACK_CLIENT_SECRET does not look like"),
        ({"SLACK_CLIENT_SECRET": "short"}, "SLACK_CLIENT_SECRET does not look like"),
        (
            {"SLACK_REDIRECT_URI": "https://mentorbot.example.com/slack/events"},
            "SLACK_REDIRECT_URI must be this server's public URL ending in /slack/oauth_redirect",
        ),
        ({"SLACK_REDIRECT_URI": "mentorbot.example.com"}, "SLACK_REDIRECT_URI must be"),
    ],
)
def test_malformed_oauth_values_name_the_variable(environ: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ, env_file=None)
    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("environ", "mode", "expected"),
    [
        (
            {"SLACK_CLIENT_ID": CLIENT["SLACK_CLIENT_ID"], "SLACK_SIGNING_SECRET": SECRET},
            Mode.HTTP,
            "SLACK_CLIENT_SECRET is not set but SLACK_CLIENT_ID is",
        ),
        (
            {"SLACK_CLIENT_SECRET": SECRET, "SLACK_SIGNING_SECRET": SECRET},
            Mode.HTTP,
            "SLACK_CLIENT_ID is not set but SLACK_CLIENT_SECRET is",
        ),
        (
            {**CLIENT, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": SECRET},
            Mode.HTTP,
            "SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set",
        ),
        (
            {**CLIENT, "SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": SECRET},
            Mode.SOCKET,
            "OAuth installs (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) need HTTP mode",
        ),
        (CLIENT, Mode.HTTP, "SLACK_SIGNING_SECRET is not set, and HTTP mode needs it"),
    ],
)
def test_each_distribution_mode_says_what_it_lacks(
    environ: dict[str, str], mode: Mode, expected: str
) -> None:
    settings = load_settings(environ, env_file=None)
    with pytest.raises(ConfigError, match=re.escape(expected)) as raised:
        settings.require_slack(mode)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("value", ["0", "thirty", "-5", "36501"])
def test_workspace_retention_is_whole_days_and_defaults_to_30(value: str) -> None:
    assert load_settings({}, env_file=None).workspace_retention_days == 30
    settings = load_settings({"WORKSPACE_RETENTION_DAYS": "90"}, env_file=None)
    assert settings.workspace_retention_days == 90
    with pytest.raises(ConfigError) as raised:
        load_settings({"WORKSPACE_RETENTION_DAYS": value}, env_file=None)
    assert str(raised.value) == (
        f"WORKSPACE_RETENTION_DAYS must be a whole number from 1 to 36500, got {value!r}"
    )
