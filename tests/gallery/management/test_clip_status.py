"""`manage.py clip_status`: which weights this process would run, and a failure when they are missing.

It needs Django settings (pytest-django's `settings` fixture) but no database.
"""

from __future__ import annotations

import pytest

from tests.gallery.clip.helpers import UNTRAINED_ID
from tests.gallery.management.helpers import command_output


def test_clip_status_fails_when_weights_are_missing_and_fallback_is_off(clip_settings, tmp_path):
    from django.core.management import CommandError

    clip_settings.CLIP_PRETRAINED = str(tmp_path / "clip.pt")
    clip_settings.CLIP_ON_MISSING_WEIGHTS = "error"
    with pytest.raises(CommandError, match="CLIP_PRETRAINED"):
        command_output("clip_status")


def test_clip_status_reports_the_fallback(clip_settings, tmp_path):
    clip_settings.CLIP_PRETRAINED = str(tmp_path / "clip.pt")
    clip_settings.CLIP_ON_MISSING_WEIGHTS = "untrained"
    clip_settings.CLIP_PRECISION = "fp32"

    output = command_output("clip_status", verbosity=2)

    assert f"model_id: {UNTRAINED_ID}" in output
    assert "pretrained: NO" in output
    assert "does not exist" in output
    assert "not semantic" in output
    assert command_output("clip_status", verbosity=0) == ""
