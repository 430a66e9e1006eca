"""The demo's transcript as plain text, for a terminal (``mentorbot demo --format text``).

The same run as the HTML page, read top to bottom: week and day rules, then each entry as its
time, where it appeared and who saw it, and its blocks flattened the way a reader takes them in
(headers underlined, fields as "label: value", buttons as ``[Button]``, inputs as
``Label: ____``), mentions as @names. No colour unless asked for; control characters in
anyone's words are replaced, so a goal title cannot drive the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from typing import Any

from bot.demo import mrkdwn
from bot.demo.mrkdwn import Link, Mention, Names
from bot.demo.transcript import BOT_NAME, JSON, SURFACE_ICONS, SURFACES, Entry, Transcript

RULE = 48
INDENT = "    "
SURFACE_WORDS = {
    "dm": "DMs",
    "group_dm": "group DMs",
    "channel": "channel posts",
    "modal": "modals",
    "home": "Home tab updates",
    "ephemeral": "ephemeral replies",
    "action": "actions",
}

# Anything a terminal could act on (C0 and C1 controls, DEL), but lines and tabs.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` with every control character replaced: words only, never terminal commands."""
    return _CONTROLS.sub("\ufffd", text)


@dataclass(frozen=True)
class Paint:
    """ANSI styling, or none: each method wraps already-cleaned text."""

    on: bool = False

    def _wrap(self, start: str, end: str, text: str) -> str:
        return f"\x1b[{start}m{text}\x1b[{end}m" if self.on and text else text

    def bold(self, text: str) -> str:
        """Bold."""
        return self._wrap("1", "22", text)

    def dim(self, text: str) -> str:
        """Faint: times, context, hints."""
        return self._wrap("2", "22", text)

    def italic(self, text: str) -> str:
        """Italics."""
        return self._wrap("3", "23", text)

    def strike(self, text: str) -> str:
        """Strike-through (shown as ``~text~`` without colour)."""
        return self._wrap("9", "29", text) if self.on else f"~{text}~"

    def mention(self, text: str) -> str:
        """A mention or link: cyan."""
        return self._wrap("36", "39", text)

    def accent(self, text: str) -> str:
        """Who did something: magenta."""
        return self._wrap("35", "39", text)


class TextStyle:
    """mrkdwn written as terminal text (``bot.demo.mrkdwn.Style``)."""

    def __init__(self, paint: Paint) -> None:
        self.paint = paint

    def text(self, text: str) -> str:
        """Words, cleaned."""
        return clean(text)

    def mention(self, mention: Mention) -> str:
        """A mention by name."""
        return self.paint.mention(clean(mention.shown))

    def link(self, link: Link) -> str:
        """A link's words and where it goes (a dead link's words only)."""
        label = clean(mrkdwn.emojize(link.label))
        if not link.live or link.label == link.url:
            return self.paint.mention(label)
        return f"{self.paint.mention(label)} ({clean(link.url)})"

    def code(self, text: str) -> str:
        """Inline code, backticks kept."""
        return f"`{clean(text)}`"

    def bold(self, inner: str) -> str:
        """Bold (markers dropped without colour)."""
        return self.paint.bold(inner)

    def italic(self, inner: str) -> str:
        """Italics (markers dropped without colour)."""
        return self.paint.italic(inner)

    def strike(self, inner: str) -> str:
        """Strike-through."""
        return self.paint.strike(inner)

    def line(self, inner: str, *, bullet: bool) -> str:
        """A line as it is."""
        return inner

    def paragraph(self, lines: list[str]) -> str:
        """Lines, one under another."""
        return "\n".join(lines)

    def quote(self, lines: list[str]) -> str:
        """Quoted lines behind a bar."""
        return "\n".join(f"│ {line}" for line in lines)

    def pre(self, text: str) -> str:
        """Preformatted lines, indented."""
        return "\n".join(f"  {line}" for line in clean(text).split("\n"))

    def join(self, parts: list[str]) -> str:
        """The parts, one under another."""
        return "\n".join(parts)


def _dict(value: object) -> JSON:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


