"""The timed work: which prompts and nudges are due, planned into the outbox exactly once.

Every rule is one set-based query (per program at most) for the few rows that may be due around
now, never a scan that loads every pairing:

- a message is enqueued only once its delivery moment (moved into the recipient's working hours)
  is near, so a session moved or cancelled before then simply yields no prompt, and one whose
  moment has passed (the bot was down) is dropped instead of flooding anyone;
- each query reads only targets that can be due by now (``last_target_due_by`` over the working
  weeks people have), and only the columns it needs, not whole rows;
- each query builds the message's dedupe key in SQL and skips it when the outbox already holds
  it, so a pass costs what is new, not what was planned before.

Routine prompts whose moment is a day, not a minute (due reminders, lapse nudges, re-assessments,
surveys, the graduation prompt) are ``bundle`` prompts: each falls due at the start of the
recipient's working day, so the day's prompts go out together as one message with a section each.
Prompts timed to a session (the agenda the day before, the reminder, the scorecard, "did you
meet?") keep their minute. A prompt that only informs is ``needs_answer=False``: people in
quieter mode don't get it (the delivery engine drops it).
"""

from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache, partial
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import (
    Row,
    String,
    Table,
    and_,
    case,
    cast,
    exists,
    func,
    join,
    literal,
    or_,
    text,
    type_coerce,
)
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, col, select

from bot.export import build_digest_for
from bot.services.graduation import closing_left
from bot.services.leads import program_lead_ids
from bot.services.programs import RuleSettings, program_end, program_midpoint
from bot.services.scorecards import (
    ScorecardFor,
    ScorecardView,
    ensure_scorecard,
    ensure_scorecards,
    scorecard_view,
)
from bot.services.stages import PairEvent, note_event_for_program
from bot.services.workspaces import uninstalled_teams
from bot.views.prompts import (
    build_agenda_prompt,
    build_did_you_meet,
    build_due_reminder,
    build_graduation_prompt,
    build_lapse_escalation,
    build_lapse_nudge,
    build_reassessment_prompt,
    build_session_reminder,
)
from bot.views.scorecards import build_scorecard_prompt
from bot.views.surveys import build_survey_prompt
from scheduler.outbox import Planned
from scheduler.timing import (
    WorkingHours,
    day_delivery_time,
    delivery_time,
    last_day_target_due_by,
    last_target_due_by,
    next_working_moment,
    next_working_start,
)
from storage.enums import (
    FlagKind,
    GoalProgress,
    GoalStatus,
    MeetingStatus,
    PairingStatus,
    ProgramStatus,
    SurveyKind,
)
from storage.models import (
    NEVER,
    Delivery,
    Flag,
    Goal,
    Meeting,
    Milestone,
    Pairing,
    Participant,
    Program,
    ProgramLead,
)
from storage.sql import epoch_seconds, insert_new, iso_date, set_by_id, text_key
from storage.types import UTCDateTime

# Rows are read in slices: a planning pass over 100,000 pairings must not hold them all.
YIELD_PER = 1000
# Scorecards are created this many at a time (their prompts are the largest messages).
SCORECARD_BATCH = 200
# Pairings moved to a stage by one short write (the closing wave moves a whole program).
STAGE_BATCH = 500
# Red flags raised by one short write.
FLAG_BATCH = 200
# What makes a red flag the same flag: raising it again changes nothing.
FLAG_UNIQUE = ("team_id", "dedupe_key")
# Pairings noted planned (the lapse rule's markers) per write: as many as a slice's messages.
NOTE_BATCH = 100

T = TypeVar("T")

# A unit of work the planner writes in (see ``Planner``).
Writes = Callable[[], AbstractContextManager[Session]]
# What a pass noted: by table, then by column, (row id, value) pairs (``Planner.take_notes``).
Notes = dict[str, dict[str, list[tuple[int, datetime | int]]]]
# The tables a pass notes on, by name.
NOTED: dict[str, Table] = {
    name: SQLModel.metadata.tables[name] for name in ("pairing", "meeting", "goal", "milestone")
}
# A message is enqueued when its moment is at most this far ahead.
HORIZON = timedelta(minutes=10)
# A booked session still counts against a lapse this long after it starts: the pair may be in it,
# or not have logged it yet ("did you meet?" asks them a day after it ends).
UNLOGGED_GRACE = timedelta(days=2)
# An unlogged session is looked at for a scorecard this long, for "did you meet?" this long.
SCORECARD_WINDOW = timedelta(days=2)
DID_YOU_MEET_WINDOW = timedelta(days=8)
# A re-assessment prompt is planned within this long of its period's start, or not at all.
REASSESSMENT_WINDOW = timedelta(days=7)
# Survey prompts stay worth sending for two weeks after their day.
SURVEY_WINDOW = timedelta(days=14)
DIGEST_RULE = "weekly_digest"
DIGEST_WINDOW = timedelta(hours=12)


def _read_ahead(slices: Iterator[T]) -> Generator[T, None, None]:
    """``slices``, each fetched by a thread of its own while the one before is used.

    Only one fetch is ever in progress, and the caller holds a slice only once its fetch is
    over, so the result is never used by two threads at once. A reader that stops early waits
    for the fetch in progress before the result can be closed.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="planning-reads") as fetcher:
        pending = fetcher.submit(next, slices, None)
        try:
            while (current := pending.result()) is not None:
                pending = fetcher.submit(next, slices, None)
                yield current
        finally:
            wait([pending])


def raise_flags(session: Session, flags: Sequence[dict[str, Any]]) -> None:
    """Insert red flags (rows of ``flag``); a flag already raised stays as it was."""
    if flags:
        table = Flag.__table__  # type: ignore[attr-defined]
        session.execute(insert_new(session, table, unique=FLAG_UNIQUE), list(flags))


def note_batches(notes: Notes, size: int = NOTE_BATCH) -> Iterator[Notes]:
    """A pass's notes in batches of at most ``size`` rows, each a short unit of work's."""
    batch: Notes = {}
    room = size
    for table, columns in notes.items():
        for column, values in columns.items():
            start = 0
            while start < len(values):
                taken = values[start : start + room]
                batch.setdefault(table, {})[column] = taken
                start += len(taken)
                room -= len(taken)
                if not room:
                    yield batch
                    batch, room = {}, size
    if batch:
        yield batch


def set_notes(session: Session, notes: Notes) -> None:
    """Write notes in ``session`` (``set_by_id``: a prepared statement per row, SQLite)."""
    for table, columns in notes.items():
        for column, values in columns.items():
            set_by_id(session, NOTED[table], column, values)


@lru_cache(maxsize=4096)
def hours_of(tz: str, start: time, end: time, days: str) -> WorkingHours:
    """The working week these participant columns describe (few distinct ones: cached)."""
    return WorkingHours(
        tz=tz, start=start, end=end, days=frozenset(int(d) for d in days if d.isdigit())
    )


def working_hours(person: Participant) -> WorkingHours:
    """A participant's working week."""
    return hours_of(person.timezone, person.work_start, person.work_end, person.work_days)


