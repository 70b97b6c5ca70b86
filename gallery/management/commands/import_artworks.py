"""Import a collection in the Kaggle "Best Artworks of All Time" layout.

    manage.py import_artworks PATH [--artists artists.csv] [--limit N] [--sync] [--download] [--dry-run]
                                   [--on-duplicate keep|skip|replace]

PATH holds artists.csv and images/<Artist_Name>/<Artist_Name>_<N>.jpg. Artists are created or updated from the CSV;
images already imported (same sha256) are skipped. New artworks are embedded by the Celery worker, or in this process
in batches with --sync. --download first fetches the dataset into PATH with the Kaggle API. A picture that looks like
a stored work is kept beside it (default), skipped, or put on it instead of its picture (--on-duplicate), and listed.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gallery import kaggle
from gallery.models import OnDuplicate
from gallery.services import importer


def download_dataset(target: Path) -> None:
    """Fetch and unzip the Kaggle dataset into `target` (needs KAGGLE_API_TOKEN or ~/.kaggle credentials)."""
    try:
        from kaggle.api.kaggle_api_extended import KaggleApi

        api = KaggleApi()
        api.authenticate()
    except (Exception, SystemExit) as exc:  # the client calls sys.exit() when no credentials are configured
        raise CommandError(f"Kaggle credentials are not configured ({exc}). Set KAGGLE_API_TOKEN, or download "
                           f"{kaggle.KAGGLE_DATASET} by hand and pass its folder.") from None
    try:
        api.dataset_download_files(kaggle.KAGGLE_DATASET, path=str(target), unzip=True, quiet=False)
    except Exception as exc:
        raise CommandError(f"Could not download {kaggle.KAGGLE_DATASET} from Kaggle: {exc}") from None


class Command(BaseCommand):
    help = __doc__.strip().splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--artists", type=Path, help="artists.csv (default: PATH/artists.csv)")
        parser.add_argument("--limit", type=int, help="import at most N images, spread over the artists")
        parser.add_argument("--sync", action="store_true", help="embed here in batches instead of in the worker")
        parser.add_argument("--download", action="store_true", help="download the dataset into PATH first")
        parser.add_argument("--dry-run", action="store_true", help="list what would be imported and stop")
        parser.add_argument("--on-duplicate", choices=OnDuplicate.values, default=OnDuplicate.KEEP,
                            help="a picture that looks like a stored work: keep both (default), skip it, or replace "
                                 "the stored work's picture with it")

    def handle(self, *args, path: Path, artists: Path | None, limit: int | None, sync: bool, download: bool,
               dry_run: bool, on_duplicate: str, verbosity: int, **options):
        if download:
            path.mkdir(parents=True, exist_ok=True)
            download_dataset(path)
        try:
            images_dir = kaggle.find_images_dir(path)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        if dry_run:
            files = list(kaggle.iter_images(images_dir))[:limit]
            self.stdout.write(f"Would consider {len(files)} image files in {images_dir} (already imported ones are "
                              "skipped).")
            return
        progress = partial(_progress_bar, disable=verbosity == 0, stream=self.stderr)
        try:
            report = importer.dataset_import(root=path, artists_csv=artists, limit=limit, sync=sync,
                                             on_duplicate=on_duplicate, progress=progress)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self._summarise(report, sync=sync, verbosity=verbosity)

    def _summarise(self, report: importer.ImportReport, *, sync: bool, verbosity: int) -> None:
        where = f"embedded {report.embedded} here" if sync else "queued for embedding"
        self.stdout.write(self.style.SUCCESS(
            f"Imported {report.imported} artworks ({where}), skipped {report.skipped} already imported, "
            f"failed {len(report.failed)}. Artists: {report.artists_created} created, "
            f"{report.artists_updated} updated."))
        for file, reason in report.failed if verbosity > 0 else []:
            self.stdout.write(self.style.WARNING(f"  failed: {file}: {reason}"))
        write_near_duplicates(self, report.near_duplicates, verbosity=verbosity)


def write_near_duplicates(command: BaseCommand, found: list, *, verbosity: int) -> None:
    """The near-duplicates an import met and what it did with each (both import commands)."""
    if not found:
        return
    actions = {}
    for item in found:
        actions[item.action] = actions.get(item.action, 0) + 1
    command.stdout.write(command.style.WARNING(
        f"{len(found)} picture(s) look like works already in the collection ("
        + ", ".join(f"{count} {action}" for action, count in actions.items())
        + "); review the pairs in the admin (Artworks → Near-duplicates):"))
    for item in found if verbosity > 0 else []:
        command.stdout.write(command.style.WARNING(f"  near-duplicate: {item}"))


def _progress_bar(items, total: int, *, disable: bool, stream):
    return tqdm(items, total=total, unit="img", desc="Importing", disable=disable, file=stream)
