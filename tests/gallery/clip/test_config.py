"""ClipConfig holds the one copy of the CLIP settings' defaults: settings.py and ClipEncoder take theirs from it."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from dataclasses import asdict, fields

from gallery.clip import ClipConfig, ClipEncoder
from gallery.clip.config import DEFAULTS, SETTING_NAMES
from tests.helpers import BASE_DIR

# CLIP_ON_MISSING_WEIGHTS (untrained under DEBUG) and CLIP_CACHE_DIR (under BASE_DIR) have deployment defaults of
# their own in settings.py, so they are left out.
FROM_CONFIG = ("model_name", "pretrained", "precision", "threads", "query_int8")

PRINT_SETTINGS = """
import json, sys
import environ
environ.Env.read_env = lambda *args, **kwargs: None  # a developer's .env must not stand in for a default
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}))
"""


def test_settings_defaults_are_the_config_defaults():
    # A fresh process with no CLIP_* variable at all (the test environment sets CLIP_PRETRAINED=untrained).
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLIP_")}
    names = [SETTING_NAMES[field] for field in FROM_CONFIG]
    result = subprocess.run([sys.executable, "-c", PRINT_SETTINGS, *names], cwd=BASE_DIR, capture_output=True,
                            text=True, timeout=120, env={**env, "DJANGO_SETTINGS_MODULE": "artsearch.settings"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {SETTING_NAMES[field]: getattr(DEFAULTS, field) for field in FROM_CONFIG}


def test_clip_encoder_keyword_defaults_are_the_config_defaults():
    parameters = inspect.signature(ClipEncoder.__init__).parameters
    # get_encoder() passes every ClipConfig field by keyword, so the two lists of names must match as well.
    assert set(parameters) - {"self"} == {field.name for field in fields(ClipConfig)}
    assert {name: parameters[name].default for name in asdict(DEFAULTS)} == asdict(DEFAULTS)
