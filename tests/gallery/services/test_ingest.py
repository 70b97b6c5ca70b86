"""Ingest services against the real database, the real redis broker and the real (untrained) CLIP encoder."""

from datetime import timedelta

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gallery.clip import EMBEDDING_DIM
from gallery.models import Artwork
from gallery.services import ingest
from tests.helpers import celery_broker, image_upload, make_image_bytes, stored_files

pytestmark = pytest.mark.django_db


def test_embedding_is_queued_only_after_commit(artist, broker_queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        artwork = ingest.artwork_create(artist=artist, title="Irises", image=image_upload(seed=1))
        assert broker_queue.jobs() == []  # nothing leaves the process before commit
    assert broker_queue.jobs() == [[artwork.pk]]


def test_nothing_is_queued_when_the_transaction_rolls_back(artist, broker_queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ingest.artwork_create(artist=artist, title="Irises", image=image_upload(seed=1))
    assert len(callbacks) == 1 and broker_queue.jobs() == []


@pytest.mark.parametrize("payload, message", [
    (b"", "empty"),
    (b"GIF89a" + b"\0" * 100, "not an image"),
    (make_image_bytes(seed=1)[:2000], "damaged"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "script content"),
])
def test_bad_uploads_are_refused_and_leave_nothing(artist, tmp_path, payload, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError, match=message):
        ingest.artwork_create(artist=artist, title="Bad", image=SimpleUploadedFile("bad.jpg", payload))
    assert not Artwork.objects.exists()
    assert stored_files(tmp_path) == []


def test_oversized_upload_is_refused(artist, settings):
    settings.GALLERY_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationError, match="limit"):
        ingest.artwork_create(artist=artist, title="Big", image=image_upload(seed=1))


def test_too_many_pixels_is_refused_before_decoding(artist, settings):
    settings.GALLERY_MAX_IMAGE_PIXELS = 100 * 100
    with pytest.raises(ValidationError, match="megapixels"):
        ingest.artwork_create(artist=artist, title="Huge", image=image_upload(seed=1, size=(200, 200)))


def test_artworks_embed_stores_unit_vectors_with_the_model_identity(artist, clip_encoder):
    artworks = [ingest.artwork_create(artist=artist, title=f"W{n}", image=image_upload(seed=n)) for n in range(3)]
    counts = ingest.artworks_embed(artwork_ids=[a.pk for a in artworks], encoder=clip_encoder)
    assert counts == {"embedded": 3, "skipped": 0, "failed": 0}
    for artwork in Artwork.objects.all():
        vector = np.asarray(artwork.embedding)
        assert vector.shape == (EMBEDDING_DIM,)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)
        assert artwork.status == Artwork.Status.READY
        assert artwork.embedding_model == clip_encoder.model_id == "ViT-B-32/untrained-seed0"


def test_artworks_embed_is_idempotent(artist, clip_encoder):
    artwork = ingest.artwork_create(artist=artist, title="W", image=image_upload(seed=1))
    ingest.artworks_embed(artwork_ids=[artwork.pk], encoder=clip_encoder)
    first = Artwork.objects.get(pk=artwork.pk)
    assert ingest.artworks_embed(artwork_ids=[artwork.pk], encoder=clip_encoder) == {
        "embedded": 0, "skipped": 1, "failed": 0}
    assert Artwork.objects.get(pk=artwork.pk).updated_at == first.updated_at


def test_a_damaged_stored_file_fails_only_its_own_row(artist, clip_encoder):
    good = ingest.artwork_create(artist=artist, title="Good", image=image_upload(seed=1))
    bad = ingest.artwork_create(artist=artist, title="Bad", image=image_upload(seed=2))
    with open(bad.image.path, "r+b") as handle:  # the file rots in storage after it was accepted
        handle.truncate(1500)
    counts = ingest.artworks_embed(artwork_ids=[good.pk, bad.pk], encoder=clip_encoder)
    assert counts == {"embedded": 1, "skipped": 0, "failed": 1}
    bad.refresh_from_db()
    assert bad.status == Artwork.Status.FAILED and "damaged" in bad.failure_reason
    assert Artwork.objects.get(pk=good.pk).status == Artwork.Status.READY


