"""What a picture becomes for search: its CLIP vector, the vectors of its regions, and its keypoints.

The worker and the bulk importer both derive them here, in two steps: `picture_inputs` keeps only what the encoder
and the keypoint matcher need of a decoded picture (small crops, so a batch waiting for the encoder holds little
memory), and `encode_pictures` runs CLIP once over a whole batch of pictures and regions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from PIL import Image

from gallery import keypoints, regions
from gallery.clip import BaseEncoder


@dataclass(frozen=True)
class PictureInputs:
    """One picture as the encoder takes it: the whole (shrunk), its regions' boxes and their letterboxed crops (the
    encoder's centre crop then keeps all of each), its keypoints."""

    whole: Image.Image
    boxes: tuple[regions.Box, ...]
    crops: tuple[Image.Image, ...]
    keypoints: keypoints.Keypoints | None


@dataclass(frozen=True)
class EncodedPicture:
    """What is stored for a picture: its vector, (box, vector) per region, and its keypoints if they are kept."""

    vector: np.ndarray
    regions: tuple[tuple[regions.Box, np.ndarray], ...]
    keypoints: keypoints.Keypoints | None


def picture_inputs(image: Image.Image, *, encoder: BaseEncoder) -> PictureInputs:
    """The regions (setting GALLERY_REGION_SCALES) and keypoints (GALLERY_KEYPOINTS) of a decoded picture."""
    boxes = tuple(regions.region_boxes(image.width, image.height, settings.GALLERY_REGION_SCALES))
    crops = tuple(encoder.shrink_for_encoding(regions.letterboxed(regions.crop(image, box))) for box in boxes)
    features = settings.GALLERY_KEYPOINTS
    found = keypoints.extract(image, features=features) if features else None
    return PictureInputs(whole=encoder.shrink_for_encoding(image), boxes=boxes, crops=crops, keypoints=found)


def encode_pictures(inputs: Sequence[PictureInputs], *, encoder: BaseEncoder) -> list[EncodedPicture]:
    """Every picture's and region's vector, in one batched run of the encoder."""
    rows = encoder.encode_images([item.whole for item in inputs] + [crop for item in inputs for crop in item.crops])
    encoded, next_row = [], len(inputs)
    for index, item in enumerate(inputs):
        region_rows = rows[next_row:next_row + len(item.boxes)]
        next_row += len(item.boxes)
        encoded.append(EncodedPicture(vector=rows[index], regions=tuple(zip(item.boxes, region_rows)),
                                      keypoints=item.keypoints))
    return encoded
