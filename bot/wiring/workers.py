"""Several processes serving one HTTP port: one copy of the bot using every core of its host.

Python runs one thread of a process at a time, so a copy in one process uses one core however
many listener threads it has. With ``HTTP_WORKERS`` (``mentorbot run --http --workers N``) the
``run`` process applies the migrations, binds the port and forks N workers that serve it
together: on Linux each worker listens on a socket of its own bound to the port
(``SO_REUSEPORT``) and the kernel spreads new connections evenly over them. A worker is a whole
copy of the bot (its engine, its Bolt app, its threads), as each of several copies behind a
load balancer is; the first also runs the scheduler. What the workers share lives in the
database, where claims, leases and pacing already hold across copies, and on SQLite their
writers take turns across processes (``storage.db.WriteTurns``).

Metrics: each worker's counters go to files in a private folder (``prometheus_client``'s
multiprocess mode, set up before that library is first imported), and ``GET /metrics`` from any
worker sums them.

The ``run`` process only watches. SIGTERM or SIGINT is passed on to the workers, which finish
what they were doing; a worker that has not stopped after ``STOP_GRACE_S`` is killed. If a worker
stops by itself, the others are stopped and ``run`` exits with a failure, for the process
manager to start the whole copy again.
"""

import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)

# prometheus_client reads it when first imported: its counters then live in files there.
METRICS_FOLDER_ENV = "PROMETHEUS_MULTIPROC_DIR"
STOP_GRACE_S = 30.0
# How often the watching process looks at its workers (it does nothing else).
WATCH_EVERY_S = 0.2
# Connections the kernel holds for the workers to accept (waitress's own default).
BACKLOG = 1024


class WorkersError(Exception):
    """The workers cannot start here (no ``fork``, or metrics set up too late)."""


@contextmanager
def shared_metrics() -> Iterator[Path]:
    """A private folder for every worker's counters, named in the environment, removed after.

    Must come before anything imports ``prometheus_client``: the library chooses where its values
    live when it is imported."""
    if "prometheus_client" in sys.modules:
        raise WorkersError("the metrics library was loaded before the workers' folder was set")
    folder = Path(tempfile.mkdtemp(prefix="mentorbot-metrics-"))
    os.environ[METRICS_FOLDER_ENV] = str(folder)
    try:
        yield folder
    finally:
        os.environ.pop(METRICS_FOLDER_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


# Linux spreads a port's new connections evenly over the listening sockets bound to it with
# SO_REUSEPORT. Elsewhere the workers share one socket, and whichever is in accept() first takes
# a connection: a worker that starts first may take every keep-alive connection Slack opens.
SPREAD = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listen(port: int, host: str = "0.0.0.0") -> socket.socket:  # noqa: S104 - as serve_http
    """The port's socket, bound (on every interface), for the first worker; the others get
    theirs from ``worker_socket``. A port something else listens on is refused (OSError), even
    another copy's workers, which SO_REUSEPORT alone would let these join."""
    if SPREAD:
        socket.create_server((host, port)).close()  # taken, SO_REUSEPORT or not: EADDRINUSE
    return socket.create_server((host, port), backlog=BACKLOG, reuse_port=SPREAD)


def worker_socket(listening: socket.socket, index: int) -> socket.socket:
    """The socket worker ``index`` accepts on, in the worker: the first worker's is
    ``listening``; on Linux each other worker binds one of its own to the same port (the
    kernel spreads connections over them), elsewhere it shares ``listening``."""
    if index == 0 or not SPREAD:
        return listening
    own = socket.create_server(listening.getsockname()[:2], backlog=BACKLOG, reuse_port=True)
    listening.close()  # the first worker's: only it accepts there
    return own


def run_workers(count: int, work: Callable[[int], int]) -> int:
    """Fork ``count`` workers, each running ``work(index)`` (its exit status), and watch them
    until they have all stopped; the exit status of the whole."""
    if not hasattr(os, "fork"):
        raise WorkersError("several workers need fork(), which this system lacks: unset them")
    children: dict[int, int] = {}
    for index in range(count):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's run is measured in its own process
            _in_worker(work, index)
        children[pid] = index
    log.info("workers started", extra={"workers": count, "pids": sorted(children)})
    return _watch(children)


def _in_worker(work: Callable[[int], int], index: int) -> None:  # pragma: no cover - a child
    """A forked worker's whole life: it never returns into the caller's code."""
    status = 1
    try:
        # The watcher's handlers are not the worker's: its own are set as it starts serving.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        status = work(index)
    except BaseException:
        log.exception("worker failed", extra={"worker": index + 1})
    finally:
        logging.shutdown()
        os._exit(status)


def _watch(children: dict[int, int]) -> int:
    """Wait for the workers; pass a stop request on; stop them all when one stops by itself."""
    requested: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        requested.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    status = 0
    stopping_since: float | None = None
    while children:
        if requested and stopping_since is None:
            log.info("stopping workers", extra={"signal": signal.Signals(requested[0]).name})
            stopping_since = _stop(children, signal.SIGTERM)
        if stopping_since is not None and time.monotonic() - stopping_since > STOP_GRACE_S:
            log.error("workers did not stop in time: killed", extra={"pids": sorted(children)})
            _stop(children, signal.SIGKILL)
        pid, wait_status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(WATCH_EVERY_S)
            continue
        index = children.pop(pid, None)
        if index is None:
            continue
        code = os.waitstatus_to_exitcode(wait_status)
        if stopping_since is None:
            log.error(
                "a worker stopped by itself: stopping the others",
                extra={"worker": index + 1, "pid": pid, "status": code},
            )
            status = code if code > 0 else 1
            stopping_since = _stop(children, signal.SIGTERM)
    return status


def _stop(children: dict[int, int], how: signal.Signals) -> float:
    for pid in children:
        with suppress(ProcessLookupError):
            os.kill(pid, how)
    return time.monotonic()
