"""Slack's side of the conversation with a running bot: signed requests over real HTTP.

The bot is the real Bolt app behind the real WSGI server (waitress) on a loopback port, talking
to the Slack double for every Web API call. The tests drive it through ``SlackToBot``, and so
does ``mentorbot demo``: both send exactly what Slack would, signed with the signing secret.
"""

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from waitress import wasyncore

from bot.sandbox import slack_double
from bot.sandbox.forms import Answer, fill
from bot.wiring.server import WSGIApp, http_server

# The signing secret of the app the double plays Slack for: a fixture, not a secret.
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # noqa: S105


@dataclass(frozen=True)
class Response:
    """What the bot answered Slack."""

    status: int
    body: str

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@contextmanager
def serve(wsgi_app: WSGIApp) -> Iterator[str]:
    """Serve ``wsgi_app`` with waitress on a free loopback port; yields its base URL."""
    # The server `mentorbot run --http` runs, on a free port.
    server: Any = http_server(wsgi_app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, name="bot-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Close the sockets inside the server's own loop thread; closing them from here races
        # with its select() call. With no sockets left the loop returns.
        with contextlib.suppress(OSError):  # the loop may have closed the trigger already
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()


class SlackToBot:
    """Sends what Slack sends, signed with the signing secret, to the bot's ``/slack/events``."""

    def __init__(
        self,
        base_url: str,
        secret: str = SIGNING_SECRET,
        *,
        slack: slack_double.SlackDouble | None = None,
    ) -> None:
        self.base_url = base_url
        self.secret = secret
        # With the double at hand, response_urls point at it, never at a real Slack host.
        self.slack = slack

    def _urls(self, fields: dict[str, Any]) -> dict[str, Any]:
        if self.slack is not None:
            fields.setdefault("response_url", self.slack.new_response_url())
        return fields

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        headers: Mapping[str, str] | None = None,
        path: str = "/slack/events",
    ) -> Response:
        """POST a raw body, signed (``headers`` may override the signature to forge it)."""
        signed = slack_double.sign(body, self.secret, timestamp)
        request = urllib.request.Request(  # noqa: S310 - a loopback URL of our own
            self.base_url + path,
            data=body.encode(),
            method="POST",
            headers={"Content-Type": content_type, **signed, **(headers or {})},
        )
        return _send(request)

    def get(self, path: str) -> Response:
        """GET a path of the bot's HTTP server."""
        return _send(urllib.request.Request(self.base_url + path))  # noqa: S310

    def command(
        self,
        text: str,
        *,
        user_id: str = "U0001",
        headers: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> Response:
        """``/mentor <text>`` typed by ``user_id``."""
        body = slack_double.slash_command_body(
            "/mentor", text, user_id=user_id, **self._urls(fields)
        )
        return self.post(body, headers=headers)

    def ask(
        self, text: str, *, user_id: str = "U0001", timeout: float = 5.0, **fields: Any
    ) -> dict[str, Any]:
        """``/mentor <text>``: the private answer, from the ack (the help, unknown input) or,
        once the work is done, from what the bot posted to the command's response_url."""
        if self.slack is None:
            raise RuntimeError("ask() needs the Slack double")
        url = fields.setdefault("response_url", self.slack.new_response_url())
        response = self.command(text, user_id=user_id, **fields)
        assert response.status == 200, response
        if response.body:
            answer: dict[str, Any] = response.json()
            return answer
        return self.answer_to(url, timeout=timeout)

    def answer_to(self, response_url: str, *, timeout: float = 5.0) -> dict[str, Any]:
        """The first message the bot posted to ``response_url`` (waits for it)."""
        assert self.slack is not None
        slack = self.slack

        def posted() -> list[dict[str, Any]]:
            return [
                c.params
                for c in slack.calls_to("response_url")
                if c.params.get("response_url") == response_url
            ]

        if not eventually(lambda: bool(posted()), timeout):
            raise AssertionError(f"nothing was posted to {response_url} within {timeout}s")
        return posted()[0]

    def _as_slack_has_it(self, view: Mapping[str, Any]) -> dict[str, Any]:
        """``view`` as Slack stores it (with its id and stack), when the bot opened it: a player
        holds the view the bot sent, and Slack sends back the one it keeps."""
        if view.get("id") or self.slack is None:
            return dict(view)
        kept = [
            shown
            for shown in self.slack.views.values()
            if shown.get("callback_id") == view.get("callback_id")
            and shown.get("private_metadata", "") == view.get("private_metadata", "")
        ]
        return {**kept[-1], **dict(view)} if kept else dict(view)

    def action(self, action_id: str, value: str | None = None, **fields: Any) -> Response:
        """A button (or other element) clicked (``view``: in that modal or Home tab)."""
        if fields.get("view") is not None:
            fields["view"] = self._as_slack_has_it(fields["view"])
        payload = slack_double.block_actions_payload(action_id, value, **self._urls(fields))
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def submit(
        self,
        view: Mapping[str, Any],
        answers: Mapping[str, Answer],
        *,
        user_id: str = "U0001",
        **fields: Any,
    ) -> Response:
        """Submit ``view`` (as the bot opened it) filled with ``answers`` keyed by block_id."""
        kept = self._as_slack_has_it(view)
        for name, key in (
            ("view_id", "id"),
            ("root_view_id", "root_view_id"),
            ("previous_view_id", "previous_view_id"),
        ):
            if kept.get(key):
                fields.setdefault(name, kept[key])
        payload = slack_double.view_submission_payload(
            view["callback_id"],
            fill(view, answers),
            user_id=user_id,
            private_metadata=view.get("private_metadata", ""),
            blocks=list(view.get("blocks", [])),
            **fields,
        )
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> Response:
        """An Events API delivery (``headers`` carry Slack's retry headers when redelivering)."""
        body = slack_double.event_body(event, event_id=event_id, **fields)
        return self.post(body, content_type="application/json", headers=headers)


def _send(request: urllib.request.Request) -> Response:
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
            return Response(reply.status, reply.read().decode())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read().decode())


class Settle:
    """Knows when the bot is idle: it remembers the work handed to the bot's thread pools (the
    listeners, the work after each ack) and waits until none of it is running."""

    def __init__(self) -> None:
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()

    def track(self, executor: Executor) -> None:
        """Route ``executor``'s submissions through this tracker (the pool is unchanged)."""
        submit = executor.submit

        def tracked(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
            future = submit(fn, *args, **kwargs)
            with self._lock:
                self._futures.append(future)
            return future

        # An instance attribute shadows the method: Bolt and Deps keep calling ``submit``.
        setattr(executor, "submit", tracked)  # noqa: B010

    def __call__(self, timeout: float = 10.0) -> bool:
        """Wait until nothing submitted is running (running work may submit more); False if
        something still runs after ``timeout`` seconds."""
        while True:
            with self._lock:
                self._futures = [f for f in self._futures if not f.done()]
                pending = list(self._futures)
            if not pending:
                return True
            _, running = wait(pending, timeout=timeout)
            if running:
                return False


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Whether ``condition`` becomes true within ``timeout``: listeners run after the ack."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def now() -> int:
    """Unix time, as Slack stamps requests."""
    return int(time.time())
