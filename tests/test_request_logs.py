"""Every log line of a Slack request names it: its request id, workspace and person, in both log
formats, from the server and middleware through the listener to the work handed off after the
ack. Lines of a scheduled job's run name the job instead.

The app's own logging is set up as ``mentorbot run`` sets it (``configure_logging``), writing to
a list instead of stderr: one entry per record, a traceback with its line.
"""

import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.config import LogFormat, Settings
from bot.deps import Deps
from bot.logs import JsonFormatter, configure_logging, identify, library_floors, request_scope
from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from bot.wiring.runtime import Runtime
from scheduler import outbox
from scheduler.delivery import settle
from scheduler.engine import build_scheduler
from scheduler.outbox import Planned
from storage.db import session_scope
from storage.enums import ProgramStatus, Role, Structure
from storage.models import Participant, Program
from tests.conftest import FrozenClock
from tests.harness import SlackToBot, eventually

TEAM = slack_double.DEFAULT_TEAM_ID
LEAD, MENTOR, MENTEE = "UADMIN", "UM1", "UE1"
FIELDS = ("request_id", "team_id", "user_id", "job")


@dataclass(frozen=True)
class Line:
    """One record as written: its message and the fields it carries."""

    msg: str
    fields: dict[str, str]
    text: str

    def get(self, name: str) -> str | None:
        """The field ``name``, if the line carries it."""
        return self.fields.get(name)


class Written:
    """The stream the app's log handler writes to: one ``write`` per record."""

    def __init__(self, fmt: LogFormat) -> None:
        self.fmt = fmt
        self.records: list[str] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        """Keep one record."""
        with self._lock:
            self.records.append(text)
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""

    def lines(self) -> list[Line]:
        """Every record written so far, parsed."""
        with self._lock:
            records = list(self.records)
        return [self._parse(record.rstrip("\n")) for record in records]

    def _parse(self, record: str) -> Line:
        if self.fmt is LogFormat.JSON:
            entry: dict[str, Any] = json.loads(record)
            fields = {k: str(v) for k, v in entry.items() if k in FIELDS and v is not None}
            return Line(entry["msg"], fields, record)
        # "2026-03-02 09:00:00,123 INFO    logger.name: message key=value …", then any
        # traceback: the fields must be on the first line.
        first = record.split("\n", 1)[0]
        found = re.match(r"^\S+ \S+ [A-Z]+ +\S+: (.*)$", first)
        assert found, record
        rest = found.group(1)
        msg = re.split(r" \w+=", rest, maxsplit=1)[0]
        fields = dict(re.findall(rf" ({'|'.join(FIELDS)})=(\S+)", rest))
        return Line(msg, fields, record)

    def named(self, msg: str) -> list[Line]:
        """The lines whose message is ``msg``."""
        return [line for line in self.lines() if line.msg == msg]


@pytest.fixture(params=[LogFormat.JSON, LogFormat.TEXT], ids=["json", "text"])
def written(request: pytest.FixtureRequest) -> Iterator[Written]:
    """The app's logging, at INFO in the format under test, as ``mentorbot run`` sets it up."""
    fmt: LogFormat = request.param
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {name: logging.getLogger(name).level for name in library_floors("INFO")}
    stream = Written(fmt)
    configure_logging("INFO", fmt)
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    # pytest's own capture stays, after the app's handler.
    root.handlers[:] = [handler, *saved[0]]
    try:
        yield stream
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)


@pytest.fixture
def cohort(engine: Engine, slack: SlackDouble) -> None:
    """An enrolling program with one mentor and one mentee, not yet paired."""
    with session_scope(engine) as session:
        program = Program(
            team_id=TEAM,
            name="Spring cohort",
            status=ProgramStatus.ENROLLING,
            start_date=date(2026, 3, 1),
            competencies=["Public speaking"],
            structure=Structure.ONE_TO_ONE,
            created_by="UOTHERLEAD",
        )
        session.add(program)
        session.flush()
        assert program.id is not None
        for user_id, role in ((MENTOR, Role.MENTOR), (MENTEE, Role.MENTEE)):
            session.add(
                Participant(
                    team_id=TEAM,
                    program_id=program.id,
                    user_id=user_id,
                    role=role,
                    skills=[{"skill": "Public speaking", "score": 3, "stated": True}],
                    timezone="Europe/Berlin",
                )
            )
    for user_id in (MENTOR, MENTEE):
        slack.add_user(user_id, name=user_id.lower(), real_name=f"Person {user_id}", tz="UTC")


def _by_request(lines: list[Line]) -> dict[str, list[Line]]:
    groups: dict[str, list[Line]] = {}
    for line in lines:
        request_id = line.get("request_id")
        if request_id is not None:
            groups.setdefault(request_id, []).append(line)
    return groups


def _broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


