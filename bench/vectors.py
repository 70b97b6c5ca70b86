"""Synthetic 512-d unit vectors for the scale benchmarks, clearly not real artwork embeddings.

"clustered": a Gaussian mixture around the real (untrained-weight) embeddings of the 600 shared images. Each cluster
spreads mostly along its own random 32-dimensional subspace plus a little isotropic noise, so a row's cosine to its
cluster centre is about 0.9 and the data has the low intrinsic dimension real CLIP embeddings have. "uniform": random
unit vectors, the worst case for HNSW (no structure at all). Queries come from the same generator with another seed,
so they follow the rows' distribution but are never stored rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from gallery.clip import EMBEDDING_DIM

LATENT_DIM = 32  # the spread of one cluster lies mostly in a subspace this wide
TARGET_COSINE = 0.9  # typical cosine of a row to its cluster centre
ISOTROPIC_SHARE = 0.3  # share of the spread's energy that is full-dimensional noise
CHUNK = 50_000


def unit_rows(rows: np.ndarray) -> np.ndarray:
    rows = rows.astype(np.float32, copy=False)
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return rows


def base_embeddings(images: list[Path], cache_dir: Path) -> np.ndarray:
    """The product encoder's vectors of the shared images, computed once and cached per model under `cache_dir`."""
    from PIL import Image

    from gallery.clip import get_encoder

    encoder = get_encoder()
    cache = cache_dir / f"base-{encoder.model_id.replace('/', '_')}-{len(images)}.npy"
    if cache.exists():
        return np.load(cache)
    vectors = encoder.encode_images([Image.open(path).convert("RGB") for path in images])
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


class ClusteredVectors:
    """A Gaussian mixture of low-rank clusters around given unit centres; deterministic for a seed."""

    def __init__(self, centres: np.ndarray, *, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.centres = unit_rows(np.array(centres, dtype=np.float32))
        spread = 1 / TARGET_COSINE**2 - 1  # expected squared length of the offset from the centre
        self.latent_scale = np.sqrt((1 - ISOTROPIC_SHARE) * spread / LATENT_DIM)
        self.isotropic_scale = np.sqrt(ISOTROPIC_SHARE * spread / EMBEDDING_DIM)
        bases = rng.standard_normal((len(self.centres), EMBEDDING_DIM, LATENT_DIM)).astype(np.float32)
        self.bases = np.linalg.qr(bases)[0]  # one orthonormal 512x32 basis per cluster

    def sample(self, count: int, *, seed: int) -> np.ndarray:
        return np.concatenate(list(self.chunks(count, seed=seed))) if count else np.empty((0, EMBEDDING_DIM))

    def chunks(self, count: int, *, seed: int) -> Iterator[np.ndarray]:
        """`count` rows in chunks (1M rows are 2 GB), the same rows for the same seed."""
        rng = np.random.default_rng(seed)
        for start in range(0, count, CHUNK):
            size = min(CHUNK, count - start)
            cluster = rng.integers(len(self.centres), size=size)
            latent = rng.standard_normal((size, LATENT_DIM)).astype(np.float32) * self.latent_scale
            rows = self.centres[cluster] + rng.standard_normal((size, EMBEDDING_DIM)).astype(np.float32) * (
                self.isotropic_scale)
            for index in np.unique(cluster):  # grouped: gathering a 512x32 basis per row would need gigabytes
                members = np.flatnonzero(cluster == index)
                rows[members] += latent[members] @ self.bases[index].T
            yield unit_rows(rows)


class UniformVectors:
    """Random unit vectors: the structure-free worst case for a graph index."""

    def sample(self, count: int, *, seed: int) -> np.ndarray:
        return np.concatenate(list(self.chunks(count, seed=seed))) if count else np.empty((0, EMBEDDING_DIM))

    def chunks(self, count: int, *, seed: int) -> Iterator[np.ndarray]:
        rng = np.random.default_rng(seed)
        for start in range(0, count, CHUNK):
            yield unit_rows(rng.standard_normal((min(CHUNK, count - start), EMBEDDING_DIM)).astype(np.float32))


def exact_top_k(rows_chunks: Iterator[np.ndarray], queries: np.ndarray, k: int) -> np.ndarray:
    """Ids (0-based row numbers) of each query's k nearest rows by cosine, computed exactly with numpy."""
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), k), dtype=np.int64)
    offset = 0
    for chunk in rows_chunks:
        scores = queries @ chunk.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k] if chunk.shape[0] > k else np.argsort(-scores, axis=1)
        merged_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, axis=1)], axis=1)
        merged_ids = np.concatenate([best_ids, top + offset], axis=1)
        order = np.argsort(-merged_scores, axis=1)[:, :k]
        best_scores = np.take_along_axis(merged_scores, order, axis=1)
        best_ids = np.take_along_axis(merged_ids, order, axis=1)
        offset += chunk.shape[0]
    return best_ids
