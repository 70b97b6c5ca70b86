"""What the search-side service tests share: hand-made unit vectors, an encoder that returns them, and READY
artworks carrying them."""

from __future__ import annotations

import numpy as np

from gallery.clip import EMBEDDING_DIM, BaseEncoder
from gallery.models import Artwork


class FixedEncoder(BaseEncoder):
    """Hand-made vectors for exact expectations: each known text maps to a one-hot direction."""

    model_id = "test/one-hot"
    is_pretrained = False

    def __init__(self, directions: dict[str, int]):
        self.directions = directions

    def encode_texts(self, texts):
        return np.stack([unit_vector(self.directions[text]) for text in texts])

    def encode_images(self, pictures):
        return np.stack([unit_vector(0) for _ in pictures])


def unit_vector(index: int, tilt: float = 0.0, towards: int = 1) -> np.ndarray:
    vector = np.zeros(EMBEDDING_DIM, dtype=np.float32)
    vector[index] = 1.0
    vector[towards] += tilt
    return vector / np.linalg.norm(vector)


def ready_artworks(artist, vectors, model_id=FixedEncoder.model_id, start=0) -> list[Artwork]:
    """READY artworks of `artist` with these embeddings, titled "Work {start + n}", stored in one query."""
    return Artwork.objects.bulk_create(
        Artwork(artist=artist, title=f"Work {start + n}", image=f"{start + n}.jpg", image_sha256=f"{start + n:064d}",
                embedding=v.tolist(), embedding_model=model_id, status=Artwork.Status.READY)
        for n, v in enumerate(vectors))
