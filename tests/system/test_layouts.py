"""The picture grids and page layouts at phone (390 px), tablet (820 px) and desktop (1280 px) widths, in Debian's
Chromium: results above the fold on a phone, no horizontal scrolling, pictures in their own shape, each artist's
biography once per results page.

Screenshots of the main pages land in test-artifacts/screenshots/<page>-<width>.png for a person to look at.
"""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from tests.dataset_fixtures import build_collection
from tests.helpers import ARTIFACTS, MET_SAMPLE

pytestmark = pytest.mark.slow

SCREENSHOTS = ARTIFACTS / "screenshots"
WIDTHS = {"phone": (390, 844), "tablet": (820, 1180), "desktop": (1280, 900)}


@pytest.fixture
def collection_root(transactional_db, tmp_path):
    """A dozen real artworks of four artists (with biographies) in their own shapes, imported and embedded."""
    root = build_collection(tmp_path / "collection",
                            folders={"Claude_Monet": 3, "Frida_Kahlo": 3, "Rembrandt": 3, "Raphael": 3})
    call_command("import_artworks", str(root), "--sync", verbosity=0)
    return root


@pytest.fixture
def varied_shapes(transactional_db, clip_encoder):
    """Eight Met paintings from very tall (1:3) to panoramic (2.7:1), stored and embedded (the shared Kaggle images
    are all square)."""
    from django.core.files import File

    from gallery.models import Artist
    from gallery.services import ingest

    artist = Artist.objects.create(name="Met Painter", bio="A painter of many shapes.")
    paths = sorted((MET_SAMPLE / "images").glob("*.jpg"))
    works = []
    for number, index in enumerate((0, 1, 3, 5, 12, 18, 19, 20)):
        with open(paths[index], "rb") as handle:
            works.append(ingest.artwork_create(artist=artist, title=f"Shape {number}",
                                               image=File(handle, name=paths[index].name), enqueue=False))
    ingest.artworks_embed(artwork_ids=[work.pk for work in works], encoder=clip_encoder)
    return works


@pytest.fixture
def curator(transactional_db, django_user_model):
    # Made before `page`: the database is not touched from inside Playwright's greenlet (see test_browser.py).
    return django_user_model.objects.create_superuser("curator", "curator@example.org", "a-long-test-password")


def _at(page, width: int, height: int, url: str) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url)


def _shoot(page, name: str, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)


