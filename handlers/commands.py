"""The ``/mentor`` slash command: parse the text, hand it to the subcommand's handler."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.commands import (
    COMMAND,
    HELP,
    CommandSyntaxError,
    Subcommand,
    help_rank,
    parse_command_text,
)
from bot.deps import Deps
from bot.views.help import build_help

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """One ``/mentor`` invocation, parsed, with what a subcommand handler needs to answer it."""

    ack: Ack
    respond: Respond
    deps: Deps
    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    args: tuple[str, ...]


SubcommandHandler = Callable[[CommandRequest], None]


class CommandRouter:
    """Maps subcommand names to handlers; the help lists exactly what is registered."""

    def __init__(self) -> None:
        self._handlers: dict[str, tuple[Subcommand, SubcommandHandler]] = {}
        self.add(HELP, self._handle_help)

    def add(self, subcommand: Subcommand, handler: SubcommandHandler) -> None:
        """Register ``handler`` for ``subcommand``."""
        if subcommand.name in self._handlers:
            raise ValueError(f"{COMMAND} {subcommand.name} is registered twice")
        self._handlers[subcommand.name] = (subcommand, handler)

    @property
    def subcommands(self) -> list[Subcommand]:
        """Every registered subcommand, in the help's order."""
        return sorted((sub for sub, _ in self._handlers.values()), key=help_rank)

    def _handle_help(self, request: CommandRequest) -> None:
        request.ack(**build_help(self.subcommands))

    def handle_mentor_command(
        self, ack: Ack, respond: Respond, command: dict[str, Any], deps: Deps
    ) -> None:
        """Route ``/mentor …``; unknown or unreadable input gets the help with what went wrong."""
        try:
            parsed = parse_command_text(command.get("text", ""))
        except CommandSyntaxError as exc:
            ack(**build_help(self.subcommands, problem=str(exc)))
            return
        entry = self._handlers.get(parsed.name)
        if entry is None:
            problem = f"I don't know `{COMMAND} {parsed.name}`. Here is what I can do:"
            ack(**build_help(self.subcommands, problem=problem))
            return
        _, handler = entry
        log.info(
            "command",
            extra={
                "subcommand": parsed.name,
                "team_id": command.get("team_id"),
                "user_id": command.get("user_id"),
            },
        )
        handler(
            CommandRequest(
                ack=ack,
                respond=respond,
                deps=deps,
                team_id=command["team_id"],
                user_id=command["user_id"],
                channel_id=command.get("channel_id", ""),
                trigger_id=command.get("trigger_id", ""),
                args=parsed.args,
            )
        )


def register(app: App, router: CommandRouter) -> None:
    """Listen for ``/mentor``."""
    app.command(COMMAND)(router.handle_mentor_command)
