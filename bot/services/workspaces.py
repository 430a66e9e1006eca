"""Workspaces that uninstalled the bot: their tokens gone, their work stopped, their data kept for
the operator's retention period, then purged row by row.

An uninstall (``app_uninstalled``, or ``tokens_revoked`` for the bot's token) marks the
``Workspace`` row, deletes the workspace's rows of slack-sdk's installation tables and drops
its outbox's pending deliveries, in one transaction. From then on the scheduler plans and sends
nothing for it (``uninstalled_teams``); its programs, people and words stay until
``due_for_purge`` says its retention is over and ``purge_workspace`` deletes every row that
carries its ``team_id``.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Table, delete, func, update
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage import slack_tables
from storage.enums import DeliveryStatus
from storage.models import Delivery, Participant, Program, Workspace
from storage.sql import insert_new

APP_UNINSTALLED = "app_uninstalled"
TOKENS_REVOKED = "tokens_revoked"
# The ``error`` a pending delivery is dropped with, by uninstall reason (``mentorbot outbox``).
DROP_REASONS = {
    APP_UNINSTALLED: "workspace uninstalled the app",
    TOKENS_REVOKED: "workspace revoked the bot's token",
}
# slack-sdk's tables holding a workspace's tokens (its OAuth states belong to no workspace).
TOKEN_TABLES: tuple[Table, ...] = (slack_tables.installations, slack_tables.bots)


@dataclass(frozen=True, slots=True)
class Uninstalled:
    """What an uninstall changed."""

    team_id: str
    # False when the workspace was uninstalled already (a retry, or the second of the two
    # events Slack sends): its uninstall date, and so its retention, stay the first one's.
    first: bool
    # Rows deleted from slack-sdk's installation tables.
    tokens: int
    # Pending deliveries dropped.
    dropped: int


def drop_reason(reason: str | None) -> str:
    """The outbox's reason for a delivery of a workspace uninstalled for ``reason``."""
    return DROP_REASONS.get(reason or "", DROP_REASONS[APP_UNINSTALLED])


def uninstall(session: Session, *, team_id: str, reason: str, now: datetime) -> Uninstalled:
    """Mark the workspace uninstalled, delete its tokens and drop its pending deliveries.

    Doing it again changes nothing but the reason: ``app_uninstalled`` says more than
    ``tokens_revoked`` and replaces it (Slack sends both, in either order).
    """
    if reason not in DROP_REASONS:
        raise ValueError(f"unknown uninstall reason {reason!r}")
    row = _workspace_row(session, team_id=team_id, now=now)
    first = row.uninstalled_at is None
    if first:
        row.uninstalled_at = now
        row.uninstall_reason = reason
    elif reason == APP_UNINSTALLED:
        row.uninstall_reason = reason
    session.add(row)
    tokens = sum(
        _count(session.execute(delete(table).where(table.c.team_id == team_id)))
        for table in TOKEN_TABLES
    )
    dropped = _count(
        session.execute(
            update(Delivery)
            .where(
                col(Delivery.team_id) == team_id,
                col(Delivery.status) == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.DROPPED, lease_until=None, error=drop_reason(reason))
        )
    )
    session.flush()
    return Uninstalled(team_id=team_id, first=first, tokens=tokens, dropped=dropped)


def reinstate(session: Session, *, team_id: str) -> bool:
    """The workspace has the bot again (a single-workspace bot started with a working token of
    it): clear its uninstall, so its work resumes and its data is never purged. Whether it was
    uninstalled. (An OAuth install does this as it records the installation.)"""
    row = _locked(session, team_id)
    if row is None or row.uninstalled_at is None:
        return False
    row.uninstalled_at = None
    row.uninstall_reason = None
    session.add(row)
    return True


