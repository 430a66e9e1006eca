"""Engines and the unit of work.

SQLite is the zero-set-up default (one process); PostgreSQL serves real deployments and several
running copies of the bot. Both get the same schema from the same migrations.
"""

import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

log = logging.getLogger(__name__)

_flock: ModuleType | None
try:
    import fcntl as _flock
except ImportError:  # pragma: no cover - Windows: one process a database there
    _flock = None

SQLITE_BUSY_TIMEOUT_MS = 10_000

# How much of a SQLite database file is read through a memory map (address space, not memory:
# the pages are the operating system's file cache, shared by every connection).
SQLITE_MMAP_BYTES = 1 << 30

# Write units of work open on this thread: the Slack gateway refuses to call out while one is
# open, because on SQLite it holds the write lock that every other request waits for.
_open = threading.local()


def in_write_transaction() -> bool:
    """Whether this thread is inside a write unit of work (``session_scope``)."""
    return bool(getattr(_open, "writes", 0))


@contextmanager
def _counted() -> Iterator[None]:
    _open.writes = getattr(_open, "writes", 0) + 1
    try:
        yield
    finally:
        _open.writes -= 1


def is_sqlite(url: str) -> bool:
    """Whether a database URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, echo: bool = False, processes: int = 1) -> Engine:
    """Create an engine tuned for the backend behind ``url``.

    Statement parameters are kept out of error messages: they hold what people wrote, and an
    error's message ends up in a log line. ``processes``: how many processes of the bot write
    the database (HTTP workers); on a SQLite file, more than one makes the writers of each take
    turns with the others' too (``WriteTurns``, through a lock file beside the database).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        if not in_memory:
            _private_file(Path(str(parsed.database)))
        engine = _sqlite_engine(url, in_memory=in_memory, echo=echo)
        if processes > 1 and not in_memory:
            _shared.add(engine)
        return engine
    # PostgreSQL's JIT compiles any query its planner guesses to be costly: for the short
    # planning and claiming queries of a bot it adds ~100 ms each and saves nothing. A URL that
    # sets its own server options keeps them.
    connect_args = {} if "options" in parsed.query else {"options": "-c jit=off"}
    return create_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        connect_args=connect_args,
    )


# The database file and SQLite's -wal and -shm beside it hold people's private words: only the
# bot's own user may read them. (SQLite creates the side files with the database's mode.)
PRIVATE_MODE = 0o600


def _private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only, or take away others' access to it.

    A missing folder is left alone: connecting then fails with SQLite's own clear error.
    """
    if not path.parent.is_dir():
        return
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_MODE)
    os.close(descriptor)
    for file in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(PRIVATE_MODE)


def _sqlite_engine(url: str, *, in_memory: bool, echo: bool, query_only: bool = False) -> Engine:
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if not in_memory:
        # A connection for each of Bolt's listener threads and the after-ack and scheduler
        # threads (SQLAlchemy's 5 + 10 made some wait for a connection under load).
        kwargs.update(pool_size=20, max_overflow=10)
    if in_memory:
        # One shared connection, or every new connection would see an empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, echo=echo, hide_parameters=True, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself, so claims can use BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Read pages through a memory map instead of a read() and a copy each: the planner's
            # index probes got about a third faster at 100,000 pairings.
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        if query_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "BEGIN")
        conn.exec_driver_sql(mode)

    return engine


# This process's writers of each SQLite database, in turn. SQLite's own busy handler makes a
# writer that finds the lock taken sleep and try again, sleeping longer each time (up to 100 ms):
# under load the lock passed on slowly and unfairly, and a form's save waited seconds behind
# clicks that came after it. Here a writer waits for the one before it to finish and starts at
# once, in the order they came; a writer someone is waiting on (``awaited``: a form's save, whose
# ack comes after it) goes before the work that runs after an ack or on a schedule.
_awaited: ContextVar[bool] = ContextVar("awaited_write", default=False)

# How long work after an ack or on a schedule lets awaited writers go first: past it, it is next.
BACKGROUND_PATIENCE_S = 0.5


@contextmanager
def awaited() -> Iterator[None]:
    """The writes made inside are awaited by someone (an ack): on SQLite they take their turn
    before this process's other writers (which still get theirs within half a second)."""
    token = _awaited.set(True)
    try:
        yield
    finally:
        _awaited.reset(token)


