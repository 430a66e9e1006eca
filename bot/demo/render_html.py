"""The demo's transcript as one self-contained HTML page, drawn the way Slack draws it.

A program lead opens ``demo-output/index.html`` to see what twelve weeks of the bot look like
from each person's side, so the page looks like Slack (aubergine sidebar, message cards, Block
Kit as Slack lays it out) and works offline: CSS and a few lines of JS inline, images as
``data:`` URIs, nothing fetched. The person filter is pure CSS keyed by ``body[data-person]``,
which the script sets from the URL hash (``#person=U…``), so a test or a screenshot can open
one person's view directly and hundreds of entries stay fast.

Everything drawn here is someone's words or the bot's markup, so every string goes through
``html.escape`` exactly once, on its way out; Slack's own entities are decoded first
(``bot.demo.mrkdwn``), and only web and mail links become live links.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.demo import mrkdwn
from bot.demo.mrkdwn import Link, Mention, Names
from bot.demo.transcript import (
    BOT_NAME,
    JSON,
    SURFACE_ICONS,
    SURFACES,
    Entry,
    Image,
    Person,
    Surface,
    Transcript,
)

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Person colours, readable as text on white and apart from the sidebar's aubergine and blue.
PALETTE = ("#e8912d", "#2bac76", "#e01e5a", "#8e44ad", "#0b8a8a", "#c5780a", "#5b6ee1", "#d0457f")

SURFACE_COUNTS: Mapping[Surface, tuple[str, str]] = {
    "dm": ("DM", "DMs"),
    "group_dm": ("group DM", "group DMs"),
    "channel": ("channel post", "channel posts"),
    "modal": ("modal", "modals"),
    "home": ("Home tab update", "Home tab updates"),
    "ephemeral": ("reply only they saw", "replies only they saw"),
    "action": ("thing people did", "things people did"),
}
ROLE_HEADINGS = (("lead", "Program leads"), ("mentor", "Mentors"), ("mentee", "Mentees"))

_BASE64 = re.compile(r"[A-Za-z0-9+/\s]*={0,2}\s*")
_DATA_URI = re.compile(r"data:([a-z/+.-]+);base64,(.*)", re.DOTALL)


def esc(value: object) -> str:
    """Any value as HTML text or attribute value: ``&``, ``<``, ``>`` and both quotes escaped."""
    return html.escape(str(value), quote=True)


def render_html(transcript: Transcript) -> str:
    """The whole transcript as one self-contained HTML page."""
    return _Page(transcript).html()


# --- mrkdwn as HTML ------------------------------------------------------------------------------


class HtmlStyle:
    """mrkdwn written as HTML (``bot.demo.mrkdwn.Style``): words escaped, links only if live."""

    def text(self, text: str) -> str:
        """Words, escaped."""
        return esc(text)

    def mention(self, mention: Mention) -> str:
        """A mention, by name, highlighted as Slack does."""
        return f'<span class="mention m-{mention.kind}">{esc(mention.shown)}</span>'

    def link(self, link: Link) -> str:
        """A live link opens in a new tab; any other stays words."""
        label = esc(mrkdwn.emojize(link.label))
        if not link.live:
            return f'<span class="dead-link">{label}</span>'
        return f'<a href="{esc(link.url)}" target="_blank" rel="noopener noreferrer">{label}</a>'

    def code(self, text: str) -> str:
        """Inline code."""
        return f"<code>{esc(text)}</code>"

    def bold(self, inner: str) -> str:
        """Bold."""
        return f"<b>{inner}</b>"

    def italic(self, inner: str) -> str:
        """Italics."""
        return f"<i>{inner}</i>"

    def strike(self, inner: str) -> str:
        """Strike-through."""
        return f"<s>{inner}</s>"

    def line(self, inner: str, *, bullet: bool) -> str:
        """A line of its own; a bullet line hangs so wrapped words align."""
        return f'<div class="ln{" li" if bullet else ""}">{inner or "<br>"}</div>'

    def paragraph(self, lines: list[str]) -> str:
        """Plain lines."""
        return "".join(lines)

    def quote(self, lines: list[str]) -> str:
        """A block quote, with Slack's grey bar."""
        return f"<blockquote>{''.join(lines)}</blockquote>"

    def pre(self, text: str) -> str:
        """A preformatted block."""
        return f"<pre>{esc(text)}</pre>"

    def join(self, parts: list[str]) -> str:
        """The parts in order."""
        return "".join(parts)


_STYLE = HtmlStyle()


# --- Block Kit as HTML ---------------------------------------------------------------------------


def _dict(value: object) -> JSON:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def data_uri(mimetype: str, data_base64: str) -> str | None:
    """A ``data:`` URI for an image, or None unless it is a raster image in valid base64 (an SVG
    could carry script, and a broken value must not break out of its attribute)."""
    if mimetype not in IMAGE_TYPES or not _BASE64.fullmatch(data_base64):
        return None
    packed = "".join(data_base64.split())
    try:
        base64.b64decode(packed, validate=True)
    except (binascii.Error, ValueError):
        return None
    return f"data:{mimetype};base64,{packed}"


def _image_source(url: object) -> str | None:
    """An image block's URL, if the page can show it without the network (a data: URI)."""
    found = _DATA_URI.fullmatch(url) if isinstance(url, str) else None
    return data_uri(found.group(1), found.group(2)) if found else None


