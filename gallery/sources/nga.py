"""The National Gallery of Art's open data (github.com/NationalGalleryOfArt/opendata): its `objects.csv` is read as
any CSV export, and each work's picture comes from `published_images.csv` beside it.

The objects name no picture: the images table does, by `depictstmsobjectid`, each with a IIIF Image service
(`iiifurl`), a view type (the "primary" view first, then by `sequence`), an `openaccess` flag (1: the NGA releases the
picture under CC0) and an alt text (`assistivetext`). Where `objects_constituents.csv` and `constituents.csv` are
there too, a work's first artist (`roletype` "artist", by `displayorder`) gives its artist's nationality and years.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .iiif import image_service_url
from .text import clean

IMAGES = "published_images.csv"
OBJECT_PEOPLE, PEOPLE = "objects_constituents.csv", "constituents.csv"
OBJECT_PAGE = "https://www.nga.gov/collection/art-object-page.{}.html"
_CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"


@dataclass(frozen=True)
class Picture:
    url: str  # the whole image asked of its IIIF service
    rights_url: str  # CC0 where the NGA releases it, else ""
    alt_text: str


@dataclass(frozen=True)
class Artist:
    nationality: str
    birth_year: str
    death_year: str


def pictures_beside(export: Path) -> dict[str, Picture] | None:
    """objectid -> the work's picture, from the images table in the export's folder; None when there is none there.
    A table that is not the NGA's (no `depictstmsobjectid` or `iiifurl` column) is a ValueError saying so."""
    path = export.parent / IMAGES
    if not path.is_file():
        return None
    chosen: dict[str, tuple[tuple[bool, int], Picture]] = {}
    for row in _rows(path, export, {"depictstmsobjectid", "iiifurl"}):
        object_id, base = clean(row.get("depictstmsobjectid")), clean(row.get("iiifurl"))
        if not object_id or urlsplit(base).scheme not in {"http", "https"}:
            continue
        rank = (clean(row.get("viewtype")) != "primary", _number(row.get("sequence")))
        if object_id not in chosen or rank < chosen[object_id][0]:
            rights = _CC0 if clean(row.get("openaccess")) == "1" else ""
            chosen[object_id] = rank, Picture(image_service_url({"@id": base}), rights, clean(row.get("assistivetext")))
    return {object_id: picture for object_id, (_, picture) in chosen.items()}


def artists_beside(export: Path) -> dict[str, Artist]:
    """objectid -> its first artist's facts, from the constituents tables in the export's folder (none without)."""
    links, people = export.parent / OBJECT_PEOPLE, export.parent / PEOPLE
    if not (links.is_file() and people.is_file()):
        return {}
    first: dict[str, tuple[int, str]] = {}
    for row in _rows(links, export, {"objectid", "constituentid", "roletype"}):
        object_id, person = clean(row.get("objectid")), clean(row.get("constituentid"))
        order = _number(row.get("displayorder"))
        if clean(row.get("roletype")).casefold() == "artist" and (object_id not in first or
                                                                   order < first[object_id][0]):
            first[object_id] = order, person
    wanted = {person for _, person in first.values()}
    facts = {clean(row.get("constituentid")): Artist(clean(row.get("nationality")), _year(row.get("beginyear")),
                                                     _year(row.get("endyear")))
             for row in _rows(people, export, {"constituentid"}) if clean(row.get("constituentid")) in wanted}
    return {object_id: facts[person] for object_id, (_, person) in first.items() if person in facts}


def _rows(path: Path, export: Path, needed: set[str]):
    """The rows of one of the NGA's tables; one without the `needed` columns, or unreadable, is a ValueError."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = csv.DictReader(handle)
            if not needed <= set(rows.fieldnames or ()):
                columns = ", ".join(sorted(needed))
                raise ValueError(f"{path.name} beside {export.name} lacks the NGA's columns {columns}")
            yield from rows
    except (UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"{path.name} beside {export.name} cannot be read: {error}") from None


def _number(value: object) -> int:
    text = clean(value)
    return int(text) if text.isdigit() else 1 << 30  # none: last


def _year(value: object) -> str:
    """A year of the table ("1853"); the NGA writes 0 for none."""
    text = clean(value)
    return text if text.lstrip("-").isdigit() and int(text) != 0 else ""