def awaiting() -> bool:
    """Whether writes made here and now are awaited (inside ``awaited``)."""
    return _awaited.get()


class WriteTurns:
    """One database's writers in this process, one at a time, handed the lock in turn: awaited
    writers first, then the others, each in the order they came (an other writer that has waited
    ``BACKGROUND_PATIENCE_S`` goes first, so no stream of forms starves the scheduler).

    With a ``lock_file``, the writer whose turn it is also takes that file's lock (``flock``)
    for its turn: the writers of other processes on the same database (the workers of one copy,
    ``bot.wiring.workers``) wait in the kernel and start the moment it is free, where SQLite's
    busy handler would have them sleep. The lock goes with a process that dies.

    Reentrant: a write nested in another on the same thread is that thread's turn already.
    """

    def __init__(self, lock_file: Path | None = None) -> None:
        self._file: int | None = None
        if lock_file is not None and _flock is not None:
            self._file = os.open(lock_file, os.O_RDWR | os.O_CREAT, PRIVATE_MODE)
            weakref.finalize(self, os.close, self._file)
        self._guard = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        # Waiters' threads, their own locks (released to hand them the turn) and when they came.
        self._awaited: deque[tuple[int, threading.Lock, float]] = deque()
        self._others: deque[tuple[int, threading.Lock, float]] = deque()

    def acquire(self, *, awaited: bool, timeout: float) -> bool:
        """Wait for this thread's turn (at most ``timeout`` seconds); whether it came."""
        me = threading.get_ident()
        with self._guard:
            if self._owner == me:
                self._depth += 1
                return True
            if self._owner is None:
                self._owner, self._depth = me, 1
                free = True
            else:
                free = False
                waiter = (me, threading.Lock(), time.monotonic())
                waiter[1].acquire()
                queue = self._awaited if awaited else self._others
                queue.append(waiter)
        if not free and not waiter[1].acquire(timeout=timeout):
            with self._guard:
                if self._owner != me:  # not handed over while the wait ran out
                    queue.remove(waiter)
                    return False
        # This process's turn: other processes' writers (sharing the lock file) are waited for
        # outside the guard.
        if self._file is not None and _flock is not None:
            _flock.flock(self._file, _flock.LOCK_EX)
        return True

    def release(self) -> None:
        """End this thread's turn (its outermost one): the next writer's begins."""
        with self._guard:
            self._depth -= 1
            if self._depth:
                return
            if self._file is not None and _flock is not None:
                _flock.flock(self._file, _flock.LOCK_UN)
            queue = self._awaited
            if not queue or (
                self._others and time.monotonic() - self._others[0][2] > BACKGROUND_PATIENCE_S
            ):
                queue = self._others
            if not queue:
                self._owner = None
                return
            owner, handover, _ = queue.popleft()
            self._owner, self._depth = owner, 1
            handover.release()


_writers: "weakref.WeakKeyDictionary[Engine, WriteTurns]" = weakref.WeakKeyDictionary()
_writers_guard = threading.Lock()


# A forked process opens its own lock files: one inherited would be the same lock as its parent's.
os.register_at_fork(after_in_child=_writers.clear)


# SQLite engines whose database other processes of the bot write too (``make_engine``).
_shared: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def _lock_file(engine: Engine) -> Path | None:
    """The file a SQLite database's writers lock across processes, beside it (the bot's only,
    like the database); None when this process is its only writer."""
    if engine not in _shared or not engine.url.database:
        return None
    path = Path(engine.url.database)
    return path.with_name(f"{path.name}-writers") if path.parent.is_dir() else None


