"""Direct psycopg access to the benchmark database (bulk COPY, index builds, timed raw queries)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

# An HNSW build whose graph outgrows maintenance_work_mem slows down many times over; 100k 512-d rows need ~400 MB,
# so the 1M-row run (--hnsw-1m) needs about 4 GB.
BUILD_MEMORY = "5GB"


def require_bench_database() -> str:
    """DATABASE_URL, refusing anything but the launcher's embedded var/bench/ server: benchmarks delete rows."""
    url = os.environ.get("DATABASE_URL", "")
    if "var/bench/" not in url and os.environ.get("BENCH_ALLOW_ANY_DATABASE") != "1":
        raise SystemExit("The benchmarks truncate tables: run them with `python -m artsearch.launcher bench` (its own "
                         "embedded database under var/bench/), or set BENCH_ALLOW_ANY_DATABASE=1 on a scratch server.")
    return url


def connect(**kwargs) -> psycopg.Connection:
    conn = psycopg.connect(require_bench_database(), **kwargs)
    register_vector(conn)
    return conn


def copy_vectors(conn: psycopg.Connection, table: str, chunks: Iterable[np.ndarray], *, first_id: int = 1) -> int:
    """COPY (id, embedding) rows in binary into `table`; returns the number of rows written."""
    count = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["int8", "vector"])
        for chunk in chunks:
            for row in chunk:
                copy.write_row((first_id + count, row))
                count += 1
    return count


def table_mb(conn: psycopg.Connection, name: str) -> float:
    """Size of a table or index on disk, TOAST included (512-d vectors are stored out of line)."""
    return conn.execute("SELECT pg_table_size(%s::regclass)", [name]).fetchone()[0] / 1024**2


def build_settings(conn: psycopg.Connection) -> None:
    """Session settings for a fast index build on this 2-core machine: the graph in memory, one parallel worker."""
    conn.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")
    conn.execute(f"SET max_parallel_maintenance_workers = {max(0, (os.cpu_count() or 1) - 1)}")


def ids_of(rows: Iterator[tuple]) -> list[int]:
    return [row[0] for row in rows]
