"""What an operator watches, read when asked: the checks behind /healthz and the deployment-wide series of /metrics
(queue depths, live workers, embedding totals, artworks by status). Reads only; never loads the encoder.

Errors become short public reasons ("unreachable (ConnectionError)"); the full message, which names hosts and ports,
goes to the log only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection, transaction
from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from gallery import metrics
from gallery.broker import ERRORS as REDIS_ERRORS
from gallery.broker import broker_redis, queue_names, redis_client
from gallery.models import Artwork
from gallery.worker_heartbeats import live_workers

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (DatabaseError, InterfaceError)
DATABASE_TIMEOUT_MS = 2000  # SELECT 1 answers at once from a healthy server; a stuck one fails the probe instead


@dataclass(frozen=True)
class Check:
    """One part of the deployment: whether it works, why not (public), and what else a probe may show."""

    ok: bool
    error: str = ""
    detail: dict = field(default_factory=dict)


def _reason(part: str, exc: BaseException) -> str:
    logger.warning("Health check: %s unreachable: %s", part, exc)
    return f"unreachable ({type(exc).__name__})"


def database_check() -> Check:
    """SELECT 1 on the default database, with a statement timeout."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(DATABASE_TIMEOUT_MS)])
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DATABASE_ERRORS as exc:
        return Check(ok=False, error=_reason("database", exc))
    return Check(ok=True)


def redis_check() -> Check:
    """PING the broker's redis and, when the cache lives in another redis, that one too."""
    clients = {"broker": broker_redis()}
    cache = settings.CACHES["default"]
    if cache["BACKEND"].endswith("RedisCache") and cache["LOCATION"] != settings.CELERY_BROKER_URL:
        clients["cache"] = redis_client(cache["LOCATION"])
    failed = {}
    for name, client in clients.items():
        try:
            client.ping()
        except REDIS_ERRORS as exc:
            failed[name] = _reason(f"redis ({name})", exc)
    if failed:
        return Check(ok=False, error="; ".join(f"{name}: {reason}" for name, reason in failed.items()))
    return Check(ok=True)


def worker_check(*, names: bool) -> Check:
    """Every queue jobs are routed to has a worker with a fresh heartbeat. `names`: list the workers (else counts)."""
    try:
        alive = live_workers()
    except REDIS_ERRORS as exc:
        return Check(ok=False, error=f"heartbeats unreadable: {_reason('worker heartbeats', exc)}")
    queues = {queue: sorted(alive.get(queue, [])) for queue in queue_names()}
    idle = [queue for queue, workers in queues.items() if not workers]
    detail = {"queues": queues if names else {queue: len(workers) for queue, workers in queues.items()}}
    if idle:
        return Check(ok=False, error=f"no live worker takes the queue(s): {', '.join(idle)}", detail=detail)
    return Check(ok=True, detail=detail)


def deployment_health(*, worker_names: bool = False) -> dict[str, Check]:
    """The checks of /healthz, by part: database, redis, worker."""
    return {"database": database_check(), "redis": redis_check(), "worker": worker_check(names=worker_names)}


class DeploymentCollector:
    """prometheus_client collector of what no single process counts: read from redis and PostgreSQL at scrape time.

    The same on every web replica (they read the same deployment): aggregate these with max(), not sum().
    A source that cannot be read is left out, and artsearch_metrics_source_up says so.
    """

    def collect(self):
        up = GaugeMetricFamily("artsearch_metrics_source_up", "Whether this scrape could read the source (1) or not",
                               labels=["source"])
        try:
            yield from self._from_redis()
            up.add_metric(["redis"], 1)
        except REDIS_ERRORS as exc:
            logger.warning("Metrics: redis unreadable, its series left out (%s)", exc)
            up.add_metric(["redis"], 0)
        try:
            yield self._artworks()
            up.add_metric(["database"], 1)
        except DATABASE_ERRORS as exc:
            logger.warning("Metrics: database unreadable, its series left out (%s)", exc)
            up.add_metric(["database"], 0)
        yield up

    @staticmethod
    def _from_redis():
        client, names = broker_redis(), queue_names()
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.llen(name)  # kombu keeps a queue's waiting messages (no priority set) in a list of its name
            depths = pipe.execute()
        alive, totals = live_workers(), metrics.embedding_totals()
        queued = GaugeMetricFamily("artsearch_queue_messages", "Celery messages waiting in a queue", labels=["queue"])
        workers = GaugeMetricFamily("artsearch_workers_alive", "Workers with a fresh heartbeat that take a queue",
                                    labels=["queue"])
        for name, depth in zip(names, depths):
            queued.add_metric([name], depth)
            workers.add_metric([name], len(alive.get(name, [])))
        yield queued
        yield workers
        yield CounterMetricFamily("artsearch_artworks_embedded", "Artworks embedded by the workers",
                                  value=totals["embedded"])
        yield CounterMetricFamily("artsearch_artwork_embedding_failures", "Artworks the workers failed to embed",
                                  value=totals["failed"])

    @staticmethod
    def _artworks() -> GaugeMetricFamily:
        counts = dict(Artwork.objects.order_by().values_list("status").annotate(n=Count("pk")))
        family = GaugeMetricFamily("artsearch_artworks", "Artworks by embedding status", labels=["status"])
        for status in Artwork.Status.values:
            family.add_metric([status], counts.get(status, 0))
        return family
