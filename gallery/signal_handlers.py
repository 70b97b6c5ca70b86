"""The one signal we allow: deleting a row with files (admin bulk deletes skip services) removes them after commit.

Artworks have their image, thumbnail and deep-zoom tiles; admin import jobs the export and the zip they were given.
"""

import logging
from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete

logger = logging.getLogger(__name__)

FILE_FIELDS = {"Artwork": ("image", "thumbnail"), "CollectionImport": ("export", "images")}


def _delete_files(sender, instance, **kwargs) -> None:
    for field_name in FILE_FIELDS[sender.__name__]:
        field_file = getattr(instance, field_name)
        if field_file.name:
            # partial binds the current storage and name now; a rollback leaves the files in place.
            transaction.on_commit(partial(field_file.storage.delete, field_file.name))
    if sender.__name__ == "Artwork":  # and its deep-zoom tiles, by a worker (hundreds of files)
        transaction.on_commit(partial(_enqueue_tiles_delete, instance.pk))


def _enqueue_tiles_delete(artwork_id: int) -> None:
    from gallery.tasks import artwork_tiles_delete

    try:
        artwork_tiles_delete.delay(artwork_id)
    except Exception as exc:  # broker down: the delete must not fail for it; the tiles stay as orphans
        logger.warning("Could not queue the deletion of artwork %s's tiles (%s)", artwork_id, exc)


def connect() -> None:
    from gallery.models import Artwork, CollectionImport

    post_delete.connect(_delete_files, sender=Artwork, dispatch_uid="gallery_artwork_delete_files")
    post_delete.connect(_delete_files, sender=CollectionImport, dispatch_uid="gallery_import_delete_files")
