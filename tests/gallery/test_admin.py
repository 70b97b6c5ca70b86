import pytest
from django.urls import reverse

from gallery.models import Artwork
from gallery.services import ingest
from tests.helpers import image_upload, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def artwork(artist):
    return ingest.artwork_create(artist=artist, title="Starry Night", image=image_upload(seed=3))


@pytest.mark.parametrize("url_name", ["admin:gallery_artist_changelist", "admin:gallery_artwork_changelist",
                                      "admin:gallery_artwork_add", "admin:gallery_artist_add"])
def test_admin_pages_load_for_staff(admin_client, artwork, url_name):
    response = admin_client.get(reverse(url_name))
    assert response.status_code == 200


def test_artwork_changelist_shows_thumbnail_and_status(admin_client, artwork):
    html = admin_client.get(reverse("admin:gallery_artwork_changelist")).content.decode()
    assert artwork.thumbnail.url in html
    assert "Pending" in html


def test_artist_changelist_counts_artworks_and_filters_by_genre(admin_client, artwork):
    response = admin_client.get(reverse("admin:gallery_artist_changelist"), {"genre": "Post-Impressionism"})
    assert response.context["cl"].result_count == 1
    assert response.context["cl"].result_list[0].artwork_count == 1
    response = admin_client.get(reverse("admin:gallery_artist_changelist"), {"genre": "Cubism"})
    assert response.context["cl"].result_count == 0


def test_admin_refuses_anonymous_users(client, artwork):
    response = client.get(reverse("admin:gallery_artwork_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_refuses_logged_in_non_staff(client, django_user_model, artwork):
    client.force_login(django_user_model.objects.create_user("visitor", password="pw-123456789"))
    response = client.get(reverse("admin:gallery_artwork_change", args=[artwork.pk]))
    assert response.status_code == 302


def test_admin_upload_creates_a_pending_artwork_with_thumbnail(admin_client, artist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(reverse("admin:gallery_artwork_add"),
                                     {"artist": artist.pk, "title": "Irises", "image": image_upload(seed=4)})
    assert response.status_code == 302, response.content
    artwork = Artwork.objects.get(title="Irises")
    assert artwork.status == Artwork.Status.PENDING and artwork.thumbnail and artwork.image_sha256
    assert len(callbacks) == 1  # the embedding job, published only after commit


def test_admin_attribution_qualifier_is_saved_and_needs_an_artist(admin_client, artist, tmp_path):
    refused = admin_client.post(reverse("admin:gallery_artwork_add"), {
        "title": "A copy", "artist_qualifier": "Copy after", "image": image_upload(seed=5)})
    assert refused.status_code == 200 and "An attribution qualifier needs an artist." in refused.content.decode()
    assert not Artwork.objects.exists() and stored_files(tmp_path) == []
    saved = admin_client.post(reverse("admin:gallery_artwork_add"), {
        "artist": artist.pk, "title": "A copy", "artist_qualifier": "Copy after", "image": image_upload(seed=5)})
    assert saved.status_code == 302, saved.content
    assert Artwork.objects.get().artist_qualifier == "Copy after"
    listed = admin_client.get(reverse("admin:gallery_artwork_changelist")).content.decode()
    assert f"Copy after {artist.name}" in listed  # the list says so too


def test_admin_upload_of_a_duplicate_is_a_form_error(admin_client, artwork):
    response = admin_client.post(reverse("admin:gallery_artwork_add"),
                                 {"artist": artwork.artist.pk, "title": "Again", "image": image_upload(seed=3)})
    assert response.status_code == 200
    assert "already in the collection" in response.content.decode()
    assert Artwork.objects.count() == 1


def test_admin_upload_of_a_non_image_is_a_form_error(admin_client, artist, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("evil.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    response = admin_client.post(reverse("admin:gallery_artwork_add"),
                                 {"artist": artist.pk, "title": "Fake", "image": fake})
    assert response.status_code == 200
    assert not Artwork.objects.exists()
    assert stored_files(tmp_path) == []


def test_reembed_action_marks_rows_pending_and_queues_them(admin_client, artwork, django_capture_on_commit_callbacks):
    Artwork.objects.filter(pk=artwork.pk).update(status=Artwork.Status.FAILED, failure_reason="boom")
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(reverse("admin:gallery_artwork_changelist"),
                                     {"action": "reembed_selected", "_selected_action": [artwork.pk]}, follow=True)
    assert "Queued 1 artwork" in response.content.decode()
    artwork.refresh_from_db()
    assert artwork.status == Artwork.Status.PENDING and artwork.failure_reason == ""
    assert len(callbacks) == 1


def test_admin_checks_an_uploaded_image_once(admin_client, artist, monkeypatch, django_capture_on_commit_callbacks):
    from gallery import images

    checks = []
    check_image = images.check_image
    monkeypatch.setattr(images, "check_image", lambda file: checks.append(file) or check_image(file))  # counts only
    with django_capture_on_commit_callbacks():
        response = admin_client.post(reverse("admin:gallery_artwork_add"), data={
            "artist": artist.pk, "title": "Irises", "image": image_upload(seed=11)})
    assert response.status_code == 302 and Artwork.objects.get().image_sha256
    assert len(checks) == 1  # the form's check; save_model stores what it checked
