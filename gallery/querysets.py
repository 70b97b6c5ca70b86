"""Reusable artwork filters and the vector query. They build SQL; none has side effects."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models
from pgvector.django import CosineDistance


class ArtworkQuerySet(models.QuerySet):
    def ready(self) -> ArtworkQuerySet:
        return self.filter(status="ready")

    def awaiting_embedding(self) -> ArtworkQuerySet:
        return self.filter(status__in=["pending", "processing"])

    def embedded_by(self, model_id: str) -> ArtworkQuerySet:
        """Rows whose vector lives in `model_id`'s space; vectors from other models are never compared."""
        return self.filter(status="ready", embedding_model=model_id)

    def nearest_to(self, vector: Sequence[float]) -> ArtworkQuerySet:
        """Closest first. Callers slice it: ORDER BY distance + LIMIT is what uses the HNSW index."""
        distance = CosineDistance("embedding", vector)
        return self.filter(embedding__isnull=False).annotate(distance=distance).order_by(distance)
