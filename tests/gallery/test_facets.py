"""The search form's genre, nationality and artist-name lists follow the artists table, though they are cached."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gallery import facets
from tests.factories import ArtistFactory

pytestmark = pytest.mark.django_db


def _options(html: str, select_name: str) -> list[str]:
    select = re.search(rf'<select name="{select_name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]+)"', select)


def _artist_names(html: str) -> list[str]:
    datalist = re.search(r'<datalist id="artist-names">(.*?)</datalist>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]+)"', datalist)


def test_search_form_offers_what_the_artists_have_and_follows_every_change(client):
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


def test_a_new_genre_is_a_valid_filter_at_once(client):
    ArtistFactory(name="Claude Monet", genres=["Impressionism"])
    client.get(reverse("gallery:search"))  # the lists are now cached
    ArtistFactory(name="Hokusai", genres=["Ukiyo-e"])
    response = client.get(reverse("gallery:search"), {"q": "a wave", "genre": "Ukiyo-e"})
    assert response.status_code == 200 and "Select a valid choice" not in response.content.decode()


def test_artist_names_are_suggested_only_while_the_list_is_short(client, monkeypatch):
    monkeypatch.setattr(facets, "DATALIST_LIMIT", 2)
    ArtistFactory(name="Claude Monet")
    ArtistFactory(name="Frida Kahlo")
    assert _artist_names(client.get(reverse("gallery:search")).content.decode()) == ["Claude Monet", "Frida Kahlo"]
    ArtistFactory(name="Hokusai")
    assert _artist_names(client.get(reverse("gallery:search")).content.decode()) == []
