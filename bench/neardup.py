"""Near-duplicate lookup (gallery.services.recognition.near_duplicates) at 100k and 1M artworks.

The gallery is replaced by `count` synthetic rows, clearly labelled as such, that carry only what the lookup reads: a
perceptual hash (random 128-bit values, and 2 % of rows a copy of an earlier row's hash with 1–30 bits flipped), no
vector, no artist, the placeholder image, last changed a day ago. Half the queries are "reproductions" (a stored hash
with 0–30 bits flipped: a near-duplicate exists), half are random hashes (none within 30 bits). Every answer of the
product's lookup is checked against a brute-force numpy Hamming scan of every stored hash. Also timed: reading every
hash into a process (its first lookup), PostgreSQL's own scan of every row (what the lookup replaced), and, at 100k,
the admin review page's pairs. Later phases that need the 100k clustered rows reload them (suites.ensure_scale
checks what the gallery holds).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import connection

from bench import db
from bench.ingest import reset_gallery
from bench.scale import NO_CATALOGUE, _placeholder, copy_plan
from bench.stats import latency_summary
from gallery.models import Artwork
from gallery.services import duplicates, hash_index, recognition

logger = logging.getLogger(__name__)

PERTURBED_SHARE = 0.02
GENERATOR = "random-hashes-v2"  # rows last changed a day ago
_FULL_SCAN = ("SELECT id, perceptual_hash_bits <~> %s::bit(128) AS hamming FROM gallery_artwork "
              "WHERE perceptual_hash_bits IS NOT NULL ORDER BY hamming LIMIT 10")


def _hashes(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two uint64 halves per row: random, and PERTURBED_SHARE of them an earlier row's with 1-30 bits flipped."""
    high = rng.integers(0, np.iinfo(np.uint64).max, size=count, dtype=np.uint64, endpoint=True)
    low = rng.integers(0, np.iinfo(np.uint64).max, size=count, dtype=np.uint64, endpoint=True)
    for row in rng.choice(np.arange(1, count), size=int(count * PERTURBED_SHARE), replace=False):
        source = int(rng.integers(0, row))
        value = _flip(_value(high[source], low[source]), rng, int(rng.integers(1, 31)))
        high[row], low[row] = np.uint64(value >> 64), np.uint64(value & (2**64 - 1))
    return high, low


def _value(high, low) -> int:
    return int(high) << 64 | int(low)


def _flip(value: int, rng: np.random.Generator, bits: int) -> int:
    for bit in rng.choice(128, size=bits, replace=False):
        value ^= 1 << int(bit)
    return value


def load(count: int, *, seed: int = 31, marker=None) -> tuple[dict, np.ndarray, np.ndarray]:
    """Replace the gallery with `count` hash-only synthetic rows; returns the timings and the stored hashes (row i
    has id i + 1). Reuses the rows the last load left when `marker` (a file) says they are these, as
    suites.ensure_scale does."""
    rng = np.random.default_rng(seed)
    high, low = _hashes(count, rng)
    wanted = {"rows": count, "seed": seed, "generator": GENERATOR}
    if marker is not None and marker.exists() and json.loads(marker.read_text()).get("wanted") == wanted:
        if Artwork.objects.filter(status=Artwork.Status.PENDING).count() == count == Artwork.objects.count():
            return {**json.loads(marker.read_text())["load"], "reused": True}, high, low
    if marker is not None:
        marker.unlink(missing_ok=True)
    reset_gallery()
    placeholder = _placeholder()
    # A day old: a lookup asks PostgreSQL about the rows changed since its process read every hash (hash_index), and
    # in a real collection those are few.
    day_ago = datetime.now(UTC) - timedelta(days=1)
    start = time.perf_counter()
    statement, types, other_values = copy_plan()
    with db.connect() as conn:
        with conn.cursor() as cur, cur.copy(statement) as copy:
            copy.set_types(types)
            for number in range(count):
                copy.write_row((day_ago, day_ago, None, f"Synthetic artwork {number + 1}", placeholder, placeholder,
                                400, 400, hashlib.sha256(f"synthetic-hash-{number}".encode()).hexdigest(),
                                f"{_value(high[number], low[number]):032x}", None, "", Artwork.Status.PENDING, "",
                                *NO_CATALOGUE, *other_values))
        conn.commit()
    copy_s = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Artwork._meta.db_table}")
        cursor.execute("SELECT pg_table_size(%s::regclass)", [Artwork._meta.db_table])
        table_bytes = cursor.fetchone()[0]
    logger.info("loaded %d hash-only rows: COPY %.1f s", count, copy_s)
    result = {"rows": count, "perturbed_share": PERTURBED_SHARE, "copy_s": copy_s, "table_mb": table_bytes / 1024**2}
    if marker is not None:
        marker.write_text(json.dumps({"wanted": wanted, "load": result}))
    return result, high, low


