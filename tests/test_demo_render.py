"""The demo's transcript renderers, against what the bot really sends.

The page and the text are drawn from a hand-made transcript whose blocks come from the bot's own
view builders (``tests/demo_sample.py``: a seeded cohort's digest, chart and Home tabs; the goals
modal and form; a goal to agree to; a scorecard prompt; an introduction), plus Block Kit that the
bot's builders in ``bot/views/blocks.py`` make but no view sends yet. Pages are read back with the
standard library's HTML parser, as a browser would read them, so the checks are about what a
reader sees and what could run, not about how the HTML happens to be spelt.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, time, timedelta
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.demo import mrkdwn
from bot.demo.mrkdwn import Names
from bot.demo.render_html import BlockDrawer, HtmlStyle, render_html
from bot.demo.render_text import render_text
from bot.demo.transcript import Entry, Image, Person, Transcript
from bot.markup import escape
from bot.services.goals import GoalBoard
from bot.views.blocks import (
    actions,
    button,
    checkboxes,
    context,
    conversations_select,
    datepicker,
    divider,
    header,
    input_block,
    multi_select,
    multi_users_select,
    number_input,
    option,
    radio_buttons,
    section,
    static_select,
    text_input,
    timepicker,
)
from bot.views.goals import build_agreement_request, build_goals_overview
from bot.views.text import link
from storage.enums import Role
from tests.demo_sample import (
    LEAD,
    NOW,
    Cohort,
    goal_view,
    sample_transcript,
    seeded_cohort,
)

NAMES = Names(
    {"U1": "Ana Okafor", "U2": "Ben Berg", "C1": "mentoring-leads", "S1": "program-leads"}
)
# A 1x1 PNG, the smallest picture a data: URI can carry.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c6360f8cfc0f01f0005000201a1d6b1a30000000049454e44ae426082"
    )
).decode()
HOSTILE = "<script>alert(\"x\")</script> & 'quotes' <@U1> <!channel> </style> onload=alert(1)"
LIVE = ("http://", "https://", "mailto:")
ALLOWED_TAGS = {"div", "span", "b", "i", "s", "code", "pre", "blockquote", "a", "br"}


class Page(HTMLParser):
    """HTML as a browser's parser reads it: the tags with their attributes, and the text shown
    (a style's or script's content is not text)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.shown: list[str] = []
        self.scripts: list[str] = []
        self._inside: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record the tag; remember when the parser enters a style or script."""
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag in ("style", "script"):
            self._inside.append(tag)

    def handle_endtag(self, tag: str) -> None:
        """Leave a style or script."""
        if self._inside and self._inside[-1] == tag:
            self._inside.pop()

    def handle_data(self, data: str) -> None:
        """Text, unless inside a style or script."""
        if not self._inside:
            self.shown.append(data)
        elif self._inside[-1] == "script":
            self.scripts.append(data)

    @property
    def text(self) -> str:
        """Everything a reader sees, as one string."""
        return "".join(self.shown)

    def values(self, attribute: str) -> list[str]:
        """Every value of ``attribute`` on any tag."""
        return [attrs[attribute] for _, attrs in self.tags if attribute in attrs]

    def having(self, css_class: str) -> list[dict[str, str]]:
        """The attributes of every tag with ``css_class``."""
        return [a for _, a in self.tags if css_class in a.get("class", "").split()]


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    """The seeded cohort and what the bot builds from it (seeded once for the module)."""
    return seeded_cohort()


@pytest.fixture(scope="module")
def sample(cohort: Cohort) -> Transcript:
    """The sample transcript."""
    return sample_transcript(cohort)


@pytest.fixture(scope="module")
def page(sample: Transcript) -> str:
    """The sample transcript's page."""
    return render_html(sample)


def inline(text: str) -> str:
    return mrkdwn.inline(text, NAMES, HtmlStyle())


