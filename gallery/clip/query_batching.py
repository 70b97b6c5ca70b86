"""Encode the search texts that arrive together in one process as one batch.

A text query is too small to keep the CPU busy: reading the text tower's weights costs most of its time, and a batch
of four costs about 1.6 times one query (bench/README.md). So one forward pass runs at a time per process; queries
that arrive meanwhile wait for it and then go through together in the next one. A query that arrives alone never
waits for company, so a quiet server answers as fast as before.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence

import numpy as np

Tokens = tuple[int, ...]


class _Query:
    __slots__ = ("tokens", "vector", "error")

    def __init__(self, tokens: Tokens):
        self.tokens = tokens
        self.vector: np.ndarray | None = None
        self.error: BaseException | None = None


class QueryBatcher:
    """Calls `encode_batch(list of token tuples) -> rows` once for every group of queries that waited together."""

    def __init__(self, encode_batch: Callable[[Sequence[Tokens]], np.ndarray], *, max_batch: int = 32):
        self._encode_batch = encode_batch
        self._max_batch = max_batch
        self._queue_lock = threading.Lock()
        self._model_lock = threading.Lock()  # one forward pass at a time
        self._waiting: list[_Query] = []
        self.batch_sizes: deque[int] = deque(maxlen=1000)  # the latest batches' sizes, for tests and benchmarks

    def encode(self, tokens: Tokens) -> np.ndarray:
        query = _Query(tokens)
        with self._queue_lock:
            self._waiting.append(query)
        while query.vector is None and query.error is None:
            with self._model_lock:
                if query.vector is None and query.error is None:
                    self._run_waiting()  # ours and whatever queued behind the previous pass
        if query.error is not None:
            raise query.error
        return query.vector

    def _run_waiting(self) -> None:
        with self._queue_lock:
            batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
        if not batch:
            return
        try:
            rows = self._encode_batch([query.tokens for query in batch])
        except BaseException as exc:  # every query of the batch gets the error, not only the one that ran it
            for query in batch:
                query.error = exc
            return
        for query, row in zip(batch, rows):
            query.vector = row
        self.batch_sizes.append(len(batch))
