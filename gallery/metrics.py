"""What artsearch measures beyond django-prometheus's requests and queries (README "Health and metrics").

Search latency is a histogram in the process that searched (prometheus_client; gunicorn's workers share theirs
through PROMETHEUS_MULTIPROC_DIR). The embedding counts are made by Celery workers, other processes and often other
machines, so they are added up in the broker's redis and read from there when /metrics is scraped: one scrape target
for the whole deployment, and counts that survive a worker's restart.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable

from prometheus_client import Histogram

from gallery.broker import ERRORS, broker_redis

logger = logging.getLogger(__name__)

SEARCH_SECONDS = Histogram(
    "artsearch_search_seconds", "Time to compute one page of search results, by kind of search", ["kind"],
    # From a text query on a warm encoder to a picture's detail checked with keypoints on a busy CPU.
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
SEARCH_KINDS = ("text", "image", "detail", "similar")
EMBEDDING_COUNTS_KEY = "artsearch:metrics:embedding"  # a redis hash: embedded, failed


def timed_search(kind: str | Callable[..., str]):
    """Decorate a search service: each call that returns is observed in SEARCH_SECONDS under `kind`, a name or a
    function of the call's keyword arguments. A refused query (an exception) is not a search and is left out."""

    def decorator(service):
        @functools.wraps(service)
        def timed(**kwargs):
            started = time.perf_counter()
            result = service(**kwargs)
            SEARCH_SECONDS.labels(kind(**kwargs) if callable(kind) else kind).observe(time.perf_counter() - started)
            return result

        return timed

    return decorator


def embedding_counted(*, embedded: int = 0, failed: int = 0) -> None:
    """Add a worker's embedding outcome to the deployment's totals. Best effort: a redis outage loses the counts, with
    a warning, and never fails the job."""
    try:
        with broker_redis().pipeline() as pipe:
            pipe.hincrby(EMBEDDING_COUNTS_KEY, "embedded", embedded).hincrby(EMBEDDING_COUNTS_KEY, "failed", failed)
            pipe.execute()
    except ERRORS as exc:
        logger.warning("Embedding counts not recorded (%s): embedded %s, failed %s", exc, embedded, failed)


def embedding_totals() -> dict[str, int]:
    """The deployment's embedding totals so far: {"embedded": n, "failed": n}. Raises broker.ERRORS."""
    stored = broker_redis().hgetall(EMBEDDING_COUNTS_KEY)
    return {name: int(stored.get(name.encode(), 0)) for name in ("embedded", "failed")}
