"""``mentorbot demo``: the cohort's twelve weeks, played through the real bot, as a user runs it.

The demo runs twice: once as a user would (the console script's module in a fresh process, from
an empty working directory, with an empty home, no ``.env`` and no tokens), writing the HTML
page (``tests/demo_run.py``, shared with the browser test); once in this process with
``--format text``. What the people
saw is read from the transcript; what the bot recorded, from the database it wrote in the
output folder.
"""

import base64
import contextlib
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.demo import cohort
from bot.demo.transcript import Entry, Transcript
from bot.wiring.cli import main
from storage.db import make_engine
from storage.enums import DeliveryStatus, MeetingStatus, PairingStatus
from storage.models import Delivery, Feedback, Meeting, Pairing, Scorecard
from tests.blockkit import Surface, assert_valid_view
from tests.demo_run import Run

LEAD = cohort.LEAD.user_id
PRIYA, TOM, ANA, HIRO, EMILY, AISHA = (m.user_id for m in cohort.MENTEES)
LEADS_CHANNEL = f"#{cohort.LEADS_CHANNEL.name}"
PNG = b"\x89PNG\r\n\x1a\n"
PROGRESS = re.compile(r"^week +(\d+)/12: (\d+) messages, (\d+) sessions held$")


@pytest.fixture(scope="module")
def text_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``mentorbot demo --format text`` in this process, its output captured."""
    out = tmp_path_factory.mktemp("demo-text") / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        # The demo points matplotlib's cache into its folder unless told otherwise: put the
        # variable back as it was afterwards.
        patch.setenv("MPLCONFIGDIR", str(out / ".matplotlib"))
        code = main(["demo", "--format", "text", "--out", str(out), "--seed", "2026"])
    return Run(out, code, stdout.getvalue(), stderr.getvalue())


@pytest.fixture(scope="module")
def transcript(html_run: Run) -> Transcript:
    """What everyone saw and did, as the run wrote it."""
    assert html_run.returncode == 0, html_run.stderr
    return Transcript.from_json((html_run.out / "transcript.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def database(html_run: Run) -> Iterator[Engine]:
    """The database the bot wrote during the run (read only here)."""
    engine = make_engine(f"sqlite:///{html_run.out / 'mentorbot.db'}")
    yield engine
    engine.dispose()


def sent(engine: Engine, rule: str) -> list[Delivery]:
    """The messages of ``rule`` the outbox sent."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(Delivery).where(
                    Delivery.rule == rule, col(Delivery.status) == DeliveryStatus.SENT.value
                )
            )
        )


def pairing_of(engine: Engine, mentee: str) -> Pairing:
    """The mentee's pairing."""
    with Session(engine) as session:
        pairing = session.exec(select(Pairing).where(Pairing.mentee_user_id == mentee)).one()
        session.expunge(pairing)
        return pairing


def seen(transcript: Transcript, user_id: str, surface: str) -> list[Entry]:
    """What ``user_id`` saw on ``surface``."""
    return [e for e in transcript.for_person(user_id) if e.surface == surface]


def words(entry: Entry) -> str:
    """Everything an entry says, blocks included."""
    return entry.text + json.dumps(entry.blocks, ensure_ascii=False)


# --- running it -------------------------------------------------------------------------------


def test_it_finishes_and_sums_up_what_happened(html_run: Run, transcript: Transcript) -> None:
    assert html_run.returncode == 0, html_run.stderr
    assert "problem" not in html_run.stderr
    assert "Traceback" not in html_run.stderr
    assert html_run.stdout.startswith("What happened:")
    for line in transcript.summary:
        assert line in html_run.stdout
    assert f"Open {html_run.out / 'index.html'}" in html_run.stdout
    summary = "\n".join(transcript.summary)
    assert "6 pairs were matched" in summary
    assert "graduated early" in summary
    assert "Lapse: Tom and Daniel" in summary
    assert "Falling scorecards: Ana's" in summary
    assert "Digests: 11 posted to #mentoring-leads" in summary


