"""Detail search in a real browser: selecting a detail on an artwork's page with the mouse and the keyboard, and a
photographed detail framed on its result and on the work's page (Debian's Chromium, strict CSP, live server)."""

from __future__ import annotations

import io

import pytest
from django.core.files import File
from PIL import Image

from gallery.regions import Box, crop
from tests.helpers import ARTIFACTS, MET_SAMPLE

pytestmark = pytest.mark.slow


@pytest.fixture
def met_paintings(transactional_db, clip_encoder):
    """Six Met paintings stored and embedded with their regions and keypoints."""
    from gallery.models import Artist
    from gallery.services import ingest

    artist = Artist.objects.create(name="Met Painter")
    works = []
    for number, path in enumerate(sorted((MET_SAMPLE / "images").glob("*.jpg"))[10:16]):
        with open(path, "rb") as handle:
            works.append(ingest.artwork_create(artist=artist, title=f"Painting {number}",
                                               image=File(handle, name=path.name), enqueue=False))
    ingest.artworks_embed(artwork_ids=[work.pk for work in works], encoder=clip_encoder)
    return works


def test_a_detail_is_selected_with_the_mouse_and_the_keyboard_and_searched(met_paintings, page):
    work = met_paintings[2]
    page.goto(f"/artworks/{work.pk}/")
    frame = page.get_by_test_id("detail-frame")
    bounds = frame.bounding_box()
    page.mouse.move(bounds["x"] + bounds["width"] * 0.1, bounds["y"] + bounds["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(bounds["x"] + bounds["width"] * 0.6, bounds["y"] + bounds["height"] * 0.7, steps=8)
    page.mouse.up()
    values = {name: float(page.locator(f"input[name={name}]").input_value()) for name in "xywh"}
    assert values == pytest.approx({"x": 10, "y": 20, "w": 50, "h": 50}, abs=1.5)
    assert page.locator(".selection").is_visible()

    frame.focus()
    page.keyboard.press("ArrowRight")  # move right by 5 %
    page.keyboard.press("Shift+ArrowDown")  # 5 % higher
    assert float(page.locator("input[name=x]").input_value()) == pytest.approx(values["x"] + 5, abs=0.2)
    assert float(page.locator("input[name=h]").input_value()) == pytest.approx(values["h"] + 5, abs=0.2)
    page.screenshot(path=ARTIFACTS / "detail-select.png")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/search/?artwork={work.pk}&box=*")
    assert page.get_by_test_id("query-detail").is_visible()
    cards = page.get_by_test_id("result-card")
    assert cards.count() == len(met_paintings) - 1  # every other work; not the one the detail comes from
    page.screenshot(path=ARTIFACTS / "detail-results.png", full_page=True)


def test_a_photographed_detail_is_framed_on_its_result_and_its_page(met_paintings, page, tmp_path):
    work = met_paintings[4]
    with work.image.open("rb") as handle:
        picture = Image.open(io.BytesIO(handle.read())).convert("RGB")
    photo = tmp_path / "detail.jpg"
    crop(picture, Box(0.3, 0.25, 0.5, 0.55)).save(photo, "JPEG", quality=80)
    page.goto("/search/")
    page.set_input_files("input[name=image]", str(photo))
    page.get_by_test_id("search-submit").click()
    page.wait_for_load_state()
    first = page.get_by_test_id("result-card").first
    assert work.title in first.inner_text()
    assert first.get_by_test_id("result-box").is_visible()
    first.get_by_role("link", name=work.title, exact=True).click()
    page.wait_for_url(f"**/artworks/{work.pk}/?box=*")
    found = page.get_by_test_id("found-box")
    assert found.is_visible()
    assert float(found.get_attribute("x")) == pytest.approx(30, abs=6)
    page.screenshot(path=ARTIFACTS / "detail-found.png")
