"""A message budget: routine prompts due for a person the same day come as one message with a
section each, exactly once whatever fails; prompts timed to a session never wait; people in
quieter mode get only the prompts that need an answer."""

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.config import Settings
from bot.deps import Deps
from bot.gateway import SlackGateway, build_client
from bot.ids import ActionId, CallbackId
from bot.sandbox.slack_double import SlackDouble
from bot.views.bundle import MESSAGE_BLOCKS, build_bundle, pack
from bot.views.prompts import (
    build_due_reminder,
    build_lapse_nudge,
    build_reassessment_prompt,
    build_session_reminder,
)
from scheduler import outbox
from scheduler.delivery import QUIET_MODE, Deliverer, Pacer
from scheduler.outbox import OUTCOME_UNKNOWN, Planned
from scheduler.tick import plan_due
from storage.db import session_scope
from storage.enums import (
    Cadence,
    DeliveryStatus,
    GoalProgress,
    GoalStatus,
    MeetingStatus,
    PairingStatus,
    ProgramStatus,
    Role,
)
from storage.models import Delivery, Goal, Meeting, Milestone, Pairing, Participant, Program
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot

TEAM = "T0001"
ALICE, BOB = "U0001", "U0002"  # Alice (mentee) in Berlin, Bob (mentor) in New York


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _store_pair(engine: Engine, *, quiet: frozenset[str] = frozenset()) -> int:
    """Bob mentors Alice weekly from Monday 2 March; they last met on Friday 6 March (no lapse
    is near). ``quiet``: who chose the quieter mode."""
    with session_scope(engine) as session:
        program = Program(
            team_id=TEAM,
            name="Spring",
            status=ProgramStatus.ACTIVE,
            start_date=date(2026, 3, 2),
            length_months=6,
            cadence=Cadence.WEEKLY,
            competencies=["Negotiation", "Public speaking"],
            created_by="UADMIN",
        )
        session.add(program)
        session.flush()
        people = {}
        for user_id, role, tz in (
            (BOB, Role.MENTOR, "America/New_York"),
            (ALICE, Role.MENTEE, "Europe/Berlin"),
        ):
            person = Participant(
                team_id=TEAM,
                program_id=program.id or 0,
                user_id=user_id,
                role=role,
                timezone=tz,
                quiet=user_id in quiet,
            )
            session.add(person)
            session.flush()
            people[role] = person
        pairing = Pairing(
            team_id=TEAM,
            program_id=program.id or 0,
            mentor_id=people[Role.MENTOR].id or 0,
            mentee_id=people[Role.MENTEE].id or 0,
            mentor_user_id=BOB,
            mentee_user_id=ALICE,
            status=PairingStatus.ACTIVE,
            started_at=utc(3, 2, 9),
        )
        session.add(pairing)
        session.flush()
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=pairing.id or 0,
                status=MeetingStatus.HELD,
                held_at=utc(3, 6, 15),
            )
        )
        return pairing.id or 0


def _goal_with_milestones(engine: Engine, pairing_id: int, due: dict[str, date]) -> None:
    """An agreed goal (the first title) and its milestones, each due on its date."""
    (statement, goal_due), *milestones = due.items()
    with session_scope(engine) as session:
        goal = Goal(
            team_id=TEAM,
            pairing_id=pairing_id,
            statement=statement,
            due_date=goal_due,
            status=GoalStatus.AGREED,
            progress=GoalProgress.ON_TRACK,
            proposed_by=ALICE,
            agreed_by=BOB,
        )
        session.add(goal)
        session.flush()
        for title, day in milestones:
            session.add(Milestone(team_id=TEAM, goal_id=goal.id or 0, title=title, due_date=day))


def _book(engine: Engine, pairing_id: int, start: datetime) -> None:
    with session_scope(engine) as session:
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=pairing_id,
                status=MeetingStatus.SCHEDULED,
                scheduled_start=start,
                duration_minutes=60,
            )
        )


@pytest.fixture
def deliverer(deps: Deps) -> Deliverer:
    return Deliverer(
        deps, worker="bundles", pacer=Pacer(sleep=lambda _: None), rng=random.Random(4)
    )