@contextmanager
def _write_turn(engine: Engine) -> Iterator[None]:
    """Wait for this process's earlier SQLite writers (at most the busy timeout: past it, the
    writer goes on and SQLite's own lock decides, as for another process's writers)."""
    with _writers_guard:
        turns = _writers.get(engine)
        if turns is None:
            turns = _writers[engine] = WriteTurns(_lock_file(engine))
    mine = turns.acquire(awaited=awaiting(), timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    if not mine:
        log.warning("sqlite writer waited out its turn", extra={"ms": SQLITE_BUSY_TIMEOUT_MS})
    try:
        yield
    finally:
        if mine:
            turns.release()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit once at the end, roll back if anything raised.

    On SQLite the transaction takes the write lock up front (``BEGIN IMMEDIATE``): a deferred
    transaction that reads and then writes fails at once with "database is locked" when another
    thread writes meanwhile, instead of waiting out the busy timeout. Writers queue; readers of
    a WAL database are never blocked, and this process's writers take turns (``_write_turn``).
    PostgreSQL claims rows with ``FOR UPDATE SKIP LOCKED``.
    """
    with _counted():
        if engine.dialect.name != "sqlite":
            with Session(engine, expire_on_commit=False) as session:
                yield from _unit_of_work(session)
            return
        with _write_turn(engine), engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            with Session(bind=conn, expire_on_commit=False) as session:
                yield from _unit_of_work(session)


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work: it never takes the write lock, and refuses any write.

    On SQLite a deferred transaction reads a WAL snapshot beside the writer, on a connection of
    a pool of its own that is ``query_only`` (``read_engine``): a stray write fails loudly instead
    of queueing for the lock. PostgreSQL runs it as a ``READ ONLY`` transaction, begun as one
    (``BEGIN READ ONLY``: no round trip of its own; the connection is a writer again once it
    goes back to the pool). Nothing is committed: the transaction is rolled back at the end.
    """
    with read_engine(engine).connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(postgresql_readonly=True)
        with Session(bind=conn, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                # Detached before the rollback, which would expire what was read.
                session.expunge_all()
                session.rollback()


# SQLite: each database's read units have connections of their own, ``query_only`` from the
# moment they connect (switching it on and off around each unit took four statements of its
# own). Keyed weakly by the bot's engine, and disposed with it.
_readers: "weakref.WeakKeyDictionary[Engine, Engine]" = weakref.WeakKeyDictionary()
_readers_guard = threading.Lock()


def read_engine(engine: Engine) -> Engine:
    """The engine ``engine``'s read units connect through: on a SQLite file, one whose
    connections refuse writes; otherwise ``engine`` itself (an in-memory database is one
    connection, shared; PostgreSQL begins each read unit ``READ ONLY``)."""
    if engine.dialect.name != "sqlite" or isinstance(engine.pool, StaticPool):
        return engine
    with _readers_guard:
        reader = _readers.get(engine)
        if reader is None:
            url = engine.url.render_as_string(hide_password=False)
            reader = _sqlite_engine(url, in_memory=False, echo=bool(engine.echo), query_only=True)
            _readers[engine] = reader
            event.listen(engine, "engine_disposed", lambda _: reader.dispose())
    return reader


# Rows ANALYZE samples per index on SQLite: statistics good enough to choose between indexes,
# in milliseconds at 100,000 pairings (a full ANALYZE reads every row).
SQLITE_ANALYSIS_LIMIT = 1000


def refresh_statistics(engine: Engine) -> None:
    """SQLite: (re)write the statistics its planner chooses indexes by (``sqlite_stat1``).

    Without them SQLite guesses, and may read a status's every row through
    ``ix_meeting_status_start`` where one pair's sessions were wanted. PostgreSQL's autovacuum
    keeps its own statistics: nothing to do there.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def checkpoint(engine: Engine) -> None:
    """SQLite: copy the write-ahead log back into the database file now, beside readers and
    writers (``PASSIVE``: it waits for neither). After a write-heavy pass the one that wrote
    pays for it, not the next click whose commit would cross the auto-checkpoint threshold."""
    if engine.dialect.name != "sqlite" or isinstance(engine.pool, StaticPool):
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def _unit_of_work(session: Session) -> Iterator[Session]:
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def ping(engine: Engine) -> bool:
    """Whether the database answers a trivial query."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
