"""Import a collection: a CSV export, museum API records, IIIF manifests, Linked Art, LIDO XML or a Kaggle folder.

    manage.py import_collection SOURCE [--images DIR] [--map "Column=field" ...] [--map-file F] [--draft] [--sync]
                                       [--dry-run] [--limit N] [--on-duplicate keep|skip|replace] [--since DATE]

SOURCE is a .csv file, a .json/.jsonl file of Met records, of another museum API's records, of Linked Art objects or a
IIIF manifest or collection, a LIDO .xml file, an http(s) URL of one of those (or of a Met search, an API's first
page, a Linked Art activity stream or an OAI-PMH harvest, whose next pages are followed), or a folder in the Kaggle
"Best Artworks" layout. Records are keyed on their accession number (else on the source's own id), so a second run
of the same source changes nothing; a changed record is updated, and a changed image re-embedded. --since reads only
what an activity stream or an OAI-PMH harvest says changed after DATE. Records whose image cannot be had are skipped
and reported. A new record whose picture looks like a stored work's is kept beside it (default), skipped, or its
picture put on the stored work (--on-duplicate), and listed. See README "Importing a collection".
"""

from __future__ import annotations

import itertools
from argparse import ArgumentTypeError
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gallery import kaggle
from gallery.management.commands.import_artworks import write_near_duplicates
from gallery.models import Artwork, OnDuplicate
from gallery.services import collection_import, importer, ingest
from gallery.sources import FORMATS_WITH_CHANGES, read_source
from gallery.sources.csv_export import MappingError, load_mapping, parse_mapping
from gallery.sources.download import fetch


def _since(text: str) -> datetime:
    """--since's date or time (UTC when it names no zone)."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ArgumentTypeError(f"not a date or time: {text!r} (e.g. 2026-12-01 or 2026-12-01T08:00:00Z)") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


class Command(BaseCommand):
    help = __doc__.strip().splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("source", help="a file, an http(s) URL or a Kaggle-layout folder")
        parser.add_argument("--images", type=Path, help="the folder holding the records' image files")
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                            help='a CSV column or a JSON key path under another name, e.g. '
                                 '--map "Object Number=accession_number" or --map "images.print.url=image"')
        parser.add_argument("--map-file", type=Path, help="column names in a file (JSON or COLUMN=FIELD lines)")
        parser.add_argument("--draft", action="store_true", help="new works stay drafts until a curator publishes")
        parser.add_argument("--sync", action="store_true", help="embed here instead of in the worker")
        parser.add_argument("--dry-run", action="store_true", help="report what would change and change nothing")
        parser.add_argument("--limit", type=int, help="import at most N records")
        parser.add_argument("--on-duplicate", choices=OnDuplicate.values, default=OnDuplicate.KEEP,
                            help="a new record whose picture looks like a stored work's: keep both (default), skip "
                                 "it, or put its picture on the stored work")
        parser.add_argument("--since", type=_since, metavar="DATE",
                            help="of an activity stream or an OAI-PMH harvest, only what changed after DATE "
                                 "(2026-12-01 or 2026-12-01T08:00:00Z)")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when the collection already holds artworks (make run's demo import)")

    def handle(self, *args, source: str, images: Path | None, map: list[str], map_file: Path | None, draft: bool,
               sync: bool, dry_run: bool, limit: int | None, if_empty: bool, on_duplicate: str,
               since: datetime | None, verbosity: int, **options):
        if if_empty and Artwork.objects.exists():
            if verbosity > 0:
                self.stdout.write("The collection is not empty: nothing imported.")
            return
        if Path(source).is_dir():
            return self._kaggle(Path(source), sync=sync, dry_run=dry_run, limit=limit, on_duplicate=on_duplicate,
                                verbosity=verbosity)
        try:
            mapping = {**(load_mapping(map_file) if map_file else {}), **parse_mapping(map)}
            kind, records = read_source(source, images_dir=images, mapping=mapping or None, since=since)
        except (MappingError, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        if since is not None and kind not in FORMATS_WITH_CHANGES:
            self.stderr.write(f"--since: a {kind} source cannot tell what changed; it is read whole.")
        records = itertools.islice(records, limit) if limit is not None else records
        bar = tqdm(records, unit="record", desc=f"Importing ({kind})", disable=verbosity == 0, file=self.stderr)
        report = collection_import.collection_import(
            records=bar, draft=draft, dry_run=dry_run, on_duplicate=on_duplicate,
            report=collection_import.CollectionImportReport(format=kind),
            fetch_image=partial(fetch, max_bytes=settings.GALLERY_MAX_UPLOAD_BYTES))
        if not dry_run and report.to_embed:
            if sync:
                ingest.artworks_embed(artwork_ids=report.to_embed)
            else:
                ingest.enqueue_embedding_on_commit(report.to_embed)
        self._summarise(report, sync=sync, verbosity=verbosity)

    def _summarise(self, report: collection_import.CollectionImportReport, *, sync: bool, verbosity: int) -> None:
        embedding = "" if report.dry_run or not report.to_embed else (
            f"; {len(report.to_embed)} embedded here" if sync else f"; {len(report.to_embed)} queued for embedding")
        heading = "Dry run, nothing was changed: " if report.dry_run else ""
        style = self.style.WARNING if report.failed or report.left_out else self.style.SUCCESS
        self.stdout.write(style(f"{heading}{report.format} source: {report.summary}{embedding}."))
        for where, reason in report.failed if verbosity > 0 else []:
            self.stdout.write(self.style.WARNING(f"  failed: {where}: {reason}"))
        for where, note in report.left_out if verbosity > 0 else []:
            self.stdout.write(self.style.WARNING(f"  imported without a link: {where}: {note}"))
        write_near_duplicates(self, report.near_duplicates, verbosity=verbosity)

    def _kaggle(self, root: Path, *, sync: bool, dry_run: bool, limit: int | None, on_duplicate: str,
                verbosity: int) -> None:
        """The Kaggle layout keeps its own batched import (import_artworks is the same path)."""
        try:
            images_dir = kaggle.find_images_dir(root)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        if dry_run:
            files = list(kaggle.iter_images(images_dir))[:limit]
            self.stdout.write(f"Dry run: would consider {len(files)} image files in {images_dir}.")
            return
        report = importer.dataset_import(root=root, limit=limit, sync=sync, on_duplicate=on_duplicate)
        self.stdout.write(self.style.SUCCESS(
            f"kaggle source: {report.imported} created, {report.skipped} unchanged, {len(report.failed)} failed; "
            f"{report.artists_created} artist(s) created."))
        for file, reason in report.failed if verbosity > 0 else []:
            self.stdout.write(self.style.WARNING(f"  failed: {file}: {reason}"))
        write_near_duplicates(self, report.near_duplicates, verbosity=verbosity)