@dataclass(frozen=True, slots=True)
class Person:
    """One side of a pair as the rules need it."""

    user_id: str
    hours: WorkingHours

    @property
    def tz(self) -> str:
        """The person's Slack timezone name."""
        return self.hours.tz

    def at_work_start(self, day: date) -> datetime:
        """The start of this person's working day ``day`` (local date)."""
        return datetime.combine(day, self.hours.start, tzinfo=self.hours.zone)

    def moment(self, when: datetime | date) -> datetime:
        """``when`` itself, or for a date the start of this person's working day."""
        return when if isinstance(when, datetime) else self.at_work_start(when)

    def at_work_end(self, day: date) -> datetime:
        """The end of this person's working day ``day`` (local date)."""
        return datetime.combine(day, self.hours.end, tzinfo=self.hours.zone)


@dataclass(frozen=True, slots=True)
class Pair:
    """A running pairing with its program and both people."""

    pairing_id: int
    team_id: str
    program: Program
    mentor: Person
    mentee: Person
    # Whether the mentor's and the mentee's message of the rule at hand is still to plan.
    open: tuple[bool, bool] = (True, True)

    def both(self) -> list[tuple[Person, Person]]:
        """(person, partner) for each side whose message is still to plan."""
        sides = ((self.mentor, self.mentee), (self.mentee, self.mentor))
        return [side for side, still_open in zip(sides, self.open, strict=True) if still_open]


# A rule's query is planned (PostgreSQL) with nested loops only: it reads a window's few rows
# through an index and looks each one's pairing up, by design. PostgreSQL cannot see how few
# they are: a window's rows mostly wait, or are planned (their ``..._after`` columns), and its
# statistics take each column alone, so it would hash every pairing for the rows it expects.
_JOINS_BY_PROBE = text(
    "SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)"
)
_ANY_JOINS = text(
    "SELECT set_config('enable_hashjoin', 'on', true), set_config('enable_mergejoin', 'on', true)"
)


def _of(person_id: Any, column: Any) -> Any:
    """One column of a pairing's participant, looked up by primary key for each row read.

    A lookup, not a join: PostgreSQL would hash every participant of the workspace for a join,
    although a pass reads few pairings.
    """
    return (
        select(column).where(col(Participant.id) == person_id).correlate(Pairing).scalar_subquery()
    )


# Whose side is whose: the participant id and the user id the pairing keeps for each.
_SIDES = (
    ("mentor", Pairing.mentor_id, Pairing.mentor_user_id),
    ("mentee", Pairing.mentee_id, Pairing.mentee_user_id),
)

# A participant's working week as one text, ``tz|start|end|days``: one lookup per side and row
# instead of one per column (a catch-up pass reads tens of thousands of rows).
_WEEK = (
    col(Participant.timezone)
    + "|"
    + cast(col(Participant.work_start), String)
    + "|"
    + cast(col(Participant.work_end), String)
    + "|"
    + col(Participant.work_days)
)

_PAIR_COLUMNS = (
    col(Pairing.id).label("pairing_id"),
    col(Pairing.team_id).label("team_id"),
    col(Pairing.program_id).label("program_id"),
    *(col(user_id).label(f"{side}_user") for side, _, user_id in _SIDES),
    *(_of(person_id, _WEEK).label(f"{side}_week") for side, person_id, _ in _SIDES),
)


# The distinct working weeks, one probe of ``ix_participant_hours`` each (a loose index scan):
# PostgreSQL would otherwise read and hash every participant, some 45 ms at 200,000 of them,
# in every pass. SQLite skips through the index by itself (its statistics tell it to).
_PG_WEEKS = text(
    """
    WITH RECURSIVE week AS (
        (SELECT work_days, work_start, work_end, timezone FROM participant
         ORDER BY work_days, work_start, work_end, timezone LIMIT 1)
        UNION ALL
        SELECT later.* FROM week, LATERAL (
            SELECT p.work_days, p.work_start, p.work_end, p.timezone FROM participant AS p
            WHERE (p.work_days, p.work_start, p.work_end, p.timezone)
                > (week.work_days, week.work_start, week.work_end, week.timezone)
            ORDER BY p.work_days, p.work_start, p.work_end, p.timezone LIMIT 1
        ) AS later
    )
    SELECT timezone, work_start, work_end, work_days FROM week
    """
)


def _distinct_weeks(dialect: str) -> Any:
    """Every distinct (timezone, start, end, days) of the participants."""
    if dialect == "postgresql":
        return _PG_WEEKS
    return select(
        col(Participant.timezone),
        col(Participant.work_start),
        col(Participant.work_end),
        col(Participant.work_days),
    ).distinct()


@lru_cache(maxsize=4096)
def week_of(text: str) -> WorkingHours:
    """The working week ``_WEEK`` wrote (few distinct ones: cached)."""
    tz, start, end, days = text.split("|")
    return hours_of(tz, time.fromisoformat(start), time.fromisoformat(end), days)


def _unplanned(key: ColumnElement[str], *outer: Any) -> ColumnElement[bool]:
    """True when the outbox holds no message with this dedupe key (a unique index lookup);
    ``outer``: the enclosing queries' tables the key reads, when it is nested deeper than one.

    A scalar subquery, not NOT EXISTS: PostgreSQL turns NOT EXISTS into an anti join or a
    hashed subplan, and then, misjudging how few candidates a pass has, hashes the whole
    outbox (which only grows) rather than look a few keys up.
    """
    probe = select(literal(1)).where(col(Delivery.dedupe_key) == key).limit(1)
    return (probe.correlate(*outer) if outer else probe).scalar_subquery().is_(None)


def _open_sides(
    rule: str, *subject: ColumnElement[Any] | Mapped[Any], zones: list[str] | None = None
) -> tuple[list[Any], ColumnElement[bool]]:
    """Columns saying whether the mentor's and the mentee's ``rule:subject:user`` message is
    still to plan, and the condition that one of them is (for someone whose timezone is in
    ``zones``, when given: the others' messages wait for their working hours)."""
    sides: list[Any] = []
    conditions: list[ColumnElement[bool]] = []
    for side, person_id, user_id in _SIDES:
        still_open = _unplanned(text_key(rule, *subject, col(user_id)))
        sides.append(still_open.label(f"{side}_open"))
        if zones is not None:
            still_open = and_(_of(person_id, Participant.timezone).in_(zones), still_open)
        conditions.append(still_open)
    return sides, or_(*conditions)


def _quiet_since() -> ColumnElement[datetime]:
    """Since when the pair has not met: its last held session (kept on the pairing by the
    database, migration 0009) or its start; ``QUIET_SINCE``, the key of the lapse rule's
    partial indexes."""
    since = func.coalesce(col(Pairing.last_held_at), col(Pairing.started_at))
    return type_coerce(since, UTCDateTime())


def _last_start(hours: WorkingHours, reach: datetime) -> date:
    """The last local day whose working day starts by ``reach``."""
    local = reach.astimezone(hours.zone)
    return local.date() if local.time() >= hours.start else local.date() - timedelta(days=1)


def _when(moment: datetime) -> ColumnElement[datetime]:
    """A bound UTC moment, typed so every backend stores and compares it alike."""
    return literal(moment, UTCDateTime())


