"""Take the README's screenshots of the demo's transcript page (for maintainers).

Run from the repository root, after ``mentorbot demo``::

    python -m tests.demo_screenshots docs/                      # demo-output/index.html
    python -m tests.demo_screenshots --sample docs/             # the hand-made sample

It needs Playwright (the ``dev`` extra) and Debian's ``chromium``; the same browser code runs
the browser test, so what the README shows is what the test checked.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot.demo.render_html import render_html
from tests.browser import chromium_path, open_transcript, take_screenshots
from tests.demo_sample import sample_transcript


def main(argv: Sequence[str] | None = None) -> int:
    """Write demo-overview.png, demo-digest.png, demo-goals-modal.png and demo-home.png."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.demo_screenshots",
        description="Screenshot the demo's transcript page for the README.",
    )
    parser.add_argument("out_dir", type=Path, help="where the PNGs go, e.g. docs/")
    parser.add_argument(
        "--page",
        type=Path,
        default=Path("demo-output/index.html"),
        help="the transcript page (default: demo-output/index.html, as mentorbot demo writes it)",
    )
    parser.add_argument(
        "--sample", action="store_true", help="draw the hand-made sample instead of a page"
    )
    args = parser.parse_args(argv)
    if chromium_path() is None:
        sys.stderr.write("error: no chromium on PATH; install Debian's chromium package\n")
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        page = args.page
        if args.sample:
            page = Path(scratch) / "index.html"
            page.write_text(render_html(sample_transcript()), encoding="utf-8")
        elif not page.is_file():
            sys.stderr.write(f"error: no page at {page}; run `mentorbot demo` first\n")
            return 1
        with open_transcript(page) as opened:
            written = take_screenshots(opened, args.out_dir)
    sys.stdout.write("".join(f"wrote {path}\n" for path in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
