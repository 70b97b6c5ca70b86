"""LIDO XML (Lightweight Information Describing Objects, http://www.lido-schema.org), the museums' harvesting format: a
`lido:lidoWrap` of `lido:lido` records, or those records inside an OAI-PMH response, as CatalogueRecords.

Read with defusedxml as a stream, record by record (an export of many thousands of works is never held whole): a
document with entity declarations (the billion-laughs and external-entity attacks) is refused, and XML that breaks off
after some records keeps those and reports where it broke. From each record: its `lidoRecID`; the preferred title; the
inventory number (`workID`, the one typed "inventory number" first) and the repository that holds the work; the
production event's actor (preferred name, nationality, life dates, attribution qualifier such as "workshop of"), date,
culture, period and materials; the work type; the measurements, description and subjects; the image
(`resourceRepresentation/linkResource`, a master or large image before a thumbnail), its rights and credit line; the
record's web page (`recordInfoLink`). A record of an OAI-PMH harvest is known by its OAI identifier, and one whose
header says it was deleted is a DeletedRecord. Of a record in several languages (a block or a value a language), the
English texts are read first.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from . import pages
from .csv_export import AccessionNumbers, ImageFinder
from .dates import resolve_years, year_number
from .records import UNKNOWN, CatalogueRecord, DeletedRecord, SkippedRecord
from .rights import classify_rights
from .text import clean, split_tags

Result = CatalogueRecord | SkippedRecord | DeletedRecord

NS = "http://www.lido-schema.org"
_L = f"{{{NS}}}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_RECORD = f"{_L}lido"
_OAI = "{http://www.openarchives.org/OAI/2.0/}"
_OAI_HEADER = f"{_OAI}header"
# Event types that make the work, by term (in the languages LIDO exports come in) or by the LIDO/AAT concept URI.
_PRODUCTION_TERMS = {"production", "creation", "herstellung", "vervaardiging", "création", "produzione", "producción",
                     "tillverkning", "fremstilling", "valmistus"}
_PRODUCTION_CONCEPTS = ("lido00007", "lido00012", "300054713")  # LIDO's production and creation, AAT's production
_IMAGE_TYPES = ("image_master", "image_large", "provided_image", "image", "image_thumb")
_OAI_ERROR = re.compile(rb'<(?:\w+:)?error\b[^>]*\bcode="([^"]*)"[^>]*>([^<]*)<')
_RESUMPTION = re.compile(rb"<(?:\w+:)?resumptionToken\b[^>]*>([^<]*)</(?:\w+:)?resumptionToken>")


def oai_error(body: bytes) -> str:
    """The error an OAI-PMH server answered with ("cannotDisseminateFormat: …" for a metadataPrefix it does not
    offer), or ""."""
    match = _OAI_ERROR.search(body)
    return f"{match[1].decode('utf-8', 'replace')}: {clean(match[2].decode('utf-8', 'replace'))}" if match else ""


def is_lido(head: bytes) -> bool:
    """Whether the start of an XML document uses the LIDO namespace (a lidoWrap, or records in OAI-PMH)."""
    return NS.encode() in head


def _path(*names: str) -> str:
    return "/".join(f"{_L}{name}" for name in names)


def _in_english(node: Element) -> bool:
    return node.get(_XML_LANG, "").casefold().split("-")[0] in {"en", "eng"}


def _english_first(record: Element) -> None:
    """A record given in several languages has a descriptiveMetadata (and administrativeMetadata) block a language:
    the English ones are put first, so that every field is read from them where they have it."""
    record[:] = sorted(record, key=lambda block: not _in_english(block))


def _texts(element: Element | None, *names: str) -> list[str]:
    """The non-blank texts at a path below `element`, those marked lido:pref="preferred" first, then those in
    English (a title given in German and in English, both preferred)."""
    if element is None:
        return []
    found = element.findall(_path(*names))
    found.sort(key=lambda node: (node.get(f"{_L}pref", "") != "preferred", not _in_english(node)))
    return [text for node in found if (text := clean("".join(node.itertext())))]


def _text(element: Element | None, *names: str) -> str:
    texts = _texts(element, *names)
    return texts[0] if texts else ""


def _production(record: Element) -> Element | None:
    """The event that made the work: typed production or creation, else the first event with an actor."""
    events = record.findall(f".//{_path('eventWrap', 'eventSet', 'event')}")
    for event in events:
        kind = " ".join(_texts(event, "eventType", "term") + _texts(event, "eventType", "conceptID")).casefold()
        if any(term in kind for term in _PRODUCTION_TERMS) or any(concept in kind for concept in _PRODUCTION_CONCEPTS):
            return event
    return next((event for event in events if event.find(_path("eventActor")) is not None), None)


def _actor(event: Element | None) -> tuple[Element | None, Element | None]:
    """(actorInRole, actor) of the event's first actor."""
    role = event.find(_path("eventActor", "actorInRole")) if event is not None else None
    return role, role.find(_path("actor")) if role is not None else None


