"""emails for calendar invites, mentors' practising skills, a quieter mode

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("slackuser") as batch:
        batch.add_column(sa.Column("email", sa.String(length=255), nullable=True))
    with op.batch_alter_table("participant") as batch:
        batch.add_column(sa.Column("practising", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("quiet", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("participant") as batch:
        batch.drop_column("quiet")
        batch.drop_column("practising")
    with op.batch_alter_table("slackuser") as batch:
        batch.drop_column("email")