def _assert_no_horizontal_scrolling(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def _assert_shapes_kept(page, selector: str) -> list[float]:
    """Every picture under `selector` is drawn whole in its own shape: never cropped (object-fit), its drawn width /
    height ≈ its natural ratio (the thumbnail's, which the width/height attributes of the original announced before
    it loaded), and its box as well when it fits a row (a panorama in a narrow tile is letterboxed, contained).
    Returns the natural ratios."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy pictures load once near the viewport
    # Polled from here: page.evaluate is not bound by the page's CSP, wait_for_function's in-page polling (eval) is.
    loaded = f"[...document.querySelectorAll('{selector} img')].every(img => img.complete)"
    deadline = time.monotonic() + 20
    while not page.evaluate(loaded):
        assert time.monotonic() < deadline, f"the pictures under {selector} did not load"
        page.wait_for_timeout(50)
    page.evaluate("window.scrollTo(0, 0)")
    shapes = page.eval_on_selector_all(f"{selector} img", """imgs => imgs.map(img => {
        const box = img.getBoundingClientRect();
        return [box.width, box.height, img.naturalWidth, img.naturalHeight, getComputedStyle(img).objectFit];
    })""")
    assert shapes, selector
    for width, height, natural_width, natural_height, fit in shapes:
        assert natural_width > 0 and width > 0 and height > 0 and fit in ("contain", "fill", "scale-down"), fit
        natural = natural_width / natural_height
        drawn = natural if fit == "contain" else width / height  # contained: drawn whole in its own shape
        assert drawn == pytest.approx(natural, rel=0.03)
        if natural <= 2:  # fits a row at every width: its box is the picture, so a detail frame lands on it
            assert width / height == pytest.approx(natural, rel=0.03)
    return [natural_width / natural_height for _, _, natural_width, natural_height, _ in shapes]


def _assert_above_the_fold(page, locator, height: int) -> None:
    box = locator.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (page.url, box)


def test_results_are_a_picture_grid_at_three_widths(collection_root, page):
    for name, (width, height) in WIDTHS.items():
        _at(page, width, height, "/search/?q=a+stormy+sea+at+night")
        cards = page.get_by_test_id("result-card")
        assert cards.count() == 12
        _assert_above_the_fold(page, cards.first.locator("img"), height)  # on a phone too: the form is compact
        _assert_no_horizontal_scrolling(page)
        assert len(_assert_shapes_kept(page, ".results")) == 12
        # Each artist of the results once, with their biography, in the panel; never on the cards.
        artists = set(page.locator(".results .tile-meta a").all_inner_texts())
        entries = page.get_by_test_id("artist-entry")
        assert entries.count() == len(artists) == 4
        assert {entry.locator("h3").inner_text() for entry in entries.all()} == artists
        bios = page.locator(".bio").all_text_contents()
        assert len(bios) == 4 and page.locator(".artist-entry .bio").count() == 4
        text = page.locator("main").text_content()
        assert all(bio.strip() and text.count(bio) == 1 for bio in bios)
        grid, panel = page.locator(".results").bounding_box(), page.get_by_test_id("artists-panel").bounding_box()
        if name == "desktop":  # beside the grid
            assert panel["x"] >= grid["x"] + grid["width"] and panel["y"] < grid["y"] + grid["height"]
        else:  # below it
            assert panel["y"] >= grid["y"] + grid["height"]
        _shoot(page, "search", width)

        page.get_by_test_id("result-card").first.get_by_role("link", name="More like this").click()
        page.wait_for_url("**/similar/")
        assert page.get_by_test_id("result-card").count() == 11
        assert page.get_by_test_id("query-picture").is_visible()
        _assert_no_horizontal_scrolling(page)
        _assert_shapes_kept(page, ".results")
        _shoot(page, "similar", width)


def test_a_picture_search_shows_the_picture_beside_its_results(collection_root, page):
    monet = sorted((collection_root / "images" / "Claude_Monet").iterdir())[1]
    for name in ("phone", "desktop"):
        width, height = WIDTHS[name]
        _at(page, width, height, "/search/")
        _shoot(page, "search-form", width)
        page.set_input_files("input[name=image]", str(monet))
        page.get_by_test_id("search-submit").click()
        page.wait_for_load_state()
        query = page.get_by_test_id("query-picture").locator("img")
        assert query.evaluate("img => img.complete && img.naturalWidth > 0")
        first = page.get_by_test_id("result-card").first
        assert first.get_by_test_id("in-collection").is_visible()
        _assert_above_the_fold(page, query, height)
        _assert_above_the_fold(page, first.locator("img"), height)
        if name == "desktop":
            assert query.bounding_box()["x"] > first.bounding_box()["x"] + first.bounding_box()["width"]
        _assert_no_horizontal_scrolling(page)
        _shoot(page, "search-image", width)


def test_browsing_pages_at_three_widths(collection_root, page):
    for name, (width, height) in WIDTHS.items():
        _at(page, width, height, "/")
        assert page.locator(".grid .card").count() == 12
        _assert_above_the_fold(page, page.locator(".grid .card img").first, height)
        _assert_no_horizontal_scrolling(page)
        assert len(_assert_shapes_kept(page, ".grid")) == 12
        _shoot(page, "gallery", width)

        _at(page, width, height, "/artists/")
        assert len(_assert_shapes_kept(page, ".grid")) == 4
        _assert_no_horizontal_scrolling(page)
        _shoot(page, "artists", width)
        page.get_by_role("link", name="Frida Kahlo").first.click()
        page.wait_for_url("**/artists/*/")
        assert page.locator(".grid .card").count() == 3 and page.locator(".bio").count() == 1
        _assert_shapes_kept(page, ".grid")
        _assert_no_horizontal_scrolling(page)
        _shoot(page, "artist", width)

        page.locator(".grid .card a").first.click()
        page.wait_for_url("**/artworks/*/")
        assert page.locator(".picture-frame img, .artwork-picture img").first.is_visible()
        _assert_no_horizontal_scrolling(page)
        _shoot(page, "artwork", width)


def test_the_upload_page_at_phone_and_desktop_widths(collection_root, curator, page):
    page.goto("/admin/login/?next=/upload/")
    page.get_by_label("Username").fill("curator")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/upload/")
    for name in ("phone", "desktop"):
        width, height = WIDTHS[name]
        _at(page, width, height, "/upload/")
        assert page.get_by_test_id("upload-form").is_visible()
        _assert_no_horizontal_scrolling(page)
        _shoot(page, "upload", width)


def test_pictures_of_every_shape_keep_it_at_three_widths(varied_shapes, page):
    for name, (width, height) in WIDTHS.items():
        _at(page, width, height, "/")
        ratios = _assert_shapes_kept(page, ".grid")
        assert len(ratios) == 8 and min(ratios) < 0.4 and max(ratios) > 2.5
        _assert_no_horizontal_scrolling(page)
        _shoot(page, "gallery-shapes", width)
        _at(page, width, height, f"/search/?artwork={varied_shapes[5].pk}&box=0.1,0.1,0.4,0.6")
        assert page.get_by_test_id("query-detail").is_visible()
        assert len(_assert_shapes_kept(page, ".results")) == 7
        _assert_above_the_fold(page, page.get_by_test_id("result-card").first.locator("img"), height)
        _assert_no_horizontal_scrolling(page)
        _shoot(page, "search-detail", width)
