"""The outbox: every planned message is a ``Delivery`` row, written once, claimed, sent, marked.

- Planning inserts rows with a unique ``dedupe_key`` and ``ON CONFLICT DO NOTHING``: a second
  planning pass, a second process, a restart or a Slack retry can never create a second row.
- Delivery claims due rows: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets many processes share
  the work, on SQLite the unit of work's ``BEGIN IMMEDIATE`` serialises claims. A claim sets a
  lease; a row whose lease ran out while ``sending`` belongs to a process that died mid-send.
  Right before each send the worker fences its claim (``fence``, ``remember_send``): one UPDATE
  that extends the lease only while it still holds, so a worker that lost it never sends.
- Such a row, and one whose last send timed out, has an unknown outcome: it is reconciled
  (looked up in the conversation by its metadata) before any resend.
- The routine prompts (``bundle``) due for a person at one moment are claimed together, even
  past a batch's limit, so delivery can send them as one message.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Dialect,
    String,
    Table,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from storage.enums import DeliveryStatus
from storage.models import Delivery
from storage.types import UTCDateTime

# The error recorded when a send may or may not have reached Slack.
OUTCOME_UNKNOWN = "outcome_unknown"
ERROR_MAX = 255
ENQUEUE_CHUNK = 500
# And at most this much JSON a document: a database writes a document in one go, and a slice of
# the largest messages (scorecards, some 5 KB each) held its rows several times as long as one
# of the others (``scheduler.slices``).
DOCUMENT_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class SharedFile:
    """A file shared in the conversation instead of a message (a calendar invite)."""

    filename: str
    title: str
    content: str
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Planned:
    """A message to enqueue; ``dedupe_key`` names it uniquely (rule, subject, period)."""

    team_id: str
    dedupe_key: str
    rule: str
    recipient_id: str
    payload: dict[str, Any]
    due_at: datetime
    expires_at: datetime | None = None
    program_id: int | None = None
    pairing_id: int | None = None
    channel_id: str | None = None
    # Who the message is from, and what it is ("your feedback"): told if it can't be delivered.
    sender_id: str | None = None
    what: str | None = None
    # A group DM: the conversation is opened with all of them (``recipient_id`` is one of them).
    members: tuple[str, ...] = ()
    # Share this file instead of posting ``payload``.
    file: SharedFile | None = None
    # Pairings whose conversation becomes the one this lands in (introductions).
    conversation_of: tuple[int, ...] = ()
    # A prompt that may share one message with the recipient's other such prompts of the day.
    bundle: bool = False
    # False for a prompt that only informs (a reminder): people in quieter mode don't get it.
    needs_answer: bool = True

    def extras(self) -> dict[str, Any]:
        """What the delivery needs beyond the message, as stored in ``Delivery.extras``."""
        extras: dict[str, Any] = {}
        if self.sender_id:
            extras["sender"] = self.sender_id
        if self.what:
            extras["what"] = self.what
        if self.members:
            extras["members"] = list(self.members)
        if self.file is not None:
            extras["file"] = {
                "filename": self.file.filename,
                "title": self.file.title,
                "content": self.file.content,
                "comment": self.file.comment,
            }
        if self.conversation_of:
            extras["conversation_of"] = list(self.conversation_of)
        if self.bundle:
            extras["bundle"] = True
        if not self.needs_answer:
            extras["informational"] = True
        return extras


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery this worker holds, detached from the session that claimed it."""

    id: int
    team_id: str
    dedupe_key: str
    rule: str
    recipient_id: str
    channel_id: str | None
    payload: dict[str, Any]
    due_at: datetime
    expires_at: datetime | None
    attempts: int
    program_id: int | None
    # The previous attempt may have reached Slack: look before sending again.
    needs_check: bool
    extras: dict[str, Any] = field(default_factory=dict)
    # Its person's conversation was opened for this attempt, not read from what was kept: a
    # "channel_not_found" in it is Slack's last word, not a kept conversation gone stale.
    opened_now: bool = False

    @property
    def sender_id(self) -> str | None:
        """Who is told if this finally can't be delivered."""
        sender = self.extras.get("sender")
        return str(sender) if sender else None

    @property
    def what(self) -> str:
        """What the message is, in the sender's words ("your feedback")."""
        return str(self.extras.get("what") or "a message")

    @property
    def members(self) -> list[str]:
        """The people of a group DM (empty for a DM or a channel)."""
        return [str(m) for m in self.extras.get("members") or []]

    @property
    def file(self) -> SharedFile | None:
        """The file to share instead of a message."""
        spec = self.extras.get("file")
        if not isinstance(spec, dict):
            return None
        return SharedFile(
            filename=str(spec["filename"]),
            title=str(spec["title"]),
            content=str(spec["content"]),
            comment=spec.get("comment"),
        )

    @property
    def conversation_of(self) -> list[int]:
        """Pairings that keep this delivery's conversation once it is sent."""
        return [int(i) for i in self.extras.get("conversation_of") or []]

    @property
    def bundle(self) -> bool:
        """Whether it may share one message with the recipient's other prompts of the day."""
        return bool(self.extras.get("bundle"))

    @property
    def needs_answer(self) -> bool:
        """False for a prompt that only informs, which quieter mode leaves out."""
        return not self.extras.get("informational")

    @property
    def sent_as(self) -> str:
        """The metadata key of the message it was last sent in (a bundle's, or its own)."""
        return str(self.extras.get("sent_as") or self.dedupe_key)


