"""PostgreSQL's planner fetches a rule's next slice of rows while it plans the current one
(``scheduler.rules._read_ahead``): the same rows, in the same order, one fetch at a time."""

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

import scheduler.rules as rules
from bench.bench_planning import NOW, build
from scheduler.rules import Planner, _read_ahead

WAIT = 5.0  # seconds: a test that waits longer has deadlocked


def test_every_slice_in_order() -> None:
    assert list(_read_ahead(iter([[1, 2], [3], [4, 5, 6]]))) == [[1, 2], [3], [4, 5, 6]]
    assert list(_read_ahead(iter([]))) == []


def test_the_next_slice_is_fetched_while_this_one_is_used() -> None:
    """The consumer holds slice 1 while slice 2 is fetched in another thread; and never holds
    a slice whose fetch is still going on, nor are two fetches ever going on at once."""
    fetched_second = threading.Event()
    busy = threading.Lock()
    consumer = threading.get_ident()
    threads: list[int] = []

    def slices() -> Iterator[list[int]]:
        for number in (1, 2, 3):
            assert busy.acquire(blocking=False), "two fetches at once"
            threads.append(threading.get_ident())
            if number == 2:
                fetched_second.set()
            busy.release()
            yield [number]

    seen = []
    for rows in _read_ahead(slices()):
        if rows == [1]:
            assert fetched_second.wait(WAIT), "slice 2 was not fetched ahead"
        seen.append(rows)
    assert seen == [[1], [2], [3]]
    assert consumer not in threads


def test_a_reader_that_stops_early_waits_for_the_fetch_in_progress() -> None:
    started = threading.Event()
    release = threading.Event()
    finished = threading.Event()

    def slices() -> Iterator[list[int]]:
        yield [1]
        started.set()
        release.wait(WAIT)
        finished.set()
        yield [2]

    reader = _read_ahead(slices())
    assert next(reader) == [1]
    assert started.wait(WAIT)
    threading.Timer(0.05, release.set).start()
    reader.close()  # returns only once the fetch of slice 2 is over
    assert finished.is_set()


def test_a_failed_fetch_reaches_the_reader() -> None:
    def slices() -> Iterator[list[int]]:
        yield [1]
        raise RuntimeError("connection lost")

    reader = _read_ahead(slices())
    assert next(reader) == [1]
    with pytest.raises(RuntimeError, match="connection lost"):
        next(reader)


@pytest.mark.postgres
def test_the_planner_reads_the_same_rows_ahead_or_not(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small slices, so every rule's query is read in many: what a pass plans is the same
    whether each next slice is fetched ahead or not."""
    build(pg_engine, 300)
    monkeypatch.setattr(rules, "YIELD_PER", 7)

    def plan() -> list[tuple[str, str]]:
        with Session(pg_engine) as session:
            planned = [(p.dedupe_key, p.recipient_id) for p in Planner(session, now=NOW).plan()]
            session.rollback()
        return planned

    ahead = plan()
    monkeypatch.setattr(rules, "_read_ahead", lambda slices: slices)
    assert len(ahead) > 10 * 7
    assert ahead == plan()
