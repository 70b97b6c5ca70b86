"""Report which CLIP weights this process would embed with; fails when they can't load and fallback is off."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gallery import clip
from gallery.clip.config import SETTING_NAMES


class Command(BaseCommand):
    help = "Load the configured CLIP encoder and print its identity, weights status, precision and any fallback."

    def handle(self, *args: Any, **options: Any) -> None:
        """Build the encoder via get_encoder(); CommandError if weights are missing and fallback is off."""
        verbosity = options["verbosity"]
        if verbosity >= 2:
            for name in ("GALLERY_ENCODER", *SETTING_NAMES.values()):
                self.stdout.write(f"{name}: {getattr(settings, name, '(default)')}")
        started = time.perf_counter()
        try:
            encoder = clip.get_encoder()
        except clip.WeightsUnavailable as exc:
            hint = "CLIP_ON_MISSING_WEIGHTS='untrained' would start with non-semantic placeholder weights instead."
            raise CommandError(f"{exc} ({hint})") from exc
        load_s = time.perf_counter() - started
        # One search text, as a web process's first search would: builds the int8 text tower if it is on and missing.
        started = time.perf_counter()
        clip.encode_query_text("a painting", encoder=encoder)
        query_ms = (time.perf_counter() - started) * 1000
        if verbosity < 1:
            return
        self.stdout.write(f"model_id: {encoder.model_id}")
        self.stdout.write(
            f"pretrained: {'yes' if encoder.is_pretrained else 'NO (untrained, results are not semantic)'}"
        )
        self.stdout.write(f"precision: {encoder.precision}")
        self.stdout.write(f"search queries: {encoder.query_runtime}")
        self.stdout.write(f"fallback: {encoder.fallback_reason or 'none'}")
        if verbosity >= 2:
            self.stdout.write(f"loaded in {load_s:.1f} s; first search text encoded in {query_ms:.0f} ms")
        if not encoder.is_pretrained:
            self.stdout.write(self.style.WARNING("Untrained weights: similarity search results are not semantic."))
        else:
            self.stdout.write(self.style.SUCCESS("CLIP encoder OK."))
