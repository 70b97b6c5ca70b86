"""Searches: pages of the artworks nearest to a query vector, for descriptions, pictures and "more like this".

Reads only. The pieces live beside it: query_parsing (text and picture to a vector), keywords (words), detail_search
(regions and keypoints, for pictures), index_scan (how PostgreSQL scans), recognition (known works), results (hits and
pages), result_options (per artist, close matches), remembered_queries (paging image searches), facets.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext
from pgvector.django import CosineDistance
from PIL import Image

from gallery import images, keypoints, metrics, regions
from gallery.clip import BaseEncoder, get_encoder
from gallery.models import Artwork
from gallery.querysets import SearchFilters
from gallery.regions import Box
from gallery.services import detail_search, ingest, keywords, remembered_queries, result_options
from gallery.services.detail_search import Lead
from gallery.services.index_scan import index_scan_settings
from gallery.services.query_parsing import query_vector, split_negation
from gallery.services.recognition import artwork_in_collection
from gallery.services.result_options import ResultOptions
from gallery.services.results import SearchHit, SearchPage

DEFAULT_K, MAX_K = 12, 48  # results per page: the default and the most a visitor may ask for
MAX_RESULTS_DEPTH = 480  # pages beyond this are not offered: ef_search has to cover offset + k

# A description is encoded here while the request's thread reads its words from PostgreSQL: the encoder (ONNX
# Runtime, torch) and psycopg waiting on the server both release the GIL, so the two overlap. Idle threads cost
# nothing; as many as a server's request threads, so that queries arriving together still share a forward pass.
_DESCRIPTION_ENCODING: ThreadPoolExecutor


def _new_description_encoding() -> None:
    global _DESCRIPTION_ENCODING
    _DESCRIPTION_ENCODING = ThreadPoolExecutor(max_workers=8, thread_name_prefix="description-encoding")


_new_description_encoding()
# A forked process (a server's worker) has none of its parent's threads, but an inherited pool would count them
# as idle and hand them its work: each process gets a pool of its own.
os.register_at_fork(after_in_child=_new_description_encoding)

# What a result card and the JSON API show of a hit; the 512-float vector and the bookkeeping columns are skipped.
HIT_FIELDS = ("title", "artist_qualifier", "image", "thumbnail", "width", "height", "accession_number", "date",
              "year_start", "year_end", "culture", "period", "medium", "dimensions", "classification", "department",
              "institution", "credit_line", "rights", "rights_url", "source_url", "artist_id", "artist__name",
              "artist__slug", "artist__sort_name", "artist__bio_line", "artist__birth_year", "artist__death_year",
              "artist__genres", "artist__nationality", "artist__bio", "artist__wikipedia_url", "artist__updated_at")


class QueryExpired(ValueError):
    """A paged image search whose stored query is gone (expired, or made with another model)."""


class PictureUnavailable(ValueError):
    """The stored picture a detail search was asked about cannot be read (storage down, file missing)."""


@dataclass(frozen=True)
class SearchQuery:
    """What a visitor asked for: a description and/or a picture with filters, or a remembered image query (`qid`)."""

    text: str = ""
    image: images.CheckedImage | None = None
    image_label: str = ""  # the uploaded file's name, for the page's heading
    image_weight: float = 0.5
    filters: SearchFilters = field(default_factory=SearchFilters)
    qid: str = ""
    box: Box | None = None  # search the picture's detail inside this box (of the upload, or of `artwork`)
    artwork: Artwork | None = None  # a stored work whose detail (`box`) is the picture searched for

    @property
    def remembered(self) -> bool:
        return bool(self.qid) and not self.text and self.image is None and self.artwork is None

    @property
    def kind(self) -> str:
        """Its kind for the latency histogram (gallery/metrics.py): a detail, a picture (a remembered one too), text."""
        if self.box is not None:
            return "detail"
        return "image" if self.image is not None or self.artwork is not None or self.remembered else "text"


@dataclass(frozen=True)
class _ResolvedQuery:
    vector: np.ndarray
    label: str
    leads: tuple[Lead, ...] = ()  # works before the vector ranking: a recognised reproduction, confirmed details
    qid: str = ""
    has_picture: bool = False  # a picture's search also compares regions of the works
    exclude_ids: tuple[int, ...] = ()  # the stored work a detail was taken from


def nearest_queryset(vector: np.ndarray, *, filters: SearchFilters, model_id: str, depth: int,
                     exclude_ids: tuple[int, ...] = ()) -> QuerySet:
    """The rows of a search, nearest first, with what a result shows of them; slice up to `depth` rows of it."""
    queryset = Artwork.objects.searchable(model_id).matching(filters).exclude(pk__in=exclude_ids)
    return queryset.nearest_to(vector, depth=depth).select_related("artist").only(*HIT_FIELDS)


def _nearest(vector: np.ndarray, *, filters: SearchFilters, offset: int, k: int, model_id: str,
             exclude_ids: tuple[int, ...] = ()) -> list[SearchHit]:
    queryset = nearest_queryset(vector, filters=filters, model_id=model_id, depth=offset + k, exclude_ids=exclude_ids)
    rows = _read_nearest(queryset, offset=offset, k=k, filters=filters, model_id=model_id)
    return [SearchHit(artwork=row, similarity=1.0 - row.distance) for row in rows]


def _nearest_pks(vector: np.ndarray, *, filters: SearchFilters, depth: int, model_id: str) -> list[int]:
    """The ids of the `depth` nearest rows, in _nearest's order, without reading the rows themselves."""
    queryset = nearest_queryset(vector, filters=filters, model_id=model_id, depth=depth).values_list("pk", flat=True)
    return _read_nearest(queryset, offset=0, k=depth, filters=filters, model_id=model_id)


