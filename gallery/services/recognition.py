"""Recognising known works: is an uploaded picture a reproduction of an artwork already in the collection?

One service answers for every entry point (search, /upload/, the admin, the importer), by perceptual-hash distance.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from PIL import Image

from gallery import images
from gallery.models import Artwork
from gallery.querysets import SearchFilters

# Hamming distance (of 128 pHash+dHash bits) under which an upload is taken for a reproduction of a stored work.
# On the shared dataset, 95.7 % of 5 %-per-side crops saved at JPEG quality 70 fall within 28 bits of their original,
# and 0.2 % of them within 28 bits of some other work; 30 trades a little of the second for more of the first.
NEAR_DUPLICATE_MAX_BITS = 30
# Bits that differ between the stored hash and the query's, over its two 64-bit halves: XOR, then count.
_HAMMING_SQL = """bit_count(("gallery_artwork"."perceptual_hash_high" # %s)::bit(64))
                + bit_count(("gallery_artwork"."perceptual_hash_low" # %s)::bit(64))"""


def _signed_64(hex_digits: str) -> int:
    """16 hex digits as PostgreSQL's bigint reads them (two's complement), like the perceptual_hash_* columns."""
    value = int(hex_digits, 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def artwork_near_duplicate(perceptual_hash: str, *, queryset: QuerySet | None = None) -> Artwork | None:
    """The artwork whose perceptual hash is nearest to `perceptual_hash`, if within NEAR_DUPLICATE_MAX_BITS."""
    queryset = queryset if queryset is not None else Artwork.objects.all()
    hamming = RawSQL(_HAMMING_SQL, [_signed_64(perceptual_hash[:16]), _signed_64(perceptual_hash[16:])])
    # The nearest hash on the artworks table alone, then that one row with its artist: asking for the artist in the
    # same query had PostgreSQL join every row to its artist before sorting (bench/README.md).
    nearest = (queryset.exclude(perceptual_hash="").annotate(hamming=hamming)
               .filter(hamming__lte=NEAR_DUPLICATE_MAX_BITS).order_by("hamming", "pk")
               .values_list("pk", "hamming").first())
    if nearest is None:
        return None
    artwork = Artwork.objects.select_related("artist").get(pk=nearest[0])
    artwork.hamming = nearest[1]
    return artwork


def artwork_in_collection(image: Image.Image, *, model_id: str,
                          filters: SearchFilters = SearchFilters()) -> Artwork | None:
    """The searchable stored work that `image` reproduces, if any (see NEAR_DUPLICATE_MAX_BITS)."""
    queryset = Artwork.objects.searchable(model_id).matching(filters)
    return artwork_near_duplicate(images.perceptual_hash(image), queryset=queryset)


def artwork_twin(*, artwork: Artwork) -> Artwork | None:
    """Another stored artwork that looks like a reproduction of the same work as `artwork` (a saved row), if any.

    What the admin, the /upload/ page and the importer warn curators about after storing a picture.
    """
    if not artwork.perceptual_hash:
        return None
    return artwork_near_duplicate(artwork.perceptual_hash, queryset=Artwork.objects.exclude(pk=artwork.pk))