# The columns ``enqueue`` writes, in the order of each row of its JSON document.
_ENQUEUED = (
    "team_id",
    "dedupe_key",
    "rule",
    "recipient_id",
    "channel_id",
    "payload",
    "due_at",
    "expires_at",
    "program_id",
    "pairing_id",
    "extras",
    "status",
    "attempts",
    "created_at",
)


def enqueue(session: Session, planned: Sequence[Planned], *, now: datetime) -> int:
    """Insert the planned messages that are not in the outbox yet; returns how many were new."""
    return insert_prepared(session, prepare(planned, now=now, dialect=session.get_bind().dialect))


def prepare(planned: Sequence[Planned], *, now: datetime, dialect: Dialect) -> list[str]:
    """The planned messages as JSON documents of at most ``ENQUEUE_CHUNK`` rows and
    ``DOCUMENT_BYTES`` each (or a single larger row), ready for ``insert_prepared``: all the
    Python work of an insert (serialising payloads, converting moments), done before the write
    transaction opens, so the transaction holds the database only while the database inserts.

    A row is an array in ``_ENQUEUED`` order on SQLite, an object keyed by column on PostgreSQL,
    each value as ``_stored_as`` makes it for the backend.
    """
    table = Delivery.__table__  # type: ignore[attr-defined]
    convert = [_stored_as(table.c[name].type, dialect) for name in _ENQUEUED]
    keyed = dialect.name == "postgresql"  # rows as objects (``json_populate_recordset``)
    rows: list[Any] = []
    for p in planned:
        values = (
            p.team_id,
            p.dedupe_key[:255],
            p.rule,
            p.recipient_id,
            p.channel_id,
            p.payload,
            p.due_at,
            p.expires_at,
            p.program_id,
            p.pairing_id,
            p.extras(),
            DeliveryStatus.PENDING.value,
            0,
            now,
        )
        row = [to_stored(value) for to_stored, value in zip(convert, values, strict=True)]
        rows.append(dict(zip(_ENQUEUED, row, strict=True)) if keyed else row)
    documents: list[str] = []
    pending: list[str] = []
    size = 0
    for row in rows:
        encoded = json.dumps(row, separators=(",", ":"))
        if pending and (len(pending) == ENQUEUE_CHUNK or size + len(encoded) > DOCUMENT_BYTES):
            documents.append(f"[{','.join(pending)}]")
            pending, size = [], 0
        pending.append(encoded)
        size += len(encoded) + 1
    if pending:
        documents.append(f"[{','.join(pending)}]")
    return documents


