"""The timed rules: each prompt planned once, at the right local time, inside working hours."""

import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.deps import Deps
from bot.ids import ActionId
from bot.sandbox.slack_double import SlackDouble
from scheduler.delivery import Deliverer, Pacer
from scheduler.tick import PlanReport, plan_due
from storage.db import session_scope
from storage.enums import (
    FlagKind,
    GoalStatus,
    MeetingStatus,
    PairingStatus,
)
from storage.models import (
    Delivery,
    Flag,
    Goal,
    Meeting,
    Pairing,
    Participant,
    Program,
    ProgramLead,
)
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.pairs import add_weekly_pair

TEAM = "T0001"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def pairing_id(engine: Engine) -> int:
    """Alice (Berlin) is mentored by Bob (New York) in a weekly program that started 2 March."""
    return add_weekly_pair(engine, team_id=TEAM)


@pytest.fixture
def deliverer(deps: Deps) -> Deliverer:
    pacer = Pacer(sleep=lambda _: None)
    return Deliverer(deps, worker="rules", pacer=pacer, rng=random.Random(2))


def _meeting(engine: Engine, pairing_id: int, start: datetime, minutes: int = 60) -> int:
    with session_scope(engine) as session:
        meeting = Meeting(
            team_id=TEAM,
            pairing_id=pairing_id,
            status=MeetingStatus.SCHEDULED,
            scheduled_start=start,
            duration_minutes=minutes,
        )
        session.add(meeting)
        session.flush()
        return meeting.id or 0


def _run_until(
    clock: FrozenClock, deps: Deps, deliverer: Deliverer, end: datetime, step: timedelta
) -> None:
    """Tick every ``step``, planning a step ahead; rows carry their exact due time."""
    while clock.current < end:
        plan_due(deps, horizon=step)
        deliverer.run()
        clock.advance(step)


def _sent(engine: Engine) -> list[Delivery]:
    with session_scope(engine) as session:
        return list(
            session.exec(select(Delivery).order_by(Delivery.sent_at, Delivery.id))  # type: ignore[arg-type]
        )


