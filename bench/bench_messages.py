"""The message budget: how many DMs each person gets over a six-month program.

Run from the repository root: ``python bench/bench_messages.py``. Prints figures; asserts
nothing. Real time: about half a minute.

A six-month program (2 March to 1 September 2026, a session every two weeks) led by Lea in
London: Mira (Berlin) mentors Ada (Berlin); Noah (New York) mentors Ben (London) and Cleo (New
York). Every mentee is active: each has two dated goals with two milestones each, every session
happens as booked and is logged half an hour after it ends (the mentee then rates it, as the
log's scorecard prompt asks), and the next one is booked at once. So no lapse nudge, scorecard
reminder or "did you meet?" is ever needed: what is left is the program's routine.

The real planner (``scheduler.rules.Planner``) and delivery engine (``scheduler.delivery``) run
on an injected clock against the Slack double, as ``tests/test_program_simulation.py`` runs
them: the planner runs every other day at midnight UTC, looking ahead to its next run (the
running bot plans every minute, ten minutes ahead: the rules plan the same messages for the same
moments either way), and each message is delivered at the moment it is due; people act at their
own moments in between. Three runs:

- before: each prompt its own DM, at its own moment (bundling off);
- after: routine prompts due the same day come as one DM with a section each;
- quieter: after, with everyone in quieter mode (only the prompts that need an answer).

Messages from people's own actions (an agenda shared, a goal agreed) are not counted: they are
the same in every run.
"""

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

# Run as a plain script, so the repository root is not on sys.path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine
from sqlmodel import col, select

from bot.config import Settings
from bot.deps import Deps
from bot.gateway import SlackGateway, build_client
from bot.sandbox.slack_double import SlackDouble
from scheduler import outbox
from scheduler.delivery import Deliverer, Pacer
from scheduler.rules import Planner, scorecard_prompt_now
from scheduler.tick import PLAN_CHUNK
from storage.db import make_engine, session_scope
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
from storage.migrate import upgrade
from storage.models import Delivery, Goal, Meeting, Milestone, Pairing, Participant, Program

TEAM = "T0001"
START = date(2026, 3, 2)  # a Monday
MONTHS = 6
PAIRED_AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
EVERY = timedelta(weeks=2)
LENGTH = timedelta(minutes=60)
LOGGED_AFTER = LENGTH + timedelta(minutes=30)
# How often the simulation plans: the midpoint survey is read from the eve of its day (UTC).
PLAN_EVERY = timedelta(days=2)


@dataclass(frozen=True)
class Person:
    """Someone in the program, as the table names them."""

    user_id: str
    name: str
    tz: str

    def label(self, role: str) -> str:
        """``Ada (mentee, Berlin)``."""
        return f"{self.name} ({role}, {self.tz.split('/')[-1].replace('_', ' ')})"


LEA = Person("UL0001", "Lea", "Europe/London")
MIRA = Person("UM0001", "Mira", "Europe/Berlin")
NOAH = Person("UM0002", "Noah", "America/New_York")
ADA = Person("UE0001", "Ada", "Europe/Berlin")
BEN = Person("UE0002", "Ben", "Europe/London")
CLEO = Person("UE0003", "Cleo", "America/New_York")


@dataclass(frozen=True)
class PairPlan:
    """A mentor, a mentee, and when they meet: a weekday and a time in the mentee's zone."""

    mentor: Person
    mentee: Person
    first: date
    at: clock_time
    # Goal and milestone due dates move with the pair, so the three are not all alike.
    shift: int


PAIRS = (
    PairPlan(MIRA, ADA, date(2026, 3, 3), clock_time(15), shift=0),  # Tuesdays, Berlin
    PairPlan(NOAH, BEN, date(2026, 3, 4), clock_time(15), shift=2),  # Wednesdays, London
    PairPlan(NOAH, CLEO, date(2026, 3, 5), clock_time(11), shift=5),  # Thursdays, New York
)
ROWS = (
    (MIRA, "mentor, 1 mentee"),
    (NOAH, "mentor, 2 mentees"),
    (ADA, "mentee"),
    (BEN, "mentee"),
    (CLEO, "mentee"),
    (LEA, "lead"),
)


