"""pgvector HNSW against exact search: recall@10, query time over an ef_search sweep, build time and index size.

Runs on its own table (bench_vectors), never on gallery rows. Rows and queries are synthetic (see bench/vectors.py):
ground truth is an exact numpy scan, and PostgreSQL's own exact scan (index scans off) is timed in the same run.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from bench import db
from bench.stats import latency_summary
from bench.vectors import exact_top_k

logger = logging.getLogger(__name__)

K = 10
TABLE = "bench_vectors"
INDEX = "bench_vectors_hnsw"
QUERY = f"SELECT id FROM {TABLE} ORDER BY embedding <=> %s LIMIT {K}"


def _timed_queries(conn, queries: np.ndarray, *, repeats: int = 1) -> tuple[list[list[int]], list[float]]:
    """Run every query (after one untimed warm-up pass); return the ids of the last pass and every duration."""
    for query in queries[: min(20, len(queries))]:
        conn.execute(QUERY, [query]).fetchall()
    durations, results = [], []
    for _ in range(repeats):
        results = []
        for query in queries:
            start = time.perf_counter()
            rows = conn.execute(QUERY, [query]).fetchall()
            durations.append(time.perf_counter() - start)
            results.append([row[0] - 1 for row in rows])  # ids are 1-based row numbers
    return results, durations


def recall_at_k(found: list[list[int]], truth: np.ndarray) -> float:
    return float(np.mean([len(set(ids) & set(expected.tolist())) / K for ids, expected in zip(found, truth)]))


def load(conn, generator, count: int, *, seed: int) -> float:
    """(Re)create bench_vectors with `count` rows from `generator`; returns the load time in seconds."""
    start = time.perf_counter()
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.execute(f"CREATE UNLOGGED TABLE {TABLE} (id bigint PRIMARY KEY, embedding vector(512) NOT NULL)")
    db.copy_vectors(conn, TABLE, generator.chunks(count, seed=seed))
    conn.execute(f"VACUUM ANALYZE {TABLE}")
    return time.perf_counter() - start


def run(*, generator, count: int, n_queries: int, configs: list[tuple[int, int]], ef_values: list[int],
        exact_queries: int, seed: int = 11) -> dict:
    """Load `count` rows, then per (m, ef_construction): build, sweep ef_search, drop. Plus the exact scan."""
    queries = generator.sample(n_queries, seed=seed + 1)
    truth = exact_top_k(generator.chunks(count, seed=seed), queries, K)
    result: dict = {"rows": count, "queries": n_queries, "k": K, "configs": []}
    with db.connect(autocommit=True) as conn:
        result["load_s"] = load(conn, generator, count, seed=seed)
        result["table_mb"] = db.table_mb(conn, TABLE)
        conn.execute("SET hnsw.iterative_scan = off")  # plain index scans; iterative scans only add work for filters

        conn.execute("SET enable_indexscan = off")  # exact: a (parallel) sequential scan with a top-k sort
        found, durations = _timed_queries(conn, queries[:exact_queries])
        result["exact"] = {"recall10": recall_at_k(found, truth[:exact_queries]), **latency_summary(durations)}
        conn.execute("RESET enable_indexscan")
        logger.info("exact scan of %d rows: %s", count, result["exact"])

        for m, ef_construction in configs:
            db.build_settings(conn)
            start = time.perf_counter()
            conn.execute(f"CREATE INDEX {INDEX} ON {TABLE} USING hnsw (embedding vector_cosine_ops) "
                         f"WITH (m = {m}, ef_construction = {ef_construction})")
            config = {"m": m, "ef_construction": ef_construction, "build_s": time.perf_counter() - start,
                      "index_mb": db.table_mb(conn, INDEX), "sweep": []}
            for ef_search in ef_values:
                conn.execute(f"SET hnsw.ef_search = {ef_search}")
                found, durations = _timed_queries(conn, queries)
                point = {"ef_search": ef_search, "recall10": recall_at_k(found, truth), **latency_summary(durations)}
                config["sweep"].append(point)
                logger.info("m=%d efc=%d ef_search=%d: %s", m, ef_construction, ef_search, point)
            conn.execute(f"DROP INDEX {INDEX}")
            result["configs"].append(config)
        conn.execute(f"DROP TABLE {TABLE}")
    return result


def best_point(result: dict, *, min_recall: float = 0.98) -> tuple[dict, dict] | tuple[None, None]:
    """The (config, sweep point) with the lowest p95 among those reaching `min_recall`."""
    candidates = [(config, point) for config in result["configs"] for point in config["sweep"]
                  if point["recall10"] >= min_recall]
    return min(candidates, key=lambda pair: pair[1]["p95_ms"]) if candidates else (None, None)
