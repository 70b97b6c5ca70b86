"""The collection map: the page (/map/, optionally with a search shown on it), its data and one selected work.

The page is a <canvas> drawn by static/js/collection-map.js from one compact JSON document and thumbnail atlases,
so that it stays usable at 100k works; a search's results come from the search service, as on /search/.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gallery.clip import WeightsUnavailable
from gallery.forms import SearchForm
from gallery.ratelimits import limit
from gallery.services import collection_map as map_service
from gallery.services import search as search_service
from gallery.services.query_parsing import EmptyQuery

MAP_RESULTS = 2 * search_service.MAX_K  # results highlighted on the map: two pages' worth, to show their spread
SEARCH_NAMES = ("q", "qid", "artwork")


@require_GET
def collection_map(request: HttpRequest) -> HttpResponse:
    """The map page; with a search in the query string (as /search/ takes it), its results highlighted."""
    if any(request.GET.get(name) for name in SEARCH_NAMES):
        return _map_with_search(request)
    return render(request, "gallery/collection_map.html", _page_context())


@limit(group="search", rate_setting="GALLERY_RATE_LIMIT_SEARCH")
def _map_with_search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    context = _page_context(query_text=request.GET.get("q", "")[:300])
    if not form.is_valid():
        errors = [message for messages in form.errors.values() for message in messages]
        return render(request, "gallery/collection_map.html", {**context, "error": " ".join(errors)}, status=400)
    try:
        result = search_service.search_page(query=form.search_query(), k=MAP_RESULTS, page=1,
                                            options=form.result_options())
    except (EmptyQuery, search_service.QueryExpired) as exc:  # their messages are in the visitor's language
        return render(request, "gallery/collection_map.html", {**context, "error": str(exc)}, status=400)
    except (WeightsUnavailable, search_service.PictureUnavailable) as exc:
        error = _("Search is unavailable: %(reason)s") % {"reason": exc}
        return render(request, "gallery/collection_map.html", {**context, "error": error}, status=503)
    search_url = f"{reverse('gallery:search')}?{request.GET.urlencode()}"
    return render(request, "gallery/collection_map.html", {
        **context, "result": result, "search_url": search_url,
        "highlight_ids": [hit.artwork.pk for hit in result.hits]})


def _page_context(**extra) -> dict:
    return {"data_url": reverse("gallery:collection-map-data"),
            "item_url": reverse("gallery:collection-map-item", args=[0]),
            "artwork_url": reverse("gallery:artwork-detail", args=[0]), **extra}


@require_GET
def collection_map_data(request: HttpRequest) -> HttpResponse:
    """The map's JSON (gzipped when the browser takes it), revalidated by its ETag: unchanged data costs a 304."""
    try:
        data = map_service.collection_map_data()
    except WeightsUnavailable as exc:
        return JsonResponse({"error": str(exc)}, status=503)
    etag = f'"{data.version}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(data.gzipped, content_type="application/json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(data.body, content_type="application/json")
    response["ETag"] = etag
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "no-cache"  # always revalidate: a new layout or a newly placed work shows at once
    return response


@require_GET
def collection_map_item(request: HttpRequest, pk: int) -> JsonResponse:
    """What the map's caption shows of the selected work."""
    item = map_service.map_item(artwork_id=pk)
    if item is None:
        return JsonResponse({"error": f"No artwork with id {pk}."}, status=404)
    return JsonResponse(item)
