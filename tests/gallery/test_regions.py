"""Boxes of a picture: the regions the worker embeds cover every part of it, and a visitor's box is checked."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gallery.regions import Box, crop, letterboxed, region_boxes


def _coverage(width: int, height: int, boxes: list[Box]) -> np.ndarray:
    """Which pixels of a width × height picture some box covers."""
    covered = np.zeros((height, width), dtype=bool)
    for box in boxes:
        left, top, right, bottom = box.pixels(width, height)
        covered[top:bottom, left:right] = True
    return covered


@pytest.mark.parametrize("size", [(1200, 400), (400, 1300), (800, 600)])
def test_scale_one_is_the_whole_work_for_any_shape_but_a_square(size):
    assert region_boxes(*size, scales=[1.0]) == [Box(0.0, 0.0, 1.0, 1.0)]
    assert region_boxes(500, 500, scales=[1.0]) == []  # the main vector already sees all of a square work


@pytest.mark.parametrize("scale, count", [(0.5, 9), (0.4, 16), (0.7, 4)])
def test_smaller_scales_tile_the_picture_with_overlapping_windows_of_its_shape(scale, count):
    boxes = region_boxes(1200, 400, scales=[scale])
    assert len(boxes) == count
    assert _coverage(1200, 400, boxes).all()
    assert all(box.w == box.h == scale for box in boxes)
    # Neighbours overlap by at least half a window, so a detail of that size lies mostly inside one of them.
    starts = sorted({box.x for box in boxes})
    assert all(b - a <= scale / 2 + 1e-9 for a, b in zip(starts, starts[1:]))


def test_windows_below_the_smallest_useful_crop_are_left_out():
    assert region_boxes(60, 40, scales=[0.5]) == []


def test_letterboxing_keeps_all_of_the_picture():
    image = Image.new("RGB", (300, 100), (200, 10, 10))
    square = letterboxed(image)
    assert square.size == (300, 300)
    assert square.getpixel((150, 150)) == (200, 10, 10) and square.getpixel((150, 10)) == (0, 0, 0)


@pytest.mark.parametrize("text, message", [
    ("0.1,0.2,0.3", "four numbers"),
    ("a,b,c,d", "four numbers"),
    ("0.1,0.2,nan,0.3", "finite"),
    ("-0.1,0,0.5,0.5", "inside the picture"),
    ("0.6,0,0.5,0.5", "inside the picture"),
    ("0,0,0.01,0.5", "too small"),
])
def test_a_wrong_box_is_refused_with_the_reason(text, message):
    with pytest.raises(ValueError, match=message):
        Box.parse(text)


def test_a_box_round_trips_through_its_text_and_crops_the_right_pixels():
    box = Box.parse("0.25,0.5,0.5,0.25")
    assert Box.parse(str(box)) == box
    image = Image.new("RGB", (400, 200))
    assert crop(image, box).size == (200, 50)
    assert box.percentages() == {"x": 25.0, "y": 50.0, "w": 50.0, "h": 25.0}
