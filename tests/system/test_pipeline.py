"""The ingestion pipeline end to end: a real Celery worker process, the real redis broker, the real database."""

import signal
from datetime import timedelta

import numpy as np
import pytest
from django.core.management import call_command

from gallery.clip import EMBEDDING_DIM
from gallery.models import Artwork
from gallery.services import ingest
from tests.dataset_fixtures import build_collection
from tests.helpers import image_upload, wait_for

pytestmark = pytest.mark.slow


def settled(expected: int) -> bool:
    """All `expected` rows have left pending/processing."""
    return Artwork.objects.count() == expected and not Artwork.objects.awaiting_embedding().exists()


def test_imported_artworks_are_embedded_by_the_worker_and_a_damaged_file_fails(start_worker, tmp_path, clip_encoder,
                                                                             artist):
    worker = start_worker()
    root = build_collection(tmp_path / "collection", folders={"Claude_Monet": 2, "Edgar_Degas": 2, "Raphael": 2})
    damaged = ingest.artwork_create(artist=artist, title="Damaged", image=image_upload(seed=7), enqueue=False)
    with open(damaged.image.path, "r+b") as handle:  # the stored file rots before the worker reads it
        handle.truncate(1200)
    call_command("import_artworks", str(root), verbosity=0)
    ingest.artworks_reembed(queryset=Artwork.objects.filter(pk=damaged.pk))

    wait_for(lambda: settled(7), timeout=180, what="the worker to embed the import\n" + worker.log_path.name)
    damaged.refresh_from_db()
    assert damaged.status == Artwork.Status.FAILED and "damaged" in damaged.failure_reason
    ready = Artwork.objects.exclude(pk=damaged.pk)
    assert ready.count() == 6
    for artwork in ready:
        vector = np.asarray(artwork.embedding)
        assert artwork.status == Artwork.Status.READY
        assert vector.shape == (EMBEDDING_DIM,)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)
        assert artwork.embedding_model == clip_encoder.model_id
    # The worker's vectors are the ones this process computes: both load the same deterministic weights.
    sample = ready.first()
    with sample.image.open("rb") as handle:
        from PIL import Image

        expected = clip_encoder.encode_images([Image.open(handle).convert("RGB")])[0]
    assert float(np.dot(expected, np.asarray(sample.embedding))) > 0.999


def test_rows_of_a_killed_worker_are_recovered_by_the_sweeper(start_worker, tmp_path):
    worker = start_worker()
    root = build_collection(tmp_path / "collection",
                            folders={"Claude_Monet": 12, "Edgar_Degas": 12, "Raphael": 12, "Titian": 4})
    call_command("import_artworks", str(root), verbosity=0)
    wait_for(lambda: Artwork.objects.filter(status=Artwork.Status.PROCESSING).exists(), timeout=120, interval=0.05,
             what="the worker to start a batch")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    stranded = Artwork.objects.awaiting_embedding().count()
    assert stranded > 0

    start_worker()
    requeued = ingest.artworks_requeue_stuck(older_than=timedelta(0))
    assert requeued == stranded
    wait_for(lambda: settled(40), timeout=240, what="the new worker to finish the stranded rows")
    assert Artwork.objects.filter(status=Artwork.Status.READY).count() == 40
    assert Artwork.objects.values("image_sha256").distinct().count() == 40  # no duplicate rows
