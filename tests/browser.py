"""Headless Chromium for the demo's transcript page: one place for the browser test and the
README's screenshots (``python -m tests.demo_screenshots``), so both see the page the same way.

It drives Debian's ``chromium`` (found on PATH) through Playwright, with the network shut: the
page must be self-contained, so any request that is not the page itself or a ``data:`` URI is
refused and recorded for the caller to check.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page, Route, ViewportSize, sync_playwright

LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# A laptop's screen: what a program lead opening the page sees first.
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
# The README's screenshots, by file name.
SCREENSHOTS = ("demo-overview.png", "demo-digest.png", "demo-goals-modal.png", "demo-home.png")


def chromium_path() -> str | None:
    """Debian's chromium binary, if installed."""
    return shutil.which("chromium")


@dataclass
class OpenPage:
    """A loaded transcript page, and what went wrong while it ran."""

    page: Page
    blocked: list[str] = field(default_factory=list)  # requests that would have left the machine
    errors: list[str] = field(default_factory=list)  # script errors and console errors

    def show(self, user_id: str = "") -> None:
        """Show one person's view (``#person=U…``), or everyone's."""
        self.page.evaluate("id => { location.hash = id ? 'person=' + id : 'all'; }", user_id)
        self.page.wait_for_function(
            "id => document.body.getAttribute('data-person') === id", arg=user_id
        )

    def entries(self, surface: str, text: str) -> Locator:
        """Entry cards of one surface that contain ``text``."""
        return self.page.locator(f'article.entry[data-surface="{surface}"]', has_text=text)

    def digest(self) -> Locator:
        """The latest cohort digest in the leads' channel (the fullest chart)."""
        return self.entries("channel", "Cohort digest").last

    def scorecard(self) -> Locator:
        """The first scorecard prompt (three rows of 1-10 buttons)."""
        return self.entries("dm", "Three quick ratings").first

    def goals_modal(self) -> Locator:
        """The latest goals overview modal (by then the pair has goals)."""
        title = self.page.locator(".modal-title", has_text="Goals")
        return self.page.locator('article.entry[data-surface="modal"]', has=title).last

    def lead_home(self) -> Locator:
        """The last Home tab a lead was shown (their programs' health)."""
        return self.entries("home", "Programs you lead").last


@contextmanager
def open_transcript(path: Path, *, executable: str | None = None) -> Iterator[OpenPage]:
    """The page at ``path`` in headless Chromium, the network refused."""
    binary = executable or chromium_path()
    if binary is None:
        raise RuntimeError("no chromium binary on PATH; install Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=list(LAUNCH_ARGS))
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            opened = OpenPage(page)

            def refuse_network(route: Route) -> None:
                url = route.request.url
                if url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    opened.blocked.append(url)
                    route.abort()

            context.route("**/*", refuse_network)
            page.on("pageerror", lambda error: opened.errors.append(str(error)))
            page.on(
                "console",
                lambda message: (
                    opened.errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.goto(path.resolve().as_uri())
            page.wait_for_load_state("load")
            yield opened
        finally:
            browser.close()


def take_screenshots(opened: OpenPage, out_dir: Path) -> list[Path]:
    """The README's four screenshots of an open transcript page, written into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    overview, digest, goals, home = (out_dir / name for name in SCREENSHOTS)
    page = opened.page
    opened.show()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(overview))
    # A card taller than the window is shot in slices: headers that stick would show in each.
    page.add_style_tag(content=".top,.day-h{position:static!important}")
    _element(opened.digest(), digest)
    _element(opened.goals_modal(), goals)
    _element(opened.lead_home(), home)
    opened.show()
    return [overview, digest, goals, home]


def _element(target: Locator, path: Path) -> None:
    target.scroll_into_view_if_needed()
    target.screenshot(path=str(path))
