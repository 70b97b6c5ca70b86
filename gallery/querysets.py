"""Reusable artwork filters and the vector query. They build SQL; none has side effects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from pgvector.django import CosineDistance

from gallery import vector_index

if TYPE_CHECKING:
    from gallery.models import Artist


@dataclass(frozen=True)
class SearchFilters:
    """What a visitor narrowed a search to; ArtworkQuerySet.matching() applies it."""

    artist: Artist | None = None
    genre: str = ""
    nationality: str = ""
    year_from: int | None = None  # artists alive in the period
    year_to: int | None = None
    classification: str = ""
    department: str = ""
    institution: str = ""  # who holds the work
    culture: str = ""
    made_from: int | None = None  # the artwork's own years overlap [made_from, made_to]
    made_to: int | None = None
    open_access: bool = False  # public domain / CC0 only

    @property
    def active(self) -> bool:
        years = (self.year_from, self.year_to, self.made_from, self.made_to)
        return any([self.artist, self.genre, self.nationality, self.classification, self.department,
                    self.institution, self.culture, self.open_access]) or any(year is not None for year in years)


class ArtworkQuerySet(models.QuerySet):
    def ready(self) -> ArtworkQuerySet:
        return self.filter(status="ready")

    def published(self) -> ArtworkQuerySet:
        """What the public may see: drafts are for curators."""
        return self.filter(published=True)

    def searchable(self, model_id: str) -> ArtworkQuerySet:
        """Published rows with a vector in `model_id`'s space: what searches, counts and "more like this" use."""
        return self.published().embedded_by(model_id)

    def awaiting_embedding(self) -> ArtworkQuerySet:
        return self.filter(status__in=["pending", "processing"])

    def embedded_by(self, model_id: str) -> ArtworkQuerySet:
        """Rows whose vector lives in `model_id`'s space; vectors from other models are never compared."""
        return self.filter(status="ready", embedding_model=model_id)

    def matching(self, filters: SearchFilters) -> ArtworkQuerySet:
        """Rows that pass a search's filters. A period keeps artists whose lifetime overlaps it."""
        queryset = self
        if filters.artist is not None:
            queryset = queryset.filter(artist=filters.artist)
        if filters.genre:
            queryset = queryset.filter(artist__genres__contains=[filters.genre])
        if filters.nationality:
            queryset = queryset.filter(artist__nationality__icontains=filters.nationality)
        if filters.year_from is not None:
            queryset = queryset.filter(Q(artist__death_year__gte=filters.year_from)
                                       | Q(artist__death_year__isnull=True))
        if filters.year_to is not None:
            queryset = queryset.filter(Q(artist__birth_year__lte=filters.year_to) | Q(artist__birth_year__isnull=True))
        if filters.classification:
            queryset = queryset.filter(classification__iexact=filters.classification)
        if filters.department:
            queryset = queryset.filter(department__iexact=filters.department)
        if filters.institution:
            queryset = queryset.filter(institution__iexact=filters.institution)
        if filters.culture:
            queryset = queryset.filter(culture__iexact=filters.culture)
        # A work's own period: its year range overlaps the one asked for; works without dates are left out.
        if filters.made_from is not None:
            queryset = queryset.filter(Q(year_end__gte=filters.made_from)
                                       | Q(year_end__isnull=True, year_start__gte=filters.made_from))
        if filters.made_to is not None:
            queryset = queryset.filter(Q(year_start__lte=filters.made_to)
                                       | Q(year_start__isnull=True, year_end__lte=filters.made_to))
        if filters.open_access:
            queryset = queryset.filter(rights="public-domain")
        return queryset

    def nearest_to(self, vector: Sequence[float], *, depth: int) -> ArtworkQuerySet:
        """Closest first; callers slice at most `depth` rows (see nearest_first)."""
        return nearest_first(self, vector, depth=depth)


def nearest_first(queryset: models.QuerySet, vector: Sequence[float], *, depth: int) -> models.QuerySet:
    """Rows of `queryset` (artworks or regions) with a vector, closest to `vector` first, `distance` annotated.

    Callers slice at most `depth` rows: ORDER BY + LIMIT is what uses the HNSW index of the configured kind
    (gallery/vector_index.py). With "binary", the index's nearest rows by Hamming distance are re-ranked by the full
    vectors' cosine, so `distance` is exact for every kind but halfvec's (half precision).
    """
    kind = vector_index.configured_kind()
    queryset = queryset.filter(embedding__isnull=False)
    if kind != "binary":
        distance = vector_index.index_distance(vector, kind)
        return queryset.annotate(distance=distance).order_by(distance)
    candidates = (queryset.annotate(hamming=vector_index.index_distance(vector, kind)).order_by("hamming")
                  .values("pk")[:vector_index.rerank_depth(depth)])
    return queryset.filter(pk__in=candidates).annotate(distance=CosineDistance("embedding", vector)).order_by("distance")
