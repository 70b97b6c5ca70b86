"""Perceptual hashes are stored with every artwork, so the function must keep giving imagehash's own values."""

import imagehash
import numpy as np
from PIL import Image

from gallery import images


def test_perceptual_hash_is_imagehash_phash_then_dhash():
    pixels = np.random.default_rng(7).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    for picture in (Image.fromarray(pixels), Image.fromarray(pixels).convert("RGBA"), Image.fromarray(pixels[..., 0])):
        expected = f"{imagehash.phash(picture)}{imagehash.dhash(picture)}"
        assert images.perceptual_hash(picture) == expected and len(expected) == 32
