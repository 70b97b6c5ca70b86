"""The JSON API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Artwork
from gallery.sources import read_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def six_embedded_artworks(embedded_artworks):
    return embedded_artworks(6)


def test_text_search(client, six_embedded_artworks):
    body = client.get("/api/search", {"q": "a stormy sea", "k": 3}).json()
    assert len(body["results"]) == 3 and body["has_next"] is True
    assert body["semantic"] is False and body["model"] == "ViT-B-32/untrained-seed0"
    first = body["results"][0]
    assert set(first) >= {"id", "title", "url", "image_url", "thumbnail_url", "similarity", "in_collection", "artist"}
    assert first["artist"]["nationality"] == "Dutch" and first["artist"]["years"] == "1853 - 1890"
    similarities = [r["similarity"] for r in body["results"]]
    assert similarities == sorted(similarities, reverse=True)


def test_image_search_by_multipart_post(client, six_embedded_artworks):
    with six_embedded_artworks[4].image.open("rb") as handle:
        upload = SimpleUploadedFile("q.jpg", handle.read())
    body = client.post("/api/search", {"image": upload, "k": 2}).json()
    assert body["results"][0]["id"] == six_embedded_artworks[4].pk and body["results"][0]["in_collection"] is True
    assert body["results"][0]["similarity"] == pytest.approx(1.0, abs=1e-3)


def test_similar(client, six_embedded_artworks):
    body = client.get(f"/api/artworks/{six_embedded_artworks[0].pk}/similar", {"k": 10}).json()
    assert len(body["results"]) == 5 and six_embedded_artworks[0].pk not in [r["id"] for r in body["results"]]


def test_an_artworks_record(client, six_embedded_artworks):
    work = six_embedded_artworks[0]
    Artwork.objects.filter(pk=work.pk).update(
        description="A storm.", image_description="Waves under a dark sky.", tags=["Sea"], attribution="Photo: X",
        culture="Dutch", manifest_url="https://museum.example/iiif/1/manifest", institution="Rijksmuseum")
    body = client.get(f"/api/artworks/{work.pk}").json()
    assert (body["id"], body["title"], body["url"]) == (work.pk, work.title, f"http://testserver/artworks/{work.pk}/")
    assert (body["description"], body["image_description"], body["tags"], body["image_credit"], body["culture"]) == (
        "A storm.", "Waves under a dark sky.", ["Sea"], "Photo: X", "Dutch")
    assert body["institution"] == "Rijksmuseum"
    assert (body["width"], body["height"]) == (work.width, work.height) and body["artist"]["name"] == work.artist.name
    assert body["manifest_url"] == f"http://testserver/iiif/{work.pk}/manifest.json"
    assert body["source_manifest_url"] == "https://museum.example/iiif/1/manifest"
    assert client.get(body["similar_url"]).status_code == 200
    Artwork.objects.filter(pk=work.pk).update(published=False)
    assert client.get(f"/api/artworks/{work.pk}").status_code == 404  # a draft is not public


def test_a_record_from_the_api_imports_into_another_deployment(client, six_embedded_artworks, tmp_path):
    """The JSON API's answers are records another artsearch reads (gallery/sources/json_records.py)."""
    work = six_embedded_artworks[0]
    Artwork.objects.filter(pk=work.pk).update(accession_number="07.123", culture="Dutch", rights="public-domain",
                                              image_description="Waves under a dark sky.", institution="Rijksmuseum")
    (tmp_path / "work.json").write_text(client.get(f"/api/artworks/{work.pk}").content.decode())
    kind, records = read_source(str(tmp_path / "work.json"))
    (record,) = records
    assert kind == "json" and (record.accession_number, record.title, record.artist_name, record.culture) == (
        "07.123", work.title, work.artist.name, "Dutch")
    assert (record.rights, record.image_url, record.image_description) == (
        "public-domain", f"http://testserver{work.image.url}", "Waves under a dark sky.")
    assert record.source_url == f"http://testserver/artworks/{work.pk}/"
    assert record.institution == "Rijksmuseum"