def test_reembedding_does_not_apply_todays_upload_limits_to_stored_files(artist, clip_encoder, settings):
    stored = [ingest.artwork_create(artist=artist, title=f"Accepted {n}", image=image_upload(seed=n, size=(900, 700)))
              for n in range(2)]
    # Limits lowered after these were accepted: too many bytes, too many pixels, and a scan for markup.
    settings.GALLERY_MAX_UPLOAD_BYTES = 1000
    settings.GALLERY_MAX_IMAGE_PIXELS = 100_000
    counts = ingest.artworks_embed(artwork_ids=[a.pk for a in stored], encoder=clip_encoder)
    assert counts == {"embedded": 2, "skipped": 0, "failed": 0}
    assert {a.status for a in Artwork.objects.all()} == {Artwork.Status.READY}
    with pytest.raises(ValidationError):  # new uploads do meet the new limits
        ingest.artwork_create(artist=artist, title="New", image=image_upload(seed=9, size=(900, 700)))


def test_a_missing_file_fails_with_a_reason(artist, clip_encoder):
    artwork = ingest.artwork_create(artist=artist, title="Gone", image=image_upload(seed=1))
    artwork.image.storage.delete(artwork.image.name)
    ingest.artworks_embed(artwork_ids=[artwork.pk], encoder=clip_encoder)
    artwork.refresh_from_db()
    assert artwork.status == Artwork.Status.FAILED and "missing" in artwork.failure_reason


def test_replacing_an_image_resets_the_vector_and_deletes_the_old_files(artist, clip_encoder, tmp_path,
                                                                         django_capture_on_commit_callbacks):
    artwork = ingest.artwork_create(artist=artist, title="W", image=image_upload(seed=1))
    ingest.artworks_embed(artwork_ids=[artwork.pk], encoder=clip_encoder)
    old_files = stored_files(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        artwork = Artwork.objects.get(pk=artwork.pk)
        ingest.artwork_store(artwork=artwork, image=image_upload(seed=2), enqueue=False)
    artwork.refresh_from_db()
    assert artwork.status == Artwork.Status.PENDING and artwork.embedding is None
    assert not set(old_files) & set(stored_files(tmp_path)) and len(stored_files(tmp_path)) == 2


def test_deleting_an_artwork_deletes_its_files_after_commit(artist, tmp_path, django_capture_on_commit_callbacks):
    artwork = ingest.artwork_create(artist=artist, title="W", image=image_upload(seed=1))
    assert len(stored_files(tmp_path)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        artwork.delete()
    assert stored_files(tmp_path) == []


def test_reembed_and_stale_selection(artist, clip_encoder, broker_queue, django_capture_on_commit_callbacks):
    current = ingest.artwork_create(artist=artist, title="Current", image=image_upload(seed=1))
    old = ingest.artwork_create(artist=artist, title="Old", image=image_upload(seed=2))
    ingest.artworks_embed(artwork_ids=[current.pk, old.pk], encoder=clip_encoder)
    Artwork.objects.filter(pk=old.pk).update(embedding_model="ViT-B-32/some-older-weights")
    stale = ingest.artworks_stale_for(clip_encoder.model_id)
    assert list(stale) == [Artwork.objects.get(pk=old.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest.artworks_reembed(queryset=stale) == 1
    assert broker_queue.jobs() == [[old.pk]]
    assert Artwork.objects.get(pk=old.pk).status == Artwork.Status.PENDING


def test_requeue_stuck_takes_only_rows_waiting_too_long(artist, broker_queue, django_capture_on_commit_callbacks):
    stuck = ingest.artwork_create(artist=artist, title="Stuck", image=image_upload(seed=1), enqueue=False)
    fresh = ingest.artwork_create(artist=artist, title="Fresh", image=image_upload(seed=2), enqueue=False)
    Artwork.objects.filter(pk=stuck.pk).update(status=Artwork.Status.PROCESSING,
                                               updated_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest.artworks_requeue_stuck(older_than=timedelta(minutes=15)) == 1
    assert broker_queue.jobs() == [[stuck.pk]]
    assert fresh.pk not in broker_queue.jobs()[0]


def test_a_broker_outage_keeps_the_upload_pending(artist, django_capture_on_commit_callbacks, caplog):
    with celery_broker("redis://127.0.0.1:9/0"):  # port 9: nothing listens
        with django_capture_on_commit_callbacks(execute=True):
            artwork = ingest.artwork_create(artist=artist, title="Saved anyway", image=image_upload(seed=1))
    assert Artwork.objects.get(pk=artwork.pk).status == Artwork.Status.PENDING
    assert "sweeper will retry" in caplog.text
