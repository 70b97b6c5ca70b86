"""How PostgreSQL plans a vector search: ef_search, iterative scans, and exact scans for small collections."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

from django.db import connections, router, transaction

from gallery.models import Artwork
from gallery.querysets import SearchFilters

EXACT_SEARCH_MAX_ROWS = 1000  # up to this many searchable works, a search compares every vector (exact, a few ms)

# The planner switch a search turns off for its own transaction, and the statement that undoes it (RESET takes an
# identifier, so each is spelt out here rather than formatted).
_RESET = {"enable_indexscan": "RESET enable_indexscan", "enable_sort": "RESET enable_sort"}
# One round trip: the search's settings, and the switch chosen by the capped count of the rows it can return.
# OFFSET 0 keeps `plan` a subquery of its own: pulled up, the count ran once for each use of `exact`.
_PLAN_SQL = ("SELECT set_config('hnsw.ef_search', %s, true), "
             "set_config('hnsw.iterative_scan', 'strict_order', true), "
             "set_config(CASE WHEN exact THEN 'enable_indexscan' ELSE 'enable_sort' END, 'off', true), exact "
             "FROM (SELECT (SELECT count(*) FROM ({searchable}) AS searchable) <= %s AS exact OFFSET 0) AS plan")


@contextlib.contextmanager
def index_scan_settings(*, ef_search: int, model_id: str, filters: SearchFilters = SearchFilters()) -> Iterator[None]:
    """A transaction (or the request's) in which vector searches plan the way search results need.

    The rows a search can return (`model_id`'s searchable works that pass `filters`) are counted up to one past
    EXACT_SEARCH_MAX_ROWS, in the same round trip as the settings. Up to that many, every vector is compared (a few
    ms, nothing missed, where pgvector's approximate graph of a few dozen rows sometimes leaves one unreachable).
    Beyond it, the index serves the search: PostgreSQL leaves the reading of TOASTed vectors out of a full scan's
    cost, so it would sort every row of a large collection rather than use the index (bench/README.md), and its
    choice for a broad filter turned on how bloated the table happened to be. Strict iterative scans keep going, in
    order, until enough rows pass the filters, so a filtered search still fills its page.
    """
    plan_sql, params = planning_statement(model_id, filters)
    alias = router.db_for_read(Artwork)  # where the search's own queries go: a read replica, or the primary
    # No savepoint: inside a request (ATOMIC_REQUESTS) the settings below only need the enclosing transaction.
    with transaction.atomic(using=alias, savepoint=False), connections[alias].cursor() as cursor:
        cursor.execute(plan_sql, [str(min(ef_search, 1000)), *params, EXACT_SEARCH_MAX_ROWS])
        switch = "enable_indexscan" if cursor.fetchone()[3] else "enable_sort"
        yield
        cursor.execute(_RESET[switch])  # the request's later queries (more by this artist) need sorts and indexes


def planning_statement(model_id: str, filters: SearchFilters) -> tuple[str, tuple]:
    """The statement index_scan_settings runs, and its parameters but for ef_search (first) and the cap (last)."""
    return _plan_sql(model_id) if not filters.active else _filtered_plan_sql(model_id, filters)


def _capped_count_sql(queryset) -> tuple[str, tuple]:
    searchable, params = queryset.order_by().values("pk")[:EXACT_SEARCH_MAX_ROWS + 1].query.sql_with_params()
    return _PLAN_SQL.replace("{searchable}", searchable), params


@functools.cache  # one entry per model id: compiling the count query is a measurable part of a search
def _plan_sql(model_id: str) -> tuple[str, tuple]:
    """The planning statement of an unfiltered search for `model_id`."""
    return _capped_count_sql(Artwork.objects.searchable(model_id))


def _filtered_plan_sql(model_id: str, filters: SearchFilters) -> tuple[str, tuple]:
    return _capped_count_sql(Artwork.objects.searchable(model_id).matching(filters))
