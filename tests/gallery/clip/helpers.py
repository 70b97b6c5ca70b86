"""What the CLIP tests share: texts, test pictures and the comparisons between code paths that must agree.

Every encoder here has untrained (or untrained-copied) weights, so no test asserts anything semantic about the
vectors: only shapes, norms, identities and equality between code paths that must produce the same numbers.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from gallery.clip import EMBEDDING_DIM, ClipEncoder

UNTRAINED_ID = "ViT-B-32/untrained-seed0"
TEXTS = ["a quiet harbour at dawn", "portrait of a woman in a blue dress", "", "sunflowers " * 100]
QUERIES = ["sea", "a stormy sea at night", "portrait of a woman in a blue dress with a pearl earring", "x " * 90]


def make_images(count: int, *, seed: int = 0) -> list[Image.Image]:
    """Deterministic gradient-plus-noise pictures of varied sizes and modes, built in memory."""
    rng = np.random.default_rng(seed)
    images = []
    for index in range(count):
        width, height = 160 + 40 * index, 240 - 20 * index
        x = np.linspace(0, 1, width)[None, :, None]
        y = np.linspace(0, 1, height)[:, None, None]
        pixels = (np.sin(6 * x * rng.random(3) + 3 * y + index) * 0.5 + 0.5) * 200 + rng.random((height, width, 3)) * 55
        images.append(Image.fromarray(pixels.astype(np.uint8)))
    images[-1] = images[-1].convert("L")  # a greyscale upload must still embed
    return images


def min_row_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Smallest cosine between matching rows of two unit-row matrices."""
    assert a.shape == b.shape
    return float(np.min(np.sum(a * b, axis=1)))


def assert_unit_rows(vectors: np.ndarray, count: int) -> None:
    assert vectors.shape == (count, EMBEDDING_DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def padded_text_vectors(encoder: ClipEncoder, texts: list[str]) -> np.ndarray:
    """open_clip's own encode_text over the full 77-token context: the reference for the short-token path."""
    import torch

    with torch.inference_mode():
        rows = encoder._model.encode_text(encoder._tokenizer(texts)).float().numpy()
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)
