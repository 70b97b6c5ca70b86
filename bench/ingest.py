"""Bulk import throughput end to end (read, decode, thumbnail, embed, write rows) against the two baselines.

Every variant imports the same files into an emptied gallery (bench database and media only) and ends with every row
READY. Variants alternate within each round, so background noise hits them alike; the report quotes medians.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection
from PIL import Image

from bench import baselines, db
from bench.stats import median, ratio
from gallery import kaggle
from gallery.models import Artist, Artwork, SearchWord
from gallery.services import encoding, importer, ingest

logger = logging.getLogger(__name__)


def reset_gallery() -> None:
    """Empty the bench database's gallery tables and media folder."""
    db.require_bench_database()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Artwork._meta.db_table}, {Artist._meta.db_table}, {SearchWord._meta.db_table} "
                       "RESTART IDENTITY CASCADE")
    shutil.rmtree(Path(settings.MEDIA_ROOT), ignore_errors=True)


def stored_vectors() -> dict[str, np.ndarray]:
    rows = Artwork.objects.filter(status=Artwork.Status.READY).values_list("image_sha256", "embedding")
    return {sha256: np.asarray(vector, dtype=np.float32) for sha256, vector in rows}


def cosines(vectors: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> np.ndarray:
    return np.array([float(np.dot(vectors[key], reference[key])) for key in reference if key in vectors])


def run(*, root: Path, limit: int, batch32_limit: int, loop_limit: int, rounds: int) -> dict:
    """Alternate product / batch-32 / one-at-a-time imports for `rounds` rounds; rates in images per second.

    The slower baselines import the first N of the same file list (it takes one image per artist in turn).
    """
    from gallery.clip import get_encoder

    files = list(kaggle.iter_images(kaggle.find_images_dir(root)))[:limit]
    encoder = get_encoder()  # loaded before timing: process start-up is not import throughput
    naive = baselines.NaiveOpenClip()
    variants = {
        "product": (limit, lambda: importer.dataset_import(root=root, limit=limit, sync=True).embedded),
        "batch32": (batch32_limit, lambda: baselines.import_batch32(root, files[:batch32_limit], naive)),
        "loop": (loop_limit, lambda: baselines.import_one_at_a_time(root, files[:loop_limit], naive)),
    }
    # The two halves of a --sync import, each alone. The encoding thread's work: encoding.encode_pictures on what
    # the import hands it, batch by batch, nothing stored. The calling thread's work: the same import with embedding
    # left queued for the worker (the command's default), then what it does for and after the encoder: preparing
    # each picture's inputs (crops, keypoints; timed apart) and storing the encoded batches (vectors, keypoints and
    # their visual words).
    decoded = [Image.open(image_file.path).convert("RGB") for image_file in files]
    inputs = [encoding.picture_inputs(image, encoder=encoder) for image in decoded]
    encoded = _encode(inputs, encoder)  # what the storing half stores
    variants["encoder_only"] = (limit, lambda: len(_encode(inputs, encoder)))
    variants["storing_only"] = (limit, lambda: _import_queued(root, limit, encoded, encoder.model_id))
    rates: dict[str, list[float]] = {name: [] for name in variants}
    inputs_seconds: list[float] = []
    vectors: dict[str, dict[str, np.ndarray]] = {}
    for round_ in range(rounds):
        names = list(variants)
        names = names[round_ % len(names):] + names[: round_ % len(names)]  # rotate who goes first
        for name in names:
            count, function = variants[name]
            reset_gallery()
            start = time.perf_counter()
            embedded = function()
            seconds = time.perf_counter() - start
            stored = {"encoder_only": count, "storing_only": Artwork.objects.count()}.get(
                name, Artwork.objects.filter(status=Artwork.Status.READY).count())
            if embedded != count or stored != count:
                raise RuntimeError(f"{name} embedded {embedded} of {count} images")
            rates[name].append(count / seconds)
            if name not in ("encoder_only", "storing_only"):
                vectors[name] = stored_vectors()
            logger.info("round %d %s: %d images in %.1f s = %.1f img/s", round_ + 1, name, count, seconds,
                        count / seconds)
        start = time.perf_counter()
        [encoding.picture_inputs(image, encoder=encoder) for image in decoded]
        inputs_seconds.append((time.perf_counter() - start) / limit)
    reset_gallery()
    bounds = [overlap_bound(encoder_rate=e, storing_rate=s, inputs_seconds=k)
              for e, s, k in zip(rates["encoder_only"], rates["storing_only"], inputs_seconds)]
    product_cos = cosines(vectors["product"], vectors["batch32"])
    loop_cos = cosines(vectors["loop"], vectors["batch32"])
    per_round = {name: values for name, values in rates.items()}
    return {
        "images": limit, "batch32_images": batch32_limit, "loop_images": loop_limit, "rounds": rounds,
        "precision": getattr(encoder, "precision", None), "torch_threads": _torch_threads(),
        "rates": per_round,
        "img_per_s": {name: median(values) for name, values in rates.items()},
        # Ratios per round (the variants ran back to back), then their median.
        "ratio_vs_batch32": median([p / b for p, b in zip(rates["product"], rates["batch32"])]),
        "ratio_vs_loop": median([p / b for p, b in zip(rates["product"], rates["loop"])]),
        "encoder_only_ratio_vs_loop": median([e / b for e, b in zip(rates["encoder_only"], rates["loop"])]),
        "inputs_ms": median(inputs_seconds) * 1000,
        "overlap_bound_img_per_s": median(bounds),
        "overlap_bound_ratio_vs_loop": median([b / loop for b, loop in zip(bounds, rates["loop"])]),
        # Issue 21's import goal: the product against what these cores allow it, round by round.
        "ratio_vs_bound": median([p / b for p, b in zip(rates["product"], bounds)]),
        "ratio_of_medians_vs_batch32": ratio(median(rates["product"]), median(rates["batch32"])),
        "cosine_vs_fp32": {"min": float(product_cos.min()), "median": float(np.median(product_cos)),
                           "n": int(product_cos.size)},
        "loop_cosine_vs_batch32_min": float(loop_cos.min()),
    }


def _encode(inputs: list[encoding.PictureInputs], encoder) -> list[encoding.EncodedPicture]:
    """What the import's encoding thread does, batch by batch as the import hands them over."""
    size = ingest.EMBED_BATCH_SIZE
    return [item for start in range(0, len(inputs), size)
            for item in encoding.encode_pictures(inputs[start:start + size], encoder=encoder)]


def _import_queued(root: Path, limit: int, encoded: list[encoding.EncodedPicture], model_id: str) -> int:
    """The import without --sync (rows stored, embedding jobs queued, then dropped: no worker here), then the encoded
    batches stored on its rows as the --sync import's calling thread stores them."""
    from artsearch.celery import app

    imported = importer.dataset_import(root=root, limit=limit).imported
    app.control.purge()
    ids = list(Artwork.objects.order_by("pk").values_list("pk", flat=True))  # the import's order: the files'
    size = ingest.EMBED_BATCH_SIZE
    for start in range(0, len(ids), size):
        ingest.artworks_attach_vectors(artwork_ids=ids[start:start + size], encoded=encoded[start:start + size],
                                       model_id=model_id)
    return imported


def overlap_bound(*, encoder_rate: float, storing_rate: float, inputs_seconds: float, cores: int = 2) -> float:
    """The most images/s a --sync import could reach if its two halves overlapped perfectly on `cores` cores.

    Encoding keeps every core busy (its torch threads scale almost linearly: 83 images/s on one thread, 168 on two,
    measured 2026-11-25), so it costs `cores / encoder_rate` core-seconds an image; the calling thread's storing and
    preparing of the encoder's inputs cost their wall time on one core. Nothing can beat the sum of both spread over
    all the cores, nor the calling thread's half alone on its one thread.
    """
    storing = 1 / storing_rate + inputs_seconds
    return 1 / max(1 / encoder_rate + storing / cores, storing)


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()
