"""Deep-zoom tile generation cost per image (gallery/iiif_tiles.py, as the worker runs it in
gallery/services/iiif.py): 20 Met paintings as stored, and one 6000 × 4000 picture.

For each picture: decoding the stored original (whole, upright, RGB), cutting and encoding every tile, and writing
them through a local FileSystemStorage in a temporary folder (a bucket adds one request per file: the file count is
reported for that). No database, no worker: the figures are the worker's own work per picture.
"""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from PIL import Image, ImageOps

from bench.stats import latency_summary
from gallery import iiif_tiles
from gallery.images import to_rgb


def _large_picture() -> bytes:
    """A 6000 × 4000 JPEG (about 3 MB): smooth gradients with fine rings, like a photographed canvas."""
    x = np.linspace(0, 1, 6000, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, 4000, dtype=np.float32)[:, None]
    rings = (np.sin(300 * np.hypot(x - 0.4, y - 0.6)) * 0.5 + 0.5) * 255
    pixels = np.stack([rings, x * 255 + 0 * y, y * 255 + 0 * x], axis=-1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def tile_one(data: bytes, storage: FileSystemStorage, folder: str) -> dict:
    """Decode, tile and write one picture; the seconds of each step, the files and their bytes."""
    started = time.perf_counter()
    with Image.open(io.BytesIO(data)) as image:
        picture = to_rgb(ImageOps.exif_transpose(image))
    decoded = time.perf_counter()
    tiles = list(iiif_tiles.make_tiles(picture))
    encoded = time.perf_counter()
    for name, tile in tiles:
        storage.save(f"{folder}/{name}", ContentFile(tile))
    written = time.perf_counter()
    return {"width": picture.width, "height": picture.height, "decode_s": decoded - started,
            "tiles_s": encoded - decoded, "write_s": written - encoded, "total_s": written - started,
            "files": len(tiles) + 1, "bytes": sum(len(tile) for _, tile in tiles), "source_bytes": len(data)}


def run(*, met_dir: Path, count: int = 20) -> dict:
    pictures = sorted((met_dir / "images").glob("*.jpg"))[:count]
    with tempfile.TemporaryDirectory() as root:
        storage = FileSystemStorage(location=root)
        met = [tile_one(path.read_bytes(), storage, f"met/{n}") for n, path in enumerate(pictures)]
        large = tile_one(_large_picture(), storage, "large")
    megapixels = [item["width"] * item["height"] / 1e6 for item in met]
    return {
        "met": {
            "pictures": len(met),
            "megapixels_mean": float(np.mean(megapixels)) if met else None,
            "total": latency_summary([item["total_s"] for item in met]),
            "mean_s": {step: float(np.mean([item[step] for item in met])) if met else None
                       for step in ("decode_s", "tiles_s", "write_s", "total_s")},
            "files_mean": float(np.mean([item["files"] for item in met])) if met else None,
            "tile_bytes_mean": float(np.mean([item["bytes"] for item in met])) if met else None,
            "source_bytes_mean": float(np.mean([item["source_bytes"] for item in met])) if met else None,
        },
        "large_6000x4000": large,
    }


def markdown(result: dict | None) -> list[str]:
    """The report's section (bench/report.py)."""
    if not result:
        return []
    met, large = result["met"], result["large_6000x4000"]
    lines = ["", "## Deep-zoom tiles (issue 20)", "",
             "Static IIIF level-0 tiles (512 px JPEG) made from the stored original as the worker makes them: decode, "
             "cut and encode, write to local storage (`bench/iiif.py`).", "",
             "| pictures | decode | tiles | write | total per picture | files | tile bytes | original bytes |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    if met["pictures"]:
        steps = met["mean_s"]
        lines.append(f"| {met['pictures']} Met paintings (mean {met['megapixels_mean']:.1f} MP), mean | "
                     f"{steps['decode_s'] * 1000:.0f} ms | {steps['tiles_s'] * 1000:.0f} ms | "
                     f"{steps['write_s'] * 1000:.0f} ms | {steps['total_s'] * 1000:.0f} ms "
                     f"(p95 {met['total']['p95_ms']:.0f} ms) | {met['files_mean']:.0f} | "
                     f"{met['tile_bytes_mean'] / 1e6:.2f} MB | {met['source_bytes_mean'] / 1e6:.2f} MB |")
    lines.append(f"| one 6000 × 4000 picture | {large['decode_s'] * 1000:.0f} ms | {large['tiles_s'] * 1000:.0f} ms | "
                 f"{large['write_s'] * 1000:.0f} ms | {large['total_s'] * 1000:.0f} ms | {large['files']} | "
                 f"{large['bytes'] / 1e6:.2f} MB | {large['source_bytes'] / 1e6:.2f} MB |")
    return lines
