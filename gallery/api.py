"""JSON API: the same searches as the pages, and a work's record. Errors are JSON with a message and a 4xx (or 503)
status."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from gallery.clip import WeightsUnavailable, get_encoder
from gallery.forms import KForm, SearchForm
from gallery.models import Artwork
from gallery.ratelimits import limit
from gallery.services import search as search_service
from gallery.services.query_parsing import EmptyQuery
from gallery.services.results import SearchPage


def _error(message: str, status: int = 400, fields: dict | None = None) -> JsonResponse:
    body = {"error": message}
    if fields:
        body["fields"] = fields
    return JsonResponse(body, status=status)


CATALOGUE_FIELDS = ("artist_qualifier", "accession_number", "date", "year_start", "year_end", "culture", "period",
                    "medium", "dimensions", "classification", "department", "institution", "credit_line", "rights")


def _artist_json(request: HttpRequest, artist) -> dict | None:
    if artist is None:  # the record names no artist
        return None
    return {
        "name": artist.name,
        "sort_name": artist.sort_name,
        "url": request.build_absolute_uri(artist.get_absolute_url()),
        "nationality": artist.nationality,
        "years": artist.years,
        "bio_line": artist.display_bio_line,
        "genres": artist.genres,
        "bio": artist.bio,
        "wikipedia_url": artist.wikipedia_url,
    }


def _artwork_json(request: HttpRequest, artwork: Artwork) -> dict:
    return {
        "id": artwork.pk,
        "title": artwork.title,
        "url": request.build_absolute_uri(artwork.get_absolute_url()),
        "image_url": request.build_absolute_uri(artwork.image.url),
        "thumbnail_url": request.build_absolute_uri(artwork.thumbnail.url) if artwork.thumbnail else None,
        **{name: getattr(artwork, name) for name in CATALOGUE_FIELDS},
        "rights_url": artwork.rights_url or None,
        "source_url": artwork.source_url or None,
        "artist": _artist_json(request, artwork.artist),
    }


def _page_json(request: HttpRequest, result: SearchPage) -> JsonResponse:
    encoder = get_encoder()
    return JsonResponse({
        "query": result.query_label,
        "model": encoder.model_id,
        "semantic": encoder.is_pretrained,  # False: untrained weights, results are not meaningful
        "page": result.page,
        "k": result.k,
        "has_next": result.has_next,
        "qid": result.qid or None,
        "options": {"per_artist": result.options.per_artist, "close": result.options.close},
        "hidden": result.hidden,  # with close=1: how many results the cut-off hid; null otherwise
        "results": [{**_artwork_json(request, hit.artwork), "similarity": round(hit.similarity, 4),
                     "in_collection": hit.in_collection, "why": list(hit.reasons),
                     # Where the query's detail lies in the work (x, y, w, h as fractions), when it was found there.
                     "box": {key: round(value, 4) for key, value in vars(hit.box).items()} if hit.box else None}
                    for hit in result.hits],
    })


@csrf_exempt  # no cookie-authenticated state changes: a search reads only
@require_http_methods(["GET", "POST"])
@limit(group="api-search", rate_setting="GALLERY_RATE_LIMIT_SEARCH", json=True)
def search(request: HttpRequest) -> JsonResponse:
    """GET ?q=&k=&page=&artist=&genre=&nationality=&century=&year_from=&year_to=&classification=&department=
    &institution=&culture=&made_from=&made_to=&open_access=&per_artist=&close=, or POST multipart `image`. A detail:
    `box=x,y,w,h` (fractions of the picture) with the uploaded `image`, or with `artwork=<id>` (GET) for a detail of a
    stored work."""
    data = request.POST if request.method == "POST" else request.GET
    form = SearchForm(data, request.FILES or None)
    if not form.is_valid():
        fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
        return _error("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items()), fields=fields)
    upload = request.FILES.get("image")
    try:
        result = search_service.search_page(query=form.search_query(image_label=upload.name[:80] if upload else ""),
                                            k=form.cleaned_data["k"], page=form.cleaned_data["page"],
                                            options=form.result_options())
    except (EmptyQuery, search_service.QueryExpired) as exc:
        return _error(str(exc))
    except (WeightsUnavailable, search_service.PictureUnavailable) as exc:
        return _error(str(exc), status=503)
    return _page_json(request, result)


@require_GET
@limit(group="api-similar", rate_setting="GALLERY_RATE_LIMIT_SEARCH", json=True)
def artwork_detail(request: HttpRequest, pk: int) -> JsonResponse:
    """GET /api/artworks/<id>: one published work's whole catalogue record, as its page shows it."""
    artwork = Artwork.objects.published().select_related("artist").defer("embedding", "search_document").filter(
        pk=pk).first()
    if artwork is None:
        return _error(f"No artwork with id {pk}.", status=404)
    return JsonResponse({
        **_artwork_json(request, artwork),
        "width": artwork.width,
        "height": artwork.height,
        "description": artwork.description,
        "image_description": artwork.image_description,
        "tags": artwork.tags,
        "image_credit": artwork.attribution,
        "manifest_url": request.build_absolute_uri(reverse("gallery:iiif-manifest", args=[artwork.pk])),
        "source_manifest_url": artwork.manifest_url or None,
        "similar_url": request.build_absolute_uri(reverse("gallery:api-artwork-similar", args=[artwork.pk])),
    })


@require_GET
@limit(group="api-similar", rate_setting="GALLERY_RATE_LIMIT_SEARCH", json=True)
def artwork_similar(request: HttpRequest, pk: int) -> JsonResponse:
    """GET /api/artworks/<id>/similar?k=&page=&per_artist=&close=: works nearest to a stored artwork, excluding
    itself."""
    artwork = Artwork.objects.published().select_related("artist").filter(pk=pk).first()
    if artwork is None:
        return _error(f"No artwork with id {pk}.", status=404)
    form = KForm(request.GET)
    if not form.is_valid():
        return _error("; ".join(f"{n}: {' '.join(e)}" for n, e in form.errors.items()))
    try:
        result = search_service.similar_page(artwork=artwork, k=form.cleaned_data["k"], page=form.cleaned_data["page"],
                                             options=form.result_options())
    except WeightsUnavailable as exc:
        return _error(str(exc), status=503)
    return _page_json(request, result)
