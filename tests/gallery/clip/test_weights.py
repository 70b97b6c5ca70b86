"""Where the weights come from: open_clip tags through the hub (failing fast offline), checkpoint files, and the
untrained fallback when they are missing."""

from __future__ import annotations

import hashlib
import logging

import pytest

from gallery.clip import ClipEncoder, WeightsUnavailable, weights
from tests.gallery.clip.helpers import TEXTS, UNTRAINED_ID, min_row_cosine


def test_local_checkpoint_file_loads_through_open_clip(untrained_fp32_encoder, varied_images, tmp_path):
    import torch

    # A real checkpoint file (it happens to hold the untrained weights), loaded the way a downloaded one would be.
    path = tmp_path / "clip-vit-b-32.pt"
    torch.save(untrained_fp32_encoder._model.state_dict(), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    encoder = ClipEncoder(pretrained=str(path))

    assert encoder.is_pretrained is True
    assert encoder.fallback_reason is None
    assert encoder.model_id.startswith("ViT-B-32/file-")
    assert encoder.model_id == f"ViT-B-32/file-{digest[:12]}"  # content-addressed: a new file is a new identity
    assert min_row_cosine(encoder.encode_images(varied_images),
                          untrained_fp32_encoder.encode_images(varied_images)) >= 0.9999
    assert min_row_cosine(encoder.encode_texts(TEXTS), untrained_fp32_encoder.encode_texts(TEXTS)) >= 0.9999


def test_missing_checkpoint_file_raises_naming_the_setting(tmp_path):
    missing = tmp_path / "nowhere" / "clip.pt"
    with pytest.raises(WeightsUnavailable, match="CLIP_PRETRAINED") as excinfo:
        ClipEncoder(pretrained=str(missing))
    assert str(missing) in str(excinfo.value)
    assert "fetch_clip_weights" in str(excinfo.value)


def test_missing_checkpoint_file_falls_back_to_untrained_with_a_warning(untrained_fp32_encoder, tmp_path, caplog):
    import torch

    rng_before = torch.random.get_rng_state()
    caplog.set_level(logging.WARNING, logger="gallery.clip.encoder")

    encoder = ClipEncoder(pretrained=str(tmp_path / "clip.pt"), on_missing_weights="untrained")

    assert encoder.is_pretrained is False
    assert encoder.model_id == UNTRAINED_ID
    assert "does not exist" in encoder.fallback_reason
    warnings = [r for r in caplog.records if r.name == "gallery.clip.encoder" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "NOT semantic" in message
    assert "CLIP_PRETRAINED" in message and "fetch_clip_weights" in message
    # Seeding the untrained weights must not reset the caller's random stream.
    assert torch.equal(torch.random.get_rng_state(), rng_before)
    assert min_row_cosine(encoder.encode_texts(TEXTS), untrained_fp32_encoder.encode_texts(TEXTS)) >= 0.9999


@pytest.mark.timeout(60)
def test_unreachable_hub_tag_raises(unreachable_hub):
    # Timing is reported, not asserted: one refused probe switches to cache-only instead of retrying with backoff.
    with pytest.raises(WeightsUnavailable, match="CLIP_PRETRAINED='laion2b_s34b_b79k'"):
        ClipEncoder(pretrained="laion2b_s34b_b79k")
    assert unreachable_hub.HF_HUB_OFFLINE is True


def test_offline_mode_reads_only_the_cache(unreachable_hub, monkeypatch):
    monkeypatch.setattr(unreachable_hub, "HF_HUB_OFFLINE", True)
    with pytest.raises(WeightsUnavailable, match="not in the local cache"):
        weights.fetch_weights("ViT-B-32", "laion2b_s34b_b79k")


def test_unknown_tag_lists_the_known_ones():
    with pytest.raises(WeightsUnavailable, match="laion2b_s34b_b79k"):
        weights.fetch_weights("ViT-B-32", "no_such_tag")


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
    assert weights.weights_source("ViT-B-32", pretrained) == expected
