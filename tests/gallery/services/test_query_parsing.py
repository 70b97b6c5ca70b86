"""A search's text, "not: ..." phrase and picture, turned into one query vector (hand-made vectors)."""

import numpy as np
import pytest
from PIL import Image

from gallery.services import query_parsing
from tests.gallery.services.helpers import FixedEncoder


def test_split_negation():
    assert query_parsing.split_negation("stormy sea not: boats") == ("stormy sea", "boats")
    assert query_parsing.split_negation("Not: cubism") == ("", "cubism")
    assert query_parsing.split_negation("sunflowers") == ("sunflowers", "")


def test_negative_phrase_subtracts():
    encoder = FixedEncoder({"sea": 0, "boats": 1})
    plain = query_parsing.query_vector(text="sea", encoder=encoder)
    steered = query_parsing.query_vector(text="sea not: boats", encoder=encoder)
    assert np.linalg.norm(steered) == pytest.approx(1.0)
    assert steered[1] < 0 < steered[0] and plain[1] == 0


def test_image_and_text_combine_by_weight():
    encoder = FixedEncoder({"sea": 3})
    picture = Image.new("RGB", (8, 8))
    mostly_picture = query_parsing.query_vector(text="sea", image=picture, image_weight=0.8, encoder=encoder)
    assert mostly_picture[0] > mostly_picture[3] > 0  # image direction is 0 in FixedEncoder
    with pytest.raises(query_parsing.EmptyQuery):
        query_parsing.query_vector(text="", encoder=encoder)
