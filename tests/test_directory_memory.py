"""The directory's memory: a process answers a person's lookups from what it read for a minute,
judged by the same ages as the database's rows, and forgets an erased person at once."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine, event, update
from sqlmodel import col, select

from bot import directory as directory_module
from bot.deps import Deps
from bot.directory import MEMORY_SECONDS, Directory
from bot.sandbox.slack_double import SlackDouble
from storage.db import read_engine, session_scope
from storage.models import SlackUser
from tests.conftest import FrozenClock, TickingClock

TEAM = "T0001"


@pytest.fixture
def ticks() -> TickingClock:
    return TickingClock()


@pytest.fixture
def people(deps: Deps, engine: Engine, clock: FrozenClock, ticks: TickingClock) -> Directory:
    return Directory(deps.slack, engine, clock, monotonic=ticks)


@pytest.fixture
def lookups(engine: Engine) -> Iterator[list[str]]:
    """The statements that read the directory's table."""
    seen: list[str] = []

    def record(*args: object) -> None:
        statement = str(args[2])
        if "FROM slackuser" in statement:
            seen.append(statement)

    # The directory reads in read units, which connect through the readers' engine.
    engines = {engine, read_engine(engine)}
    for each in engines:
        event.listen(each, "before_cursor_execute", record)
    yield seen
    for each in engines:
        event.remove(each, "before_cursor_execute", record)


def _move_to(engine: Engine, user_id: str, tz: str) -> None:
    """Another copy of the bot stored a newer answer from Slack."""
    with session_scope(engine) as session:
        session.execute(
            update(SlackUser)
            .where(col(SlackUser.team_id) == TEAM, col(SlackUser.user_id) == user_id)
            .values(tz=tz)
        )


def test_a_person_looked_up_again_within_the_minute_costs_no_unit_of_work(
    people: Directory, slack: SlackDouble, lookups: list[str]
) -> None:
    assert people.tz(team_id=TEAM, user_id="U0002") == "America/New_York"
    read_once = len(lookups)
    for _ in range(5):
        assert people.tz(team_id=TEAM, user_id="U0002") == "America/New_York"
    assert len(lookups) == read_once
    assert len(slack.calls_to("users.info")) == 1


def test_after_the_minute_the_database_is_read_again_and_another_copys_answer_counts(
    people: Directory, engine: Engine, ticks: TickingClock, lookups: list[str], slack: SlackDouble
) -> None:
    assert people.tz(team_id=TEAM, user_id="U0002") == "America/New_York"
    _move_to(engine, "U0002", "Asia/Kolkata")
    ticks.now += MEMORY_SECONDS - 1
    assert people.tz(team_id=TEAM, user_id="U0002") == "America/New_York"  # still remembered
    read = len(lookups)
    ticks.now += 1
    assert people.tz(team_id=TEAM, user_id="U0002") == "Asia/Kolkata"
    assert len(lookups) == read + 1
    assert len(slack.calls_to("users.info")) == 1  # the database's row was young enough


def test_what_is_remembered_is_aged_by_the_bots_clock_like_the_database_row(
    people: Directory, clock: FrozenClock, slack: SlackDouble
) -> None:
    people.tz(team_id=TEAM, user_id="U0002")
    clock.advance(directory_module.CACHE_TTL + timedelta(minutes=1))
    # Remembered moments ago, but the answer itself is more than a day old: Slack is asked.
    people.tz(team_id=TEAM, user_id="U0002")
    assert len(slack.calls_to("users.info")) == 2


def test_a_rights_check_still_asks_slack_every_time(people: Directory, slack: SlackDouble) -> None:
    for _ in range(3):
        assert people.is_admin(team_id=TEAM, user_id="UADMIN")
    assert len(slack.calls_to("users.info")) == 3
    # And a plain lookup after it is answered from memory.
    people.tz(team_id=TEAM, user_id="UADMIN")
    assert len(slack.calls_to("users.info")) == 3


def test_forget_drops_the_person_from_memory(
    people: Directory, engine: Engine, slack: SlackDouble
) -> None:
    assert people.tz(team_id=TEAM, user_id="U0002") == "America/New_York"
    _move_to(engine, "U0002", "Europe/Berlin")
    people.forget(team_id=TEAM, user_id="U0002")
    assert people.tz(team_id=TEAM, user_id="U0002") == "Europe/Berlin"


def test_memory_is_bounded_and_keeps_the_most_recently_used(
    people: Directory, lookups: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(directory_module, "MEMORY_PEOPLE", 2)
    for user in ("U0001", "U0002", "U0001", "UADMIN"):
        people.tz(team_id=TEAM, user_id=user)
    read = len(lookups)
    people.tz(team_id=TEAM, user_id="U0001")  # used last but one: kept
    assert len(lookups) == read
    people.tz(team_id=TEAM, user_id="U0002")  # least recently used: pushed out
    assert len(lookups) == read + 1


def test_workspaces_are_remembered_apart(
    people: Directory, lookups: list[str], slack: SlackDouble
) -> None:
    people.tz(team_id=TEAM, user_id="U0002")
    read = len(lookups)
    people.known(team_id="T0OTHER", user_id="U0002")
    # The other workspace's person is looked for in the database, then asked of Slack.
    assert len(lookups) > read
    assert len(slack.calls_to("users.info")) == 2


@pytest.mark.postgres
def test_copies_storing_one_person_at_the_same_moment_do_not_collide(
    deps: Deps, pg_engine: Engine, clock: FrozenClock
) -> None:
    """Two copies of the bot (or two workers) look a new person up at once: both have read no
    row and both store Slack's answer, the second over the first, and neither fails on the
    row's key (a read, then an insert, did: the second insert broke the unique constraint)."""
    copies = [Directory(deps.slack, pg_engine, clock) for _ in range(2)]
    both_read = threading.Barrier(2, timeout=10)

    def meet(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.startswith("INSERT INTO slackuser"):
            both_read.wait()  # each copy has found no row before either stores one

    event.listen(pg_engine, "before_cursor_execute", meet)
    try:
        with ThreadPoolExecutor(2) as pool:
            found = list(
                pool.map(lambda copy: copy.tz(team_id=TEAM, user_id="U0001"), copies, timeout=30)
            )
    finally:
        event.remove(pg_engine, "before_cursor_execute", meet)
    assert found == ["Europe/Berlin", "Europe/Berlin"]
    with session_scope(pg_engine) as session:
        assert session.exec(select(SlackUser.user_id)).all() == ["U0001"]
