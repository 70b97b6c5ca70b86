"""Bulk import of a collection in the Kaggle "Best Artworks of All Time" layout, through the ingest services."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from gallery import images, kaggle
from gallery.clip import get_encoder
from gallery.models import Artist, Artwork, OnDuplicate
from gallery.services import artist_merge, duplicates, encoding, ingest, recognition

logger = logging.getLogger(__name__)

FIRST_SYNC_BATCH = 8  # a `--sync` import's first batch: see _batch_size


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    artists_created: int = 0
    artists_updated: int = 0
    embedded: int = 0
    artwork_ids: list[int] = field(default_factory=list)
    near_duplicates: list[duplicates.FoundDuplicate] = field(default_factory=list)
    replaced_ids: list[int] = field(default_factory=list)  # stored works that got a new picture from this import


@transaction.atomic
def artists_upsert(*, records: Iterable[kaggle.ArtistRecord], report: ImportReport) -> dict[str, Artist]:
    """Create or update artists from CSV records; returns every artist keyed by kaggle.name_key(name)."""
    by_key = artist_merge.artists_by_key(kaggle.name_key)
    for record in records:
        values = {"name": record.name, "birth_year": record.birth_year, "death_year": record.death_year,
                  "genres": record.genres, "nationality": record.nationality, "bio": record.bio,
                  "wikipedia_url": record.wikipedia_url}
        artist = by_key.get(kaggle.name_key(record.name))
        if artist is not None and kaggle.name_key(artist.name) != kaggle.name_key(record.name):
            del values["name"]  # found by the name of an artist merged into it: it keeps its own
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
        by_key[kaggle.name_key(record.name)] = artist
    return by_key


def _artist_for_folder(folder: str, artists: dict[str, Artist], report: ImportReport) -> Artist:
    key = kaggle.name_key(folder)
    if key not in artists:  # a folder the CSV does not describe: the artist gets a name and nothing else
        artists[key] = Artist.objects.create(name=folder.replace("_", " "))
        report.artists_created += 1
    return artists[key]


class _PipelinedEmbedder:
    """`--sync` embedding that overlaps with storing: a thread encodes batch N while the caller stores batch N+1
    (torch releases the GIL).

    It encodes the images the caller decoded (and checked) when storing them, so every file is decoded once. The
    thread never touches the database: vectors are written by the calling thread, so an import inside a transaction
    the caller holds open (as tests do) sees its own rows. At most MAX_IN_FLIGHT batches wait.
    """

    MAX_IN_FLIGHT = 2

    def __init__(self, report: ImportReport) -> None:
        self.encoder = get_encoder()
        self.report = report
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-embed")
        self.in_flight: deque[tuple[list[int], Future]] = deque()

    def submit(self, ids: list[int], inputs: list[encoding.PictureInputs]) -> None:
        self.in_flight.append((ids, self.executor.submit(encoding.encode_pictures, inputs, encoder=self.encoder)))
        while len(self.in_flight) > self.MAX_IN_FLIGHT or (self.in_flight and self.in_flight[0][1].done()):
            self._store(*self.in_flight.popleft())

    def finish(self) -> None:
        try:
            while self.in_flight:
                self._store(*self.in_flight.popleft())
        finally:
            self.executor.shutdown(cancel_futures=True)

    def _store(self, ids: list[int], future: Future) -> None:
        ingest.artworks_attach_vectors(artwork_ids=ids, encoded=future.result(), model_id=self.encoder.model_id)
        self.report.embedded += len(ids)


@dataclass
class _Batch:
    """Prepared artworks waiting to be stored together, their open source files and, for `--sync`, the small images
    what their vectors will be computed from."""

    prepared: list[ingest.PreparedArtwork] = field(default_factory=list)
    encoder_inputs: list[encoding.PictureInputs] = field(default_factory=list)
    handles: list[BinaryIO] = field(default_factory=list)

    def close(self) -> None:
        for handle in self.handles:
            handle.close()
        self.prepared, self.encoder_inputs, self.handles = [], [], []


def _store_batch(batch: _Batch, report: ImportReport, embedder: _PipelinedEmbedder | None) -> None:
    """Store a batch in one transaction and hand it to the embedding; one at a time if another upload raced it."""
    inputs = batch.encoder_inputs or [None] * len(batch.prepared)
    try:
        stored = list(zip(ingest.artworks_create_prepared(batch.prepared), inputs))
    except ValidationError:  # someone stored one of these files meanwhile: keep the others
        stored = []
        for item, image in zip(batch.prepared, inputs):
            try:
                stored += [(artwork, image) for artwork in ingest.artworks_create_prepared([item])]
            except ValidationError as exc:
                report.failed.append((item.upload.file.name, " ".join(exc.messages)))
    finally:
        batch.close()
    ids = [artwork.pk for artwork, _ in stored]
    report.imported += len(ids)
    report.artwork_ids += ids
    if embedder is not None and ids:
        embedder.submit(ids, [image for _, image in stored])
    elif ids:
        ingest.enqueue_embedding_on_commit(ids)


def dataset_import(*, root: Path, artists_csv: Path | None = None, limit: int | None = None, sync: bool = False,
                   on_duplicate: str = OnDuplicate.KEEP,
                   progress: Callable[[Iterable, int], Iterable] = lambda items, total: items) -> ImportReport:
    """Import artists and images from `root`. Files already stored (same sha256) are skipped, so a rerun is a no-op.

    Each file is checked on its own: a bad file is reported and the rest go on. The good ones are stored in
    batches, one transaction and one INSERT a batch, and embedded by the worker (default) or in this process
    (`sync`, overlapping encoding with storing). A file that looks like a stored work (gallery.services.duplicates)
    is kept beside it, skipped or put on it instead of its picture, as `on_duplicate` says, and reported.
    """
    report = ImportReport()
    csv_path = artists_csv or root / "artists.csv"
    records = kaggle.read_artists_csv(csv_path) if csv_path.exists() else []
    artists = artists_upsert(records=records, report=report)
    files = list(kaggle.iter_images(kaggle.find_images_dir(root)))
    if limit is not None:
        files = files[:limit]
    known = set(Artwork.objects.values_list("image_sha256", flat=True))
    embedder = _PipelinedEmbedder(report) if sync else None
    batch = _Batch()
    try:
        for image_file in progress(files, len(files)):
            handle = open(image_file.path, "rb")
            batch.handles.append(handle)  # closed with the batch: an error anywhere below cannot leak it
            sha256 = images.sha256_of(handle)
            if sha256 in known:
                batch.handles.pop().close()
                report.skipped += 1
                continue
            artist = _artist_for_folder(image_file.folder, artists, report)
            artwork = Artwork(artist=artist, title=kaggle.title_for(artist.name, image_file))
            try:
                # The artist was just looked up and the hash checked against `known`: no query per file for them.
                prepared, decoded = ingest.artwork_prepare(
                    artwork=artwork, image=File(handle, name=image_file.path.name), exclude=["artist", "image_sha256"])
            except ValidationError as exc:
                batch.handles.pop().close()
                report.failed.append((str(image_file.path), " ".join(exc.messages)))
                continue
            known.add(sha256)
            if _looks_like_one_of(artwork.perceptual_hash, batch.prepared):
                current = batch.handles.pop()  # store the waiting batch first, so that the lookup below sees it
                _store_batch(batch, report, embedder)
                batch.handles.append(current)
            if twin := recognition.artwork_near_duplicate(artwork.perceptual_hash):
                action = duplicates.import_action(on_duplicate, twin,
                                                  touched={*report.artwork_ids, *report.replaced_ids})
                report.near_duplicates.append(duplicates.FoundDuplicate(
                    str(image_file.path), twin.pk, duplicates.twin_label(twin), twin.hamming, action))
                if action != "kept":
                    handle = batch.handles.pop()
                    with handle:
                        if action == "replaced":
                            _replace(twin, File(handle, name=image_file.path.name), report, enqueue=embedder is None)
                    continue
            batch.prepared.append(prepared)
            if embedder is not None:
                batch.encoder_inputs.append(encoding.picture_inputs(decoded, encoder=embedder.encoder))
            if len(batch.prepared) >= _batch_size(report, embedder):
                _store_batch(batch, report, embedder)
        if batch.prepared:
            _store_batch(batch, report, embedder)
    finally:
        batch.close()
        if embedder is not None:
            embedder.finish()
    if embedder is not None and report.replaced_ids:  # embedded here too, once the pipeline has finished
        report.embedded += ingest.artworks_embed(artwork_ids=report.replaced_ids, encoder=embedder.encoder)["embedded"]
    return report


def _batch_size(report: ImportReport, embedder: _PipelinedEmbedder | None) -> int:
    """Files stored (and handed to the encoder) together. With `--sync` the first batch is small: the encoder idles
    until one is stored, and starting it after 8 files rather than 32 keeps a core from idling that long."""
    return FIRST_SYNC_BATCH if embedder is not None and not report.imported else ingest.EMBED_BATCH_SIZE


def _looks_like_one_of(perceptual_hash: str, prepared: list[ingest.PreparedArtwork]) -> bool:
    return any(recognition.hamming_distance(perceptual_hash, item.artwork.perceptual_hash)
               <= recognition.NEAR_DUPLICATE_MAX_BITS for item in prepared)


def _replace(twin: Artwork, image: File, report: ImportReport, *, enqueue: bool) -> None:
    """The stored `twin` gets the imported picture (--on-duplicate=replace); a refused file is reported."""
    try:
        duplicates.artwork_replace_image(artwork=twin, image=image, enqueue=enqueue)
    except ValidationError as exc:
        report.failed.append((image.name, " ".join(exc.messages)))
    else:
        report.replaced_ids.append(twin.pk)
