"""Collection API records other than the Met's, as JSON: read like a CSV export whose columns are the records' keys.

A museum's API page (the Art Institute of Chicago's `{"data": [...], "config": {...}}`, the Cleveland Museum's
`{"data": [...]}`, Harvard's and the V&A's `{"records": [...]}`, the Rijksmuseum's `{"artObjects": [...]}`,
Europeana's and SMK's `{"items": [...]}`), a JSON array of records, one record, or JSON Lines of them. Each record
is flattened into columns named by their key paths ("images.web.url", "creators.description"), a list's values under
one name, and the columns are matched to fields as a CSV's are (csv_export.columns: documented names, the museums'
known names, a mapping such as `images.print.url=image`). Of a list, a field takes the first value (the first
creator, the first title Europeana gives) and `tags` every value; of a work's people, the artist comes first, with
their life years and attribution qualifier read from their own entry. The V&A's and SMK's records give their
pictures as IIIF Image service bases, asked for whole, and number their pages rather than link them (next_page).
A Wikidata query's SPARQL results are read one record a work (_sparql_rows, _read_wikidata);
the Smithsonian's Open Access rows by their labelled `freetext` pairs (_read_smithsonian).

The Art Institute of Chicago gives no image URL but an `image_id` and, in the page's `config`, its IIIF Image API
base: the picture is asked for at the 843-pixel width the AIC's API documentation recommends, and the work's page
is the page's `website_url` with the record's id.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from . import pages
from .csv_export import AccessionNumbers, ImageFinder, columns, record_from_values
from .iiif import image_service_url
from .json_values import json_lines
from .records import CatalogueRecord, SkippedRecord
from .text import clean, strip_html

Result = CatalogueRecord | SkippedRecord

# Where an API page keeps its records, in the order looked for.
PAGE_KEYS = ("data", "records", "items", "objects", "artObjects", "artObject", "results", "artworks")
_MAX_DEPTH = 6  # deeper values are never catalogue fields, and a hostile record cannot make flattening costly
_MAX_VALUES = 200  # values kept a column of one record
_AIC_IMAGE_WIDTH = 843
# The AIC's own addresses, for its records read without their page's config (one artwork's file of its data dump).
_AIC_API, _AIC_LINKS = "https://api.artic.edu/", ("https://www.artic.edu/iiif/2", "https://www.artic.edu")
_RECORD_IDS = ("id", "@id", "objectid", "object_id", "uuid", "systemNumber")  # the last, the V&A's
# Where API pages link to the next one: the AIC's, Harvard's, and the common `next` / `links.next`.
_NEXT_LINKS = (("pagination", "next_url"), ("info", "next"), ("next",), ("links", "next"))
_MEDIA_TYPES = {"IMAGE", "TEXT", "SOUND", "VIDEO", "3D"}  # Europeana's edm:type values
# Lists of the people of a work, each with a role (Harvard's people, Cleveland's creators): the artist is read first.
_PEOPLE = ("people", "creators", "artists", "makers", "constituents")
_ARTIST_ROLES = {"artist", "maker", "painter", "creator", "author", "sculptor", "designer", "photographer",
                 "printmaker", "draftsman", "draughtsman"}
# IIIF Image service bases that stand for a record's picture (the V&A's, SMK's): its whole image is asked for.
_IIIF_BASES = ("_images._iiif_image_base_url", "image_iiif_id")
_VAM_PAGE = "https://collections.vam.ac.uk/item/{}/"
_NO_MAKER = {"unknown", "anonymous", "unknown maker", "unknown artist"}
_COMPANY = re.compile(r"\b(?:ltd|limited|inc|co|plc|llc|gmbh|and sons|& sons)\b", re.IGNORECASE)
_ISO_YEAR = re.compile(r"(-?\d{4})-\d\d-\d\d")
_WIKIDATA_ENTITY = re.compile(r"https?://www\.wikidata\.org/entity/(Q\d+)")
_QID = re.compile(r"Q\d+")
_COMMONS_FILE = re.compile(r"https?://commons\.wikimedia\.org/wiki/Special:FilePath/[^?#]+")
_COMMONS_WIDTH = 2048  # Commons scales a file to this width: its original may be a 100 MB TIFF
# The Smithsonian's `freetext` labels (each {"label": ..., "content": ...}) of the fields they give.
_SMITHSONIAN_LABELS = {
    **dict.fromkeys(("artist", "maker", "creator", "author", "designer", "painter", "photographer", "sculptor",
                     "printmaker"), "artist"),
    "date": "date", "medium": "medium", "dimensions": "dimensions", "object number": "accession_number",
    "accession number": "accession_number", "credit line": "credit_line", "type": "classification",
    "object type": "classification", "description": "description", "culture": "culture", "data source": "institution",
}
_SMITHSONIAN_IMAGES = "/ids/deliveryService"  # the path of its image service (ids.si.edu)
_SMITHSONIAN_SIDE = 2048  # the image service scales a picture to this longest side (`max=`)


def records_in(data: object) -> list[object] | None:
    """The records of a parsed document: a list, a page's list (or its single record), SPARQL results' rows, or one
    record; None for a value that is neither a list nor an object."""
    if (rows := _sparql_rows(data)) is not None:
        return rows
    if isinstance(data, dict) and isinstance(data.get("response"), dict) and isinstance(data["response"].get("rows"),
                                                                                       list):
        return data["response"]["rows"]  # the Smithsonian's Open Access API
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


def _sparql_rows(data: object) -> list[dict] | None:
    """SPARQL query results in JSON (the Wikidata Query Service's answer: `{"head": {"vars": [...]}, "results":
    {"bindings": [{"item": {"type": "uri", "value": ...}, ...}]}}`) as one record a row, {variable: value}; a work
    with several rows (two creators, two pictures) is read from its first. None for another document."""
    results = data.get("results") if isinstance(data, dict) and isinstance(data.get("head"), dict) else None
    if not (isinstance(results, dict) and isinstance(results.get("bindings"), list)):
        return None
    rows, seen = [], set()
    for binding in results["bindings"]:
        if not isinstance(binding, dict):
            continue
        row = {name: cell["value"] for name, cell in binding.items()
               if isinstance(cell, dict) and isinstance(cell.get("value"), str)}
        work = next((value for value in row.values() if _WIKIDATA_ENTITY.fullmatch(value)), None)
        if work is None or work not in seen:
            rows.append(row)
            seen.add(work)
    return rows


def flatten(record: dict) -> dict[str, list[str]]:
    """{"images": {"web": {"url": u}}, "culture": ["China"]} -> {"images.web.url": [u], "culture": ["China"]}."""
    out: dict[str, list[str]] = {}
    _flatten(record, "", out)
    return out


def _aic_links(page: object) -> tuple[str, str]:
    """(IIIF Image API base, website) from an AIC page's config, each "" when absent or not an http(s) URL."""
    config = page.get("config") if isinstance(page, dict) else None
    config = config if isinstance(config, dict) else {}
    links = []
    for key in ("iiif_url", "website_url"):
        url = clean(config.get(key)) if isinstance(config.get(key), str) else ""
        links.append(url.rstrip("/") if urlsplit(url).scheme in {"http", "https"} else "")
    return links[0], links[1]


def _artists_first(item: dict) -> dict:
    """`item` with the artists of its people lists first: Harvard lists a print's "Printer" or "Publisher" beside its
    "Artist", not always after."""
    lists = {key: item[key] for key in _PEOPLE if isinstance(item.get(key), list)
             and all(isinstance(person, dict) for person in item[key])}
    return {**item, **{key: sorted(people, key=lambda person: str(person.get("role", "")).strip().casefold()
                                   not in _ARTIST_ROLES) for key, people in lists.items()}}


def _first_person(flat: dict[str, list[str]], item: dict) -> None:
    """What the first of a work's people (the artist, once sorted first) says of them, read from the record itself:
    flattened, a value could not be told from the next person's once one lacks it. Harvard gives life years only as a
    `displaydate` ("1853 - 1890"), joined to the name as museums print it, "Vincent van Gogh (1853 - 1890)", whose years
    are then read; Cleveland's `qualifier` and Harvard's `prefix` ("Attributed to") are the attribution qualifier, and
    Harvard's `culture` ("Dutch") the artist's nationality."""
    key = next((key for key in _PEOPLE if isinstance(item.get(key), list) and item[key]), "")
    first = item[key][0] if key and isinstance(item[key][0], dict) else {}
    if key and f"{key}.culture" in flat:  # the flattened list's first culture may be the next person's
        del flat[f"{key}.culture"]
        if (culture := clean(first.get("culture"))) and "artist_nationality" not in flat:
            flat["artist_nationality"] = [culture]
    name, dates = clean(first.get("name")), clean(first.get("displaydate"))
    if name and dates and "artist" not in flat:
        flat["artist"] = [f"{name} ({dates})"]
    if (qualifier := clean(first.get("qualifier")) or clean(first.get("prefix"))) and "artist_qualifier" not in flat:
        flat["artist_qualifier"] = [qualifier]


def _entries(item: dict, key: str) -> list[dict]:
    """The objects of the list under `key` (anything else there: none)."""
    value = item.get(key)
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _text(value: object) -> str:
    """A string's text, "" for anything else (a list's or an object's repr is no catalogue text)."""
    return clean(value) if isinstance(value, str) else ""


def _english_title(flat: dict[str, list[str]], item: dict) -> None:
    """Of a record's `titles` (SMK's: [{"title": ..., "language": "da"}, ...]), the English one where there is one."""
    titles = [title for title in _entries(item, "titles") if _text(title.get("title"))]
    if titles and "title" not in flat:
        english = [title for title in titles if _text(title.get("language")).casefold() in {"en", "eng", "english"}]
        flat["title"] = [_text((english or titles)[0]["title"])]


def _read_vam(flat: dict[str, list[str]], item: dict) -> None:
    """The V&A's search records: the maker named as a label names them, not as the museum sorts them ("Constable,
    John"), none for "Unknown"; the work's page by its system number."""
    if not (isinstance(item.get("systemNumber"), str) and "_primaryTitle" in item):
        return
    maker = item.get("_primaryMaker") if isinstance(item.get("_primaryMaker"), dict) else {}
    name = _text(maker.get("name"))
    flat.pop("_primaryMaker.name", None)
    if name and name.casefold() not in _NO_MAKER and "artist" not in flat:
        flat["artist"] = [_label_name(name)]
    if "source_url" not in flat:
        flat["source_url"] = [_VAM_PAGE.format(quote(item["systemNumber"], safe=""))]


def _label_name(sorted_name: str) -> str:
    """"Constable, John" -> "John Constable", "Gogh, Vincent van (1853-1890)" -> "Vincent van Gogh (1853-1890)"; a
    name of another shape (no comma or several, years, a company's "Liberty & Co., Ltd") as it is."""
    head, tail = re.fullmatch(r"(.*?)(\s*\([^()]*\))?", sorted_name).groups()
    surname, comma, forenames = head.partition(",")
    if not comma or "," in forenames or not forenames.strip() or re.search(r"[\d()]", head) \
            or _COMPANY.search(forenames):
        return sorted_name
    return f"{forenames.strip()} {surname.strip()}{tail or ''}"


def _read_smk(flat: dict[str, list[str]], item: dict) -> None:
    """SMK's records: the first creator of the production (their name where no `artist` list gives it, nationality
    and life years from their dates of birth and death) and the production's period as the work's date."""
    creator = next(iter(_entries(item, "production")), {})
    period = next(iter(_entries(item, "production_date")), {})
    for field, value in (("artist", _text(creator.get("creator"))),
                         ("artist_nationality", _text(creator.get("creator_nationality"))),
                         ("artist_birth_year", _iso_year(creator.get("creator_date_of_birth"))),
                         ("artist_death_year", _iso_year(creator.get("creator_date_of_death"))),
                         ("date", _text(period.get("period"))),
                         ("year_start", _iso_year(period.get("start"))), ("year_end", _iso_year(period.get("end")))):
        if value and field not in flat:
            flat[field] = [value]


def _iso_year(value: object) -> str:
    """The year of an ISO date ("1606-07-15T00:00:00.000Z" -> "1606"), "" for anything else."""
    found = _ISO_YEAR.match(value.strip()) if isinstance(value, str) else None
    return str(int(found[1])) if found else ""


def _read_iiif_base(flat: dict[str, list[str]]) -> None:
    """A record whose picture is a IIIF Image service base (the V&A's, SMK's) asks for its whole image, as the IIIF
    reader asks, where no other column gives the picture."""
    base = next((flat[key][0] for key in _IIIF_BASES if flat.get(key)), "")
    if base and "image" not in flat and urlsplit(base).scheme in {"http", "https"}:
        flat["image"] = [image_service_url({"@id": base})]


def _read_wikidata(flat: dict[str, list[str]]) -> None:
    """A Wikidata query's row: its work (the first entity it names) gives the record's id and page, an ISO
    `inception` its year, a label that is only an entity's id ("Q999": none in the query's language) is no label,
    and a Commons picture is asked for at _COMMONS_WIDTH."""
    entity = next((found for values in flat.values() if (found := _WIKIDATA_ENTITY.fullmatch(values[0]))), None)
    if entity is None:
        return
    for key in [key for key, values in flat.items() if key.casefold().endswith("label") and _QID.fullmatch(values[0])]:
        del flat[key]  # what the service names an entity that has no label in the query's language
    flat.setdefault("id", [entity[1]])
    flat.setdefault("source_url", [f"https://www.wikidata.org/wiki/{entity[1]}"])
    if (year := _iso_year(flat.get("inception", [""])[0])) and "date" not in flat:
        flat["date"] = [year if not year.startswith("-") else f"{year[1:]} BCE"]
    for key, values in flat.items():
        if _COMMONS_FILE.fullmatch(values[0]):
            flat[key] = [f"{values[0]}?width={_COMMONS_WIDTH}", *values[1:]]


def _read_smithsonian(flat: dict[str, list[str]], item: dict) -> None:
    """A record of the Smithsonian's Open Access API (EDAN): the fields its `freetext` pairs name by their labels
    (the first of each), its first image from the image service at _SMITHSONIAN_SIDE, the image's (else the
    record's) usage as its rights, `record_link` as its page."""
    content = item.get("content") if isinstance(item.get("content"), dict) else {}
    freetext, described = content.get("freetext"), content.get("descriptiveNonRepeating")
    if not (isinstance(freetext, dict) and isinstance(described, dict)):
        return
    for pairs in freetext.values():
        for pair in pairs if isinstance(pairs, list) else []:
            field = _SMITHSONIAN_LABELS.get(_text(pair.get("label")).casefold()) if isinstance(pair, dict) else None
            if field and field not in flat and (value := _text(pair.get("content"))):
                flat[field] = [value]
    media = described.get("online_media") if isinstance(described.get("online_media"), dict) else {}
    image = next((entry for entry in _entries(media, "media") if _text(entry.get("type")) == "Images"), {})
    url = _text(image.get("content"))
    if urlsplit(url).scheme in {"http", "https"} and "image" not in flat:
        parts = urlsplit(url)
        scaled = parts.path == _SMITHSONIAN_IMAGES and "max" not in dict(parse_qsl(parts.query))
        flat["image"] = [f"{url}&max={_SMITHSONIAN_SIDE}" if scaled else url]
    access = next((_text(entry.get("access")) for entry in (image.get("usage"), described.get("metadata_usage"))
                   if isinstance(entry, dict) and _text(entry.get("access"))), "")
    if access and "rights" not in flat:
        flat["rights"] = [access]
    if (link := _text(described.get("record_link"))) and "source_url" not in flat:
        flat["source_url"] = [link]
    for key in ("type", "url"):  # the record's kind ("edanmdm") and id ("edanmdm:saam_1929.6.52"), no field
        flat.pop(key, None)


def _drop_media_type(flat: dict[str, list[str]]) -> None:
    """Europeana's `type` is the kind of digital object (IMAGE, TEXT, 3D), not the work's classification as
    Cleveland's `type` ("Painting") is."""
    if flat.get("type") and all(value in _MEDIA_TYPES for value in flat["type"]):
        del flat["type"]


def _read_aic(flat: dict[str, list[str]], item: dict, iiif_base: str, website: str) -> None:
    """What an AIC record says in its own way: its image and page from the page's config, and no artist where its
    `artist_title` is null, whose `artist_display` then names a culture ("Ancient Egyptian"), not a person."""
    if "artist_title" in item and not item["artist_title"]:
        flat.pop("artist_display", None)
    image_id, record_id = flat.get("image_id", [""])[0], flat.get("id", [""])[0]
    if iiif_base and image_id and "image" not in flat:
        flat["image"] = [f"{iiif_base}/{quote(image_id, safe='')}/full/{_AIC_IMAGE_WIDTH},/0/default.jpg"]
    if website and record_id and "source_url" not in flat:
        kind = flat.get("api_model", ["artworks"])[0]
        flat["source_url"] = [f"{website}/{quote(kind, safe='')}/{quote(record_id, safe='')}"]


def _flattened(data: object, items: Iterable[object]) -> Iterator[dict[str, list[str]] | SkippedRecord | None]:
    """Each item flattened (None for one that is not an object), with the AIC's links from its page's config."""
    iiif_base, website = _aic_links(data)
    for item in items:
        if isinstance(item, dict):
            item = _artists_first(item)
            flat = flatten(item)
            _first_person(flat, item)
            aic_record = not iiif_base and str(item.get("api_link", "")).startswith(_AIC_API)
            _read_aic(flat, item, *(_AIC_LINKS if aic_record else (iiif_base, website)))
            _english_title(flat, item)
            _read_vam(flat, item)
            _read_smk(flat, item)
            _read_iiif_base(flat)
            _read_wikidata(flat)
            _read_smithsonian(flat, item)
            _drop_media_type(flat)
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