def _buttons(payload: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in payload["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_a_scheduled_session_gets_its_prompts_once_at_local_times(
    engine: Engine,
    clock: FrozenClock,
    deps: Deps,
    deliverer: Deliverer,
    slack: SlackDouble,
    pairing_id: int,
) -> None:
    # Tuesday 10 March, 15:00 UTC: 16:00 in Berlin, 11:00 in New York.
    _meeting(engine, pairing_id, utc(2026, 3, 10, 15))
    clock.current = utc(2026, 3, 9, 12)
    _run_until(clock, deps, deliverer, utc(2026, 3, 12, 12), timedelta(hours=1))
    sent = {(d.rule, d.recipient_id): d for d in _sent(engine)}
    assert set(sent) == {
        ("agenda_prompt", "U0001"),
        ("session_reminder", "U0001"),
        ("session_reminder", "U0002"),
        ("scorecard", "U0001"),
        ("did_you_meet", "U0001"),
        ("did_you_meet", "U0002"),
    }
    assert sent["agenda_prompt", "U0001"].due_at == utc(2026, 3, 9, 15)
    assert sent["session_reminder", "U0002"].due_at == utc(2026, 3, 10, 14, 45)
    assert sent["did_you_meet", "U0001"].due_at == utc(2026, 3, 11, 16)
    # Nobody logged it: the mentee is asked to rate it an hour after its end.
    assert sent["scorecard", "U0001"].due_at == utc(2026, 3, 10, 17)
    agenda = sent["agenda_prompt", "U0001"].payload
    assert "Tuesday 10 March, 16:00" in json.dumps(agenda)
    assert _buttons(agenda) == [ActionId.AGENDA_OPEN]
    reminder_ny = sent["session_reminder", "U0002"].payload
    assert "Tuesday 10 March, 11:00" in json.dumps(reminder_ny)
    assert _buttons(sent["did_you_meet", "U0002"].payload) == [
        ActionId.MEETING_HELD,
        ActionId.MEETING_MOVED,
        ActionId.MEETING_CANCELLED,
    ]
    assert len(slack.calls_to("chat.postMessage")) == 6
    for delivery in sent.values():
        assert_valid_view(delivery.payload, surface="message")
    # Timed to the session, none waits for a bundle; only the reminder merely informs.
    assert {key: d.extras for key, d in sent.items() if d.extras} == {
        ("session_reminder", "U0001"): {"informational": True},
        ("session_reminder", "U0002"): {"informational": True},
    }


def test_a_prompt_aimed_at_the_night_comes_the_working_evening_before(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, pairing_id: int
) -> None:
    # Monday 9 March, 08:00 UTC (09:00 Berlin): the agenda prompt aims at Sunday 09:00 Berlin,
    # which moves back to Friday 17:59 Berlin.
    _meeting(engine, pairing_id, utc(2026, 3, 9, 8))
    clock.current = utc(2026, 3, 6, 12)
    _run_until(clock, deps, deliverer, utc(2026, 3, 7, 12), timedelta(hours=1))
    [agenda] = [d for d in _sent(engine) if d.rule == "agenda_prompt"]
    assert agenda.due_at == utc(2026, 3, 6, 16, 59)


def test_no_agenda_prompt_for_a_session_whose_agenda_is_already_shared(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, pairing_id: int
) -> None:
    shared = _meeting(engine, pairing_id, utc(2026, 3, 10, 15))
    asked = _meeting(engine, pairing_id, utc(2026, 3, 12, 15))
    with session_scope(engine) as session:
        meeting = session.get(Meeting, shared)
        assert meeting is not None
        meeting.agenda_submitted_at = utc(2026, 3, 6, 10)
        session.add(meeting)
    clock.current = utc(2026, 3, 8, 12)
    _run_until(clock, deps, deliverer, utc(2026, 3, 12, 12), timedelta(hours=1))
    prompted = [d.dedupe_key for d in _sent(engine) if d.rule == "agenda_prompt"]
    assert prompted == [f"agenda_prompt:{asked}"]


def test_a_lapsed_pair_is_nudged_once_then_escalated_once(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, pairing_id: int
) -> None:
    clock.current = utc(2026, 3, 11, 9)
    _run_until(clock, deps, deliverer, utc(2026, 3, 20, 9), timedelta(hours=1))
    sent = _sent(engine)
    nudges = [d for d in sent if d.rule == "lapse_nudge"]
    assert sorted(d.recipient_id for d in nudges) == ["U0001", "U0002"]
    # 1.5 x 7 days after 2 March 09:00 UTC is 12 March 21:00 UTC: 22:00 in Berlin, 17:00 in
    # New York. A nudge's moment is a day: each hears at the start of that working day (for
    # Alice the day her evening moves back to), 09:00 in Berlin and 09:00 in New York.
    by_person = {d.recipient_id: d.due_at for d in nudges}
    assert by_person["U0001"] == utc(2026, 3, 12, 8)
    assert by_person["U0002"] == utc(2026, 3, 12, 13)
    assert all(d.extras.get("bundle") for d in nudges)
    [escalation] = [d for d in sent if d.rule == "lapse_escalation"]
    assert escalation.recipient_id == "UADMIN"
    with session_scope(engine) as session:
        [flag] = session.exec(select(Flag)).all()
        assert flag.kind is FlagKind.LAPSED


def test_after_downtime_one_nudge_per_gap_and_no_flood(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, pairing_id: int
) -> None:
    _meeting(engine, pairing_id, utc(2026, 3, 4, 15))  # a session the bot never prompted for
    clock.current = utc(2026, 3, 25, 10)  # three weeks later, a Wednesday morning
    _run_until(clock, deps, deliverer, utc(2026, 3, 25, 16), timedelta(hours=1))
    rules = sorted(d.rule for d in _sent(engine))
    # The passed session's agenda prompt and reminders are not sent; its "did you meet?" expired.
    # Bob's nudge waits for 09:00 in New York.
    assert rules == ["lapse_escalation", "lapse_nudge", "lapse_nudge"]


def test_a_new_session_ends_the_gap(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, pairing_id: int
) -> None:
    clock.current = utc(2026, 3, 11, 9)
    _meeting(engine, pairing_id, utc(2026, 3, 16, 15))
    _run_until(clock, deps, deliverer, utc(2026, 3, 14, 9), timedelta(hours=1))
    assert [d for d in _sent(engine) if d.rule.startswith("lapse")] == []


def test_skill_reassessment_every_six_weeks(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, pairing_id: int
) -> None:
    with session_scope(engine) as session:
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=pairing_id,
                status=MeetingStatus.HELD,
                held_at=utc(2026, 4, 12, 15),
            )
        )
    clock.current = utc(2026, 4, 13, 7)
    _run_until(clock, deps, deliverer, utc(2026, 4, 14, 20), timedelta(hours=1))
    reassess = [d for d in _sent(engine) if d.rule == "skill_reassessment"]
    assert sorted(d.recipient_id for d in reassess) == ["U0001", "U0002"]
    assert all(d.dedupe_key.startswith(f"reassess:{pairing_id}:1:") for d in reassess)
    # Six weeks after Monday 2 March 09:00 UTC is 11:00 in Berlin: at the start of Alice's day.
    assert {d.recipient_id: d.due_at for d in reassess} == {
        "U0001": utc(2026, 4, 13, 7),
        "U0002": utc(2026, 4, 13, 13),
    }
    assert all(d.extras.get("bundle") for d in reassess)


