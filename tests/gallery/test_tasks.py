"""Tasks called in-process, as the worker would call them."""

import pytest

from gallery import tasks
from gallery.models import Artwork
from gallery.services import ingest
from tests.helpers import image_upload

pytestmark = pytest.mark.django_db


def test_embed_task_embeds_then_is_a_no_op(artist):
    artwork = ingest.artwork_create(artist=artist, title="W", image=image_upload(seed=1))
    assert tasks.artworks_embed([artwork.pk]) == {"embedded": 1, "skipped": 0, "failed": 0}
    assert tasks.artworks_embed([artwork.pk]) == {"embedded": 0, "skipped": 1, "failed": 0}
    assert Artwork.objects.get(pk=artwork.pk).status == Artwork.Status.READY


def test_embed_task_for_a_deleted_row_does_nothing(artist):
    assert tasks.artworks_embed([987654]) == {"embedded": 0, "skipped": 1, "failed": 0}


def test_on_failure_marks_every_row_of_the_batch_failed(artist):
    artworks = [ingest.artwork_create(artist=artist, title=f"W{n}", image=image_upload(seed=n)) for n in range(2)]
    ids = [a.pk for a in artworks]
    tasks.artworks_embed.on_failure(RuntimeError("worker gave up"), "task-id", (ids,), {}, None)
    for artwork in Artwork.objects.filter(pk__in=ids):
        assert artwork.status == Artwork.Status.FAILED and "worker gave up" in artwork.failure_reason


def test_retry_policy_covers_transient_errors_only():
    from django.db import OperationalError

    assert OperationalError in tasks.artworks_embed.autoretry_for
    assert ValueError not in tasks.artworks_embed.autoretry_for
    assert tasks.artworks_embed.acks_late and tasks.artworks_embed.max_retries == 6


def test_no_task_outlives_the_time_redis_waits_before_giving_its_message_to_another_worker(settings):
    from artsearch.celery import app

    app.loader.import_default_modules()
    ours = [task for name, task in app.tasks.items() if name.startswith("gallery.")]
    assert len(ours) >= 5 and tasks.collection_import_run.time_limit >= 6 * 60 * 60  # a collection takes hours
    longest = max(task.time_limit or settings.CELERY_TASK_TIME_LIMIT for task in ours)
    assert longest < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


@pytest.mark.django_db
def test_an_import_job_that_stops_on_the_worker_says_so_on_its_page():
    from celery.exceptions import SoftTimeLimitExceeded

    from gallery.models import CollectionImport

    job = CollectionImport.objects.create(export="imports/big.csv", export_name="big.csv",
                                          status=CollectionImport.Status.RUNNING)
    tasks.collection_import_run.on_failure(SoftTimeLimitExceeded(), "task-id", (job.pk,), {}, None)
    job.refresh_from_db()
    assert job.status == CollectionImport.Status.FAILED and "SoftTimeLimitExceeded" in job.message
    assert "add the same files (or URL) again" in job.message


def test_every_periodic_job_names_a_task_of_the_worker(settings):
    from artsearch.celery import app

    app.loader.import_default_modules()
    assert {"gallery.tasks.search_words_recount", "gallery.tasks.collection_map_refresh"} <= {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert all(entry["task"] in app.tasks for entry in settings.CELERY_BEAT_SCHEDULE.values())


def test_the_lexicon_recount_task_drops_the_words_no_document_has(artist):
    from gallery.models import SearchWord
    from gallery.services import keywords

    artwork = ingest.artwork_create(artist=artist, title="Wheatfield", image=image_upload(seed=3))
    assert SearchWord.objects.filter(word="wheatfield").exists()  # written with the document
    Artwork.objects.filter(pk=artwork.pk).update(title="Irises")
    keywords.artworks_index_text(artwork_ids=[artwork.pk])
    assert tasks.search_words_recount() == SearchWord.objects.count()
    assert SearchWord.objects.filter(word="irises").exists() and not SearchWord.objects.filter(word="wheatfield").exists()
