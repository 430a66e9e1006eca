"""A lead's Home tab as a health view: buckets, plan, red flags with their buttons, paging.

The program is the seeded demo cohort (``seed_cohort``: a weekly program 12 weeks in on Monday
2 March 2026, with lapsing, stalled and paused pairs and every kind of red flag), led by Lee, who
is not a workspace admin. Alice (U0001) leads nothing. Every Home tab and modal is checked
against Block Kit's limits, and every message to the pair must come through the outbox once.
"""

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import SQLModel, col, select

from bot.deps import Deps
from bot.ids import ActionId
from bot.sandbox import slack_double
from bot.sandbox.demo_digest import seed_cohort
from bot.sandbox.slack_double import SlackDouble
from bot.services.digest import CohortMetrics, Health, RedFlag, cohort_metrics
from bot.services.home import FLAGS_PER_PAGE, NUDGE_RULE, HomePage, home_data, lead_flags
from bot.services.pairing import run_matching
from bot.views.home import (
    FLAG_NUDGE,
    FLAG_REMATCH,
    FLAG_REPORT,
    PAGE_NEXT,
    PAGE_PREVIOUS,
    REMATCH_CALLBACK,
    REMATCH_NOTE,
    REMATCH_REASON,
    REVIEW_PROPOSALS,
)
from scheduler.delivery import Deliverer, settle
from storage.db import make_engine, session_scope
from storage.enums import (
    FlagKind,
    GoalStatus,
    MeetingStatus,
    PairingStatus,
    ParticipantStatus,
    ProgramStatus,
    Role,
)
from storage.migrate import upgrade
from storage.models import (
    Delivery,
    Flag,
    Goal,
    Meeting,
    Pairing,
    Participant,
    PracticeTask,
    Program,
)
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot, eventually

TEAM = slack_double.DEFAULT_TEAM_ID
LEAD, OUTSIDER = "ULEAD", "U0001"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PROGRAM = "Spring cohort"
REFUSED = f"Only workspace admins and the leads of *{PROGRAM}* can"
# What the seeded pairs wrote: none of it may reach a lead.
PRIVATE_MARKERS = ("A private", "Private notes", "Private praise")


@pytest.fixture
def lead(slack: SlackDouble) -> str:
    """Lee, a program lead who is not a workspace admin."""
    slack.add_user(LEAD, name="lee", real_name="Lee Lead", tz="Europe/London")
    return LEAD


@pytest.fixture
def cohort(engine: Engine, lead: str) -> int:
    """The seeded cohort led by Lee, plus one proposal waiting for approval."""
    with session_scope(engine) as session:
        program = seed_cohort(session, pairs=60, now=NOW, name=PROGRAM, lead=lead)
        assert program.id is not None
        people = {}
        for user_id, role in (("UPMENTOR", Role.MENTOR), ("UPMENTEE", Role.MENTEE)):
            person = Participant(team_id=TEAM, program_id=program.id, user_id=user_id, role=role)
            session.add(person)
            session.flush()
            people[role] = person
        session.add(
            Pairing(
                team_id=TEAM,
                program_id=program.id,
                mentor_id=people[Role.MENTOR].id or 0,
                mentee_id=people[Role.MENTEE].id or 0,
                mentor_user_id="UPMENTOR",
                mentee_user_id="UPMENTEE",
                status=PairingStatus.PROPOSED,
                match_score=61.0,
            )
        )
        return program.id


def _metrics(engine: Engine, program_id: int) -> CohortMetrics:
    with session_scope(engine) as session:
        program = session.get(Program, program_id)
        assert program is not None
        return cohort_metrics(session, program=program, now=NOW)


def _flag(engine: Engine, program_id: int, kind: FlagKind) -> RedFlag:
    """The most urgent flag of ``kind`` on an active pair."""
    return next(f for f in _metrics(engine, program_id).flags if f.kind is kind and f.pairing_id)


def _home(
    bot: SlackToBot, slack: SlackDouble, user_id: str, *, timeout: float = 5.0
) -> dict[str, Any]:
    slack.reset()
    bot.event(slack_double.app_home_opened_event(user_id))
    [call] = slack.wait_for("views.publish", timeout=timeout)
    return _checked_home(call.params)


