"""Slack's mrkdwn, read the way Slack reads it, for the demo's two transcripts.

The HTML page and the terminal text must agree on what is markup (``<@U…>``, ``<https://…|a>``,
``*bold*``, ``> quote``) and what is text, so both read through here and only say how each
part is written out (a ``Style``). The rules follow the bot's own (``bot/markup.py``,
``bot/views/text.py``): a raw ``<`` only ever opens a mention or link, people's ``&``, ``<``
and ``>`` arrive as Slack's entities and are decoded exactly once, and a ``>`` opens a quote only
when the bot wrote it raw (an escaped ``&gt;`` is someone's words, shown as they typed it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Literal, Protocol
from urllib.parse import urlsplit

# The shortcodes the bot's views use (grep ``:[a-z_]+:`` in bot/views), and a few common ones;
# any other shortcode stays as text, as a Slack without that custom emoji would show it.
EMOJI: Mapping[str, str] = {
    "arrow_forward": "▶️",
    "arrow_right": "➡️",
    "bar_chart": "📊",
    "bell": "🔔",
    "books": "📚",
    "bulb": "💡",
    "calendar": "📆",
    "chart_with_downwards_trend": "📉",
    "chart_with_upwards_trend": "📈",
    "clipboard": "📋",
    "date": "📅",
    "dart": "🎯",
    "double_vertical_bar": "⏸️",
    "envelope": "✉️",
    "eyes": "👀",
    "heavy_check_mark": "✔️",
    "heavy_minus_sign": "\u2796",
    "handshake": "🤝",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "inbox_tray": "📥",
    "incoming_envelope": "📨",
    "information_source": "\u2139\ufe0f",
    "jigsaw": "🧩",
    "large_blue_circle": "🔵",
    "large_green_circle": "🟢",
    "large_orange_circle": "🟠",
    "large_yellow_circle": "🟡",
    "link": "🔗",
    "lock": "🔒",
    "mailbox_with_mail": "📬",
    "mega": "📣",
    "memo": "📝",
    "mortar_board": "🎓",
    "no_entry": "⛔",
    "outbox_tray": "📤",
    "paperclip": "📎",
    "pause_button": "⏸️",
    "pencil2": "✏️",
    "raised_hands": "🙌",
    "red_circle": "🔴",
    "rocket": "🚀",
    "scales": "⚖️",
    "seedling": "🌱",
    "sparkles": "✨",
    "speech_balloon": "💬",
    "spiral_calendar_pad": "🗓️",
    "spiral_note_pad": "🗒️",
    "star": "⭐",
    "tada": "🎉",
    "thumbsup": "👍",
    "+1": "👍",
    "triangular_flag_on_post": "🚩",
    "trophy": "🏆",
    "warning": "⚠️",
    "wastebasket": "🗑️",
    "wave": "👋",
    "white_check_mark": "✅",
    "white_circle": "⚪",
    "x": "❌",
}

LIVE_SCHEMES = frozenset({"http", "https", "mailto"})

_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_SHORTCODE = re.compile(r":([a-z0-9_+-]+):")
# Inline markup on one line: a code span, or what a raw "<" opens (mention, link, command).
_TOKEN = re.compile(r"`[^`\n]+`|<[^<>\n]*>")
_PRE = re.compile(r"```(.*?)```", re.DOTALL)
# Slack's emphasis: the marker hugs the words and is not inside a word (snake_case stays).
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
# Tokens stand in the line as characters of Unicode's plane 15 (private use) while emphasis is
# read around them; the same characters in the input are replaced first, so none can pose as one.
_SLOT_BASE = 0xF0000
_SLOTS = re.compile("[\U000f0000-\U000fffff]")
_BULLETS = ("• ", "◦ ", "▪ ")


def decode(text: str) -> str:
    """Slack's three entities (``&amp;``, ``&lt;``, ``&gt;``) decoded, once and only once."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def emojize(text: str) -> str:
    """Known ``:shortcode:`` emoji as Unicode; unknown ones left as they are."""
    return _SHORTCODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def is_live(url: str) -> bool:
    """Whether a link may be followed: only web and mail links (never ``javascript:``)."""
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return False
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return False
    return scheme in LIVE_SCHEMES


@dataclass(frozen=True)
class Names:
    """Display names for the ids mrkdwn mentions: people, channels, user groups, the bot."""

    by_id: Mapping[str, str]

    def user(self, user_id: str, label: str = "") -> str:
        """A person as a mention shows them: ``@Ana Okafor``."""
        return "@" + (self.by_id.get(user_id) or label.lstrip("@") or user_id)

    def channel(self, channel_id: str, label: str = "") -> str:
        """A channel as a mention shows it: ``#mentoring-leads``."""
        return "#" + (self.by_id.get(channel_id) or label.lstrip("#") or channel_id).lstrip("#")

    def group(self, group_id: str, label: str = "") -> str:
        """A user group as a mention shows it: ``@mentoring-leads``."""
        return "@" + (self.by_id.get(group_id) or label.lstrip("@") or group_id).lstrip("@")

    def of(self, user_ids: Iterable[str]) -> list[str]:
        """Several people's names, without the ``@``."""
        return [self.user(user_id)[1:] for user_id in user_ids]


MentionKind = Literal["user", "channel", "group", "special"]


@dataclass(frozen=True)
class Mention:
    """A mention as Slack draws it: the name, never the id (``@Ana``, ``#leads``, ``@here``)."""

    kind: MentionKind
    shown: str


