"""Hostile and malformed requests: refused with 4xx before they cost memory, log space or data."""

import hashlib
import hmac
import json
import logging
import socket
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.deps import Deps
from bot.ids import BlockId
from bot.logs import LibraryFloor, library_floors
from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from bot.wiring.server import MAX_BODY_BYTES
from handlers.listeners import Submission, Surface
from storage.db import make_engine, session_scope
from storage.enums import DeliveryStatus
from storage.migrate import upgrade
from storage.models import Delivery, Meeting, Program
from tests.harness import SlackToBot, now
from tests.pairs import MENTEE, MENTOR, TEAM, make_pair

CANARY = "canary-7f3a-private-words"
TABLES_PEOPLE_WRITE = (Delivery, Meeting, Program)


def _nothing_stored(engine: Engine) -> None:
    with session_scope(engine) as session:
        for table in TABLES_PEOPLE_WRITE:
            assert session.exec(select(table)).all() == [], table.__name__


def _slack_calls(slack: SlackDouble) -> list[str]:
    """Web API calls since the app started (Bolt's own auth.test at start-up left out)."""
    return [c.method for c in slack.calls if c.method != "auth.test"]


def _raw_post(bot: SlackToBot, head: bytes, body: bytes = b"") -> int:
    """Send a hand-written HTTP request; the status code of the answer."""
    host, port = bot.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head + body)
        answer = conn.recv(4096).decode("latin-1")
    return int(answer.split(" ", 2)[1])


# --- size and signature --------------------------------------------------------------------------


@pytest.mark.parametrize("announced", [MAX_BODY_BYTES + 1, 300 * 1024 * 1024])
def test_a_body_announced_beyond_the_cap_is_refused_before_it_is_read(
    bot: SlackToBot, engine: Engine, announced: int
) -> None:
    huge = announced
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {huge}\r\n\r\n"
    ).encode()
    assert _raw_post(bot, head, b"payload=") == 413
    _nothing_stored(engine)


def test_an_unsigned_body_is_refused_and_never_logged(
    bot: SlackToBot, slack: SlackDouble, caplog: pytest.LogCaptureFixture
) -> None:
    body = urlencode({"payload": json.dumps({"type": "block_actions", "text": CANARY})})
    forged = {"X-Slack-Signature": "v0=" + "0" * 64}
    with caplog.at_level(logging.DEBUG):
        assert bot.post(body, headers=forged).status == 401
    assert all(CANARY not in record.getMessage() for record in caplog.records)
    assert all(CANARY not in json.dumps(vars(record), default=str) for record in caplog.records)
    assert any(r.getMessage() == "request refused: invalid signature" for r in caplog.records)
    assert _slack_calls(slack) == []


@pytest.mark.parametrize("timestamp", ["soon", "", "1e9", "-5", "9" * 40])
def test_a_timestamp_that_is_not_a_number_is_refused(bot: SlackToBot, timestamp: str) -> None:
    body = slack_double.slash_command_body("/mentor", "help")
    response = bot.post(body, headers={"X-Slack-Request-Timestamp": timestamp})
    assert response.status == 401
    assert "Traceback" not in response.body


def test_a_replayed_request_older_than_five_minutes_is_refused(bot: SlackToBot) -> None:
    body = slack_double.slash_command_body("/mentor", "help")
    stale = slack_double.sign(body, bot.secret, timestamp=now() - 301)
    assert bot.post(body, headers=stale).status == 401


# --- signed, but not what Slack sends ------------------------------------------------------------


def _signed_form(payload: Any) -> str:
    return urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)})


MALFORMED: list[tuple[str, str, str]] = [
    ("junk payload", _signed_form("junk"), "application/x-www-form-urlencoded"),
    ("a list", _signed_form([1, 2, 3]), "application/x-www-form-urlencoded"),
    (
        "no actions",
        _signed_form({"type": "block_actions", "user": {"id": MENTEE}, "actions": []}),
        "application/x-www-form-urlencoded",
    ),
    (
        "a submission without a view",
        _signed_form({"type": "view_submission", "user": {"id": MENTEE}}),
        "application/x-www-form-urlencoded",
    ),
    ("a command as JSON", json.dumps({"command": "/mentor", "text": "help"}), "application/json"),
    ("a JSON list", "[]", "application/json"),
    ("JSON that is not JSON", "{", "application/json"),
    ("an empty form", "", "application/x-www-form-urlencoded"),
]


