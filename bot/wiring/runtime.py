"""One running bot: database, Slack app, scheduler, and a way to serve Slack's requests."""

import gc
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from sqlalchemy import Engine

from bot import logs, metrics
from bot.config import ConfigError, Settings
from bot.deps import Deps
from bot.gateway import SlackGateway, build_client
from bot.services.workspaces import reinstate
from bot.wiring.app import build_app
from bot.wiring.server import MetricsServer, build_wsgi_app, serve_http
from bot.workspaces import InstalledWorkspaces
from scheduler.engine import build_scheduler
from storage.db import make_engine
from storage.migrate import current_revision, upgrade
from storage.types import Clock, utcnow

log = logging.getLogger(__name__)


def build_deps(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock = utcnow,
    strict: bool = False,
    timeout: int = 10,
) -> Deps:
    """The bot's collaborators for ``settings``: one workspace's gateway (``SLACK_BOT_TOKEN``),
    or, with OAuth, the installed workspaces' gateways and a token-less ``gateway`` (which only
    exchanges install codes: every call for a workspace goes through ``deps.slack``)."""
    token = None if settings.oauth else settings.slack_bot_token
    gateway = SlackGateway(
        build_client(token, settings.slack_api_url, timeout=timeout), strict=strict
    )
    workspaces = (
        InstalledWorkspaces.for_settings(settings, engine, timeout=timeout, strict=strict)
        if settings.oauth
        else None
    )
    return Deps(
        settings=settings, engine=engine, gateway=gateway, clock=clock, workspaces=workspaces
    )


class CountedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, with what the HTTP server does around each request: counted
    and timed by surface (until its ack is sent), and its log lines tagged with a request id."""

    # Bolt's own handler narrows the client type the same way.
    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Answer one envelope from Slack."""
        started = time.perf_counter()
        payload = req.payload if isinstance(req.payload, dict) else {}
        try:
            with logs.request_scope():
                super().handle(client, req)
        finally:
            metrics.request_answered(
                metrics.payload_surface(payload), time.perf_counter() - started
            )


def settle_heap() -> None:
    """Set aside what start-up built (modules, the app, the wiring) from the collector's view.

    Python's full collection walks every object the process holds: with all of start-up's in
    view, one landing in a planning pass's short write held SQLite's lock for 100-200 ms
    instead of under 50 (``bench/bench_planning.py``). Frozen, they are never walked again;
    what requests and passes make is collected as before."""
    gc.collect()
    gc.freeze()


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
        # Socket Mode's GET /metrics (METRICS_PORT).
        self.metrics_server: MetricsServer | None = None
        self._stopped = threading.Event()

    def start(self, *, migrate: bool, schedule: bool = True) -> None:
        """Open the database (migrating it first), build the app, start the scheduler (unless
        ``schedule`` is False: a worker of several serving one port, whose first worker plans)."""
        self.engine = make_engine(
            self.settings.database_url,
            echo=self.settings.sql_echo,
            processes=self.settings.http_workers,
        )
        if migrate:
            upgrade(self.engine)
        log.info("database ready", extra={"revision": current_revision(self.engine)})
        self.deps = deps = build_deps(self.settings, self.engine, clock=self.clock)
        # Bolt calls auth.test here (one workspace): a wrong token fails now, not at the first
        # request. With OAuth each workspace's token is read when it is first needed.
        self.app = build_app(deps)
        if deps.workspaces is None:
            self._reinstate(deps)
        if schedule:
            self.scheduler = build_scheduler(deps)
            metrics.watch_scheduler(self.scheduler)
        settle_heap()
        if self.scheduler is not None:
            self.scheduler.start()

    @staticmethod
    def _reinstate(deps: Deps) -> None:
        """The token works, so its workspace has the bot: one that uninstalled and installed it
        again must not stay stopped (nor be purged) when the bot restarts with the new token.
        Its workspace is asked of Slack before the write, never inside it."""
        team_id = deps.gateway.team_id()
        if not team_id:
            return
        with deps.session() as session:
            resumed = reinstate(session, team_id=team_id)
        if resumed:
            log.info("workspace installed again: its work resumes", extra={"team_id": team_id})

    def serve_http(self, port: int, *, listening: socket.socket | None = None) -> None:
        """Serve Slack's requests and the health check until interrupted (on ``listening``, a
        socket bound already, if given)."""
        if self.app is None or self.engine is None:
            raise RuntimeError("start() first")
        if self.settings.metrics_port is not None:
            log.warning(
                "METRICS_PORT is for Socket Mode: over HTTP, GET /metrics is served on PORT",
                extra={"port": port},
            )
        if self.app.oauth_flow is not None:
            log.info(
                "workspaces install the app at GET /slack/install",
                extra={"redirect": self.app.oauth_flow.redirect_uri_path},
            )
        serve_http(
            build_wsgi_app(
                self.app, self.engine, signing_secret=self.settings.slack_signing_secret or ""
            ),
            host="0.0.0.0",  # noqa: S104 - a server listens on every interface of its container
            port=port,
            threads=self.settings.listener_threads,
            listening=listening,
        )

    def serve_socket_mode(self) -> None:
        """Hold a Socket Mode connection until interrupted, and serve GET /metrics on
        METRICS_PORT if it is set."""
        if self.app is None or self.engine is None:
            raise RuntimeError("start() first")
        if self.settings.metrics_port is not None:
            self.metrics_server = self._serve_metrics(self.engine)
        self._socket_handler = CountedSocketModeHandler(self.app, self.settings.slack_app_token)
        self._socket_handler.connect()  # type: ignore[no-untyped-call]
        log.info("connected to Slack in Socket Mode")
        self._stopped.wait()

    def _serve_metrics(self, engine: Engine) -> MetricsServer:
        host, port = self.settings.metrics_host, self.settings.metrics_port or 0
        try:
            return MetricsServer(metrics.scraper(engine, time.time), host=host, port=port)
        except OSError as exc:
            raise ConfigError(
                f"METRICS_PORT {port} on METRICS_HOST {host} cannot be served "
                f"({exc.strerror or exc}): choose a free port, or unset METRICS_PORT"
            ) from None

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
        if self.metrics_server is not None:
            self.metrics_server.close()
        if self.engine is not None:
            self.engine.dispose()
        log.info("stopped")
