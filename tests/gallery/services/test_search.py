"""Search over the real database. Hand-made vectors where the expected order must be exact; the real (untrained)
encoder where retrieval is tested by structure (the same picture finds itself), never by meaning."""

import threading

import numpy as np
import pytest
from django.db import connection

from gallery import images
from gallery.clip import EMBEDDING_DIM
from gallery.models import Artwork
from gallery.querysets import SearchFilters
from gallery.services import keywords, search
from tests.factories import ArtistFactory
from tests.gallery.services.helpers import FixedEncoder, ready_artworks, unit_vector

pytestmark = pytest.mark.django_db


def test_results_are_in_exact_cosine_order_and_skip_other_models_and_pending(artist):
    nearest, near, far = ready_artworks(artist, [unit_vector(0, 0.05), unit_vector(0, 0.3), unit_vector(7)])
    # An identical vector in another model's space: never compared.
    ready_artworks(artist, [unit_vector(0)], model_id="other/model", start=10)
    Artwork.objects.create(artist=artist, title="Pending", image="p.jpg", image_sha256="f" * 64)
    hits = search.artwork_search(vector=unit_vector(0), k=10, model_id=FixedEncoder.model_id)
    assert [hit.artwork.pk for hit in hits] == [nearest.pk, near.pk, far.pk]
    assert hits[0].similarity > hits[1].similarity > hits[2].similarity == pytest.approx(0.0, abs=1e-6)


def test_k_above_the_default_ef_search_returns_k_rows(artist):
    rng = np.random.default_rng(0)
    ready_artworks(artist, rng.standard_normal((300, EMBEDDING_DIM)).astype(np.float32))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE gallery_artwork")
    hits = search.artwork_search(vector=unit_vector(0), k=100, model_id=FixedEncoder.model_id)
    assert len(hits) == 100


def test_filtered_search_fills_the_page_when_few_rows_match(artist):
    """1 % of rows match the filter; the iterative index scan still returns k of them, in exact order."""
    rng = np.random.default_rng(1)
    rare = ArtistFactory(name="Rare Painter", genres=["Pointillism"], nationality="Belgian",
                         birth_year=1859, death_year=1891)
    ready_artworks(artist, rng.standard_normal((3000, EMBEDDING_DIM)).astype(np.float32))
    rare_vectors = rng.standard_normal((30, EMBEDDING_DIM)).astype(np.float32)
    ready_artworks(rare, rare_vectors, start=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE gallery_artwork")
    query = unit_vector(5)
    for filters in (SearchFilters(artist=rare), SearchFilters(genre="Pointillism"),
                    SearchFilters(nationality="belgian"), SearchFilters(year_from=1891, year_to=1900)):
        hits = search.artwork_search(vector=query, k=12, filters=filters, model_id=FixedEncoder.model_id)
        assert len(hits) == 12, filters
        assert {hit.artwork.artist_id for hit in hits} == {rare.pk}
        unit = rare_vectors / np.linalg.norm(rare_vectors, axis=1, keepdims=True)
        expected = sorted(range(30), key=lambda i: -float(unit[i] @ query))[:12]
        assert [hit.artwork.title for hit in hits] == [f"Work {5000 + i}" for i in expected]


def test_a_description_is_encoded_while_its_words_are_read(artist, monkeypatch):
    """The encoder runs beside the keyword reads, not before them: it waits here until the words are being read (on
    the previous code, which encoded first, it waited in vain and the page took the timeout longer)."""
    near, far = ready_artworks(artist, [unit_vector(3, 0.1), unit_vector(9)])
    words_read = threading.Event()
    read_words = keywords.keyword_matches

    def keyword_matches(*args, **kwargs):
        words_read.set()
        return read_words(*args, **kwargs)

    encoded_meanwhile = []

    class Encoder(FixedEncoder):
        def encode_query(self, text):
            encoded_meanwhile.append(words_read.wait(timeout=10))
            return super().encode_query(text)

    monkeypatch.setattr(keywords, "keyword_matches", keyword_matches)
    monkeypatch.setattr(search, "get_encoder", lambda: Encoder({"sea": 3}))
    hits = search.search_page(query=search.SearchQuery(text="sea"), k=2).hits
    assert encoded_meanwhile == [True]
    assert [hit.artwork.pk for hit in hits] == [near.pk, far.pk]


def test_period_filter_keeps_artists_alive_then(artist):
    old = ArtistFactory(name="Old Master", birth_year=1400, death_year=1450)
    ready_artworks(old, [unit_vector(0)])
    ready_artworks(artist, [unit_vector(0)], start=1)  # the factory artist lived 1853-1890
    hits = search.artwork_search(vector=unit_vector(0), k=5, filters=SearchFilters(year_from=1400, year_to=1499),
                                 model_id=FixedEncoder.model_id)
    assert [hit.artwork.artist for hit in hits] == [old]


def test_a_stored_image_finds_itself_first_with_similarity_one(dataset_artworks):
    target = dataset_artworks[7]
    with target.image.open("rb") as handle:
        page = search.search_page(query=search.SearchQuery(image=images.check_image(handle)), k=5)
    assert page.hits[0].artwork == target
    assert page.hits[0].similarity == pytest.approx(1.0, abs=1e-3)


def test_similar_to_excludes_the_artwork_and_needs_a_current_vector(dataset_artworks):
    target = Artwork.objects.get(pk=dataset_artworks[0].pk)
    hits = search.artwork_similar_to(artwork=target, k=40)
    # All 29 others: a collection this small is searched exactly (index_scan.EXACT_SEARCH_MAX_ROWS), where pgvector's
    # approximate graph of 30 rows left one of them unreachable in about one run of four.
    assert len(hits) == 29 and target not in [hit.artwork for hit in hits]
    Artwork.objects.filter(pk=target.pk).update(embedding_model="some/older-model")
    target.refresh_from_db()
    assert search.artwork_similar_to(artwork=target, k=5) == []


def test_a_forked_process_encodes_descriptions_on_threads_of_its_own():
    """A server's workers are forked from a master that may have searched: the parent's pool threads are not in the
    child, and an inherited pool would wait for them for ever."""
    import os

    assert search._DESCRIPTION_ENCODING.submit(threading.get_ident).result(timeout=5)
    child = os.fork()
    if child == 0:  # the child: exit 0 only if its pool runs work
        try:
            search._DESCRIPTION_ENCODING.submit(int).result(timeout=5)
            os._exit(0)
        except BaseException:  # noqa: BLE001 - anything but a result is the failure this test is about
            os._exit(1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