def _read_nearest(queryset: QuerySet, *, offset: int, k: int, filters: SearchFilters, model_id: str) -> list:
    """Items offset..offset+k of a nearest-first queryset, read with the index scan settings that depth needs."""
    with index_scan_settings(ef_search=max(settings.GALLERY_HNSW_EF_SEARCH, offset + k), model_id=model_id,
                             filters=filters):
        return list(queryset[offset:offset + k])


def artwork_search(*, vector: np.ndarray, k: int, offset: int = 0, filters: SearchFilters = SearchFilters(),
                   leads: Sequence[Lead] = (), model_id: str | None = None, regions: bool = False,
                   exclude_ids: tuple[int, ...] = ()) -> list[SearchHit]:
    """The k nearest artworks after `offset`, best first, after the `leads` (a recognised reproduction, works a
    detail was found in). With `regions`, a work ranks by its best vector, the whole work's or a region's."""
    model_id = model_id or get_encoder().model_id
    lead_ids = tuple(lead.pk for lead in leads)
    exclude = exclude_ids + lead_ids
    page_leads = list(leads[offset:offset + k])
    rest_offset, rest_k = max(0, offset - len(leads)), k - len(page_leads)
    if not regions:
        rest = _nearest(vector, filters=filters, offset=rest_offset, k=rest_k, model_id=model_id,
                        exclude_ids=exclude) if rest_k else []
        if not page_leads:
            return rest
        nearest = [detail_search.Nearest(hit.artwork.pk, hit.similarity) for hit in rest]
    else:
        nearest = detail_search.nearest_works(vector, filters=filters, model_id=model_id, offset=rest_offset,
                                              k=rest_k, exclude_ids=exclude) if rest_k else []
    return _hits(vector, page_leads, nearest)


def _hits(vector: np.ndarray, leads: list[Lead], nearest: list[detail_search.Nearest]) -> list[SearchHit]:
    """Result rows for the leads, then the nearest works, in that order (one query)."""
    pks = [lead.pk for lead in leads] + [item.pk for item in nearest]
    rows = {row.pk: row for row in Artwork.objects.filter(pk__in=pks).select_related("artist").only(*HIT_FIELDS)
            .annotate(distance=CosineDistance("embedding", vector))}
    hits = []
    for lead in leads:
        if (row := rows.get(lead.pk)) is not None:
            reasons = ("visual similarity",) if lead.in_collection else ("detail (matching keypoints)",)
            hits.append(SearchHit(artwork=row, similarity=1.0 - row.distance, in_collection=lead.in_collection,
                                  reasons=reasons, box=lead.box))
    for item in nearest:
        if (row := rows.get(item.pk)) is not None:
            reasons = ("visual similarity (a region)",) if item.region is not None else ("visual similarity",)
            hits.append(SearchHit(artwork=row, similarity=item.similarity, reasons=reasons, box=item.region))
    return hits


