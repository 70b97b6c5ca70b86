"""Write one archive of this deployment: the database (pg_dump) and every media file, with their checksums.

    manage.py backup ARCHIVE

Restore it onto an empty deployment with `manage.py restore ARCHIVE` (gallery/services/backup.py).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gallery.services import backup


class Command(BaseCommand):
    help = __doc__.strip().splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)

    def handle(self, *args, archive: Path, **options):
        try:
            summary = backup.backup_create(destination=archive)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Backed up {summary.artworks} artworks, {summary.artists} artists and {summary.files} files to "
            f"{summary.path} ({summary.bytes / 2**20:.1f} MB)."))
