"""The IIIF endpoints: manifests and the collection (parsed back with iiif-prezi3's own models), the tiles served with
CORS, and the round trip through artsearch's own IIIF import over HTTP."""

from __future__ import annotations

import io
import json

import pytest
import requests
from iiif_prezi3 import Collection, Manifest
from PIL import Image

from gallery import iiif_tiles
from gallery.models import Artist, Artwork
from gallery.services import iiif, iiif_manifests, ingest
from gallery.sources import read_source
from gallery.sources.download import fetch
from tests.helpers import image_upload

PRESENTATION_TYPE = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"


def catalogued_work(*, tiles: bool = True, **fields) -> Artwork:
    artist = Artist.objects.create(name="Vincent van Gogh", nationality="Dutch", birth_year=1853, death_year=1890)
    artwork = ingest.artwork_create(artist=artist, title="Wheat Field with Cypresses",
                                    image=image_upload(seed=1, size=(1400, 1100)), enqueue=False)
    values = {"accession_number": "1993.132", "date": "1889", "year_start": 1889, "year_end": 1889,
              "medium": "Oil on canvas", "dimensions": "73.2 × 93.4 cm", "classification": "Paintings",
              "department": "European Paintings", "institution": "The Metropolitan Museum of Art",
              "credit_line": "Purchase, The Annenberg Foundation Gift, 1993",
              "rights": Artwork.Rights.PUBLIC_DOMAIN, "rights_url": CC0, "description": "Painted in Saint-Rémy.",
              "tags": ["Wheat", "Cypresses"], **fields}
    Artwork.objects.filter(pk=artwork.pk).update(**values)
    artwork.refresh_from_db()
    if tiles:
        iiif.artwork_tiles_make(artwork=artwork)
    return artwork


def metadata(manifest: dict) -> dict[str, str]:
    return {pair["label"]["en"][0]: pair["value"]["none"][0] for pair in manifest["metadata"]}


