"""Importing a collection's catalogue records (CSV, Met records, IIIF) through the ingest services.

Each record is keyed on its accession number, else on its source's own id, so importing the same source again
changes nothing; a changed record updates its fields without re-embedding, and a changed image re-embeds. Each record
is stored in its own transaction: a bad one is reported and leaves nothing, and the others go on. A record whose
image cannot be had (missing file, failed download, refused by the upload rules) is skipped and reported: an artwork
without a picture cannot be searched, and a rerun picks the record up once its image is there.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from gallery import images
from gallery.models import Artist, Artwork, OnDuplicate
from gallery.services import artist_merge, duplicates, ingest, keywords
from gallery.sources.artists import is_about_the_artist
from gallery.sources.download import DownloadError
from gallery.sources.records import CatalogueRecord, DeletedRecord, SkippedRecord

logger = logging.getLogger(__name__)

# The catalogue fields a record sets on an artwork (the image and the artist are handled apart).
RECORD_FIELDS = ("title", "artist_qualifier", "accession_number", "source_id", "date", "year_start", "year_end",
                 "culture", "period", "medium", "dimensions", "classification", "department", "institution",
                 "credit_line", "rights", "rights_url", "attribution", "description", "image_description", "tags",
                 "source_url", "manifest_url")
LINK_FIELDS = ("source_url", "manifest_url", "rights_url")
ImageFetcher = Callable[[str], bytes]


@dataclass
class CollectionImportReport:
    format: str = ""
    created: int = 0
    updated: int = 0
    image_changed: int = 0  # of the updated: a new picture, so a new vector
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (which record, why)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (imported record, which link and why)
    near_duplicates: list[duplicates.FoundDuplicate] = field(default_factory=list)
    skipped: int = 0  # new records whose picture looks like a stored work's (--on-duplicate=skip)
    replaced: int = 0  # stored works that got a new record's picture instead (--on-duplicate=replace)
    deleted: int = 0  # records the source says it deleted (an activity stream's Delete, an OAI-PMH deleted record)
    unpublished: int = 0  # of their works, those taken off the public pages (back to drafts)
    artists_created: int = 0
    to_embed: list[int] = field(default_factory=list)  # created or re-imaged artworks
    touched: set[int] = field(default_factory=set)  # works created or re-imaged by this run
    on_duplicate: str = OnDuplicate.KEEP
    dry_run: bool = False

    @property
    def summary(self) -> str:
        verb = "would be " if self.dry_run else ""
        duplicates_part = (f"; {len(self.near_duplicates)} near-duplicate(s): {self.skipped} {verb}skipped, "
                           f"{self.replaced} {verb}put on the stored work" if self.near_duplicates else "")
        left_out_part = f"; {len(self.left_out)} bad link(s) left out" if self.left_out else ""
        deleted_part = (f"; {self.deleted} deleted at the source ({self.unpublished} {verb}unpublished)"
                        if self.deleted else "")
        return (f"{self.created} {verb}created, {self.updated} {verb}updated ({self.image_changed} with a new "
                f"image), {self.unchanged} unchanged, {len(self.failed)} failed{left_out_part}{deleted_part}"
                f"{duplicates_part}; {self.artists_created} artist(s) {verb}created")


def _record_name(record: CatalogueRecord) -> str:
    return record.accession_number or record.source_id


def _image_bytes(record: CatalogueRecord, fetch_image: ImageFetcher) -> tuple[bytes, str]:
    """The record's picture and a file name for it; raises ValueError saying why it cannot be had."""
    if record.image_path is not None:
        try:
            return record.image_path.read_bytes(), record.image_path.name
        except OSError as exc:
            raise ValueError(f"cannot read the image {record.image_path}: {exc.strerror or exc}") from None
    if record.image_url:
        try:
            return fetch_image(record.image_url), record.image_url.rsplit("/", 1)[-1][:100] or "image"
        except DownloadError as exc:
            raise ValueError(f"cannot download the image {record.image_url}: {exc}") from None
    raise ValueError("the record has no image")


