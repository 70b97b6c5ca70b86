"""Compact vector indexes side by side (issue 21): `vector`, `halfvec` and `binary` + re-rank HNSW on the same rows.

Each kind's index is built with the product's SQL (gallery/vector_index.py) on the bench_vectors table and queried
with the product's ORDER BY expressions: recall@10 against an exact numpy scan, p50/p95 over an ef_search sweep (and,
for binary, over how many candidates are re-ranked by the full vector), build time and size. The rows are synthetic
(bench/vectors.py, "clustered"), clearly not real artwork embeddings.
"""

from __future__ import annotations

import logging
import time

from bench import db, hnsw
from bench.stats import latency_summary
from bench.vectors import exact_top_k
from gallery import vector_index

logger = logging.getLogger(__name__)

K = hnsw.K
TABLE = hnsw.TABLE
INDEX = "bench_vectors_compact"


def query_sql(kind: str, rerank: int = 0) -> tuple[str, int]:
    """The product's search as plain SQL on bench_vectors, and how many times it takes the query vector."""
    order = vector_index.order_sql(kind)
    if kind != "binary":
        return f"SELECT id FROM {TABLE} ORDER BY {order} LIMIT {K}", 1
    return (f"SELECT id FROM (SELECT id, embedding FROM {TABLE} ORDER BY {order} LIMIT {rerank}) AS candidates "
            f"ORDER BY embedding <=> %s LIMIT {K}", 2)


def _timed(conn, sql: str, uses: int, queries) -> tuple[list[list[int]], list[float]]:
    """Every query once after a warm-up pass of 20; the ids found (0-based) and each duration."""
    for query in queries[:20]:
        conn.execute(sql, [query] * uses).fetchall()
    found, durations = [], []
    for query in queries:
        start = time.perf_counter()
        rows = conn.execute(sql, [query] * uses).fetchall()
        durations.append(time.perf_counter() - start)
        found.append([row[0] - 1 for row in rows])
    return found, durations


def variant(name: str) -> tuple[str, int, int]:
    """(kind, m, ef_construction) of "halfvec" (the product's build parameters) or "halfvec:12:40"."""
    kind, *params = name.split(":")
    m, ef_construction = map(int, params) if params else (vector_index.HNSW_M, vector_index.HNSW_EF_CONSTRUCTION)
    return kind, m, ef_construction


def run(*, generator, count: int, n_queries: int, kinds: list[str], ef_values: list[int], reranks: list[int],
        seed: int = 11) -> dict:
    """Load `count` rows; per kind (or "kind:m:ef_construction" variant) build its index, sweep ef_search (binary:
    over the candidates re-ranked), drop it."""
    queries = generator.sample(n_queries, seed=seed + 1)
    truth = exact_top_k(generator.chunks(count, seed=seed), queries, K)
    result: dict = {"rows": count, "queries": n_queries, "k": K, "m": vector_index.HNSW_M,
                    "ef_construction": vector_index.HNSW_EF_CONSTRUCTION, "kinds": {}}
    with db.connect(autocommit=True) as conn:
        result["load_s"] = hnsw.load(conn, generator, count, seed=seed)
        result["table_mb"] = db.table_mb(conn, TABLE)
        conn.execute("SET hnsw.iterative_scan = off")  # plain index scans, as an unfiltered search
        for name in kinds:
            kind, m, ef_construction = variant(name)
            db.build_settings(conn)
            start = time.perf_counter()
            conn.execute(vector_index.create_index_sql(kind, TABLE, INDEX, m=m, ef_construction=ef_construction))
            entry = {"build_s": time.perf_counter() - start, "index_mb": db.table_mb(conn, INDEX), "m": m,
                     "ef_construction": ef_construction, "sweep": []}
            logger.info("%s index on %d rows: %.0f s, %.0f MB", name, count, entry["build_s"], entry["index_mb"])
            # Binary: the candidates re-ranked are what matters; the graph search must find that many (ef_search).
            sweep = [(min(rerank, 1000), rerank) for rerank in reranks] if kind == "binary" else [
                (ef_search, 0) for ef_search in ef_values]
            for ef_search, rerank in sweep:
                conn.execute(f"SET hnsw.ef_search = {ef_search}")
                sql, uses = query_sql(kind, rerank)
                found, durations = _timed(conn, sql, uses, queries)
                point = {"ef_search": ef_search, "recall10": hnsw.recall_at_k(found, truth),
                         **latency_summary(durations), **({"rerank": rerank} if rerank else {})}
                entry["sweep"].append(point)
                logger.info("%s ef_search=%d rerank=%d: %s", kind, ef_search, rerank, point)
            conn.execute(f"DROP INDEX {INDEX}")
            result["kinds"][name] = entry
        conn.execute(f"DROP TABLE {TABLE}")
    return result

