"""The int8 text tower for search queries (gallery/clip/query_int8.py, setting CLIP_QUERY_INT8, on by default).

Untrained weights only: the tests hold it to the fidelity bar of the import path (cosine >= 0.999 to fp32) and check
that it is really used, built once, shared through its file, and that a failure falls back to torch out loud.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from gallery.clip import ClipEncoder, query_int8
from tests.gallery.clip.helpers import QUERIES, assert_unit_rows, min_row_cosine, padded_text_vectors

MORE_QUERIES = [*QUERIES, "woman with a pearl earring", "a stormy sea at night not: boats", "rouen cathedral",
                "still life with fruit and a skull", "ballet dancers in pink", "the starry night over the rhone"]


def query_vectors(encoder: ClipEncoder, texts: list[str]) -> np.ndarray:
    return np.vstack([encoder.encode_query(text) for text in texts])


def test_search_queries_run_on_the_int8_tower_by_default(clip_encoder, untrained_fp32_encoder, settings):
    assert settings.CLIP_QUERY_INT8 is True
    vectors = query_vectors(clip_encoder, MORE_QUERIES)

    assert clip_encoder.query_runtime == "onnxruntime-int8"
    assert clip_encoder._int8_tower is not None and clip_encoder._int8_tower.path.parent == Path(settings.CLIP_CACHE_DIR)
    assert_unit_rows(vectors, len(MORE_QUERIES))
    # The fidelity bar of the import path, against open_clip's own padded fp32 encode_text.
    assert min_row_cosine(vectors, padded_text_vectors(untrained_fp32_encoder, MORE_QUERIES)) >= 0.999
    # Not the torch path under another name: int8 vectors differ from fp32 ones, if only slightly.
    assert min_row_cosine(vectors, untrained_fp32_encoder.encode_texts(MORE_QUERIES)) < 0.99999


def test_a_query_gets_the_same_vector_whoever_it_is_batched_with(clip_encoder):
    clip_encoder.encode_query("warm-up")  # the tower is built or loaded on the first query
    tower = clip_encoder._int8_tower
    rows = [clip_encoder._tokenize_query(text) for text in ("sea", "portrait of a woman in a blue dress", "x")]

    together = tower.encode_rows(rows)

    np.testing.assert_array_equal(together, np.vstack([tower.encode_rows([row]) for row in rows]))


def test_a_second_process_loads_the_file_instead_of_building(clip_encoder, monkeypatch, settings):
    clip_encoder.encode_query("warm-up")
    built = clip_encoder._int8_tower.path
    modified = built.stat().st_mtime_ns

    def no_build(*args, **kwargs):
        raise AssertionError("the int8 text tower was built again although its file exists")

    monkeypatch.setattr(query_int8, "build", no_build)
    other = ClipEncoder(pretrained="untrained", precision="bf16", query_int8=True, cache_dir=settings.CLIP_CACHE_DIR)

    np.testing.assert_array_equal(other.encode_query("a quiet harbour at dawn"),
                                  clip_encoder._int8_tower.encode_rows([other._tokenize_query("a quiet harbour at dawn")])[0])
    assert other.query_runtime == "onnxruntime-int8" and built.stat().st_mtime_ns == modified


def test_a_tower_that_cannot_be_built_falls_back_to_torch_loudly(tmp_path, untrained_fp32_encoder, caplog):
    not_a_directory = tmp_path / "cache"
    not_a_directory.write_text("a file where the cache directory should be")
    encoder = ClipEncoder(pretrained="untrained", precision="fp32", query_int8=True, cache_dir=not_a_directory)
    assert encoder.query_runtime == "onnxruntime-int8"

    with caplog.at_level(logging.ERROR, logger="gallery.clip.encoder"):
        vector = encoder.encode_query("a stormy sea at night")

    assert encoder.query_runtime == "torch-fp32"
    assert "int8 text encoder could not be built" in caplog.text
    assert min_row_cosine(vector[None, :], untrained_fp32_encoder.encode_texts(["a stormy sea at night"])) >= 0.9999


def test_the_file_name_changes_with_the_model(tmp_path):
    assert query_int8.cache_path(tmp_path, "ViT-B-32/untrained-seed0") != query_int8.cache_path(tmp_path, "ViT-B-32/x")
    assert query_int8.cache_path(tmp_path, "ViT-B-32/x").parent == tmp_path


def test_query_int8_off_keeps_the_torch_text_tower(untrained_fp32_encoder):
    fp32 = untrained_fp32_encoder  # built without a cache_dir, as ClipEncoder's default is
    assert fp32.query_runtime == "torch-fp32"
    assert min_row_cosine(fp32.encode_query("sea")[None, :], fp32.encode_texts(["sea"])) >= 0.9999
    assert fp32._int8_tower is None and ClipEncoder(pretrained="untrained")._query_int8_path is None