def _workspace_row(session: Session, *, team_id: str, now: datetime) -> Workspace:
    """The workspace's row, created from what is known of it when there is none.

    A single-workspace bot has none until its workspace uninstalls it. The insert skips a row
    that a concurrent uninstall (the other event) wrote meanwhile, so neither of them fails.
    """
    row = _locked(session, team_id)
    if row is not None:
        return row
    install = _latest_install(session, team_id)
    programs_since = session.exec(
        select(func.min(col(Program.created_at))).where(col(Program.team_id) == team_id)
    ).one()
    known_since = [moment for moment in (install.get("installed_at"), programs_since) if moment]
    table = Workspace.__table__  # type: ignore[attr-defined]
    session.execute(
        insert_new(session, table, unique=["team_id"]).values(
            team_id=team_id,
            name=str(install.get("team_name") or "")[:255],
            enterprise_id=install.get("enterprise_id"),
            bot_user_id=install.get("bot_user_id"),
            installed_by=install.get("user_id"),
            installed_at=min(known_since, default=now),
        )
    )
    row = _locked(session, team_id)
    assert row is not None  # inserted just now, or by the concurrent uninstall
    return row


def _locked(session: Session, team_id: str) -> Workspace | None:
    query = select(Workspace).where(col(Workspace.team_id) == team_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).first()


