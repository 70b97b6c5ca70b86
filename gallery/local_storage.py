"""Deprecated: the local media storage moved to gallery.storage.local. Kept for one release for settings that name
gallery.local_storage.MediaFileSystemStorage."""

import warnings

from gallery.storage.local import MediaFileSystemStorage

__all__ = ["MediaFileSystemStorage"]

warnings.warn("gallery.local_storage is deprecated and will be removed in the next release: use "
              "gallery.storage.local.MediaFileSystemStorage.", FutureWarning, stacklevel=2)
