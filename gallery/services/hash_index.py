"""Every stored perceptual hash in this process's memory, compared with a query all at once (exact, and fast at a
million works), for gallery.services.recognition.

Why not an index in PostgreSQL: a near-duplicate may be 30 of 128 bits away, while unrelated hashes are about 64
apart, a radius at which indexes for Hamming distance degrade. pgvector's HNSW index (bit_hamming_ops) missed the
nearest hash for one query in twenty at 1M random hashes, and was slower than this scan; exact banding would need 31
bands for a 30-bit radius. A linear scan is exact, and in numpy over two uint64 arrays it is many times faster than
PostgreSQL's row-at-a-time scan (bench/README.md, "Near-duplicate lookup").

The snapshot is kept current without trusting it: it is read whole once, then every REFRESH_SECONDS the rows changed
since it was taken (minus LAG_SECONDS, for transactions that committed late and clocks that differ) are merged in.
The database has the last word: a lookup asks PostgreSQL for the snapshot's candidates *and* for every row changed
within the same window, with their current hashes and the caller's filters, so a work stored or re-imaged a moment
ago by another process is found, and a deleted or re-imaged one is not wrongly claimed. This relies on one rule,
kept by gallery.services.ingest (the only writer of perceptual_hash, always through save() or bulk_create(), which
set updated_at): a row is never written, nor its hash changed, without an updated_at of the moment. Rows loaded
another way with older timestamps (bench/neardup.py) are seen by processes started afterwards, or after forget().
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db import connection
from django.utils import timezone

REFRESH_SECONDS = 10
LAG_SECONDS = 60
MAX_CANDIDATES = 1000  # the nearest this many within the radius go to PostgreSQL to be checked
_LOAD_SQL = ("SELECT id, decode(perceptual_hash, 'hex') FROM gallery_artwork "
             "WHERE perceptual_hash <> '' {since} ORDER BY id")


@dataclass(frozen=True)
class HashSnapshot:
    """Ids (ascending) and the two 64-bit halves of their hashes, as of `taken_at`. Never modified: a refresh makes
    a new one, so a scan in another thread is never disturbed."""

    ids: np.ndarray
    high: np.ndarray
    low: np.ndarray
    taken_at: datetime
    refreshed: float  # time.monotonic() of the last refresh

    @property
    def since(self) -> datetime:
        """Rows changed at or after this time may be missing or stale here: the database is asked about them."""
        return self.taken_at - timedelta(seconds=LAG_SECONDS)

    def within(self, perceptual_hash: str, max_bits: int) -> list[int]:
        """Ids whose hash here is at most `max_bits` from `perceptual_hash`, the nearest MAX_CANDIDATES of them."""
        if not len(self.ids):
            return []
        value = int(perceptual_hash, 16)
        distance = np.bitwise_count(self.high ^ np.uint64(value >> 64))
        distance += np.bitwise_count(self.low ^ np.uint64(value & (2**64 - 1)))
        found = np.flatnonzero(distance <= max_bits)
        if len(found) > MAX_CANDIDATES:
            found = found[np.argsort(distance[found], kind="stable")[:MAX_CANDIDATES]]
        return self.ids[found].tolist()


def _read(since: datetime | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, high, low) of the rows with a hash (changed at or after `since`), by id; 16 bytes a row over the wire."""
    sql = _LOAD_SQL.format(since="AND updated_at >= %s" if since else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [since] if since else [])
        rows = cursor.fetchall()
    if not rows:
        empty = np.empty(0, dtype=np.uint64)
        return np.empty(0, dtype=np.int64), empty, empty
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    halves = np.frombuffer(b"".join(bytes(row[1]) for row in rows), dtype=">u8").reshape(-1, 2).astype(np.uint64)
    return ids, halves[:, 0].copy(), halves[:, 1].copy()


def load() -> HashSnapshot:
    """A snapshot of every stored hash, read now."""
    taken_at = timezone.now()
    return HashSnapshot(*_read(None), taken_at=taken_at, refreshed=time.monotonic())


def refresh(snapshot: HashSnapshot) -> HashSnapshot:
    """`snapshot` with the rows changed since it was taken merged in (a re-imaged row's new hash replaces its old)."""
    taken_at = timezone.now()
    ids, high, low = _read(snapshot.since)
    if not len(ids):
        return HashSnapshot(snapshot.ids, snapshot.high, snapshot.low, taken_at, time.monotonic())
    all_ids = np.concatenate([snapshot.ids, ids])
    all_high, all_low = np.concatenate([snapshot.high, high]), np.concatenate([snapshot.low, low])
    # Sorted by id with the fresh rows after the old ones of the same id; keep the last of each id.
    order = np.lexsort((np.arange(len(all_ids)), all_ids))
    all_ids, all_high, all_low = all_ids[order], all_high[order], all_low[order]
    last = np.append(all_ids[1:] != all_ids[:-1], True)
    return HashSnapshot(all_ids[last], all_high[last], all_low[last], taken_at, time.monotonic())


_lock = threading.Lock()
_current: HashSnapshot | None = None


def current() -> HashSnapshot:
    """This process's snapshot, read on first use and refreshed when older than REFRESH_SECONDS."""
    global _current
    snapshot = _current
    if snapshot is not None and time.monotonic() - snapshot.refreshed < REFRESH_SECONDS:
        return snapshot
    with _lock:  # one thread reads; the others wait for its result rather than reading too
        if _current is None:
            _current = load()
        elif time.monotonic() - _current.refreshed >= REFRESH_SECONDS:
            _current = refresh(_current)
        return _current


def forget() -> None:
    """Drop this process's snapshot (tests, and the benchmarks after replacing every row)."""
    global _current
    with _lock:
        _current = None