def _day_label(value: str) -> str:
    """A picker's ISO date as Slack shows it ("Mon 2 Mar 2026"), or the value as it came."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day:%a} {day.day} {day:%b %Y}"


class BlockDrawer:
    """Block Kit blocks and elements as Slack lays them out, with mentions shown as names."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self._blocks: dict[str, Callable[[JSON], str]] = {
            "header": self._header,
            "section": self._section,
            "divider": lambda block: '<hr class="b-divider">',
            "context": self._context,
            "actions": self._actions,
            "image": self._image_block,
            "input": self._input,
            "rich_text": self._rich_text,
        }
        self._elements: dict[str, Callable[[JSON], str]] = {
            "button": self._button,
            "overflow": self._overflow,
            "image": self._image_element,
            "datepicker": self._datepicker,
            "timepicker": self._timepicker,
            "datetimepicker": self._datetimepicker,
            "checkboxes": lambda el: self._choices(el, kind="box"),
            "radio_buttons": lambda el: self._choices(el, kind="radio"),
            "plain_text_input": self._text_input,
            "number_input": self._text_input,
            "email_text_input": self._text_input,
            "url_text_input": self._text_input,
            "rich_text_input": self._text_input,
        }

    # Text objects.

    def mrkdwn(self, text: str) -> str:
        """mrkdwn as HTML, in a block of its own."""
        return f'<div class="mrkdwn">{mrkdwn.render(text, self.names, _STYLE)}</div>'

    def text(self, obj: object) -> str:
        """A text object: mrkdwn parsed, plain_text shown as it is (its emoji codes drawn)."""
        found = _dict(obj)
        if found.get("type") == "mrkdwn":
            return self.mrkdwn(str(found.get("text", "")))
        return f'<span class="plain">{esc(self.label(found))}</span>'

    def label(self, obj: object) -> str:
        """A text object as plain words (a button's, an option's), not yet escaped."""
        found = _dict(obj)
        words = str(found.get("text", ""))
        if found.get("type") == "mrkdwn":
            return mrkdwn.emojize(mrkdwn.plain(words, self.names))
        return mrkdwn.emojize(words) if found.get("emoji", True) else words

    # Blocks.

    def blocks(self, blocks: Iterable[object]) -> str:
        """Blocks in order."""
        return "".join(self.block(_dict(block)) for block in blocks)

    def block(self, block: JSON) -> str:
        """One block; a type this page does not draw is named rather than dropped."""
        kind = str(block.get("type", ""))
        draw = self._blocks.get(kind)
        if draw is None:
            return f'<div class="b-unknown">[{esc(kind or "block")}]</div>'
        return draw(block)

    def _header(self, block: JSON) -> str:
        return f'<div class="b-header">{esc(self.label(block.get("text")))}</div>'

    def _section(self, block: JSON) -> str:
        main = self.text(block["text"]) if block.get("text") else ""
        fields = "".join(
            f'<div class="field">{self.text(field)}</div>' for field in _list(block.get("fields"))
        )
        if fields:
            main += f'<div class="fields">{fields}</div>'
        accessory = _dict(block.get("accessory"))
        side = f'<div class="accessory">{self.element(accessory)}</div>' if accessory else ""
        return f'<div class="b-section"><div class="sec-main">{main}</div>{side}</div>'

    def _context(self, block: JSON) -> str:
        parts = []
        for element in map(_dict, _list(block.get("elements"))):
            if element.get("type") == "image":
                parts.append(self._image_element(element, small=True))
            else:
                parts.append(f'<div class="ctx-el">{self.text(element)}</div>')
        return f'<div class="b-context">{"".join(parts)}</div>'

    def _actions(self, block: JSON) -> str:
        elements = "".join(self.element(_dict(e)) for e in _list(block.get("elements")))
        return f'<div class="b-actions">{elements}</div>'

    def _image_block(self, block: JSON) -> str:
        title = _dict(block.get("title"))
        caption = f"<figcaption>{esc(self.label(title))}</figcaption>" if title else ""
        alt = str(block.get("alt_text", ""))
        source = _image_source(block.get("image_url"))
        if source is None:
            return f'<figure class="b-image">{caption}{_missing_image(alt)}</figure>'
        img = f'<img src="{esc(source)}" alt="{esc(alt)}">'
        return f'<figure class="b-image">{caption}{img}</figure>'

    def _input(self, block: JSON) -> str:
        optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
        label = f'<div class="in-label">{esc(self.label(block.get("label")))}{optional}</div>'
        hint = _dict(block.get("hint"))
        below = f'<div class="hint">{esc(self.label(hint))}</div>' if hint else ""
        control = self.element(_dict(block.get("element")))
        return f'<div class="b-input">{label}<div class="control">{control}</div>{below}</div>'

    # Elements.

    def element(self, element: JSON) -> str:
        """One interactive element (or image) as Slack draws it; selects of any kind alike."""
        kind = str(element.get("type", ""))
        if kind.endswith("_select"):
            return self._select(element)
        draw = self._elements.get(kind)
        if draw is None:
            return f'<span class="b-unknown">[{esc(kind or "element")}]</span>'
        return draw(element)

    def _button(self, element: JSON) -> str:
        style = element.get("style")
        classes = "btn" + (f" {style}" if style in ("primary", "danger") else "")
        words = esc(self.label(element.get("text")))
        url = element.get("url")
        if isinstance(url, str) and mrkdwn.is_live(url):
            href = esc(url)
            return (
                f'<a class="{classes}" href="{href}" target="_blank" rel="noopener noreferrer">'
                f"{words}</a>"
            )
        return f'<span class="{classes}">{words}</span>'

    def _overflow(self, element: JSON) -> str:
        options = " · ".join(
            self.label(_dict(o).get("text")) for o in _list(element.get("options"))
        )
        return f'<span class="btn overflow" title="{esc(options)}">⋮</span>'

    def _select(self, element: JSON) -> str:
        kind = str(element.get("type"))
        chosen = self._chosen(element)
        multi = kind.startswith("multi_")
        if chosen and multi:
            shown = "".join(f'<span class="pick">{esc(words)}</span>' for words in chosen)
        elif chosen:
            shown = f'<span class="sel-value">{esc(chosen[0])}</span>'
        else:
            placeholder = self.label(element.get("placeholder")) or "Select an item"
            shown = f'<span class="sel-value placeholder">{esc(placeholder)}</span>'
        classes = "select multi" if multi else "select"
        return f'<span class="{classes}">{shown}<span class="chev">⌄</span></span>'

    def _chosen(self, element: JSON) -> list[str]:
        """What a select shows as picked: options' words, people's and channels' names."""
        options = [_dict(element.get("initial_option"))] if element.get("initial_option") else []
        options += [_dict(o) for o in _list(element.get("initial_options"))]
        chosen = [self.label(o.get("text")) for o in options]
        for key in ("initial_user", "initial_users"):
            chosen += [self.names.user(str(u)) for u in _as_list(element.get(key))]
        for key in ("initial_conversation", "initial_channel"):
            chosen += [self.names.channel(str(c)) for c in _as_list(element.get(key))]
        for key in ("initial_conversations", "initial_channels"):
            chosen += [self.names.channel(str(c)) for c in _as_list(element.get(key))]
        return chosen

    def _datepicker(self, element: JSON) -> str:
        initial = element.get("initial_date")
        return _picker("📅", _day_label(str(initial)) if initial else None, self._hint(element))

    def _timepicker(self, element: JSON) -> str:
        initial = element.get("initial_time")
        return _picker("🕘", str(initial) if initial else None, self._hint(element))

    def _datetimepicker(self, element: JSON) -> str:
        initial = element.get("initial_date_time")
        shown = None
        if isinstance(initial, int | float):
            moment = datetime.fromtimestamp(initial, UTC)
            shown = f"{_day_label(moment.date().isoformat())} {moment:%H:%M} UTC"
        return _picker("📅", shown, self._hint(element))

    def _hint(self, element: JSON) -> str:
        return self.label(element.get("placeholder"))

    def _text_input(self, element: JSON) -> str:
        multi = " multi" if element.get("multiline") else ""
        initial = element.get("initial_value")
        if initial not in (None, ""):
            return f'<div class="textbox{multi}">{esc(initial)}</div>'
        placeholder = esc(self.label(element.get("placeholder")))
        return f'<div class="textbox{multi}"><span class="placeholder">{placeholder}</span></div>'

    def _choices(self, element: JSON, *, kind: str) -> str:
        picked = [_dict(element.get("initial_option"))] if element.get("initial_option") else []
        picked += [_dict(o) for o in _list(element.get("initial_options"))]
        values = {o.get("value") for o in picked}
        rows = []
        for option in map(_dict, _list(element.get("options"))):
            on = " on" if option.get("value") in values else ""
            description = _dict(option.get("description"))
            more = f'<div class="desc">{self.text(description)}</div>' if description else ""
            rows.append(
                f'<div class="choice"><span class="{kind}{on}"></span>'
                f'<div class="choice-text">{self.text(option.get("text"))}{more}</div></div>'
            )
        return f'<div class="choices">{"".join(rows)}</div>'

    def _image_element(self, element: JSON, *, small: bool = False) -> str:
        alt = str(element.get("alt_text", ""))
        source = _image_source(element.get("image_url"))
        size = "ctx-img" if small else "acc-img"
        if source is None:
            return _missing_image(alt, size)
        return f'<img class="{size}" src="{esc(source)}" alt="{esc(alt)}">'

    # Rich text (what people's own messages carry; the bot may quote one).

    def _rich_text(self, block: JSON) -> str:
        parts = "".join(self._rich_part(_dict(e)) for e in _list(block.get("elements")))
        return f'<div class="mrkdwn rich">{parts}</div>'

    def _rich_part(self, part: JSON) -> str:
        kind = part.get("type")
        inner = "".join(self._rich_inline(_dict(e)) for e in _list(part.get("elements")))
        if kind == "rich_text_section":
            return f'<div class="ln">{inner}</div>'
        if kind == "rich_text_preformatted":
            words = "".join(self._rich_plain(_dict(e)) for e in _list(part.get("elements")))
            return f"<pre>{esc(words)}</pre>"
        if kind == "rich_text_quote":
            return f"<blockquote>{inner}</blockquote>"
        if kind == "rich_text_list":
            tag = "ol" if part.get("style") == "ordered" else "ul"
            items = "".join(
                f"<li>{self._rich_part(_dict(e))}</li>" for e in _list(part.get("elements"))
            )
            return f"<{tag}>{items}</{tag}>"
        return f'<span class="b-unknown">[{esc(kind or "rich text")}]</span>'

    def _rich_inline(self, element: JSON) -> str:
        kind = element.get("type")
        if kind in ("user", "channel", "usergroup", "broadcast"):
            shown = self._rich_plain(element)
            return _STYLE.mention(Mention("special", shown))
        if kind == "link":
            url = str(element.get("url", ""))
            words = _STYLE.link(Link(url, str(element.get("text") or url), mrkdwn.is_live(url)))
        else:
            words = esc(self._rich_plain(element))
        style = _dict(element.get("style"))
        if style.get("code"):
            words = f"<code>{words}</code>"
        for key, tag in (("bold", "b"), ("italic", "i"), ("strike", "s")):
            if style.get(key):
                words = f"<{tag}>{words}</{tag}>"
        return words

    def _rich_plain(self, element: JSON) -> str:
        """A rich text element's words, as a reader sees them."""
        kind = element.get("type")
        if kind == "user":
            return self.names.user(str(element.get("user_id", "")))
        if kind == "channel":
            return self.names.channel(str(element.get("channel_id", "")))
        if kind == "usergroup":
            return self.names.group(str(element.get("usergroup_id", "")))
        if kind == "broadcast":
            return "@" + str(element.get("range", "here"))
        if kind == "emoji":
            name = str(element.get("name", ""))
            return str(element.get("unicode_char") or mrkdwn.EMOJI.get(name) or f":{name}:")
        if kind == "date":
            return str(element.get("fallback", ""))
        return str(element.get("text") or element.get("url") or "")


