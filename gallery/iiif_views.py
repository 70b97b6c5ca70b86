"""IIIF endpoints: a Presentation 3 manifest per published artwork, the collection of them, and the Image API service
of tile sets kept in the local media (a public bucket serves its own; gallery/services/iiif.py decides which).

Every answer carries `Access-Control-Allow-Origin: *`: Mirador or the Universal Viewer on a museum's own site fetch
these with XMLHttpRequest, which the browser refuses without it. Nothing here is private: drafts answer 404.
"""

from __future__ import annotations

import json
import re

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from gallery import iiif_tiles
from gallery.models import Artwork
from gallery.services import iiif, iiif_manifests

PRESENTATION_TYPE = f'application/ld+json;profile="{iiif_manifests.JSON_LD_PROFILE}"'
IMAGE_TYPE = f'application/ld+json;profile="{iiif_tiles.CONTEXT}"'
_TILE_NAME = re.compile(r"(?:full|\d+,\d+,\d+,\d+)/(?:max|\d+,\d+)/0/default\.jpg")


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _json(text: str, content_type: str) -> HttpResponse:
    return _cors(HttpResponse(text, content_type=content_type))


@require_safe
def artwork_manifest(request: HttpRequest, pk: int) -> HttpResponse:
    """The IIIF manifest of a published artwork."""
    artwork = get_object_or_404(Artwork.objects.published().select_related("artist"), pk=pk)
    manifest = iiif_manifests.artwork_manifest(artwork, absolute=request.build_absolute_uri)
    return _json(iiif_manifests.to_json(manifest), PRESENTATION_TYPE)


@require_safe
def collection(request: HttpRequest) -> HttpResponse:
    """The IIIF collection of the published artworks, `?page=N` for the further pages (404 past the last)."""
    raw_page = request.GET.get("page", "1")
    if not raw_page.isdigit() or int(raw_page) < 1:
        raise Http404("No such page of the collection.")
    page = int(raw_page)
    works = Artwork.objects.published()
    if page > 1 and (page - 1) * iiif_manifests.COLLECTION_PAGE_SIZE >= works.count():
        raise Http404("No such page of the collection.")
    result = iiif_manifests.collection_page(works, page=page, absolute=request.build_absolute_uri,
                                            label="artsearch collection")
    return _json(iiif_manifests.to_json(result), PRESENTATION_TYPE)


@require_safe
def image_info(request: HttpRequest, pk: int, version: str) -> HttpResponse:
    """info.json of a tile set kept in the local media. It is stored with the path its tiles are served under (the
    worker does not know the site's host): the request gives the absolute URL."""
    try:
        with default_storage.open(f"{iiif.TILES_ROOT}/{pk}/{version}/{iiif_tiles.INFO_JSON}", "rb") as handle:
            info = json.load(handle)
    except (FileNotFoundError, ValueError):
        raise Http404("No such tile set.")
    info["id"] = request.build_absolute_uri(info.get("id") or request.path.rsplit("/", 1)[0])
    return _json(json.dumps(info), IMAGE_TYPE)


@require_safe
def image_file(request: HttpRequest, pk: int, version: str, tile: str) -> HttpResponse:
    """One tile (or listed size) of a tile set kept in the local media. Its name holds its picture's hash: it never
    changes, so browsers and proxies may keep it for good."""
    if not _TILE_NAME.fullmatch(tile):  # only names the tile set can hold: nothing else of the media is reachable
        raise Http404("No such tile.")
    try:
        handle = default_storage.open(f"{iiif.TILES_ROOT}/{pk}/{version}/{tile}", "rb")
    except FileNotFoundError:
        raise Http404("No such tile.")
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return _cors(response)