def _simulate(
    engine: Engine,
    clock: FrozenClock,
    deps: Deps,
    deliverer: Deliverer,
    start: datetime,
    end: datetime,
) -> None:
    """Plan every hour (an hour ahead) and deliver each row at the very moment it is due."""
    clock.current = start
    while clock.current < end:
        point = clock.current
        following = point + timedelta(hours=1)
        plan_due(deps, horizon=following - point)
        with session_scope(engine) as session:
            moments = sorted(
                set(
                    session.exec(
                        select(Delivery.due_at).where(
                            Delivery.status == DeliveryStatus.PENDING,
                            Delivery.due_at < following,
                        )
                    ).all()
                )
            )
        for due in moments:
            clock.current = due
            assert deliverer.run().errors == []
        clock.current = following


def _rows(engine: Engine) -> list[Delivery]:
    with session_scope(engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)))  # type: ignore[arg-type]


def _messages(engine: Engine, recipient: str) -> list[tuple[datetime | None, list[str]]]:
    """What ``recipient`` received, a message at a time: when, and the rules it held."""
    by_ts: dict[str | None, list[Delivery]] = defaultdict(list)
    for row in _rows(engine):
        if row.recipient_id == recipient and row.status is DeliveryStatus.SENT:
            by_ts[row.message_ts].append(row)
    return sorted((rows[0].sent_at, sorted(r.rule for r in rows)) for rows in by_ts.values())


def _dm(slack: SlackDouble, user: str) -> list[dict[str, Any]]:
    return list(slack.messages(slack.dm_channel_id(user)))


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (element["action_id"], element.get("value", ""))
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_prompts_due_the_same_day_come_as_one_message_and_session_prompts_never_wait(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, slack: SlackDouble
) -> None:
    """A goal and a milestone due Friday 13 March: their reminders share Tuesday's message. A
    milestone due Saturday is reminded of on Wednesday, on its own. The session on Tuesday at
    16:00 in Berlin gets its agenda prompt, reminder, scorecard and "did you meet?" at their
    own minutes, never held back for (or merged into) a bundle."""
    pairing_id = _store_pair(engine)
    _goal_with_milestones(
        engine,
        pairing_id,
        {
            "Run the quarterly review on my own": date(2026, 3, 13),
            "Draft the review deck": date(2026, 3, 13),
            "Book the directors' slot": date(2026, 3, 14),
        },
    )
    _book(engine, pairing_id, utc(3, 10, 15))
    _simulate(engine, clock, deps, deliverer, utc(3, 9, 6), utc(3, 12, 0))

    assert _messages(engine, ALICE) == [
        (utc(3, 9, 15), ["agenda_prompt"]),  # a day before the session
        # 09:00 in Berlin, three days before Friday: one message for both.
        (utc(3, 10, 8), ["goal_due", "milestone_due"]),
        (utc(3, 10, 14, 45), ["session_reminder"]),
        (utc(3, 10, 17), ["scorecard"]),  # an hour after the unlogged session's end
        # The next day's reminder: its own message, at the start of Alice's day.
        (utc(3, 11, 8), ["milestone_due"]),
        (utc(3, 11, 16), ["did_you_meet"]),
    ]
    assert _messages(engine, BOB) == [
        (utc(3, 10, 14, 45), ["session_reminder"]),
        (utc(3, 11, 16), ["did_you_meet"]),
    ]

    # In Slack: six messages for Alice, the bundle with a section and a button for each.
    messages = _dm(slack, ALICE)
    assert len(messages) == 6
    [bundle] = [m for m in messages if "keys" in m["metadata"]["event_payload"]]
    rows = {r.dedupe_key: r for r in _rows(engine)}
    keys = bundle["metadata"]["event_payload"]["keys"]
    assert sorted(rows[k].rule for k in keys) == ["goal_due", "milestone_due"]
    assert {rows[k].message_ts for k in keys} == {bundle["ts"]}
    assert bundle["metadata"]["event_payload"]["key"].startswith("bundle:")
    assert bundle["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "2 things for your mentoring today", "emoji": True},
    }
    text = json.dumps(bundle["blocks"])
    assert "Run the quarterly review on my own" in text
    assert "Draft the review deck" in text
    assert "Book the directors" not in text
    assert _buttons(bundle) == [(ActionId.GOALS_OPEN, str(pairing_id))] * 2
    assert "Your goal is due on Friday 13 March" in bundle["text"]
    assert_valid_view({"text": bundle["text"], "blocks": bundle["blocks"]}, surface="message")
    # A bundle of one is just the prompt, under its own key.
    [alone] = [r for r in rows.values() if r.dedupe_key.startswith("milestone_due:")][1:]
    [sent_alone] = [m for m in messages if m["ts"] == alone.message_ts]
    assert sent_alone["metadata"]["event_payload"] == {"key": alone.dedupe_key}
    assert sent_alone["blocks"] == alone.payload["blocks"]


