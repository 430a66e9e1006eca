"""What the bot showed, as transcript entries: the Slack double's recorded calls, read as they come.

The player runs one person's request (or one delivery pass) at a time and waits until the bot is
idle, so every call recorded since the last look belongs to that moment of simulated time. Each
call becomes what a person would have seen: a message in a DM, a group DM or a channel, a modal,
a private answer, a Home tab, a file. The people's own moves (``action``) are written beside
them, so the transcript reads like the conversation it was.
"""

import base64
import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.demo.transcript import JSON, Entry, Image, Surface, Transcript
from bot.sandbox.slack_double import RecordedCall, SlackDouble, UploadedFile, conversation_id_for
from scheduler.delivery import METADATA_EVENT

# The Web API methods that show people something; the others (users.info, conversations.open,
# auth.test, the upload's first step) only ask or prepare.
SHOWN = frozenset(
    {
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "response_url",
        "views.open",
        "views.push",
        "views.update",
        "views.publish",
        "files.completeUploadExternal",
    }
)
VERBS = {
    "chat.postMessage": "posted",
    "chat.update": "updated",
    "chat.postEphemeral": "replied",
    "response_url": "replied",
    "views.open": "opened",
    "views.push": "pushed",
    "views.update": "updated",
    "views.publish": "published",
}
BOT_NAME = "mentorbot"
DM_WITH_BOT = f"DM with {BOT_NAME}"
HOME_TAB = "Home tab"


@dataclass(frozen=True)
class Channel:
    """A channel of the demo workspace: its name and who is in it."""

    channel_id: str
    name: str
    members: tuple[str, ...]
    private: bool = False


@dataclass(frozen=True)
class Actor:
    """Who made the request being answered, and where they were: the private answers (modals,
    ephemerals, response_url replies) are theirs, shown there."""

    user_id: str
    where: str


@dataclass(frozen=True)
class Problem:
    """A Web API call the double refused: the demo should never provoke one."""

    at: datetime
    method: str
    error: str


