"""The local media storage's quicker url() must give Django's URL for every name it saves."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages

from gallery.storage.local import MediaFileSystemStorage

NAMES = ["plain.jpg", "artworks/Vincent van Gogh #3?.jpg", "été/Dürer – Selbstbildnis.png", "100%.webp",
         "(draft) ~copy's.jpg"]


@pytest.mark.parametrize("base_url", ["/media/", "https://cdn.example.org/museum/media/"])
def test_urls_of_saved_files_are_djangos(tmp_path, base_url):
    storage = MediaFileSystemStorage(location=tmp_path, base_url=base_url)
    for raw_name in NAMES:
        name = storage.save(raw_name, ContentFile(b"image bytes"))
        assert storage.url(name) == FileSystemStorage.url(storage, name)
        assert storage.url(name).startswith(base_url)


def test_it_is_the_default_media_storage():
    assert isinstance(storages["default"], MediaFileSystemStorage)
