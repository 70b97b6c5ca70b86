"""Paths of artwork and artist pages, remembered per process.

A results page links about 150 pages (each card, its artist, "more like this" and the "more by" strip), and
Django's reverse() costs about 17 µs a call: a third of the page's rendering. A path depends only on the view, its
argument, the URLconf and the script prefix, so those are the cache key.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

CACHE_SIZE = 20_000  # paths of about 30 characters: a few MB per process


def page_path(view_name: str, argument: int | str) -> str:
    """reverse(view_name, args=[argument]) for the current request's URLconf and script prefix."""
    return _page_path(view_name, argument, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@functools.lru_cache(maxsize=CACHE_SIZE)
def _page_path(view_name: str, argument: int | str, urlconf: str, script_prefix: str) -> str:
    return reverse(view_name, args=[argument], urlconf=urlconf)
