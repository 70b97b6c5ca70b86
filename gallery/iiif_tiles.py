"""Static IIIF Image API 3 tiles (level 0) made with Pillow: every file a viewer asks for, and the info.json.

A level-0 service serves files, not computed images, so we write the exact URLs viewers request. OpenSeadragon (the
deep-zoom engine of our page, of Mirador and of the Universal Viewer) builds them from info.json as follows, and so
do we: at scale factor s (1, 2, 4 … up to where the whole picture fits one tile) the picture is
ceil(W/s) × ceil(H/s); a tile covers TILE_SIZE × s original pixels, cut at the picture's edge; its region is
"x,y,w,h" ("full" when it covers the whole picture) and its size "w,h" ("max" when that is the full size). A level
smaller than one tile both ways is the single file full/w,h. The whole picture is also written at each size listed
in "sizes" (up to SIZES_MAX_SIDE) as full/w,h, for clients that want one image, such as an importer or a thumbnail.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image

TILE_SIZE = 512  # OpenSeadragon's favourite; 4× fewer files (storage requests) than 256 for a few more bytes a view
SIZES_MAX_SIDE = 2048  # whole-picture sizes written beside the tiles; bigger ones would repeat the original
JPEG_QUALITY = 85
INFO_JSON = "info.json"
CONTEXT = "http://iiif.io/api/image/3/context.json"


@dataclass(frozen=True)
class TileFile:
    """One file of the tile set: its path under the service's folder, the scale factor, and the box it takes from
    the picture reduced by that factor (left, top, right, bottom)."""

    name: str
    scale_factor: int
    box: tuple[int, int, int, int]


def scale_factors(width: int, height: int, tile_size: int = TILE_SIZE) -> list[int]:
    """1, 2, 4 … up to the first factor at which the whole picture fits in one tile."""
    factors = [1]
    while math.ceil(max(width, height) / factors[-1]) > tile_size:
        factors.append(factors[-1] * 2)
    return factors


def level_size(width: int, height: int, factor: int) -> tuple[int, int]:
    return math.ceil(width / factor), math.ceil(height / factor)


def _size(width: int, height: int, full: tuple[int, int]) -> str:
    return "max" if (width, height) == full else f"{width},{height}"


def sizes(width: int, height: int, tile_size: int = TILE_SIZE) -> list[tuple[int, int]]:
    """The whole-picture sizes offered, smallest first: one per scale factor, up to SIZES_MAX_SIDE."""
    found = [level_size(width, height, factor) for factor in scale_factors(width, height, tile_size)]
    return sorted(size for size in found if max(size) <= SIZES_MAX_SIDE)


def tile_files(width: int, height: int, tile_size: int = TILE_SIZE) -> list[TileFile]:
    """Every file of the tile set of a width × height picture (without info.json), each name once."""
    files: dict[str, TileFile] = {}
    full = (width, height)
    for factor in scale_factors(width, height, tile_size):
        level_w, level_h = level_size(width, height, factor)
        if level_w < tile_size and level_h < tile_size:
            name = f"full/{_size(level_w, level_h, full)}/0/default.jpg"
            files[name] = TileFile(name, factor, (0, 0, level_w, level_h))
            continue
        span = tile_size * factor  # original pixels a tile covers
        for row in range(math.ceil(level_h / tile_size)):
            for column in range(math.ceil(level_w / tile_size)):
                x, y = column * span, row * span
                region_w, region_h = min(span, width - x), min(span, height - y)
                region = "full" if (x, y, region_w, region_h) == (0, 0, width, height) else \
                    f"{x},{y},{region_w},{region_h}"
                tile_w, tile_h = min(tile_size, level_w - column * tile_size), min(tile_size, level_h - row * tile_size)
                name = f"{region}/{_size(tile_w, tile_h, full)}/0/default.jpg"
                left, top = column * tile_size, row * tile_size
                files[name] = TileFile(name, factor, (left, top, left + tile_w, top + tile_h))
    for size_w, size_h in sizes(width, height, tile_size):
        # Always "w,h" here, the full size too: clients that read "sizes" ask for exactly what it lists.
        name = f"full/{size_w},{size_h}/0/default.jpg"
        if name not in files:
            factor = next(f for f in scale_factors(width, height, tile_size)
                          if level_size(width, height, f) == (size_w, size_h))
            files[name] = TileFile(name, factor, (0, 0, size_w, size_h))
    return list(files.values())


def info(service_id: str, width: int, height: int, tile_size: int = TILE_SIZE) -> dict:
    """The info.json of the tile set, for a service whose files live under `service_id`."""
    return {
        "@context": CONTEXT,
        "id": service_id,
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": "level0",
        "width": width,
        "height": height,
        "tiles": [{"width": tile_size, "height": tile_size, "scaleFactors": scale_factors(width, height, tile_size)}],
        "sizes": [{"width": w, "height": h} for w, h in sizes(width, height, tile_size)],
    }


def _reduced(image: Image.Image, factor: int) -> Image.Image:
    """The picture at 1/factor, exactly ceil(W/factor) × ceil(H/factor) as the tile names say."""
    target = level_size(*image.size, factor)
    if factor == 1:
        return image
    reduced = image.reduce(factor)  # box filter: averages every source pixel, and is quick
    return reduced if reduced.size == target else image.resize(target, Image.Resampling.BOX)


def make_tiles(image: Image.Image, tile_size: int = TILE_SIZE) -> Iterator[tuple[str, bytes]]:
    """(name, JPEG bytes) for every file of the tile set of an upright RGB picture, one level in memory at a time."""
    by_factor: dict[int, list[TileFile]] = {}
    for tile in tile_files(*image.size, tile_size):
        by_factor.setdefault(tile.scale_factor, []).append(tile)
    for factor in sorted(by_factor):
        level = _reduced(image, factor)
        for tile in by_factor[factor]:
            buffer = io.BytesIO()
            level.crop(tile.box).save(buffer, format="JPEG", quality=JPEG_QUALITY)
            yield tile.name, buffer.getvalue()
