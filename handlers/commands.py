"""The ``/mentor`` slash command: parse the text, ack, hand it to the subcommand's handler."""

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.commands import (
    COMMAND,
    HELP,
    CommandSyntaxError,
    Subcommand,
    help_rank,
    parse_command_text,
)
from bot.views.help import build_help
from bot.views.text import escape
from handlers.listeners import CommandHandler, command_of, run_command

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Route:
    subcommand: Subcommand
    handler: CommandHandler
    pair: bool


class CommandRouter:
    """Maps subcommand names to handlers; the help lists exactly what is registered."""

    def __init__(self) -> None:
        self._routes: dict[str, _Route] = {}

    def add(self, subcommand: Subcommand, handler: CommandHandler, *, pair: bool = False) -> None:
        """Register ``handler`` for ``subcommand``; ``pair``: its words name the person's pair,
        resolved (and checked) before the handler runs, as ``command.pair``."""
        if subcommand.name in self._routes or subcommand.name == HELP.name:
            raise ValueError(f"{COMMAND} {subcommand.name} is registered twice")
        self._routes[subcommand.name] = _Route(subcommand, handler, pair)

    @property
    def subcommands(self) -> list[Subcommand]:
        """Every registered subcommand and the help, in the help's order."""
        return sorted([HELP, *(route.subcommand for route in self._routes.values())], key=help_rank)

    def handle_mentor_command(
        self, ack: Ack, command: dict[str, Any], context: BoltContext
    ) -> None:
        """Route ``/mentor …``: the help and unknown input are answered in the ack; every
        subcommand is acked at once and answers privately when its work is done."""
        try:
            parsed = parse_command_text(command.get("text", ""))
        except CommandSyntaxError as exc:
            ack(**build_help(self.subcommands, problem=str(exc)))
            return
        if parsed.name == HELP.name:
            ack(**build_help(self.subcommands))
            return
        route = self._routes.get(parsed.name)
        if route is None:
            problem = f"I don't know `{COMMAND} {escape(parsed.name)}`. Here is what I can do:"
            ack(**build_help(self.subcommands, problem=problem))
            return
        ack()
        log.info(
            "command",
            extra={
                "subcommand": parsed.name,
                "team_id": context.team_id,
                "user_id": context.user_id,
            },
        )
        request = command_of(context, command, name=parsed.name, args=parsed.args)
        run_command(request, route.handler, pair=route.pair)


def register(app: App, router: CommandRouter) -> None:
    """Listen for ``/mentor``."""
    app.command(COMMAND)(router.handle_mentor_command)
