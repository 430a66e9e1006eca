"""find a delivery by the message it became

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_delivery_message", "delivery", ["message_ts"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_delivery_message", table_name="delivery")
