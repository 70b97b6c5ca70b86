"""Concurrent search texts share forward passes, and each still gets its own vector."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from gallery.query_batching import QueryBatcher
from tests.gallery.test_embeddings import QUERIES, min_row_cosine

pytestmark = pytest.mark.django_db


def _rows_of(token_rows) -> np.ndarray:
    """A stand-in forward pass: row i is the sum of query i's tokens, so a mixed-up answer shows."""
    return np.array([[float(sum(tokens))] for tokens in token_rows])


def _queue_behind_a_running_pass(batcher: QueryBatcher, submit, count: int) -> None:
    """Wait until `count` queries submitted by `submit` are queued behind the pass that holds the model."""
    for _ in range(count):
        submit()
    while len(batcher._waiting) < count:  # noqa: SLF001 - the queue is what this test is about
        threading.Event().wait(0.005)


def test_queries_that_arrive_during_a_pass_go_through_together_in_the_next():
    first_pass_started, release_first_pass = threading.Event(), threading.Event()
    batches = []

    def encode_batch(token_rows):
        batches.append(list(token_rows))
        if len(batches) == 1:
            first_pass_started.set()
            release_first_pass.wait(10)
        return _rows_of(token_rows)

    batcher = QueryBatcher(encode_batch)
    queries = [(1,), (2, 3), (4, 5, 6), (7,), (8, 9)]
    with ThreadPoolExecutor(max_workers=len(queries) + 1) as pool:
        lone = pool.submit(batcher.encode, (100,))
        first_pass_started.wait(10)
        futures = []
        _queue_behind_a_running_pass(batcher, lambda: futures.append(pool.submit(batcher.encode, queries[len(futures)])),
                                     len(queries))
        release_first_pass.set()
        assert lone.result(10)[0] == 100.0
        assert [future.result(10)[0] for future in futures] == [float(sum(q)) for q in queries]
    assert [len(batch) for batch in batches] == [1, len(queries)]
    assert list(batcher.batch_sizes) == [1, len(queries)]


def test_a_failed_pass_raises_in_every_query_of_its_batch():
    first_pass_started, release_first_pass = threading.Event(), threading.Event()
    calls = []

    def encode_batch(token_rows):
        calls.append(len(token_rows))
        if len(calls) == 1:
            first_pass_started.set()
            release_first_pass.wait(10)
        if len(calls) == 2:
            raise RuntimeError("out of memory")
        return _rows_of(token_rows)

    batcher = QueryBatcher(encode_batch)
    with ThreadPoolExecutor(max_workers=4) as pool:
        lone = pool.submit(batcher.encode, (1,))
        first_pass_started.wait(10)
        futures = []
        _queue_behind_a_running_pass(batcher, lambda: futures.append(pool.submit(batcher.encode, (2,))), 3)
        release_first_pass.set()
        assert lone.result(10)[0] == 1.0
        for future in futures:
            with pytest.raises(RuntimeError, match="out of memory"):
                future.result(10)
    assert batcher.encode((5,))[0] == 5.0  # the next query is served normally
    assert calls == [1, 3, 1]


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
    alone = clip_encoder.encode_texts(QUERIES)
    sizes_before = len(batcher.batch_sizes)
    with ThreadPoolExecutor(max_workers=len(QUERIES)) as pool:
        with batcher._model_lock:  # noqa: SLF001 - hold the model so that every query queues for one pass
            futures = [pool.submit(clip_encoder.encode_query, text) for text in QUERIES]
            while len(batcher._waiting) < len(QUERIES):  # noqa: SLF001
                threading.Event().wait(0.005)
        together = np.vstack([future.result(30) for future in futures])
    assert list(batcher.batch_sizes)[sizes_before:] == [len(QUERIES)]
    assert min_row_cosine(together, alone) >= 0.9999
