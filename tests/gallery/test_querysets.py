"""The vector column and its HNSW index, with hand-made vectors so the expected order is exact."""

import numpy as np
import pytest
from django.db import connection, transaction

from gallery import vector_index
from gallery.clip import EMBEDDING_DIM
from gallery.models import Artwork

pytestmark = pytest.mark.django_db

INDEX = vector_index.ARTWORKS.index_name(vector_index.configured_kind())  # the works' HNSW index

MODEL_ID = "test/one-hot"


def one_hot(index: int, *, tilt: float = 0.0, towards: int = 0) -> list[float]:
    vector = np.zeros(EMBEDDING_DIM, dtype=np.float32)
    vector[index] = 1.0
    vector[towards] += tilt
    return (vector / np.linalg.norm(vector)).tolist()


def make_artwork(artist, n: int, vector, status=Artwork.Status.READY, model_id=MODEL_ID) -> Artwork:
    return Artwork.objects.create(artist=artist, title=f"Work {n}", image=f"artworks/{n}.jpg",
                                  image_sha256=f"{n:064d}", embedding=vector, embedding_model=model_id,
                                  status=status)


def test_vector_round_trip(artist):
    vector = np.random.default_rng(0).standard_normal(EMBEDDING_DIM).astype(np.float32)
    artwork = make_artwork(artist, 1, vector.tolist())
    stored = Artwork.objects.get(pk=artwork.pk).embedding
    assert len(stored) == EMBEDDING_DIM
    np.testing.assert_allclose(np.asarray(stored), vector, rtol=1e-6)


def test_nearest_to_orders_by_cosine_distance_and_skips_unembedded(artist):
    far = make_artwork(artist, 1, one_hot(5))
    near = make_artwork(artist, 2, one_hot(0, tilt=0.2, towards=1))
    nearest = make_artwork(artist, 3, one_hot(0, tilt=0.05, towards=1))
    Artwork.objects.create(artist=artist, title="Pending", image="p.jpg", image_sha256="f" * 64)
    with connection.cursor() as cursor:  # three rows: the exact order, not what an HNSW graph of them reaches
        cursor.execute("SET LOCAL enable_indexscan = off")
    results = list(Artwork.objects.nearest_to(one_hot(0), depth=100))
    assert [a.pk for a in results] == [nearest.pk, near.pk, far.pk]
    assert results[0].distance < results[1].distance < results[2].distance
    assert results[2].distance == pytest.approx(1.0, abs=1e-6)  # orthogonal


def test_embedded_by_keeps_only_the_active_models_ready_rows(artist):
    mine = make_artwork(artist, 1, one_hot(1))
    make_artwork(artist, 2, one_hot(1), model_id="other/model")
    assert list(Artwork.objects.embedded_by(MODEL_ID)) == [mine]


def test_nearest_query_uses_the_hnsw_index(artist):
    # Enough rows that an exact scan costs more than the index, as in a real collection.
    vectors = np.random.default_rng(1).standard_normal((3000, EMBEDDING_DIM)).astype(np.float32)
    Artwork.objects.bulk_create(
        Artwork(artist=artist, title=f"Work {n}", image=f"{n}.jpg", image_sha256=f"{n:064d}", embedding=vector,
                embedding_model=MODEL_ID, status=Artwork.Status.READY) for n, vector in enumerate(vectors))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE gallery_artwork")
        # As searches run (gallery/services/index_scan.py): the planner does not count reading TOASTed vectors, so
        # it may prefer sorting every row; the ORDER BY distance + LIMIT shape is what lets the index serve it.
        cursor.execute("SET LOCAL enable_sort = off")
        plan = Artwork.objects.embedded_by(MODEL_ID).nearest_to(one_hot(3), depth=10)[:10].explain()
    assert INDEX in plan, plan