class TextBlocks:
    """Block Kit flattened to lines a reader takes in at a glance."""

    def __init__(self, names: Names, paint: Paint) -> None:
        self.names = names
        self.paint = paint
        self.style = TextStyle(paint)

    def mrkdwn(self, text: str) -> str:
        """mrkdwn as terminal text."""
        return mrkdwn.render(text, self.names, self.style)

    def text(self, obj: object) -> str:
        """A text object: mrkdwn read, plain_text as it is."""
        found = _dict(obj)
        if found.get("type") == "mrkdwn":
            return self.mrkdwn(str(found.get("text", "")))
        return self.label(found)

    def label(self, obj: object) -> str:
        """A text object as one cleaned line of words."""
        found = _dict(obj)
        words = str(found.get("text", ""))
        if found.get("type") == "mrkdwn":
            words = mrkdwn.plain(words, self.names)
        return clean(" ".join(mrkdwn.emojize(words).split()))

    def lines(self, blocks: Iterable[object]) -> list[str]:
        """Every block's lines, in order."""
        out: list[str] = []
        for block in map(_dict, blocks):
            out += self.block(block)
        return out

    def block(self, block: JSON) -> list[str]:
        """One block's lines."""
        kind = block.get("type")
        if kind == "header":
            title = self.label(block.get("text"))
            return [self.paint.bold(title), "─" * min(len(title), RULE)]
        if kind == "section":
            return self._section(block)
        if kind == "divider":
            return [self.paint.dim("─" * RULE)]
        if kind == "context":
            return [self.paint.dim(" · ".join(self._context(block)))]
        if kind == "actions":
            return ["  ".join(self.element(_dict(e)) for e in _list(block.get("elements")))]
        if kind == "image":
            return [f"[image: {clean(str(block.get('alt_text', '')))}]"]
        if kind == "input":
            return self._input(block)
        if kind == "rich_text":
            return [self._rich(_dict(part)) for part in _list(block.get("elements"))]
        return [f"[{clean(str(kind or 'block'))}]"]

    def _section(self, block: JSON) -> list[str]:
        out = self.text(block["text"]).split("\n") if block.get("text") else []
        out += [self._field(_dict(f)) for f in _list(block.get("fields"))]
        accessory = _dict(block.get("accessory"))
        if accessory:
            out.append(self.element(accessory))
        return out

    def _field(self, field: JSON) -> str:
        """A field as "label: value" (the bot's fields are a bold label over their value), its
        further lines indented under it."""
        first, *rest = self.text(field).split("\n")
        if not rest:
            return first
        label = first if first.rstrip().endswith(":") else f"{first}:"
        return "\n".join([f"{label} {rest[0]}", *(f"  {line}" for line in rest[1:])])

    def _context(self, block: JSON) -> list[str]:
        parts = []
        for element in map(_dict, _list(block.get("elements"))):
            if element.get("type") == "image":
                parts.append(f"[image: {clean(str(element.get('alt_text', '')))}]")
            else:
                parts.append(" ".join(self.text(element).split("\n")))
        return parts

    def _input(self, block: JSON) -> list[str]:
        label = self.label(block.get("label"))
        if block.get("optional"):
            label += " (optional)"
        element = _dict(block.get("element"))
        hint = _dict(block.get("hint"))
        below = [INDENT[:2] + self.paint.dim(self.label(hint))] if hint else []
        if element.get("type") in ("checkboxes", "radio_buttons"):
            return [f"{self.paint.bold(label)}:", *self._choices(element), *below]
        return [f"{self.paint.bold(label)}: {self.element(element)}", *below]

    def element(self, element: JSON) -> str:
        """One element as a reader sees it: ``[Button]``, ``[Choose ▾]``, ``____``."""
        kind = str(element.get("type", ""))
        if kind == "button":
            words = f"[{self.label(element.get('text'))}]"
            return self.paint.bold(words) if element.get("style") == "primary" else words
        if kind == "overflow":
            return "[⋯]"
        if kind.endswith("_select"):
            shown = ", ".join(self._chosen(element)) or self.label(element.get("placeholder"))
            return f"[{shown or 'Select'} ▾]"
        if kind in ("datepicker", "timepicker", "datetimepicker"):
            initial = element.get("initial_date") or element.get("initial_time")
            shown = clean(str(initial)) if initial else self.label(element.get("placeholder"))
            return f"[{shown or 'Pick'} ▾]"
        if kind in ("checkboxes", "radio_buttons"):
            return "  ".join(self._choices(element))
        if kind.endswith("_input"):
            initial = element.get("initial_value")
            if initial not in (None, ""):
                return " ".join(clean(str(initial)).split("\n"))
            placeholder = self.label(element.get("placeholder"))
            return "____" + (f"  {self.paint.dim(placeholder)}" if placeholder else "")
        if kind == "image":
            return f"[image: {clean(str(element.get('alt_text', '')))}]"
        return f"[{clean(kind or 'element')}]"

    def _chosen(self, element: JSON) -> list[str]:
        options = [_dict(element.get("initial_option"))] if element.get("initial_option") else []
        options += [_dict(o) for o in _list(element.get("initial_options"))]
        chosen = [self.label(o.get("text")) for o in options]
        users = _list(element.get("initial_users")) or [element.get("initial_user")]
        chosen += [clean(self.names.user(str(u))) for u in users if u]
        channel = element.get("initial_conversation") or element.get("initial_channel")
        chosen += [clean(self.names.channel(str(channel)))] if channel else []
        return chosen

    def _choices(self, element: JSON) -> list[str]:
        radio = element.get("type") == "radio_buttons"
        picked = [_dict(element.get("initial_option"))] if element.get("initial_option") else []
        picked += [_dict(o) for o in _list(element.get("initial_options"))]
        values = {o.get("value") for o in picked}
        out = []
        for option in map(_dict, _list(element.get("options"))):
            on = option.get("value") in values
            mark = ("(•)" if on else "( )") if radio else ("[x]" if on else "[ ]")
            out.append(f"{INDENT[:2]}{mark} {self.label(option.get('text'))}")
        return out

    def _rich(self, part: JSON) -> str:
        """A rich_text part as one line (lists one item a line)."""
        if part.get("type") == "rich_text_list":
            items = [self._rich(_dict(item)) for item in _list(part.get("elements"))]
            return "\n".join(f"• {item}" for item in items)
        words = []
        for element in map(_dict, _list(part.get("elements"))):
            kind = element.get("type")
            if kind == "user":
                words.append(self.names.user(str(element.get("user_id", ""))))
            elif kind == "channel":
                words.append(self.names.channel(str(element.get("channel_id", ""))))
            elif kind == "emoji":
                name = str(element.get("name", ""))
                words.append(mrkdwn.EMOJI.get(name, f":{name}:"))
            else:
                words.append(str(element.get("text") or element.get("url") or ""))
        line = clean("".join(words))
        return f"│ {line}" if part.get("type") == "rich_text_quote" else line


