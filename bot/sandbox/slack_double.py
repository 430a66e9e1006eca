"""A loopback Slack double ("fake Slack") shared by tests, benchmarks and the demo.

`SlackDouble` serves Slack's Web API over real HTTP on 127.0.0.1, so the bot talks to it through
the unmodified slack_sdk `WebClient` (point the bot at it with ``SLACK_API_URL=slack.api_url``)::

    from slack_sdk import WebClient
    from bot.sandbox.slack_double import SlackDouble

    with SlackDouble() as slack:
        slack.add_user("U0001", name="alice", tz="Europe/Berlin")
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        client.chat_postMessage(channel="U0001", text="hi")
        [call] = slack.wait_for("chat.postMessage")
        assert call.params["text"] == "hi"
        assert slack.messages(slack.dm_channel_id("U0001"))[0]["text"] == "hi"

What it offers:

* Every Web API call is recorded as a `RecordedCall` (`calls`, `calls_to`, `wait_for`, `reset`).
  A call is recorded once its effect is applied, so after `wait_for` returns the double's state
  (`messages`, `views`, `uploaded_files`, ...) already reflects it.
* Stateful answers shaped like Slack's: per-channel message stores (`chat.*`,
  `conversations.history`/`replies`, message metadata), stable DM ids (`conversations.open`),
  a user registry (`add_user`, `users.info`, `users.list`), user groups (`add_usergroup`,
  `usergroups.users.list`), channel members (`add_channel`, `conversations.members`), modals
  with single-use trigger ids (`new_trigger_id`, `views.*`), file uploads
  (`files.getUploadURLExternal` -> upload URL -> `files.completeUploadExternal`) and Slack's
  Block Kit limits.
* Failure injection (`fail_next`): 429 with ``Retry-After``, ``ok: false`` errors, 5xx with HTML
  bodies, and held responses that outlive the client's timeout (optionally after applying the
  call, to simulate "sent but outcome unknown"). An optional per-channel ``chat.postMessage``
  rate limiter runs on an injectable monotonic clock, so tests never sleep.
* Socket Mode: ``apps.connections.open`` hands out a ``ws://`` URL served by a loopback WebSocket
  server (started lazily, needs the ``websockets`` package). `socket_send` delivers envelopes and
  `wait_for_socket_ack` returns the client's ack. slack_sdk's builtin `SocketModeClient` (the one
  Bolt's `SocketModeHandler` uses) connects to it as is: it only uses TLS on port 443.
* `new_response_url` gives a ``response_url`` served by the double (5 uses in 30 minutes);
  posts to it are recorded as calls of the pseudo-method ``"response_url"``.
* Several workspaces (`add_workspace`): each token belongs to one team, and users, channels,
  user groups and views belong to a team too. A call with one team's token about another team's
  user or channel answers like Slack (``user_not_found``, ``channel_not_found``); every
  `RecordedCall` carries its ``team_id``. Without `add_workspace` there is one team, as before.
* OAuth: `authorize` plays the consent screen (a one-time code for a team and installer),
  ``oauth.v2.access`` exchanges it for a bot token in Slack's response shape (with a refresh
  token and ``expires_in`` when rotating), ``grant_type=refresh_token`` rotates it (the refresh
  token is spent; the old access token lasts until it expires), ``auth.revoke`` revokes a token.
  Expired tokens answer ``token_expired`` once the double's wall clock passes their expiry
  (`advance_clock` moves it).
* Acting as Slack towards the bot's HTTP endpoint: `sign` makes the signature headers and the
  ``*_payload`` / ``*_body`` factories build what Slack sends for slash commands, block actions,
  view submissions and Events API callbacks. The ``*_payload`` dicts double as Socket Mode
  envelope payloads.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import copy
import hashlib
import hmac
import json
import math
import mimetypes
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from types import TracebackType

    from websockets.http11 import Request, Response
    from websockets.sync.server import Server, ServerConnection

__all__ = [
    "DEFAULT_APP_ID",
    "DEFAULT_BOT_ID",
    "DEFAULT_BOT_USER_ID",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_TEAM_DOMAIN",
    "DEFAULT_TEAM_ID",
    "DEFAULT_USER_ID",
    "LEGACY_VERIFICATION",
    "RecordedCall",
    "SlackDouble",
    "UploadedFile",
    "app_home_opened_event",
    "block_actions_body",
    "block_actions_payload",
    "conversation_id_for",
    "event_body",
    "event_callback",
    "make_trigger_id",
    "message_event",
    "sign",
    "slash_command_body",
    "slash_command_payload",
    "url_verification_body",
    "view_submission_body",
    "view_submission_payload",
]

JSONDict = dict[str, Any]

DEFAULT_TEAM_ID = "T0001"
DEFAULT_TEAM_DOMAIN = "mentorbot-dev"
DEFAULT_TEAM_NAME = "Mentorbot Dev"
DEFAULT_APP_ID = "A0001"
DEFAULT_BOT_ID = "B0001"
DEFAULT_BOT_USER_ID = "UBOT0001"
DEFAULT_BOT_NAME = "mentorbot"
DEFAULT_USER_ID = "U0001"
DEFAULT_CHANNEL_ID = "C0001"
# The app's OAuth credentials (Basic Information > App Credentials).
DEFAULT_CLIENT_ID = "1000000001.2000000002"
DEFAULT_CLIENT_SECRET = "0123456789abcdef0123456789abcdef"  # noqa: S105 - the double's own
# The deprecated verification token Slack still puts in payloads; Bolt ignores it.
LEGACY_VERIFICATION = "verification-token"

# Slack's documented limits (see shared/SLACK.md).
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_VIEW_TEXT = 24
MAX_PRIVATE_METADATA = 3_000
MAX_ID_LENGTH = 255
MAX_VIEW_BYTES = 250 * 1024
MAX_VIEW_STACK = 3
MAX_SCHEDULE_AHEAD = 120 * 24 * 3600
TRIGGER_TTL = 3.0
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL = 30 * 60
# OAuth: a consent screen's code is good for 10 minutes; rotating access tokens for 12 hours.
CODE_TTL = 10 * 60
TOKEN_LIFETIME = 12 * 3600
MAX_MPIM_USERS = 8

_JSON_FIELDS = ("blocks", "view", "metadata", "attachments", "files")
_HTML_ERROR = (
    "<!DOCTYPE html><html><head><title>Slack</title></head><body>"
    "<h1>{status} {reason}</h1><p>Slack is having trouble right now.</p></body></html>"
)
_CANT_DISPLAY = "This content can't be displayed."


@dataclass(frozen=True)
class RecordedCall:
    """One Web API call the double received, with its params decoded."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    status: int = 200
    error: str | None = None
    # The workspace the call's token belongs to (None: no valid token, or a response_url).
    team_id: str | None = None


