"""each conversation's pace, kept in the database so that every copy of the bot shares it

Each copy used to pace its own sends, so three copies could together post to a channel three
times as fast as Slack allows. ``channelpace`` holds each conversation's next free moment; a
send claims its slot there in one upsert (``scheduler.delivery.claim_slot``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "channelpace",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("next_free", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "channel_id"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("channelpace")
