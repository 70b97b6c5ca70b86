"""Short-lived memory of image-search query vectors, so a POSTed search can be paged with plain GET links.

The uploaded picture itself is never kept: only its vector and the recognised artwork, under a random id.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache

logger = logging.getLogger(__name__)

TTL_SECONDS = 60 * 60
_PREFIX = "search:query:"


@dataclass(frozen=True)
class RememberedQuery:
    vector: np.ndarray
    leads: list[dict]  # detail_search.Lead.to_json(): the works placed first (recognised, or holding the detail)
    label: str
    model_id: str
    exclude_ids: tuple[int, ...] = ()  # the stored work a detail search started from


def remember(query: RememberedQuery) -> str:
    """Store a query for an hour and return its id; "" when the cache is unreachable (paging is then unavailable)."""
    qid = secrets.token_urlsafe(16)
    value = {"vector": query.vector.tolist(), "leads": query.leads, "label": query.label, "model": query.model_id,
             "exclude": list(query.exclude_ids)}
    try:
        cache.set(_PREFIX + qid, value, TTL_SECONDS)
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
