"""Restore an archive written by `manage.py backup` onto this deployment, which must hold no artworks yet.

    manage.py restore ARCHIVE

The archive is checked against its checksums before anything is written; the database is restored in one
transaction (gallery/services/backup.py). Run `manage.py migrate` afterwards when this release is newer.
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
            summary = backup.backup_restore(source=archive)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Restored {summary.artworks} artworks, {summary.artists} artists and {summary.files} files from "
            f"{summary.path}."))
