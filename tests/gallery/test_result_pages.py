"""Result pages that show the pictures: compact captions, each artist's facts once per page, the picture searched with
beside its results (an upload's preview kept with the remembered query), and picture tiles that know their shape."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from gallery.models import Artwork
from gallery.services import ingest, remembered_queries
from tests.factories import ArtistFactory
from tests.helpers import image_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_artists(artist, clip_encoder):
    """Ten embedded works, alternately by Frida Kahlo and by `artist`, in two shapes (wide and tall)."""
    other = ArtistFactory(name="Frida Kahlo", nationality="Mexican", bio="Frida's own biography.")
    works = [ingest.artwork_create(artist=artist if n % 2 else other, title=f"Work {n}",
                                   image=image_upload(seed=n, size=(400, 200) if n % 3 else (150, 300)))
             for n in range(10)]
    ingest.artworks_embed(artwork_ids=[work.pk for work in works], encoder=clip_encoder)
    return works


def _cards(html: str) -> list[str]:
    return html.split('data-testid="result-card"')[1:]


def test_results_show_each_artists_facts_once_and_compact_captions(client, two_artists, artist):
    html = client.get(reverse("gallery:search"), {"q": "a quiet room", "k": 10}).content.decode()
    cards = _cards(html.split('data-testid="artists-panel"')[0])
    assert len(cards) == 10
    for card in cards:  # title, artist, similarity and why, never the biography
        assert "Similarity" in card and "matched by" in card and "artist-facts" not in card and "bio" not in card
    assert html.count("Frida&#x27;s own biography.") == 1 and html.count(artist.bio) == 1
    assert html.count('data-testid="artist-entry"') == 2
    assert "Nationality" in html and "Wikipedia" in html
    assert re.search(r"Frida Kahlo</a></h3>\s*<p class=\"muted\">5 works on this page", html)


def test_an_artists_entry_is_rendered_once_and_again_when_it_changes(client, two_artists, artist):
    """The entries beside the results come from the per-process fragment cache until what they show changes."""
    search = {"q": "a quiet room", "k": 10}

    def facts_rendered(response) -> int:
        return sum(template.name == "includes/_artist_facts.html" for template in response.templates)

    assert facts_rendered(client.get(reverse("gallery:search"), search)) == 2
    again = client.get(reverse("gallery:search"), search)
    assert facts_rendered(again) == 0 and again.content.decode().count("Frida&#x27;s own biography.") == 1
    frida = two_artists[0].artist
    frida.bio = "A new biography."
    frida.save()
    edited = client.get(reverse("gallery:search"), search)
    assert facts_rendered(edited) == 1
    assert "A new biography." in edited.content.decode() and "Frida&#x27;s own biography." not in edited.content.decode()
    client.cookies["django_language"] = "fr"
    french = client.get(reverse("gallery:search"), search)
    assert facts_rendered(french) == 2 and "Nationalité" in french.content.decode()
    fewer = client.get(reverse("gallery:search"), {**search, "k": 4})  # another count on the page, another strip
    assert facts_rendered(fewer) == 2


def test_result_pictures_carry_their_shape_and_catalogue_alt_text(client, two_artists):
    Artwork.objects.filter(pk=two_artists[1].pk).update(date="1939")
    html = client.get(reverse("gallery:search"), {"q": "Work 1", "k": 10}).content.decode()
    work = two_artists[1]
    assert f'alt="Work 1 by {work.artist.name}, 1939" loading="lazy" width="400" height="200"' in html
    gallery = client.get("/").content.decode()
    assert 'width="150" height="300"' in gallery and 'width="400" height="200"' in gallery
    artists = client.get(reverse("gallery:artist-list")).content.decode()
    assert 'alt="Work 0, a work by Frida Kahlo" loading="lazy" width="150" height="300"' in artists


def test_an_upload_is_shown_beside_its_results_on_every_page(client, two_artists):
    response = client.post(reverse("gallery:search"), {"image": image_upload(seed=77, size=(640, 480)), "k": 4})
    qid = response.context["result"].qid
    url = reverse("gallery:search-preview", args=[qid])
    html = response.content.decode()
    assert 'data-testid="query-picture"' in html and f'<img src="{url}"' in html
    preview = client.get(url)
    assert preview.status_code == 200 and preview["Content-Type"] == "image/jpeg"
    assert "private" in preview["Cache-Control"]
    assert Image.open(io.BytesIO(preview.content)).size == (remembered_queries.PREVIEW_SIZE, 240)
    second = client.get(f"{reverse('gallery:search')}?{response.context['page_query']}&page=2").content.decode()
    assert f'<img src="{url}"' in second
    assert client.get(reverse("gallery:search-preview", args=["made-up"])).status_code == 404


def test_a_stored_works_detail_search_shows_the_work_not_a_preview(client, two_artists):
    work = two_artists[0]
    html = client.get(reverse("gallery:search"), {"artwork": work.pk, "box": "0.1,0.1,0.5,0.5"}).content.decode()
    assert 'data-testid="query-detail"' in html and work.thumbnail.url in html
    assert "/search/picture/" not in html


def test_more_like_this_shows_the_work_beside_its_neighbours(client, two_artists):
    work = two_artists[2]
    html = client.get(work.get_similar_url(), {"k": 4}).content.decode()
    figure = html[html.index('data-testid="query-picture"'):html.index("</figure>")]
    assert work.thumbnail.url in figure and f"Works that look like “{work.title}”" in figure
    assert html.count('data-testid="artist-entry"') >= 1
