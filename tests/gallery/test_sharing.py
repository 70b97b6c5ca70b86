"""Sharing: Open Graph tags and canonical URLs on artwork pages and text searches, and /sitemap.xml (published works
and their artists only)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html import escape, unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gallery.models import Artist, Artwork
from gallery.services import keywords
from tests.factories import ArtistFactory

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def _meta(html: str) -> dict[str, str]:
    """The page's Open Graph properties and its canonical link, as {"og:title": …, "canonical": …}, unescaped."""
    found = {name: unescape(value)
             for name, value in re.findall(r'<meta property="(og:[a-z:_]+)" content="([^"]*)">', html)}
    canonical = re.findall(r'<link rel="canonical" href="([^"]*)">', html)
    assert len(canonical) <= 1, canonical
    if canonical:
        found["canonical"] = unescape(canonical[0])
    return found


@pytest.fixture
def shared_works(embedded_artworks):
    works = embedded_artworks(4)
    Artwork.objects.filter(pk=works[0].pk).update(title="A Stormy Sea", date="1872", medium="Oil on canvas")
    works[0].refresh_from_db()
    return works


def test_an_artwork_page_has_open_graph_tags_and_a_canonical_url(client, shared_works):
    work = shared_works[0]
    html = client.get(f"{work.get_absolute_url()}?box=0.1,0.1,0.5,0.5").content.decode()  # the frame is not the page
    meta = _meta(html)
    url = f"http://testserver/artworks/{work.pk}/"
    assert meta["canonical"] == meta["og:url"] == url
    assert meta["og:type"] == "article"
    assert meta["og:title"] == f"A Stormy Sea · {work.artist.name}"
    assert "1872" in meta["og:description"] and "Oil on canvas" in meta["og:description"]
    assert meta["og:image"] == f"http://testserver{work.thumbnail.url}"
    assert meta["og:image:alt"] == f"A Stormy Sea by {work.artist.name}, 1872"
    assert '<meta name="twitter:card" content="summary_large_image">' in html


def test_a_description_of_the_picture_is_its_text_alternative_on_its_page_and_a_word_to_find_it(client, shared_works):
    """The museum's own alt text (the AIC's thumbnail.alt_text, a curator's) says what the picture shows; the cards
    that link to the page keep naming the work."""
    work = shared_works[0]
    seen = "Waves break over a small boat under a dark sky; a lighthouse at left."
    Artwork.objects.filter(pk=work.pk).update(image_description=seen)
    work.refresh_from_db()
    keywords.artworks_index_text(artwork_ids=[work.pk])
    html = client.get(work.get_absolute_url()).content.decode()
    assert f'alt="{escape(seen)}" width="{work.width}"' in html and _meta(html)["og:image:alt"] == seen
    found = client.get("/search/", {"q": "lighthouse"}).content.decode()
    assert f'href="/artworks/{work.pk}/"' in found and f'alt="A Stormy Sea by {work.artist.name}, 1872"' in found


def _json_ld(html: str) -> dict:
    (found,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(found)


def test_an_artwork_page_describes_the_work_for_search_engines(client, shared_works):
    """schema.org's VisualArtwork in JSON-LD: the record's own fields, no guessed date, no creator for a workshop
    piece, and no value able to end the script element."""
    work = shared_works[0]
    Artwork.objects.filter(pk=work.pk).update(year_start=1872, year_end=1872, accession_number="07.123",
                                              tags=["Sea", "Storms"], classification="Paintings")
    Artist.objects.filter(pk=work.artist_id).update(wikipedia_url="https://en.wikipedia.org/wiki/A_Painter")
    data = _json_ld(client.get(work.get_absolute_url()).content.decode())
    assert data == {
        "@context": "https://schema.org", "@type": "VisualArtwork", "name": "A Stormy Sea",
        "url": f"http://testserver/artworks/{work.pk}/", "image": f"http://testserver{work.image.url}",
        "creator": {"@type": "Person", "name": work.artist.name,
                    "url": f"http://testserver{work.artist.get_absolute_url()}",
                    "sameAs": "https://en.wikipedia.org/wiki/A_Painter"},
        "dateCreated": "1872", "thumbnailUrl": f"http://testserver{work.thumbnail.url}", "artMedium": "Oil on canvas",
        "artform": "Paintings", "identifier": "07.123", "keywords": "Sea, Storms"}

    hostile = shared_works[1]
    title = '</script><script>alert("x")</script> & <b>'
    Artwork.objects.filter(pk=hostile.pk).update(title=title, artist_qualifier="Workshop of", year_start=1650,
                                                 year_end=1660, description="A copy.")
    html = client.get(hostile.get_absolute_url()).content.decode()
    assert '<script>alert("x")' not in html
    data = _json_ld(html)
    assert data["name"] == title and "creator" not in data and data["temporalCoverage"] == "1650/1660"
    assert data["description"] == f"Workshop of {hostile.artist.name}. A copy."


def test_a_text_search_has_open_graph_tags_and_a_canonical_url(client, shared_works):
    response = client.get(reverse("gallery:search"), {"q": "a stormy sea", "k": 3, "genre": ""})
    meta = _meta(response.content.decode())
    first = response.context["result"].hits[0].artwork
    assert meta["canonical"] == meta["og:url"] == "http://testserver/search/?q=a+stormy+sea&k=3"
    assert meta["og:type"] == "website" and meta["og:title"] == "Search: a stormy sea"
    assert first.title in meta["og:description"]
    assert meta["og:image"] == f"http://testserver{first.thumbnail.url}"
    second = client.get(reverse("gallery:search"), {"q": "a stormy sea", "k": 3, "page": 2}).content.decode()
    assert _meta(second)["canonical"] == "http://testserver/search/?q=a+stormy+sea&k=3&page=2"


def test_a_picture_search_is_not_shared(client, shared_works):
    with shared_works[1].image.open("rb") as handle:
        upload = SimpleUploadedFile("photo.jpg", handle.read(), content_type="image/jpeg")
    html = client.post(reverse("gallery:search"), {"image": upload}).content.decode()
    assert _meta(html) == {}
    assert _meta(client.get(reverse("gallery:search")).content.decode()) == {}  # nor the empty form


def test_the_sitemap_lists_published_works_and_their_artists_only(client, shared_works):
    draft, *published = shared_works
    Artwork.objects.filter(pk=draft.pk).update(published=False)
    hidden = ArtistFactory(name="Drafts Only")
    draft_only = published[0]
    Artwork.objects.filter(pk=draft_only.pk).update(published=False, artist=hidden)
    published = published[1:]
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    urls = {loc.text for loc in ET.fromstring(response.content).findall("s:url/s:loc", SITEMAP_NS)}
    assert urls == {f"http://testserver/artworks/{work.pk}/" for work in published} | {
        f"http://testserver{published[0].artist.get_absolute_url()}"}
    modified = [element.text for element in ET.fromstring(response.content).findall("s:url/s:lastmod", SITEMAP_NS)]
    assert len(modified) == len(published) and all(modified)  # works say when they changed