def test_goal_due_reminders_three_days_ahead(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, pairing_id: int
) -> None:
    with session_scope(engine) as session:
        session.add(
            Goal(
                team_id=TEAM,
                pairing_id=pairing_id,
                statement="Lead the quarterly stakeholder review myself",
                due_date=date(2026, 3, 13),
                status=GoalStatus.AGREED,
                proposed_by="U0001",
            )
        )
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=pairing_id,
                status=MeetingStatus.HELD,
                held_at=utc(2026, 3, 9, 15),
            )
        )
    clock.current = utc(2026, 3, 9, 20)
    _run_until(clock, deps, deliverer, utc(2026, 3, 11, 12), timedelta(hours=1))
    [reminder] = [d for d in _sent(engine) if d.rule == "goal_due"]
    assert reminder.recipient_id == "U0001"
    assert reminder.due_at == utc(2026, 3, 10, 8)  # 09:00 Berlin, three days before
    assert "Friday 13 March" in json.dumps(reminder.payload)
    assert (reminder.extras["bundle"], reminder.extras["informational"]) == (True, True)


def test_replanning_the_same_moment_adds_nothing(
    engine: Engine, clock: FrozenClock, deps: Deps, pairing_id: int
) -> None:
    clock.current = utc(2026, 3, 16, 9)
    first = plan_due(deps)
    again = plan_due(deps)
    assert first.enqueued > 0
    # What the outbox already holds is skipped in the database: not even built again.
    assert (again.considered, again.enqueued) == (0, 0)


def test_programs_tune_their_rules(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, pairing_id: int
) -> None:
    with session_scope(engine) as session:
        program = session.exec(select(Program)).one()
        program.rule_settings = {"agenda_prompt_hours": 48, "unknown": 1, "reminder_minutes": "x"}
        session.add(program)
    _meeting(engine, pairing_id, utc(2026, 3, 12, 15))
    clock.current = utc(2026, 3, 10, 14, 55)
    plan_due(deps)
    deliverer.run()
    assert [d.rule for d in _sent(engine)] == ["agenda_prompt"]


def _held(engine: Engine, pairing_id: int, at: datetime) -> None:
    with session_scope(engine) as session:
        session.add(
            Meeting(team_id=TEAM, pairing_id=pairing_id, status=MeetingStatus.HELD, held_at=at)
        )


def test_the_midpoint_survey_goes_to_both_at_the_start_of_their_day(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, pairing_id: int
) -> None:
    _held(engine, pairing_id, utc(2026, 6, 1, 15))
    clock.current = utc(2026, 6, 2, 0)  # the program's midpoint: 2 March + 92 days
    _run_until(clock, deps, deliverer, utc(2026, 6, 3, 0), timedelta(hours=1))
    surveys = {d.recipient_id: d for d in _sent(engine) if d.rule == "midpoint_survey"}
    assert surveys["U0001"].due_at == utc(2026, 6, 2, 7)  # 09:00 in Berlin (summer time)
    assert surveys["U0002"].due_at == utc(2026, 6, 2, 13)  # 09:00 in New York
    assert _buttons(surveys["U0001"].payload) == [ActionId.SURVEY_OPEN]
    assert all(d.extras.get("bundle") for d in surveys.values())
    for delivery in surveys.values():
        assert_valid_view(delivery.payload, surface="message")