# --- mrkdwn --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("*bold* _italic_ ~gone~", "<b>bold</b> <i>italic</i> <s>gone</s>"),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        ("`x &lt; y`", "<code>x &lt; y</code>"),
        ("`*not bold*`", "<code>*not bold*</code>"),
        (
            "*<@U1> suggested a change:*",
            '<b><span class="mention m-user">@Ana Okafor</span> suggested a change:</b>',
        ),
        ("<@U9|someone>", '<span class="mention m-user">@someone</span>'),
        ("<@U9>", '<span class="mention m-user">@U9</span>'),
        ("<#C1>", '<span class="mention m-channel">#mentoring-leads</span>'),
        ("<#C9|general>", '<span class="mention m-channel">#general</span>'),
        ("<!subteam^S1>", '<span class="mention m-group">@program-leads</span>'),
        ("<!here>", '<span class="mention m-special">@here</span>'),
        (
            "<https://example.com/a?b=1&amp;c=2|the docs>",
            '<a href="https://example.com/a?b=1&amp;c=2" target="_blank" '
            'rel="noopener noreferrer">the docs</a>',
        ),
        (
            "<https://example.com>",
            '<a href="https://example.com" target="_blank" rel="noopener noreferrer">'
            "https://example.com</a>",
        ),
        (
            "<mailto:ana@example.com|Ana>",
            '<a href="mailto:ana@example.com" target="_blank" rel="noopener noreferrer">Ana</a>',
        ),
        ("<javascript:alert(1)|click me>", '<span class="dead-link">click me</span>'),
        ("<data:text/html,hi|x>", '<span class="dead-link">x</span>'),
        (":tada: :white_check_mark: :no_such_emoji:", "🎉 ✅ :no_such_emoji:"),
        ("Tom &amp; Jerry &lt;3", "Tom &amp; Jerry &lt;3"),
        # Slack's entities are decoded once: an escaped entity shows as the entity.
        ("&amp;lt;b&amp;gt;", "&amp;lt;b&amp;gt;"),
        ("\"double\" 'single'", "&quot;double&quot; &#x27;single&#x27;"),
        # A private-use character cannot pose as a token the renderer set aside.
        ("a \U000f0000 b <@U1>", 'a \ufffd b <span class="mention m-user">@Ana Okafor</span>'),
    ],
    ids=lambda value: value[:30] if isinstance(value, str) else None,
)
def test_mrkdwn_inline(text: str, html: str) -> None:
    assert inline(text) == html


def test_mrkdwn_lines_quotes_bullets_and_preformatted() -> None:
    drawn = BlockDrawer(NAMES).mrkdwn(
        "*Why*\n• one\n• two\n> the bot quotes\n> two lines\n&gt; typed, not a quote\n"
        "```line <@U1>\n  *kept*```\nafter"
    )
    assert drawn == (
        '<div class="mrkdwn"><div class="ln"><b>Why</b></div>'
        '<div class="ln li">• one</div><div class="ln li">• two</div>'
        '<blockquote><div class="ln">the bot quotes</div><div class="ln">two lines</div>'
        '</blockquote><div class="ln">&gt; typed, not a quote</div>'
        "<pre>line @Ana Okafor\n  *kept*</pre>"
        '<div class="ln">after</div></div>'
    )


@given(st.text(alphabet=st.sampled_from("ab <>&|@#!*_~`:\n/^;=\"'"), max_size=80))
def test_peoples_words_escaped_by_the_bot_never_become_markup(words: str) -> None:
    """What the bot escapes (every person's words) shows as words: no link, no mention."""
    shown = Page(BlockDrawer(NAMES).mrkdwn(escape(words)))
    assert {tag for tag, _ in shown.tags} <= ALLOWED_TAGS - {"a"}
    assert not shown.having("mention")
    # Emphasis may take its markers, as in Slack; every other character shows as typed.
    assert re.sub(r"[*_~`\s]", "", shown.text) == re.sub(r"[*_~`\s]", "", words)


@given(st.text(alphabet=st.sampled_from("ab <>&|@#!*_~`:\n/^;=\"'javscript"), max_size=80))
def test_any_mrkdwn_draws_only_safe_html(text: str) -> None:
    """Whatever the markup, only a few plain tags come out, and links only to the web or mail."""
    shown = Page(BlockDrawer(NAMES).mrkdwn(text))
    assert {tag for tag, _ in shown.tags} <= ALLOWED_TAGS
    assert {name for _, attrs in shown.tags for name in attrs} <= {"class", "href", "target", "rel"}
    assert all(href.startswith(LIVE) for href in shown.values("href"))


# --- Block Kit -----------------------------------------------------------------------------------