def test_every_line_of_a_request_names_the_request_its_workspace_and_its_person(
    written: Written,
    bot: SlackToBot,
    slack: SlackDouble,
    deps: Deps,
    cohort: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The lead pairs two people: the command is logged by its listener, and the introduction
    # goes out after the ack, where Slack refuses it once (its lines come from that thread).
    slack.fail_next("chat.postMessage", status=500)
    answer = bot.ask(f"pair <@{MENTOR}|um1> <@{MENTEE}|ue1> Spring cohort", user_id=LEAD)
    assert "Paired" in answer["text"]
    assert settle(deps)
    # A listener that fails: its traceback is logged in the listener's thread.
    monkeypatch.setattr("handlers.status.pair_dashboards", _broken)
    assert "went wrong" in str(bot.ask("status", user_id=MENTOR)).lower()
    # Refused before Bolt reads it, and refused by the middleware.
    forged = bot.post("command=%2Fmentor&text=help", headers={"X-Slack-Signature": "v0=forged"})
    assert forged.status == 401
    assert bot.command("help", team_id="T0OTHER", user_id="U0OTHER").status == 200

    lines = written.lines()
    groups = _by_request(lines)
    # Each request's lines name one workspace and one person, whichever thread wrote them.
    for request_lines in groups.values():
        assert len({line.get("team_id") for line in request_lines}) == 1, request_lines
        assert len({line.get("user_id") for line in request_lines}) == 1, request_lines
        assert all(line.get("job") is None for line in request_lines)

    [paired] = [line for line in written.named("command") if line.get("user_id") == LEAD]
    pairing = groups[str(paired.get("request_id"))]
    assert {"command", "slack call failed", "delivery will be retried"} <= {
        line.msg for line in pairing
    }
    assert {(line.get("team_id"), line.get("user_id")) for line in pairing} == {(TEAM, LEAD)}

    [failed] = written.named("listener failed")
    failing = groups[str(failed.get("request_id"))]
    assert {line.msg for line in failing} == {"command", "listener failed"}
    assert {(line.get("team_id"), line.get("user_id")) for line in failing} == {(TEAM, MENTOR)}
    assert "RuntimeError: boom" in failed.text

    [refused] = written.named("request refused: invalid signature")
    assert refused.get("request_id") is not None
    assert (refused.get("team_id"), refused.get("user_id")) == (None, None)

    [stranger] = written.named("request from another workspace refused")
    assert (stranger.get("team_id"), stranger.get("user_id")) == ("T0OTHER", "U0OTHER")

    # Four requests, four ids; every line of the test was written inside one of them.
    ids = {line.get("request_id") for line in (paired, failed, refused, stranger)}
    assert len(ids) == 4
    assert set(groups) == ids
    assert all(line.get("request_id") for line in lines), [line.text for line in lines]


def test_a_scheduled_run_names_its_job_and_no_request(
    written: Written, slack: SlackDouble, deps: Deps, engine: Engine, clock: FrozenClock
) -> None:
    with session_scope(engine) as session:
        due = Planned(
            team_id=TEAM,
            dedupe_key="due",
            rule="test",
            recipient_id="U0001",
            payload={"text": "hello", "blocks": []},
            due_at=clock() - timedelta(minutes=1),
        )
        assert outbox.enqueue(session, [due], now=clock()) == 1
    slack.fail_next("chat.postMessage", status=500)
    # Run inside a request's fields: the job's own take their place, none leak into it.
    with request_scope():
        build_scheduler(deps).get_job("deliver_outbox").func()

    lines = written.lines()
    assert {"slack call failed", "delivery will be retried"} <= {line.msg for line in lines}
    for line in lines:
        assert line.get("job") == "deliver_outbox", line.text
        assert (line.get("request_id"), line.get("team_id"), line.get("user_id")) == (
            None,
            None,
            None,
        )


def test_fields_end_with_their_request(written: Written) -> None:
    log = logging.getLogger("tests.request_logs")
    with request_scope() as request_id:
        log.info("inside")
        identify(team_id=TEAM, user_id="U0001")
        # A line that names someone itself keeps its own.
        log.info("named", extra={"user_id": "U0002"})
    log.info("after")
    # Outside a request there is nobody to name.
    identify(team_id=TEAM, user_id="U0001")
    log.info("outside")
    inside, named, after, outside = written.lines()
    assert inside.fields == {"request_id": request_id}
    assert named.fields == {"request_id": request_id, "team_id": TEAM, "user_id": "U0002"}
    assert after.fields == {}
    assert outside.fields == {}


def test_socket_mode_lines_name_their_request(
    written: Written, slack: SlackDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=None,
        slack_app_token="xapp-test-token",
        slack_api_url=slack.api_url,
        database_url=f"sqlite:///{tmp_path / 'bot.db'}",
    )
    monkeypatch.setattr("handlers.status.pair_dashboards", _broken)
    runtime = Runtime(settings)
    runtime.start(migrate=True)
    thread = threading.Thread(target=runtime.serve_socket_mode, daemon=True)
    thread.start()
    try:
        slack.wait_for_socket_client(timeout=10)
        payload = slack_double.slash_command_payload(
            text="status", user_id="U0002", response_url=slack.new_response_url()
        )
        slack.wait_for_socket_ack(slack.socket_send("slash_commands", payload), timeout=5)
        assert eventually(lambda: bool(written.named("listener failed")))
    finally:
        runtime.stop()
        thread.join(timeout=10)
    [failed] = written.named("listener failed")
    [command] = written.named("command")
    assert failed.get("request_id") is not None
    for line in (command, failed):
        assert (line.get("request_id"), line.get("team_id"), line.get("user_id")) == (
            failed.get("request_id"),
            TEAM,
            "U0002",
        )


def test_a_field_named_like_the_lines_own_never_hides_it() -> None:
    """``extra={"ts": ...}`` (a Slack message's time) keeps the line's own timestamp."""
    record = logging.LogRecord("scheduler", logging.INFO, __file__, 1, "sent", None, None)
    record.ts = "1700000000.000100"
    record.level = "mine"
    line = json.loads(JsonFormatter().format(record))
    assert line["ts"].startswith(str(datetime.fromtimestamp(record.created, UTC).year))
    assert (line["level"], line["extra_level"]) == ("INFO", "mine")
    assert line["extra_ts"] == "1700000000.000100"
