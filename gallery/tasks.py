"""Celery tasks: thin wrappers that take ids, call one service, and own the retry policy.

Services queue these tasks after commit and the tasks call services back: the one import cycle the layering allows
(Celery's pattern, listed in .importlinter). Tasks import services inside their bodies, so importing this module never
imports a service.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from gallery import metrics

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


def _artworks_embed_failure(self, exc, task_id, args, kwargs, einfo) -> None:
    from gallery.services import ingest

    artwork_ids = args[0] if args else kwargs.get("artwork_ids", [])
    for artwork_id in artwork_ids:
        ingest.artwork_mark_failed(artwork_id=artwork_id, reason=f"Embedding failed: {exc!r}")
    metrics.embedding_counted(failed=len(artwork_ids))


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             retry_backoff_max=120, max_retries=6, on_failure=_artworks_embed_failure)
def artworks_embed(artwork_ids: list[int]) -> dict[str, int]:
    """Embed a batch of artworks. Safe to run twice: rows already embedded by the active model are skipped."""
    from gallery.services import ingest

    counts = ingest.artworks_embed(artwork_ids=artwork_ids)
    metrics.embedding_counted(embedded=counts["embedded"], failed=counts["failed"])
    # A new picture, or one queued again: its deep-zoom tiles (skipped when whole). The vectors are saved: a broker
    # hiccup here must not fail the batch, and `manage.py iiif_tiles` finds any work left without tiles.
    try:
        for artwork_id in artwork_ids:
            artwork_tiles_make.delay(artwork_id)
    except Exception as exc:  # kombu raises OperationalError, redis-py ConnectionError: both mean "not now"
        logger.warning("Could not queue the tiles of artworks %s (%s)", artwork_ids, exc)
    return counts


@shared_task(ignore_result=True)
def artworks_requeue_stuck() -> int:
    """Periodic sweep: re-queue rows stranded in pending/processing by a lost message or a killed worker, and give
    works embedded before detail search their regions and keypoints, a few thousand a sweep."""
    from gallery.clip import get_encoder
    from gallery.services import ingest

    stuck = ingest.artworks_requeue_stuck(older_than=timedelta(seconds=settings.GALLERY_STALE_AFTER_SECONDS))
    ingest.artworks_backfill_details(model_id=get_encoder().model_id)
    return stuck


def _collection_import_failure(self, exc, task_id, args, kwargs, einfo) -> None:
    from gallery.models import CollectionImport

    CollectionImport.objects.filter(pk=args[0] if args else kwargs.get("job_id")).update(
        status=CollectionImport.Status.FAILED, message=f"The import stopped: {exc!r}. What it imported is kept: "
        "add the same files (or URL) again to finish it (records already imported come out unchanged).")


# A collection's import may run for hours (tens of records a second), far past CELERY_TASK_TIME_LIMIT.
@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             max_retries=3, on_failure=_collection_import_failure, time_limit=12 * 60 * 60,
             soft_time_limit=12 * 60 * 60 - 60)
def collection_import_run(job_id: int) -> None:
    """Run a curator's import job. Safe to run again: the import is idempotent."""
    from gallery.models import CollectionImport
    from gallery.services import import_jobs

    job = CollectionImport.objects.filter(pk=job_id).first()
    if job is None or job.status == CollectionImport.Status.DONE:
        return
    import_jobs.collection_import_run(job=job)


@shared_task(ignore_result=True)
def import_schedules_start() -> list[int]:
    """Periodic: start the imports of the sources that are due again (README "Keeping a collection in sync")."""
    from gallery.services import import_schedules

    return import_schedules.import_schedules_start()


@shared_task(ignore_result=True, acks_late=True)
def duplicate_pairs_refresh() -> int:
    """Recompute the near-duplicate pairs of the admin's review page (a large collection's are computed here)."""
    from gallery.services import duplicates

    return duplicates.duplicate_pairs_refresh()


@shared_task(ignore_result=True, acks_late=True)
def search_words_recount() -> int:
    """Periodic: count the words of the works' search documents again (the lexicon of keyword search)."""
    from gallery.services import keywords

    return keywords.search_words_recount()


@shared_task(ignore_result=True, acks_late=True, time_limit=2 * 60 * 60, soft_time_limit=110 * 60)
def collection_map_refresh() -> str:
    """Periodic, and asked for by the map page when there is no layout: lay the collection map out again once the
    searchable works changed and settled, else place the works embedded since (gallery/services/collection_map.py).
    Idempotent; its own time limits, since a layout of a large collection outlasts the default."""
    from gallery.services import collection_map

    return collection_map.collection_map_refresh()


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             retry_backoff_max=120, max_retries=6)
def artwork_tiles_make(artwork_id: int) -> int:
    """Make the deep-zoom (IIIF) tiles of an artwork's picture. Safe to run twice: a whole set is kept as it is."""
    from gallery.models import Artwork
    from gallery.services import iiif

    artwork = Artwork.objects.filter(pk=artwork_id).first()
    if artwork is None:  # deleted before a worker picked the message up; its tiles go with it
        return 0
    try:
        return iiif.artwork_tiles_make(artwork=artwork)
    except (FileNotFoundError, ValueError) as exc:  # no picture to tile: retrying would not bring one
        logger.warning("No deep-zoom tiles for artwork %s: %s", artwork_id, exc)
        return 0


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             max_retries=6)
def artwork_tiles_delete(artwork_id: int) -> int:
    """Delete every tile set of a deleted artwork (hundreds of objects in a bucket: not in the web request)."""
    from gallery.services import iiif

    return iiif.artwork_tiles_delete(artwork_id=artwork_id)
