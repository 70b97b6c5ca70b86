"""Regions of a picture: the boxes the worker embeds beside the whole work, and the detail a visitor searches by.

A box is a rectangle in fractions of the picture's width and height (x, y from the top left), so it holds for the
original, the working copy and the thumbnail alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps

# A detail narrower or lower than this (a fraction of the picture) is refused: a few pixels say nothing.
MIN_BOX_SIDE = 0.05
# The smallest crop, in pixels of the working copy, worth giving CLIP (it enlarges everything to 224 × 224).
MIN_CROP_PIXELS = 32


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @classmethod
    def parse(cls, text: str) -> Box:
        """"x,y,w,h" in fractions of the picture (as the API and the artwork page send it); ValueError says why not."""
        parts = [part.strip() for part in str(text).split(",")]
        if len(parts) != 4:
            raise ValueError("A box is four numbers: x,y,w,h as fractions of the picture (e.g. 0.25,0.1,0.5,0.4).")
        try:
            x, y, w, h = (float(part) for part in parts)
        except ValueError:
            raise ValueError("A box is four numbers: x,y,w,h as fractions of the picture (e.g. 0.25,0.1,0.5,0.4).")
        if not all(math.isfinite(value) for value in (x, y, w, h)):
            raise ValueError("A box's numbers must be finite.")
        if x < 0 or y < 0 or x + w > 1.0001 or y + h > 1.0001:
            raise ValueError("The box must lie inside the picture: 0 ≤ x, 0 ≤ y, x + w ≤ 1, y + h ≤ 1.")
        if w < MIN_BOX_SIDE or h < MIN_BOX_SIDE:
            raise ValueError(f"The box is too small: width and height must be at least {MIN_BOX_SIDE:g} of the "
                             f"picture's.")
        return cls(x, y, min(w, 1 - x), min(h, 1 - y))

    def __str__(self) -> str:
        return f"{self.x:.4f},{self.y:.4f},{self.w:.4f},{self.h:.4f}"

    @property
    def area(self) -> float:
        return self.w * self.h

    @property
    def is_whole(self) -> bool:
        return self.area > 0.98

    def percentages(self) -> dict[str, float]:
        """The box in percent, for the SVG frame the pages draw over a picture."""
        return {"x": round(self.x * 100, 2), "y": round(self.y * 100, 2), "w": round(self.w * 100, 2),
                "h": round(self.h * 100, 2)}

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in a picture of this size, at least one pixel wide and high."""
        left, top = int(self.x * width), int(self.y * height)
        right = max(left + 1, min(width, round((self.x + self.w) * width)))
        bottom = max(top + 1, min(height, round((self.y + self.h) * height)))
        return left, top, right, bottom


def crop(image: Image.Image, box: Box) -> Image.Image:
    """The part of `image` inside `box`."""
    return image.crop(box.pixels(*image.size))


def letterboxed(image: Image.Image) -> Image.Image:
    """`image` centred on a black square as wide as its long side: a square view that crops nothing away."""
    side = max(image.size)
    if image.width == image.height:
        return image
    return ImageOps.pad(image, (side, side), color=(0, 0, 0))


def _starts(count: int, scale: float) -> list[float]:
    """Where `count` windows of `scale` (a fraction of a side) start so that they cover all of it."""
    if count == 1:
        return [0.0]
    return [index * (1 - scale) / (count - 1) for index in range(count)]


def region_boxes(width: int, height: int, scales: Sequence[float]) -> list[Box]:
    """Windows that together cover the whole picture at each scale (a fraction of its width and height).

    Scale 1 is the whole work, which the encoder sees letterboxed: the ends of a wide or tall work, which the main
    vector's centre crop leaves out, are embedded too (a square work needs no such region). Smaller scales tile the
    picture with windows of its own shape overlapping by half, so any detail about that size lies mostly inside one.
    """
    boxes: list[Box] = []
    for scale in scales:
        if scale >= 1:
            if width != height:
                boxes.append(Box(0.0, 0.0, 1.0, 1.0))
            continue
        if min(width, height) * scale < MIN_CROP_PIXELS:
            continue
        count = math.ceil((1 - scale) / (scale / 2)) + 1  # windows overlapping by half, end to end
        boxes += [Box(x, y, scale, scale) for y in _starts(count, scale) for x in _starts(count, scale)]
    return boxes
