"""The pages in a real browser: Debian's Chromium driven by Playwright against a live server on the test database.

Screenshots land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from tests.dataset_fixtures import build_collection
from tests.helpers import ARTIFACTS

pytestmark = pytest.mark.slow

@pytest.fixture
def imported_dataset_root(transactional_db, tmp_path):
    """The folder (Kaggle layout) of a dozen real artworks from four artists, imported and embedded in-process."""
    root = build_collection(tmp_path / "collection",
                            folders={"Claude_Monet": 3, "Frida_Kahlo": 3, "Rembrandt": 3, "Raphael": 3})
    call_command("import_artworks", str(root), "--sync", verbosity=0)
    return root


def _cropped_copy(path: Path, target: Path) -> Path:
    """A reproduction a visitor might upload: 5 % cropped per side, resized, saved at JPEG quality 70."""
    image = Image.open(path).convert("RGB")
    w, h = image.size
    image = image.crop((w // 20, h // 20, w - w // 20, h - h // 20)).resize((400, 400))
    image.save(target, "JPEG", quality=70)
    return target


def test_search_by_description_by_picture_and_more_like_this(imported_dataset_root, page, tmp_path):
    page.goto("/search/")
    banner = page.get_by_test_id("encoder-banner")
    assert "not semantic" in banner.inner_text()
    page.get_by_label("Describe it").fill("a stormy sea at night")
    page.get_by_test_id("search-submit").click()
    page.wait_for_url("**/search/?q=a+stormy+sea+at+night*")
    cards = page.get_by_test_id("result-card")
    assert cards.count() == 12  # the whole dozen: a collection this small is searched exactly
    first = cards.first.inner_text()
    assert "Similarity" in first and "matched by" in first
    panel = page.get_by_test_id("artists-panel")  # each artist's facts and bio once, beside the grid
    assert "Nationality" in panel.inner_text() and "Wikipedia" in panel.inner_text()
    assert page.locator(".artist-entry .bio").count() == 4 and page.locator(".bio").count() == 4
    assert page.locator(".artist-entry .bio").first.inner_text().strip()
    page.screenshot(path=ARTIFACTS / "search-text.png", full_page=True)

    page.goto("/search/")
    monet = sorted((imported_dataset_root / "images" / "Claude_Monet").iterdir())[0]
    page.set_input_files("input[name=image]", str(_cropped_copy(monet, tmp_path / "my-photo.jpg")))
    page.get_by_test_id("search-submit").click()
    page.wait_for_load_state()
    first_card = page.get_by_test_id("result-card").first
    assert first_card.get_by_test_id("in-collection").is_visible()
    assert "Claude Monet" in first_card.inner_text()
    assert page.get_by_test_id("query-picture").locator("img").evaluate("img => img.naturalWidth") > 0
    page.get_by_text("More by Claude Monet").first.click()
    assert page.get_by_test_id("artist-entry").filter(has_text="Claude Monet").locator(".strip img").count() == 2
    page.screenshot(path=ARTIFACTS / "search-image.png", full_page=True)

    first_card.get_by_role("link", name="More like this").click()
    page.wait_for_url("**/similar/")
    assert page.get_by_test_id("result-card").count() == 11  # everything but the artwork itself
    page.screenshot(path=ARTIFACTS / "more-like-this.png", full_page=True)


def test_browse_pages(imported_dataset_root, page):
    page.goto("/")
    assert page.locator(".grid .card").count() == 12
    page.screenshot(path=ARTIFACTS / "gallery.png", full_page=True)
    page.get_by_role("link", name="Artists").first.click()
    page.get_by_role("link", name="Frida Kahlo").first.click()
    assert "Mexican" in page.inner_text("main")
    assert page.locator(".grid .card").count() == 3
    page.screenshot(path=ARTIFACTS / "artist.png", full_page=True)
    page.locator(".grid .card a").first.click()
    assert page.get_by_test_id("more-like-this").is_visible()
    page.screenshot(path=ARTIFACTS / "artwork.png", full_page=True)


def test_empty_collection_explains_how_to_add_artworks(transactional_db, page):
    page.goto("/")
    assert "import_collection" in page.get_by_test_id("empty-gallery").inner_text()
    page.goto("/search/?q=anything")
    assert "The collection is empty" in page.get_by_test_id("no-results").inner_text()
    page.screenshot(path=ARTIFACTS / "empty.png", full_page=True)


@pytest.fixture
def curator(transactional_db, django_user_model):
    # Made before `page`: code inside Playwright's sync API runs in a greenlet whose context gets a database
    # connection of its own, which nothing closes (it kept the test database from being dropped).
    return django_user_model.objects.create_superuser("curator", "curator@example.org", "a-long-test-password")


def test_admin_pages_satisfy_the_content_security_policy(imported_dataset_root, curator, page):
    page.goto("/admin/")
    page.get_by_label("Username").fill("curator")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/gallery/artwork/")
    assert page.locator("img.admin-thumbnail").count() == 12
    page.screenshot(path=ARTIFACTS / "admin-artworks.png", full_page=True)
    page.locator("#result_list tbody th a").first.click()
    page.locator("img.admin-preview").wait_for(timeout=10_000)  # raises if the preview never appears
