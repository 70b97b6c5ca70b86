"""System checks that need the database (run by `migrate` and `check --database default`)."""

from __future__ import annotations

from django.core import checks

INDEX_MIGRATION = "0010_vector_index_kind"  # builds the configured kind's indexes


@checks.register(checks.Tags.database)
def vector_indexes_built(app_configs, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn when the indexes of the configured GALLERY_VECTOR_INDEX kind are missing: searches would compare every
    row of a large collection, slowly but correctly."""
    if not databases or "default" not in databases:
        return []
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    from gallery import vector_index
    from gallery.services import vector_indexes

    if ("gallery", INDEX_MIGRATION) not in MigrationRecorder(connection).applied_migrations():
        return []  # `migrate` checks before migrating, and the migration builds them
    if not (missing := vector_indexes.missing()):
        return []
    return [checks.Warning(f"The {vector_index.configured_kind()} vector indexes {', '.join(missing)} do not exist, "
                           "so searches compare every row.", hint="Run `manage.py vector_index`.",
                           id="gallery.W001")]
