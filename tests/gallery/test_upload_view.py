"""The curators' upload page outside the admin."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gallery.models import Artwork
from tests.helpers import image_upload, reproduction_upload, stored_files

pytestmark = pytest.mark.django_db
URL = reverse("gallery:artwork-upload")


def test_only_staff_may_upload(client, django_user_model):
    assert client.get(URL).status_code == 302  # to the login page
    client.force_login(django_user_model.objects.create_user("visitor", password="pw-123456789"))
    assert client.get(URL).status_code == 302


def test_upload_creates_a_pending_artwork_and_queues_it(admin_client, artist, broker_queue,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(URL, {"artist": artist.pk, "title": "Irises", "image": image_upload(seed=5)})
    artwork = Artwork.objects.get()
    assert response.status_code == 302 and response["Location"] == artwork.get_absolute_url()
    assert artwork.status == Artwork.Status.PENDING and broker_queue.jobs() == [[artwork.pk]]


def test_a_bad_file_is_a_form_error_and_leaves_nothing(admin_client, artist, tmp_path):
    response = admin_client.post(URL, {"artist": artist.pk, "title": "Bad",
                                       "image": SimpleUploadedFile("x.jpg", b"\xff\xd8\xff garbage")})
    assert response.status_code == 400 and response.context["form"].errors["image"]
    assert not Artwork.objects.exists() and stored_files(tmp_path) == []


def test_a_duplicate_is_a_form_error(admin_client, artist):
    admin_client.post(URL, {"artist": artist.pk, "title": "First", "image": image_upload(seed=6)})
    response = admin_client.post(URL, {"artist": artist.pk, "title": "Again", "image": image_upload(seed=6)})
    assert response.status_code == 400 and "already in the collection" in response.content.decode()
    assert Artwork.objects.count() == 1


@pytest.fixture
def original(admin_client, artist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        admin_client.post(URL, {"artist": artist.pk, "title": "Original", "image": image_upload(seed=7)})
    return Artwork.objects.get()


def test_a_near_duplicate_shows_the_choice_and_stores_nothing(admin_client, artist, original, tmp_path):
    before = stored_files(tmp_path)
    response = admin_client.post(URL, {"artist": artist.pk, "title": "Copy", "image": reproduction_upload(original)})
    html = response.content.decode()
    assert response.status_code == 400 and response.context["twin"] == original
    assert original.thumbnail.url in html and 'data-testid="near-duplicate"' in html
    for value in ("keep", "skip", "replace"):
        assert f'type="radio" name="on_duplicate" value="{value}"' in html
    assert Artwork.objects.count() == 1 and stored_files(tmp_path) == before
    form = response.context["form"]
    assert form.data["duplicate_of"] == str(original.pk) and form.data["pending_upload"]


def _choose(admin_client, artist, original, choice, *, title="Copy"):
    """Upload a reproduction, then answer the question without attaching the file again."""
    asked = admin_client.post(URL, {"artist": artist.pk, "title": title, "image": reproduction_upload(original)})
    data = {**asked.context["form"].data.dict(), "on_duplicate": choice}
    return admin_client.post(URL, data, follow=True)


def test_skip_keeps_one_row(admin_client, artist, original, tmp_path, django_capture_on_commit_callbacks):
    before = stored_files(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        response = _choose(admin_client, artist, original, "skip")
    assert "Skipped: nothing was added" in response.content.decode()
    assert list(Artwork.objects.all()) == [original] and stored_files(tmp_path) == before


def test_keep_both_makes_two_rows(admin_client, artist, original, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _choose(admin_client, artist, original, "keep")
    copy = Artwork.objects.exclude(pk=original.pk).get()
    assert copy.title == "Copy" and response.redirect_chain[-1][0] == copy.get_absolute_url()
    assert "Both kept" in response.content.decode()


def test_replace_keeps_the_id_with_the_new_picture_and_no_orphan_file(admin_client, artist, original, tmp_path,
                                                                       broker_queue, django_capture_on_commit_callbacks):
    old_sha = original.image_sha256
    with django_capture_on_commit_callbacks(execute=True):
        response = _choose(admin_client, artist, original, "replace", title="Not applied")
    replaced = Artwork.objects.get()
    assert replaced.pk == original.pk and replaced.title == "Original" and replaced.image_sha256 != old_sha
    assert response.redirect_chain[-1][0] == original.get_absolute_url()
    assert replaced.status == Artwork.Status.PENDING and broker_queue.jobs()[-1] == [replaced.pk]
    assert stored_files(tmp_path) == sorted([tmp_path / "media" / replaced.image.name,
                                             tmp_path / "media" / replaced.thumbnail.name])


def test_an_expired_kept_picture_asks_for_the_file_again(admin_client, artist, original):
    asked = admin_client.post(URL, {"artist": artist.pk, "title": "Copy", "image": reproduction_upload(original)})
    data = {**asked.context["form"].data.dict(), "on_duplicate": "keep", "pending_upload": "gone"}
    response = admin_client.post(URL, data)
    assert response.status_code == 400 and "attach it again" in response.content.decode()
    assert Artwork.objects.count() == 1
