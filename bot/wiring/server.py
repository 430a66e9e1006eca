"""HTTP mode: Slack's requests on ``POST /slack/events`` and a health check, served by waitress.

Every request is checked here before Bolt sees it, because Bolt reads and parses whatever arrives
and logs the body of a request that fails its signature check:

- a body over ``MAX_BODY_BYTES`` is refused (413) before it is read; waitress refuses larger
  ones too, so a 300 MB POST costs neither memory nor log space;
- the signature (``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the signing secret) and a
  timestamp within five minutes are checked on the raw bytes: anything else is 401, logged
  without its body;
- a signed body that is not a Slack payload (not UTF-8, not a form or JSON object, a payload
  that is not a JSON object with a type) is 400, and nothing is stored; so is a payload of a
  type this app never receives, or one Bolt would fail on before any listener runs (an action
  without an action id, ids that are not strings: Bolt would answer 500);
- the body is parsed once, here, and Bolt is handed the payload: Bolt would parse it again,
  and read a command whose words say "payload" as an interaction with none.

``GET /metrics`` is the Prometheus scrape (``bot.metrics``), unsigned like the health check:
Prometheus calls it, and it holds counts only, no person's words or ids. Socket Mode has no
HTTP server of its own: ``MetricsServer`` serves the same scrape on a port of its own.

Each request is a ``bot.logs.request_scope``: every line logged while it is handled (here, in
Bolt, in its listener and in the work the listener hands off) carries its request id.

With OAuth distribution, ``GET /slack/install`` and ``GET /slack/oauth_redirect`` go to Bolt's
install flow unsigned: an installer's browser calls them, not Slack, and the flow checks its
own one-time state instead. Without OAuth they are 404 like any other path.
"""

import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from sqlalchemy import Engine
from waitress.server import create_server

