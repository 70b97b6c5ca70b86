"""The pipelined `--sync` import: vectors computed beside storing must be the ones the worker path would store."""

import numpy as np
import pytest

from gallery import images
from gallery.models import Artwork
from gallery.services import importer, ingest
from tests.dataset_fixtures import build_collection

pytestmark = pytest.mark.django_db


@pytest.fixture
def collection(tmp_path):
    # 40 images: more than one 32-image batch, so two batches are in flight at once.
    return build_collection(tmp_path / "collection", folders={"Claude_Monet": 12, "Edgar_Degas": 12, "Raphael": 12,
                                                              "Titian": 4})


def worker_path_vectors(encoder, artworks) -> np.ndarray:
    """What ingest.artworks_embed computes: the stored copy, decoded by check_image, encoded in one batch."""
    decoded = []
    for artwork in artworks:
        with artwork.image.open("rb") as handle:
            decoded.append(images.check_image(handle).image)
    return encoder.encode_images(decoded)


def test_sync_import_stores_the_vectors_the_worker_would(collection, clip_encoder):
    report = importer.dataset_import(root=collection, sync=True)

    assert report.imported == report.embedded == 40
    artworks = list(Artwork.objects.order_by("pk"))
    assert {artwork.status for artwork in artworks} == {Artwork.Status.READY}
    assert {artwork.embedding_model for artwork in artworks} == {clip_encoder.model_id}
    stored = np.array([artwork.embedding for artwork in artworks], dtype=np.float32)
    expected = worker_path_vectors(clip_encoder, artworks)
    assert float(np.min(np.sum(stored * expected, axis=1))) >= 0.999  # bf16 batches may be split differently


def test_a_source_file_changed_after_storing_falls_back_to_the_stored_copy(collection, clip_encoder, monkeypatch):
    encode_in_thread = importer._decode_and_encode

    def source_damaged_meanwhile(encoder, paths):
        paths[0].write_bytes(b"not an image any more")  # the stored copy, written earlier, is intact
        return encode_in_thread(encoder, paths)

    monkeypatch.setattr(importer, "_decode_and_encode", source_damaged_meanwhile)
    fallback = []
    monkeypatch.setattr(ingest, "artworks_embed",
                        lambda **kwargs: fallback.append(kwargs["artwork_ids"]) or {"embedded": 1})

    report = importer.dataset_import(root=collection, sync=True)

    assert report.imported == report.embedded == 40
    assert len(fallback) == 2  # one damaged source per batch went through the worker path instead
    assert Artwork.objects.filter(status=Artwork.Status.READY).count() == 38


def test_an_encoder_failure_surfaces_and_leaves_rows_pending(collection, monkeypatch):
    def broken(encoder, paths):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(importer, "_decode_and_encode", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        importer.dataset_import(root=collection, sync=True)
    assert set(Artwork.objects.values_list("status", flat=True)) == {Artwork.Status.PENDING}
