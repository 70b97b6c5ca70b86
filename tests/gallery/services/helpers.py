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


def noisy_unit_vector(base: np.ndarray, rng: np.random.Generator, spread: float) -> np.ndarray:
    """`base` plus random noise of about `spread` in length, normalised: similarity to base about 1/sqrt(1+spread²)."""
    vector = base + spread * rng.standard_normal(EMBEDDING_DIM).astype(np.float32) / np.sqrt(EMBEDDING_DIM)
    return vector / np.linalg.norm(vector)


def prolific_neighbours(artist, *, model_id: str) -> tuple[Artwork, object]:
    """A work of `artist`; 10 near-identical works by one prolific artist right beside it (similarity 0.99 and more);
    20 works by 10 other artists further away (0.5-0.7). Returns the work and the prolific artist."""
    from tests.factories import ArtistFactory

    rng = np.random.default_rng(3)
    target = unit_vector(0)
    [work] = ready_artworks(artist, [target], model_id=model_id)
    prolific = ArtistFactory(name="Prolific Printmaker")
    ready_artworks(prolific, [unit_vector(0, 0.02 + 0.01 * n, towards=1) for n in range(10)], model_id=model_id,
                   start=100)
    for n in range(10):
        ready_artworks(ArtistFactory(), [noisy_unit_vector(target, rng, 1.0 + 0.05 * n) for _ in range(2)],
                       model_id=model_id, start=200 + 2 * n)
    return work, prolific
