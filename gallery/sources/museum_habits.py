"""What particular museums' API records say in their own way, beyond the names of their keys.

json_records flattens a record into columns named by its key paths and matches them to fields by name; `read` adds (or
takes away) the columns a museum's record needs more than names for: the AIC's pictures and pages from its page's
config, Harvard's and Cleveland's artist among a work's people, Europeana's media type, the V&A's sorted maker names
and pages, SMK's English titles and production, IIIF Image service bases (the V&A's, SMK's), a Wikidata query's rows
and the Smithsonian's labelled `freetext` pairs. `sparql_rows`, `smithsonian_rows` and `vam_object_rows` find the
records of the documents that keep them in shapes of their own.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit

from .dates import iso_year
from .iiif import image_service_url
from .text import clean

Flat = dict[str, list[str]]

_AIC_IMAGE_WIDTH = 843
# The AIC's own addresses, for its records read without their page's config (one artwork's file of its data dump).
_AIC_API, _AIC_LINKS = "https://api.artic.edu/", ("https://www.artic.edu/iiif/2", "https://www.artic.edu")
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
_WIKIDATA_ENTITY = re.compile(r"https?://www\.wikidata\.org/entity/(Q\d+)")
_QID = re.compile(r"Q\d+")
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


def sparql_rows(data: object) -> list[dict] | None:
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


def smithsonian_rows(data: object) -> list | None:
    """The rows of the Smithsonian's Open Access API answer: a search's (`{"response": {"rows": [...]}}`) or one
    record's (`{"response": {"id": ..., "content": {...}}}`); None for another document."""
    response = data.get("response") if isinstance(data, dict) else None
    if isinstance(response, dict) and isinstance(response.get("rows"), list):
        return response["rows"]
    return [response] if isinstance(response, dict) and isinstance(response.get("content"), dict) else None


def vam_object_rows(data: object) -> list | None:
    """The V&A's answer for one object (`{"record": {...}, "meta": {"images": {...}}}`) as its one record, with its
    pictures' links where its search records keep them (`_images`); None for another document."""
    if not (isinstance(data, dict) and isinstance(data.get("record"), dict) and isinstance(data.get("meta"), dict)):
        return None
    return [{**data["record"], "_images": _dict(data["meta"].get("images"))}]


def aic_links(page: object) -> tuple[str, str]:
    """(IIIF Image API base, website) from an AIC page's config, each "" when absent or not an http(s) URL."""
    config = page.get("config") if isinstance(page, dict) else None
    config = config if isinstance(config, dict) else {}
    links = []
    for key in ("iiif_url", "website_url"):
        url = clean(config.get(key)) if isinstance(config.get(key), str) else ""
        links.append(url.rstrip("/") if urlsplit(url).scheme in {"http", "https"} else "")
    return links[0], links[1]


def artists_first(item: dict) -> dict:
    """`item` with the artists of its people lists first: Harvard lists a print's "Printer" or "Publisher" beside its
    "Artist", not always after."""
    lists = {key: item[key] for key in _PEOPLE if isinstance(item.get(key), list)
             and all(isinstance(person, dict) for person in item[key])}
    return {**item, **{key: sorted(people, key=lambda person: str(person.get("role", "")).strip().casefold()
                                   not in _ARTIST_ROLES) for key, people in lists.items()}}


def _first_person(flat: Flat, item: dict) -> None:
    """What the first of a work's people (the artist, once sorted first) says of them, read from the record itself:
    flattened, a value could not be told from the next person's once one lacks it. Harvard gives life years only as a
    `displaydate` ("1853 - 1890"), joined to the name as museums print it, "Vincent van Gogh (1853 - 1890)", whose years
    are then read; Cleveland's `qualifier` and Harvard's `prefix` ("Attributed to") are the attribution qualifier, and
    Harvard's `culture` ("Dutch") the artist's nationality."""
    key = next((key for key in _PEOPLE if isinstance(item.get(key), list) and item[key]), "")
    first = item[key][0] if key and isinstance(item[key][0], dict) else {}
    if key and f"{key}.culture" in flat:  # the flattened list's first culture may be the next person's
        del flat[f"{key}.culture"]
        if (culture := _text(first.get("culture"))) and "artist_nationality" not in flat:
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


def _english_title(flat: Flat, item: dict) -> None:
    """Of a record's `titles` (SMK's: [{"title": ..., "language": "da"}, ...]), the English one where there is one."""
    titles = [title for title in _entries(item, "titles") if _text(title.get("title"))]
    if titles and "title" not in flat:
        english = [title for title in titles if _text(title.get("language")).casefold() in {"en", "eng", "english"}]
        flat["title"] = [_text((english or titles)[0]["title"])]


