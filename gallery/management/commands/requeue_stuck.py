"""Re-queue artworks stuck in pending/processing (a lost message, a killed worker). The worker's beat runs the same
sweep every GALLERY_SWEEP_INTERVAL_SECONDS.

    manage.py requeue_stuck [--older-than SECONDS]
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from gallery.services import ingest


class Command(BaseCommand):
    help = __doc__.strip().splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=settings.GALLERY_STALE_AFTER_SECONDS,
                            help="seconds a row must have been waiting (default GALLERY_STALE_AFTER_SECONDS)")

    def handle(self, *args, older_than: int, **options):
        count = ingest.artworks_requeue_stuck(older_than=timedelta(seconds=older_than))
        self.stdout.write(f"Re-queued {count} stuck artworks.")
