"""The collection map over the real database: the layout, works placed between layouts, when a layout runs again,
the public data, and the thumbnail atlases."""

import io
import json

import numpy as np
import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gallery import map_layout, tasks
from gallery.models import Artwork, ArtworkMapPosition, CollectionMap
from gallery.services import collection_map, ingest
from gallery.services.collection_map import Outcome
from tests.factories import ArtistFactory
from tests.gallery.services.helpers import FixedEncoder, noisy_unit_vector, ready_artworks, unit_vector

pytestmark = pytest.mark.django_db

MODEL = FixedEncoder.model_id
CLUSTERS, PER_CLUSTER = 3, 12


@pytest.fixture(autouse=True)
def _map_data_checked_every_time(monkeypatch):
    """Each request checks the data anew (the product reuses it for a few seconds), so tests see their changes."""
    monkeypatch.setattr(collection_map, "DATA_CHECK_TTL_S", 0.0)


@pytest.fixture
def clusters(artist) -> list[list[Artwork]]:
    """Three groups of 12 works, each around its own direction (similarity about 0.9 within a group, 0 across)."""
    rng = np.random.default_rng(5)
    return [ready_artworks(artist, [noisy_unit_vector(unit_vector(10 * group), rng, 0.5) for _ in range(PER_CLUSTER)],
                           model_id=MODEL, start=100 * group) for group in range(CLUSTERS)]


def positions_of(artworks) -> np.ndarray:
    found = {p.artwork_id: (p.x, p.y) for p in ArtworkMapPosition.objects.filter(artwork__in=artworks)}
    return np.array([found[artwork.pk] for artwork in artworks])


def public_data() -> dict:
    return json.loads(collection_map.collection_map_data(model_id=MODEL).body)


