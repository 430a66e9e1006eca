"""lapse keys name their gap by epoch seconds

Planning now builds dedupe keys in SQL, where an ISO timestamp is spelt differently on each
backend; the lapse keys (``lapse_nudge``, ``lapse_escalation`` in the outbox, ``lapsed`` flags)
name the gap's start by whole seconds since 1970 instead. Rewriting the stored keys keeps a gap
that was already nudged from being nudged again after the upgrade.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:40:00.000000
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WITH_USER = ("lapse_nudge", "lapse_escalation")


def _to_epoch(moment: str) -> str | None:
    if moment.isdigit():
        return None  # already rewritten
    return str(int(datetime.fromisoformat(moment).timestamp()))


def _to_iso(moment: str) -> str | None:
    if not moment.isdigit():
        return None
    return datetime.fromtimestamp(int(moment), UTC).isoformat()


def rewrite_key(key: str, period: Callable[[str], str | None]) -> str | None:
    """The key with its gap's moment rewritten by ``period``; None when there is nothing to do.

    ``lapsed:{pairing}:{moment}`` and ``{rule}:{pairing}:{moment}:{user}`` (an ISO moment holds
    colons itself, a user id never does).
    """
    rule, _, rest = key.partition(":")
    pairing, _, tail = rest.partition(":")
    if rule == "lapsed":
        moment, user = tail, None
    elif rule in _WITH_USER:
        moment, _, user = tail.rpartition(":")
    else:
        return None
    new = period(moment)
    if new is None:
        return None
    return ":".join(part for part in (rule, pairing, new, user) if part is not None)


def _rewrite(period: Callable[[str], str | None]) -> None:
    conn = op.get_bind()
    for table, pattern in (("delivery", "lapse_%"), ("flag", "lapsed:%")):
        rows = conn.execute(
            sa.text(f"SELECT id, dedupe_key FROM {table} WHERE dedupe_key LIKE :pattern"),  # noqa: S608 - fixed table names
            {"pattern": pattern},
        ).all()
        for row_id, key in rows:
            new = rewrite_key(key, period)
            if new is not None:
                conn.execute(
                    sa.text(f"UPDATE {table} SET dedupe_key = :key WHERE id = :id"),  # noqa: S608 - fixed table names
                    {"key": new, "id": row_id},
                )


def upgrade() -> None:
    """Apply this revision."""
    _rewrite(_to_epoch)


def downgrade() -> None:
    """Revert this revision."""
    _rewrite(_to_iso)
