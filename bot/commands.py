"""The ``/mentor`` subcommands: what each is called, how it is used, one line on what it does."""

import shlex
from dataclasses import dataclass

COMMAND = "/mentor"


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One ``/mentor`` subcommand as the help lists it."""

    name: str
    usage: str
    summary: str
    lead_only: bool = False


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    """``/mentor`` text split into the subcommand and its arguments."""

    name: str
    args: tuple[str, ...]


class CommandSyntaxError(ValueError):
    """The command text cannot be split into words (an unbalanced quote)."""


def parse_command_text(text: str) -> ParsedCommand:
    """Split the text after ``/mentor`` into a subcommand name and shell-like arguments."""
    try:
        words = shlex.split(text.replace("“", '"').replace("”", '"'))
    except ValueError as exc:
        raise CommandSyntaxError(f"I couldn't read that command: {exc}.") from None
    if not words:
        return ParsedCommand("help", ())
    return ParsedCommand(words[0].lower(), tuple(words[1:]))


HELP = Subcommand("help", "help", "Show this list of commands.")

# The order the help lists them in: a mentee's and a mentor's week first, the leads' tools last.
HELP_ORDER = (
    "help",
    "status",
    "join",
    "profile",
    "goals",
    "agenda",
    "schedule",
    "log",
    "feedback",
    "skills",
    "plan",
    "notes",
    "ask-feedback",
    "stage",
    "board",
    "pause",
    "resume",
    "graduate",
    "leave",
    "my-data",
    "forget-me",
    "program",
    "match",
    "pair",
    "digest",
    "report",
    "export",
)


def help_rank(subcommand: Subcommand) -> int:
    """Where a subcommand stands in the help (unknown ones last)."""
    return HELP_ORDER.index(subcommand.name) if subcommand.name in HELP_ORDER else len(HELP_ORDER)