def _latest_install(session: Session, team_id: str) -> dict[str, Any]:
    """The newest installation's facts of the workspace (empty when it has none)."""
    table = slack_tables.installations
    found = (
        session.execute(
            sa.select(
                table.c.team_name,
                table.c.enterprise_id,
                table.c.bot_user_id,
                table.c.user_id,
                table.c.installed_at,
            )
            .where(table.c.team_id == team_id)
            .order_by(table.c.installed_at.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if found is None:
        return {}
    facts = dict(found)
    # slack-sdk stores naive UTC.
    if isinstance(facts["installed_at"], datetime) and facts["installed_at"].tzinfo is None:
        facts["installed_at"] = facts["installed_at"].replace(tzinfo=UTC)
    return facts


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# --- what the scheduler asks -------------------------------------------------------------------


def uninstalled_teams() -> SelectOfScalar[str]:
    """The team ids of uninstalled workspaces, as a subquery (``team_id.not_in(...)``): the few
    rows of the workspace table, read inside the query that needs them."""
    return select(col(Workspace.team_id)).where(col(Workspace.uninstalled_at).is_not(None))


def inactive_teams(session: Session) -> dict[str, str]:
    """Uninstalled workspaces' team ids, with why each was (one small query)."""
    rows = session.exec(
        select(Workspace.team_id, Workspace.uninstall_reason).where(
            col(Workspace.uninstalled_at).is_not(None)
        )
    ).all()
    return {team_id: reason or APP_UNINSTALLED for team_id, reason in rows}


def inactive_team_ids(session: Session) -> frozenset[str]:
    """The team ids of uninstalled workspaces: nothing is planned or sent for them."""
    return frozenset(inactive_teams(session))


def is_installed(session: Session, *, team_id: str) -> bool:
    """Whether the bot still serves ``team_id`` (a workspace never uninstalled has no row in
    single-workspace mode, and is installed)."""
    row = session.get(Workspace, team_id)
    return row is None or row.uninstalled_at is None


# --- the operator's view -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkspaceRow:
    """One workspace as ``mentorbot workspace list`` shows it."""

    team_id: str
    name: str
    installed_at: datetime | None
    uninstalled_at: datetime | None
    uninstall_reason: str | None
    # When its data is purged (uninstalled workspaces only).
    kept_until: datetime | None
    programs: int
    people: int
    pending: int

    @property
    def installed(self) -> bool:
        """Whether the bot still serves it."""
        return self.uninstalled_at is None

    @property
    def state(self) -> str:
        """installed, uninstalled, or revoked (its bot token was revoked)."""
        if self.uninstalled_at is None:
            return "installed"
        return "revoked" if self.uninstall_reason == TOKENS_REVOKED else "uninstalled"


def workspace_rows(session: Session, *, retention_days: int) -> list[WorkspaceRow]:
    """Every workspace the database knows (by its row, installation, programs, people or
    deliveries), with its state and sizes, in team id order. A grouped query per source."""
    workspaces = {row.team_id: row for row in session.exec(select(Workspace))}
    programs = _per_team(session, select(Program.team_id, func.count()).group_by(Program.team_id))
    people = _per_team(
        session,
        select(Participant.team_id, func.count(func.distinct(Participant.user_id))).group_by(
            Participant.team_id
        ),
    )
    pending = _per_team(
        session,
        select(Delivery.team_id, func.count())
        .where(col(Delivery.status) == DeliveryStatus.PENDING.value)
        .group_by(Delivery.team_id),
    )
    installs = _installs(session)
    teams = sorted({*workspaces, *programs, *people, *pending, *installs})
    rows = []
    for team_id in teams:
        workspace = workspaces.get(team_id)
        install_name, install_at = installs.get(team_id, ("", None))
        uninstalled_at = workspace.uninstalled_at if workspace else None
        rows.append(
            WorkspaceRow(
                team_id=team_id,
                name=(workspace.name if workspace else "") or install_name,
                installed_at=workspace.installed_at if workspace else install_at,
                uninstalled_at=uninstalled_at,
                uninstall_reason=workspace.uninstall_reason if workspace else None,
                kept_until=(
                    uninstalled_at + timedelta(days=retention_days) if uninstalled_at else None
                ),
                programs=programs.get(team_id, 0),
                people=people.get(team_id, 0),
                pending=pending.get(team_id, 0),
            )
        )
    return rows


def _per_team(session: Session, query: Any) -> dict[str, int]:
    return {team_id: int(count) for team_id, count in session.execute(query) if team_id}


def _installs(session: Session) -> dict[str, tuple[str, datetime | None]]:
    """Each installed team's name and first install, from slack-sdk's tables."""
    found: dict[str, tuple[str, datetime | None]] = {}
    for table in TOKEN_TABLES:
        query = sa.select(
            table.c.team_id, func.max(table.c.team_name), func.min(table.c.installed_at)
        ).group_by(table.c.team_id)
        for team_id, name, since in session.execute(query):
            if team_id and team_id not in found:
                at = since.replace(tzinfo=UTC) if isinstance(since, datetime) else None
                found[team_id] = (name or "", at)
    return found


# --- retention and purge -----------------------------------------------------------------------


def due_for_purge(session: Session, *, now: datetime, retention_days: int) -> list[str]:
    """The uninstalled workspaces whose data has been kept ``retention_days``, oldest first."""
    cutoff = now - timedelta(days=retention_days)
    return list(
        session.exec(
            select(Workspace.team_id)
            .where(
                col(Workspace.uninstalled_at).is_not(None),
                col(Workspace.uninstalled_at) <= cutoff,
            )
            .order_by(col(Workspace.uninstalled_at), col(Workspace.team_id))
        ).all()
    )


def team_tables() -> list[Table]:
    """Every table holding a workspace's rows, children before parents: deleting in this order
    never breaks a foreign key, on SQLite or PostgreSQL. (slack-sdk's OAuth states belong to
    no workspace and have no ``team_id``.)"""
    return [
        table for table in reversed(SQLModel.metadata.sorted_tables) if "team_id" in table.columns
    ]


def workspace_row_counts(session: Session, *, team_id: str) -> dict[str, int]:
    """How many rows of each table belong to ``team_id`` (what a purge would delete)."""
    return {
        table.name: int(
            session.execute(
                sa.select(func.count()).select_from(table).where(table.c.team_id == team_id)
            ).scalar_one()
        )
        for table in team_tables()
    }


def purge_workspace(session: Session, *, team_id: str) -> dict[str, int]:
    """Delete every row of ``team_id`` from every table, the workspace's own row and tokens
    included; returns the rows deleted per table. One transaction: the caller's."""
    return {
        table.name: _count(session.execute(delete(table).where(table.c.team_id == team_id)))
        for table in team_tables()
    }
