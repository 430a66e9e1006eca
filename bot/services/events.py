"""Slack event bookkeeping."""

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import ProcessedEvent

# Slack retries a delivery for about 5 minutes; a day of ids is ample.
EVENT_ID_RETENTION = timedelta(days=1)


def event_processed(*, session: Session, event_id: str) -> bool:
    """Whether ``event_id`` was handled already (Slack redelivers events it thinks were lost)."""
    return session.get(ProcessedEvent, event_id) is not None


def record_event(*, session: Session, team_id: str, event_id: str, now: datetime) -> bool:
    """Record that ``event_id`` was handled; False if it already was (a retry ran alongside)."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, team_id=team_id, received_at=now))
    except IntegrityError:
        return False
    return True


def prune_events(*, session: Session, now: datetime) -> int:
    """Forget event ids older than the retention window; returns how many were removed."""
    cutoff = now - EVENT_ID_RETENTION
    statement = delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff)  # type: ignore[arg-type]
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount or 0)