@dataclass(frozen=True)
class Link:
    """A link: its target, the words shown, and whether it may be followed (``is_live``)."""

    url: str
    label: str
    live: bool


def read_markup(inner: str, names: Names) -> Mention | Link:
    """What ``<inner>`` means in mrkdwn: a mention, a special mention, a date, or a link."""
    head, _, label = inner.partition("|")
    label = decode(label)
    if head.startswith("@"):
        return Mention("user", names.user(head[1:], label))
    if head.startswith("#"):
        return Mention("channel", names.channel(head[1:], label))
    if head.startswith("!subteam^"):
        return Mention("group", names.group(head.removeprefix("!subteam^"), label))
    if head.startswith("!date^"):
        # <!date^1392734382^{date_short}|Feb 18, 2014>: the fallback is what a reader needs.
        return Mention("special", label or head.split("^")[1])
    if head.startswith("!"):
        return Mention("special", label or "@" + head[1:])
    url = decode(head)
    shown = label or (url.removeprefix("mailto:") if url.lower().startswith("mailto:") else url)
    return Link(url, shown, is_live(url))


class Style(Protocol):
    """How one output (HTML, terminal text) writes each part of mrkdwn."""

    def text(self, text: str) -> str:
        """Decoded words, made safe for the output."""

    def mention(self, mention: Mention) -> str:
        """A mention by name."""

    def link(self, link: Link) -> str:
        """A link (live or not)."""

    def code(self, text: str) -> str:
        """An inline code span (``text`` decoded, not yet made safe)."""

    def bold(self, inner: str) -> str:
        """Bold around already-written output."""

    def italic(self, inner: str) -> str:
        """Italics around already-written output."""

    def strike(self, inner: str) -> str:
        """Strike-through around already-written output."""

    def line(self, inner: str, *, bullet: bool) -> str:
        """One written line; ``bullet`` when it starts with a bullet character."""

    def paragraph(self, lines: list[str]) -> str:
        """Consecutive plain lines."""

    def quote(self, lines: list[str]) -> str:
        """Consecutive quoted lines."""

    def pre(self, text: str) -> str:
        """A preformatted block (``text`` decoded, not yet made safe)."""

    def join(self, parts: list[str]) -> str:
        """Paragraphs, quotes and preformatted blocks, in order."""


def plain(text: str, names: Names) -> str:
    """mrkdwn as the words a reader sees, no formatting: mentions by name, links by label."""
    out, last = [], 0
    for match in _TOKEN.finditer(text):
        out.append(decode(text[last : match.start()]))
        token = match.group(0)
        if token.startswith("`"):
            out.append(decode(token))
        else:
            found = read_markup(token[1:-1], names)
            out.append(found.shown if isinstance(found, Mention) else found.label)
        last = match.end()
    out.append(decode(text[last:]))
    return "".join(out)


def render(text: str, names: Names, style: Style) -> str:
    """A mrkdwn text written out in ``style``: preformatted blocks, quotes, lines, inline marks."""
    parts: list[str] = []
    last = 0
    for match in _PRE.finditer(text):
        # The line breaks that open and close a preformatted block are not blank lines.
        before = text[last : match.start()]
        parts += _chunks(
            (before.removeprefix("\n") if last else before).removesuffix("\n"), names, style
        )
        parts.append(style.pre(plain(match.group(1).strip("\n"), names)))
        last = match.end()
    after = text[last:]
    parts += _chunks(after.removeprefix("\n") if last else after, names, style)
    return style.join(parts)


def _chunks(text: str, names: Names, style: Style) -> list[str]:
    """Runs of plain lines and of quoted lines (a raw ``>`` opens a quote line)."""
    if not text:
        return []
    chunks: list[str] = []
    run: list[str] = []
    quoting = False
    for raw in text.split("\n"):
        is_quote = raw.startswith(">")
        if is_quote != quoting and run:
            chunks.append(style.quote(run) if quoting else style.paragraph(run))
            run = []
        quoting = is_quote
        body = raw[1:].removeprefix(" ") if is_quote else raw
        run.append(style.line(inline(body, names, style), bullet=body.startswith(_BULLETS)))
    chunks.append(style.quote(run) if quoting else style.paragraph(run))
    return chunks


def inline(line: str, names: Names, style: Style) -> str:
    """One line: code spans, mentions and links written by ``style``, emphasis read around them."""
    line = _SLOTS.sub("\ufffd", line)
    tokens: list[str] = []
    written: list[str] = []
    last = 0
    for match in _TOKEN.finditer(line):
        written.append(style.text(emojize(decode(line[last : match.start()]))))
        written.append(chr(_SLOT_BASE + len(tokens)))
        tokens.append(_token(match.group(0), names, style))
        last = match.end()
    written.append(style.text(emojize(decode(line[last:]))))
    out = "".join(written)
    for pattern, wrap in ((_BOLD, style.bold), (_ITALIC, style.italic), (_STRIKE, style.strike)):
        out = pattern.sub(partial(_wrapped, wrap), out)
    return _SLOTS.sub(lambda m: tokens[ord(m.group(0)) - _SLOT_BASE], out)


def _wrapped(wrap: Callable[[str], str], match: re.Match[str]) -> str:
    return wrap(match.group(1))


def _token(token: str, names: Names, style: Style) -> str:
    if token.startswith("`"):
        return style.code(decode(token[1:-1]))
    found = read_markup(token[1:-1], names)
    return style.mention(found) if isinstance(found, Mention) else style.link(found)
