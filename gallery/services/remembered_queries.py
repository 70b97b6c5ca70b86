"""Short-lived memory of image-search query vectors, so a POSTed search can be paged with plain GET links.

The uploaded picture itself is never kept: only its vector, the recognised artwork and a small preview (a JPEG of at
most PREVIEW_SIZE pixels, shown beside the results), under a random id, for an hour.
"""

from __future__ import annotations

import io
import logging
import secrets
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from PIL import Image

logger = logging.getLogger(__name__)

TTL_SECONDS = 60 * 60
PREVIEW_SIZE = 320  # the preview's long side, in pixels
_PREFIX = "search:query:"
_PREVIEW_PREFIX = "search:preview:"  # apart from the query, so paging never reads the picture


@dataclass(frozen=True)
class RememberedQuery:
    vector: np.ndarray
    leads: list[dict]  # detail_search.Lead.to_json(): the works placed first (recognised, or holding the detail)
    label: str
    model_id: str
    exclude_ids: tuple[int, ...] = ()  # the stored work a detail search started from
    preview: bytes = b""  # a small JPEG of the picture searched for (make_preview), b"" for none


def make_preview(picture: Image.Image) -> bytes:
    """A JPEG of `picture` no larger than PREVIEW_SIZE on its long side: what the results page shows of an upload."""
    small = picture.convert("RGB")
    small.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def remember(query: RememberedQuery) -> str:
    """Store a query (and its preview) for an hour and return its id; "" when the cache is unreachable (paging is
    then unavailable)."""
    qid = secrets.token_urlsafe(16)
    value = {"vector": query.vector.tolist(), "leads": query.leads, "label": query.label, "model": query.model_id,
             "exclude": list(query.exclude_ids)}
    values = {_PREFIX + qid: value, **({_PREVIEW_PREFIX + qid: query.preview} if query.preview else {})}
    try:
        cache.set_many(values, TTL_SECONDS)
    except Exception as exc:  # redis down: the first page still works
        logger.warning("Could not cache an image query (%s); its results cannot be paged.", exc)
        return ""
    return qid


def recall(qid: str) -> RememberedQuery | None:
    """The query stored under `qid`, or None when it expired, never existed or the cache is unreachable."""
    try:
        value = cache.get(_PREFIX + qid)
    except Exception as exc:
        logger.warning("Could not read a cached image query (%s).", exc)
        return None
    if not value:
        return None
    return RememberedQuery(vector=np.asarray(value["vector"], dtype=np.float32), leads=value.get("leads", []),
                           label=value["label"], model_id=value["model"], exclude_ids=tuple(value.get("exclude", ())))


def recall_preview(qid: str) -> bytes | None:
    """The preview JPEG stored with the query `qid`, or None (none kept, expired, or the cache is unreachable)."""
    try:
        return cache.get(_PREVIEW_PREFIX + qid) or None
    except Exception as exc:
        logger.warning("Could not read a cached query preview (%s).", exc)
        return None