def artwork_similar_to(*, artwork: Artwork, k: int, offset: int = 0, filters: SearchFilters = SearchFilters()
                       ) -> list[SearchHit]:
    """Works nearest to a stored artwork's own vector, excluding itself. Empty when it has no current vector."""
    model_id = get_encoder().model_id
    if artwork.embedding is None or artwork.embedding_model != model_id:
        return []
    vector = np.asarray(artwork.embedding, dtype=np.float32)
    return _nearest(vector, filters=filters, offset=offset, k=k, model_id=model_id, exclude_ids=(artwork.pk,))


def text_search(*, text: str, vector: np.ndarray | Future[np.ndarray], k: int, offset: int = 0,
                filters: SearchFilters = SearchFilters(), model_id: str | None = None) -> list[SearchHit]:
    """Words and looks together, for a description typed alone: an exact accession number first, then the keyword
    matches in their groups (keywords.KeywordMatch.group: whole title, artist, title words, other fields), then
    visual matches only. Within each group, keyword and visual ranks are fused (reciprocal
    rank fusion), so a work that matches both rises; a description no keyword matches gets the visual ranking.
    Words that too many works have ("painting" in a large collection) are matched among the visual neighbours
    only (as deep as ef_search reads anyway): the looks choose among those works, and the words order what the
    looks found. `vector` may still be being encoded (a Future): the words are read meanwhile."""
    model_id = model_id or get_encoder().model_id
    searchable = Artwork.objects.searchable(model_id).matching(filters)
    depth = min(offset + k, MAX_RESULTS_DEPTH + 1)
    positive_text, _ = split_negation(text)
    accession = keywords.accession_match(positive_text, queryset=searchable)
    completions = keywords.word_completions(positive_text)
    found = keywords.keyword_matches(positive_text, queryset=searchable, completions=completions)
    if isinstance(vector, Future):
        vector = vector.result()
    if accession is None and found == []:
        return _nearest(vector, filters=filters, offset=offset, k=max(0, depth - offset), model_id=model_id)
    # Only the visual ranking's order is fused: the page's rows are read once, below, in the fused order.
    looks = _nearest_pks(vector, filters=filters, depth=_neighbourhood(depth), model_id=model_id)
    if found is None:  # more works have the words than they can rank: they rank the visual neighbours instead
        found = keywords.keyword_matches(positive_text, queryset=searchable.filter(pk__in=looks), limit=len(looks),
                                         completions=completions)
    matches = {match.pk: match for match in found}
    fused = keywords.reciprocal_rank_fusion(list(matches), looks)

    def group(pk: int) -> int:
        if pk == accession:
            return 0
        match = matches.get(pk)
        return match.group if match is not None else 6

    order = sorted({*fused, *([accession] if accession is not None else [])},
                   key=lambda pk: (group(pk), -fused.get(pk, 0.0), pk))[offset:offset + k]
    rows = {row.pk: row for row in Artwork.objects.filter(pk__in=order).select_related("artist").only(*HIT_FIELDS)
            .annotate(distance=CosineDistance("embedding", vector))}
    reasons = {0: ("accession number",), 6: ("visual similarity",)}
    return [SearchHit(artwork=rows[pk], similarity=1.0 - rows[pk].distance,
                      reasons=reasons.get(group(pk)) or matches[pk].reasons) for pk in order if pk in rows]


