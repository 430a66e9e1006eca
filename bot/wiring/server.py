"""HTTP mode: Slack's requests on ``POST /slack/events`` and a health check, served by waitress."""

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine
from waitress.server import create_server

from storage.db import ping

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def build_wsgi_app(app: App, engine: Engine) -> WSGIApp:
    """The WSGI application: Bolt for Slack's requests, our own answer for the health check."""
    slack_handler = SlackRequestHandler(app)

    def wsgi_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            return slack_handler(environ, start_response)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            healthy = ping(engine)
            status = "200 OK" if healthy else "503 Service Unavailable"
            payload = {"ok": True} if healthy else {"ok": False, "error": "database unavailable"}
            return _json(start_response, status, payload)
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not_found"})

    return wsgi_app


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def serve_http(wsgi_app: WSGIApp, *, host: str, port: int, threads: int) -> None:
    """Serve until SIGINT/SIGTERM raise in the main thread; waitress closes its sockets then."""
    server = create_server(wsgi_app, host=host, port=port, threads=threads, ident="mentorbot")
    log.info("serving Slack requests over HTTP", extra={"host": host, "port": port})
    server.run()
