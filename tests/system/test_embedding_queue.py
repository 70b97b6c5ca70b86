"""Embedding jobs have their own Celery queue: a worker of the other queues leaves them waiting, a worker of that
queue alone (as on a GPU machine) embeds them; real workers, the real redis broker, the real database."""

from __future__ import annotations

import time

import pytest
import redis
from django.conf import settings

from gallery.models import Artwork
from gallery.services import ingest
from tests.helpers import image_upload, wait_for

pytestmark = pytest.mark.slow


def test_only_a_worker_of_the_embedding_queue_embeds(start_worker, artist):
    general = start_worker(queues="celery")
    artwork = ingest.artwork_create(artist=artist, title="Queued", image=image_upload(seed=11))  # queued on commit
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    wait_for(lambda: broker.llen(settings.GALLERY_EMBEDDING_QUEUE) == 1, timeout=10, what="the job in its queue")
    time.sleep(3)  # time enough for the general worker to have taken it, were it its queue
    artwork.refresh_from_db()
    assert artwork.status == Artwork.Status.PENDING and broker.llen(settings.GALLERY_EMBEDDING_QUEUE) == 1

    embedder = start_worker(queues=settings.GALLERY_EMBEDDING_QUEUE)
    wait_for(lambda: Artwork.objects.get(pk=artwork.pk).status == Artwork.Status.READY, timeout=120,
             what="the embedding worker to embed it")
    received = "Task gallery.tasks.artworks_embed["  # the worker's log line for a job it took (not its task list)
    assert received in embedder.log_path.read_text() and received not in general.log_path.read_text()
