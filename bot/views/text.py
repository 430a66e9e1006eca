"""People's words in Slack text: the one place they are made safe, for every view.

Slack reads ``&``, ``<`` and ``>`` as markup in mrkdwn and in a message's ``text`` (the fallback
that notifications show, which Slack parses for mentions too): ``<!channel>`` pings a channel,
``<@U…>`` mentions someone, ``<https://evil|Open Slack>`` hides where a link goes. So every word a
person wrote (program names and purposes, goals, notes, feedback, agenda and action items,
reasons, comments, skills, titles, …) goes through ``escape``, ``inline`` or ``quote`` before it
joins mrkdwn, and a link to a URL someone gave is built by ``link``. The bot's own mentions,
built from ids Slack gave it, stay live. plain_text objects (headers, buttons, options, titles,
inputs' initial values) are never parsed, so they take people's words as they are.
"""

from collections.abc import Iterable
from urllib.parse import urlsplit

from bot.markup import escape
from bot.views.blocks import clip

__all__ = ["escape", "inline", "link", "listed", "quote", "words"]


def words(text: str, limit: int) -> str:
    """A person's words, lines kept, shortened to ``limit`` characters and escaped."""
    return escape(clip(text, limit))


def inline(text: str, limit: int) -> str:
    """A person's words on one line (inside a sentence, bold or italics), shortened, escaped."""
    return escape(clip(" ".join(text.split()), limit))


def quote(text: str, limit: int | None = None) -> str:
    """A person's own words as a block quote, each line escaped (shortened to ``limit`` first)."""
    shown = text if limit is None else clip(text, limit)
    return "\n".join(f"> {escape(line)}" for line in shown.splitlines() or [""])


def listed(items: Iterable[object], limit: int, *, joiner: str = ", ") -> str:
    """Several short things people wrote (skills, interests), joined on one line, escaped."""
    return inline(joiner.join(str(item) for item in items), limit)


def link(label: str, url: str | None, *, limit: int) -> str:
    """A link the bot builds to a URL someone gave, named by their ``label``: the label is
    escaped, the URL cannot break out of the link, and the site is named in it, so no label
    can hide where the link goes (just the label when there is no URL)."""
    name = inline(label, limit)
    if not url:
        return name
    # Inside <url|label>, "&", "<", ">" and "|" are markup: "&" is escaped as Slack asks (it
    # stays "&" for the browser), the rest, never valid in a URL as typed, are percent-encoded.
    safe = "".join(_URL_SAFE.get(char, char) for char in url.strip())
    if not safe.lower().startswith(("http://", "https://")):
        return f"{name} ({inline(url, 200)})"
    # The site is part of the label, so a cut can't keep the link and lose where it goes.
    return f"<{safe}|{name} ({escape(_site(url))})>"


_URL_SAFE = {
    "&": "&amp;",
    "<": "%3C",
    ">": "%3E",
    "|": "%7C",
    " ": "%20",
    "\n": "%0A",
    "\r": "%0D",
    "\t": "%09",
}


def _site(url: str) -> str:
    """The host a URL points at, as a reader checks it ("docs.example.com")."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        host = None
    return clip(host or url.strip(), 100)
