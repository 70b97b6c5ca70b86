"""Bulk import of a collection in the Kaggle "Best Artworks of All Time" layout, through the ingest services."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from gallery import datasets, images
from gallery.models import Artist, Artwork
from gallery.services import ingest

logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    artists_created: int = 0
    artists_updated: int = 0
    embedded: int = 0
    artwork_ids: list[int] = field(default_factory=list)


@transaction.atomic
def artists_upsert(*, records: Iterable[datasets.ArtistRecord], report: ImportReport) -> dict[str, Artist]:
    """Create or update artists from CSV records; returns every artist keyed by datasets.name_key(name)."""
    by_key = {datasets.name_key(artist.name): artist for artist in Artist.objects.all()}
    for record in records:
        values = {"name": record.name, "birth_year": record.birth_year, "death_year": record.death_year,
                  "genres": record.genres, "nationality": record.nationality, "bio": record.bio,
                  "wikipedia_url": record.wikipedia_url}
        artist = by_key.get(datasets.name_key(record.name))
        if artist is None:
            artist = Artist(**values)
            artist.full_clean()
            artist.save()
            report.artists_created += 1
        elif any(getattr(artist, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(artist, name, value)
            artist.full_clean()
            artist.save()
            report.artists_updated += 1
        by_key[datasets.name_key(record.name)] = artist
    return by_key


def _artist_for_folder(folder: str, artists: dict[str, Artist], report: ImportReport) -> Artist:
    key = datasets.name_key(folder)
    if key not in artists:  # a folder the CSV does not describe: the artist gets a name and nothing else
        artists[key] = Artist.objects.create(name=folder.replace("_", " "))
        report.artists_created += 1
    return artists[key]


def _flush(ids: list[int], *, sync: bool, report: ImportReport) -> None:
    if not ids:
        return
    if sync:
        report.embedded += ingest.artworks_embed(artwork_ids=ids)["embedded"]
    else:
        ingest.enqueue_embedding_on_commit(ids)
    ids.clear()


def dataset_import(*, root: Path, artists_csv: Path | None = None, limit: int | None = None, sync: bool = False,
                   progress: Callable[[Iterable, int], Iterable] = lambda items, total: items) -> ImportReport:
    """Import artists and images from `root`. Files already stored (same sha256) are skipped, so a rerun is a no-op.

    Every image gets its own transaction: a bad file is reported and the rest go on. New artworks are embedded in
    batches, by the worker (default) or in this process (`sync`).
    """
    report = ImportReport()
    csv_path = artists_csv or root / "artists.csv"
    records = datasets.read_artists_csv(csv_path) if csv_path.exists() else []
    artists = artists_upsert(records=records, report=report)
    files = list(datasets.iter_images(datasets.find_images_dir(root)))
    if limit is not None:
        files = files[:limit]
    known = set(Artwork.objects.values_list("image_sha256", flat=True))
    batch: list[int] = []
    for image_file in progress(files, len(files)):
        with open(image_file.path, "rb") as handle:
            sha256 = images.sha256_of(handle)
            if sha256 in known:
                report.skipped += 1
                continue
            artist = _artist_for_folder(image_file.folder, artists, report)
            try:
                artwork = ingest.artwork_create(artist=artist, title=datasets.title_for(artist.name, image_file),
                                                image=File(handle, name=image_file.path.name), enqueue=False)
            except ValidationError as exc:
                report.failed.append((str(image_file.path), " ".join(exc.messages)))
                continue
        known.add(sha256)
        report.imported += 1
        report.artwork_ids.append(artwork.pk)
        batch.append(artwork.pk)
        if len(batch) >= ingest.EMBED_BATCH_SIZE:
            _flush(batch, sync=sync, report=report)
    _flush(batch, sync=sync, report=report)
    return report
