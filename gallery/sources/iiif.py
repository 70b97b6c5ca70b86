"""IIIF Presentation manifests and collections (API versions 2 and 3) as CatalogueRecords.

A manifest is one artwork: its label (or a "Title" metadata pair) is the title, metadata pairs matched by label in
any language give artist, date, medium and the rest, and the first canvas with an image gives the picture, through
its IIIF Image service when it has one. A version-2 manifest with viewingHint "individuals" and no object of its own
(the NGA's highlights: each canvas "a distinct object", as the spec says) gives one record per canvas.
A collection gives the records of its manifests: inline ones are read as they are, referenced ones through the
caller's `load(url) -> dict`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .artists import one_person, split_artist
from .dates import year_range
from .download import DownloadError
from .records import UNKNOWN, CatalogueRecord, SkippedRecord
from .rights import classify_rights
from .text import split_tags, strip_html

Result = CatalogueRecord | SkippedRecord
Loader = Callable[[str], object]  # url -> parsed JSON; raises DownloadError, ValueError or OSError when it cannot

MAX_SIDE = 2048  # the longest side asked of an image service: plenty for display and for CLIP's 224 px
MAX_COLLECTION_DEPTH = 8
# A record's own timestamp ("Date Created": 2024-01-14T23:24:01Z, when the web page was made), never a work's date.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)  # an HTML link's target

# Metadata labels (compared with case, spaces and punctuation removed, "(s)" dropped) for each field, best first.
_LABELS = {
    "title": ("title", "titles", "objecttitle", "objectname"),  # ObjectName: Wikimedia Commons
    "artist": ("artist", "artistmaker", "maker", "creator", "creatormaker", "artistcreator", "author", "painter",
               "people"),
    "date": ("date", "created", "datecreated", "creationdate", "datemade", "dated", "datetimeoriginal",
             "publicationcreation"),
    "culture": ("culture", "cultures"),
    "period": ("period", "dynasty", "reign", "era", "styleperiod", "periodstyle"),
    "medium": ("medium", "materials", "material", "technique", "mediumtechnique", "materialsandtechniques",
               "materialstechniques", "mediumandsupport"),  # "Materials & Techniques": the V&A
    "dimensions": ("dimensions", "measurements", "dimension", "size"),
    "accession_number": ("objectnumber", "accessionnumber", "accessionno", "inventorynumber", "inventoryno", "invno",
                         "museumnumber", "shelfmark", "identifier"),  # "Museum number": the V&A
    "credit_line": ("creditline", "credit"),
    "classification": ("classification", "objecttype", "type", "worktype"),
    "department": ("department", "curatorialdepartment"),
    "institution": ("repository", "institution", "holdinginstitution", "museum"),
    "description": ("description", "summary"),
    "rights": ("rights", "rightslicense", "rightsstatement", "license", "licence", "usageterms", "licenseshortname",
               "copyrightstatus"),
    "tags": ("keywords", "subjects", "subject", "tags", "categories"),
}


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _id(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("id") or value.get("@id") or "")
    return ""


def _kind(data: dict) -> str:
    kind = str(data.get("type") or data.get("@type") or "")
    return kind.split(":")[-1]  # "sc:Manifest" -> "Manifest"


def _contexts(data: dict) -> str:
    return " ".join(str(context) for context in _as_list(data.get("@context")) if isinstance(context, str))


def is_iiif(data: object) -> bool:
    """A IIIF Presentation manifest or collection, by its @context or its type."""
    if not isinstance(data, dict):
        return False
    return "iiif.io/api/presentation" in _contexts(data) or _kind(data) in {"Manifest", "Collection"}


def _version(data: dict, inherited: int | None = None) -> int:
    contexts = _contexts(data)
    if "presentation/3" in contexts:
        return 3
    if "presentation/2" in contexts:
        return 2
    return inherited or (3 if "type" in data else 2)


# --- language maps and values -------------------------------------------------------------------------------------

def _pick_language(by_language: dict) -> object:
    for key in by_language:
        if key.casefold() == "en" or key.casefold().startswith("en-"):
            return by_language[key]
    for key in ("none", "@none", ""):
        if key in by_language:
            return by_language[key]
    return next(iter(by_language.values()), [])


def _values(value: object) -> list[str]:
    """The strings of a label or value: v2 string, {"@value"} or a list of them; v3 language map (English first,
    then no language, then any)."""
    if value is None:
        return []
    if isinstance(value, (str, int, float)):
        return [str(value)]
    if isinstance(value, dict):
        if "@value" in value:
            return [str(value["@value"])]
        return _flatten(_as_list(_pick_language(value)))
    if isinstance(value, list):
        if any(isinstance(item, dict) and "@value" in item for item in value):
            by_language: dict[str, list] = {}
            for item in value:
                language = str(item.get("@language", "")) if isinstance(item, dict) else ""
                by_language.setdefault(language, []).append(item)
            return _flatten(_as_list(_pick_language(by_language)))
        return _flatten(value)
    return []


def _flatten(items: list) -> list[str]:
    return [text for item in items for text in _values(item)]


def _all_languages(value: object) -> list[str]:
    """Every string of a label in every language it is given in: any of them may be the one we know."""
    if isinstance(value, dict) and "@value" not in value:
        return [text for entry in value.values() for text in _all_languages(entry)]
    if isinstance(value, list):
        return [text for item in value for text in _all_languages(item)]
    return _values(value)


def _text(value: object, joiner: str = "\n") -> str:
    return joiner.join(text for text in map(strip_html, _values(value)) if text)


def _label_key(label: str) -> str:
    return re.sub(r"[^0-9a-z]", "", strip_html(label).casefold().replace("(s)", ""))


@dataclass
class _Pair:
    labels: list[str]  # the label in every language it has
    keys: set[str]
    values: list[str]  # each value's text (a v3 value may list several: several people, several subjects)
    links: list[str]  # the targets of the value's HTML links, which its text loses

    @property
    def value(self) -> str:
        """Its values' texts, a line each."""
        return "\n".join(self.values)


