"""bf16 text layers prepacked for oneDNN: the same checkpoints fit and the vectors stay where they were."""

from __future__ import annotations

import numpy as np
import pytest

from gallery.clip import ClipEncoder, encoder
from tests.gallery.clip.helpers import QUERIES, min_row_cosine


def test_bf16_text_weights_are_prepacked_without_changing_the_vectors(untrained_fp32_encoder, varied_images,
                                                                      monkeypatch):
    import torch

    from gallery.clip.prepacked import PrepackedLinear, PrepackedSelfAttention

    packed = ClipEncoder(pretrained="untrained", precision="bf16")
    if not packed.text_prepacked:
        pytest.skip("this torch build has no oneDNN prepacking for bf16 weights")
    blocks = packed._model.transformer.resblocks
    assert all(isinstance(block.mlp.c_fc, PrepackedLinear) for block in blocks)
    assert all(isinstance(block.attn, PrepackedSelfAttention) for block in blocks)
    assert not untrained_fp32_encoder.text_prepacked  # fp32 keeps MKL's layers
    monkeypatch.setattr(encoder, "_prepack_text", lambda model: False)
    plain = ClipEncoder(pretrained="untrained", precision="bf16")
    assert packed._model.state_dict().keys() == plain._model.state_dict().keys()  # checkpoints still fit
    packed_texts, plain_texts = packed.encode_texts(QUERIES), plain.encode_texts(QUERIES)
    # bf16 rounding only (attention sums in another order, GELU reads unrounded sums): as near the fp32 vectors as
    # the plain layers are.
    assert all(isinstance(block.mlp.gelu, torch.nn.Identity) for block in blocks)  # fused into c_fc
    assert min_row_cosine(packed_texts, plain_texts) >= 0.9999
    fp32_texts = untrained_fp32_encoder.encode_texts(QUERIES)
    assert min_row_cosine(packed_texts, fp32_texts) >= min_row_cosine(plain_texts, fp32_texts) - 1e-5
    assert packed.encode_query("a stormy sea at night") @ plain.encode_query("a stormy sea at night") >= 0.9999
    # Images untouched.
    np.testing.assert_array_equal(packed.encode_images(varied_images), plain.encode_images(varied_images))
