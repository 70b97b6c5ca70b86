"""Deep-zoom tiles made and deleted by a real Celery worker process (real redis broker, real database, local media)."""

import json

import pytest

from gallery.services import iiif, ingest
from tests.helpers import image_upload, wait_for

pytestmark = pytest.mark.slow


def test_the_worker_tiles_a_new_picture_after_embedding_it_and_deletes_the_tiles_with_the_work(start_worker, tmp_path,
                                                                                            artist):
    worker = start_worker()
    artwork = ingest.artwork_create(artist=artist, title="Tiled", image=image_upload(seed=3, size=(1500, 1000)))
    info = tmp_path / "media" / iiif.tiles_folder(artwork) / "info.json"
    wait_for(info.exists, timeout=180, what="the worker to make the tiles\n" + worker.log_path.name)
    assert json.loads(info.read_text())["tiles"][0]["scaleFactors"] == [1, 2, 4]
    assert iiif.artwork_service_url(artwork) == f"/{iiif.tiles_folder(artwork)}"

    pk = artwork.pk
    artwork.delete()  # autocommit: the deletion is queued at once
    wait_for(lambda: not (tmp_path / "media" / "iiif" / str(pk)).exists(), timeout=60,
             what="the worker to delete the tiles\n" + worker.log_path.name)