@pytest.mark.parametrize(("what", "body", "content_type"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_signed_body_of_the_wrong_shape_is_a_400(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    what: str,
    body: str,
    content_type: str,
) -> None:
    response = bot.post(body, content_type=content_type)
    assert response.status == 400, what
    assert "Traceback" not in response.body
    assert _slack_calls(slack) == []
    _nothing_stored(engine)


def test_a_signed_body_that_is_not_utf8_is_a_400(bot: SlackToBot, slack: SlackDouble) -> None:
    raw = b"payload=%7B%22type%22%3A%22block_actions%22%7D\xff\xfe"
    # Signed over the raw bytes, as Slack signs (sign() takes text).
    timestamp = str(now())
    base = b"v0:" + timestamp.encode() + b":" + raw
    signature = "v0=" + hmac.new(bot.secret.encode(), base, hashlib.sha256).hexdigest()
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: {timestamp}\r\n"
        f"X-Slack-Signature: {signature}\r\n"
        f"Content-Length: {len(raw)}\r\n\r\n"
    ).encode()
    assert _raw_post(bot, head, raw) == 400
    assert _slack_calls(slack) == []


def test_a_command_whose_words_say_payload_is_read_as_the_command_it_is(bot: SlackToBot) -> None:
    # Bolt alone reads any form holding "payload" as an interaction's payload= form.
    answer = bot.command("payload please", user_id=MENTEE)
    assert answer.status == 200
    assert "I don't know `/mentor payload`" in answer.json()["text"]


def test_a_form_with_two_payloads_is_judged_on_the_one_bolt_is_given(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    # The first is a click, the second has no action: the request is read once, so the payload
    # checked is the payload dispatched (the last, as Python's form parsers keep it).
    click = slack_double.block_actions_body("home_refresh", "", user_id=MENTEE, team_id=TEAM)
    empty = {"type": "block_actions", "user": {"id": MENTEE}, "actions": []}
    response = bot.post(f"{click}&{urlencode({'payload': json.dumps(empty)})}")
    assert response.status == 400
    assert response.json()["error"] == "no_actions"
    assert _slack_calls(slack) == []
    _nothing_stored(engine)


@pytest.mark.parametrize(
    ("block_id", "value", "field"),
    [
        (BlockId.SESSION_DATE, "2026-02-30", "selected_date"),
        (BlockId.SESSION_TIME, "25:99", "selected_time"),
    ],
)
def test_a_forged_date_or_time_is_an_inline_error_and_nothing_is_stored(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    block_id: str,
    value: str,
    field: str,
) -> None:
    pair = make_pair(engine, slack)
    bot.command("schedule", user_id=MENTEE, trigger_id=slack.new_trigger_id())
    [opened] = slack.wait_for("views.open")
    view = opened.params["view"]
    payload = slack_double.view_submission_payload(
        view["callback_id"],
        {
            BlockId.SESSION_DATE: {"input": {"type": "datepicker", "selected_date": "2026-03-10"}},
            BlockId.SESSION_TIME: {"input": {"type": "timepicker", "selected_time": "10:00"}},
            block_id: {"input": {"type": field.removeprefix("selected_") + "picker", field: value}},
        },
        user_id=MENTEE,
        private_metadata=view.get("private_metadata", ""),
        blocks=list(view.get("blocks", [])),
    )
    answer = bot.post(urlencode({"payload": json.dumps(payload)}))
    assert answer.status == 200
    assert answer.json()["response_action"] == "errors"
    assert "isn't a" in answer.json()["errors"][block_id]
    with session_scope(engine) as session:
        assert (
            session.exec(select(Meeting).where(Meeting.pairing_id == pair.pairing_id)).all() == []
        )


# --- logs and files ------------------------------------------------------------------------------


def test_library_debug_records_never_pass_even_when_their_loggers_say_debug() -> None:
    floor = LibraryFloor(library_floors("DEBUG"))

    def record(name: str, level: int) -> logging.LogRecord:
        return logging.LogRecord(name, level, __file__, 1, f"body: {CANARY}", None, None)

    # Bolt gives its child loggers the root's level: a filter on the handler is what holds.
    assert not floor.filter(record("slack_bolt.RequestVerification", logging.DEBUG))
    assert not floor.filter(record("slack_sdk.web.base_client", logging.DEBUG))
    assert not floor.filter(record("sqlalchemy.engine.Engine", logging.INFO))
    assert floor.filter(record("slack_bolt.App", logging.INFO))
    assert floor.filter(record("handlers.listeners", logging.DEBUG))
    with_echo = LibraryFloor(library_floors("DEBUG", sql_echo=True))
    assert with_echo.filter(record("sqlalchemy.engine.Engine", logging.INFO))
    quiet = LibraryFloor(library_floors("INFO"))
    assert not quiet.filter(record("slack_bolt.App", logging.INFO))


def test_a_database_error_does_not_carry_what_was_written(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'errors.db'}")
    try:
        upgrade(engine)
        with pytest.raises(IntegrityError) as caught, session_scope(engine) as session:
            session.execute(
                text("INSERT INTO program (id, team_id, name) VALUES (1, :team, :name)"),
                {"team": "T1", "name": CANARY},
            )
        assert CANARY not in str(caught.value)
    finally:
        engine.dispose()


def test_the_sqlite_files_are_private_to_the_bots_user(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        files = [path, path.with_name("private.db-wal"), path.with_name("private.db-shm")]
        for file in files:
            assert file.exists(), file.name
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
    finally:
        engine.dispose()
    # A file made world-readable by an older version is closed up at the next start.
    path.chmod(0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --- another workspace ---------------------------------------------------------------------------


def test_a_command_from_another_workspace_is_refused_and_writes_nothing(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    answer = bot.command("program list", user_id="UOTHER", team_id="T9OTHER").json()
    assert "isn't installed in your workspace" in answer["text"]
    answer = bot.command("join", user_id="UOTHER", team_id="T9OTHER").json()
    assert "isn't installed in your workspace" in answer["text"]
    assert _slack_calls(slack) == []
    _nothing_stored(engine)


def test_clicks_and_events_from_another_workspace_are_dropped(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    pair = make_pair(engine, slack)
    clicked = bot.action(
        "goals_open", str(pair.pairing_id), user_id=MENTEE, team_id="T9OTHER", trigger_id="t"
    )
    assert (clicked.status, clicked.body) == (200, "")
    event = slack_double.app_home_opened_event(MENTEE)
    assert bot.event(event, team_id="T9OTHER").status == 200
    # An event of this workspace, sent after: once it is handled, the other one would have been.
    bot.event(slack_double.app_home_opened_event("U0002"))
    [published] = slack.wait_for("views.publish")
    assert published.params["user_id"] == "U0002"
    assert [c for c in _slack_calls(slack) if c not in ("users.info", "views.publish")] == []


# --- what a modal's metadata names is checked, not trusted ---------------------------------------


def _interaction(deps: Deps, user_id: str, view: dict[str, Any] | None = None) -> Submission:
    return Submission(
        deps=deps,
        team_id=TEAM,
        user_id=user_id,
        trigger_id="",
        surface=Surface.MODAL,
        source_view=view,
        view=view or {},
    )


def test_a_dm_named_in_metadata_is_only_updated_for_the_person_it_went_to(
    deps: Deps, engine: Engine, slack: SlackDouble
) -> None:
    channel = slack.dm_channel_id(MENTOR)
    ts = deps.gateway.post_message(MENTOR, {"text": "Bob's agreement request"})
    with session_scope(engine) as session:
        session.add(
            Delivery(
                team_id=TEAM,
                dedupe_key="goal_agreement:1",
                rule="goal_agreement",
                recipient_id=MENTOR,
                channel_id=channel,
                message_ts=ts,
                status=DeliveryStatus.SENT,
                due_at=datetime(2026, 3, 2, tzinfo=UTC),
            )
        )
    forged = _interaction(deps, MENTEE)
    assert not forged.replace_message(channel, ts, {"text": f"{CANARY} overwritten"})
    assert slack.calls_to("chat.update") == []
    assert _interaction(deps, MENTOR).replace_message(channel, ts, {"text": "settled"})
    [update] = slack.calls_to("chat.update")
    assert update.params["text"] == "settled"


def test_only_a_modal_of_the_actors_own_stack_is_redrawn(deps: Deps, slack: SlackDouble) -> None:
    view = {"id": "V3", "root_view_id": "V1", "previous_view_id": "V2", "type": "modal"}
    i = _interaction(deps, MENTEE, view)
    i.redraw("V9", {"type": "modal", "title": {"type": "plain_text", "text": CANARY}})
    assert slack.calls_to("views.update") == []
    for view_id in ("V1", "V2", "V3"):
        i.redraw(view_id, {"type": "modal", "title": {"type": "plain_text", "text": "ok"}})
    assert [c.params["view_id"] for c in slack.calls_to("views.update")] == ["V1", "V2", "V3"]


@pytest.mark.parametrize(
    ("text", "echoed"),
    [
        ("report <!here> <https://evil.example|Open Slack>", "program called"),
        ("stage <@U0002> <!channel>", "stage"),
    ],
)
def test_words_a_person_typed_are_echoed_back_as_text(
    bot: SlackToBot, engine: Engine, slack: SlackDouble, text: str, echoed: str
) -> None:
    make_pair(engine, slack)
    said = json.dumps(bot.ask(text, user_id="UADMIN" if text.startswith("report") else MENTEE))
    assert echoed in said
    for live in ("<!here>", "<!channel>", "<https://evil"):
        assert live not in said