def _neighbourhood(depth: int) -> int:
    """How deep the visual ranking that words are fused with (or, words too many works have, matched among) is read,
    for a page ending at `depth`: what ef_search reads anyway, or for later pages every result offered. One depth for
    the first pages and one for the rest, so that pages continue one another within each: read as deep as each page,
    a keyword match's visual rank counted on one page and not on the one before, and it moved across pages."""
    ef_search = settings.GALLERY_HNSW_EF_SEARCH
    return ef_search if depth <= ef_search else max(ef_search, MAX_RESULTS_DEPTH + 1)


def _paged(fetch: Callable[[int, int], list[SearchHit]], *, k: int, page: int, qid: str = "",
           label: str = "", options: ResultOptions = ResultOptions(),
           count: Callable[[], int] | None = None) -> SearchPage:
    """One page of `fetch(offset, count)`, with whether a next page exists (never beyond MAX_RESULTS_DEPTH).

    With result options the page is cut from the shaped list read from the top (result_options.shape), so pages
    continue one another; `count()` (the results without the options, up to MAX_RESULTS_DEPTH) tells how many the
    close-match cut hid beyond the candidates read."""
    offset = (page - 1) * k
    if offset >= MAX_RESULTS_DEPTH:
        return SearchPage(hits=[], page=page, k=k, has_next=False, qid=qid, query_label=label, options=options)
    hidden = None
    if options.active:
        shaped = result_options.shape(lambda depth: fetch(0, depth), want=offset + k + 1, options=options)
        hits = shaped.hits[offset:offset + k + 1]
        if options.close:
            total = shaped.candidates if shaped.read_all or count is None else count()
            hidden = max(0, min(total, MAX_RESULTS_DEPTH) - (shaped.candidates - shaped.cut))
    else:
        hits = fetch(offset, k + 1)  # one extra row tells whether a next page exists, without counting the collection
    has_next = len(hits) > k and offset + k < MAX_RESULTS_DEPTH
    return SearchPage(hits=hits[:k], page=page, k=k, has_next=has_next, qid=qid, query_label=label, options=options,
                      hidden=hidden)


def _result_count(*, filters: SearchFilters, model_id: str, exclude_ids: tuple[int, ...] = ()) -> int:
    """How many works a search can return, counted no further than MAX_RESULTS_DEPTH (the results offered)."""
    queryset = Artwork.objects.searchable(model_id).matching(filters).exclude(pk__in=exclude_ids)
    return queryset[:MAX_RESULTS_DEPTH].count()


def _recall(qid: str, encoder: BaseEncoder) -> _ResolvedQuery:
    """A remembered image query, or QueryExpired."""
    remembered = remembered_queries.recall(qid)
    if remembered is None or remembered.model_id != encoder.model_id:
        raise QueryExpired(gettext("This image search has expired; upload the picture again."))
    return _ResolvedQuery(vector=remembered.vector, label=remembered.label, qid=qid, has_picture=True,
                          leads=tuple(detail_search.Lead.from_json(lead) for lead in remembered.leads),
                          exclude_ids=remembered.exclude_ids)


def _picture(query: SearchQuery) -> Image.Image | None:
    """The picture searched for: the upload, a stored work's working copy, or the detail of either in `box`."""
    if query.artwork is not None:
        picture = _stored_picture(query.artwork)
    elif query.image is not None:
        picture = query.image.image
    else:
        return None
    return regions.crop(picture, query.box) if query.box is not None else picture


def _stored_picture(artwork: Artwork) -> Image.Image:
    """A stored work's working copy, or PictureUnavailable."""
    try:
        return ingest.artwork_working_copy(artwork)  # ValueError when damaged, OSError when unreadable
    except (OSError, ValueError) as exc:
        raise PictureUnavailable(gettext("The picture of “%(title)s” cannot be read just now; try again later.")
                                 % {"title": artwork.title}) from exc


