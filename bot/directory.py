"""People as Slack knows them (timezone, admin rights, active or not), cached for a day.

``users.info`` is a tier-4 method, but asking it on every click would still be wasteful and slow:
the cache in ``SlackUser`` answers until it is a day old. A lookup is never made inside a unit of
work: it reads the cache in a read-only unit, asks Slack with no transaction open, and stores the
answer in a short write of its own, so a slow Slack never holds the database's write lock.

Each process also keeps what it read for a minute (``MEMORY_SECONDS``): a click looks its person
up several times (their timezone for today's date, for each moment it shows), and each look in
the database is a unit of work of its own. What the memory holds is judged by the same
``max_age`` as the database's rows, so a rights check that asks Slack still asks it; another
copy's newer answer in the database reaches this one within the minute, and an erased person's
name leaves every copy's memory within it (this copy's at once, ``forget``).
"""

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select

from bot.errors import NotFound
from bot.gateway import SlackCallError, SlackGateway, SlackUserInfo
from storage.db import read_scope, session_scope
from storage.models import SlackUser
from storage.sql import upsert_into
from storage.types import Clock

log = logging.getLogger(__name__)

CACHE_TTL = timedelta(hours=24)
# How long a process answers from what it read itself, before it looks in the database again
# (seconds of its own monotonic clock), and for how many people at most.
MEMORY_SECONDS = 60.0
MEMORY_PEOPLE = 10_000


@dataclass(frozen=True, slots=True)
class Person:
    """What the bot knows of someone: their name, timezone and rights."""

    team_id: str
    user_id: str
    real_name: str = ""
    email: str | None = None
    tz: str = "UTC"
    is_admin: bool = False
    is_bot: bool = False
    deleted: bool = False
    refreshed_at: datetime | None = None

    @classmethod
    def of(cls, row: SlackUser) -> "Person":
        """The person a cached row describes."""
        return cls(
            team_id=row.team_id,
            user_id=row.user_id,
            real_name=row.real_name,
            email=row.email,
            tz=row.tz or "UTC",
            is_admin=row.is_admin or row.is_owner,
            is_bot=row.is_bot,
            deleted=row.deleted,
            refreshed_at=row.refreshed_at,
        )


