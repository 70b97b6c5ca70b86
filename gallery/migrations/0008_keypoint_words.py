"""Visual words of each work's keypoints (issue 19: detail search shortlists by them), filled in by the periodic
sweep from the stored keypoints."""

import pgvector.django.bit
import pgvector.django.indexes
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('gallery', '0007_artwork_regions_keypoints'),
    ]

    operations = [
        migrations.AddField(
            model_name='artworkkeypoints',
            name='vocabulary',
            field=models.CharField(blank=True, default='', max_length=16),
        ),
        migrations.AddField(
            model_name='artworkkeypoints',
            name='words',
            field=pgvector.django.bit.BitField(blank=True, length=16384, null=True),
        ),
        # Stored in the row, uncompressed: 2 KB that an exact scan of a small collection reads for every work,
        # which decompressing would slow several times.
        migrations.RunSQL("ALTER TABLE gallery_artworkkeypoints ALTER COLUMN words SET STORAGE PLAIN",
                          migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name='artworkkeypoints',
            index=pgvector.django.indexes.HnswIndex(ef_construction=64, fields=['words'], m=16, name='artwork_keypoints_words_hnsw', opclasses=['bit_jaccard_ops']),
        ),
    ]
