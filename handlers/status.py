"""``/mentor status``: each of the person's pairings, and what is waiting on them."""

from slack_bolt import App

from bot.commands import Subcommand
from bot.services.dashboard import pair_dashboards
from bot.views.dashboard import build_status
from handlers.commands import CommandRouter
from handlers.common import today
from handlers.listeners import Answer, Command, Reply

STATUS = Subcommand("status", "status", "Your pairings: stage, next session, goals, what's due.")


def show_status(command: Command) -> Answer:
    """Answer privately with the person's pairings."""
    tz = command.tz()
    with command.deps.read() as session:
        boards = pair_dashboards(
            session, team_id=command.team_id, user_id=command.user_id, now=command.now()
        )
    return Reply(build_status(boards, tz=tz, today=today(command)))


def register(app: App, router: CommandRouter) -> None:
    """Add ``/mentor status``."""
    router.add(STATUS, show_status)
