"""Searches: pages of the artworks nearest to a query vector, for descriptions, pictures and "more like this".

Reads only. The pieces live beside it: query_parsing (text and picture to a vector), keywords (words), index_scan (how
PostgreSQL scans), recognition (known works), results (hits and pages), remembered_queries (paging image searches),
facets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import QuerySet
from pgvector.django import CosineDistance

from gallery import images
from gallery.clip import BaseEncoder, get_encoder
from gallery.models import Artwork
from gallery.querysets import SearchFilters
from gallery.services import keywords, remembered_queries
from gallery.services.index_scan import index_scan_settings
from gallery.services.query_parsing import query_vector, split_negation
from gallery.services.recognition import artwork_in_collection
from gallery.services.results import SearchHit, SearchPage

DEFAULT_K, MAX_K = 12, 48  # results per page: the default and the most a visitor may ask for
MAX_RESULTS_DEPTH = 480  # pages beyond this are not offered: ef_search has to cover offset + k

# What a result card and the JSON API show of a hit; the 512-float vector and the bookkeeping columns are skipped.
HIT_FIELDS = ("title", "image", "thumbnail", "width", "height", "accession_number", "date", "year_start", "year_end",
              "medium", "dimensions", "classification", "department", "credit_line", "rights", "rights_url",
              "source_url", "artist_id", "artist__name", "artist__slug", "artist__sort_name", "artist__bio_line",
              "artist__birth_year", "artist__death_year", "artist__genres", "artist__nationality", "artist__bio",
              "artist__wikipedia_url")


class QueryExpired(ValueError):
    """A paged image search whose stored query is gone (expired, or made with another model)."""


@dataclass(frozen=True)
class SearchQuery:
    """What a visitor asked for: a description and/or a picture with filters, or a remembered image query (`qid`)."""

    text: str = ""
    image: images.CheckedImage | None = None
    image_label: str = ""  # the uploaded file's name, for the page's heading
    image_weight: float = 0.5
    filters: SearchFilters = field(default_factory=SearchFilters)
    qid: str = ""

    @property
    def remembered(self) -> bool:
        return bool(self.qid) and not self.text and self.image is None


@dataclass(frozen=True)
class _ResolvedQuery:
    vector: np.ndarray
    label: str
    exact_match: Artwork | None = None
    qid: str = ""


def nearest_queryset(vector: np.ndarray, *, filters: SearchFilters, model_id: str,
                     exclude_ids: tuple[int, ...] = ()) -> QuerySet:
    """The rows of a search, nearest first, with what a result shows of them; slice it for a page."""
    queryset = Artwork.objects.searchable(model_id).matching(filters).exclude(pk__in=exclude_ids)
    return queryset.nearest_to(vector).select_related("artist").only(*HIT_FIELDS)


def _nearest(vector: np.ndarray, *, filters: SearchFilters, offset: int, k: int, model_id: str,
             exclude_ids: tuple[int, ...] = ()) -> list[SearchHit]:
    queryset = nearest_queryset(vector, filters=filters, model_id=model_id, exclude_ids=exclude_ids)
    ef_search = max(settings.GALLERY_HNSW_EF_SEARCH, offset + k)
    with index_scan_settings(ef_search=ef_search, model_id=model_id, filters=filters):
        rows = list(queryset[offset:offset + k])
    return [SearchHit(artwork=row, similarity=1.0 - row.distance) for row in rows]


def artwork_search(*, vector: np.ndarray, k: int, offset: int = 0, filters: SearchFilters = SearchFilters(),
                   exact_match: Artwork | None = None, model_id: str | None = None) -> list[SearchHit]:
    """The k nearest artworks after `offset`, best first; a recognised `exact_match` leads the first page."""
    model_id = model_id or get_encoder().model_id
    exclude = (exact_match.pk,) if exact_match is not None else ()
    if exact_match is not None and offset == 0:
        hits = [SearchHit(artwork=exact_match, similarity=_similarity(vector, exact_match), in_collection=True)]
        hits += _nearest(vector, filters=filters, offset=0, k=k - 1, model_id=model_id, exclude_ids=exclude)
    else:
        # Later pages shift by one: the recognised work took a slot on the first page.
        shifted = offset - 1 if exact_match is not None else offset
        hits = _nearest(vector, filters=filters, offset=shifted, k=k, model_id=model_id, exclude_ids=exclude)
    return hits


def artwork_similar_to(*, artwork: Artwork, k: int, offset: int = 0, filters: SearchFilters = SearchFilters()
                       ) -> list[SearchHit]:
    """Works nearest to a stored artwork's own vector, excluding itself. Empty when it has no current vector."""
    model_id = get_encoder().model_id
    if artwork.embedding is None or artwork.embedding_model != model_id:
        return []
    vector = np.asarray(artwork.embedding, dtype=np.float32)
    return _nearest(vector, filters=filters, offset=offset, k=k, model_id=model_id, exclude_ids=(artwork.pk,))


