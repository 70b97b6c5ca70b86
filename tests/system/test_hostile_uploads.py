"""Every hostile upload gets a clear 4xx or form error, never a 500, and leaves no row and no file behind."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from gallery.models import Artwork
from gallery.services import ingest
from tests.helpers import stored_files
from tests.hostile_corpus import hostile_files

pytestmark = pytest.mark.django_db
CORPUS = hostile_files()
IDS = [name for name, _, _ in CORPUS]


@pytest.mark.parametrize("name, payload, accepted", CORPUS, ids=IDS)
def test_search_form(client, searchable_artworks, tmp_path, name, payload, accepted):
    before = stored_files(tmp_path)
    response = client.post(reverse("gallery:search"), {"image": SimpleUploadedFile(name, payload)})
    if accepted:
        assert response.status_code == 200 and len(response.context["result"].hits) == 3
    else:
        assert response.status_code == 400
        assert response.context["form"].errors["image"]  # a message on the form, next to the field
    assert Artwork.objects.count() == 3 and stored_files(tmp_path) == before


@pytest.mark.parametrize("name, payload, accepted", CORPUS, ids=IDS)
def test_api(client, searchable_artworks, name, payload, accepted):
    response = client.post("/api/search", {"image": SimpleUploadedFile(name, payload)})
    if accepted:
        assert response.status_code == 200 and len(response.json()["results"]) == 3
    else:
        assert response.status_code == 400 and response.json()["fields"]["image"]


@pytest.mark.parametrize("name, payload, accepted", CORPUS, ids=IDS)
def test_admin_upload(admin_client, artist, tmp_path, name, payload, accepted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        response = admin_client.post(reverse("admin:gallery_artwork_add"),
                                     {"artist": artist.pk, "title": name, "image": SimpleUploadedFile(name, payload)})
    if accepted:
        assert response.status_code == 302
        artwork = Artwork.objects.get()
        assert artwork.image.name.startswith("artworks/") and name not in artwork.image.name  # never the user's name
        assert len(stored_files(tmp_path)) == 2  # the original and its thumbnail
    else:
        assert response.status_code == 200 and response.context["adminform"].form.errors["image"]
        assert not Artwork.objects.exists() and stored_files(tmp_path) == []


def test_sixteen_bit_png_is_scaled_not_clipped(artist):
    payload = dict((n, p) for n, p, _ in CORPUS)["sixteen-bit.png"]
    artwork = ingest.artwork_create(artist=artist, title="Grey", image=SimpleUploadedFile("g.png", payload))
    with artwork.thumbnail.open("rb") as handle:
        lo, hi = Image.open(handle).convert("L").getextrema()
    assert lo < 10 and hi > 245  # the whole grey ramp survived, not a white sheet


def test_exif_orientation_is_applied(artist):
    picture = Image.new("RGB", (300, 100), "white")
    picture.paste((200, 0, 0), (0, 0, 100, 100))  # a red block at the left edge
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    artwork = ingest.artwork_create(artist=artist, title="Turned", image=SimpleUploadedFile("t.jpg", buffer.getvalue()))
    assert (artwork.width, artwork.height) == (100, 300)
    with artwork.thumbnail.open("rb") as handle:
        thumbnail = Image.open(handle).convert("RGB")
    assert thumbnail.size[1] > thumbnail.size[0]
    assert thumbnail.getpixel((thumbnail.width // 2, 5))[0] > 150  # the red block is now at the top
