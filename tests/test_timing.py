"""Working hours in each person's timezone: prompts move earlier, never into the night."""

import random
from datetime import UTC, datetime, time, timedelta

import pytest

from scheduler.timing import (
    WorkingHours,
    delivery_time,
    last_target_due_by,
    latest_working_moment,
)

BERLIN = WorkingHours(tz="Europe/Berlin")
NEW_YORK = WorkingHours(tz="America/New_York", start=time(8, 30), end=time(17, 0))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        # Tuesday 10:00 Berlin (09:00 UTC) is working time: unchanged.
        (utc(2026, 3, 3, 9, 0), utc(2026, 3, 3, 9, 0)),
        # Tuesday 03:00 Berlin: moved to Monday 17:59 Berlin.
        (utc(2026, 3, 3, 2, 0), utc(2026, 3, 2, 16, 59)),
        # Sunday noon: moved back to Friday 17:59.
        (utc(2026, 3, 8, 11, 0), utc(2026, 3, 6, 16, 59)),
        # Monday 08:00 Berlin, before work: the previous Friday.
        (utc(2026, 3, 9, 7, 0), utc(2026, 3, 6, 16, 59)),
    ],
)
def test_prompts_move_earlier_into_the_last_working_window(
    target: datetime, expected: datetime
) -> None:
    assert latest_working_moment(BERLIN, target) == expected


def test_windows_follow_daylight_saving_time() -> None:
    # Berlin moves its clocks on Sunday 29 March 2026: 09:00 is 08:00 UTC before, 07:00 after.
    assert BERLIN.window(datetime(2026, 3, 27).date()) == (
        utc(2026, 3, 27, 8),
        utc(2026, 3, 27, 17),
    )
    assert BERLIN.window(datetime(2026, 3, 30).date()) == (
        utc(2026, 3, 30, 7),
        utc(2026, 3, 30, 16),
    )
    # New York moved on 8 March: 08:30 EDT is 12:30 UTC.
    assert NEW_YORK.window(datetime(2026, 3, 9).date()) == (
        utc(2026, 3, 9, 12, 30),
        utc(2026, 3, 9, 21, 0),
    )


def test_days_off_are_skipped() -> None:
    four_days = WorkingHours(tz="UTC", days=frozenset({1, 2, 3, 4}))
    # Friday is a day off: a Friday prompt goes out on Thursday evening.
    assert latest_working_moment(four_days, utc(2026, 3, 6, 10)) == utc(2026, 3, 5, 17, 59)


def test_a_missed_moment_goes_out_now_in_working_hours() -> None:
    now = utc(2026, 3, 3, 10, 0)
    assert delivery_time(BERLIN, utc(2026, 3, 3, 2, 0), now=now, expires=None) == now


def test_a_missed_moment_at_night_waits_for_the_morning() -> None:
    night = utc(2026, 3, 3, 22, 0)  # 23:00 Berlin
    morning = utc(2026, 3, 4, 8, 0)  # 09:00 Berlin
    assert delivery_time(BERLIN, utc(2026, 3, 3, 12), now=night, expires=None) == morning


def test_a_prompt_that_would_arrive_too_late_is_dropped() -> None:
    night = utc(2026, 3, 3, 22, 0)
    assert delivery_time(BERLIN, utc(2026, 3, 3, 12), now=night, expires=utc(2026, 3, 4, 6)) is None


def test_an_unknown_timezone_falls_back_to_utc() -> None:
    assert WorkingHours(tz="Mars/Olympus").window(datetime(2026, 3, 3).date()) == (
        utc(2026, 3, 3, 9),
        utc(2026, 3, 3, 18),
    )


WEEKS = (
    BERLIN,
    NEW_YORK,
    WorkingHours(tz="Asia/Kolkata", start=time(10, 0), end=time(18, 30)),
    WorkingHours(tz="Australia/Sydney", days=frozenset({1, 2, 3, 4})),
    WorkingHours(tz="America/Los_Angeles", start=time(12, 0), end=time(20, 0), days=frozenset({1})),
)


@pytest.mark.parametrize("hours", WEEKS, ids=lambda hours: hours.tz)
def test_no_target_beyond_the_bound_is_due_by_the_moment(hours: WorkingHours) -> None:
    """Planning reads targets up to ``last_target_due_by`` only: nothing later may be due."""
    rng = random.Random(hours.tz)
    for _ in range(400):
        # Any moment of a year with both DST changes, on minute and odd-second boundaries.
        now = utc(2026, 1, 1) + timedelta(seconds=rng.randrange(365 * 24 * 3600))
        moment = now + timedelta(minutes=rng.choice((0, 1, 10, 90)))
        bound = last_target_due_by(hours, moment)
        assert bound >= moment
        for after in (timedelta(seconds=1), timedelta(minutes=rng.randrange(1, 5 * 24 * 60))):
            due = delivery_time(hours, bound + after, now=now, expires=None)
            assert due is None or due > moment, (now, moment, bound + after, due)
