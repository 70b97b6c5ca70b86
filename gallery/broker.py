"""The Celery broker's redis, for what the web processes and the workers share besides task messages: worker
heartbeats, the workers' counters and the queue lengths (README "Health and metrics").

The broker, not the cache: a worker on another machine (README "Embedding where the compute is") reaches the broker
by definition, whatever else it can reach.
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings

# A health probe or a scrape must answer promptly while redis hangs, rather than wait for the kernel to give up.
TIMEOUT_SECONDS = 1.0
ERRORS = (redis.RedisError, OSError, ValueError)  # unreachable, timed out, refused; ValueError: a malformed URL


def broker_redis() -> redis.Redis:
    """A client of settings.CELERY_BROKER_URL (one connection pool per URL and process; redis-py renews it after a
    fork)."""
    return redis_client(settings.CELERY_BROKER_URL)


@functools.cache
def redis_client(url: str) -> redis.Redis:
    """A client of the redis at `url` that gives up after TIMEOUT_SECONDS."""
    return redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)


def queue_names() -> list[str]:
    """The Celery queues this deployment routes jobs to (settings.CELERY_TASK_QUEUES), each a redis list of that
    name while its messages wait."""
    return [queue.name for queue in settings.CELERY_TASK_QUEUES]
