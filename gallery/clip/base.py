"""What every encoder is: EMBEDDING_DIM, the BaseEncoder class with its default methods, and the shared errors."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

EMBEDDING_DIM = 512


class WeightsUnavailable(RuntimeError):
    """The configured CLIP weights (setting CLIP_PRETRAINED) cannot be loaded in this process."""


class BaseEncoder(abc.ABC):
    """Turns images and texts into unit-length float32 rows of EMBEDDING_DIM in one shared vector space.

    Subclasses implement encode_images and encode_texts and set model_id; the other methods have working defaults,
    so callers use every encoder the same way and never probe for optional methods.
    """

    model_id: str
    is_pretrained: bool = False  # False: the vectors are not semantic, and the pages say so
    precision: str = "fp32"
    fallback_reason: str | None = None  # why this encoder runs on other weights than configured, if it does

    @abc.abstractmethod
    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Unit-length float32 rows, one per image, in input order."""

    @abc.abstractmethod
    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text, in input order."""

    def encode_query(self, text: str) -> np.ndarray:
        """One search text's unit vector; encoders that cache or batch queries override this."""
        return self.encode_texts([text])[0]

    def shrink_for_encoding(self, image: Image.Image) -> Image.Image:
        """A smaller image that encodes to the same vector (a bulk import keeps it while a batch waits)."""
        return image

    @property
    def query_runtime(self) -> str:
        """What encodes search queries, for logs and clip_status."""
        return f"{type(self).__name__}.encode_texts"


def unit_rows(chunks: list[np.ndarray]) -> np.ndarray:
    """Chunks of embedding rows as one float32 array of unit-length rows (also the int8 text tower's output)."""
    # Normalised here, after the cast to float32, so bf16 rows are unit length at full precision too.
    if not chunks:
        return np.empty((0, EMBEDDING_DIM), dtype=np.float32)
    rows = np.concatenate(chunks).astype(np.float32, copy=False)
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return rows
