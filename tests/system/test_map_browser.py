"""The collection map in a real browser (Debian's Chromium via Playwright) against a live server: the canvas draws,
the keyboard, the mouse and fingers on a touch screen pan and zoom it, a filter narrows it to one artist, a click or a
tap opens a work, a search shows on it, and a French visitor reads it in French.

Screenshots land in test-artifacts/ for a person to look at."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gallery.services import collection_map
from tests.helpers import ARTIFACTS, image_upload

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = pytest.mark.slow

ARTISTS = ("Anna Ancher", "Peder Krøyer", "Vilhelm Hammershøi")
PER_ARTIST = 10


@pytest.fixture(autouse=True)
def _map_data_checked_every_time(monkeypatch):
    """Each request checks the data anew (the product reuses it for a few seconds), so tests see their changes."""
    monkeypatch.setattr(collection_map, "DATA_CHECK_TTL_S", 0.0)


@pytest.fixture
def mapped_collection(transactional_db, clip_encoder):
    """30 works of three artists, stored and embedded as the worker does it, and laid out on the map."""
    from gallery.models import Artist
    from gallery.services import collection_map, ingest

    works = []
    for number, name in enumerate(ARTISTS):
        artist = Artist.objects.create(name=name)
        works += [ingest.artwork_create(artist=artist, title=f"{name.split()[0]}'s study {n}",
                                        image=image_upload(seed=100 * number + n), enqueue=False)
                  for n in range(PER_ARTIST)]
    ingest.artworks_embed(artwork_ids=[work.pk for work in works], encoder=clip_encoder)
    collection_map.collection_map_compute(model_id=clip_encoder.model_id, sample=0)
    return works


def state(page) -> dict:
    """The map's state as its canvas announces it, read after two animation frames: a key press is drawn (and the
    state written) on the next frame, so reading at once could see the view before it."""
    return page.locator("#collection-map").evaluate("""canvas => new Promise(resolve => requestAnimationFrame(
        () => requestAnimationFrame(() => resolve(Object.assign({}, canvas.dataset)))))""")


def painted_pixels(page) -> int:
    """Pixels of the canvas that are not its background: what the map drew."""
    return page.locator("#collection-map").evaluate("""canvas => {
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 0; i < pixels.length; i += 4) {
            if (Math.abs(pixels[i] - 0x22) + Math.abs(pixels[i + 1] - 0x22) + Math.abs(pixels[i + 2] - 0x1f) > 24) painted++;
        }
        return painted;
    }""")


def loneliest(data: dict) -> int:
    """The id of the work farthest from any other on the map: a click on it cannot hit a neighbour."""
    points = np.column_stack([data["x"], data["y"]]).astype(float)
    distances = np.linalg.norm(points[:, None] - points[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    return data["ids"][int(distances.min(axis=1).argmax())]


def centre(state: dict) -> tuple[float, float]:
    x, y = (float(value) for value in state["centre"].split(","))
    return x, y


def test_the_map_draws_pans_zooms_filters_and_opens_a_work(mapped_collection, page):
    page.goto("/map/")
    expect(page.locator("#collection-map")).to_have_attribute("data-count", "30")
    canvas = page.locator("#collection-map")
    assert state(page)["drawn"] == "30"
    assert state(page)["mode"] == "thumbnails"  # 30 works leave room for their pictures at once
    expect(canvas).to_have_attribute("data-atlases", "1")
    assert painted_pixels(page) > 30 * 16 * 16
    assert "30 works on the map" in page.get_by_test_id("map-status").inner_text()
    page.screenshot(path=ARTIFACTS / "map.png", full_page=True)

    canvas.focus()
    page.keyboard.press("+")
    page.keyboard.press("+")
    zoomed = state(page)
    assert float(zoomed["zoom"]) == pytest.approx(0.9 * 2.25)  # from the whole map (0.9: a margin around it)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    moved = state(page)
    assert moved["centre"] != zoomed["centre"]
    x, y = (float(value) for value in moved["centre"].split(","))
    x0, y0 = (float(value) for value in zoomed["centre"].split(","))
    assert x > x0 and y > y0  # the view moved right and down
    page.keyboard.press("-")
    assert float(state(page)["zoom"]) == pytest.approx(0.9 * 1.5)
    page.keyboard.press("0")
    assert state(page)["zoom"] == "0.900" and state(page)["centre"] == "0.5000,0.5000"

    for _ in range(6):  # up to the closest zoom: thumbnails of 160 px at most
        page.get_by_role("button", name="Zoom in").click()
    assert 4 <= float(state(page)["zoom"]) < 11
    assert painted_pixels(page) > 0
    page.screenshot(path=ARTIFACTS / "map-zoomed.png")
    page.get_by_role("button", name="Whole map").click()

    data = json.loads(page.request.get("/map/data.json").body())
    target = loneliest(data)
    box = canvas.bounding_box()
    position = page.evaluate(f"window.artsearchMap.positionOf({target})")
    page.mouse.move(box["x"] + position["x"], box["y"] + position["y"])
    page.mouse.wheel(0, -200)  # zooms in about the pointer: the work under it stays there
    assert float(state(page)["zoom"]) > 0.9
    assert page.evaluate(f"window.artsearchMap.positionOf({target})") == pytest.approx(position, abs=1)
    before = centre(state(page))
    page.mouse.down()
    page.mouse.move(box["x"] + position["x"] + 120, box["y"] + position["y"] + 80, steps=6)
    page.mouse.up()  # a drag, not a click: the page stays
    after = centre(state(page))
    assert after[0] < before[0] and after[1] < before[1]  # the map followed the mouse right and down
    assert page.url.endswith("/map/")
    page.get_by_role("button", name="Whole map").click()

    page.get_by_label("Colour by").select_option("artist")
    assert page.locator("#map-legend li").count() == 4  # three artists and "others"
    page.get_by_label("Show only").select_option(label=f"{ARTISTS[1]} ({PER_ARTIST})")
    expect(canvas).to_have_attribute("data-shown", "10")
    assert state(page)["drawn"] == "10"
    page.screenshot(path=ARTIFACTS / "map-filtered.png", full_page=True)
    page.get_by_label("Show only").select_option("")

    position, box = page.evaluate(f"window.artsearchMap.positionOf({target})"), canvas.bounding_box()
    page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])
    page.wait_for_url(f"**/artworks/{target}/")


def test_search_results_are_highlighted_and_opened_from_the_keyboard(mapped_collection, page):
    page.goto("/search/?q=Peder")
    page.get_by_test_id("show-on-map").click()
    page.wait_for_url("**/map/?q=Peder*")
    expect(page.locator("#collection-map")).to_have_attribute("data-count", "30")
    results = page.locator(".map-results li")
    assert results.count() == 30  # every work is a result: Peder's first (by name), then the visual matches
    assert state(page)["highlighted"] == "30"
    assert "Peder Krøyer" in results.first.inner_text()
    page.screenshot(path=ARTIFACTS / "map-search.png", full_page=True)

    canvas = page.locator("#collection-map")
    canvas.focus()
    page.keyboard.press("n")  # the first result, centred and ringed
    first = json.loads(page.locator("#map-highlights").text_content())[0]
    expect(canvas).to_have_attribute("data-selected", str(first))
    expect(page.get_by_test_id("map-status")).to_contain_text("Enter")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/artworks/{first}/")


def touch(cdp, kind: str, *points: tuple[float, float]) -> None:
    """Fingers on the screen, through the DevTools protocol as a touch screen reports them (page coordinates)."""
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
        {"x": x, "y": y, "id": number} for number, (x, y) in enumerate(points)]})


def test_fingers_pinch_zoom_pan_and_tap_the_map(mapped_collection, page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})  # a phone's screen
    page.goto("/map/")
    canvas = page.locator("#collection-map")
    expect(canvas).to_have_attribute("data-count", "30")
    assert page.evaluate("navigator.maxTouchPoints") == 5
    assert canvas.evaluate("canvas => getComputedStyle(canvas).touchAction") == "none"  # no page zoom or scroll
    data = json.loads(page.request.get("/map/data.json").body())
    target = loneliest(data)
    box = canvas.bounding_box()
    position = page.evaluate(f"window.artsearchMap.positionOf({target})")
    mx, my = box["x"] + position["x"], box["y"] + position["y"]  # the fingers' midpoint: on the work

    touch(cdp, "touchStart", (mx - 40, my), (mx + 40, my))
    for spread in range(50, 130, 10):  # the fingers move apart, 80 pixels to 240: three times the zoom
        touch(cdp, "touchMove", (mx - spread, my), (mx + spread, my))
    touch(cdp, "touchEnd")
    pinched = state(page)
    assert float(pinched["zoom"]) == pytest.approx(0.9 * 3, rel=0.01)
    assert page.evaluate(f"window.artsearchMap.positionOf({target})") == pytest.approx(position, abs=1.5)
    assert page.url.endswith("/map/")  # lifting the fingers after a pinch opens nothing

    touch(cdp, "touchStart", (mx, my))
    for step in range(1, 7):  # one finger drags the map 90 pixels left and 60 up
        touch(cdp, "touchMove", (mx - 15 * step, my - 10 * step))
    touch(cdp, "touchEnd")
    assert state(page)["zoom"] == pinched["zoom"]
    moved = page.evaluate(f"window.artsearchMap.positionOf({target})")
    assert moved == pytest.approx({"x": position["x"] - 90, "y": position["y"] - 60}, abs=1.5)
    assert page.url.endswith("/map/")
    page.screenshot(path=ARTIFACTS / "map-pinched.png")

    touch(cdp, "touchStart", (box["x"] + moved["x"], box["y"] + moved["y"]))  # a tap opens the work
    touch(cdp, "touchEnd")
    page.wait_for_url(f"**/artworks/{target}/")


def test_a_french_visitor_reads_the_map_in_french(mapped_collection, live_server, page):
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
    page.goto("/map/")
    canvas = page.locator("#collection-map")
    expect(canvas).to_have_attribute("data-count", "30")
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.get_by_test_id("map-status")).to_have_text("30 œuvres sur la carte.")  # written by the script
    assert page.locator("h1").inner_text() == "Carte de la collection"
    assert canvas.get_attribute("aria-roledescription") == "carte"
    assert canvas.get_attribute("aria-label") == "Carte de la collection"
    for name in ("Zoom avant", "Zoom arrière", "Toute la carte"):
        expect(page.get_by_role("button", name=name)).to_be_visible()

    page.get_by_label("Colorer selon").select_option("period")
    legend = page.locator("#map-legend li")
    expect(legend.first).to_have_text("Avant 1400")
    assert legend.all_inner_texts()[1:] == ["15e siècle", "16e siècle", "17e siècle", "18e siècle", "19e siècle",
                                            "20e siècle", "21e siècle", "Sans date"]
    page.get_by_label("Colorer selon").select_option("artist")
    expect(legend.last).to_have_text("Autres artistes ou artiste inconnu")
    filters = page.get_by_label("Afficher seulement")
    # The groups are named by the page's words (no work has a classification, so that group is left out).
    assert filters.locator("optgroup").evaluate_all("groups => groups.map(group => group.label)") == [
        "Artiste", "Période"]
    assert filters.locator('optgroup[label="Période"] option').all_inner_texts() == ["Sans date (30)"]

    canvas.focus()
    page.keyboard.press("+")  # the work nearest the centre is selected and described
    expect(page.get_by_test_id("map-status")).to_contain_text("Appuyez sur Entrée ou cliquez pour l'ouvrir.")
    page.screenshot(path=ARTIFACTS / "map-fr.png", full_page=True)