def _checked_home(params: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = params["view"]
    assert_valid_view(view, surface="home")
    assert len(view["blocks"]) <= 100
    return view


def _text(view: Any) -> str:
    return json.dumps(view, ensure_ascii=False)


def _buttons(view: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for block in view["blocks"]:
        elements = block.get("elements", []) if block["type"] == "actions" else []
        if block.get("accessory"):
            elements = [block["accessory"]]
        found += [(e["action_id"], e.get("value", "")) for e in elements if e["type"] == "button"]
    return found


def _press(
    bot: SlackToBot,
    slack: SlackDouble,
    action_id: str,
    value: str,
    user_id: str,
    *,
    page: str = "0:0:0",
    view: dict[str, Any] | None = None,
) -> None:
    """Press a button on the person's Home tab (showing ``page``), or in ``view``."""
    shown = view or {"id": "VHOME", "type": "home", "blocks": [], "private_metadata": page}
    response = bot.action(
        action_id, value, user_id=user_id, trigger_id=slack.new_trigger_id(), view=shown
    )
    assert response.status == 200


def _opened(slack: SlackDouble, count: int = 1) -> dict[str, Any]:
    view: dict[str, Any] = slack.wait_for("views.open", count=count)[count - 1].params["view"]
    assert_valid_view(view, surface="modal")
    return view


def _deliveries(engine: Engine, rule: str) -> list[Delivery]:
    with session_scope(engine) as session:
        query = select(Delivery).where(col(Delivery.rule) == rule).order_by(col(Delivery.id))
        return list(session.exec(query))


def _dms(slack: SlackDouble, user_id: str) -> list[dict[str, Any]]:
    found = slack.messages(slack.dm_channel_id(user_id))
    for params in found:
        assert_valid_view(params, surface="message")
    return found


# --- the view ------------------------------------------------------------------------------------


def test_a_lead_sees_buckets_plan_flags_and_what_waits_on_them(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: int
) -> None:
    metrics = _metrics(engine, cohort)
    counts, head = metrics.headline.counts, metrics.headline
    assert counts[Health.LAPSING]
    assert counts[Health.STALLED]
    assert counts[Health.PAUSED]
    view = _home(bot, slack, LEAD)
    text, buttons = _text(view), _buttons(view)
    assert (
        f"*Pairs:* :large_green_circle: {counts[Health.ACTIVE]} thriving · "
        f":large_yellow_circle: {counts[Health.LAPSING]} lapsing · "
        f":red_circle: {counts[Health.STALLED]} stalled · "
        f":double_vertical_bar: {counts[Health.PAUSED]} paused"
    ) in text
    assert (
        f"*Sessions:* {head.sessions_week} this week of {head.sessions_week_planned:g} planned · "
        f"{head.sessions_total} of {head.sessions_total_planned} planned to date"
    ) in text
    assert f"*Hours:* {head.hours_total:g} h held · " in text
    [waiting] = [f.user_ids[0] for f in metrics.flags_of(FlagKind.UNMATCHED)]
    assert "*Waiting on you:* 1 proposal to approve · " in text
    assert f"without a mentor (waiting for a new round: <@{waiting}>)" in text
    assert (REVIEW_PROPOSALS, str(cohort)) in buttons
    for control in (ActionId.PROGRAM_MATCH, ActionId.PROGRAM_EDIT, ActionId.PROGRAM_CLOSE):
        assert (control, str(cohort)) in buttons

    # The flags that need the lead soonest come first, each with its suggested action.
    flags = lead_flags(metrics)
    assert f"*Red flags* (1 to {FLAGS_PER_PAGE} of {len(flags)}, the most urgent first)" in text
    places = [text.index(flag.reason) for flag in flags[:FLAGS_PER_PAGE]]
    assert places == sorted(places)
    assert flags[0].kind is FlagKind.LAPSED
    for flag in flags[:FLAGS_PER_PAGE]:
        assert flag.action in text
        pairing = str(flag.pairing_id)
        assert (FLAG_NUDGE, f"{pairing}:{flag.kind.value}") in buttons
        assert (FLAG_REPORT, pairing) in buttons
        assert (FLAG_REMATCH, pairing) in buttons
    later = flags[FLAGS_PER_PAGE]
    assert (FLAG_REPORT, str(later.pairing_id)) not in buttons or later.pairing_id in {
        f.pairing_id for f in flags[:FLAGS_PER_PAGE]
    }
    assert (PAGE_NEXT, HomePage(0, cohort, FLAGS_PER_PAGE).value) in buttons
    # Numbers and flags only: none of the pairs' private words.
    for private in PRIVATE_MARKERS:
        assert private not in text


def test_a_program_without_pairs_says_so_and_drafts_keep_their_controls(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, lead: str
) -> None:
    with session_scope(engine) as session:
        for name, status in (("Autumn", ProgramStatus.ENROLLING), ("Plans", ProgramStatus.DRAFT)):
            session.add(
                Program(
                    team_id=TEAM,
                    name=name,
                    status=status,
                    start_date=date(2026, 4, 1),
                    competencies=["Python"],
                    created_by=lead,
                )
            )
    view = _home(bot, slack, lead)
    text, buttons = _text(view), _buttons(view)
    assert "No pairs running yet: approve a match to start one." in text
    assert "*Waiting on you:* nothing right now." in text
    assert "Red flags" not in text
    assert any(action == ActionId.PROGRAM_OPEN_ENROLMENT for action, _ in buttons)
    assert any(action == ActionId.PROGRAM_START for action, _ in buttons)
    assert view["blocks"][0]["type"] == "header"


# --- every button refuses someone who does not lead ----------------------------------------------


@pytest.mark.parametrize("button", ["nudge", "report", "rematch", "proposals", "flag page"])
def test_every_lead_button_refuses_someone_who_does_not_lead(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: int, button: str
) -> None:
    flag = _flag(engine, cohort, FlagKind.LAPSED)
    pairing = str(flag.pairing_id)
    action_id, value = {
        "nudge": (FLAG_NUDGE, f"{pairing}:{flag.kind.value}"),
        "report": (FLAG_REPORT, pairing),
        "rematch": (FLAG_REMATCH, pairing),
        "proposals": (REVIEW_PROPOSALS, str(cohort)),
        "flag page": (PAGE_NEXT, HomePage(0, cohort, FLAGS_PER_PAGE).value),
    }[button]
    slack.reset()
    _press(bot, slack, action_id, value, OUTSIDER)
    notice = _opened(slack)
    assert REFUSED in _text(notice)
    assert slack.calls_to("views.publish") == []
    assert slack.calls_to("chat.postMessage") == []
    with session_scope(engine) as session:
        assert session.exec(select(Delivery)).first() is None
        row = session.get(Pairing, flag.pairing_id)
        assert row is not None
        assert row.status is PairingStatus.ACTIVE


# --- nudging the pair ----------------------------------------------------------------------------

# What each person reads, per flag: (mentor, mentee, the button that fixes it).
NUDGE_WORDS = {
    FlagKind.LAPSED: ("haven't met for", "haven't met for", ActionId.SCHEDULE_OPEN),
    FlagKind.ONE_SIDED_EFFORT: (
        "'s action items from your recent sessions are still open",
        "the action items from your recent sessions with",
        ActionId.AGENDA_OPEN,
    ),
    FlagKind.AGENDA_DRIFT: ("Ask <@{mentee}> to add", "You own it", ActionId.AGENDA_OPEN),
    FlagKind.AVOIDED_FEEDBACK: (
        "hasn't named anything to change",
        "ask <@{mentor}> for one specific thing",
        None,
    ),
    FlagKind.LOW_SCORECARD: (
        "ask what would make your sessions more useful",
        "your recent session ratings",
        ActionId.AGENDA_OPEN,
    ),
    FlagKind.SKILL_GAP_UNRESOLVED: (
        "quite differently after two assessments",
        "quite differently after two assessments",
        ActionId.SKILLS_OPEN,
    ),
}


@pytest.mark.parametrize("kind", list(NUDGE_WORDS), ids=lambda k: k.value)
def test_a_nudge_reaches_each_person_once_kindly_and_names_the_lead(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: int, kind: FlagKind
) -> None:
    flag = _flag(engine, cohort, kind)
    mentor, mentee = flag.user_ids
    value = f"{flag.pairing_id}:{kind.value}"
    # The lead is on the page of the tab that shows this flag.
    index = lead_flags(_metrics(engine, cohort)).index(flag)
    page = HomePage(0, cohort, index // FLAGS_PER_PAGE * FLAGS_PER_PAGE).value
    slack.reset()
    _press(bot, slack, FLAG_NUDGE, value, LEAD, page=page)
    assert "Sent: a private note from you to" in _text(_opened(slack))
    assert eventually(lambda: len(_dms(slack, mentor)) == 1 and len(_dms(slack, mentee)) == 1)
    for person, words in ((mentor, NUDGE_WORDS[kind][0]), (mentee, NUDGE_WORDS[kind][1])):
        [note] = _dms(slack, person)
        text = _text(note)
        assert f"<@{LEAD}>, who leads *{PROGRAM}*, asked me to pass this on: " in text
        assert words.format(mentor=mentor, mentee=mentee) in text
        fix = NUDGE_WORDS[kind][2]
        if fix is None:
            assert not [b for b in note["blocks"] if b["type"] == "actions"]
        else:
            assert (fix, str(flag.pairing_id)) in _buttons(note)
    if kind is FlagKind.LAPSED:
        days = (NOW - (_pair_last(engine, cohort, flag))).days
        assert f"haven't met for {days} days" in _text(_dms(slack, mentor)[0])
    # The tab is redrawn: the flag says who nudged the pair, and when.
    [publish] = slack.wait_for("views.publish")
    assert f":envelope: Nudged by <@{LEAD}> today." in _text(_checked_home(publish.params))

    # A second click the same day sends nothing more, and says why.
    _press(bot, slack, FLAG_NUDGE, value, LEAD, page=page)
    assert "already got a nudge" in _text(_opened(slack, count=2))
    assert len(_deliveries(engine, NUDGE_RULE)) == 2
    assert len(_dms(slack, mentor)) == 1
    assert len(_dms(slack, mentee)) == 1
    slack.wait_for("views.publish", count=2)


def _pair_last(engine: Engine, program_id: int, flag: RedFlag) -> datetime:
    pair = next(p for p in _metrics(engine, program_id).pairs if p.pairing_id == flag.pairing_id)
    assert pair.last_session_at is not None
    return pair.last_session_at


def test_a_nudge_that_cannot_reach_someone_tells_the_lead(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: int
) -> None:
    flag = _flag(engine, cohort, FlagKind.AGENDA_DRIFT)
    mentor, mentee = flag.user_ids
    slack.reset()
    slack.fail_next("chat.postMessage", error="account_inactive")
    _press(bot, slack, FLAG_NUDGE, f"{flag.pairing_id}:{flag.kind.value}", LEAD)
    told = f"I couldn't deliver your nudge to <@{mentor}>"
    assert eventually(lambda: told in _text(_dms(slack, LEAD)))
    assert _dms(slack, mentor) == []
    assert eventually(lambda: len(_dms(slack, mentee)) == 1)
    assert [d.recipient_id for d in _deliveries(engine, NUDGE_RULE)] == [mentor, mentee]


def test_a_nudge_waits_for_the_persons_working_day(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    cohort: int,
) -> None:
    flag = _flag(engine, cohort, FlagKind.ONE_SIDED_EFFORT)
    mentor, mentee = flag.user_ids
    with session_scope(engine) as session:
        # 09:00 UTC on Monday is 18:00 in Tokyo: the mentee's working day is over.
        person = session.exec(
            select(Participant).where(
                Participant.program_id == cohort, Participant.user_id == mentee
            )
        ).one()
        person.timezone = "Asia/Tokyo"
        session.add(person)
    slack.reset()
    _press(bot, slack, FLAG_NUDGE, f"{flag.pairing_id}:{flag.kind.value}", LEAD)
    assert f"<@{mentee}> gets it when their working day starts." in _text(_opened(slack))
    assert eventually(lambda: len(_dms(slack, mentor)) == 1)
    settle(deps)
    assert _dms(slack, mentee) == []
    [_, waiting] = _deliveries(engine, NUDGE_RULE)
    assert waiting.due_at == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 09:00 Tuesday in Tokyo
    clock.current = waiting.due_at
    Deliverer(deps, worker="test").run()
    Deliverer(deps, worker="test").run()
    assert len(_dms(slack, mentee)) == 1
    assert len(_dms(slack, mentor)) == 1


def test_a_flag_cleared_since_the_tab_was_drawn_sends_nothing(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: int
) -> None:
    flag = _flag(engine, cohort, FlagKind.LAPSED)
    with session_scope(engine) as session:
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=flag.pairing_id or 0,
                status=MeetingStatus.HELD,
                scheduled_start=NOW,
                duration_minutes=60,
                held_at=NOW,
                minutes_held=60,
            )
        )
    slack.reset()
    _press(bot, slack, FLAG_NUDGE, f"{flag.pairing_id}:{flag.kind.value}", LEAD)
    assert "That flag has cleared" in _text(_opened(slack))
    assert _deliveries(engine, NUDGE_RULE) == []
    [publish] = slack.wait_for("views.publish")
    _checked_home(publish.params)


# --- the pair's report ---------------------------------------------------------------------------


def test_open_the_report_shows_the_pairs_numbers_and_flags(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: int
) -> None:
    flag = _flag(engine, cohort, FlagKind.LAPSED)
    metrics = _metrics(engine, cohort)
    pair = next(p for p in metrics.pairs if p.pairing_id == flag.pairing_id)
    mentor, mentee = flag.user_ids
    slack.reset()
    _press(bot, slack, FLAG_REPORT, str(flag.pairing_id), LEAD)
    report = _opened(slack)
    text = _text(report)
    assert report["callback_id"] == "home_pair_report_modal"
    assert f"*<@{mentor}> → <@{mentee}>* in *{PROGRAM}*" in text
    assert f"{pair.sessions_held} held of {pair.sessions_planned} planned" in text
    for own in (f for f in metrics.flags if f.pairing_id == flag.pairing_id):
        assert own.reason in text
    assert (FLAG_REMATCH, str(flag.pairing_id)) in _buttons(report)
    assert f"`/mentor report {PROGRAM}`" in text
    for private in PRIVATE_MARKERS:
        assert private not in text
    assert slack.calls_to("chat.postMessage") == []


def test_a_lead_sees_no_pairs_rating_on_home_or_in_its_report(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: int
) -> None:
    """The low-scorecard flag says which dimension fell; the pair's ratings stay with the pair."""
    flag = _flag(engine, cohort, FlagKind.LOW_SCORECARD)
    assert "rated low in recent sessions" in flag.reason
    assert not any(ch.isdigit() for ch in flag.reason)
    # The flag's own page of the Home tab shows it, with no figure beside it.
    flags = lead_flags(_metrics(engine, cohort))
    start = flags.index(flag) // FLAGS_PER_PAGE * FLAGS_PER_PAGE
    slack.reset()
    _press(bot, slack, PAGE_NEXT, HomePage(0, cohort, start).value, LEAD)
    [call] = slack.wait_for("views.publish")
    home = _checked_home(call.params)
    shown = [b["text"]["text"] for b in home["blocks"] if "rated low in" in str(b.get("text"))]
    assert flag.reason in "".join(shown)
    for text in shown:
        said = re.search(r">: (.*)\n_Suggested", text)
        assert said is not None
        assert not any(ch.isdigit() for ch in said.group(1))
    assert not re.search(r"(?i)scorecard average|rating \d|\d+(\.\d+)?/10", _text(home))
    slack.reset()
    _press(bot, slack, FLAG_REPORT, str(flag.pairing_id), LEAD)
    report = _opened(slack)
    labels = [
        field["text"].split("\n")[0]
        for block in report["blocks"]
        for field in block.get("fields", [])
    ]
    assert labels == ["*Last session*", "*Sessions*", "*Hours*", "*Goals*", "*Skill gaps open*"]
    assert flag.reason in _text(report)
    assert not re.search(r"(?i)clarity \d|energy \d|confidence \d|/10", _text(report))


def test_review_proposals_sends_them_to_the_leads_dm(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: int
) -> None:
    slack.reset()
    _press(bot, slack, REVIEW_PROPOSALS, str(cohort), LEAD)
    assert "*Spring cohort*: 1 proposal waiting, in your DM with me." in _text(_opened(slack))
    [dm] = slack.wait_for("chat.postMessage")
    assert_valid_view(dm.params, surface="message")
    assert "Match proposals: Spring cohort" in _text(dm.params)
    assert "<@UPMENTOR>" in _text(dm.params)
    assert any(a == ActionId.MATCH_APPROVE for a, _ in _buttons(dm.params))


# --- re-matching ---------------------------------------------------------------------------------


def test_a_rematch_ends_the_pairing_tells_both_kindly_and_requeues_the_mentee(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: int
) -> None:
    flag = _flag(engine, cohort, FlagKind.AGENDA_DRIFT)
    pairing_id = flag.pairing_id or 0
    mentor, mentee = flag.user_ids
    with session_scope(engine) as session:
        booked = Meeting(
            team_id=TEAM,
            pairing_id=pairing_id,
            status=MeetingStatus.SCHEDULED,
            scheduled_start=datetime(2026, 3, 5, 14, tzinfo=UTC),
            duration_minutes=60,
        )
        session.add(booked)
        session.flush()
        booked_id = booked.id
    slack.reset()
    _press(bot, slack, FLAG_REMATCH, str(pairing_id), LEAD, page="0:0:4")
    form = _opened(slack)
    assert form["callback_id"] == REMATCH_CALLBACK
    assert f"<@{mentor}> (mentor) and <@{mentee}> (mentee)" in _text(form)

    # Someone who does not lead the program can't submit it either.
    refused = bot.submit(form, {REMATCH_REASON: "fit"}, user_id=OUTSIDER)
    assert REFUSED in refused.json()["errors"][REMATCH_REASON]
    answers = {REMATCH_REASON: "fit", REMATCH_NOTE: "Thank you both <!channel> & good luck"}
    done = bot.submit(form, answers, user_id=LEAD).json()
    assert done["response_action"] == "update"
    assert_valid_view(done["view"], surface="modal")
    outcome = _text(done["view"])
    assert f"<@{mentor}> and <@{mentee}> are no longer paired in *{PROGRAM}*" in outcome
    assert f"<@{mentee}> is on the unmatched list of *{PROGRAM}* (2 mentees waiting)" in outcome
    assert (ActionId.PROGRAM_MATCH, str(cohort)) in _buttons(done["view"])

    with session_scope(engine) as session:
        pairing = session.get(Pairing, pairing_id)
        assert pairing is not None
        assert pairing.status is PairingStatus.ENDED
        assert pairing.end_reason == "ended by a lead for a re-match: not a good fit for each other"
        meeting = session.get(Meeting, booked_id)
        assert meeting is not None
        assert meeting.status is MeetingStatus.CANCELLED
        [waiting] = session.exec(
            select(Flag).where(
                Flag.participant_id == pairing.mentee_id,
                Flag.kind == FlagKind.UNMATCHED,
                col(Flag.resolved_at).is_(None),
            )
        ).all()
        assert waiting.pairing_id == pairing_id

    assert eventually(lambda: len(_dms(slack, mentor)) == 1 and len(_dms(slack, mentee)) == 1)
    to_mentee, to_mentor = _text(_dms(slack, mentee)[0]), _text(_dms(slack, mentor)[0])
    assert f"<@{LEAD}>, who leads *{PROGRAM}*, has ended your pairing with <@{mentor}>" in to_mentee
    assert "You're back on the list for the next matching round" in to_mentee
    assert "It isn't a judgement" in to_mentee
    assert f"has ended your pairing with <@{mentee}>" in to_mentor
    assert "thank you for the time and care" in to_mentor
    for text in (to_mentee, to_mentor):
        assert "Thank you both &lt;!channel&gt; &amp; good luck" in text
        assert "<!channel>" not in text
        assert "The session you had booked together is called off" in text
    # The tab is redrawn on the page the lead was on, without the pair's flags.
    publish = slack.wait_for("views.publish")[-1]
    home = _checked_home(publish.params)
    assert home["private_metadata"] == "0:0:4"
    assert (FLAG_REMATCH, str(pairing_id)) not in _buttons(home)

    # Submitting the same form again ends nothing twice and tells nobody twice.
    again = bot.submit(form, answers, user_id=LEAD).json()
    assert "are no longer paired" in again["errors"][REMATCH_REASON]
    assert len(_deliveries(engine, "rematch_ended")) == 2
    assert len(_dms(slack, mentor)) == 1
    assert len(_dms(slack, mentee)) == 1

    # The next matching round considers the mentee again, never with the same mentor.
    with session_scope(engine) as session:
        program = session.get(Program, cohort)
        assert program is not None
        round_ = run_matching(session=session, program=program, now=NOW)
        assert round_.mentees_considered >= 2
        proposed = session.exec(
            select(Pairing).where(
                Pairing.mentee_user_id == mentee, Pairing.status == PairingStatus.PROPOSED
            )
        ).all()
        assert all(p.mentor_user_id != mentor for p in proposed)
        placed = {p.mentee_user_id for p in proposed} | {u.user_id for u in round_.unmatched}
        assert mentee in placed


def test_a_rematch_message_that_cannot_land_tells_the_lead(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: int
) -> None:
    flag = _flag(engine, cohort, FlagKind.LAPSED)
    mentor, mentee = flag.user_ids
    slack.reset()
    _press(bot, slack, FLAG_REMATCH, str(flag.pairing_id), LEAD)
    form = _opened(slack)
    slack.fail_next("chat.postMessage", error="user_not_found")
    assert bot.submit(form, {REMATCH_REASON: "time"}, user_id=LEAD).status == 200
    told = f"I couldn't deliver the news that their pairing ended to <@{mentor}>"
    assert eventually(lambda: told in _text(_dms(slack, LEAD)))
    assert eventually(lambda: len(_dms(slack, mentee)) == 1)


def test_a_pairing_already_ended_cannot_be_rematched(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: int
) -> None:
    with session_scope(engine) as session:
        ended = session.exec(
            select(Pairing).where(
                Pairing.program_id == cohort, Pairing.status == PairingStatus.ENDED
            )
        ).first()
        assert ended is not None
        pairing_id = ended.id
    slack.reset()
    _press(bot, slack, FLAG_REMATCH, str(pairing_id), LEAD)
    assert "are no longer paired: nothing to re-match" in _text(_opened(slack))


# --- paging --------------------------------------------------------------------------------------


@pytest.fixture
def many(engine: Engine, lead: str) -> list[int]:
    """Lee leads seven programs (waiting for a mentor in each) and mentors eight people, each
    with a goal and an overdue practice task, in another one."""
    ids = []
    with session_scope(engine) as session:
        for n in range(7):
            program = seed_cohort(session, pairs=60, now=NOW, name=f"Cohort {n}", lead=lead, seed=n)
            ids.append(program.id or 0)
            # Also waiting for a mentor in each: seven more lines of their own.
            session.add(
                Participant(
                    team_id=TEAM, program_id=program.id or 0, user_id=lead, role=Role.MENTEE
                )
            )
        own = Program(
            team_id=TEAM,
            name="Lee's own",
            status=ProgramStatus.ACTIVE,
            start_date=date(2026, 2, 1),
            competencies=["Python"],
            created_by="USOMEONE",
        )
        session.add(own)
        session.flush()
        me = Participant(team_id=TEAM, program_id=own.id or 0, user_id=lead, role=Role.MENTOR)
        session.add(me)
        session.flush()
        for n in range(8):
            mentee = Participant(
                team_id=TEAM,
                program_id=own.id or 0,
                user_id=f"UOWN{n}",
                role=Role.MENTEE,
                status=ParticipantStatus.ACTIVE,
            )
            session.add(mentee)
            session.flush()
            pairing = Pairing(
                team_id=TEAM,
                program_id=own.id or 0,
                mentor_id=me.id or 0,
                mentee_id=mentee.id or 0,
                mentor_user_id=lead,
                mentee_user_id=f"UOWN{n}",
                status=PairingStatus.ACTIVE,
                started_at=datetime(2026, 2, 2, tzinfo=UTC),
            )
            session.add(pairing)
            session.flush()
            goal = Goal(
                team_id=TEAM,
                pairing_id=pairing.id or 0,
                statement="Ship the migration plan by the summer",
                due_date=date(2026, 6, 30),
                status=GoalStatus.AGREED,
                proposed_by=f"UOWN{n}",
                position=0,
            )
            session.add(goal)
            session.flush()
            session.add(
                PracticeTask(
                    team_id=TEAM, goal_id=goal.id or 0, title="Draft", due_date=date(2026, 2, 20)
                )
            )
    return ids


def test_many_programs_and_flags_page_within_slacks_limits(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, many: list[int]
) -> None:
    first = _home(bot, slack, LEAD)
    text = _text(first)
    assert "Programs 1 to 3 of 7, running ones first" in text
    assert "`/mentor program list`" in text
    # Eight pairings, seven enrolments, three programs' health and the programs to join don't
    # all fit in 100 blocks: each list points to the rest.
    assert "more: `/mentor status`" in text
    assert "`/mentor join`" in text
    assert (PAGE_NEXT, HomePage(3).value) in _buttons(first)

    slack.reset()
    _press(bot, slack, PAGE_NEXT, HomePage(3).value, LEAD)
    second = _checked_home(slack.wait_for("views.publish")[0].params)
    assert "Programs 4 to 6 of 7" in _text(second)
    assert second["private_metadata"] == HomePage(3).value
    assert (PAGE_PREVIOUS, HomePage(0).value) in _buttons(second)

    # One program's flags page on; the others stay on their first page.
    program_id = next(
        int(value) for action, value in _buttons(second) if action == ActionId.PROGRAM_EDIT
    )
    total = len(lead_flags(_metrics(engine, program_id)))
    slack.reset()
    _press(bot, slack, PAGE_NEXT, HomePage(3, program_id, 4).value, LEAD, page=HomePage(3).value)
    third = _checked_home(slack.wait_for("views.publish")[0].params)
    assert f"*Red flags* (5 to 8 of {total}, the most urgent first)" in _text(third)
    assert _text(third).count("*Red flags* (1 to 4 of") == 2
    assert third["private_metadata"] == HomePage(3, program_id, 4).value

    # A nudge from that page redraws the same page.
    flag = lead_flags(_metrics(engine, program_id))[4]
    slack.reset()
    _press(
        bot,
        slack,
        FLAG_NUDGE,
        f"{flag.pairing_id}:{flag.kind.value}",
        LEAD,
        page=third["private_metadata"],
    )
    [publish] = slack.wait_for("views.publish")
    assert _checked_home(publish.params)["private_metadata"] == HomePage(3, program_id, 4).value

    # A stale page past the end shows the last one.
    slack.reset()
    _press(bot, slack, PAGE_NEXT, HomePage(30).value, LEAD)
    last = _checked_home(slack.wait_for("views.publish")[0].params)
    assert "Programs 7 to 7 of 7" in _text(last)
    assert (PAGE_NEXT, HomePage(9).value) not in _buttons(last)
    assert (PAGE_PREVIOUS, HomePage(3).value) in _buttons(last)


# --- cost ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with a 5,000-pair program (led by Lee) and a 500-pair one (led by Sam):
    both big enough to hold every kind of pair, so each takes every query path."""
    path = tmp_path_factory.mktemp("large") / "template.db"
    template = make_engine(f"sqlite:///{path}")
    upgrade(template)
    with session_scope(template) as session:
        seed_cohort(session, pairs=5_000, now=NOW, name="Everyone", weeks=2, lead=LEAD)
        seed_cohort(session, pairs=500, now=NOW, name="Few", weeks=2, lead="USAM")
    template.dispose()
    return path


@pytest.fixture
def large(engine: Engine, large_template: Path) -> None:
    """Both programs copied into this test's database (faster than seeding them again)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("ATTACH DATABASE ? AS template", (str(large_template),))
        cursor.execute("BEGIN")
        for table in SQLModel.metadata.sorted_tables:
            cursor.execute(f"INSERT INTO main.{table.name} SELECT * FROM template.{table.name}")  # noqa: S608 - table names from our own metadata
        cursor.execute("COMMIT")
        cursor.execute("DETACH DATABASE template")
    finally:
        connection.close()


def _statements(engine: Engine, user_id: str) -> int:
    """SQL statements one Home tab of ``user_id`` costs."""
    count = 0

    def counted(*_: Any) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counted)
    try:
        with session_scope(engine) as session:
            data = home_data(
                session=session, team_id=TEAM, user_id=user_id, is_admin=False, now=NOW
            )
            [card] = data.led
            assert card.health is not None
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


def test_a_5000_pair_program_costs_the_home_tab_what_a_500_pair_one_does(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, lead: str, large: None
) -> None:
    assert _statements(engine, LEAD) == _statements(engine, "USAM")
    # About a second on an idle 2-core machine; a busy one running the suite takes longer.
    view = _home(bot, slack, LEAD, timeout=60)
    assert "*Red flags* (1 to 4 of" in _text(view)