def test_every_block_and_element_is_drawn() -> None:
    pick = [option("Alpha", "a"), option("Beta", "b")]
    overflow = {"type": "overflow", "action_id": "o", "options": pick}
    docs = {**button("Docs", "d"), "url": "https://example.com/guide"}
    sneaky = {**button("Sneaky", "s"), "url": "javascript:alert(1)"}
    rich = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "Hi ", "style": {"bold": True}},
                    {"type": "user", "user_id": "U2"},
                    {"type": "emoji", "name": "wave"},
                ],
            },
            {
                "type": "rich_text_list",
                "style": "bullet",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]}
                ],
            },
        ],
    }
    blocks = [
        header("A header :tada:"),
        section("With a picker", accessory=static_select(pick, initial="b")),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Pairs*\n9 active"}] * 2},
        actions(
            button("Agree", "a", style="primary"),
            button("Remove", "r", style="danger"),
            docs,
            sneaky,
            overflow,
            conversations_select("C1"),
            multi_users_select(["U1", "U2"], most=3),
            datepicker(date(2026, 3, 2)),
            timepicker(time(14, 30)),
        ),
        {
            **context("Private to your pair"),
            "elements": [
                {"type": "image", "image_url": f"data:image/png;base64,{PIXEL}", "alt_text": "dot"},
                {"type": "mrkdwn", "text": "Private to <@U1>"},
            ],
        },
        divider(),
        {"type": "image", "image_url": f"data:image/png;base64,{PIXEL}", "alt_text": "chart"},
        {"type": "image", "image_url": "https://example.com/x.png", "alt_text": "remote"},
        input_block(
            "i",
            "Tell us",
            text_input(multiline=True, placeholder="Say"),
            hint="A hint",
            optional=True,
        ),
        input_block("n", "How many", number_input(5)),
        input_block("c", "Which", checkboxes(pick, initial=["a"])),
        input_block("r", "One", radio_buttons(pick, initial="b")),
        input_block("m", "Several", multi_select(pick, initial=["a", "b"])),
        input_block("t", "Kept", text_input("as typed <b>")),
        rich,
        {"type": "video", "title": {"type": "plain_text", "text": "v"}},
    ]
    drawn = Page(BlockDrawer(NAMES).blocks(blocks))
    text = drawn.text
    assert [a["class"] for a in drawn.having("b-header")] == ["b-header"]
    assert "A header 🎉" in text
    assert "Beta" in text
    assert len(drawn.having("accessory")) == 1
    assert len(drawn.having("field")) == 2
    assert "Pairs9 active" in text
    assert drawn.having("primary")
    assert drawn.having("danger")
    # Only the button to a web page is a link.
    assert drawn.values("href") == ["https://example.com/guide"]
    assert "Sneaky" in text
    assert drawn.having("overflow")[0]["title"] == "Alpha · Beta"
    assert "#mentoring-leads" in text
    assert "@Ana Okafor" in text
    assert "@Ben Berg" in text
    assert "Mon 2 Mar 2026" in text
    assert "14:30" in text
    assert "Private to @Ana Okafor" in text
    # Pictures come from data: URIs only; a remote one shows as its alt text.
    assert all(src.startswith("data:image/png;base64,") for src in drawn.values("src"))
    assert len(drawn.values("src")) == 2
    assert "🖼 remote" in text
    assert "Tell us (optional)" in text
    assert "A hint" in text
    assert "Say" in text
    assert drawn.having("multi")
    assert "5" in text
    assert "as typed <b>" in text
    assert [len(drawn.having(kind)) for kind in ("box", "radio")] == [2, 2]
    assert len(drawn.having("on")) == 2
    assert len(drawn.having("pick")) == 2 + 2  # two people, two options
    assert "Hi @Ben Berg👋" in text
    assert "one" in text
    assert "[video]" in text


def test_plain_text_is_not_mrkdwn() -> None:
    drawn = Page(BlockDrawer(NAMES).blocks([header("*not bold* <@U1> &amp;")]))
    assert drawn.text == "*not bold* <@U1> &amp;"
    assert not drawn.having("mention")


# --- the page, from the bot's real views ---------------------------------------------------------


def test_the_page_draws_every_surface_the_bot_used(sample: Transcript, page: str) -> None:
    shown = Page(page)
    surfaces = [a["data-surface"] for a in shown.having("entry")]
    assert surfaces == [e.surface for e in sample.entries]
    # The goals modal and the goal form, as dialogs with their buttons.
    assert list(re.findall(r'class="modal-title">([^<]*)<', page)) == ["Goals", "Add a goal"]
    assert "Save goal" in shown.text
    assert "Cancel" in shown.text
    assert "The goal" in shown.text
    assert "At least five words" in shown.text
    # The scorecard prompt: the chosen rating is the green button.
    assert re.search(r'<span class="btn primary">8</span>', page)
    # The digest's header, its fields in two columns, and its chart inline.
    assert "Cohort digest: Spring cohort" in shown.text
    assert len(shown.having("fields")) >= 1
    [chart] = shown.having("upload")
    assert chart["src"].startswith("data:image/png;base64,iVBOR")
    # Both Home tabs, with the lead's programs.
    assert len(shown.having("home")) == 2
    assert "Programs you lead" in shown.text
    assert shown.text.count("Only visible to you") == 0
    # The summary and its counts.
    assert "12 pairs met weekly" in shown.text
    assert "2 DMs" in shown.text
    assert "2 modals" in shown.text
    assert "2 Home tab updates" in shown.text