def text_search(*, text: str, vector: np.ndarray, k: int, offset: int = 0, filters: SearchFilters = SearchFilters(),
                model_id: str | None = None) -> list[SearchHit]:
    """Words and looks together, for a description typed alone: an exact accession number first, then the keyword
    matches in their groups (keywords.KeywordMatch.group: whole title, artist, title words, other fields), then
    visual matches only. Within each group, keyword and visual ranks are fused (reciprocal
    rank fusion), so a work that matches both rises; a description no keyword matches gets the visual ranking."""
    model_id = model_id or get_encoder().model_id
    searchable = Artwork.objects.searchable(model_id).matching(filters)
    depth = min(offset + k, MAX_RESULTS_DEPTH + 1)
    positive_text, _ = split_negation(text)
    accession = keywords.accession_match(positive_text, queryset=searchable)
    matches = {match.pk: match for match in keywords.keyword_matches(positive_text, queryset=searchable)}
    visual = _nearest(vector, filters=filters, offset=0, k=depth, model_id=model_id)
    if accession is None and not matches:
        return visual[offset:offset + k]
    fused = keywords.reciprocal_rank_fusion(list(matches), [hit.artwork.pk for hit in visual])

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


def _similarity(vector: np.ndarray, artwork: Artwork) -> float:
    return float(np.dot(vector, np.asarray(artwork.embedding, dtype=np.float32)))


def _paged(fetch: Callable[[int, int], list[SearchHit]], *, k: int, page: int, qid: str = "",
           label: str = "") -> SearchPage:
    """One page of `fetch(offset, count)`, with whether a next page exists (never beyond MAX_RESULTS_DEPTH)."""
    offset = (page - 1) * k
    if offset >= MAX_RESULTS_DEPTH:
        return SearchPage(hits=[], page=page, k=k, has_next=False, qid=qid, query_label=label)
    hits = fetch(offset, k + 1)  # one extra row tells whether a next page exists, without counting the collection
    has_next = len(hits) > k and offset + k < MAX_RESULTS_DEPTH
    return SearchPage(hits=hits[:k], page=page, k=k, has_next=has_next, qid=qid, query_label=label)


def _recall(qid: str, encoder: BaseEncoder) -> _ResolvedQuery:
    """A remembered image query, or QueryExpired."""
    remembered = remembered_queries.recall(qid)
    if remembered is None or remembered.model_id != encoder.model_id:
        raise QueryExpired("This image search has expired; upload the picture again.")
    exact_match = None
    if remembered.exact_match_pk is not None:
        exact_match = Artwork.objects.select_related("artist").filter(pk=remembered.exact_match_pk).first()
    return _ResolvedQuery(vector=remembered.vector, label=remembered.label, exact_match=exact_match, qid=qid)


def _resolve(query: SearchQuery, encoder: BaseEncoder) -> _ResolvedQuery:
    """A fresh query's vector; a picture is also looked up among the known works and remembered for paging."""
    image = query.image.image if query.image is not None else None
    vector = query_vector(text=query.text, image=image, image_weight=query.image_weight, encoder=encoder)
    picture = f"“{query.image_label or 'your picture'}”" if image is not None else ""
    label = " + ".join(part for part in (picture, query.text) if part)
    if image is None:
        return _ResolvedQuery(vector=vector, label=label)
    exact_match = artwork_in_collection(image, model_id=encoder.model_id, filters=query.filters)
    qid = remembered_queries.remember(remembered_queries.RememberedQuery(
        vector=vector, exact_match_pk=exact_match.pk if exact_match else None, label=label, model_id=encoder.model_id))
    return _ResolvedQuery(vector=vector, label=label, exact_match=exact_match, qid=qid)


def search_page(*, query: SearchQuery, k: int = DEFAULT_K, page: int = 1) -> SearchPage:
    """One page of results for a description and/or picture, or for a remembered image query."""
    encoder = get_encoder()
    resolved = _recall(query.qid, encoder) if query.remembered else _resolve(query, encoder)
    if query.text and query.image is None and not query.remembered:
        return _paged(lambda offset, count: text_search(
            text=query.text, vector=resolved.vector, k=count, offset=offset, filters=query.filters,
            model_id=encoder.model_id), k=k, page=page, label=resolved.label)
    return _paged(lambda offset, count: artwork_search(
        vector=resolved.vector, k=count, offset=offset, filters=query.filters, exact_match=resolved.exact_match,
        model_id=encoder.model_id), k=k, page=page, qid=resolved.qid, label=resolved.label)


def similar_page(*, artwork: Artwork, k: int = DEFAULT_K, page: int = 1,
                 filters: SearchFilters = SearchFilters()) -> SearchPage:
    """One page of "more like this" for a stored artwork (the page and the API both serve this)."""
    return _paged(lambda offset, count: artwork_similar_to(artwork=artwork, k=count, offset=offset, filters=filters),
                  k=k, page=page, label=f"works like “{artwork.title}”")