def _image(record: Element) -> tuple[str, Element | None]:
    """(linkResource, its resourceSet): a master or large image before a thumbnail."""
    candidates = []
    for resource_set in record.findall(f".//{_path('resourceWrap', 'resourceSet')}"):
        for representation in resource_set.findall(_path("resourceRepresentation")):
            link = _text(representation, "linkResource")
            kind = representation.get(f"{_L}type", "").casefold()
            rank = _IMAGE_TYPES.index(kind) if kind in _IMAGE_TYPES else len(_IMAGE_TYPES) - 1
            if link:
                candidates.append((rank, link, resource_set))
    if not candidates:
        return "", None
    _, link, resource_set = min(candidates, key=lambda candidate: candidate[0])
    return link, resource_set


def _accession_number(record: Element) -> str:
    ids = record.findall(f".//{_path('repositoryWrap', 'repositorySet', 'workID')}")
    ids.sort(key=lambda node: "inventory" not in node.get(f"{_L}type", "").casefold())
    return next((text for node in ids if (text := clean(node.text))), "")


def _institution(record: Element) -> str:
    """The name of the repository that holds the work: the one typed "current" first (a former owner may be listed)."""
    sets = record.findall(f".//{_path('repositoryWrap', 'repositorySet')}")
    sets.sort(key=lambda node: node.get(f"{_L}type", "").casefold() != "current")
    return next((name for node in sets if (name := _text(node, "repositoryName", "legalBodyName", "appellationValue"))),
                "")


def lido_record(record: Element, *, where: str, images: ImageFinder) -> Result:
    """One `lido:lido` element as a record; one with neither a title nor an image is skipped."""
    _english_first(record)
    record_id = _text(record, "lidoRecID")
    event = _production(record)
    role, actor = _actor(event)
    title = _text(record, "descriptiveMetadata", "objectIdentificationWrap", "titleWrap", "titleSet",
                  "appellationValue")
    link, resource_set = _image(record)
    if not title and not link:
        return SkippedRecord(where=where, reason="no title and no image")
    if isinstance(found := images.resolve(link), str):
        return SkippedRecord(where=where, reason=found)
    image_path, image_url = found
    date = _text(event, "eventDate", "displayDate")
    year_start, year_end = resolve_years(date, _text(event, "eventDate", "date", "earliestDate"),
                                         _text(event, "eventDate", "date", "latestDate"))
    rights_texts = (_texts(resource_set, "rightsResource", "rightsType", "conceptID")
                    + _texts(resource_set, "rightsResource", "rightsType", "term")
                    + _texts(record, "administrativeMetadata", "rightsWorkWrap", "rightsWorkSet", "rightsType", "term"))
    rights, rights_url = next((found for text in rights_texts if (found := classify_rights(text))[0] != UNKNOWN),
                              (UNKNOWN, ""))
    accession_number = _accession_number(record)
    info_links = _texts(record, "administrativeMetadata", "recordWrap", "recordInfoSet", "recordInfoLink")
    description = _texts(record, "descriptiveMetadata", "objectIdentificationWrap", "objectDescriptionWrap",
                         "objectDescriptionSet", "descriptiveNoteValue")
    return CatalogueRecord(
        source_id=accession_number or f"lido:{record_id or where}",
        title=title,
        accession_number=accession_number,
        artist_name=_text(actor, "nameActorSet", "appellationValue"),
        artist_qualifier=_text(role, "attributionQualifierActor"),
        artist_nationality=_text(actor, "nationalityActor", "term"),
        artist_birth_year=year_number(_text(actor, "vitalDatesActor", "earliestDate")),
        artist_death_year=year_number(_text(actor, "vitalDatesActor", "latestDate")),
        date=date,
        year_start=year_start,
        year_end=year_end,
        culture=_text(event, "culture", "term"),
        period=_text(event, "periodName", "term"),
        medium=_text(event, "eventMaterialsTech", "displayMaterialsTech"),
        dimensions="\n".join(_texts(record, "descriptiveMetadata", "objectIdentificationWrap",
                                    "objectMeasurementsWrap", "objectMeasurementsSet", "displayObjectMeasurements")),
        classification=_text(record, "descriptiveMetadata", "objectClassificationWrap", "objectWorkTypeWrap",
                             "objectWorkType", "term"),
        institution=_institution(record),
        credit_line=_text(record, "administrativeMetadata", "rightsWorkWrap", "rightsWorkSet", "creditLine"),
        rights=rights,
        rights_url=rights_url,
        attribution=_text(resource_set, "rightsResource", "creditLine"),
        description=description[0] if description else "",
        tags=split_tags("|".join(_texts(record, "descriptiveMetadata", "objectRelationWrap", "subjectWrap",
                                        "subjectSet", "subject", "subjectConcept", "term"))),
        source_url=next((link for link in info_links if link.lower().startswith(("http://", "https://"))), ""),
        image_path=image_path,
        image_url=image_url,
    )