def test_each_section_keeps_buttons_that_work_through_the_app(
    bot: SlackToBot,
    engine: Engine,
    clock: FrozenClock,
    deliverer: Deliverer,
    slack: SlackDouble,
) -> None:
    """A lapse nudge, a re-assessment and a due reminder in one message: each button opens its
    own modal for Alice, and the message stays as it was (no section is lost to a click)."""
    pairing_id = _store_pair(engine)
    clock.current = utc(3, 16, 8)
    prompts = {
        "lapse_nudge": build_lapse_nudge(
            pairing_id=pairing_id, partner_user_id=BOB, days=10, program_name="Spring"
        ),
        "skill_reassessment": build_reassessment_prompt(pairing_id=pairing_id, partner_user_id=BOB),
        "goal_due": build_due_reminder(
            pairing_id=pairing_id, what="goal", title="Run the review", due=date(2026, 3, 19)
        ),
    }
    _enqueue(
        engine,
        clock,
        *(_planned(clock, f"{rule}:1", rule=rule, payload=p) for rule, p in prompts.items()),
    )
    assert deliverer.run().sent == 3
    [message] = _dm(slack, ALICE)
    assert _buttons(message) == [
        (ActionId.SCHEDULE_OPEN, str(pairing_id)),
        (ActionId.SKILLS_OPEN, str(pairing_id)),
        (ActionId.GOALS_OPEN, str(pairing_id)),
    ]
    opened = []
    for action_id, value in _buttons(message):
        before = len(slack.calls_to("views.open"))
        bot.action(
            action_id,
            value,
            user_id=ALICE,
            trigger_id=slack.new_trigger_id(),
            message=message,
            channel_id=slack.dm_channel_id(ALICE),
        )
        [call] = slack.wait_for("views.open", count=before + 1)[before:]
        opened.append(call.params["view"]["callback_id"])
    assert opened == [CallbackId.SCHEDULE, CallbackId.SKILLS, CallbackId.GOALS]
    assert slack.calls_to("chat.update") == []
    assert _dm(slack, ALICE) == [message]


def _planned(
    clock: FrozenClock,
    key: str,
    *,
    recipient: str = ALICE,
    rule: str = "goal_due",
    payload: dict[str, Any] | None = None,
    **extra: Any,
) -> Planned:
    """A routine prompt for ``recipient``, due now, that may share a message."""
    values: dict[str, Any] = {"due_at": clock(), "bundle": True, **extra}
    return Planned(
        team_id=TEAM,
        dedupe_key=key,
        rule=rule,
        recipient_id=recipient,
        payload=payload
        or build_due_reminder(pairing_id=1, what="goal", title=key, due=date(2026, 3, 20)),
        **values,
    )


def _enqueue(engine: Engine, clock: FrozenClock, *items: Planned) -> None:
    with session_scope(engine) as session:
        outbox.enqueue(session, list(items), now=clock())


@pytest.fixture
def impatient_deps(settings: Settings, engine: Engine, clock: FrozenClock) -> Iterator[Deps]:
    """Deps whose Slack client gives up after one second."""
    client = build_client(settings.slack_bot_token, settings.slack_api_url, timeout=1)
    deps = Deps(settings=settings, engine=engine, gateway=SlackGateway(client), clock=clock)
    yield deps
    deps.background.shutdown(wait=True)


