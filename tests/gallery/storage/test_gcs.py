"""Google Cloud Storage through django-storages: settings, signed URLs, and the app on a local GCS emulator.

Everything stays on loopback: the real google-cloud-storage client talks to gcp-storage-emulator (tests/gcs.py).
"""

from __future__ import annotations

import io
import re
import runpy
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import requests
import yaml
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from PIL import Image

from gallery.models import Artwork
from gallery.services import ingest
from tests.dataset_fixtures import build_collection
from tests.gcs import SERVICE_ACCOUNT_EMAIL, object_names, settings_with, write_service_account_key
from tests.helpers import BASE_DIR, image_upload, make_image_bytes, stored_files, wait_for

GCS_BACKEND = "gallery.storage.gcs.CachedSignedUrlStorage"  # django-storages' GCS, reusing signed URLs


def media_storage(settings_module: dict):
    """The default storage a process with these settings would build (no request is sent until it is used)."""
    return storages.create_storage(settings_module["STORAGES"]["default"])


def fetch(url: str) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, (url, response.status_code)
    return response.content


# --- Settings: which storage, which options. Nothing here sends a request.

def test_local_filesystem_is_the_default():
    assert settings_with()["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    forced_local = settings_with(GS_BUCKET_NAME="art", STORAGE_BACKEND="local")
    assert forced_local["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")


def test_a_bucket_name_selects_gcs_with_signed_urls_valid_for_a_day():
    config = settings_with(GS_BUCKET_NAME="art")["STORAGES"]["default"]
    assert config["BACKEND"] == GCS_BACKEND
    assert config["OPTIONS"] == {
        "bucket_name": "art", "project_id": None, "credentials": None, "querystring_auth": True,
        "expiration": timedelta(days=1), "default_acl": None, "custom_endpoint": None, "location": "",
        "iam_sign_blob": False, "sa_email": None,
    }
    assert settings_with(GS_BUCKET_NAME="art")["STORAGES"]["staticfiles"] == settings_with()["STORAGES"]["staticfiles"]


def test_signed_urls_carry_the_service_account_signature_and_expiry(tmp_path):
    key_file = write_service_account_key(tmp_path / "key.json")
    config = settings_with(GS_BUCKET_NAME="art", GS_PROJECT_ID="artsearch-test", GS_CREDENTIALS_FILE=str(key_file),
                           GS_EXPIRATION_SECONDS="3600", GS_LOCATION="media")
    url = urlsplit(media_storage(config).url("artworks/ab/abc.jpg"))
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert (url.scheme, url.netloc, url.path) == ("https", "storage.googleapis.com", "/art/media/artworks/ab/abc.jpg")
    assert query["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert query["X-Goog-Credential"].startswith(f"{SERVICE_ACCOUNT_EMAIL}/")
    assert query["X-Goog-Expires"] == "3600"
    assert re.fullmatch(r"[0-9a-f]{512}", query["X-Goog-Signature"])  # RSA-2048, hex


def test_signed_urls_are_reused_for_half_their_lifetime_by_the_storage_that_signed_them(tmp_path):
    key_file = write_service_account_key(tmp_path / "key.json")
    config = settings_with(GS_BUCKET_NAME="art", GS_CREDENTIALS_FILE=str(key_file), GS_EXPIRATION_SECONDS="4")
    storage = media_storage(config)
    first = storage.url("artworks/ab/abc.jpg")
    time.sleep(1.1)  # a new signature would carry a later X-Goog-Date (it counts seconds)
    assert storage.url("artworks/ab/abc.jpg") == first
    assert storage.url("artworks/cd/cde.jpg") != first
    elsewhere = settings_with(GS_BUCKET_NAME="art", GS_CREDENTIALS_FILE=str(key_file), GS_EXPIRATION_SECONDS="4",
                              GS_LOCATION="media")
    assert "/art/media/artworks/ab/abc.jpg?" in media_storage(elsewhere).url("artworks/ab/abc.jpg")
    time.sleep(1.0)  # past half of the 4 s lifetime: signed anew
    renewed = storage.url("artworks/ab/abc.jpg")
    assert renewed != first and renewed.split("?")[0] == first.split("?")[0]


def test_a_public_bucket_gets_plain_urls(tmp_path):
    key_file = write_service_account_key(tmp_path / "key.json")
    config = settings_with(GS_BUCKET_NAME="art", GS_CREDENTIALS_FILE=str(key_file), GS_PUBLIC_BUCKET="True",
                           GS_DEFAULT_ACL="publicRead")
    assert config["STORAGES"]["default"]["OPTIONS"]["default_acl"] == "publicRead"
    assert media_storage(config).url("artworks/ab/abc.jpg") == "https://storage.googleapis.com/art/artworks/ab/abc.jpg"


def test_a_custom_endpoint_is_the_base_of_object_urls(tmp_path):
    key_file = write_service_account_key(tmp_path / "key.json")
    signed = settings_with(GS_BUCKET_NAME="art", GS_CREDENTIALS_FILE=str(key_file),
                           GS_CUSTOM_ENDPOINT="https://media.example.org")
    url = media_storage(signed).url("artworks/ab/abc.jpg")
    assert url.startswith("https://media.example.org/artworks/ab/abc.jpg?") and "X-Goog-Signature=" in url
    public = settings_with(GS_BUCKET_NAME="art", GS_CREDENTIALS_FILE=str(key_file), GS_PUBLIC_BUCKET="True",
                           GS_CUSTOM_ENDPOINT="https://media.example.org")
    assert media_storage(public).url("artworks/ab/abc.jpg") == "https://media.example.org/artworks/ab/abc.jpg"


def compose_storage_env(**host: str) -> dict[str, str]:
    """The GS_* variables docker-compose.yml passes, from `host` or else compose's own `${NAME:-default}`."""
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())["x-app-environment"]
    defaults = {name: re.fullmatch(r"\$\{\w+:-(.*)\}", value)[1] for name, value in compose.items()
                if name.startswith("GS_")}
    return {**defaults, **host}


def test_docker_compose_keeps_local_files_until_a_bucket_is_named():
    assert settings_with(**compose_storage_env())["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    in_bucket = settings_with(**compose_storage_env(GS_BUCKET_NAME="art"))["STORAGES"]["default"]
    assert in_bucket == settings_with(GS_BUCKET_NAME="art")["STORAGES"]["default"]  # empty values mean unset


@pytest.mark.parametrize("env, message", [
    ({"STORAGE_BACKEND": "gcs"}, "needs GS_BUCKET_NAME"),
    ({"STORAGE_BACKEND": "s3"}, "must be local or gcs"),
    ({"GS_BUCKET_NAME": "art", "GS_EXPIRATION_SECONDS": str(7 * 24 * 3600 + 1)}, "seven days"),
])
def test_bad_storage_settings_are_refused(env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        settings_with(**env)


def test_django_serves_media_only_from_the_local_filesystem(settings):
    media_prefix = settings.MEDIA_URL.lstrip("/")
    local = runpy.run_path(str(BASE_DIR / "artsearch" / "urls.py"))["urlpatterns"]
    assert any(media_prefix in str(pattern.pattern) for pattern in local)
    settings.STORAGES = settings_with(GS_BUCKET_NAME="art")["STORAGES"]
    in_bucket = runpy.run_path(str(BASE_DIR / "artsearch" / "urls.py"))["urlpatterns"]
    assert not any(media_prefix in str(pattern.pattern) for pattern in in_bucket)


# --- The app on the emulator.

@pytest.mark.django_db
@pytest.mark.parametrize("upload_url", ["admin:gallery_artwork_add", "gallery:artwork-upload"])
def test_an_upload_lands_in_the_bucket_and_is_served_from_it(upload_url, admin_client, artist, gcs_media, tmp_path,
                                                             django_capture_on_commit_callbacks):
    original = make_image_bytes(seed=11, size=(900, 600))
    with django_capture_on_commit_callbacks():
        response = admin_client.post(reverse(upload_url), {
            "artist": artist.pk, "title": "Irises", "published": "on", "image": SimpleUploadedFile("irises.jpg", original)})
    assert response.status_code == 302, response.content
    artwork = Artwork.objects.get(title="Irises")
    sha = artwork.image_sha256
    assert (artwork.image.name, artwork.thumbnail.name) == (f"artworks/{sha[:2]}/{sha}.jpg",
                                                            f"thumbnails/{sha[:2]}/{sha}.jpg")
    assert object_names(gcs_media) == {artwork.image.name, artwork.thumbnail.name}
    assert gcs_media.blob(artwork.image.name).download_as_bytes() == original
    assert stored_files(tmp_path) == []  # nothing went to MEDIA_ROOT

    page = admin_client.get(artwork.get_absolute_url()).content.decode()
    image_url = artwork.image.url
    assert image_url == f"{default_storage.client.api_endpoint}/{gcs_media.name}/{artwork.image.name}"
    assert image_url in page
    assert fetch(image_url) == original
    thumbnail = Image.open(io.BytesIO(fetch(artwork.thumbnail.url)))
    assert thumbnail.format == "JPEG" and max(thumbnail.size) == 400
    assert artwork.thumbnail.url in admin_client.get(reverse("admin:gallery_artwork_changelist")).content.decode()


@pytest.mark.django_db
def test_a_file_over_8_mb_goes_up_in_a_resumable_upload(artist, gcs_media):
    noise = np.random.default_rng(0).integers(0, 256, size=(1800, 2000, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG", compress_level=0)
    original = buffer.getvalue()
    assert 8 * 1024 * 1024 < len(original) < 20 * 1024 * 1024  # above the client's multipart limit, within ours
    artwork = ingest.artwork_create(artist=artist, title="Noise", image=SimpleUploadedFile("n.png", original),
                                    enqueue=False)
    assert gcs_media.blob(artwork.image.name).download_as_bytes() == original


@pytest.mark.django_db
def test_embedding_reads_the_image_back_from_the_bucket(artist, gcs_media, clip_encoder):
    artwork = ingest.artwork_create(artist=artist, title="W", image=image_upload(seed=12), enqueue=False)
    gone = ingest.artwork_create(artist=artist, title="Gone", image=image_upload(seed=13), enqueue=False)
    gcs_media.blob(gone.image.name).delete()  # the object disappears behind the app's back
    with pytest.raises(NotImplementedError):
        artwork.image.storage.path(artwork.image.name)  # there is no local file to cheat with

    counts = ingest.artworks_embed(artwork_ids=[artwork.pk, gone.pk], encoder=clip_encoder)
    assert counts == {"embedded": 1, "skipped": 0, "failed": 1}
    artwork.refresh_from_db()
    gone.refresh_from_db()
    expected = clip_encoder.encode_images([Image.open(io.BytesIO(make_image_bytes(seed=12)))])[0]
    assert artwork.status == Artwork.Status.READY
    assert float(np.dot(expected, np.asarray(artwork.embedding))) > 0.999
    assert gone.status == Artwork.Status.FAILED and "missing" in gone.failure_reason


@pytest.mark.django_db
def test_deleting_artworks_deletes_their_objects_after_commit(artist, gcs_media, django_capture_on_commit_callbacks):
    artworks = [ingest.artwork_create(artist=artist, title=f"W{n}", image=image_upload(seed=20 + n), enqueue=False)
                for n in range(3)]
    assert len(object_names(gcs_media)) == 6
    with pytest.raises(RuntimeError), transaction.atomic():
        Artwork.objects.get(pk=artworks[0].pk).delete()
        raise RuntimeError("rolled back")
    assert len(object_names(gcs_media)) == 6  # a rolled-back delete keeps the files
    with django_capture_on_commit_callbacks(execute=True):
        artworks[0].delete()
    assert len(object_names(gcs_media)) == 4
    with django_capture_on_commit_callbacks(execute=True):
        Artwork.objects.all().delete()  # the admin's bulk delete: no service, only the signal
    assert object_names(gcs_media) == set()


@pytest.mark.django_db
def test_replacing_an_image_in_the_admin_swaps_the_objects(admin_client, artist, gcs_media,
                                                           django_capture_on_commit_callbacks):
    artwork = ingest.artwork_create(artist=artist, title="W", image=image_upload(seed=30), enqueue=False)
    change_url = reverse("admin:gallery_artwork_change", args=[artwork.pk])
    for seed in (31, 31):  # a new file, then the very same file again: its names do not change
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(change_url, {"artist": artist.pk, "title": "W",
                                                      "image": image_upload(seed=seed)})
        assert response.status_code == 302, response.content
        artwork.refresh_from_db()
        assert object_names(gcs_media) == {artwork.image.name, artwork.thumbnail.name}
        assert fetch(artwork.image.url) == make_image_bytes(seed=seed)


@pytest.mark.django_db(transaction=True)
def test_a_refused_duplicate_leaves_no_orphan_and_deletes_nothing_of_the_winner(artist, gcs_media):
    """Two uploads of one new file race: the loser writes the very objects the winner stored, then hits the unique
    hash when its row is inserted (both passed full_clean before either committed). GCS overwrites, so the
    loser's cleanup must not delete those names."""
    original = make_image_bytes(seed=40)
    stored, failures = threading.Event(), []

    def loser_is_waiting() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'")
            return cursor.fetchone() is not None

    def winner() -> None:
        try:
            with transaction.atomic():  # the winner's request transaction, held open until the loser blocks on it
                ingest.artwork_create(artist=artist, title="First", image=SimpleUploadedFile("a.jpg", original),
                                      enqueue=False)
                stored.set()
                wait_for(loser_is_waiting, timeout=30, interval=0.05, what="the second upload to wait on our row")
        except Exception as exc:  # surfaced by the main thread
            failures.append(exc)
            stored.set()
        finally:
            connection.close()

    thread = threading.Thread(target=winner)
    thread.start()
    assert stored.wait(timeout=30) and not failures, failures
    with pytest.raises(ValidationError, match="already in the collection"):  # a form error, not a 500
        ingest.artwork_create(artist=artist, title="Second", image=SimpleUploadedFile("b.jpg", original),
                              enqueue=False)
    thread.join(timeout=30)
    assert not failures, failures

    artwork = Artwork.objects.get()
    assert artwork.title == "First"
    assert object_names(gcs_media) == {artwork.image.name, artwork.thumbnail.name}
    assert fetch(artwork.image.url) == original


@pytest.mark.django_db
def test_bulk_import_stores_in_the_bucket_and_a_rerun_skips(gcs_media, tmp_path):
    root = build_collection(tmp_path / "collection", folders={"Claude_Monet": 2, "Raphael": 1})
    call_command("import_artworks", str(root), verbosity=0)
    assert Artwork.objects.count() == 3
    assert object_names(gcs_media) == {name for artwork in Artwork.objects.all()
                                       for name in (artwork.image.name, artwork.thumbnail.name)}
    call_command("import_artworks", str(root), verbosity=0)
    assert Artwork.objects.count() == 3 and len(object_names(gcs_media)) == 6


# --- The pipeline end to end: a real worker process reads from the bucket.

@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_worker_embeds_from_the_bucket_and_results_link_to_it(gcs_worker, gcs_media, admin_client, artist,
                                                                  tmp_path, clip_encoder):
    worker = gcs_worker()
    root = build_collection(tmp_path / "collection", folders={"Claude_Monet": 2, "Edgar_Degas": 1})
    call_command("import_artworks", str(root), verbosity=0)
    original = make_image_bytes(seed=50)
    response = admin_client.post(reverse("admin:gallery_artwork_add"), {
        "artist": artist.pk, "title": "Uploaded", "published": "on", "image": SimpleUploadedFile("up.jpg", original)})
    assert response.status_code == 302, response.content

    def all_ready() -> bool:
        return Artwork.objects.filter(status=Artwork.Status.READY).count() == 4

    wait_for(all_ready, timeout=180, what=f"the worker to embed from the bucket (log: {worker.log_path})")
    assert stored_files(tmp_path) == []  # neither process wrote to MEDIA_ROOT
    uploaded = Artwork.objects.get(title="Uploaded")
    expected = clip_encoder.encode_images([Image.open(io.BytesIO(original))])[0]
    assert float(np.dot(expected, np.asarray(uploaded.embedding))) > 0.999

    page = admin_client.get(reverse("gallery:search"), {"q": "a painting", "k": 12}).content.decode()
    for artwork in Artwork.objects.all():
        assert artwork.thumbnail.url in page  # the results grid shows thumbnails; the work's page links the original
        assert artwork.image.url in admin_client.get(artwork.get_absolute_url()).content.decode()
    assert fetch(uploaded.image.url) == original
    answer = admin_client.get(reverse("gallery:api-search"), {"q": "a painting", "k": 12}).json()
    assert {hit["image_url"] for hit in answer["results"]} == {a.image.url for a in Artwork.objects.all()}
    artists_page = admin_client.get(reverse("gallery:artist-list")).content.decode()
    assert uploaded.thumbnail.url in artists_page  # portraits are names annotated on the query, not FieldFiles

    call_command("reembed", "--all", verbosity=0)  # re-embedding reads every image from the bucket again
    wait_for(lambda: not Artwork.objects.awaiting_embedding().exists(), timeout=180,
             what=f"the worker to re-embed (log: {worker.log_path})")
    assert all_ready()
