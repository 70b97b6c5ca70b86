"""Recognising known works: is an uploaded picture a reproduction of an artwork already in the collection?

One service answers for every entry point (search, /upload/, the admin, the importers, the duplicates review page),
by perceptual-hash distance: every stored hash is compared with the picture's in this process's memory
(gallery.services.hash_index), and PostgreSQL checks the few within reach, and every row changed since that memory
was taken, with pgvector's Hamming distance (`<~>`) on the bit(128) column `perceptual_hash_bits`. The answer is
the one comparing every row would give (tests/gallery/services/test_recognition.py).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Cast
from pgvector.django import BitField, HammingDistance
from PIL import Image

from gallery import images
from gallery.models import Artwork
from gallery.querysets import SearchFilters
from gallery.services import hash_index

# Hamming distance (of 128 pHash+dHash bits) under which an upload is taken for a reproduction of a stored work.
# On the shared dataset, 95.7 % of 5 %-per-side crops saved at JPEG quality 70 fall within 28 bits of their original,
# and 0.2 % of them within 28 bits of some other work; 30 trades a little of the second for more of the first.
NEAR_DUPLICATE_MAX_BITS = 30
# The nearest hashes an answer lists at most.
_CANDIDATES = 10


def hamming_distance(a: str, b: str) -> int:
    """Bits that differ between two perceptual hashes (32 hex digits each), computed in Python."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


# The snapshot's candidates and every row it may not know, with their current hashes. Plain SQL for the unfiltered
# lookup every upload and import makes: compiling the same query through the ORM took longer than running it.
_LOOKUP_SQL = """SELECT id, perceptual_hash_bits <~> %(bits)s::bit(128) AS hamming FROM gallery_artwork
WHERE (id = ANY(%(candidates)s) OR updated_at >= %(since)s) AND perceptual_hash_bits <~> %(bits)s::bit(128) <= %(max)s
ORDER BY hamming, id LIMIT %(limit)s"""


def near_duplicates(perceptual_hash: str, *, queryset: QuerySet | None = None,
                    limit: int = _CANDIDATES) -> list[tuple[int, int]]:
    """(pk, distance) of up to `limit` rows of `queryset` (default: every artwork) within NEAR_DUPLICATE_MAX_BITS of
    `perceptual_hash`, nearest first, ties by pk. Reads only; the same answer as comparing every row
    (tests/gallery/services/test_recognition.py)."""
    snapshot = hash_index.current()
    candidates = snapshot.within(perceptual_hash, NEAR_DUPLICATE_MAX_BITS)
    if queryset is None:
        with connection.cursor() as cursor:
            cursor.execute(_LOOKUP_SQL, {"bits": f"x{perceptual_hash}", "candidates": candidates,
                                         "since": snapshot.since, "max": NEAR_DUPLICATE_MAX_BITS, "limit": limit})
            return [(pk, int(distance)) for pk, distance in cursor.fetchall()]
    query_bits = Cast(Value(f"x{perceptual_hash}"), BitField(length=128))  # 'x' + hex: PostgreSQL's bit-string input
    reach = Q(pk__in=candidates) | Q(updated_at__gte=snapshot.since) if candidates else Q(
        updated_at__gte=snapshot.since)
    rows = (queryset.filter(reach, perceptual_hash_bits__isnull=False)
            .annotate(hamming=HammingDistance("perceptual_hash_bits", query_bits))
            .filter(hamming__lte=NEAR_DUPLICATE_MAX_BITS).order_by("hamming", "pk").values_list("pk", "hamming"))
    return [(pk, int(distance)) for pk, distance in rows[:limit]]


def artwork_near_duplicate(perceptual_hash: str, *, queryset: QuerySet | None = None,
                           exclude_pk: int | None = None) -> Artwork | None:
    """The artwork whose perceptual hash is nearest to `perceptual_hash`, if within NEAR_DUPLICATE_MAX_BITS (and
    not `exclude_pk`), with its distance as `.hamming`."""
    if not perceptual_hash:
        return None
    found = [row for row in near_duplicates(perceptual_hash, queryset=queryset, limit=2) if row[0] != exclude_pk]
    if not found:
        return None
    # That one row with its artist: asking for the artist in the lookup itself would join before ordering.
    pk, distance = found[0]
    artwork = Artwork.objects.select_related("artist").get(pk=pk)
    artwork.hamming = distance
    return artwork


def artwork_in_collection(image: Image.Image, *, model_id: str,
                          filters: SearchFilters = SearchFilters()) -> Artwork | None:
    """The searchable stored work that `image` reproduces, if any (see NEAR_DUPLICATE_MAX_BITS)."""
    queryset = Artwork.objects.searchable(model_id).matching(filters)
    return artwork_near_duplicate(images.perceptual_hash(image), queryset=queryset)


def artwork_twin(*, artwork: Artwork) -> Artwork | None:
    """Another stored artwork that looks like a reproduction of the same work as `artwork` (a saved row), if any."""
    if not artwork.perceptual_hash:
        return None
    return artwork_near_duplicate(artwork.perceptual_hash, exclude_pk=artwork.pk)
