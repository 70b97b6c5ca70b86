"""Collection imports that curators start in the admin: an export file and a zip of images, or a URL, run by a worker.

The job row holds the uploaded files and what the import has done so far (counts, failures), so that its admin page
shows the progress while the worker runs it. The import itself is collection_import's, so it follows the same rules
as the command: keyed records, idempotent, a failure reported and the rest imported.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from gallery.models import CollectionImport, OnDuplicate
from gallery.services import collection_import, ingest
from gallery.sources import FORMATS_WITH_CHANGES, read_source
from gallery.sources.download import fetch, without_secrets
from gallery.tasks import collection_import_run as collection_import_run_task

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
PROGRESS_EVERY = 10  # records between two updates of the job row
MAX_ZIP_MEMBERS = 100_000
_DISK_RESERVE = 1024**3  # what an import leaves free on the worker's scratch disk
# A running job saves its progress every PROGRESS_EVERY records, so this long without a change means no worker has
# it (none running, or the one that had it gone); a queued job may also be waiting behind another long import.
STALLED_AFTER = timedelta(minutes=15)


class ImportFilesRefused(ValueError):
    """The uploaded export or images cannot be used (the job fails with this message)."""


EXPORT_SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson", ".xml")


def check_files(*, export: File, images: File | None = None) -> None:
    """Raise ImportFilesRefused unless `export` is named as an export we read and `images` is a zip."""
    if Path(export.name).suffix.lower() not in EXPORT_SUFFIXES:
        raise ImportFilesRefused(f"{Path(export.name).name}: upload a .csv, .json or .jsonl export, or LIDO .xml")
    if images is not None:
        is_zip = zipfile.is_zipfile(images)
        images.seek(0)
        if not is_zip:
            raise ImportFilesRefused(f"{Path(images.name).name} is not a zip file")


def check_url(url: str) -> None:
    """Raise ImportFilesRefused unless `url` is one a worker can fetch (http or https)."""
    if not url.lower().startswith(("http://", "https://")):
        raise ImportFilesRefused(f"{url}: give an http(s) URL")


def check_source(*, export: File | None, source_url: str, images: File | None) -> None:
    """Raise ImportFilesRefused unless a job has exactly one source, an export file (with a zip of images or not) or a
    URL, and check it (check_files, check_url)."""
    if (export is None) == (not source_url):
        raise ImportFilesRefused("Give an export file or a URL to fetch, not both.")
    if source_url and images is not None:
        raise ImportFilesRefused("A zip of images goes with an export file: a URL's records name their images' URLs.")
    if source_url:
        check_url(source_url)
    else:
        check_files(export=export, images=images)


@transaction.atomic
def collection_import_start(*, export: File | None = None, source_url: str = "", images: File | None = None,
                            draft: bool = False, on_duplicate: str = OnDuplicate.KEEP, started_by=None,
                            changes_since: datetime | None = None) -> CollectionImport:
    """Store the uploaded files (or the URL to fetch) on a new job and queue it for a worker after commit.
    `changes_since` asks a URL that can tell what changed (an activity stream, an OAI-PMH harvest) for only that."""
    check_source(export=export, source_url=source_url, images=images)
    name = without_secrets(source_url) if source_url else Path(export.name).name
    job = CollectionImport(export_name=name[:200], source_url=source_url, draft=draft, on_duplicate=on_duplicate,
                           started_by=started_by, changes_since=changes_since)
    if export is not None:
        job.export.save(f"export{Path(export.name).suffix.lower()}", export, save=False)
    if images is not None:
        job.images.save("images.zip", images, save=False)
    job.save()
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def stalled_since(job: CollectionImport) -> datetime | None:
    """When a queued or running job last moved, if that is longer ago than STALLED_AFTER."""
    waiting = job.status in (CollectionImport.Status.QUEUED, CollectionImport.Status.RUNNING)
    return job.updated_at if waiting and job.updated_at < timezone.now() - STALLED_AFTER else None


def _enqueue(job_id: int) -> None:
    try:
        collection_import_run_task.delay(job_id)
    except Exception as exc:  # broker down: the job stays queued, and the admin can start it again
        logger.warning("Could not queue collection import %s (%s).", job_id, exc)


def _extract_images(archive: Path, target: Path) -> None:
    """Image files of a zip, flat under `target` by their base names; refuses archives too large to be images."""
    max_member = settings.GALLERY_MAX_UPLOAD_BYTES
    longest_name = os.pathconf(target, "PC_NAME_MAX")
    # What may be written in all: a zip of pictures unpacks to about its own size, a zip bomb to far more.
    limit, bound_by = min((settings.GALLERY_IMPORT_MAX_UNPACKED_BYTES, "GALLERY_IMPORT_MAX_UNPACKED_BYTES"),
                           (shutil.disk_usage(target).free - _DISK_RESERVE, "the worker's free disk space"))
    written = 0
    with zipfile.ZipFile(archive) as zipped:
        members = [info for info in zipped.infolist() if not info.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise ImportFilesRefused(f"the zip holds {len(members)} files; at most {MAX_ZIP_MEMBERS} are read")
        for info in members:
            name = PurePosixPath(info.filename.replace("\\", "/")).name  # never a path from the archive
            if name.startswith(".") or Path(name).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            if len(os.fsencode(name)) > longest_name:  # no record can name a file the disk cannot hold
                continue
            if info.file_size > max_member:  # the header's size; reading stops there too (a lying header)
                continue  # the record that names it is reported: its image cannot be had
            with zipped.open(info) as source, open(target / name, "wb") as out:
                written += out.write(source.read(max_member + 1))  # a lying header cannot make it write more
            if written > limit:
                raise ImportFilesRefused(f"the zip's images unpack to more than {limit / 1024**2:,.0f} MB "
                                         f"({bound_by}); import the collection in parts")


def collection_import_run(*, job: CollectionImport) -> CollectionImport:
    """Run a queued job: read its export (with its images) or fetch its URL, import the records, queue their
    embedding. An export's records are counted first, for the progress; a URL's are read as its pages come (an
    API's next pages are fetched as the import reaches them), so its total is known when it is done.

    Safe to run again: the import is idempotent, so a rerun after a crash reports the finished records unchanged.
    """
    job.status, job.started_at, job.message = CollectionImport.Status.RUNNING, timezone.now(), ""
    job.save(update_fields=["status", "started_at", "message", "updated_at"])
    report = collection_import.CollectionImportReport()
    try:
        with tempfile.TemporaryDirectory(prefix="artsearch-import-") as scratch:
            folder = Path(scratch)
            images_dir = folder / "images"
            images_dir.mkdir()
            if job.images:
                with job.images.open("rb") as source, open(folder / "images.zip", "wb") as out:
                    shutil.copyfileobj(source, out)  # a collection's zip may not fit in memory
                _extract_images(folder / "images.zip", images_dir)
            if job.source_url:
                report.format, records = read_source(job.source_url, images_dir=images_dir, since=job.changes_since)
                if job.changes_since is not None and report.format not in FORMATS_WITH_CHANGES:
                    job.changes_since = None  # it cannot tell what changed: read whole, as the job's page then says
                    job.save(update_fields=["changes_since", "updated_at"])
            else:
                export_path = folder / f"export{Path(job.export.name).suffix}"
                with job.export.open("rb") as source, open(export_path, "wb") as out:
                    shutil.copyfileobj(source, out)
                report.format, records = read_source(str(export_path), images_dir=images_dir)
                records = list(records)
                job.total = len(records)
                job.save(update_fields=["total", "updated_at"])

            def progress(done: int) -> None:
                job.processed = done
                if done % PROGRESS_EVERY == 0:
                    _record_progress(job, report, processed=done)

            collection_import.collection_import(records=records, draft=job.draft, fetch_image=_fetch_image,
                                                on_duplicate=job.on_duplicate, report=report, progress=progress)
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        job.status, job.message = CollectionImport.Status.FAILED, str(exc)
        _record_progress(job, report, processed=job.processed)
        return job
    ingest.enqueue_embedding_on_commit(report.to_embed)
    job.status, job.finished_at = CollectionImport.Status.DONE, timezone.now()
    job.total = job.processed if job.source_url else job.total
    _record_progress(job, report, processed=job.total)
    return job


def _fetch_image(url: str) -> bytes:
    return fetch(url, max_bytes=settings.GALLERY_MAX_UPLOAD_BYTES)


def _record_reasons(pairs: list[tuple[str, str]]) -> list[dict]:
    return [{"record": where, "reason": reason} for where, reason in pairs]


def _record_progress(job: CollectionImport, report: collection_import.CollectionImportReport, *,
                     processed: int) -> None:
    job.processed, job.format = processed, report.format
    job.created, job.updated, job.unchanged = report.created, report.updated, report.unchanged
    job.unpublished = report.unpublished
    job.failures, job.left_out = _record_reasons(report.failed), _record_reasons(report.left_out)
    job.near_duplicates = [found.as_dict() for found in report.near_duplicates]
    job.save()
