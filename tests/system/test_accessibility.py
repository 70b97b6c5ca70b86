"""Every public page in a real browser, checked by axe-core, used with the keyboard alone, and in French.

axe-core comes from the npm registry at the exact version of tests/axe/package-lock.json (`make test` runs
`npm ci --prefix tests/axe`). It is run by evaluating its source in the page through the DevTools protocol, which the
page's Content-Security-Policy does not govern (a <script> tag with the source, as `add_script_tag` makes, would be an
inline script the policy refuses), so the pages are checked under their real policy and the `page` fixture still
fails on any CSP report.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from gallery.models import Artist, Artwork
from tests.dataset_fixtures import build_collection
from tests.helpers import ARTIFACTS, BASE_DIR

pytestmark = pytest.mark.slow

AXE = BASE_DIR / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}
QUERY = "a stormy sea at night"
ENGLISH_QUERIES_NOTICE = ("La recherche par texte comprend l'anglais : décrivez en anglais "
                          "(par ex. « a stormy sea at night »).")


@pytest.fixture
def collection(transactional_db, tmp_path) -> dict:
    """Four real artworks of two artists, imported and embedded in-process; the ids and slugs the pages need.

    Read here, before `page`: code inside Playwright's sync API gets a database connection of its own (see
    test_browser.py)."""
    root = build_collection(tmp_path / "collection", folders={"Claude_Monet": 2, "Frida_Kahlo": 2})
    call_command("import_artworks", str(root), "--sync", verbosity=0)
    artwork = Artwork.objects.published().order_by("pk").first()
    return {"root": root, "artwork": artwork.pk, "artist": Artist.objects.get(name="Frida Kahlo").slug}


@pytest.fixture
def mapped_collection(collection, clip_encoder) -> dict:
    """The collection laid out on the map, as the worker does it, so that /map/ draws it and says how many works."""
    from gallery.services import collection_map

    collection_map.collection_map_compute(model_id=clip_encoder.model_id, sample=0)
    return collection


@pytest.fixture
def staff_cookie(transactional_db, client, django_user_model) -> dict:
    """A curator's session cookie (the upload page is for staff), made before `page` for the same reason."""
    curator = django_user_model.objects.create_superuser("curator", "curator@example.org", "a-long-test-password")
    client.force_login(curator)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value}


def _axe_source() -> str:
    assert AXE.exists(), f"{AXE} is missing: run `npm ci --prefix tests/axe` (make test does)"
    return AXE.read_text()


def _axe_violations(page, source: str) -> list[dict]:
    """axe-core's violations on the page as it is now (the default rules: WCAG 2.x A/AA and best practices)."""
    page.wait_for_load_state("networkidle")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(source)
    results = page.evaluate("""async () => {
        const results = await axe.run(document, {resultTypes: ["violations"]});
        return {passed: results.passes.length, violations: results.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary}))}))};
    }""")
    assert results["passed"] > 10, results  # axe really ran its rules (colour contrast, names, landmarks …)
    return results["violations"]