def scorecard_delivery(
    card: ScorecardView,
    *,
    team_id: str,
    tz: str,
    due_at: datetime,
    program_id: int | None = None,
) -> Planned:
    """The outbox row for a session's scorecard DM: one per meeting, whoever asks first."""
    return Planned(
        team_id=team_id,
        dedupe_key=f"scorecard:{card.meeting_id}",
        rule="scorecard",
        recipient_id=card.mentee_user_id,
        payload=build_scorecard_prompt(card, tz=tz),
        due_at=due_at,
        # A rating is about a recent session: after a week it's noise.
        expires_at=due_at + timedelta(days=7),
        program_id=program_id,
        pairing_id=card.pairing_id,
    )


def scorecard_prompt_now(
    session: Session, *, team_id: str, meeting_id: int, tz: str, now: datetime
) -> Planned | None:
    """The mentee's scorecard prompt for a session logged just now (None when none is due).

    Logging a session and the planner (an hour after an unlogged session's end) both ask for
    it: the scorecard row and the outbox's dedupe key make every later ask a no-op.
    """
    card, _ = ensure_scorecard(session, team_id=team_id, meeting_id=meeting_id, now=now)
    if card is None:
        return None
    return scorecard_delivery(
        scorecard_view(session, scorecard=card), team_id=team_id, tz=tz, due_at=now
    )


def last_digest_moment(program: Program, now: datetime) -> datetime:
    """The latest digest weekday and hour (in the program's timezone) at or before ``now``."""
    zone = WorkingHours(tz=program.timezone).zone
    local = now.astimezone(zone)
    days_back = (local.weekday() - program.digest_weekday) % 7
    day = local.date() - timedelta(days=days_back)
    moment = datetime.combine(day, time(program.digest_hour % 24), tzinfo=zone)
    if moment > now:
        moment = datetime.combine(
            day - timedelta(days=7), time(program.digest_hour % 24), tzinfo=zone
        )
    return moment.astimezone(UTC)


