"""The CLIP encoder behind one BaseEncoder class: get_encoder() builds the configured one once per process.

    base.py            EMBEDDING_DIM, BaseEncoder (the interface, with default methods), WeightsUnavailable
    config.py          the CLIP_* settings and their defaults (ClipConfig)
    weights.py         tags, checkpoint files, the hub download that fails fast offline
    cpu.py             precision for this CPU (bf16 where it is native)
    encoder.py         ClipEncoder: open_clip on the CPU, batch-first
    text_tower.py      the text tower on tokens cut at end-of-text (shared by torch and the int8 export)
    prepacked.py       oneDNN-prepacked text layers for bf16 queries
    query_int8.py      the int8 text tower in ONNX Runtime for search queries
    query_batching.py  search texts that arrive together share one forward pass

torch and open_clip are imported only when an encoder is built, so migrations and unrelated code never load them.
"""

from __future__ import annotations

import functools
import threading

import numpy as np

from gallery.clip.base import EMBEDDING_DIM, BaseEncoder, WeightsUnavailable, unit_rows
from gallery.clip.config import DEFAULT_ENCODER, ClipConfig
from gallery.clip.encoder import ClipEncoder

__all__ = ["EMBEDDING_DIM", "BaseEncoder", "ClipConfig", "ClipEncoder", "WeightsUnavailable", "active_model_id",
           "encode_query_text", "get_encoder", "unit_rows"]

_encoder_lock = threading.Lock()


def get_encoder() -> BaseEncoder:
    """The encoder named by settings.GALLERY_ENCODER, built from the CLIP_* settings once per process.

    Threads that ask while it is being built wait for it rather than building a second model (2 s and 600 MB).
    """
    with _encoder_lock:
        return _build_encoder()


@functools.cache
def _build_encoder() -> BaseEncoder:
    from dataclasses import asdict

    from django.conf import settings
    from django.utils.module_loading import import_string

    encoder_class = import_string(getattr(settings, "GALLERY_ENCODER", DEFAULT_ENCODER))
    return encoder_class(**asdict(ClipConfig.from_settings()))


get_encoder.cache_clear = _build_encoder.cache_clear  # settings changed (tests): build anew on the next call


def encode_query_text(text: str, *, encoder: BaseEncoder | None = None) -> np.ndarray:
    """The unit vector of one search text (this process's encoder by default), cached when the encoder caches queries."""
    return (encoder or get_encoder()).encode_query(text)


def active_model_id() -> str:
    """Return the model_id of this process's encoder (builds the encoder on first use)."""
    return get_encoder().model_id

