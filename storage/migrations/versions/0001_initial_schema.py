"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 14:33:12.961586
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "processedevent",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("processedevent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processedevent_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_processedevent_team_id"), ["team_id"], unique=False)

    op.create_table(
        "program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("purpose_detail", sa.String(length=255), nullable=False),
        sa.Column("company_goal", sa.Text(), nullable=False),
        sa.Column("structure", sa.String(length=32), nullable=False),
        sa.Column("group_size", sa.Integer(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("success_measures", sa.Text(), nullable=False),
        sa.Column("tracked_measures", sa.JSON(), nullable=False),
        sa.Column("review_style", sa.String(length=32), nullable=False),
        sa.Column("cadence", sa.String(length=32), nullable=False),
        sa.Column("session_minutes", sa.Integer(), nullable=False),
        sa.Column("max_gap_days", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("length_months", sa.Integer(), nullable=False),
        sa.Column("visibility", sa.String(length=32), nullable=False),
        sa.Column("competencies", sa.JSON(), nullable=False),
        sa.Column("digest_channel_id", sa.String(length=32), nullable=True),
        sa.Column("digest_weekday", sa.Integer(), nullable=False),
        sa.Column("digest_hour", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("rule_settings", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "name"),
    )
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_program_team_id"), ["team_id"], unique=False)
        batch_op.create_index("ix_program_team_status", ["team_id", "status"], unique=False)

    op.create_table(
        "slackuser",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("real_name", sa.String(length=255), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("tz_offset_seconds", sa.Integer(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_owner", sa.Boolean(), nullable=False),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id"),
    )
    with op.batch_alter_table("slackuser", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slackuser_team_id"), ["team_id"], unique=False)

    op.create_table(
        "workspace",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("bot_user_id", sa.String(length=32), nullable=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uninstalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("team_id"),
    )
    op.create_table(
        "participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("situation", sa.Text(), nullable=False),
        sa.Column("aim", sa.Text(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("availability", sa.Text(), nullable=False),
        sa.Column("preferred_cadence", sa.String(length=32), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("work_start", sa.Time(), nullable=False),
        sa.Column("work_end", sa.Time(), nullable=False),
        sa.Column("work_days", sa.String(length=7), nullable=False),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("program_id", "user_id", "role"),
    )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_participant_paused_until"), ["paused_until"], unique=False
        )
        batch_op.create_index(
            "ix_participant_program_role_status", ["program_id", "role", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_participant_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_participant_user_id"), ["user_id"], unique=False)

    op.create_table(
        "programlead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("program_id", "user_id"),
    )
    with op.batch_alter_table("programlead", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programlead_program_id"), ["program_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_programlead_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_programlead_user_id"), ["user_id"], unique=False)

    op.create_table(
        "pairing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("mentor_user_id", sa.String(length=32), nullable=False),
        sa.Column("mentee_user_id", sa.String(length=32), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=True),
        sa.Column("board_role", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("match_reasons", sa.JSON(), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=True),
        sa.Column("approved_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=255), nullable=False),
        sa.Column("continue_as_peers", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mentee_id"],
            ["participant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["participant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pairing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pairing_group_key"), ["group_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_pairing_mentee_id"), ["mentee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pairing_mentor_id"), ["mentor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pairing_paused_until"), ["paused_until"], unique=False)
        batch_op.create_index(
            "ix_pairing_people", ["team_id", "mentor_user_id", "mentee_user_id"], unique=False
        )
        batch_op.create_index("ix_pairing_program_status", ["program_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_pairing_team_id"), ["team_id"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("pairing_id", sa.Integer(), nullable=True),
        sa.Column("recipient_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_lease", ["status", "lease_until"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_pairing_id"), ["pairing_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_program_id"), ["program_id"], unique=False)
        batch_op.create_index("ix_delivery_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_team_id"), ["team_id"], unique=False)

    op.create_table(
        "flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "dedupe_key"),
    )
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flag_pairing_id"), ["pairing_id"], unique=False)
        batch_op.create_index("ix_flag_program_open", ["program_id", "resolved_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_flag_team_id"), ["team_id"], unique=False)

    op.create_table(
        "goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("success_criteria", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("progress", sa.String(length=32), nullable=False),
        sa.Column("progress_note", sa.String(length=255), nullable=False),
        sa.Column("change_suggestion", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=32), nullable=False),
        sa.Column("agreed_by", sa.String(length=32), nullable=True),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("co_created", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_due_date"), ["due_date"], unique=False)
        batch_op.create_index("ix_goal_pairing_position", ["pairing_id", "position"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_team_id"), ["team_id"], unique=False)

    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("scheduled_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes_held", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("scheduled_by", sa.String(length=32), nullable=True),
        sa.Column("logged_by", sa.String(length=32), nullable=True),
        sa.Column("rescheduled_from_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=255), nullable=False),
        sa.Column("agenda_submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ics_uid", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rescheduled_from_id"],
            ["meeting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_pairing_start", ["pairing_id", "scheduled_start"], unique=False
        )
        batch_op.create_index(
            "ix_meeting_status_start", ["status", "scheduled_start"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meeting_team_id"), ["team_id"], unique=False)

    op.create_table(
        "pairdocument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pairdocument", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pairdocument_pairing_id"), ["pairing_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pairdocument_team_id"), ["team_id"], unique=False)

    op.create_table(
        "skillassessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("rater_role", sa.String(length=32), nullable=False),
        sa.Column("rater_user_id", sa.String(length=32), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pairing_id", "round", "rater_role"),
    )
    with op.batch_alter_table("skillassessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_skillassessment_pairing_id"), ["pairing_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_skillassessment_team_id"), ["team_id"], unique=False)

    op.create_table(
        "surveyresponse",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pairing_id", "user_id", "kind"),
    )
    with op.batch_alter_table("surveyresponse", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_surveyresponse_program_id"), ["program_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_surveyresponse_team_id"), ["team_id"], unique=False)

    op.create_table(
        "actionitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_user_id", sa.String(length=32), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("actionitem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actionitem_pairing_id"), ["pairing_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actionitem_team_id"), ["team_id"], unique=False)

    op.create_table(
        "agendaitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("covered", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agendaitem", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agenda_pairing_meeting", ["pairing_id", "meeting_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_agendaitem_team_id"), ["team_id"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("from_user_id", sa.String(length=32), nullable=False),
        sa.Column("went_well", sa.Text(), nullable=False),
        sa.Column("needs_change", sa.Text(), nullable=False),
        sa.Column("next_action", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_pairing_id"), ["pairing_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_team_id"), ["team_id"], unique=False)

    op.create_table(
        "goalupdate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("progress", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("by_user_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("goalupdate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goalupdate_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goalupdate_team_id"), ["team_id"], unique=False)

    op.create_table(
        "learningresource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goal.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("learningresource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_learningresource_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_learningresource_team_id"), ["team_id"], unique=False)

    op.create_table(
        "meetinggoal",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.PrimaryKeyConstraint("meeting_id", "goal_id"),
    )
    with op.batch_alter_table("meetinggoal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetinggoal_team_id"), ["team_id"], unique=False)

    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goal.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_milestone_due_date"), ["due_date"], unique=False)
        batch_op.create_index("ix_milestone_goal_position", ["goal_id", "position"], unique=False)
        batch_op.create_index(batch_op.f("ix_milestone_team_id"), ["team_id"], unique=False)

    op.create_table(
        "outsidefeedbackrequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("requester_user_id", sa.String(length=32), nullable=False),
        sa.Column("colleague_user_id", sa.String(length=32), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("does_well", sa.Text(), nullable=False),
        sa.Column("to_change", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("shared_with_mentor", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outsidefeedbackrequest", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outside_feedback_status_expiry", ["status", "expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outsidefeedbackrequest_colleague_user_id"),
            ["colleague_user_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outsidefeedbackrequest_pairing_id"), ["pairing_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outsidefeedbackrequest_team_id"), ["team_id"], unique=False
        )

    op.create_table(
        "pairnote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("author_user_id", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pairnote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pairnote_pairing_id"), ["pairing_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pairnote_team_id"), ["team_id"], unique=False)

    op.create_table(
        "practicetask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goal.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("practicetask", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practicetask_due_date"), ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_practicetask_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_practicetask_team_id"), ["team_id"], unique=False)

    op.create_table(
        "scorecard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("mentee_user_id", sa.String(length=32), nullable=False),
        sa.Column("clarity", sa.Integer(), nullable=True),
        sa.Column("energy", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairing.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id"),
    )
    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scorecard_pairing_id"), ["pairing_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_scorecard_team_id"), ["team_id"], unique=False)

    op.create_table(
        "skillrating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("competency", sa.String(length=80), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["skillassessment.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assessment_id", "competency"),
    )
    with op.batch_alter_table("skillrating", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_skillrating_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_skillrating_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("skillrating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skillrating_team_id"))
        batch_op.drop_index(batch_op.f("ix_skillrating_assessment_id"))

    op.drop_table("skillrating")
    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorecard_team_id"))
        batch_op.drop_index(batch_op.f("ix_scorecard_pairing_id"))

    op.drop_table("scorecard")
    with op.batch_alter_table("practicetask", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practicetask_team_id"))
        batch_op.drop_index(batch_op.f("ix_practicetask_goal_id"))
        batch_op.drop_index(batch_op.f("ix_practicetask_due_date"))

    op.drop_table("practicetask")
    with op.batch_alter_table("pairnote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pairnote_team_id"))
        batch_op.drop_index(batch_op.f("ix_pairnote_pairing_id"))

    op.drop_table("pairnote")
    with op.batch_alter_table("outsidefeedbackrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outsidefeedbackrequest_team_id"))
        batch_op.drop_index(batch_op.f("ix_outsidefeedbackrequest_pairing_id"))
        batch_op.drop_index(batch_op.f("ix_outsidefeedbackrequest_colleague_user_id"))
        batch_op.drop_index("ix_outside_feedback_status_expiry")

    op.drop_table("outsidefeedbackrequest")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_team_id"))
        batch_op.drop_index("ix_milestone_goal_position")
        batch_op.drop_index(batch_op.f("ix_milestone_due_date"))

    op.drop_table("milestone")
    with op.batch_alter_table("meetinggoal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetinggoal_team_id"))

    op.drop_table("meetinggoal")
    with op.batch_alter_table("learningresource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learningresource_team_id"))
        batch_op.drop_index(batch_op.f("ix_learningresource_goal_id"))

    op.drop_table("learningresource")
    with op.batch_alter_table("goalupdate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goalupdate_team_id"))
        batch_op.drop_index(batch_op.f("ix_goalupdate_goal_id"))

    op.drop_table("goalupdate")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_team_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_pairing_id"))

    op.drop_table("feedback")
    with op.batch_alter_table("agendaitem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agendaitem_team_id"))
        batch_op.drop_index("ix_agenda_pairing_meeting")

    op.drop_table("agendaitem")
    with op.batch_alter_table("actionitem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actionitem_team_id"))
        batch_op.drop_index(batch_op.f("ix_actionitem_pairing_id"))

    op.drop_table("actionitem")
    with op.batch_alter_table("surveyresponse", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveyresponse_team_id"))
        batch_op.drop_index(batch_op.f("ix_surveyresponse_program_id"))

    op.drop_table("surveyresponse")
    with op.batch_alter_table("skillassessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skillassessment_team_id"))
        batch_op.drop_index(batch_op.f("ix_skillassessment_pairing_id"))

    op.drop_table("skillassessment")
    with op.batch_alter_table("pairdocument", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pairdocument_team_id"))
        batch_op.drop_index(batch_op.f("ix_pairdocument_pairing_id"))

    op.drop_table("pairdocument")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_team_id"))
        batch_op.drop_index("ix_meeting_status_start")
        batch_op.drop_index("ix_meeting_pairing_start")

    op.drop_table("meeting")
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_team_id"))
        batch_op.drop_index("ix_goal_pairing_position")
        batch_op.drop_index(batch_op.f("ix_goal_due_date"))

    op.drop_table("goal")
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flag_team_id"))
        batch_op.drop_index("ix_flag_program_open")
        batch_op.drop_index(batch_op.f("ix_flag_pairing_id"))

    op.drop_table("flag")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_team_id"))
        batch_op.drop_index("ix_delivery_status_due")
        batch_op.drop_index(batch_op.f("ix_delivery_program_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_pairing_id"))
        batch_op.drop_index("ix_delivery_lease")

    op.drop_table("delivery")
    with op.batch_alter_table("pairing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pairing_team_id"))
        batch_op.drop_index("ix_pairing_program_status")
        batch_op.drop_index("ix_pairing_people")
        batch_op.drop_index(batch_op.f("ix_pairing_paused_until"))
        batch_op.drop_index(batch_op.f("ix_pairing_mentor_id"))
        batch_op.drop_index(batch_op.f("ix_pairing_mentee_id"))
        batch_op.drop_index(batch_op.f("ix_pairing_group_key"))

    op.drop_table("pairing")
    with op.batch_alter_table("programlead", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programlead_user_id"))
        batch_op.drop_index(batch_op.f("ix_programlead_team_id"))
        batch_op.drop_index(batch_op.f("ix_programlead_program_id"))

    op.drop_table("programlead")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participant_user_id"))
        batch_op.drop_index(batch_op.f("ix_participant_team_id"))
        batch_op.drop_index("ix_participant_program_role_status")
        batch_op.drop_index(batch_op.f("ix_participant_paused_until"))

    op.drop_table("participant")
    op.drop_table("workspace")
    with op.batch_alter_table("slackuser", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slackuser_team_id"))

    op.drop_table("slackuser")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_index("ix_program_team_status")
        batch_op.drop_index(batch_op.f("ix_program_team_id"))

    op.drop_table("program")
    with op.batch_alter_table("processedevent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processedevent_team_id"))
        batch_op.drop_index(batch_op.f("ix_processedevent_received_at"))

    op.drop_table("processedevent")