class LidoReader:
    """Records of one export read from one or more documents (an OAI-PMH harvest's pages): numbered across them,
    each repeated inventory number skipped."""

    def __init__(self, *, export_dir: Path | None, images_dir: Path | None, name: str):
        self.images = ImageFinder(export_dir, images_dir, export=name)
        self.repeats = AccessionNumbers()
        self.number = 0

    def records(self, source: IO[bytes] | Path, name: str) -> Iterator[Result]:
        """The records of a LIDO document (a file or a binary stream), read as it goes; `name` names it."""
        identifier = ""  # of an OAI-PMH harvest: the record's own, in the header before it
        try:
            for _, element in iterparse(source, events=("end",), forbid_dtd=True):
                if element.tag == _OAI_HEADER:
                    identifier = clean(element.findtext(f"{_OAI}identifier"))
                    if element.get("status") == "deleted" and identifier:  # a record the museum withdrew
                        yield DeletedRecord(where=f"{name} {identifier}", source_id=identifier)
                        identifier = ""
                    continue
                if element.tag != _RECORD:
                    continue
                self.number += 1
                where = f"{name} record {self.number}"
                result = lido_record(element, where=where, images=self.images)
                if identifier and isinstance(result, CatalogueRecord):
                    result.source_id = identifier  # what a later harvest's deletion names
                identifier = ""
                yield self.repeats.check(result, where, f"in record {self.number}")
                element.clear()  # a record read is dropped: memory stays that of one record
        except (ParseError, DefusedXmlException) as error:
            yield SkippedRecord(where=f"{name} after record {self.number}",
                                reason=f"not read: the XML is refused ({error})")


def read_lido(path: Path, *, images_dir: Path | None = None) -> Iterator[Result]:
    """The records of a LIDO file, read as it goes."""
    yield from LidoReader(export_dir=path.parent, images_dir=images_dir, name=path.name).records(path, path.name)


def harvest_since(url: str, since: datetime) -> str:
    """An OAI-PMH ListRecords URL asking only the records changed since `since` (its day, the granularity every
    OAI-PMH server offers): `from` added, unless the URL has one or resumes a harvest."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = {name for name, _ in query}
    if ("verb", "ListRecords") not in query or names & {"from", "resumptionToken"}:
        return url
    day = since.astimezone(timezone.utc).date().isoformat()
    return urlunsplit(parts._replace(query=urlencode([*query, ("from", day)])))


def resumption_url(url: str, body: bytes) -> str:
    """The next page of an OAI-PMH ListRecords harvest: the base URL asked again with the page's resumptionToken;
    "" when the page gives none (the last page)."""
    match = _RESUMPTION.search(body)
    token = match[1].decode("utf-8", "replace").strip() if match else ""
    if not token:
        return ""
    return f"{url.split('?', 1)[0]}?{urlencode({'verb': 'ListRecords', 'resumptionToken': token})}"


def read_lido_url(url: str, first: bytes, *, load: Callable[[str], bytes], shown: str,
                  images_dir: Path | None = None) -> Iterator[Result]:
    """The records of the LIDO document `first` fetched from `url`, and of the next pages of an OAI-PMH harvest
    that starts there (each fetched with `load` as the import reaches it). `shown` is the URL as messages show it."""
    reader = LidoReader(export_dir=None, images_dir=images_dir, name=shown)
    yield from reader.records(io.BytesIO(first), shown)
    for page in pages.following(first, url, next_url=lambda body, page_url: resumption_url(page_url, body),
                                load=load):
        if isinstance(page, SkippedRecord):
            yield page
        else:
            where, body = page
            yield from reader.records(io.BytesIO(body), where)