@pytest.mark.django_db
def test_a_manifest_holds_the_catalogue_record_and_the_tile_service(client):
    work = catalogued_work()
    response = client.get(f"/iiif/{work.pk}/manifest.json")
    assert response.status_code == 200
    assert response["Content-Type"] == PRESENTATION_TYPE and response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    manifest = Manifest(**data)  # iiif-prezi3's model of Presentation 3 accepts it
    assert manifest.id == f"http://testserver/iiif/{work.pk}/manifest.json"
    assert data["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert data["label"] == {"en": ["Wheat Field with Cypresses"]}
    assert metadata(data) == {
        "Title": "Wheat Field with Cypresses", "Artist": "Vincent van Gogh (Dutch, 1853–1890)", "Date": "1889",
        "Medium": "Oil on canvas", "Dimensions": "73.2 × 93.4 cm", "Classification": "Paintings",
        "Department": "European Paintings", "Repository": "The Metropolitan Museum of Art",
        "Accession number": "1993.132",
        "Credit line": "Purchase, The Annenberg Foundation Gift, 1993", "Rights": "Public domain / CC0",
        "Tags": "Wheat; Cypresses"}
    assert data["rights"] == CC0
    french = client.get(f"/iiif/{work.pk}/manifest.json", headers={"accept-language": "fr"}).json()
    assert metadata(french)["Rights"] == "Public domain / CC0"  # tagged "en", so English for every visitor
    assert data["requiredStatement"] == {"label": {"en": ["Credit line"]},
                                         "value": {"none": ["Purchase, The Annenberg Foundation Gift, 1993"]}}
    assert data["summary"] == {"en": ["Painted in Saint-Rémy."]}
    assert data["homepage"][0]["id"] == f"http://testserver/artworks/{work.pk}/"
    assert data["thumbnail"][0]["id"] == f"http://testserver{work.thumbnail.url}"
    (canvas,) = data["items"]
    assert (canvas["width"], canvas["height"]) == (1400, 1100)
    annotation = canvas["items"][0]["items"][0]
    assert (annotation["motivation"], annotation["target"]) == ("painting", canvas["id"])
    body = annotation["body"]
    assert (body["id"], body["type"], body["format"]) == (f"http://testserver{work.image.url}", "Image", "image/jpeg")
    assert body["service"] == [{"id": f"http://testserver/{iiif.tiles_folder(work)}", "type": "ImageService3",
                                "profile": "level0", "width": 1400, "height": 1100,
                                "sizes": [{"width": 350, "height": 275}, {"width": 700, "height": 550},
                                          {"width": 1400, "height": 1100}]}]


@pytest.mark.django_db
def test_a_work_without_tiles_yet_has_a_manifest_without_a_service(client):
    work = catalogued_work(tiles=False, rights_url="", credit_line="", attribution="")
    data = client.get(f"/iiif/{work.pk}/manifest.json").json()
    Manifest(**data)
    assert "service" not in data["items"][0]["items"][0]["items"][0]["body"]
    assert "rights" not in data and "requiredStatement" not in data


@pytest.mark.django_db
def test_drafts_and_unknown_works_have_no_manifest(client):
    work = catalogued_work(tiles=False, published=False)
    assert client.get(f"/iiif/{work.pk}/manifest.json").status_code == 404
    assert client.get("/iiif/987654321/manifest.json").status_code == 404
    assert client.get("/iiif/99999999999999999999/manifest.json").status_code == 404
    assert client.post(f"/iiif/{work.pk}/manifest.json").status_code == 405


@pytest.mark.django_db
def test_the_collection_lists_the_published_works_in_pages(client, monkeypatch):
    works = [catalogued_work(tiles=False)]
    artist = works[0].artist
    works += [ingest.artwork_create(artist=artist, title=f"Study {n}", image=image_upload(seed=10 + n),
                                    enqueue=False) for n in range(4)]
    Artwork.objects.filter(pk=works[-1].pk).update(published=False)
    monkeypatch.setattr(iiif_manifests, "COLLECTION_PAGE_SIZE", 2)
    response = client.get("/iiif/collection.json")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    first = response.json()
    Collection(**first)
    assert first["id"] == "http://testserver/iiif/collection.json"
    assert [item["id"] for item in first["items"]] == [
        f"http://testserver/iiif/{works[0].pk}/manifest.json", f"http://testserver/iiif/{works[1].pk}/manifest.json",
        "http://testserver/iiif/collection.json?page=2"]
    assert first["items"][0] == {"id": f"http://testserver/iiif/{works[0].pk}/manifest.json", "type": "Manifest",
                                 "label": {"en": ["Wheat Field with Cypresses"]}}
    second = client.get("/iiif/collection.json?page=2").json()
    Collection(**second)
    assert [item["id"] for item in second["items"]] == [f"http://testserver/iiif/{works[n].pk}/manifest.json"
                                                        for n in (2, 3)]  # the draft is left out
    for page in ("3", "0", "-1", "abc", "1e3", ""):
        assert client.get(f"/iiif/collection.json?page={page}").status_code == 404, page


@pytest.mark.django_db
def test_an_empty_collection_is_a_valid_empty_collection(client):
    data = client.get("/iiif/collection.json").json()
    Collection(**data)
    assert data["items"] == []


@pytest.mark.django_db
def test_django_serves_the_tiles_with_cors_and_an_absolute_info_json_id(client):
    work = catalogued_work()
    folder = iiif.tiles_folder(work)  # iiif/<pk>/<version>: the media folder and the URL path alike
    response = client.get(f"/{folder}/info.json")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"] == 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'
    info = response.json()
    assert info["id"] == f"http://testserver/{folder}"
    assert info == {**iiif_tiles.info(info["id"], 1400, 1100)}
    tile = client.get(f"/{folder}/0,0,512,512/512,512/0/default.jpg")
    assert tile.status_code == 200 and tile["Access-Control-Allow-Origin"] == "*"
    assert tile["Content-Type"] == "image/jpeg" and "immutable" in tile["Cache-Control"]
    assert Image.open(io.BytesIO(b"".join(tile.streaming_content))).size == (512, 512)
    assert client.head(f"/{folder}/full/350,275/0/default.jpg").status_code == 200
    for path in (f"{folder}/0,0,1,1/1,1/0/default.jpg", f"{folder}/../../artworks/x.jpg", f"{folder}/info.json/x",
                 f"{folder}/full/max/0/default.png", f"iiif/{work.pk}/0123456789abcdef/info.json",
                 f"iiif/{work.pk}/0123456789abcdef/full/max/0/default.jpg", f"iiif/{work.pk}/{'0' * 15}/info.json",
                 f"iiif/99999999999999999999/{folder.rsplit('/', 1)[1]}/info.json"):
        assert client.get(f"/{path}").status_code == 404, path
    assert client.post(f"/{folder}/info.json").status_code == 405


@pytest.mark.django_db
def test_the_artwork_page_links_the_manifest_and_the_viewer_its_tiles(client):
    work = catalogued_work()
    page = client.get(f"/artworks/{work.pk}/").content.decode()
    manifest = f"http://testserver/iiif/{work.pk}/manifest.json"
    assert (f'<link rel="alternate" type=\'{PRESENTATION_TYPE}\' href="{manifest}"') in page
    assert f'href="{manifest}" data-testid="iiif-manifest-link">Open in a IIIF viewer</a>' in page
    assert f"?manifest=http%3A%2F%2Ftestserver%2Fiiif%2F{work.pk}%2Fmanifest.json" in page
    assert f'data-tile-source="http://testserver/{iiif.tiles_folder(work)}/info.json"' in page
    assert "vendor/openseadragon/openseadragon.min.js" in page and "js/deep-zoom.js" in page
    Artwork.objects.filter(pk=work.pk).update(image_sha256="0" * 64)  # a new picture, not tiled yet
    assert 'data-tile-source=""' in client.get(f"/artworks/{work.pk}/").content.decode()


def test_the_round_trip_through_our_own_iiif_import(live_server, transactional_db):
    """Another artsearch (or any IIIF reader) importing our manifest over HTTP gets the record and the picture."""
    work = catalogued_work()
    url = f"{live_server.url}/iiif/{work.pk}/manifest.json"
    source_format, results = read_source(url)
    (record,) = list(results)
    assert source_format == "iiif"
    assert (record.title, record.artist_name, record.artist_nationality) == (
        "Wheat Field with Cypresses", "Vincent van Gogh", "Dutch")
    assert (record.artist_birth_year, record.artist_death_year) == (1853, 1890)
    assert (record.date, record.year_start, record.medium, record.dimensions) == (
        "1889", 1889, "Oil on canvas", "73.2 × 93.4 cm")
    assert (record.accession_number, record.classification, record.department) == (
        "1993.132", "Paintings", "European Paintings")
    assert record.credit_line == "Purchase, The Annenberg Foundation Gift, 1993"
    assert record.institution == "The Metropolitan Museum of Art"  # our manifest's "Repository" pair
    assert (record.rights, record.rights_url) == ("public-domain", CC0)
    assert record.description == "Painted in Saint-Rémy."
    assert record.tags == ["Wheat", "Cypresses"]
    assert (record.manifest_url, record.source_url) == (url, f"{live_server.url}/artworks/{work.pk}/")
    # The picture through the level-0 service: the largest listed size within 2048 pixels, a static tile file.
    assert record.image_url == f"{live_server.url}/{iiif.tiles_folder(work)}/full/1400,1100/0/default.jpg"
    picture = Image.open(io.BytesIO(fetch(record.image_url, max_bytes=20_000_000)))
    assert picture.size == (1400, 1100)


def test_a_viewer_on_another_site_can_read_the_manifest_and_the_tiles(live_server, transactional_db):
    """What Mirador or the Universal Viewer on a museum's own site does: cross-origin requests, allowed by CORS."""
    work = catalogued_work()
    origin = {"Origin": "https://viewer.example.org"}
    manifest = requests.get(f"{live_server.url}/iiif/{work.pk}/manifest.json", headers=origin, timeout=10)
    assert manifest.headers["Access-Control-Allow-Origin"] == "*"
    service = manifest.json()["items"][0]["items"][0]["items"][0]["body"]["service"][0]["id"]
    assert service.startswith(live_server.url)
    info = requests.get(f"{service}/info.json", headers=origin, timeout=10)
    assert info.headers["Access-Control-Allow-Origin"] == "*" and info.json()["id"] == service
    tile = requests.get(f"{service}/512,512,512,512/512,512/0/default.jpg", headers=origin, timeout=10)
    assert tile.status_code == 200 and tile.headers["Access-Control-Allow-Origin"] == "*"
    assert tile.headers["Content-Type"] == "image/jpeg"
    collection = requests.get(f"{live_server.url}/iiif/collection.json", headers=origin, timeout=10)
    assert collection.headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(collection.text)["items"][0]["id"] == manifest.json()["id"]
