"""ClipEncoder: the vector contract, deterministic untrained weights, batching, preprocessing, precisions, queries."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gallery.clip import EMBEDDING_DIM, ClipEncoder
from tests.gallery.clip.helpers import TEXTS, UNTRAINED_ID, assert_unit_rows, min_row_cosine
from tests.helpers import BASE_DIR, stop_process


def test_untrained_encoder_identity(untrained_fp32_encoder):
    assert untrained_fp32_encoder.model_id == UNTRAINED_ID
    assert untrained_fp32_encoder.is_pretrained is False
    assert untrained_fp32_encoder.fallback_reason is None
    assert untrained_fp32_encoder.precision == "fp32"


def test_image_vectors_are_unit_float32_rows(untrained_fp32_encoder, varied_images):
    assert_unit_rows(untrained_fp32_encoder.encode_images(varied_images), len(varied_images))


def test_text_vectors_are_unit_float32_rows(untrained_fp32_encoder):
    assert_unit_rows(untrained_fp32_encoder.encode_texts(TEXTS), len(TEXTS))


def test_empty_input_gives_empty_matrix(untrained_fp32_encoder):
    assert untrained_fp32_encoder.encode_images([]).shape == (0, EMBEDDING_DIM)
    assert untrained_fp32_encoder.encode_texts([]).shape == (0, EMBEDDING_DIM)


def test_batch_matches_one_at_a_time(untrained_fp32_encoder, varied_images):
    batched_images = untrained_fp32_encoder.encode_images(varied_images)
    single_images = np.vstack([untrained_fp32_encoder.encode_images([image]) for image in varied_images])
    assert min_row_cosine(batched_images, single_images) >= 0.9999

    batched_texts = untrained_fp32_encoder.encode_texts(TEXTS)
    single_texts = np.vstack([untrained_fp32_encoder.encode_texts([text]) for text in TEXTS])
    assert min_row_cosine(batched_texts, single_texts) >= 0.9999


def test_batched_preprocessing_equals_open_clips_transform(untrained_fp32_encoder, varied_images):
    import torch

    assert untrained_fp32_encoder._pil_steps is not None  # the batched path is the one in use
    expected = torch.stack([untrained_fp32_encoder._preprocess(image) for image in varied_images])
    assert torch.equal(untrained_fp32_encoder._pixels(varied_images), expected)  # the same arithmetic, bit for bit


def test_an_image_shrunk_for_encoding_gives_the_same_pixels(untrained_fp32_encoder, varied_images):
    import torch

    wide = Image.fromarray(np.random.default_rng(3).integers(0, 256, (300, 700, 3), dtype=np.uint8))
    originals = [*varied_images, wide]
    shrunk = [untrained_fp32_encoder.shrink_for_encoding(image) for image in originals]

    assert {image.size for image in shrunk} == {(224, 224)}  # what the import keeps instead of the full decode
    assert torch.equal(untrained_fp32_encoder._pixels(shrunk), untrained_fp32_encoder._pixels(originals))


def test_batches_larger_than_one_chunk_keep_input_order(untrained_fp32_encoder, monkeypatch):
    monkeypatch.setattr(untrained_fp32_encoder, "batch_size", 3)
    chunked = untrained_fp32_encoder.encode_texts(TEXTS * 2)
    monkeypatch.setattr(untrained_fp32_encoder, "batch_size", 32)
    assert min_row_cosine(chunked, untrained_fp32_encoder.encode_texts(TEXTS * 2)) >= 0.9999


SUBPROCESS_SCRIPT = """
import json, sys
from PIL import Image
from gallery.clip import ClipEncoder
encoder = ClipEncoder(pretrained="untrained", threads=1)
text = encoder.encode_texts([sys.argv[1]])[0]
image = encoder.encode_images([Image.open(sys.argv[2])])[0]
print(json.dumps({"model_id": encoder.model_id, "text": text.tolist(), "image": image.tolist()}))
"""


def test_untrained_weights_are_identical_across_processes(untrained_fp32_encoder, varied_images, tmp_path):
    # The web process embeds queries and a worker process embeds images: both must build the same weights.
    image_path = tmp_path / "probe.png"  # PNG is lossless, so every process sees the same pixels
    varied_images[0].save(image_path)
    command = [sys.executable, "-c", SUBPROCESS_SCRIPT, TEXTS[0], str(image_path)]
    processes = [
        subprocess.Popen(command, cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=120)
            assert process.returncode == 0, stderr
            results.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        for process in processes:
            stop_process(process, timeout=5)

    first, second = results
    assert first["model_id"] == second["model_id"] == UNTRAINED_ID
    for key in ("text", "image"):
        np.testing.assert_allclose(first[key], second[key], atol=1e-6)
    here = np.vstack([untrained_fp32_encoder.encode_texts([TEXTS[0]]),
                      untrained_fp32_encoder.encode_images([Image.open(image_path)])])
    there = np.array([first["text"], first["image"]], dtype=np.float32)
    assert min_row_cosine(here, there) >= 0.9999


def test_encode_query_matches_encode_texts_and_caches_by_tokens(untrained_fp32_encoder):
    fp32 = untrained_fp32_encoder
    fp32._query_vector.cache_clear()
    vector = fp32.encode_query("A stormy  sea at night ")
    assert_unit_rows(vector[None, :], 1)
    assert min_row_cosine(vector[None, :], fp32.encode_texts(["a stormy sea at night"])) >= 0.9999
    again = fp32.encode_query("a stormy sea at night")  # same tokens: the tokenizer folds case and spaces
    assert again is vector
    assert fp32._query_vector.cache_info().hits == 1
    tokenized = fp32._query_tokens.cache_info().misses
    assert fp32.encode_query("a stormy sea at night") is vector
    assert fp32._query_tokens.cache_info().misses == tokenized  # the very same text is not tokenized again
    with pytest.raises(ValueError):
        vector[0] = 0.0  # a cached vector is shared by every later hit, so nobody may change it


@pytest.mark.parametrize("options", [{"precision": "fp16"}, {"on_missing_weights": "ignore"}])
def test_invalid_options_are_rejected(options):
    with pytest.raises(ValueError):
        ClipEncoder(pretrained="untrained", **options)


def test_bf16_is_close_to_fp32_and_shares_its_identity(untrained_fp32_encoder, varied_images):
    bf16 = ClipEncoder(pretrained="untrained", precision="bf16")

    # Same vector space, so no re-embedding on a precision switch.
    assert bf16.model_id == untrained_fp32_encoder.model_id
    bf16_images = bf16.encode_images(varied_images)
    assert_unit_rows(bf16_images, len(varied_images))
    assert min_row_cosine(bf16_images, untrained_fp32_encoder.encode_images(varied_images)) >= 0.999
    assert min_row_cosine(bf16.encode_texts(TEXTS), untrained_fp32_encoder.encode_texts(TEXTS)) >= 0.999
