"""Near-duplicates: what every entry point checks before storing a picture, the curator's choice, and the pairs the
admin's duplicates review page lists.

A new picture is a near-duplicate of a stored work when their perceptual hashes differ in at most
recognition.NEAR_DUPLICATE_MAX_BITS bits: the same rule that recognises a visitor's reproduction. The hash alone
decides before storing, because the new picture has no vector yet. Between two stored works the CLIP vectors give a
second opinion: the review page shows their similarity, and also lists a borderline pair (up to BORDERLINE_MAX_BITS)
when the vectors of pretrained weights agree that closely (BORDERLINE_MIN_SIMILARITY).

The choices (models.OnDuplicate): keep both, skip the new picture, or replace the stored work's picture with it (it
keeps its id, catalogue record and URL, and is re-embedded; its old files are deleted after commit).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from gallery import images
from gallery.models import Artwork, DismissedDuplicate, OnDuplicate
from gallery.services import hash_index, ingest, recognition
from gallery.tasks import duplicate_pairs_refresh as duplicate_pairs_refresh_task

logger = logging.getLogger(__name__)

# A stored pair this far apart is listed for review only when pretrained CLIP vectors find the two this similar.
# Not measurable here (no pretrained weights offline): it only adds pairs to review, never acts on its own.
BORDERLINE_MAX_BITS = 36
BORDERLINE_MIN_SIMILARITY = 0.95
_STASH_PREFIX = "upload:pending:"
STASH_TTL_SECONDS = 60 * 60
REVIEW_INLINE_MAX_ROWS = 5000  # a larger collection's pairs are computed by a worker (review_pairs)
REFRESH_LOCK_SECONDS = 30 * 60
_PAIRS_KEY = "duplicates:pairs:v1"
_REFRESHING_KEY = "duplicates:refreshing"


class NearDuplicateFound(Exception):
    """The picture looks like a stored work and no choice was given (or it was given for another work)."""

    def __init__(self, twin: Artwork, checked: images.CheckedImage) -> None:
        super().__init__(f"The picture looks like {twin} (#{twin.pk}), already in the collection.")
        self.twin, self.checked = twin, checked


@dataclass
class AddOutcome:
    """What artwork_add did: "created" (no near-duplicate), "kept" (created beside one), "skipped" or "replaced"."""

    action: str
    artwork: Artwork  # the new work, or the stored one when skipped or replaced
    twin: Artwork | None = None


@dataclass(frozen=True)
class FoundDuplicate:
    """A new picture (an imported file or record) that looked like a stored work, and what the import did with it:
    "kept" (both stored), "skipped" or "replaced" (the stored work got the new picture)."""

    where: str
    twin_pk: int
    twin: str
    distance: int
    action: str

    def __str__(self) -> str:
        return f"{self.where} looks like {self.twin}, {self.distance} bits apart: {self.action}"

    def as_dict(self) -> dict:
        return {"record": self.where, "looks_like": self.twin, "artwork_id": self.twin_pk,
                "distance": self.distance, "action": self.action}


def import_action(on_duplicate: str, twin: Artwork, *, touched: set[int]) -> str:
    """What an import does with a new picture that looks like `twin`: "kept", "skipped" or "replaced". A work this
    import already stored or re-imaged (`touched`) is never replaced again in the same run: the first picture wins."""
    if on_duplicate == OnDuplicate.KEEP:
        return "kept"
    if on_duplicate == OnDuplicate.REPLACE and twin.pk not in touched:
        return "replaced"
    return "skipped"


def twin_label(twin: Artwork) -> str:
    return f"{twin} (#{twin.pk})"


def near_duplicate(perceptual_hash: str, *, exclude: Artwork | None = None) -> Artwork | None:
    """The stored work nearest to `perceptual_hash` within the threshold (not `exclude`), with `.hamming`."""
    return recognition.artwork_near_duplicate(perceptual_hash, exclude_pk=exclude.pk if exclude else None)


@transaction.atomic
def artwork_replace_image(*, artwork: Artwork, image: File, checked: images.CheckedImage | None = None,
                          enqueue: bool = True) -> Artwork:
    """Give the stored `artwork` the picture `image`: same id, record and URL; new hashes and thumbnail, a pending
    vector queued after commit, its old files deleted after commit (ingest.artwork_store, which also puts the pairs
    dismissed with it back on the review page)."""
    return ingest.artwork_store(artwork=artwork, image=image, checked=checked, enqueue=enqueue)


@transaction.atomic
def artwork_add(*, artwork: Artwork, image: File, on_duplicate: str | None = None, twin_pk: int | None = None,
                checked: images.CheckedImage | None = None) -> AddOutcome:
    """Store the new `artwork` with `image` unless it is a near-duplicate of a stored work; then apply `on_duplicate`.

    Raises NearDuplicateFound when there is a near-duplicate and no choice, or the choice was made for another work
    (`twin_pk`, the one the curator was shown); ValidationError for a refused picture. Nothing is stored then.
    """
    checked = checked or images.check_image(image)
    if Artwork.objects.filter(image_sha256=checked.sha256).exists():  # the very file: refused, nothing to choose
        raise ValidationError({"image_sha256": Artwork._meta.get_field("image_sha256").error_messages["unique"]})
    twin = near_duplicate(images.perceptual_hash(checked.image))
    if twin is None:
        return AddOutcome("created", ingest.artwork_store(artwork=artwork, image=image, checked=checked))
    if on_duplicate not in OnDuplicate.values or (twin_pk is not None and twin_pk != twin.pk):
        raise NearDuplicateFound(twin, checked)
    if on_duplicate == OnDuplicate.SKIP:
        return AddOutcome("skipped", twin, twin)
    if on_duplicate == OnDuplicate.REPLACE:
        return AddOutcome("replaced", artwork_replace_image(artwork=twin, image=image, checked=checked), twin)
    return AddOutcome("kept", ingest.artwork_store(artwork=artwork, image=image, checked=checked), twin)


def upload_stash(image: File) -> str:
    """Keep an uploaded picture for an hour while the curator chooses, so it need not be sent again; returns a
    random token, or "" when the cache is unreachable (the form then asks for the file again)."""
    image.seek(0)
    token = secrets.token_urlsafe(16)
    try:
        cache.set(_STASH_PREFIX + token, (image.name, image.read()), STASH_TTL_SECONDS)
    except Exception as exc:  # redis down: the choice still works, with the file attached again
        logger.warning("Could not keep an upload while the curator chooses (%s)", exc)
        return ""
    finally:
        image.seek(0)
    return token


def upload_unstash(token: str) -> ContentFile | None:
    """The picture kept under `token`, or None when it expired or never was."""
    try:
        kept = cache.get(_STASH_PREFIX + token) if token else None
    except Exception as exc:
        logger.warning("Could not read a kept upload (%s)", exc)
        return None
    return ContentFile(kept[1], name=kept[0]) if kept else None


def upload_forget(token: str) -> None:
    """Drop a kept upload once it has been used (best effort: it expires anyway)."""
    try:
        cache.delete(_STASH_PREFIX + token)
    except Exception:  # noqa: BLE001 - it expires within the hour
        pass


# --- The review page ---------------------------------------------------------------------------------------------

@dataclass
class DuplicatePair:
    """Two stored works whose pictures look alike: `distance` hash bits apart, `similarity` the cosine of their
    vectors when both have one from the same model."""

    artwork_id: int
    other_id: int
    distance: int
    similarity: float | None
    artwork: Artwork | None = None
    other: Artwork | None = None

    @property
    def borderline(self) -> bool:
        return self.distance > recognition.NEAR_DUPLICATE_MAX_BITS


_SIMILARITY_SQL = """
SELECT p.a, p.b, CASE WHEN x.embedding_model = y.embedding_model AND x.embedding IS NOT NULL
                      AND y.embedding IS NOT NULL THEN 1 - (x.embedding <=> y.embedding) END,
       x.embedding_model = y.embedding_model AND x.embedding_model <> '' AND x.embedding_model NOT LIKE '%%/untrained%%'
