"""Text cut at its end-of-text token gives the vectors of open_clip's full 77-token context."""

from __future__ import annotations

import numpy as np

from gallery.clip import ClipEncoder
from tests.gallery.clip.helpers import QUERIES, min_row_cosine, padded_text_vectors


def test_short_token_text_encoding_equals_the_padded_context(untrained_fp32_encoder):
    fp32 = untrained_fp32_encoder
    assert fp32._short_text is True  # ViT-B-32 has a causal text transformer, so the fast path is taken
    # One batch of mixed lengths (padded to its longest text) and each text alone (no padding at all).
    assert min_row_cosine(fp32.encode_texts(QUERIES), padded_text_vectors(fp32, QUERIES)) >= 0.9999
    alone = np.vstack([fp32.encode_texts([text]) for text in QUERIES])
    assert min_row_cosine(alone, padded_text_vectors(fp32, QUERIES)) >= 0.9999


def test_short_token_text_encoding_in_bf16_stays_close_to_padded_fp32(untrained_fp32_encoder):
    encoder = ClipEncoder(pretrained="untrained", precision="bf16")
    assert min_row_cosine(encoder.encode_texts(QUERIES), padded_text_vectors(untrained_fp32_encoder, QUERIES)) >= 0.999
