"""people remember the bot's direct-message conversation with them

Every message from the outbox to a person opened their conversation with the bot first
(``conversations.open``, one of Slack's Tier 3 methods: some 50 calls a minute a workspace), then
posted in it. A person's conversation with the bot does not change, so it is now kept with what
Slack told us about them, and opened once: a catch-up of thousands of prompts is paced by
``chat.postMessage`` alone, not by the Tier 3 method beside it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("slackuser", sa.Column("dm_channel_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("slackuser", "dm_channel_id")