FROM unnest(%s::bigint[], %s::bigint[]) AS p(a, b)
JOIN gallery_artwork x ON x.id = p.a JOIN gallery_artwork y ON y.id = p.b"""


@dataclass
class ReviewList:
    """The pairs the review page shows: `computed_at` when they were found; `refreshing` while a worker computes
    them again for a collection that changed since."""

    pairs: list[DuplicatePair]
    computed_at: datetime | None
    refreshing: bool = False


def review_pairs() -> ReviewList:
    """Every pair of stored works that look alike and no curator has dismissed, nearest first (then by id).

    A collection of up to REVIEW_INLINE_MAX_ROWS works is compared here (well under a second); a larger one by a
    worker (duplicate_pairs_refresh: one indexed lookup per work, minutes at 100k), queued when the collection has
    changed since the last list, which is shown meanwhile. Dismissed pairs are left out as they are read.
    """
    state = _collection_state()
    kept = _cache_get(_PAIRS_KEY)
    if kept is not None and kept[0] == state:
        review = ReviewList([DuplicatePair(*row) for row in kept[2]], kept[1])
    elif Artwork.objects.filter(perceptual_hash_bits__isnull=False)[:REVIEW_INLINE_MAX_ROWS + 1].count() \
            <= REVIEW_INLINE_MAX_ROWS:
        review = ReviewList(_refresh(state), timezone.now())
    else:
        if _cache_add(_REFRESHING_KEY, REFRESH_LOCK_SECONDS):  # one refresh at a time
            transaction.on_commit(_enqueue_refresh)
        review = ReviewList([DuplicatePair(*row) for row in kept[2]] if kept else [], kept[1] if kept else None,
                            refreshing=True)
    dismissed = set(DismissedDuplicate.objects.values_list("artwork_id", "other_id"))
    review.pairs = [pair for pair in review.pairs if (pair.artwork_id, pair.other_id) not in dismissed]
    return review


def duplicate_pairs_refresh() -> int:
    """Compute every pair of the collection and keep them (in the cache) for the review page; returns how many."""
    return len(_refresh(_collection_state()))


def _refresh(state: str) -> list[DuplicatePair]:
    try:
        pairs = duplicate_pairs()
        _cache_set(_PAIRS_KEY, (state, timezone.now(),
                                [(p.artwork_id, p.other_id, p.distance, p.similarity) for p in pairs]))
    finally:
        _cache_delete(_REFRESHING_KEY)
    return pairs


def duplicate_pairs() -> list[DuplicatePair]:
    """Every pair of stored works that look alike, dismissed or not, nearest first (then by id); reads only.

    Within NEAR_DUPLICATE_MAX_BITS always; up to BORDERLINE_MAX_BITS when their vectors (same pretrained model)
    are at least BORDERLINE_MIN_SIMILARITY alike.
    """
    snapshot = hash_index.load()  # read now, whole: exact for the collection as it is
    ids, high, low = snapshot.ids, snapshot.high, snapshot.low
    found: dict[tuple[int, int], int] = {}
    for row in range(len(ids) - 1):  # each row against the later ones: every pair once
        distance = np.bitwise_count(high[row + 1:] ^ high[row]) + np.bitwise_count(low[row + 1:] ^ low[row])
        for other in np.flatnonzero(distance <= BORDERLINE_MAX_BITS):
            found[(int(ids[row]), int(ids[row + 1 + other]))] = int(distance[other])
    if not found:
        return []
    keys = list(found)
    with connection.cursor() as cursor:
        cursor.execute(_SIMILARITY_SQL, [[a for a, _ in keys], [b for _, b in keys]])
        rows = cursor.fetchall()
    pairs = []
    for a, b, similarity, pretrained in rows:
        distance = found[(a, b)]
        if distance > recognition.NEAR_DUPLICATE_MAX_BITS and not (
                pretrained and similarity is not None and similarity >= BORDERLINE_MIN_SIMILARITY):
            continue
        pairs.append(DuplicatePair(a, b, distance, None if similarity is None else float(similarity)))
    return sorted(pairs, key=lambda pair: (pair.distance, pair.artwork_id, pair.other_id))


def _collection_state() -> str:
    """Changes whenever a work or its picture changes: whether the kept pair list is current."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM gallery_artwork")
        return cursor.fetchone()[0]