@pytest.mark.parametrize("method, url, data, status, message", [
    ("get", "/api/search", {}, 400, "upload a picture"),
    ("get", "/api/search", {"q": "x", "k": "100"}, 400, "less than or equal to 48"),
    ("get", "/api/search", {"q": "x", "genre": "Nope"}, 400, "Select a valid choice"),
    ("post", "/api/search", {"image": SimpleUploadedFile("x.jpg", b"not an image")}, 400, "not an image"),
    ("get", "/api/artworks/999999/similar", {}, 404, "No artwork"),
    ("get", "/api/artworks/999999", {}, 404, "No artwork with id 999999."),
    ("delete", "/api/search", {}, 405, None),
])
def test_errors_are_json_4xx(client, six_embedded_artworks, method, url, data, status, message):
    response = getattr(client, method)(url, data)
    assert response.status_code == status
    if message:
        assert message in response.json()["error"]


def test_similar_with_bad_k_is_a_json_400(client, six_embedded_artworks):
    response = client.get(f"/api/artworks/{six_embedded_artworks[0].pk}/similar", {"k": "0"})
    assert response.status_code == 400 and "greater than or equal to 1" in response.json()["error"]


def test_similar_without_weights_is_a_json_503(client, six_embedded_artworks, encoder_without_weights):
    response = client.get(f"/api/artworks/{six_embedded_artworks[0].pk}/similar")
    assert response.status_code == 503 and "CLIP_PRETRAINED" in response.json()["error"]


def test_similar_pages_like_the_html_page(client, embedded_artworks, settings):
    from gallery.services.search import DEFAULT_K

    works = embedded_artworks(DEFAULT_K + 3)
    first = client.get(f"/api/artworks/{works[0].pk}/similar").json()  # no k: the form's default, not a literal
    assert first["k"] == DEFAULT_K and len(first["results"]) == DEFAULT_K and first["has_next"] is True
    second = client.get(f"/api/artworks/{works[0].pk}/similar", {"page": 2}).json()
    assert len(second["results"]) == 2 and second["has_next"] is False
    html = client.get(f"/artworks/{works[0].pk}/similar/").context["result"]
    assert html.k == DEFAULT_K and [hit.artwork.pk for hit in html.hits] == [r["id"] for r in first["results"]]


@pytest.fixture
def prolific(artist, clip_encoder):
    """(work, prolific artist): 10 near-identical works by one artist beside `work`, 20 by ten others further away."""
    from tests.gallery.services.helpers import prolific_neighbours

    return prolific_neighbours(artist, model_id=clip_encoder.model_id)


def test_similar_with_result_options(client, prolific):
    work, printmaker = prolific
    url = f"/api/artworks/{work.pk}/similar"
    plain = client.get(url, {"k": 6}).json()
    assert plain["options"] == {"per_artist": 0, "close": False} and plain["hidden"] is None
    capped = client.get(url, {"k": 6, "per_artist": 2}).json()
    assert capped["options"] == {"per_artist": 2, "close": False} and len(capped["results"]) == 6
    assert [r["artist"]["name"] for r in capped["results"]].count(printmaker.name) == 2 and capped["has_next"]
    close = client.get(url, {"close": 1}).json()
    assert close["options"] == {"per_artist": 0, "close": True} and close["hidden"] == 20
    assert {r["artist"]["name"] for r in close["results"]} == {printmaker.name} and len(close["results"]) == 10
    assert client.get(url, {"close": "0"}).json()["hidden"] is None


def test_search_reports_the_options_applied(client, six_embedded_artworks):
    body = client.get("/api/search", {"q": "a stormy sea", "k": 3, "per_artist": 1, "close": "true"}).json()
    assert body["options"] == {"per_artist": 1, "close": True} and len(body["results"]) == 1
    assert body["hidden"] is not None and body["has_next"] is False  # six works by one artist: one is shown


@pytest.mark.parametrize("url", ["/api/search?q=x&", "/api/artworks/{pk}/similar?"])
@pytest.mark.parametrize("query, field", [("per_artist=-2", "per_artist"), ("per_artist=lots", "per_artist"),
                                          ("close=2", "close"), ("close=yes please", "close")])
def test_bad_result_options_are_a_json_400(client, six_embedded_artworks, url, query, field):
    response = client.get(url.format(pk=six_embedded_artworks[0].pk) + query)
    assert response.status_code == 400 and response.json()["error"].startswith(f"{field}: ")
