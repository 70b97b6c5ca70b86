"""Search over the real database. Hand-made vectors where the expected order must be exact; the real (untrained)
encoder where retrieval is tested by structure (the same picture finds itself), never by meaning."""

import io
from pathlib import Path

import numpy as np
import pytest
from django.db import connection, transaction
from PIL import Image

from gallery import images
from gallery.embeddings import EMBEDDING_DIM
from gallery.models import Artist, Artwork
from gallery.services import ingest, search
from tests.conftest import DATASET
from tests.factories import ArtistFactory

pytestmark = pytest.mark.django_db


class FixedEncoder:
    """Hand-made vectors for exact expectations: each known text maps to a one-hot direction."""

    model_id = "test/one-hot"
    is_pretrained = False

    def __init__(self, directions: dict[str, int]):
        self.directions = directions

    def encode_texts(self, texts):
        return np.stack([_unit(self.directions[text]) for text in texts])

    def encode_images(self, pictures):
        return np.stack([_unit(0) for _ in pictures])


def _unit(index: int, tilt: float = 0.0, towards: int = 1) -> np.ndarray:
    vector = np.zeros(EMBEDDING_DIM, dtype=np.float32)
    vector[index] = 1.0
    vector[towards] += tilt
    return vector / np.linalg.norm(vector)


def _bulk(artist, vectors, model_id=FixedEncoder.model_id, start=0):
    return Artwork.objects.bulk_create(
        Artwork(artist=artist, title=f"Work {start + n}", image=f"{start + n}.jpg", image_sha256=f"{start + n:064d}",
                embedding=v.tolist(), embedding_model=model_id, status=Artwork.Status.READY)
        for n, v in enumerate(vectors))


def test_split_negation():
    assert search.split_negation("stormy sea not: boats") == ("stormy sea", "boats")
    assert search.split_negation("Not: cubism") == ("", "cubism")
    assert search.split_negation("sunflowers") == ("sunflowers", "")


def test_negative_phrase_subtracts():
    encoder = FixedEncoder({"sea": 0, "boats": 1})
    plain = search.query_vector(text="sea", encoder=encoder)
    steered = search.query_vector(text="sea not: boats", encoder=encoder)
    assert np.linalg.norm(steered) == pytest.approx(1.0)
    assert steered[1] < 0 < steered[0] and plain[1] == 0


def test_image_and_text_combine_by_weight():
    encoder = FixedEncoder({"sea": 3})
    picture = Image.new("RGB", (8, 8))
    mostly_picture = search.query_vector(text="sea", image=picture, image_weight=0.8, encoder=encoder)
    assert mostly_picture[0] > mostly_picture[3] > 0  # image direction is 0 in FixedEncoder
    with pytest.raises(search.EmptyQuery):
        search.query_vector(text="", encoder=encoder)


def test_results_are_in_exact_cosine_order_and_skip_other_models_and_pending(artist):
    nearest, near, far = _bulk(artist, [_unit(0, 0.05), _unit(0, 0.3), _unit(7)])
    _bulk(artist, [_unit(0)], model_id="other/model", start=10)  # identical vector, other space: never compared
    Artwork.objects.create(artist=artist, title="Pending", image="p.jpg", image_sha256="f" * 64)
    hits = search.artwork_search(vector=_unit(0), k=10, model_id=FixedEncoder.model_id)
    assert [hit.artwork.pk for hit in hits] == [nearest.pk, near.pk, far.pk]
    assert hits[0].similarity > hits[1].similarity > hits[2].similarity == pytest.approx(0.0, abs=1e-6)


def test_k_above_the_default_ef_search_returns_k_rows(artist):
    rng = np.random.default_rng(0)
    _bulk(artist, rng.standard_normal((300, EMBEDDING_DIM)).astype(np.float32))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE gallery_artwork")
    hits = search.artwork_search(vector=_unit(0), k=100, model_id=FixedEncoder.model_id)
    assert len(hits) == 100


