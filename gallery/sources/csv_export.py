"""A collection as a CSV file with a header row, one artwork a row.

Documented columns (FIELDS): accession_number, title, artist, artist_qualifier, artist_nationality,
artist_birth_year, artist_death_year, date, year_start, year_end, culture, period, medium, dimensions,
classification, department, credit_line, rights, rights_url, image_credit, description, image_description (what the
picture shows, for people who cannot see it), tags (separated by ";" or "|"),
source_url, manifest_url, source_id (the record's id in its first source, kept so that a re-import finds the work),
image: what gallery/services/catalogue_csv.py exports, so that an export imports again.
Header names match case-insensitively, with spaces or hyphens for underscores. The column names of the big museums'
open-data exports are known too (_KNOWN_COLUMNS: the Met's MetObjects.csv, MoMA's, the Tate's, the NGA's, the
Cleveland Museum's). Other column names are mapped to fields without code: `parse_mapping(["Object
Number=accession_number"])` or `load_mapping(file)`. Columns neither documented, known nor mapped are ignored. The
NGA's objects.csv, which names no picture, takes each work's from the NGA's tables beside it (gallery/sources/nga.py).

Rows are numbered as a spreadsheet shows them (the header is row 1). A row with neither a title nor an image, with a
year column that is not a whole number, with an image that cannot be found, or repeating an accession number is
skipped (SkippedRecord) and the others are read.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from . import nga
from .artists import split_artist
from .dates import iso_year, resolve_years
from .json_values import loads
from .local_files import file_within
from .records import CatalogueRecord, SkippedRecord
from .rights import classify_rights
from .text import clean, split_tags

FIELDS = ("accession_number", "title", "artist", "artist_qualifier", "artist_nationality", "artist_birth_year",
          "artist_death_year", "date", "year_start", "year_end", "culture", "period", "medium", "dimensions",
          "classification", "department", "institution", "credit_line", "rights", "rights_url", "image_credit",
          "description", "image_description", "tags", "source_url", "manifest_url", "source_id", "image")
_YEAR_FIELDS = ("artist_birth_year", "artist_death_year", "year_start", "year_end")
# Museums' own names for the fields besides the field's own in any spelling ("AccessionNumber", "Accession Number"),
# compared as letters and digits only, best first; a documented name or a mapping wins. Only names that mean the same
# in every export they appear in: MoMA's "BeginDate" is the artist's birth year, the Met's "Object Begin Date" the
# work's.
_KNOWN_COLUMNS = {
    "accession_number": ("objectnumber", "accessionnum", "inventorynumber", "museumnumber",
                         "mainreferencenumber"),  # the AIC's API
    # the NGA's "attribution": "Workshop of Rogier van der Weyden"; in JSON records (json_records): the AIC's
    # "Pablo Picasso (Spanish, 1881-1973)", Cleveland's creators, Harvard's people, the Rijksmuseum's, Europeana's,
    # and artsearch's own API's artist.name
    "artist": ("artistdisplayname", "maker", "creator", "attribution", "artistdisplay", "creatorsdescription",
               "peoplename", "principalorfirstmaker", "dccreator", "artistname",
               "creatorlabel", "artistlabel", "painterlabel"),  # a Wikidata query's
    "artist_qualifier": ("artistprefix", "attributionqualifier"),
    "artist_nationality": ("nationality", "peopleculture"),
    "title": ("primarytitle",  # the V&A's
              "itemlabel", "paintinglabel", "artworklabel", "worklabel"),  # a Wikidata query's usual names
    "date": ("objectdate", "displaydate", "datetext", "dated", "creationdate", "datedisplay",
             "year",  # Europeana's year, the Tate's where it has no dateText
             "primarydate",  # the V&A's
             "inception"),  # Wikidata's
    "year_start": ("objectbegindate", "beginyear", "creationdateearliest", "datestart", "datebegin"),
    "year_end": ("objectenddate", "endyear", "creationdatelatest", "dateend"),
    "culture": ("placeoforigin", "primaryplace"),  # the V&A's place of production
    "period": ("dynasty", "reign"),
    "medium": ("technique", "materials", "mediumtechnique", "mediumdisplay", "techniques",
               "materialsandtechniques"),  # the V&A's
    "dimensions": ("measurements",),
    "classification": ("objecttype", "objectname", "type", "artworktypetitle", "objectnamesname"),
    "department": ("departmenttitle", "responsibledepartment"),
    "institution": ("repository", "dataprovider", "holdinginstitution", "museum",  # the Met's, Europeana's
                    "collectionlabel"),  # a Wikidata query's
    "credit_line": ("credit",),
    # Cleveland's share_license_status: CC0; the AIC's copyright_notice: "© 2018 Estate of Pablo Picasso / ARS"
    "rights": ("rightsandreproduction", "license", "licence", "sharelicensestatus", "copyright", "copyrightnotice"),
    "description": ("walldescription", "digitaldescription", "dcdescription", "contentdescription",
                    "summarydescription", "briefdescription"),  # the V&A's
    "image_description": ("alttext", "thumbnailalttext", "imagesalttext"),  # the AIC's and Harvard's alt texts
    "tags": ("keywords", "subjects", "subjecttitles"),
    "source_url": ("linkresource", "url", "objecturl", "weburl", "linksweb", "edmisshownat", "frontendurl"),
    "manifest_url": ("iiifmanifest", "imagesiiifpresentationurl"),  # SMK's, the V&A's
    "image": ("imageurl", "imagefile", "filename", "primaryimage", "imageweb", "thumbnailurl", "imagesweburl",
              "primaryimageurl", "webimageurl", "edmisshownby"),
}
# A cell a spreadsheet would run as a formula starts so; an export guards it with an apostrophe (spreadsheet_safe).
_FORMULA_START = ("=", "+", "-", "@")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_PARENTHESISED = re.compile(r"\(([^()]*)\)")  # one artist's part of MoMA's "(Dutch) (French)"
_PUBLIC_DOMAIN_FLAG = "is_public_domain"  # not a field: a True/False column read as `rights` when that is empty
_COLUMNS_SHOWN = 40  # of a header without a title or an image, in the message that says so
_WHOLE_NUMBER = re.compile(r"-?\d{1,5}(\.0+)?")  # spreadsheets write 1863 as "1863.0"; longer is no year
# A Wikimedia Commons file by name, which redirects to the original (a 100 MB TIFF, as often as not): asked scaled.
_COMMONS_FILE = re.compile(r"https?://commons\.wikimedia\.org/wiki/Special:FilePath/[^?#]+")
_COMMONS_WIDTH = 2048

Result = CatalogueRecord | SkippedRecord


class MappingError(ValueError):
    """A column mapping names a field that does not exist, or a column the CSV does not have."""


def spreadsheet_safe(text: str) -> str:
    """A cell no spreadsheet runs as a formula ("=HYPERLINK(...)" in a title a source sent): text starting with
    = + - @ gets the apostrophe spreadsheets read as "this is text", which read_csv takes off again. A number such as
    a year BCE ("-500") is left as it is."""
    return "'" + text if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text) else text


def _unguarded(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_FORMULA_START) else cell


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip()).casefold()


def _letters(name: str) -> str:
    return re.sub(r"[\W_]+", "", name).casefold()


def _check_field(field: str, where: str) -> str:
    key = _key(field)
    if key not in FIELDS:
        raise MappingError(f"{where}: unknown field {field!r}; the fields are {', '.join(FIELDS)}")
    return key


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """["Source Column=field", ...] -> {"Source Column": "field"}: the CSV's column names to documented fields."""
    mapping = {}
    for item in items:
        column, separator, field = item.rpartition("=")
        if not separator or not column.strip() or not field.strip():
            raise MappingError(f"{item!r}: expected 'Source Column=field'")
        mapping[column.strip()] = _check_field(field, repr(item))
    return mapping


