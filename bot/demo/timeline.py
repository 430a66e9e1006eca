"""Simulated time for the demo: moments in order, the program's calendar, and the scheduler.

The running bot plans every minute, delivers every few seconds and tidies every hour. Over
twelve simulated weeks that would be slow for no difference, so the demo's scheduler runs the
same code at fewer moments: ``plan_due`` at planning points with a horizon reaching the next one
(its contract: "run it at least every horizon"), each planned message delivered by the real
``Deliverer`` at the moment it falls due, and the housekeeping jobs once a day.
"""

import heapq
import itertools
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.demo import cohort
from bot.demo.cohort import LEAD, Member
from bot.demo.stage import Stage
from scheduler.delivery import Deliverer, Pacer
from scheduler.jobs import HOUSEKEEPING, refresh_timezones
from scheduler.tick import plan_due
from scheduler.timing import WorkingHours
from storage.enums import DeliveryStatus
from storage.models import Delivery

# What happens first when several things share a moment: people act, then the scheduler plans,
# then the outbox delivers (as the running bot plans a moment's prompts and sends them).
ACT, PLAN, DELIVER = 0, 1, 2
# On weekdays, from Tokyo's Monday morning to São Paulo's Friday evening, someone is at work.
PLAN_EVERY = timedelta(hours=8)
# Housekeeping runs once a day here (the timezone refresh once a week: nobody moves).
HOUSEKEEPING_EVERY = timedelta(days=1)
TIMEZONES_EVERY = timedelta(weeks=1)


class Timeline:
    """Moments of simulated time and what happens at each, in order."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def add(self, moment: datetime, kind: int, run: Callable[[], None]) -> None:
        """Run ``run`` at ``moment`` (``kind``: ACT, PLAN or DELIVER)."""
        heapq.heappush(self._heap, (moment, kind, next(self._order), run))

    def pop(self) -> tuple[datetime, Callable[[], None]]:
        """The earliest moment and what happens then."""
        moment, _, _, run = heapq.heappop(self._heap)
        return moment, run

    def __bool__(self) -> bool:
        return bool(self._heap)


def week_start(week: int) -> date:
    """The Monday of ``week`` (1-based)."""
    return cohort.START + timedelta(weeks=week - 1)


def local(member: Member, week: int, weekday: int, clock: time) -> datetime:
    """``clock`` on ``weekday`` (0 = Monday) of ``week``, in ``member``'s timezone, as UTC."""
    day = week_start(week) + timedelta(days=weekday)
    return datetime.combine(day, clock, tzinfo=ZoneInfo(member.tz)).astimezone(UTC)


def hours_of(member: Member) -> WorkingHours:
    """The member's working week, as they state it when they join."""
    return WorkingHours(tz=member.tz, start=member.work_start, end=member.work_end)


def week_of(moment: datetime) -> int:
    """The program week ``moment`` falls in (in the lead's calendar)."""
    day = moment.astimezone(ZoneInfo(LEAD.tz)).date()
    return (day - cohort.START).days // 7 + 1


def friday(week: int) -> date:
    """The Friday of ``week``."""
    return week_start(week) + timedelta(days=4)


def planning_points(end: datetime) -> list[datetime]:
    """Every ``PLAN_EVERY`` from Monday 00:00 UTC to Saturday 00:00 UTC, each week, and the
    weekly digest's moment (Monday 09:00 in the program's timezone, the lead's): the digest
    goes out when it is planned."""
    points = set()
    moment = datetime.combine(cohort.START, time(0), tzinfo=UTC)
    while moment < end:
        if moment.weekday() < 5:
            points.add(moment)
        moment += PLAN_EVERY
    for week in range(1, cohort.WEEKS + 1):
        points.add(local(LEAD, week, 0, time(9)))
    return sorted(points)


class Scheduler:
    """The scheduler's jobs, run at the simulated moments the running bot would run them."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        # Seeded: the back-off jitter of a retried delivery is the same on every run.
        self.deliverer = Deliverer(
            stage.deps,
            worker="demo",
            pacer=Pacer(sleep=lambda _: None),
            rng=random.Random(7),  # noqa: S311
        )
        self._last_run: dict[str, datetime] = {}

    def housekeeping(self) -> None:
        """Each housekeeping job that is due by the demo's (daily) schedule."""
        now = self.stage.clock.now
        for job, every in HOUSEKEEPING:
            floor = TIMEZONES_EVERY if job is refresh_timezones else HOUSEKEEPING_EVERY
            last = self._last_run.get(job.__name__)
            # A person's form can carry the clock past a planning point: keep the days even.
            if last is None or now - last >= max(every, floor) - PLAN_EVERY:
                job(self.stage.deps)
                self._last_run[job.__name__] = now

    def plan(self, until: datetime) -> list[datetime]:
        """Plan every prompt due before ``until``; the moments they fall due."""
        now = self.stage.clock.now
        plan_due(self.stage.deps, horizon=max(until - now, timedelta(minutes=1)))
        with self.stage.deps.read() as session:
            due = session.exec(
                select(Delivery.due_at)
                .where(
                    col(Delivery.status) == DeliveryStatus.PENDING.value,
                    col(Delivery.due_at) < until,
                )
                .distinct()
            ).all()
        return sorted({max(moment, now) for moment in due})

    def deliver(self) -> None:
        """Send what is due now."""
        report = self.deliverer.run()
        for error in report.errors:
            self.stage.problems.add(f"{self.stage.clock.now:%a %d %b %H:%M}: delivery: {error}")
