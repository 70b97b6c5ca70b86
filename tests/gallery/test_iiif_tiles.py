"""gallery.iiif_tiles: the static IIIF tile set of a picture, checked file by file against what a viewer asks for."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from gallery import iiif_tiles

WIDTH, HEIGHT = 6000, 4000


def smooth_picture(width: int, height: int) -> Image.Image:
    """Gradients a JPEG keeps almost exactly, so a tile can be compared pixel by pixel with the original."""
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    pixels = np.stack([x * 255 + 0 * y, y * 255 + 0 * x, (x + y) * 127], axis=-1)
    return Image.fromarray(pixels.astype(np.uint8))


@pytest.fixture(scope="module")
def large():
    picture = smooth_picture(WIDTH, HEIGHT)
    return picture, dict(iiif_tiles.make_tiles(picture))


def openseadragon_urls(info: dict) -> set[str]:
    """The tile paths OpenSeadragon 6 (static/vendor/openseadragon) requests for a level-0 IIIF 3 info.json, at every
    level, written after its IIIFTileSource.getTileUrl: what the tile set must hold."""
    width, height = info["width"], info["height"]
    tile = info["tiles"][0]["width"]
    max_level = round(math.log2(max(info["tiles"][0]["scaleFactors"])))
    urls = set()
    for level in range(max_level + 1):
        scale = 0.5 ** (max_level - level)
        level_w, level_h = math.ceil(width * scale), math.ceil(height * scale)
        span = round(tile / scale)
        if level_w < tile and level_h < tile:
            size = "max" if (level_w, level_h) == (width, height) else f"{level_w},{level_h}"
            urls.add(f"full/{size}/0/default.jpg")
            continue
        for y in range(math.ceil(level_h / tile)):
            for x in range(math.ceil(level_w / tile)):
                region_w, region_h = min(span, width - x * span), min(span, height - y * span)
                region = "full" if (x, y, region_w, region_h) == (0, 0, width, height) else \
                    f"{x * span},{y * span},{region_w},{region_h}"
                size_w, size_h = min(tile, level_w - x * tile), min(tile, level_h - y * tile)
                size = "max" if (size_w, size_h) == (width, height) else f"{size_w},{size_h}"
                urls.add(f"{region}/{size}/0/default.jpg")
    return urls


def test_info_json_of_a_6000_by_4000_picture():
    info = iiif_tiles.info("https://example.org/iiif/1/abc", WIDTH, HEIGHT)
    assert info["@context"] == "http://iiif.io/api/image/3/context.json"
    assert (info["type"], info["protocol"], info["profile"]) == ("ImageService3", "http://iiif.io/api/image", "level0")
    assert (info["id"], info["width"], info["height"]) == ("https://example.org/iiif/1/abc", WIDTH, HEIGHT)
    # Halved until the whole picture fits one 512-pixel tile: 6000 / 16 = 375.
    assert info["tiles"] == [{"width": 512, "height": 512, "scaleFactors": [1, 2, 4, 8, 16]}]
    assert info["sizes"] == [{"width": 375, "height": 250}, {"width": 750, "height": 500},
                             {"width": 1500, "height": 1000}]  # 3000 × 2000 is past SIZES_MAX_SIDE


def test_the_tile_set_holds_every_file_a_viewer_asks_for_and_each_listed_size(large):
    _, files = large
    info = iiif_tiles.info("x", WIDTH, HEIGHT)
    wanted = openseadragon_urls(info) | {f"full/{s['width']},{s['height']}/0/default.jpg" for s in info["sizes"]}
    assert set(files) == wanted
    # 12 × 8 tiles at full resolution, 6 × 4, 3 × 2, 2 × 1, the whole picture at 1/16, and the two other sizes.
    assert len(files) == 96 + 24 + 6 + 2 + 1 + 2 == 131
    assert len(iiif_tiles.tile_files(WIDTH, HEIGHT)) == len(files)


def test_a_full_resolution_tile_is_the_original_pixels(large):
    picture, files = large
    tile = Image.open(io.BytesIO(files["1024,512,512,512/512,512/0/default.jpg"]))
    assert tile.format == "JPEG" and tile.size == (512, 512)
    original = np.asarray(picture.crop((1024, 512, 1536, 1024)), dtype=np.int16)
    assert np.abs(np.asarray(tile, dtype=np.int16) - original).mean() < 2


def test_edge_tiles_are_cut_at_the_picture_and_reduced_levels_average_it(large):
    picture, files = large
    corner = Image.open(io.BytesIO(files["5632,3584,368,416/368,416/0/default.jpg"]))
    assert corner.size == (368, 416)
    assert np.abs(np.asarray(corner, dtype=np.int16)
                  - np.asarray(picture.crop((5632, 3584, 6000, 4000)), dtype=np.int16)).mean() < 2
    # At 1/8 a tile covers 4096 original pixels: the last column is the remaining 1904, 238 pixels wide.
    assert Image.open(io.BytesIO(files["4096,0,1904,4000/238,500/0/default.jpg"])).size == (238, 500)
    whole = Image.open(io.BytesIO(files["full/375,250/0/default.jpg"]))
    expected = np.asarray(picture.resize((375, 250), Image.Resampling.BOX), dtype=np.int16)
    assert whole.size == (375, 250) and np.abs(np.asarray(whole, dtype=np.int16) - expected).mean() < 2


@pytest.mark.parametrize("size", [(300, 200), (512, 512), (513, 200), (400, 3000), (1, 1), (4097, 1025)])
def test_odd_sizes_give_exactly_the_viewer_urls(size):
    files = dict(iiif_tiles.make_tiles(smooth_picture(*size)))
    info = iiif_tiles.info("x", *size)
    assert set(files) == openseadragon_urls(info) | {f"full/{s['width']},{s['height']}/0/default.jpg"
                                                     for s in info["sizes"]}
    for name, data in files.items():  # every file is a JPEG of the size its name says
        width, height = (int(n) for n in name.split("/")[1].split(",")) if name.split("/")[1] != "max" else size
        assert Image.open(io.BytesIO(data)).size == (width, height), name


def test_a_small_picture_is_one_tile_under_both_names():
    assert [tile.name for tile in iiif_tiles.tile_files(300, 200)] == ["full/max/0/default.jpg",
                                                                      "full/300,200/0/default.jpg"]
    assert iiif_tiles.info("x", 300, 200)["tiles"][0]["scaleFactors"] == [1]
