"""Keypoints: a detail of a real painting is confirmed in it, with where it lies, and not in another painting."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gallery import keypoints
from gallery.regions import Box, crop
from tests.helpers import MET_SAMPLE

PAINTINGS = sorted((MET_SAMPLE / "images").glob("*.jpg"))


def _picture(index: int) -> Image.Image:
    image = Image.open(PAINTINGS[index]).convert("RGB")
    image.thumbnail((900, 900))
    return image


def _photographed(image: Image.Image, box: Box) -> Image.Image:
    """The detail as a visitor's JPEG (quality 80)."""
    buffer = io.BytesIO()
    crop(image, box).save(buffer, "JPEG", quality=80)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


@pytest.mark.parametrize("index, box", [(3, Box(0.1, 0.2, 0.5, 0.6)), (40, Box(0.45, 0.4, 0.5, 0.55)),
                                        (77, Box(0.0, 0.0, 0.6, 0.5))])
def test_a_detail_is_confirmed_in_its_painting_and_located(index, box):
    painting = keypoints.extract(_picture(index), features=500)
    detail = keypoints.extract(_photographed(_picture(index), box), features=500)

    found = keypoints.verify(detail, painting)

    assert found.confirmed, found
    assert found.box is not None
    for got, expected in zip((found.box.x, found.box.y, found.box.w, found.box.h), (box.x, box.y, box.w, box.h)):
        assert got == pytest.approx(expected, abs=0.06)


def test_a_detail_is_not_confirmed_in_other_paintings():
    detail = keypoints.extract(_photographed(_picture(3), Box(0.1, 0.2, 0.5, 0.6)), features=500)
    for other in (5, 41, 78, 120):
        assert not keypoints.verify(detail, keypoints.extract(_picture(other), features=500)).confirmed


def test_keypoints_survive_the_database_form():
    found = keypoints.extract(_picture(3), features=300)
    stored = keypoints.Keypoints.from_bytes(found.to_bytes())
    assert (stored.width, stored.height, len(stored)) == (found.width, found.height, len(found))
    assert (stored.descriptors == found.descriptors).all()
    assert abs(stored.points - found.points).max() <= 0.5
    assert len(found.to_bytes()) == 6 + 36 * len(found)


def test_a_blank_picture_has_no_keypoints_and_confirms_nothing():
    blank = keypoints.extract(Image.new("RGB", (300, 200), "white"), features=500)
    assert len(blank) == 0
    assert not keypoints.verify(blank, keypoints.extract(_picture(3), features=500)).confirmed
