"""Pages. Browsing uses generic views; searches are short function views over gallery.services.search."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView

from gallery.clip import WeightsUnavailable, get_encoder
from gallery.forms import ArtworkUploadForm, KForm, SearchForm
from gallery.models import Artist, Artwork
from gallery.ratelimits import limit
from gallery.regions import Box
from gallery.services import artist_merge, duplicates, remembered_queries, results
from gallery.services import search as search_service
from gallery.services.query_parsing import EmptyQuery


class ArtworkListView(ListView):
    """The gallery grid: every published artwork, by artist then title."""

    queryset = Artwork.objects.published().select_related("artist").defer("embedding", "search_document")
    paginate_by = settings.GALLERY_PAGE_SIZE
    template_name = "gallery/artwork_list.html"


class ArtworkDetailView(DetailView):
    queryset = Artwork.objects.published().select_related("artist")  # a draft's URL is a 404 to the public
    template_name = "gallery/artwork_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        artwork = self.object
        context["more_by_artist"] = (Artwork.objects.published().filter(artist=artwork.artist)
                                     .exclude(pk=artwork.pk).select_related("artist")
                                     .defer("embedding", "search_document")[:8] if artwork.artist_id else [])
        try:
            context["similar_hits"] = search_service.artwork_similar_to(artwork=artwork, k=8)
        except WeightsUnavailable:
            context["similar_hits"] = []
        # ?box=x,y,w,h: where a detail search found its detail in this work (a link from its results).
        try:
            context["shown_box"] = Box.parse(self.request.GET["box"]) if self.request.GET.get("box") else None
        except ValueError:
            context["shown_box"] = None
        initial = context["shown_box"] or Box(0.25, 0.25, 0.5, 0.5)
        context["detail_initial"] = {key: round(value, 1) for key, value in initial.percentages().items()}
        return context


def artwork_detail_search(request: HttpRequest, pk: int) -> HttpResponse:
    """The artwork page's detail form (x, y, w, h in percent) as a detail search: a redirect to its search URL.

    The search page checks the box and explains a wrong one."""
    artwork = get_object_or_404(Artwork.objects.published(), pk=pk)
    values = [request.GET.get(name, "").strip() for name in ("x", "y", "w", "h")]
    try:
        box = ",".join(f"{float(value) / 100:.4f}" for value in values)
    except ValueError:
        box = ",".join(values)
    return redirect(f"{reverse('gallery:search')}?{urlencode({'artwork': artwork.pk, 'box': box})}")


class ArtistListView(ListView):
    template_name = "gallery/artist_list.html"

    def get_queryset(self):
        portrait = Artwork.objects.published().filter(artist=OuterRef("pk")).exclude(thumbnail="").order_by("pk")
        # Artists with published works only: an artist known only from drafts is not public yet. Their first work
        # stands for them in the grid, with its title (the alt text) and shape (the tile's width).
        return (Artist.objects.annotate(artwork_count=Count("artworks", filter=Q(artworks__published=True)),
                                        portrait=Subquery(portrait.values("thumbnail")[:1]),
                                        portrait_title=Subquery(portrait.values("title")[:1]),
                                        portrait_width=Subquery(portrait.values("width")[:1]),
                                        portrait_height=Subquery(portrait.values("height")[:1]))
                .filter(artwork_count__gt=0))


class ArtistDetailView(DetailView):
    """An artist and their published works, paged like the gallery grid."""

    queryset = Artist.objects.filter(artworks__published=True).distinct()
    template_name = "gallery/artist_detail.html"

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # The page of an artist merged into another (gallery.services.artist_merge) leads to that one's.
            if (artist := artist_merge.artist_by_alias(slug=kwargs.get("slug", ""))) is None:
                raise
            return redirect(artist.get_absolute_url(), permanent=True)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        works = (self.object.artworks.published().select_related("artist").defer("embedding", "search_document")
                 .order_by("title", "pk"))
        paginator = Paginator(works, settings.GALLERY_PAGE_SIZE)
        page_obj = paginator.get_page(self.request.GET.get("page"))
        context.update(artworks=page_obj.object_list, page_obj=page_obj, paginator=paginator,
                       is_paginated=page_obj.has_other_pages(),
                       aliases=list(self.object.aliases.values_list("name", flat=True)))  # the names merged into it
        return context


def _collection_state(model_id: str) -> dict:
    """Why a search may have nothing to show: no artworks at all, or none embedded by the active model yet."""
    return {"artwork_total": Artwork.objects.published().count(),
            "searchable_total": Artwork.objects.searchable(model_id).count()}


@limit(group="search", rate_setting="GALLERY_RATE_LIMIT_SEARCH")
def search(request: HttpRequest) -> HttpResponse:
    """The search page: GET for descriptions (shareable URLs), POST for pictures (CSRF-protected)."""
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "POST" and "image" not in request.FILES and data.get("q"):
        # A description alone becomes a shareable GET permalink (and the CSRF token stays out of the URL).
        return redirect(f"{reverse('gallery:search')}?{_page_query(data)}", permanent=False)
    form = SearchForm(data, request.FILES or None)
    context: dict = {"form": form}
    has_query = any(data.get(name) for name in ("q", "qid", "artwork")) or "image" in request.FILES
    if not has_query:
        if request.method == "POST":
            form.is_valid()
            form.add_error(None, _("Describe what you are looking for, or upload a picture."))
            return render(request, "gallery/search.html", context, status=400)
        return render(request, "gallery/search.html", {"form": SearchForm()})
    if not form.is_valid():
        return render(request, "gallery/search.html", context, status=400)
    cleaned = form.cleaned_data
    try:
        result = search_service.search_page(query=form.search_query(image_label=_upload_name(request)),
                                            k=cleaned["k"], page=cleaned["page"], options=form.result_options())
    except (EmptyQuery, search_service.QueryExpired) as exc:
        form.add_error(None, str(exc))
        return render(request, "gallery/search.html", context, status=400)
    except (WeightsUnavailable, search_service.PictureUnavailable) as exc:
        return render(request, "gallery/search.html", {**context, "unavailable": str(exc)}, status=503)
    results.attach_more_by_artist(result.hits)
    qid = "" if cleaned.get("artwork") else result.qid  # a stored work's detail is a shareable URL of its own
    context.update(result=result, filters=cleaned["filters"], page_query=_page_query(data, qid),
                   reveal_query=_page_query(data, qid, drop=("close",)), detail_of=cleaned.get("artwork"),
                   detail_box=cleaned.get("box"))
    if result.qid and not cleaned.get("artwork"):  # an uploaded picture: its preview beside the results
        context["query_preview_url"] = reverse("gallery:search-preview", args=[result.qid])
    if request.method == "GET" and not qid:  # a shareable URL: canonical link and Open Graph tags
        page = f"&page={result.page}" if result.page > 1 else ""
        context["share_url"] = request.build_absolute_uri(f"{reverse('gallery:search')}?{_page_query(data)}{page}")
    if not result.hits:
        context.update(_collection_state(get_encoder().model_id))
    return render(request, "gallery/search.html", context)


def search_preview(request: HttpRequest, qid: str) -> HttpResponse:
    """The small preview of the picture of a remembered image search, shown beside its results; 404 once expired."""
    preview = remembered_queries.recall_preview(qid)
    if preview is None:
        raise Http404("This image search has expired.")
    response = HttpResponse(preview, content_type="image/jpeg")
    response["Cache-Control"] = f"private, max-age={remembered_queries.TTL_SECONDS}"
    response["X-Robots-Tag"] = "noindex"
    return response


def _upload_name(request: HttpRequest) -> str:
    upload = request.FILES.get("image")
    return upload.name[:80] if upload else ""


SEARCH_PARAMS = ("q", "k", "image_weight", "artist", "genre", "nationality", "century", "year_from", "year_to",
                 "classification", "department", "institution", "culture", "made_from", "made_to", "open_access",
                 "per_artist", "close", "artwork", "box")


def _page_query(data, qid: str = "", *, names: tuple[str, ...] = SEARCH_PARAMS, drop: tuple[str, ...] = ()) -> str:
    """The query string of a GET link to this search (other pages add `page`), without the parameters in `drop`."""
    params = QueryDict(mutable=True)
    for name in names:
        if name not in drop and data.get(name):
            params[name] = data[name]
    if qid:
        params["qid"] = qid
        params.pop("q", None)  # the remembered vector already includes the description
        params.pop("box", None)  # and the detail of the picture
    return params.urlencode()


@limit(group="similar", rate_setting="GALLERY_RATE_LIMIT_SEARCH")
def artwork_similar(request: HttpRequest, pk: int) -> HttpResponse:
    """"More like this": the works nearest to a stored artwork's vector, paged."""
    artwork = get_object_or_404(Artwork.objects.published().select_related("artist"), pk=pk)
    form = KForm(request.GET)
    if not form.is_valid():
        return render(request, "gallery/similar.html", {"artwork": artwork, "form": form}, status=400)
    try:
        result = search_service.similar_page(artwork=artwork, k=form.cleaned_data["k"],
                                             page=form.cleaned_data["page"], options=form.result_options())
    except WeightsUnavailable as exc:
        return render(request, "gallery/similar.html", {"artwork": artwork, "unavailable": str(exc)}, status=503)
    results.attach_more_by_artist(result.hits)
    data = request.GET.copy()
    data["k"] = str(result.k)
    names = ("k", "per_artist", "close")
    return render(request, "gallery/similar.html", {
        "artwork": artwork, "result": result, "form": form, "page_query": _page_query(data, names=names),
        "reveal_query": _page_query(data, names=names, drop=("close",))})


