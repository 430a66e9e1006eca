"""each pairing keeps the moment of its last held session, maintained by the database

The lapse rule asked, every minute and for every running pairing, when its last held session
was: a grouped read of every held session of the workspace. ``pairing.last_held_at`` now holds
that moment, and triggers on ``meeting`` keep it right on every insert, update and delete,
whoever writes (the bot, a migration, an operator's SQL). Each trigger re-reads the pair's
latest held session through ``ix_meeting_pairing_held``: one index probe, so a logged session
costs what it did. ``ix_pairing_quiet`` serves the rule's question: a program's pairs that have not
met since a moment (``coalesce(last_held_at, started_at)``), and ``ix_meeting_pairing_booked``
whether such a pair has a session booked, one probe each (without it SQLite read every booked
session of the workspace through ``ix_meeting_status_start`` for each pair). Re-assessments read
a program's running pairs by start, a range per period: ``ix_pairing_program_started`` takes the
place of ``ix_pairing_program_status``, whose columns it begins with.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The pair's latest held session, from the index alone; ``{pairing}`` names the pair's id.
_LAST_HELD = (
    "(SELECT max(held_at) FROM meeting WHERE meeting.pairing_id = {pairing} AND status = 'held')"
)


def _refresh(pairing: str) -> str:
    # Built from this file's own column names, never from input.
    last_held = _LAST_HELD.format(pairing=pairing)
    return f"UPDATE pairing SET last_held_at = {last_held} WHERE id = {pairing}"  # noqa: S608


_SQLITE_TRIGGERS = {
    "meeting_last_held_insert": (
        "AFTER INSERT ON meeting WHEN NEW.status = 'held'",
        _refresh("NEW.pairing_id"),
    ),
    "meeting_last_held_update": (
        "AFTER UPDATE OF status, held_at, pairing_id ON meeting"
        " WHEN OLD.status = 'held' OR NEW.status = 'held'",
        f"{_refresh('NEW.pairing_id')}; {_refresh('OLD.pairing_id')}",
    ),
    "meeting_last_held_delete": (
        "AFTER DELETE ON meeting WHEN OLD.status = 'held'",
        _refresh("OLD.pairing_id"),
    ),
}

_POSTGRES_FUNCTION = f"""
CREATE FUNCTION mentorbot_last_held() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {_refresh("NEW.pairing_id")};
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.pairing_id <> NEW.pairing_id) THEN
        {_refresh("OLD.pairing_id")};
    END IF;
    RETURN NULL;
END
$$
"""
_POSTGRES_TRIGGERS = {
    # An insert or delete matters only for a held session; an update whenever it may change one.
    "meeting_last_held_insert": "AFTER INSERT ON meeting FOR EACH ROW WHEN (NEW.status = 'held')",
    "meeting_last_held_update": (
        "AFTER UPDATE OF status, held_at, pairing_id ON meeting FOR EACH ROW"
        " WHEN (OLD.status = 'held' OR NEW.status = 'held')"
    ),
    "meeting_last_held_delete": "AFTER DELETE ON meeting FOR EACH ROW WHEN (OLD.status = 'held')",
}


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("pairing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_held_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(_refresh("pairing.id"))
    op.create_index(
        "ix_pairing_quiet",
        "pairing",
        # No status: with it, SQLite would start other rules' joins from every running pairing
        # through this index.
        ["program_id", sa.text("coalesce(last_held_at, started_at)")],
    )
    op.create_index(
        "ix_meeting_pairing_booked", "meeting", ["pairing_id", "status", "scheduled_start"]
    )
    # A program's running pairs by start: re-assessment periods are ranges of it.
    op.create_index("ix_pairing_program_started", "pairing", ["program_id", "status", "started_at"])
    op.drop_index("ix_pairing_program_status", table_name="pairing")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        for name, when in _POSTGRES_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION mentorbot_last_held()")
    else:
        for name, (when, body) in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body}; END")


def downgrade() -> None:
    """Revert this revision."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON meeting" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS mentorbot_last_held()")
    op.create_index("ix_pairing_program_status", "pairing", ["program_id", "status"])
    op.drop_index("ix_pairing_program_started", table_name="pairing")
    op.drop_index("ix_meeting_pairing_booked", table_name="meeting")
    op.drop_index("ix_pairing_quiet", table_name="pairing")
    with op.batch_alter_table("pairing", schema=None) as batch_op:
        batch_op.drop_column("last_held_at")
