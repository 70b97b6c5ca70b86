"""Faults: a worker killed mid-import, redis down while people upload, PostgreSQL down while people browse.

Each test runs real processes; the services it breaks are private to the test (never the session's own).
"""

import signal
import subprocess
import sys
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.urls import reverse

from artsearch.embedded import EmbeddedPostgres, EmbeddedRedis, stop_process
from gallery.models import Artwork
from gallery.services import ingest
from tests.dataset_fixtures import build_collection
from tests.helpers import BASE_DIR, celery_broker, free_port, painting_upload, subprocess_env, wait_for

pytestmark = pytest.mark.slow


def settled(expected: int) -> bool:
    return Artwork.objects.count() == expected and not Artwork.objects.awaiting_embedding().exists()


def test_worker_killed_mid_import_of_200_images_loses_and_duplicates_nothing(start_worker, tmp_path):
    worker = start_worker()
    folders = {"Claude_Monet": 12, "Edgar_Degas": 12, "Raphael": 12, "Titian": 12, "Rembrandt": 12, "El_Greco": 12,
               "Paul_Klee": 12, "Joan_Miro": 12, "Marc_Chagall": 12, "Francisco_Goya": 12, "Caravaggio": 12,
               "Gustav_Klimt": 12, "Henri_Matisse": 12, "Edvard_Munch": 12, "Piet_Mondrian": 12, "Diego_Rivera": 12,
               "Andy_Warhol": 8}
    root = build_collection(tmp_path / "collection", folders=folders)
    call_command("import_artworks", str(root), verbosity=0)
    assert Artwork.objects.count() == 200
    wait_for(lambda: Artwork.objects.filter(status=Artwork.Status.READY).count() >= 20, timeout=180, interval=0.05,
             what="the worker to finish a first batch")
    worker.send_signal(signal.SIGKILL)  # mid-import: batches are queued, one is being processed
    worker.wait(timeout=10)
    assert Artwork.objects.awaiting_embedding().exists()

    start_worker()
    ingest.artworks_requeue_stuck(older_than=timedelta(0))
    wait_for(lambda: settled(200), timeout=600, what="all 200 artworks to be embedded")
    assert Artwork.objects.filter(status=Artwork.Status.READY).count() == 200
    assert Artwork.objects.values("image_sha256").distinct().count() == 200  # exactly once: no duplicate rows
    call_command("import_artworks", str(root), verbosity=0)  # and a rerun adds nothing
    assert Artwork.objects.count() == 200


@pytest.fixture
def private_redis(tmp_path):
    redis = EmbeddedRedis(tmp_path / "redis")
    url = redis.start()
    yield redis, url
    redis.stop()


def test_redis_outage_keeps_uploads_and_search_working(start_worker, private_redis, admin_client, settings, artist,
                                                       clip_encoder):
    redis, url = private_redis
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    settings.CACHES = {**settings.CACHES,  # the per-process fragment cache stays
                       "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    settings.RATELIMIT_ENABLE = True  # its counters live in the redis that is about to go away
    searchable = ingest.artwork_create(artist=artist, title="Already here", image=painting_upload(30), enqueue=False)
    ingest.artworks_embed(artwork_ids=[searchable.pk], encoder=clip_encoder)
    with celery_broker(url):
        start_worker(REDIS_URL=url)
        redis.stop()
        for n in range(3):
            response = admin_client.post(reverse("admin:gallery_artwork_add"),
                                         {"artist": artist.pk, "title": f"During outage {n}",
                                          "image": painting_upload(31 + n)})  # no near-duplicate to ask about
            assert response.status_code == 302  # the curator sees success
        uploaded = Artwork.objects.filter(title__startswith="During outage")
        assert uploaded.count() == 3 and set(uploaded.values_list("status", flat=True)) == {"pending"}
        search = admin_client.get(reverse("gallery:search"), {"q": "a stormy sea"})
        assert search.status_code == 200 and search.context["result"].hits[0].artwork == searchable

        redis.start(port=port)  # back, on the same address the worker keeps retrying
        assert ingest.artworks_requeue_stuck(older_than=timedelta(0)) == 3  # what the periodic sweep does
        wait_for(lambda: set(uploaded.values_list("status", flat=True)) == {"ready"}, timeout=180,
                 what="the uploads to be embedded after the outage")


@pytest.fixture
def web_on_private_postgres(tmp_path):
    """`runserver` on a PostgreSQL of its own, so the test can stop that database without harming the session."""
    postgres = EmbeddedPostgres(tmp_path / "pgdata")
    database_url = postgres.start()
    env = subprocess_env(DATABASE_URL=database_url, DJANGO_MEDIA_ROOT=str(tmp_path / "media"))
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    port = free_port()
    log = open(tmp_path / "web.log", "wb")
    web = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                           cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield postgres, f"http://127.0.0.1:{port}"
    finally:
        stop_process(web, timeout=20)
        log.close()
        postgres.stop()


def _get(url: str):
    try:
        return requests.get(url, timeout=60)
    except requests.ConnectionError:
        return None


def test_postgres_outage_gives_a_friendly_503_and_recovers(web_on_private_postgres):
    postgres, base = web_on_private_postgres
    assert wait_for(lambda: _get(f"{base}/"), timeout=120, what="the web server").status_code == 200

    postgres.stop()
    for path in ("/", "/search/?q=sunflowers", "/artists/", "/api/search?q=x"):
        response = _get(base + path)
        assert response.status_code == 503, path
        assert "back in a moment" in response.text and "Traceback" not in response.text, path
        assert response.headers["Retry-After"] == "30"

    postgres.start()
    recovered = wait_for(lambda: (r := _get(f"{base}/")) is not None and r.status_code == 200 and r, timeout=60,
                         what="the site to recover by itself")
    assert "Gallery" in recovered.text
