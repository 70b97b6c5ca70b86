"""The Metropolitan Museum of Art's Collection API records (JSON Lines or a JSON array) as CatalogueRecords.

Field names are the API's (https://metmuseum.github.io/): objectID, accessionNumber, artistDisplayName ...
The Met's Open Access images and data are CC0, so `isPublicDomain: true` is public domain with the CC0 URL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .dates import resolve_years, year_number
from .download import DownloadError, fetch_retrying, without_secrets
from .json_values import json_lines, loads
from .local_files import file_within
from .records import CC0_URL, PUBLIC_DOMAIN, UNKNOWN, CatalogueRecord, SkippedRecord
from .text import clean

Result = CatalogueRecord | SkippedRecord


def is_met_record(data: object) -> bool:
    """A Met Collection API object: it has objectID and primaryImage or accessionNumber."""
    return isinstance(data, dict) and "objectID" in data and ("primaryImage" in data or "accessionNumber" in data)


def _tags(value: object) -> list[str]:
    # This dump has plain strings; the live API gives [{"term": "Horses", "AAT_URL": ..., "Wikidata_URL": ...}].
    tags = []
    for tag in value if isinstance(value, list) else []:
        term = clean(tag.get("term") if isinstance(tag, dict) else tag)
        if term and term not in tags:
            tags.append(term)
    return tags


def _image_name(url: str) -> str:
    return unquote(Path(urlsplit(url).path).name)


def met_record(data: dict, *, images_dir: Path | None = None) -> Result:
    """One Met object. Its image is images_dir/<basename of primaryImage or primaryImageSmall> when that file
    exists, else the primaryImage (or primaryImageSmall) URL; an object with neither is skipped."""
    object_id = clean(data.get("objectID"))
    if not object_id:
        return SkippedRecord(where="met object without objectID", reason="no objectID")
    source_id = f"met:{object_id}"
    image_urls = [url for url in (clean(data.get("primaryImage")), clean(data.get("primaryImageSmall"))) if url]
    if not image_urls:
        return SkippedRecord(where=source_id, reason="no primaryImage or primaryImageSmall")
    image_path = None
    if images_dir is not None:
        image_path = next((path for name in map(_image_name, image_urls)
                           if name and (path := file_within(images_dir, name))), None)
    date = clean(data.get("objectDate"))
    year_start, year_end = resolve_years(date, data.get("objectBeginDate"), data.get("objectEndDate"))
    public_domain = data.get("isPublicDomain") is True
    return CatalogueRecord(
        source_id=source_id,
        title=clean(data.get("title")),
        accession_number=clean(data.get("accessionNumber")),
        artist_name=clean(data.get("artistDisplayName")),
        artist_qualifier=clean(data.get("artistPrefix")),
        artist_sort_name=clean(data.get("artistAlphaSort")),
        artist_nationality=clean(data.get("artistNationality")),
        artist_birth_year=year_number(data.get("artistBeginDate")),
        artist_death_year=year_number(data.get("artistEndDate")),
        artist_bio_line=clean(data.get("artistDisplayBio")),
        date=date,
        year_start=year_start,
        year_end=year_end,
        culture=clean(data.get("culture")),
        period=clean(data.get("period")) or clean(data.get("dynasty")) or clean(data.get("reign")),
        medium=clean(data.get("medium")),
        dimensions=clean(data.get("dimensions")),
        classification=clean(data.get("classification")),
        department=clean(data.get("department")),
        institution=clean(data.get("repository")),
        credit_line=clean(data.get("creditLine")),
        rights=PUBLIC_DOMAIN if public_domain else UNKNOWN,
        rights_url=CC0_URL if public_domain else "",
        tags=_tags(data.get("tags")),
        source_url=clean(data.get("objectURL")),
        image_path=image_path,
        image_url="" if image_path else image_urls[0],
    )


def read_met_objects(objects: Iterable[object], *, images_dir: Path | None = None,
                     where: str = "item") -> Iterator[Result]:
    """Met objects already parsed (a JSON array, or objects a caller fetched); anything else is skipped."""
    for number, data in enumerate(objects, start=1):
        if is_met_record(data):
            yield met_record(data, images_dir=images_dir)
        else:
            yield SkippedRecord(where=f"{where} {number}", reason="not a Met object (no objectID)")


def is_met_object_list(data: object) -> bool:
    """A Met search result or object listing: {"total": n, "objectIDs": [...]} (null when nothing matched)."""
    return isinstance(data, dict) and "objectIDs" in data and "objectID" not in data


def read_met_object_list(data: dict, *, url: str, load: Callable[[str], object],
                         images_dir: Path | None = None) -> Iterator[Result]:
    """The objects a search result or listing fetched from `url` names, each fetched from the same API (its
    `objects/<id>`, beside `search`) with `load` as the import reaches it; one that cannot be fetched is skipped."""
    ids = data.get("objectIDs") or []
    for object_id in dict.fromkeys(ids if isinstance(ids, list) else []):
        if not isinstance(object_id, int) or isinstance(object_id, bool) or object_id < 0:
            yield SkippedRecord(where=f"{without_secrets(url)} objectIDs", reason=f"{object_id!r} is not an object id")
            continue
        object_url = urljoin(url, f"objects/{object_id}")
        try:
            found = fetch_retrying(load, object_url)
        except (DownloadError, ValueError) as error:
            yield SkippedRecord(where=f"met:{object_id}", reason=f"cannot fetch {object_url}: {error}")
            continue
        if is_met_record(found):
            yield met_record(found, images_dir=images_dir)
        else:
            yield SkippedRecord(where=f"met:{object_id}", reason=f"{object_url} is not a Met object")


def _read_lines(path: Path, images_dir: Path | None) -> Iterator[Result]:
    for line_number, data in json_lines(path):
        if isinstance(data, ValueError):
            yield SkippedRecord(where=f"{path.name} line {line_number}", reason=str(data))
        elif is_met_record(data):
            yield met_record(data, images_dir=images_dir)
        else:
            yield SkippedRecord(where=f"{path.name} line {line_number}", reason="not a Met object (no objectID)")


def read_met_file(path: Path, *, images_dir: Path | None = None) -> Iterator[Result]:
    """A JSON Lines file (one object a line, read as it goes; a bad line is skipped with its number), or a .json file
    holding an array of objects or one object."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        try:
            data = loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError:
            data = None  # several objects, one a line, in a file named .json: read it as JSON Lines
        if data is not None:
            yield from read_met_objects(data if isinstance(data, list) else [data], images_dir=images_dir,
                                        where=f"{path.name} item")
            return
    yield from _read_lines(path, images_dir)
