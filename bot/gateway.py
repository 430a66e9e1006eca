"""The one place the bot talks to Slack's Web API.

Handlers and scheduled jobs hand it messages and views that a view builder made; it returns what
Slack answered, or raises ``SlackCallError`` that says whether trying again can help.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot import metrics
from bot.transport import PooledWebClient, PooledWebhookClient
from storage.db import in_write_transaction

log = logging.getLogger(__name__)

# Errors that will not go away by retrying: the person, channel or permission is gone.
PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "missing_scope",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "cannot_dm_bot",
        "user_disabled",
        "invalid_blocks",
        "msg_too_long",
        # OAuth: nobody installed the app in the workspace (bot.workspaces.NotInstalled).
        "not_installed",
    }
)


# Slack refuses the token itself: revoked, expired, or never valid.
TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)


# Every Web API method the bot calls, with the bot scopes it needs.
# manifest.yml asks for exactly these scopes plus `commands`; a test keeps the two in step.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "apps.connections.open": (),
    # OAuth distribution: exchanging an install's code and refreshing rotating tokens (with the
    # app's client credentials), and giving back a token the bot refuses to keep.
    "oauth.v2.access": (),
    "auth.revoke": (),
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    # A DM needs im:write; a group DM (introductions) needs mpim:write.
    "conversations.open": ("im:write", "mpim:write"),
    # users:read.email adds the person's email: calendar invites name people by it.
    "users.info": ("users:read", "users:read.email"),
    # Reconciling a send whose outcome is unknown: look for its metadata in the conversation
    # (a DM, a group DM introducing a pair, or a channel).
    "conversations.history": ("im:history", "mpim:history", "channels:history", "groups:history"),
    "views.open": (),
    "views.push": (),
    "views.update": (),
    "views.publish": (),
    # Calendar invites (.ics) shared in a DM: files_upload_v2 calls both, with the upload between.
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    # Invitations to a program: a user group's members, and a channel's (public or private).
    "usergroups.users.list": ("usergroups:read",),
    "conversations.members": ("channels:read", "groups:read"),
}

# conversations.members page size: Slack recommends no more than 200 at a time.
MEMBERS_PAGE = 200


@dataclass(frozen=True, slots=True)
class SlackCallError(Exception):
    """A Web API call failed."""

    method: str
    error: str
    status: int | None = None
    retry_after: float | None = None

    @property
    def permanent(self) -> bool:
        """Whether retrying the same call cannot succeed."""
        return self.error in PERMANENT_ERRORS

    def __str__(self) -> str:
        return f"{self.method} failed: {self.error}" + (
            f" (HTTP {self.status})" if self.status else ""
        )


class SlackCallInTransaction(RuntimeError):
    """A Slack call was made while this thread held a database write transaction."""


@dataclass(frozen=True, slots=True)
class SlackUserInfo:
    """The parts of ``users.info`` the bot uses."""

    user_id: str
    team_id: str
    real_name: str
    email: str | None
    tz: str
    tz_offset_seconds: int
    is_admin: bool
    is_owner: bool
    is_bot: bool
    deleted: bool


def build_client(token: str | None, base_url: str, *, timeout: int = 10) -> WebClient:
    """A WebClient for ``base_url`` that retries a dropped connection once.

    Its calls share the process's keep-alive connections (``bot.transport``).

    Rate-limit and server-error retries are deliberately not installed here: a request thread must
    never sleep before ``ack()``. Scheduled delivery applies its own back-off policy.
    """
    return PooledWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
    )


class SlackGateway:
    """Typed, logged access to the Web API methods the bot uses.

    No call may be made inside a database write transaction: on SQLite that transaction holds
    the write lock, and one slow Slack answer would stall every other request. ``strict``
    (the tests) raises ``SlackCallInTransaction``; otherwise the call is logged as an error.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        strict: bool = False,
        on_token_error: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.strict = strict
        # Told when Slack refuses the token itself (OAuth: the cached token is then dropped).
        self.on_token_error = on_token_error
        self._identity_found: tuple[str, str] | None = None

    def _outside_transaction(self, method: str) -> None:
        if not in_write_transaction():
            return
        if self.strict:
            raise SlackCallInTransaction(f"{method} called inside a database write transaction")
        log.error(
            "slack call inside a write transaction", extra={"method": method}, stack_info=True
        )

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        self._outside_transaction(method)
        metrics.slack_called(method)
        try:
            # slack_sdk's named methods pick the encoding Slack expects (JSON or form) per method.
            response = getattr(self.client, method.replace(".", "_"))(**kwargs)
        except SlackApiError as exc:
            status = exc.response.status_code
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get(
                "retry-after"
            )
            if status >= 500:
                error = f"http_{status}"  # Slack's 5xx bodies are HTML, not an error code
            else:
                fallback = "ratelimited" if status == 429 else f"http_{status}"
                error = str(data.get("error") or fallback)
            log.warning(
                "slack call failed", extra={"method": method, "error": error, "status": status}
            )
            metrics.slack_failed(method, error, status)
            if error in TOKEN_ERRORS and self.on_token_error is not None:
                self.on_token_error(error)
            raise SlackCallError(
                method, error, status, float(retry_after) if retry_after else None
            ) from None
        except OSError as exc:
            # Timeouts and refused connections: the outcome of the call is unknown.
            log.warning("slack call failed", extra={"method": method, "error": repr(exc)})
            metrics.slack_failed(method, "connection_error")
            raise SlackCallError(method, "connection_error") from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    def respond(self, response_url: str, message: dict[str, Any]) -> bool:
        """Answer through an interaction's ``response_url``; False when Slack refused it.

        Slack accepts a response_url 5 times within 30 minutes, then answers 404: unlike Bolt's
        ``respond()``, which returns that status, this says plainly whether the answer landed.
        """
        self._outside_transaction("response_url")
        metrics.slack_called("response_url")
        try:
            status = (
                PooledWebhookClient(url=response_url, timeout=self.client.timeout)
                .send_dict(message)
                .status_code
            )
        except OSError as exc:
            log.warning("response_url failed", extra={"error": repr(exc)})
            metrics.slack_failed("response_url", "connection_error")
            return False
        if status != 200:
            # A spent response_url (more than 5 answers, or older than 30 minutes) is a 404.
            log.warning("response_url refused", extra={"status": status})
            metrics.slack_failed("response_url", f"http_{status}", status)
        return status == 200

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        """Show ``view`` as the user's Home tab."""
        self._call("views.publish", user_id=user_id, view=view)

    def open_modal(self, trigger_id: str, view: dict[str, Any]) -> str:
        """Open a modal; returns the view id. Call in the ack phase: trigger ids live 3 s."""
        return str(self._call("views.open", trigger_id=trigger_id, view=view)["view"]["id"])

    def push_modal(self, trigger_id: str, view: dict[str, Any]) -> str:
        """Push a modal onto the open stack; returns the view id."""
        return str(self._call("views.push", trigger_id=trigger_id, view=view)["view"]["id"])

    def update_modal(self, view_id: str, view: dict[str, Any]) -> None:
        """Replace an open modal."""
        self._call("views.update", view_id=view_id, view=view)

    def post_message(self, channel: str, message: dict[str, Any]) -> str:
        """Post ``message`` (``text`` and ``blocks`` from a view builder); returns its ts."""
        return str(self._call("chat.postMessage", channel=channel, **message)["ts"])

    def update_message(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        """Replace a message the bot posted earlier."""
        self._call("chat.update", channel=channel, ts=ts, **message)

    def find_by_metadata(
        self, channel: str, *, event_type: str, key: str, oldest: float
    ) -> str | None:
        """The ts of the bot's message in ``channel`` carrying this metadata key, if any."""
        cursor: str | None = None
        for _ in range(5):  # 1,000 messages since ``oldest`` is far beyond one prompt's window
            data = self._call(
                "conversations.history",
                channel=channel,
                oldest=f"{oldest:.6f}",
                limit=200,
                include_all_metadata=True,
                cursor=cursor,
            )
            for message in data.get("messages", []):
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == event_type and payload.get("key") == key:
                    return str(message["ts"])
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None

    def find_file(self, channel: str, *, filename: str, oldest: float) -> str | None:
        """The ts of the bot's share of a file named ``filename`` in ``channel``, if any."""
        cursor: str | None = None
        for _ in range(5):
            data = self._call(
                "conversations.history",
                channel=channel,
                oldest=f"{oldest:.6f}",
                limit=200,
                cursor=cursor,
            )
            for message in data.get("messages", []):
                if any(f.get("name") == filename for f in message.get("files") or []):
                    return str(message["ts"])
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None

    def post_ephemeral(self, channel: str, user_id: str, message: dict[str, Any]) -> None:
        """Show ``message`` to one person in a channel."""
        self._call("chat.postEphemeral", channel=channel, user=user_id, **message)

    def open_conversation(self, user_ids: list[str]) -> str:
        """Open (or find) the DM or group DM with these people; returns its channel id."""
        data = self._call("conversations.open", users=",".join(user_ids))
        return str(data["channel"]["id"])

    def upload_file(
        self,
        channel_id: str,
        *,
        filename: str,
        content: bytes,
        title: str,
        initial_comment: str | None = None,
    ) -> str:
        """Share a file in a channel or DM; returns its file id.

        slack_sdk's ``files_upload_v2`` runs files.getUploadURLExternal, the upload itself and
        files.completeUploadExternal (``_call`` maps "files.upload_v2" onto it).
        """
        try:
            data = self._call(
                "files.upload_v2",
                channel=channel_id,
                filename=filename,
                content=content,
                title=title,
                initial_comment=initial_comment or None,
            )
        except SlackRequestError as exc:
            # The upload step itself failed (its URL answered other than 200).
            log.warning("slack call failed", extra={"method": "files.upload_v2", "error": str(exc)})
            metrics.slack_failed("files.upload_v2", "upload_failed")
            raise SlackCallError("files.upload_v2", "upload_failed") from None
        file: Any = data.get("file") or next(iter(data.get("files") or []), {})
        return str(file.get("id", "")) if isinstance(file, dict) else ""

    def user_info(self, user_id: str) -> SlackUserInfo:
        """What Slack knows about a person: timezone, admin rights, whether they are active."""
        user = self._call("users.info", user=user_id)["user"]
        return SlackUserInfo(
            user_id=str(user["id"]),
            team_id=str(user.get("team_id", "")),
            real_name=str(user.get("real_name") or user.get("name") or ""),
            email=str((user.get("profile") or {}).get("email") or "") or None,
            tz=str(user.get("tz") or "UTC"),
            tz_offset_seconds=int(user.get("tz_offset") or 0),
            is_admin=bool(user.get("is_admin")),
            is_owner=bool(user.get("is_owner")),
            is_bot=bool(user.get("is_bot")),
            deleted=bool(user.get("deleted")),
        )

    def revoke_token(self) -> None:
        """Revoke this gateway's own token (it stops working at once)."""
        self._call("auth.revoke")

    def bot_user_id(self) -> str:
        """The bot's own user id (auth.test, asked once: a token's user never changes)."""
        return self._identity()[0]

    def team_id(self) -> str:
        """The workspace the token belongs to (the same auth.test, asked once)."""
        return self._identity()[1]

    def _identity(self) -> tuple[str, str]:
        if self._identity_found is None:
            data = self._call("auth.test")
            self._identity_found = (str(data.get("user_id") or ""), str(data.get("team_id") or ""))
        return self._identity_found

    def usergroup_members(self, usergroup_id: str) -> list[str]:
        """The user ids in a user group (``no_such_subteam`` when there is none)."""
        data = self._call("usergroups.users.list", usergroup=usergroup_id)
        return [str(user) for user in data.get("users") or []]

    def channel_members(self, channel_id: str, *, most: int) -> list[str]:
        """A channel's members, page by page; stops once more than ``most`` are found (the
        caller refuses a list that long rather than reading all of a huge channel)."""
        members: list[str] = []
        cursor: str | None = None
        while True:
            data = self._call(
                "conversations.members", channel=channel_id, limit=MEMBERS_PAGE, cursor=cursor
            )
            members += [str(user) for user in data.get("members") or []]
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor or len(members) > most:
                return members
