"""What every handler and job needs, bundled once at start-up."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.gateway import SlackGateway
from storage.db import session_scope
from storage.types import utcnow

Clock = Callable[[], datetime]


@dataclass(frozen=True, eq=False)
class Deps:
    """The app's shared collaborators: settings, database, Slack gateway and clock.

    Bolt puts it in every request's context, so listeners receive it as the ``deps`` argument.
    """

    settings: Settings
    engine: Engine
    gateway: SlackGateway
    clock: Clock = field(default=utcnow)

    def session(self) -> AbstractContextManager[Session]:
        """A unit of work: commits once at the end, rolls back on error."""
        return session_scope(self.engine)

    def now(self) -> datetime:
        """The current time from the injected clock (UTC)."""
        return self.clock()

    def __deepcopy__(self, memo: dict[int, Any]) -> "Deps":
        # Bolt deep-copies the context for lazy listeners; engines and clients are shared.
        return self
