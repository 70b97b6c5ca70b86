"""Write the catalogue as CSV in the import's own columns, every published artwork, each picture by its URL.

    manage.py export_collection FILE --site-url https://art.example.org [--include-drafts]

The file imports again with `import_collection FILE`, here or into another deployment that can fetch the pictures
(gallery/services/catalogue_csv.py). --site-url makes the media URLs absolute when the storage gives paths (a local
media folder); a bucket's URLs are absolute already. It is written beside FILE and renamed when complete. Drafts
are left out unless asked for: the file does not say which works were drafts, and an import publishes what it creates
(unless `import_collection --draft`).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from django.core.management.base import BaseCommand, CommandError

from gallery.models import Artwork
from gallery.services import catalogue_csv


class Command(BaseCommand):
    help = __doc__.strip().splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--site-url", default="", help="The deployment's address, e.g. https://art.example.org")
        parser.add_argument("--include-drafts", action="store_true", help="Export the drafts too")

    def handle(self, *args, file: Path, site_url: str, include_drafts: bool, **options):
        if site_url and urlsplit(site_url).scheme not in {"http", "https"}:
            raise CommandError(f"--site-url must be an http(s) address, not {site_url!r}")
        works = Artwork.objects.all() if include_drafts else Artwork.objects.published()
        first = works.order_by("pk").first()
        if first is not None and not urlsplit(first.image.url).scheme and not site_url:
            raise CommandError("the media storage gives paths (/media/…): add --site-url https://<this deployment> "
                               "so that the file's picture URLs can be fetched where it is imported")
        partial = file.with_name(f".{file.name}.partial")
        count = 0
        try:
            with open(partial, "w", encoding="utf-8", newline="") as handle:
                for count, line in enumerate(catalogue_csv.csv_lines(
                        works, image_url=lambda artwork: urljoin(site_url, artwork.image.url))):
                    handle.write(line)
            os.replace(partial, file)
        except OSError as exc:
            raise CommandError(f"cannot write {file}: {exc.strerror or exc}") from None
        finally:
            partial.unlink(missing_ok=True)  # whatever stopped it: no half-written file is left
        self.stdout.write(self.style.SUCCESS(f"Exported {count} artworks to {file}."))
