"""What every handler and job needs, bundled once at start-up."""

import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from contextvars import copy_context
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.directory import Directory
from bot.gateway import SlackGateway
from storage.db import read_scope, session_scope
from storage.types import Clock, utcnow

log = logging.getLogger(__name__)


class Workspaces(Protocol):
    """The gateways of the workspaces the app is installed in (OAuth distribution)."""

    def gateway(self, team_id: str) -> SlackGateway:
        """The gateway that speaks for ``team_id``, with its own (fresh) token."""
        ...

    def forget(self, team_id: str) -> None:
        """Drop what is cached for ``team_id`` (its tokens were revoked or it uninstalled)."""
        ...


@dataclass(frozen=True, eq=False)
class Deps:
    """The app's shared collaborators: settings, database, Slack gateways and clock.

    Bolt puts it in every request's context, so listeners receive it as the ``deps`` argument.
    Every Slack call goes through ``slack(team_id)``: the one ``gateway`` of a single-workspace
    bot, or, when installed by OAuth, the gateway with that workspace's own token.
    """

    settings: Settings
    engine: Engine
    gateway: SlackGateway
    clock: Clock = field(default=utcnow)
    # Slow work a listener hands off after ack(): Slack wants its answer within 3 seconds.
    background: Executor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="after-ack")
    )
    # Installed workspaces' gateways (OAuth distribution); None: ``gateway`` is the only one.
    workspaces: Workspaces | None = None

    def slack(self, team_id: str) -> SlackGateway:
        """The gateway that speaks for ``team_id``."""
        return self.gateway if self.workspaces is None else self.workspaces.gateway(team_id)

    def session(self) -> AbstractContextManager[Session]:
        """A write unit of work: commits once at the end, rolls back on error.

        No Slack call may run inside it (the gateway refuses): ask Slack before or after.
        """
        return session_scope(self.engine)

    def read(self) -> AbstractContextManager[Session]:
        """A read-only unit of work: never waits for, nor takes, the write lock."""
        return read_scope(self.engine)

    def now(self) -> datetime:
        """The current time from the injected clock (UTC)."""
        return self.clock()

    @cached_property
    def directory(self) -> Directory:
        """People as Slack knows them, cached."""
        return Directory(self.slack, self.engine, self.clock)

    def after_ack(self, work: Callable[[], None]) -> "Future[None]":
        """Run ``work`` in the background; failures are logged, never lost silently.

        It runs in a copy of the caller's context, so its log lines (a failure's too) carry the
        id, workspace and person of the request that handed it off.
        """
        context = copy_context()
        future = self.background.submit(context.run, work)
        future.add_done_callback(lambda done: context.run(_log_failure, done))
        return future

    def __deepcopy__(self, memo: dict[int, Any]) -> "Deps":
        # Bolt deep-copies the context for lazy listeners; engines and clients are shared.
        return self


def _log_failure(future: "Future[None]") -> None:
    error = future.exception()
    if error is not None:
        log.error("background work failed", exc_info=error)
