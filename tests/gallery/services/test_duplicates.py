"""Near-duplicates: a new picture that looks like a stored work waits for the curator's choice (keep both, skip,
replace), and the review page's pairs. Real pictures from the shared dataset (distinct paintings are far more than 30
bits apart there) and reproductions of them."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile

from gallery import images
from gallery.models import Artwork, DismissedDuplicate, OnDuplicate
from gallery.services import duplicates, ingest, keywords, recognition
from tests.gallery.services.helpers import unit_vector
from tests.helpers import DATASET, reproduction_upload, stored_files

pytestmark = pytest.mark.django_db
PAINTINGS = sorted((DATASET / "images" / "Claude_Monet").iterdir())


def painting(n: int) -> File:
    return ContentFile(PAINTINGS[n].read_bytes(), name=PAINTINGS[n].name)


@pytest.fixture
def original(artist):
    artwork = Artwork(artist=artist, title="Water Lilies", accession_number="M-1", date="1906")
    return ingest.artwork_store(artwork=artwork, image=painting(0), enqueue=False)


def new_work(artist, title="Copy") -> Artwork:
    return Artwork(artist=artist, title=title)


def test_a_picture_like_a_stored_work_is_not_stored_until_the_curator_chooses(artist, original, tmp_path):
    before = stored_files(tmp_path)
    with pytest.raises(duplicates.NearDuplicateFound) as found:
        duplicates.artwork_add(artwork=new_work(artist), image=reproduction_upload(original))
    assert found.value.twin == original and found.value.twin.hamming <= recognition.NEAR_DUPLICATE_MAX_BITS
    assert Artwork.objects.count() == 1 and stored_files(tmp_path) == before  # nothing half-written


def test_a_choice_made_for_another_work_asks_again(artist, original):
    with pytest.raises(duplicates.NearDuplicateFound):
        duplicates.artwork_add(artwork=new_work(artist), image=reproduction_upload(original),
                               on_duplicate=OnDuplicate.KEEP, twin_pk=original.pk + 1000)


def test_the_very_same_file_is_refused_with_nothing_to_choose(artist, original):
    with pytest.raises(ValidationError, match="already in the collection"):
        duplicates.artwork_add(artwork=new_work(artist), image=painting(0), on_duplicate=OnDuplicate.KEEP)


def test_a_distinct_picture_is_stored_without_asking(artist, original):
    outcome = duplicates.artwork_add(artwork=new_work(artist, "Haystacks"), image=painting(1))
    assert outcome.action == "created" and outcome.twin is None and Artwork.objects.count() == 2


def test_skip_keeps_one_row(artist, original, tmp_path):
    before = stored_files(tmp_path)
    outcome = duplicates.artwork_add(artwork=new_work(artist), image=reproduction_upload(original),
                                     on_duplicate=OnDuplicate.SKIP, twin_pk=original.pk)
    assert (outcome.action, outcome.artwork) == ("skipped", original)
    assert list(Artwork.objects.all()) == [original] and stored_files(tmp_path) == before


def test_keep_both_makes_two_rows(artist, original):
    outcome = duplicates.artwork_add(artwork=new_work(artist), image=reproduction_upload(original),
                                     on_duplicate=OnDuplicate.KEEP, twin_pk=original.pk)
    assert outcome.action == "kept" and outcome.twin == original
    assert Artwork.objects.count() == 2 and outcome.artwork.pk != original.pk


def test_replace_keeps_the_id_record_and_url_with_the_new_picture_and_no_orphan_file(
        artist, original, tmp_path, django_capture_on_commit_callbacks):
    Artwork.objects.filter(pk=original.pk).update(embedding=unit_vector(0).tolist(), embedding_model="m",
                                                  status=Artwork.Status.READY)
    url, old_files = original.get_absolute_url(), stored_files(tmp_path)
    upload = reproduction_upload(original)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = duplicates.artwork_add(artwork=new_work(artist, "Ignored title"), image=upload,
                                         on_duplicate=OnDuplicate.REPLACE, twin_pk=original.pk)
        assert all(path.exists() for path in old_files)  # deleted only once the transaction commits
    replaced = Artwork.objects.get()
    assert outcome.action == "replaced" and replaced.pk == original.pk and replaced.get_absolute_url() == url
    assert (replaced.title, replaced.accession_number, replaced.date) == ("Water Lilies", "M-1", "1906")
    upload.seek(0)
    checked = images.check_image(upload)
    assert replaced.image_sha256 == checked.sha256 != original.image_sha256
    assert replaced.perceptual_hash == images.perceptual_hash(checked.image)
    assert replaced.status == Artwork.Status.PENDING and replaced.embedding is None  # embedded again
    assert stored_files(tmp_path) == sorted([tmp_path / "media" / replaced.image.name,
                                             tmp_path / "media" / replaced.thumbnail.name])


def test_a_replace_that_fails_leaves_the_stored_work_and_its_files_as_they_were(
        artist, original, tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    before = stored_files(tmp_path)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(keywords, "artworks_index_text", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        duplicates.artwork_add(artwork=new_work(artist), image=reproduction_upload(original),
                               on_duplicate=OnDuplicate.REPLACE, twin_pk=original.pk)
    original_row = Artwork.objects.get()
    assert (original_row.image_sha256, original_row.image.name) == (original.image_sha256, original.image.name)
    assert stored_files(tmp_path) == before


def test_a_kept_upload_comes_back_once(artist):
    from django.core.files.uploadedfile import SimpleUploadedFile

    token = duplicates.upload_stash(SimpleUploadedFile("x.jpg", b"picture bytes"))
    kept = duplicates.upload_unstash(token)
    assert (kept.name, kept.read()) == ("x.jpg", b"picture bytes")
    duplicates.upload_forget(token)
    assert duplicates.upload_unstash(token) is None and duplicates.upload_unstash("") is None


# --- The review page's pairs ---------------------------------------------------------------------------------------

def test_the_review_lists_a_seeded_pair_once_and_dismissing_hides_it_until_a_new_picture(artist, original):
    copy = ingest.artwork_store(artwork=new_work(artist), image=reproduction_upload(original), enqueue=False)
    ingest.artwork_store(artwork=new_work(artist, "Haystacks"), image=painting(1), enqueue=False)
    (pair,) = duplicates.review_pairs().pairs
    distance = recognition.hamming_distance(original.perceptual_hash, copy.perceptual_hash)
    assert (pair.artwork_id, pair.other_id, pair.distance, pair.borderline) == (original.pk, copy.pk, distance, False)
    assert pair.similarity is None  # no vectors yet
    duplicates.pair_dismiss(artwork_id=copy.pk, other_id=original.pk)
    duplicates.pair_dismiss(artwork_id=original.pk, other_id=copy.pk)  # idempotent, either order
    assert DismissedDuplicate.objects.count() == 1 and duplicates.review_pairs().pairs == []
    ingest.artwork_store(artwork=copy, image=_recompressed(copy), enqueue=False)
    assert [(p.artwork_id, p.other_id) for p in duplicates.review_pairs().pairs] == [(original.pk, copy.pk)]


def test_a_large_collection_s_pairs_are_computed_by_a_worker(artist, original, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from gallery import tasks

    copy = ingest.artwork_store(artwork=new_work(artist), image=reproduction_upload(original), enqueue=False)
    monkeypatch.setattr(duplicates, "REVIEW_INLINE_MAX_ROWS", 1)
    cache.delete_many([duplicates._REFRESHING_KEY, duplicates._PAIRS_KEY])  # what earlier tests left
    with django_capture_on_commit_callbacks() as callbacks:
        first = duplicates.review_pairs()
        assert duplicates.review_pairs().refreshing  # asked twice, queued once
    assert first.refreshing and first.pairs == [] and len(callbacks) == 1
    assert tasks.duplicate_pairs_refresh() == 1  # what the queued task runs in the worker
    review = duplicates.review_pairs()
    assert not review.refreshing and [(p.artwork_id, p.other_id) for p in review.pairs] == [(original.pk, copy.pk)]


def _recompressed(artwork: Artwork) -> File:
    import io

    from PIL import Image

    with artwork.image.open("rb") as handle:
        picture = Image.open(handle).convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=55)
    return ContentFile(buffer.getvalue(), name="recompressed.jpg")


def _hashed(artist, hashes_and_vectors, model_id="test/one-hot"):
    return Artwork.objects.bulk_create(
        Artwork(artist=artist, title=f"H{n}", image=f"h{n}.jpg", image_sha256=f"{n:064d}", perceptual_hash=h,
                embedding=None if v is None else v.tolist(), embedding_model=model_id if v is not None else "",
                status=Artwork.Status.READY if v is not None else Artwork.Status.PENDING)
        for n, (h, v) in enumerate(hashes_and_vectors))


def _flip(hex_hash: str, count: int) -> str:
    return f"{int(hex_hash, 16) ^ ((1 << count) - 1):032x}"


@pytest.mark.parametrize("model_id, other_vector, listed", [
    ("test/one-hot", unit_vector(0), True),  # the vectors agree: a borderline pair worth a look
    ("test/one-hot", unit_vector(1), False),  # they disagree: left out
    ("ViT-B-32/untrained-seed0", unit_vector(0), False),  # untrained weights say nothing
])
def test_a_borderline_pair_is_listed_only_when_pretrained_vectors_agree(artist, model_id, other_vector, listed):
    base = "0123456789abcdef" * 2
    a, b = _hashed(artist, [(base, unit_vector(0)), (_flip(base, 33), other_vector)], model_id=model_id)
    pairs = duplicates.review_pairs().pairs
    assert [(p.artwork_id, p.other_id, p.distance, p.borderline) for p in pairs] == ([(a.pk, b.pk, 33, True)]
                                                                                   if listed else [])


def test_pairs_show_the_vectors_similarity_as_a_second_opinion(artist):
    base = "fedcba9876543210" * 2
    a, b = _hashed(artist, [(base, unit_vector(0)), (_flip(base, 12), unit_vector(0, tilt=1.0))])
    (pair,) = duplicates.duplicate_pairs()
    assert pair.similarity == pytest.approx(float(np.dot(unit_vector(0), unit_vector(0, tilt=1.0))), abs=1e-5)


def test_the_review_finds_every_pair_comparing_every_hash_in_python_finds(artist):
    rng = np.random.default_rng(7)
    hashes = [rng.bytes(16).hex() for _ in range(250)]
    for n in range(0, 40, 2):  # 20 planted pairs, 0 to 30 bits apart
        bits = rng.choice(128, size=int(rng.integers(0, 31)), replace=False)
        hashes[n + 1] = f"{int(hashes[n], 16) ^ sum(1 << int(bit) for bit in bits):032x}"
    rows = _hashed(artist, [(h, None) for h in hashes])
    expected = sorted((recognition.hamming_distance(a.perceptual_hash, b.perceptual_hash), a.pk, b.pk)
                      for i, a in enumerate(rows) for b in rows[i + 1:]
                      if recognition.hamming_distance(a.perceptual_hash, b.perceptual_hash)
                      <= recognition.NEAR_DUPLICATE_MAX_BITS)
    assert len(expected) >= 20
    found = [(p.distance, p.artwork_id, p.other_id) for p in duplicates.duplicate_pairs()]
    assert found == expected
