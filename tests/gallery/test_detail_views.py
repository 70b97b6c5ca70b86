"""Detail search through the pages and the API: the artwork page's detail form, the box drawn on results and on the
work's page, the API's `box` with an upload or an artwork id, and clear errors for a wrong box."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gallery.regions import Box, crop
from gallery.services import ingest

pytestmark = pytest.mark.django_db


def _jpeg(picture: Image.Image, name: str = "detail.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _picture(artwork) -> Image.Image:
    with artwork.image.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


def test_the_detail_form_redirects_to_a_shareable_detail_search(client, met_works):
    work = met_works[4]
    response = client.get(f"/artworks/{work.pk}/detail/", {"x": "10", "y": "15", "w": "55", "h": "60"})
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query == {"artwork": [str(work.pk)], "box": ["0.1000,0.1500,0.5500,0.6000"]}


def test_a_detail_search_page_frames_where_each_result_matched(client, met_works, clip_encoder):
    work = met_works[4]
    box = Box(0.1, 0.15, 0.55, 0.6)
    study = ingest.artwork_create(artist=work.artist, title="A study of the detail", enqueue=False,
                                  image=_jpeg(crop(_picture(work), box), "study.jpg"))
    ingest.artworks_embed(artwork_ids=[study.pk], encoder=clip_encoder)
    page = client.get("/search/", {"artwork": work.pk, "box": str(box), "k": 6})
    html = page.content.decode()
    assert page.status_code == 200
    assert f"a detail of “{work.title}”" in html and 'data-testid="query-detail"' in html
    first = html[html.index('data-testid="result-card"'):]
    assert f'<h3><a href="/artworks/{study.pk}/?box=' in first[:first.index("</h3>")]  # the study, framed whole
    assert 'data-testid="result-box"' in first and 'data-testid="found-where"' in first
    assert f'<h3><a href="/artworks/{work.pk}/' not in html  # the work searched from is not among its results


def test_an_uploaded_detail_finds_its_work_and_its_page_shows_the_frame(client, met_works):
    work = met_works[5]
    box = Box(0.4, 0.35, 0.5, 0.6)
    page = client.post("/search/", {"image": _jpeg(crop(_picture(work), box)), "k": 4}).content.decode()
    first = page.index('data-testid="result-card"')
    link = f'href="/artworks/{work.pk}/?box='
    assert link in page[first:page.index('data-testid="result-card"', first + 1)]
    shown = page[page.index(link) + len(link) - len("?box="):].split('"')[0]  # ?box=… as the result links it
    work_page = client.get(f"/artworks/{work.pk}/{shown}").content.decode()
    assert 'data-testid="found-box"' in work_page and 'data-testid="detail-form"' in work_page
    assert "js/detail-select.js" in work_page


def test_api_box_with_an_upload_crops_it_before_searching(client, met_works):
    work = met_works[10]
    box = Box(0.0, 0.5, 0.6, 0.45)
    body = client.post("/api/search", {"image": _jpeg(_picture(work)), "box": str(box), "k": 3}).json()
    first = body["results"][0]
    assert first["id"] == work.pk and first["why"] == ["detail (matching keypoints)"]
    assert first["box"]["x"] == pytest.approx(box.x, abs=0.07) and first["box"]["w"] == pytest.approx(box.w, abs=0.07)


def test_api_detail_of_a_stored_work_excludes_it(client, met_works):
    work = met_works[0]
    body = client.get("/api/search", {"artwork": work.pk, "box": "0.2,0.2,0.5,0.5", "k": 5}).json()
    assert len(body["results"]) == 5 and work.pk not in {hit["id"] for hit in body["results"]}


@pytest.mark.parametrize("params, message", [
    ({"box": "0.1,0.1,0.5"}, "four numbers"),
    ({"box": "0.8,0.1,0.5,0.5", "artwork": "FIRST"}, "inside the picture"),
    ({"box": "0.1,0.1,0.5,0.5"}, "send it with an image or an artwork"),
    ({"artwork": "999999", "box": "0.1,0.1,0.5,0.5"}, "No artwork with id 999999"),
])
def test_a_wrong_box_is_a_clear_400_on_the_page_and_the_api(client, met_works, params, message):
    params = {key: str(met_works[0].pk) if value == "FIRST" else value for key, value in params.items()}
    api = client.get("/api/search", {**params, "q": "x"} if "artwork" not in params else params)
    assert api.status_code == 400 and message in api.json()["error"]
    page = client.get("/search/", {**params, "q": "x"} if "artwork" not in params else params)
    assert page.status_code == 400 and message in page.content.decode()