def load_mapping(path: Path) -> dict[str, str]:
    """A mapping file: a JSON object {"Source Column": "field"}, or lines `Source Column=field` (# comments)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    if text.lstrip().startswith("{"):
        try:
            data = loads(text)
        except json.JSONDecodeError as error:
            raise MappingError(f"{path}: invalid JSON: {error}") from None
        if not all(isinstance(value, str) for value in data.values()):
            raise MappingError(f"{path}: every value must be a field name")
        return {column.strip(): _check_field(field, f"{path}: {column!r}") for column, field in data.items()}
    lines = [line.strip() for line in text.splitlines()]
    return parse_mapping(line for line in lines if line and not line.startswith("#"))


def columns(header: list[str], mapping: dict[str, str], name: str, *, check: bool = True) -> dict[str, int]:
    """field -> column index: mapped columns first, then columns that carry a documented name, then known names.
    `name` names the source in messages. With `check`, a mapped column missing from the header, or a header with
    neither a title nor an image, raises MappingError; without, they are let be (one JSON record's own keys)."""
    positions = {_key(column): index for index, column in enumerate(header)}
    by_field: dict[str, int] = {}
    for column, field in (mapping or {}).items():
        if _key(column) not in positions:
            if not check:
                continue
            raise MappingError(f"{name}: the mapping names column {column!r}, which is not in the header "
                               f"({', '.join(repr(column_name) for column_name in header)})")
        by_field[_check_field(field, f"mapping for {column!r}")] = positions[_key(column)]
    for field in FIELDS:
        if field not in by_field and field in positions and positions[field] not in by_field.values():
            by_field[field] = positions[field]
    known = {}
    for index, column in enumerate(header):
        known.setdefault(_letters(column), index)
    for field, names in _KNOWN_COLUMNS.items():
        for letters in (_letters(field), *names):
            if field not in by_field and letters in known and known[letters] not in by_field.values():
                by_field[field] = known[letters]
    if known.get("ispublicdomain") is not None:  # the Met's True/False, for the rows whose rights cell is empty
        by_field[_PUBLIC_DOMAIN_FLAG] = known["ispublicdomain"]
    if check and "title" not in by_field and "image" not in by_field:
        more = f", … ({len(header)} in all)" if len(header) > _COLUMNS_SHOWN else ""
        shown = ", ".join(header[:_COLUMNS_SHOWN]) + more
        raise MappingError(f"{name}: no title or image column (columns: {shown}); "
                           f"name one with a mapping such as 'Object Title=title'")
    return by_field


class ImageFinder:
    """An `image` cell to a file: relative to the export's folder, else a file name anywhere under images_dir."""

    def __init__(self, export_dir: Path | None, images_dir: Path | None, *, export: str = "the CSV"):
        self.export_dir = export_dir  # None for an export fetched from a URL
        self.images_dir = images_dir
        self.export = export
        self._by_name: dict[str, list[Path]] | None = None

    def resolve(self, value: str) -> tuple[Path | None, str] | str:
        """(file, "") for a file name, (None, url) for an http(s) URL, (None, "") for nothing, or why the named file
        is not there."""
        if re.match(r"https?://", value, re.IGNORECASE):
            return None, value
        if not value:
            return None, ""
        found = self.find(value)
        return found if isinstance(found, str) else (found, "")

    def find(self, value: str) -> Path | str:
        """The file, or a reason it is not there. Only files in the export's folder or under images_dir are found."""
        value = value.replace("\\", "/")  # exported on Windows: photos\a.jpg
        if self.export_dir is not None and (candidate := file_within(self.export_dir, value)):
            return candidate
        if self.images_dir is None:
            return f"image {value!r} not found beside {self.export}"
        if candidate := file_within(self.images_dir, value):
            return candidate
        if self._by_name is None:  # walked once, on the first name that needs it
            self._by_name = {}
            for path in sorted(self.images_dir.rglob("*")):
                if path.is_file():
                    self._by_name.setdefault(path.name.casefold(), []).append(path)
        found = self._by_name.get(Path(value).name.casefold(), [])
        if len(found) == 1:
            return found[0]
        if found:
            return f"image {value!r} is ambiguous: {len(found)} files of that name under {self.images_dir}"
        return f"image {value!r} not found beside {self.export} or under {self.images_dir}"


def _sniff_delimiter(first_line: str) -> str:
    # Spreadsheets in many locales save "CSV" with ";" (or tabs): count in the header line only, where tags and
    # descriptions with their own ";" cannot be.
    return max((",", ";", "\t"), key=first_line.count)


def read_csv(path: Path, *, images_dir: Path | None = None, mapping: dict[str, str] | None = None) -> Iterator[Result]:
    """The rows of a UTF-8 CSV (a byte-order mark is fine) as records. The header and mapping are checked before
    this returns: a problem with them raises MappingError (a ValueError) instead of skipping every row."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path.name} is not UTF-8 (byte {error.start}): save it as 'CSV UTF-8'") from None
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text.split("\n", 1)[0]))
    try:
        header = next(rows, None)
    except csv.Error as error:  # e.g. a header cell past csv.field_size_limit(): no row can be read without it
        raise ValueError(f"{path.name}: unreadable header row: {error}") from None
    if not header:
        raise ValueError(f"{path.name} is empty: expected a header row")
    by_field = columns(header, mapping or {}, path.name)
    beside, letters = None, [_letters(column) for column in header]
    if "image" not in by_field and "objectid" in letters:  # the NGA's objects: pictures beside them
        if (pictures := nga.pictures_beside(path)) is not None:
            beside = _Beside(letters.index("objectid"), pictures, nga.artists_beside(path))
    return _records(path, rows, by_field, ImageFinder(path.parent, images_dir), beside=beside)


class AccessionNumbers:
    """The accession numbers an export's records have given so far: a record repeating one is skipped."""

    def __init__(self):
        self._first: dict[str, str] = {}

    def check(self, result: Result, where: str, label: str) -> Result:
        """`result`, or a SkippedRecord at `where` when its accession number came before; `label` ("row 5") is how
        a later repeat names this record."""
        if isinstance(result, CatalogueRecord) and result.accession_number:
            if (first := self._first.get(result.accession_number)) is not None:
                reason = f"accession number {result.accession_number!r} again (first {first})"
                return SkippedRecord(where=where, reason=reason)
            self._first[result.accession_number] = label
        return result


class _Beside(NamedTuple):
    """What the NGA's tables beside its objects.csv give each object, by the objectid column's index."""

    object_id: int
    pictures: dict[str, nga.Picture]
    artists: dict[str, nga.Artist]


def _records(path: Path, rows: Iterator[list[str]], by_field: dict[str, int], images: ImageFinder, *,
             beside: _Beside | None) -> Iterator[Result]:
    repeats = AccessionNumbers()
    row_number = 1  # a quoted cell may span lines, yet it is one row
    while True:
        row_number += 1
        try:
            cells = next(rows)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. a cell past csv.field_size_limit(): that row only
            yield SkippedRecord(where=f"{path.name} row {row_number}", reason=f"unreadable row: {error}")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        values = {field: _unguarded(clean(cells[index])) if index < len(cells) else ""
                  for field, index in by_field.items()}
        if beside is not None and beside.object_id < len(cells):
            _add_nga_tables(values, clean(cells[beside.object_id]), beside)
        where = f"{path.name} row {row_number}"
        result = record_from_values(values, where=where, fallback_id=f"csv:{path.name}:{row_number}", images=images)
        yield repeats.check(result, where, f"on row {row_number}")


def _add_nga_tables(values: dict[str, str], object_id: str, beside: _Beside) -> None:
    """An NGA object's picture (its rights and alt text), its artist's facts and its page on nga.gov, where its own
    columns say nothing."""
    found: dict[str, str] = {}
    if picture := beside.pictures.get(object_id):
        found |= {"image": picture.url, "rights_url": picture.rights_url, "image_description": picture.alt_text}
    if artist := beside.artists.get(object_id):
        found |= {"artist_nationality": artist.nationality, "artist_birth_year": artist.birth_year,
                  "artist_death_year": artist.death_year}
    if object_id.isdigit():
        found["source_url"] = nga.OBJECT_PAGE.format(object_id)
    for field, value in found.items():
        if value and not values.get(field):
            values[field] = value


def _first_of(value: str) -> str:
    """The first artist of several ("Vincent van Gogh|Paul Gauguin": the Met's export lists a work's makers so)."""
    return value.split("|", 1)[0].strip()


def _first_artist(artists: str, nationalities: str) -> str:
    """The first artist of several: "A|B" (the Met's export), or "A, B" where the nationality cell has as many
    "(…)" as there are names (MoMA's "Vincent van Gogh, Paul Gauguin" beside "(Dutch) (French)"). A comma alone
    proves nothing: "Turner, Joseph Mallord William" is one name (the Tate's)."""
    first = _first_of(artists)
    names, groups = first.split(", "), _PARENTHESISED.findall(nationalities)
    return names[0] if len(groups) > 1 and len(names) == len(groups) else first


def _nationality(value: str) -> str:
    """The first artist's nationality: "Dutch|French" (the Met's export), "(Dutch) (French)" (MoMA's)."""
    first = _first_of(value)
    return match[1].strip() if (match := _PARENTHESISED.match(first)) else first


def record_from_values(values: dict[str, str], *, where: str, fallback_id: str, images: ImageFinder) -> Result:
    """A record from one row's values by field (see FIELDS); `where` locates the row in messages, `fallback_id` is
    its source id when it has neither a source_id nor an accession number."""
    years = {}
    for field in _YEAR_FIELDS:
        text = values.get(field, "")
        if text and not _WHOLE_NUMBER.fullmatch(text):
            return SkippedRecord(where=where, reason=f"{field} {text!r} is not a year")
        years[field] = int(float(text)) if text else None
    image = values.get("image", "")
    if _COMMONS_FILE.fullmatch(image):
        image = f"{image}?width={_COMMONS_WIDTH}"
    if not values.get("title") and not image:
        return SkippedRecord(where=where, reason="no title and no image")
    if isinstance(found := images.resolve(image), str):
        return SkippedRecord(where=where, reason=found)
    image_path, image_url = found
    date = values.get("date", "")
    if (year := iso_year(date, timestamp=True)) is not None:  # Wikidata's inception; a plain ISO day stays as it is
        date = f"{-year} BCE" if year < 0 else str(year)
    year_start, year_end = resolve_years(date, years["year_start"], years["year_end"])
    public_domain = values.get(_PUBLIC_DOMAIN_FLAG, "").casefold() in {"true", "yes", "1"}
    rights, rights_url = classify_rights(values.get("rights", "") or values.get("rights_url", "")
                                         or ("Public Domain" if public_domain else ""))
    rights_url = values.get("rights_url", "") or rights_url
    accession_number = values.get("accession_number", "")
    # "Attributed to Rembrandt" or "Vincent van Gogh (Dutch, 1853–1890)" in the artist's own cell: its columns win,
    # and the cell's bio line is kept only when they say nothing it could contradict.
    artist = split_artist(_first_artist(values.get("artist", ""), values.get("artist_nationality", "")))
    qualifier = _first_of(values.get("artist_qualifier", "")) or artist.qualifier
    nationality = _nationality(values.get("artist_nationality", ""))
    own_facts = nationality or years["artist_birth_year"] is not None or years["artist_death_year"] is not None
    return CatalogueRecord(
        source_id=values.get("source_id", "") or accession_number or fallback_id,
        title=values.get("title", ""),
        accession_number=accession_number,
        artist_name=artist.name,
        artist_qualifier=qualifier,
        artist_nationality=nationality or artist.nationality,
        artist_birth_year=years["artist_birth_year"] if years["artist_birth_year"] is not None else artist.birth_year,
        artist_death_year=years["artist_death_year"] if years["artist_death_year"] is not None else artist.death_year,
        artist_bio_line="" if own_facts else artist.bio_line,
        date=date,
        year_start=year_start,
        year_end=year_end,
        culture=values.get("culture", ""),
        period=values.get("period", ""),
        medium=values.get("medium", ""),
        dimensions=values.get("dimensions", ""),
        classification=values.get("classification", ""),
        department=values.get("department", ""),
        institution=values.get("institution", ""),
        credit_line=values.get("credit_line", ""),
        rights=rights,
        rights_url=rights_url,
        attribution=values.get("image_credit", ""),
        description=values.get("description", ""),
        image_description=values.get("image_description", ""),
        tags=split_tags(values.get("tags", "")),
        source_url=values.get("source_url", ""),
        manifest_url=values.get("manifest_url", ""),
        image_path=image_path,
        image_url=image_url,
    )