def test_a_bundle_whose_send_timed_out_is_found_and_never_sent_twice(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, impatient_deps: Deps
) -> None:
    """Slack took the bundle but the answer never came: every row waits for one retry moment,
    and the retry finds the message by the bundle's key, even one row at a time."""
    deliverer = Deliverer(
        impatient_deps, worker="w", pacer=Pacer(sleep=lambda _: None), rng=random.Random(1)
    )
    _enqueue(engine, clock, *(_planned(clock, f"k{n}") for n in range(3)))
    slack.fail_next("chat.postMessage", delay=1.5, apply=True)
    report = deliverer.run()
    assert (report.retried, report.sent) == (3, 0)
    rows = _rows(engine)
    assert {r.error for r in rows} == {OUTCOME_UNKNOWN}
    [retry_at] = {r.next_attempt_at for r in rows}
    assert retry_at is not None
    [key] = {r.extras["sent_as"] for r in rows}
    [message] = _dm(slack, ALICE)
    assert message["metadata"]["event_payload"] == {"key": key, "keys": ["k0", "k1", "k2"]}

    # The third row comes back later than the others (as if claimed apart): each retry finds
    # the message by the bundle's key.
    with session_scope(engine) as session:
        late = session.get(Delivery, rows[2].id)
        assert late is not None
        late.next_attempt_at = retry_at + timedelta(minutes=5)
        session.add(late)
    clock.current = retry_at
    assert (deliverer.run().reconciled, len(_dm(slack, ALICE))) == (2, 1)
    clock.advance(timedelta(minutes=5))
    report = deliverer.run()
    assert (report.reconciled, report.sent) == (1, 0)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert {(r.status, r.message_ts) for r in _rows(engine)} == {
        (DeliveryStatus.SENT, message["ts"])
    }


def test_a_lookup_refused_by_a_rate_limit_still_looks_before_resending(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, impatient_deps: Deps
) -> None:
    deliverer = Deliverer(
        impatient_deps, worker="w", pacer=Pacer(sleep=lambda _: None), rng=random.Random(1)
    )
    _enqueue(engine, clock, *(_planned(clock, f"k{n}") for n in range(2)))
    slack.fail_next("chat.postMessage", delay=1.5, apply=True)
    deliverer.run()
    [retry_at] = {r.next_attempt_at for r in _rows(engine)}
    assert retry_at is not None
    clock.current = retry_at
    slack.fail_next("conversations.history", retry_after=2)
    assert deliverer.run().retried == 2
    assert {r.error for r in _rows(engine)} == {OUTCOME_UNKNOWN}
    clock.advance(timedelta(seconds=2))
    assert deliverer.run().reconciled == 2
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_bundle_that_never_reached_slack_goes_once_as_one_message(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer
) -> None:
    _enqueue(engine, clock, *(_planned(clock, f"k{n}") for n in range(2)))
    slack.fail_next("chat.postMessage", status=503)
    assert deliverer.run().retried == 2
    [retry_at] = {r.next_attempt_at for r in _rows(engine)}
    clock.current = retry_at  # type: ignore[assignment]
    report = deliverer.run()
    assert (report.reconciled, report.sent, report.bundles) == (0, 2, 1)
    [message] = _dm(slack, ALICE)
    assert message["metadata"]["event_payload"]["keys"] == ["k0", "k1"]
    # The lookup before the resend asked for the failed send's key, which is not the new one.
    [lookup] = slack.calls_to("conversations.history")
    assert lookup.params["channel"] == slack.dm_channel_id(ALICE)
    assert {r.extras["sent_as"] for r in _rows(engine)} == {
        message["metadata"]["event_payload"]["key"]
    }