def _links(value: object) -> list[str]:
    return [url for text in _values(value) for url in _HREF.findall(text)]


class _Metadata:
    """Metadata pairs of a manifest or canvas, then those of a fallback (the first canvas, for "metadata anywhere")."""

    def __init__(self, *sources: object):
        self.pairs = []
        for source in sources:
            for entry in _as_list(source):
                if isinstance(entry, dict):
                    labels = [strip_html(label) for label in _all_languages(entry.get("label"))]
                    values = [text for text in map(strip_html, _values(entry.get("value"))) if text]
                    self.pairs.append(_Pair(labels, {_label_key(label) for label in labels}, values,
                                            _links(entry.get("value"))))

    def get(self, field: str) -> str:
        """The value of the best pair for a field: by the order of its labels in _LABELS, then document order."""
        return "\n".join(self.values(field))

    def values(self, field: str) -> list[str]:
        """The values of the best pair for a field, each apart."""
        for alias in _LABELS[field]:
            for pair in self.pairs:
                if alias in pair.keys and pair.value and not (field == "date" and _TIMESTAMP.match(pair.value)):
                    return pair.values
        return []

    def date(self) -> str:
        if value := self.get("date"):
            return value
        for pair in self.pairs:  # "Culture & Date": "French, 1718–1719" (the Getty)
            label = " ".join(pair.labels).casefold()
            if pair.value and re.search(r"\bdate\b", label) and not _TIMESTAMP.match(pair.value):
                return re.sub(r"^[^\d,]+,\s*(?=.*\d)", "", pair.value) if "culture" in label else pair.value
        return ""

    def rights_texts(self) -> list[str]:
        """The rights pairs' texts, then the targets of their links ("<a href=...>CC BY-NC</a>")."""
        pairs = [pair for pair in self.pairs if pair.keys & set(_LABELS["rights"])]
        return [pair.value for pair in pairs if pair.value] + [link for pair in pairs for link in pair.links]


# --- images -------------------------------------------------------------------------------------------------------

def _service_version(service: dict) -> int:
    kind = _kind(service)
    if kind.startswith("ImageService") and kind[-1:].isdigit():
        return int(kind[-1])
    text = _contexts(service) + " " + " ".join(p for p in _as_list(service.get("profile")) if isinstance(p, str))
    if "image/3" in text:
        return 3
    if "image/2" in text:
        return 2
    if "image/1" in text or "stanford.edu" in text or "image-api/1" in text:
        return 1
    return 3 if "id" in service else 2


def _service_level(service: dict) -> int | None:
    for profile in _as_list(service.get("profile")):
        if isinstance(profile, str) and (match := re.search(r"level\s*([0-2])", profile)):
            return int(match[1])
    return None


