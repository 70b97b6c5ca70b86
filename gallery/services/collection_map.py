"""The collection map: every searchable work at a 2-D position computed from its vector, drawn by the page from
thumbnail atlases (sprite sheets) rather than one <img> a work.

A worker lays the collection out (gallery.map_layout: UMAP) when the set of searchable works has changed and then
stayed the same for one check, so that an import in progress does not start a layout a minute; meanwhile a work
embedded since is placed at the mean of its nearest placed works (one pgvector HNSW query a work). The
layout draws the atlases with Pillow into the default storage and deletes the previous ones once it commits.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import io
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image

from gallery import images, map_layout
from gallery.clip import get_encoder
from gallery.models import Artist, Artwork, ArtworkMapPosition, CollectionMap
from gallery.tasks import collection_map_refresh as collection_map_refresh_task

logger = logging.getLogger(__name__)

ATLAS_CELL = 64  # pixels a thumbnail takes in an atlas
ATLAS_COLUMNS = 32  # cells per atlas row and column: 1024 works in a 2048 × 2048 image
ATLAS_BACKGROUND = (233, 231, 225)
ATLAS_QUALITY = 80
PLACE_PER_REQUEST = 200  # works placed by their neighbours while a page waits; the worker places the rest
_LOCK_KEY = 0x6D6170  # "map": one layout at a time, whichever worker runs it
LAYOUT_REQUESTED_KEY = "gallery:map-layout-requested"  # in the cache while a page's request for a layout is fresh


class Outcome(StrEnum):
    """What a refresh did."""

    LAID_OUT = "laid out"
    UNCHANGED = "unchanged"  # the same works as the layout's
    WAITING = "waiting"  # the works changed since the last check: laid out once they stop changing
    BUSY = "busy"  # another layout is running
    EMPTY = "empty"  # no searchable work


# --- Which works are on the map.

def _searchable_sql(model_id: str, *columns: str) -> tuple[str, tuple]:
    """SQL (and parameters) selecting `columns` of the searchable works, by id: one definition of what is public."""
    queryset = Artwork.objects.searchable(model_id).order_by("id").values_list(*columns)
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def searchable_fingerprint(model_id: str) -> tuple[str, int]:
    """The md5 of the searchable works' sorted ids, and how many they are: what a layout was computed from."""
    sql, params = _searchable_sql(model_id, "id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), coalesce(md5(string_agg(id::text, ',' ORDER BY id)), '') "
                       f"FROM ({sql}) AS searchable(id)", params)
        count, fingerprint = cursor.fetchone()
    return fingerprint, count


def _fingerprint_of(ids: np.ndarray) -> str:
    return hashlib.md5(",".join(str(pk) for pk in ids.tolist()).encode()).hexdigest()


