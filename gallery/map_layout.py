"""The collection map's arithmetic, with no database: 2-D positions from vectors (UMAP), a new work's place among
its neighbours, the order of atlas cells and the period a work's dates fall in.

Positions live in the unit square [0, 1]²: the page draws them at any scale, and a layout computed again is scaled
the same way, so the map keeps its extent between layouts.
"""

from __future__ import annotations

import numpy as np

# Below this many works UMAP has too few neighbours to build a graph from; PCA places them instead.
MIN_UMAP_WORKS = 8
NEIGHBOURS = 15  # UMAP's n_neighbors: local structure without fragmenting into islands
NEIGHBOURS_PLACED = 5  # a work placed between layouts sits at the mean of this many nearest placed works
MARGIN = 0.02  # of the unit square kept free around the points, so none sits on the canvas edge


def unit_square(points: np.ndarray) -> np.ndarray:
    """Scale points (n, 2) into [MARGIN, 1 - MARGIN]², keeping their aspect ratio (a circle stays round)."""
    points = np.asarray(points, dtype=np.float64)
    if len(points) == 0:
        return points.reshape(0, 2)
    low, high = points.min(axis=0), points.max(axis=0)
    span = float((high - low).max())
    if span == 0.0:
        return np.full(points.shape, 0.5)
    centred = (points - (low + high) / 2) / span  # within [-0.5, 0.5] on the longer side
    return 0.5 + centred * (1 - 2 * MARGIN)


def pca_layout(vectors: np.ndarray) -> np.ndarray:
    """The two principal components, for collections too small for UMAP."""
    vectors = np.asarray(vectors, dtype=np.float64)
    if len(vectors) < 2:
        return np.full((len(vectors), 2), 0.5)
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ components[:2].T
    if projected.shape[1] < 2:  # every vector on one line
        projected = np.column_stack([projected[:, 0], np.zeros(len(projected))])
    return unit_square(projected)


def umap_layout(vectors: np.ndarray, *, init: np.ndarray | None = None, seed: int | None = None) -> np.ndarray:
    """UMAP positions of unit-length vectors (cosine neighbourhoods), scaled into the unit square.

    `init`: earlier positions (unit square) to start from, so that a layout computed again keeps the map's
    regions where visitors saw them. `seed` makes the result reproducible but runs on one thread (umap-learn).
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) < MIN_UMAP_WORKS:
        return pca_layout(vectors)
    import umap  # numba compiles on import: only the worker that lays out the map pays for it

    start = "spectral" if init is None else np.asarray(init, dtype=np.float32) * 10.0  # UMAP's own scale
    reducer = umap.UMAP(n_neighbors=min(NEIGHBOURS, len(vectors) - 1), n_components=2, metric="cosine",
                        min_dist=0.1, init=start, random_state=seed, low_memory=True)
    return unit_square(reducer.fit_transform(vectors))


def nearest(queries: np.ndarray, references: np.ndarray, k: int, *, chunk: int = 4096) -> np.ndarray:
    """Indices (len(queries), k) of each query's k most similar references by dot product (unit vectors: cosine),
    most similar first; in chunks, so that 100k × 20k similarities never sit in memory at once."""
    references = np.asarray(references, dtype=np.float32)
    k = min(k, len(references))
    found = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), chunk):
        scores = np.asarray(queries[start:start + chunk], dtype=np.float32) @ references.T
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1)
        found[start:start + chunk] = np.take_along_axis(best, order, axis=1)
    return found


def place_near(neighbour_positions: np.ndarray) -> np.ndarray:
    """Where works go between layouts: the mean of their nearest placed works' positions, (n, k, 2) -> (n, 2)."""
    return np.asarray(neighbour_positions, dtype=np.float64).mean(axis=1)


def sampled_layout(vectors: np.ndarray, *, sample: int, init: np.ndarray | None = None,
                   seed: int = 0) -> np.ndarray:
    """UMAP fitted on `sample` works drawn at random; every other work placed among its nearest sampled works.

    At 100k works a full UMAP takes minutes on two cores; the bench (bench/map.py) measures what a sample costs in
    time and in how well neighbours stay together. `sample` >= len(vectors) is the full layout."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if sample <= 0 or sample >= len(vectors):
        return umap_layout(vectors, init=init)
    chosen = np.sort(np.random.default_rng(seed).choice(len(vectors), size=sample, replace=False))
    positions = np.empty((len(vectors), 2))
    positions[chosen] = umap_layout(vectors[chosen], init=None if init is None else init[chosen])
    rest = np.setdiff1d(np.arange(len(vectors)), chosen)
    neighbours = nearest(vectors[rest], vectors[chosen], NEIGHBOURS_PLACED)
    positions[rest] = place_near(positions[chosen][neighbours])
    return positions


def morton_order(positions: np.ndarray, bits: int = 10) -> np.ndarray:
    """Indices of positions along a Z-order curve: consecutive atlas cells hold works that sit together on the map,
    so a view of one region needs few atlas images."""
    cells = np.clip((np.asarray(positions) * (1 << bits)).astype(np.int64), 0, (1 << bits) - 1)
    code = np.zeros(len(cells), dtype=np.int64)
    for bit in range(bits):
        code |= ((cells[:, 0] >> bit) & 1) << (2 * bit)
        code |= ((cells[:, 1] >> bit) & 1) << (2 * bit + 1)
    return np.argsort(code, kind="stable")


# Periods a work's own dates fall in: centuries from the 1400s to the 2000s, with the ends open.
PERIODS = ("Before 1400", "1400s", "1500s", "1600s", "1700s", "1800s", "1900s", "2000s", "Undated")


def period_of(year_start: int | None, year_end: int | None) -> int:
    """The index in PERIODS of a work's dates: the century of their middle, "Undated" without any."""
    years = [year for year in (year_start, year_end) if year is not None]
    if not years:
        return len(PERIODS) - 1
    middle = sum(years) / len(years)
    return int(min(max((middle - 1300) // 100, 0), len(PERIODS) - 2))