def test_mentions_show_names_never_ids(sample: Transcript, page: str) -> None:
    shown = Page(page).text
    mentor, mentee = (p for p in sample.people if p.role != "lead")
    assert f"@{mentor.name} will mentor @{mentee.name}" in shown
    assert "#mentoring-leads" in shown
    assert not re.search(r"<[@#!]", shown)
    assert not re.search(r"@U[A-Z0-9]{6,}", shown)


def test_the_filter_marks_who_saw_each_entry(sample: Transcript, page: str) -> None:
    shown = Page(page)
    entries = list(shown.having("entry"))
    assert [a["data-audience"] for a in entries] == [" ".join(e.audience) for e in sample.entries]
    links = {a["data-person"]: a["href"] for a in shown.having("who")}
    assert links.pop("") == "#all"
    assert links == {p.user_id: f"#person={p.user_id}" for p in sample.people}
    for person in sample.people:
        rule = f'body[data-person="{person.user_id}"] [data-audience]:not([data-audience~='
        assert rule in page
    # A week or a day is hidden only when its person saw none of it.
    weeks = [set(a["data-audience"].split()) for a in shown.having("week")]
    assert len(weeks) == 3
    assert weeks[0] == {p.user_id for p in sample.people if p.role != "lead"}
    assert weeks[2] == {LEAD}
    # The script only reads the hash; it carries nothing from the transcript.
    assert [s for s in shown.scripts if s.strip()]
    script = "".join(shown.scripts)
    assert not [p for p in sample.people if p.user_id in script or p.name in script]


def test_the_page_needs_no_network(sample: Transcript) -> None:
    linked = replace(
        sample.entries[-1],
        surface="dm",
        where="DM with mentorbot",
        blocks=(
            section("Read <https://example.com/guide|the guide> or <mailto:l@example.com|ask>"),
            {"type": "image", "image_url": "https://example.com/tracker.png", "alt_text": "x"},
        ),
    )
    transcript = replace(sample, entries=[*sample.entries, linked])
    html = render_html(transcript)
    shown = Page(html)
    assert all(src.startswith("data:image/") for src in shown.values("src"))
    outside = [h for h in shown.values("href") if not h.startswith("#")]
    assert outside == ["https://example.com/guide", "mailto:l@example.com"]
    assert not {tag for tag, _ in shown.tags} & {"link", "iframe", "object", "embed", "base"}
    for css in re.findall(r"<style>(.*?)</style>", html, re.DOTALL):
        assert "url(" not in css
        assert "@import" not in css
    assert "example.com/tracker.png" not in html


def test_hostile_words_render_as_text(cohort: Cohort) -> None:
    """A ``<script>`` in a goal, a person's name or an id is shown, never run."""
    goal = goal_view(HOSTILE, goal_id=9, pairing_id=cohort.pairing_id, proposed_by=cohort.mentee)
    request = build_agreement_request(goal, proposer_user_id=cohort.mentee, program_name=HOSTILE)
    overview = build_goals_overview(
        GoalBoard(
            pairing_id=cohort.pairing_id,
            program_name=HOSTILE,
            viewer_user_id=cohort.mentor,
            viewer_role=Role.MENTOR,
            partner_user_id=cohort.mentee,
            last_day=date(2026, 6, 7),
            live=True,
            goals=[goal],
        ),
        today=NOW.date(),
    )
    evil_id = 'U1"]{}</style><script>alert(1)</script>'
    people = (
        Person(cohort.mentee, HOSTILE, "mentee", "Europe/Lisbon", HOSTILE, HOSTILE),
        Person(evil_id, "Evil", "mentor", "</script>", "x", ""),
    )
    at = NOW
    transcript = Transcript(
        title=HOSTILE,
        start=at,
        end=at + timedelta(days=1),
        people=people,
        names={cohort.mentor: HOSTILE},
        summary=[escape(HOSTILE)],
        entries=[
            Entry(
                at,
                "dm",
                (cohort.mentor, evil_id),
                HOSTILE,
                tuple(request["blocks"]),
                verb=HOSTILE,
                images=(
                    Image("evil.svg", "image/svg+xml", base64.b64encode(b"<svg/>").decode()),
                    Image("broken.png", "image/png", 'AAAA" onerror="alert(1)'),
                ),
            ),
            Entry(at, "modal", (cohort.mentor,), "Modal", tuple(overview["blocks"]), title=HOSTILE),
            Entry(
                at,
                "dm",
                (cohort.mentee,),
                "DM with mentorbot",
                (
                    section(f"Read {link('click', 'javascript:alert(1)', limit=100)}"),
                    section("<javascript:alert(1)|innocent>"),
                ),
            ),
            Entry(at, "action", (evil_id,), HOSTILE, text=f"typed `{HOSTILE}`"),
        ],
    )
    html = render_html(transcript)
    shown = Page(html)
    tags = [tag for tag, _ in shown.tags]
    assert tags.count("script") == 1
    assert tags.count("style") == 1
    assert not [name for _, attrs in shown.tags for name in attrs if name.startswith("on")]
    assert all(href.startswith(("#", *LIVE)) for href in shown.values("href"))
    assert all(src.startswith("data:image/") for src in shown.values("src"))
    assert "evil.svg" in shown.text
    assert "broken.png" in shown.text
    # The goal reads as the mentee typed it, in the DM and in the modal.
    assert shown.text.count(HOSTILE) >= 6
    assert "javascript:alert(1)" in shown.text
    assert "innocent" in shown.text
    # The hostile id only ever appears escaped in the filter's CSS.
    [css] = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert "</" not in css
    assert "<" not in css


