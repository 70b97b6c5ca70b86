"""CLIP fixtures for the encoder, management-command and deprecated-path tests in different folders (registered in
tests/conftest.py through pytest_plugins, so no test imports them)."""

from __future__ import annotations

import functools

import pytest

from gallery import clip
from tests.helpers import free_port


@pytest.fixture
def clip_settings(request, monkeypatch):
    """pytest-django's `settings`, with a private get_encoder() cache so the session's cached encoder survives."""
    try:
        settings = request.getfixturevalue("settings")
    except pytest.FixtureLookupError:
        pytest.skip("management-command tests need pytest-django")
    monkeypatch.setattr(clip, "_build_encoder", functools.cache(clip._build_encoder.__wrapped__))
    return settings


@pytest.fixture
def encoder_without_weights(clip_settings, tmp_path):
    """The production setting with its checkpoint missing: every get_encoder() raises WeightsUnavailable."""
    clip_settings.CLIP_PRETRAINED = str(tmp_path / "missing-clip.pt")
    clip_settings.CLIP_ON_MISSING_WEIGHTS = "error"
    with pytest.raises(clip.WeightsUnavailable):
        clip.get_encoder()


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
