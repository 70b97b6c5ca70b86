"""Google Cloud Storage whose signed URLs are reused within a process for half their lifetime.

A results page shows about 150 images, and each signed URL costs an RSA signature in this process
(bench/README.md) or, with GS_IAM_SIGN_BLOB, a request to Google's IAM API. A URL signed for GS_EXPIRATION_SECONDS and
handed out again within half that time still has at least half its lifetime left when a visitor's browser uses it.
Public buckets (plain URLs, nothing signed) and calls with explicit `parameters` are not cached.
"""

from __future__ import annotations

import hashlib
import uuid

from django.core.cache.backends.locmem import LocMemCache
from storages.backends.gcloud import GoogleCloudStorage

SIGNED_URL_CACHE_ENTRIES = 20_000  # a signed URL is about 700 bytes: some 15 MB per process at most


class CachedSignedUrlStorage(GoogleCloudStorage):
    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        # One cache per storage: two storages (another bucket, location or key) never share a URL.
        self._signed_urls = LocMemCache(f"signed-urls-{uuid.uuid4().hex}", {
            "TIMEOUT": self.expiration.total_seconds() / 2, "OPTIONS": {"MAX_ENTRIES": SIGNED_URL_CACHE_ENTRIES}})

    def url(self, name: str, parameters: dict | None = None) -> str:
        if parameters or not self.querystring_auth:
            return super().url(name, parameters)
        key = hashlib.sha256(name.encode()).hexdigest()  # names may be longer than a portable cache key
        url = self._signed_urls.get(key)
        if url is None:
            url = super().url(name)
            self._signed_urls.set(key, url)
        return url