def searchable_vectors(model_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Ids (sorted) and vectors of the searchable works, read in binary: Django's VectorField parses text, which
    takes far longer than the layout needs at 100k works."""
    import psycopg
    from pgvector.psycopg.vector import register_vector_info
    from psycopg.types import TypeInfo

    sql, params = _searchable_sql(model_id, "id", "embedding")
    connection.ensure_connection()
    raw = connection.connection
    # A server-side-binding cursor of Django's connection (its own cursors bind client-side, text only): binary rows,
    # with pgvector's loaders on this cursor alone.
    with psycopg.Cursor(raw) as cursor:
        register_vector_info(cursor, TypeInfo.fetch(raw, "vector"))
        cursor.execute(sql, params, binary=True)
        rows = cursor.fetchall()
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.float32)
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    return ids, np.stack([row[1].to_numpy() for row in rows]).astype(np.float32, copy=False)


# --- Laying the collection out.

@contextlib.contextmanager
def _layout_lock() -> Iterator[bool]:
    """A PostgreSQL advisory lock for the whole layout: a second worker (beat and a page's request) skips it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


def collection_map_refresh(*, model_id: str | None = None, force: bool = False, settle: bool = True) -> str:
    """Lay the collection out again if the set of searchable works changed since the last layout and (with `settle`)
    has not changed since the previous check; otherwise place the works embedded since by their neighbours.
    Idempotent; returns an Outcome."""
    model_id = model_id or get_encoder().model_id
    with _layout_lock() as locked:
        if not locked:
            return Outcome.BUSY
        fingerprint, count = searchable_fingerprint(model_id)
        current = CollectionMap.objects.filter(embedding_model=model_id).first()
        if count == 0:
            return Outcome.EMPTY
        if current is not None and not force:
            if current.fingerprint == fingerprint:
                artworks_place_new(model_id=model_id, limit=None)
                return Outcome.UNCHANGED
            if settle and current.seen_fingerprint != fingerprint:
                CollectionMap.objects.filter(pk=current.pk).update(seen_fingerprint=fingerprint)
                artworks_place_new(model_id=model_id, limit=None)
                return Outcome.WAITING
        collection_map_compute(model_id=model_id)
        return Outcome.LAID_OUT


def collection_map_compute(*, model_id: str, sample: int | None = None) -> CollectionMap:
    """Lay out every searchable work now, draw the atlases and replace the positions in one transaction; the
    previous atlases are deleted after it commits. Starts from the previous positions, so the map keeps its regions."""
    timings, clock = {}, time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        timings[name] = round(time.monotonic() - clock, 3)
        clock = time.monotonic()

    sample = settings.GALLERY_MAP_FIT_SAMPLE if sample is None else sample
    ids, vectors = searchable_vectors(model_id)
    init = _previous_positions(ids, vectors, model_id)
    lap("read")
    positions = map_layout.sampled_layout(vectors, sample=sample, init=init)
    lap("layout")
    order = map_layout.morton_order(positions)
    cells = np.empty(len(ids), dtype=np.int64)
    cells[order] = np.arange(len(ids))
    atlases = atlas_draw(ids[order].tolist())
    lap("atlases")
    method = "pca" if len(ids) < map_layout.MIN_UMAP_WORKS else (
        f"umap on {sample} + nearest" if 0 < sample < len(ids) else "umap")
    now = timezone.now()
    with transaction.atomic():
        previous = CollectionMap.objects.select_for_update().filter(embedding_model=model_id).first()
        old_atlases = previous.atlases if previous is not None else []
        ArtworkMapPosition.objects.all().delete()  # every position comes from this layout (or a later placement)
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_SQL, [model_id, now, ArtworkMapPosition.PlacedBy.LAYOUT.value, ids.tolist(),
                                         positions[:, 0].tolist(), positions[:, 1].tolist(), cells.tolist()])
        layout, _ = CollectionMap.objects.update_or_create(embedding_model=model_id, defaults=dict(
            fingerprint=_fingerprint_of(ids), seen_fingerprint="", works=len(ids), method=method, computed_at=now,
            atlases=atlases, atlas_cell=ATLAS_CELL, atlas_columns=ATLAS_COLUMNS))
        CollectionMap.objects.exclude(embedding_model=model_id).delete()  # another model's map is never shown
        transaction.on_commit(functools.partial(_delete_files, old_atlases))
    lap("write")
    timings["total"] = round(sum(timings.values()), 3)
    CollectionMap.objects.filter(pk=layout.pk).update(timings=timings)
    layout.timings = timings
    logger.info("Collection map: %d works laid out by %s in %.1f s (%s)", len(ids), method, timings["total"], timings)
    with _cache_lock:  # this process's pages show the new layout at once, not after DATA_CHECK_TTL_S
        _cached.clear()
    return layout


# One statement for 100k rows, and the join skips works deleted while the layout was being computed.
_INSERT_SQL = f"""
    INSERT INTO {ArtworkMapPosition._meta.db_table} (artwork_id, embedding_model, computed_at, placed_by, x, y,
                                                      atlas_cell)
    SELECT given.id, %s, %s, %s, given.x, given.y, given.cell
    FROM unnest(%s::bigint[], %s::float8[], %s::float8[], %s::integer[]) AS given(id, x, y, cell)
    JOIN {Artwork._meta.db_table} AS work ON work.id = given.id
"""


def _previous_positions(ids: np.ndarray, vectors: np.ndarray, model_id: str) -> np.ndarray | None:
    """The works' current positions to start the layout from (works without one placed among their nearest), or
    None when there is no earlier layout of these vectors."""
    known = {pk: (x, y) for pk, x, y in ArtworkMapPosition.objects.filter(embedding_model=model_id)
             .values_list("artwork_id", "x", "y").iterator(chunk_size=10000)}
    placed = np.array([pk in known for pk in ids.tolist()], dtype=bool)
    if placed.sum() < map_layout.MIN_UMAP_WORKS:
        return None
    init = np.zeros((len(ids), 2))
    init[placed] = [known[pk] for pk in ids[placed].tolist()]
    if not placed.all():
        neighbours = map_layout.nearest(vectors[~placed], vectors[placed], map_layout.NEIGHBOURS_PLACED)
        init[~placed] = map_layout.place_near(init[placed][neighbours])
    return init


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception as exc:  # a file left behind is harmless; the next layout does not reuse its name
            logger.warning("Could not delete the old map atlas %s (%s)", name, exc)


# --- Works embedded since the layout.

def artworks_place_new(*, model_id: str, limit: int | None = PLACE_PER_REQUEST) -> int:
    """Place searchable works that have no position at the mean of their nearest placed works' positions (by
    vector: one HNSW query a work). Needs a layout; their atlas cell stays empty until the next one. Returns how many
    were placed."""
    if not CollectionMap.objects.filter(embedding_model=model_id).exists():
        return 0
    unplaced = Artwork.objects.searchable(model_id).filter(map_position__isnull=True).order_by("id")
    rows = unplaced.values_list("id", "embedding")
    placed = []
    now = timezone.now()
    for pk, vector in (rows if limit is None else rows[:limit]).iterator(chunk_size=500):
        near = list(Artwork.objects.embedded_by(model_id).filter(map_position__embedding_model=model_id)
                    .nearest_to(vector, depth=map_layout.NEIGHBOURS_PLACED).values_list("map_position__x", "map_position__y")
                    [:map_layout.NEIGHBOURS_PLACED])
        if near:  # a constant vector, unlike a join's, lets PostgreSQL walk the HNSW index
            x, y = map_layout.place_near(np.array([near]))[0]
            placed.append(ArtworkMapPosition(artwork_id=pk, x=float(x), y=float(y), embedding_model=model_id,
                                             computed_at=now, placed_by=ArtworkMapPosition.PlacedBy.NEIGHBOURS))
    # ignore_conflicts: two pages placing the same work at once keep the first position.
    ArtworkMapPosition.objects.bulk_create(placed, ignore_conflicts=True, batch_size=1000)
    return len(placed)


# --- Thumbnail atlases.

def atlas_draw(artwork_ids: list[int], *, prefix: str | None = None) -> list[str]:
    """Draw the works' thumbnails, in this order, into atlas images of ATLAS_COLUMNS² cells of ATLAS_CELL pixels
    (cell n of atlas a holds work a * ATLAS_COLUMNS² + n, row by row) saved as JPEG in the default storage.
    Returns the storage names. A thumbnail that cannot be read leaves its cell blank."""
    per_atlas = ATLAS_COLUMNS * ATLAS_COLUMNS
    names = dict(Artwork.objects.filter(pk__in=artwork_ids).values_list("id", "thumbnail").iterator(chunk_size=5000))
    images_by_id = dict(Artwork.objects.filter(pk__in=[pk for pk in artwork_ids if not names.get(pk)])
                        .values_list("id", "image"))
    prefix = prefix or f"map/{timezone.now():%Y%m%d-%H%M%S}-{hashlib.md5(str(time.time()).encode()).hexdigest()[:8]}"
    saved = []
    for number, start in enumerate(range(0, len(artwork_ids), per_atlas)):
        chunk = artwork_ids[start:start + per_atlas]
        rows = -(-len(chunk) // ATLAS_COLUMNS)
        atlas = Image.new("RGB", (ATLAS_COLUMNS * ATLAS_CELL, rows * ATLAS_CELL), ATLAS_BACKGROUND)
        for cell, pk in enumerate(chunk):
            picture = _cell_picture(names.get(pk) or images_by_id.get(pk, ""))
            if picture is not None:
                left = (cell % ATLAS_COLUMNS) * ATLAS_CELL + (ATLAS_CELL - picture.width) // 2
                top = (cell // ATLAS_COLUMNS) * ATLAS_CELL + (ATLAS_CELL - picture.height) // 2
                atlas.paste(picture, (left, top))
        buffer = io.BytesIO()
        atlas.save(buffer, format="JPEG", quality=ATLAS_QUALITY, optimize=True)
        saved.append(default_storage.save(f"{prefix}/atlas-{number:04d}.jpg", ContentFile(buffer.getvalue())))
    return saved


def _cell_picture(name: str) -> Image.Image | None:
    """A stored picture shrunk to fit one cell (its aspect kept), or None when it cannot be read."""
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as handle, Image.open(handle) as picture:
            picture.draft("RGB", (ATLAS_CELL * 2, ATLAS_CELL * 2))  # JPEG: decode at 1/2 to 1/8 scale, far quicker
            picture = images.to_rgb(picture)
            picture.thumbnail((ATLAS_CELL, ATLAS_CELL), Image.Resampling.BILINEAR)
            return picture
    except Exception as exc:  # a missing or damaged file must not stop the map of every other work
        logger.warning("Map atlas: cannot read %s (%s)", name, exc)
        return None


# --- What the page fetches.

@dataclass(frozen=True)
class MapData:
    """The map's JSON, gzipped, and the version it was built for (its ETag)."""

    version: str
    body: bytes
    gzipped: bytes


_cache_lock = threading.Lock()
_cached: dict[str, tuple[float, MapData]] = {}  # model id: (checked at, monotonic; the data)
# The data a process built is served without asking the database again for this long: checking that it is current
# (placing new works, the version) reads every public work, too much for each request at 100k works.
DATA_CHECK_TTL_S = 5.0

_VERSION_SQL = """
    SELECT count(*), coalesce(sum(work.id), 0), max(work.updated_at), max(position.computed_at)
    FROM ({searchable}) AS work
    JOIN gallery_artworkmapposition AS position ON position.artwork_id = work.id
"""


def _data_version(model_id: str, layout: CollectionMap | None) -> str:
    """What the map data depends on: the layout, the public works placed on it (which, when edited), the artists."""
    sql, params = _searchable_sql(model_id, "id", "updated_at")
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL.format(searchable=sql), params)
        works = cursor.fetchone()
        cursor.execute(f"SELECT count(*), max(updated_at) FROM {Artist._meta.db_table}")
        artists = cursor.fetchone()
    layout_key = (layout.pk, layout.computed_at.isoformat()) if layout is not None else None
    return hashlib.md5(repr((model_id, layout_key, works, artists)).encode()).hexdigest()


def collection_map_data(*, model_id: str | None = None) -> MapData:
    """The public map data for the active model: positions, ids, artist/classification/period codes and the atlas
    URLs; places works embedded since the layout first, and asks a worker for a layout when there is none. Built
    once per version per process."""
    model_id = model_id or get_encoder().model_id
    with _cache_lock:
        recent = _cached.get(model_id)
    if recent is not None and time.monotonic() - recent[0] < DATA_CHECK_TTL_S:
        return recent[1]
    layout = CollectionMap.objects.filter(embedding_model=model_id).first()
    if layout is None:
        _request_layout()
    else:
        artworks_place_new(model_id=model_id)
    version = _data_version(model_id, layout)
    data = recent[1] if recent is not None and recent[1].version == version else None
    if data is None:
        body = json.dumps(_build(model_id, layout), separators=(",", ":")).encode()
        data = MapData(version=version, body=body, gzipped=gzip.compress(body, compresslevel=6))
    with _cache_lock:
        _cached.clear()
        _cached[model_id] = (time.monotonic(), data)
    return data


def _request_layout() -> None:
    """Queue a layout after commit (at most one every few minutes from pages): there is none for this model yet."""
    if not cache.add(LAYOUT_REQUESTED_KEY, True, timeout=300):
        return

    def send() -> None:
        try:
            collection_map_refresh_task.delay()
        except Exception as exc:  # broker down: the periodic task lays the map out later
            logger.warning("Could not queue the collection map's layout (%s)", exc)

    transaction.on_commit(send)


COORDINATE_SCALE = 65535  # positions travel as integers: a tenth of the bytes of full floats in JSON


def _build(model_id: str, layout: CollectionMap | None) -> dict:
    """The JSON document: one array per field, a work's values at the same index in each (compact at 100k)."""
    rows = [] if layout is None else list(
        ArtworkMapPosition.objects.filter(artwork__in=Artwork.objects.searchable(model_id)).order_by("artwork_id")
        .values_list("artwork_id", "x", "y", "atlas_cell", "artwork__artist_id", "artwork__classification",
                     "artwork__year_start", "artwork__year_end").iterator(chunk_size=10000))
    artist_counts = Counter(row[4] for row in rows if row[4] is not None)
    artist_ids = [pk for pk, _ in artist_counts.most_common()]  # most works first: the first colours cover most
    artist_index = {pk: number for number, pk in enumerate(artist_ids)}
    artist_rows = {pk: (name, slug) for pk, name, slug in Artist.objects.filter(pk__in=artist_ids)
                   .values_list("id", "name", "slug")}
    classification_counts = Counter(row[5] for row in rows if row[5])
    classifications = [name for name, _ in classification_counts.most_common()]
    classification_index = {name: number for number, name in enumerate(classifications)}
    atlases = layout.atlases if layout is not None else []
    return {
        "version": 1,
        "count": len(rows),
        "layout": None if layout is None else {"computed_at": layout.computed_at.isoformat(), "works": layout.works,
                                               "method": layout.method},
        "scale": COORDINATE_SCALE,
        "ids": [row[0] for row in rows],
        "x": [round(row[1] * COORDINATE_SCALE) for row in rows],
        "y": [round(row[2] * COORDINATE_SCALE) for row in rows],
        # -1: no thumbnail in the atlases yet (placed since the layout), drawn as a dot.
        "cell": [row[3] if row[3] is not None and row[3] < len(atlases) * ATLAS_COLUMNS ** 2 else -1 for row in rows],
        "artist": [artist_index.get(row[4], -1) for row in rows],
        "classification": [classification_index.get(row[5], -1) for row in rows],
        "period": [map_layout.period_of(row[6], row[7]) for row in rows],
        "artists": [{"name": artist_rows[pk][0], "slug": artist_rows[pk][1], "works": artist_counts[pk]}
                    for pk in artist_ids],
        "classifications": [{"name": name, "works": classification_counts[name]} for name in classifications],
        "periods": list(map_layout.PERIODS),
        "atlas": {"cell": ATLAS_CELL, "columns": ATLAS_COLUMNS,
                  "urls": [default_storage.url(name) for name in atlases]},
    }


def map_item(*, artwork_id: int) -> dict | None:
    """What the map shows of one selected published work, or None."""
    artwork = (Artwork.objects.published().select_related("artist")
               .only("title", "date", "thumbnail", "artist_qualifier", "artist__name", "artist__slug")
               .filter(pk=artwork_id).first())
    if artwork is None:
        return None
    return {"id": artwork.pk, "title": artwork.title, "date": artwork.date, "url": artwork.get_absolute_url(),
            "artist": artwork.artist_credit,
            "thumbnail_url": artwork.thumbnail.url if artwork.thumbnail else ""}
