# Regions and keypoints for detail search (issue 19). Written by hand beside 0006, which another change made.

import django.db.models.deletion
import pgvector.django.indexes
import pgvector.django.vector
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("gallery", "0006_artwork_perceptual_hash_bits"),
    ]

    operations = [
        migrations.CreateModel(
            name="ArtworkRegion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("x", models.FloatField()),
                ("y", models.FloatField()),
                ("w", models.FloatField()),
                ("h", models.FloatField()),
                ("embedding", pgvector.django.vector.VectorField(dimensions=512)),
                ("embedding_model", models.CharField(max_length=120)),
                ("artwork", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="regions",
                                              to="gallery.artwork")),
            ],
            options={
                "indexes": [
                    pgvector.django.indexes.HnswIndex(ef_construction=64, fields=["embedding"], m=16,
                                                      name="artwork_region_embedding_hnsw",
                                                      opclasses=["vector_cosine_ops"]),
                    models.Index(fields=["artwork"], name="artwork_region_artwork"),
                ],
            },
        ),
        migrations.CreateModel(
            name="ArtworkKeypoints",
            fields=[
                ("artwork", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                                 related_name="keypoints", serialize=False, to="gallery.artwork")),
                ("data", models.BinaryField()),
            ],
        ),
    ]
