"""Celery workers say they are alive: each keeps a key in the broker's redis, with the queues it takes, refreshed
every GALLERY_WORKER_HEARTBEAT_SECONDS and expiring after three missed beats. /healthz and /metrics read them.

A consumer bootstep (added to the app in artsearch/celery.py) beats on the worker's own event loop, the way Celery's
own heartbeat does: a worker whose loop is stuck stops beating, which is what a probe should notice.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections import defaultdict

from celery import bootsteps
from django.conf import settings

from gallery.broker import ERRORS, broker_redis

logger = logging.getLogger(__name__)

KEY_PREFIX = "artsearch:worker-heartbeat:"
MISSED_BEATS = 3  # a key outlives this many intervals: one late beat on a busy machine is not a dead worker


def beat(*, hostname: str, queues: list[str]) -> None:
    """Record that worker `hostname` is alive and takes `queues`. Best effort: a redis outage is logged, not raised."""
    ttl = settings.GALLERY_WORKER_HEARTBEAT_SECONDS * MISSED_BEATS
    try:
        broker_redis().set(KEY_PREFIX + hostname, json.dumps({"queues": queues, "beat_at": time.time()}), ex=ttl)
    except ERRORS as exc:
        logger.warning("Worker heartbeat of %s not recorded (%s)", hostname, exc)


def forget(hostname: str) -> None:
    """A worker stopping cleanly is gone at once, not when its key expires."""
    try:
        broker_redis().delete(KEY_PREFIX + hostname)
    except ERRORS as exc:
        logger.warning("Worker heartbeat of %s not removed (%s); it expires by itself", hostname, exc)


def live_workers() -> dict[str, list[str]]:
    """{queue: [worker hostnames]} of the workers whose heartbeat is fresh. Raises broker.ERRORS when redis is down."""
    client = broker_redis()
    keys = sorted(client.scan_iter(match=KEY_PREFIX + "*", count=1000))
    by_queue: dict[str, list[str]] = defaultdict(list)
    for key, value in zip(keys, client.mget(keys) if keys else []):
        if value is None:  # expired between the scan and the read
            continue
        for queue in json.loads(value)["queues"]:
            by_queue[queue].append(key.decode().removeprefix(KEY_PREFIX))
    return dict(by_queue)


class Heartbeat(bootsteps.StartStopStep):
    """Beat once the worker consumes its queues, then on the consumer's timer; forget the worker when it stops."""

    requires = {"celery.worker.consumer.tasks:Tasks"}  # its task consumer knows the queues taken (-Q)

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self._timer = None

    def start(self, consumer) -> None:
        queues = sorted(queue.name for queue in consumer.task_consumer.queues)
        pulse = functools.partial(beat, hostname=consumer.hostname, queues=queues)
        pulse()
        self._timer = consumer.timer.call_repeatedly(settings.GALLERY_WORKER_HEARTBEAT_SECONDS, pulse, priority=10)

    def stop(self, consumer) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        forget(consumer.hostname)

    shutdown = stop