def _report(url: str, violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{url}: [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        lines += [f"    {node['target']}: {node['html'][:200]}\n      {node['summary']}" for node in violation["nodes"]]
    return "\n".join(lines)


def _check(page, source: str, url: str | None = None, *, name: str) -> list[str]:
    """Go to `url` (or stay), run axe, print every violation and return the serious and critical ones."""
    if url is not None:
        page.goto(url)
    violations = _axe_violations(page, source)
    if violations:
        print(_report(page.url, violations))
    page.screenshot(path=ARTIFACTS / f"a11y-{name}.png", full_page=True)
    return [_report(page.url, [v]) for v in violations if v["impact"] in FAILING_IMPACTS]


def test_every_public_page_passes_axe(collection, staff_cookie, live_server, page):
    source = _axe_source()
    artwork, artist = collection["artwork"], collection["artist"]
    failures: list[str] = []
    for name, url in [("gallery", "/"), ("search-form", "/search/"), ("search-text", f"/search/?q={QUERY}"),
                      ("artwork", f"/artworks/{artwork}/"), ("similar", f"/artworks/{artwork}/similar/"),
                      ("artists", "/artists/"), ("artist", f"/artists/{artist}/"),
                      ("not-found", "/no-such-page/")]:
        failures += _check(page, source, url, name=name)
        if name == "artwork" and page.locator("[data-zoom-open]").count():  # the deep-zoom viewer, opened
            page.locator("[data-zoom-open]").click()
            page.get_by_role("application").wait_for()
            failures += _check(page, source, name="artwork-zoom")

    page.goto("/search/")  # a picture search: its results and the picture beside them
    picture = sorted((collection["root"] / "images" / "Claude_Monet").iterdir())[0]
    page.set_input_files("input[name=image]", str(picture))
    page.get_by_test_id("search-submit").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("result-card").count() > 0
    failures += _check(page, source, name="search-picture")

    page.context.add_cookies([{**staff_cookie, "url": live_server.url}])
    failures += _check(page, source, "/upload/", name="upload")
    assert page.get_by_test_id("upload-form").is_visible()
    assert not failures, "axe-core found serious or critical violations:\n" + "\n".join(failures)


def test_the_map_passes_axe(collection, page):
    try:
        url = reverse("gallery:collection-map")
    except NoReverseMatch:
        pytest.skip("no /map/ page yet")
    failures = _check(page, _axe_source(), url, name="map")
    assert not failures, "axe-core found serious or critical violations:\n" + "\n".join(failures)


def test_french_pages_pass_axe(mapped_collection, live_server, page):
    source = _axe_source()
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
    failures: list[str] = []
    for name, url in [("gallery-fr", "/"), ("search-fr", f"/search/?q={QUERY}"), ("not-found-fr", "/no-such-page/"),
                      ("map-fr", "/map/"), ("map-search-fr", f"/map/?q={QUERY}"),
                      ("artwork-fr", f"/artworks/{mapped_collection['artwork']}/")]:
        failures += _check(page, source, url, name=name)
        assert page.locator("html").get_attribute("lang") == "fr"
        if name == "map-fr":  # drawn, and the map's script speaks French too
            expect(page.get_by_test_id("map-status")).to_have_text(re.compile(r"^4 œuvres sur la carte"))
    # Numbers the page reads back keep their decimal point in French (the detail form's inputs).
    assert float(page.locator("input[name=w]").input_value()) == 50  # a browser drops "50,0" from a number input
    assert not failures, "axe-core found serious or critical violations:\n" + "\n".join(failures)


def _focused(page) -> dict:
    """The focused element: what it is, and whether a focus indicator is drawn (an outline or a box-shadow)."""
    return page.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el);
        return {tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute("href") || "",
                inCard: !!el.closest('[data-testid="result-card"]'), focusVisible: el.matches(":focus-visible"),
                outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
                shadow: style.boxShadow !== "none", text: (el.innerText || el.value || "").trim()};
    }""")


def _tab_until(page, wanted, *, limit: int = 80) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if wanted(focused):
            return focused
    raise AssertionError(f"{limit} presses of Tab never reached the element; last focused: {focused}")


def test_search_and_open_a_result_with_the_keyboard_alone(collection, page):
    page.goto("/")
    skip = _tab_until(page, lambda f: True, limit=1)  # the first Tab shows the skip link
    assert skip["href"] == "#main" and page.locator(".skip-link").is_visible()

    box = _tab_until(page, lambda f: f["id"] == "header-q")
    assert box["focusVisible"] and (box["outline"] or box["shadow"]), box
    page.keyboard.type(QUERY)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=a\+stormy\+sea\+at\+night"))
    assert page.get_by_test_id("result-card").count() == 4

    link = _tab_until(page, lambda f: f["inCard"] and f["tag"] == "a" and "/artworks/" in f["href"]
                      and "similar" not in f["href"])
    assert link["focusVisible"] and (link["outline"] or link["shadow"]), link
    page.screenshot(path=ARTIFACTS / "a11y-keyboard-focus.png")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/artworks/\d+/"))
    assert page.locator("h1").is_visible()


def test_the_language_switcher_turns_the_pages_french(collection, page):
    page.goto("/search/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_test_id("english-queries-notice").count() == 0
    switcher = page.get_by_test_id("language-switcher")
    switcher.get_by_label("Language").select_option("fr")
    switcher.get_by_role("button").click()
    page.wait_for_url("**/search/")
    assert page.locator("html").get_attribute("lang") == "fr"
    nav = page.get_by_role("navigation").inner_text()
    assert "Galerie" in nav and "Artistes" in nav and "Recherche" in nav
    notice = page.get_by_test_id("english-queries-notice")
    assert notice.is_visible() and _plain(notice.inner_text()) == ENGLISH_QUERIES_NOTICE
    page.screenshot(path=ARTIFACTS / "a11y-french-search.png", full_page=True)

    page.goto("/")  # the choice is remembered
    assert page.locator("html").get_attribute("lang") == "fr"
    switcher.get_by_label("Langue").select_option("en")
    switcher.get_by_role("button").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_test_id("english-queries-notice").count() == 0


def _plain(text: str) -> str:
    """French typography's no-break spaces (before ":" and inside « ») as plain spaces."""
    return re.sub(r"[\u00a0\u202f]", " ", text).strip()


def test_axe_is_the_pinned_npm_package():
    package = AXE.parent / "package.json"
    assert package.exists(), "run `npm ci --prefix tests/axe`"
    wanted = re.search(r'"axe-core": "([\d.]+)"', (BASE_DIR / "tests" / "axe" / "package.json").read_text())
    assert wanted and f'"version": "{wanted.group(1)}"' in package.read_text()
