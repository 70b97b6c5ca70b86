"""Report which CLIP weights this process would embed with; fails when they can't load and fallback is off."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gallery import embeddings


class Command(BaseCommand):
    help = "Load the configured CLIP encoder and print its identity, weights status, precision and any fallback."

    def handle(self, *args: Any, **options: Any) -> None:
        """Build the encoder via get_encoder(); CommandError if weights are missing and fallback is off."""
        verbosity = options["verbosity"]
        if verbosity >= 2:
            for name in ("GALLERY_ENCODER", "CLIP_MODEL", "CLIP_PRETRAINED", "CLIP_ON_MISSING_WEIGHTS", "CLIP_THREADS",
                         "CLIP_QUERY_INT8"):
                self.stdout.write(f"{name}: {getattr(settings, name, '(default)')}")
        started = time.perf_counter()
        try:
            encoder = embeddings.get_encoder()
        except embeddings.WeightsUnavailable as exc:
            hint = "CLIP_ON_MISSING_WEIGHTS='untrained' would start with non-semantic placeholder weights instead."
            raise CommandError(f"{exc} ({hint})") from exc
        load_s = time.perf_counter() - started
        # One search text, as a web process's first search would: builds the int8 text tower if it is on and missing.
        started = time.perf_counter()
        embeddings.encode_query_text("a painting", encoder=encoder)
        query_ms = (time.perf_counter() - started) * 1000
        if verbosity < 1:
            return
        fallback = getattr(encoder, "fallback_reason", None)
        self.stdout.write(f"model_id: {encoder.model_id}")
        self.stdout.write(
            f"pretrained: {'yes' if encoder.is_pretrained else 'NO (untrained, results are not semantic)'}"
        )
        self.stdout.write(f"precision: {getattr(encoder, 'precision', 'n/a')}")
        self.stdout.write(f"search queries: {getattr(encoder, 'query_runtime', 'n/a')}")
        self.stdout.write(f"fallback: {fallback or 'none'}")
        if verbosity >= 2:
            self.stdout.write(f"loaded in {load_s:.1f} s; first search text encoded in {query_ms:.0f} ms")
        if not encoder.is_pretrained:
            self.stdout.write(self.style.WARNING("Untrained weights: similarity search results are not semantic."))
        else:
            self.stdout.write(self.style.SUCCESS("CLIP encoder OK."))