def _is_image_service(service: object) -> bool:
    if not isinstance(service, dict) or not _id(service):
        return False
    profiles = " ".join(p for p in _as_list(service.get("profile")) if isinstance(p, str))
    return (_kind(service).startswith("ImageService") or "/image/" in _contexts(service)
            or "iiif.io/api/image" in profiles or "image-api" in profiles
            or bool(re.fullmatch(r"level[0-2]", profiles)))  # a bare v3 profile


def _bare_service_of(service: object, image_url: str) -> bool:
    """A service given by its id alone (no type, profile or context: a trimmed export) that the image's own URL is a
    request of ("<service id>/full/full/0/default.jpg"): an Image service whose level is not said."""
    if not isinstance(service, dict) or not (base := _id(service).rstrip("/")):
        return False
    said = ("type", "@type", "profile", "@context")
    return not any(key in service for key in said) and image_url.startswith(base + "/")


def _pixels(value: object) -> int | None:
    """A width or height as a document may give it: a positive whole number, else nothing."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def image_service_url(service: dict, width: int | None = None, height: int | None = None, fallback: str = "",
                      region: tuple[int, int, int, int] | None = None, level: int | None = None) -> str:
    """A whole-image URL of at most MAX_SIDE px a side from a IIIF Image service (API 1, 2 or 3), asking only what
    the service's compliance level promises:

    level 2 or undeclared: {id}/full/!2048,2048/0/default.jpg (the "best fit" size, Image API 1.1 to 3);
    level 1 (no "!w,h"): a width computed from the image's size, or the whole image when it is small enough;
    level 0 (listed sizes only): the largest listed size within MAX_SIDE, else `fallback` (the resource's own URL).
    Image API 1 calls the default quality "native". A `region` (x, y, w, h in the image's pixels: the part of it an
    annotation paints) is asked of levels 1 and 2; level 0 cannot cut one, so it gives the whole image. `level` stands
    in for a service that does not say its own.
    """
    base = _id(service).rstrip("/")
    version = _service_version(service)
    quality = "native" if version == 1 else "default"
    whole = "max" if version == 3 else "full"
    width = _pixels(service.get("width")) or width
    height = _pixels(service.get("height")) or height
    level = _service_level(service) if level is None else level
    area = "full"
    if region is not None and level != 0:
        area, (width, height) = ",".join(map(str, region)), region[2:]
    size = None
    if level is None or level >= 2:
        size = f"!{MAX_SIDE},{MAX_SIDE}"
    elif level == 1 and width and height:
        scale = min(1.0, MAX_SIDE / max(width, height))
        scaled_width, scaled_height = round(width * scale), round(height * scale)
        size = whole if scale == 1.0 else f"{scaled_width},{scaled_height}" if version == 3 else f"{scaled_width},"
    elif level == 0:
        sizes = [(s["width"], s["height"]) for s in _as_list(service.get("sizes"))
                 if isinstance(s, dict) and isinstance(s.get("width"), int) and isinstance(s.get("height"), int)]
        if sizes:
            fitting = [s for s in sizes if max(s) <= MAX_SIDE]
            chosen = max(fitting) if fitting else min(sizes)
            size = f"{chosen[0]},{chosen[1]}" if version == 3 else f"{chosen[0]},"
    if size is None:
        return fallback or f"{base}/{area}/{whole}/0/{quality}.jpg"
    return f"{base}/{area}/{size}/0/{quality}.jpg"


def _paints(annotation: dict) -> bool:
    """Whether an annotation paints its body on the canvas: no motivation, or "painting" (a Web Annotation's
    motivation may also be a list of them)."""
    motivations = _as_list(annotation.get("motivation", "painting"))
    return any(motivation in {"painting", "sc:painting"} for motivation in motivations if isinstance(motivation, str))


def _region(selector: object) -> tuple[int, int, int, int] | None:
    """The pixel region of an Image API selector ("region": "x,y,w,h") or a media fragment ("xywh=x,y,w,h")."""
    selector = next(iter(_as_list(selector)), None)
    if not isinstance(selector, dict):
        return None
    text = str(selector.get("region") or selector.get("value") or "")
    match = re.fullmatch(r"(?:xywh=)?(?:pixel:)?(\d+),(\d+),(\d+),(\d+)", text.strip())
    if match is None or not int(match[3]) or not int(match[4]):
        return None
    x, y, w, h = map(int, match.groups())
    return x, y, w, h


def _image_resources(canvas: dict) -> Iterator[tuple[dict, tuple[int, int, int, int] | None]]:
    """The painted image resources of a canvas, v2 (images[].resource) or v3 (items[].items[].body), each with the
    region of it that is painted (a SpecificResource's selector), if only a part is."""
    bodies = []
    for annotation in _as_list(canvas.get("images")):
        if isinstance(annotation, dict):
            bodies.append(annotation.get("resource"))
    for page in _as_list(canvas.get("items")):
        for annotation in _as_list(page.get("items") if isinstance(page, dict) else None):
            if isinstance(annotation, dict) and _paints(annotation):
                bodies.extend(_as_list(annotation.get("body")))
    for body in bodies:
        if not isinstance(body, dict):
            continue
        if _kind(body) == "Choice":  # v2 {"default": ...}, v3 {"items": [...]}: the first choice is the default
            body = body.get("default") or next(iter(_as_list(body.get("items"))), None)
            if not isinstance(body, dict):
                continue
        region = None
        if _kind(body) == "SpecificResource":  # part of an image: v3 {"source", "selector"}, v2 {"full", "selector"}
            region = _region(body.get("selector"))
            body = body.get("source") or body.get("full")
            if not isinstance(body, dict):
                continue
        if _kind(body) in {"Image", "dctypes:Image", ""} or _kind(body).endswith("Image"):
            yield body, region


def canvas_image_url(canvas: dict) -> str:
    """The URL to fetch a canvas's (first) image: through its Image service when it has one, else its own id."""
    for body, region in _image_resources(canvas):
        own_url = _id(body)
        # The image's size, else the canvas's: a canvas is sized as its image unless a manifest says otherwise.
        width, height = _pixels(body.get("width")), _pixels(body.get("height"))
        if not (width and height):
            width, height = _pixels(canvas.get("width")), _pixels(canvas.get("height"))
        services = _as_list(body.get("service"))
        service = next((s for s in services if _is_image_service(s)), None)
        if service is not None:
            return image_service_url(service, width, height, fallback=own_url, region=region)
        if bare := next((s for s in services if _bare_service_of(s, own_url)), None):
            # Asked as level 1 asks (a width), which level-1 and level-2 servers answer, rather than the whole
            # original, which may be past the download limit.
            return image_service_url(bare, width, height, fallback=own_url, region=region, level=1)
        if own_url:
            return own_url
    return ""


# --- records ------------------------------------------------------------------------------------------------------

def _canvases(manifest: dict, version: int) -> list[dict]:
    if version == 2 or "sequences" in manifest:
        sequences = [s for s in _as_list(manifest.get("sequences")) if isinstance(s, dict)]
        # Only the first sequence: the others are other orders of the same canvases.
        return [c for c in _as_list(sequences[0].get("canvases")) if isinstance(c, dict)] if sequences else []
    return [item for item in _as_list(manifest.get("items")) if isinstance(item, dict) and _kind(item) == "Canvas"]


def _is_page(link: object) -> bool:
    """A link to a web page: no format said, or HTML (a v2 "related" may be a video)."""
    return not isinstance(link, dict) or str(link.get("format") or "text/html").startswith("text/html")


def _in_english(link: object) -> bool:
    languages = _as_list(link.get("language")) if isinstance(link, dict) else []
    return not languages or any(str(language).casefold().split("-")[0] == "en" for language in languages)


def _source_url(data: dict) -> str:
    for key in ("homepage", "related"):  # v3, v2
        links = [link for link in _as_list(data.get(key)) if _id(link) and _is_page(link)]
        if links:  # a museum's page in English when it offers several languages, as labels are read
            return _id(next((link for link in links if _in_english(link)), links[0]))
    for link in _as_list(data.get("rendering")):  # v2 manifests often link the object page as an HTML rendering
        if isinstance(link, dict) and link.get("format") == "text/html" and _id(link):
            return _id(link)
    return ""


def _attribution_value(data: dict) -> object:
    statement = data.get("requiredStatement")
    return statement.get("value") if isinstance(statement, dict) else data.get("attribution")


def _providers(data: dict) -> str:
    """Who provides the object (v3 provider: the museum that holds it)."""
    return _text([agent.get("label") for agent in _as_list(data.get("provider")) if isinstance(agent, dict)], "; ")


def _attribution(data: dict) -> str:
    """The required statement (v2: attribution), else who provides the object (the SMK gives only that)."""
    return _text(_attribution_value(data)) or _providers(data)


def _rights(candidates: list[str]) -> tuple[str, str]:
    """The first candidate that says something decides. The rights URL is the first that agrees with it (its own, a
    later licence link), else the first URL of a candidate that says nothing (the Getty's "Rights/License" page)."""
    classified = [classify_rights(candidate) for candidate in candidates]
    rights = next((found for found, _ in classified if found != UNKNOWN), UNKNOWN)
    agreeing = (url for found, url in classified if url and found == rights)
    silent = (url for found, url in classified if url and found == UNKNOWN)
    return rights, next(agreeing, "") or next(silent, "")


def _rights_candidates(data: dict, metadata: _Metadata, attribution: str) -> list[str]:
    """What may say a record's rights, most explicit first: licence properties, rights pairs, the attribution, and
    the links of the last two ("<a href='https://creativecommons.org/licenses/by-nc/4.0/'>CC BY-NC</a>")."""
    licences = [_id(link) or str(link) for link in _as_list(data.get("rights")) + _as_list(data.get("license"))]
    return ([text for text in licences if text] + metadata.rights_texts() + ([attribution] if attribution else [])
            + _links(_attribution_value(data)))


def _title(label: str, metadata: _Metadata, date: str) -> str:
    """A "Title" pair is the title itself (Yale's label is a whole citation: "Peter Gaspar Scheemakers, 1691–1781,
    ..., Alexander Pope, ca. 1740, Marble, ..."). Else the label, less what a citation adds to a title: the Getty's
    "La Surprise (1718–1719), Jean-Antoine Watteau (French, 1684 - 1721)" ends with the `date` its pairs give and its
    artist pair; a Wikimedia file's label is "File:... .jpg"."""
    if title := metadata.get("title"):
        return title
    title = label
    if (artist := metadata.get("artist")) and title.endswith(f", {artist}"):
        title = title[: -len(artist) - 2]
    if date and title.endswith(f" ({date})"):
        title = title[: -len(date) - 3]
    if file_name := re.fullmatch(r"File:(.+)\.(?:jpe?g|png|tiff?|gif|webp|jp2)", title, re.IGNORECASE):
        title = file_name[1]
    return title.strip() or label


def _nav_year(data: dict) -> str:
    """The year of a navDate ("1943-01-01T00:00:00Z"), the date viewers place the object at on a timeline."""
    match = re.match(r"(\d{4})-\d{2}-\d{2}", str(data.get("navDate") or ""))
    return match[1] if match else ""


def _record(*, source_id: str, manifest_url: str, data: dict, metadata: _Metadata, label: str, image_url: str,
            attribution: str, rights: tuple[str, str], source_url: str, provider: str) -> CatalogueRecord:
    artist = split_artist(one_person(metadata.values("artist")))
    pairs_date = metadata.date()
    date = pairs_date or _nav_year(data)
    year_start, year_end = year_range(date)
    description = _text(data.get("summary")) or _text(data.get("description")) or metadata.get("description")
    return CatalogueRecord(
        source_id=source_id,
        title=_title(label, metadata, pairs_date),
        accession_number=metadata.get("accession_number"),
        artist_name=artist.name,
        artist_qualifier=artist.qualifier,
        artist_nationality=artist.nationality,
        artist_birth_year=artist.birth_year,
        artist_death_year=artist.death_year,
        artist_bio_line=artist.bio_line,
        date=date,
        year_start=year_start,
        year_end=year_end,
        culture=metadata.get("culture"),
        period=metadata.get("period"),
        medium=metadata.get("medium"),
        dimensions=metadata.get("dimensions"),
        classification=metadata.get("classification"),
        department=metadata.get("department"),
        institution=metadata.get("institution") or provider,
        credit_line=metadata.get("credit_line"),
        rights=rights[0],
        rights_url=rights[1],
        attribution=attribution,
        description=description,
        tags=split_tags(metadata.get("tags"), ";|\n"),
        source_url=source_url,
        manifest_url=manifest_url,
        image_url=image_url,
    )


def _read_manifest(manifest: dict, url: str, version: int, per_canvas: bool | None) -> Iterator[Result]:
    manifest_id = _id(manifest) or url
    if not manifest_id:  # the record's source id: without one a re-import could not find it again
        yield SkippedRecord(where=_text(manifest.get("label"), " ") or "manifest", reason="a manifest without an id")
        return
    canvases = _canvases(manifest, version)
    own = _Metadata(manifest.get("metadata"))
    if per_canvas is None:
        # Only the manifest's own hint: Harvard's sequence of six views of one painting says "individuals" too, and
        # version 3's behavior "individuals" means distinct views of one object (Yale's five views of a bust). A
        # manifest that names its object (an object number, an artist) is one record whatever it says.
        per_canvas = (version == 2 and "individuals" in _as_list(manifest.get("viewingHint")) and len(canvases) > 1
                      and not own.get("accession_number") and not own.get("artist"))
    attribution = _attribution(manifest)
    if per_canvas:
        manifest_rights = _rights_candidates(manifest, own, attribution)
        for number, canvas in enumerate(canvases, start=1):
            canvas_id = _id(canvas) or f"{manifest_id}#canvas-{number}"
            image_url = canvas_image_url(canvas)
            if not image_url:
                yield SkippedRecord(where=canvas_id, reason="canvas without an image")
                continue
            metadata = _Metadata(canvas.get("metadata"))
            canvas_attribution = _attribution(canvas) or attribution
            rights = _rights(_rights_candidates(canvas, metadata, _attribution(canvas)) + manifest_rights)
            yield _record(source_id=canvas_id, manifest_url=manifest_id, data=canvas, metadata=metadata,
                          label=_text(canvas.get("label"), " "), image_url=image_url,
                          attribution=canvas_attribution, rights=rights, source_url=_source_url(canvas),
                          provider=own.get("institution") or _providers(canvas) or _providers(manifest))
        return
    found = next(((canvas, image) for canvas in canvases if (image := canvas_image_url(canvas))), None)
    if found is None:
        reason = "no canvas" if not canvases else "no canvas with an image"
        yield SkippedRecord(where=manifest_id, reason=reason)
        return
    canvas, image_url = found
    # Metadata on the canvas fills what the manifest lacks ("metadata anywhere": Wikimedia puts it all there).
    metadata = _Metadata(manifest.get("metadata"), canvas.get("metadata"))
    rights = _rights(_rights_candidates(manifest, metadata, attribution))
    yield _record(source_id=manifest_id, manifest_url=manifest_id, data=manifest, metadata=metadata,
                  label=_text(manifest.get("label"), " "), image_url=image_url, attribution=attribution,
                  rights=rights, source_url=_source_url(manifest), provider=_providers(manifest))


def _members(collection: dict, version: int) -> list:
    if version == 3:
        return _as_list(collection.get("items"))
    return (_as_list(collection.get("manifests")) + _as_list(collection.get("collections"))
            + _as_list(collection.get("members")))


def _is_inline(member: dict) -> bool:
    return any(key in member for key in ("sequences", "items", "manifests", "collections", "members"))


def _read(data: object, url: str, load: Loader | None, per_canvas: bool | None, seen: set[str], depth: int,
          inherited_version: int | None) -> Iterator[Result]:
    if not isinstance(data, dict):
        yield SkippedRecord(where=url or "document", reason="not a IIIF document (not a JSON object)")
        return
    version = _version(data, inherited_version)
    kind = _kind(data)
    if kind == "Collection":
        if depth >= MAX_COLLECTION_DEPTH:
            yield SkippedRecord(where=_id(data) or url, reason=f"collections nested more than {depth} deep")
            return
        for member in _members(data, version):
            member_id = _id(member)
            if member_id and member_id in seen:
                continue  # listed twice, or a collection that includes itself
            seen.add(member_id)
            if isinstance(member, dict) and _is_inline(member):
                yield from _read(member, member_id, load, per_canvas, seen, depth + 1, version)
            elif not member_id:
                yield SkippedRecord(where=_id(data) or url, reason="a collection member without an id")
            elif load is None:
                yield SkippedRecord(where=member_id, reason="a referenced manifest, and no loader to fetch it")
            else:
                try:
                    loaded = load(member_id)
                except (DownloadError, ValueError, OSError) as error:
                    yield SkippedRecord(where=member_id, reason=f"could not load: {error}")
                    continue
                yield from _read(loaded, member_id, load, per_canvas, seen, depth + 1, None)
        return
    if kind == "Manifest" or "sequences" in data or ("items" in data and not kind):
        yield from _read_manifest(data, url, version, per_canvas)
        return
    yield SkippedRecord(where=_id(data) or url or "document", reason=f"not a IIIF manifest or collection ({kind!r})")


def read_iiif(document: object, *, url: str = "", load: Loader | None = None,
              per_canvas: bool | None = None) -> Iterator[Result]:
    """Records of a parsed IIIF manifest or collection. `url` is where it came from (the id when it has none);
    `load(url)` fetches a collection's referenced manifests (without it they are skipped); `per_canvas` forces one
    record per canvas (True) or per manifest (False) instead of following viewingHint "individuals"."""
    yield from _read(document, url, load, per_canvas, {url} if url else set(), 0, None)
