"""The one signal we allow: deleting an Artwork (admin bulk deletes skip services) removes its files after commit."""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete


def _delete_files(sender, instance, **kwargs) -> None:
    for field_file in (instance.image, instance.thumbnail):
        if field_file.name:
            # partial binds the current storage and name now; a rollback leaves the files in place.
            transaction.on_commit(partial(field_file.storage.delete, field_file.name))


def connect() -> None:
    from gallery.models import Artwork

    post_delete.connect(_delete_files, sender=Artwork, dispatch_uid="gallery_artwork_delete_files")