def _resolve(query: SearchQuery, encoder: BaseEncoder) -> _ResolvedQuery:
    """A fresh query's vector; a picture is also looked up among the known works, its detail checked with keypoints
    among the nearest, and the query remembered for paging."""
    image = _picture(query)
    vector = query_vector(text=query.text, image=image, image_weight=query.image_weight, encoder=encoder)
    label = _label(query)
    if image is None:
        return _ResolvedQuery(vector=vector, label=label)
    exclude = (query.artwork.pk,) if query.artwork is not None else ()
    leads: list[Lead] = []
    if query.artwork is None and (known := artwork_in_collection(image, model_id=encoder.model_id,
                                                                 filters=query.filters)) is not None:
        leads.append(Lead(pk=known.pk, in_collection=True))
    features = keypoints.extract(image, features=keypoints.QUERY_FEATURES) if settings.GALLERY_KEYPOINTS else None
    leads += [lead for lead in detail_search.detail_leads(vector, features, filters=query.filters,
                                                          model_id=encoder.model_id, exclude_ids=exclude)
              if lead.pk not in {known.pk for known in leads}]
    # An upload's preview is kept with the query, for the results page; a stored work shows its own thumbnail.
    preview = remembered_queries.make_preview(image) if query.artwork is None else b""
    qid = remembered_queries.remember(remembered_queries.RememberedQuery(
        vector=vector, leads=[lead.to_json() for lead in leads], label=label, model_id=encoder.model_id,
        exclude_ids=exclude, preview=preview))
    return _ResolvedQuery(vector=vector, label=label, leads=tuple(leads), qid=qid, has_picture=True,
                          exclude_ids=exclude)


def _label(query: SearchQuery) -> str:
    """What was searched for, in words, for the page's heading."""
    if query.artwork is not None:
        picture = f"a detail of “{query.artwork.title}”" if query.box else f"“{query.artwork.title}”"
    elif query.image is not None:
        picture = f"“{query.image_label or 'your picture'}”" + (" (a detail)" if query.box else "")
    else:
        picture = ""
    return " + ".join(part for part in (picture, query.text) if part)


def _encode_description(text: str, encoder: BaseEncoder, language: str | None) -> np.ndarray:
    """query_vector for a description, in the visitor's language (its errors are shown to them)."""
    with translation.override(language):
        return query_vector(text=text, encoder=encoder)


@metrics.timed_search(lambda query, **_: query.kind)
def search_page(*, query: SearchQuery, k: int = DEFAULT_K, page: int = 1,
                options: ResultOptions = ResultOptions()) -> SearchPage:
    """One page of results for a description and/or picture, or for a remembered image query, shaped by `options`."""
    encoder = get_encoder()
    total = functools.partial(_result_count, filters=query.filters, model_id=encoder.model_id)
    if query.text and query.image is None and query.artwork is None and not query.remembered:
        vector = _DESCRIPTION_ENCODING.submit(_encode_description, query.text, encoder, translation.get_language())
        result = _paged(lambda offset, count: text_search(
            text=query.text, vector=vector, k=count, offset=offset, filters=query.filters,
            model_id=encoder.model_id), k=k, page=page, label=_label(query), options=options, count=total)
        vector.result()  # a description that cannot be searched for (EmptyQuery) says so on every page
        return result
    resolved = _recall(query.qid, encoder) if query.remembered else _resolve(query, encoder)
    return _paged(lambda offset, count: artwork_search(
        vector=resolved.vector, k=count, offset=offset, filters=query.filters, leads=resolved.leads,
        model_id=encoder.model_id, regions=resolved.has_picture, exclude_ids=resolved.exclude_ids),
        k=k, page=page, qid=resolved.qid, label=resolved.label, options=options, count=total)


@metrics.timed_search("similar")
def similar_page(*, artwork: Artwork, k: int = DEFAULT_K, page: int = 1, filters: SearchFilters = SearchFilters(),
                 options: ResultOptions = ResultOptions()) -> SearchPage:
    """One page of "more like this" for a stored artwork (the page and the API both serve this), shaped by `options`."""
    total = functools.partial(_result_count, filters=filters, model_id=get_encoder().model_id,
                              exclude_ids=(artwork.pk,))
    return _paged(lambda offset, count: artwork_similar_to(artwork=artwork, k=count, offset=offset, filters=filters),
                  k=k, page=page, label=f"works like “{artwork.title}”", options=options, count=total)