def _as_list(value: object) -> list[Any]:
    if value is None or value == "":
        return []
    return _list(value) or [value]


def _picker(icon: str, shown: str | None, placeholder: str) -> str:
    words = (
        f'<span class="sel-value">{esc(shown)}</span>'
        if shown
        else f'<span class="sel-value placeholder">{esc(placeholder or "Select")}</span>'
    )
    return f'<span class="select picker"><span class="ico">{icon}</span>{words}</span>'


def _missing_image(alt: str, size: str = "img-box") -> str:
    """An image the page cannot show offline: its alt text in a frame, never a network fetch."""
    return f'<span class="img-missing {size}" title="{esc(alt)}">🖼 {esc(alt or "image")}</span>'


# --- the page ----------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _initials(name: str) -> str:
    letters = [word[0] for word in name.split() if word[:1].isalnum()]
    return "".join(letters[:2]).upper() or "?"


def _zone(tz: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _city(tz: str) -> str:
    return tz.rsplit("/", 1)[-1].replace("_", " ")


def css_string(value: str) -> str:
    """``value`` as a CSS string literal: anything but ASCII letters and digits hex-escaped, so
    no id can end the string, the rule or the style element."""
    escaped = "".join(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):x} " for ch in value)
    return f'"{escaped}"'


def _plural(count: int, words: tuple[str, str]) -> str:
    return f"{count:,} {words[0] if count == 1 else words[1]}"