def test_it_writes_the_page_and_nothing_outside_its_folder(html_run: Run) -> None:
    root = html_run.out.parent
    assert sorted(p.name for p in (root / "cwd").iterdir()) == []
    assert sorted(p.name for p in (root / "home").iterdir()) == []
    assert sorted(p.name for p in (root / "tmp").iterdir()) == []
    written = {p.name for p in html_run.out.iterdir()}
    assert {"index.html", "transcript.json", "mentorbot.db"} <= written
    assert written - {"index.html", "transcript.json", ".matplotlib"} <= {
        "mentorbot.db",
        "mentorbot.db-wal",
        "mentorbot.db-shm",
    }
    page = (html_run.out / "index.html").read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "Priya Raman" in page


def test_progress_is_a_plain_line_per_week_off_a_terminal(html_run: Run) -> None:
    lines = [line for line in html_run.stderr.splitlines() if line.strip()]
    matched = [PROGRESS.match(line) for line in lines]
    assert all(matched), lines
    assert [int(m.group(1)) for m in matched if m] == list(range(1, 13))
    assert sum(int(m.group(3)) for m in matched if m) >= 30


def test_the_text_format_prints_the_transcript(text_run: Run, transcript: Transcript) -> None:
    assert text_run.returncode == 0, text_run.stderr
    assert text_run.stdout.startswith(transcript.title)
    for member in cohort.EVERYONE:
        assert member.name in text_run.stdout
    assert "Week 12" in text_run.stdout
    assert [PROGRESS.match(line) is not None for line in text_run.stderr.splitlines()] == [
        True
    ] * 12
    assert not (text_run.out / "index.html").exists()


def test_the_same_seed_plays_the_same_story(text_run: Run, transcript: Transcript) -> None:
    from bot.demo.render_text import render_text

    assert text_run.stdout.rstrip("\n") == render_text(transcript).rstrip("\n")


# --- the story, as the bot lived it -------------------------------------------------------------


def test_everyone_joined_and_every_mentee_was_matched(
    transcript: Transcript, database: Engine
) -> None:
    with Session(database) as session:
        pairings = session.exec(select(Pairing)).all()
    assert {p.mentee_user_id for p in pairings} == {m.user_id for m in cohort.MENTEES}
    assert all(p.started_at is not None for p in pairings)
    for member in (*cohort.MENTORS, *cohort.MENTEES):
        modals = [e.title for e in seen(transcript, member.user_id, "modal")]
        assert f"Join {cohort.PROGRAM}" in modals
    introductions = [e for e in transcript.entries if e.surface == "group_dm"]
    assert {m for e in introductions for m in e.audience} >= {m.user_id for m in cohort.MENTEES}


def test_the_thriving_pair_met_every_week_rated_and_heard_back(database: Engine) -> None:
    pairing = pairing_of(database, PRIYA)
    with Session(database) as session:
        held = session.exec(
            select(Meeting).where(
                Meeting.pairing_id == pairing.id, Meeting.status == MeetingStatus.HELD
            )
        ).all()
        cards = session.exec(
            select(Scorecard).where(
                Scorecard.pairing_id == pairing.id, col(Scorecard.completed_at).is_not(None)
            )
        ).all()
        notes = session.exec(select(Feedback).where(Feedback.pairing_id == pairing.id)).all()
    assert len(held) >= 10
    assert len(cards) == len(held)
    assert min(min(c.clarity or 0, c.energy or 0, c.confidence or 0) for c in cards) >= 7
    assert len(notes) >= len(held) - 1
    assert pairing.status is PairingStatus.GRADUATED


def test_the_lapsing_pair_was_nudged_the_lead_told_and_they_came_back(
    transcript: Transcript, database: Engine
) -> None:
    tom = pairing_of(database, TOM)
    nudged = {d.recipient_id for d in sent(database, "lapse_nudge") if d.pairing_id == tom.id}
    assert nudged == {TOM, tom.mentor_user_id}
    escalations = [d for d in sent(database, "lapse_escalation") if d.pairing_id == tom.id]
    assert [d.recipient_id for d in escalations] == [LEAD]
    notes = [d for d in sent(database, "lead_nudge") if d.pairing_id == tom.id]
    assert {d.recipient_id for d in notes} == {TOM, tom.mentor_user_id}
    with Session(database) as session:
        after = session.exec(
            select(Meeting).where(
                Meeting.pairing_id == tom.id,
                Meeting.status == MeetingStatus.HELD,
                col(Meeting.held_at) > min(d.sent_at for d in notes if d.sent_at),
            )
        ).all()
    assert after, "the pair never met again after the lead's note"
    # The others never lapsed.
    lapsed = {d.pairing_id for d in sent(database, "lapse_nudge")}
    assert lapsed == {tom.id}
    assert any("nudge" in e.text.lower() for e in seen(transcript, LEAD, "action"))


