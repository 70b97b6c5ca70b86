"""The CLIP encoder: vector contract, deterministic untrained weights, weight loading and its failure modes.

Every encoder here has untrained (or untrained-copied) weights, so no test asserts anything semantic about the
vectors: only shapes, norms, identities and equality between code paths that must produce the same numbers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artsearch.embedded import free_port
from gallery import embeddings
from gallery.embeddings import EMBEDDING_DIM, ClipEncoder, WeightsUnavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
UNTRAINED_ID = "ViT-B-32/untrained-seed0"
TEXTS = ["a quiet harbour at dawn", "portrait of a woman in a blue dress", "", "sunflowers " * 100]


def make_images(count: int, *, seed: int = 0) -> list[Image.Image]:
    """Deterministic gradient-plus-noise pictures of varied sizes and modes, built in memory."""
    rng = np.random.default_rng(seed)
    images = []
    for index in range(count):
        width, height = 160 + 40 * index, 240 - 20 * index
        x = np.linspace(0, 1, width)[None, :, None]
        y = np.linspace(0, 1, height)[:, None, None]
        pixels = (np.sin(6 * x * rng.random(3) + 3 * y + index) * 0.5 + 0.5) * 200 + rng.random((height, width, 3)) * 55
        images.append(Image.fromarray(pixels.astype(np.uint8)))
    images[-1] = images[-1].convert("L")  # a greyscale upload must still embed
    return images


def min_row_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Smallest cosine between matching rows of two unit-row matrices."""
    assert a.shape == b.shape
    return float(np.min(np.sum(a * b, axis=1)))


