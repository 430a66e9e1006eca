"""Keep-alive connections to Slack, shared by every Web API and ``response_url`` call.

slack_sdk's clients open a new connection for each call (``urllib``): in production every call
pays a TCP and a TLS handshake, a few round trips to Slack before the request is even sent. Here
the calls go through one urllib3 pool a process, so a thread reuses a connection an earlier call
left open. Everything else stays slack_sdk's: the request it builds, its retry handlers, its
parsing of the answer. Only the step that sends the request and reads the answer is replaced,
and it keeps urllib's contract, so callers see what they saw before:

- an answer outside 2xx raises ``urllib.error.HTTPError`` carrying its status, headers and body
  (a 429's ``Retry-After`` included);
- a connection that could not be made, or broke before an answer, raises ``URLError`` (an
  ``OSError``; slack_sdk's connection-error handler retries it once, as it did);
- a read that timed out raises ``TimeoutError``, which is not retried: Slack may have acted.

A pooled connection that Slack closed while it sat idle is noticed before it is reused, and a
fresh one is opened in its place. Forked workers start with an empty pool: a connection is never
shared between processes.
"""

from __future__ import annotations

import io
import os
import threading
from http.client import HTTPMessage
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request

import urllib3
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.config import MAX_LISTENER_THREADS

# Connections kept open to one host, at most: as many as the most listener threads a process may
# have (LISTENER_THREADS) with the work after acks and the scheduler's beside them. A pool keeps
# only those that were once busy at the same moment; more than this would be closed after use.
KEPT_PER_HOST = MAX_LISTENER_THREADS + 32

_lock = threading.Lock()
_pool: urllib3.PoolManager | None = None


def _manager() -> urllib3.PoolManager:
    global _pool
    with _lock:
        if _pool is None:
            _pool = urllib3.PoolManager(num_pools=8, maxsize=KEPT_PER_HOST, block=False)
        return _pool


def reset() -> None:
    """Close every pooled connection; the next call opens a new one."""
    global _pool
    with _lock:
        old, _pool = _pool, None
    if old is not None:
        old.clear()


def _after_fork() -> None:
    # The parent's connections stay the parent's: the child forgets them (closing only its own
    # copies of their sockets, which leaves them open for the parent) and opens its own.
    global _pool, _lock
    _lock = threading.Lock()
    _pool = None


os.register_at_fork(after_in_child=_after_fork)


def _message(headers: Any) -> HTTPMessage:
    message = HTTPMessage()
    for name, value in headers.items():
        message[name] = value
    return message


def send(request: Request, timeout: float) -> tuple[int, HTTPMessage, bytes]:
    """Send ``request`` over a pooled connection: its status, headers and body (2xx only)."""
    url = request.full_url
    try:
        answer = _manager().request(
            request.get_method(),
            url,
            body=request.data,  # type: ignore[arg-type]  # slack_sdk always sends bytes
            headers=dict(request.header_items()),
            timeout=timeout,
            retries=False,
            redirect=False,
        )
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise TimeoutError(f"no answer from {request.host} in {timeout} s") from exc
    except urllib3.exceptions.HTTPError as exc:
        raise URLError(exc) from exc
    headers = _message(answer.headers)
    if not 200 <= answer.status < 300:
        raise HTTPError(url, answer.status, answer.reason or "", headers, io.BytesIO(answer.data))
    return answer.status, headers, answer.data


def _body(headers: HTTPMessage, data: bytes) -> str:
    return data.decode(headers.get_content_charset() or "utf-8")


class PooledWebClient(WebClient):
    """slack_sdk's WebClient, sending over the shared keep-alive pool."""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or self.ssl is not None:
            return super()._perform_urllib_http_request_internal(url, req)
        status, headers, data = send(req, self.timeout)
        if headers.get_content_type() == "application/gzip":
            return {"status": status, "headers": headers, "body": data}
        return {"status": status, "headers": headers, "body": _body(headers, data)}


class PooledWebhookClient(WebhookClient):
    """slack_sdk's WebhookClient (``response_url``), sending over the shared keep-alive pool."""

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        if self.proxy is not None or self.ssl is not None:
            return super()._perform_http_request_internal(url, req)  # type: ignore[no-any-return]
        status, headers, data = send(req, self.timeout)
        return WebhookResponse(
            url=url,
            status_code=status,
            body=_body(headers, data),
            headers=headers,  # type: ignore[arg-type]  # as slack_sdk passes urllib's
        )