def test_the_falling_scorecards_reach_the_mentor_then_the_digest(
    transcript: Transcript, database: Engine
) -> None:
    ana = pairing_of(database, ANA)
    to_mentor = [
        d
        for d in sent(database, "signal_nudge")
        if d.pairing_id == ana.id and d.recipient_id == ana.mentor_user_id
    ]
    assert to_mentor
    escalated = [d for d in sent(database, "signal_escalation") if d.pairing_id == ana.id]
    assert [d.recipient_id for d in escalated] == [LEAD]
    digests = [e for e in transcript.entries if e.where == LEADS_CHANNEL and e.verb == "posted"]
    flagged = [e for e in digests if "Low scorecards" in words(e) and "Ana Souza" in words(e)]
    assert flagged, "no digest shows the pair's falling scorecards"


def test_the_early_graduate_graduated_with_both_parts_and_a_celebration(
    transcript: Transcript, database: Engine
) -> None:
    hiro = pairing_of(database, HIRO)
    assert hiro.status is PairingStatus.GRADUATED
    assert hiro.ended_at is not None
    assert hiro.ended_at.replace(tzinfo=UTC) < datetime(2026, 4, 20, tzinfo=UTC)
    actions = [e.text for e in seen(transcript, HIRO, "action")]
    assert f"typed `/mentor graduate <@{hiro.mentor_user_id}>`" in actions
    public = [
        e
        for e in transcript.entries
        if e.where == f"#{cohort.COHORT_CHANNEL.name}" and f"<@{HIRO}>" in words(e)
    ]
    assert public, "the graduation was not celebrated in #mentoring"


def test_everyone_can_see_goals_homes_and_the_weekly_digest_with_its_chart(
    transcript: Transcript,
) -> None:
    for mentee in cohort.MENTEES:
        titles = {e.title for e in seen(transcript, mentee.user_id, "modal")}
        assert {"Goals", "Add a goal"} <= titles, mentee.name
    assert seen(transcript, LEAD, "home")
    assert seen(transcript, PRIYA, "home")
    digests = [e for e in transcript.entries if e.where == LEADS_CHANNEL and e.verb == "posted"]
    assert len(digests) == 11
    for digest in digests:
        [chart] = digest.images
        assert chart.mimetype == "image/png"
        assert base64.b64decode(chart.data_base64).startswith(PNG)
    assert all(e.audience == (LEAD,) for e in digests)


def test_the_pause_and_the_unlogged_sessions_went_through_the_bot(database: Engine) -> None:
    ended = [d for d in sent(database, "pause_ended") if d.recipient_id == AISHA]
    assert ended
    emily = pairing_of(database, EMILY)
    asked = {d.recipient_id for d in sent(database, "did_you_meet") if d.pairing_id == emily.id}
    assert EMILY in asked


# --- what the bot showed is valid Slack ---------------------------------------------------------


def _as_slack_shows_it(entry: Entry) -> tuple[dict[str, Any], Surface]:
    if entry.surface == "modal":
        view: dict[str, Any] = {
            "type": "modal",
            "title": {"type": "plain_text", "text": entry.title},
            "blocks": list(entry.blocks),
        }
        for key in ("submit", "close"):
            if getattr(entry, key):
                view[key] = {"type": "plain_text", "text": getattr(entry, key)}
        return view, "modal"
    if entry.surface == "home":
        return {"type": "home", "blocks": list(entry.blocks)}, "home"
    return {"text": entry.text, "blocks": list(entry.blocks)}, "message"


def test_every_message_and_modal_passes_the_block_kit_checker(transcript: Transcript) -> None:
    shown = [e for e in transcript.entries if e.surface != "action" and e.blocks]
    assert len(shown) > 500
    for entry in shown:
        view, surface = _as_slack_shows_it(entry)
        assert_valid_view(view, surface=surface)
