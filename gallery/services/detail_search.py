"""Searching by a picture's detail: works ranked by their best vector (the whole work or one of its regions), and
the best candidates checked with keypoints, which also say where in the work the detail lies. The candidates are the
works that share most visual words with the picture (gallery/visual_words.py) and the nearest by vector.

Reads only. search.py calls it for every search with a picture: a whole picture is matched as before (its own
vector is nearest to the work's), a detail finds the region or the keypoints it shares with a work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db.models import QuerySet
from pgvector.django import JaccardDistance

from gallery import keypoints, visual_words
from gallery.models import Artwork, ArtworkKeypoints, ArtworkRegion
from gallery.querysets import SearchFilters, nearest_first
from gallery.regions import Box
from gallery.services.index_scan import index_scan_settings

# Region rows read per result wanted: a work's several regions may all be near a query, and each counts once.
REGION_ROWS_PER_RESULT = 3


@dataclass(frozen=True)
class Lead:
    """A work that leads the results, before the vector ranking: a recognised reproduction of the query picture,
    or a work the keypoints confirm the detail comes from (`box`: where)."""

    pk: int
    box: Box | None = None
    in_collection: bool = False
    inliers: int = 0

    def to_json(self) -> dict:
        return {"pk": self.pk, "box": str(self.box) if self.box else None, "in_collection": self.in_collection,
                "inliers": self.inliers}

    @classmethod
    def from_json(cls, value: dict) -> Lead:
        box = Box.parse(value["box"]) if value.get("box") else None
        return cls(pk=int(value["pk"]), box=box, in_collection=bool(value.get("in_collection")),
                   inliers=int(value.get("inliers", 0)))


@dataclass(frozen=True)
class Nearest:
    """A work by its best vector: its similarity to the query and, when a region was nearer than the whole, which."""

    pk: int
    similarity: float
    region: Box | None = None


def _of_searchable_works(rows: QuerySet, model_id: str, filters: SearchFilters,
                         exclude_ids: tuple[int, ...]) -> QuerySet:
    """`rows` (regions or keypoints, each with an `artwork`) of the works a search may return."""
    if filters.active:
        searchable = Artwork.objects.searchable(model_id).matching(filters).exclude(pk__in=exclude_ids)
        return rows.filter(artwork__in=searchable.values("pk"))
    # Unfiltered: the work's state checked row by row through the join, which a strict iterative scan stops early.
    return (rows.filter(artwork__status=Artwork.Status.READY, artwork__embedding_model=model_id,
                        artwork__published=True).exclude(artwork_id__in=exclude_ids))


def _searchable_regions(model_id: str, filters: SearchFilters, exclude_ids: tuple[int, ...]) -> QuerySet:
    """Regions of the works a search may return, embedded by the same model as their work's vector."""
    return _of_searchable_works(ArtworkRegion.objects.filter(embedding_model=model_id), model_id, filters,
                                exclude_ids)


def nearest_works(vector: np.ndarray, *, filters: SearchFilters, model_id: str, offset: int, k: int,
                  exclude_ids: tuple[int, ...] = ()) -> list[Nearest]:
    """The works at ranks offset…offset+k by their best similarity to `vector`, whole work or region.

    Reads the `offset + k` nearest works and `REGION_ROWS_PER_RESULT` times as many nearest regions, both through
    the HNSW indexes (or exactly, for a small collection), and merges them: approximate as the index is.
    """
    depth = offset + k
    works = (Artwork.objects.searchable(model_id).matching(filters).exclude(pk__in=exclude_ids)
             .nearest_to(vector, depth=depth).values_list("pk", "distance"))
    regions = (nearest_first(_searchable_regions(model_id, filters, exclude_ids), vector,
                             depth=depth * REGION_ROWS_PER_RESULT)
               .values_list("artwork_id", "distance", "x", "y", "w", "h"))
    ef_search = max(settings.GALLERY_HNSW_EF_SEARCH, depth * REGION_ROWS_PER_RESULT)
    with index_scan_settings(ef_search=ef_search, model_id=model_id, filters=filters):
        best = {pk: Nearest(pk, 1.0 - distance) for pk, distance in works[:depth]}
        for pk, distance, *box in regions[:depth * REGION_ROWS_PER_RESULT]:
            if pk not in best or 1.0 - distance > best[pk].similarity:
                region = Box(*box)
                # The letterboxed whole work is a region with nothing to point at.
                best[pk] = Nearest(pk, 1.0 - distance, None if region.is_whole else region)
    ranked = sorted(best.values(), key=lambda item: (-item.similarity, item.pk))
    return ranked[offset:depth]


def confirmed_leads(detail: keypoints.Keypoints, candidates: list[int]) -> list[Lead]:
    """The candidate works whose keypoints confirm they contain `detail`, most matches first, with where it lies."""
    if len(detail) == 0 or not candidates:
        return []
    stored = dict(ArtworkKeypoints.objects.filter(artwork_id__in=candidates).values_list("artwork_id", "data"))
    leads = []
    for pk in candidates:
        if pk not in stored:
            continue
        verification = keypoints.verify(detail, keypoints.Keypoints.from_bytes(bytes(stored[pk])))
        if verification.confirmed:
            leads.append(Lead(pk=pk, box=verification.box, inliers=verification.inliers))
    return sorted(leads, key=lambda lead: -lead.inliers)


def sharing_words(detail: keypoints.Keypoints, *, filters: SearchFilters, model_id: str, k: int,
                  exclude_ids: tuple[int, ...] = ()) -> list[int]:
    """The `k` searchable works whose visual words are nearest the detail's (Jaccard distance, through the HNSW index
    or exactly for a small collection), nearest first. Works whose words another vocabulary named are left out
    until the sweep renames them."""
    if not k or len(detail) == 0:
        return []
    words = visual_words.vocabulary().bit_string(detail.descriptors)
    stored = _of_searchable_works(ArtworkKeypoints.objects.filter(vocabulary=visual_words.vocabulary_id()),
                                  model_id, filters, exclude_ids)
    nearest = stored.annotate(distance=JaccardDistance("words", words)).order_by("distance")
    with index_scan_settings(ef_search=settings.GALLERY_DETAIL_WORDS_EF_SEARCH, model_id=model_id, filters=filters):
        return list(nearest.values_list("artwork_id", flat=True)[:k])


def detail_leads(vector: np.ndarray, detail: keypoints.Keypoints | None, *, filters: SearchFilters, model_id: str,
                 exclude_ids: tuple[int, ...] = ()) -> list[Lead]:
    """Keypoint-confirmed works among the candidates of a picture: the GALLERY_DETAIL_WORDS_SHORTLIST works that
    share most visual words with it, and the GALLERY_DETAIL_SHORTLIST nearest by vector (none without keypoints)."""
    if detail is None:
        return []
    by_words = sharing_words(detail, filters=filters, model_id=model_id, k=settings.GALLERY_DETAIL_WORDS_SHORTLIST,
                             exclude_ids=exclude_ids)
    by_vector = [] if not settings.GALLERY_DETAIL_SHORTLIST else [
        item.pk for item in nearest_works(vector, filters=filters, model_id=model_id, offset=0,
                                          k=settings.GALLERY_DETAIL_SHORTLIST, exclude_ids=exclude_ids)]
    return confirmed_leads(detail, list(dict.fromkeys(by_words + by_vector)))