class _Page:
    """One transcript's page: sidebar, summary, timeline, and the filter's rules."""

    def __init__(self, transcript: Transcript) -> None:
        self.t = transcript
        self.names = Names({**{p.user_id: p.name for p in transcript.people}, **transcript.names})
        self.draw = BlockDrawer(self.names)
        self.colours = {
            p.user_id: PALETTE[i % len(PALETTE)] for i, p in enumerate(transcript.people)
        }

    def html(self) -> str:
        """The page."""
        title = esc(self.t.title)
        return (
            "<!doctype html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title>"
            f"<style>{CSS}{self._filter_css()}</style></head>"
            f"<body>{self._sidebar()}<main>{self._topbar()}{self._summary()}"
            f'<div class="timeline">{self._timeline()}</div></main>'
            f"<script>{SCRIPT}</script></body></html>\n"
        )

    # The filter: one rule per person hides what they did not see.

    def _filter_css(self) -> str:
        rules = []
        for person in self.t.people:
            who = css_string(person.user_id)
            on = f"body[data-person={who}]"
            rules += [
                f"{on} [data-audience]:not([data-audience~={who}]){{display:none}}",
                f"{on} .who[data-person={who}]{{background:#1164a3;color:#fff}}",
                f"{on} .viewing[data-for={who}]{{display:flex}}",
            ]
        return "".join(rules)

    # Sidebar.

    def _sidebar(self) -> str:
        counts = {p.user_id: len(self.t.for_person(p.user_id)) for p in self.t.people}
        span = f"{_short_day(self.t.start)} to {_short_day(self.t.end)}"
        rows = [
            '<nav class="side" aria-label="People">',
            f'<div class="ws"><div class="ws-name">{esc(self.t.title)}</div>'
            f'<div class="ws-sub"><span class="dot-on"></span>{esc(span)} · simulated</div></div>',
            '<div class="side-h">Show what each person saw</div>',
            '<a class="who everyone" href="#all" data-person="">'
            '<span class="av av-all">✦</span><span class="who-text">'
            '<span class="who-name">Everyone</span>'
            '<span class="who-meta">every DM, modal, Home tab and post</span></span>'
            f'<span class="n">{len(self.t.entries):,}</span></a>',
        ]
        for role, heading in ROLE_HEADINGS:
            people = [p for p in self.t.people if p.role == role]
            if people:
                rows.append(f'<div class="side-h">{esc(heading)}</div>')
                rows += [self._person_link(p, counts[p.user_id]) for p in people]
        rows.append("</nav>")
        return "".join(rows)

    def _person_link(self, person: Person, count: int) -> str:
        story = f'<span class="who-story">{esc(person.story)}</span>' if person.story else ""
        meta = f"{person.role.capitalize()} · {_city(person.tz)}"
        return (
            f'<a class="who" href="#person={esc(person.user_id)}" '
            f'data-person="{esc(person.user_id)}" title="{esc(person.title)} · {esc(person.tz)}">'
            f"{self._avatar(person.user_id)}"
            f'<span class="who-text"><span class="who-name">{esc(person.name)}</span>'
            f'<span class="who-meta">{esc(meta)}</span>{story}</span>'
            f'<span class="n">{count:,}</span></a>'
        )

    def _avatar(self, user_id: str, extra: str = "") -> str:
        colour = self.colours.get(user_id, "#616061")
        name = self.names.user(user_id)[1:]
        return (
            f'<span class="av{extra}" style="background:{colour}" aria-hidden="true">'
            f"{esc(_initials(name))}</span>"
        )

    # Top bar and summary.

    def _topbar(self) -> str:
        views = [
            '<div class="viewing" data-for=""><b>Everyone</b>'
            '<span class="about">all that the bot sent and every person did, in time order'
            "</span></div>"
        ]
        for p in self.t.people:
            views.append(
                f'<div class="viewing" data-for="{esc(p.user_id)}">'
                f"{self._avatar(p.user_id, ' av-sm')}<b>{esc(p.name)}</b>"
                f'<span class="about">{esc(p.role.capitalize())} · {esc(p.title)} · {esc(p.tz)}'
                f"{' — ' + esc(p.story) if p.story else ''}</span>"
                '<a class="reset" href="#all">Show everyone</a></div>'
            )
        return f'<header class="top">{"".join(views)}</header>'

    def _summary(self) -> str:
        counts = {s: sum(1 for e in self.t.entries if e.surface == s) for s in SURFACES}
        chips = "".join(
            f'<span class="chip s-{s}"><span class="chip-ico">{esc(SURFACE_ICONS[s])}</span>'
            f"{esc(_plural(n, SURFACE_COUNTS[s]))}</span>"
            for s, n in counts.items()
            if n
        )
        weeks = max(1, round((_utc(self.t.end) - _utc(self.t.start)).days / 7))
        lines = "".join(f"<li>{self.draw.mrkdwn(line)}</li>" for line in self.t.summary)
        story = f'<ul class="sum-list">{lines}</ul>' if lines else ""
        return (
            '<section class="summary" aria-label="Summary">'
            f'<div class="sum-kicker">mentorbot demo · {weeks} simulated weeks · '
            f"{len(self.t.people)} people</div>"
            f'<h1 class="sum-title">{esc(self.t.title)}</h1>'
            f'<div class="sum-range">{esc(_long_day(self.t.start))} to '
            f"{esc(_long_day(self.t.end))}</div>"
            f'<div class="chips">{chips}</div>{story}</section>'
        )

    # Timeline.

    def _week(self, entry: Entry) -> int:
        days = (_utc(entry.at).date() - _utc(self.t.start).date()).days
        return max(days // 7 + 1, 0)

    def _timeline(self) -> str:
        if not self.t.entries:
            return '<p class="empty">Nothing happened in this run.</p>'
        out = []
        for week, in_week in groupby(self.t.entries, key=self._week):
            entries = list(in_week)
            first = _utc(self.t.start) + timedelta(weeks=week - 1) if week else None
            label = f"Week {week}" if week else "Before the program"
            if first is not None:
                label += f" · {_short_day(first)} to {_short_day(first + timedelta(days=6))}"
            days = "".join(
                self._day(day, list(on_day))
                for day, on_day in groupby(entries, key=lambda e: _utc(e.at).date())
            )
            out.append(
                f'<section class="week" data-audience="{_audience(entries)}">'
                f'<h2 class="week-h">{esc(label)}</h2>{days}</section>'
            )
        return "".join(out)

    def _day(self, day: date, entries: list[Entry]) -> str:
        drawn = "".join(self.entry(e) for e in entries)
        return (
            f'<div class="day" data-audience="{_audience(entries)}">'
            f'<div class="day-h"><span>{day:%A} {day.day} {day:%B}</span></div>{drawn}</div>'
        )

    def entry(self, entry: Entry) -> str:
        """One entry: an action line, or a card headed by where it appeared."""
        if entry.surface == "action":
            return self._action(entry)
        if entry.surface == "modal":
            body = self._modal(entry)
        elif entry.surface == "home":
            body = self._home(entry)
        else:
            body = self._message(entry)
        return (
            f'<article class="entry s-{esc(entry.surface)}" data-surface="{esc(entry.surface)}" '
            f'data-audience="{esc(" ".join(entry.audience))}">{self._where(entry)}{body}</article>'
        )

    def _where(self, entry: Entry) -> str:
        # A channel's name brings its own "#".
        icon = "" if entry.where.startswith("#") else SURFACE_ICONS.get(entry.surface, "•")
        mark = f'<span class="where-ico">{esc(icon)}</span>' if icon else ""
        who = self.names.of(entry.audience)
        shown = ", ".join(who[:3]) + (f" and {len(who) - 3} more" if len(who) > 3 else "")
        # A group DM's name already says who is in it.
        named = all(name in entry.where for name in who)
        seen = f'<span class="seen">seen by {esc(shown)}</span>' if shown and not named else ""
        verb = f'<span class="verb">{esc(entry.verb)}</span>' if entry.verb else ""
        return (
            f'<header class="where">{mark}'
            f'<span class="where-name">{esc(entry.where)}</span>{seen}{verb}'
            f"{self._time(entry)}</header>"
        )

    def _time(self, entry: Entry) -> str:
        at = _utc(entry.at)
        local = ""
        person = self.t.person(entry.audience[0]) if len(entry.audience) == 1 else None
        zone = _zone(person.tz) if person else None
        if person and zone and at.astimezone(zone).utcoffset() != timedelta(0):
            mine = at.astimezone(zone)
            local = f'<span class="local">{mine:%H:%M} in {esc(_city(person.tz))}</span>'
        stamp = f"{at:%a} {at.day} {at:%b %Y} {at:%H:%M} UTC"
        return (
            f'<time datetime="{at.isoformat()}" title="{esc(stamp)}">{at:%H:%M} UTC</time>{local}'
        )

    def _message(self, entry: Entry) -> str:
        body = self.draw.blocks(entry.blocks) if entry.blocks else self.draw.mrkdwn(entry.text)
        only = (
            '<div class="only-you">👁 Only visible to you</div>'
            if entry.surface == "ephemeral"
            else ""
        )
        edited = ' <span class="edited">(edited)</span>' if entry.verb == "updated" else ""
        return (
            f'<div class="msg">{_bot_avatar()}<div class="msg-main">{only}'
            f'<div class="msg-head"><b class="sender">{BOT_NAME}</b><span class="badge">APP</span>'
            f"<time>{_utc(entry.at):%H:%M}</time>{edited}</div>"
            f'<div class="blocks">{body}</div>{self._files(entry.images)}</div></div>'
        )

    def _files(self, images: Sequence[Image]) -> str:
        out = []
        for image in images:
            comment = self.draw.mrkdwn(image.comment) if image.comment else ""
            source = data_uri(image.mimetype, image.data_base64)
            alt = mrkdwn.plain(image.comment, self.names) or image.filename
            shown = (
                f'<img class="upload" src="{esc(source)}" alt="{esc(alt)}">'
                if source
                else _missing_image(image.filename)
            )
            kind = image.mimetype.rsplit("/", 1)[-1].upper()
            out.append(
                f'<div class="file">{comment}<div class="file-card">'
                f'<div class="file-head"><span class="file-name">{esc(image.filename)}</span>'
                f'<span class="file-kind">{esc(kind)}</span></div>{shown}</div></div>'
            )
        return "".join(out)

    def _modal(self, entry: Entry) -> str:
        title = esc(entry.title or "Modal")
        buttons = f'<span class="btn">{esc(entry.close or "Cancel")}</span>'
        if entry.submit:
            buttons += f'<span class="btn primary">{esc(entry.submit)}</span>'
        return (
            f'<div class="stage"><div class="modal" role="dialog" aria-label="{title}">'
            f'<div class="modal-head">{_bot_avatar(" app-sm")}<span class="modal-title">{title}'
            '</span><span class="modal-x" aria-hidden="true">&times;</span></div>'
            f'<div class="modal-body blocks">{self.draw.blocks(entry.blocks)}</div>'
            f'<div class="modal-foot">{buttons}</div></div></div>'
        )

    def _home(self, entry: Entry) -> str:
        tabs = '<span class="tab on">Home</span><span class="tab">Messages</span>'
        tabs += '<span class="tab">About</span>'
        return (
            f'<div class="home"><div class="home-head">{_bot_avatar(" app-sm")}'
            f'<b class="home-app">{BOT_NAME}</b><nav class="tabs">{tabs}</nav></div>'
            f'<div class="home-body blocks">{self.draw.blocks(entry.blocks)}</div></div>'
        )

    def _action(self, entry: Entry) -> str:
        actor = entry.audience[0] if entry.audience else ""
        colour = self.colours.get(actor, "#616061")
        name = self.names.user(actor)[1:] if actor else "Someone"
        words = " ".join(entry.text.split("\n"))
        did = mrkdwn.inline(words, self.names, _STYLE)
        where = f'<span class="act-where">in {esc(entry.where)}</span>' if entry.where else ""
        extra = (
            f'<div class="act-blocks">{self.draw.blocks(entry.blocks)}</div>'
            if entry.blocks
            else ""
        )
        return (
            f'<div class="entry action" data-surface="action" '
            f'data-audience="{esc(" ".join(entry.audience))}" style="--c:{colour}">'
            f'<div class="act-line"><span class="act-dot"></span>'
            f'<b class="act-who">{esc(name)}</b> <span class="act-did">{did}</span>{where}'
            f"<time>{_utc(entry.at):%H:%M} UTC</time></div>{extra}</div>"
        )


def _audience(entries: Iterable[Entry]) -> str:
    """Everyone who saw any of ``entries``: a week or day hides when its person saw none."""
    return esc(" ".join(dict.fromkeys(u for e in entries for u in e.audience)))


def _bot_avatar(extra: str = "") -> str:
    return f'<span class="app{extra}" aria-hidden="true">m</span>'


def _short_day(moment: datetime) -> str:
    at = _utc(moment)
    return f"{at.day} {at:%b}"


def _long_day(moment: datetime) -> str:
    at = _utc(moment)
    return f"{at:%A} {at.day} {at:%B %Y}"


SCRIPT = """
(function () {
  var people = Object.create(null);
  document.querySelectorAll(".who[data-person]").forEach(function (link) {
    people[link.getAttribute("data-person")] = true;
  });
  function show() {
    var found = /^#person=(.+)$/.exec(location.hash);
    var id = found ? decodeURIComponent(found[1]) : "";
    document.body.setAttribute("data-person", people[id] ? id : "");
  }
  window.addEventListener("hashchange", function () { show(); window.scrollTo(0, 0); });
  show();
})();
"""

CSS = """
:root{--aub:#3f0e40;--side:#cfc3cf;--ink:#1d1c1d;--muted:#616061;--line:rgba(29,28,29,.13);
--link:#1264a3;--green:#007a5a;--red:#e01e5a;--soft:#f8f8f8;--mono:Menlo,Monaco,Consolas,
"Liberation Mono","DejaVu Sans Mono",monospace}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:15px/1.46668 -apple-system,BlinkMacSystemFont,
"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif,"Apple Color Emoji",
"Segoe UI Emoji","Noto Color Emoji";-webkit-font-smoothing:antialiased}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
.side{position:fixed;top:0;bottom:0;left:0;width:272px;background:var(--aub);color:var(--side);
overflow-y:auto;padding-bottom:24px}
.ws{padding:14px 18px 12px;border-bottom:1px solid rgba(255,255,255,.12)}
.ws-name{color:#fff;font-weight:900;font-size:18px;line-height:1.25}
.ws-sub{font-size:13px;margin-top:2px}
.dot-on{display:inline-block;width:9px;height:9px;border-radius:50%;background:#2bac76;
margin-right:6px}
.side-h{padding:18px 18px 6px;font-size:13px;font-weight:700;color:#fff;opacity:.7}
.who{display:flex;gap:10px;align-items:flex-start;margin:1px 10px;padding:6px 8px;
border-radius:6px;color:var(--side);text-decoration:none}
.who:hover{background:rgba(255,255,255,.08);text-decoration:none}
.who-text{min-width:0;flex:1}
.who-name{display:block;color:#fff;font-weight:700;line-height:1.3}
.who-meta,.who-story{display:block;font-size:12.5px;line-height:1.35}
.who-story{font-style:italic;opacity:.85}
.who .n{flex:none;font-size:12px;line-height:18px;border-radius:9px;padding:0 7px;
background:rgba(255,255,255,.14);color:#fff;margin-top:2px}
body:not([data-person]) .who.everyone,body[data-person=""] .who.everyone{background:#1164a3;
color:#fff}
.av{flex:none;width:30px;height:30px;border-radius:7px;display:grid;place-items:center;
color:#fff;font-size:12px;font-weight:800;letter-spacing:.02em}
.av-all{background:rgba(255,255,255,.16);font-size:15px}
.who .av{box-shadow:0 0 0 1px rgba(255,255,255,.25)}
.av-sm{width:24px;height:24px;font-size:10px;border-radius:6px}
main{margin-left:272px;min-height:100vh}
.top{position:sticky;top:0;z-index:5;background:rgba(255,255,255,.96);
border-bottom:1px solid var(--line);padding:0 28px;height:49px;display:flex;align-items:center}
.viewing{display:none;align-items:center;gap:10px;min-width:0;white-space:nowrap;overflow:hidden}
.viewing .about{color:var(--muted);font-size:14px;overflow:hidden;text-overflow:ellipsis}
.viewing b{font-size:17px;font-weight:900}
body:not([data-person]) .viewing[data-for=""],body[data-person=""] .viewing[data-for=""]{
display:flex}
.reset{font-size:13px;font-weight:700;margin-left:6px}
.summary{margin:20px 28px 4px;max-width:940px;padding:18px 22px;border-radius:10px;
background:linear-gradient(120deg,#4a154b,#3f0e40 55%,#1264a3);color:#fff}
.sum-kicker{font-size:12px;font-weight:700;letter-spacing:.06em;text-transform:uppercase;
opacity:.75}
.sum-title{margin:2px 0 0;font-size:26px;line-height:1.2;font-weight:900}
.sum-range{opacity:.85;font-size:14px}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:12px}
.chip{display:inline-flex;gap:6px;align-items:center;padding:3px 10px;border-radius:14px;
background:rgba(255,255,255,.14);font-size:13px;font-weight:700}
.chip-ico{opacity:.9}
.sum-list{margin:12px 0 0;padding-left:20px;font-size:14.5px}
.sum-list li{margin:2px 0}
.summary .mention{color:#fff;background:rgba(255,255,255,.18)}
.summary a{color:#fff;text-decoration:underline}
.summary code{color:#fff;background:rgba(255,255,255,.12);border-color:rgba(255,255,255,.2)}
.timeline{padding:0 28px 64px;max-width:996px}
.week-h{margin:30px 0 0;font-size:20px;font-weight:900;display:flex;align-items:center;gap:12px}
.week-h::after{content:"";flex:1;border-top:2px solid var(--line)}
.day-h{position:sticky;top:49px;z-index:3;display:flex;justify-content:center;margin:14px 0 8px}
.day-h span{background:#fff;border:1px solid var(--line);border-radius:24px;padding:3px 16px;
font-size:13px;font-weight:700;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.entry{margin:10px 0;border:1px solid var(--line);border-radius:10px;background:#fff;
overflow:hidden;box-shadow:0 1px 2px rgba(0,0,0,.04)}
.where{display:flex;flex-wrap:wrap;align-items:center;gap:4px 10px;padding:6px 16px;
background:var(--soft);border-bottom:1px solid var(--line);font-size:13px;color:var(--muted)}
.where-ico{width:18px;text-align:center;font-weight:900;color:var(--ink)}
.where-name{font-weight:800;color:var(--ink)}
.verb{background:rgba(29,28,29,.07);border-radius:4px;padding:0 6px;font-size:12px}
.where time{margin-left:auto;font-weight:600}
.local{font-size:12px}
.msg{display:flex;gap:10px;padding:10px 16px 14px}
.msg-main{min-width:0;flex:1}
.msg-head{line-height:1.3;margin-bottom:2px}
.sender{font-weight:900}
.badge{font-size:10px;font-weight:700;color:var(--muted);background:rgba(29,28,29,.09);
border-radius:3px;padding:1px 4px;margin-left:5px;vertical-align:2px}
.msg-head time{font-size:12px;color:var(--muted);margin-left:6px}
.edited{font-size:12px;color:var(--muted)}
.only-you{font-size:13px;color:var(--muted);margin-bottom:2px}
.app{flex:none;width:36px;height:36px;border-radius:8px;display:grid;place-items:center;
background:linear-gradient(135deg,#2eb67d,#1264a3);color:#fff;font-weight:900;font-size:19px}
.app-sm{width:26px;height:26px;font-size:14px;border-radius:6px}
.blocks>*+*{margin-top:8px}
.mrkdwn{overflow-wrap:anywhere}
.mrkdwn .li{padding-left:1.05em;text-indent:-1.05em}
.mrkdwn blockquote{margin:4px 0;padding:0 0 0 12px;border-left:4px solid #ddd}
.mrkdwn pre{margin:4px 0;padding:8px 10px;background:var(--soft);border:1px solid var(--line);
border-radius:4px;font:12.5px/1.5 var(--mono);white-space:pre-wrap}
.rich ul,.rich ol{margin:2px 0;padding-left:26px}
code{font:12.5px var(--mono);color:#c01343;background:rgba(29,28,29,.04);
border:1px solid var(--line);border-radius:3px;padding:1px 3px}
.mention{color:var(--link);background:rgba(29,155,209,.1);border-radius:3px;padding:0 2px;
font-weight:600}
.dead-link{text-decoration:underline dotted}
.plain{white-space:pre-wrap}
.b-header{font-size:18px;font-weight:900;line-height:1.33;margin-bottom:2px}
.b-section{display:flex;gap:16px;align-items:flex-start}
.sec-main{flex:1;min-width:0}
.fields{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:8px 24px;margin-top:6px}
.accessory{flex:none;max-width:40%}
.b-divider{border:0;border-top:1px solid var(--line);margin:14px 0}
.b-context{display:flex;flex-wrap:wrap;align-items:center;gap:4px 10px;font-size:13px;
color:var(--muted)}
.b-context .mention{font-weight:600}
.b-actions{display:flex;flex-wrap:wrap;gap:8px}
.btn{display:inline-flex;align-items:center;height:28px;padding:0 12px;border-radius:4px;
border:1px solid rgba(29,28,29,.3);background:#fff;color:var(--ink);font-size:13px;
font-weight:700;white-space:nowrap;box-shadow:0 1px 2px rgba(0,0,0,.06)}
a.btn:hover{text-decoration:none;background:var(--soft)}
.btn.primary{background:var(--green);border-color:var(--green);color:#fff}
.btn.danger{background:var(--red);border-color:var(--red);color:#fff}
.btn.overflow{padding:0 9px;font-size:16px}
.select{display:inline-flex;align-items:center;gap:8px;min-width:190px;max-width:100%;
min-height:32px;padding:3px 10px;border:1px solid rgba(29,28,29,.3);border-radius:4px;
background:#fff;font-size:14px}
.select.multi{flex-wrap:wrap;gap:4px}
.chev{margin-left:auto;color:var(--muted);font-weight:700;line-height:1}
.pick{background:rgba(29,28,29,.06);border-radius:4px;padding:0 6px;font-size:13px;
font-weight:600}
.placeholder{color:#868686}
.ico{font-size:13px}
.blocks>*+.b-input,.blocks>.b-input+*{margin-top:16px}
.in-label{font-weight:800;margin-bottom:6px}
.optional{font-weight:400;color:var(--muted)}
.control .select{display:flex;width:100%}
.control .select.picker{display:inline-flex;width:auto;min-width:220px}
.textbox{min-height:38px;padding:8px 12px;border:1px solid rgba(29,28,29,.3);border-radius:4px;
white-space:pre-wrap;overflow-wrap:anywhere}
.textbox.multi{min-height:86px}
.hint{font-size:13px;color:var(--muted);margin-top:5px}
.choices{display:grid;gap:6px}
.choice{display:flex;gap:10px;align-items:flex-start}
.box,.radio{flex:none;width:16px;height:16px;margin-top:3px;border:1px solid rgba(29,28,29,.5);
background:#fff;display:grid;place-items:center}
.box{border-radius:3px}.radio{border-radius:50%}
.box.on{background:var(--link);border-color:var(--link)}
.box.on::after{content:"✓";color:#fff;font-size:12px;font-weight:900;line-height:1}
.radio.on{border:5px solid var(--link)}
.desc{font-size:13px;color:var(--muted)}
.b-image img,.upload{display:block;max-width:100%;height:auto;border-radius:6px}
.b-image figcaption{font-size:13px;color:var(--muted);margin-bottom:4px}
.b-image{margin:0}
.acc-img{width:88px;height:88px;object-fit:cover;border-radius:6px}
.ctx-img{width:20px;height:20px;border-radius:4px}
.img-missing{display:inline-flex;align-items:center;gap:6px;padding:6px 10px;font-size:13px;
color:var(--muted);border:1px dashed var(--line);border-radius:6px}
.b-unknown{font:12px var(--mono);color:var(--muted)}
.file{margin-top:8px}
.file-card{margin-top:6px;display:inline-block;max-width:100%;border:1px solid var(--line);
border-radius:8px;padding:8px;background:#fff}
.file-head{display:flex;gap:8px;align-items:baseline;margin:0 4px 8px}
.file-name{font-weight:800;font-size:14px}
.file-kind{font-size:12px;color:var(--muted)}
.upload{max-width:min(100%,720px)}
.stage{padding:22px 16px;background:repeating-linear-gradient(135deg,#ecebec,#ecebec 10px,
#e6e4e6 10px,#e6e4e6 20px)}
.modal{max-width:560px;margin:0 auto;background:#fff;border-radius:10px;overflow:hidden;
box-shadow:0 0 0 1px rgba(29,28,29,.13),0 14px 40px rgba(0,0,0,.28)}
.modal-head{display:flex;align-items:center;gap:10px;padding:16px 20px;
border-bottom:1px solid var(--line)}
.modal-title{font-size:21px;font-weight:900}
.modal-x{margin-left:auto;font-size:24px;line-height:1;color:var(--muted)}
.modal-body{padding:18px 24px 8px}
.modal-foot{display:flex;justify-content:flex-end;gap:10px;padding:14px 20px;
border-top:1px solid var(--line)}
.modal-foot .btn{height:36px;padding:0 16px;font-size:15px}
.home-head{display:flex;align-items:center;gap:10px;padding:0 20px;
border-bottom:1px solid var(--line)}
.home-app{font-size:16px;font-weight:900}
.tabs{display:flex;gap:20px;margin-left:18px;font-size:14px;font-weight:700}
.tab{color:var(--muted);padding:13px 0 11px}
.tab.on{color:var(--ink);box-shadow:inset 0 -3px 0 #1264a3}
.home-body{padding:18px 28px 24px}
.entry.action{border:0;box-shadow:none;background:none;margin:6px 0;padding:2px 16px;
overflow:visible}
.act-line{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 6px;font-size:14px;
color:var(--muted)}
.act-dot{width:8px;height:8px;border-radius:50%;background:var(--c);align-self:center}
.act-who{color:var(--c);font-weight:800}
.act-did{color:var(--ink)}
.act-where{font-size:13px}
.act-line time{margin-left:auto;font-size:12px}
.act-blocks{margin:4px 0 0 14px;padding-left:10px;border-left:3px solid var(--c)}
.empty{color:var(--muted);margin:32px 0}
@media (max-width:820px){.side{position:static;width:auto}main{margin-left:0}
.fields{grid-template-columns:1fr}.top{position:static}.day-h{top:0}}
"""