def test_east_of_utc_the_midpoint_survey_comes_at_the_start_of_the_local_day(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, pairing_id: int
) -> None:
    """In Sydney 2 June begins on UTC's 1 June: the survey is there at 09:00, with the day's
    other prompts, not an hour or two into the day when UTC's date turns."""
    with session_scope(engine) as session:
        alice = session.exec(select(Participant).where(Participant.user_id == "U0001")).one()
        alice.timezone = "Australia/Sydney"
        session.add(alice)
    _held(engine, pairing_id, utc(2026, 6, 1, 0))
    clock.current = utc(2026, 6, 1, 20)
    _run_until(clock, deps, deliverer, utc(2026, 6, 2, 3), timedelta(hours=1))
    surveys = {d.recipient_id: d.due_at for d in _sent(engine) if d.rule == "midpoint_survey"}
    assert surveys == {"U0001": utc(2026, 6, 1, 23)}  # 09:00 on 2 June in Sydney


def test_two_weeks_before_the_end_both_are_asked_to_close_and_the_stage_follows(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, pairing_id: int
) -> None:
    _held(engine, pairing_id, utc(2026, 8, 18, 15))
    clock.current = utc(2026, 8, 19, 0)  # the program ends on 1 September
    _run_until(clock, deps, deliverer, utc(2026, 8, 20, 0), timedelta(hours=1))
    prompts = [d for d in _sent(engine) if d.rule == "graduation_prompt"]
    assert sorted(d.recipient_id for d in prompts) == ["U0001", "U0002"]
    assert all(d.extras.get("bundle") for d in prompts)
    assert _buttons(prompts[0].payload) == [
        ActionId.GRADUATION_OPEN,
        f"{ActionId.SURVEY_OPEN}:final",
        f"{ActionId.SURVEY_OPEN}:independence",
    ]
    assert "Tuesday 1 September" in json.dumps(prompts[0].payload)
    with session_scope(engine) as session:
        assert session.get(Pairing, pairing_id).stage.value == "concluding"  # type: ignore[union-attr]


def test_a_pairing_paused_on_its_own_resumes_on_its_day_and_both_hear_once(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, pairing_id: int
) -> None:
    from scheduler.jobs import resume_paused_participants

    with session_scope(engine) as session:
        pairing = session.get(Pairing, pairing_id)
        assert pairing is not None
        pairing.status = PairingStatus.PAUSED
        pairing.paused_until = utc(2026, 3, 20, 9)
        session.add(pairing)
    clock.current = utc(2026, 3, 20, 10)
    resume_paused_participants(deps)
    resume_paused_participants(deps)
    deliverer.run()
    with session_scope(engine) as session:
        assert session.get(Pairing, pairing_id).status is PairingStatus.ACTIVE  # type: ignore[union-attr]
    back = [d for d in _sent(engine) if d.rule == "pause_ended"]
    assert sorted(d.recipient_id for d in back) == ["U0001", "U0002"]


def test_timezones_follow_slack_once_a_day(
    engine: Engine, clock: FrozenClock, deps: Deps, slack: SlackDouble, pairing_id: int
) -> None:
    from scheduler.jobs import refresh_timezones

    slack.add_user("U0001", name="alice", real_name="Alice Ng", tz="Asia/Tokyo")
    refresh_timezones(deps)
    with session_scope(engine) as session:
        zones = {p.user_id: p.timezone for p in session.exec(select(Participant))}
    assert zones == {"U0001": "Asia/Tokyo", "U0002": "America/New_York"}
    calls = len(slack.calls_to("users.info"))
    assert calls == 2
    refresh_timezones(deps)  # cached for a day: Slack is not asked again
    assert len(slack.calls_to("users.info")) == calls
    clock.advance(timedelta(days=1, minutes=1))
    refresh_timezones(deps)
    assert len(slack.calls_to("users.info")) == calls + 2


