"""The catalogue as CSV in the import's own documented columns (gallery/sources/csv_export.py FIELDS): an export opens
in a spreadsheet and imports again, here or into another deployment, with every field of each record.

Streamed a line at a time, so a whole collection is never held in memory. Cells a spreadsheet would run as formulas
are guarded (csv_export.spreadsheet_safe) and read back as written.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from django.db.models import QuerySet

from gallery.models import Artwork
from gallery.sources.csv_export import FIELDS, spreadsheet_safe
from gallery.sources.records import CREATIVE_COMMONS, IN_COPYRIGHT, PUBLIC_DOMAIN

# What the importer's rights reader (gallery/sources/rights.py) reads back as each status.
RIGHTS_WORDS = {PUBLIC_DOMAIN: "Public Domain", CREATIVE_COMMONS: "Creative Commons", IN_COPYRIGHT: "In Copyright"}
BYTE_ORDER_MARK = "\ufeff"  # spreadsheets then open the file as UTF-8 ("Dürer", not "DÃ¼rer"); the importer skips it


class _Line:
    """A file-like object whose write returns the line: csv.writer then formats one row at a time for streaming."""

    def write(self, line: str) -> str:
        return line


_BY_ARTIST = {"artist": "name", "artist_nationality": "nationality", "artist_birth_year": "birth_year",
              "artist_death_year": "death_year"}


def _cells(artwork: Artwork, image_url: str) -> dict[str, object]:
    artist = artwork.artist
    written = {
        **{name: getattr(artist, field) if artist else None for name, field in _BY_ARTIST.items()},
        "rights": RIGHTS_WORDS.get(artwork.rights, ""),
        "image_credit": artwork.attribution,
        "tags": "; ".join(artwork.tags),
        "image": image_url,
    }
    # The other columns are the work's fields of the same name.
    return {name: written[name] if name in written else getattr(artwork, name) for name in FIELDS}


def csv_lines(artworks: QuerySet[Artwork], *, image_url: Callable[[Artwork], str]) -> Iterator[str]:
    """The byte-order mark and header, then a line per artwork, by id. `image_url` gives each picture's address as
    the file's reader can fetch it (an absolute URL)."""
    writer = csv.writer(_Line())
    yield BYTE_ORDER_MARK + writer.writerow(FIELDS)
    rows = artworks.select_related("artist").defer("embedding", "search_document").order_by("pk")
    for artwork in rows.iterator(chunk_size=500):
        cells = _cells(artwork, image_url(artwork))
        yield writer.writerow([spreadsheet_safe("" if cells[name] is None else str(cells[name])) for name in FIELDS])
