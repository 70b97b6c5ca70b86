"""Recognising a known artwork: a visitor's reproduction of a stored work (5 % cropped per side, saved at JPEG
quality 70) must bring that very work first, labelled as in the collection, and a novel picture must not be claimed.

The slow test holds that to at least 95 % of the shared dataset's 600 paintings. With untrained CLIP weights, ranking
by the vector alone manages about three in four; the perceptual hash is what lifts it. The measured rates are
written to test-artifacts/recognition.json.
"""

import io
import json

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from gallery import images
from gallery.models import Artwork
from gallery.services import query_parsing, recognition, search
from gallery.services.detail_search import Lead
from tests.gallery.services.helpers import ready_artworks, unit_vector
from tests.helpers import BASE_DIR, DATASET, make_image_bytes

pytestmark = pytest.mark.django_db


def reproduction(artwork: Artwork) -> images.CheckedImage:
    with artwork.image.open("rb") as handle:
        picture = Image.open(handle).convert("RGB")
    w, h = picture.size
    buffer = io.BytesIO()
    picture.crop((w // 20, h // 20, w - w // 20, h - h // 20)).save(buffer, "JPEG", quality=70)
    return images.check_image(buffer)


def _flip(hex_hash: str, bits: list[int]) -> str:
    value = int(hex_hash, 16)
    for bit in bits:
        value ^= 1 << bit
    return f"{value:032x}"


def test_near_duplicate_counts_differing_bits_across_both_halves_and_the_sign_bits(artist):
    """Both ends of both 64-bit halves count (they were signed bigint columns before the bit(128) one)."""
    stored = "f" * 16 + "8" + "0" * 15  # the high half is -1 as a bigint, the low half the most negative bigint
    target, other = ready_artworks(artist, [unit_vector(0), unit_vector(1)])
    Artwork.objects.filter(pk=target.pk).update(perceptual_hash=stored)
    Artwork.objects.filter(pk=other.pk).update(perceptual_hash=_flip(stored, list(range(0, 128, 3))))  # 43 bits off
    within = _flip(stored, [127, 64, 63, 0] + list(range(8, 34)))  # 30 bits: both sign bits, both ends, both halves
    found = recognition.artwork_near_duplicate(within)
    assert found == target and found.hamming == recognition.NEAR_DUPLICATE_MAX_BITS
    assert recognition.artwork_near_duplicate(_flip(within, [40])) is None  # 31 bits: no longer a reproduction
    assert recognition.artwork_near_duplicate(_flip(stored, list(range(0, 128, 3)))) == other


def _hashed_rows(artist, hashes: list[str], start: int = 0) -> list[Artwork]:
    return Artwork.objects.bulk_create(
        Artwork(artist=artist, title=f"Hashed {n}", image=f"h{n}.jpg", image_sha256=f"{n:064d}", perceptual_hash=h)
        for n, h in enumerate(hashes, start))


def _random_bits(rng, count: int) -> list[int]:
    return [int(bit) for bit in rng.choice(128, size=count, replace=False)]


def _random_hashes(rng, count: int) -> list[str]:
    return [rng.bytes(16).hex() for _ in range(count)]


def _backdate(seconds: int) -> None:
    """Every row as if last changed `seconds` ago (before any snapshot a lookup could have read)."""
    from datetime import timedelta

    from django.utils import timezone

    Artwork.objects.update(updated_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.parametrize("path", ["in memory", "changed since", "stale in memory"])
def test_the_lookup_finds_what_comparing_every_hash_in_python_finds(artist, monkeypatch, path):
    """A few hundred stored hashes: random ones, and clusters of near-duplicates around some of them at every
    distance from 0 to 40 bits. Each query's answer (the works within 30 bits, nearest first, ties by id) must be the
    brute-force one, whether the rows are in this process's snapshot, were stored after it was read, or were given
    another hash after it was read (a replaced picture)."""
    from gallery.services import hash_index

    rng = np.random.default_rng(19)
    bases = _random_hashes(rng, 40)
    hashes = list(bases)
    for base in bases[:20]:
        hashes += [_flip(base, _random_bits(rng, int(rng.integers(0, 41)))) for _ in range(15)]
    hashes += _random_hashes(rng, 60)
    Artwork.objects.bulk_create([Artwork(artist=artist, title="No hash yet", image="n.jpg", image_sha256="n" * 64)])
    monkeypatch.setattr(hash_index, "REFRESH_SECONDS", 10**6)  # the snapshot stays as read, whatever the pace
    hash_index.forget()
    if path == "in memory":
        rows = _hashed_rows(artist, hashes)
        _backdate(3600)  # changed long before the snapshot: only the snapshot can bring them
        hash_index.current()
    elif path == "changed since":
        hash_index.current()  # read before any of them is stored
        rows = _hashed_rows(artist, hashes)
    else:  # the snapshot holds other hashes for these very rows
        rows = _hashed_rows(artist, _random_hashes(rng, len(hashes)))
        _backdate(3600)
        hash_index.current()
        for row, new_hash in zip(rows, hashes):
            row.perceptual_hash = new_hash
            row.save()  # as ingest does: updated_at moves with the hash
    queries = [_flip(base, _random_bits(rng, distance)) for base in bases[:30] for distance in (0, 12, 29, 30, 31, 36)]
    queries += [hashes[n] for n in range(0, len(hashes), 7)]  # stored hashes themselves, with their near twins
    edge = 0
    for query in queries:
        expected = sorted((recognition.hamming_distance(query, row.perceptual_hash), row.pk) for row in rows)
        expected = [(pk, distance) for distance, pk in expected if distance <= recognition.NEAR_DUPLICATE_MAX_BITS]
        assert recognition.near_duplicates(query, limit=5) == expected[:5], query
        filtered = Artwork.objects.filter(title__startswith="Hashed")  # a caller's filters: the ORM path
        assert recognition.near_duplicates(query, queryset=filtered, limit=5) == expected[:5], query
        nearest = recognition.artwork_near_duplicate(query)
        assert (nearest.pk, nearest.hamming) == expected[0] if expected else nearest is None, query
        edge += any(distance == recognition.NEAR_DUPLICATE_MAX_BITS for _, distance in expected)
    assert edge >= 10  # the threshold itself was tried, not only distances far from it


def test_a_deleted_work_in_memory_is_not_claimed(artist):
    from gallery.services import hash_index

    (gone,) = _hashed_rows(artist, ["0123456789abcdef" * 2])
    _backdate(3600)
    hash_index.forget()
    assert recognition.artwork_near_duplicate("0123456789abcdef" * 2) == gone
    pk = gone.pk
    gone.delete()
    assert pk in hash_index.current().ids.tolist()  # the snapshot still has it
    assert recognition.artwork_near_duplicate("0123456789abcdef" * 2) is None


def test_a_cropped_recompressed_copy_is_recognised_as_in_the_collection(dataset_artworks):
    for target in dataset_artworks[:10]:
        page = search.search_page(query=search.SearchQuery(image=reproduction(target)), k=5)
        assert page.hits[0].artwork == target and page.hits[0].in_collection
        assert not any(hit.in_collection for hit in page.hits[1:])
        assert target not in [hit.artwork for hit in page.hits[1:]]  # listed once


def test_an_unrelated_picture_is_not_claimed_to_be_in_the_collection(dataset_artworks):
    picture = images.check_image(io.BytesIO(make_image_bytes(seed=42)))
    page = search.search_page(query=search.SearchQuery(image=picture), k=5)
    assert len(page.hits) == 5 and not any(hit.in_collection for hit in page.hits)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # 600 imports and 600 searches: about a minute alone, much longer on a busy machine
def test_reproductions_of_stored_works_come_first(clip_encoder):
    call_command("import_artworks", str(DATASET), "--sync", verbosity=0)
    artworks = list(Artwork.objects.embedded_by(clip_encoder.model_id))
    assert len(artworks) == 600
    first_overall = first_by_vector = labelled = 0
    for artwork in artworks:
        query = reproduction(artwork)
        vector = query_parsing.query_vector(image=query.image, encoder=clip_encoder)  # what search_page does, once
        recognised = recognition.artwork_in_collection(query.image, model_id=clip_encoder.model_id)
        leads = [Lead(pk=recognised.pk, in_collection=True)] if recognised else []
        hits = search.artwork_search(vector=vector, k=3, leads=leads, model_id=clip_encoder.model_id)
        first_overall += hits[0].artwork.pk == artwork.pk
        labelled += hits[0].in_collection and hits[0].artwork.pk == artwork.pk
        by_vector = search.artwork_search(vector=vector, k=1, model_id=clip_encoder.model_id)
        first_by_vector += by_vector[0].artwork.pk == artwork.pk
    rates = {"images": len(artworks), "first": first_overall / len(artworks),
             "first_and_labelled_in_collection": labelled / len(artworks),
             "first_by_clip_vector_alone": first_by_vector / len(artworks), "encoder": clip_encoder.model_id}
    (BASE_DIR / "test-artifacts").mkdir(exist_ok=True)
    (BASE_DIR / "test-artifacts" / "recognition.json").write_text(json.dumps(rates, indent=2))
    print(f"\nrecognition: {rates}")
    assert rates["first"] >= 0.95, rates
    assert np.isclose(rates["first"], rates["first_and_labelled_in_collection"], atol=0.05), rates


@pytest.mark.slow
def test_unrelated_pictures_are_not_claimed(clip_encoder):
    """Novel pictures (noise and gradients, not paintings of the collection) must not be labelled as stored works."""
    call_command("import_artworks", str(DATASET), "--sync", "--limit", "100", verbosity=0)
    claimed = 0
    for seed in range(40):
        picture = images.check_image(io.BytesIO(make_image_bytes(seed=1000 + seed)))
        page = search.search_page(query=search.SearchQuery(image=picture), k=1)
        claimed += page.hits[0].in_collection
    assert claimed == 0