def test_filtered_search_fills_the_page_when_few_rows_match(artist):
    """1 % of rows match the filter; the iterative index scan still returns k of them, in exact order."""
    rng = np.random.default_rng(1)
    rare = ArtistFactory(name="Rare Painter", genres=["Pointillism"], nationality="Belgian",
                         birth_year=1859, death_year=1891)
    _bulk(artist, rng.standard_normal((3000, EMBEDDING_DIM)).astype(np.float32))
    rare_vectors = rng.standard_normal((30, EMBEDDING_DIM)).astype(np.float32)
    _bulk(rare, rare_vectors, start=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE gallery_artwork")
    query = _unit(5)
    for filters in (search.SearchFilters(artist=rare), search.SearchFilters(genre="Pointillism"),
                    search.SearchFilters(nationality="belgian"), search.SearchFilters(year_from=1891, year_to=1900)):
        hits = search.artwork_search(vector=query, k=12, filters=filters, model_id=FixedEncoder.model_id)
        assert len(hits) == 12, filters
        assert {hit.artwork.artist_id for hit in hits} == {rare.pk}
        unit = rare_vectors / np.linalg.norm(rare_vectors, axis=1, keepdims=True)
        expected = sorted(range(30), key=lambda i: -float(unit[i] @ query))[:12]
        assert [hit.artwork.title for hit in hits] == [f"Work {5000 + i}" for i in expected]


def test_period_filter_keeps_artists_alive_then(artist):
    old = ArtistFactory(name="Old Master", birth_year=1400, death_year=1450)
    _bulk(old, [_unit(0)])
    _bulk(artist, [_unit(0)], start=1)  # the factory artist lived 1853-1890
    hits = search.artwork_search(vector=_unit(0), k=5, filters=search.SearchFilters(year_from=1400, year_to=1499),
                                 model_id=FixedEncoder.model_id)
    assert [hit.artwork.artist for hit in hits] == [old]


def test_more_by_artist_excludes_the_hit_itself(artist):
    works = _bulk(artist, [_unit(i) for i in range(6)])
    for work in works:
        work.thumbnail = f"thumbnails/{work.pk}.jpg"
        work.save()
    hits = search.artwork_search(vector=_unit(0), k=2, model_id=FixedEncoder.model_id)
    search.attach_more_by_artist(hits)
    by_pk = {work.pk: work for work in works}
    for hit in hits:
        assert len(hit.more_by_artist) == 4 and hit.artwork.pk not in {item.pk for item in hit.more_by_artist}
        for item in hit.more_by_artist:  # what the strip links to and shows is what the work's own page gives
            work = by_pk[item.pk]
            assert (item.title, item.url, item.thumbnail_url) == (work.title, work.get_absolute_url(),
                                                                 work.thumbnail.url)


def test_more_by_artist_reads_a_few_index_entries_not_every_work_of_the_artist(artist):
    # The artist's works are a small part of the collection, as in a real one. Random vectors: identical ones would
    # stay in the HNSW index after the rollback as one dense knot of dead rows that traps later tests' index scans.
    rng = np.random.default_rng(7)
    for number in range(20):
        _bulk(ArtistFactory(), rng.standard_normal((100, EMBEDDING_DIM)).astype(np.float32), start=1000 * (number + 1))
    _bulk(artist, rng.standard_normal((100, EMBEDDING_DIM)).astype(np.float32))
    Artwork.objects.update(thumbnail="thumbnails/x.jpg")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE gallery_artwork")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {search._MORE_BY_ARTIST_SQL}", [[artist.pk], 5])
        plan = cursor.fetchone()[0][0]["Plan"]
    scan = plan["Plans"][1]["Plans"][0]  # Nested Loop -> Limit -> the scan of the artist's works
    assert scan["Index Name"] == "artwork_more_by_artist", scan
    assert scan["Actual Rows"] == 5  # the first five in id order, not all 100 sorted