class UploadedFile(NamedTuple):
    """A file shared through files.completeUploadExternal (one entry per channel)."""

    file_id: str
    filename: str
    content: bytes
    channel_id: str | None
    initial_comment: str | None


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    error: str | None = None

    @classmethod
    def json(
        cls,
        payload: Mapping[str, Any],
        status: int = 200,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> _Reply:
        error = None if payload.get("ok", True) else str(payload.get("error"))
        return cls(status, json.dumps(payload).encode(), headers=headers, error=error)

    @classmethod
    def text(
        cls, status: int, text: str, content_type: str = "text/plain; charset=utf-8"
    ) -> _Reply:
        return cls(status, text.encode(), content_type=content_type)


class _SlackError(Exception):
    """An ``ok: false`` answer; extra fields (e.g. response_metadata) ride along."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


# Methods an app calls with its client id and secret (HTTP Basic auth or form fields).
_CLIENT_AUTH_METHODS = frozenset({"oauth.v2.access"})


def _client_credentials(params: JSONDict, authorization: str | None) -> None:
    """Put HTTP Basic client credentials (as slack_sdk sends them) into ``params``."""
    if not authorization or not authorization.lower().startswith("basic "):
        return
    try:
        decoded = base64.b64decode(authorization[len("basic ") :].strip()).decode()
    except (ValueError, UnicodeDecodeError):
        return
    client_id, _, client_secret = decoded.partition(":")
    params.setdefault("client_id", client_id)
    params.setdefault("client_secret", client_secret)


def _invalid_arguments(*messages: str) -> _SlackError:
    return _SlackError("invalid_arguments", response_metadata={"messages": list(messages)})


@dataclass
class _Failure:
    method: str
    remaining: int
    status: int
    error: str | None
    body: str | None
    retry_after: int
    delay: float | None
    apply: bool
    passthrough: bool


@dataclass
class _Channel:
    id: str
    name: str
    kind: str  # "public", "private", "im" or "mpim"
    created: int
    is_member: bool = True
    is_archived: bool = False
    members: list[str] = field(default_factory=list)
    team_id: str = DEFAULT_TEAM_ID

    def to_dict(self) -> JSONDict:
        if self.kind == "im":
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.members[0] if self.members else "",
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": self.kind == "public",
            "is_group": self.kind == "private",
            "is_im": False,
            "is_mpim": self.kind == "mpim",
            "is_private": self.kind != "public",
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_member": self.is_member,
            "num_members": len(self.members),
        }


@dataclass(frozen=True)
class _Workspace:
    team_id: str
    name: str
    domain: str
    bot_user_id: str
    bot_id: str
    enterprise_id: str | None = None
    enterprise_name: str | None = None


@dataclass
class _Token:
    """A bot token the double issued (OAuth) or was given for a workspace."""

    team_id: str
    expires_at: float | None = None
    refresh_token: str | None = None
    org_wide: bool = False
    scope: str = ""
    installer: str = ""


@dataclass
class _Grant:
    """A consent screen's answer: the code oauth.v2.access exchanges once."""

    team_id: str
    user_id: str
    issued: float
    rotating: bool
    expires_in: int
    org_wide: bool
    scope: str
    redirect_uri: str | None
    used: bool = False


@dataclass
class _Upload:
    file_id: str
    filename: str
    length: int
    data: bytes | None = None


@dataclass
class _ResponseUrl:
    created: float
    uses: int = 0


class _Bucket:
    """Token bucket: ``rate`` tokens per second, at most ``burst`` banked."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.updated = now

    def take(self, now: float) -> int | None:
        """Spend one token; return None, or the whole seconds to wait (>= 1) when empty."""
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - self.tokens) / self.rate))


def _fresh_id(prefix: str, length: int = 10) -> str:
    return prefix + secrets.token_hex(length)[:length].upper()


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, fraction = str(ts).partition(".")
    return int(seconds or 0), int((fraction + "000000")[:6]) if fraction else 0


def _format_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _as_int(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _unb64(cursor: str, prefix: str) -> str:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise _SlackError("invalid_cursor") from exc
    if not text.startswith(prefix):
        raise _SlackError("invalid_cursor")
    return text[len(prefix) :]


def _user_list(value: Any) -> list[str]:
    items = [str(v) for v in value] if isinstance(value, list) else str(value or "").split(",")
    return [item.strip() for item in items if item.strip()]


def conversation_id_for(user_ids: Collection[str]) -> str:
    """Stable DM ("D...") or multi-person DM ("G...") id for a set of users."""
    users = sorted(set(user_ids))
    digest = hashlib.sha256(",".join(users).encode()).hexdigest().upper()
    return ("D" if len(users) == 1 else "G") + digest[:10]


def _decode_json_fields(params: JSONDict) -> None:
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            # A malformed value stays a string so the method answers with its own format error.
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)


def _parse_multipart(content_type: str, body: bytes) -> JSONDict:
    raw = b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    message = message_from_bytes(raw, policy=policy.HTTP)
    params: JSONDict = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True)
        content = data if isinstance(data, bytes) else b""
        params[name] = content if part.get_filename() else content.decode("utf-8", "replace")
    return params


def _parse_params(query: str, content_type: str, body: bytes) -> JSONDict:
    params: JSONDict = {}
    form_sources = [query]
    kind = content_type.split(";")[0].strip().lower()
    if body:
        if kind == "application/json":
            try:
                loaded = json.loads(body)
            except ValueError as exc:
                raise _SlackError("invalid_json") from exc
            if not isinstance(loaded, dict):
                raise _SlackError("invalid_json")
        elif kind == "multipart/form-data":
            loaded = _parse_multipart(content_type, body)
        else:
            loaded = {}
            form_sources.append(body.decode("utf-8", "replace"))
    else:
        loaded = {}
    for source in form_sources:
        for key, values in parse_qs(source, keep_blank_values=True).items():
            params[key] = values[0] if len(values) == 1 else values
    params.update(loaded)
    _decode_json_fields(params)
    return params


def _text_length_errors(obj: Any, pointer: str, limit: int) -> list[str]:
    if isinstance(obj, dict) and len(str(obj.get("text", ""))) > limit:
        return [f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}/text]"]
    return []


def _block_errors(blocks: Any, pointer: str, limit: int) -> list[str]:
    if not isinstance(blocks, list):
        return [f"[ERROR] must provide an array [json-pointer:{pointer}]"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]")
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            errors.append(f"[ERROR] missing required field: type [json-pointer:{pointer}/{index}]")
            continue
        block_id = block.get("block_id")
        if block_id is None:
            continue
        where = f"[json-pointer:{pointer}/{index}/block_id]"
        if not isinstance(block_id, str) or len(block_id) > MAX_ID_LENGTH:
            errors.append(f"[ERROR] must be less than {MAX_ID_LENGTH + 1} characters {where}")
        elif block_id in seen:
            errors.append(f"[ERROR] duplicate block_id {where}")
        else:
            seen.add(block_id)
    return errors


def _view_errors(view: Any) -> list[str]:
    if not isinstance(view, dict):
        return ["[ERROR] failed to match all allowed schemas [json-pointer:/view]"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return ["[ERROR] must be one of: modal, home [json-pointer:/view/type]"]
    errors = _block_errors(view.get("blocks"), "/view/blocks", MAX_VIEW_BLOCKS)
    if kind == "modal":
        if not isinstance(view.get("title"), dict):
            errors.append("[ERROR] missing required field: title [json-pointer:/view]")
        for key in ("title", "submit", "close"):
            errors += _text_length_errors(view.get(key), f"/view/{key}", MAX_VIEW_TEXT)
        raw_blocks = view.get("blocks")
        blocks: list[Any] = raw_blocks if isinstance(raw_blocks, list) else []
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and not isinstance(view.get("submit"), dict):
            errors.append("[ERROR] missing required field: submit [json-pointer:/view]")
    if len(str(view.get("private_metadata", ""))) > MAX_PRIVATE_METADATA:
        errors.append(
            f"[ERROR] must be less than {MAX_PRIVATE_METADATA + 1} characters "
            "[json-pointer:/view/private_metadata]"
        )
    for key in ("callback_id", "external_id"):
        if len(str(view.get(key, ""))) > MAX_ID_LENGTH:
            errors.append(
                f"[ERROR] must be less than {MAX_ID_LENGTH + 1} characters "
                f"[json-pointer:/view/{key}]"
            )
    return errors


def _zone_info(tz: str, now: float) -> tuple[str, int]:
    try:
        moment = datetime.fromtimestamp(now, ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return tz, 0
    offset = moment.utcoffset()
    return moment.tzname() or tz, int(offset.total_seconds()) if offset else 0


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The stdlib default backlog of 5 drops SYNs under benchmark bursts (1 s retransmit stalls).
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], double: SlackDouble) -> None:
        super().__init__(address, _Handler)
        self.double = double
        self.accepted = 0
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self.accepted += 1
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def hang_up(self) -> None:
        """Close every open connection, idle keep-alive ones included (Slack going away)."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server_version = "SlackDouble/1.0"
    # Like Slack: connections stay open for the next request (HTTP/1.1 keep-alive), and small
    # answers go out at once rather than waiting on the client's delayed ACK.
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        """Serve a GET request."""
        self._serve()

    def do_POST(self) -> None:
        """Serve a POST request."""
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _serve(self) -> None:
        double = cast(_HTTPServer, self.server).double
        length = _as_int(self.headers.get("Content-Length"), 0)
        body = self.rfile.read(length) if length > 0 else b""
        reply = double._handle_http(
            self.path,
            authorization=self.headers.get("Authorization"),
            content_type=self.headers.get("Content-Type") or "",
            body=body,
        )
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("X-Slack-Req-Id", secrets.token_hex(16))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout fired during an injected delay)


