"""What every surface does the same way: turning domain errors into answers, checking leads."""

import logging
from typing import Any

from slack_bolt import Ack
from sqlmodel import Session

from bot.deps import Deps
from bot.errors import FieldErrors, UserError
from bot.services.leads import require_lead
from bot.views.notice import build_notice
from storage.models import Program

log = logging.getLogger(__name__)


def ack_problem(ack: Ack, error: UserError) -> None:
    """Answer a command or button with the error's text, privately."""
    ack(**build_notice(str(error), problem=True))


def ack_field_errors(ack: Ack, error: FieldErrors) -> None:
    """Keep the modal open and show each message under its field."""
    ack(response_action="errors", errors=error.errors)


def check_lead(
    deps: Deps, session: Session, *, program: Program, user_id: str, action: str
) -> None:
    """Raise Forbidden unless ``user_id`` is a workspace admin or one of the program's leads."""
    is_admin = deps.directory.is_workspace_admin(session, team_id=program.team_id, user_id=user_id)
    require_lead(session, program=program, user_id=user_id, is_admin=is_admin, action=action)


def team_of(body: dict[str, Any]) -> str:
    """The workspace id of an interaction payload or command."""
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    user = body.get("user")
    if isinstance(user, dict) and user.get("team_id"):
        return str(user["team_id"])
    return str(body.get("team_id", ""))


def user_of(body: dict[str, Any]) -> str:
    """The acting user's id of an interaction payload or command."""
    user = body.get("user")
    if isinstance(user, dict):
        return str(user["id"])
    return str(body.get("user_id", ""))