def insert_prepared(session: Session, documents: Sequence[str]) -> int:
    """Insert ``prepare``'s rows that are not in the outbox yet (one statement a document);
    returns how many were new."""
    statement = _insert_from_json(session.get_bind().dialect.name)
    return sum(len(session.execute(statement, {"rows": d}).all()) for d in documents)


def _as_is(value: Any) -> Any:
    return value


def _stored_as(column_type: Any, dialect: Dialect) -> Callable[[Any], Any]:
    """How a value of the column goes into the JSON document for this backend.

    SQLite: as the column's type would bind it (a type decorator's own conversion, then its
    implementation's: moments become SQLite's text, JSON its text). PostgreSQL: JSON columns
    as they are (the document nests them), moments through their type's check, in ISO 8601
    with the offset, which the cast to ``timestamptz`` reads.
    """
    if dialect.name != "postgresql":
        return column_type.dialect_impl(dialect).bind_processor(dialect) or _as_is
    if isinstance(column_type, UTCDateTime):

        def moment(value: datetime | None) -> str | None:
            stored = column_type.process_bind_param(value, dialect)
            return None if stored is None else stored.isoformat()

        return moment
    return _as_is


@lru_cache(maxsize=2)
def insert_sql(dialect: Dialect) -> str:
    """``insert_prepared``'s statement as the driver's text (its one parameter ``%(rows)s``):
    for a slice sent as one string of statements (``scheduler.slices``)."""
    return str(_insert_from_json(dialect.name).compile(dialect=dialect))


@lru_cache(maxsize=2)
def _insert_from_json(dialect: str) -> Insert:
    """An INSERT of the rows of a JSON document (``:rows``, ``prepare``'s) that skips dedupe
    keys already in the outbox and returns the new rows' ids.

    One parameter, whatever the number of rows: a multi-row VALUES list of 14 parameters a row
    cost more to build and to parse (psycopg splits its text in Python) than to insert.
    """
    table: Table = Delivery.__table__  # type: ignore[attr-defined]
    document = bindparam("rows", type_=String())
    names = list(_ENQUEUED)
    if dialect == "postgresql":
        # Each row an object read straight into the outbox's own row type: parsed once, each
        # value by its column's input function.
        planned = (
            func.json_populate_recordset(
                literal_column(f"NULL::{table.name}"), cast(document, JSON())
            )
            .table_valued(*names)
            .alias("planned")
        )
        values: list[ColumnElement[Any]] = [planned.c[name] for name in names]
        into: Any = postgresql.insert(table)
    else:
        planned = func.json_each(document).table_valued("value").alias("planned")
        values = [func.json_extract(planned.c.value, f"$[{index}]") for index in range(len(names))]
        into = sqlite.insert(table)
    # SQLite reads an upsert's SELECT without a WHERE as a join's ON: hence ``WHERE true``.
    source = select(*values).select_from(planned).where(true())
    statement: Insert = (
        into.from_select(names, source)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)
    )
    return statement


def _bundled(row: Delivery) -> bool:
    return bool((row.extras or {}).get("bundle")) and row.status is DeliveryStatus.PENDING


