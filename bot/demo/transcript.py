"""What a demo run produced, person by person: the record the HTML and text transcripts draw.

The demo player fills a ``Transcript`` from the Slack double's recorded Web API calls (what the
bot sent) and from the people's own actions (what they typed or clicked); the renderers read
only this, so either side can change without the other. It round-trips through JSON
(``transcript.json`` beside the page) so a transcript can be re-drawn without replaying.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

JSON = dict[str, Any]

# Where an entry appeared:
#   dm        the bot's direct message with one person
#   group_dm  the bot's group DM with several people (a pair and the bot, say)
#   channel   a public or private channel (the leads' digest channel, an announcement)
#   modal     a modal the bot opened, pushed or updated for the person who clicked
#   home      the person's Home tab as the bot published it
#   ephemeral a message only the person who typed a command sees (ephemeral or response_url)
#   action    something the person did: typed a command, clicked a button, submitted a form
Surface = Literal["dm", "group_dm", "channel", "modal", "home", "ephemeral", "action"]
SURFACES: tuple[Surface, ...] = (
    "dm",
    "group_dm",
    "channel",
    "modal",
    "home",
    "ephemeral",
    "action",
)
Role = Literal["lead", "mentor", "mentee"]
# How both transcripts mark each surface.
SURFACE_ICONS: dict[Surface, str] = {
    "dm": "💬",
    "group_dm": "👥",
    "channel": "#",
    "modal": "▣",
    "home": "⌂",
    "ephemeral": "👁",
    "action": "•",
}
# The bot as the transcripts name it.
BOT_NAME = "mentorbot"


@dataclass(frozen=True)
class Person:
    """One of the cohort's people, as the transcript introduces them."""

    user_id: str
    name: str  # display name, as mentions are drawn
    role: Role
    tz: str  # IANA zone
    title: str  # "Staff engineer, Payments"
    story: str = ""  # one line: "thriving pair", "lapses in week 5", ...


@dataclass(frozen=True)
class Image:
    """A file the bot uploaded (the digest's chart), kept inline so the page is self-contained."""

    filename: str
    mimetype: str
    data_base64: str
    comment: str = ""  # the message it was shared with


@dataclass(frozen=True)
class Entry:
    """One thing that appeared in Slack, or one thing a person did, at a simulated moment."""

    at: datetime  # simulated time, UTC
    surface: Surface
    audience: tuple[str, ...]  # user ids who see it (for an action: who did it)
    where: str  # "DM with mentorbot", "#mentoring-leads", "Group DM: Ana, Ben", "Home tab"
    blocks: tuple[JSON, ...] = ()  # Block Kit, exactly as the bot sent it
    text: str = ""  # the message's text (the notification fallback), or the action's words
    title: str = ""  # a modal's title
    submit: str = ""  # a modal's submit label ("" when it has none)
    close: str = ""  # a modal's close label
    verb: str = ""  # how it got there: posted, updated, opened, pushed, published, replied, ...
    images: tuple[Image, ...] = ()

    def sees(self, user_id: str) -> bool:
        """Whether ``user_id`` saw (or did) this entry."""
        return user_id in self.audience


@dataclass
class Transcript:
    """A whole demo run: its people, everything in time order, and what happened in brief."""

    title: str
    start: datetime
    end: datetime
    people: tuple[Person, ...]
    # Names for ids that appear in mrkdwn (<@U…>, <#C…>, <!subteam^S…>): people, channels, the bot.
    names: dict[str, str] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        """Record ``entry``; entries are kept in time order (stable for equal times)."""
        if self.entries and entry.at < self.entries[-1].at:
            index = len(self.entries)
            while index and self.entries[index - 1].at > entry.at:
                index -= 1
            self.entries.insert(index, entry)
        else:
            self.entries.append(entry)

    def person(self, user_id: str) -> Person | None:
        """The cohort member with ``user_id``, if any."""
        return next((p for p in self.people if p.user_id == user_id), None)

    def for_person(self, user_id: str) -> list[Entry]:
        """What ``user_id`` saw and did, in time order."""
        return [entry for entry in self.entries if entry.sees(user_id)]

    def to_json(self) -> str:
        """The transcript as JSON (times in ISO 8601)."""
        return json.dumps(
            {
                "title": self.title,
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "people": [asdict(p) for p in self.people],
                "names": self.names,
                "entries": [
                    {**asdict(e), "at": e.at.isoformat(), "audience": list(e.audience)}
                    for e in self.entries
                ],
                "summary": self.summary,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        """Read back what ``to_json`` wrote."""
        raw = json.loads(text)
        return cls(
            title=raw["title"],
            start=datetime.fromisoformat(raw["start"]),
            end=datetime.fromisoformat(raw["end"]),
            people=tuple(Person(**p) for p in raw["people"]),
            names=dict(raw["names"]),
            entries=[
                Entry(
                    **{
                        **e,
                        "at": datetime.fromisoformat(e["at"]),
                        "audience": tuple(e["audience"]),
                        "blocks": tuple(e["blocks"]),
                        "images": tuple(Image(**i) for i in e["images"]),
                    }
                )
                for e in raw["entries"]
            ],
            summary=list(raw["summary"]),
        )

    def save(self, path: Path) -> None:
        """Write the JSON to ``path``."""
        path.write_text(self.to_json(), encoding="utf-8")
