"""Fixtures of the CLIP encoder tests; the functions and constants they share are in helpers.py."""

from __future__ import annotations

import pytest
from PIL import Image

from gallery.clip import ClipEncoder
from tests.gallery.clip.helpers import make_images


@pytest.fixture(scope="module")
def untrained_fp32_encoder() -> ClipEncoder:
    """The real ViT-B-32 with the deterministic untrained weights in fp32, torch for queries; built once per module
    (about 2 s), not per session, so that no more than one of these 600 MB models outlives its module."""
    return ClipEncoder(pretrained="untrained", precision="fp32")


@pytest.fixture(scope="module")
def varied_images() -> list[Image.Image]:
    """Four test pictures of different sizes, the last one greyscale."""
    return make_images(4)
