"""GALLERY_VECTOR_INDEX: each kind's index is built, used by the product's searches, and finds the nearest works;
switching kinds keeps every stored vector."""

import numpy as np
import pytest
from django.core import checks
from django.core.management import call_command
from django.db import connection, transaction

from gallery import vector_index
from gallery.clip import EMBEDDING_DIM
from gallery.querysets import SearchFilters
from gallery.services import index_scan, search, vector_indexes
from tests.gallery.services.helpers import FixedEncoder, ready_artworks

pytestmark = pytest.mark.django_db
DEFAULT_KIND = vector_index.configured_kind()


def _stored_vectors() -> dict[int, bytes]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, embedding::text FROM gallery_artwork WHERE embedding IS NOT NULL")
        return dict(cursor.fetchall())


@pytest.fixture
def many_works(artist):
    """More works than a search compares exactly, so that it goes through the index: 150 groups of 10 alike works
    (as a collection's are), so that a work's 10 nearest are its group's by a wide margin. Uniformly random vectors
    would make the exact top 10 a near tie that an approximate index, built with random levels, meets by chance."""
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((150, EMBEDDING_DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    offsets = rng.standard_normal((1500, EMBEDDING_DIM)).astype(np.float32)
    offsets *= 0.5 / np.linalg.norm(offsets, axis=1, keepdims=True)
    vectors = np.repeat(centres, 10, axis=0) + offsets  # works 0-9 are group 0, 10-19 group 1...
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    works = ready_artworks(artist, vectors)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE gallery_artwork")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending: CREATE INDEX refuses those
    return works, vectors


@pytest.mark.parametrize("kind", vector_index.KINDS)
def test_each_kind_is_built_used_and_finds_the_nearest_works(settings, many_works, kind):
    works, vectors = many_works
    settings.GALLERY_VECTOR_INDEX = kind
    before = _stored_vectors()
    built = vector_indexes.build(kind, concurrently=False)  # inside the test's transaction: rolled back after

    names = [table.index_name(kind) for table in vector_index.TABLES]
    assert built == ([] if kind == DEFAULT_KIND else names)  # the migration built the default kind's
    assert {(state.name, state.valid) for state in vector_indexes.existing()} == {
        (table.index_name(kind), True) for table in vector_index.TABLES}  # the other kinds' were dropped
    assert vector_indexes.missing() == []
    assert _stored_vectors() == before  # the index changed, not a single stored vector

    # A query close to work 3 (its vector plus a little noise): that work first, through the kind's index.
    query = vectors[3] + np.random.default_rng(8).normal(0, 0.01, EMBEDDING_DIM).astype(np.float32)
    query /= np.linalg.norm(query)
    queryset = search.nearest_queryset(query, filters=SearchFilters(), model_id=FixedEncoder.model_id, depth=10)[:10]
    with transaction.atomic():
        with index_scan.index_scan_settings(ef_search=100, model_id=FixedEncoder.model_id):
            assert vector_index.ARTWORKS.index_name(kind) in queryset.explain()
            hits = list(queryset)
    assert hits[0].pk == works[3].pk
    assert [hit.distance for hit in hits] == sorted(hit.distance for hit in hits)
    exact = np.argsort(-(vectors @ query))[:10]
    assert set(exact) == set(range(10))  # work 3's group
    assert len({hit.pk for hit in hits} & {works[i].pk for i in exact}) >= 9  # approximate, as the index is
    # The similarity shown is the cosine (binary re-ranks by the full vectors; halfvec computes in half precision).
    assert hits[0].distance == pytest.approx(1 - float(vectors[3] @ query), abs=2e-3)


def test_a_search_without_its_index_still_answers_and_the_check_says_so(settings, many_works):
    works, vectors = many_works
    other = next(kind for kind in vector_index.KINDS if kind != DEFAULT_KIND)
    settings.GALLERY_VECTOR_INDEX = other  # configured, but `manage.py vector_index` was not run

    warnings = checks.run_checks(tags=[checks.Tags.database], databases=["default"])
    assert [warning.id for warning in warnings] == ["gallery.W001"]
    assert vector_index.ARTWORKS.index_name(other) in warnings[0].msg
    hits = search.artwork_search(vector=vectors[5], k=5, model_id=FixedEncoder.model_id)
    assert hits[0].artwork.pk == works[5].pk

    settings.GALLERY_VECTOR_INDEX = DEFAULT_KIND
    assert checks.run_checks(tags=[checks.Tags.database], databases=["default"]) == []


def test_an_unknown_kind_is_refused_with_the_choices(settings):
    settings.GALLERY_VECTOR_INDEX = "float8"
    with pytest.raises(ValueError, match="vector, halfvec, binary"):
        vector_index.configured_kind()


@pytest.mark.django_db(transaction=True)
def test_the_command_builds_concurrently_and_reports(settings, artist, capsys):
    """`manage.py vector_index` outside a transaction, as an operator runs it; the default kind is restored after."""
    other = next(kind for kind in vector_index.KINDS if kind != DEFAULT_KIND)
    ready_artworks(artist, np.eye(4, EMBEDDING_DIM, dtype=np.float32))
    settings.GALLERY_VECTOR_INDEX = other
    try:
        call_command("vector_index", "--keep-others")  # web processes not yet restarted still use the old kind's
        output = capsys.readouterr().out
        assert f"Built {vector_index.ARTWORKS.index_name(other)}" in output and "Dropping" not in output
        assert {state.kind for state in vector_indexes.existing()} == {other, DEFAULT_KIND}
        call_command("vector_index")
        output = capsys.readouterr().out
        assert f"The {other} indexes exist already." in output
        assert f"Dropping {vector_index.ARTWORKS.index_name(DEFAULT_KIND)}" in output
        assert {state.kind for state in vector_indexes.existing()} == {other}
    finally:
        settings.GALLERY_VECTOR_INDEX = DEFAULT_KIND
        vector_indexes.build(DEFAULT_KIND)
    call_command("vector_index", "--status")
    assert f"{vector_index.ARTWORKS.index_name(DEFAULT_KIND)}: {DEFAULT_KIND} on gallery_artwork" in (
        capsys.readouterr().out)
