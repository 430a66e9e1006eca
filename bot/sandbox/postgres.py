"""A throwaway PostgreSQL server: a fresh cluster on a free loopback port, in a temp dir.

The tests use it with durability off (fast, and nothing to keep); the planning bench with
initdb's stock settings, so that its figures are those of a real server. PostgreSQL refuses to
run as root: as root, the cluster is run as the ``postgres`` user on a directory it owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

SUPERUSER = "mentorbot"
DATABASE = "mentorbot_test"
SERVER_OS_USER = "postgres"
DEBIAN_PREFIX = Path("/usr/lib/postgresql")

_HOST = "127.0.0.1"
_START_ATTEMPTS = 3
_READY_TIMEOUT_S = 30
_COMMAND_TIMEOUT_S = 120
_LOG_TAIL_LINES = 30
# The socket file lives in the temp dir and Unix socket paths max out at about 107 bytes.
_MAX_TEMP_PARENT_LEN = 60
_PORT_CLASH = re.compile(r"Address already in use|could not bind")


class PostgresUnavailableError(RuntimeError):
    """A throwaway PostgreSQL server could not be set up, started or reached."""


@dataclass(frozen=True)
class _Binaries:
    """Server programs from one PostgreSQL installation."""

    initdb: Path
    pg_ctl: Path
    postgres: Path


def _is_executable(path: Path) -> bool:
    """Tell whether path is an executable file."""
    return path.is_file() and os.access(path, os.X_OK)


def _version_key(name: str) -> tuple[int, ...] | None:
    """Turn a Debian version directory name like '15' or '9.6' into a sortable key."""
    if not re.fullmatch(r"\d+(\.\d+)*", name):
        return None
    return tuple(int(part) for part in name.split("."))


def _debian_bindirs() -> list[Path]:
    """List Debian's /usr/lib/postgresql/<version>/bin directories, highest version first."""
    found: list[tuple[tuple[int, ...], Path]] = []
    for bindir in DEBIAN_PREFIX.glob("*/bin"):
        key = _version_key(bindir.parent.name)
        if key is not None:
            found.append((key, bindir))
    return [bindir for _, bindir in sorted(found, reverse=True)]


def _find_binaries() -> _Binaries | None:
    """Find initdb, pg_ctl and postgres on PATH, else in Debian's newest versioned bin dir."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        # pg_ctl and initdb look for postgres beside their resolved selves, so prefer that copy.
        beside = Path(pg_ctl).resolve().parent / "postgres"
        postgres = str(beside) if _is_executable(beside) else shutil.which("postgres")
        if postgres:
            return _Binaries(Path(initdb), Path(pg_ctl), Path(postgres))
    for bindir in _debian_bindirs():
        binaries = _Binaries(bindir / "initdb", bindir / "pg_ctl", bindir / "postgres")
        if all(map(_is_executable, (binaries.initdb, binaries.pg_ctl, binaries.postgres))):
            return binaries
    return None


def postgres_binaries_available() -> bool:
    """Tell whether the PostgreSQL server programs (initdb, pg_ctl, postgres) can be found."""
    return _find_binaries() is not None


def _server_account() -> pwd.struct_passwd | None:
    """Return the account to run the server as when we are root, or None to run it as ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        account = pwd.getpwnam(SERVER_OS_USER)
    except KeyError:
        raise PostgresUnavailableError(
            "running as root, which PostgreSQL refuses, and there is no "
            f"'{SERVER_OS_USER}' system user to run the server as; install Debian's "
            "postgresql package (apt-get install postgresql), which creates that user"
        ) from None
    if _runuser() is None:
        raise PostgresUnavailableError(
            f"running as root needs runuser (util-linux) to start PostgreSQL as '{SERVER_OS_USER}'"
        )
    return account


def _runuser() -> str | None:
    """Find runuser, which lives in sbin directories that a root PATH may leave out."""
    return shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")


def _free_port() -> int:
    """Return a loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        return int(probe.getsockname()[1])


def _temp_parent(account: pwd.struct_passwd | None) -> Path:
    """Pick where to create the temp dir: somewhere the server's account can reach."""
    default = tempfile.gettempdir()
    # Root's TMPDIR may sit under a directory the postgres user cannot traverse.
    if account is not None or len(default) > _MAX_TEMP_PARENT_LEN:
        return Path("/tmp")  # noqa: S108 - only a parent: the cluster dir inside is mkdtemp's
    return Path(default)


