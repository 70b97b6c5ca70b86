"""Bulk import of a collection in the Kaggle "Best Artworks of All Time" layout, through the ingest services."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from PIL import Image

from gallery import datasets, images
from gallery.embeddings import Encoder, get_encoder
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


def _decode_and_encode(encoder: Encoder, paths: list[Path]) -> tuple[list[int | None], np.ndarray]:
    """Decode the source files as the worker would decode the stored copies, and embed them (no database access)."""
    decoded: list[Image.Image] = []
    positions: list[int | None] = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                decoded.append(images.check_image(handle).image)
            positions.append(len(decoded) - 1)
        except (ValidationError, OSError):  # changed on disk since it was stored: the worker path reports it
            positions.append(None)
    return positions, encoder.encode_images(decoded)


class _PipelinedEmbedder:
    """`--sync` embedding that overlaps with storing: a thread decodes and encodes batch N while the caller stores
    batch N+1 (torch and Pillow release the GIL).

    The thread never touches the database: vectors are written by the calling thread, so an import inside a
    transaction the caller holds open (as tests do) sees its own rows. At most MAX_IN_FLIGHT batches wait.
    """

    MAX_IN_FLIGHT = 2

    def __init__(self, report: ImportReport) -> None:
        self.encoder = get_encoder()
        self.report = report
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-embed")
        self.in_flight: deque[tuple[list[int], list[Path], Future]] = deque()

    def submit(self, batch: list[tuple[int, Path]]) -> None:
        ids, paths = [pk for pk, _ in batch], [path for _, path in batch]
        self.in_flight.append((ids, paths, self.executor.submit(_decode_and_encode, self.encoder, paths)))
        while len(self.in_flight) > self.MAX_IN_FLIGHT or (self.in_flight and self.in_flight[0][2].done()):
            self._store(*self.in_flight.popleft())

    def finish(self) -> None:
        try:
            while self.in_flight:
                self._store(*self.in_flight.popleft())
        finally:
            self.executor.shutdown(cancel_futures=True)

    def _store(self, ids: list[int], paths: list[Path], future: Future) -> None:
        positions, vectors = future.result()
        readable = [(pk, position) for pk, position in zip(ids, positions) if position is not None]
        for pk in set(ids) - {pk for pk, _ in readable}:  # rare: let the worker path decide what is wrong
            self.report.embedded += ingest.artworks_embed(artwork_ids=[pk], encoder=self.encoder)["embedded"]
        ingest.artworks_attach_vectors(artwork_ids=[pk for pk, _ in readable],
                                       vectors=vectors[[position for _, position in readable]],
                                       model_id=self.encoder.model_id)
        self.report.embedded += len(readable)


def _flush(batch: list[tuple[int, Path]], *, embedder: _PipelinedEmbedder | None) -> None:
    if not batch:
        return
    if embedder is not None:
        embedder.submit(batch)
    else:
        ingest.enqueue_embedding_on_commit([pk for pk, _ in batch])
    batch.clear()


def dataset_import(*, root: Path, artists_csv: Path | None = None, limit: int | None = None, sync: bool = False,
                   progress: Callable[[Iterable, int], Iterable] = lambda items, total: items) -> ImportReport:
    """Import artists and images from `root`. Files already stored (same sha256) are skipped, so a rerun is a no-op.

    Every image gets its own transaction: a bad file is reported and the rest go on. New artworks are embedded in
    batches, by the worker (default) or in this process (`sync`, overlapping encoding with storing).
    """
    report = ImportReport()
    csv_path = artists_csv or root / "artists.csv"
    records = datasets.read_artists_csv(csv_path) if csv_path.exists() else []
    artists = artists_upsert(records=records, report=report)
    files = list(datasets.iter_images(datasets.find_images_dir(root)))
    if limit is not None:
        files = files[:limit]
    known = set(Artwork.objects.values_list("image_sha256", flat=True))
    batch: list[tuple[int, Path]] = []
    embedder = _PipelinedEmbedder(report) if sync else None
    try:
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
            batch.append((artwork.pk, image_file.path))
            if len(batch) >= ingest.EMBED_BATCH_SIZE:
                _flush(batch, embedder=embedder)
        _flush(batch, embedder=embedder)
    finally:
        if embedder is not None:
            embedder.finish()
    return report
