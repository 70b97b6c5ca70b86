"""The one signal we allow: deleting a row with files (admin bulk deletes skip services) removes them after commit.

Artworks have their image and thumbnail; admin import jobs the export and the zip they were given.
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete

FILE_FIELDS = {"Artwork": ("image", "thumbnail"), "CollectionImport": ("export", "images")}


def _delete_files(sender, instance, **kwargs) -> None:
    for field_name in FILE_FIELDS[sender.__name__]:
        field_file = getattr(instance, field_name)
        if field_file.name:
            # partial binds the current storage and name now; a rollback leaves the files in place.
            transaction.on_commit(partial(field_file.storage.delete, field_file.name))


def connect() -> None:
    from gallery.models import Artwork, CollectionImport

    post_delete.connect(_delete_files, sender=Artwork, dispatch_uid="gallery_artwork_delete_files")
    post_delete.connect(_delete_files, sender=CollectionImport, dispatch_uid="gallery_import_delete_files")