def test_a_worker_killed_between_sending_a_bundle_and_marking_it_leaves_no_double(
    engine: Engine,
    clock: FrozenClock,
    slack: SlackDouble,
    deliverer: Deliverer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _enqueue(engine, clock, *(_planned(clock, f"k{n}") for n in range(2)))

    def killed(*_: object, **__: object) -> bool:
        raise SystemExit("killed")

    with monkeypatch.context() as patch:
        patch.setattr(outbox, "mark_sent", killed)
        with pytest.raises(SystemExit):
            deliverer.run()
    assert {r.status for r in _rows(engine)} == {DeliveryStatus.SENDING}
    assert len(_dm(slack, ALICE)) == 1
    assert deliverer.run().claimed == 0  # the dead worker's lease still holds
    clock.advance(timedelta(minutes=3))
    report = deliverer.run()
    assert (report.reconciled, report.sent) == (2, 0)
    [message] = _dm(slack, ALICE)
    assert {(r.status, r.message_ts) for r in _rows(engine)} == {
        (DeliveryStatus.SENT, message["ts"])
    }


def test_a_refused_bundle_goes_a_prompt_at_a_time(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer
) -> None:
    """Sharing a message never stops a prompt that would have gone on its own."""
    _enqueue(engine, clock, *(_planned(clock, f"k{n}") for n in range(2)))
    slack.fail_next("chat.postMessage", error="invalid_blocks", status=200)
    report = deliverer.run()
    assert (report.sent, report.failed, report.bundles) == (2, 0, 0)
    assert [m["metadata"]["event_payload"] for m in _dm(slack, ALICE)] == [
        {"key": "k0"},
        {"key": "k1"},
    ]


def test_many_prompts_fit_slacks_limits_and_a_batch_never_splits_a_persons_bundle(
    engine: Engine, clock: FrozenClock, deps: Deps, slack: SlackDouble
) -> None:
    """Twenty prompts for Alice (2 blocks each) need two messages of at most 50 blocks; Bob's
    four, claimed in batches of five between Alice's, still come as one message; each message
    waits for the pace once."""
    now, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(per_channel=1.0, clock=lambda: now[0], sleep=sleep)
    deliverer = Deliverer(deps, worker="w", pacer=pacer, batch=5)
    items = [_planned(clock, f"alice:{n}") for n in range(20)]
    for n in range(4):
        items.insert(n * 5 + 2, _planned(clock, f"bob:{n}", recipient=BOB))
    _enqueue(engine, clock, *items)
    report = deliverer.run()
    assert (report.sent, report.bundles) == (24, 3)
    alice = _dm(slack, ALICE)
    # A header, then each prompt after a divider: 1 + 16 x 2 + 15 = 48 blocks, then the rest.
    assert [len(m["metadata"]["event_payload"]["keys"]) for m in alice] == [16, 4]
    assert [len(m["blocks"]) for m in alice] == [48, 12]
    [bob] = _dm(slack, BOB)
    assert bob["metadata"]["event_payload"]["keys"] == [f"bob:{n}" for n in range(4)]
    for message in [*alice, bob]:
        assert len(message["blocks"]) <= MESSAGE_BLOCKS
        shown = {"text": message["text"], "blocks": message["blocks"]}
        assert_valid_view(shown, surface="message")
    # Alice's second message waited a second behind her first; Bob's only the workspace's pace.
    assert [round(s, 2) for s in slept] == [1.0, 0.05]


def test_quieter_mode_leaves_out_only_the_prompts_that_merely_inform(
    engine: Engine, clock: FrozenClock, deps: Deps, deliverer: Deliverer, slack: SlackDouble
) -> None:
    """Alice chose the quieter mode: the agenda prompt, the scorecard, "did you meet?" and the
    re-assessment still come; the session reminder and the due reminders do not. Bob, who did
    not, gets his reminder."""
    pairing_id = _store_pair(engine, quiet=frozenset({ALICE}))
    _goal_with_milestones(
        engine,
        pairing_id,
        {"Run the quarterly review on my own": date(2026, 4, 16), "Draft": date(2026, 4, 16)},
    )
    _book(engine, pairing_id, utc(4, 14, 14))
    with session_scope(engine) as session:  # no lapse in the way
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=pairing_id,
                status=MeetingStatus.HELD,
                held_at=utc(4, 10, 14),
            )
        )
    _simulate(engine, clock, deps, deliverer, utc(4, 13, 6), utc(4, 16, 0))

    assert _messages(engine, ALICE) == [
        (utc(4, 13, 7), ["skill_reassessment"]),  # six weeks: 09:00 in Berlin
        (utc(4, 13, 14), ["agenda_prompt"]),
        (utc(4, 14, 16), ["scorecard"]),
        (utc(4, 15, 15), ["did_you_meet"]),
    ]
    dropped = sorted((r.rule, r.error) for r in _rows(engine) if r.status is DeliveryStatus.DROPPED)
    assert dropped == [
        ("goal_due", QUIET_MODE),
        ("milestone_due", QUIET_MODE),
        ("session_reminder", QUIET_MODE),
    ]
    assert ["session_reminder"] in [rules for _, rules in _messages(engine, BOB)]
    assert len(_dm(slack, ALICE)) == 4


