"""The package's entry points: get_encoder() builds one encoder per process, encode_query_text() asks it, and the
BaseEncoder defaults let any encoder serve every caller."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from gallery import clip
from gallery.clip import EMBEDDING_DIM
from tests.gallery.clip.helpers import min_row_cosine


def test_encode_query_text_uses_the_active_encoder(clip_encoder):
    vector = clip.encode_query_text("sunflowers in a vase")
    assert clip_encoder.query_runtime == "onnxruntime-int8"  # the default; tests/gallery/clip/test_query_int8.py
    assert min_row_cosine(vector[None, :], clip_encoder.encode_texts(["sunflowers in a vase"])) >= 0.999
    assert clip.encode_query_text("Sunflowers in a vase") is vector


def test_base_encoder_defaults_serve_any_encoder(monkeypatch):
    class OneHot(clip.BaseEncoder):
        model_id = "one-hot"

        def encode_images(self, images):
            return np.eye(EMBEDDING_DIM, dtype=np.float32)[: len(images)]

        def encode_texts(self, texts):
            return np.eye(EMBEDDING_DIM, dtype=np.float32)[: len(texts)]

    one_hot = OneHot()
    monkeypatch.setattr(clip, "get_encoder", lambda: one_hot)
    assert clip.encode_query_text("anything")[0] == 1.0  # encode_query's default: encode_texts
    picture = Image.new("RGB", (640, 480))
    assert one_hot.shrink_for_encoding(picture) is picture
    assert one_hot.query_runtime == "OneHot.encode_texts" and one_hot.fallback_reason is None
    assert not one_hot.is_pretrained


class SlowToBuildEncoder:
    """Takes a while to build, like CLIP, and counts how often it is built."""

    built = 0

    def __init__(self, **clip_settings):
        type(self).built += 1
        threading.Event().wait(0.3)
        self.model_id, self.is_pretrained = "slow/1", False


def test_threads_asking_at_once_share_one_encoder(clip_settings):
    clip_settings.GALLERY_ENCODER = f"{__name__}.SlowToBuildEncoder"
    with ThreadPoolExecutor(max_workers=4) as pool:
        encoders = list(pool.map(lambda _: clip.get_encoder(), range(4)))
    assert SlowToBuildEncoder.built == 1 and all(encoder is encoders[0] for encoder in encoders)
