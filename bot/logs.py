"""Structured logging: readable text for a terminal, one JSON object a line for a log pipeline."""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from bot.config import LogFormat

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is worth keeping.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


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
        entry.update(_extras(record))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """A terminal-friendly line with ``extra=`` fields appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a text line."""
        line = super().format(record)
        extras = _extras(record)
        if extras:
            line += " " + " ".join(f"{key}={value}" for key, value in extras.items())
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
    """Send every log line to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt is LogFormat.JSON else TextFormatter())
    floors = library_floors(level, sql_echo=sql_echo)
    handler.addFilter(LibraryFloor(floors))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, floor in floors.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLevelName(level)))
