"""Keep each 2 KB vector inside its row instead of TOASTing it out of line.

PostgreSQL's planner does not count the cost of fetching TOASTed values, so with vectors out of line a sequential
scan looks cheap and small collections (10k rows measured) were searched by sorting every row (19 ms) instead of
through the HNSW index (about 1 ms). pgvector's maintainers recommend PLAIN storage for this. Rows written before this
migration keep their layout until rewritten (`VACUUM FULL gallery_artwork` or a re-embed).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("gallery", "0002_perceptual_hash_halves")]

    operations = [
        migrations.RunSQL("ALTER TABLE gallery_artwork ALTER COLUMN embedding SET STORAGE PLAIN",
                          reverse_sql="ALTER TABLE gallery_artwork ALTER COLUMN embedding SET STORAGE EXTENDED"),
    ]
