"""Read replicas (README "Read replicas"): which database each web request reads from.

DATABASE_REPLICA_URLS names PostgreSQL streaming standbys of the primary; settings.py makes them the aliases
replica_0, replica_1, ... Every query goes to the primary (`default`) unless ReplicaMiddleware let the request read
from a replica: a read-only request (GET, HEAD) outside the admin, from a browser with neither a session (curators
read the primary, where their edits and drafts are) nor the pin cookie a write leaves for
DATABASE_REPLICA_PIN_SECONDS (whoever just wrote reads it back). Celery workers, management commands and imports
never pass through the middleware, so they use the primary without knowing replicas exist. A request a replica
serves gets no ATOMIC_REQUESTS transaction on the primary (ReplicaAwareWSGIHandler): it reads the primary only when
a replica's check is due (the primary's WAL position, below).

A replica serves while its last check (at most DATABASE_REPLICA_CHECK_SECONDS old) found it reachable, in recovery and
no more than DATABASE_REPLICA_MAX_LAG_SECONDS behind; one found down is left alone for DATABASE_REPLICA_RETRY_SECONDS.
Skipping a replica and taking it back are logged. A request that a replica failed is answered again from the primary.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.wsgi import WSGIHandler
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

logger = logging.getLogger(__name__)

ALIAS_PREFIX = "replica_"  # settings.py names DATABASE_REPLICA_URLS' databases replica_0, replica_1, ...
PIN_COOKIE = "artsearch_primary"
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # what a browser may repeat


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if is_replica(alias)]


def is_replica(alias: str | None) -> bool:
    return bool(alias) and alias.startswith(ALIAS_PREFIX) and alias in settings.DATABASES


# --- Routing: the middleware decides per request, the router applies it to every query of the request.

@dataclass
class _Routing:
    """Where the current request reads: `alias` (a replica, or None for the primary) until it writes."""

    alias: str | None
    wrote: bool = False
    replica_failed: bool = False


_routing: contextvars.ContextVar[_Routing | None] = contextvars.ContextVar("replica_routing", default=None)


class ReplicaRouter:
    """Reads go where ReplicaMiddleware said (None: Django's default, the primary); writes to the primary."""

    def db_for_read(self, model, **hints):
        routing = _routing.get()
        return routing.alias if routing is not None and not routing.wrote else None

    def db_for_write(self, model, **hints):
        routing = _routing.get()
        if routing is not None:
            routing.wrote = True  # the rest of the request reads what it wrote, and the response pins the browser
        instance = hints.get("instance")
        if instance is not None and is_replica(instance._state.db):
            return DEFAULT_DB_ALIAS  # Django would save a row where it was read from
        return None

    def allow_relation(self, obj1, obj2, **hints):
        primary_or_replica = {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, *replica_aliases()}
        return True if primary_or_replica else None  # the same rows, whichever copy they were read from

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if is_replica(db) else None  # a standby replays the primary's migrations


class ReplicaAwareWSGIHandler(WSGIHandler):
    """Django's WSGI handler (artsearch/wsgi.py), but a request that reads a replica gets no ATOMIC_REQUESTS
    transaction on the primary: that transaction connected to the primary, and checked the connection with a query
    (CONN_HEALTH_CHECKS), for every request a replica served. A rare write in such a request commits on its own."""

    def make_view_atomic(self, view):
        routing = _routing.get()  # ReplicaMiddleware has decided by now: views are wrapped inside the middlewares
        return view if routing is not None and routing.alias is not None else super().make_view_atomic(view)


# --- Health: checked at most every DATABASE_REPLICA_CHECK_SECONDS per process, when a request wants a replica.

@dataclass
class _Health:
    usable: bool | None = None  # None: never checked
    next_check: float = float("-inf")  # time.monotonic() of the next look
    # The primary's WAL position seen at each check: (time.monotonic(), LSN), oldest first, the replayed ones dropped.
    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=100_000))


_lock = threading.Lock()  # runserver and gunicorn's threaded workers share these between requests
_health: dict[str, _Health] = {}


def usable_replicas() -> list[str]:
    """The replicas that may serve reads now, checking those whose verdict is too old."""
    usable = []
    for alias in replica_aliases():
        with _lock:
            health = _health.setdefault(alias, _Health())
        if time.monotonic() >= health.next_check:
            replica_check(alias)
        if health.usable:
            usable.append(alias)
    return usable


