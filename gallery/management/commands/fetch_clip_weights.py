"""Download the configured open_clip weights into the local cache, for machines that will later run offline."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gallery.clip import ClipConfig, WeightsUnavailable
from gallery.clip.weights import fetch_weights, weights_source


class Command(BaseCommand):
    help = "Download the CLIP weights named by CLIP_MODEL / CLIP_PRETRAINED (or --model / --pretrained) into the cache."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", help="open_clip architecture; defaults to settings.CLIP_MODEL")
        parser.add_argument("--pretrained", help="open_clip pretrained tag; defaults to settings.CLIP_PRETRAINED")

    def handle(self, *args: Any, **options: Any) -> None:
        """Fetch the tag's checkpoint (idempotent: a cached copy is reused) and print its local path."""
        config = ClipConfig.from_settings()
        model_name = options["model"] or config.model_name
        pretrained = options["pretrained"] or config.pretrained
        source = weights_source(model_name, pretrained)
        if source == "untrained":
            raise CommandError("CLIP_PRETRAINED is 'untrained': there is nothing to fetch. Pass --pretrained TAG.")
        if source == "file":
            raise CommandError(
                f"CLIP_PRETRAINED={pretrained!r} is a local checkpoint path: there is nothing to fetch. "
                "Copy the file there, or pass --pretrained TAG."
            )
        if options["verbosity"] >= 1:
            self.stdout.write(f"Fetching {model_name}/{pretrained} ...")
        try:
            path = fetch_weights(model_name, pretrained)
        except WeightsUnavailable as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"Weights for {model_name}/{pretrained} cached at {path}"))
