"""What a hit shows besides the artwork: the strip of more works by the same artist."""

import numpy as np
import pytest
from django.db import connection, transaction

from gallery.clip import EMBEDDING_DIM
from gallery.models import Artwork
from gallery.services import results, search
from tests.factories import ArtistFactory
from tests.gallery.services.helpers import FixedEncoder, ready_artworks, unit_vector

pytestmark = pytest.mark.django_db


def test_more_by_artist_excludes_the_hit_itself(artist):
    works = ready_artworks(artist, [unit_vector(i) for i in range(6)])
    for work in works:
        work.thumbnail = f"thumbnails/{work.pk}.jpg"
        work.save()
    hits = search.artwork_search(vector=unit_vector(0), k=2, model_id=FixedEncoder.model_id)
    results.attach_more_by_artist(hits)
    by_pk = {work.pk: work for work in works}
    for hit in hits:
        assert len(hit.more_by_artist) == 4 and hit.artwork.pk not in {item.pk for item in hit.more_by_artist}
        for item in hit.more_by_artist:  # what the strip links to and shows is what the work's own page gives
            work = by_pk[item.pk]
            assert (item.title, item.url, item.thumbnail_url) == (work.title, work.get_absolute_url(),
                                                                 work.thumbnail.url)
            assert item.alt == f"{work.title} by {work.artist.name}"


def test_more_by_artist_reads_a_few_index_entries_not_every_work_of_the_artist(artist):
    # The artist's works are a small part of the collection, as in a real one. Random vectors: identical ones would
    # stay in the HNSW index after the rollback as one dense knot of dead rows that traps later tests' index scans.
    rng = np.random.default_rng(7)
    for number in range(20):
        ready_artworks(ArtistFactory(), rng.standard_normal((100, EMBEDDING_DIM)).astype(np.float32),
                       start=1000 * (number + 1))
    ready_artworks(artist, rng.standard_normal((100, EMBEDDING_DIM)).astype(np.float32))
    Artwork.objects.update(thumbnail="thumbnails/x.jpg")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE gallery_artwork")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {results._MORE_BY_ARTIST_SQL}", [[artist.pk], 5])
        plan = cursor.fetchone()[0][0]["Plan"]
    scan = plan["Plans"][1]["Plans"][0]  # Nested Loop -> Limit -> the scan of the artist's works
    assert scan["Index Name"] == "artwork_more_by_artist", scan
    assert scan["Actual Rows"] == 5  # the first five in id order, not all 100 sorted
