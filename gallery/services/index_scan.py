"""How PostgreSQL plans a vector search: ef_search, iterative scans, and exact scans for small collections."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

from django.db import connection, transaction

from gallery.models import Artwork

EXACT_SEARCH_MAX_ROWS = 1000  # up to this many searchable works, a search compares every vector (exact, a few ms)

# The planner switch a search turns off for its own transaction, and the statements that do and undo it. Fixed SQL:
# set_config's name is a parameter, but RESET takes an identifier, so each is spelt out here rather than formatted.
_SWITCH_OFF = "SELECT set_config(%s, 'off', true)"
_RESET = {"enable_indexscan": "RESET enable_indexscan", "enable_sort": "RESET enable_sort"}
_PLAN_SQL = ("SELECT set_config('hnsw.ef_search', %s, true), "
             "set_config('hnsw.iterative_scan', 'strict_order', true), "
             "(SELECT count(*) FROM ({searchable}) AS searchable) <= %s")


@contextlib.contextmanager
def index_scan_settings(*, ef_search: int, unfiltered: bool, model_id: str) -> Iterator[None]:
    """A transaction (or the request's) in which vector searches plan the way search results need."""
    plan_sql, params = _plan_sql(model_id)
    # No savepoint: inside a request (ATOMIC_REQUESTS) the settings below only need the enclosing transaction.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # ef_search bounds how many rows one index scan yields; strict iterative scans keep going (in order) until
        # enough rows pass the filters, so a filtered search still fills its page.
        cursor.execute(plan_sql, [str(min(ef_search, 1000)), *params, EXACT_SEARCH_MAX_ROWS])
        exact = cursor.fetchone()[2]
        if exact:
            # Comparing every vector of a small collection takes a few ms and misses nothing, where pgvector's
            # approximate graph of a few dozen rows sometimes leaves one unreachable.
            switch = "enable_indexscan"
        elif unfiltered:
            # PostgreSQL leaves the reading of TOASTed vectors out of a full scan's cost, so it sorted every row of
            # a 10k collection rather than use the index (bench/README.md). Without filters the index is always the
            # right plan; with them, sorting the few rows of a selective filter can be, so the planner decides.
            switch = "enable_sort"
        else:
            switch = ""
        if switch:
            cursor.execute(_SWITCH_OFF, [switch])
        yield
        if switch:  # the request's later queries (more by this artist, for one) need their sorts and indexes
            cursor.execute(_RESET[switch])


@functools.cache  # one entry per model id: compiling the count query is a measurable part of a search
def _plan_sql(model_id: str) -> tuple[str, tuple]:
    """The planning statement for `model_id`: it counts the searchable rows up to one past EXACT_SEARCH_MAX_ROWS."""
    searchable, params = (Artwork.objects.searchable(model_id).order_by().values("pk")[:EXACT_SEARCH_MAX_ROWS + 1]
                          .query.sql_with_params())
    return _PLAN_SQL.replace("{searchable}", searchable), params
