"""The search form's genre, nationality and artist-name lists follow the artists table, though they are cached."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gallery.services import facets
from tests.factories import ArtistFactory

pytestmark = pytest.mark.django_db


def _options(html: str, select_name: str) -> list[str]:
    select = re.search(rf'<select name="{select_name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]+)"', select)


def _artist_names(html: str) -> list[str]:
    datalist = re.search(r'<datalist id="artist-names">(.*?)</datalist>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]+)"', datalist)


def test_search_form_offers_what_the_artists_have_and_follows_every_change(client, monkeypatch):
    monkeypatch.setattr(facets, "FACETS_RECHECK_S", 0.0)  # every page compares the lists with the table
    monet = ArtistFactory(name="Claude Monet", genres=["Impressionism"], nationality="French")
    ArtistFactory(name="Frida Kahlo", genres=["Primitivism", "Surrealism"], nationality="Mexican,German")
    page = client.get(reverse("gallery:search")).content.decode()
    assert _options(page, "genre") == ["Impressionism", "Primitivism", "Surrealism"]
    assert _options(page, "nationality") == ["French", "German", "Mexican"]
    assert _artist_names(page) == ["Claude Monet", "Frida Kahlo"]

    ArtistFactory(name="Hokusai", genres=["Ukiyo-e"], nationality="Japanese")  # added
    monet.genres = ["Impressionism", "Plein air"]  # edited
    monet.save()
    page = client.get(reverse("gallery:search")).content.decode()
    assert _options(page, "genre") == ["Impressionism", "Plein air", "Primitivism", "Surrealism", "Ukiyo-e"]
    assert "Japanese" in _options(page, "nationality")

    monet.delete()  # deleted: its genres and name go with it
    page = client.get(reverse("gallery:search")).content.decode()
    assert _options(page, "genre") == ["Primitivism", "Surrealism", "Ukiyo-e"]
    assert _artist_names(page) == ["Frida Kahlo", "Hokusai"]


def test_a_process_compares_its_lists_with_the_table_at_most_once_per_interval(client, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(facets, "FACETS_RECHECK_S", 60.0)
    ArtistFactory(name="Claude Monet", genres=["Impressionism"])
    assert _options(client.get(reverse("gallery:search")).content.decode(), "genre") == ["Impressionism"]
    ArtistFactory(name="Hokusai", genres=["Ukiyo-e"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("gallery:search")).content.decode()
    assert _options(page, "genre") == ["Impressionism"]  # within the interval: the lists as they were
    assert not [query for query in queries if "gallery_artist" in query["sql"]]
    monkeypatch.setattr(facets, "FACETS_RECHECK_S", 0.0)  # the interval is over
    assert _options(client.get(reverse("gallery:search")).content.decode(), "genre") == ["Impressionism", "Ukiyo-e"]


def test_a_new_genre_is_a_valid_filter_at_once(client):
    ArtistFactory(name="Claude Monet", genres=["Impressionism"])
    client.get(reverse("gallery:search"))  # the lists are now cached
    ArtistFactory(name="Hokusai", genres=["Ukiyo-e"])
    response = client.get(reverse("gallery:search"), {"q": "a wave", "genre": "Ukiyo-e"})
    assert response.status_code == 200 and "Select a valid choice" not in response.content.decode()


def test_artist_names_are_suggested_only_while_the_list_is_short(client, monkeypatch):
    monkeypatch.setattr(facets, "DATALIST_LIMIT", 2)
    monkeypatch.setattr(facets, "FACETS_RECHECK_S", 0.0)
    ArtistFactory(name="Claude Monet")
    ArtistFactory(name="Frida Kahlo")
    assert _artist_names(client.get(reverse("gallery:search")).content.decode()) == ["Claude Monet", "Frida Kahlo"]
    ArtistFactory(name="Hokusai")
    assert _artist_names(client.get(reverse("gallery:search")).content.decode()) == []


@pytest.mark.parametrize("data", [{}, {"century": "18", "genre": "Impressionism"}, {"century": "1800", "genre": "x"}])
def test_remembered_selects_render_exactly_what_django_renders(data):
    from django import forms as django_forms

    from gallery.forms import SearchForm, _remembered_html

    ArtistFactory(name="Claude Monet", genres=["Impressionism"], nationality="French")
    form = SearchForm(data)
    form.is_valid()  # an invalid value adds aria-invalid and aria-describedby to the select
    for name in ("genre", "nationality", "century"):
        field = form[name]
        plain = field.as_widget(widget=django_forms.Select(choices=field.field.choices))
        assert str(field) == plain
    hits = _remembered_html.cache_info().hits
    assert str(SearchForm(data)["genre"]) == str(form["genre"]) and _remembered_html.cache_info().hits > hits


def test_a_remembered_select_renders_values_it_cannot_remember_afresh():
    from django import forms as django_forms

    from gallery.forms import RememberedSelect, _remembered_html

    choices = [("a", "A"), ("b", "B")]
    size = _remembered_html.cache_info().currsize
    html = RememberedSelect(choices=choices).render("letters", ["b"])  # a list is unhashable: not cached
    assert html == django_forms.Select(choices=choices).render("letters", ["b"]) and 'value="b" selected' in html
    assert _remembered_html.cache_info().currsize == size


REMEMBERED_BOXES = ("per_artist", "close", "image_weight", "k", "artist", "year_from", "year_to", "made_from",
                    "made_to", "open_access")


@pytest.mark.parametrize("data", [
    {},
    {"k": "12", "year_from": "1850", "made_to": "1900", "open_access": "on", "close": "1", "per_artist": "2",
     "image_weight": "0.3", "artist": "Claude Monet"},
    {"k": "0", "year_from": "99", "made_from": "abc", "per_artist": "-1", "close": "maybe", "image_weight": "7"},
])
def test_remembered_inputs_render_exactly_what_django_renders(data):
    """The search form's remembered boxes, empty, filled in and refused (aria-invalid), against Django's own
    rendering of the same widgets; a second form's boxes come from the cache."""
    from unittest import mock

    from django.utils import translation

    from gallery.forms import Remembered, SearchForm, _remembered_html

    def djangos_own(widget, *args, **kwargs):
        return super(Remembered, widget).render(*args, **kwargs)

    ArtistFactory(name="Claude Monet")
    assert {name for name, field in SearchForm().fields.items() if isinstance(field.widget, Remembered)
            } == {*REMEMBERED_BOXES, "genre", "nationality", "century", "classification", "department",
                 "institution", "culture"}
    for language in ("en", "fr"):  # translated attributes (the artist box's placeholder) are kept per language
        with translation.override(language):
            form = SearchForm(data)
            form.is_valid()
            remembered = [str(form[name]) for name in REMEMBERED_BOXES]
            with mock.patch.object(Remembered, "render", djangos_own):
                assert remembered == [str(form[name]) for name in REMEMBERED_BOXES]
            hits = _remembered_html.cache_info().hits
            again = SearchForm(data)
            again.is_valid()
            assert [str(again[name]) for name in REMEMBERED_BOXES] == remembered
            assert _remembered_html.cache_info().hits >= hits + len(REMEMBERED_BOXES)
