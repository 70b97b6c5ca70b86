"""Drafts are for curators: no public page, search or API answer shows them; the admin publishes them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gallery.models import Artwork
from gallery.services import facets, ingest
from tests.factories import ArtistFactory
from tests.helpers import image_upload

pytestmark = pytest.mark.django_db
DRAFT_TITLE = "Secret Draft Sunflowers"


@pytest.fixture
def published_and_draft(clip_encoder):
    """Six published works by one artist and one draft by the same artist, plus an artist with drafts only."""
    artist = ArtistFactory(name="Public Painter")
    hidden_artist = ArtistFactory(name="Hidden Draftsman")
    works = [ingest.artwork_create(artist=artist, title=f"Public {n}", image=image_upload(seed=n)) for n in range(6)]
    draft = ingest.artwork_create(artist=artist, title=DRAFT_TITLE, image=image_upload(seed=50))
    hidden = ingest.artwork_create(artist=hidden_artist, title="Hidden Work", image=image_upload(seed=51))
    Artwork.objects.filter(pk__in=[draft.pk, hidden.pk]).update(published=False, accession_number="")
    Artwork.objects.filter(pk=draft.pk).update(accession_number="D-1")
    ingest.artworks_embed(artwork_ids=[a.pk for a in [*works, draft, hidden]], encoder=clip_encoder)
    return works, draft, hidden


def test_drafts_never_leak_to_the_public(client, published_and_draft):
    works, draft, hidden = published_and_draft
    pages = ["/", reverse("gallery:artist-list"), works[0].artist.get_absolute_url(), works[0].get_absolute_url(),
             works[0].get_similar_url(), f"/api/artworks/{works[0].pk}/similar?k=48"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert DRAFT_TITLE not in text and "Hidden Work" not in text and "Hidden Draftsman" not in text, url
    hidden_ids = {draft.pk, hidden.pk}
    for query in ("Secret Draft Sunflowers", "D-1", "Hidden Draftsman", "Hidden Work"):  # by title, number, artist
        page = client.get(reverse("gallery:search"), {"q": query, "k": 48})
        assert len(page.context["result"].hits) == 6 and not {h.artwork.pk for h in page.context["result"].hits} & \
            hidden_ids, query
        api = client.get("/api/search", {"q": query, "k": 48}).json()["results"]
        assert len(api) == 6 and not {hit["id"] for hit in api} & hidden_ids, query
    assert "6 artworks in the collection" in client.get("/").content.decode()
    for url in (draft.get_absolute_url(), draft.get_similar_url(), hidden.artist.get_absolute_url()):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/api/artworks/{draft.pk}/similar").status_code == 404


def test_the_admin_publishes_and_unpublishes(admin_client, client, published_and_draft):
    works, draft, _ = published_and_draft
    changelist = reverse("admin:gallery_artwork_changelist")
    assert DRAFT_TITLE in admin_client.get(changelist, {"published__exact": "0"}).content.decode()
    admin_client.post(changelist, {"action": "publish_selected", "_selected_action": [draft.pk]})
    assert client.get(draft.get_absolute_url()).status_code == 200
    admin_client.post(changelist, {"action": "unpublish_selected", "_selected_action": [works[0].pk]})
    assert client.get(works[0].get_absolute_url()).status_code == 404


def test_pages_and_api_show_the_catalogue_record(client, published_and_draft):
    work = published_and_draft[0][0]
    Artwork.objects.filter(pk=work.pk).update(
        accession_number="29.100.5", date="c. 1665–67", year_start=1665, year_end=1667, medium="Oil on canvas",
        dimensions="18 x 16 in.\n45.7 x 40.6 cm", classification="Paintings", department="European Paintings",
        credit_line="Bequest of H. O. Havemeyer, 1929", rights=Artwork.Rights.PUBLIC_DOMAIN,
        rights_url="https://creativecommons.org/publicdomain/zero/1.0/", source_url="https://example.org/object/5",
        institution="The Metropolitan Museum of Art")
    html = client.get(work.get_absolute_url()).content.decode()
    for text in ("29.100.5", "c. 1665–67", "Oil on canvas", "18 x 16 in.<br>45.7 x 40.6 cm", "Paintings",
                 "European Paintings", "Bequest of H. O. Havemeyer, 1929", "Public domain / CC0",
                 "https://example.org/object/5", "<dt>Held by</dt><dd>The Metropolitan Museum of Art</dd>"):
        assert text in html, text
    result = client.get("/api/search", {"q": "29.100.5"}).json()["results"][0]
    assert result["id"] == work.pk and result["why"] == ["accession number"]
    assert {key: result[key] for key in ("accession_number", "date", "year_start", "year_end", "rights",
                                         "source_url", "institution")} == {
        "accession_number": "29.100.5", "date": "c. 1665–67", "year_start": 1665, "year_end": 1667,
        "rights": "public-domain", "source_url": "https://example.org/object/5",
        "institution": "The Metropolitan Museum of Art"}
    other = next(hit for hit in client.get("/api/search", {"q": "a quiet room", "k": 3}).json()["results"]
                 if hit["id"] != work.pk)
    assert other["source_url"] is None and other["accession_number"] == "" and other["year_start"] is None
    filtered = client.get("/api/search", {"q": "a quiet room", "made_from": 1600, "made_to": 1700,
                                          "open_access": "on", "classification": "Paintings"}).json()["results"]
    assert [hit["id"] for hit in filtered] == [work.pk]


def test_search_by_the_institution_that_holds_the_works(client, published_and_draft):
    works = published_and_draft[0]
    Artwork.objects.filter(pk__in=[work.pk for work in works]).update(institution="Rijksmuseum")
    page = client.get(reverse("gallery:search"), {"q": "a quiet room"}).content.decode()
    assert 'name="institution"' not in page  # one museum's collection: nothing to choose
    Artwork.objects.filter(pk=works[2].pk).update(institution="Mauritshuis")
    facets.clear()  # the lists are read again at most once a minute
    page = client.get(reverse("gallery:search"), {"q": "a quiet room"}).content.decode()
    assert 'name="institution"' in page and '<option value="Mauritshuis">Mauritshuis</option>' in page
    held = client.get(reverse("gallery:search"), {"q": "a quiet room", "institution": "mauritshuis"})
    assert [hit.artwork.pk for hit in held.context["result"].hits] == [works[2].pk]
    api = client.get("/api/search", {"q": "a quiet room", "k": 12, "institution": "Rijksmuseum"}).json()["results"]
    assert sorted(hit["id"] for hit in api) == sorted(work.pk for work in works if work.pk != works[2].pk)


def test_an_artwork_without_an_artist_is_shown_as_such(client, published_and_draft):
    work = published_and_draft[0][1]
    Artwork.objects.filter(pk=work.pk).update(artist=None)
    assert "Unknown artist" in client.get(work.get_absolute_url()).content.decode()
    assert "Unknown artist" in client.get("/").content.decode()
    hits = client.get("/api/search", {"q": "Public 1", "k": 48}).json()["results"]
    assert any(hit["id"] == work.pk and hit["artist"] is None for hit in hits)
    assert client.get(reverse("gallery:search"), {"q": "Public 1", "k": 48}).status_code == 200
