"""``/mentor status``: each of the person's pairings, and what is waiting on them."""

from slack_bolt import App

from bot.commands import Subcommand
from bot.errors import UserError
from bot.services.dashboard import pair_dashboards
from bot.views.dashboard import build_status
from handlers.commands import CommandRequest, CommandRouter
from handlers.common import ack_problem
from scheduler.timing import WorkingHours

STATUS = Subcommand("status", "status", "Your pairings: stage, next session, goals, what's due.")


def handle_status_command(request: CommandRequest) -> None:
    """Answer privately with the person's pairings."""
    deps = request.deps
    try:
        with deps.session() as session:
            tz = deps.directory.get(session, team_id=request.team_id, user_id=request.user_id).tz
            boards = pair_dashboards(
                session, team_id=request.team_id, user_id=request.user_id, now=deps.now()
            )
    except UserError as error:
        ack_problem(request.ack, error)
        return
    today = deps.now().astimezone(WorkingHours(tz=tz).zone).date()
    request.ack(**build_status(boards, tz=tz, today=today))


def register(app: App, router: CommandRouter) -> None:
    """Add ``/mentor status``."""
    router.add(STATUS, handle_status_command)
