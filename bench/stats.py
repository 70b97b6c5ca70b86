"""Small statistics helpers: percentiles of latency samples and rounding for the report."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np


def percentile_ms(samples_s: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) of durations in seconds, in milliseconds; None without samples."""
    if not samples_s:
        return None
    return float(np.percentile(np.asarray(samples_s) * 1000, q))


def latency_summary(samples_s: Sequence[float]) -> dict[str, float | int | None]:
    """p50/p95/p99 and the sample count of durations in seconds, in milliseconds."""
    return {"n": len(samples_s), "p50_ms": percentile_ms(samples_s, 50), "p95_ms": percentile_ms(samples_s, 95),
            "p99_ms": percentile_ms(samples_s, 99)}


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator and denominator else None


def timed(function: Callable[[], object]) -> tuple[float, object]:
    """Run `function` once; return (seconds, its result)."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result