class Clock:
    """The bot's clock: it moves only when the simulation says so."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Stored:
    """What the simulation acts on: the program and each pair's pairing id."""

    program_id: int
    pairing_ids: dict[PairPlan, int]


def store_program(engine: Engine, *, quiet: bool) -> Stored:
    """The program, its people (all in quieter mode when ``quiet``) and its three pairings."""
    with session_scope(engine) as session:
        program = Program(
            team_id=TEAM,
            name="Growth 2026",
            status=ProgramStatus.ACTIVE,
            start_date=START,
            length_months=MONTHS,
            cadence=Cadence.BIWEEKLY,
            competencies=["Negotiation", "Public speaking", "Delegation"],
            created_by=LEA.user_id,
        )
        session.add(program)
        session.flush()
        program_id = program.id or 0
        people: dict[tuple[str, Role], int] = {}
        for plan in PAIRS:
            for person, role in ((plan.mentor, Role.MENTOR), (plan.mentee, Role.MENTEE)):
                if (person.user_id, role) in people:
                    continue
                participant = Participant(
                    team_id=TEAM,
                    program_id=program_id,
                    user_id=person.user_id,
                    role=role,
                    timezone=person.tz,
                    capacity=2,
                    quiet=quiet,
                )
                session.add(participant)
                session.flush()
                people[person.user_id, role] = participant.id or 0
        pairing_ids = {}
        for plan in PAIRS:
            pairing = Pairing(
                team_id=TEAM,
                program_id=program_id,
                mentor_id=people[plan.mentor.user_id, Role.MENTOR],
                mentee_id=people[plan.mentee.user_id, Role.MENTEE],
                mentor_user_id=plan.mentor.user_id,
                mentee_user_id=plan.mentee.user_id,
                status=PairingStatus.ACTIVE,
                started_at=PAIRED_AT,
            )
            session.add(pairing)
            session.flush()
            pairing_ids[plan] = pairing.id or 0
    return Stored(program_id, pairing_ids)


def set_goals(engine: Engine, pairing_id: int, plan: PairPlan) -> None:
    """Two agreed goals, due in May and August, with two milestones each."""
    shift = timedelta(days=plan.shift)
    goals = {
        "Lead the quarterly planning review": (
            date(2026, 5, 15),
            [date(2026, 4, 3), date(2026, 4, 24)],
        ),
        "Run a design review of my own": (
            date(2026, 8, 21),
            [date(2026, 6, 19), date(2026, 7, 24)],
        ),
    }
    with session_scope(engine) as session:
        for statement, (due, milestones) in goals.items():
            goal = Goal(
                team_id=TEAM,
                pairing_id=pairing_id,
                statement=statement,
                due_date=due + shift,
                status=GoalStatus.AGREED,
                progress=GoalProgress.ON_TRACK,
                proposed_by=plan.mentee.user_id,
                agreed_by=plan.mentor.user_id,
            )
            session.add(goal)
            session.flush()
            for number, day in enumerate(milestones, start=1):
                session.add(
                    Milestone(
                        team_id=TEAM,
                        goal_id=goal.id or 0,
                        title=f"Step {number}",
                        due_date=day + shift,
                    )
                )


def session_start(plan: PairPlan, day: date) -> datetime:
    """The session of ``day`` at the pair's time, in the mentee's zone, in UTC."""
    return datetime.combine(day, plan.at, tzinfo=ZoneInfo(plan.mentee.tz)).astimezone(UTC)


def book(engine: Engine, pairing_id: int, plan: PairPlan, day: date) -> None:
    """The mentor books the session of ``day``."""
    with session_scope(engine) as session:
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=pairing_id,
                status=MeetingStatus.SCHEDULED,
                scheduled_start=session_start(plan, day),
                duration_minutes=int(LENGTH.total_seconds() // 60),
                scheduled_by=plan.mentor.user_id,
            )
        )


