"""Concurrent search texts share forward passes, and each still gets its own vector."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from gallery.clip.query_batching import QueryBatcher
from tests.gallery.clip.helpers import QUERIES, min_row_cosine

pytestmark = pytest.mark.django_db


def _rows_of(token_rows) -> np.ndarray:
    """A stand-in forward pass: row i is the sum of query i's tokens, so a mixed-up answer shows."""
    return np.array([[float(sum(tokens))] for tokens in token_rows])


def _wait_until_queued(batcher: QueryBatcher, count: int) -> None:
    while len(batcher._waiting) < count:  # noqa: SLF001 - the queue is what these tests are about
        threading.Event().wait(0.005)


class _FirstPassHeld:
    """A stand-in forward pass (`_rows_of`) that records its batches, holds the first one until released, and fails
    the call numbered `fail_call`."""

    def __init__(self, *, fail_call: int | None = None):
        self.batches: list[list[tuple[int, ...]]] = []
        self.started, self.released = threading.Event(), threading.Event()
        self.fail_call = fail_call

    def __call__(self, token_rows):
        self.batches.append(list(token_rows))
        if len(self.batches) == 1:
            self.started.set()
            self.released.wait(10)
        if len(self.batches) == self.fail_call:
            raise RuntimeError("out of memory")
        return _rows_of(token_rows)


def _lone_then_queued(pool, batcher: QueryBatcher, held: _FirstPassHeld, lone, queued: list):
    """Submit `lone`; while its pass is held, queue every query of `queued` behind it; release. The futures."""
    lone_future = pool.submit(batcher.encode, lone)
    held.started.wait(10)
    futures = [pool.submit(batcher.encode, tokens) for tokens in queued]
    _wait_until_queued(batcher, len(queued))
    held.released.set()
    return lone_future, futures


def test_queries_that_arrive_during_a_pass_go_through_together_in_the_next():
    held = _FirstPassHeld()
    batcher = QueryBatcher(held)
    queries = [(1,), (2, 3), (4, 5, 6), (7,), (8, 9)]
    with ThreadPoolExecutor(max_workers=len(queries) + 1) as pool:
        lone, futures = _lone_then_queued(pool, batcher, held, (100,), queries)
        assert lone.result(10)[0] == 100.0
        assert [future.result(10)[0] for future in futures] == [float(sum(q)) for q in queries]
    assert [len(batch) for batch in held.batches] == [1, len(queries)]
    assert list(batcher.batch_sizes) == [1, len(queries)]


def test_a_failed_pass_raises_in_every_query_of_its_batch():
    held = _FirstPassHeld(fail_call=2)
    batcher = QueryBatcher(held)
    with ThreadPoolExecutor(max_workers=4) as pool:
        lone, futures = _lone_then_queued(pool, batcher, held, (1,), [(2,)] * 3)
        assert lone.result(10)[0] == 1.0
        for future in futures:
            with pytest.raises(RuntimeError, match="out of memory"):
                future.result(10)
    assert batcher.encode((5,))[0] == 5.0  # the next query is served normally
    assert [len(batch) for batch in held.batches] == [1, 3, 1]


def test_a_batch_never_exceeds_its_limit_and_nobody_is_left_behind():
    batcher = QueryBatcher(_rows_of, max_batch=2)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(batcher.encode, [(n,) for n in range(1, 41)]))
    assert [row[0] for row in results] == [float(n) for n in range(1, 41)]
    assert max(batcher.batch_sizes) <= 2 and sum(batcher.batch_sizes) == 40


def test_real_clip_queries_batched_together_match_one_at_a_time(clip_encoder):
    """The real text tower: vectors of queries that shared a pass equal those encoded alone."""
    clip_encoder._query_vector.cache_clear()  # noqa: SLF001 - every query must reach the batcher
    batcher = clip_encoder.query_batcher
    # Each query alone through the same forward pass the batcher uses (the int8 tower by default, else torch).
    alone = np.vstack([clip_encoder._encode_query_rows([clip_encoder._tokenize_query(text)]) for text in QUERIES])  # noqa: SLF001
    sizes_before = len(batcher.batch_sizes)
    with ThreadPoolExecutor(max_workers=len(QUERIES)) as pool:
        with batcher._model_lock:  # noqa: SLF001 - hold the model so that every query queues for one pass
            futures = [pool.submit(clip_encoder.encode_query, text) for text in QUERIES]
            _wait_until_queued(batcher, len(QUERIES))
        together = np.vstack([future.result(30) for future in futures])
    assert list(batcher.batch_sizes)[sizes_before:] == [len(QUERIES)]
    assert min_row_cosine(together, alone) >= 0.9999