class _Artists:
    """Artists by folded name, so the same name from two sources (accents, spacing, case aside) is one artist."""

    def __init__(self, report: CollectionImportReport, *, dry_run: bool) -> None:
        self.report, self.dry_run = report, dry_run
        self.by_key = artist_merge.artists_by_key(self.key)  # "Rembrandt van Rijn", once merged, is its artist

    @staticmethod
    def key(name: str) -> str:
        return " ".join(keywords.words(name))

    def for_record(self, record: CatalogueRecord) -> Artist | None:
        """The record's artist, created if new, its blank facts filled from the record; None when it names none."""
        name = record.artist_name.strip()
        if not name:
            return None
        artist = self.by_key.get(self.key(name))
        facts = {"sort_name": record.artist_sort_name}
        if is_about_the_artist(record.artist_qualifier):  # not a follower's or copyist's dates
            facts |= {"nationality": record.artist_nationality, "birth_year": record.artist_birth_year,
                      "death_year": record.artist_death_year, "bio_line": record.artist_bio_line}
        if artist is None:
            artist = Artist(name=name[:200], **{key: value for key, value in facts.items() if value not in ("", None)})
            self.report.artists_created += 1
            self.by_key[self.key(name)] = artist
        else:
            # Only blanks are filled: a curator's edits, or another source's facts, are never overwritten.
            for key, value in facts.items():
                if value not in ("", None) and getattr(artist, key) in ("", None):
                    setattr(artist, key, value)
        if artist.birth_year and artist.death_year and artist.birth_year > artist.death_year:
            artist.birth_year = artist.death_year = None  # contradictory dates: keep neither
        if not self.dry_run:
            artist.full_clean(exclude=["slug"], validate_unique=False)
            artist.save()
        return artist


def _reason(error: ValidationError | ValueError | IntegrityError) -> str:
    """Why a record was refused, naming the fields a validation error is about ("year_start: Ensure ...")."""
    if isinstance(error, IntegrityError):  # a constraint only the database saw: another import wrote the row first
        return f"not stored, the database refused it: {str(error).splitlines()[0]}"
    if not isinstance(error, ValidationError):
        return str(error)
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())


def _leave_out_bad_links(record: CatalogueRecord) -> list[str]:
    """Blank the record's links that no artwork could store (no scheme, spaces, too long), saying which and why.

    A link is a pointer beside the work, not the work: one a source wrote badly ("www.museum.org/1", a relative
    manifest id) should not cost the picture and its catalogue record.
    """
    notes = []
    for name in LINK_FIELDS:
        value = getattr(record, name)
        if not value:
            continue
        try:
            Artwork._meta.get_field(name).run_validators(value)
        except ValidationError as exc:
            notes.append(f"{name} {value[:100]!r}: {' '.join(exc.messages)}")
            setattr(record, name, "")
    return notes


def _find_existing(record: CatalogueRecord) -> Artwork | None:
    if record.accession_number:
        found = Artwork.objects.filter(accession_number=record.accession_number).first()
        if found is not None:
            return found
    return Artwork.objects.filter(source_id=record.source_id).first() if record.source_id else None


def _values(record: CatalogueRecord) -> dict:
    values = {name: getattr(record, name) for name in RECORD_FIELDS}
    values["title"] = (record.title or "Untitled")[:255]
    if not record.artist_name.strip():  # "Workshop of" nobody: the work is by an unknown artist
        values["artist_qualifier"] = ""
    return values


def _import_one(record: CatalogueRecord, *, artists: _Artists, report: CollectionImportReport, draft: bool,
                fetch_image: ImageFetcher) -> None:
    """Create, update or leave one artwork; raises ValueError or ValidationError when the record cannot be stored."""
    existing = _find_existing(record)
    values = _values(record)
    data, file_name = _image_bytes(record, fetch_image)
    image_changed = existing is None or existing.image_sha256 != hashlib.sha256(data).hexdigest()
    checked = None
    if existing is None:
        checked = images.check_image(ContentFile(data, name=file_name))  # a refused picture stops the record here
        if _near_duplicate_handled(record, data, file_name, checked, report=report):
            return
    with transaction.atomic():
        artist = artists.for_record(record)
        artwork = existing or Artwork(published=not draft)
        changed = [name for name, value in values.items() if getattr(artwork, name) != value]
        if artwork.artist_id != (artist.pk if artist else None):
            changed.append("artist")
        if existing is not None and not changed and not image_changed:
            report.unchanged += 1
            return
        for name in changed:
            setattr(artwork, name, artist if name == "artist" else values[name])
        if report.dry_run:
            if existing is None:
                report.created += 1
            else:
                report.updated += 1
                report.image_changed += image_changed
            return
        if image_changed:
            # The upload rules, the hashes, the thumbnail, a pending vector and the words; a duplicate picture is
            # refused here.
            ingest.artwork_store(artwork=artwork, image=ContentFile(data, name=file_name), enqueue=False,
                                 checked=checked)
            report.to_embed.append(artwork.pk)
            report.touched.add(artwork.pk)
        else:
            artwork.full_clean(exclude=["image", "thumbnail"], validate_constraints=False)
            artwork.save(update_fields=[*changed, "updated_at"])
            keywords.artworks_index_text(artwork_ids=[artwork.pk])
    if existing is None:
        report.created += 1
    else:
        report.updated += 1
        report.image_changed += image_changed


