"""Linked Art (https://linked.art), the JSON-LD in which the Getty, Yale's LUX, the Rijksmuseum and others publish
their collections, as CatalogueRecords: a `HumanMadeObject` record (in a file, at a URL, or a list or JSON Lines of
them), or an Activity Streams collection of the records' changes (the harvesting API of Linked Art and of IIIF Change
Discovery: an OrderedCollection whose pages list Create, Update and Delete activities, each naming an object's URL),
whose pages and objects are fetched as the import reaches them, from the last page back, so that each object is read
once in its latest state, or only the objects changed since a time (a scheduled import's last run). A stream's IIIF
manifests are read as manifests. A search API's pages of object references (the Rijksmuseum's, LUX's) are read as
such a stream is.

From each object: its primary name, its accession number, the production's first maker (of the production or of its
parts) with the maker's nationality and life years (as embedded, else from the maker's own record, fetched once an
import, else from the production's statement "Jean-Antoine Watteau (French, 1684 - 1721)", whose qualifier "attributed
to" is kept too), the production's date and years, the statements (materials, dimensions, description, credit line,
culture, period, rights), the type of work, the department that keeps it, the subjects it shows or is about, its web
page and IIIF manifest, and its picture (a IIIF Image service asked as the IIIF reader asks one, else the image file;
where the object only names the visual item it shows, as the Rijksmuseum's do, that item's record and its digital
object's are fetched for it). Terms are matched by the last segment of their URI, so "aat:300404670" and its full URI
are the same term, and the Getty's local terms ("object-title-primary", "producer-description", "nationality-and-dates",
"iiif-manifest") are read beside AAT's.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from . import pages
from .artists import split_artist, split_qualifier
from .csv_export import AccessionNumbers, ImageFinder
from .dates import resolve_years, year_number
from .download import DownloadError, fetch_retrying, without_secrets
from .iiif import image_service_url, is_iiif, read_iiif
from .records import UNKNOWN, CatalogueRecord, DeletedRecord, SkippedRecord
from .rights import classify_rights
from .text import clean, split_tags, strip_html

logger = logging.getLogger(__name__)

Result = CatalogueRecord | SkippedRecord | DeletedRecord
Loader = Callable[[str], object]

OBJECT = "HumanMadeObject"
_STREAMS = {"OrderedCollection", "OrderedCollectionPage"}
_READABLE = {OBJECT, "Manifest", "sc:Manifest"}  # what a stream's activities name that an import reads
# Terms by the last segment of their URI: Getty AAT numbers, and the Getty's own local terms (data.getty.edu/local/
# thesaurus/...) where its records use them instead.
PRIMARY_NAME = {"300404670", "object-title-primary"}
ACCESSION_NUMBER = "300312355"
DESCRIPTION = {"300435416", "300080091"}
PRODUCER = {"300435416", "producer-description"}  # a production's statement of who made it ("attributed to ...")
NATIONALITY_AND_DATES = "nationality-and-dates"  # the Getty's "French, 1684 - 1721" beside it
MATERIALS = {"300435429"}
DIMENSIONS = {"300435430"}
CREDIT_LINE = {"300026687", "300435418"}
RIGHTS = {"300435434"}
CULTURE = {"300435431", "300055768"}
PERIOD = {"300435432"}
TYPE_OF_WORK = {"300435443", "300435444"}  # type of work, classification category
NATIONALITY = {"300379842"}
WEB_PAGE = "300264578"
IIIF_MANIFEST = "iiif-manifest"
ENGLISH = "300388277"
# A IIIF Image API request ({base}/{region}/{size}/{rotation}/{quality}.{format}): an access point may be one, often of
# the whole image at full size, which is asked again at a bounded size from its base.
_IIIF_REQUEST = re.compile(r"(?P<base>.+?)/(?:full|square|pct:[\d.,]+|\d+,\d+,\d+,\d+)/[^/]+/!?[\d.]+/"
                           r"(?:default|color|colour|gray|grey|bitonal|native)\.\w+", re.IGNORECASE)
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff")
_VISUALS_TRIED = 2  # an object's visual items (and their digital objects) fetched at most, looking for its picture


def _list(value: object) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _dicts(value: object) -> list[dict]:
    return [item for item in _list(value) if isinstance(item, dict)]


def _id(node: object) -> str:
    """A node's URI: its id (or @id), or the node itself when a reference is given as a bare string."""
    value = node.get("id") or node.get("@id") if isinstance(node, dict) else node
    return value.strip() if isinstance(value, str) else ""


