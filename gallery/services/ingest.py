"""Writes: storing artworks, embedding them, and re-queueing what needs a (new) vector."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image

from gallery import images, keypoints, visual_words
from gallery.clip import EMBEDDING_DIM, BaseEncoder, get_encoder
from gallery.models import Artist, Artwork, ArtworkKeypoints, ArtworkRegion, DismissedDuplicate
from gallery.services import encoding, keywords
from gallery.tasks import artworks_embed as artworks_embed_task

logger = logging.getLogger(__name__)

EMBED_BATCH_SIZE = 32  # batch-32 CLIP encoding is several times faster per image than one at a time on CPU


def _enqueue_embedding(artwork_ids: list[int]) -> None:
    """Publish an embedding job. If the broker is down the rows stay pending and the sweeper re-queues them."""
    try:
        artworks_embed_task.delay(artwork_ids)
    except Exception as exc:  # kombu raises OperationalError, redis-py ConnectionError: both mean "not now"
        logger.warning("Could not queue embedding for artworks %s (%s); the stale sweeper will retry.",
                       artwork_ids, exc)


def enqueue_embedding_on_commit(artwork_ids: Sequence[int]) -> None:
    """Queue embedding jobs, in batches, once the current transaction commits (nothing if it rolls back)."""
    ids = list(artwork_ids)
    for start in range(0, len(ids), EMBED_BATCH_SIZE):
        transaction.on_commit(partial(_enqueue_embedding, ids[start:start + EMBED_BATCH_SIZE]))


def _delete_quietly(storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # best effort: the original error is the one to report
        logger.exception("Could not delete %s after a failed save", name)


def _delete_orphans(saved: list[tuple[object, str]]) -> None:
    """Delete the files a failed save stored, except those a row uses.

    Names are content-addressed and GCS overwrites: when two uploads of one new file race, the loser (refused by the
    unique hash) has just rewritten the winner's objects, and must not delete them.
    """
    names = [name for _, name in saved]
    try:
        rows = Artwork.objects.filter(Q(image__in=names) | Q(thumbnail__in=names)).values_list("image", "thumbnail")
        in_use = {name for row in rows for name in row}
    except Exception:  # the database is unusable: an orphan costs less than a row whose image is gone
        logger.exception("Could not check whether %s are in use; leaving them", names)
        return
    for storage, name in saved:
        if name not in in_use:
            _delete_quietly(storage, name)


def _stored_file_names(artwork: Artwork) -> list[str]:
    """The file names in the database row; a form may already have put a new upload on `artwork.image`."""
    if artwork.pk is None:
        return []
    row = Artwork.objects.filter(pk=artwork.pk).values_list("image", "thumbnail").first()
    return [name for name in row or () if name]


@dataclass
class PreparedArtwork:
    """An artwork whose image passed every check, with what is derived from it; nothing is stored yet."""

    artwork: Artwork
    upload: File
    extension: str
    thumbnail: ContentFile


def artwork_prepare(*, artwork: Artwork, image: File, exclude: Sequence[str] = (),
                    checked: images.CheckedImage | None = None) -> tuple[PreparedArtwork, Image.Image]:
    """Check `image` and set on `artwork` what comes from it (hashes, size, a pending vector), then validate the row.

    Returns the prepared artwork and the decoded working copy (gallery.images), which is not kept with it: a batch
    of them could take hundreds of megabytes. Raises ValidationError for an unreadable, oversized or duplicate
    image. `exclude` skips the checks of fields the caller vouches for, e.g. an importer that has looked up the
    artist and the hash itself; `checked` is the result of images.check_image(image) when a form already ran it.
    """
    checked = checked or images.check_image(image)
    artwork.image_sha256 = checked.sha256
    artwork.perceptual_hash = images.perceptual_hash(checked.image)
    artwork.width, artwork.height = checked.width, checked.height
    artwork.embedding, artwork.embedding_model = None, ""
    artwork.status, artwork.failure_reason = Artwork.Status.PENDING, ""
    # The unique hash rejects a second copy. The one check constraint (a ready row has a vector) holds by
    # construction for a pending row, so it costs no query here; the database still enforces it.
    artwork.full_clean(exclude=["image", "thumbnail", *exclude], validate_constraints=False)
    prepared = PreparedArtwork(artwork=artwork, upload=image, extension=checked.extension,
                               thumbnail=images.make_thumbnail(checked.image))
    return prepared, checked.image


@contextlib.contextmanager
def _files_stored(prepared: Sequence[PreparedArtwork]) -> Iterator[None]:
    """Store each image and thumbnail, then run the block that writes the rows, in one transaction.

    If anything fails, the files stored here are deleted again (unless a row uses them) and a lost race on the unique
    hash is reported as the duplicate it is.
    """
    saved: list[tuple[object, str]] = []
    try:
        with transaction.atomic():
            for item in prepared:
                artwork = item.artwork
                artwork.image.save(f"upload.{item.extension}", item.upload, save=False)
                saved.append((artwork.image.storage, artwork.image.name))
                artwork.thumbnail.save("thumbnail.jpg", item.thumbnail, save=False)
                saved.append((artwork.thumbnail.storage, artwork.thumbnail.name))
            yield
    except BaseException as exc:
        _delete_orphans(saved)
        if isinstance(exc, IntegrityError) and "image_sha256" in str(exc):
            # Lost a race with a simultaneous upload of the same file: the same answer full_clean gives.
            raise ValidationError({"image_sha256": Artwork._meta.get_field("image_sha256").error_messages["unique"]})
        raise


def artwork_store(*, artwork: Artwork, image: File, enqueue: bool = True,
                  checked: images.CheckedImage | None = None) -> Artwork:
    """Validate `image`, store it with a thumbnail on `artwork` (new or existing) and queue its embedding.

    Raises ValidationError for an unreadable, oversized or duplicate image; then no row and no file is left behind.
    `checked`: images.check_image(image), when the caller's form has already run it.
    """
    prepared, _ = artwork_prepare(artwork=artwork, image=image, checked=checked)
    replaced = _stored_file_names(artwork)
    with _files_stored([prepared]):
        artwork.save()
        keywords.artworks_index_text(artwork_ids=[artwork.pk])
    # The same file stored again has the same names (GCS overwrites them in place): those are not to be deleted.
    for name in set(replaced) - {artwork.image.name, artwork.thumbnail.name}:
        transaction.on_commit(partial(artwork.image.storage.delete, name))
    if set(replaced) - {artwork.image.name, artwork.thumbnail.name}:  # a new picture: pairs dismissed with the old
        # one are reviewed again (gallery.services.duplicates)
        DismissedDuplicate.objects.filter(Q(artwork=artwork) | Q(other=artwork)).delete()
    if enqueue:
        enqueue_embedding_on_commit([artwork.pk])
    return artwork


@transaction.atomic
def artwork_create(*, artist: Artist, title: str, image: File, enqueue: bool = True) -> Artwork:
    """Create an artwork from an uploaded image; a worker embeds it after commit."""
    return artwork_store(artwork=Artwork(artist=artist, title=title), image=image, enqueue=enqueue)


def artworks_create_prepared(prepared: Sequence[PreparedArtwork]) -> list[Artwork]:
    """Store new prepared artworks together: their files, then every row in one INSERT (bulk import).

    All or nothing: on an error no row and no file of the batch is left, and a duplicate among them raises
    ValidationError, as artwork_store does. Embedding is the caller's to queue.
    """
    artworks = [item.artwork for item in prepared]
    if not artworks:
        return []
    with _files_stored(prepared):
        Artwork.objects.bulk_create(artworks)
        keywords.artworks_index_text(artwork_ids=[artwork.pk for artwork in artworks])
    return artworks


def artwork_mark_failed(*, artwork_id: int, reason: str) -> None:
    """Record why an artwork could not be embedded. The row and its files stay, for a curator to fix or re-embed."""
    Artwork.objects.filter(pk=artwork_id).update(status=Artwork.Status.FAILED, failure_reason=reason[:2000],
                                                 updated_at=timezone.now())


def artwork_working_copy(artwork: Artwork) -> Image.Image:
    """The stored image's working copy. Storage errors propagate (the task retries them); a file that no longer
    decodes raises ValueError. Upload limits are not applied again (images.open_for_encoding)."""
    with artwork.image.open("rb") as fp:
        data = io.BytesIO(fp.read())  # read first: a network error while reading is transient, not damage
    try:
        return images.open_for_encoding(data)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"The stored image is damaged and cannot be decoded ({exc}).") from exc


def artworks_embed(*, artwork_ids: Iterable[int], encoder: BaseEncoder | None = None) -> dict[str, int]:
    """Embed the given artworks in one batch. Idempotent: rows already embedded by this encoder (with their
    keypoints, when works keep them) are skipped.

    A ready work embedded before detail search had keypoints stays ready (and searchable) while it gets them.
    An unreadable image marks only its own row failed. Returns counts: embedded, skipped, failed.
    """
    encoder = encoder or get_encoder()
    artwork_ids = set(artwork_ids)
    done = Artwork.objects.embedded_by(encoder.model_id)
    if settings.GALLERY_KEYPOINTS:
        done = done.filter(keypoints__isnull=False)
    artworks = list(Artwork.objects.filter(pk__in=artwork_ids).exclude(pk__in=done.values("pk")))
    counts = {"embedded": 0, "skipped": len(artwork_ids) - len(artworks), "failed": 0}
    if not artworks:
        return counts
    Artwork.objects.filter(pk__in=[a.pk for a in artworks]).exclude(
        status=Artwork.Status.READY, embedding_model=encoder.model_id).update(status=Artwork.Status.PROCESSING,
                                                                               updated_at=timezone.now())
    loaded: list[tuple[Artwork, Image.Image]] = []
    for artwork in artworks:
        try:
            loaded.append((artwork, artwork_working_copy(artwork)))
        except FileNotFoundError:
            artwork_mark_failed(artwork_id=artwork.pk, reason=f"The image file {artwork.image.name} is missing.")
            counts["failed"] += 1
        except ValueError as exc:
            artwork_mark_failed(artwork_id=artwork.pk, reason=str(exc))
            counts["failed"] += 1
    if not loaded:
        return counts
    ids = [artwork.pk for artwork, _ in loaded]
    inputs = [encoding.picture_inputs(image, encoder=encoder) for _, image in loaded]
    del loaded  # the working copies: the inputs hold what the encoder needs of them, much smaller
    artworks_attach_vectors(artwork_ids=ids, encoded=encoding.encode_pictures(inputs, encoder=encoder),
                            model_id=encoder.model_id)
    counts["embedded"] = len(ids)
    return counts


def artworks_attach_vectors(*, artwork_ids: Sequence[int], encoded: Sequence[encoding.EncodedPicture],
                            model_id: str) -> None:
    """Store what was encoded of each artwork by `model_id` (its vector, its regions, its keypoints) and mark the
    rows ready, in one transaction: a search never sees an artwork with the regions of its previous picture."""
    assert len(encoded) == len(artwork_ids), (len(encoded), len(artwork_ids))
    assert all(item.vector.shape == (EMBEDDING_DIM,) for item in encoded)
    now = timezone.now()
    with transaction.atomic():
        # bulk_update writes only these columns: a curator may have edited the title meanwhile.
        Artwork.objects.bulk_update(
            [Artwork(pk=artwork_id, embedding=item.vector, embedding_model=model_id, status=Artwork.Status.READY,
                     failure_reason="", updated_at=now) for artwork_id, item in zip(artwork_ids, encoded)],
            ["embedding", "embedding_model", "status", "failure_reason", "updated_at"])
        ArtworkRegion.objects.filter(artwork_id__in=artwork_ids).delete()
        ArtworkRegion.objects.bulk_create(
            ArtworkRegion(artwork_id=artwork_id, x=box.x, y=box.y, w=box.w, h=box.h, embedding=vector,
                          embedding_model=model_id)
            for artwork_id, item in zip(artwork_ids, encoded) for box, vector in item.regions)
        ArtworkKeypoints.objects.filter(artwork_id__in=artwork_ids).delete()
        ArtworkKeypoints.objects.bulk_create(
            _keypoints_row(artwork_id, item.keypoints)
            for artwork_id, item in zip(artwork_ids, encoded) if item.keypoints is not None)


def _keypoints_row(artwork_id: int, found: keypoints.Keypoints) -> ArtworkKeypoints:
    return ArtworkKeypoints(artwork_id=artwork_id, data=found.to_bytes(),
                            words=visual_words.vocabulary().bit_string(found.descriptors),
                            vocabulary=visual_words.vocabulary_id())


def artworks_reembed(*, queryset, enqueue: bool = True) -> int:
    """Mark the given artworks pending and queue them in batches. Returns how many were queued."""
    ids = list(queryset.values_list("pk", flat=True))
    Artwork.objects.filter(pk__in=ids).update(status=Artwork.Status.PENDING, failure_reason="",
                                              updated_at=timezone.now())
    if enqueue:
        enqueue_embedding_on_commit(ids)
    return len(ids)


def artworks_set_published(*, queryset, published: bool) -> int:
    """Publish the given artworks, or take them back to drafts (hidden from every public page). Returns how many."""
    return queryset.update(published=published, updated_at=timezone.now())


def artworks_stale_for(model_id: str):
    """Artworks whose vector is missing, failed or from a model other than `model_id`."""
    return Artwork.objects.exclude(status=Artwork.Status.READY, embedding_model=model_id)


def artworks_backfill_details(*, model_id: str, limit: int = 3200) -> int:
    """Queue up to `limit` ready works that have no keypoints yet (embedded before detail search existed, or while
    GALLERY_KEYPOINTS was 0) for their regions and keypoints; they stay searchable meanwhile. Then name the words of
    up to `limit` stored keypoints that have none from this vocabulary. Returns how many works were queued."""
    if not settings.GALLERY_KEYPOINTS:
        return 0
    keypoints_name_words(limit=limit)
    ids = list(Artwork.objects.embedded_by(model_id).filter(keypoints__isnull=True)
               .order_by("pk").values_list("pk", flat=True)[:limit])
    if ids:
        logger.info("Queueing %d artworks for their regions and keypoints", len(ids))
        enqueue_embedding_on_commit(ids)
    return len(ids)


def keypoints_name_words(*, limit: int, batch: int = 200) -> int:
    """Compute the visual words of up to `limit` stored keypoints named by no or another vocabulary (stored before
    the words existed, or before a new vocabulary): from the keypoints alone, no image read. Returns how many."""
    current = visual_words.vocabulary_id()
    named = 0
    while named < limit:
        stale = list(ArtworkKeypoints.objects.exclude(vocabulary=current).order_by("pk")
                     .values_list("pk", "data")[:min(batch, limit - named)])
        if not stale:
            break
        rows = [_keypoints_row(pk, keypoints.Keypoints.from_bytes(bytes(data))) for pk, data in stale]
        # A row re-embedded meanwhile already has this vocabulary's words: the filter leaves it alone.
        with transaction.atomic():
            for row in rows:
                ArtworkKeypoints.objects.filter(pk=row.pk).exclude(vocabulary=current).update(
                    words=row.words, vocabulary=row.vocabulary)
        named += len(rows)
    if named:
        logger.info("Named the visual words of %d works' keypoints", named)
    return named


def artworks_requeue_stuck(*, older_than: timedelta) -> int:
    """Re-queue rows left pending or processing longer than `older_than` (a lost message, a killed worker)."""
    cutoff = timezone.now() - older_than
    stuck = Artwork.objects.awaiting_embedding().filter(updated_at__lte=cutoff)
    ids = list(stuck.values_list("pk", flat=True))
    if ids:
        logger.info("Re-queueing %d artworks stuck in pending/processing", len(ids))
        # Bump updated_at so the next sweep does not queue them again while these jobs wait in line.
        Artwork.objects.filter(pk__in=ids).update(updated_at=timezone.now())
        enqueue_embedding_on_commit(ids)
    return len(ids)