class Directory:
    """Looks people up in the cache first, then in Slack."""

    def __init__(
        self,
        gateway_for: Callable[[str], SlackGateway],
        engine: Engine,
        clock: Clock,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        # Each workspace's people are asked of Slack with that workspace's token.
        self.gateway_for = gateway_for
        self.engine = engine
        self.clock = clock
        self._monotonic = monotonic
        # (team, user) -> (when this process read it, the person): least recently used first.
        self._memory: OrderedDict[tuple[str, str], tuple[float, Person]] = OrderedDict()
        self._lock = threading.Lock()

    def person(
        self, *, team_id: str, user_id: str, max_age: timedelta | None = CACHE_TTL
    ) -> Person:
        """The person, from the cache while it is younger than ``max_age`` (None: any age).

        Asks Slack when the cache is missing or older; a stale answer beats none when Slack is
        having a moment. Raises NotFound for someone Slack does not know, SlackCallError when
        Slack fails and nothing is cached.
        """
        now = self.clock()
        remembered = self._recall(team_id, user_id)
        if remembered is not None and _fresh(remembered, now, max_age):
            return remembered
        with read_scope(self.engine) as session:
            cached = _cached_row(session, team_id=team_id, user_id=user_id)
        if cached is not None and _fresh(cached, now, max_age):
            return self._remember(cached)
        try:
            info = self.gateway_for(team_id).user_info(user_id)
        except SlackCallError as exc:
            if cached is not None and not exc.permanent:
                return cached
            if exc.error == "user_not_found":
                raise NotFound(f"I can't find <@{user_id}> in this workspace.") from None
            raise
        return self._remember(self._store(team_id, info, now))

    def forget(self, *, team_id: str, user_id: str) -> None:
        """Drop what this process remembers of someone (they asked to be forgotten)."""
        with self._lock:
            self._memory.pop((team_id, user_id), None)

    def _recall(self, team_id: str, user_id: str) -> Person | None:
        key = (team_id, user_id)
        with self._lock:
            entry = self._memory.get(key)
            if entry is None:
                return None
            read_at, person = entry
            if self._monotonic() - read_at >= MEMORY_SECONDS:
                del self._memory[key]
                return None
            self._memory.move_to_end(key)
            return person

    def _remember(self, person: Person) -> Person:
        with self._lock:
            self._memory[(person.team_id, person.user_id)] = (self._monotonic(), person)
            self._memory.move_to_end((person.team_id, person.user_id))
            while len(self._memory) > MEMORY_PEOPLE:
                self._memory.popitem(last=False)
        return person

    def _store(self, team_id: str, info: SlackUserInfo, now: datetime) -> Person:
        """Cache Slack's answer: one upsert, as another copy of the bot may store the same
        person at the same moment (a read, then an insert, would collide on its key)."""
        row = SlackUser(
            team_id=team_id,
            user_id=info.user_id,
            real_name=info.real_name,
            email=info.email,
            tz=info.tz,
            tz_offset_seconds=info.tz_offset_seconds,
            is_admin=info.is_admin or info.is_owner,
            is_owner=info.is_owner,
            is_bot=info.is_bot,
            deleted=info.deleted,
            refreshed_at=now,
        )
        table = SlackUser.__table__  # type: ignore[attr-defined]
        answer = row.model_dump(exclude={"id", "team_id", "user_id", "dm_channel_id"})
        with session_scope(self.engine) as session:
            session.execute(
                upsert_into(session, table)
                .values(team_id=team_id, user_id=info.user_id, **answer)
                .on_conflict_do_update(
                    index_elements=[table.c.team_id, table.c.user_id], set_=answer
                )
            )
        return Person.of(row)

    def known(
        self, *, team_id: str, user_id: str, max_age: timedelta | None = CACHE_TTL
    ) -> Person | None:
        """The person as ``person`` finds them, or None (logged) when Slack can't tell us now
        or doesn't know them: for callers that go on without them."""
        try:
            return self.person(team_id=team_id, user_id=user_id, max_age=max_age)
        except (SlackCallError, NotFound) as error:
            log.warning("person unknown", extra={"user_id": user_id, "error": str(error)})
            return None

    def tz(self, *, team_id: str, user_id: str, max_age: timedelta | None = CACHE_TTL) -> str:
        """The person's Slack timezone; UTC when Slack can't tell us right now."""
        person = self.known(team_id=team_id, user_id=user_id, max_age=max_age)
        return "UTC" if person is None else person.tz

    def name(self, *, team_id: str, user_id: str) -> str:
        """The person's real name, for plain text where mentions can't render ('' if unknown)."""
        person = self.known(team_id=team_id, user_id=user_id)
        return "" if person is None else person.real_name

    def is_admin(
        self, *, team_id: str, user_id: str, max_age: timedelta | None = timedelta(0)
    ) -> bool:
        """Whether the person is a workspace admin or owner, as Slack says now.

        Rights are not taken from a day-old cache: a demoted admin must stop being a lead at
        once. Only when Slack can't answer does the cached flag stand in; a modal's submission
        passes a short ``max_age``, as its opening asked Slack moments before.
        """
        return self.person(team_id=team_id, user_id=user_id, max_age=max_age).is_admin


def _fresh(person: Person, now: datetime, max_age: timedelta | None) -> bool:
    """Whether a cached answer is young enough (``max_age`` None: any answer will do)."""
    return max_age is None or now - (person.refreshed_at or now) < max_age


def _cached_row(session: Session, *, team_id: str, user_id: str) -> Person | None:
    row = session.exec(
        select(SlackUser).where(SlackUser.team_id == team_id, SlackUser.user_id == user_id)
    ).first()
    return None if row is None else Person.of(row)


def dm_channel(session: Session, *, team_id: str, user_id: str) -> str | None:
    """The bot's conversation with the person, if it was opened before (no Slack call)."""
    return session.exec(
        select(SlackUser.dm_channel_id).where(
            SlackUser.team_id == team_id, SlackUser.user_id == user_id
        )
    ).first()


def remember_dm_channel(
    session: Session, *, team_id: str, user_id: str, channel_id: str | None
) -> None:
    """Keep (or, with None, forget) the bot's conversation with the person. Only a person the
    directory has looked up has a row to keep it in: no row is made for it, so a person is
    never taken as known (and in UTC) for having been written to."""
    kept = col(SlackUser.dm_channel_id)
    session.execute(
        update(SlackUser)
        .where(
            col(SlackUser.team_id) == team_id,
            col(SlackUser.user_id) == user_id,
            # Only a change is written (the fence before each send keeps it).
            kept.is_not(None) if channel_id is None else or_(kept.is_(None), kept != channel_id),
        )
        .values(dm_channel_id=channel_id)
    )


def cached_person(session: Session, *, team_id: str, user_id: str) -> Person | None:
    """What the cache holds about someone, whatever its age (no Slack call)."""
    return _cached_row(session, team_id=team_id, user_id=user_id)


def cached_names(session: Session, *, team_id: str, user_ids: list[str]) -> dict[str, str]:
    """Real names the cache already has (plain text can't render ``<@U…>`` mentions)."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(SlackUser.user_id, SlackUser.real_name).where(
            SlackUser.team_id == team_id, col(SlackUser.user_id).in_(user_ids)
        )
    ).all()
    return {user_id: name for user_id, name in rows if name}