def _enqueue_refresh() -> None:
    try:
        duplicate_pairs_refresh_task.delay()
    except Exception as exc:  # broker down: the next visit to the page queues it again
        _cache_delete(_REFRESHING_KEY)
        logger.warning("Could not queue the near-duplicate review (%s)", exc)


# The cache only speeds the review page up: without it, every visit computes (or queues) the pairs again.
def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001
        return None


def _cache_set(key: str, value) -> None:
    try:
        cache.set(key, value, None)
    except Exception as exc:  # noqa: BLE001
        logger.warning("Could not keep the near-duplicate pairs (%s)", exc)


def _cache_add(key: str, timeout: int) -> bool:
    try:
        return cache.add(key, 1, timeout)
    except Exception:  # noqa: BLE001
        return True


def _cache_delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:  # noqa: BLE001
        pass


def pairs_load_artworks(pairs: list[DuplicatePair]) -> list[DuplicatePair]:
    """Attach both works (with their artists) to each pair; a pair whose work is gone meanwhile is dropped."""
    ids = {pk for pair in pairs for pk in (pair.artwork_id, pair.other_id)}
    artworks = Artwork.objects.select_related("artist").defer("embedding", "search_document").in_bulk(ids)
    loaded = []
    for pair in pairs:
        pair.artwork, pair.other = artworks.get(pair.artwork_id), artworks.get(pair.other_id)
        if pair.artwork is not None and pair.other is not None:
            loaded.append(pair)
    return loaded


def pair_dismiss(*, artwork_id: int, other_id: int, user=None) -> None:
    """Keep both works of a pair: the review page no longer lists it (idempotent)."""
    first, second = sorted((artwork_id, other_id))
    DismissedDuplicate.objects.get_or_create(artwork_id=first, other_id=second, defaults={"dismissed_by": user})
