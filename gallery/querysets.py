"""Reusable artwork filters and the vector query. They build SQL; none has side effects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from pgvector.django import CosineDistance

if TYPE_CHECKING:
    from gallery.models import Artist


@dataclass(frozen=True)
class SearchFilters:
    """What a visitor narrowed a search to; ArtworkQuerySet.matching() applies it."""

    artist: Artist | None = None
    genre: str = ""
    nationality: str = ""
    year_from: int | None = None
    year_to: int | None = None

    @property
    def active(self) -> bool:
        return any([self.artist, self.genre, self.nationality, self.year_from is not None, self.year_to is not None])


class ArtworkQuerySet(models.QuerySet):
    def ready(self) -> ArtworkQuerySet:
        return self.filter(status="ready")

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
            queryset = queryset.filter(Q(artist__death_year__gte=filters.year_from) | Q(artist__death_year__isnull=True))
        if filters.year_to is not None:
            queryset = queryset.filter(Q(artist__birth_year__lte=filters.year_to) | Q(artist__birth_year__isnull=True))
        return queryset

    def nearest_to(self, vector: Sequence[float]) -> ArtworkQuerySet:
        """Closest first. Callers slice it: ORDER BY distance + LIMIT is what uses the HNSW index."""
        distance = CosineDistance("embedding", vector)
        return self.filter(embedding__isnull=False).annotate(distance=distance).order_by(distance)