def _rest_of_bundles(session: Session, rows: list[Delivery], now: datetime) -> list[Delivery]:
    """The routine prompts due at a full batch's last moment for the people it holds some of.

    Rows come in due order, so only that moment's can lie beyond the limit; they are read
    through the (status, due_at) index, one moment's rows.
    """
    moment = rows[-1].due_at
    people = {(r.team_id, r.recipient_id) for r in rows if r.due_at == moment and _bundled(r)}
    if not people:
        return []
    query = select(Delivery).where(
        col(Delivery.status) == DeliveryStatus.PENDING.value,
        col(Delivery.due_at) == moment,
        col(Delivery.recipient_id).in_({user for _, user in people}),
        col(Delivery.id).not_in([r.id for r in rows]),
        or_(col(Delivery.next_attempt_at).is_(None), col(Delivery.next_attempt_at) <= now),
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [
        row
        for row in session.exec(query.order_by(col(Delivery.id))).all()
        if _bundled(row) and (row.team_id, row.recipient_id) in people
    ]


def claim(
    session: Session,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    whole_bundles: bool = True,
) -> list[Claim]:
    """Take up to ``limit`` due deliveries (and ones abandoned mid-send) for ``worker``.

    ``whole_bundles``: a full batch does not split the prompts due for a person at one moment
    (it takes the rest of them beyond the limit).
    """
    due = and_(
        col(Delivery.status) == DeliveryStatus.PENDING.value,
        col(Delivery.due_at) <= now,
        or_(col(Delivery.next_attempt_at).is_(None), col(Delivery.next_attempt_at) <= now),
    )
    abandoned = and_(
        col(Delivery.status) == DeliveryStatus.SENDING.value, col(Delivery.lease_until) < now
    )
    query = (
        select(Delivery).where(or_(due, abandoned)).order_by(col(Delivery.due_at), col(Delivery.id))
    )
    query = query.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.exec(query).all())
    if whole_bundles and rows and len(rows) == limit:
        rows += _rest_of_bundles(session, rows, now)
    claims = []
    for row in rows:
        needs_check = row.status is DeliveryStatus.SENDING or row.error == OUTCOME_UNKNOWN
        row.status = DeliveryStatus.SENDING
        row.claimed_by = worker
        row.lease_until = now + lease
        row.attempts += 1
        session.add(row)
        claims.append(
            Claim(
                id=row.id or 0,
                team_id=row.team_id,
                dedupe_key=row.dedupe_key,
                rule=row.rule,
                recipient_id=row.recipient_id,
                channel_id=row.channel_id,
                payload=dict(row.payload),
                due_at=row.due_at,
                expires_at=row.expires_at,
                attempts=row.attempts,
                program_id=row.program_id,
                needs_check=needs_check,
                extras=dict(row.extras or {}),
            )
        )
    return claims


def _mine(delivery_id: int, worker: str) -> Any:
    return and_(
        col(Delivery.id) == delivery_id,
        col(Delivery.claimed_by) == worker,
        col(Delivery.status) == DeliveryStatus.SENDING.value,
    )


def _set(session: Session, delivery_id: int, worker: str, **values: Any) -> bool:
    """Update a row this worker still holds; False when its lease was lost to another worker."""
    result = session.execute(update(Delivery).where(_mine(delivery_id, worker)).values(**values))
    return bool(getattr(result, "rowcount", 0))


def _fenced(claim: Claim, worker: str, now: datetime) -> Any:
    """The claim is still this worker's, from this very claim, and its lease has not run out.

    ``attempts`` is the claim's fencing token: every claim raises it, so a stale claim of a row
    that was reclaimed since (even by a worker of the same name, as the scheduler's and the
    after-ack deliverers of one process are) no longer matches.
    """
    return and_(
        _mine(claim.id, worker),
        col(Delivery.attempts) == claim.attempts,
        col(Delivery.lease_until) > now,
    )


def fence(
    session: Session,
    *,
    claim: Claim,
    worker: str,
    now: datetime,
    lease: timedelta,
    channel_id: str | None = None,
) -> bool:
    """Right before a send: True and the lease extended from ``now`` when the claim still holds,
    with the conversation it goes to (``channel_id``) stored, so a reconcile knows where to look.

    One short UPDATE, committed before the Slack call: a worker whose lease ran out (another one
    may have reclaimed the row, looked in the conversation and sent) must not send, and the
    extended lease keeps other workers from reclaiming, and reconciling, a send in flight.
    """
    values: dict[str, Any] = {"lease_until": now + lease}
    if channel_id is not None:
        values["channel_id"] = channel_id
    result = session.execute(update(Delivery).where(_fenced(claim, worker, now)).values(**values))
    return bool(getattr(result, "rowcount", 0))


