"""The migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.db import make_engine
from storage.migrate import current_revision, head_revision, is_up_to_date, upgrade


def _schema_diff(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def _assert_matches_models(engine: Engine) -> None:
    assert current_revision(engine) is None
    upgrade(engine)
    assert is_up_to_date(engine)
    assert current_revision(engine) == head_revision()
    assert _schema_diff(engine) == []
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
    finally:
        engine.dispose()


def test_every_table_is_scoped_to_a_workspace() -> None:
    for name, table in SQLModel.metadata.tables.items():
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
