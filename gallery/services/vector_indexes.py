"""The vectors' HNSW indexes on disk: which exist, and building the configured kind's (`manage.py vector_index`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from gallery import vector_index

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexState:
    table: str
    kind: str
    name: str
    valid: bool  # False: a concurrent build that failed or is still running
    megabytes: float


def existing() -> list[IndexState]:
    """Every kind's vector index that exists, with its size."""
    names = {table.index_name(kind): (table.table, kind) for table in vector_index.TABLES
             for kind in vector_index.KINDS}
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, i.indisvalid, pg_relation_size(c.oid) FROM pg_class c "
                       "JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = ANY(%s)", [list(names)])
        rows = cursor.fetchall()
    return [IndexState(*names[name], name, valid, size / 2**20) for name, valid, size in rows]


def missing(kind: str | None = None) -> list[str]:
    """The configured (or `kind`'s) indexes that do not exist or are not valid: searches then compare every row."""
    kind = kind or vector_index.configured_kind()
    valid = {state.name for state in existing() if state.valid}
    return [table.index_name(kind) for table in vector_index.TABLES if table.index_name(kind) not in valid]


def build(kind: str | None = None, *, concurrently: bool = True, keep_others: bool = False,
          report: Callable[[str], None] = logger.info) -> list[str]:
    """Build `kind`'s indexes (the configured kind by default) where missing, then drop the other kinds' (unless
    `keep_others`: processes still configured with another kind keep their index until they restart).

    Concurrently (the default) searches go on meanwhile, from the old index until it is dropped; that cannot run
    inside a transaction, so tests pass concurrently=False. A concurrent build that failed leaves an invalid index,
    which is dropped and built again. Returns the names of the indexes built.
    """
    kind = kind or vector_index.configured_kind()
    states = {state.name: state for state in existing()}
    built = []
    with connection.cursor() as cursor:
        # A session setting: a concurrent build cannot run in a transaction for set_config(..., true) to scope.
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, false)", [settings.GALLERY_INDEX_BUILD_MEMORY])
        for table in vector_index.TABLES:
            name = table.index_name(kind)
            state = states.get(name)
            if state is not None and not state.valid:
                report(f"Dropping the invalid index {name} (an interrupted build).")
                cursor.execute(_drop_sql(name, concurrently))
                state = None
            if state is None:
                report(f"Building {name} ({kind}) on {table.table}…")
                cursor.execute(vector_index.create_index_sql(kind, table.table, name, concurrently=concurrently))
                built.append(name)
            for other in vector_index.KINDS:
                if other != kind and table.index_name(other) in states and not keep_others:
                    report(f"Dropping {table.index_name(other)} ({other}).")
                    cursor.execute(_drop_sql(table.index_name(other), concurrently))
        cursor.execute("RESET maintenance_work_mem")
    return built


def _drop_sql(name: str, concurrently: bool) -> str:
    return f"DROP INDEX {'CONCURRENTLY ' if concurrently else ''}IF EXISTS {name}"
