"""IIIF Presentation 3 documents of the published collection, built with iiif-prezi3: a manifest per artwork and a
collection of them, paged.

Every id is an absolute URL, made by the caller's `absolute(path)` (the request's host): the same documents work on
any host the site answers to. The metadata labels are the ones artsearch's own IIIF import (gallery/sources/iiif.py)
and other museums' readers look for, so a manifest read back gives the same catalogue record.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.urls import reverse
from django.utils import translation
from iiif_prezi3 import (
    AnnotationBody,
    Canvas,
    Collection,
    CollectionRef,
    Homepage,
    KeyValueString,
    Manifest,
    ManifestRef,
    Resource,
    ServiceV3,
)

from gallery import iiif_tiles
from gallery.models import Artwork
from gallery.services import iiif

Absolute = Callable[[str], str]  # a URL or path on this site -> an absolute URL
COLLECTION_PAGE_SIZE = 1000  # manifests listed per collection page: about 250 KB of JSON
JSON_LD_PROFILE = "http://iiif.io/api/presentation/3/context.json"


def _lang(text: str, language: str = "en") -> dict[str, list[str]]:
    return {language: [text]}


def _pair(label: str, value: str) -> KeyValueString:
    # Catalogue values (names, dates, numbers) are not in a language: "none", as the spec says.
    return KeyValueString(label=_lang(label), value=_lang(value, "none"))


def _english(label) -> str:
    with translation.override("en"):
        return str(label())


def _metadata(artwork: Artwork) -> list[KeyValueString]:
    artist = artwork.artist
    date = artwork.date or "–".join(str(year) for year in dict.fromkeys((artwork.year_start, artwork.year_end))
                                    if year is not None)
    pairs = [
        ("Title", artwork.title),
        # "Name (bio line)" is how museums print a maker; importers split it back into name and facts.
        ("Artist", f"{artwork.artist_credit} ({artist.display_bio_line})" if artist and artist.display_bio_line
         else artwork.artist_credit),
        ("Date", date),
        ("Culture", artwork.culture),
        ("Period", artwork.period),
        ("Medium", artwork.medium),
        ("Dimensions", artwork.dimensions),
        ("Classification", artwork.classification),
        ("Department", artwork.department),
        ("Repository", artwork.institution),
        ("Accession number", artwork.accession_number),
        ("Credit line", artwork.credit_line),
        # The manifest's strings are tagged "en": the label in English whatever the visitor's language.
        ("Rights", _english(artwork.get_rights_display) if artwork.rights != Artwork.Rights.UNKNOWN else ""),
        ("Tags", "; ".join(artwork.tags)),
    ]
    return [_pair(label, value) for label, value in pairs if value]


def artwork_manifest(artwork: Artwork, *, absolute: Absolute) -> Manifest:
    """The manifest of one artwork: its catalogue record, and one canvas painted with its picture (with the deep-zoom
    service when its tiles are made)."""
    manifest_id = absolute(reverse("gallery:iiif-manifest", args=[artwork.pk]))
    base = manifest_id.rsplit("/", 1)[0]
    width, height = artwork.width or 1, artwork.height or 1  # a canvas needs a size; every stored work has one
    image = AnnotationBody(id=absolute(artwork.image.url), type="Image", format=_format(artwork.image.name),
                           width=width, height=height)
    service = iiif.artwork_service_url(artwork)
    if service is not None:
        # The sizes a level-0 service can give, inline: a client wanting one whole image needs no info.json first.
        sizes = [{"width": w, "height": h} for w, h in iiif_tiles.sizes(width, height)]
        image.service = [ServiceV3(id=absolute(service), type="ImageService3", profile="level0", width=width,
                                   height=height, sizes=sizes)]
    canvas = Canvas(id=f"{base}/canvas/1", width=width, height=height, label=_lang(artwork.title))
    canvas.add_image(image_url=image.id, anno_page_id=f"{base}/page/1", anno_id=f"{base}/annotation/1")
    canvas.items[0].items[0].body = image
    manifest = Manifest(
        id=manifest_id,
        label=_lang(artwork.title),
        metadata=_metadata(artwork) or None,
        summary=_lang(artwork.description) if artwork.description else None,
        homepage=[Homepage(id=absolute(artwork.get_absolute_url()), type="Text", format="text/html",
                           label=_lang(artwork.title))],
        items=[canvas],
    )
    if artwork.rights_url:
        manifest.rights = artwork.rights_url
    statement = artwork.credit_line or artwork.attribution
    if statement:
        manifest.requiredStatement = _pair("Credit line" if artwork.credit_line else "Attribution", statement)
    if artwork.thumbnail:
        manifest.thumbnail = [Resource(id=absolute(artwork.thumbnail.url), type="Image", format="image/jpeg")]
    return manifest


def _format(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower()
    return {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(extension, "image/jpeg")


def collection_page(queryset, *, page: int, absolute: Absolute, label: str) -> Collection:
    """One page of the collection of published works, in id order, COLLECTION_PAGE_SIZE manifests a page; page 1
    lists the further pages as collections, so a reader that follows members finds every work."""
    path = reverse("gallery:iiif-collection")
    total = queryset.count()
    pages = max(1, -(-total // COLLECTION_PAGE_SIZE))
    start = (page - 1) * COLLECTION_PAGE_SIZE
    rows = queryset.order_by("pk").values_list("pk", "title")[start:start + COLLECTION_PAGE_SIZE]
    items: list = [ManifestRef(id=absolute(reverse("gallery:iiif-manifest", args=[pk])), type="Manifest",
                               label=_lang(title)) for pk, title in rows]
    if page == 1:
        items += [CollectionRef(id=absolute(f"{path}?page={number}"), type="Collection",
                             label=_lang(f"{label}, page {number} of {pages}")) for number in range(2, pages + 1)]
    collection_id = absolute(path if page == 1 else f"{path}?page={page}")
    return Collection(id=collection_id, label=_lang(label if page == 1 else f"{label}, page {page} of {pages}"),
                      items=items)


def to_json(resource: Manifest | Collection) -> str:
    """The JSON-LD text, with the Presentation 3 context and without empty fields."""
    return resource.json(indent=None)


def to_dict(resource: Manifest | Collection) -> dict:
    return json.loads(to_json(resource))
