"""The map's page, its JSON and the selected work's JSON, over the real database with the session's encoder."""

import gzip
import json

import pytest
from django.urls import reverse

from gallery.models import Artwork
from gallery.services import collection_map, keywords
from tests.factories import ArtistFactory
from tests.gallery.services.helpers import ready_artworks, unit_vector

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _map_data_checked_every_time(monkeypatch):
    """Each request checks the data anew (the product reuses it for a few seconds), so tests see their changes."""
    monkeypatch.setattr(collection_map, "DATA_CHECK_TTL_S", 0.0)


@pytest.fixture
def mapped_works(artist, clip_encoder):
    """20 works of two artists with hand-made vectors in the session encoder's space, laid out on the map."""
    other = ArtistFactory(name="Second Painter")
    works = ready_artworks(artist, [unit_vector(n % 10, 0.1 * n) for n in range(10)], model_id=clip_encoder.model_id)
    works += ready_artworks(other, [unit_vector(20 + n % 10, 0.1 * n) for n in range(10)],
                            model_id=clip_encoder.model_id, start=10)
    Artwork.objects.filter(pk__in=[work.pk for work in works[:5]]).update(classification="Painting", year_start=1650)
    keywords.artworks_index_text(artwork_ids=[work.pk for work in works])  # as ingest does: titles are searchable
    collection_map.collection_map_compute(model_id=clip_encoder.model_id, sample=0)
    return works


def test_the_data_lists_every_public_work_with_its_codes(client, mapped_works):
    response = client.get(reverse("gallery:collection-map-data"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["count"] == 20 and sorted(data["ids"]) == sorted(work.pk for work in mapped_works)
    assert sorted((artist["name"], artist["works"]) for artist in data["artists"]) == [
        ("Second Painter", 10), (mapped_works[0].artist.name, 10)]
    painting = data["classifications"].index({"name": "Painting", "works": 5})
    first = data["ids"].index(mapped_works[0].pk)
    assert data["classification"][first] == painting and data["periods"][data["period"][first]] == "1600s"
    assert data["artists"][data["artist"][first]]["slug"] == mapped_works[0].artist.slug
    assert len(data["atlas"]["urls"]) == 1 and data["atlas"]["cell"] == collection_map.ATLAS_CELL
    assert set(data["cell"]) == set(range(20))


def test_the_data_is_gzipped_and_revalidated_by_its_etag(client, mapped_works):
    url = reverse("gallery:collection-map-data")
    plain = client.get(url)
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert zipped["Content-Encoding"] == "gzip" and gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content)
    again = client.get(url, headers={"If-None-Match": plain["ETag"]})
    assert again.status_code == 304 and not again.content
    Artwork.objects.filter(pk=mapped_works[0].pk).update(published=False)
    changed = client.get(url, headers={"If-None-Match": plain["ETag"]})
    assert changed.status_code == 200 and json.loads(changed.content)["count"] == 19


def test_the_page_draws_on_a_canvas_with_its_script_and_no_inline_code(client, mapped_works):
    response = client.get(reverse("gallery:collection-map"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="collection-map"' in html and "js/collection-map.js" in html and "css/map.css" in html
    assert 'data-data-url="/map/data.json"' in html and "<img" not in html.split('id="main"')[1]
    assert "style=" not in html and "<script>" not in html
    assert reverse("gallery:collection-map") in client.get(reverse("gallery:artwork-list")).content.decode()  # nav


def test_a_search_is_shown_on_the_map(client, mapped_works):
    response = client.get(reverse("gallery:collection-map"), {"q": "Work 3"})
    assert response.status_code == 200
    highlighted = response.context["highlight_ids"]
    assert highlighted[0] == mapped_works[3].pk  # the whole title matched first, as on /search/
    assert set(highlighted) <= {work.pk for work in mapped_works}
    html = response.content.decode()
    assert 'id="map-highlights" type="application/json"' in html and "Back to the results list" in html
    assert f'href="{mapped_works[3].get_absolute_url()}"' in html


@pytest.mark.parametrize(("params", "status"), [
    ({"q": "a sea", "k": "many"}, 400),
    ({"q": "a sea", "k": "5"}, 200),  # a search page's k is taken, and the map shows its own number of results
    ({"q": "x" * 301}, 400),
    ({"artwork": "999999", "box": "0.1,0.1,0.5,0.5"}, 400),
    ({"artwork": "abc"}, 400),
    ({"qid": "expired-or-made-up"}, 400),
    ({"q": "not: boats"}, 400),
    ({"q": "a sea", "artist": "Nobody At All"}, 400),
    ({"q": "a sea", "made_from": "1900", "made_to": "1800"}, 400),
])
def test_bad_search_input_is_a_clear_answer_never_a_500(client, mapped_works, params, status):
    response = client.get(reverse("gallery:collection-map"), params)
    assert response.status_code == status, response.content[:500]
    if status == 400:
        assert 'data-testid="map-error"' in response.content.decode()
    assert 'id="collection-map"' in response.content.decode()  # the map itself is still there


def test_the_selected_work_and_what_is_not_public(client, mapped_works):
    work = mapped_works[0]
    item = client.get(reverse("gallery:collection-map-item", args=[work.pk])).json()
    assert item["title"] == work.title and item["url"] == work.get_absolute_url()
    assert item["artist"] == work.artist.name
    Artwork.objects.filter(pk=work.pk).update(published=False)
    assert client.get(reverse("gallery:collection-map-item", args=[work.pk])).status_code == 404
    assert client.get(reverse("gallery:collection-map-item", args=[99999999])).status_code == 404
    assert client.get("/map/works/99999999999999999999999.json").status_code == 404  # beyond bigint: still a 404
    assert client.post(reverse("gallery:collection-map")).status_code == 405
    assert client.post(reverse("gallery:collection-map-data")).status_code == 405


def test_an_empty_collection_has_an_empty_map(client, db):
    data = client.get(reverse("gallery:collection-map-data")).json()
    assert data["count"] == 0 and data["ids"] == [] and data["atlas"]["urls"] == []
    assert client.get(reverse("gallery:collection-map")).status_code == 200


def test_the_search_page_links_its_results_to_the_map(client, mapped_works):
    html = client.get(reverse("gallery:search"), {"q": "Work 3", "k": "5"}).content.decode()
    assert 'href="/map/?q=Work+3&amp;k=5"' in html
