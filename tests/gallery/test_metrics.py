"""/metrics against the real services: search latency by kind, the broker's queue depths, the workers' embedding
counts, artworks by status, django-prometheus's series, gunicorn's workers added up, and who may read it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from gallery import tasks
from gallery.models import Artwork
from gallery.services import ingest
from tests.artsearch.test_gunicorn import _workers, gunicorn  # noqa: F401 (the production server, as a fixture)
from tests.helpers import BASE_DIR, free_port, image_upload, subprocess_env, wait_for

PUBLIC_CLIENT = "203.0.113.9"  # TEST-NET-3: outside METRICS_ALLOWED_NETWORKS


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(client, **extra) -> dict[tuple[str, frozenset], float]:
    response = client.get(reverse("gallery:metrics"), **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain") and "no-cache" in response["Cache-Control"]
    return parse(response.content.decode())


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def searches(samples: dict, kind: str) -> float:
    return value(samples, "artsearch_search_seconds_count", kind=kind)


def test_each_kind_of_search_is_timed_under_its_own_label(client, searchable_artworks):
    work = searchable_artworks[0]
    before = scrape(client)

    assert client.get("/search/", {"q": "a harbour at dawn"}).status_code == 200
    with work.image.open("rb") as handle:
        upload = SimpleUploadedFile("query.jpg", handle.read(), content_type="image/jpeg")
    assert client.post("/api/search", {"image": upload, "k": 2}).status_code == 200
    assert client.get("/search/", {"artwork": work.pk, "box": "0.1,0.1,0.5,0.5"}).status_code == 200
    assert client.get(f"/api/artworks/{work.pk}/similar").status_code == 200
    assert client.get("/search/", {"q": ""}).status_code == 200  # the empty form: no search ran
    after = scrape(client)

    for kind in ("text", "image", "detail", "similar"):
        assert searches(after, kind) - searches(before, kind) == 1, kind
        assert value(after, "artsearch_search_seconds_bucket", kind=kind, le="+Inf") == searches(after, kind)
    # django-prometheus's series: requests by view, and queries through the instrumented PostgreSQL backend.
    by_view = "django_http_requests_total_by_view_transport_method_total"
    assert value(after, by_view, view="gallery:search", transport="http", method="GET") >= 2
    assert value(after, "django_db_execute_total", alias="default", vendor="postgresql") > 0


def test_artworks_by_status_are_counted_from_the_database(client, artist):
    for n, status in enumerate([Artwork.Status.PENDING, Artwork.Status.FAILED, Artwork.Status.FAILED]):
        work = ingest.artwork_create(artist=artist, title=f"Work {n}", image=image_upload(seed=n), enqueue=False)
        Artwork.objects.filter(pk=work.pk).update(status=status)

    samples = scrape(client)
    expected = {"pending": 1, "processing": 0, "ready": 0, "failed": 2}
    assert {status: value(samples, "artsearch_artworks", status=status) for status in expected} == expected
    assert value(samples, "artsearch_metrics_source_up", source="database") == 1


def test_queue_depth_is_what_waits_in_the_real_broker(client, db, broker_queue):
    tasks.artworks_embed.delay([101, 102])
    tasks.artworks_embed.delay([103])
    tasks.artwork_tiles_make.delay(101)

    samples = scrape(client)
    assert len(broker_queue.jobs()) == 2 and len(broker_queue.messages()) == 3
    assert value(samples, "artsearch_queue_messages", queue="embedding") == 2
    assert value(samples, "artsearch_queue_messages", queue="celery") == 1
    assert value(samples, "artsearch_metrics_source_up", source="redis") == 1


@pytest.mark.slow
def test_a_real_worker_counts_what_it_embedded(client, start_worker, artist):
    before = scrape(client)
    start_worker()
    work = ingest.artwork_create(artist=artist, title="Irises", image=image_upload(seed=7))
    wait_for(lambda: Artwork.objects.get(pk=work.pk).status == Artwork.Status.READY, timeout=120,
             what="the worker to embed the artwork")

    after = scrape(client)
    assert value(after, "artsearch_artworks_embedded_total") - value(before, "artsearch_artworks_embedded_total") == 1
    assert value(after, "artsearch_workers_alive", queue="embedding") == 1
    assert value(after, "artsearch_artworks", status="ready") == 1


def test_the_embedding_job_counts_an_artwork_it_could_not_read_as_failed(client, artist, broker_queue):
    work = ingest.artwork_create(artist=artist, title="Lost", image=image_upload(seed=3), enqueue=False)
    work.image.storage.delete(work.image.name)
    before = scrape(client)

    assert tasks.artworks_embed([work.pk]) == {"embedded": 0, "skipped": 0, "failed": 1}

    after = scrape(client)
    failures = "artsearch_artwork_embedding_failures_total"
    assert value(after, failures) - value(before, failures) == 1
    assert value(after, "artsearch_artworks_embedded_total") == value(before, "artsearch_artworks_embedded_total")
    # A batch out of retries fails every artwork in it.
    tasks.artworks_embed.on_failure(RuntimeError("out of retries"), "task-id", ([work.pk, work.pk + 1],), {}, None)
    assert value(scrape(client), failures) - value(after, failures) == 2


def test_an_unreachable_redis_leaves_its_series_out_and_says_so(client, db, settings, caplog):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    samples = scrape(client)
    assert value(samples, "artsearch_metrics_source_up", source="redis") == 0
    assert not any(name == "artsearch_queue_messages" for name, _ in samples)
    assert value(samples, "artsearch_metrics_source_up", source="database") == 1
    assert "Metrics: redis unreadable" in caplog.text


def test_only_the_operator_may_read_metrics(client, db, settings):
    url = reverse("gallery:metrics")
    assert client.get(url).status_code == 200  # loopback
    assert client.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200  # a private network (Prometheus beside us)
    assert client.get(url, REMOTE_ADDR="::ffff:10.1.2.3").status_code == 200  # the same, on a dual-stack socket
    assert client.get(url, REMOTE_ADDR=f"::ffff:{PUBLIC_CLIENT}").status_code == 403
    refused = client.get(url, REMOTE_ADDR=PUBLIC_CLIENT)
    assert refused.status_code == 403 and b"operator" in refused.content
    assert client.post(url).status_code == 405

    settings.METRICS_TOKEN = token = "a-long-random-token"
    assert client.get(url, REMOTE_ADDR=PUBLIC_CLIENT, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert client.get(url, REMOTE_ADDR=PUBLIC_CLIENT, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    settings.METRICS_ALLOWED_NETWORKS = []  # the token only
    assert client.get(url).status_code == 403

    # Behind our proxy every request comes from its private address: the client it forwards is who is judged.
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
    via_proxy = {"REMOTE_ADDR": "10.0.0.2"}
    assert client.get(url, **via_proxy, HTTP_X_FORWARDED_FOR=f"10.0.0.9, {PUBLIC_CLIENT}").status_code == 403
    assert client.get(url, **via_proxy, HTTP_X_FORWARDED_FOR="10.0.0.7").status_code == 200
    assert client.get(url, **via_proxy).status_code == 200  # straight from the private network, not proxied


def test_a_malformed_allowed_network_stops_the_settings_with_the_reason():
    finished = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=BASE_DIR,
                              env=subprocess_env(DJANGO_SETTINGS_MODULE="artsearch.settings",
                                                 METRICS_ALLOWED_NETWORKS="10.0.0.0/8,the office"),
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode != 0
    assert "METRICS_ALLOWED_NETWORKS: 'the office' does not appear to be an IPv4 or IPv6 network" in finished.stderr


@pytest.mark.slow
def test_gunicorn_reports_the_searches_of_all_its_workers(gunicorn, embedded_artworks):  # noqa: F811
    embedded_artworks(3)
    gone = subprocess.Popen(["true"])
    gone.wait()
    abandoned = Path(tempfile.gettempdir()) / f"artsearch-metrics-{gone.pid}-killed"  # a killed master's folder
    abandoned.mkdir()
    (abandoned / "histogram_1.db").write_bytes(b"")
    process, base = gunicorn(CLIP_THREADS="1")
    first, second = _workers(process.pid)
    assert not abandoned.exists()  # each start has a fresh folder, and removes those of masters that are gone

    def search_with_only(worker: int, times: int) -> None:
        """Searches that `worker` alone can answer: the other is stopped, and it takes every new connection."""
        other = second if worker == first else first
        os.kill(other, signal.SIGSTOP)
        try:
            for _ in range(times):
                response = requests.get(f"{base}/api/search", params={"q": "a stormy sea"}, timeout=60)
                assert response.status_code == 200
        finally:
            os.kill(other, signal.SIGCONT)

    search_with_only(first, 2)
    search_with_only(second, 3)

    for _ in range(4):  # whichever worker answers the scrape reports both
        samples = parse(requests.get(f"{base}/metrics", timeout=60).text)
        assert searches(samples, "text") == 5
