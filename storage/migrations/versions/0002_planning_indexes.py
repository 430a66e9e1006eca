"""indexes for the planning pass

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index(
        "ix_participant_hours", "participant", ["work_days", "work_start", "work_end", "timezone"]
    )
    op.create_index("ix_meeting_pairing_held", "meeting", ["pairing_id", "status", "held_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_meeting_pairing_held", table_name="meeting")
    op.drop_index("ix_participant_hours", table_name="participant")
