"""The bulk import: batches stored together, and `--sync` vectors equal to the ones the worker path would store."""

from pathlib import Path

import numpy as np
import pytest
from django.core.files import File
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gallery import images
from gallery.models import Artist, Artwork
from gallery.services import importer, ingest
from tests.dataset_fixtures import build_collection
from tests.helpers import reproduction_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def kaggle_folder_of_40(tmp_path):
    """A Kaggle-layout folder of 40 shared images by four artists."""
    # 40 images: more than one 32-image batch, so two batches are in flight at once.
    return build_collection(tmp_path / "collection", folders={"Claude_Monet": 12, "Edgar_Degas": 12, "Raphael": 12,
                                                              "Titian": 4})


def worker_path_vectors(encoder, artworks) -> np.ndarray:
    """What ingest.artworks_embed computes: the stored copy, decoded for encoding, encoded in one batch."""
    decoded = []
    for artwork in artworks:
        with artwork.image.open("rb") as handle:
            decoded.append(images.open_for_encoding(handle))
    return encoder.encode_images(decoded)


def test_sync_import_stores_the_vectors_the_worker_would(kaggle_folder_of_40, clip_encoder):
    report = importer.dataset_import(root=kaggle_folder_of_40, sync=True)

    assert report.imported == report.embedded == 40
    artworks = list(Artwork.objects.order_by("pk"))
    assert {artwork.status for artwork in artworks} == {Artwork.Status.READY}
    assert {artwork.embedding_model for artwork in artworks} == {clip_encoder.model_id}
    stored = np.array([artwork.embedding for artwork in artworks], dtype=np.float32)
    expected = worker_path_vectors(clip_encoder, artworks)
    assert float(np.min(np.sum(stored * expected, axis=1))) >= 0.999  # bf16 batches may be split differently


def test_each_batch_is_stored_with_one_insert(kaggle_folder_of_40):
    with CaptureQueriesContext(connection) as queries:
        report = importer.dataset_import(root=kaggle_folder_of_40)

    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "gallery_artwork"')]
    assert report.imported == 40 and len(inserts) == 2  # 32 + 8
    assert Artwork.objects.count() == 40


def test_a_file_stored_meanwhile_by_someone_else_fails_alone(kaggle_folder_of_40, settings):
    raced = []

    def upload_during_the_batch(items, total):
        for number, item in enumerate(items):
            if number == 10:  # the 4th file is prepared, its batch not stored yet: a curator uploads the same file
                raced.append(str(item_paths[3]))
                ingest.artwork_create(artist=Artist.objects.create(name="Curator's pick"), title="Same file",
                                      image=File(item_paths[3].open("rb"), name="same.jpg"), enqueue=False)
            item_paths.append(item.path)
            yield item

    item_paths = []
    report = importer.dataset_import(root=kaggle_folder_of_40, progress=upload_during_the_batch)

    assert report.imported == 39 and [path for path, _ in report.failed] == raced
    assert "already in the collection" in report.failed[0][1]
    assert Artwork.objects.count() == 40
    # Every stored file belongs to a row: the batch that failed left no orphan behind.
    rows = {name for pair in Artwork.objects.values_list("image", "thumbnail") for name in pair}
    media = Path(settings.MEDIA_ROOT)
    assert {str(path.relative_to(media)) for path in media.rglob("*") if path.is_file()} == rows


def test_an_encoder_failure_surfaces_and_leaves_rows_pending(kaggle_folder_of_40, clip_encoder, monkeypatch):
    def broken(images):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(clip_encoder, "encode_images", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        importer.dataset_import(root=kaggle_folder_of_40, sync=True)
    assert set(Artwork.objects.values_list("status", flat=True)) == {Artwork.Status.PENDING}


def test_pictures_that_look_like_stored_works_are_reported(kaggle_folder_of_40, tmp_path):
    importer.dataset_import(root=kaggle_folder_of_40, limit=4)
    original = Artwork.objects.order_by("pk").first()
    folder = tmp_path / "more" / "images" / "Claude_Monet"
    folder.mkdir(parents=True)
    (folder / "Claude_Monet_900.jpg").write_bytes(reproduction_upload(original).read())
    report = importer.dataset_import(root=tmp_path / "more")
    assert report.imported == 1 and len(report.near_duplicates) == 1  # kept, and reported
    file, twin = report.near_duplicates[0]
    assert file.endswith("Claude_Monet_900.jpg") and f"#{original.pk}" in twin