from bot import logs, metrics
from storage.db import ping

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
# Slack's largest payload is a view submission: a view of up to 250 kB with its state, form-
# encoded (which can triple it). 2 MiB is well above that, and far below a memory problem.
MAX_BODY_BYTES = 2 * 1024 * 1024
# Slack signs each request with its time; older ones may be replays.
MAX_REQUEST_AGE = 300

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def build_wsgi_app(
    app: App,
    engine: Engine,
    *,
    signing_secret: str,
    clock: Callable[[], float] = time.time,
) -> WSGIApp:
    """The WSGI application: checked Slack requests for Bolt, our own answer for the health
    check (``clock`` tells the time the request timestamps are checked against), and the
    install pages when ``app`` has an OAuth flow."""
    slack_handler = SlackRequestHandler(app)
    flow = app.oauth_flow
    install_paths = {flow.install_path, flow.redirect_uri_path} if flow is not None else set()
    scrape = metrics.scraper(engine, clock)

    def wsgi_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # Bolt answers with the whole body at once: nothing is logged once this returns.
        with logs.request_scope():
            return route(environ, start_response)

    def route(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            # Waitress has read the request by now: this is the time the bot itself takes.
            started = time.perf_counter()
            surface = metrics.REFUSED
            try:
                checked = _check(environ, signing_secret, clock())
                if isinstance(checked, Refusal):
                    return _json(
                        start_response, checked.status, {"ok": False, "error": checked.error}
                    )
                surface = metrics.payload_surface(checked.body)
                if _rate_limited(checked.body):
                    return _json(start_response, "200 OK", {"ok": True})
                # Bolt answers once the listener has acked; the rest of its work runs after.
                return _answer(start_response, app.dispatch(checked))
            finally:
                metrics.request_answered(surface, time.perf_counter() - started)
        if path == METRICS_PATH and method == "GET":
            body, content_type = scrape()
            start_response(
                "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
            )
            return [body]
        if path in install_paths and method == "GET":
            return slack_handler(environ, start_response)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            healthy = ping(engine)
            status = "200 OK" if healthy else "503 Service Unavailable"
            payload = {"ok": True} if healthy else {"ok": False, "error": "database unavailable"}
            return _json(start_response, status, payload)
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not_found"})

    return wsgi_app


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request to ``/slack/events`` is not passed on: the HTTP status and the error."""

    status: str
    error: str


def _check(environ: dict[str, Any], secret: str, now: float) -> BoltRequest | Refusal:
    """Read and check a request to ``/slack/events``: Bolt's request for it, read once, or why
    it is refused."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return Refusal("400 Bad Request", "bad_content_length")
    if length > MAX_BODY_BYTES:
        log.warning("request refused: body too large", extra={"bytes": length})
        return Refusal("413 Payload Too Large", "payload_too_large")
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    if not _signed(secret, timestamp, signature, body, now):
        # Never the body: it is whatever an unauthenticated stranger chose to send.
        log.info(
            "request refused: invalid signature",
            extra={"bytes": len(body), "timestamp": timestamp[:20]},
        )
        return Refusal("401 Unauthorized", "invalid_request")
    read = _read(body, environ)
    if isinstance(read, str):
        log.warning("request refused: not a Slack payload", extra={"problem": read})
        return Refusal("400 Bad Request", read)
    return read


def _rate_limited(payload: dict[str, Any]) -> bool:
    """Whether this is Slack saying it holds back events (Bolt has no listener for it)."""
    if payload.get("type") != "app_rate_limited":
        return False
    log.warning(
        "Slack is rate limiting events", extra={"minute": payload.get("minute_rate_limited")}
    )
    return True


def _signed(secret: str, timestamp: str, signature: str, body: bytes, now: float) -> bool:
    """Whether Slack signed this body, recently (Slack's v0 request signature)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_REQUEST_AGE:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


# The payloads this app takes: what its manifest subscribes to and the elements it builds.
INTERACTIONS = frozenset({"block_actions", "view_submission"})
EVENT_ENVELOPES = frozenset({"event_callback", "url_verification", "app_rate_limited"})


def _read(body: bytes, environ: dict[str, Any]) -> BoltRequest | str:
    """Bolt's request for a signed body, or why the body is not a payload Slack sends.

    The body is parsed here once and Bolt is given the result: Bolt would otherwise parse it
    again (form-decoding a view submission is the costliest step of reading a request), and
    reads any form whose text holds "payload" as an interaction's ``payload=`` form, so that a
    command whose words say "payload" would reach no listener."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "not_utf8"
    content_type = str(environ.get("CONTENT_TYPE") or "")
    payload: dict[str, Any]
    if content_type.startswith("application/json"):
        data = _typed_object(text, unreadable="invalid_json")
        if isinstance(data, str):
            return data
        problem = _event_problem(data)
        payload = data
    else:
        form = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in form:
            data = _typed_object(form["payload"], unreadable="invalid_payload")
            if isinstance(data, str):
                return data
            problem = _interaction_problem(data)
            payload = data
        elif "command" in form:
            problem = None if form["command"].startswith("/") else "bad_command"
            payload = form
        elif "ssl_check" in form:
            problem, payload = None, form
        else:
            return "bad_shape"
    return problem or _bolt_request(text, payload, environ)


def _typed_object(text: str, *, unreadable: str) -> dict[str, Any] | str:
    """``text`` as the JSON object with a ``type`` that every Slack payload is, or the problem:
    ``unreadable`` when it is not JSON, "bad_shape" when it is not such an object."""
    try:
        data = json.loads(text)
    except ValueError:
        return unreadable
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return "bad_shape"
    return data


def _text(value: object) -> bool:
    return isinstance(value, str)


def _interaction_problem(payload: dict[str, Any]) -> str | None:
    """What a block action or view submission lacks that Bolt and every listener rely on."""
    kind = payload["type"]
    if kind not in INTERACTIONS:
        return "unknown_type"
    if kind == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            return "no_actions"
        # Bolt matches listeners on it before any of ours runs.
        if not _text(actions[0].get("action_id")):
            return "no_action_id"
    if kind == "view_submission":
        view = payload.get("view")
        if not isinstance(view, dict):
            return "no_view"
        if not _text(view.get("callback_id")):
            return "no_callback_id"
    user = payload.get("user")
    if not isinstance(user, dict) or not _text(user.get("id")):
        return "no_user"
    return None


def _event_problem(data: dict[str, Any]) -> str | None:
    """What an Events API envelope lacks that Bolt matches listeners on."""
    if data["type"] not in EVENT_ENVELOPES:
        return "unknown_type"
    if data["type"] == "event_callback":
        event = data.get("event")
        if not isinstance(event, dict) or not _text(event.get("type")):
            return "no_event"
    return None


def _bolt_request(text: str, payload: dict[str, Any], environ: dict[str, Any]) -> BoltRequest | str:
    """Bolt's HTTP request for a payload parsed here, with the body Slack sent as its raw body
    (Bolt parses only a body it is given as text), or "bad_shape" when Bolt cannot read the
    payload's ids (team, user, channel…): it reads them before any listener runs, and a forged
    type there would be a 500."""
    # The headers as Bolt's WSGI adapter names them: "content-type", "x-slack-signature"…
    headers = {
        key.removeprefix("HTTP_").lower().replace("_", "-"): value
        for key, value in environ.items()
        if key.startswith("HTTP_") or key in ("CONTENT_LENGTH", "CONTENT_TYPE")
    }
    try:
        request = BoltRequest(body=payload, headers=headers, mode="socket_mode")
    except Exception:  # whatever Bolt trips on, the payload is not one Slack sends
        return "bad_shape"
    request.raw_body = text
    request.mode = "http"
    return request


def _answer(start_response: StartResponse, response: BoltResponse) -> list[bytes]:
    """Bolt's answer, as its WSGI adapter writes it."""
    answer = WsgiHttpResponse(status=response.status, headers=response.headers, body=response.body)
    start_response(answer.status, answer.get_headers())
    return list(answer.get_body())


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def http_server(
    wsgi_app: WSGIApp,
    *,
    host: str,
    port: int,
    threads: int,
    listening: socket.socket | None = None,
) -> Any:
    """The waitress server for ``wsgi_app``, not yet running (``port`` 0: any free one), or on
    ``listening``, a socket bound already (the workers of ``bot.wiring.workers`` share one)."""
    where: dict[str, Any] = {"sockets": [listening]} if listening else {"host": host, "port": port}
    return create_server(
        wsgi_app,
        threads=threads,
        ident="mentorbot",
        # Waitress would buffer up to 1 GB by default: it refuses larger bodies itself (413).
        max_request_body_size=MAX_BODY_BYTES,
        **where,
    )


def serve_http(
    wsgi_app: WSGIApp,
    *,
    host: str,
    port: int,
    threads: int,
    listening: socket.socket | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM raise in the main thread; waitress closes its sockets then."""
    server = http_server(wsgi_app, host=host, port=port, threads=threads, listening=listening)
    log.info("serving Slack requests over HTTP", extra={"host": host, "port": port})
    server.run()


class MetricsServer:
    """``GET /metrics`` on a port of its own, for Socket Mode, where nothing else listens: a
    small standard-library server in a thread of its own. Any other path is 404.

    It binds when created (a port in use fails then, not later); ``port`` 0 takes any free one.
    """

    def __init__(self, scrape: Callable[[], tuple[bytes, str]], *, host: str, port: int) -> None:
        server_class = _MetricsHTTPServer6 if ":" in host else _MetricsHTTPServer
        self._server = server_class((host, port), _metrics_handler(scrape))
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics", daemon=True
        )
        self._thread.start()
        log.info("serving metrics", extra={"host": host, "port": self.port, "path": METRICS_PATH})

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._server.server_address[1])

    def close(self) -> None:
        """Stop listening; a scrape being answered finishes first."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


class _MetricsHTTPServer(ThreadingHTTPServer):
    # close() waits for a scrape being answered: it reads the database, which closes next.
    daemon_threads = False


class _MetricsHTTPServer6(_MetricsHTTPServer):
    address_family = socket.AF_INET6


def _metrics_handler(scrape: Callable[[], tuple[bytes, str]]) -> type[BaseHTTPRequestHandler]:
    """The request handler of a ``MetricsServer`` answering with ``scrape``."""

    class MetricsHandler(BaseHTTPRequestHandler):
        server_version = "mentorbot"

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] == METRICS_PATH:
                body, content_type = scrape()
                self._answer(200, body, content_type)
            else:
                error = json.dumps({"ok": False, "error": "not_found"}).encode()
                self._answer(404, error, "application/json")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Not a line per scrape: Prometheus calls every few seconds."""

    return MetricsHandler
