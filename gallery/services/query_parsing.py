"""Turning what a visitor typed and uploaded into one query vector. Reads only."""

from __future__ import annotations

import re

import numpy as np
from django.utils.translation import gettext
from PIL import Image

from gallery.clip import BaseEncoder, encode_query_text, get_encoder

NEGATIVE_WEIGHT = 0.5  # how hard a "not: ..." phrase pushes away, relative to the positive query
_NEGATION = re.compile(r"\bnot:\s*", re.IGNORECASE)


class EmptyQuery(ValueError):
    """Neither a description nor an image was given."""


def split_negation(text: str) -> tuple[str, str]:
    """"stormy sea not: boats" -> ("stormy sea", "boats")."""
    positive, *negatives = _NEGATION.split(text)
    return positive.strip(), " ".join(n.strip() for n in negatives).strip()


def query_vector(*, text: str = "", image: Image.Image | None = None, image_weight: float = 0.5,
                 encoder: BaseEncoder | None = None) -> np.ndarray:
    """One unit vector for a description and/or an image: a weighted sum, minus any "not: ..." phrase."""
    encoder = encoder or get_encoder()
    positive_text, negative_text = split_negation(text)
    parts: list[tuple[float, np.ndarray]] = []
    if image is not None:
        parts.append((image_weight if positive_text else 1.0, encoder.encode_images([image])[0]))
    if positive_text:
        text_weight = 1.0 - image_weight if image is not None else 1.0
        parts.append((text_weight, encode_query_text(positive_text, encoder=encoder)))
    if not parts:
        raise EmptyQuery(gettext("Describe what you are looking for, or upload a picture."))
    vector = sum(weight * part for weight, part in parts)
    if negative_text:
        vector = vector - NEGATIVE_WEIGHT * encode_query_text(negative_text, encoder=encoder)
    norm = float(np.linalg.norm(vector))
    if norm < 1e-6:
        raise EmptyQuery(gettext("The query cancels itself out; remove the “not:” part or change the weight."))
    return (vector / norm).astype(np.float32)
