"""Sources imported again on a schedule: each due ImportSchedule starts a CollectionImport of its URL, which a worker
runs like any import (gallery.services.import_jobs). Imports are idempotent, so a run brings in what is new or changed
at the source and leaves the rest unchanged; a work the source no longer lists is kept (a curator unpublishes it).
A source that can tell what changed (a Linked Art activity stream, an OAI-PMH harvest) is asked, after a run that
finished, for only what changed since that run began.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from gallery.models import CollectionImport, ImportSchedule
from gallery.services import import_jobs

logger = logging.getLogger(__name__)

_BUSY = (CollectionImport.Status.QUEUED, CollectionImport.Status.RUNNING)


def _changes_since(last_job: CollectionImport | None) -> datetime | None:
    """What the next import of a source that can tell what changed (an activity stream, an OAI-PMH harvest) asks for:
    after a job that finished with every record read, what changed since it began; after one that could not read
    some (an image that failed to download), what its own window held, so those are tried again (a work the source
    deleted is no failure); after a job that failed, or none, everything."""
    if last_job is None or last_job.status != CollectionImport.Status.DONE:
        return None
    if last_job.failures:
        return last_job.changes_since
    return last_job.started_at


def import_schedules_start() -> list[int]:
    """Start an import of every enabled schedule that is due and whose last import has finished; its next run is
    then one interval on. Returns the jobs started. Run by beat; two beats at once start nothing twice (the rows are
    locked, and a locked one is left to the other)."""
    started = []
    now = timezone.now()
    with transaction.atomic():
        due = (ImportSchedule.objects.select_for_update(of=("self",), skip_locked=True).select_related("last_job")
               .filter(enabled=True, next_run_at__lte=now))
        for schedule in due:
            if schedule.last_job is not None and schedule.last_job.status in _BUSY:
                continue  # still importing the last time's: it starts once that one is done
            schedule.next_run_at = now + timedelta(days=schedule.every)
            try:
                schedule.last_job = import_jobs.collection_import_start(
                    source_url=schedule.source_url, draft=schedule.draft, on_duplicate=schedule.on_duplicate,
                    changes_since=_changes_since(schedule.last_job))
            except import_jobs.ImportFilesRefused as exc:  # saved past the admin's form: the others still start
                logger.warning("Scheduled import %r not started: %s", schedule.name, exc)
                schedule.save(update_fields=["next_run_at", "updated_at"])
                continue
            schedule.save(update_fields=["last_job", "next_run_at", "updated_at"])
            started.append(schedule.last_job.pk)
            logger.info("Scheduled import %r started as job %s.", schedule.name, schedule.last_job.pk)
    return started
