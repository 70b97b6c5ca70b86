"""/healthz against the real services: PostgreSQL, redis and real Celery workers' heartbeats; 200, or 503 naming
the parts that failed."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest
import requests
from django.conf import settings
from django.db import connection, connections
from django.urls import reverse

from gallery.broker import broker_redis
from gallery.services import monitoring
from gallery.worker_heartbeats import KEY_PREFIX
from tests.artsearch.test_gunicorn import gunicorn  # noqa: F401 (the production server, as a fixture)
from tests.helpers import free_port, stop_process, wait_for

PUBLIC_CLIENT = "203.0.113.9"  # TEST-NET-3: outside METRICS_ALLOWED_NETWORKS


@pytest.fixture(autouse=True)
def no_heartbeats():
    """No heartbeat left by an earlier test's worker (a killed worker's lingers until it expires)."""
    client = broker_redis()

    def clear():
        if keys := list(client.scan_iter(match=KEY_PREFIX + "*")):
            client.delete(*keys)

    clear()
    yield
    clear()


def healthz(client, **extra):
    response = client.get(reverse("gallery:healthz"), **extra)
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


@pytest.mark.slow
def test_ok_with_a_worker_taking_every_queue(client, start_worker):
    start_worker()

    status, body = healthz(client)
    assert status == 200 and body["status"] == "ok" and body["failed"] == []
    assert body["checks"]["database"] == {"ok": True} and body["checks"]["redis"] == {"ok": True}
    queues = body["checks"]["worker"]["queues"]
    assert set(queues) == {"celery", "embedding"}
    assert all(len(workers) == 1 and workers[0].startswith("test-") for workers in queues.values()), queues
    # Anyone may probe; only the operator learns the workers' host names.
    status, body = healthz(client, REMOTE_ADDR=PUBLIC_CLIENT)
    assert status == 200 and body["checks"]["worker"]["queues"] == {"celery": 1, "embedding": 1}


@pytest.mark.slow
def test_a_queue_no_worker_takes_is_named(client, start_worker):
    start_worker("celery")  # embedding jobs would wait for ever

    status, body = healthz(client)
    assert status == 503 and body["status"] == "fail" and body["failed"] == ["worker"]
    worker = body["checks"]["worker"]
    assert not worker["ok"] and "embedding" in worker["error"] and "celery" not in worker["error"]
    assert len(worker["queues"]["celery"]) == 1 and worker["queues"]["embedding"] == []


@pytest.mark.slow
def test_a_worker_that_stops_is_gone_at_once_and_a_killed_one_once_its_heartbeat_expires(client, start_worker):
    stopped = start_worker()
    assert healthz(client)[0] == 200
    stop_process(stopped, timeout=20)
    assert healthz(client)[0] == 503  # a clean stop removes its heartbeat

    killed = start_worker(GALLERY_WORKER_HEARTBEAT_SECONDS="1")
    assert healthz(client)[0] == 200
    # Beats keep it alive...
    key = next(broker_redis().scan_iter(match=KEY_PREFIX + "*"))
    first_beat = json.loads(broker_redis().get(key))["beat_at"]
    wait_for(lambda: json.loads(broker_redis().get(key) or "{}").get("beat_at", first_beat) > first_beat, timeout=30,
             what="the heartbeat to be refreshed")
    assert healthz(client)[0] == 200
    # ...and a worker killed without a word is reported once they stop.
    killed.kill()
    killed.wait(timeout=10)
    wait_for(lambda: healthz(client)[0] == 503, timeout=30, what="the killed worker's heartbeat to expire")


def test_no_worker_at_all_fails_the_worker_check_once_in_the_log_and_never_as_an_error(client, db, caplog):
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            status, body = healthz(client, REMOTE_ADDR=PUBLIC_CLIENT)
            assert status == 503 and body["failed"] == ["worker"]
            assert body["checks"]["worker"]["queues"] == {"celery": 0, "embedding": 0}
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    failing = [r for r in caplog.records if r.getMessage().startswith("Health check failing: worker")]
    assert len(failing) == 1 and failing[0].levelno == logging.WARNING
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_unreachable_redis_is_named_without_saying_where_it_is(client, db, settings, caplog):
    port = free_port()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"  # nothing listens there

    with caplog.at_level(logging.WARNING):
        response = client.get(reverse("gallery:healthz"), REMOTE_ADDR=PUBLIC_CLIENT)
    body = response.json()
    assert response.status_code == 503 and set(body["failed"]) == {"redis", "worker"}
    assert body["checks"]["redis"]["error"] == "broker: unreachable (ConnectionError)"
    assert body["checks"]["database"] == {"ok": True}
    assert str(port) not in response.content.decode()  # hosts and ports go to the log only
    assert str(port) in caplog.text


def test_get_and_head_only(client, db):
    assert client.head(reverse("gallery:healthz")).status_code == 503  # no worker here; a HEAD probe is answered
    assert client.post(reverse("gallery:healthz")).status_code == 405


@pytest.mark.slow
def test_unreachable_database_is_named_by_the_production_server(gunicorn):  # noqa: F811
    _, base = gunicorn(CLIP_THREADS="1", DATABASE_URL=f"postgres://artsearch@127.0.0.1:{free_port()}/artsearch")

    response = requests.get(f"{base}/healthz", timeout=30)
    body = response.json()
    assert response.status_code == 503 and "database" in body["failed"]
    assert body["checks"]["database"]["error"] == "unreachable (OperationalError)"
    assert body["checks"]["redis"] == {"ok": True}


def test_a_database_host_that_never_answers_fails_the_check_within_the_connect_timeout(db):
    """A server that takes the connection and says nothing (a host gone dark behind a proxy): the database check
    gives up after DATABASE_CONNECT_TIMEOUT, where libpq alone would wait as long as TCP does."""
    timeout = settings.DATABASES["default"]["OPTIONS"]["connect_timeout"]
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel completes the handshake; nothing answers
        dark = {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": silent.getsockname()[1]}
        original = connections["default"]
        connections["default"] = original.__class__(dark, "default")
        try:
            started = time.monotonic()
            check = monitoring.database_check()
            elapsed = time.monotonic() - started
        finally:
            connections["default"].close()
            connections["default"] = original
    assert not check.ok and check.error == "unreachable (OperationalError)"
    assert timeout <= elapsed < timeout + 3
