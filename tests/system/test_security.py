"""Security headers, rate limits, CSRF and escaping."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from gallery.services import ingest
from tests.helpers import image_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def rate_limits(settings):
    settings.RATELIMIT_ENABLE = True
    settings.GALLERY_RATE_LIMIT_SEARCH = "3/h"
    settings.GALLERY_RATE_LIMIT_UPLOAD = "2/h"
    cache.clear()
    yield
    cache.clear()


def statuses(send, count: int) -> list[int]:
    """django-ratelimit counts in fixed windows; a burst of 2 x limit + 1 is refused at least once even if it
    straddles a window boundary, and the first `limit` requests always pass."""
    return [send().status_code for _ in range(count)]


def test_pages_send_a_strict_content_security_policy(client, searchable_artworks):
    response = client.get(reverse("gallery:search"), {"q": "x"})
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "DENY"


def test_search_is_rate_limited_per_client_with_a_friendly_page(client, searchable_artworks, rate_limits):
    codes = statuses(lambda: client.get(reverse("gallery:search"), {"q": "x"}), 7)
    assert codes[:3] == [200] * 3 and 429 in codes
    response = client.get(reverse("gallery:search"), {"q": "x"})
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert "wait a minute" in response.content.decode()
    other_client = Client(REMOTE_ADDR="10.1.2.3")
    assert other_client.get(reverse("gallery:search"), {"q": "x"}).status_code == 200  # per client, not global


def test_uploads_have_their_own_tighter_limit(client, searchable_artworks, rate_limits):
    codes = statuses(lambda: client.post(reverse("gallery:search"), {"image": image_upload(seed=9)}), 5)
    assert codes[:2] == [200] * 2 and 429 in codes


def test_api_rate_limit_answers_json(client, searchable_artworks, rate_limits):
    assert 429 in statuses(lambda: client.get("/api/search", {"q": "x"}), 7)
    response = client.get("/api/search", {"q": "x"})
    assert response.status_code == 429 and "wait a minute" in response.json()["error"]


def test_rate_limit_fails_open_when_redis_is_down(client, searchable_artworks, settings, caplog):
    settings.RATELIMIT_ENABLE = True
    settings.CACHES = {**settings.CACHES,  # the per-process fragment cache stays
                       "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on port 9
                                   "OPTIONS": {"socket_connect_timeout": 0.5}}}
    response = client.get(reverse("gallery:search"), {"q": "x"})
    assert response.status_code == 200 and len(response.context["result"].hits) == 3
    assert "Rate limit not applied" in caplog.text


def test_image_search_needs_a_csrf_token(searchable_artworks):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("gallery:search"), {"image": image_upload(seed=1)})
    assert response.status_code == 403
    page = strict.get(reverse("gallery:search"))
    token = page.cookies["csrftoken"].value
    response = strict.post(reverse("gallery:search"), {"image": image_upload(seed=1), "csrfmiddlewaretoken": token})
    assert response.status_code == 200


def test_admin_login_needs_a_csrf_token(db):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403


def test_titles_and_bios_are_escaped_everywhere(client, clip_encoder):
    from tests.factories import ArtistFactory

    artist = ArtistFactory(name="Evil <b>Painter</b>", bio="<script>alert('bio')</script>")
    artwork = ingest.artwork_create(artist=artist, title="<img src=x onerror=alert(1)>", image=image_upload(seed=3))
    ingest.artworks_embed(artwork_ids=[artwork.pk], encoder=clip_encoder)
    for url in ("/", artwork.get_absolute_url(), artist.get_absolute_url(), reverse("gallery:artist-list"),
                f"{reverse('gallery:search')}?q=x"):
        html = client.get(url).content.decode()
        assert "<script>alert('bio')" not in html and "<img src=x onerror" not in html, url
        assert "&lt;" in html, url


def test_production_error_pages_show_no_settings_or_secrets(client, settings, db):
    settings.DEBUG = False
    settings.SECRET_KEY = "a-secret-that-must-never-be-shown-" + "x" * 20
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404 and "Not found" in html
    assert settings.SECRET_KEY not in html and "DATABASES" not in html and "Traceback" not in html


def test_credentials_in_database_url_are_never_printed(tmp_path):
    import subprocess
    import sys

    from tests.helpers import BASE_DIR, subprocess_env

    url = "postgres://artsearch:pa55-w0rd-n0t-t0-leak@127.0.0.1:9/artsearch"  # nothing listens: the check fails
    result = subprocess.run([sys.executable, "manage.py", "migrate", "--check"], cwd=BASE_DIR,
                            env=subprocess_env(DATABASE_URL=url), capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "pa55-w0rd-n0t-t0-leak" not in result.stdout + result.stderr
