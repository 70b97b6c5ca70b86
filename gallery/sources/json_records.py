"""Collection API records other than the Met's, as JSON: read like a CSV export whose columns are the records' keys.

A museum's API page (the Art Institute of Chicago's `{"data": [...], "config": {...}}`, the Cleveland Museum's
`{"data": [...]}`, Harvard's and the V&A's `{"records": [...]}`, the Rijksmuseum's `{"artObjects": [...]}`,
Europeana's and SMK's `{"items": [...]}`, the Smithsonian's `{"response": {"rows": [...]}}`, a Wikidata query's
SPARQL results), a JSON array of records, one record, or JSON Lines of them. Each record is flattened into columns
named by their key paths ("images.web.url", "creators.description"), a list's values under one name, and the columns
are matched to fields as a CSV's are (csv_export.columns: documented names, the museums' known names, a mapping such
as `images.print.url=image`). Of a list, a field takes the first value (the first creator, the first title
Europeana gives) and `tags` every value. What a museum's records say in their own way (the AIC's pictures from its
IIIF base, the artist among a work's people, the V&A's sorted maker names...) is read by museum_habits. Pages are
followed by the links they give, or by number where they number themselves (next_page).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from . import museum_habits, pages
from .csv_export import AccessionNumbers, ImageFinder, columns, record_from_values
from .json_values import json_lines
from .records import CatalogueRecord, SkippedRecord
from .text import clean, strip_html

Result = CatalogueRecord | SkippedRecord

# Where an API page keeps its records, in the order looked for.
PAGE_KEYS = ("data", "records", "items", "objects", "artObjects", "artObject", "results", "artworks")
_MAX_DEPTH = 6  # deeper values are never catalogue fields, and a hostile record cannot make flattening costly
_MAX_VALUES = 200  # values kept a column of one record
_RECORD_IDS = ("id", "@id", "objectid", "object_id", "uuid", "systemNumber")  # the last, the V&A's
# Where API pages link to the next one: the AIC's, Harvard's, and the common `next` / `links.next`.
_NEXT_LINKS = (("pagination", "next_url"), ("info", "next"), ("next",), ("links", "next"))


def records_in(data: object) -> list[object] | None:
    """The records of a parsed document: a list, a page's list (or its single record), the rows of documents in shapes
    of their own (SPARQL results, the Smithsonian's, the V&A's one object), or one record; None for a value that is
    neither a list nor an object."""
    for rows_of in (museum_habits.sparql_rows, museum_habits.smithsonian_rows, museum_habits.vam_object_rows):
        if (rows := rows_of(data)) is not None:
            return rows
    if isinstance(data, dict):
        for key in PAGE_KEYS:
            value = data.get(key)
            if isinstance(value, list):
                return value
            if isinstance(value, dict):
                return [value]
        return [data]
    return data if isinstance(data, list) else None


def _flatten(value: object, path: str, out: dict[str, list[str]], depth: int = 0) -> None:
    if isinstance(value, dict):
        if depth < _MAX_DEPTH:
            for key, item in value.items():
                _flatten(item, f"{path}.{key}" if path else str(key), out, depth + 1)
    elif isinstance(value, list):
        if depth < _MAX_DEPTH:
            for item in value[:_MAX_VALUES]:
                _flatten(item, path, out, depth + 1)
    elif path and (text := clean(value)):
        values = out.setdefault(path, [])
        if len(values) < _MAX_VALUES:
            values.append(text)



def flatten(record: dict) -> dict[str, list[str]]:
    """{"images": {"web": {"url": u}}, "culture": ["China"]} -> {"images.web.url": [u], "culture": ["China"]}."""
    out: dict[str, list[str]] = {}
    _flatten(record, "", out)
    return out

















def _flattened(data: object, items: Iterable[object]) -> Iterator[dict[str, list[str]] | SkippedRecord | None]:
    """Each item flattened (None for one that is not an object), with what its museum says in its own way
    (museum_habits; the AIC's links from its page's config)."""
    aic_links = museum_habits.aic_links(data)
    for item in items:
        if isinstance(item, dict):
            item = museum_habits.artists_first(item)
            flat = flatten(item)
            museum_habits.read(flat, item, aic_links=aic_links)
            yield flat
        else:
            yield item if isinstance(item, SkippedRecord) else None


def next_page(data: object, url: str) -> str:
    """The next page's URL an API page gives (the AIC's pagination.next_url, Harvard's info.next, a `next` or
    `links.next`), resolved against `url`; "" when there is none or it leaves the first page's scheme and host. A
    page that gives no link but numbers itself is followed by the next number (see _numbered_next)."""
    for path in _NEXT_LINKS:
        value: object = data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value.strip():
            link = urljoin(url, value.strip())
            here, there = urlsplit(url), urlsplit(link)
            return link if (there.scheme, there.netloc) == (here.scheme, here.netloc) else ""
    return _numbered_next(data, url)


def _numbered_next(data: object, url: str) -> str:
    """The next page of an API that numbers its pages instead of linking them: the V&A's `info.page` of
    `info.pages` (asked as `page=`), SMK's `offset` and `rows` of `found` (asked as `offset=`), the Smithsonian's
    rows read of `response.rowCount` (asked as `start=`); "" after the last."""
    if not isinstance(data, dict):
        return ""
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    page, pages_in_all = info.get("page"), info.get("pages")
    if type(page) is int and type(pages_in_all) is int and 0 < page < pages_in_all:
        return _with_parameter(url, "page", page + 1)
    offset, rows, found = data.get("offset"), data.get("rows"), data.get("found")
    if type(offset) is int and type(rows) is int and type(found) is int and rows > 0 and offset + rows < found:
        return _with_parameter(url, "offset", offset + rows)
    response = data.get("response") if isinstance(data.get("response"), dict) else {}
    count, read = response.get("rowCount"), response.get("rows")
    if type(count) is int and isinstance(read, list) and read:
        start = dict(parse_qsl(urlsplit(url).query)).get("start", "0")
        if start.isdigit() and int(start) + len(read) < count:
            return _with_parameter(url, "start", int(start) + len(read))
    return ""


def _with_parameter(url: str, name: str, value: int) -> str:
    parts = urlsplit(url)
    query = [(key, text) for key, text in parse_qsl(parts.query, keep_blank_values=True) if key != name]
    return urlunsplit(parts._replace(query=urlencode([*query, (name, str(value))])))


def read_json_records(data: object, *, name: str, export_dir: Path | None = None, images_dir: Path | None = None,
                      mapping: dict[str, str] | None = None, url: str = "",
                      load_url: Callable[[str], object] | None = None, more: Iterable[object] = ()
                      ) -> Iterator[Result]:
    """The records of a parsed document (see records_in) or of JSON Lines already split (a SkippedRecord in the list
    stands for a line that could not be read). `name` names the source in messages and in the source ids of records
    with no accession number; images named by a relative path are looked for in `export_dir`, then `images_dir`.
    A page fetched from `url` is followed by the pages it links to next (see next_page), fetched with `load_url` as
    the records are read: an import with a limit fetches no more pages than it reads.
    `more` are records read after `data`'s, as they come (the rest of a JSON Lines file).
    The columns and the mapping are checked before this returns, on the first page: a problem raises MappingError
    (a ValueError)."""
    items = records_in(data)
    if not items or not any(isinstance(item, dict) for item in items):
        raise ValueError(f"{name} holds no records (expected JSON objects, or an API page of them)")
    flats = list(_flattened(data, items))
    # Checked against every record's keys at once; then each record is read by its own keys, as records of one
    # export may leave out different fields or name one differently.
    columns(list(dict.fromkeys(key for flat in flats if isinstance(flat, dict) for key in flat)), mapping or {}, name)
    reader = _Reader(mapping or {}, ImageFinder(export_dir, images_dir, export=name),
                     id_prefix=f"json:{urlsplit(url).netloc or name}")
    return _pages(reader, data, itertools.chain(flats, _flattened(None, more)), name=name, url=url,
                  load_url=load_url)


def _pages(reader: _Reader, data: object, flats: Iterable, *, name: str, url: str, load_url) -> Iterator[Result]:
    yield from reader.records(flats, name)
    if not (load_url and url):
        return
    for page in pages.following(data, url, next_url=next_page, load=load_url):
        if isinstance(page, SkippedRecord):
            yield page
        else:
            where, data = page
            yield from reader.records(_flattened(data, records_in(data) or []), where)


class _Reader:
    """Records from flattened items, numbered across an export's pages, each repeated accession number skipped."""

    def __init__(self, mapping: dict[str, str], images: ImageFinder, *, id_prefix: str):
        self.mapping, self.images, self.id_prefix = mapping, images, id_prefix
        self.repeats = AccessionNumbers()
        self.number = 0

    def records(self, flats: Iterable, page: str) -> Iterator[Result]:
        for flat in flats:
            self.number += 1
            where = f"{page} record {self.number}"
            if isinstance(flat, SkippedRecord):
                yield flat
            elif flat is None:
                yield SkippedRecord(where=where, reason="not a JSON object")
            else:
                yield self.repeats.check(self._record(flat, where), where, f"in record {self.number}")

    def _record(self, flat: dict[str, list[str]], where: str) -> Result:
        header = list(flat)
        values = {}
        for field, index in columns(header, self.mapping, where, check=False).items():
            found = flat[header[index]]
            values[field] = "|".join(found) if field == "tags" else found[0]
        if values.get("description"):  # APIs give HTML ("<p>…</p>", the AIC's)
            values["description"] = strip_html(values["description"])
        record_id = next((flat[key][0] for key in _RECORD_IDS if flat.get(key)), str(self.number))
        return record_from_values(values, where=where, fallback_id=f"{self.id_prefix}:{record_id}",
                                  images=self.images)


def read_json_lines(path: Path) -> Iterator[object]:
    """The values of a JSON Lines file as it is read, a SkippedRecord for each line that is not UTF-8 JSON."""
    for number, value in json_lines(path):
        yield SkippedRecord(where=f"{path.name} line {number}", reason=str(value)) if isinstance(
            value, ValueError) else value
