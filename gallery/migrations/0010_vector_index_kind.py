"""The vectors' HNSW indexes follow GALLERY_VECTOR_INDEX (gallery/vector_index.py) instead of the models' Meta.

Nothing happens to the stored vectors: the column stays vector(512). With the default kind ("vector") the existing
indexes are the configured ones and this changes nothing in the database; with another kind, its indexes are built
here (an empty or small deployment), or by `manage.py vector_index` beforehand (a large one, without downtime).
"""

from django.conf import settings
from django.db import migrations

from gallery import vector_index


def _build(schema_editor, kind: str) -> None:
    # The migration's transaction only: an HNSW graph that outgrows maintenance_work_mem builds many times slower.
    schema_editor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [settings.GALLERY_INDEX_BUILD_MEMORY])
    for table in vector_index.TABLES:
        schema_editor.execute(vector_index.create_index_sql(kind, table.table, table.index_name(kind)))
        for other in vector_index.KINDS:
            if other != kind:
                schema_editor.execute(f"DROP INDEX IF EXISTS {table.index_name(other)}")


def forwards(apps, schema_editor):
    _build(schema_editor, vector_index.configured_kind())


def backwards(apps, schema_editor):
    _build(schema_editor, "vector")  # what the models declared before this migration


class Migration(migrations.Migration):
    dependencies = [("gallery", "0009_artwork_map_positions")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="artwork", name="artwork_embedding_hnsw"),
                migrations.RemoveIndex(model_name="artworkregion", name="artwork_region_embedding_hnsw"),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