def remember_send(
    session: Session,
    *,
    claim: Claim,
    worker: str,
    channel_id: str,
    key: str,
    now: datetime,
    lease: timedelta,
) -> bool:
    """Store, right before sending, where the delivery goes and under which metadata key; False
    (nothing stored) when the claim no longer holds (see ``fence``, which this is too).

    A reconcile after an unknown outcome looks for that key: a bundle's, when it shares one.
    """
    extras = {**claim.extras, "sent_as": key}
    if key == claim.dedupe_key:
        extras.pop("sent_as")
    result = session.execute(
        update(Delivery)
        .where(_fenced(claim, worker, now))
        .values(channel_id=channel_id, extras=extras, lease_until=now + lease)
    )
    return bool(getattr(result, "rowcount", 0))


def mark_sent(
    session: Session, *, delivery_id: int, worker: str, ts: str | None, now: datetime
) -> bool:
    """The message is in Slack."""
    return _set(
        session,
        delivery_id,
        worker,
        status=DeliveryStatus.SENT,
        sent_at=now,
        message_ts=ts,
        lease_until=None,
        error=None,
    )


def mark_retry(
    session: Session,
    *,
    delivery_id: int,
    worker: str,
    at: datetime,
    error: str,
    count_attempt: bool = True,
    forget_channel: bool = False,
) -> bool:
    """Try again at ``at``; a rate-limited try does not count against the attempt limit, and
    ``forget_channel`` has the next try find the conversation anew."""
    values: dict[str, Any] = {
        "status": DeliveryStatus.PENDING,
        "next_attempt_at": at,
        "lease_until": None,
        "error": error[:ERROR_MAX],
    }
    if not count_attempt:
        values["attempts"] = Delivery.attempts - 1
    if forget_channel:
        values["channel_id"] = None
    return _set(session, delivery_id, worker, **values)


def mark_failed(session: Session, *, delivery_id: int, worker: str, error: str) -> bool:
    """Give up for good, keeping the reason."""
    return _set(
        session,
        delivery_id,
        worker,
        status=DeliveryStatus.FAILED,
        lease_until=None,
        error=error[:ERROR_MAX],
    )


def mark_dropped(session: Session, *, delivery_id: int, worker: str, reason: str) -> bool:
    """Not worth sending any more (its moment passed)."""
    return _set(
        session,
        delivery_id,
        worker,
        status=DeliveryStatus.DROPPED,
        lease_until=None,
        error=reason[:ERROR_MAX],
    )


def requeue(session: Session, *, delivery_id: int, now: datetime) -> Delivery:
    """Put a failed (or dropped) delivery back in the queue, now (``mentorbot outbox retry``)."""
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(f"no delivery with id {delivery_id}")
    if row.status not in (DeliveryStatus.FAILED, DeliveryStatus.DROPPED):
        raise ValueError(
            f"delivery {delivery_id} is {row.status.value}: "
            "only failed or dropped deliveries can be retried"
        )
    row.status = DeliveryStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = now
    row.due_at = min(row.due_at, now)
    row.expires_at = None
    row.error = None
    session.add(row)
    session.flush()
    return row


def list_deliveries(
    session: Session, *, status: DeliveryStatus | None = None, limit: int = 50
) -> list[Delivery]:
    """Deliveries, newest due first, optionally in one status."""
    query = select(Delivery)
    if status is not None:
        query = query.where(col(Delivery.status) == status.value)
    return list(
        session.exec(
            query.order_by(col(Delivery.due_at).desc(), col(Delivery.id).desc()).limit(limit)
        )
    )


def counts_by_status(session: Session) -> dict[DeliveryStatus, int]:
    """How many deliveries are in each status."""
    rows = session.exec(select(Delivery.status, func.count()).group_by(col(Delivery.status))).all()
    return {DeliveryStatus(status): int(count) for status, count in rows}
