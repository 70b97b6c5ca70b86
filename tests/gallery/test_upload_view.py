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


def test_a_near_duplicate_is_stored_with_a_warning(admin_client, artist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        admin_client.post(URL, {"artist": artist.pk, "title": "Original", "image": image_upload(seed=7)})
    original = Artwork.objects.get()
    with django_capture_on_commit_callbacks():
        response = admin_client.post(URL, {"artist": artist.pk, "title": "Copy", "image": reproduction_upload(original)},
                                     follow=True)
    html = response.content.decode()
    assert "looks like a reproduction of" in html and original.get_absolute_url() in html
    assert Artwork.objects.count() == 2  # a warning, not a refusal: the curator decides
