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
def test_the_scale_copy_names_every_required_column():
    from django.db import connection

    from bench.scale import COLUMNS, _other_columns
    from gallery.models import Artwork

    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                       "AND is_nullable = 'NO' AND column_default IS NULL AND is_generated = 'NEVER'",
                       [Artwork._meta.db_table])
        required = {row[0] for row in cursor.fetchall()} - {"id"}
    assert required <= set(COLUMNS) | {column for column, _, _ in _other_columns()}
