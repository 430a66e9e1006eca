"""The transcript page in a real browser: headless Chromium draws it as a program lead sees it.

What the README promises must be on screen: the digest with its chart loaded, a scorecard
prompt, the goals modal and a lead's Home tab; the person filter must hide what the person did
not see; and the page must ask the network for nothing. The screenshots it takes are the ones
``python -m tests.demo_screenshots docs/`` writes for the README, through the same code
(``tests/browser.py``). Skipped only when no ``chromium`` binary is installed (``.ci/run``
installs Debian's package).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, expect

from tests.browser import (
    SCREENSHOTS,
    VIEWPORT,
    OpenPage,
    chromium_path,
    open_transcript,
    take_screenshots,
)
from tests.demo_run import Run

pytestmark = pytest.mark.skipif(
    chromium_path() is None,
    reason="no chromium binary on PATH: install Debian's chromium package (.ci/run does)",
)

# Every entry, with who saw it and whether the browser shows it.
SHOWN = """() => [...document.querySelectorAll("[data-surface]")].map(el => [
  el.getAttribute("data-audience").split(" "), el.getClientRects().length > 0])"""


@pytest.fixture(scope="module")
def demo_page(html_run: Run) -> Path:
    """The page ``mentorbot demo`` wrote (``tests/demo_run.py``: one run per test process)."""
    assert html_run.returncode == 0, html_run.stderr
    return html_run.out / "index.html"


@pytest.fixture
def opened(demo_page: Path) -> Iterator[OpenPage]:
    """The page in a fresh headless Chromium; it must have asked for nothing and raised nothing."""
    with open_transcript(demo_page) as opened:
        yield opened
        assert opened.blocked == []
        assert opened.errors == []


def test_what_the_readme_promises_is_on_screen(opened: OpenPage) -> None:
    for entry in (opened.digest(), opened.scorecard(), opened.goals_modal(), opened.lead_home()):
        entry.scroll_into_view_if_needed()
        expect(entry).to_be_visible()
    chart = opened.digest().locator("img.upload")
    chart.scroll_into_view_if_needed()
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.complete && img.naturalWidth") > 0
    expect(opened.goals_modal().locator(".modal-title")).to_have_text("Goals")
    expect(opened.goals_modal().locator(".btn.primary", has_text="Add a goal")).to_be_visible()
    expect(opened.scorecard().locator(".b-actions .btn")).to_have_count(3 * 10 + 1)
    expect(opened.lead_home().locator(".tab.on")).to_have_text("Home")


def test_the_filter_shows_one_persons_view(opened: OpenPage, demo_page: Path) -> None:
    page = opened.page
    mentee = _audience(opened.goals_modal())[0]
    page.locator(f'.who[data-person="{mentee}"]').click()
    expect(page.locator("body")).to_have_attribute("data-person", mentee)
    assert page.url.endswith(f"#person={mentee}")
    shown = page.evaluate(SHOWN)
    assert any(visible for _, visible in shown)
    assert all(visible == (mentee in audience) for audience, visible in shown)
    assert opened.digest().is_visible() == (mentee in _audience(opened.digest()))
    expect(page.locator(f'.viewing[data-for="{mentee}"]')).to_be_visible()

    page.locator(".who.everyone").click()
    expect(page.locator("body")).to_have_attribute("data-person", "")
    assert all(visible for _, visible in page.evaluate(SHOWN))

    # A person's view opens straight from its address, as a link or a screenshot would.
    lead = _audience(opened.lead_home())[0]
    page.goto(f"{demo_page.resolve().as_uri()}#person={lead}")
    expect(page.locator("body")).to_have_attribute("data-person", lead)
    expect(opened.lead_home()).to_be_visible()
    assert all(visible == (lead in audience) for audience, visible in page.evaluate(SHOWN))


def test_an_unknown_person_shows_everyone(opened: OpenPage) -> None:
    opened.page.evaluate("location.hash = 'person=UNOBODY'")
    expect(opened.page.locator("body")).to_have_attribute("data-person", "")
    assert all(visible for _, visible in opened.page.evaluate(SHOWN))


def test_screenshots_for_the_readme(opened: OpenPage, tmp_path: Path) -> None:
    written = take_screenshots(opened, tmp_path)
    assert [path.name for path in written] == list(SCREENSHOTS)
    sizes = [_png_size(path) for path in written]
    assert sizes[0] == (VIEWPORT["width"], VIEWPORT["height"])
    assert all(width >= 400 and height >= 200 for width, height in sizes[1:])


def _audience(entry: Locator) -> list[str]:
    """Who saw an entry, from the page."""
    return (entry.get_attribute("data-audience") or "").split()


def _png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height, from its header."""
    head = path.read_bytes()[:24]
    assert head.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", head[16:24])
    return width, height
