"""Hostile and awkward uploads, generated on the fly: (name, bytes, accepted?) with the reason in the name."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tests.helpers import make_image_bytes


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _animated_gif() -> bytes:
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def _cmyk_jpeg() -> bytes:
    rgb = Image.open(io.BytesIO(make_image_bytes(seed=11))).convert("RGB")
    buffer = io.BytesIO()
    rgb.convert("CMYK").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _sixteen_bit_png() -> bytes:
    gradient = np.linspace(0, 65535, 256 * 192).reshape(192, 256).astype(np.uint16)
    return _png(Image.fromarray(gradient))


def hostile_files() -> list[tuple[str, bytes, bool]]:
    """Every case a public upload form must survive. Only the last two are real images we accept (normalised)."""
    jpeg = make_image_bytes(seed=5)
    rng = np.random.default_rng(0)
    return [
        ("truncated.jpg", jpeg[: len(jpeg) // 3], False),
        ("zero-bytes.jpg", b"", False),
        ("random-bytes.jpg", rng.bytes(40_000), False),
        ("page.png", b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>", False),
        ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
                        b'<rect width="10" height="10"/></svg>', False),
        ("bomb.png", _png(Image.new("1", (20000, 20000))), False),
        ("fifty-megabytes.jpg", jpeg + rng.bytes(50 * 1024 * 1024), False),
        ("polyglot.jpg", jpeg + b"<html><script>fetch('/admin/')</script></html>", False),
        ("animated.gif", _animated_gif(), False),
        ("cmyk.jpg", _cmyk_jpeg(), True),
        ("sixteen-bit.png", _sixteen_bit_png(), True),
    ]