def log(engine: Engine, pairing_id: int, plan: PairPlan, day: date, now: datetime) -> None:
    """The mentee logs the session of ``day`` as held; logging asks for its scorecard."""
    start = session_start(plan, day)
    with session_scope(engine) as session:
        meeting = session.exec(
            select(Meeting).where(
                col(Meeting.pairing_id) == pairing_id, col(Meeting.scheduled_start) == start
            )
        ).one()
        meeting.status = MeetingStatus.HELD
        meeting.held_at = start
        meeting.minutes_held = meeting.duration_minutes
        meeting.logged_by = plan.mentee.user_id
        session.add(meeting)
        session.flush()
        card = scorecard_prompt_now(
            session, team_id=TEAM, meeting_id=meeting.id or 0, tz=plan.mentee.tz, now=now
        )
        if card is not None:
            outbox.enqueue(session, [card], now=now)


Action = Callable[[], None]


def script(engine: Engine, stored: Stored, clock: Clock) -> list[tuple[datetime, Action]]:
    """Every move the people make over the six months, with its moment."""
    end = datetime.combine(program_end(), clock_time(0), tzinfo=UTC)
    moves: list[tuple[datetime, Action]] = []
    for plan, pairing_id in stored.pairing_ids.items():

        def begin(plan: PairPlan = plan, pairing_id: int = pairing_id) -> None:
            set_goals(engine, pairing_id, plan)
            book(engine, pairing_id, plan, plan.first)

        moves.append((PAIRED_AT, begin))
        day = plan.first
        while session_start(plan, day) + LOGGED_AFTER < end:
            following = day + EVERY

            def held(
                plan: PairPlan = plan,
                pairing_id: int = pairing_id,
                day: date = day,
                following: date = following,
            ) -> None:
                log(engine, pairing_id, plan, day, clock.now)
                if session_start(plan, following) < end:
                    book(engine, pairing_id, plan, following)

            moves.append((session_start(plan, day) + LOGGED_AFTER, held))
            day = following
    return moves


