"""Detail search (issue 19) on the Met sample, today's product against regions + keypoints in one run.

The Met sample's works are imported by the product (ingest.artwork_create, then the worker's artworks_embed) into an
emptied gallery. Queries are details a visitor might photograph: crops covering 20–42 % of a random work at random
positions (aspect jittered by up to 25 %), saved as JPEG quality 80, and whole works resized to 90 % and saved the
same way. Each query is answered three ways against the same rows:

- baseline: today's product before this change, the whole-work vector (a recognised reproduction first);
- regions: the same with the works' region vectors (no keypoints);
- product: gallery.services.search.search_page, regions and the keypoint check of the nearest candidates.

The import rate is measured on the same files with the regions and keypoints off (today), with the product's
settings, and with the optional half-size regions. Latency at 100k works is in suites.run_image (the synthetic
gallery gets regions and real keypoint blobs from here: `add_synthetic_details`).
"""

from __future__ import annotations

import io
import logging
import math
import random
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from pgvector import Bit
from pgvector.django import HnswIndex
from PIL import Image

from bench import db
from bench.ingest import reset_gallery
from bench.stats import latency_summary
from gallery import images, keypoints, vector_index, visual_words
from gallery.clip import get_encoder
from gallery.models import Artist, Artwork, ArtworkKeypoints, ArtworkRegion
from gallery.regions import Box, crop
from gallery.services import ingest, recognition, search
from gallery.services.detail_search import Lead

logger = logging.getLogger(__name__)

BATCH = 32
TODAY = {"GALLERY_REGION_SCALES": [], "GALLERY_KEYPOINTS": 0}  # before issue 19: one vector a work


def met_images(met_dir: Path) -> list[Path]:
    """The sample's readable images (one of its 1,000 "images" is an HTML page)."""
    paths = []
    for path in sorted((met_dir / "images").glob("*.jpg")):
        try:
            with Image.open(path) as image:
                image.verify()
        except Exception:  # noqa: BLE001 - a file that is not an image is the sample's own defect
            continue
        paths.append(path)
    return paths


def _import(paths: list[Path]) -> tuple[list[Artwork], float]:
    """Store and embed `paths` as the product does (files, rows, then the worker's batches); returns the works and
    the seconds it took."""
    artist = Artist.objects.get_or_create(name="Met sample (bench)")[0]
    encoder = get_encoder()
    start = time.perf_counter()
    works = []
    for path in paths:
        with open(path, "rb") as handle:
            works.append(ingest.artwork_create(artist=artist, title=path.stem, enqueue=False,
                                               image=SimpleUploadedFile(path.name, handle.read())))
    for first in range(0, len(works), BATCH):
        ingest.artworks_embed(artwork_ids=[work.pk for work in works[first:first + BATCH]], encoder=encoder)
    return works, time.perf_counter() - start


def import_rates(paths: list[Path]) -> dict:
    """Images a second, store + embed, today against the product's settings and the half-size regions option."""
    variants = {"today": TODAY, "product": {},
                "product_half_size_regions": {"GALLERY_REGION_SCALES": [1.0, 0.5]}}
    rates = {}
    for name, overrides in variants.items():
        reset_gallery()
        with override_settings(**overrides):
            _, seconds = _import(paths)
        rates[name] = len(paths) / seconds
        logger.info("import with %s: %.1f images/s", name, rates[name])
    return rates


def detail_queries(paths: list[Path], count: int, seed: int) -> list[tuple[int, bytes, Box]]:
    """(index of the work, JPEG bytes, the box it was cut from) for `count` random details."""
    rng = random.Random(seed)
    queries = []
    for index in rng.sample(range(len(paths)), count):
        area, stretch = rng.uniform(0.20, 0.42), rng.uniform(0.8, 1.25)
        width = min(1.0, math.sqrt(area) * stretch)
        height = min(1.0, area / width)
        box = Box(rng.uniform(0, 1 - width), rng.uniform(0, 1 - height), width, height)
        with Image.open(paths[index]) as image:
            queries.append((index, _jpeg(crop(image.convert("RGB"), box)), box))
    return queries