def test_every_searchable_work_gets_a_position_and_groups_stay_together(clusters, artist):
    draft, = ready_artworks(artist, [unit_vector(0)], model_id=MODEL, start=900)
    Artwork.objects.filter(pk=draft.pk).update(published=False)
    other_model, = ready_artworks(artist, [unit_vector(0)], model_id="other/model", start=901)
    Artwork.objects.create(artist=artist, title="Pending", image="p.jpg", image_sha256="f" * 64)

    layout = collection_map.collection_map_compute(model_id=MODEL, sample=0)

    works = [work for group in clusters for work in group]
    assert set(ArtworkMapPosition.objects.values_list("artwork_id", flat=True)) == {work.pk for work in works}
    assert layout.works == 36 and layout.method == "umap" and layout.embedding_model == MODEL
    positions = positions_of(works)
    assert np.all((positions >= 0) & (positions <= 1))
    distances = np.linalg.norm(positions[:, None] - positions[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    labels = np.repeat(np.arange(CLUSTERS), PER_CLUSTER)
    assert np.mean(labels[distances.argmin(axis=1)] == labels) >= 0.95  # a work's nearest on the map is its kin
    centres = np.array([positions[labels == group].mean(axis=0) for group in range(CLUSTERS)])
    spread = max(np.linalg.norm(positions[labels == g] - centres[g], axis=1).mean() for g in range(CLUSTERS))
    assert min(np.linalg.norm(centres[a] - centres[b]) for a in range(3) for b in range(a + 1, 3)) > 2 * spread
    data = public_data()
    assert data["count"] == 36 and draft.pk not in data["ids"] and other_model.pk not in data["ids"]


def test_a_work_embedded_after_the_layout_is_placed_among_its_nearest_works(clusters, artist):
    collection_map.collection_map_compute(model_id=MODEL, sample=0)
    vector = noisy_unit_vector(unit_vector(10), np.random.default_rng(9), 0.3)  # like the second group
    new, = ready_artworks(artist, [vector], model_id=MODEL, start=500)

    data = public_data()  # the page's data places it, cheaply, before answering

    position = ArtworkMapPosition.objects.get(artwork=new)
    assert position.placed_by == ArtworkMapPosition.PlacedBy.NEIGHBOURS and position.atlas_cell is None
    works = [work for group in clusters for work in group]
    vectors = np.array([work.embedding for work in works], dtype=np.float32)
    nearest = np.argsort(-(vectors @ vector))[:map_layout.NEIGHBOURS_PLACED]
    expected = positions_of(works)[nearest].mean(axis=0)
    assert (position.x, position.y) == pytest.approx(tuple(expected), abs=1e-6)
    second = positions_of(clusters[1]).mean(axis=0)
    assert all(np.linalg.norm(expected - second) < np.linalg.norm(expected - positions_of(group).mean(axis=0))
               for group in (clusters[0], clusters[2]))
    index = data["ids"].index(new.pk)
    assert data["cell"][index] == -1  # no thumbnail until the next layout draws it


def test_the_layout_runs_again_only_once_the_collection_changed_and_settled(clusters, artist):
    assert collection_map.collection_map_refresh(model_id=MODEL) == Outcome.LAID_OUT
    first = CollectionMap.objects.get(embedding_model=MODEL)
    assert collection_map.collection_map_refresh(model_id=MODEL) == Outcome.UNCHANGED
    assert CollectionMap.objects.get(embedding_model=MODEL).computed_at == first.computed_at

    new, = ready_artworks(artist, [unit_vector(20)], model_id=MODEL, start=600)
    assert collection_map.collection_map_refresh(model_id=MODEL) == Outcome.WAITING  # maybe an import in progress
    assert ArtworkMapPosition.objects.get(artwork=new).placed_by == ArtworkMapPosition.PlacedBy.NEIGHBOURS
    assert collection_map.collection_map_refresh(model_id=MODEL) == Outcome.LAID_OUT  # the same set twice: settled
    second = CollectionMap.objects.get(embedding_model=MODEL)
    assert second.computed_at > first.computed_at and second.works == 37
    assert ArtworkMapPosition.objects.get(artwork=new).placed_by == ArtworkMapPosition.PlacedBy.LAYOUT
    assert collection_map.collection_map_refresh(model_id=MODEL) == Outcome.UNCHANGED

    Artwork.objects.filter(pk=new.pk).update(published=False)  # unpublishing changes the public set too
    assert collection_map.collection_map_refresh(model_id=MODEL, settle=False) == Outcome.LAID_OUT
    assert not ArtworkMapPosition.objects.filter(artwork=new).exists()


def test_a_refresh_with_nothing_searchable_changes_nothing(artist):
    ready_artworks(artist, [unit_vector(1)], model_id="other/model")
    assert collection_map.collection_map_refresh(model_id=MODEL) == Outcome.EMPTY
    assert not CollectionMap.objects.exists()


def test_the_periodic_task_lays_out_the_active_models_works(artist, clip_encoder):
    ready_artworks(artist, [unit_vector(n, 0.1 * n) for n in range(10)], model_id=clip_encoder.model_id)
    assert tasks.collection_map_refresh() == Outcome.LAID_OUT
    assert ArtworkMapPosition.objects.filter(embedding_model=clip_encoder.model_id).count() == 10


def test_the_public_data_follows_publishing_and_asks_for_a_first_layout(clusters, broker_queue,
                                                                       django_capture_on_commit_callbacks):
    cache.delete(collection_map.LAYOUT_REQUESTED_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        data = public_data()
    assert data["count"] == 0 and data["layout"] is None
    assert [m["task"] for m in broker_queue.messages()] == ["gallery.tasks.collection_map_refresh"]

    collection_map.collection_map_compute(model_id=MODEL, sample=0)
    hidden = clusters[0][0]
    before = collection_map.collection_map_data(model_id=MODEL)
    Artwork.objects.filter(pk=hidden.pk).update(published=False)
    after = collection_map.collection_map_data(model_id=MODEL)
    assert after.version != before.version
    data = json.loads(after.body)
    assert data["count"] == 35 and hidden.pk not in data["ids"]
    assert data["ids"] == sorted(data["ids"])
    assert {len(data[key]) for key in ("ids", "x", "y", "cell", "artist", "classification", "period")} == {35}
    assert all(0 <= value <= data["scale"] for value in data["x"] + data["y"])
    assert data["artists"][0]["works"] == 35 and data["periods"][-1] == "Undated"


def solid_upload(colour: tuple[int, int, int], number: int, size=(120, 80)) -> SimpleUploadedFile:
    """A picture of one colour, with one corner pixel telling it apart from the others (files must differ)."""
    picture = Image.new("RGB", size, colour)
    picture.putpixel((0, 0), (number % 256, number // 256, 0))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return SimpleUploadedFile(f"solid-{number}.png", buffer.getvalue(), content_type="image/png")


def test_an_atlas_holds_each_thumbnail_at_its_cell(artist, settings):
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (240, 240, 20), (20, 220, 220)]
    works = [ingest.artwork_create(artist=artist, title=f"Solid {n}", image=solid_upload(colour, n), enqueue=False)
             for n, colour in enumerate(colours * 7)]  # 35 works: more than one atlas row
    order = [work.pk for work in reversed(works)]
    names = collection_map.atlas_draw(order, prefix="map/test")
    assert len(names) == 1
    with default_storage.open(names[0]) as handle:
        atlas = Image.open(handle).convert("RGB")
    cell, columns = collection_map.ATLAS_CELL, collection_map.ATLAS_COLUMNS
    assert atlas.size == (columns * cell, 2 * cell)
    for number, pk in enumerate(order):
        expected = colours[[work.pk for work in works].index(pk) % len(colours)]
        centre = ((number % columns) * cell + cell // 2, (number // columns) * cell + cell // 2)
        assert np.allclose(atlas.getpixel(centre), expected, atol=12), (number, atlas.getpixel(centre), expected)
    # The picture keeps its aspect: a 120 × 80 work leaves the cell's top and bottom rows as background.
    assert np.allclose(atlas.getpixel((cell // 2, 2)), collection_map.ATLAS_BACKGROUND, atol=12)


def test_more_works_than_an_atlas_holds_fill_several(artist, monkeypatch):
    monkeypatch.setattr(collection_map, "ATLAS_COLUMNS", 2)  # four cells an atlas
    works = [ingest.artwork_create(artist=artist, title=f"Solid {n}", image=solid_upload((20 * n, 0, 0), n),
                                   enqueue=False) for n in range(9)]
    names = collection_map.atlas_draw([work.pk for work in works], prefix="map/several")
    assert len(names) == 3
    with default_storage.open(names[2]) as handle:
        last = Image.open(handle).convert("RGB")
    assert last.size == (2 * collection_map.ATLAS_CELL, collection_map.ATLAS_CELL)
    assert np.allclose(last.getpixel((32, 32)), (160, 0, 0), atol=12)


def test_the_layout_draws_atlases_and_deletes_the_previous_ones(clusters, django_capture_on_commit_callbacks):
    unreadable = ArtistFactory(name="Unreadable")  # rows of ready_artworks name files that do not exist: blank cells
    ready_artworks(unreadable, [unit_vector(3)], model_id=MODEL, start=700)
    with django_capture_on_commit_callbacks(execute=True):
        first = collection_map.collection_map_compute(model_id=MODEL, sample=0)
    assert len(first.atlases) == 1 and default_storage.exists(first.atlases[0])
    cells = sorted(ArtworkMapPosition.objects.values_list("atlas_cell", flat=True))
    assert cells == list(range(37))
    with django_capture_on_commit_callbacks(execute=True):
        second = collection_map.collection_map_compute(model_id=MODEL, sample=0)
    assert second.atlases != first.atlases and default_storage.exists(second.atlases[0])
    assert not default_storage.exists(first.atlases[0])