@staff_member_required
def artwork_upload(request: HttpRequest) -> HttpResponse:
    """Curators add one artwork outside the admin; the worker embeds it after the request commits."""
    form = ArtworkUploadForm(request.POST or None, request.FILES or None)
    twin = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        token = data["pending_upload"]
        image = data["image"] or duplicates.upload_unstash(token)
        try:
            if image is None:
                raise ValidationError(_("The picture kept while you chose has expired: attach it again."))
            outcome = duplicates.artwork_add(artwork=Artwork(artist=data["artist"], title=data["title"]), image=image,
                                             on_duplicate=data["on_duplicate"] or None, twin_pk=data["duplicate_of"])
        except duplicates.NearDuplicateFound as found:  # nothing stored: the curator chooses first
            twin = found.twin
            form.ask_about(twin.pk, token or duplicates.upload_stash(image))
        except ValidationError as exc:
            form.add_error("image", exc.messages)  # full_clean reports a duplicate under image_sha256
        else:
            if token:
                duplicates.upload_forget(token)
            return _upload_done(request, outcome)
    status = 400 if request.method == "POST" else 200
    return render(request, "gallery/artwork_upload.html", {"form": form, "twin": twin}, status=status)


def _upload_done(request: HttpRequest, outcome: duplicates.AddOutcome) -> HttpResponse:
    """Say what an upload did, then show the work it went to (the admin's page for a draft)."""
    artwork, twin = outcome.artwork, outcome.twin
    if outcome.action == "skipped":
        messages.info(request, _("Skipped: nothing was added; the collection keeps “%(artwork)s” as it is.")
                      % {"artwork": artwork})
    elif outcome.action == "replaced":
        messages.success(request, _("“%(title)s” now has the new picture (same record and URL); it becomes "
                                    "searchable again once it is processed.") % {"title": artwork.title})
    else:
        messages.success(request, _("“%(title)s” was added; it becomes searchable once it is processed.")
                         % {"title": artwork.title})
    if outcome.action == "kept":
        messages.warning(request, format_html(_('Both kept: it looks like <a href="{}">{}</a>, already in the '
                                                "collection."), twin.get_absolute_url(), twin))
    if not artwork.published:
        return redirect(reverse("admin:gallery_artwork_change", args=[artwork.pk]))
    return redirect(artwork)