class _Cluster:
    """One PostgreSQL cluster in a temp directory, driven with initdb and pg_ctl."""

    def __init__(self, binaries: _Binaries, account: pwd.struct_passwd | None) -> None:
        """Create the temp directory; prepare() then hands it to the server's account."""
        self.binaries = binaries
        self.account = account
        self.base = Path(tempfile.mkdtemp(prefix="mentorbot-pg-", dir=_temp_parent(account)))
        self.data = self.base / "data"
        self.log = self.base / "server.log"

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        """Run a command as the server's account, in the temp dir, with a time limit."""
        argv = [str(arg) for arg in args]
        if self.account is not None:
            argv = [_runuser() or "runuser", "-u", self.account.pw_name, "--", *argv]
        try:
            return subprocess.run(  # noqa: S603 - PostgreSQL's own binaries, no shell
                argv,
                cwd=self.base,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=_COMMAND_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresUnavailableError(
                f"{shlex.join(argv)} took over {_COMMAND_TIMEOUT_S}s"
            ) from exc

    def prepare(self) -> None:
        """Hand the temp dir to the server's account and check it can really use it."""
        if self.account is None:
            return
        os.chown(self.base, self.account.pw_uid, self.account.pw_gid)
        probe = self.run("test", "-x", self.base, "-a", "-w", self.base)
        if probe.returncode != 0:
            raise PostgresUnavailableError(
                f"user '{self.account.pw_name}' cannot use {self.base}; every directory above "
                "it must be traversable (o+x) by that user"
            )

    def initdb(self) -> None:
        """Create the cluster with a trusted superuser and UTF8 encoding."""
        result = self.run(
            self.binaries.initdb,
            "-D",
            self.data,
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if result.returncode != 0:
            raise PostgresUnavailableError(
                f"initdb failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )

    def log_tail(self, start: int = 0) -> str:
        """Return the last lines of the server log written after byte offset start."""
        try:
            with self.log.open("rb") as log:
                log.seek(start)
                text = log.read().decode(errors="replace")
        except FileNotFoundError:
            return "(no server log was written)"
        return "\n".join(text.splitlines()[-_LOG_TAIL_LINES:])

    def start(self, *, durable: bool = False) -> int:
        """Start the server on a free loopback port, retrying on a port clash; return the port.

        Durability (fsync and friends) is off unless ``durable``: initdb's stock settings."""
        for attempt in range(1, _START_ATTEMPTS + 1):
            port = _free_port()
            log_start = self.log.stat().st_size if self.log.exists() else 0
            options = f"-h {_HOST} -p {port} -k {shlex.quote(str(self.base))}"
            if not durable:
                options += " -F -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            result = self.run(
                self.binaries.pg_ctl,
                "start",
                "-w",
                "-t",
                str(_READY_TIMEOUT_S),
                "-D",
                self.data,
                "-l",
                self.log,
                "-p",
                self.binaries.postgres,
                "-o",
                options,
            )
            if result.returncode == 0:
                return port
            tail = self.log_tail(log_start)
            if attempt == _START_ATTEMPTS or not _PORT_CLASH.search(tail):
                raise PostgresUnavailableError(
                    f"PostgreSQL did not start on port {port} (pg_ctl exit {result.returncode}, "
                    f"attempt {attempt}/{_START_ATTEMPTS}): {result.stderr.strip()}\n"
                    f"--- server log tail ---\n{tail}"
                )
            # A half-started server from the clash would hold the data dir for the next try.
            self.stop()
        raise AssertionError("unreachable")

    def connect(self, port: int, dbname: str) -> psycopg.Connection[TupleRow]:
        """Connect as the superuser, retrying for a bounded time while the server warms up."""
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while True:
            try:
                return psycopg.connect(
                    host=_HOST,
                    port=port,
                    user=SUPERUSER,
                    dbname=dbname,
                    connect_timeout=2,
                    autocommit=True,
                )
            except psycopg.OperationalError as exc:
                if time.monotonic() >= deadline:
                    raise PostgresUnavailableError(
                        f"PostgreSQL on port {port} accepted no connection within "
                        f"{_READY_TIMEOUT_S}s: {exc}\n--- server log tail ---\n{self.log_tail()}"
                    ) from exc
                time.sleep(0.1)

    def create_database(self, port: int) -> None:
        """Create the empty test database."""
        with self.connect(port, "postgres") as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))

    def stop(self) -> None:
        """Stop the server at once if it is running; warn rather than raise if that fails."""
        if not (self.data / "postmaster.pid").exists():
            return
        try:
            result = self.run(
                self.binaries.pg_ctl, "stop", "-D", self.data, "-m", "immediate", "-w"
            )
        except PostgresUnavailableError as exc:
            warnings.warn(f"could not stop throwaway PostgreSQL: {exc}", stacklevel=2)
            return
        if result.returncode != 0:
            warnings.warn(
                f"pg_ctl stop failed (exit {result.returncode}): {result.stderr.strip()}",
                stacklevel=2,
            )


@contextlib.contextmanager
def throwaway_postgres(*, durable: bool = False) -> Iterator[str]:
    """Run a fresh PostgreSQL server and yield a SQLAlchemy URL for an empty database on it
    (``durable``: with initdb's stock settings, fsync on)."""
    binaries = _find_binaries()
    if binaries is None:
        raise PostgresUnavailableError(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in "
            f"{DEBIAN_PREFIX}/*/bin; install Debian's postgresql package"
        )
    cluster = _Cluster(binaries, _server_account())
    try:
        cluster.prepare()
        cluster.initdb()
        port = cluster.start(durable=durable)
        cluster.create_database(port)
        yield f"postgresql+psycopg://{SUPERUSER}@{_HOST}:{port}/{DATABASE}"
    finally:
        cluster.stop()
        shutil.rmtree(cluster.base, ignore_errors=True)
