"""The benchmarks run outside `make test` (make bench): at least every module of theirs must import with today's code,
and the synthetic rows they COPY must name every column the database requires."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import bench


@pytest.mark.parametrize("name", sorted(module.name for module in pkgutil.iter_modules(bench.__path__)))
def test_bench_module_imports(name):
    importlib.import_module(f"bench.{name}")


@pytest.mark.django_db
def test_the_scale_copy_writes_a_row_the_table_accepts(artist):
    """bench/scale.py COPYs synthetic rows in binary: every required column named, every type exact."""
    from datetime import UTC, datetime

    import numpy as np
    from django.db import connection
    from pgvector.psycopg import register_vector

    from bench.scale import copy_plan
    from gallery.models import Artwork

    statement, types, other_values = copy_plan()
    now = datetime.now(UTC)
    with connection.cursor():  # opens Django's connection; the raw cursor below shares its transaction
        register_vector(connection.connection)  # as bench.db.connect() does
        with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(types)
            copy.write_row((now, now, artist.pk, "Synthetic artwork 1", "p.jpg", "p.jpg", 400, 400, "0" * 64,
                            "0" * 32, np.ones(512, dtype=np.float32), "bench/model", Artwork.Status.READY, "",
                            *other_values))
    row = Artwork.objects.get(title="Synthetic artwork 1")
    assert row.published and row.rights == Artwork.Rights.UNKNOWN and row.tags == []