def test_the_page_reads_back_from_json(sample: Transcript, page: str) -> None:
    again = Transcript.from_json(sample.to_json())
    assert render_html(again) == page
    assert render_text(again) == render_text(sample)


# --- the text transcript -------------------------------------------------------------------------


def lines_of(text: str) -> Iterator[str]:
    return (line.strip() for line in text.splitlines())


def test_text_transcript_flattens_blocks(sample: Transcript) -> None:
    text = render_text(sample)
    lines = list(lines_of(text))
    mentor, mentee = (p for p in sample.people if p.role != "lead")
    assert lines[0] == sample.title
    assert set(lines[1]) == {"═"}
    # Headers underlined; fields as "label: value"; buttons and inputs as a reader sees them.
    at = lines.index("Cohort digest: Spring cohort")
    assert set(lines[at + 1]) == {"─"}
    assert any(re.fullmatch(r"Pairs: \d+ active · \d+ lapsing · \d+ stalled", s) for s in lines)
    assert "[Agree]  [Suggest a change]  [All goals]" in lines
    assert any(s.startswith("│ The goal: ____") for s in lines)
    assert "│ Due date: [Pick a date ▾]" in lines
    assert "└─ [Cancel]  [Save goal]" in lines
    # Where, when and who; what people did.
    assert any(s.startswith("09:00 UTC  #mentoring-leads → Priya Raman") for s in lines)
    assert f"10:12 UTC  {mentee.name} typed `/mentor goals` (in DM with mentorbot)" in lines
    assert f"Welcome to Spring cohort! @{mentor.name} will mentor @{mentee.name}." in lines
    assert "[file: digest-spring-cohort-2026-03-02.png · Sessions per week" in text
    assert "\x1b" not in text
    assert "<@" not in text
    assert "*" not in text


def test_text_colour_only_when_asked_and_control_characters_never(cohort: Cohort) -> None:
    goal = goal_view(
        "Ring\x07 the \x1b]0;owned\x07 bell \x9b31m",
        goal_id=3,
        pairing_id=cohort.pairing_id,
        proposed_by=cohort.mentee,
    )
    request = build_agreement_request(goal, proposer_user_id=cohort.mentee, program_name="P")
    people = (Person(cohort.mentor, "Ben\x1b[2J", "mentor", "UTC", "x"),)
    transcript = Transcript(
        title="t",
        start=NOW,
        end=NOW,
        people=people,
        entries=[Entry(NOW, "dm", (cohort.mentor,), "DM", tuple(request["blocks"]))],
    )
    plain = render_text(transcript)
    coloured = render_text(transcript, color=True)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", plain)
    assert "Ring\ufffd the \ufffd]0;owned\ufffd bell \ufffd31m" in plain
    assert "\x1b[1m" in coloured
    # Colour adds only its own sequences.
    assert re.sub(r"\x1b\[\d+m", "", coloured) == plain


def test_an_empty_run_says_so() -> None:
    empty = Transcript(title="Nothing", start=NOW, end=NOW, people=())
    assert "Nothing happened in this run." in Page(render_html(empty)).text
    assert render_text(empty).endswith("Nothing happened in this run.\n")


def test_transcript_json_keeps_the_chart(sample: Transcript) -> None:
    raw = json.loads(sample.to_json())
    [digest] = [e for e in raw["entries"] if e["surface"] == "channel"]
    assert base64.b64decode(digest["images"][0]["data_base64"]).startswith(b"\x89PNG")