def test_the_weekly_digest_posts_once_on_its_day_with_its_chart(
    engine: Engine,
    clock: FrozenClock,
    deps: Deps,
    deliverer: Deliverer,
    slack: SlackDouble,
    pairing_id: int,
) -> None:
    with session_scope(engine) as session:
        program = session.exec(select(Program)).one()
        program.digest_channel_id = "CDIGEST"
        program.timezone = "Europe/Berlin"
        program.digest_weekday, program.digest_hour = 0, 9  # Mondays, 09:00 in Berlin
        session.add(program)
    _held(engine, pairing_id, utc(2026, 3, 5, 15))
    clock.current = utc(2026, 3, 9, 6)
    _run_until(clock, deps, deliverer, utc(2026, 3, 9, 20), timedelta(hours=1))
    [digest] = [d for d in _sent(engine) if d.rule == "weekly_digest"]
    assert digest.sent_at == utc(2026, 3, 9, 8)  # the first tick at or after 09:00 in Berlin
    [posted] = [m for m in slack.messages("CDIGEST") if m.get("blocks")]
    assert_valid_view({"text": posted["text"], "blocks": posted["blocks"]}, surface="message")
    [chart] = slack.uploaded_files
    assert chart.channel_id == "CDIGEST"
    assert chart.content.startswith(b"\x89PNG")
    clock.current = utc(2026, 3, 16, 8)
    plan_due(deps, horizon=timedelta(hours=1))
    deliverer.run()
    assert len([d for d in _sent(engine) if d.rule == "weekly_digest"]) == 2


def _due(engine: Engine, rule: str) -> dict[str, datetime]:
    with session_scope(engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.rule == rule)).all()
        return {d.recipient_id: d.due_at for d in rows}


def test_each_side_waits_for_its_own_working_hours_and_is_planned_once(
    engine: Engine, clock: FrozenClock, deps: Deps, pairing_id: int
) -> None:
    # The bot was down until Monday 16 March 09:00 UTC: 10:00 in Berlin, 05:00 in New York.
    clock.current = utc(2026, 3, 16, 9)
    plan_due(deps)
    assert _due(engine, "lapse_nudge") == {"U0001": utc(2026, 3, 16, 9)}
    clock.current = utc(2026, 3, 16, 12, 30)  # 08:30 in New York: Bob's day is still ahead
    assert plan_due(deps) == PlanReport(considered=0, enqueued=0)
    clock.current = utc(2026, 3, 16, 12, 55)  # his day starts within the horizon
    assert plan_due(deps) == PlanReport(considered=1, enqueued=1)
    assert _due(engine, "lapse_nudge") == {
        "U0001": utc(2026, 3, 16, 9),
        "U0002": utc(2026, 3, 16, 13),  # 09:00 in New York
    }
    assert plan_due(deps) == PlanReport(considered=0, enqueued=0)


def test_a_prompt_set_far_ahead_is_planned_on_time(
    engine: Engine, clock: FrozenClock, deps: Deps, pairing_id: int
) -> None:
    with session_scope(engine) as session:
        program = session.exec(select(Program)).one()
        program.rule_settings = {"agenda_prompt_hours": 120}
        session.add(program)
    _held(engine, pairing_id, utc(2026, 3, 12, 15))  # no lapse in the way
    _meeting(engine, pairing_id, utc(2026, 3, 20, 15))
    # Five days before is Sunday 15 March: Alice hears on Friday at 17:59 in Berlin.
    clock.current = utc(2026, 3, 13, 16, 45)
    plan_due(deps)
    assert _due(engine, "agenda_prompt") == {}
    clock.current = utc(2026, 3, 13, 16, 50)
    plan_due(deps)
    assert _due(engine, "agenda_prompt") == {"U0001": utc(2026, 3, 13, 16, 59)}


def test_a_co_lead_added_after_the_escalation_hears_of_the_gap_once(
    engine: Engine, clock: FrozenClock, deps: Deps, pairing_id: int
) -> None:
    clock.current = utc(2026, 3, 16, 9)  # two weeks without a session: escalated
    plan_due(deps)
    assert set(_due(engine, "lapse_escalation")) == {"UADMIN"}
    with session_scope(engine) as session:
        program = session.exec(select(Program)).one()
        session.add(
            ProgramLead(
                team_id=TEAM, program_id=program.id or 0, user_id="UCOLEAD", added_by="UADMIN"
            )
        )
    clock.current = utc(2026, 3, 16, 10)
    assert plan_due(deps).enqueued == 1
    assert set(_due(engine, "lapse_escalation")) == {"UADMIN", "UCOLEAD"}
    assert plan_due(deps).enqueued == 0
    with session_scope(engine) as session:
        assert len(session.exec(select(Flag)).all()) == 1
