"""sessions, goals and milestones note the prompts planned for them, and when to look again

Every minute the planner read the coming day's sessions for agenda prompts, the past week's
unlogged ones for scorecards and "did you meet?", and the goals and milestones due soon, and
checked each one's messages against the outbox, although nearly all were planned already or
waited for their person's working day: at 100,000 pairings some 20,000 rows a minute (0.3 s of
PostgreSQL's time) to find a handful. As the pairings' lapse and re-assessment notes do
(migration 0011), each such row now keeps, per rule, the moment it is worth reading again:
``NEVER`` once its prompts are planned (or no longer worth sending), its prompt's delivery moment
less the planner's horizon while it waits, ``NO_WAIT`` (the epoch) when nothing is known. A
rule reads its window through the index it did before and passes over the rows that wait at the
row itself: no outbox probe, no pairing or person looked up for them.

The waits are in no index, on purpose: a pass notes tens of thousands of rows after a downtime,
and on PostgreSQL a row whose indexed columns are unchanged is rewritten in its own page (a HOT
update) with no new entry in any of the table's indexes (six on ``meeting``), where an indexed
wait cost every one of them for every note. The three tables keep 10% of each page free for it
(``fillfactor`` 90, for pages written from now on).

A wait is worked out from the session's time, the due date and the person's working week, so
whatever changes one of them (the bot, a migration, an operator's SQL) clears it by trigger:

- a session moved in place (its start or length) or a due date changed: that row's waits;
- a participant's timezone or working hours: the waits of their pairings, sessions, goals and
  milestones (re-assessments and lapse nudges included), which the next pass works out anew;
- a program's rule settings (how long before a session its agenda prompt comes, and so on):
  the waits of its sessions, goals and milestones.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MEETING_WAITS = ("agenda_prompt_after", "scorecard_after", "did_you_meet_after")
# Each table's waits.
_WAITS = {
    "meeting": _MEETING_WAITS,
    "goal": ("due_reminder_after",),
    "milestone": ("due_reminder_after",),
}
# PostgreSQL: room left on each page for a row's next version, so that writing a note (no
# indexed column) updates the row in place of its page, and none of the table's indexes.
_FILLFACTOR = 90
_PAIRING_WAITS = ("lapse_nudge_after", "reassess_after")


def _no_wait(postgres: bool) -> str:
    """The epoch, as each backend stores a UTC moment (as migration 0011 wrote it)."""
    return "'1970-01-01 00:00:00+00'" if postgres else "'1970-01-01 00:00:00.000000'"


def _reset(columns: Sequence[str], postgres: bool) -> str:
    return ", ".join(f"{column} = {_no_wait(postgres)}" for column in columns)


# Per trigger: the table, the columns whose change fires it, the waits it clears.
_ROW_RESETS = {
    "meeting_reopen_prompts": ("meeting", "scheduled_start, duration_minutes", _MEETING_WAITS),
    "goal_reopen_reminder": ("goal", "due_date", ("due_reminder_after",)),
    "milestone_reopen_reminder": ("milestone", "due_date", ("due_reminder_after",)),
}


def _changed(columns: str) -> str:
    return " OR ".join(
        f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in (c.strip() for c in columns.split(","))
    )


_HOURS = "timezone, work_start, work_end, work_days"


def _resets(pairings: str, postgres: bool) -> list[str]:
    """The statements that clear the waits of the sessions, goals and milestones of the
    pairings ``pairings`` (a subquery of their ids) selects."""
    return [
        # Built from this file's own names, never from input.
        f"UPDATE meeting SET {_reset(_MEETING_WAITS, postgres)}"  # noqa: S608
        f" WHERE status = 'scheduled' AND pairing_id IN ({pairings})",
        f"UPDATE goal SET {_reset(['due_reminder_after'], postgres)}"  # noqa: S608
        f" WHERE pairing_id IN ({pairings})",
        f"UPDATE milestone SET {_reset(['due_reminder_after'], postgres)}"  # noqa: S608
        f" WHERE goal_id IN (SELECT id FROM goal WHERE pairing_id IN ({pairings}))",
    ]


def _wide_resets(postgres: bool) -> dict[str, tuple[str, str, str, list[str]]]:
    """Per trigger: the table, the columns whose change fires it, the condition that they
    changed, and the statements that clear every wait worked out from them."""
    person = "mentor_id = NEW.id OR mentee_id = NEW.id"
    # A JSON value has no equality on PostgreSQL: its text is compared.
    settings = "rule_settings::text" if postgres else "rule_settings"
    return {
        # A participant's week: their pairings' waits too (lapse nudges, re-assessments).
        "participant_reopen_waits": (
            "participant",
            _HOURS,
            _changed(_HOURS),
            [
                f"UPDATE pairing SET {_reset(_PAIRING_WAITS, postgres)} WHERE {person}",  # noqa: S608
                *_resets(f"SELECT id FROM pairing WHERE {person}", postgres),  # noqa: S608
            ],
        ),
        # A program's rule settings: when each prompt is aimed.
        "program_reopen_waits": (
            "program",
            "rule_settings",
            f"OLD.{settings} IS DISTINCT FROM NEW.{settings}",
            _resets("SELECT id FROM pairing WHERE program_id = NEW.id", postgres),
        ),
    }


def upgrade() -> None:
    """Apply this revision."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, waits in _WAITS.items():
        # Plain ALTER TABLE, on SQLite too: a batch copy would trip over the triggers that
        # name these tables (migrations 0009 and 0011).
        for wait in waits:
            op.add_column(
                table,
                sa.Column(
                    wait,
                    sa.DateTime(timezone=True),
                    server_default=sa.text(_no_wait(postgres)),
                    nullable=False,
                ),
            )
        if postgres:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = {_FILLFACTOR})")
    if postgres:
        for name, (table, columns, cleared) in _ROW_RESETS.items():
            # BEFORE: the row is written once, with its waits cleared.
            assignments = "".join(f"NEW.{wait} := {_no_wait(postgres)}; " for wait in cleared)
            op.execute(
                f"CREATE FUNCTION mentorbot_{name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {assignments}RETURN NEW; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE OF {columns} ON {table} FOR EACH ROW"
                f" WHEN ({_changed(columns)}) EXECUTE FUNCTION mentorbot_{name}()"
            )
        for name, (table, columns, changed, statements) in _wide_resets(postgres).items():
            body = "".join(f"{statement}; " for statement in statements)
            op.execute(
                f"CREATE FUNCTION mentorbot_{name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {body}RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER UPDATE OF {columns} ON {table} FOR EACH ROW"
                f" WHEN ({changed}) EXECUTE FUNCTION mentorbot_{name}()"
            )
        return
    for name, (table, columns, cleared) in _ROW_RESETS.items():
        sqlite_changed = _changed(columns).replace("IS DISTINCT FROM", "IS NOT")
        reset = f"UPDATE {table} SET {_reset(cleared, postgres)} WHERE id = NEW.id"  # noqa: S608
        op.execute(
            f"CREATE TRIGGER {name} AFTER UPDATE OF {columns} ON {table}"
            f" WHEN {sqlite_changed} BEGIN {reset}; END"
        )
    for name, (table, columns, changed, statements) in _wide_resets(postgres).items():
        body = "".join(f"{statement}; " for statement in statements)
        sqlite_changed = changed.replace("IS DISTINCT FROM", "IS NOT")
        op.execute(
            f"CREATE TRIGGER {name} AFTER UPDATE OF {columns} ON {table}"
            f" WHEN {sqlite_changed} BEGIN {body}END"
        )


def downgrade() -> None:
    """Revert this revision."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, (table, _, _) in _ROW_RESETS.items():
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS mentorbot_{name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name, (table, *_) in _wide_resets(postgres).items():
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS mentorbot_{name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table, waits in _WAITS.items():
        if postgres:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
        for wait in waits:
            op.drop_column(table, wait)
