"""Where media files live: local.py (the filesystem, the default) and gcs.py (Google Cloud Storage), chosen by the
STORAGE_BACKEND setting. Both are Django storage backends; nothing else in the app knows which one runs."""

import warnings


def __getattr__(name: str):
    # Before this package, gallery/storage.py held the GCS backend; settings may still name
    # gallery.storage.CachedSignedUrlStorage. Kept for one release.
    if name == "CachedSignedUrlStorage":
        warnings.warn("gallery.storage.CachedSignedUrlStorage is deprecated and will be removed in the next release: "
                      "use gallery.storage.gcs.CachedSignedUrlStorage.", FutureWarning, stacklevel=2)
        from gallery.storage.gcs import CachedSignedUrlStorage

        return CachedSignedUrlStorage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