def whole_queries(paths: list[Path], count: int, seed: int) -> list[tuple[int, bytes, None]]:
    rng = random.Random(seed)
    queries = []
    for index in rng.sample(range(len(paths)), count):
        with Image.open(paths[index]) as image:
            image = image.convert("RGB")
            queries.append((index, _jpeg(image.resize((image.width * 9 // 10, image.height * 9 // 10))), None))
    return queries


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _checked(data: bytes) -> images.CheckedImage:
    return images.check_image(SimpleUploadedFile("query.jpg", data, content_type="image/jpeg"))


def _vector_ranking(checked: images.CheckedImage, *, regions: bool, k: int) -> list[int]:
    """Today's image search (regions=False), or it with the works' region vectors: a recognised work, then the
    nearest works."""
    encoder = get_encoder()
    vector = encoder.encode_images([checked.image])[0]
    known = recognition.artwork_in_collection(checked.image, model_id=encoder.model_id)
    leads = [Lead(pk=known.pk, in_collection=True)] if known else []
    hits = search.artwork_search(vector=vector, k=k, leads=leads, model_id=encoder.model_id, regions=regions)
    return [hit.artwork.pk for hit in hits]


def accuracy(works: list[Artwork], queries: list[tuple[int, bytes, Box | None]]) -> dict:
    """Top-1 and top-10 for each way of answering, and the product's seconds a query (in-process)."""
    found = {"baseline": [], "regions": [], "product": []}
    seconds = []
    located = []
    for index, data, box in queries:
        target = works[index].pk
        checked = _checked(data)
        found["baseline"].append(_rank(_vector_ranking(checked, regions=False, k=10), target))
        found["regions"].append(_rank(_vector_ranking(checked, regions=True, k=10), target))
        start = time.perf_counter()
        page = search.search_page(query=search.SearchQuery(image=_checked(data)), k=10)
        seconds.append(time.perf_counter() - start)
        ranking = [hit.artwork.pk for hit in page.hits]
        found["product"].append(_rank(ranking, target))
        if box is not None and page.hits and page.hits[0].artwork.pk == target and page.hits[0].box is not None:
            got = page.hits[0].box
            located.append(max(abs(got.x - box.x), abs(got.y - box.y), abs(got.w - box.w), abs(got.h - box.h)))
    result = {name: {"top1": float(np.mean([rank == 0 for rank in ranks])),
                     "top10": float(np.mean([rank < 10 for rank in ranks]))} for name, ranks in found.items()}
    result["queries"] = len(queries)
    result["product_latency"] = latency_summary(seconds)
    if located:
        result["box_error_max_p50"] = float(np.median(located))  # fractions of the work, worst side
    return result


def shortlist_sweep(works: list[Artwork], queries: list[tuple[int, bytes, Box | None]],
                    sizes: list[tuple[int, int]]) -> list:
    """The product's top 1 and seconds a query for other (GALLERY_DETAIL_WORDS_SHORTLIST, GALLERY_DETAIL_SHORTLIST)
    pairs: how many candidates by visual words and by vector the keypoints check decides both."""
    points = []
    for words, vector in sizes:
        seconds, firsts = [], []
        with override_settings(GALLERY_DETAIL_WORDS_SHORTLIST=words, GALLERY_DETAIL_SHORTLIST=vector):
            for index, data, _ in queries:
                start = time.perf_counter()
                page = search.search_page(query=search.SearchQuery(image=_checked(data)), k=10)
                seconds.append(time.perf_counter() - start)
                firsts.append(bool(page.hits) and page.hits[0].artwork.pk == works[index].pk)
        points.append({"words": words, "vector": vector, "top1": float(np.mean(firsts)), **latency_summary(seconds)})
        logger.info("shortlist %d by words, %d by vector: %s", words, vector, points[-1])
    return points


def _rank(ranking: list[int], target: int) -> int:
    return ranking.index(target) if target in ranking else 10**6


def sizes() -> dict:
    """Bytes a work of what detail search stores: region rows with their HNSW index, keypoints."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_total_relation_size(%s)",
                       [ArtworkRegion._meta.db_table, vector_index.REGIONS.index_name(vector_index.configured_kind()),
                        ArtworkKeypoints._meta.db_table])
        regions_total, regions_index, keypoints_total = cursor.fetchone()
    works = Artwork.objects.count()
    return {"works": works, "regions": ArtworkRegion.objects.count(),
            "regions_per_work": ArtworkRegion.objects.count() / max(works, 1),
            "region_table_and_index_mb": regions_total / 2**20, "region_index_mb": regions_index / 2**20,
            "keypoints_mb": keypoints_total / 2**20,
            "bytes_per_work": (regions_total + keypoints_total) / max(works, 1)}


def run(*, met_dir: Path, n_details: int, n_whole: int, rate_works: int, sweep: list[tuple[int, int]],
        seed: int = 19) -> dict:
    db.require_bench_database()
    paths = met_images(met_dir)
    rates = import_rates(paths[:rate_works])
    reset_gallery()
    works, seconds = _import(paths)
    logger.info("imported %d Met works with regions and keypoints in %.0f s", len(works), seconds)
    queries = detail_queries(paths, n_details, seed)
    details = accuracy(works, queries)
    logger.info("details: %s", details)
    details["shortlist_sweep"] = shortlist_sweep(works, queries[:max(20, n_details // 3)], sweep)
    whole = accuracy(works, whole_queries(paths, n_whole, seed + 1))
    logger.info("whole pictures: %s", whole)
    return {"works": len(works), "import_rates": rates, "import_all_s": seconds, "details": details,
            "whole": whole, "sizes": sizes(),
            "settings": {"region_scales": settings.GALLERY_REGION_SCALES, "keypoints": settings.GALLERY_KEYPOINTS,
                         "shortlist": settings.GALLERY_DETAIL_SHORTLIST,
                         "words_shortlist": settings.GALLERY_DETAIL_WORDS_SHORTLIST,
                         "words_ef_search": settings.GALLERY_DETAIL_WORDS_EF_SEARCH}}


# At 100k works, the first TARGETS synthetic works get the keypoints and visual words of the first TARGETS Met works,
# so that details of those are searched for among 100k; every other work gets the keypoints of one of the next
# TARGETS Met works (what the check costs) and words drawn at random as often as words occur in Met works.
TARGETS = 300


def met_keypoint_blobs(met_dir: Path, cache: Path, limit: int = 2 * TARGETS) -> list[bytes]:
    """Keypoints of real Met works as the worker stores them (cached), for the synthetic 100k gallery."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"met-keypoints-{settings.GALLERY_KEYPOINTS}-{limit}.npy"
    if path.exists():
        return [bytes(blob) for blob in np.load(path, allow_pickle=True)]
    blobs = []
    for image_path in met_images(met_dir)[:limit]:
        with open(image_path, "rb") as handle:
            picture = images.open_for_encoding(handle)
        blobs.append(keypoints.extract(picture, features=settings.GALLERY_KEYPOINTS).to_bytes())
    np.save(path, np.array(blobs, dtype=object), allow_pickle=True)
    return blobs


def _random_words(real: list[np.ndarray], rng: np.random.Generator):
    """Word sets like Met works' (about as many words, each word as frequent), drawn at random."""
    frequency = np.bincount(np.concatenate([np.flatnonzero(bits) for bits in real]), minlength=visual_words.WORDS)
    frequency = (frequency + 1) / (frequency + 1).sum()
    counts = [int(bits.sum()) for bits in real]
    while True:
        present = np.zeros(visual_words.WORDS, dtype=bool)
        # Drawn with replacement (fast), a few more to make up for the repeats.
        present[rng.choice(visual_words.WORDS, int(rng.choice(counts) * 1.15), p=frequency)] = True
        yield present


def add_synthetic_details(*, blobs: list[bytes], regions_per_work: int = 1, seed: int = 5) -> dict:
    """Give every synthetic work `regions_per_work` region vectors (its own vector plus noise: what its letterboxed
    whole looks like to CLIP; the product stores one for every work that is not square) and a real work's
    keypoints with visual words (see TARGETS), unless it has them; returns the timings."""
    model_id = get_encoder().model_id
    if ArtworkRegion.objects.exists():
        return {"reused": True}
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    vocabulary, vocabulary_id = visual_words.vocabulary(), visual_words.vocabulary_id()
    real = [vocabulary.bits(keypoints.Keypoints.from_bytes(blob).descriptors) for blob in blobs]
    random_words = _random_words(real, rng)
    indexes = [index for index in ArtworkKeypoints._meta.indexes if isinstance(index, HnswIndex)]
    kind = vector_index.configured_kind()
    with connection.schema_editor() as editor:
        for index in indexes:
            editor.remove_index(ArtworkKeypoints, index)
        editor.execute(f"DROP INDEX IF EXISTS {vector_index.REGIONS.index_name(kind)}")  # the regions' vectors
    rows = Artwork.objects.values_list("pk", "embedding").iterator(chunk_size=2000)
    with db.connect() as conn:
        with conn.cursor() as cur:
            with cur.copy(f"COPY {ArtworkRegion._meta.db_table} (artwork_id, x, y, w, h, embedding, embedding_model) "
                          "FROM STDIN WITH (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "float8", "float8", "float8", "float8", "vector", "text"])
                for pk, vector in rows:
                    for number in range(regions_per_work):
                        noisy = np.asarray(vector, dtype=np.float32) + rng.normal(0, 0.03, len(vector)).astype(
                            np.float32)
                        copy.write_row((pk, 0.0, 0.0, 1.0, 1.0, noisy / np.linalg.norm(noisy), model_id))
            with cur.copy(f"COPY {ArtworkKeypoints._meta.db_table} (artwork_id, data, words, vocabulary) FROM STDIN "
                          "WITH (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "bytea", "bit", "text"])
                for number, pk in enumerate(synthetic_pks()):
                    if number < TARGETS:
                        blob, words = blobs[number], real[number]
                    else:
                        blob, words = blobs[TARGETS + number % (len(blobs) - TARGETS)], next(random_words)
                    copy.write_row((pk, blob, Bit(words), vocabulary_id))
        conn.commit()
    copy_s = time.perf_counter() - start
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SET maintenance_work_mem = '{db.BUILD_MEMORY}'")
        with connection.schema_editor() as editor:
            for index in indexes:
                editor.add_index(ArtworkKeypoints, index)
            editor.execute(vector_index.create_index_sql(kind, vector_index.REGIONS.table,
                                                         vector_index.REGIONS.index_name(kind)))
        cursor.execute(f"VACUUM ANALYZE {ArtworkRegion._meta.db_table}")
        cursor.execute(f"VACUUM ANALYZE {ArtworkKeypoints._meta.db_table}")
        cursor.execute("RESET maintenance_work_mem")
    return {"copy_s": copy_s, "index_build_s": time.perf_counter() - start, **sizes()}


def synthetic_pks():
    """The synthetic works in the order add_synthetic_details gives them keypoints."""
    return Artwork.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=5000)


def at_scale(met_dir: Path, count: int, seed: int) -> dict:
    """Details of the first TARGETS Met works searched for among the 100k synthetic works (each Met work's keypoints
    and words are those of one synthetic work; its vector is not): the product's search_page, its seconds, and how
    often the work comes first. Found first here, the words and the keypoints did it alone."""
    targets = list(Artwork.objects.order_by("pk").values_list("pk", flat=True)[:TARGETS])
    queries = detail_queries(met_images(met_dir)[:TARGETS], count, seed)
    seconds, firsts = [], []
    for index, data, _ in queries:
        start = time.perf_counter()
        page = search.search_page(query=search.SearchQuery(image=_checked(data)), k=12)
        seconds.append(time.perf_counter() - start)
        firsts.append(bool(page.hits) and page.hits[0].artwork.pk == targets[index])
    return {**latency_summary(seconds), "top1": float(np.mean(firsts))}