def program_end() -> date:
    """The day after the program's last day."""
    month = START.month + MONTHS
    return START.replace(year=START.year + (month - 1) // 12, month=(month - 1) % 12 + 1)


def plan(deps: Deps, horizon: timedelta, *, bundling: bool) -> None:
    """One planning pass, as ``scheduler.tick.plan_due`` runs it, bundling on or off."""
    now = deps.now()
    with deps.session() as session:
        planned = Planner(session, now=now, horizon=horizon, bundling=bundling).plan()
        while chunk := list(islice(planned, PLAN_CHUNK)):
            outbox.enqueue(session, chunk, now=now)


def deliver_before(moment: datetime, engine: Engine, clock: Clock, deliverer: Deliverer) -> None:
    """Deliver each pending row due before ``moment`` at the very moment it is due."""
    with session_scope(engine) as session:
        due = session.exec(
            select(Delivery.due_at).where(
                col(Delivery.status) == DeliveryStatus.PENDING.value,
                col(Delivery.due_at) < moment,
            )
        ).all()
    for at in sorted(set(due)):
        clock.now = at
        deliverer.run()


@dataclass(frozen=True)
class Run:
    """What one run sent: DMs and prompts per person, and how long it took."""

    dms: Counter[str]
    prompts: Counter[str]
    dropped: Counter[str]
    # (recipient, rule): prompts sent
    rules: Counter[tuple[str, str]]
    seconds: float


def simulate(*, bundling: bool, quiet: bool) -> Run:
    """The six months, on a fresh database and Slack double."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, SlackDouble() as slack:
        for person in (LEA, MIRA, NOAH, ADA, BEN, CLEO):
            slack.add_user(person.user_id, name=person.name.lower(), tz=person.tz)
        engine = make_engine(f"sqlite:///{Path(folder) / 'messages.db'}")
        upgrade(engine)
        clock = Clock(PAIRED_AT)
        settings = Settings(
            slack_bot_token="xoxb-bench",  # noqa: S106 - the Slack double takes any token
            slack_signing_secret=None,
            slack_app_token=None,
            slack_api_url=slack.api_url,
            database_url=str(engine.url),
        )
        client = build_client(settings.slack_bot_token, slack.api_url)
        deps = Deps(settings=settings, engine=engine, gateway=SlackGateway(client), clock=clock)
        deliverer = Deliverer(
            deps, worker="bench", pacer=Pacer(sleep=lambda _: None), bundling=bundling
        )
        try:
            stored = store_program(engine, quiet=quiet)
            moves = script(engine, stored, clock)
            by_moment: dict[datetime, list[Action]] = {}
            for moment, action in moves:
                by_moment.setdefault(moment, []).append(action)
            end = datetime.combine(program_end(), clock_time(0), tzinfo=UTC)
            first = datetime.combine(START, clock_time(0), tzinfo=UTC)
            passes = range(1, (end - first) // PLAN_EVERY + 1)
            points = sorted({PAIRED_AT, *(first + PLAN_EVERY * n for n in passes)} - {end})
            for point, following in zip(points, [*points[1:], end], strict=True):
                clock.now = point
                for action in by_moment.pop(point, []):
                    action()
                plan(deps, following - point, bundling=bundling)
                for moment in sorted(m for m in by_moment if point < m < following):
                    deliver_before(moment, engine, clock, deliverer)
                    clock.now = moment
                    for action in by_moment.pop(moment):
                        action()
                deliver_before(following, engine, clock, deliverer)
            with session_scope(engine) as session:
                rows = list(session.exec(select(Delivery)))
        finally:
            engine.dispose()
            deps.background.shutdown(wait=False)
        dms = Counter(
            {p.user_id: len(slack.messages(slack.dm_channel_id(p.user_id))) for p, _ in ROWS}
        )
    return Run(
        dms=dms,
        prompts=Counter(r.recipient_id for r in rows if r.status is DeliveryStatus.SENT),
        dropped=Counter(r.recipient_id for r in rows if r.status is DeliveryStatus.DROPPED),
        rules=Counter((r.recipient_id, r.rule) for r in rows if r.status is DeliveryStatus.SENT),
        seconds=time.perf_counter() - started,
    )


def main() -> None:
    """Run the three scenarios and print the table."""
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    runs = {
        "before": simulate(bundling=False, quiet=False),
        "after": simulate(bundling=True, quiet=False),
        "quieter": simulate(bundling=True, quiet=True),
    }
    print(f"DMs per person, {START:%d %B} to {program_end() - timedelta(days=1):%d %B %Y}")
    print("(prompts in brackets when a DM carried several; quieter: prompts left out after +)")
    print(f"{'person':34} {'before':>8} {'after':>12} {'quieter':>16}")
    for person, role in ROWS:
        user = person.user_id
        cells = []
        for name, run in runs.items():
            cell = str(run.dms[user])
            if run.prompts[user] != run.dms[user]:
                cell += f" ({run.prompts[user]})"
            if name == "quieter":
                cell += f" +{run.dropped[user]}"
            cells.append(cell)
        print(f"{person.label(role):34} {cells[0]:>8} {cells[1]:>12} {cells[2]:>16}")
    total = {name: sum(run.dms.values()) for name, run in runs.items()}
    print(f"{'all DMs':34} {total['before']:>8} {total['after']:>12} {total['quieter']:>16}")
    print("\nprompts per person and rule (before):")
    for person, role in ROWS:
        kinds = sorted(
            (rule, n) for (user, rule), n in runs["before"].rules.items() if user == person.user_id
        )
        print(f"  {person.label(role)}: " + (", ".join(f"{r} {n}" for r, n in kinds) or "none"))
    seconds = ", ".join(f"{name} {run.seconds:.1f} s" for name, run in runs.items())
    print(f"simulated in {seconds}")


if __name__ == "__main__":
    main()
