"""Queue artworks for (re-)embedding with the active CLIP model, so vector spaces are never mixed.

    manage.py reembed [--stale-only | --all] [--wait] [--dry-run]

--stale-only (the default) takes rows whose vector is missing, failed or made by another model; --all takes every
row. --wait shows a progress bar until the worker has finished them.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from gallery.clip import active_model_id
from gallery.models import Artwork
from gallery.services import ingest


class Command(BaseCommand):
    help = __doc__.strip().splitlines()[0]

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--stale-only", action="store_true", help="(default) only rows not embedded by the "
                                                                     "active model")
        scope.add_argument("--all", action="store_true", help="every artwork")
        parser.add_argument("--wait", action="store_true", help="follow progress until the worker is done")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, all: bool, wait: bool, dry_run: bool, verbosity: int, **options):
        model_id = active_model_id()
        queryset = Artwork.objects.all() if all else ingest.artworks_stale_for(model_id)
        if dry_run:
            self.stdout.write(f"Would queue {queryset.count()} artworks for {model_id}.")
            return
        count = ingest.artworks_reembed(queryset=queryset)
        self.stdout.write(self.style.SUCCESS(f"Queued {count} artworks for embedding with {model_id}."))
        if wait and count:
            self._follow(count, disable=verbosity == 0)

    def _follow(self, total: int, *, disable: bool) -> None:
        with tqdm(total=total, unit="img", desc="Embedding", disable=disable, file=self.stderr) as bar:
            while True:
                remaining = Artwork.objects.awaiting_embedding().count()
                bar.n = max(0, total - remaining)
                bar.refresh()
                if remaining == 0:
                    break
                time.sleep(1)
