"""The collection map (issue 20): each searchable work's 2-D position, and the layout they came from with its
thumbnail atlases."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('gallery', '0008_keypoint_words'),
    ]

    operations = [
        migrations.CreateModel(
            name='CollectionMap',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('embedding_model', models.CharField(max_length=120, unique=True)),
                ('fingerprint', models.CharField(max_length=32)),
                ('seen_fingerprint', models.CharField(blank=True, max_length=32)),
                ('works', models.PositiveIntegerField(default=0)),
                ('method', models.CharField(max_length=40)),
                ('computed_at', models.DateTimeField()),
                ('timings', models.JSONField(blank=True, default=dict)),
                ('atlases', models.JSONField(blank=True, default=list)),
                ('atlas_cell', models.PositiveSmallIntegerField(default=64)),
                ('atlas_columns', models.PositiveSmallIntegerField(default=32)),
            ],
        ),
        migrations.CreateModel(
            name='ArtworkMapPosition',
            fields=[
                ('artwork', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                                 related_name='map_position', serialize=False,
                                                 to='gallery.artwork')),
                ('x', models.FloatField()),
                ('y', models.FloatField()),
                ('embedding_model', models.CharField(max_length=120)),
                ('computed_at', models.DateTimeField()),
                ('placed_by', models.CharField(choices=[('layout', 'The layout'),
                                                        ('neighbours', 'Its nearest placed works')],
                                               default='layout', max_length=12)),
                ('atlas_cell', models.PositiveIntegerField(blank=True, null=True)),
            ],
            options={
                'indexes': [models.Index(fields=['embedding_model'], name='artwork_map_position_model')],
            },
        ),
    ]