def _near_duplicate_handled(record: CatalogueRecord, data: bytes, file_name: str, checked: images.CheckedImage, *,
                            report: CollectionImportReport) -> bool:
    """Look for a stored work the new record's picture looks like, report it, and apply report.on_duplicate.

    True when that settles the record: skipped, or its picture put on the stored work, whose own record stays
    (replace). Its picture already on that work (an earlier run replaced it) leaves it unchanged, so a rerun changes
    nothing.
    """
    twin = duplicates.near_duplicate(images.perceptual_hash(checked.image))
    if twin is None:
        return False
    action = duplicates.import_action(report.on_duplicate, twin, touched=report.touched)
    if action != "kept" and twin.image_sha256 == checked.sha256:
        action = "unchanged (already its picture)"
    report.near_duplicates.append(duplicates.FoundDuplicate(_record_name(record), twin.pk, duplicates.twin_label(twin),
                                                            twin.hamming, action))
    if action == "kept":
        return False
    if action == "skipped":
        report.skipped += 1
    elif action == "replaced":
        report.replaced += 1
        if not report.dry_run:
            duplicates.artwork_replace_image(artwork=twin, image=ContentFile(data, name=file_name), checked=checked,
                                             enqueue=False)
            report.to_embed.append(twin.pk)
            report.touched.add(twin.pk)
    else:
        report.unchanged += 1
    return True


def _take_down(record: DeletedRecord, report: CollectionImportReport) -> None:
    """A work its source deleted goes back to drafts: off every public page, kept for a curator to decide on."""
    works = Artwork.objects.filter(source_id=record.source_id, published=True)
    report.deleted += 1
    report.unpublished += works.count() if report.dry_run else ingest.artworks_set_published(queryset=works,
                                                                                              published=False)


def collection_import(*, records: Iterable[CatalogueRecord | SkippedRecord | DeletedRecord], draft: bool = False,
                      dry_run: bool = False, fetch_image: ImageFetcher, on_duplicate: str = OnDuplicate.KEEP,
                      report: CollectionImportReport | None = None,
                      progress: Callable[[int], None] | None = None) -> CollectionImportReport:
    """Import catalogue records one by one; returns what was (or, with `dry_run`, would be) created, updated or left.

    New artworks are published unless `draft`; drafts are never shown to the public until a curator publishes them.
    A new record whose picture looks like a stored work's is kept beside it, skipped or put on it
    (report.on_duplicate, gallery.services.duplicates), and listed in report.near_duplicates.
    Embedding is left to the caller (ingest.enqueue_embedding_on_commit or a synchronous pass over report.to_embed).
    `progress(n)` is called after the n-th record.
    """
    report = report or CollectionImportReport()
    report.dry_run, report.on_duplicate = dry_run, on_duplicate
    artists = _Artists(report, dry_run=dry_run)
    for number, record in enumerate(records, 1):
        if isinstance(record, SkippedRecord):
            report.failed.append((record.where, record.reason))
        elif isinstance(record, DeletedRecord):
            _take_down(record, report)
        else:
            notes = _leave_out_bad_links(record)
            try:
                _import_one(record, artists=artists, report=report, draft=draft, fetch_image=fetch_image)
            except (ValidationError, ValueError, IntegrityError) as exc:
                report.failed.append((_record_name(record), _reason(exc)))
                artists = _Artists(report, dry_run=dry_run)  # an artist saved in the rolled-back transaction is gone
            else:
                report.left_out += [(_record_name(record), note) for note in notes]
        if progress is not None:
            progress(number)
    return report
