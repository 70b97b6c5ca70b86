"""Media files on the local filesystem (the default), with a cheaper url().

A results page asks for about 150 image URLs. Django's FileSystemStorage.url() joins each with urljoin(), a
measurable part of the page (bench/README.md); the names this storage hands out (no scheme, no "..", quoted) need only be appended to
MEDIA_URL, which always ends with "/".
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage
from django.utils.encoding import filepath_to_uri


class MediaFileSystemStorage(FileSystemStorage):
    def url(self, name: str | None) -> str:
        if self.base_url is None:
            raise ValueError("This file is not accessible via a URL.")
        return self.base_url + filepath_to_uri(name or "").lstrip("/")
