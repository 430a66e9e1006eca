"""When a prompt may reach a person: inside their working hours, in their own timezone.

A prompt aimed outside someone's working hours moves *earlier*, to the end of their last working
window before it (a reminder the evening before beats a ping at 3 a.m.). A routine prompt whose
moment is a day rather than a minute comes at the start of that day's working hours (of the last
working day before it, on a day off), so that a person's prompts of one day fall due together and
arrive as one message. All arithmetic is on local wall-clock times through ``zoneinfo``, so a DST
change neither shifts nor repeats anything.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The last working minute: a prompt moved to a window's end arrives just before it closes.
_END_MARGIN = timedelta(minutes=1)
# How far back (and forward) to look for a working window: covers long weekends and holidays.
_SEARCH_DAYS = 10


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """A person's working week in their timezone."""

    tz: str = "UTC"
    start: time = time(9, 0)
    end: time = time(18, 0)
    # ISO weekdays, Monday = 1.
    days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    # Each day's window once worked out: a planning pass asks for the same few weeks' days
    # hundreds of thousands of times (the planner shares one instance per week, ``hours_of``).
    _windows: dict[date, tuple[datetime, datetime] | None] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )

    @property
    def zone(self) -> ZoneInfo:
        """The timezone, UTC when Slack gave us a name this machine doesn't know."""
        return _zone(self.tz)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The UTC start and end of work on ``day`` (local date), or None on a day off."""
        try:
            return self._windows[day]
        except KeyError:
            found = self._windows[day] = self._window(day)
            return found

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if day.isoweekday() not in self.days or self.end <= self.start:
            return None
        zone = self.zone
        opens = datetime.combine(day, self.start, tzinfo=zone).astimezone(UTC)
        closes = datetime.combine(day, self.end, tzinfo=zone).astimezone(UTC)
        return opens, closes

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` falls inside working hours."""
        window = self.window(moment.astimezone(self.zone).date())
        return window is not None and window[0] <= moment < window[1]


@lru_cache(maxsize=1024)
def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def latest_working_moment(hours: WorkingHours, target: datetime) -> datetime | None:
    """``target`` if inside working hours, else the end of the last working window before it."""
    if hours.contains(target):
        return target
    local_day = target.astimezone(hours.zone).date()
    for back in range(_SEARCH_DAYS):
        window = hours.window(local_day - timedelta(days=back))
        if window is not None and window[1] <= target:
            return window[1] - _END_MARGIN
    return None


def next_working_moment(hours: WorkingHours, moment: datetime) -> datetime | None:
    """``moment`` if inside working hours, else the start of the next window."""
    if hours.contains(moment):
        return moment
    local_day = moment.astimezone(hours.zone).date()
    for ahead in range(_SEARCH_DAYS):
        window = hours.window(local_day + timedelta(days=ahead))
        if window is not None and window[0] > moment:
            return window[0]
    return None


def next_working_start(hours: WorkingHours, moment: datetime) -> datetime | None:
    """The start of the first working window after ``moment`` (not the one it is in)."""
    local_day = moment.astimezone(hours.zone).date()
    for ahead in range(_SEARCH_DAYS):
        window = hours.window(local_day + timedelta(days=ahead))
        if window is not None and window[0] > moment:
            return window[0]
    return None


def delivery_time(
    hours: WorkingHours, target: datetime, *, now: datetime, expires: datetime | None
) -> datetime | None:
    """When to deliver a prompt aimed at ``target``: the latest working moment up to it.

    When that moment has already passed (planned late, or the bot was down), deliver now if
    now is a working moment, or at the next window, as long as that is before ``expires``;
    None means the prompt is no longer worth sending.
    """
    moment = latest_working_moment(hours, target)
    if moment is None or moment < now:
        moment = next_working_moment(hours, now)
    if moment is None or (expires is not None and moment >= expires):
        return None
    return moment


def last_target_due_by(hours: WorkingHours, moment: datetime) -> datetime:
    """The latest target whose delivery moment can fall at or before ``moment``.

    A later target is inside working hours and after ``moment``, or moves back at most to the
    end of a window that closes after ``moment``; either way it is delivered later. Planning
    reads only targets up to this bound, so it never looks at prompts that cannot be due yet.
    """
    after = moment + _END_MARGIN
    return next_working_moment(hours, after) or after


def working_day_start(hours: WorkingHours, moment: datetime) -> datetime:
    """The start of the working window ``moment`` falls in (``moment`` itself outside one)."""
    window = hours.window(moment.astimezone(hours.zone).date())
    if window is not None and window[0] <= moment < window[1]:
        return window[0]
    return moment


def day_delivery_time(
    hours: WorkingHours, target: datetime, *, now: datetime, expires: datetime | None
) -> datetime | None:
    """When to deliver a prompt whose moment is a day: at the start of that working day.

    The day is the target's own (local) day when the person works that day, else the last
    working day before it. Once that start has passed, like ``delivery_time``: now if it is a
    working moment, else the next window, before ``expires``. A person's prompts of one day
    then fall due at one moment and go as one message.
    """
    window = hours.window(target.astimezone(hours.zone).date())
    if window is not None:
        moment: datetime | None = window[0]
    else:
        before = latest_working_moment(hours, target)
        moment = working_day_start(hours, before) if before is not None else None
    if moment is None or moment < now:
        moment = next_working_moment(hours, now)
    if moment is None or (expires is not None and moment >= expires):
        return None
    return moment


def last_day_target_due_by(hours: WorkingHours, moment: datetime) -> datetime:
    """The latest target whose ``day_delivery_time`` can fall at or before ``moment``.

    A target on a later working day is delivered at that day's start; any earlier target on
    its own day or the days off before it, so the bound is the (local) midnight that begins the
    first working day after ``moment``'s.
    """
    local_day = moment.astimezone(hours.zone).date()
    for ahead in range(1, _SEARCH_DAYS):
        day = local_day + timedelta(days=ahead)
        if hours.window(day) is not None:
            return datetime.combine(day, time(0), tzinfo=hours.zone).astimezone(UTC)
    return last_target_due_by(hours, moment)
