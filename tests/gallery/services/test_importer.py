"""The bulk import: batches stored together, and `--sync` vectors equal to the ones the worker path would store."""

import shutil
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
from tests.helpers import DATASET, reproduction_upload

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


def test_a_sync_import_hands_the_encoder_a_small_first_batch(kaggle_folder_of_40):
    """The encoder waits for the first stored batch: 8 files start it, then batches of 32."""
    with CaptureQueriesContext(connection) as queries:
        report = importer.dataset_import(root=kaggle_folder_of_40, sync=True)

    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "gallery_artwork"')]
    assert report.imported == report.embedded == 40
    assert [sql.count("'pending'") for sql in inserts] == [importer.FIRST_SYNC_BATCH, ingest.EMBED_BATCH_SIZE]


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
    assert report.imported == 1 and len(report.near_duplicates) == 1  # kept (the default), and reported
    (found,) = report.near_duplicates
    assert found.where.endswith("Claude_Monet_900.jpg") and f"#{original.pk}" in found.twin
    assert (found.twin_pk, found.action) == (original.pk, "kept") and found.distance <= 30


@pytest.fixture
def a_copy_of_a_stored_work(kaggle_folder_of_40, tmp_path):
    """Four works imported, then a folder holding a reproduction of the first and a new painting."""
    importer.dataset_import(root=kaggle_folder_of_40, limit=4)
    original = Artwork.objects.order_by("pk").first()
    folder = tmp_path / "more" / "images" / "Claude_Monet"
    folder.mkdir(parents=True)
    (folder / "Claude_Monet_900.jpg").write_bytes(reproduction_upload(original).read())
    shutil.copy(sorted((DATASET / "images" / "Claude_Monet").iterdir())[-1], folder / "Claude_Monet_901.jpg")
    return original, tmp_path / "more"


def test_skip_leaves_the_copy_out_and_a_rerun_changes_nothing(a_copy_of_a_stored_work):
    original, root = a_copy_of_a_stored_work
    report = importer.dataset_import(root=root, on_duplicate="skip")
    assert report.imported == 1 and [(f.twin_pk, f.action) for f in report.near_duplicates] == [(original.pk,
                                                                                                  "skipped")]
    assert Artwork.objects.count() == 5
    again = importer.dataset_import(root=root, on_duplicate="skip")
    assert (again.imported, again.skipped, len(again.near_duplicates)) == (0, 1, 1) and Artwork.objects.count() == 5


def test_replace_puts_the_copy_on_the_stored_work_and_a_rerun_changes_nothing(
        a_copy_of_a_stored_work, django_capture_on_commit_callbacks):
    original, root = a_copy_of_a_stored_work
    with django_capture_on_commit_callbacks(execute=True):
        report = importer.dataset_import(root=root, on_duplicate="replace")
    assert report.imported == 1 and report.replaced_ids == [original.pk]
    replaced = Artwork.objects.get(pk=original.pk)
    assert replaced.title == original.title and replaced.image_sha256 != original.image_sha256
    assert replaced.image_sha256 == images.sha256_of(open(root / "images" / "Claude_Monet" / "Claude_Monet_900.jpg",
                                                          "rb"))
    assert Artwork.objects.count() == 5
    again = importer.dataset_import(root=root, on_duplicate="replace")
    assert (again.imported, again.skipped, again.near_duplicates, again.replaced_ids) == (0, 2, [], [])


def test_two_copies_in_one_import_the_first_wins(tmp_path):
    """The second file looks like the first, which waits in the same batch, not yet stored, when it is read."""
    import io

    from PIL import Image

    painting = sorted((DATASET / "images" / "Claude_Monet").iterdir())[0]
    folder = tmp_path / "twins" / "images" / "Claude_Monet"
    folder.mkdir(parents=True)
    shutil.copy(painting, folder / "Claude_Monet_1.jpg")
    picture = Image.open(painting).convert("RGB")
    buffer = io.BytesIO()
    picture.resize((picture.width * 15 // 16, picture.height * 15 // 16)).save(buffer, "JPEG", quality=75)
    (folder / "Claude_Monet_2.jpg").write_bytes(buffer.getvalue())
    report = importer.dataset_import(root=tmp_path / "twins", on_duplicate="replace")
    first = Artwork.objects.get()
    assert report.imported == 1 and first.title.endswith("1") and report.replaced_ids == []
    assert [(f.where.rsplit("/", 1)[-1], f.twin_pk, f.action) for f in report.near_duplicates] == [
        ("Claude_Monet_2.jpg", first.pk, "skipped")]
