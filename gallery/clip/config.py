"""The CLIP settings and their defaults, in one place: settings.py reads the environment with these defaults, and
get_encoder() and the management commands read the settings through ClipConfig.from_settings()."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

DEFAULT_ENCODER = "gallery.clip.ClipEncoder"


@dataclass(frozen=True)
class ClipConfig:
    model_name: str = "ViT-B-32"  # CLIP_MODEL
    pretrained: str = "laion2b_s34b_b79k"  # CLIP_PRETRAINED: an open_clip tag, a checkpoint file or "untrained"
    on_missing_weights: str = "error"  # CLIP_ON_MISSING_WEIGHTS: "error" or "untrained" (settings: untrained in DEBUG)
    precision: str = "auto"  # CLIP_PRECISION: bf16 where the CPU has native bf16, else fp32
    threads: int | None = None  # CLIP_THREADS: torch threads of this process; None leaves torch's default
    query_int8: bool = True  # CLIP_QUERY_INT8: search texts through the int8 text tower (gallery/clip/query_int8.py)
    cache_dir: Path | None = None  # CLIP_CACHE_DIR: where the int8 text tower is kept
    device: str = "auto"  # CLIP_DEVICE: "cpu", "cuda", or "auto" (cuda where torch sees a GPU)

    @classmethod
    def from_settings(cls) -> ClipConfig:
        from django.conf import settings

        return cls(**{field.name: getattr(settings, SETTING_NAMES[field.name]) for field in fields(cls)
                      if hasattr(settings, SETTING_NAMES[field.name])})


SETTING_NAMES = {"model_name": "CLIP_MODEL", "pretrained": "CLIP_PRETRAINED",
                 "on_missing_weights": "CLIP_ON_MISSING_WEIGHTS", "precision": "CLIP_PRECISION",
                 "threads": "CLIP_THREADS", "query_int8": "CLIP_QUERY_INT8", "cache_dir": "CLIP_CACHE_DIR",
                 "device": "CLIP_DEVICE"}
DEFAULTS = ClipConfig()
