"""What the search form offers to filter by (genres, nationalities, artist names), kept per process.

Building the lists reads every artist; checking that they are still current costs one aggregate over the artists
(how many, last change), so the lists are rebuilt only after a curator adds, edits or deletes an artist.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import connection

from gallery.models import Artist

# The artist box suggests names only while the list stays short enough to send with every search page.
DATALIST_LIMIT = 200


@dataclass(frozen=True)
class Facets:
    genres: tuple[str, ...]
    nationalities: tuple[str, ...]
    artist_names: tuple[str, ...]  # empty when there are more than DATALIST_LIMIT artists


_FINGERPRINT_SQL = f"SELECT count(*), max(updated_at) FROM {Artist._meta.db_table}"
_lock = threading.Lock()
_cached: dict[tuple, Facets] = {}


def search_facets() -> Facets:
    """The current facets, rebuilt only when the artists table changed since the last call in this process."""
    with connection.cursor() as cursor:
        cursor.execute(_FINGERPRINT_SQL)  # raw: building the aggregate through the ORM cost more than running it
        fingerprint = cursor.fetchone()
    with _lock:
        facets = _cached.get(fingerprint)
    if facets is None:
        facets = _build()
        with _lock:
            _cached.clear()
            _cached[fingerprint] = facets
    return facets


def _build() -> Facets:
    rows = list(Artist.objects.values_list("name", "genres", "nationality"))
    genres = sorted({genre for _, row_genres, _ in rows for genre in row_genres})
    nationalities = sorted({part.strip() for _, _, nationality in rows for part in nationality.split(",")
                            if part.strip()})
    names = sorted(name for name, _, _ in rows) if len(rows) <= DATALIST_LIMIT else []
    return Facets(genres=tuple(genres), nationalities=tuple(nationalities), artist_names=tuple(names))
