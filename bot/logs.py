"""Structured logging: readable text for a terminal, one JSON object a line for a log pipeline.

Every line written while the bot handles a Slack request carries that request's ``request_id``,
and once Bolt has read them its ``team_id`` and ``user_id``; every line of a scheduled job's run
carries the ``job``. They live in a context variable, so they follow the request's work into the
threads it hands work to (``ContextThreadPool``, ``Deps.after_ack``), and ``ContextFields``
stamps them on each record as it is written, in either format.
"""

import json
import logging
import secrets
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from bot.config import LogFormat

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is worth keeping.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)

# The fields every line written in this context carries (a new mapping each time they change,
# so a copied context never sees another's change).
_FIELDS: ContextVar[Mapping[str, str]] = ContextVar("mentorbot_log_fields", default={})  # noqa: B039

P = ParamSpec("P")
T = TypeVar("T")


@contextmanager
def _scope(fields: Mapping[str, str]) -> Iterator[None]:
    token = _FIELDS.set(fields)
    try:
        yield
    finally:
        # The thread goes back to serving others: none of this request's fields stay with it.
        _FIELDS.reset(token)


@contextmanager
def request_scope() -> Iterator[str]:
    """One Slack request (an HTTP request or a Socket Mode envelope): every line logged inside,
    and by work handed off from it, carries a fresh ``request_id``.

    Random rather than taken from Slack: Slack sends no id with an HTTP request, Socket Mode's
    envelope id exists in one mode only, and an id derived from the signature would put a
    value made with the signing secret in every line. 64 random bits never repeat in a log.
    """
    request_id = secrets.token_hex(8)
    with _scope({"request_id": request_id}):
        yield request_id


@contextmanager
def job_scope(name: str) -> Iterator[None]:
    """One run of a scheduled job: its lines carry ``job``, and no request's fields."""
    with _scope({"job": name}):
        yield


def identify(*, team_id: str | None, user_id: str | None) -> None:
    """Name the workspace and person of the request being handled, once Bolt has read them;
    outside a request (no ``request_scope``) it does nothing."""
    current = _FIELDS.get()
    if "request_id" not in current:
        return
    named = {key: value for key, value in (("team_id", team_id), ("user_id", user_id)) if value}
    _FIELDS.set({**current, **named})


class ContextThreadPool(ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the submitter's context: a request's log
    fields follow the work it hands off (a new thread would start without them)."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Schedule ``fn`` to run in a copy of the caller's context."""
        context = copy_context()
        return super().submit(lambda: context.run(fn, *args, **kwargs))


class ContextFields(logging.Filter):
    """Stamps the context's fields (request id, team, user; or the job) on every record, unless
    the line already names one of them itself (``extra=``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the fields; never drops a record."""
        for key, value in _FIELDS.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object, with ``extra=`` fields at the top level."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a JSON line."""
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in _extras(record).items():
            # A field named like the line's own (``ts``: a Slack message's time) never hides it.
            entry[f"extra_{key}" if key in entry else key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """A terminal-friendly line with ``extra=`` fields appended as key=value, on the first line
    (a traceback follows it, so grepping for a request id finds the line that has one)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a text line (and its traceback, if any, below it)."""
        record.message = record.getMessage()
        record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        extras = _extras(record)
        if extras:
            line += " " + " ".join(f"{key}={value}" for key, value in extras.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}


class LibraryFloor(logging.Filter):
    """Keeps third-party records below each library's floor out, whatever level its loggers have.

    Setting a level on ``slack_bolt`` is not enough: Bolt gives each of its child loggers the
    root's level when it creates them. And below INFO the Slack libraries log request and message
    bodies, SQLAlchemy rows: people's words, which no log line may carry.
    """

    def __init__(self, floors: dict[str, int]) -> None:
        super().__init__()
        self.floors = floors

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether the record may be written."""
        for name, floor in self.floors.items():
            if record.name == name or record.name.startswith(f"{name}."):
                return record.levelno >= floor
        return True


def library_floors(level: str, *, sql_echo: bool = False) -> dict[str, int]:
    """The lowest level each library may log at: WARNING, or INFO when we debug (never DEBUG:
    that is where they print bodies); SQL statements only with ``sql_echo``."""
    chatty = logging.INFO if level == "DEBUG" else logging.WARNING
    floors = dict.fromkeys(
        ("slack_bolt", "slack_sdk", "apscheduler", "waitress", "alembic"), chatty
    )
    floors["sqlalchemy"] = logging.INFO if sql_echo else logging.WARNING
    return floors


def configure_logging(level: str, fmt: LogFormat, *, sql_echo: bool = False) -> None:
    """Send every log line to stderr in the chosen format, with its request's or job's fields."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt is LogFormat.JSON else TextFormatter())
    floors = library_floors(level, sql_echo=sql_echo)
    handler.addFilter(LibraryFloor(floors))
    handler.addFilter(ContextFields())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, floor in floors.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLevelName(level)))