class Planner:
    """Runs every rule for one moment and yields what is due and not planned yet.

    It reads through ``session``. What it writes besides the messages (scorecards, red flags,
    the closing wave's stage) goes through ``writes``: short units of work of their own, so a
    pass that reads for seconds never holds the write lock that long (``plan_due``). Without
    ``writes`` it writes in ``session`` itself.
    """

    def __init__(
        self,
        session: Session,
        *,
        now: datetime,
        horizon: timedelta = HORIZON,
        bundling: bool = True,
        writes: Writes | None = None,
        hand_flags: bool = False,
    ) -> None:
        self.session = session
        self.writes: Writes = writes or (lambda: nullcontext(session))
        self.now = now
        # Plan at least this often: a message is enqueued when it falls due within the horizon.
        self.horizon = horizon
        # Routine prompts fall due at the start of the working day and may share a message
        # (False plans each at its own moment, as before bundling: bench/bench_messages.py).
        self.bundling = bundling
        self._settings: dict[int, RuleSettings] = {}
        self._reach: dict[tuple[WorkingHours, bool], datetime | None] = {}
        # Lapse flags waiting to be written together: by the planner itself, or with the
        # messages they go with by whoever takes them (``hand_flags``, ``take_flags``).
        self._flags: list[dict[str, Any]] = []
        self.hand_flags = hand_flags
        # What the pass saw planned, or left waiting, by pairing column (``take_notes``).
        self._noted: Notes = {}
        self._every_row_said = False

    # --- what every rule shares ----------------------------------------------------------

    @cached_property
    def programs(self) -> dict[int, Program]:
        """The running programs of the workspaces that have the bot, by id: every rule plans
        only for these, so an uninstalled workspace gets nothing (its data waits for purge)."""
        query = select(Program).where(
            col(Program.status) == ProgramStatus.ACTIVE.value,
            col(Program.team_id).not_in(uninstalled_teams()),
        )
        return {program.id or 0: program for program in self.session.exec(query)}

    def settings(self, program: Program) -> RuleSettings:
        """The program's rule settings (parsed once per pass)."""
        program_id = program.id or 0
        if program_id not in self._settings:
            self._settings[program_id] = RuleSettings.for_program(program)
        return self._settings[program_id]

    def _each_settings(self) -> Iterator[tuple[int, RuleSettings]]:
        """Each running program's id and rule settings."""
        for program_id, program in self.programs.items():
            yield program_id, self.settings(program)

    def _longest(self, value: Callable[[RuleSettings], float]) -> float:
        return max(value(self.settings(p)) for p in self.programs.values())

    def _shortest(self, value: Callable[[RuleSettings], float]) -> float:
        return min(value(self.settings(p)) for p in self.programs.values())

    def reach(self, hours: WorkingHours, *, day: bool = False) -> datetime | None:
        """The latest target that can be due within the horizon for someone with ``hours``;
        None when that person's working hours don't start within the horizon at all.

        ``day``: for a bundle prompt, which falls due at the start of its working day.
        """
        if (hours, day) not in self._reach:
            opens = next_working_moment(hours, self.now)
            soon = self.now + self.horizon
            reachable = opens is not None and opens <= soon
            last = last_day_target_due_by if day else last_target_due_by
            self._reach[hours, day] = last(hours, soon) if reachable else None
        return self._reach[hours, day]

    @cached_property
    def _at_work(self) -> tuple[datetime | None, datetime | None, list[str], date | None]:
        reachable: dict[WorkingHours, tuple[datetime, datetime]] = {}
        for week in self.session.execute(_distinct_weeks(self.session.get_bind().dialect.name)):
            hours = hours_of(*week)
            reach = self.reach(hours)
            if reach is not None:
                reachable[hours] = (reach, self.reach(hours, day=self.bundling) or reach)
        bound = max((r[0] for r in reachable.values()), default=None)
        day_bound = max((r[1] for r in reachable.values()), default=None)
        last_day = max((_last_start(hours, r[1]) for hours, r in reachable.items()), default=None)
        return bound, day_bound, sorted({hours.tz for hours in reachable}), last_day

    @property
    def reach_bound(self) -> datetime | None:
        """The latest target that can be due within the horizon for anyone at all; None while
        nobody's working hours start within the horizon (a prompt then waits for them)."""
        return self._at_work[0]

    @property
    def day_reach_bound(self) -> datetime | None:
        """``reach_bound`` for bundle prompts: a target later in a working day that has begun
        (or begins within the horizon) falls due at that day's start, so it is read now."""
        return self._at_work[1]

    @property
    def last_day_at_work(self) -> date | None:
        """The latest local day whose working day's start is due within the horizon (for
        bundle prompts, aimed at that start), in the timezone of the person it is latest for."""
        return self._at_work[3]

    @property
    def zones(self) -> list[str]:
        """The timezones of everyone whose working hours start within the horizon: a query
        reads only their prompts, the others' wait (read from the few distinct working weeks,
        through an index)."""
        return self._at_work[2]

    def _pair(self, row: Row[Any], *, sides: bool = False) -> Pair:
        """The pair of a row; ``sides``: the row says which side's message is still open."""
        return Pair(
            pairing_id=row.pairing_id,
            team_id=row.team_id,
            program=self.programs[row.program_id],
            mentor=Person(
                row.mentor_user,
                week_of(row.mentor_week),
            ),
            mentee=Person(
                row.mentee_user,
                week_of(row.mentee_week),
            ),
            open=(bool(row.mentor_open), bool(row.mentee_open)) if sides else (True, True),
        )

    def _pairs_select(
        self,
        *columns: Any,
        source: Any = None,
        link: ColumnElement[bool] | None = None,
        by_program: bool = True,
    ) -> Any:
        """Running pairings with both people, plus ``columns`` (``_rows`` drops those of
        programs that are not running).

        ``source`` (a table or join) is read first and joined to the pairing by ``link``: its
        own narrow condition (a time window) then drives the query. Filtering pairings by
        program in SQL as well would tempt SQLite to start from every pairing of the programs.
        ``by_program=False``: the caller's own condition names the programs.
        """
        query = select(*_PAIR_COLUMNS, *columns)
        if source is None and not by_program:
            query = query.select_from(Pairing)
        elif source is None:
            query = query.select_from(Pairing).where(
                col(Pairing.program_id).in_(list(self.programs))
            )
        else:
            query = query.select_from(source).join(Pairing, link)
        return query.where(col(Pairing.status) == PairingStatus.ACTIVE.value)

    def _say_every_row_is_read(self) -> None:
        """Tell PostgreSQL, for this transaction, that each rule query's rows are all read.

        ``yield_per`` reads through a server-side cursor, which PostgreSQL plans for its first
        tenth of rows (``cursor_tuple_fraction``): plans quick to start and slow to finish, such
        as a nested loop rescanning a whole subquery for every pairing. A rule reads every row.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
        self._every_row_said = True

    def _rows(self, query: Any) -> Iterator[Row[Any]]:
        """The query's rows, a slice at a time, for running programs only.

        On PostgreSQL the next slice is fetched while this one is planned (``_read_ahead``):
        the server works out its rows on its own core meanwhile.
        """
        if not self._every_row_said:
            self._say_every_row_is_read()
        postgres = self.session.get_bind().dialect.name == "postgresql"
        if postgres:
            self.session.execute(_JOINS_BY_PROBE)
        result = self.session.execute(query.execution_options(yield_per=YIELD_PER))
        slices: Iterator[Sequence[Row[Any]]] = result.partitions()
        if postgres:
            self.session.execute(_ANY_JOINS)  # the cursor is planned: other queries as usual
            slices = _read_ahead(slices)
        for rows in slices:
            for row in rows:
                if row.program_id in self.programs:
                    yield row

    def _meetings(
        self,
        *,
        start_from: datetime,
        start_to: datetime,
        wait: Mapped[datetime] | None = None,
        unplanned: ColumnElement[bool] | None = None,
        columns: Iterable[Any] = (),
        where: Iterable[ColumnElement[bool]] = (),
    ) -> Iterator[Row[Any]]:
        """Scheduled sessions starting in [start_from, start_to]: those whose rule's ``wait``
        column has run out, or (without one) those ``unplanned`` holds."""
        gate = wait <= _when(self.now) if wait is not None else unplanned
        query = self._pairs_select(
            *columns,
            col(Meeting.id).label("meeting_id"),
            col(Meeting.scheduled_start).label("start"),
            col(Meeting.duration_minutes).label("minutes"),
            source=Meeting,
            link=col(Pairing.id) == col(Meeting.pairing_id),
        ).where(
            col(Meeting.status) == MeetingStatus.SCHEDULED.value,
            col(Meeting.scheduled_start) >= start_from,
            col(Meeting.scheduled_start) <= start_to,
            *where,
            *([] if gate is None else [gate]),
        )
        return self._rows(query)

    def _message(
        self,
        pair: Pair,
        person: Person,
        *,
        rule: str,
        key: str,
        target: datetime,
        expires: datetime | None,
        payload: Callable[[], dict[str, Any]],
        bundle: bool = False,
        needs_answer: bool = True,
        later: list[datetime] | None = None,
    ) -> Planned | None:
        """A message for ``person`` if its working-hours moment is due within the horizon.

        ``bundle``: a routine prompt, due at the start of its working day, that may share one
        message with the person's other prompts of the day; ``needs_answer=False``: it only
        informs, and people in quieter mode don't get it. ``later``: where to add the moment a
        message not due yet will be (for the row's wait, ``_wait_or_done``).
        """
        by_day = bundle and self.bundling
        reach = self.reach(person.hours, day=by_day)
        if later is None and (reach is None or target > reach):
            return None  # cheap: it cannot be due yet
        when = day_delivery_time if by_day else delivery_time
        due = when(person.hours, target, now=self.now, expires=expires)
        if due is None:
            return None  # no longer worth sending
        if due > self.now + self.horizon:
            if later is not None:
                later.append(due)
            return None
        return Planned(
            team_id=pair.team_id,
            dedupe_key=key,
            rule=rule,
            recipient_id=person.user_id,
            payload=payload(),
            due_at=due,
            expires_at=expires,
            program_id=pair.program.id,
            pairing_id=pair.pairing_id,
            bundle=by_day,
            needs_answer=needs_answer,
        )

    def _to_both(
        self,
        pair: Pair,
        *,
        rule: str,
        key: str,
        target: datetime | date,
        expires: datetime | date,
        payload: Callable[..., dict[str, Any]],
        local: bool = False,
        bundle: bool = False,
        needs_answer: bool = True,
        later: list[datetime] | None = None,
    ) -> Iterator[Planned]:
        """The rule's message to each side still to plan, keyed ``key:user`` (the key
        ``_open_sides`` looks for). A date stands for the start of that person's working day;
        ``payload`` is given the partner's user id, and the person's timezone when ``local``;
        ``bundle``, ``needs_answer`` and ``later`` as for ``_message``."""
        for person, partner in pair.both():
            local_time = {"tz": person.tz} if local else {}
            planned = self._message(
                pair,
                person,
                rule=rule,
                key=f"{key}:{person.user_id}",
                target=person.moment(target),
                expires=person.moment(expires),
                payload=partial(payload, partner_user_id=partner.user_id, **local_time),
                bundle=bundle,
                needs_answer=needs_answer,
                later=later,
            )
            if planned:
                yield planned

    def plan(self) -> Iterator[Planned]:
        """Every message due around now, from every rule."""
        if not self.programs:
            return
        yield from self.agenda_prompts()
        yield from self.session_reminders()
        yield from self.scorecards()
        yield from self.did_you_meet()
        yield from self.lapses()
        yield from self.reassessments()
        yield from self.midpoint_surveys()
        yield from self.closing_prompts()
        yield from self.weekly_digests()
        yield from self.due_reminders()

    # --- the rules -------------------------------------------------------------------------

    def agenda_prompts(self) -> Iterator[Planned]:
        """To the mentee, ``agenda_prompt_hours`` before each scheduled session, unless they
        have shared its agenda already: a prompt for what is done is noise.

        Each session read is noted (``Meeting.agenda_prompt_after``): planned, or waiting for
        its mentee's working hours, it is not read again until its prompt can be due.
        """
        bound = self.reach_bound if self.programs else None
        if bound is None:
            return  # nobody's working hours start within the horizon
        longest = timedelta(hours=self._longest(lambda s: s.agenda_prompt_hours))
        still_open = _unplanned(text_key("agenda_prompt", col(Meeting.id)))
        rows = self._meetings(
            start_from=self.now,
            start_to=bound + longest,
            wait=col(Meeting.agenda_prompt_after),
            where=[col(Meeting.agenda_submitted_at).is_(None)],
            columns=[still_open.label("still_open")],
        )
        for row in rows:
            later: list[datetime] = []
            if row.still_open:
                pair = self._pair(row)
                start: datetime = row.start
                hours = self.settings(pair.program).agenda_prompt_hours
                planned = self._message(
                    pair,
                    pair.mentee,
                    rule="agenda_prompt",
                    key=f"agenda_prompt:{row.meeting_id}",
                    target=start - timedelta(hours=hours),
                    expires=start,
                    payload=partial(
                        build_agenda_prompt,
                        pairing_id=pair.pairing_id,
                        partner_user_id=pair.mentor.user_id,
                        start=start,
                        tz=pair.mentee.tz,
                    ),
                    later=later,
                )
                if planned:
                    yield planned
            self._wait_or_done("meeting", "agenda_prompt_after", row.meeting_id, later)

    def session_reminders(self) -> Iterator[Planned]:
        """To both, ``reminder_minutes`` before each scheduled session (not moved into hours)."""
        if not self.programs:
            return
        longest = timedelta(minutes=self._longest(lambda s: s.reminder_minutes))
        sides, unplanned = _open_sides("reminder", col(Meeting.id))
        rows = self._meetings(
            start_from=self.now,
            start_to=self.now + self.horizon + longest,
            unplanned=unplanned,
            columns=sides,
        )
        for row in rows:
            pair = self._pair(row, sides=True)
            start: datetime = row.start
            due = start - timedelta(minutes=self.settings(pair.program).reminder_minutes)
            if due > self.now + self.horizon:
                continue
            for person, partner in pair.both():
                yield Planned(
                    team_id=pair.team_id,
                    dedupe_key=f"reminder:{row.meeting_id}:{person.user_id}",
                    rule="session_reminder",
                    recipient_id=person.user_id,
                    payload=build_session_reminder(
                        pairing_id=pair.pairing_id,
                        partner_user_id=partner.user_id,
                        start=start,
                        tz=person.tz,
                        minutes=row.minutes,
                    ),
                    # A reminder is for the session itself: it was booked in working time.
                    due_at=max(due, self.now),
                    expires_at=start,
                    program_id=pair.program.id,
                    pairing_id=pair.pairing_id,
                    # The session is already in their calendar: quieter mode leaves this out.
                    needs_answer=False,
                )

    def scorecards(self) -> Iterator[Planned]:
        """To the mentee, an hour after a session's end when nobody has logged it; each session
        read is noted (``Meeting.scorecard_after``) planned, or waiting for that moment."""
        if not self.programs:
            return
        still_open = _unplanned(text_key("scorecard", col(Meeting.id)))
        rows = self._meetings(
            start_from=self.now - SCORECARD_WINDOW,
            start_to=self.now,
            wait=col(Meeting.scorecard_after),
            columns=[still_open.label("still_open")],
        )
        due: dict[int, tuple[Pair, datetime, datetime]] = {}
        for row in rows:
            if not row.still_open:
                self._wait_or_done("meeting", "scorecard_after", row.meeting_id, [])
                continue
            pair = self._pair(row)
            after = self.settings(pair.program).scorecard_after_minutes
            moment = row.start + timedelta(minutes=row.minutes + after)
            if moment > self.now + self.horizon:
                self._wait_or_done("meeting", "scorecard_after", row.meeting_id, [moment])
                continue
            due[row.meeting_id] = (pair, row.start, moment)
            if len(due) >= SCORECARD_BATCH:
                yield from self._scorecards_for(due)
                due = {}
        yield from self._scorecards_for(due)

    def _scorecards_for(self, due: dict[int, tuple[Pair, datetime, datetime]]) -> Iterator[Planned]:
        """Create the sessions' cards together and plan the ones still to fill in."""
        if not due:
            return
        sessions = [
            ScorecardFor(
                team_id=pair.team_id,
                pairing_id=pair.pairing_id,
                meeting_id=meeting_id,
                mentee_user_id=pair.mentee.user_id,
                mentor_user_id=pair.mentor.user_id,
                session_start=start,
            )
            for meeting_id, (pair, start, _) in due.items()
        ]
        with self.writes() as session:
            cards = ensure_scorecards(session, sessions, now=self.now)
        for card in cards:
            pair, _, moment = due[card.meeting_id]
            yield scorecard_delivery(
                card,
                team_id=pair.team_id,
                tz=pair.mentee.tz,
                due_at=max(moment, self.now),
                program_id=pair.program.id,
            )
        # Planned now, or filled in already (no card to ask for): nothing left either way.
        for meeting_id in due:
            self._wait_or_done("meeting", "scorecard_after", meeting_id, [])

    def did_you_meet(self) -> Iterator[Planned]:
        """To both, a day after a scheduled session that nobody logged; each session read is
        noted (``Meeting.did_you_meet_after``) planned, or waiting for a side's working day."""
        bound = self.reach_bound if self.programs else None
        if bound is None:
            return  # nobody's working hours start within the horizon
        soonest = timedelta(hours=self._shortest(lambda s: s.did_you_meet_hours))
        sides, _ = _open_sides("did_you_meet", col(Meeting.id))
        rows = self._meetings(
            start_from=self.now - DID_YOU_MEET_WINDOW,
            start_to=min(self.now, bound - soonest),
            wait=col(Meeting.did_you_meet_after),
            columns=sides,
        )
        for row in rows:
            pair = self._pair(row, sides=True)
            start: datetime = row.start
            end = start + timedelta(minutes=row.minutes)
            target = end + timedelta(hours=self.settings(pair.program).did_you_meet_hours)
            later: list[datetime] = []
            yield from self._to_both(
                pair,
                rule="did_you_meet",
                key=f"did_you_meet:{row.meeting_id}",
                target=target,
                expires=end + timedelta(days=7),
                payload=partial(build_did_you_meet, meeting_id=row.meeting_id, start=start),
                local=True,
                later=later,
            )
            self._wait_or_done("meeting", "did_you_meet_after", row.meeting_id, later)

    def lapses(self) -> Iterator[Planned]:
        """Nudge the pair at 1.5 times the cadence without a session; tell the leads at 2 times.

        The key holds the gap's start (the last session's moment), so one gap yields one nudge,
        however long the bot was down; a new session starts a new gap. Once a gap's nudges, and
        later its escalation, are all planned, the pass notes it on the pairing
        (``take_notes``): the rule's partial indexes then leave the pair out of every pass
        until it meets and falls quiet again.
        """
        if not self.programs:
            return
        gaps = {
            program_id: timedelta(days=program.cadence.days or program.max_gap_days)
            for program_id, program in self.programs.items()
        }
        # A nudge falls due at the start of its working day: read the gaps reaching their
        # nudge point by the end of a working day that has begun, not only those past it.
        nudge_by = (self.day_reach_bound if self.bundling else None) or self.now
        nudge_from = {
            program_id: nudge_by - gaps[program_id] * settings.lapse_nudge_factor
            for program_id, settings in self._each_settings()
        }
        escalate_from = {
            program_id: self.now - gaps[program_id] * settings.lapse_escalation_factor
            for program_id, settings in self._each_settings()
        }
        yield from self._lapse_nudges(nudge_from, gaps)
        yield from self._lapse_escalations(escalate_from)
        self._raise_flags()

    def _quiet_pairs(
        self,
        marker: str,
        quiet_from: dict[int, datetime],
        *columns: Any,
        wait: str | None = None,
    ) -> Any:
        """Running pairs quiet since each program's ``quiet_from``, with no session booked,
        whose current gap ``marker`` does not note as planned (nor, given a ``wait`` column,
        waits past now): one range per program of the partial index that holds only such pairs
        (``LAPSE_MARKERS``)."""
        since = _quiet_since()
        # A session booked (or held but not logged yet) keeps the pair from lapsing: one probe
        # of the pair's booked sessions (``ix_meeting_pairing_booked``) for each quiet pair. A
        # scalar subquery, which PostgreSQL never turns into a join: misjudging how many pairs
        # are quiet, it would hash every booked session of the workspace instead.
        booked = (
            select(literal(1))
            .where(
                col(Meeting.pairing_id) == col(Pairing.id),
                col(Meeting.scheduled_start) > _when(self.now - UNLOGGED_GRACE),
                col(Meeting.status) == MeetingStatus.SCHEDULED.value,
            )
            .limit(1)
            .correlate(Pairing)
            .scalar_subquery()
        )
        # The marker's condition inside each range, as the index states it (``open_gap``):
        # SQLite uses a partial index for a range only when the range's own terms name it.
        table = Pairing.__table__  # type: ignore[attr-defined]
        noted = table.c[marker]
        still_open = or_(noted.is_(None), noted != since)
        waited = [table.c[wait] <= _when(self.now)] if wait else []
        quiet = or_(
            *(
                and_(
                    col(Pairing.program_id) == program_id,
                    since <= _when(moment),
                    still_open,
                    *waited,
                )
                for program_id, moment in quiet_from.items()
            )
        )
        query = self._pairs_select(since.label("since"), *columns, by_program=False)
        return query.where(quiet, booked.is_(None))

    def _lapse_nudges(
        self, nudge_from: dict[int, datetime], gaps: dict[int, timedelta]
    ) -> Iterator[Planned]:
        """Each quiet pair's nudges still to plan; the gap is then noted planned, or the pair
        left to wait for the working day of the side still to nudge (``_settle``)."""
        period = epoch_seconds(_quiet_since())
        sides, _ = _open_sides("lapse_nudge", col(Pairing.id), period)
        query = self._quiet_pairs("lapse_nudged_for", nudge_from, *sides, wait="lapse_nudge_after")
        for row in self._rows(query):
            pair = self._pair(row, sides=True)
            settings = self.settings(pair.program)
            last: datetime = row.since
            gap = gaps[row.program_id]
            nudges = list(
                self._to_both(
                    pair,
                    rule="lapse_nudge",
                    key=f"lapse_nudge:{pair.pairing_id}:{int(last.timestamp())}",
                    target=last + gap * settings.lapse_nudge_factor,
                    expires=self.now + timedelta(days=7),
                    payload=partial(
                        build_lapse_nudge,
                        pairing_id=pair.pairing_id,
                        days=(self.now - last).days,
                        program_name=pair.program.name,
                    ),
                    bundle=True,
                )
            )
            yield from nudges
            self._settle(pair, nudges, ("lapse_nudged_for", last), wait="lapse_nudge_after")

    def _lapse_escalations(self, escalate_from: dict[int, datetime]) -> Iterator[Planned]:
        """At the escalation point: the red flag (once per gap) and the messages to the leads
        not told of this gap yet; the gap is then noted, and not read again (until a lead is
        added: a trigger on ``programlead`` clears the program's notes, migration 0011)."""
        since = _quiet_since()
        period = epoch_seconds(since)
        unflagged = ~exists().where(
            col(Flag.team_id) == col(Pairing.team_id),
            col(Flag.dedupe_key) == text_key("lapsed", col(Pairing.id), period),
        )
        escalated_to = partial(text_key, "lapse_escalation", col(Pairing.id), period)
        creator = (
            select(col(Program.created_by))
            .where(col(Program.id) == col(Pairing.program_id))
            .correlate(Pairing)
            .scalar_subquery()
        )
        # A lead not told of this gap yet: the creator, or a co-lead added since the flag.
        # Correlated by hand: two levels down, SQLAlchemy would give the key a pairing of its
        # own (every pairing's key, and a lead "told" of any pair's gap).
        untold = or_(
            _unplanned(escalated_to(creator)),
            exists()
            .where(
                col(ProgramLead.program_id) == col(Pairing.program_id),
                _unplanned(escalated_to(col(ProgramLead.user_id)), Pairing, ProgramLead),
            )
            .correlate(Pairing),
        )
        query = self._quiet_pairs(
            "lapse_escalated_for",
            escalate_from,
            unflagged.label("unflagged"),
            untold.label("untold"),
        )
        leads: dict[int, list[str]] = {}
        for row in self._rows(query):
            pair = self._pair(row)
            program_id = row.program_id
            if program_id not in leads:
                leads[program_id] = program_lead_ids(self.session, program=pair.program)
            last: datetime = row.since
            period_key = str(int(last.timestamp()))
            if row.unflagged:
                self._flag_lapse(pair, period_key)
            if row.untold:
                days = (self.now - last).days
                # Every lead: the outbox keeps those already told from hearing twice.
                for lead in leads[program_id]:
                    yield Planned(
                        team_id=pair.team_id,
                        dedupe_key=f"lapse_escalation:{pair.pairing_id}:{period_key}:{lead}",
                        rule="lapse_escalation",
                        recipient_id=lead,
                        payload=build_lapse_escalation(
                            mentor_user_id=pair.mentor.user_id,
                            mentee_user_id=pair.mentee.user_id,
                            days=days,
                            program_name=pair.program.name,
                        ),
                        due_at=self.now,
                        program_id=pair.program.id,
                        pairing_id=pair.pairing_id,
                    )
            self._note("pairing", "lapse_escalated_for", pair.pairing_id, last)
            if len(self._flags) >= FLAG_BATCH:
                self._raise_flags()

    def _raise_flags(self) -> None:
        """Write the red flags raised so far, together (a flag already raised stays as it was);
        unless they are handed to the caller, who writes them with their messages."""
        if self._flags and not self.hand_flags:
            with self.writes() as session:
                raise_flags(session, self._flags)
            self._flags = []

    def _note(self, table: str, column: str, row_id: int, value: datetime | int) -> None:
        """Remember, for ``take_notes``, to set ``column`` of row ``row_id`` of ``table``: what
        ``value`` names (a lapse's gap, a re-assessment's period) is planned for it, or until
        when it waits (a ``..._after`` column)."""
        self._noted.setdefault(table, {}).setdefault(column, []).append((row_id, value))

    def _wait_or_done(self, table: str, column: str, row_id: int, later: list[datetime]) -> None:
        """After a row's prompts of one rule are planned: note in its ``..._after`` column the
        moment the first one still to come is due within the horizon (``later``: their
        delivery moments), or ``NEVER`` when none is (all planned, or no longer worth it). The
        rule's query passes the row over until then, at the row (the column is in no index)."""
        self._note(table, column, row_id, min(later) - self.horizon if later else NEVER)

    def _settle(
        self,
        pair: Pair,
        planned: list[Planned],
        done: tuple[str, datetime | int],
        *,
        wait: str,
    ) -> None:
        """After a pair's prompts are planned: note ``done`` (marker column, value) once both
        sides' prompts are, or else note in ``wait`` when the pair is worth reading again: the
        next working day's start of a side still to prompt, less the horizon. Its prompt is due
        at a working day's start, never sooner (a bundle prompt), so the pair waits out the
        night, unread, instead of being read and passed over every minute."""
        sent = {message.recipient_id for message in planned}
        waiting = [person for person, _ in pair.both() if person.user_id not in sent]
        if not waiting:
            column, value = done
            self._note("pairing", column, pair.pairing_id, value)
            return
        starts = [next_working_start(person.hours, self.now) for person in waiting]
        known = [start for start in starts if start is not None]
        if known:
            self._note("pairing", wait, pair.pairing_id, min(known) - self.horizon)

    def take_flags(self) -> list[dict[str, Any]]:
        """With ``hand_flags``: the red flags raised since the last call, as rows of ``flag``,
        to write with the messages yielded until now (each flag's leads' messages are)."""
        flags, self._flags = self._flags, []
        return flags

    def take_notes(self) -> Notes:
        """The notes of what the pass has planned so far, to write once every message yielded
        until now is written (``scheduler.slices``): a note says the messages are in the outbox, so
        a pass that stops before writing them leaves none, and the next pass reads those pairs
        again. A pair's note is taken only after its last message was yielded."""
        self._raise_flags()
        notes, self._noted = self._noted, {}
        return notes

    def _flag_lapse(self, pair: Pair, period: str) -> None:
        # Written with the leads' messages, in the same transaction.
        self._flags.append(
            {
                "team_id": pair.team_id,
                "program_id": pair.program.id or 0,
                "pairing_id": pair.pairing_id,
                "kind": FlagKind.LAPSED,
                "dedupe_key": f"lapsed:{pair.pairing_id}:{period}",
                "detail": "no session for twice the planned cadence",
                "raised_at": self.now,
                "escalated_at": self.now,
            }
        )

    def reassessments(self) -> Iterator[Planned]:
        """To both, every ``reassessment_weeks`` since the pairing started (latest period only).

        Only pairings whose latest period began within ``REASSESSMENT_WINDOW`` are read: one
        range of start moments per period the program's oldest pairing has lived through.
        """
        if not self.programs or not self.zones:
            return
        # Each program's oldest running pairing: the first entry of its range of the index,
        # one probe each (grouped, PostgreSQL reads every running pairing).
        firsts = [
            select(type_coerce(func.min(col(Pairing.started_at)), UTCDateTime()))
            .where(
                col(Pairing.program_id) == program_id,
                col(Pairing.status) == PairingStatus.ACTIVE.value,
            )
            .scalar_subquery()
            for program_id in self.programs
        ]
        oldest = zip(self.programs, self.session.execute(select(*firsts)).one(), strict=True)
        every = {
            program_id: timedelta(weeks=self.settings(program).reassessment_weeks)
            for program_id, program in self.programs.items()
        }
        # The prompt falls due at the start of its working day: read periods ending by the end
        # of a working day that has begun, not only those that ended.
        upto = (self.day_reach_bound if self.bundling else None) or self.now
        for program_id, first in oldest:
            if first is None or upto - first < every[program_id]:
                continue
            # One query per program, its CASE holding only that program's periods: one CASE
            # for every program's periods would grow with their square.
            periods = range(int((upto - first) / every[program_id]), 0, -1)
            yield from self._reassessments_of(program_id, every[program_id], periods, upto)

    def _reassessments_of(
        self, program_id: int, every: timedelta, periods: Iterable[int], upto: datetime
    ) -> Iterator[Planned]:
        """One query for the program: the pairs that started within a period's window and have
        not had that period planned, one range of ``ix_pairing_reassessment`` per period (its
        last columns leave out the pairs noted planned, or waiting). A start in two windows (a
        short period) belongs to the later period: the CASE tries the latest first.

        The period is then noted planned, or the pair left to wait (``_settle``).
        """
        started = col(Pairing.started_at)
        ranges: list[ColumnElement[bool]] = []
        windows: list[tuple[ColumnElement[bool], int]] = []
        for k in periods:
            window = started.between(
                _when(self.now - every * k - REASSESSMENT_WINDOW), _when(upto - every * k)
            )
            windows.append((window, k))
            ranges.append(and_(window, col(Pairing.reassessed_period) < k))
        if not windows:
            return
        period = case(*windows)
        sides, _ = _open_sides("reassess", col(Pairing.id), period)
        query = self._pairs_select(started.label("started"), period.label("period"), *sides)
        query = query.where(
            col(Pairing.program_id) == program_id,
            col(Pairing.reassess_after) <= _when(self.now),
            or_(*ranges),
        )
        for row in self._rows(query):
            pair = self._pair(row, sides=True)
            k = row.period
            target = row.started + every * k
            prompts = list(
                self._to_both(
                    pair,
                    rule="skill_reassessment",
                    key=f"reassess:{pair.pairing_id}:{k}",
                    target=target,
                    expires=target + timedelta(days=14),
                    payload=partial(build_reassessment_prompt, pairing_id=pair.pairing_id),
                    bundle=True,
                )
            )
            yield from prompts
            self._settle(pair, prompts, ("reassessed_period", k), wait="reassess_after")

    def _programs_at(self, moment: Callable[[Program], date], window: timedelta) -> list[Program]:
        """Running programs whose ``moment`` (a date) fell within the last ``window``, or falls
        tomorrow in UTC: east of UTC that day's working hours begin on UTC's eve, and the
        prompt goes with the person's other prompts of the day."""
        today = self.now.date()
        soon = today + timedelta(days=1)
        return [
            p for p in self.programs.values() if moment(p) <= soon and today < moment(p) + window
        ]

    def _pairs_without(self, program: Program, rule: str) -> Iterator[Pair]:
        """The program's running pairs where either person's ``rule`` message is not planned."""
        if not self.zones:
            return
        sides, unplanned = _open_sides(rule, col(Pairing.id), zones=self.zones)
        query = self._pairs_select(*sides).where(col(Pairing.program_id) == program.id, unplanned)
        for row in self._rows(query):
            yield self._pair(row, sides=True)

    def midpoint_surveys(self) -> Iterator[Planned]:
        """To both, at the program's midpoint: how is the relationship going?"""
        for program in self._programs_at(program_midpoint, SURVEY_WINDOW):
            midpoint = program_midpoint(program)
            for pair in self._pairs_without(program, "survey:midpoint"):
                yield from self._to_both(
                    pair,
                    rule="midpoint_survey",
                    key=f"survey:midpoint:{pair.pairing_id}",
                    target=midpoint,
                    expires=midpoint + SURVEY_WINDOW,
                    payload=partial(
                        build_survey_prompt,
                        SurveyKind.MIDPOINT,
                        pairing_id=pair.pairing_id,
                        mentee_user_id=pair.mentee.user_id,
                        program_name=pair.program.name,
                    ),
                    bundle=True,
                )

    def closing_prompts(self) -> Iterator[Planned]:
        """To both, ``final_survey_days`` before the end: reflect, audit independence, graduate."""
        for program in self.programs.values():
            end = program_end(program)
            start = end - timedelta(days=self.settings(program).final_survey_days)
            # From UTC's eve: east of UTC the day's working hours begin before it.
            if not start - timedelta(days=1) <= self.now.date() < end:
                continue
            if start <= self.now.date():
                self._final_survey_due(program)
            pairs = self._pairs_without(program, "graduation")
            while chunk := list(islice(pairs, SCORECARD_BATCH)):
                # What each person still has to do to close well, read for the slice at once.
                left = closing_left(
                    self.session, pairing_ids=[p.pairing_id for p in chunk], now=self.now
                )
                for pair in chunk:
                    yield from self._to_both(
                        pair,
                        rule="graduation_prompt",
                        key=f"graduation:{pair.pairing_id}",
                        target=start,
                        expires=end,
                        payload=partial(
                            build_graduation_prompt,
                            pairing_id=pair.pairing_id,
                            program_name=pair.program.name,
                            end=end - timedelta(days=1),
                            left=left.get(pair.pairing_id),
                        ),
                        bundle=True,
                    )

    def _final_survey_due(self, program: Program) -> None:
        """Move the program's pairs to the closing stage, a short write at a time."""
        moved = STAGE_BATCH
        while moved == STAGE_BATCH:
            with self.writes() as session:
                moved = note_event_for_program(
                    session,
                    program_id=program.id or 0,
                    event=PairEvent.FINAL_SURVEY_DUE,
                    limit=STAGE_BATCH,
                )

    def weekly_digests(self) -> Iterator[Planned]:
        """The cohort digest to the program's channel, on its weekday and hour, in its timezone."""
        for program in self.programs.values():
            if not program.digest_channel_id:
                continue
            moment = last_digest_moment(program, self.now)
            if self.now - moment > DIGEST_WINDOW:
                continue  # the bot was down all day: wait for next week rather than post late
            key = f"{DIGEST_RULE}:{program.id}:{moment.date().isoformat()}"
            planned_before = self.session.exec(
                select(Delivery.id).where(col(Delivery.dedupe_key) == key)
            ).first()
            if planned_before is not None:
                continue  # building a digest is the costly part: do it once a week
            yield Planned(
                team_id=program.team_id,
                dedupe_key=key,
                rule=DIGEST_RULE,
                recipient_id=program.digest_channel_id,
                channel_id=program.digest_channel_id,
                payload=build_digest_for(self.session, program=program, now=self.now),
                due_at=self.now,
                expires_at=moment + DIGEST_WINDOW,
                program_id=program.id,
            )

    def due_reminders(self) -> Iterator[Planned]:
        """To the mentee, ``due_reminder_days`` before an open goal or milestone is due."""
        last_day = self.last_day_at_work if self.programs else None
        if last_day is None:
            return  # nobody's working hours start within the horizon
        today = self.now.date()
        # The reminder is aimed at the start of the local day ``due_reminder_days`` before the
        # date: due by the latest local day at work, it is due now (a wider range would read,
        # every minute, reminders days from due).
        latest = last_day + timedelta(days=self._longest(lambda s: s.due_reminder_days))
        open_goal = (
            col(Goal.status) == GoalStatus.AGREED.value,
            col(Goal.progress).not_in([GoalProgress.DONE.value, GoalProgress.DROPPED.value]),
        )
        goal_open = _unplanned(text_key("goal_due", col(Goal.id), iso_date(col(Goal.due_date))))
        goals = self._pairs_select(
            col(Goal.id).label("item_id"),
            col(Goal.statement).label("title"),
            col(Goal.due_date).label("due"),
            goal_open.label("still_open"),
            source=Goal,
            link=col(Pairing.id) == col(Goal.pairing_id),
        ).where(
            *open_goal,
            col(Goal.due_date) >= today,
            col(Goal.due_date) <= latest,
            col(Goal.due_reminder_after) <= _when(self.now),
        )
        for row in self._rows(goals):
            yield from self._due(row, "goal")
        milestone_open = _unplanned(
            text_key("milestone_due", col(Milestone.id), iso_date(col(Milestone.due_date)))
        )
        milestones = self._pairs_select(
            col(Milestone.id).label("item_id"),
            col(Milestone.title).label("title"),
            col(Milestone.due_date).label("due"),
            milestone_open.label("still_open"),
            source=join(Milestone, Goal, col(Goal.id) == col(Milestone.goal_id)),
            link=col(Pairing.id) == col(Goal.pairing_id),
        ).where(
            *open_goal,
            col(Milestone.done_at).is_(None),
            col(Milestone.due_date) >= today,
            col(Milestone.due_date) <= latest,
            col(Milestone.due_reminder_after) <= _when(self.now),
        )
        for row in self._rows(milestones):
            yield from self._due(row, "milestone")

    def _due(self, row: Row[Any], what: str) -> Iterator[Planned]:
        """The reminder of a goal's or milestone's due date, if due; the row is then noted
        (``due_reminder_after``) planned, or waiting until it is."""
        later: list[datetime] = []
        if row.still_open:
            pair = self._pair(row)
            planned = self._reminder(pair, what, row.item_id, row.title, row.due, later)
            if planned:
                yield planned
        self._wait_or_done(what, "due_reminder_after", row.item_id, later)

    def _reminder(
        self, pair: Pair, what: str, item_id: int, title: str, due: date, later: list[datetime]
    ) -> Planned | None:
        days = self.settings(pair.program).due_reminder_days
        return self._message(
            pair,
            pair.mentee,
            rule=f"{what}_due",
            key=f"{what}_due:{item_id}:{due.isoformat()}",
            target=pair.mentee.at_work_start(due - timedelta(days=days)),
            expires=pair.mentee.at_work_end(due),
            payload=partial(
                build_due_reminder,
                pairing_id=pair.pairing_id,
                what=what,
                title=title[:150],
                due=due,
            ),
            bundle=True,
            # It tells them what they know (the date is theirs): quieter mode leaves it out.
            needs_answer=False,
            later=later,
        )
