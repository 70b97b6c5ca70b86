"""Settings come from the environment; production refuses unsafe defaults. Each case runs in a fresh process."""

import subprocess
import sys

from tests.helpers import BASE_DIR, subprocess_env

PRODUCTION = {"DJANGO_DEBUG": "False", "DJANGO_ALLOWED_HOSTS": "art.example.org",
              "DJANGO_SECRET_KEY": "tq8#Vn2@pL5%wR9^zB4&mK7*yH3!cJ6(dF1)gS0-xE8+uA2=rT5", "CLIP_PRETRAINED": "untrained"}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=subprocess_env(**env),
                          capture_output=True, text=True, timeout=120)


def test_debug_off_refuses_the_default_secret_key():
    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_debug_off_refuses_the_development_key_too():
    from artsearch.settings import DEV_SECRET_KEY

    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": DEV_SECRET_KEY})
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_database_url_says_how_to_fix_it():
    result = manage("check", DATABASE_URL="")
    assert result.returncode != 0 and "make run" in result.stderr