def replica_check(alias: str) -> bool:
    """Look at the replica now, record the verdict and log a change of it. True if it may serve reads."""
    with _lock:
        health = _health.setdefault(alias, _Health())
    problem, recheck_seconds = _problem(alias, health)
    with _lock:
        before, health.usable, health.next_check = health.usable, problem is None, time.monotonic() + recheck_seconds
    if problem and before is not False:
        logger.warning("Read replica %s skipped, reads go to the primary: %s", alias, problem)
    elif not problem and before is False:
        logger.info("Read replica %s is back in use.", alias)
    return problem is None


def _problem(alias: str, health: _Health) -> tuple[str | None, float]:
    """Why the replica may not serve reads now (None: it may), and how long that verdict holds."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'::pg_lsn")
            in_recovery, replayed = cursor.fetchone()
    except DatabaseError as exc:
        connections[alias].close()  # the next use reconnects
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"unreachable ({reason})", settings.DATABASE_REPLICA_RETRY_SECONDS  # don't knock on it every request
    if not in_recovery:
        return "not a standby (promoted?): it no longer follows the primary", settings.DATABASE_REPLICA_RETRY_SECONDS
    lag = _lag(health, int(replayed or 0))
    if lag > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
        return (f"it has not replayed what the primary wrote {lag:.1f} seconds ago (DATABASE_REPLICA_MAX_LAG_SECONDS="
                f"{settings.DATABASE_REPLICA_MAX_LAG_SECONDS:g})"), settings.DATABASE_REPLICA_CHECK_SECONDS
    return None, settings.DATABASE_REPLICA_CHECK_SECONDS


def _lag(health: _Health, replayed: int) -> float:
    """Seconds since the primary first held WAL that the replica has not replayed yet (0: caught up).

    The primary's position is sampled at each check and a sample is dropped once the replica has replayed past it,
    as PostgreSQL's own walsender measures replay_lag. `now() - pg_last_xact_replay_timestamp()` on the standby would
    count an idle primary's quiet time as lag, and a receive/replay comparison misses a standby cut off from the
    primary.
    """
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_flush_lsn() - '0/0'::pg_lsn")  # what walsenders may send
            current = int(cursor.fetchone()[0])
    except DatabaseError:
        current = None  # the primary's own outage is the request's to report, not the replica's
    now = time.monotonic()
    with _lock:
        samples = health.samples
        if current is not None and (not samples or current > samples[-1][1]):
            samples.append((now, current))
        while samples and samples[0][1] <= replayed:
            samples.popleft()
        return now - samples[0][0] if samples else 0.0


# --- The middleware.

class ReplicaMiddleware:
    """Lets visitors' safe requests read from a healthy replica, answers again from the primary what a replica
    failed, and pins a browser that wrote to the primary for DATABASE_REPLICA_PIN_SECONDS."""

    def __init__(self, get_response):
        if not replica_aliases():
            raise MiddlewareNotUsed  # one database: nothing to route
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        alias = self._replica_for(request)
        response, routing = self._respond(request, alias)
        # A replica's failure reaches here as the 503 page (gallery.errors) or a 500: the request only read, so it
        # can be answered again from the primary. The check marks a replica that went down.
        if alias is not None and response.status_code >= 500 and (not replica_check(alias) or routing.replica_failed):
            logger.warning("Read replica %s failed during %s %s; answering from the primary.", alias,
                           request.method, request.path)
            response, routing = self._respond(request, None)
        wrote = routing.wrote or (request.method not in READ_ONLY_METHODS and response.status_code < 400)
        if wrote:
            response.set_cookie(PIN_COOKIE, "1", max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                                secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax")
        return response

    def _replica_for(self, request: HttpRequest) -> str | None:
        if (request.method not in READ_ONLY_METHODS or PIN_COOKIE in request.COOKIES
                or settings.SESSION_COOKIE_NAME in request.COOKIES or request.path.startswith(reverse("admin:index"))):
            return None
        usable = usable_replicas()
        return random.choice(usable) if usable else None

    def _respond(self, request: HttpRequest, alias: str | None) -> tuple[HttpResponse, _Routing]:
        routing = _Routing(alias)
        token = _routing.set(routing)
        try:
            with connections[alias].execute_wrapper(_ReplicaErrors(routing)) if alias else contextlib.nullcontext():
                return self.get_response(request), routing
        finally:
            _routing.reset(token)


class _ReplicaErrors:
    """An execute wrapper on the replica's connection: notes that a query there failed (a conflict with recovery
    cancels a query on a standby that is otherwise fine)."""

    def __init__(self, routing: _Routing):
        self.routing = routing

    def __call__(self, execute, sql, params, many, context):
        try:
            return execute(sql, params, many, context)
        except DatabaseError:
            self.routing.replica_failed = True
            raise