def _type(node: object) -> str:
    kind = node.get("type") if isinstance(node, dict) else None
    return kind if isinstance(kind, str) else ""


def _term(node: object) -> str:
    """The last segment of a node's URI: "300404670" for aat:300404670 and http://vocab.getty.edu/aat/300404670."""
    return re.split(r"[/:#]", _id(node).rstrip("/"))[-1]


def _kinds(node: dict) -> set[str]:
    return {_term(kind) for kind in _list(node.get("classified_as"))}


def _text(value: object) -> str:
    return clean(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def _in_english(node: dict) -> bool:
    """Whether a name or statement says it is in English: the Rijksmuseum gives each in Dutch and in English."""
    return ENGLISH in {_term(language) for language in _list(node.get("language"))}


def _name(node: dict) -> str:
    """A node's primary name (in English first), else its first name, else its _label."""
    names = [name for name in _dicts(node.get("identified_by"))
             if _type(name) == "Name" and _text(name.get("content"))]
    names.sort(key=lambda name: (not PRIMARY_NAME & _kinds(name), not _in_english(name)))
    return _text(names[0]["content"]) if names else _text(node.get("_label"))


def _statements(node: dict, kinds: set[str]) -> list[str]:
    """The contents of a node's statements (`referred_to_by`) classified as one of `kinds`, those in English first,
    then those not in Markdown (the Getty gives a description in HTML and in Markdown)."""
    statements = [statement for statement in _dicts(node.get("referred_to_by")) if kinds & _kinds(statement)]
    statements.sort(key=lambda statement: (not _in_english(statement), statement.get("format") == "text/markdown"))
    return [text for statement in statements if (text := _text(statement.get("content")))]


def _statement(node: dict, kinds: set[str]) -> str:
    found = _statements(node, kinds)
    return found[0] if found else ""


def _accession_number(node: dict) -> str:
    identifiers = [item for item in _dicts(node.get("identified_by"))
                   if _type(item) == "Identifier" and _text(item.get("content"))]
    identifiers.sort(key=lambda item: ACCESSION_NUMBER not in _kinds(item))
    return _text(identifiers[0]["content"]) if identifiers else ""


def _classified(node: dict, meta: set[str]) -> list[str]:
    """The names of a node's types that are themselves classified as one of `meta` (a type of work, a nationality)."""
    return [name for kind in _dicts(node.get("classified_as")) if meta & _kinds(kind) and (name := _name(kind))]


def _year(node: object, *keys: str) -> int | None:
    """The year of a birth, death or production's timespan: its first boundary of `keys` that has one."""
    span = node.get("timespan") if isinstance(node, dict) else None
    span = span if isinstance(span, dict) else {}
    return next((year for key in keys if (year := year_number(span.get(key))) is not None), None)


def _http(url: str) -> bool:
    return urlsplit(url).scheme in {"http", "https"}


class _Referenced:
    """The records an object only names, fetched as the import reaches it (Linked Art's habit): its makers' (once an
    import), and where the object gives no picture, its visual item's and that item's digital object's."""

    def __init__(self, load: Loader | None):
        self.load = load
        self.makers: dict[str, dict] = {}

    def _fetch(self, url: str, what: str, instead: str) -> dict:
        try:
            found = fetch_retrying(self.load, url)
        except (DownloadError, ValueError) as error:
            logger.warning("Linked Art: %s %s is not read (%s); %s", what, without_secrets(url), error, instead)
            return {}
        return found if isinstance(found, dict) else {}

    def maker(self, maker: dict) -> dict:
        """The maker with its own record's statements, unless the object already gives its facts."""
        if "born" in maker or "died" in maker or _classified(maker, NATIONALITY) or not self.load:
            return maker
        url = _id(maker)
        if not _http(url):
            return maker
        if url not in self.makers:
            self.makers[url] = self._fetch(url, "the maker's record", "the work keeps the name only")
        return {**maker, **self.makers[url]}

    def pictured(self, node: dict) -> dict:
        """The object, its first visual item that only names its pictures replaced by its own record (and that
        record's digital objects by theirs, when they do not give their access points): the Rijksmuseum's object
        `shows` a VisualItem, `digitally_shown_by` a DigitalObject, whose `access_point` is the IIIF image."""
        if not self.load or _picture(node):
            return node
        for visual in (_dicts(node.get("representation")) + _dicts(node.get("shows")))[:_VISUALS_TRIED]:
            if not _http(url := _id(visual)) or _dicts(visual.get("digitally_shown_by")):
                continue
            record = self._fetch(url, "the picture's record", "the work may have no picture")
            digitals = [digital if digital.get("access_point") or not _http(_id(digital))
                        else self._fetch(_id(digital), "the picture's file record", "the work may have no picture")
                        for digital in _dicts(record.get("digitally_shown_by"))[:_VISUALS_TRIED]]
            found = {**node, "representation": [{**visual, **record, "digitally_shown_by": digitals}]}
            if _picture(found):
                return found
        return node


def _makers(production: dict) -> list[dict]:
    """Who carried out the production or its parts, in order."""
    return [maker for part in [production, *_dicts(production.get("part"))]
            for maker in _dicts(part.get("carried_out_by"))]


def _iiif_image(base: str) -> str:
    """A IIIF Image service's whole image, asked as the IIIF reader asks (an Image API 3 base by its path)."""
    version = "3" if re.search(r"/(?:iiif/)?3/", base) else "2"
    service = {"@id": base, "@context": f"http://iiif.io/api/image/{version}/context.json"}
    return image_service_url(service)


def _access_points(holders: list[dict], key: str) -> list[tuple[dict, str]]:
    """(digital object, URL) of each access point of the holders' digital objects (under `key`), then (holder, its
    own id): the Getty's VisualItem is its image file, its page's LinguisticObject the page."""
    points = [(digital, url) for holder in holders for digital in _dicts(holder.get(key))
              for point in _list(digital.get("access_point")) if _http(url := _id(point))]
    return points + [(holder, url) for holder in holders if _http(url := _id(holder))]


def _conforms(node: dict) -> str:
    return " ".join(_id(standard) for standard in _list(node.get("conforms_to")))


def _picture(node: dict) -> str:
    """The object's picture: a IIIF Image service of its representation, else an image file, else any access point."""
    services, files, others = [], [], []
    for holder, url in _access_points(_dicts(node.get("representation")), "digitally_shown_by"):
        if "iiif.io/api/image" in _conforms(holder) or _IIIF_REQUEST.fullmatch(url):
            services.append(url)
        elif urlsplit(url).path.lower().endswith(_IMAGE_SUFFIXES) or str(holder.get("format", "")).startswith("image/"):
            files.append(url)
        elif _type(holder) == "DigitalObject":  # a VisualItem's own id is a picture only when it looks like one
            others.append(url)
    if services:
        url = services[0].rstrip("/")
        if request := _IIIF_REQUEST.fullmatch(url):
            return _iiif_image(request["base"])
        return url if urlsplit(url).path.lower().endswith(_IMAGE_SUFFIXES) else _iiif_image(
            url.removesuffix("/info.json"))
    return (files + others + [""])[0]


def _links(node: dict) -> tuple[str, str]:
    """(web page, IIIF manifest) from the texts the object is the subject of."""
    page = manifest = ""
    for holder, url in _access_points(_dicts(node.get("subject_of")), "digitally_carried_by"):
        if "iiif.io/api/presentation" in _conforms(holder) or IIIF_MANIFEST in _kinds(holder):
            manifest = manifest or url
        elif WEB_PAGE in _kinds(holder) or holder.get("format") == "text/html":
            page = page or url
    return page or _id(node.get("homepage")), manifest


def _rights(node: dict) -> tuple[str, str]:
    """The object's or its picture's licence or rights statement (a Creative Commons or rightsstatements.org URI)."""
    rights = _dicts(node.get("subject_to"))
    for visual in _dicts(node.get("representation")):  # the Rijksmuseum states them on the visual item
        rights += _dicts(visual.get("subject_to")) + [right for digital in _dicts(visual.get("digitally_shown_by"))
                                                       for right in _dicts(digital.get("subject_to"))]
    candidates = [_id(kind) for right in rights for kind in _list(right.get("classified_as"))]
    candidates += [name for right in rights if (name := _name(right))] + _statements(node, RIGHTS)
    return next((found for text in candidates if (found := classify_rights(text))[0] != UNKNOWN), (UNKNOWN, ""))


def _subjects(node: dict) -> list[str]:
    """What the object shows or is about: the names of its visual items' subjects, and its own."""
    visuals = _dicts(node.get("shows")) + _dicts(node.get("representation"))
    subjects = _dicts(node.get("about")) + [subject for visual in visuals
                                            for key in ("about", "represents", "depicts")
                                            for subject in _dicts(visual.get(key))]
    return split_tags("|".join(name for subject in subjects if (name := _name(subject))))


def linked_art_record(node: dict, *, where: str, images: ImageFinder, referenced: _Referenced) -> Result:
    """One HumanMadeObject as a record; one with neither a title nor a picture is skipped."""
    node = referenced.pictured(node)
    title, image = _name(node), _picture(node)
    if not title and not image:
        return SkippedRecord(where=where, reason="no title and no image")
    if isinstance(found := images.resolve(image), str):
        return SkippedRecord(where=where, reason=found)
    image_path, image_url = found
    production = node.get("produced_by") if isinstance(node.get("produced_by"), dict) else {}
    makers = _makers(production)
    maker = referenced.maker(makers[0]) if makers else {}
    # "Jean-Antoine Watteau (French, 1684 - 1721)", "attributed to Jan de Baen": the production's own statement, and
    # the Getty's "French, 1684 - 1721" beside it.
    stated = split_artist(_statement(production, PRODUCER))
    if (facts := _statement(production, {NATIONALITY_AND_DATES})) and not stated.bio_line:
        parsed = split_artist(f"{stated.name or 'them'} ({facts})")
        stated = replace(stated, bio_line=parsed.bio_line, nationality=parsed.nationality,
                         birth_year=parsed.birth_year, death_year=parsed.death_year)
    qualifier, name = split_qualifier(_name(maker)) if maker else ("", stated.name)
    nationality = next(iter(_classified(maker, NATIONALITY)), "")
    birth, death = _year(maker.get("born"), "begin_of_the_begin", "end_of_the_end"), _year(
        maker.get("died"), "end_of_the_end", "begin_of_the_begin")
    span = production.get("timespan") if isinstance(production.get("timespan"), dict) else {}
    date = _name(span) if span else ""
    year_start, year_end = resolve_years(date, span.get("begin_of_the_begin"), span.get("end_of_the_end"))
    rights, rights_url = _rights(node)
    page, manifest = _links(node)
    accession_number = _accession_number(node)
    description = _statement(node, DESCRIPTION)
    return CatalogueRecord(
        source_id=_id(node) or accession_number or where,  # the object's URI, which a Delete names
        title=title,
        accession_number=accession_number,
        artist_name=name,
        artist_qualifier=qualifier or stated.qualifier,
        artist_nationality=nationality or stated.nationality,
        artist_birth_year=birth if birth is not None else stated.birth_year,
        artist_death_year=death if death is not None else stated.death_year,
        # The statement's bio line only where the maker's own facts say nothing it could contradict.
        artist_bio_line="" if nationality or birth is not None or death is not None else stated.bio_line,
        date=date,
        year_start=year_start,
        year_end=year_end,
        culture=_statement(node, CULTURE),
        period=_statement(node, PERIOD),
        medium=_statement(node, MATERIALS),
        dimensions="\n".join(_statements(node, DIMENSIONS)),
        classification=next(iter(_classified(node, TYPE_OF_WORK)), "") or _statement(node, TYPE_OF_WORK),
        department=next((name for keeper in _dicts(node.get("current_keeper")) if (name := _name(keeper))), ""),
        institution=next((name for owner in _dicts(node.get("current_owner")) if (name := _name(owner))), ""),
        credit_line=_statement(node, CREDIT_LINE),
        rights=rights,
        rights_url=rights_url,
        description=strip_html(description) if "<" in description else description,
        tags=_subjects(node),
        source_url=page,
        manifest_url=manifest,
        image_path=image_path,
        image_url=image_url,
    )


def is_linked_art(data: object) -> bool:
    """Whether a parsed document is a Linked Art object (or a list of them), an Activity Streams collection, or a page
    of object references."""
    sample = data[0] if isinstance(data, list) and data else data
    if not isinstance(sample, dict):
        return False
    kind, context = _type(sample), str(sample.get("@context", ""))
    if kind == OBJECT:
        return True
    lists_objects = OBJECT in {_type(item) for item in _list(sample.get("orderedItems"))[:10]}
    return kind in _STREAMS and (lists_objects or any(
        vocabulary in context for vocabulary in ("activitystreams", "linked.art", "iiif.io/api/discovery")))


def _when(activity: dict) -> datetime | None:
    """When an activity happened (its endTime, else published or startTime), aware; None when it does not say."""
    for key in ("endTime", "published", "startTime"):
        text = activity.get(key)
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00")) if isinstance(text, str) else None
        except ValueError:
            continue
        if when is not None:
            return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return None


def _activities(page: dict) -> list[tuple[str, str, str, datetime | None]]:
    """(activity type, object type, object URL, when) of a stream page's items, in the page's order. An item that is
    itself an object's reference (a page of a search API's results: the Rijksmuseum's, LUX's) is one to read, with no
    time."""
    return [("", _type(item), _id(item), None) if _type(item) in _READABLE else
            (_type(item), _type(item.get("object")), _id(item.get("object")), _when(item))
            for item in _dicts(page.get("orderedItems"))]


def _link(page: object, url: str, key: str, start: str) -> str:
    """A stream page's `key` link ("next" or "prev"), or a collection's `start` page ("first" or "last")."""
    if not isinstance(page, dict):
        return ""
    link = _id(page.get(key)) or (_id(page.get(start)) if _type(page) == "OrderedCollection" else "")
    link = urljoin(url, link) if link else ""
    return link if _http(link) else ""


class LinkedArtReader:
    """Objects of one import: numbered across pages, each repeated accession number skipped, makers fetched once."""

    def __init__(self, *, name: str, load: Loader | None, export_dir: Path | None, images_dir: Path | None):
        self.load = load
        self.images = ImageFinder(export_dir, images_dir, export=name)
        self.referenced = _Referenced(load)
        self.repeats = AccessionNumbers()
        self.number = 0

    def objects(self, nodes: Iterable[object], where: str) -> Iterator[Result]:
        for node in nodes:
            self.number += 1
            label = f"{where} item {self.number}"
            if isinstance(node, SkippedRecord):  # a line of JSON Lines that could not be read
                yield node
            elif _type(node) != OBJECT:
                yield SkippedRecord(where=label, reason="not a Linked Art object (HumanMadeObject)")
            else:
                record = linked_art_record(node, where=label, images=self.images,
                                            referenced=self.referenced)
                yield self.repeats.check(record, label, f"in item {self.number}")

    def stream(self, collection: dict, url: str, since: datetime | None) -> Iterator[Result]:
        """The objects and manifests a stream's pages name, each fetched once, as the import reaches it; with `since`,
        only those changed after it.

        A collection that gives its last page is read from there back (`prev`), as the Activity Streams consumers of
        Linked Art and IIIF Change Discovery do: the first activity met of an object is its latest (a work created,
        then deleted, is a DeletedRecord, not imported), and a harvest since a time stops at the first activity
        older than it. One that gives only its first page is read forward."""
        backward = _type(collection) == "OrderedCollection" and bool(_link(collection, url, "prev", "last"))
        step = functools.partial(_link, key="prev", start="last") if backward else functools.partial(
            _link, key="next", start="first")
        seen: set[str] = set()
        first = [(without_secrets(url), collection)] if "orderedItems" in collection else []
        # Pages fetched one by one as the import reaches them: an import with a limit reads no more of the stream.
        for page in itertools.chain(first, pages.following(collection, url, next_url=step, load=self.load)):
            if isinstance(page, SkippedRecord):
                yield page
                continue
            activities = _activities(page[1] if isinstance(page[1], dict) else {})
            for activity, kind, target, when in reversed(activities) if backward else activities:
                if since is not None and when is not None and when <= since:
                    if backward:
                        return  # every activity before it is older still
                    continue
                if kind not in _READABLE or not _http(target) or target in seen:
                    continue
                seen.add(target)
                if activity == "Delete":
                    yield DeletedRecord(where=without_secrets(target), source_id=target)
                else:
                    yield from self._fetched(target)

    def _fetched(self, url: str) -> Iterator[Result]:
        shown = without_secrets(url)
        try:
            document = fetch_retrying(self.load, url)
        except (DownloadError, ValueError) as error:
            yield SkippedRecord(where=shown, reason=f"cannot fetch: {error}")
            return
        if is_iiif(document):
            yield from read_iiif(document, url=url, load=lambda link: fetch_retrying(self.load, link))
        else:
            yield from self.objects([document], shown)


def read_linked_art(data: object, *, name: str, url: str = "", load: Loader | None = None,
                    export_dir: Path | None = None, images_dir: Path | None = None,
                    since: datetime | None = None) -> Iterator[Result]:
    """The records of a parsed Linked Art document (an object, a list of them, or a stream fetched from `url`, whose
    pages, objects and makers `load` fetches; of a stream, with `since`, the objects changed after it), or of the
    values of a JSON Lines file, read as the import goes; `name` names it in messages."""
    reader = LinkedArtReader(name=name, load=load, export_dir=export_dir, images_dir=images_dir)
    if _type(data) in _STREAMS:
        if load is None:
            raise ValueError(f"{name} is an Activity Streams collection: import its URL, which fetches its objects")
        return reader.stream(data, url, since)
    return reader.objects(data if isinstance(data, (list, Iterator)) else [data], name)
