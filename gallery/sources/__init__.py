"""Collection exports read into one record type (records.CatalogueRecord), for `manage.py import_collection`.

No models, no database, no settings; nothing is fetched but the URLs it is given (download.fetch, which refuses
link-local and metadata addresses and caps sizes). `read_source` picks the reader by what the source is:
a .csv file (csv_export), Met Collection API records in a .json/.jsonl file or at a URL (met), a IIIF Presentation
manifest or collection in a file or at a URL (iiif), Linked Art objects or an Activity Streams collection of them
(linked_art), any other museum API's JSON records (json_records), LIDO XML in a file, at a URL or harvested by OAI-PMH
(lido). Each reader yields CatalogueRecord, or SkippedRecord for a record it cannot use, and goes on; an activity
stream or a harvest yields a DeletedRecord for a work its source says it deleted.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from .csv_export import FIELDS, MappingError, load_mapping, parse_mapping, read_csv
from .dates import resolve_years, year_range
from .download import DownloadError, fetch, fetch_retrying, without_secrets
from .iiif import is_iiif, read_iiif
from .json_records import read_json_lines, read_json_records
from .json_values import json_lines, loads
from .lido import NS as LIDO_NAMESPACE
from .lido import harvest_since, is_lido, oai_error, read_lido, read_lido_url
from .linked_art import is_linked_art, read_linked_art
from .met import is_met_object_list, is_met_record, read_met_file, read_met_object_list, read_met_objects
from .records import RIGHTS_VALUES, CatalogueRecord, DeletedRecord, SkippedRecord

__all__ = ["FIELDS", "FORMATS_WITH_CHANGES", "RIGHTS_VALUES", "CatalogueRecord", "DeletedRecord", "DownloadError",
           "MappingError", "SkippedRecord", "fetch", "load_json_url", "load_mapping", "parse_mapping", "read_source",
           "resolve_years", "year_range"]

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # a IIIF manifest is kilobytes; a Met export fetched whole can be tens of MB
MAX_CSV_BYTES = 200 * 1024 * 1024  # MoMA's Artworks.csv is about 80 MB
DOCUMENT_TIMEOUT = 60.0
_JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
CHECKED_LINES = 1000  # a JSON Lines file's first records, whose keys a mapping is checked against

Result = CatalogueRecord | SkippedRecord | DeletedRecord
# The formats whose sources can be asked for what changed since a time (read_source's `since`): a Linked Art or IIIF
# activity stream, an OAI-PMH harvest of LIDO. The others are read whole.
FORMATS_WITH_CHANGES = frozenset({"linked-art", "lido"})


def _parse_json(text: str, where: str) -> object:
    """A JSON document, or JSON Lines read as a list of objects."""
    try:
        return loads(text)
    except json.JSONDecodeError as error:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1:
            try:
                return [loads(line) for line in lines]
            except json.JSONDecodeError:
                pass
        raise ValueError(f"{where} is not JSON: {error}") from None


def load_json_url(url: str) -> object:
    """The default loader: fetch `url` (size-capped, see download.fetch) and parse its JSON or JSON Lines."""
    body = fetch(url, max_bytes=MAX_DOCUMENT_BYTES, timeout=DOCUMENT_TIMEOUT)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{url} is not UTF-8 text") from None
    return _parse_json(text, url)


def _first_line_value(path: Path) -> object:
    """The first value of a JSON Lines file (to tell what it holds); a first line that is not UTF-8 JSON refuses it."""
    for number, value in json_lines(path):
        if isinstance(value, ValueError):
            raise ValueError(f"{path.name} line {number} is {value}")
        return value
    return None


def _no_mapping(mapping: dict[str, str] | None, kind: str) -> None:
    if mapping:
        raise ValueError(f"a column mapping applies to CSV files and JSON records only, not to {kind}")


def _from_document(data: object, where: str, *, url: str, export_dir: Path | None, images_dir: Path | None,
                   mapping: dict[str, str] | None, load_url, since: datetime | None) -> tuple[str, Iterator[Result]]:
    """The reader for a parsed document: `where` names it in messages, `url` is where it came from, `export_dir`
    the folder of a local file."""
    sample = data[0] if isinstance(data, list) and data else data
    if is_iiif(data):
        _no_mapping(mapping, "a IIIF manifest")
        return "iiif", read_iiif(data, url=url, load=partial(fetch_retrying, load_url))
    if is_met_record(sample):
        _no_mapping(mapping, "Met Collection API records")
        return "met", read_met_objects(data if isinstance(data, list) else [data], images_dir=images_dir,
                                       where=f"{where} item")
    fetched = url.lower().startswith(("http://", "https://"))  # a page at a URL is followed by its next pages
    if is_linked_art(data):
        _no_mapping(mapping, "Linked Art")
        return "linked-art", read_linked_art(data, name=where, url=url, load=load_url, export_dir=export_dir,
                                             images_dir=images_dir, since=since)
    if is_met_object_list(data):
        _no_mapping(mapping, "Met Collection API records")
        if not fetched:
            raise ValueError(f"{where} is a Met search result (objectIDs only): import its URL, which fetches the "
                             f"objects, or the objects themselves")
        return "met", read_met_object_list(data, url=url, load=load_url, images_dir=images_dir)
    return "json", read_json_records(data, name=where, export_dir=export_dir, images_dir=images_dir, mapping=mapping,
                                     url=url if fetched else "", load_url=load_url if fetched else None)


def _read_csv_url(url: str, shown: str, *, images_dir: Path | None,
                  mapping: dict[str, str] | None) -> Iterator[Result]:
    """A CSV export fetched from `url` (MoMA's and the Tate's are published so): its images are URLs, or files under
    `images_dir`; a row naming a file relative to the CSV is reported, there being no folder beside it."""
    body = _first_document(partial(fetch, max_bytes=MAX_CSV_BYTES, timeout=DOCUMENT_TIMEOUT * 5), url, shown)
    name = PurePosixPath(urlsplit(url).path).name[-100:]  # still quoted: no "/" in it; short enough for any disk
    with tempfile.TemporaryDirectory(prefix="artsearch-csv-") as folder:
        path = Path(folder) / name
        path.write_bytes(body)
        return read_csv(path, images_dir=images_dir, mapping=mapping)  # read whole: the folder may go


def _first_document(load: Callable[[str], object], url: str, shown: str) -> object:
    """load(url), tried again on a transient failure; one that still fails is a ValueError naming `shown`."""
    try:
        return fetch_retrying(load, url)
    except DownloadError as error:
        raise ValueError(f"cannot fetch {shown}: {error}") from None


def _read_lido_url(url: str, shown: str, *, images_dir: Path | None) -> Iterator[Result]:
    """A LIDO document, or the first page of an OAI-PMH harvest of LIDO records, fetched from `url` (refused here
    when it holds no LIDO); its next pages are fetched as the import reaches them."""
    load = partial(fetch, max_bytes=MAX_DOCUMENT_BYTES, timeout=DOCUMENT_TIMEOUT)
    first = _first_document(load, url, shown)
    if error := oai_error(first):
        raise ValueError(f"{shown}: the OAI-PMH server answered {error}")
    if not is_lido(first):
        raise ValueError(f"{shown} is XML without LIDO records (namespace {LIDO_NAMESPACE})")
    return read_lido_url(url, first, load=load, shown=shown, images_dir=images_dir)


def read_source(source: str, *, images_dir: Path | None = None, mapping: dict[str, str] | None = None,
                load_url: Callable[[str], object] | None = None,
                since: datetime | None = None) -> tuple[str, Iterator[Result]]:
    """(format, records) for a source: "csv", "met", "iiif", "linked-art", "json" or "lido". Raises ValueError for a
    source it cannot read.

    `source` is a file path or an http(s) URL (a CSV's, or JSON fetched with `load_url`, default load_json_url,
    which also fetches a IIIF collection's manifests, an API's next pages, a Met search's objects and a Linked Art
    stream's pages, objects and makers). `images_dir` holds local image files (default: an images/ folder beside a
    local source, when there is one). `mapping` names CSV columns or JSON records' key paths ({"Object Number":
    "accession_number"}, {"images.print.url": "image"}) and is refused for Met records, IIIF, Linked Art and LIDO.
    `since` asks a source that can tell what changed for only that (an Activity Streams collection of Linked Art, an
    OAI-PMH harvest: a scheduled import's changes since its last run); the others are read whole.
    Header, mapping and format problems raise before any record is read.
    """
    load_url = load_url or load_json_url
    if images_dir is not None and not Path(images_dir).is_dir():
        raise ValueError(f"images folder {images_dir} does not exist")
    if source.lower().startswith(("http://", "https://")):
        shown, parts = without_secrets(source), urlsplit(source)
        if parts.path.lower().endswith(".csv"):
            return "csv", _read_csv_url(source, shown, images_dir=images_dir, mapping=mapping)
        if parts.path.lower().endswith(".xml") or "verb=" in parts.query:
            _no_mapping(mapping, "LIDO")
            source = harvest_since(source, since) if since is not None else source
            return "lido", _read_lido_url(source, without_secrets(source), images_dir=images_dir)
        data = _first_document(load_url, source, shown)
        return _from_document(data, shown, url=source, export_dir=None, images_dir=images_dir, mapping=mapping,
                              load_url=load_url, since=since)
    path = Path(source)
    if path.is_dir():
        raise ValueError(f"{path} is a folder: give a .csv, .json or .jsonl file or an http(s) URL "
                         f"(the Kaggle folder layout is read by gallery.kaggle)")
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    if images_dir is None and (path.parent / "images").is_dir():
        images_dir = path.parent / "images"
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv", read_csv(path, images_dir=images_dir, mapping=mapping)
    if suffix == ".xml":
        _no_mapping(mapping, "LIDO")
        with open(path, "rb") as handle:
            if not is_lido(handle.read(64 * 1024)):
                raise ValueError(f"{path.name} is XML without LIDO records (namespace {LIDO_NAMESPACE})")
        return "lido", read_lido(path, images_dir=images_dir)
    if suffix not in _JSON_SUFFIXES:
        raise ValueError(f"{path.name}: unknown kind of file (expected .csv, .json, .jsonl, .ndjson or LIDO .xml)")
    if suffix != ".json":  # JSON Lines: Met records are read line by line as the import goes
        first_value = _first_line_value(path)
        if is_met_record(first_value):
            _no_mapping(mapping, "Met Collection API records")
            return "met", read_met_file(path, images_dir=images_dir)
        if is_linked_art(first_value):
            _no_mapping(mapping, "Linked Art")
            return "linked-art", read_linked_art(read_json_lines(path), name=path.name, load=load_url,
                                                 export_dir=path.parent, images_dir=images_dir)
        # Read as the import goes, like the Met's: the first lines' keys check the mapping.
        lines = read_json_lines(path)
        first = list(itertools.islice(lines, CHECKED_LINES))
        return "json", read_json_records(first, name=path.name, export_dir=path.parent, images_dir=images_dir,
                                         mapping=mapping, more=lines)
    try:
        data = _parse_json(path.read_text(encoding="utf-8-sig"), path.name)
    except UnicodeDecodeError:
        raise ValueError(f"{path.name} is not UTF-8 text") from None
    # A manifest without an id is known by its file.
    return _from_document(data, path.name, url=path.resolve().as_uri(), export_dir=path.parent, images_dir=images_dir,
                          mapping=mapping, load_url=load_url, since=since)
