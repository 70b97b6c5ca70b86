"""Make the deep-zoom (IIIF) tiles of the artworks that have none, such as works stored before deep zoom existed:
queued for the worker, or made here with --sync. New pictures get theirs from the worker after embedding.

    manage.py iiif_tiles [--sync] [--dry-run]
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from gallery.models import Artwork
from gallery.services import iiif
from gallery.tasks import artwork_tiles_make as artwork_tiles_make_task


class Command(BaseCommand):
    help = __doc__.strip().splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--sync", action="store_true", help="make the tiles here instead of in the worker")
        parser.add_argument("--dry-run", action="store_true", help="only count the artworks without tiles")

    def handle(self, *args, sync: bool, dry_run: bool, verbosity: int, **options):
        missing = iiif.artworks_without_tiles(Artwork.objects.order_by("pk"))
        if dry_run:
            self.stdout.write(f"{len(missing)} artworks have no tiles.")
            return
        for artwork_id in missing:
            if sync:
                files = artwork_tiles_make_task(artwork_id)  # the task's body, in this process
                if verbosity > 1:
                    self.stdout.write(f"Artwork {artwork_id}: {files} files")
            else:
                artwork_tiles_make_task.delay(artwork_id)
        self.stdout.write(f"{'Made' if sync else 'Queued'} the tiles of {len(missing)} artworks.")
