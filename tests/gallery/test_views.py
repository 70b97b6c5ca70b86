"""Pages over the real database, with vectors from the real (untrained) encoder."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from gallery.models import Artwork
from gallery.services import facets, ingest, keywords
from tests.helpers import image_upload, make_image_bytes, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_artist_works(artist, clip_encoder):
    """14 embedded works, alternately by Frida Kahlo and by `artist`."""
    from tests.factories import ArtistFactory

    other = ArtistFactory(name="Frida Kahlo", nationality="Mexican", genres=["Primitivism", "Surrealism"],
                          birth_year=1907, death_year=1954, bio="Mexican painter <script>alert('x')</script>")
    artworks = [ingest.artwork_create(artist=artist if n % 2 else other, title=f"Work {n}", image=image_upload(seed=n))
                for n in range(14)]
    ingest.artworks_embed(artwork_ids=[a.pk for a in artworks], encoder=clip_encoder)
    return artworks


def cards(response) -> int:
    return response.content.decode().count('data-testid="result-card"')


def grid_cards(response) -> int:
    return response.content.decode().count('data-testid="grid-card"')


def test_text_search_renders_result_cards_with_artist_facts(client, two_artist_works):
    response = client.get(reverse("gallery:search"), {"q": "a stormy sea at night", "k": 5})
    assert response.status_code == 200
    html = response.content.decode()
    assert cards(response) == 5
    assert "Nationality" in html and "Wikipedia" in html and "Similarity" in html
    assert "not semantic" in html  # the untrained-weights banner
    assert "<dd>1907–1954</dd>" in html and "<dd>Mexican</dd>" in html
    assert ">About<" not in html  # no bio line of the source's: nothing repeats the nationality and years


def test_artist_facts_show_a_bio_line_only_where_it_adds_to_them(client, artist):
    artwork = ingest.artwork_create(artist=artist, title="Wheat Field", image=image_upload(seed=1))
    url = reverse("gallery:artwork-detail", args=[artwork.pk])
    artist.bio_line = "Dutch, 1853–1890"
    artist.save()
    assert ">About<" not in client.get(url).content.decode()
    artist.bio_line = "Dutch, Zundert 1853–1890 Auvers-sur-Oise"
    artist.save()
    assert "<dt>About</dt><dd>Dutch, Zundert 1853–1890 Auvers-sur-Oise</dd>" in client.get(url).content.decode()


def test_text_search_pages_do_not_overlap(client, two_artist_works):
    first = client.get(reverse("gallery:search"), {"q": "sunflowers", "k": 6})
    second = client.get(reverse("gallery:search"), {"q": "sunflowers", "k": 6, "page": 2})
    ids = lambda r: {hit.artwork.pk for hit in r.context["result"].hits}  # noqa: E731
    assert len(ids(first)) == len(ids(second)) == 6 and not ids(first) & ids(second)
    assert 'rel="next"' in first.content.decode()


def test_posting_a_description_redirects_to_a_shareable_get_url(client, two_artist_works):
    response = client.post(reverse("gallery:search"), {"q": "a stormy sea", "k": "6", "genre": ""})
    assert response.status_code == 302
    assert response["Location"] == "/search/?q=a+stormy+sea&k=6"


def test_image_search_recognises_a_stored_work_and_stores_nothing(client, two_artist_works, tmp_path):
    files_before = stored_files(tmp_path)
    target = two_artist_works[3]
    with target.image.open("rb") as handle:
        picture = Image.open(handle).convert("RGB")
    buffer = io.BytesIO()
    picture.crop((16, 12, 304, 228)).save(buffer, "JPEG", quality=70)
    upload = SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")
    response = client.post(reverse("gallery:search"), {"image": upload, "k": 4})
    assert response.status_code == 200
    hits = response.context["result"].hits
    assert hits[0].artwork == target and hits[0].in_collection
    assert "This artwork is in the collection" in response.content.decode()
    assert Artwork.objects.count() == 14 and stored_files(tmp_path) == files_before


def test_image_search_pages_with_get_links(client, two_artist_works):
    response = client.post(reverse("gallery:search"), {"image": image_upload(seed=99), "k": 5})
    page_query = response.context["page_query"]
    assert "qid=" in page_query
    second = client.get(f"{reverse('gallery:search')}?{page_query}&page=2")
    assert second.status_code == 200 and cards(second) == 5
    first_ids = {hit.artwork.pk for hit in response.context["result"].hits}
    assert not first_ids & {hit.artwork.pk for hit in second.context["result"].hits}


def test_filters_narrow_results(client, two_artist_works):
    for artist in ("frida kahlo", "frida-kahlo"):  # a typed name or a slug
        response = client.get(reverse("gallery:search"), {"q": "portrait", "artist": artist, "k": 12})
        assert {hit.artwork.artist.name for hit in response.context["result"].hits} == {"Frida Kahlo"}
    response = client.get(reverse("gallery:search"), {"q": "portrait", "genre": "Surrealism", "k": 12})
    assert {hit.artwork.artist.name for hit in response.context["result"].hits} == {"Frida Kahlo"}
    response = client.get(reverse("gallery:search"), {"q": "portrait", "century": "18", "k": 12})
    assert {hit.artwork.artist.name for hit in response.context["result"].hits} == {two_artist_works[1].artist.name}


def test_period_filter_names_centuries_in_english(client):
    html = client.get(reverse("gallery:search")).content.decode()
    assert '<option value="13">14th century</option>' in html
    assert '<option value="20">21st century</option>' in html and "21th" not in html


def test_bios_and_titles_are_escaped(client, two_artist_works):
    html = client.get(reverse("gallery:search"), {"q": "x", "k": 14}).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_a_result_cards_values_are_escaped(client, two_artist_works):
    hostile = '<img src=x onerror="alert(1)">'
    Artwork.objects.filter(pk=two_artist_works[0].pk).update(title=f"{hostile} & co", date=hostile,
                                                             artist_qualifier=hostile)
    Artwork.objects.filter(pk=two_artist_works[1].pk).update(artist=None, culture=hostile)
    html = client.get(reverse("gallery:search"), {"q": "x", "k": 14}).content.decode()
    # The title thrice (heading, alt text, "more like this"), the qualifier and date twice (line, alt text), the culture.
    assert cards_html(html).count("onerror") == 8
    assert "<img src=x" not in html and html.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co") >= 2


def cards_html(html: str) -> str:
    return "".join(re.findall(r'<li class="tile result.*?</li>', html, flags=re.S))


@pytest.mark.parametrize("params, message", [
    ({"q": "x", "k": "0"}, "greater than or equal to 1"),
    ({"q": "x", "k": "49"}, "less than or equal to 48"),
    ({"q": "x", "k": "many"}, "whole number"),
    ({"q": "x", "artist": "nobody-by-that-name"}, "Unknown artist"),
    ({"q": "x", "genre": "Vaporwave"}, "Select a valid choice"),
    ({"q": "x", "year_from": "1900", "year_to": "1800"}, "must not be after"),
    ({"qid": "expired-or-made-up"}, "expired"),
])
def test_bad_search_input_is_a_clear_400(client, two_artist_works, params, message):
    response = client.get(reverse("gallery:search"), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def _png_bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, "PNG")  # 400 megapixels in a few hundred KB
    return buffer.getvalue()


@pytest.mark.parametrize("name, payload, message", [
    ("empty.jpg", b"", "empty"),
    ("notes.png", b"<html><script>alert(1)</script></html>", "script content"),
    ("truncated.jpg", make_image_bytes(seed=1)[:1500], "damaged"),
    ("bomb.png", None, "megapixels"),
])
def test_bad_uploads_are_a_form_error_not_a_500(client, two_artist_works, tmp_path, name, payload, message):
    payload = _png_bomb() if payload is None else payload
    files_before = stored_files(tmp_path)
    response = client.post(reverse("gallery:search"), {"image": SimpleUploadedFile(name, payload)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert stored_files(tmp_path) == files_before


def test_oversized_upload_is_refused(client, two_artist_works, settings):
    settings.GALLERY_MAX_UPLOAD_BYTES = 2000
    response = client.post(reverse("gallery:search"), {"image": image_upload(seed=1)})
    assert response.status_code == 400 and "the limit is" in response.content.decode()


def test_empty_submit_explains_what_to_do(client, two_artist_works):
    assert "Describe it" in client.get(reverse("gallery:search")).content.decode()
    response = client.post(reverse("gallery:search"), {"q": ""})
    assert response.status_code == 400 and "upload a picture" in response.content.decode()


def test_empty_collection_is_explained(client, db):
    response = client.get(reverse("gallery:search"), {"q": "anything"})
    assert response.status_code == 200 and "The collection is empty" in response.content.decode()


def test_unembedded_collection_is_explained(client, artist):
    ingest.artwork_create(artist=artist, title="Waiting", image=image_upload(seed=1))
    response = client.get(reverse("gallery:search"), {"q": "anything"})
    assert "No artwork is searchable yet" in response.content.decode()


def test_pending_and_failed_artworks_never_appear(client, two_artist_works):
    Artwork.objects.filter(pk=two_artist_works[0].pk).update(status=Artwork.Status.FAILED)
    Artwork.objects.filter(pk=two_artist_works[1].pk).update(status=Artwork.Status.PENDING)
    response = client.get(reverse("gallery:search"), {"q": "x", "k": 48})
    shown = {hit.artwork.pk for hit in response.context["result"].hits}
    assert len(shown) == 12 and two_artist_works[0].pk not in shown and two_artist_works[1].pk not in shown


def test_artwork_page_shows_more_like_this_and_more_by_artist(client, two_artist_works):
    target = two_artist_works[2]
    response = client.get(target.get_absolute_url())
    assert response.status_code == 200
    similar = response.context["similar_hits"]
    assert len(similar) == 8 and target not in [hit.artwork for hit in similar]
    assert len(response.context["more_by_artist"]) == 6


def test_a_qualified_attribution_is_said_wherever_the_work_names_its_artist(client, two_artist_works):
    """A workshop piece is not shown as the master's: the qualifier goes before the name on every page and answer."""
    workshop = two_artist_works[1]
    Artwork.objects.filter(pk=workshop.pk).update(artist_qualifier="Workshop of", date="1650")
    name = workshop.artist.name
    credit = f'<span class="artist-qualifier">Workshop of</span> <a href="{workshop.artist.get_absolute_url()}"'

    page = client.get(workshop.get_absolute_url()).content.decode()
    assert (f'<span class="artist-qualifier" data-testid="artist-qualifier">Workshop of</span> '
            f'<a href="{workshop.artist.get_absolute_url()}">{name}</a>') in page
    assert f'alt="Work 1, Workshop of {name}, 1650"' in page and f'content="Work 1 · Workshop of {name}"' in page
    assert f"Workshop of {name}</a>" not in page  # the qualifier is no part of the artist's link
    plain = client.get(two_artist_works[3].get_absolute_url()).content.decode()
    assert f'alt="Work 3 by {name}"' in plain and 'data-testid="artist-qualifier"' not in plain
    assert 'alt="Work 2 par Frida Kahlo"' in client.get(two_artist_works[2].get_absolute_url(),
                                                         HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    results = client.get(reverse("gallery:search"), {"q": "a portrait", "k": 14}).content.decode()
    assert results.count(credit) == 1  # its own card; the other cards by that artist are plainly theirs
    assert f'alt="Work 1, Workshop of {name}"' in results  # in the other cards' "more by" strips
    assert '<span class="artist-qualifier">Workshop of</span> <a class="card-artist"' in client.get(
        workshop.artist.get_absolute_url()).content.decode()
    assert "Workshop of" in client.get(reverse("gallery:artwork-similar", args=[workshop.pk])).content.decode()

    answer = client.get(reverse("gallery:api-search"), {"q": "a portrait", "k": 14}).json()
    qualifiers = {hit["id"]: hit["artist_qualifier"] for hit in answer["results"]}
    assert qualifiers.pop(workshop.pk) == "Workshop of" and set(qualifiers.values()) == {""}
    keywords.artworks_index_text(artwork_ids=[workshop.pk])  # as an import or the admin does after the change
    found = client.get(reverse("gallery:api-search"), {"q": f"workshop of {name}", "k": 14}).json()["results"]
    assert (found[0]["id"], found[0]["why"][0]) == (workshop.pk, "artist")  # its words are searched too
    manifest = client.get(reverse("gallery:iiif-manifest", args=[workshop.pk])).json()
    artist_pair = next(pair for pair in manifest["metadata"] if pair["label"]["en"] == ["Artist"])
    assert artist_pair["value"]["none"][0].startswith(f"Workshop of {name} (")


def test_culture_and_period_are_shown_searched_and_answered(client, two_artist_works,
                                                           django_assert_max_num_queries):
    scroll = two_artist_works[4]
    Artwork.objects.filter(pk=scroll.pk).update(culture="China", period="Ming dynasty (1368–1644)")
    keywords.artworks_index_text(artwork_ids=[scroll.pk])
    page = client.get(scroll.get_absolute_url()).content.decode()
    assert "<dt>Culture</dt><dd>China</dd>" in page and "<dt>Period</dt><dd>Ming dynasty (1368–1644)</dd>" in page
    assert "<dt>Période</dt>" in client.get(scroll.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    with django_assert_max_num_queries(15):  # a page of hits in a few queries (13), not one more per hit and field
        answer = client.get(reverse("gallery:api-search"), {"q": "ming dynasty", "k": 14}).json()
    first = answer["results"][0]
    assert (first["id"], first["culture"], first["period"]) == (scroll.pk, "China", "Ming dynasty (1368–1644)")
    assert first["why"][0] == "catalogue text" and {hit["culture"] for hit in answer["results"][1:]} == {""}
    manifest = client.get(reverse("gallery:iiif-manifest", args=[scroll.pk])).json()
    assert {"label": {"en": ["Period"]}, "value": {"none": ["Ming dynasty (1368–1644)"]}} in manifest["metadata"]
    # A work no one person is named for is labelled by its culture on the cards, as museums label it.
    Artwork.objects.filter(pk=scroll.pk).update(artist=None)
    assert '<span class="card-artist unknown-artist">China</span>' in client.get("/").content.decode()
    results = client.get(reverse("gallery:search"), {"q": "ming dynasty", "k": 14}).content.decode()
    assert '<span class="unknown-artist">China</span>' in results
    # A filter, offered with the cultures the collection has (the list is a minute old at most: read afresh here).
    facets.clear()
    assert '<option value="China">China</option>' in client.get(reverse("gallery:search")).content.decode()
    chinese = client.get(reverse("gallery:api-search"), {"q": "a portrait", "k": 14, "culture": "china"}).json()
    assert [hit["id"] for hit in chinese["results"]] == [scroll.pk]
    page = client.get(reverse("gallery:search"), {"q": "a portrait", "k": 14, "culture": "China"})
    assert [hit.artwork.pk for hit in page.context["result"].hits] == [scroll.pk]


def test_an_attribution_qualifier_needs_an_artist(db):
    work = Artwork(title="A copy", artist=None, artist_qualifier="After")
    with pytest.raises(ValidationError, match="An attribution qualifier needs an artist"):
        work.validate_constraints()


def test_similar_page(client, two_artist_works):
    response = client.get(reverse("gallery:artwork-similar", args=[two_artist_works[0].pk]), {"k": 5})
    assert response.status_code == 200 and cards(response) == 5
    assert client.get(reverse("gallery:artwork-similar", args=[two_artist_works[0].pk]), {"k": "x"}).status_code == 400
    assert client.get(reverse("gallery:artwork-similar", args=[999999])).status_code == 404


def test_browse_pages(client, two_artist_works):
    gallery = client.get("/")
    assert gallery.status_code == 200 and grid_cards(gallery) == 14 and cards(gallery) == 0
    assert "14 artworks in the collection" in gallery.content.decode()
    artists = client.get(reverse("gallery:artist-list"))
    assert re.search(r"Frida Kahlo.*?7 works", artists.content.decode(), re.S)
    artist_page = client.get(two_artist_works[0].artist.get_absolute_url())
    assert artist_page.status_code == 200 and len(artist_page.context["artworks"]) == 7


def test_artist_pages_are_paginated_like_the_grid(client, two_artist_works, settings):
    settings.GALLERY_PAGE_SIZE = 3
    url = two_artist_works[0].artist.get_absolute_url()  # Frida Kahlo: 7 works
    pages = [client.get(url, {"page": page}) for page in (1, 2, 3)]
    assert [grid_cards(page) for page in pages] == [3, 3, 1]
    shown = [artwork.pk for page in pages for artwork in page.context["artworks"]]
    assert len(set(shown)) == 7  # no work twice, none left out
    html = pages[0].content.decode()
    assert "Works (7)" in html and "Page 1 of 3" in html and 'rel="next"' in html
    assert client.get(url, {"page": "999"}).context["page_obj"].number == 3  # past the end: the last page


def test_results_are_numbered_by_rank_across_pages(client, two_artist_works):
    first = client.get(reverse("gallery:search"), {"q": "sunflowers", "k": 6}).content.decode()
    second = client.get(reverse("gallery:search"), {"q": "sunflowers", "k": 6, "page": 2}).content.decode()
    assert '<ol class="results" start="1">' in first and '<ol class="results" start="7">' in second
    similar = client.get(reverse("gallery:artwork-similar", args=[two_artist_works[0].pk]), {"k": 4, "page": 3})
    assert '<ol class="results" start="9">' in similar.content.decode()


def test_more_like_this_without_weights_is_a_clear_503(client, two_artist_works, encoder_without_weights):
    response = client.get(reverse("gallery:artwork-similar", args=[two_artist_works[0].pk]))
    assert response.status_code == 503
    html = response.content.decode()
    assert "Search is unavailable" in html and "missing-clip.pt" in html and "CLIP_PRETRAINED" in html
    page = client.get(two_artist_works[0].get_absolute_url())  # the artwork page itself still works
    assert page.status_code == 200 and "Search is unavailable" in page.content.decode()


# -- result options: at most N works per artist, close matches only ------------------------------------------------

@pytest.fixture
def prolific(artist, clip_encoder):
    """(work, prolific artist): 10 near-identical works by one artist beside `work`, 20 by ten others further away."""
    from tests.gallery.services.helpers import prolific_neighbours

    return prolific_neighbours(artist, model_id=clip_encoder.model_id)


def test_more_like_this_caps_works_per_artist_and_its_links_keep_the_option(client, prolific):
    work, printmaker = prolific
    url = reverse("gallery:artwork-similar", args=[work.pk])
    response = client.get(url, {"k": 6, "per_artist": 2})
    hits = response.context["result"].hits
    assert cards(response) == 6 and [hit.artwork.artist_id for hit in hits].count(printmaker.pk) == 2
    html = response.content.decode()
    assert 'rel="next" href="?k=6&amp;per_artist=2&amp;page=2"' in html
    assert re.search(r'<label for="id_per_artist">At most this many works per artist</label>'
                     r'<input type="number" name="per_artist" value="2"[^>]*'
                     r'aria-describedby="id_per_artist-help"', html)
    assert "at most 2 works per artist" in html
    second = client.get(url, {"k": 6, "per_artist": 2, "page": 2}).context["result"].hits
    assert len(second) == 6 and not {h.artwork.pk for h in hits} & {h.artwork.pk for h in second}
    assert printmaker.pk not in [hit.artwork.artist_id for hit in second]


def test_more_like_this_close_matches_say_how_many_are_hidden_and_reveal_them(client, prolific):
    work, printmaker = prolific
    url = reverse("gallery:artwork-similar", args=[work.pk])
    response = client.get(url, {"close": "1"})
    assert cards(response) == 10 and {h.artwork.artist_id for h in response.context["result"].hits} == {printmaker.pk}
    html = response.content.decode()
    assert "Close matches only: 20 weaker matches hidden." in html
    assert '<a href="?k=12&amp;page=1" data-testid="reveal">Show all results</a>' in html
    assert re.search(r'<input type="checkbox" name="close"[^>]*value="1"[^>]*checked', html)
    revealed = client.get(f"{url}?k=12&page=1")
    assert cards(revealed) == 12 and 'data-testid="hidden-results"' not in revealed.content.decode()


def test_text_search_options_live_in_the_url_and_the_reveal_link_keeps_the_rest(client, artist, clip_encoder):
    import numpy as np

    from gallery.services.query_parsing import query_vector
    from tests.gallery.services.helpers import noisy_unit_vector, ready_artworks

    text = "a harbour at dawn"
    vector = query_vector(text=text, image=None, image_weight=0.5, encoder=clip_encoder)
    rng = np.random.default_rng(6)
    ready_artworks(artist, [noisy_unit_vector(vector, rng, 0.1) for _ in range(5)], model_id=clip_encoder.model_id)
    ready_artworks(artist, [noisy_unit_vector(-vector, rng, 3.0) for _ in range(25)], model_id=clip_encoder.model_id,
                   start=10)
    params = {"q": text, "k": 3, "close": "1", "per_artist": "4", "artist": artist.slug}
    response = client.get(reverse("gallery:search"), params)
    assert response.status_code == 200 and cards(response) == 3
    result = response.context["result"]
    assert result.hidden == 25 and result.options.close and result.options.per_artist == 4
    html = response.content.decode()
    assert "25 weaker matches hidden" in html
    query = f"q=a+harbour+at+dawn&amp;k=3&amp;artist={artist.slug}&amp;per_artist=4"
    assert f'rel="next" href="?{query}&amp;close=1&amp;page=2"' in html
    assert f'<a href="?{query}&amp;page=1" data-testid="reveal">' in html
    second = client.get(reverse("gallery:search"), {**params, "page": 2})
    assert cards(second) == 1 and second.context["result"].has_next is False  # 4 of the 5 close ones: the cap
    assert '<details class="search-options" open>' in html


def test_image_search_pages_keep_the_options_with_the_qid(client, two_artist_works):
    response = client.post(reverse("gallery:search"), {"image": image_upload(seed=99), "k": 1, "per_artist": 1})
    page_query = response.context["page_query"]
    assert "qid=" in page_query and "per_artist=1" in page_query and cards(response) == 1
    second = client.get(f"{reverse('gallery:search')}?{page_query}&page=2")
    artists = [response.context["result"].hits[0].artwork.artist_id, second.context["result"].hits[0].artwork.artist_id]
    assert len(set(artists)) == 2 and second.context["result"].has_next is False  # two artists, one work each


@pytest.mark.parametrize("params, message", [
    ({"per_artist": "-1"}, "greater than or equal to 0"),
    ({"per_artist": "49"}, "less than or equal to 48"),
    ({"per_artist": "two"}, "whole number"),
    ({"close": "maybe"}, "Enter 1 (on) or 0 (off)."),
])
def test_bad_result_options_are_a_clear_400(client, two_artist_works, params, message):
    response = client.get(reverse("gallery:search"), {"q": "x", **params})
    assert response.status_code == 400 and message in response.content.decode()
    similar = client.get(reverse("gallery:artwork-similar", args=[two_artist_works[0].pk]), params)
    assert similar.status_code == 400 and message in similar.content.decode()