class Capture:
    """Reads the double's calls into ``transcript`` entries, a moment at a time."""

    def __init__(
        self,
        slack: SlackDouble,
        transcript: Transcript,
        *,
        names: Mapping[str, str],
        channels: Sequence[Channel],
    ) -> None:
        self.slack = slack
        self.transcript = transcript
        self.names = dict(names)
        self.channels = {channel.channel_id: channel for channel in channels}
        # A person's DM with the bot, by its conversation id (stable in the double).
        self.dms = {conversation_id_for([user_id]): user_id for user_id in names}
        # Group DMs, learnt from the conversations.open calls that made them.
        self.groups: dict[str, tuple[str, ...]] = {}
        self.problems: list[Problem] = []
        self._seen = 0
        self._files: dict[str, UploadedFile] = {}
        self._fill_names()

    def _fill_names(self) -> None:
        """Every id a message may mention, with the name to draw it by."""
        self.transcript.names.update(self.names)
        self.transcript.names[self.slack.bot_user_id] = BOT_NAME
        for channel in self.channels.values():
            self.transcript.names[channel.channel_id] = f"#{channel.name}"

    # --- where things appear ----------------------------------------------------------------

    def first_name(self, user_id: str) -> str:
        """The person's first name, as the group DMs are labelled."""
        return self.names.get(user_id, user_id).split()[0]

    def where(self, channel_id: str) -> str:
        """How the conversation ``channel_id`` is labelled in the transcript."""
        if channel_id in self.channels:
            return f"#{self.channels[channel_id].name}"
        if channel_id in self.dms or channel_id[:1] in ("U", "W"):
            return DM_WITH_BOT
        members = self.groups.get(channel_id)
        if members:
            return "Group DM: " + ", ".join(self.first_name(u) for u in members)
        return channel_id

    def _conversation(self, channel_id: str) -> tuple[Surface, tuple[str, ...]]:
        """The surface of a conversation and everyone who sees what is posted in it."""
        if channel_id in self.channels:
            return "channel", self.channels[channel_id].members
        if channel_id[:1] in ("U", "W"):  # posted to a user id: Slack opens their DM
            return "dm", (channel_id,)
        if channel_id in self.dms:
            return "dm", (self.dms[channel_id],)
        return "group_dm", self.groups.get(channel_id, ())

    # --- the people's side ------------------------------------------------------------------

    def action(self, at: datetime, actor: Actor, text: str) -> None:
        """Record what a person did ("typed `/mentor goals`", "clicked “Yes, we met”")."""
        self.transcript.add(
            Entry(at=at, surface="action", audience=(actor.user_id,), where=actor.where, text=text)
        )

    def acked_view(self, at: datetime, actor: Actor, view: JSON, *, verb: str) -> None:
        """A modal the bot answered a submission with (``response_action`` update or push)."""
        self.transcript.add(_modal_entry(at, actor.user_id, view, verb=verb))

    # --- the bot's side ---------------------------------------------------------------------

    def collect(self, at: datetime, actor: Actor | None = None) -> list[RecordedCall]:
        """Record every call since the last look as happening at ``at``; returns those calls.

        Two threads of the bot may call Slack in one moment: the listener answering the actor
        and, after its ack, the outbox sending what the answer queued. Their calls interleave
        as the threads happen to run, so each thread's calls are kept in order but the
        listener's come first: the same run always reads the same.
        """
        calls = self.slack.calls[self._seen :]
        self._seen += len(calls)
        for call in calls:
            self._learn(call)
        answered = [c for c in calls if not _from_outbox(c)] + [c for c in calls if _from_outbox(c)]
        for call in answered:
            if call.status != 200 or call.error:
                self.problems.append(Problem(at, call.method, call.error or str(call.status)))
            elif call.method in SHOWN:
                self._record(at, call, actor)
        return calls

    def _learn(self, call: RecordedCall) -> None:
        """Remember what later calls need: group DMs' members."""
        if call.method == "conversations.open" and call.params.get("users"):
            users = tuple(u for u in str(call.params["users"]).split(",") if u)
            if len(users) > 1:
                self.groups[conversation_id_for(users)] = tuple(users)

    def _record(self, at: datetime, call: RecordedCall, actor: Actor | None) -> None:
        params = call.params
        method = call.method
        if method in ("chat.postMessage", "chat.update"):
            channel = str(params.get("channel", ""))
            surface, audience = self._conversation(channel)
            self.transcript.add(
                _message_entry(at, surface, audience, self.where(channel), params, VERBS[method])
            )
        elif method == "chat.postEphemeral":
            channel = str(params.get("channel", ""))
            self.transcript.add(
                _message_entry(
                    at,
                    "ephemeral",
                    (str(params.get("user")),),
                    self.where(channel),
                    params,
                    "replied",
                )
            )
        elif method == "response_url" and actor is not None:
            verb = "replaced" if params.get("replace_original") in (True, "true") else "replied"
            self.transcript.add(
                _message_entry(at, "ephemeral", (actor.user_id,), actor.where, params, verb)
            )
        elif method in ("views.open", "views.push", "views.update") and actor is not None:
            view = params.get("view")
            if isinstance(view, dict):
                self.transcript.add(_modal_entry(at, actor.user_id, view, verb=VERBS[method]))
        elif method == "views.publish":
            view = params.get("view")
            if isinstance(view, dict):
                self.transcript.add(
                    Entry(
                        at=at,
                        surface="home",
                        audience=(str(params.get("user_id")),),
                        where=HOME_TAB,
                        blocks=tuple(view.get("blocks", [])),
                        verb="published",
                    )
                )
        elif method == "files.completeUploadExternal":
            self._shared(at, params)

    def _shared(self, at: datetime, params: Mapping[str, Any]) -> None:
        """A file the bot shared: a picture goes under the message it belongs with (the
        digest's chart under the digest); any other file is a line of its own."""
        channel = str(params.get("channel_id") or params.get("channels") or "")
        comment = str(params.get("initial_comment") or "")
        for shared in params.get("files") or []:
            upload = self._upload(str(shared.get("id", "")))
            if upload is None:
                continue
            mimetype = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
            if mimetype.startswith("image/") and self._attach(channel, upload, mimetype, comment):
                continue
            surface, audience = self._conversation(channel)
            title = str(shared.get("title") or upload.filename)
            self.transcript.add(
                Entry(
                    at=at,
                    surface=surface,
                    audience=audience,
                    where=self.where(channel),
                    text=f":paperclip: {title} ({upload.filename})",
                    verb="shared a file",
                )
            )

    def _upload(self, file_id: str) -> UploadedFile | None:
        if file_id not in self._files:
            self._files.update({f.file_id: f for f in self.slack.uploaded_files})
        return self._files.get(file_id)

    def _attach(self, channel: str, upload: UploadedFile, mimetype: str, comment: str) -> bool:
        """Put the picture on the latest message posted in ``channel``; False if there is none."""
        entries = self.transcript.entries
        where = self.where(channel)
        for index in range(len(entries) - 1, -1, -1):
            entry = entries[index]
            if entry.where == where and entry.verb == "posted":
                image = Image(
                    filename=upload.filename,
                    mimetype=mimetype,
                    data_base64=base64.b64encode(upload.content).decode(),
                    comment=comment,
                )
                entries[index] = replace(entry, images=(*entry.images, image))
                return True
        return False


def _from_outbox(call: RecordedCall) -> bool:
    """Whether the outbox's sender made ``call``: a message carrying a delivery's metadata, or
    a file shared with one (the session's invite, the digest's chart)."""
    if call.method == "files.completeUploadExternal":
        return True
    metadata = call.params.get("metadata")
    return (
        call.method == "chat.postMessage"
        and isinstance(metadata, dict)
        and metadata.get("event_type") == METADATA_EVENT
    )


def _message_entry(
    at: datetime,
    surface: Surface,
    audience: Iterable[str],
    where: str,
    params: Mapping[str, Any],
    verb: str,
) -> Entry:
    blocks = params.get("blocks")
    return Entry(
        at=at,
        surface=surface,
        audience=tuple(audience),
        where=where,
        blocks=tuple(blocks) if isinstance(blocks, list) else (),
        text=str(params.get("text") or ""),
        verb=verb,
    )


def _modal_entry(at: datetime, user_id: str, view: Mapping[str, Any], *, verb: str) -> Entry:
    return Entry(
        at=at,
        surface="modal",
        audience=(user_id,),
        where="Modal",
        blocks=tuple(view.get("blocks", [])),
        title=_plain(view.get("title")),
        submit=_plain(view.get("submit")),
        close=_plain(view.get("close")),
        verb=verb,
    )


def _plain(text: Any) -> str:
    """The words of a plain_text object (or "")."""
    return str(text.get("text", "")) if isinstance(text, dict) else ""