def render_text(transcript: Transcript, *, color: bool = False) -> str:
    """The whole transcript as plain text (ANSI colour only when ``color``)."""
    return _Text(transcript, Paint(color)).render()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day(moment: date) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


class _Text:
    """One transcript's text: its heading, its people, then week by week."""

    def __init__(self, transcript: Transcript, paint: Paint) -> None:
        self.t = transcript
        self.paint = paint
        self.names = Names({**{p.user_id: p.name for p in transcript.people}, **transcript.names})
        self.blocks = TextBlocks(self.names, paint)

    def render(self) -> str:
        """Heading, people, summary and timeline."""
        out = [*self._heading(), ""]
        for week, entries in groupby(self.t.entries, key=self._week):
            out += [*self._week_rule(week), ""]
            for day, on_day in groupby(entries, key=lambda e: _utc(e.at).date()):
                out += [self.paint.bold(f"── {day:%A} {day.day} {day:%B %Y} ──"), ""]
                for entry in on_day:
                    out += [*self.entry(entry), ""]
        if not self.t.entries:
            out.append("Nothing happened in this run.")
        return "\n".join(out).rstrip("\n") + "\n"

    def _heading(self) -> list[str]:
        title = clean(self.t.title)
        counts = [(s, sum(1 for e in self.t.entries if e.surface == s)) for s in SURFACES]
        made = ", ".join(f"{n:,} {SURFACE_WORDS[s]}" for s, n in counts if n)
        out = [
            self.paint.bold(title),
            "═" * min(len(title), 72),
            f"{_day(_utc(self.t.start).date())} to {_day(_utc(self.t.end).date())} · "
            f"{len(self.t.people)} people · {len(self.t.entries):,} entries"
            + (f" ({made})" if made else ""),
            "",
            self.paint.bold("People"),
        ]
        for p in self.t.people:
            story = f": {clean(p.story)}" if p.story else ""
            out.append(
                f"  {self.paint.bold(clean(p.name))} ({p.role}, {clean(p.title)}, "
                f"{clean(p.tz)}){story}"
            )
        if self.t.summary:
            out += ["", self.paint.bold("In brief")]
            out += [f"  • {self.blocks.mrkdwn(line)}" for line in self.t.summary]
        return out

    def _week(self, entry: Entry) -> int:
        return max((_utc(entry.at).date() - _utc(self.t.start).date()).days // 7 + 1, 0)

    def _week_rule(self, week: int) -> list[str]:
        if not week:
            return [self.paint.bold("═══ Before the program ═══")]
        first = _utc(self.t.start).date() + timedelta(weeks=week - 1)
        last = first + timedelta(days=6)
        label = f"Week {week} · {first.day} {first:%b} to {last.day} {last:%b}"
        return [self.paint.bold(f"═══ {label} ═══")]

    def entry(self, entry: Entry) -> list[str]:
        """One entry: its heading line, then its body indented."""
        when = self.paint.dim(f"{_utc(entry.at):%H:%M} UTC")
        if entry.surface == "action":
            return self._action(entry, when)
        who = ", ".join(clean(n) for n in self.names.of(entry.audience))
        where = clean(entry.where)
        if entry.surface == "modal" and entry.title:
            where += f" “{clean(entry.title)}”"
        verb = f" ({clean(entry.verb)})" if entry.verb else ""
        icon = "" if where.startswith("#") else SURFACE_ICONS.get(entry.surface, "•") + " "
        head = f"{when}  {icon}{self.paint.bold(where)} → {who}{verb}"
        body = self.blocks.lines(entry.blocks) if entry.blocks else self._words(entry.text)
        if entry.surface in ("modal", "home"):
            body = self._framed(entry, body)
        if entry.surface == "ephemeral":
            body = [self.paint.dim("(only visible to them)"), *body]
        body += [
            f"[file: {clean(image.filename)}"
            + (f" · {' '.join(self._words(image.comment))}" if image.comment else "")
            + "]"
            for image in entry.images
        ]
        return [head, *(f"{INDENT}{line}".rstrip() for line in _split(body))]

    def _words(self, text: str) -> list[str]:
        return self.blocks.mrkdwn(text).split("\n") if text else []

    def _framed(self, entry: Entry, body: list[str]) -> list[str]:
        """A modal or Home tab in a frame, so it reads as a surface of its own."""
        top = clean(entry.title) if entry.surface == "modal" else f"{BOT_NAME} · Home"
        buttons = ""
        if entry.surface == "modal":
            buttons = f"[{clean(entry.close or 'Cancel')}]"
            if entry.submit:
                buttons += f"  {self.paint.bold('[' + clean(entry.submit) + ']')}"
        return [
            f"┌─ {self.paint.bold(top)}",
            *(f"│ {line}" for line in _split(body)),
            f"└─ {buttons}" if buttons else "└─",
        ]

    def _action(self, entry: Entry, when: str) -> list[str]:
        actor = entry.audience[0] if entry.audience else ""
        name = clean(self.names.user(actor)[1:]) if actor else "Someone"
        did = " ".join(self._words(entry.text))
        where = self.paint.dim(f" (in {clean(entry.where)})") if entry.where else ""
        lines = [f"{when}  {self.paint.accent(self.paint.bold(name))} {did}{where}"]
        lines += [INDENT + line for line in _split(self.blocks.lines(entry.blocks))]
        return lines


def _split(lines: Iterable[str]) -> list[str]:
    """Lines that may hold line breaks, as single lines."""
    return [part for line in lines for part in line.split("\n")]
