"""Page paths filled into a reversed pattern must be exactly what reverse() gives, under every script prefix."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from gallery.models import Artist, Artwork
from gallery.page_paths import page_path


def test_page_paths_are_reverse_paths():
    artist, artwork = Artist(name="Paul Klee", slug="paul-klee"), Artwork(pk=41)
    for _ in range(2):  # the pattern reversed, then reused
        assert artist.get_absolute_url() == reverse("gallery:artist-detail", args=["paul-klee"]) == "/artists/paul-klee/"
        assert artwork.get_absolute_url() == reverse("gallery:artwork-detail", args=[41])
        assert artwork.get_similar_url() == reverse("gallery:artwork-similar", args=[41])
    assert Artwork(pk=42).get_absolute_url() != artwork.get_absolute_url()


def test_a_site_served_under_a_prefix_gets_prefixed_paths():
    plain = page_path("gallery:artwork-detail", 7)
    set_script_prefix("/museum/")
    try:
        assert page_path("gallery:artwork-detail", 7) == "/museum" + plain
    finally:
        set_script_prefix("/")
    assert page_path("gallery:artwork-detail", 7) == plain


def test_arguments_reverse_would_refuse_are_refused():
    for view_name, argument in [("gallery:artist-detail", "Paul Klee"), ("gallery:artist-detail", "../admin"),
                                ("gallery:artwork-detail", "not-a-number")]:
        with pytest.raises(NoReverseMatch):
            page_path(view_name, argument)
