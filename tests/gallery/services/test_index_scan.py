"""The planner settings around a vector search: the HNSW index where it pays, every vector compared where the
collection is small. Checked on the plans PostgreSQL chooses for the product's own query."""

import numpy as np
import pytest
from django.db import connection, transaction

from gallery import vector_index
from gallery.clip import EMBEDDING_DIM
from gallery.querysets import SearchFilters
from gallery.services import index_scan, search
from tests.gallery.services.helpers import FixedEncoder, ready_artworks, unit_vector

pytestmark = pytest.mark.django_db

INDEX = vector_index.ARTWORKS.index_name(vector_index.configured_kind())  # the works' HNSW index


@pytest.mark.parametrize("filters", [SearchFilters(), SearchFilters(genre="Post-Impressionism")],
                         ids=["no filter", "broad filter"])
def test_search_query_uses_the_hnsw_index(artist, filters):
    """The product's own query (joined to artists), under the product's settings, goes through the index."""
    ready_artworks(artist, np.random.default_rng(2).standard_normal((3000, EMBEDDING_DIM)).astype(np.float32))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE gallery_artwork")
        cursor.execute("ANALYZE gallery_artist")
    queryset = search.nearest_queryset(unit_vector(0), filters=filters, model_id=FixedEncoder.model_id, depth=25)[:25]
    with index_scan.index_scan_settings(ef_search=100, model_id=FixedEncoder.model_id, filters=filters):
        assert INDEX in queryset.explain()


def test_unfiltered_search_keeps_the_index_when_the_planner_underrates_sorting_every_row(artist):
    """At 10k rows the planner, not counting TOAST reads, preferred sorting every row (19 ms) to the index (1 ms)."""
    ready_artworks(artist, np.random.default_rng(3).standard_normal((3000, EMBEDDING_DIM)).astype(np.float32))
    queryset = search.nearest_queryset(unit_vector(0), filters=SearchFilters(), model_id=FixedEncoder.model_id, depth=25)[:25]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE gallery_artwork")
        cursor.execute("SET LOCAL cpu_operator_cost = 0.0000001")  # computing every distance looks free, as then
        assert INDEX not in queryset.explain()
        with index_scan.index_scan_settings(ef_search=100, model_id=FixedEncoder.model_id):
            assert INDEX in queryset.explain()
        # The rest of the request (one transaction) sorts again: "more by this artist" needs it.
        cursor.execute("SHOW enable_sort")
        assert cursor.fetchone() == ("on",)


@pytest.mark.parametrize("filters", [SearchFilters(), SearchFilters(genre="Post-Impressionism")],
                         ids=["no filter", "broad filter"])
def test_a_small_collection_is_searched_exactly(artist, filters):
    ready_artworks(artist, np.random.default_rng(4).standard_normal((index_scan.EXACT_SEARCH_MAX_ROWS, EMBEDDING_DIM)))
    # Rows of another model do not make the collection big: they are never searched.
    ready_artworks(artist, np.random.default_rng(5).standard_normal((50, EMBEDDING_DIM)), model_id="some/older-model",
                   start=index_scan.EXACT_SEARCH_MAX_ROWS)
    queryset = search.nearest_queryset(unit_vector(0), filters=filters, model_id=FixedEncoder.model_id, depth=25)[:25]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL random_page_cost = 0.01")  # as if the index were the cheaper plan
        with index_scan.index_scan_settings(ef_search=100, model_id=FixedEncoder.model_id, filters=filters):
            assert INDEX not in queryset.explain()  # every vector compared: no work can be missed
        cursor.execute("SHOW enable_indexscan")
        assert cursor.fetchone() == ("on",)  # for the rest of the request
        ready_artworks(artist, np.random.default_rng(6).standard_normal((1, EMBEDDING_DIM)), start=2000)  # one too many
        with index_scan.index_scan_settings(ef_search=100, model_id=FixedEncoder.model_id, filters=filters):
            plan = queryset.explain()
        assert INDEX in plan


def test_a_selective_filter_in_a_large_collection_compares_every_matching_vector(artist):
    from tests.factories import ArtistFactory

    ready_artworks(artist, np.random.default_rng(7).standard_normal((1500, EMBEDDING_DIM)).astype(np.float32))
    rare = ArtistFactory(name="Rare Painter")
    ready_artworks(rare, np.random.default_rng(8).standard_normal((30, EMBEDDING_DIM)).astype(np.float32), start=5000)
    filters = SearchFilters(artist=rare)
    queryset = search.nearest_queryset(unit_vector(0), filters=filters, model_id=FixedEncoder.model_id, depth=25)[:25]
    with transaction.atomic():
        with index_scan.index_scan_settings(ef_search=100, model_id=FixedEncoder.model_id, filters=filters):
            assert INDEX not in queryset.explain()  # 30 rows: all compared, none missed
            assert len(list(queryset)) == 25
        with index_scan.index_scan_settings(ef_search=100, model_id=FixedEncoder.model_id):
            assert INDEX in search.nearest_queryset(
                unit_vector(0), filters=SearchFilters(), model_id=FixedEncoder.model_id, depth=25)[:25].explain()


@pytest.mark.parametrize("filters", [SearchFilters(), SearchFilters(genre="Post-Impressionism")],
                         ids=["no filter", "broad filter"])
def test_the_planning_statement_counts_the_searchable_rows_once(artist, filters):
    """The count decides the switch and is returned: PostgreSQL, left to pull the subquery up, ran it for each."""
    ready_artworks(artist, np.random.default_rng(9).standard_normal((20, EMBEDDING_DIM)))
    plan_sql, params = index_scan.planning_statement(FixedEncoder.model_id, filters)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {plan_sql}", ["100", *params, index_scan.EXACT_SEARCH_MAX_ROWS])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert plan.count("InitPlan") == 1, plan


def test_the_unfiltered_count_reads_the_searchable_index_alone(artist):
    """Counted from the table, the count read a few hundred pages of wide rows at each search of a large collection
    (2 ms at 1M); the partial index `artwork_searchable` answers it without the rows (no heap fetch once vacuumed)."""
    ready_artworks(artist, np.random.default_rng(4).standard_normal((50, EMBEDDING_DIM)))
    plan_sql, params = index_scan.planning_statement(FixedEncoder.model_id, SearchFilters())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small is read whole either way
        cursor.execute(f"EXPLAIN (COSTS OFF) {plan_sql}", ["100", *params, index_scan.EXACT_SEARCH_MAX_ROWS])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using artwork_searchable" in plan, plan
