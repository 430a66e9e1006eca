"""each pairing notes the lapse and re-assessment prompts planned for it: the planner reads it once

The lapse rule read, every minute, every pair quiet past its nudge point and checked each of
their messages against the outbox, although nearly all were planned long before: at 100,000
pairings that was 13,000 pairs a minute to find none. A pass now notes on the pairing the gap
(its start, ``coalesce(last_held_at, started_at)``) whose nudges, and whose escalation to the
leads, it has seen planned; two partial indexes hold only the pairs whose current gap is not
noted, so the rule reads those alone (they replace ``ix_pairing_quiet``, which PostgreSQL
would still prefer for some programs' ranges). A new session starts a new gap, which no note names. A
lead added to a program must still hear of its gaps already escalated: a trigger on
``programlead`` clears the program's escalation notes, whoever adds the lead.

Re-assessments alike: ``reassessed_period`` is the latest period whose prompts to both are
planned, and ``ix_pairing_reassessment`` (``ix_pairing_program_started`` with it added) leaves
those pairs out of a period's window in the index itself.

A prompt waiting for its person's working day (a third of the world is asleep at any hour) was
re-read every minute too: ``lapse_nudge_after`` and ``reassess_after`` hold when the pair is
worth reading again, and the indexes compare them without reading the row.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SINCE = "coalesce(last_held_at, started_at)"
_MARKERS = {
    "ix_pairing_lapse_nudge": "lapse_nudged_for",
    "ix_pairing_lapse_escalation": "lapse_escalated_for",
}
_WAITS = ("lapse_nudge_after", "reassess_after")
_INDEX_WAITS = {"ix_pairing_lapse_nudge": ["lapse_nudge_after"]}

# A new lead of a program: its escalated gaps are to be read again, to tell that lead.
_REOPEN = (
    "UPDATE pairing SET lapse_escalated_for = NULL"
    " WHERE program_id = NEW.program_id AND lapse_escalated_for IS NOT NULL"
)
_TRIGGER = "programlead_reopen_escalations"
_POSTGRES_FUNCTION = f"""
CREATE FUNCTION mentorbot_reopen_escalations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_REOPEN};
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    """Apply this revision."""
    # Plain ALTER TABLE, on SQLite too: a batch copy of ``pairing`` would trip over the triggers
    # on ``meeting`` that name it (migration 0009).
    for marker in _MARKERS.values():
        op.add_column("pairing", sa.Column(marker, sa.DateTime(timezone=True), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    # "No wait": the Unix epoch, as each backend stores a UTC moment.
    no_wait = "'1970-01-01 00:00:00+00'" if postgres else "'1970-01-01 00:00:00.000000'"
    for wait in _WAITS:
        op.add_column(
            "pairing",
            sa.Column(
                wait, sa.DateTime(timezone=True), server_default=sa.text(no_wait), nullable=False
            ),
        )
    for name, marker in _MARKERS.items():
        # Written as the model's ``open_gap`` writes it: SQLite matches a query to a partial
        # index by the words of its condition.
        condition = sa.text(f"{marker} IS NULL OR {marker} <> {_SINCE}")
        op.create_index(
            name,
            "pairing",
            ["program_id", sa.text(_SINCE), *_INDEX_WAITS.get(name, [])],
            sqlite_where=condition,
            postgresql_where=condition,
        )
    op.drop_index("ix_pairing_quiet", table_name="pairing")
    op.add_column(
        "pairing",
        sa.Column("reassessed_period", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_index(
        "ix_pairing_reassessment",
        "pairing",
        ["program_id", "status", "started_at", "reassessed_period", "reassess_after"],
    )
    op.drop_index("ix_pairing_program_started", table_name="pairing")
    if postgres:
        op.execute(_POSTGRES_FUNCTION)
        op.execute(
            f"CREATE TRIGGER {_TRIGGER} AFTER INSERT ON programlead FOR EACH ROW"
            " EXECUTE FUNCTION mentorbot_reopen_escalations()"
        )
    else:
        op.execute(f"CREATE TRIGGER {_TRIGGER} AFTER INSERT ON programlead BEGIN {_REOPEN}; END")


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER} ON programlead")
        op.execute("DROP FUNCTION IF EXISTS mentorbot_reopen_escalations()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER}")
    op.create_index("ix_pairing_program_started", "pairing", ["program_id", "status", "started_at"])
    op.create_index("ix_pairing_quiet", "pairing", ["program_id", sa.text(_SINCE)])
    for name in ("ix_pairing_reassessment", *_MARKERS):
        op.drop_index(name, table_name="pairing")
    for column in ("reassessed_period", *_WAITS, *_MARKERS.values()):
        op.drop_column("pairing", column)
