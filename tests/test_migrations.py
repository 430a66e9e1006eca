"""The migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

import warnings
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel, select

import storage.models  # noqa: F401  (registers the tables)
from storage.db import SQLITE_MMAP_BYTES, make_engine, session_scope
from storage.enums import FlagKind
from storage.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    is_up_to_date,
    upgrade,
)
from storage.models import Delivery, Flag, Program
from storage.slack_tables import STATES_TABLE

# Indexes on an expression, which Alembic cannot reflect to compare: checked by name instead.
EXPRESSION_INDEXES = {
    "ix_pairing_lapse_nudge": "pairing",
    "ix_pairing_lapse_escalation": "pairing",
}


def _schema_diff(engine: Engine) -> list[Any]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))


def _has_index(engine: Engine, name: str) -> bool:
    query = (
        "SELECT 1 FROM pg_indexes WHERE indexname = :name"
        if engine.dialect.name == "postgresql"
        else "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :name"
    )
    with engine.connect() as conn:
        return conn.execute(text(query), {"name": name}).first() is not None


def _assert_matches_models(engine: Engine) -> None:
    assert current_revision(engine) is None
    upgrade(engine)
    assert is_up_to_date(engine)
    assert current_revision(engine) == head_revision()
    assert _schema_diff(engine) == []
    declared = {
        index.name
        for table in SQLModel.metadata.tables.values()
        for index in table.indexes
        if any(not hasattr(expression, "name") for expression in index.expressions)
    }
    assert declared == set(EXPRESSION_INDEXES)
    assert all(_has_index(engine, name) for name in EXPRESSION_INDEXES)
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_empty_sqlite_upgrades_to_the_models_schema(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'mentorbot.db'}")
    try:
        _assert_matches_models(engine)
        upgrade(engine)  # a second run has nothing to do
        assert is_up_to_date(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_empty_postgres_upgrades_to_the_models_schema(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        _assert_matches_models(engine)
    finally:
        engine.dispose()


def test_sqlite_file_databases_use_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA mmap_size")).scalar() == SQLITE_MMAP_BYTES
    finally:
        engine.dispose()


def test_every_table_is_scoped_to_a_workspace() -> None:
    for name, table in SQLModel.metadata.tables.items():
        # An OAuth state is issued before anyone has picked a workspace to install into.
        if name == STATES_TABLE:
            continue
        assert "team_id" in table.columns, f"{name} has no team_id"


@pytest.mark.postgres
def test_copies_starting_at_once_migrate_once(postgres_url: str) -> None:
    """Several bots starting together against one PostgreSQL: the advisory lock serialises them."""
    from concurrent.futures import ThreadPoolExecutor

    engine = make_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda _: upgrade(engine), range(4)))
        assert results == [None] * 4
        assert is_up_to_date(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        engine.dispose()


def test_lapse_keys_are_rewritten_so_a_nudged_gap_is_not_nudged_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    gap = datetime(2026, 2, 12, 10, tzinfo=UTC)
    epoch = int(gap.timestamp())
    old_keys = {
        f"lapse_nudge:7:{gap.isoformat()}:U0001": f"lapse_nudge:7:{epoch}:U0001",
        f"lapse_escalation:7:{gap.isoformat()}:ULEAD": f"lapse_escalation:7:{epoch}:ULEAD",
        "agenda_prompt:3": "agenda_prompt:3",
    }
    try:
        upgrade(engine, "0002")
        with session_scope(engine) as session:
            program = Program(
                team_id="T1", name="Spring", start_date=date(2026, 1, 5), created_by="ULEAD"
            )
            session.add(program)
            session.flush()
            session.add(
                Flag(
                    team_id="T1",
                    program_id=program.id or 0,
                    kind=FlagKind.LAPSED,
                    dedupe_key=f"lapsed:7:{gap.isoformat()}",
                )
            )
            # Written as the schema of that revision has them (later columns don't exist yet).
            for key in old_keys:
                session.execute(
                    text(
                        "INSERT INTO delivery (team_id, dedupe_key, rule, recipient_id, payload, "
                        "due_at, status, attempts, created_at) VALUES ('T1', :key, 'r', 'U', "
                        "'{}', :due, 'pending', 0, :due)"
                    ),
                    {"key": key, "due": gap.replace(tzinfo=None)},
                )
        upgrade(engine)
        with session_scope(engine) as session:
            keys = set(session.exec(select(Delivery.dedupe_key)))
            flags = set(session.exec(select(Flag.dedupe_key)))
        assert keys == set(old_keys.values())
        assert flags == {f"lapsed:7:{epoch}"}
        upgrade(engine)  # nothing left to rewrite
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0002")
        with session_scope(engine) as session:
            assert set(session.exec(select(Delivery.dedupe_key))) == set(old_keys)
    finally:
        engine.dispose()
