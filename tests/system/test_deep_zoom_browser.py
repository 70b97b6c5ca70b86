"""Deep zoom in a real browser (Debian's Chromium, strict CSP, live server): a 6000 × 4000 picture opened in the
artwork page's OpenSeadragon viewer loads only the tiles of the level on screen, and zooming with the keyboard and
the wheel fetches full-resolution tiles; the manifest and info.json also pass a browser's own CORS check; and the
viewer's buttons and role speak the page's language."""

from __future__ import annotations

import io
import re
from http.server import BaseHTTPRequestHandler

import numpy as np
import pytest
from django.core.files.base import ContentFile
from PIL import Image

from tests.helpers import ARTIFACTS, image_upload, loopback_server

pytestmark = pytest.mark.slow

_TILE = re.compile(r"/iiif/\d+/[0-9a-f]{16}/(?P<region>[^/]+)/(?P<size>[^/]+)/0/default\.jpg$")


def scale_factor(url: str) -> int | None:
    """The reduction of the tile at `url` (1: full resolution), from its region and size; None for other URLs."""
    match = _TILE.search(url)
    if match is None:
        return None
    if match["region"] == "full":
        return 6000 // int(match["size"].split(",")[0]) if match["size"] != "max" else 1
    region_width = int(match["region"].split(",")[2])
    return round(region_width / int(match["size"].split(",")[0]))


@pytest.fixture
def large_work(transactional_db):
    """A 6000 × 4000 JPEG stored as any upload, with its tiles made as the worker makes them."""
    from gallery.models import Artist
    from gallery.services import iiif, ingest

    x = np.linspace(0, 1, 6000, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, 4000, dtype=np.float32)[:, None]
    rings = (np.sin(40 * np.hypot(x - 0.5, y - 0.5)) * 0.5 + 0.5) * 255  # fine detail to zoom into
    pixels = np.stack([rings, x * 255 + 0 * y, y * 255 + 0 * x], axis=-1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=85)
    artist = Artist.objects.create(name="Large Painter")
    work = ingest.artwork_create(artist=artist, title="Rings", image=ContentFile(buffer.getvalue(), "rings.jpg"),
                                 enqueue=False)
    assert (work.width, work.height) == (6000, 4000)
    iiif.artwork_tiles_make(artwork=work)
    return work


def test_zooming_into_a_large_picture_loads_deeper_tiles_and_nothing_else(large_work, page):
    requested: list[str] = []
    failed: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    page.goto(f"/artworks/{large_work.pk}/")
    assert not any(scale_factor(url) for url in requested)  # the page alone loads no tile

    button = page.locator("[data-zoom-open]")
    assert button.inner_text() == "Zoom into the picture" and button.get_attribute("aria-expanded") == "false"
    button.click()
    assert button.get_attribute("aria-expanded") == "true" and button.inner_text() == "Close the zoom viewer"
    page.wait_for_function("document.querySelectorAll('.openseadragon-canvas canvas').length > 0")
    page.wait_for_timeout(1500)  # the first level on screen
    first = [scale_factor(url) for url in requested if scale_factor(url)]
    assert first and min(first) >= 4, first  # a ~1000-pixel-wide viewer needs no more than 1/4 of 6000
    assert any("/info.json" in url for url in requested)

    canvas = page.get_by_role("application", name="Zoomable picture: Rings.")  # not the navigator's canvas
    assert canvas.get_attribute("aria-label").startswith("Zoomable picture: Rings.")
    assert page.evaluate("document.activeElement.classList.contains('openseadragon-canvas')")  # focus moved there
    for _ in range(8):
        page.keyboard.press("Equal")  # OpenSeadragon's "zoom in" key
        page.wait_for_timeout(150)
    page.wait_for_timeout(1000)
    by_keyboard = [scale_factor(url) for url in requested if scale_factor(url)]
    assert min(by_keyboard) < min(first), (first, by_keyboard)

    bounds = canvas.bounding_box()
    page.mouse.move(bounds["x"] + bounds["width"] / 2, bounds["y"] + bounds["height"] / 2)
    for _ in range(12):
        page.mouse.wheel(0, -200)
        page.wait_for_timeout(100)
    page.wait_for_timeout(1500)
    factors = [scale_factor(url) for url in requested if scale_factor(url)]
    assert 1 in factors, sorted(set(factors))  # full-resolution tiles: every pixel of the original is reachable
    tiles = {url for url in requested if scale_factor(url)}
    assert len(tiles) < 131 / 2, len(tiles)  # only what the screen shows, never the whole set
    assert any("/vendor/openseadragon/images/" in url for url in requested)  # the buttons, from our static files
    assert failed == []  # every tile and button image asked for exists
    page.screenshot(path=ARTIFACTS / "deep-zoom.png")


def test_a_viewer_on_another_site_reads_the_manifest_info_json_and_tiles(large_work, page, live_server):
    """The browser's own CORS check: a page of another site (a loopback server of the test) fetches them."""

    class OtherSite(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><title>A museum's IIIF viewer</title>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with loopback_server(OtherSite) as other_site:
        page.goto(other_site)
        result = page.evaluate("""async (url) => {
            const manifest = await (await fetch(url)).json();
            const service = manifest.items[0].items[0].items[0].body.service[0].id;
            const info = await (await fetch(service + "/info.json")).json();
            const tile = await fetch(service + "/0,0,512,512/512,512/0/default.jpg");
            return {label: manifest.label.en[0], width: info.width, profile: info.profile, tile: tile.status,
                    type: tile.headers.get("content-type")};
        }""", f"{live_server.url}/iiif/{large_work.pk}/manifest.json")
    assert result == {"label": "Rings", "width": 6000, "profile": "level0", "tile": 200, "type": "image/jpeg"}


@pytest.fixture
def small_work(transactional_db) -> int:
    """A work without tiles (the viewer opens its stored picture), made before `page`: inside Playwright's sync API
    the test would open a database connection of its own, left open at teardown."""
    from gallery.models import Artist
    from gallery.services import ingest

    return ingest.artwork_create(artist=Artist.objects.create(name="Small Painter"), title="Dunes",
                                 image=image_upload(), enqueue=False).pk


@pytest.mark.parametrize(("language", "role", "tooltips"), [
    ("en", "zoomable picture", ["Zoom in", "Zoom out", "Show the whole picture", "Full screen"]),
    ("fr", "image zoomable", ["Zoom avant", "Zoom arrière", "Afficher l'image entière", "Plein écran"]),
])
def test_the_viewer_speaks_the_page_language(small_work, live_server, page, language, role, tooltips):
    """OpenSeadragon's own English is replaced by the page's words: its buttons' tooltips (their title, and their
    images' alt text) and the role the picture announces."""
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"/artworks/{small_work}/")
    page.locator("[data-zoom-open]").click()
    page.wait_for_function("document.querySelectorAll('.openseadragon-canvas canvas').length > 0")
    canvas = page.locator(".openseadragon-canvas[role=application]")
    assert canvas.get_attribute("aria-roledescription") == role
    buttons = page.locator("[data-zoom-viewer] div[title]")
    assert buttons.evaluate_all("buttons => buttons.map(button => button.title)") == tooltips
    assert page.locator("[data-zoom-viewer] img[alt]").evaluate_all(
        "images => [...new Set(images.map(image => image.alt))]") == tooltips
    page.screenshot(path=ARTIFACTS / f"deep-zoom-{language}.png")
