"""The map's arithmetic without a database: the unit square, UMAP on small clustered sets, placing among neighbours,
the order of atlas cells and periods."""

import numpy as np
import pytest

from gallery import map_layout


def clustered(rng: np.random.Generator, clusters: int, per_cluster: int, spread: float = 0.3) -> np.ndarray:
    """Unit vectors around `clusters` random centres, cluster by cluster."""
    centres = rng.standard_normal((clusters, 512))
    points = np.repeat(centres, per_cluster, axis=0) + spread * rng.standard_normal((clusters * per_cluster, 512))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def same_cluster_share(positions: np.ndarray, labels: np.ndarray) -> float:
    """How many points have their nearest point on the map in their own cluster."""
    distances = np.linalg.norm(positions[:, None] - positions[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    return float(np.mean(labels[distances.argmin(axis=1)] == labels))


def test_unit_square_keeps_the_aspect_and_the_margin():
    points = map_layout.unit_square(np.array([[0.0, 0.0], [10.0, 5.0], [5.0, 0.0]]))
    assert points.min() >= map_layout.MARGIN - 1e-9 and points.max() <= 1 - map_layout.MARGIN + 1e-9
    assert points[1, 0] - points[0, 0] == pytest.approx(2 * (points[1, 1] - points[0, 1]))  # aspect kept
    assert map_layout.unit_square(np.ones((3, 2))).tolist() == [[0.5, 0.5]] * 3
    assert map_layout.unit_square(np.empty((0, 2))).shape == (0, 2)


@pytest.mark.parametrize("count", [0, 1, 2, 5])
def test_tiny_collections_are_placed_without_umap(count):
    vectors = clustered(np.random.default_rng(count), 1, count) if count else np.empty((0, 512), np.float32)
    positions = map_layout.umap_layout(vectors)
    assert positions.shape == (count, 2)
    assert np.all((positions >= 0) & (positions <= 1))


def test_umap_keeps_clusters_together():
    vectors = clustered(np.random.default_rng(1), 3, 12)
    positions = map_layout.umap_layout(vectors, seed=1)
    assert positions.shape == (36, 2) and np.all((positions >= 0) & (positions <= 1))
    assert same_cluster_share(positions, np.repeat(np.arange(3), 12)) >= 0.95


def test_a_sampled_layout_places_the_rest_among_their_neighbours():
    vectors = clustered(np.random.default_rng(2), 3, 20)
    positions = map_layout.sampled_layout(vectors, sample=30, seed=2)
    assert positions.shape == (60, 2) and not np.isnan(positions).any()
    assert same_cluster_share(positions, np.repeat(np.arange(3), 20)) >= 0.9


def test_nearest_and_place_near():
    references = np.eye(4, 512, dtype=np.float32)
    queries = np.eye(4, 512, dtype=np.float32)[[2, 0]] + 0.1 * np.eye(4, 512, dtype=np.float32)[[3, 1]]
    found = map_layout.nearest(queries, references, 2, chunk=1)
    assert found.tolist() == [[2, 3], [0, 1]]
    positions = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert map_layout.place_near(positions[found]).tolist() == [[0.5, 1.0], [0.5, 0.0]]


def test_morton_order_keeps_neighbours_in_consecutive_cells():
    grid = np.array([[x, y] for y in np.linspace(0.01, 0.99, 8) for x in np.linspace(0.01, 0.99, 8)])
    order = map_layout.morton_order(grid)
    assert sorted(order.tolist()) == list(range(64))
    first_quarter = grid[order[:16]]  # a Z-order curve fills one quadrant before the next
    assert first_quarter.max(axis=0).tolist() == pytest.approx([grid[:, 0][3], grid[:, 0][3]])


@pytest.mark.parametrize(("start", "end", "period"), [
    (None, None, "Undated"), (1250, None, "Before 1400"), (1665, 1667, "1600s"), (None, 1899, "1800s"),
    (1890, 1910, "1900s"), (2024, 2024, "2000s"), (-500, -400, "Before 1400"), (2500, None, "2000s")])
def test_period_of(start, end, period):
    assert map_layout.PERIODS[map_layout.period_of(start, end)] == period
