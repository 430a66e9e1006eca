"""The throwaway PostgreSQL server starts, serves SQL, and leaves nothing behind."""

import socket
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy.engine import make_url

from bot.sandbox.postgres import postgres_binaries_available, throwaway_postgres

pytestmark = pytest.mark.postgres


def test_throwaway_postgres_serves_sql_and_cleans_up() -> None:
    """A table can be created and used, and on exit the data dir and the port are gone."""
    if not postgres_binaries_available():
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; "
            "install Debian's postgresql package"
        )
    with throwaway_postgres() as url:
        parsed = make_url(url)
        assert parsed.drivername == "postgresql+psycopg"
        assert parsed.host == "127.0.0.1"
        engine = sqlalchemy.create_engine(url)
        try:
            with engine.begin() as conn:
                version = conn.execute(sqlalchemy.text("select version()")).scalar_one()
                data_dir = Path(conn.execute(sqlalchemy.text("show data_directory")).scalar_one())
                conn.execute(sqlalchemy.text("create table probe (id int primary key, name text)"))
                conn.execute(sqlalchemy.text("insert into probe values (1, 'ünïcode')"))
                names = conn.execute(sqlalchemy.text("select name from probe")).scalars().all()
        finally:
            engine.dispose()
        assert str(version).startswith("PostgreSQL ")
        assert names == ["ünïcode"]
        assert data_dir.is_dir()

    assert not data_dir.exists()
    assert not data_dir.parent.exists()
    assert parsed.port is not None
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", parsed.port), timeout=2),
    ):
        pass