def _read_vam(flat: Flat, item: dict) -> None:
    """The V&A's records, of its search (`_primaryMaker`, `_primaryDate`) or one object's (`artistMakerPerson`,
    `productionDates`): the maker named as a label names them, not as the museum sorts them ("Constable, John"), none
    for "Unknown"; the first production date and place of origin; the work's page by its system number."""
    if not isinstance(item.get("systemNumber"), str):
        return
    primary = item.get("_primaryMaker") if isinstance(item.get("_primaryMaker"), dict) else {}
    person = next(iter(_entries(item, "artistMakerPerson") or _entries(item, "artistMakerOrganisations")), {})
    name = _text(primary.get("name")) or _text(_dict(person.get("name")).get("text"))
    flat.pop("_primaryMaker.name", None)
    if name and name.casefold() not in _NO_MAKER and "artist" not in flat:
        flat["artist"] = [_label_name(name)]
    produced = next(iter(_entries(item, "productionDates")), {})
    origin = next(iter(_entries(item, "placesOfOrigin")), {})
    for field, value in (("date", _text(_dict(produced.get("date")).get("text"))),
                         ("culture", _text(_dict(origin.get("place")).get("text"))),
                         ("source_url", _VAM_PAGE.format(quote(item["systemNumber"], safe="")))):
        if value and field not in flat:
            flat[field] = [value]



def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _label_name(sorted_name: str) -> str:
    """"Constable, John" -> "John Constable", "Gogh, Vincent van (1853-1890)" -> "Vincent van Gogh (1853-1890)"; a
    name of another shape (no comma or several, years, a company's "Liberty & Co., Ltd") as it is."""
    head, tail = re.fullmatch(r"(.*?)(\s*\([^()]*\))?", sorted_name).groups()
    surname, comma, forenames = head.partition(",")
    if not comma or "," in forenames or not forenames.strip() or re.search(r"[\d()]", head) \
            or _COMPANY.search(forenames):
        return sorted_name
    return f"{forenames.strip()} {surname.strip()}{tail or ''}"


def _read_smk(flat: Flat, item: dict) -> None:
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
    """The year of an ISO date or timestamp as a year column writes it ("1606-07-15T00:00:00.000Z" -> "1606")."""
    year = iso_year(value)
    return "" if year is None else str(year)


def _read_iiif_base(flat: Flat) -> None:
    """A record whose picture is a IIIF Image service base (the V&A's, SMK's) asks for its whole image, as the IIIF
    reader asks, where no other column gives the picture."""
    base = next((flat[key][0] for key in _IIIF_BASES if flat.get(key)), "")
    if base and "image" not in flat and urlsplit(base).scheme in {"http", "https"}:
        flat["image"] = [image_service_url({"@id": base})]


def _read_wikidata(flat: Flat) -> None:
    """A Wikidata query's row: its work (the first entity it names) gives the record's id and page, and a label that
    is only an entity's id ("Q999": none in the query's language) is no label. (An ISO `inception` and a Commons
    picture are read as any source's are: csv_export.record_from_values.)"""
    entity = next((found for values in flat.values() if (found := _WIKIDATA_ENTITY.fullmatch(values[0]))), None)
    if entity is None:
        return
    for key in [key for key, values in flat.items() if key.casefold().endswith("label") and _QID.fullmatch(values[0])]:
        del flat[key]  # what the service names an entity that has no label in the query's language
    flat.setdefault("id", [entity[1]])
    flat.setdefault("source_url", [f"https://www.wikidata.org/wiki/{entity[1]}"])


def _read_smithsonian(flat: Flat, item: dict) -> None:
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


def _drop_media_type(flat: Flat) -> None:
    """Europeana's `type` is the kind of digital object (IMAGE, TEXT, 3D), not the work's classification as
    Cleveland's `type` ("Painting") is."""
    if flat.get("type") and all(value in _MEDIA_TYPES for value in flat["type"]):
        del flat["type"]


def _read_aic(flat: Flat, item: dict, iiif_base: str, website: str) -> None:
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



def read(flat: Flat, item: dict, *, aic_links: tuple[str, str]) -> None:
    """What `item` (its people sorted by artists_first, flattened into `flat`) says in its museum's own way, into
    `flat`; `aic_links` are the IIIF base and website of the AIC page it came from (empty elsewhere)."""
    _first_person(flat, item)
    aic_record = not aic_links[0] and str(item.get("api_link", "")).startswith(_AIC_API)
    _read_aic(flat, item, *(_AIC_LINKS if aic_record else aic_links))
    _english_title(flat, item)
    _read_vam(flat, item)
    _read_smk(flat, item)
    _read_iiif_base(flat)
    _read_wikidata(flat)
    _read_smithsonian(flat, item)
    _drop_media_type(flat)
