"""What the search form offers to filter by, kept per process.

Genres, nationalities and artist names: building the lists reads every artist; checking that they are still current
costs one aggregate over the artists (how many, last change), so the lists are rebuilt only after a curator adds,
edits or deletes an artist. That check itself reads every artist (a measurable part of a search page with tens of
thousands of artists: bench/README.md), so a process makes it at most once per FACETS_RECHECK_S; a form given a genre
or nationality its lists do not know checks at once (a genre added a moment ago is a valid filter). Classifications,
departments and cultures come from the artworks, a larger table: they are read again at most once a minute.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db import connection

from gallery.models import Artist, Artwork

# The artist box suggests names only while the list stays short enough to send with every search page.
DATALIST_LIMIT = 200
CATALOGUE_FACETS_TTL_S = 60.0
FACETS_RECHECK_S = 1.0


@dataclass(frozen=True)
class Facets:
    genres: tuple[str, ...]
    nationalities: tuple[str, ...]
    artist_names: tuple[str, ...]  # empty when there are more than DATALIST_LIMIT artists


_FINGERPRINT_SQL = f"SELECT count(*), max(updated_at) FROM {Artist._meta.db_table}"
_lock = threading.Lock()
_cached: dict[tuple, Facets] = {}
_checked_at = [float("-inf")]  # when this process last compared the artists table with its lists (monotonic)


def search_facets(*, fresh: bool = False) -> Facets:
    """The facets, at most FACETS_RECHECK_S behind the artists table (`fresh`: checked now), rebuilt only when the
    table changed since this process built them."""
    with _lock:
        if not fresh and _cached and time.monotonic() - _checked_at[0] < FACETS_RECHECK_S:
            return next(iter(_cached.values()))
    with connection.cursor() as cursor:
        cursor.execute(_FINGERPRINT_SQL)  # raw: building the aggregate through the ORM cost more than running it
        fingerprint = cursor.fetchone()
    with _lock:
        facets = _cached.get(fingerprint)
    if facets is None:
        facets = _build()
    with _lock:
        if fingerprint not in _cached:
            _cached.clear()
            _cached[fingerprint] = facets
        _checked_at[0] = time.monotonic()
    return facets


def _build() -> Facets:
    rows = list(Artist.objects.values_list("name", "genres", "nationality"))
    genres = sorted({genre for _, row_genres, _ in rows for genre in row_genres})
    nationalities = sorted({part.strip() for _, _, nationality in rows for part in nationality.split(",")
                            if part.strip()})
    names = sorted(name for name, _, _ in rows) if len(rows) <= DATALIST_LIMIT else []
    return Facets(genres=tuple(genres), nationalities=tuple(nationalities), artist_names=tuple(names))


@dataclass(frozen=True)
class CatalogueFacets:
    classifications: tuple[str, ...]
    departments: tuple[str, ...]
    cultures: tuple[str, ...]
    institutions: tuple[str, ...]


_catalogue: list = [0.0, None]  # [built at (monotonic), CatalogueFacets]


def catalogue_facets() -> CatalogueFacets:
    """The classifications, departments, cultures and holding institutions of the published works, at most
    CATALOGUE_FACETS_TTL_S old."""
    with _lock:
        built_at, cached = _catalogue
    if cached is not None and time.monotonic() - built_at < CATALOGUE_FACETS_TTL_S:
        return cached
    published = Artwork.objects.published().order_by()

    def values(field: str) -> tuple[str, ...]:
        return tuple(sorted(set(published.exclude(**{field: ""}).values_list(field, flat=True).distinct())))

    cached = CatalogueFacets(classifications=values("classification"), departments=values("department"),
                             cultures=values("culture"), institutions=values("institution"))
    with _lock:
        _catalogue[:] = [time.monotonic(), cached]
    return cached


def clear() -> None:
    """Forget the lists and when they were checked (a test's database starts anew)."""
    with _lock:
        _cached.clear()
        _checked_at[0] = float("-inf")
        _catalogue[:] = [0.0, None]