def test_quieter_mode_is_read_as_the_prompt_goes_and_per_program(
    engine: Engine, clock: FrozenClock, slack: SlackDouble, deliverer: Deliverer
) -> None:
    """Turned on after a reminder was planned, it still keeps the reminder back; in a program
    where Alice did not choose it, her reminder comes."""
    pairing_id = _store_pair(engine)
    with session_scope(engine) as session:
        program_id = session.exec(select(Program.id)).one()
        other = Program(
            team_id=TEAM,
            name="Autumn",
            status=ProgramStatus.ACTIVE,
            start_date=date(2026, 3, 2),
            created_by="UADMIN",
        )
        session.add(other)
        session.flush()
        session.add(
            Participant(team_id=TEAM, program_id=other.id or 0, user_id=ALICE, role=Role.MENTEE)
        )
        other_id = other.id
    reminder = build_session_reminder(
        pairing_id=pairing_id, partner_user_id=BOB, start=clock(), tz="UTC", minutes=60
    )
    _enqueue(
        engine,
        clock,
        *(
            _planned(
                clock, key, payload=reminder, program_id=program, needs_answer=False, bundle=False
            )
            for key, program in (("reminder:spring", program_id), ("reminder:autumn", other_id))
        ),
        _planned(clock, "reassess:spring", program_id=program_id),
    )
    with session_scope(engine) as session:
        [alice] = session.exec(
            select(Participant).where(
                Participant.user_id == ALICE, Participant.program_id == program_id
            )
        ).all()
        alice.quiet = True
        session.add(alice)
    report = deliverer.run()
    assert (report.claimed, report.dropped, report.sent) == (3, 1, 2)
    status = {r.dedupe_key: (r.status, r.error) for r in _rows(engine)}
    assert status["reminder:spring"] == (DeliveryStatus.DROPPED, QUIET_MODE)
    assert status["reminder:autumn"] == (DeliveryStatus.SENT, None)
    assert status["reassess:spring"] == (DeliveryStatus.SENT, None)
    assert len(_dm(slack, ALICE)) == 2


def test_the_bundle_builder_keeps_each_prompt_and_slacks_rules() -> None:
    first = build_reassessment_prompt(pairing_id=7, partner_user_id=BOB)
    second = build_due_reminder(pairing_id=7, what="goal", title="Ship", due=date(2026, 3, 20))
    # Two prompts built with the same block_id: the second is renamed, each stays unique.
    first["blocks"][1]["block_id"] = second["blocks"][1]["block_id"] = "prompt"
    assert build_bundle([first]) == first
    bundle = build_bundle([first, second])
    assert [b["type"] for b in bundle["blocks"]] == [
        "header",
        "section",
        "actions",
        "divider",
        "section",
        "actions",
    ]
    assert [b.get("block_id") for b in bundle["blocks"] if b["type"] == "actions"] == [
        "prompt",
        "prompt~2.1",
    ]
    assert first["blocks"][1]["block_id"] == "prompt"  # the prompts themselves are not changed
    assert bundle["text"].startswith("2 things for your mentoring today: Time for a skill")
    assert_valid_view(bundle, surface="message")
    assert pack([first] * 40) == [list(range(16)), list(range(16, 32)), list(range(32, 40))]
