"""`manage.py fetch_clip_weights`: refuses clearly what it cannot fetch, with the hub unreachable.

It needs Django settings (pytest-django's `settings` fixture) but no database.
"""

from __future__ import annotations

import pytest

from tests.gallery.management.helpers import command_output


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
        command_output("fetch_clip_weights", verbosity=0)


def test_fetch_clip_weights_options_override_settings(clip_settings, unreachable_hub):
    from django.core.management import CommandError

    clip_settings.CLIP_PRETRAINED = "untrained"
    with pytest.raises(CommandError, match="CLIP_PRETRAINED='laion2b_s34b_b79k'"):
        command_output("fetch_clip_weights", "--model", "ViT-B-32", "--pretrained", "laion2b_s34b_b79k", verbosity=0)
