"""One running bot: database, Slack app, scheduler, and a way to serve Slack's requests."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import Engine

from bot.config import Settings
from bot.deps import Deps
from bot.gateway import SlackGateway, build_client
from bot.wiring.app import build_app
from bot.wiring.server import build_wsgi_app, serve_http
from scheduler.engine import build_scheduler
from storage.db import make_engine
from storage.migrate import current_revision, upgrade
from storage.types import Clock, utcnow

log = logging.getLogger(__name__)


class Runtime:
    """Starts the pieces in order and stops them in reverse, so no work is cut off halfway."""

    def __init__(self, settings: Settings, *, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.engine: Engine | None = None
        self.app: App | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.deps: Deps | None = None
        self._socket_handler: SocketModeHandler | None = None
        self._stopped = threading.Event()

    def start(self, *, migrate: bool) -> None:
        """Open the database (migrating it first), build the app, start the scheduler."""
        self.engine = make_engine(self.settings.database_url, echo=self.settings.sql_echo)
        if migrate:
            upgrade(self.engine)
        log.info("database ready", extra={"revision": current_revision(self.engine)})
        client = build_client(self.settings.slack_bot_token, self.settings.slack_api_url)
        self.deps = deps = Deps(
            settings=self.settings,
            engine=self.engine,
            gateway=SlackGateway(client),
            clock=self.clock,
        )
        # Bolt calls auth.test here: a wrong token fails now, not at the first request.
        self.app = build_app(deps)
        self.scheduler = build_scheduler(deps)
        self.scheduler.start()

    def serve_http(self, port: int) -> None:
        """Serve Slack's requests and the health check until interrupted."""
        if self.app is None or self.engine is None:
            raise RuntimeError("start() first")
        serve_http(
            build_wsgi_app(
                self.app, self.engine, signing_secret=self.settings.slack_signing_secret or ""
            ),
            host="0.0.0.0",  # noqa: S104 - a server listens on every interface of its container
            port=port,
            threads=self.settings.listener_threads,
        )

    def serve_socket_mode(self) -> None:
        """Hold a Socket Mode connection until interrupted."""
        if self.app is None:
            raise RuntimeError("start() first")
        self._socket_handler = SocketModeHandler(self.app, self.settings.slack_app_token)
        self._socket_handler.connect()  # type: ignore[no-untyped-call]
        log.info("connected to Slack in Socket Mode")
        self._stopped.wait()

    def stop(self) -> None:
        """Stop taking requests, let running work finish, then close the database."""
        self._stopped.set()
        if self._socket_handler is not None:
            self._socket_handler.close()  # type: ignore[no-untyped-call]
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.app is not None:
            executor = self.app.listener_runner.listener_executor
            if isinstance(executor, ThreadPoolExecutor):
                executor.shutdown(wait=True)
        if self.deps is not None:
            self.deps.background.shutdown(wait=True)
        if self.engine is not None:
            self.engine.dispose()
        log.info("stopped")