class SlackDouble:
    """A fake Slack serving the Web API (and Socket Mode) on 127.0.0.1."""

    def __init__(
        self,
        *,
        tokens: Collection[str] | None = None,
        team_id: str = DEFAULT_TEAM_ID,
        team_name: str = DEFAULT_TEAM_NAME,
        team_domain: str = DEFAULT_TEAM_DOMAIN,
        app_id: str = DEFAULT_APP_ID,
        bot_id: str = DEFAULT_BOT_ID,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        bot_name: str = DEFAULT_BOT_NAME,
        channel_rate_limit: float | None = None,
        channel_burst: int = 3,
        auto_create_channels: bool = True,
        trigger_ttl: float = TRIGGER_TTL,
        socket_ping_interval: float | None = 20.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        token_lifetime: int = TOKEN_LIFETIME,
    ) -> None:
        """Configure the double; `start()` (or ``with``) opens the port."""
        if channel_rate_limit is not None and channel_rate_limit <= 0:
            raise ValueError("channel_rate_limit must be positive")
        if channel_burst < 1:
            raise ValueError("channel_burst must be >= 1")
        self.tokens: set[str] | None = set(tokens) if tokens is not None else None
        # The workspace the constructor describes; `add_workspace` adds others.
        self._default = _Workspace(team_id, team_name, team_domain, bot_user_id, bot_id)
        self._workspaces: dict[str, _Workspace] = {team_id: self._default}
        # Which workspace the call being served (in this thread) belongs to.
        self._serving = threading.local()
        self.app_id = app_id
        self.bot_name = bot_name
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self._issued: dict[str, _Token] = {}
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> the access token it came with
        self._revoked: set[str] = set()
        self._grants: dict[str, _Grant] = {}
        self.channel_rate_limit = channel_rate_limit
        self.channel_burst = channel_burst
        self.auto_create_channels = auto_create_channels
        self.trigger_ttl = trigger_ttl
        # slack_sdk's builtin client only notices its own close() when a frame arrives or its
        # 3 s read timeout fires, so tests pass a short interval to stop clients quickly.
        self.socket_ping_interval = socket_ping_interval
        self.host = host
        self._clock = clock
        self._wall_clock = wall_clock
        self._skew = 0.0

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._http: _HTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._ws_server: Server | None = None
        self._ws_thread: threading.Thread | None = None
        self._ws_port = 0
        self._ws_clients: list[ServerConnection] = []

        self._users: dict[str, JSONDict] = {}
        self._channels: dict[str, _Channel] = {}
        self._usergroups: dict[str, JSONDict] = {}
        self._last_ts = 0
        self._reset_state()
        self.add_user(
            bot_user_id, name=bot_name, real_name=bot_name, is_bot=True, tz="America/Los_Angeles"
        )

        self._methods: dict[str, Callable[[JSONDict, str], JSONDict | _Reply]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "auth.revoke": self._auth_revoke,
            "oauth.v2.access": self._oauth_v2_access,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.scheduleMessage": self._chat_schedule_message,
            "chat.deleteScheduledMessage": self._chat_delete_scheduled_message,
            "chat.scheduledMessages.list": self._chat_scheduled_messages_list,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "conversations.members": self._conversations_members,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "usergroups.users.list": self._usergroups_users_list,
            "team.info": self._team_info,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    def _reset_state(self) -> None:
        self._calls: list[RecordedCall] = []
        self._failures: list[_Failure] = []
        self._messages: dict[str, list[JSONDict]] = {}
        self._scheduled: list[JSONDict] = []
        self._views: dict[str, JSONDict] = {}
        self._view_stacks: dict[str, list[str]] = {}
        self._external_ids: dict[str, str] = {}
        self._home_views: dict[str, str] = {}
        self._triggers: dict[str, tuple[float, str | None]] = {}
        self._used_triggers: set[str] = set()
        self._uploads: dict[str, _Upload] = {}
        self._uploads_by_id: dict[str, _Upload] = {}
        self._uploaded: list[UploadedFile] = []
        self._buckets: dict[str, _Bucket] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._tickets: set[str] = set()
        self._socket_messages: list[JSONDict] = []
        self._socket_acks: dict[str, JSONDict] = {}

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackDouble:
        """Open the HTTP port (idempotent) and return self."""
        with self._lock:
            if self._http is not None:
                return self
            self._stopping.clear()
            server = _HTTPServer((self.host, 0), self)
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="slack-double-http",
                daemon=True,
            )
            self._http, self._http_thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Close the HTTP and WebSocket servers and release held responses."""
        self._stopping.set()
        with self._lock:
            http, http_thread = self._http, self._http_thread
            ws, ws_thread = self._ws_server, self._ws_thread
            self._http = self._http_thread = None
            self._ws_server = self._ws_thread = None
        # HTTP first, so reconnecting Socket Mode clients cannot fetch fresh tickets meanwhile.
        if http is not None:
            http.shutdown()
            http.hang_up()
            http.server_close()
        if http_thread is not None:
            http_thread.join(timeout=5)
        if ws is not None:
            ws.shutdown()
        if ws_thread is not None:
            ws_thread.join(timeout=5)

    def __enter__(self) -> SlackDouble:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The HTTP port (after `start()`)."""
        with self._lock:
            if self._http is None:
                raise RuntimeError("SlackDouble is not started")
            return int(self._http.server_address[1])

    @property
    def base_url(self) -> str:
        """Root URL of the double, e.g. ``http://127.0.0.1:PORT/``."""
        return f"http://{self.host}:{self.port}/"

    @property
    def api_url(self) -> str:
        """Web API base URL for ``WebClient(base_url=...)``, ending in ``/api/``."""
        return f"{self.base_url}api/"

    def drop_connections(self) -> None:
        """Close every open connection, idle keep-alive ones too, as Slack's edge does at times."""
        http = self._http
        if http is not None:
            http.hang_up()

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted since the port opened (a keep-alive one counts once)."""
        http = self._http
        return http.accepted if http is not None else 0

    # ------------------------------------------------------------------ workspaces

    def _here(self) -> _Workspace:
        """The workspace of the call this thread serves; the default one outside a call."""
        team = getattr(self._serving, "team", None)
        return self._workspaces.get(team, self._default) if team else self._default

    def _workspace(self, team_id: str | None) -> _Workspace:
        """The workspace ``team_id`` (None: the one being served)."""
        if team_id is None:
            return self._here()
        try:
            return self._workspaces[team_id]
        except KeyError:
            raise KeyError(f"no workspace {team_id}: add_workspace() it first") from None

    @contextlib.contextmanager
    def _as_team(self, team_id: str | None) -> Iterator[None]:
        previous = getattr(self._serving, "team", None)
        self._serving.team = team_id
        try:
            yield
        finally:
            self._serving.team = previous

    @property
    def team_id(self) -> str:
        """The team id (of the workspace being served, or the default one)."""
        return self._here().team_id

    @property
    def team_name(self) -> str:
        """The team's name."""
        return self._here().name

    @property
    def team_domain(self) -> str:
        """The team's domain (``DOMAIN.slack.com``)."""
        return self._here().domain

    @property
    def bot_user_id(self) -> str:
        """The app's bot user in the team (one per workspace, as in Slack)."""
        return self._here().bot_user_id

    @property
    def bot_id(self) -> str:
        """The app's bot id in the team."""
        return self._here().bot_id

    def bot_user_id_in(self, team_id: str) -> str:
        """The app's bot user in workspace ``team_id``."""
        return self._workspace(team_id).bot_user_id

    def add_workspace(
        self,
        team_id: str,
        name: str,
        *,
        domain: str | None = None,
        bot_user_id: str | None = None,
        bot_id: str | None = None,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        token: str | None = None,
    ) -> None:
        """Register another workspace (with the app's bot user in it).

        Its bot token comes from installing it (`authorize`, then ``oauth.v2.access``), or is
        ``token`` given here. ``enterprise_id``: the workspace belongs to an Enterprise Grid org.
        """
        workspace = _Workspace(
            team_id=team_id,
            name=name,
            domain=domain or name.lower().replace(" ", "-"),
            bot_user_id=bot_user_id or f"UB{team_id}",
            bot_id=bot_id or f"B{team_id}",
            enterprise_id=enterprise_id,
            enterprise_name=enterprise_name or (enterprise_id and f"{name} Org"),
        )
        with self._lock:
            if team_id == self._default.team_id:
                self._default = workspace
            self._workspaces[team_id] = workspace
            if token is not None:
                self._issued[token] = _Token(team_id=team_id)
        self.add_user(
            workspace.bot_user_id,
            name=self.bot_name,
            real_name=self.bot_name,
            is_bot=True,
            tz="America/Los_Angeles",
            team_id=team_id,
        )

    def authorize(
        self,
        team_id: str = DEFAULT_TEAM_ID,
        user_id: str = DEFAULT_USER_ID,
        *,
        rotating: bool = False,
        expires_in: int | None = None,
        org_wide: bool = False,
        scopes: str | Collection[str] = "commands",
        redirect_uri: str | None = None,
    ) -> str:
        """What Slack's consent screen does when ``user_id`` of ``team_id`` clicks Allow: a
        code that ``oauth.v2.access`` exchanges once, within 10 minutes, for a bot token.

        ``rotating``: the app has token rotation on (the token expires after ``expires_in``
        seconds, default `token_lifetime`). ``org_wide``: an Enterprise Grid admin installs
        the app across the workspace's whole org. ``redirect_uri``: the one the authorize URL
        named, which the exchange must repeat.
        """
        with self._lock:
            workspace = self._workspaces.get(team_id)
            if workspace is None:
                raise KeyError(f"no workspace {team_id}: add_workspace() it first")
            if org_wide and not workspace.enterprise_id:
                raise ValueError(f"{team_id} belongs to no Enterprise Grid org")
            code = f"{secrets.randbelow(10**10)}.{secrets.token_hex(20)}"
            self._grants[code] = _Grant(
                team_id=team_id,
                user_id=user_id,
                issued=self._wall(),
                rotating=rotating,
                expires_in=self.token_lifetime if expires_in is None else expires_in,
                org_wide=org_wide,
                scope=scopes if isinstance(scopes, str) else ",".join(scopes),
                redirect_uri=redirect_uri,
            )
        return code

    def tokens_of(self, team_id: str) -> list[str]:
        """The bot tokens issued for ``team_id`` that still work, oldest first."""
        with self._lock:
            return [
                token
                for token, info in self._issued.items()
                if info.team_id == team_id and self._token_error(token, info) is None
            ]

    def revoke_tokens(self, team_id: str) -> list[str]:
        """Revoke every token of ``team_id`` (what an uninstall does); returns them."""
        with self._lock:
            gone = [t for t, info in self._issued.items() if info.team_id == team_id]
            for token in gone:
                self._revoke(token)
            return gone

    def advance_clock(self, seconds: float) -> None:
        """Move the double's wall clock forward (token and code expiry, timestamps)."""
        with self._lock:
            self._skew += seconds

    def _wall(self) -> float:
        return self._wall_clock() + self._skew

    def _revoke(self, token: str) -> None:
        self._revoked.add(token)
        issued = self._issued.get(token)
        if issued is not None and issued.refresh_token:
            self._refresh_tokens.pop(issued.refresh_token, None)

    def _token_error(self, token: str, issued: _Token | None) -> str | None:
        if token in self._revoked:
            return "token_revoked"
        if issued is not None and issued.expires_at is not None:
            return "token_expired" if self._wall() >= issued.expires_at else None
        return None

    # ------------------------------------------------------------------ recording

    @property
    def calls(self) -> list[RecordedCall]:
        """Every recorded call, oldest first (a copy)."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Recorded calls of one Web API method."""
        with self._lock:
            return [c for c in self._calls if method in ("*", c.method)]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Block until `count` calls of `method` ("*" = any) were recorded; return them."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.calls_to(method)) >= count, timeout):
                seen = [c.method for c in self._calls]
                raise TimeoutError(
                    f"expected {count} call(s) to {method} within {timeout}s, got: {seen}"
                )
            return self.calls_to(method)

    def reset(self) -> None:
        """Forget calls, failures, messages, views, uploads and Socket Mode traffic.

        Registered workspaces, users and channels, issued tokens (and the servers) stay.
        """
        with self._cond:
            self._reset_state()
            self._cond.notify_all()

    # ------------------------------------------------------------------ failure injection

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int | None = None,
        retry_after: int = 1,
        times: int = 1,
        delay: float | None = None,
        apply: bool = False,
        body: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` ("*" = any) fail.

        * no arguments: HTTP 429, ``Retry-After: retry_after``, ``{"ok": false, "error":
          "ratelimited"}``;
        * ``error="user_not_found"``: HTTP 200 with that error (429 if it is "ratelimited");
        * ``status=500/502/503``: that status with an HTML body (JSON if `error` is given);
        * ``delay=seconds``: hold the response that long; with ``apply=True`` the call takes
          effect first and the normal answer follows, otherwise nothing happens and a 504 comes;
        * ``apply=True`` with an error/status: the call takes effect, the failure is answered;
        * ``body`` replaces the response body verbatim.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        if retry_after < 0:
            raise ValueError("retry_after must be >= 0")
        passthrough = False
        if error is None and status is None:
            if delay is None:
                error, status = "ratelimited", 429
            elif apply:
                passthrough = True
            else:
                status = 504
        elif status is None:
            status = 429 if error == "ratelimited" else 200
        elif error is None and status == 429:
            error = "ratelimited"
        failure = _Failure(
            method=method,
            remaining=times,
            status=status or 200,
            error=error,
            body=body,
            retry_after=retry_after,
            delay=delay,
            apply=apply,
            passthrough=passthrough,
        )
        with self._lock:
            self._failures.append(failure)

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method in ("*", method):
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                    return failure
        return None

    def _failure_reply(self, failure: _Failure) -> _Reply:
        headers: tuple[tuple[str, str], ...] = ()
        if failure.status == 429:
            headers = (("Retry-After", str(failure.retry_after)),)
        if failure.body is not None:
            kind = "application/json" if failure.body.lstrip()[:1] == "{" else "text/html"
            return _Reply(
                failure.status,
                failure.body.encode(),
                content_type=f"{kind}; charset=utf-8",
                headers=headers,
                error=failure.error,
            )
        if failure.error is None:
            reason = HTTPStatus(failure.status).phrase
            html = _HTML_ERROR.format(status=failure.status, reason=reason)
            return _Reply(failure.status, html.encode(), content_type="text/html; charset=utf-8")
        return _Reply.json({"ok": False, "error": failure.error}, failure.status, headers)

    # ------------------------------------------------------------------ HTTP dispatch

    def _handle_http(
        self, path: str, *, authorization: str | None, content_type: str, body: bytes
    ) -> _Reply:
        at = self._wall()
        split = urlsplit(path)
        if split.path.startswith("/api/"):
            method = split.path[len("/api/") :]
            return self._handle_api(method, split.query, authorization, content_type, body, at)
        if split.path.startswith("/upload/v1/"):
            return self._handle_upload(split.path[len("/upload/v1/") :], content_type, body)
        if split.path.startswith("/hooks/response/"):
            key = split.path[len("/hooks/response/") :]
            return self._handle_response_url(key, path, content_type, body, at)
        return _Reply.text(404, "not found\n")

    def _handle_api(
        self,
        method: str,
        query: str,
        authorization: str | None,
        content_type: str,
        body: bytes,
        at: float,
    ) -> _Reply:
        try:
            params = _parse_params(query, content_type, body)
        except _SlackError as exc:
            reply = _Reply.json({"ok": False, "error": exc.error})
            self._record(method, {}, None, at, reply)
            return reply
        token = str(params.pop("token")) if params.get("token") else None
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[len("bearer ") :].strip()
        if method in _CLIENT_AUTH_METHODS:
            # Authenticated by the app's client id and secret, not by a token.
            _client_credentials(params, authorization)
            token, team_id, auth_error = "", None, None
        else:
            team_id, auth_error = self._authenticate(token)
        if auth_error is not None or token is None:
            reply = _Reply.json({"ok": False, "error": auth_error or "not_authed"})
            self._record(method, params, token, at, reply, team_id)
            return reply
        failure = self._take_failure(method)
        if failure is None:
            reply, team_id = self._invoke(method, params, token, team_id)
            self._record(method, params, token or None, at, reply, team_id)
            return reply
        applied = self._invoke(method, params, token, team_id)[0] if failure.apply else None
        if applied is not None and failure.passthrough:
            reply = applied
        else:
            reply = self._failure_reply(failure)
        self._record(method, params, token or None, at, reply, team_id)
        if failure.delay:
            self._stopping.wait(failure.delay)
        return reply

    def _authenticate(self, token: str | None) -> tuple[str | None, str | None]:
        """The token's team, and the error Slack answers for it (None: it is good)."""
        if not token:
            return None, "not_authed"
        with self._lock:
            issued = self._issued.get(token)
            if issued is not None or token in self._revoked:
                return (issued.team_id if issued else None), self._token_error(token, issued)
            allowed = self.tokens
            default = self._default.team_id
        good = token.startswith(("xoxb-", "xapp-")) if allowed is None else token in allowed
        return (default, None) if good else (None, "invalid_auth")

    def _invoke(
        self, method: str, params: JSONDict, token: str, team_id: str | None
    ) -> tuple[_Reply, str | None]:
        """Serve the call as ``team_id``; returns the reply and the team it concerned."""
        handler = self._methods.get(method)
        if handler is None:
            reply = _Reply.json({"ok": False, "error": "unknown_method", "req_method": method})
            return reply, team_id
        app_level = token.startswith("xapp-")
        if app_level != (method == "apps.connections.open"):
            return _Reply.json({"ok": False, "error": "not_allowed_token_type"}), team_id
        with self._lock, self._as_team(team_id):
            try:
                result = handler(params, token)
                # Serialized under the lock: results may share dicts with the message stores.
                reply = result if isinstance(result, _Reply) else _Reply.json(result)
            except _SlackError as exc:
                reply = _Reply.json({"ok": False, "error": exc.error, **exc.extra})
            except Exception as exc:  # a bug in the double must fail the test loudly, not hang it
                reply = _Reply.json({"ok": False, "error": "fatal_error", "detail": repr(exc)}, 500)
            # oauth.v2.access learns its team from the code or refresh token it exchanges.
            return reply, getattr(self._serving, "team", None)

    def _record(
        self,
        method: str,
        params: JSONDict,
        token: str | None,
        at: float,
        reply: _Reply,
        team_id: str | None = None,
    ) -> None:
        call = RecordedCall(method, params, token, at, reply.status, reply.error, team_id)
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    # ------------------------------------------------------------------ users and channels

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        email: str | None = None,
        tz: str = "Europe/Berlin",
        tz_offset: int | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
        team_id: str | None = None,
    ) -> JSONDict:
        """Register (or replace) a user served by users.info / users.list; return it."""
        handle = name or user_id.lower()
        full_name = real_name or handle.title()
        tz_label, offset = _zone_info(tz, self._wall())
        profile: JSONDict = {
            "real_name": full_name,
            "real_name_normalized": full_name,
            "display_name": handle,
            "display_name_normalized": handle,
            "team": team_id or self.team_id,
            "image_48": f"https://avatars.slack-edge.com/{user_id}_48.png",
        }
        if email is not None:
            profile["email"] = email
        if is_bot:
            workspace = self._workspace(team_id)
            profile.update(bot_id=workspace.bot_id, api_app_id=self.app_id)
        user: JSONDict = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": handle,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": full_name,
            "tz": tz,
            "tz_label": tz_label,
            "tz_offset": offset if tz_offset is None else tz_offset,
            "profile": profile,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": is_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(self._wall()),
        }
        with self._lock:
            self._users[user_id] = user
        return copy.deepcopy(user)

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        is_private: bool = False,
        is_member: bool = True,
        is_archived: bool = False,
        members: Collection[str] = (),
        team_id: str | None = None,
    ) -> JSONDict:
        """Register a channel; with ``is_member=False`` posting needs conversations.join first.

        It belongs to ``team_id`` (default: the workspace being served, or the default one).
        """
        workspace = self._workspace(team_id)
        channel = _Channel(
            id=channel_id,
            name=name or channel_id.lower(),
            kind="private" if is_private else "public",
            created=int(self._wall()),
            is_member=is_member,
            is_archived=is_archived,
            members=list(members),
            team_id=workspace.team_id,
        )
        if is_member and workspace.bot_user_id not in channel.members:
            channel.members.append(workspace.bot_user_id)
        with self._lock:
            self._channels[channel_id] = channel
            self._messages.setdefault(channel_id, [])
        return channel.to_dict()

    def add_usergroup(
        self,
        usergroup_id: str,
        *,
        handle: str | None = None,
        users: Collection[str] = (),
        team_id: str | None = None,
    ) -> JSONDict:
        """Register (or replace) a user group served by usergroups.users.list; return it."""
        group: JSONDict = {
            "id": usergroup_id,
            "team_id": team_id or self.team_id,
            "is_usergroup": True,
            "name": handle or usergroup_id.lower(),
            "handle": handle or usergroup_id.lower(),
            "date_create": int(self._wall()),
            "date_delete": 0,
            "users": list(users),
            "user_count": len(users),
        }
        with self._lock:
            self._usergroups[usergroup_id] = group
        return copy.deepcopy(group)

    def dm_channel_id(self, *user_ids: str) -> str:
        """The channel conversations.open returns for these users."""
        return conversation_id_for(user_ids)

    def _foreign_user(self, user_id: str) -> bool:
        """Whether ``user_id`` is a person of another workspace than the one being served."""
        user = self._users.get(user_id)
        return user is not None and user["team_id"] != self.team_id

    def _open_conversation(self, users: list[str]) -> tuple[_Channel, bool]:
        others = sorted({u for u in users if u != self.bot_user_id}) or [self.bot_user_id]
        channel_id = conversation_id_for(others)
        existing = self._channels.get(channel_id)
        if existing is not None:
            if existing.team_id != self.team_id:
                raise _SlackError("channel_not_found")
            return existing, True
        kind = "im" if len(others) == 1 else "mpim"
        name = "mpdm-" + "--".join(others) + "-1" if kind == "mpim" else channel_id
        channel = _Channel(
            id=channel_id,
            name=name,
            kind=kind,
            created=int(self._wall()),
            members=[*others, self.bot_user_id],
            team_id=self.team_id,
        )
        self._channels[channel_id] = channel
        self._messages.setdefault(channel_id, [])
        return channel, False

    def _resolve_channel(self, value: Any, *, create: bool = False) -> _Channel:
        channel_id = str(value or "").strip()
        if not channel_id:
            raise _SlackError("channel_not_found")
        if channel_id[0] in "UW":
            # Another workspace's person has no DM with this workspace's bot.
            if self._foreign_user(channel_id):
                raise _SlackError("channel_not_found")
            return self._open_conversation([channel_id])[0]
        if channel_id.startswith("#"):
            for channel in self._channels.values():
                if channel.name == channel_id[1:] and channel.team_id == self.team_id:
                    return channel
            raise _SlackError("channel_not_found")
        known = self._channels.get(channel_id)
        if known is not None:
            if known.team_id != self.team_id:
                raise _SlackError("channel_not_found")
            return known
        if create and self.auto_create_channels and channel_id[0] in "CG":
            self.add_channel(channel_id, is_private=channel_id[0] == "G")
            return self._channels[channel_id]
        raise _SlackError("channel_not_found")

    # ------------------------------------------------------------------ messages

    def _next_ts(self) -> str:
        with self._lock:
            self._last_ts = max(self._last_ts + 1, int(self._wall() * 1_000_000))
            return _format_ts(self._last_ts)

    def _store(self, channel_id: str, message: JSONDict) -> None:
        store = self._messages.setdefault(channel_id, [])
        bisect.insort(store, message, key=lambda m: _ts_key(m["ts"]))
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != message["ts"]:
            parent = self._find(channel_id, thread_ts)
            if parent is not None:
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = int(parent.get("reply_count", 0)) + 1
                parent["latest_reply"] = message["ts"]
                users = parent.setdefault("reply_users", [])
                if message.get("user") not in users:
                    users.append(message.get("user"))
                parent["reply_users_count"] = len(users)

    def _find(self, channel_id: str, ts: Any) -> JSONDict | None:
        for message in self._messages.get(channel_id, []):
            if message["ts"] == str(ts):
                return message
        return None

    def add_message(
        self,
        channel_id: str,
        text: str = "",
        *,
        user: str = DEFAULT_USER_ID,
        ts: str | None = None,
        thread_ts: str | None = None,
        blocks: list[JSONDict] | None = None,
        metadata: JSONDict | None = None,
    ) -> str:
        """Seed a message (e.g. from a human) into a channel's history; return its ts."""
        with self._lock, self._as_team(self._team_of(channel_id)):
            channel = self._resolve_channel(channel_id, create=True)
            message: JSONDict = {
                "type": "message",
                "user": user,
                "text": text,
                "ts": ts or self._next_ts(),
                "team": self.team_id,
            }
            if thread_ts:
                message["thread_ts"] = thread_ts
            if blocks is not None:
                message["blocks"] = copy.deepcopy(blocks)
            if metadata is not None:
                message["metadata"] = copy.deepcopy(metadata)
            self._store(channel.id, message)
            return str(message["ts"])

    def _team_of(self, channel_or_user: str) -> str:
        """The workspace a channel or person belongs to (the default one when unknown)."""
        channel = self._channels.get(channel_or_user)
        if channel is not None:
            return channel.team_id
        user = self._users.get(channel_or_user)
        return str(user["team_id"]) if user is not None else self._default.team_id

    def messages(self, channel_id: str) -> list[JSONDict]:
        """Messages stored for a channel (thread replies included), oldest first."""
        with self._lock:
            channel = self._channels.get(channel_id)
            if channel is None and channel_id[:1] in ("U", "W"):
                channel = self._channels.get(conversation_id_for([channel_id]))
            if channel is None:
                return []
            return copy.deepcopy(self._messages.get(channel.id, []))

    @property
    def scheduled_messages(self) -> list[JSONDict]:
        """Messages waiting in chat.scheduleMessage's queue."""
        with self._lock:
            return copy.deepcopy(self._scheduled)

    def run_scheduled(self, now: float | None = None) -> list[JSONDict]:
        """Post the scheduled messages due at `now` (default: wall clock); return them."""
        moment = self._wall() if now is None else now
        posted: list[JSONDict] = []
        with self._lock:
            for item in [s for s in self._scheduled if s["post_at"] <= moment]:
                self._scheduled.remove(item)
                message = copy.deepcopy(item["message"])
                message.update(type="message", ts=self._next_ts())
                message.pop("subtype", None)
                self._store(item["channel_id"], message)
                posted.append(copy.deepcopy(message))
        return posted

    def _check_can_post(self, channel: _Channel) -> None:
        if channel.is_archived:
            raise _SlackError("is_archived")
        if not channel.is_member:
            raise _SlackError("not_in_channel")

    def _content(self, params: JSONDict, *, required: bool = True) -> JSONDict:
        """Validate text/blocks/attachments/metadata like chat.postMessage does."""
        content: JSONDict = {}
        text = params.get("text")
        blocks = params.get("blocks")
        attachments = params.get("attachments")
        metadata = params.get("metadata")
        if blocks is not None and blocks != "":
            if not isinstance(blocks, list):
                raise _SlackError("invalid_blocks_format")
            errors = _block_errors(blocks, "/blocks", MAX_MESSAGE_BLOCKS)
            if errors:
                raise _SlackError("invalid_blocks", response_metadata={"messages": errors})
            content["blocks"] = copy.deepcopy(blocks)
        if attachments is not None and attachments != "":
            if not isinstance(attachments, list):
                raise _SlackError("invalid_attachments")
            content["attachments"] = copy.deepcopy(attachments)
        if text is not None and text != "":
            if len(str(text)) > MAX_MESSAGE_TEXT:
                raise _SlackError("msg_too_long")
            content["text"] = str(text)
        if required and not content:
            raise _SlackError("no_text")
        if metadata is not None and metadata != "":
            if not (
                isinstance(metadata, dict)
                and isinstance(metadata.get("event_type"), str)
                and metadata["event_type"]
                and isinstance(metadata.get("event_payload"), dict)
            ):
                raise _SlackError("invalid_metadata_format")
            content["metadata"] = {
                "event_type": metadata["event_type"],
                "event_payload": copy.deepcopy(metadata["event_payload"]),
            }
        return content

    def _bot_message(self, content: JSONDict, ts: str) -> JSONDict:
        message: JSONDict = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": content.get("text") or (_CANT_DISPLAY if "blocks" in content else ""),
            "ts": ts,
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": self.bot_name,
                "team_id": self.team_id,
                "deleted": False,
            },
        }
        message.update({k: v for k, v in content.items() if k != "text"})
        return message

    def _rate_limited(self, channel_id: str) -> int | None:
        if self.channel_rate_limit is None:
            return None
        now = self._clock()
        bucket = self._buckets.get(channel_id)
        if bucket is None:
            bucket = self._buckets[channel_id] = _Bucket(
                self.channel_rate_limit, self.channel_burst, now
            )
        return bucket.take(now)

    # ------------------------------------------------------------------ Web API methods

    def _api_test(self, params: JSONDict, token: str) -> JSONDict:
        return {"ok": True, "args": {k: v for k, v in params.items() if isinstance(v, str)}}

    def _auth_test(self, params: JSONDict, token: str) -> JSONDict:
        workspace = self._here()
        issued = self._issued.get(token)
        if issued is not None and issued.org_wide:
            # An org-wide token speaks for the whole Enterprise Grid org.
            return {
                "ok": True,
                "url": f"https://{workspace.domain}.enterprise.slack.com/",
                "team": workspace.enterprise_name,
                "user": self.bot_name,
                "team_id": workspace.enterprise_id,
                "user_id": workspace.bot_user_id,
                "bot_id": workspace.bot_id,
                "enterprise_id": workspace.enterprise_id,
                "is_enterprise_install": True,
            }
        answer: JSONDict = {
            "ok": True,
            "url": f"https://{workspace.domain}.slack.com/",
            "team": workspace.name,
            "user": self.bot_name,
            "team_id": workspace.team_id,
            "user_id": workspace.bot_user_id,
            "bot_id": workspace.bot_id,
            "is_enterprise_install": False,
        }
        if workspace.enterprise_id:
            answer["enterprise_id"] = workspace.enterprise_id
        return answer

    def _auth_revoke(self, params: JSONDict, token: str) -> JSONDict:
        if _truthy(params.get("test")):
            return {"ok": True, "revoked": False}
        self._revoke(token)
        return {"ok": True, "revoked": True}

    def _oauth_v2_access(self, params: JSONDict, token: str) -> JSONDict:
        if params.get("client_id") != self.client_id:
            raise _SlackError("invalid_client_id")
        if params.get("client_secret") != self.client_secret:
            raise _SlackError("bad_client_secret")
        grant_type = str(params.get("grant_type") or "authorization_code")
        if grant_type == "refresh_token":
            return self._refresh(str(params.get("refresh_token") or ""))
        if grant_type != "authorization_code":
            raise _SlackError("invalid_grant_type")
        grant = self._grants.get(str(params.get("code") or ""))
        if grant is None or grant.used or self._wall() - grant.issued > CODE_TTL:
            raise _SlackError("invalid_code")
        if grant.redirect_uri is not None and params.get("redirect_uri") != grant.redirect_uri:
            raise _SlackError("bad_redirect_uri")
        grant.used = True
        self._serving.team = grant.team_id
        access = self._issue(
            _Token(
                team_id=grant.team_id,
                org_wide=grant.org_wide,
                scope=grant.scope,
                installer=grant.user_id,
            ),
            rotating=grant.rotating,
            expires_in=grant.expires_in,
        )
        return self._access_answer(access)

    def _refresh(self, refresh_token: str) -> JSONDict:
        """Rotate: a new token pair; the refresh token is spent, the old access token lives on
        until it expires (Slack's token rotation)."""
        old = self._refresh_tokens.pop(refresh_token, None)
        if old is None:
            raise _SlackError("invalid_refresh_token")
        previous = self._issued[old]
        self._serving.team = previous.team_id
        access = self._issue(
            _Token(
                team_id=previous.team_id,
                org_wide=previous.org_wide,
                scope=previous.scope,
                installer=previous.installer,
            ),
            rotating=True,
            expires_in=self.token_lifetime,
        )
        return self._access_answer(access)

    def _issue(self, token: _Token, *, rotating: bool, expires_in: int) -> str:
        if rotating:
            access = "xoxe.xoxb-1-" + secrets.token_hex(24)
            token.refresh_token = "xoxe-1-" + secrets.token_hex(32)
            token.expires_at = self._wall() + expires_in
            self._refresh_tokens[token.refresh_token] = access
        else:
            digits = f"{secrets.randbelow(10**12):012d}-{secrets.randbelow(10**12):012d}"
            access = f"xoxb-{digits}-{secrets.token_urlsafe(18)}"
        self._issued[access] = token
        return access

    def _access_answer(self, access: str) -> JSONDict:
        """oauth.v2.access's answer for a bot token, shaped like Slack's."""
        token = self._issued[access]
        workspace = self._workspaces[token.team_id]
        enterprise = (
            {"id": workspace.enterprise_id, "name": workspace.enterprise_name}
            if workspace.enterprise_id
            else None
        )
        answer: JSONDict = {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": token.installer},
            "scope": token.scope,
            "token_type": "bot",
            "access_token": access,
            "bot_user_id": workspace.bot_user_id,
            # An org-wide install belongs to the org, not to the workspace it started from.
            "team": None if token.org_wide else {"id": workspace.team_id, "name": workspace.name},
            "enterprise": enterprise,
            "is_enterprise_install": token.org_wide,
        }
        if token.expires_at is not None:
            answer["expires_in"] = max(0, round(token.expires_at - self._wall()))
            answer["refresh_token"] = token.refresh_token
        return answer

    def _chat_post_message(self, params: JSONDict, token: str) -> JSONDict | _Reply:
        channel = self._resolve_channel(params.get("channel"), create=True)
        self._check_can_post(channel)
        content = self._content(params)
        retry_after = self._rate_limited(channel.id)
        if retry_after is not None:
            return _Reply.json(
                {"ok": False, "error": "ratelimited"},
                429,
                (("Retry-After", str(retry_after)),),
            )
        message = self._bot_message(content, self._next_ts())
        thread_ts = params.get("thread_ts")
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
            if _truthy(params.get("reply_broadcast")):
                message["subtype"] = "thread_broadcast"
        self._store(channel.id, message)
        return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": message}

    def _chat_post_ephemeral(self, params: JSONDict, token: str) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"), create=True)
        user = str(params.get("user") or "")
        if not user or self._foreign_user(user):
            raise _SlackError("user_not_found")
        self._check_can_post(channel)
        self._content(params)
        return {"ok": True, "message_ts": self._next_ts()}

    def _own_message(self, params: JSONDict, what: str) -> tuple[_Channel, JSONDict]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._find(channel.id, params.get("ts"))
        if message is None:
            raise _SlackError("message_not_found")
        if message.get("user") != self.bot_user_id:
            raise _SlackError(f"cant_{what}_message")
        return channel, message

    def _chat_update(self, params: JSONDict, token: str) -> JSONDict:
        channel, message = self._own_message(params, "update")
        content = self._content(params)
        message.update(content)
        if "text" not in content:
            message["text"] = _CANT_DISPLAY if "blocks" in content else message.get("text", "")
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message["ts"],
            "text": message.get("text", ""),
            "message": copy.deepcopy(message),
        }

    def _chat_delete(self, params: JSONDict, token: str) -> JSONDict:
        channel, message = self._own_message(params, "delete")
        self._messages[channel.id].remove(message)
        return {"ok": True, "channel": channel.id, "ts": message["ts"]}

    def _chat_schedule_message(self, params: JSONDict, token: str) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"), create=True)
        self._check_can_post(channel)
        try:
            post_at = int(float(params.get("post_at", "")))
        except (TypeError, ValueError) as exc:
            raise _SlackError("invalid_time") from exc
        now = self._wall()
        if post_at < now:
            raise _SlackError("time_in_past")
        if post_at > now + MAX_SCHEDULE_AHEAD:
            raise _SlackError("time_too_far")
        content = self._content(params)
        message = self._bot_message(content, "")
        message.pop("ts")
        message.update(type="delayed_message", subtype="bot_message")
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        item: JSONDict = {
            "id": _fresh_id("Q"),
            "channel_id": channel.id,
            "post_at": post_at,
            "date_created": int(now),
            "text": message.get("text", ""),
            "message": message,
        }
        self._scheduled.append(item)
        return {
            "ok": True,
            "channel": channel.id,
            "scheduled_message_id": item["id"],
            "post_at": post_at,
            "message": copy.deepcopy(message),
        }

    def _chat_delete_scheduled_message(self, params: JSONDict, token: str) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"))
        wanted = params.get("scheduled_message_id")
        for item in self._scheduled:
            if item["id"] == wanted and item["channel_id"] == channel.id:
                self._scheduled.remove(item)
                return {"ok": True}
        raise _SlackError("invalid_scheduled_message_id")

    def _chat_scheduled_messages_list(self, params: JSONDict, token: str) -> JSONDict:
        wanted = params.get("channel")
        items = [
            {k: item[k] for k in ("id", "channel_id", "post_at", "date_created", "text")}
            for item in self._scheduled
            if not wanted or item["channel_id"] == wanted
        ]
        return {"ok": True, "scheduled_messages": items, "response_metadata": {"next_cursor": ""}}

    def _chat_get_permalink(self, params: JSONDict, token: str) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("message_ts") or "")
        if self._find(channel.id, ts) is None:
            raise _SlackError("message_not_found")
        return {
            "ok": True,
            "channel": channel.id,
            "permalink": (
                f"https://{self.team_domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
            ),
        }

    def _conversations_open(self, params: JSONDict, token: str) -> JSONDict:
        if params.get("channel"):
            channel, existed = self._resolve_channel(params["channel"]), True
        else:
            users = _user_list(params.get("users"))
            if not users:
                raise _SlackError("users_list_not_supplied")
            if len(users) > MAX_MPIM_USERS:
                raise _SlackError("too_many_users")
            for user in users:
                known = self._users.get(user)
                if user[:1] not in ("U", "W") or (known is not None and known["deleted"]):
                    raise _SlackError("user_not_found")
                if self._foreign_user(user):
                    raise _SlackError("user_not_found")
            channel, existed = self._open_conversation(users)
        result: JSONDict = {"ok": True}
        if existed:
            result.update(no_op=True, already_open=True)
        if _truthy(params.get("return_im")):
            result["channel"] = channel.to_dict()
        else:
            result["channel"] = {"id": channel.id}
        return result

    def _conversations_history(self, params: JSONDict, token: str) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"))
        limit = min(max(_as_int(params.get("limit"), 100), 1), 999)
        inclusive = _truthy(params.get("inclusive"))
        oldest = _ts_key(params["oldest"]) if params.get("oldest") else None
        latest = _ts_key(params["latest"]) if params.get("latest") else None
        if params.get("cursor"):
            latest, inclusive_latest = _ts_key(_unb64(str(params["cursor"]), "next_ts:")), False
        else:
            inclusive_latest = inclusive
        with_metadata = _truthy(params.get("include_all_metadata"))
        picked: list[JSONDict] = []
        for message in reversed(self._messages.get(channel.id, [])):
            thread_ts = message.get("thread_ts")
            if thread_ts and thread_ts != message["ts"] and "subtype" not in message:
                continue  # thread replies only show up in conversations.replies
            key = _ts_key(message["ts"])
            if oldest is not None and (key < oldest or (key == oldest and not inclusive)):
                continue
            if latest is not None and (key > latest or (key == latest and not inclusive_latest)):
                continue
            picked.append(message)
        page = picked[:limit]
        has_more = len(picked) > limit
        return {
            "ok": True,
            "messages": [self._public(m, with_metadata) for m in page],
            "has_more": has_more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {
                "next_cursor": _b64("next_ts:" + page[-1]["ts"]) if has_more else ""
            },
        }

    def _conversations_replies(self, params: JSONDict, token: str) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        parent = self._find(channel.id, ts)
        if parent is None:
            raise _SlackError("thread_not_found")
        limit = min(max(_as_int(params.get("limit"), 1000), 1), 1000)
        thread = [
            m for m in self._messages.get(channel.id, []) if m is parent or m.get("thread_ts") == ts
        ]
        with_metadata = _truthy(params.get("include_all_metadata"))
        return {
            "ok": True,
            "messages": [self._public(m, with_metadata) for m in thread[:limit]],
            "has_more": len(thread) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    @staticmethod
    def _public(message: JSONDict, with_metadata: bool) -> JSONDict:
        shown = copy.deepcopy(message)
        if not with_metadata:
            shown.pop("metadata", None)
        return shown

    def _conversations_info(self, params: JSONDict, token: str) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"))
        return {"ok": True, "channel": channel.to_dict()}

    def _conversations_join(self, params: JSONDict, token: str) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"))
        if channel.kind != "public":
            raise _SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise _SlackError("is_archived")
        result: JSONDict = {"ok": True}
        if channel.is_member:
            result.update(
                warning="already_in_channel",
                response_metadata={"warnings": ["already_in_channel"]},
            )
        channel.is_member = True
        if self.bot_user_id not in channel.members:
            channel.members.append(self.bot_user_id)
        result["channel"] = channel.to_dict()
        return result

    def _conversations_members(self, params: JSONDict, token: str) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"))
        # A private channel the bot is not in looks, to the bot, like no channel at all.
        if channel.kind == "private" and not channel.is_member:
            raise _SlackError("channel_not_found")
        limit = min(max(_as_int(params.get("limit"), 100), 1), 1000)
        members = list(channel.members)
        start = 0
        if params.get("cursor"):
            after = _unb64(str(params["cursor"]), "member:")
            if after not in members:
                raise _SlackError("invalid_cursor")
            start = members.index(after)
        page, rest = members[start : start + limit], members[start + limit :]
        return {
            "ok": True,
            "members": page,
            "response_metadata": {"next_cursor": _b64("member:" + rest[0]) if rest else ""},
        }

    def _usergroups_users_list(self, params: JSONDict, token: str) -> JSONDict:
        usergroup_id = str(params.get("usergroup") or "")
        if not usergroup_id:
            raise _SlackError("missing_argument")
        group = self._usergroups.get(usergroup_id)
        if group is None or group["team_id"] != self.team_id:
            raise _SlackError("no_such_subteam")
        return {"ok": True, "users": list(group["users"])}

    def _users_info(self, params: JSONDict, token: str) -> JSONDict:
        user = self._users.get(str(params.get("user") or ""))
        if user is None or user["team_id"] != self.team_id:
            raise _SlackError("user_not_found")
        shown = copy.deepcopy(user)
        if _truthy(params.get("include_locale")):
            shown["locale"] = "en-US"
        return {"ok": True, "user": shown}

    def _users_list(self, params: JSONDict, token: str) -> JSONDict:
        users = [u for u in self._users.values() if u["team_id"] == self.team_id]
        limit = _as_int(params.get("limit"), 0)
        limit = 1000 if limit <= 0 else min(limit, 1000)
        start = 0
        if params.get("cursor"):
            after = _unb64(str(params["cursor"]), "user:")
            ids = [u["id"] for u in users]
            if after not in ids:
                raise _SlackError("invalid_cursor")
            start = ids.index(after)
        page = users[start : start + limit]
        rest = users[start + limit :]
        return {
            "ok": True,
            "members": copy.deepcopy(page),
            "cache_ts": int(self._wall()),
            "response_metadata": {"next_cursor": _b64("user:" + rest[0]["id"]) if rest else ""},
        }

    def _team_info(self, params: JSONDict, token: str) -> JSONDict:
        return {
            "ok": True,
            "team": {
                "id": self.team_id,
                "name": self.team_name,
                "domain": self.team_domain,
                "email_domain": "",
                "url": f"https://{self.team_domain}.slack.com/",
                "is_verified": False,
                "icon": {"image_default": True, "image_34": "", "image_44": "", "image_68": ""},
            },
        }

    def _apps_connections_open(self, params: JSONDict, token: str) -> JSONDict:
        if self._stopping.is_set():
            raise _SlackError("fatal_error")
        port = self._ensure_socket_server()
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        return {
            "ok": True,
            "url": f"ws://{self.host}:{port}/link/?ticket={ticket}&app_id={self.app_id}",
        }

    # ------------------------------------------------------------------ views

    def new_trigger_id(self, *, view_id: str | None = None) -> str:
        """Issue a trigger id valid for `trigger_ttl` seconds; `view_id` links it to a modal."""
        trigger_id = make_trigger_id()
        with self._lock:
            self._triggers[trigger_id] = (self._clock(), view_id)
        return trigger_id

    @property
    def views(self) -> dict[str, JSONDict]:
        """Every view opened, pushed, updated or published, by id."""
        with self._lock:
            return copy.deepcopy(self._views)

    def views_changed(self, seen: Mapping[str, str]) -> list[JSONDict]:
        """The views whose hash is not the one in ``seen`` (view id → hash): new or updated since
        the caller last looked, copied (cheaper than ``views`` when many were shown)."""
        with self._lock:
            return [
                copy.deepcopy(view)
                for view_id, view in self._views.items()
                if seen.get(view_id) != view["hash"]
            ]

    def home_view(self, user_id: str) -> JSONDict | None:
        """The Home tab last published for a user."""
        with self._lock:
            view_id = self._home_views.get(user_id)
            return copy.deepcopy(self._views[view_id]) if view_id else None

    def _view_param(self, params: JSONDict) -> JSONDict:
        view = params.get("view")
        if view is None or view == "":
            raise _invalid_arguments("[ERROR] missing required field: view")
        errors = _view_errors(view)
        if errors:
            raise _invalid_arguments(*errors)
        if len(json.dumps(view)) > MAX_VIEW_BYTES:
            raise _SlackError("view_too_large")
        return cast(JSONDict, view)

    def _trigger_param(self, params: JSONDict) -> str:
        trigger_id = str(params.get("trigger_id") or params.get("interactivity_pointer") or "")
        if not trigger_id:
            raise _invalid_arguments("[ERROR] missing required field: trigger_id")
        if trigger_id in self._used_triggers:
            raise _SlackError("exchanged_trigger_id")
        issued = self._triggers.get(trigger_id)
        if issued is not None and self._clock() - issued[0] > self.trigger_ttl:
            raise _SlackError("expired_trigger_id")
        return trigger_id

    def _save_view(
        self,
        view: JSONDict,
        *,
        view_id: str | None = None,
        previous: str | None = None,
        root: str | None = None,
    ) -> JSONDict:
        new_id = view_id or _fresh_id("V")
        external_id = str(view.get("external_id") or "")
        if external_id and self._external_ids.get(external_id, new_id) != new_id:
            raise _SlackError("duplicate_external_id")
        saved: JSONDict = {
            "id": new_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": copy.deepcopy(view.get("blocks", [])),
            "private_metadata": str(view.get("private_metadata", "")),
            "callback_id": str(view.get("callback_id", "")),
            "state": {"values": {}},
            "hash": f"{int(self._wall())}.{secrets.randbelow(10**8):08d}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "previous_view_id": previous,
            "root_view_id": root or new_id,
            "app_id": self.app_id,
            "external_id": external_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        for key in ("title", "close", "submit"):
            if key in view or view["type"] == "modal":
                saved[key] = copy.deepcopy(view.get(key))
        self._views[new_id] = saved
        if external_id:
            self._external_ids[external_id] = new_id
        return saved

    def _views_open(self, params: JSONDict, token: str) -> JSONDict:
        view = self._view_param(params)
        trigger_id = self._trigger_param(params)
        if view["type"] != "modal":
            raise _invalid_arguments("[ERROR] must be modal [json-pointer:/view/type]")
        saved = self._save_view(view)
        self._used_triggers.add(trigger_id)
        self._view_stacks[saved["id"]] = [saved["id"]]
        return {"ok": True, "view": copy.deepcopy(saved)}

    def _views_push(self, params: JSONDict, token: str) -> JSONDict:
        view = self._view_param(params)
        trigger_id = self._trigger_param(params)
        linked = self._triggers.get(trigger_id, (0.0, None))[1]
        root = self._views[linked]["root_view_id"] if linked in self._views else None
        stack = self._view_stacks.get(root, []) if root else []
        if len(stack) >= MAX_VIEW_STACK:
            raise _SlackError("push_limit_reached")
        saved = self._save_view(view, previous=stack[-1] if stack else None, root=root)
        self._used_triggers.add(trigger_id)
        self._view_stacks.setdefault(saved["root_view_id"], []).append(saved["id"])
        return {"ok": True, "view": copy.deepcopy(saved)}

    def _views_update(self, params: JSONDict, token: str) -> JSONDict:
        view_id = str(params.get("view_id") or "")
        external_id = str(params.get("external_id") or "")
        if not view_id and not external_id:
            raise _invalid_arguments("[ERROR] missing required field: view_id or external_id")
        view = self._view_param(params)
        current = self._views.get(view_id or self._external_ids.get(external_id, ""))
        if current is None or current["team_id"] != self.team_id:
            raise _SlackError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise _SlackError("hash_conflict")
        saved = self._save_view(
            view,
            view_id=current["id"],
            previous=current["previous_view_id"],
            root=current["root_view_id"],
        )
        return {"ok": True, "view": copy.deepcopy(saved)}

    def _views_publish(self, params: JSONDict, token: str) -> JSONDict:
        user_id = str(params.get("user_id") or "")
        if not user_id:
            raise _invalid_arguments("[ERROR] missing required field: user_id")
        if self._foreign_user(user_id):
            raise _SlackError("user_not_found")
        view = self._view_param(params)
        if view["type"] != "home":
            raise _invalid_arguments("[ERROR] must be home [json-pointer:/view/type]")
        current_id = self._home_views.get(user_id)
        if current_id and params.get("hash") and params["hash"] != self._views[current_id]["hash"]:
            raise _SlackError("hash_conflict")
        saved = self._save_view(view, view_id=current_id)
        self._home_views[user_id] = saved["id"]
        return {"ok": True, "view": copy.deepcopy(saved)}

    # ------------------------------------------------------------------ files

    @property
    def uploaded_files(self) -> list[UploadedFile]:
        """Files completed via files.completeUploadExternal, one entry per shared channel."""
        with self._lock:
            return list(self._uploaded)

    def _files_get_upload_url(self, params: JSONDict, token: str) -> JSONDict:
        filename = str(params.get("filename") or "")
        length = _as_int(params.get("length"), -1)
        if not filename or length < 0:
            raise _invalid_arguments("[ERROR] missing required field: filename, length")
        key = secrets.token_urlsafe(12)
        upload = _Upload(_fresh_id("F"), filename, length)
        self._uploads[key] = upload
        self._uploads_by_id[upload.file_id] = upload
        return {
            "ok": True,
            "upload_url": f"{self.base_url}upload/v1/{key}",
            "file_id": upload.file_id,
        }

    def _handle_upload(self, key: str, content_type: str, body: bytes) -> _Reply:
        with self._lock:
            upload = self._uploads.get(key)
            if upload is None:
                return _Reply.text(404, "not found\n")
            data = body
            if content_type.lower().startswith("multipart/form-data"):
                parts = _parse_multipart(content_type, body)
                data = next((v for v in parts.values() if isinstance(v, bytes)), b"")
            upload.data = data
        return _Reply.text(200, f"OK - {len(data)}")

    def _files_complete_upload(self, params: JSONDict, token: str) -> JSONDict:
        files = params.get("files")
        if not isinstance(files, list) or not files:
            raise _invalid_arguments("[ERROR] missing required field: files")
        uploads: list[tuple[_Upload, str]] = []
        for entry in files:
            upload = self._uploads_by_id.get(
                str(entry.get("id") if isinstance(entry, dict) else "")
            )
            if upload is None or upload.data is None:
                raise _SlackError("file_not_found")
            title = entry.get("title") or upload.filename
            uploads.append((upload, str(title)))
        targets = _user_list(params.get("channel_id") or params.get("channels"))
        channels = [self._resolve_channel(t, create=True) for t in targets]
        comment = params.get("initial_comment")
        comment = str(comment) if comment else None
        summaries = []
        for upload, title in uploads:
            summaries.append(
                {
                    "id": upload.file_id,
                    "name": upload.filename,
                    "title": title,
                    "mimetype": mimetypes.guess_type(upload.filename)[0]
                    or "application/octet-stream",
                    "size": len(upload.data or b""),
                    "user": self.bot_user_id,
                    "created": int(self._wall()),
                    "channels": [c.id for c in channels],
                    "permalink": (
                        f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/"
                        f"{upload.file_id}/{upload.filename}"
                    ),
                }
            )
            shared_to: list[str | None] = [c.id for c in channels]
            for channel_id in shared_to or [None]:
                self._uploaded.append(
                    UploadedFile(
                        upload.file_id, upload.filename, upload.data or b"", channel_id, comment
                    )
                )
        for channel in channels:
            message = self._bot_message({"text": comment or ""}, self._next_ts())
            message.update(upload=True, files=copy.deepcopy(summaries))
            if params.get("thread_ts"):
                message["thread_ts"] = str(params["thread_ts"])
            self._store(channel.id, message)
        return {"ok": True, "files": summaries}

    # ------------------------------------------------------------------ response_url

    def new_response_url(self) -> str:
        """A response_url served by the double (5 uses within 30 minutes, like Slack's)."""
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._response_urls[key] = _ResponseUrl(created=self._wall())
        return f"{self.base_url}hooks/response/{key}"

    def _handle_response_url(
        self, key: str, path: str, content_type: str, body: bytes, at: float
    ) -> _Reply:
        with self._lock:
            entry = self._response_urls.get(key)
            if entry is None:
                reply = _Reply.text(404, "no_service", "text/html")
            elif at - entry.created > RESPONSE_URL_TTL:
                reply = _Reply.text(404, "expired_url", "text/html")
            elif entry.uses >= RESPONSE_URL_USES:
                reply = _Reply.text(404, "used_url", "text/html")
            else:
                entry.uses += 1
                reply = _Reply.text(200, "ok", "text/html")
        try:
            params = _parse_params("", content_type or "application/json", body)
        except _SlackError:
            params = {"body": body.decode("utf-8", "replace")}
        params["response_url"] = f"{self.base_url}{path.lstrip('/')}"
        failed = None if reply.status == 200 else reply.body.decode()
        self._record("response_url", params, None, at, _Reply(reply.status, b"", error=failed))
        return reply

    # ------------------------------------------------------------------ Socket Mode

    def _ensure_socket_server(self) -> int:
        with self._lock:
            if self._ws_server is not None:
                return self._ws_port
            if self._stopping.is_set():
                raise RuntimeError("SlackDouble is stopping")
            # Imported here so the HTTP double works without the optional websockets package.
            from websockets.sync.server import serve

            server = serve(
                self._ws_handle,
                self.host,
                0,
                process_request=self._ws_check_ticket,
                compression=None,
                ping_interval=self.socket_ping_interval,
                open_timeout=5,
                close_timeout=1,
            )
            self._ws_port = int(server.socket.getsockname()[1])
            thread = threading.Thread(
                target=server.serve_forever, name="slack-double-ws", daemon=True
            )
            self._ws_server, self._ws_thread = server, thread
            thread.start()
            return self._ws_port

    def _ws_check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        split = urlsplit(request.path)
        ticket = parse_qs(split.query).get("ticket", [""])[0]
        with self._lock:
            valid = split.path.startswith("/link") and ticket in self._tickets
        if valid:
            return None
        return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket\n")

    def _ws_handle(self, connection: ServerConnection) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            with self._lock:
                count = len(self._ws_clients) + 1
            hello = {
                "type": "hello",
                "num_connections": count,
                "debug_info": {
                    "host": "applink-slack-double",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
            connection.send(json.dumps(hello))
            with self._cond:
                self._ws_clients.append(connection)
                self._cond.notify_all()
            for raw in connection:
                self._on_socket_message(raw if isinstance(raw, str) else raw.decode())
        except ConnectionClosed:
            pass  # the client went away; the finally block forgets it
        finally:
            with self._cond:
                if connection in self._ws_clients:
                    self._ws_clients.remove(connection)
                self._cond.notify_all()

    def _on_socket_message(self, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        with self._cond:
            self._socket_messages.append(message)
            envelope_id = message.get("envelope_id")
            if isinstance(envelope_id, str):
                self._socket_acks[envelope_id] = message
            self._cond.notify_all()

    @property
    def socket_url(self) -> str:
        """ws:// root of the Socket Mode server (started on first use)."""
        return f"ws://{self.host}:{self._ensure_socket_server()}/"

    @property
    def socket_clients(self) -> int:
        """How many Socket Mode connections are open."""
        with self._lock:
            return len(self._ws_clients)

    @property
    def socket_messages(self) -> list[JSONDict]:
        """Every JSON message the Socket Mode clients sent, oldest first."""
        with self._lock:
            return copy.deepcopy(self._socket_messages)

    def wait_for_socket_client(self, timeout: float = 5.0) -> int:
        """Block until a Socket Mode client is connected; return the connection count."""
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._ws_clients), timeout):
                raise TimeoutError(f"no Socket Mode client connected within {timeout}s")
            return len(self._ws_clients)

    def socket_send(
        self,
        envelope_type: str,
        payload: Mapping[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Deliver an envelope to the newest Socket Mode connection; return its envelope_id.

        `accepts_response_payload` defaults to what Slack sends: true for slash commands,
        view submissions and block suggestions, false otherwise.
        """
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands" or (
                envelope_type == "interactive"
                and payload.get("type") in ("view_submission", "block_suggestion")
            )
        envelope_id = str(uuid.uuid4())
        envelope: JSONDict = {
            "envelope_id": envelope_id,
            "payload": dict(payload),
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        with self._lock:
            if not self._ws_clients:
                raise RuntimeError("no Socket Mode client is connected")
            connection = self._ws_clients[-1]
        connection.send(json.dumps(envelope))
        return envelope_id

    def socket_disconnect(self, reason: str = "refresh_requested", *, close: bool = False) -> int:
        """Send Slack's ``disconnect`` message to every client (optionally closing them)."""
        with self._lock:
            clients = list(self._ws_clients)
        message = json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-slack-double"}}
        )
        for connection in clients:
            connection.send(message)
            if close:
                connection.close()
        return len(clients)

    def wait_for_socket_ack(self, envelope_id: str, timeout: float = 5.0) -> JSONDict:
        """Block until the client acks `envelope_id`; return the ack message."""
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self._socket_acks, timeout):
                raise TimeoutError(f"envelope {envelope_id} was not acked within {timeout}s")
            return copy.deepcopy(self._socket_acks[envelope_id])


# ---------------------------------------------------------------------- requests into the bot


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request-signing headers for `body` (v0 HMAC-SHA256)."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def make_trigger_id() -> str:
    """A trigger id shaped like Slack's (e.g. ``13345224609.738474920.8088930838d88f008e0``)."""
    return (
        f"{secrets.randbelow(10**11):011d}.{secrets.randbelow(10**9):09d}.{secrets.token_hex(16)}"
    )


def _default_response_url(team_id: str) -> str:
    return (
        f"https://hooks.slack.com/commands/{team_id}/{secrets.randbelow(10**13):013d}/"
        f"{secrets.token_urlsafe(18)}"
    )


def _action_ts() -> str:
    return f"{time.time():.6f}"


def slash_command_payload(
    command: str = "/mentor",
    text: str = "help",
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "alice",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "general",
    api_app_id: str = DEFAULT_APP_ID,
    trigger_id: str | None = None,
    response_url: str | None = None,
    token: str = LEGACY_VERIFICATION,
) -> dict[str, str]:
    """The fields Slack sends for a slash command (also the Socket Mode payload)."""
    return {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url or _default_response_url(team_id),
        "trigger_id": trigger_id or make_trigger_id(),
    }


def slash_command_body(
    command: str = "/mentor",
    text: str = "help",
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "alice",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "general",
    api_app_id: str = DEFAULT_APP_ID,
    trigger_id: str | None = None,
    response_url: str | None = None,
    token: str = LEGACY_VERIFICATION,
) -> str:
    """A slash command's form-encoded HTTP body, as Slack posts it."""
    return urlencode(
        slash_command_payload(
            command,
            text,
            user_id=user_id,
            user_name=user_name,
            team_id=team_id,
            team_domain=team_domain,
            channel_id=channel_id,
            channel_name=channel_name,
            api_app_id=api_app_id,
            trigger_id=trigger_id,
            response_url=response_url,
            token=token,
        )
    )


def _user_ref(user_id: str, user_name: str, team_id: str) -> JSONDict:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def block_actions_payload(
    action_id: str,
    value: str | None = None,
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "alice",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    block_id: str = "actions",
    action_type: str = "button",
    action_text: str = "Button",
    action_fields: Mapping[str, Any] | None = None,
    view: Mapping[str, Any] | None = None,
    container: Mapping[str, Any] | None = None,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "general",
    message: Mapping[str, Any] | None = None,
    state_values: Mapping[str, Any] | None = None,
    trigger_id: str | None = None,
    response_url: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    token: str = LEGACY_VERIFICATION,
) -> JSONDict:
    """A ``block_actions`` payload for one action, in a message or (given `view`) a modal."""
    action: JSONDict = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": _action_ts(),
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": action_text, "emoji": True}
    if value is not None:
        action["value"] = value
    action.update(action_fields or {})
    payload: JSONDict = {
        "type": "block_actions",
        "user": _user_ref(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id or make_trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": dict(state_values or {})},
        "actions": [action],
    }
    if view is not None:
        payload["container"] = dict(container or {"type": "view", "view_id": view.get("id", "")})
        payload["view"] = dict(view)
        return payload
    shown = dict(
        message
        or {
            "type": "message",
            "user": DEFAULT_BOT_USER_ID,
            "bot_id": DEFAULT_BOT_ID,
            "app_id": api_app_id,
            "ts": _action_ts(),
            "text": "",
            "team": team_id,
            "blocks": [],
        }
    )
    payload["container"] = dict(
        container
        or {
            "type": "message",
            "message_ts": shown.get("ts", ""),
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
    )
    payload["channel"] = {"id": channel_id, "name": channel_name}
    payload["message"] = shown
    payload["response_url"] = response_url or _default_response_url(team_id).replace(
        "/commands/", "/actions/"
    )
    return payload


def block_actions_body(
    action_id: str,
    value: str | None = None,
    *,
    user_id: str = DEFAULT_USER_ID,
    team_id: str = DEFAULT_TEAM_ID,
    block_id: str = "actions",
    view: Mapping[str, Any] | None = None,
    container: Mapping[str, Any] | None = None,
    trigger_id: str | None = None,
    **options: Any,
) -> str:
    """A ``block_actions`` HTTP body (``payload=<json>``); `options` go to the payload factory."""
    payload = block_actions_payload(
        action_id,
        value,
        user_id=user_id,
        team_id=team_id,
        block_id=block_id,
        view=view,
        container=container,
        trigger_id=trigger_id,
        **options,
    )
    return urlencode({"payload": json.dumps(payload)})


def view_submission_payload(
    callback_id: str,
    state_values: Mapping[str, Any],
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "alice",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    private_metadata: str = "",
    view_id: str | None = None,
    root_view_id: str | None = None,
    previous_view_id: str | None = None,
    external_id: str = "",
    blocks: list[JSONDict] | None = None,
    title: str = "Mentorbot",
    view_hash: str | None = None,
    trigger_id: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    token: str = LEGACY_VERIFICATION,
) -> JSONDict:
    """A ``view_submission`` payload; `state_values` is ``{block_id: {action_id: {...}}}``."""
    modal_id = view_id or _fresh_id("V")
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user_ref(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id or make_trigger_id(),
        "view": {
            "id": modal_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": list(blocks or []),
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": dict(state_values)},
            "hash": view_hash or f"{int(time.time())}.{secrets.randbelow(10**8):08d}",
            "title": {"type": "plain_text", "text": title, "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id or modal_id,
            "app_id": api_app_id,
            "external_id": external_id,
            "app_installed_team_id": team_id,
            "bot_id": DEFAULT_BOT_ID,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_submission_body(
    callback_id: str,
    state_values: Mapping[str, Any],
    *,
    user_id: str = DEFAULT_USER_ID,
    team_id: str = DEFAULT_TEAM_ID,
    private_metadata: str = "",
    view_id: str | None = None,
    **options: Any,
) -> str:
    """A ``view_submission`` HTTP body (``payload=<json>``)."""
    payload = view_submission_payload(
        callback_id,
        state_values,
        user_id=user_id,
        team_id=team_id,
        private_metadata=private_metadata,
        view_id=view_id,
        **options,
    )
    return urlencode({"payload": json.dumps(payload)})


def event_callback(
    event: Mapping[str, Any],
    *,
    team_id: str = DEFAULT_TEAM_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    bot_user_id: str = DEFAULT_BOT_USER_ID,
    token: str = LEGACY_VERIFICATION,
) -> JSONDict:
    """An Events API ``event_callback`` envelope (also the Socket Mode ``events_api`` payload)."""
    return {
        "token": token,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or _fresh_id("Ev"),
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }


def event_body(
    event: Mapping[str, Any],
    *,
    team_id: str = DEFAULT_TEAM_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    api_app_id: str = DEFAULT_APP_ID,
) -> str:
    """An Events API HTTP body (JSON) with a unique ``event_id``."""
    return json.dumps(
        event_callback(
            event, team_id=team_id, event_id=event_id, event_time=event_time, api_app_id=api_app_id
        )
    )


def app_home_opened_event(
    user_id: str,
    tab: str = "home",
    *,
    channel_id: str | None = None,
    view: Mapping[str, Any] | None = None,
) -> JSONDict:
    """An ``app_home_opened`` event (wrap it with `event_body` / `event_callback`)."""
    event: JSONDict = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel_id or conversation_id_for([user_id]),
        "tab": tab,
        "event_ts": _action_ts(),
    }
    if view is not None:
        event["view"] = dict(view)
    return event


def message_event(
    text: str,
    *,
    user_id: str = DEFAULT_USER_ID,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_type: str = "channel",
    ts: str | None = None,
    thread_ts: str | None = None,
) -> JSONDict:
    """A ``message`` event from a human (wrap it with `event_body` / `event_callback`)."""
    stamp = ts or _action_ts()
    event: JSONDict = {
        "type": "message",
        "client_msg_id": str(uuid.uuid4()),
        "text": text,
        "user": user_id,
        "ts": stamp,
        "team": DEFAULT_TEAM_ID,
        "channel": channel_id,
        "event_ts": stamp,
        "channel_type": channel_type,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def url_verification_body(challenge: str, token: str = LEGACY_VERIFICATION) -> str:
    """The ``url_verification`` request Slack sends when the Request URL is saved."""
    return json.dumps({"token": token, "challenge": challenge, "type": "url_verification"})