def _queries(high: np.ndarray, low: np.ndarray, n: int, rng: np.random.Generator) -> list[str]:
    reproductions = [_flip(_value(high[row], low[row]), rng, int(rng.integers(0, 31)))
                     for row in rng.integers(0, len(high), size=n // 2)]
    novel = [int.from_bytes(rng.bytes(16), "big") for _ in range(n - n // 2)]
    queries = [f"{value:032x}" for value in reproductions + novel]
    rng.shuffle(queries)
    return queries


def _truth(query: str, high: np.ndarray, low: np.ndarray, limit: int = 10) -> list[tuple[int, int]]:
    """(id, distance) within the threshold, nearest first, ties by id: a brute-force scan of every stored hash."""
    value = int(query, 16)
    distance = (np.bitwise_count(high ^ np.uint64(value >> 64))
                + np.bitwise_count(low ^ np.uint64(value & (2**64 - 1)))).astype(np.int64)
    rows = np.flatnonzero(distance <= recognition.NEAR_DUPLICATE_MAX_BITS)
    found = sorted((int(distance[row]), int(row) + 1) for row in rows)
    return [(pk, d) for d, pk in found[:limit]]


def run(*, count: int, n_queries: int, full_scan_queries: int, pairs: bool = False, seed: int = 31,
        marker=None) -> dict:
    """Load, then time a process's first read of every hash, the product's lookup (exactness checked per query),
    PostgreSQL's scan of every row, and (`pairs`) the review page's pairs."""
    result, high, low = load(count, seed=seed, marker=marker)
    queries = _queries(high, low, n_queries, np.random.default_rng(seed + 1))
    hash_index.forget()
    start = time.perf_counter()
    hash_index.current()
    result["snapshot_load_s"] = time.perf_counter() - start
    result["snapshot_mb"] = sum(array.nbytes for array in (hash_index.current().ids, hash_index.current().high,
                                                             hash_index.current().low)) / 1024**2
    for query in queries[:20]:  # warm-up: caches and the connection, not timed
        recognition.near_duplicates(query)
    durations, exact, nearest, with_match = [], 0, 0, 0
    for query in queries:
        start = time.perf_counter()
        found = recognition.near_duplicates(query)
        durations.append(time.perf_counter() - start)
        truth = _truth(query, high, low)
        exact += found == truth
        nearest += found[:1] == truth[:1]
        with_match += bool(truth)
    result["product"] = {**latency_summary(durations), "exact_answers": exact / len(queries),
                         "nearest_found": nearest / len(queries), "queries_with_a_match": with_match}
    logger.info("near-duplicate lookup at %d rows: %s", count, result["product"])
    with db.connect(autocommit=True) as conn:
        for query in queries[:3]:  # the table into the caches first, as the lookups above had it
            conn.execute(_FULL_SCAN, [f"x{query}"]).fetchall()
        durations = []
        for query in queries[:full_scan_queries]:
            start = time.perf_counter()
            conn.execute(_FULL_SCAN, [f"x{query}"]).fetchall()
            durations.append(time.perf_counter() - start)
        result["full_scan"] = latency_summary(durations)
    logger.info("PostgreSQL's scan of every row: %s", result["full_scan"])
    if pairs:
        start = time.perf_counter()
        found_pairs = duplicates.duplicate_pairs()
        result["review_pairs"] = {"seconds": time.perf_counter() - start, "pairs": len(found_pairs)}
        logger.info("review pairs at %d rows: %s", count, result["review_pairs"])
    hash_index.forget()
    return result