def assert_unit_rows(vectors: np.ndarray, count: int) -> None:
    assert vectors.shape == (count, EMBEDDING_DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.fixture(scope="module")
def untrained() -> ClipEncoder:
    """The real ViT-B-32 with the deterministic untrained weights; built once (about 2 s)."""
    return ClipEncoder(pretrained="untrained")


@pytest.fixture(scope="module")
def images() -> list[Image.Image]:
    return make_images(4)


@pytest.fixture
def unreachable_hub(monkeypatch, tmp_path):
    """Point huggingface_hub at a closed local port with an empty cache, so no test downloads or finds real weights."""
    import huggingface_hub.constants as hf

    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused
    monkeypatch.setattr(hf, "ENDPOINT", endpoint)
    monkeypatch.setattr(hf, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(hf, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(hf, "HF_HUB_DISABLE_TELEMETRY", True)
    # The encoder switches the process to offline mode on failure; monkeypatch restores both afterwards.
    monkeypatch.setattr(hf, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    return hf


def test_untrained_encoder_identity(untrained):
    assert untrained.model_id == UNTRAINED_ID
    assert untrained.is_pretrained is False
    assert untrained.fallback_reason is None
    assert untrained.precision == "fp32"


def test_image_vectors_are_unit_float32_rows(untrained, images):
    assert_unit_rows(untrained.encode_images(images), len(images))


def test_text_vectors_are_unit_float32_rows(untrained):
    assert_unit_rows(untrained.encode_texts(TEXTS), len(TEXTS))


def test_empty_input_gives_empty_matrix(untrained):
    assert untrained.encode_images([]).shape == (0, EMBEDDING_DIM)
    assert untrained.encode_texts([]).shape == (0, EMBEDDING_DIM)


def test_batch_matches_one_at_a_time(untrained, images):
    batched_images = untrained.encode_images(images)
    single_images = np.vstack([untrained.encode_images([image]) for image in images])
    assert min_row_cosine(batched_images, single_images) >= 0.9999

    batched_texts = untrained.encode_texts(TEXTS)
    single_texts = np.vstack([untrained.encode_texts([text]) for text in TEXTS])
    assert min_row_cosine(batched_texts, single_texts) >= 0.9999


def test_batched_preprocessing_equals_open_clips_transform(untrained, images):
    import torch

    assert untrained._pil_steps is not None  # the batched path is the one in use
    expected = torch.stack([untrained._preprocess(image) for image in images])
    assert torch.equal(untrained._pixels(images), expected)  # the same arithmetic, bit for bit


def test_an_image_shrunk_for_encoding_gives_the_same_pixels(untrained, images):
    import torch

    wide = Image.fromarray(np.random.default_rng(3).integers(0, 256, (300, 700, 3), dtype=np.uint8))
    originals = [*images, wide]
    shrunk = [untrained.shrink_for_encoding(image) for image in originals]

    assert {image.size for image in shrunk} == {(224, 224)}  # what the import keeps instead of the full decode
    assert torch.equal(untrained._pixels(shrunk), untrained._pixels(originals))


def test_batches_larger_than_one_chunk_keep_input_order(untrained, images, monkeypatch):
    monkeypatch.setattr(embeddings, "BATCH_SIZE", 3)
    chunked = untrained.encode_texts(TEXTS * 2)
    monkeypatch.setattr(embeddings, "BATCH_SIZE", 32)
    assert min_row_cosine(chunked, untrained.encode_texts(TEXTS * 2)) >= 0.9999


SUBPROCESS_SCRIPT = """
import json, sys
from PIL import Image
from gallery.embeddings import ClipEncoder
encoder = ClipEncoder(pretrained="untrained", threads=1)
text = encoder.encode_texts([sys.argv[1]])[0]
image = encoder.encode_images([Image.open(sys.argv[2])])[0]
print(json.dumps({"model_id": encoder.model_id, "text": text.tolist(), "image": image.tolist()}))
"""


def test_untrained_weights_are_identical_across_processes(untrained, images, tmp_path):
    # The web process embeds queries and a worker process embeds images: both must build the same weights.
    image_path = tmp_path / "probe.png"  # PNG is lossless, so every process sees the same pixels
    images[0].save(image_path)
    command = [sys.executable, "-c", SUBPROCESS_SCRIPT, TEXTS[0], str(image_path)]
    processes = [
        subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        results.append(json.loads(stdout.strip().splitlines()[-1]))

    first, second = results
    assert first["model_id"] == second["model_id"] == UNTRAINED_ID
    for key in ("text", "image"):
        np.testing.assert_allclose(first[key], second[key], atol=1e-6)
    here = np.vstack([untrained.encode_texts([TEXTS[0]]), untrained.encode_images([Image.open(image_path)])])
    there = np.array([first["text"], first["image"]], dtype=np.float32)
    assert min_row_cosine(here, there) >= 0.9999


def test_local_checkpoint_file_loads_through_open_clip(untrained, images, tmp_path):
    import torch

    # A real checkpoint file (it happens to hold the untrained weights), loaded the way a downloaded one would be.
    path = tmp_path / "clip-vit-b-32.pt"
    torch.save(untrained._model.state_dict(), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    encoder = ClipEncoder(pretrained=str(path))

    assert encoder.is_pretrained is True
    assert encoder.fallback_reason is None
    assert encoder.model_id.startswith("ViT-B-32/file-")
    assert encoder.model_id == f"ViT-B-32/file-{digest[:12]}"  # content-addressed: a new file is a new identity
    assert min_row_cosine(encoder.encode_images(images), untrained.encode_images(images)) >= 0.9999
    assert min_row_cosine(encoder.encode_texts(TEXTS), untrained.encode_texts(TEXTS)) >= 0.9999


def test_missing_checkpoint_file_raises_naming_the_setting(tmp_path):
    missing = tmp_path / "nowhere" / "clip.pt"
    with pytest.raises(WeightsUnavailable, match="CLIP_PRETRAINED") as excinfo:
        ClipEncoder(pretrained=str(missing))
    assert str(missing) in str(excinfo.value)
    assert "fetch_clip_weights" in str(excinfo.value)


def test_missing_checkpoint_file_falls_back_to_untrained_with_a_warning(untrained, tmp_path, caplog):
    import torch

    rng_before = torch.random.get_rng_state()
    caplog.set_level(logging.WARNING, logger="gallery.embeddings")

    encoder = ClipEncoder(pretrained=str(tmp_path / "clip.pt"), on_missing_weights="untrained")

    assert encoder.is_pretrained is False
    assert encoder.model_id == UNTRAINED_ID
    assert "does not exist" in encoder.fallback_reason
    warnings = [r for r in caplog.records if r.name == "gallery.embeddings" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "NOT semantic" in message
    assert "CLIP_PRETRAINED" in message and "fetch_clip_weights" in message
    # Seeding the untrained weights must not reset the caller's random stream.
    assert torch.equal(torch.random.get_rng_state(), rng_before)
    assert min_row_cosine(encoder.encode_texts(TEXTS), untrained.encode_texts(TEXTS)) >= 0.9999


@pytest.mark.timeout(60)
def test_unreachable_hub_tag_raises(unreachable_hub):
    # Timing is reported, not asserted: one refused probe switches to cache-only instead of retrying with backoff.
    with pytest.raises(WeightsUnavailable, match="CLIP_PRETRAINED='laion2b_s34b_b79k'"):
        ClipEncoder(pretrained="laion2b_s34b_b79k")
    assert unreachable_hub.HF_HUB_OFFLINE is True


def test_offline_mode_reads_only_the_cache(unreachable_hub, monkeypatch):
    monkeypatch.setattr(unreachable_hub, "HF_HUB_OFFLINE", True)
    with pytest.raises(WeightsUnavailable, match="not in the local cache"):
        embeddings.fetch_weights("ViT-B-32", "laion2b_s34b_b79k")


def test_unknown_tag_lists_the_known_ones():
    with pytest.raises(WeightsUnavailable, match="laion2b_s34b_b79k"):
        embeddings.fetch_weights("ViT-B-32", "no_such_tag")


@pytest.mark.parametrize(
    ("pretrained", "expected"),
    [
        ("untrained", "untrained"),
        ("laion2b_s34b_b79k", "tag"),
        ("no_such_tag", "tag"),
        ("/srv/clip.pt", "file"),
        ("weights.safetensors", "file"),
        ("~/clip.bin", "file"),
    ],
)
def test_weights_source(pretrained, expected):
    assert embeddings.weights_source("ViT-B-32", pretrained) == expected


def padded_text_vectors(encoder: ClipEncoder, texts: list[str]) -> np.ndarray:
    """open_clip's own encode_text over the full 77-token context: the reference for the short-token path."""
    import torch

    with torch.inference_mode():
        rows = encoder._model.encode_text(encoder._tokenizer(texts)).float().numpy()
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


QUERIES = ["sea", "a stormy sea at night", "portrait of a woman in a blue dress with a pearl earring", "x " * 90]


def test_short_token_text_encoding_equals_the_padded_context(untrained):
    assert untrained._short_text is True  # ViT-B-32 has a causal text transformer, so the fast path is taken
    # One batch of mixed lengths (padded to its longest text) and each text alone (no padding at all).
    assert min_row_cosine(untrained.encode_texts(QUERIES), padded_text_vectors(untrained, QUERIES)) >= 0.9999
    alone = np.vstack([untrained.encode_texts([text]) for text in QUERIES])
    assert min_row_cosine(alone, padded_text_vectors(untrained, QUERIES)) >= 0.9999


def test_short_token_text_encoding_in_bf16_stays_close_to_padded_fp32(untrained):
    encoder = ClipEncoder(pretrained="untrained", precision="bf16")
    assert min_row_cosine(encoder.encode_texts(QUERIES), padded_text_vectors(untrained, QUERIES)) >= 0.999


def test_encode_query_matches_encode_texts_and_caches_by_tokens(untrained):
    untrained._query_vector.cache_clear()
    vector = untrained.encode_query("A stormy  sea at night ")
    assert_unit_rows(vector[None, :], 1)
    assert min_row_cosine(vector[None, :], untrained.encode_texts(["a stormy sea at night"])) >= 0.9999
    again = untrained.encode_query("a stormy sea at night")  # same tokens: the tokenizer folds case and spaces
    assert again is vector
    assert untrained._query_vector.cache_info().hits == 1
    tokenized = untrained._query_tokens.cache_info().misses
    assert untrained.encode_query("a stormy sea at night") is vector
    assert untrained._query_tokens.cache_info().misses == tokenized  # the very same text is not tokenized again
    with pytest.raises(ValueError):
        vector[0] = 0.0  # a cached vector is shared by every later hit, so nobody may change it


def test_encode_query_text_uses_the_active_encoder(clip_encoder):
    vector = embeddings.encode_query_text("sunflowers in a vase")
    assert clip_encoder.query_runtime == "onnxruntime-int8"  # the default; tests/gallery/test_query_int8.py
    assert min_row_cosine(vector[None, :], clip_encoder.encode_texts(["sunflowers in a vase"])) >= 0.999
    assert embeddings.encode_query_text("Sunflowers in a vase") is vector


def test_encode_query_text_falls_back_to_encode_texts_for_other_encoders(monkeypatch):
    class OneHot:
        model_id, is_pretrained = "one-hot", False

        def encode_texts(self, texts):
            return np.eye(EMBEDDING_DIM, dtype=np.float32)[: len(texts)]

    monkeypatch.setattr(embeddings, "get_encoder", OneHot)
    assert embeddings.encode_query_text("anything")[0] == 1.0


@pytest.mark.parametrize(("flags", "expected"), [("fpu avx512f avx512_bf16", "bf16"), ("fpu amx_bf16", "bf16"),
                                                  ("fpu avx2 avx512f", "fp32")])
def test_auto_precision_follows_the_cpu(monkeypatch, tmp_path, flags, expected):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    monkeypatch.setattr(embeddings, "CPUINFO", cpuinfo)
    assert embeddings.resolve_precision("auto") == expected
    assert embeddings.resolve_precision("fp32") == "fp32"
    monkeypatch.setattr(embeddings, "CPUINFO", tmp_path / "missing")  # not Linux: never guess bf16
    assert embeddings.resolve_precision("auto") == "fp32"


@pytest.mark.parametrize("options", [{"precision": "fp16"}, {"on_missing_weights": "ignore"}])
def test_invalid_options_are_rejected(options):
    with pytest.raises(ValueError):
        ClipEncoder(pretrained="untrained", **options)


def test_bf16_is_close_to_fp32_and_shares_its_identity(untrained, images):
    encoder = ClipEncoder(pretrained="untrained", precision="bf16")

    assert encoder.model_id == untrained.model_id  # same vector space, so no re-embedding on a precision switch
    bf16_images = encoder.encode_images(images)
    assert_unit_rows(bf16_images, len(images))
    assert min_row_cosine(bf16_images, untrained.encode_images(images)) >= 0.999
    assert min_row_cosine(encoder.encode_texts(TEXTS), untrained.encode_texts(TEXTS)) >= 0.999


def test_bf16_text_weights_are_prepacked_without_changing_the_vectors(untrained, images, monkeypatch):
    import torch

    from gallery.prepacked import PrepackedLinear, PrepackedSelfAttention

    packed = ClipEncoder(pretrained="untrained", precision="bf16")
    if not packed.text_prepacked:
        pytest.skip("this torch build has no oneDNN prepacking for bf16 weights")
    blocks = packed._model.transformer.resblocks
    assert all(isinstance(block.mlp.c_fc, PrepackedLinear) for block in blocks)
    assert all(isinstance(block.attn, PrepackedSelfAttention) for block in blocks)
    assert not untrained.text_prepacked  # fp32 keeps MKL's layers
    monkeypatch.setattr(embeddings, "_prepack_text", lambda model: False)
    plain = ClipEncoder(pretrained="untrained", precision="bf16")
    assert packed._model.state_dict().keys() == plain._model.state_dict().keys()  # checkpoints still fit
    packed_texts, plain_texts = packed.encode_texts(QUERIES), plain.encode_texts(QUERIES)
    # bf16 rounding only (attention sums in another order, GELU reads unrounded sums): as near the fp32 vectors as
    # the plain layers are.
    assert all(isinstance(block.mlp.gelu, torch.nn.Identity) for block in blocks)  # fused into c_fc
    assert min_row_cosine(packed_texts, plain_texts) >= 0.9999
    fp32_texts = untrained.encode_texts(QUERIES)
    assert min_row_cosine(packed_texts, fp32_texts) >= min_row_cosine(plain_texts, fp32_texts) - 1e-5
    assert packed.encode_query("a stormy sea at night") @ plain.encode_query("a stormy sea at night") >= 0.9999
    np.testing.assert_array_equal(packed.encode_images(images), plain.encode_images(images))  # images untouched


# --- Management commands. They need Django settings (pytest-django's `settings` fixture) but no database.


@pytest.fixture
def clip_settings(request, monkeypatch):
    """pytest-django's `settings`, with a private get_encoder() cache so the session's cached encoder survives."""
    try:
        settings = request.getfixturevalue("settings")
    except pytest.FixtureLookupError:
        pytest.skip("management-command tests need pytest-django")
    monkeypatch.setattr(embeddings, "_build_encoder", functools.cache(embeddings._build_encoder.__wrapped__))
    return settings


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
        encoders = list(pool.map(lambda _: embeddings.get_encoder(), range(4)))
    assert SlowToBuildEncoder.built == 1 and all(encoder is encoders[0] for encoder in encoders)


def call_command(*args, **options) -> str:
    from io import StringIO

    from django.core.management import call_command as django_call_command

    out = StringIO()
    django_call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_clip_status_fails_when_weights_are_missing_and_fallback_is_off(clip_settings, tmp_path):
    from django.core.management import CommandError

    clip_settings.CLIP_PRETRAINED = str(tmp_path / "clip.pt")
    clip_settings.CLIP_ON_MISSING_WEIGHTS = "error"
    with pytest.raises(CommandError, match="CLIP_PRETRAINED"):
        call_command("clip_status")


def test_clip_status_reports_the_fallback(clip_settings, tmp_path):
    clip_settings.CLIP_PRETRAINED = str(tmp_path / "clip.pt")
    clip_settings.CLIP_ON_MISSING_WEIGHTS = "untrained"
    clip_settings.CLIP_PRECISION = "fp32"

    output = call_command("clip_status", verbosity=2)

    assert f"model_id: {UNTRAINED_ID}" in output
    assert "pretrained: NO" in output
    assert "does not exist" in output
    assert "not semantic" in output
    assert call_command("clip_status", verbosity=0) == ""


@pytest.mark.parametrize(
    ("pretrained", "message"),
    [
        ("untrained", "nothing to fetch"),
        ("/srv/clip.pt", "local checkpoint path"),
        ("laion2b_s34b_b79k", "CLIP_PRETRAINED"),
    ],
)
def test_fetch_clip_weights_refuses_clearly(clip_settings, unreachable_hub, pretrained, message):
    from django.core.management import CommandError

    clip_settings.CLIP_MODEL = "ViT-B-32"
    clip_settings.CLIP_PRETRAINED = pretrained
    with pytest.raises(CommandError, match=message):
        call_command("fetch_clip_weights", verbosity=0)


def test_fetch_clip_weights_options_override_settings(clip_settings, unreachable_hub):
    from django.core.management import CommandError

    clip_settings.CLIP_PRETRAINED = "untrained"
    with pytest.raises(CommandError, match="CLIP_PRETRAINED='laion2b_s34b_b79k'"):
        call_command("fetch_clip_weights", "--model", "ViT-B-32", "--pretrained", "laion2b_s34b_b79k", verbosity=0)