def _real_images(count: int) -> list[Path]:
    folders = sorted((DATASET / "images").iterdir())
    return [sorted(folder.iterdir())[n // len(folders)] for n, folder in zip(range(count), folders * 3)]


@pytest.fixture
def real_collection(clip_encoder):
    from django.core.files import File

    artists = {}
    artworks = []
    for path in _real_images(30):
        name = path.parent.name.replace("_", " ")
        artists.setdefault(name, Artist.objects.create(name=name))
        with open(path, "rb") as handle:
            artworks.append(ingest.artwork_create(artist=artists[name], title=path.stem,
                                                  image=File(handle, name=path.name), enqueue=False))
    ingest.artworks_embed(artwork_ids=[a.pk for a in artworks], encoder=clip_encoder)
    return artworks


def _reproduction(artwork: Artwork, *, crop: float = 0.05, quality: int = 70) -> images.CheckedImage:
    with artwork.image.open("rb") as handle:
        picture = Image.open(handle).convert("RGB")
    w, h = picture.size
    dx, dy = int(w * crop), int(h * crop)
    buffer = io.BytesIO()
    picture.crop((dx, dy, w - dx, h - dy)).save(buffer, "JPEG", quality=quality)
    return images.check_image(buffer)


def test_a_stored_image_finds_itself_first_with_similarity_one(real_collection):
    target = real_collection[7]
    with target.image.open("rb") as handle:
        page = search.search_page(image=images.check_image(handle), k=5)
    assert page.hits[0].artwork == target
    assert page.hits[0].similarity == pytest.approx(1.0, abs=1e-3)


def test_a_cropped_recompressed_copy_is_recognised_as_in_the_collection(real_collection):
    for target in real_collection[:10]:
        page = search.search_page(image=_reproduction(target), k=5)
        assert page.hits[0].artwork == target and page.hits[0].in_collection
        assert not any(hit.in_collection for hit in page.hits[1:])
        assert target not in [hit.artwork for hit in page.hits[1:]]  # listed once


def test_an_unrelated_picture_is_not_claimed_to_be_in_the_collection(real_collection):
    from tests.conftest import make_image_bytes

    page = search.search_page(image=images.check_image(io.BytesIO(make_image_bytes(seed=42))), k=5)
    assert len(page.hits) == 5 and not any(hit.in_collection for hit in page.hits)


def test_similar_to_excludes_the_artwork_and_needs_a_current_vector(real_collection):
    target = Artwork.objects.get(pk=real_collection[0].pk)
    hits = search.artwork_similar_to(artwork=target, k=40)
    # All 29 others: a collection this small is searched exactly (search.EXACT_SEARCH_MAX_ROWS), where pgvector's
    # approximate graph of 30 rows left one of them unreachable in about one run of four.
    assert len(hits) == 29 and target not in [hit.artwork for hit in hits]
    Artwork.objects.filter(pk=target.pk).update(embedding_model="some/older-model")
    target.refresh_from_db()
    assert search.artwork_similar_to(artwork=target, k=5) == []


@pytest.mark.parametrize("filters", [search.SearchFilters(), search.SearchFilters(genre="Post-Impressionism")],
                         ids=["no filter", "broad filter"])
def test_search_query_uses_the_hnsw_index(artist, filters):
    """The product's own query (joined to artists), under the product's settings, goes through the index."""
    _bulk(artist, np.random.default_rng(2).standard_normal((3000, EMBEDDING_DIM)).astype(np.float32))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE gallery_artwork")
        cursor.execute("ANALYZE gallery_artist")
    queryset = search.nearest_queryset(_unit(0), filters=filters, model_id=FixedEncoder.model_id)[:25]
    with search.index_scan_settings(ef_search=100, unfiltered=not filters.active, model_id=FixedEncoder.model_id):
        assert "artwork_embedding_hnsw" in queryset.explain()


def test_unfiltered_search_keeps_the_index_when_the_planner_underrates_sorting_every_row(artist):
    """At 10k rows the planner, not counting TOAST reads, preferred sorting every row (19 ms) to the index (1 ms)."""
    _bulk(artist, np.random.default_rng(3).standard_normal((3000, EMBEDDING_DIM)).astype(np.float32))
    queryset = search.nearest_queryset(_unit(0), filters=search.SearchFilters(), model_id=FixedEncoder.model_id)[:25]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE gallery_artwork")
        cursor.execute("SET LOCAL cpu_operator_cost = 0.0000001")  # computing every distance looks free, as then
        assert "artwork_embedding_hnsw" not in queryset.explain()
        with search.index_scan_settings(ef_search=100, unfiltered=True, model_id=FixedEncoder.model_id):
            assert "artwork_embedding_hnsw" in queryset.explain()
        # The rest of the request (one transaction) sorts again: "more by this artist" needs it.
        cursor.execute("SHOW enable_sort")
        assert cursor.fetchone() == ("on",)


@pytest.mark.parametrize("filters", [search.SearchFilters(), search.SearchFilters(genre="Post-Impressionism")],
                         ids=["no filter", "broad filter"])
def test_a_small_collection_is_searched_exactly(artist, filters):
    _bulk(artist, np.random.default_rng(4).standard_normal((search.EXACT_SEARCH_MAX_ROWS, EMBEDDING_DIM)))
    # Rows of another model do not make the collection big: they are never searched.
    _bulk(artist, np.random.default_rng(5).standard_normal((50, EMBEDDING_DIM)), model_id="some/older-model",
          start=search.EXACT_SEARCH_MAX_ROWS)
    queryset = search.nearest_queryset(_unit(0), filters=filters, model_id=FixedEncoder.model_id)[:25]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL random_page_cost = 0.01")  # as if the index were the cheaper plan
        with search.index_scan_settings(ef_search=100, unfiltered=not filters.active, model_id=FixedEncoder.model_id):
            assert "artwork_embedding_hnsw" not in queryset.explain()  # every vector compared: no work can be missed
        cursor.execute("SHOW enable_indexscan")
        assert cursor.fetchone() == ("on",)  # for the rest of the request
        _bulk(artist, np.random.default_rng(6).standard_normal((1, EMBEDDING_DIM)), start=2000)  # one too many
        with search.index_scan_settings(ef_search=100, unfiltered=not filters.active, model_id=FixedEncoder.model_id):
            plan = queryset.explain()
        assert filters.active or "artwork_embedding_hnsw" in plan


def _flip(hex_hash: str, bits: list[int]) -> str:
    value = int(hex_hash, 16)
    for bit in bits:
        value ^= 1 << bit
    return f"{value:032x}"


def test_near_duplicate_counts_differing_bits_across_both_halves_and_the_sign_bits(artist):
    """PostgreSQL keeps each half of the hash as a signed bigint; the distance must not care about the sign."""
    stored = "f" * 16 + "8" + "0" * 15  # the high half is -1 as a bigint, the low half the most negative bigint
    target, other = _bulk(artist, [_unit(0), _unit(1)])
    Artwork.objects.filter(pk=target.pk).update(perceptual_hash=stored)
    Artwork.objects.filter(pk=other.pk).update(perceptual_hash=_flip(stored, list(range(0, 128, 3))))  # 43 bits off
    within = _flip(stored, [127, 64, 63, 0] + list(range(8, 34)))  # 30 bits: both sign bits, both ends, both halves
    found = search.artwork_near_duplicate(within)
    assert found == target and found.hamming == search.NEAR_DUPLICATE_MAX_BITS
    assert search.artwork_near_duplicate(_flip(within, [40])) is None  # 31 bits: no longer a reproduction
    assert search.artwork_near_duplicate(_flip(stored, list(range(0, 128, 3)))) == other
