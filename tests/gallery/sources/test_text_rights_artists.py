"""The helpers the readers share: text clean-up, rights classification, artist display strings."""

import pytest

from gallery.sources.artists import is_about_the_artist, split_artist
from gallery.sources.records import CatalogueRecord
from gallery.sources.rights import classify_rights
from gallery.sources.text import clean, strip_html


def test_clean_normalises_newlines_and_keeps_lines():
    assert clean(" Cover: 1 in.\r\nSheets: 2 in. \rMat ") == "Cover: 1 in.\nSheets: 2 in.\nMat"
    assert clean(None) == ""
    assert clean(7) == "7"


def test_clean_drops_control_characters_and_reads_filemakers_line_breaks():
    """PostgreSQL refuses NUL in text (a record with one would stop the import); FileMaker writes \\v in a field."""
    assert clean("Oil\x00 on\x1b canvas\x7f") == "Oil on canvas"
    assert clean("Sheet: 1 in.\vMount: 2 in.\fFrame\tgilt") == "Sheet: 1 in.\nMount: 2 in.\nFrame\tgilt"


def test_strip_html_keeps_the_text_and_line_breaks():
    assert strip_html("<span>Yale Center, Paul Mellon Collection,<br/>Public Domain</span>") == (
        "Yale Center, Paul Mellon Collection,\nPublic Domain")
    link = '<a href="https://en.wikipedia.org/wiki/x"><span>Gustave Courbet</span></a> '
    assert strip_html(link) == "Gustave Courbet"
    assert strip_html("Tom &amp; Jerry") == "Tom & Jerry"
    assert strip_html("AT&T, 5 < 6") == "AT&T, 5 < 6"


@pytest.mark.parametrize(("text", "expected"), [
    ("Public Domain", ("public-domain", "")),
    ("CC0", ("public-domain", "")),
    ("cc0 1.0", ("public-domain", "")),
    ("pd", ("public-domain", "")),
    ("https://creativecommons.org/publicdomain/zero/1.0/", ("public-domain",
                                                            "https://creativecommons.org/publicdomain/zero/1.0/")),
    ("https://creativecommons.org/publicdomain/mark/1.0/", ("public-domain",
                                                            "https://creativecommons.org/publicdomain/mark/1.0/")),
    ("CC BY 4.0", ("cc", "")),
    ("CC-BY-SA", ("cc", "")),
    ("Attribution-NonCommercial 4.0 International (CC BY-NC 4.0)", ("cc", "")),
    ("https://creativecommons.org/licenses/by-nc/4.0/", ("cc", "https://creativecommons.org/licenses/by-nc/4.0/")),
    ("In Copyright", ("in-copyright", "")),
    ("© Estate of the artist", ("in-copyright", "")),
    ("http://rightsstatements.org/vocab/InC/1.0/", ("in-copyright", "http://rightsstatements.org/vocab/InC/1.0/")),
    ("http://rightsstatements.org/vocab/NoC-US/1.0/", ("public-domain",
                                                       "http://rightsstatements.org/vocab/NoC-US/1.0/")),
    ("http://rightsstatements.org/vocab/CNE/1.0/", ("unknown", "http://rightsstatements.org/vocab/CNE/1.0/")),
    ("Not in copyright", ("public-domain", "")),
    ("Copyright not evaluated", ("unknown", "")),
    ("https://www.getty.edu/legal/copyright.html", ("unknown", "https://www.getty.edu/legal/copyright.html")),
    ("Digital image courtesy of the Art Institute of Chicago.", ("unknown", "")),
    ("", ("unknown", "")),
])
def test_classify_rights(text, expected):
    assert classify_rights(text) == expected


@pytest.mark.parametrize(("display", "name", "bio", "nationality", "years"), [
    ("Georges Seurat\nFrench, 1859-1891", "Georges Seurat", "French, 1859-1891", "French", (1859, 1891)),
    ("Jean-Antoine Watteau (French, 1684 - 1721)", "Jean-Antoine Watteau", "French, 1684 - 1721", "French",
     (1684, 1721)),
    ("Artist: Vincent van Gogh, Dutch, 1853 - 1890", "Vincent van Gogh", "Dutch, 1853 - 1890", "Dutch", (1853, 1890)),
    ("Glindoni, Henry Gillard, 1852-1913", "Glindoni, Henry Gillard", "1852-1913", "", (1852, 1913)),
    ("Peter Gaspar Scheemakers, 1691–1781, Flemish, active in Britain (from ca. 1720)", "Peter Gaspar Scheemakers",
     "1691–1781, Flemish, active in Britain (from ca. 1720)", "Flemish", (1691, 1781)),
    ("Rembrandt (Rembrandt van Rijn)", "Rembrandt (Rembrandt van Rijn)", "", "", (None, None)),
    ("Unidentified Artist", "Unidentified Artist", "", "", (None, None)),
    ("Jane Doe, American, b. 1950", "Jane Doe", "American, b. 1950", "American", (1950, None)),
    ("", "", "", "", (None, None)),
])
def test_split_artist(display, name, bio, nationality, years):
    parts = split_artist(display)
    assert (parts.name, parts.bio_line, parts.nationality, (parts.birth_year, parts.death_year)) == (
        name, bio, nationality, years)


@pytest.mark.parametrize(("display", "qualifier", "name", "bio"), [
    # Harvard's People line for its El Greco
    ("Artist: Attributed to Domenico Theotocopoli, called El Greco, Greek, 1541 - 1614", "Attributed to",
     "Domenico Theotocopoli, called El Greco", "Greek, 1541 - 1614"),
    ("Workshop of Rembrandt (Dutch, 1606 - 1669)", "Workshop of", "Rembrandt", "Dutch, 1606 - 1669"),
    ("copy after Anthony van Dyck", "copy after", "Anthony van Dyck", ""),  # the source's case is kept
    ("Formerly attributed to Jan Steen", "Formerly attributed to", "Jan Steen", ""),
    ("In the Style of Canaletto", "In the Style of", "Canaletto", ""),
    ("Afterglow Studio", "", "Afterglow Studio", ""),  # a word that begins with a qualifier is a name
    ("After", "", "After", ""),  # a qualifier of nobody is left as written
])
def test_split_artist_keeps_an_attribution_qualifier_apart(display, qualifier, name, bio):
    parts = split_artist(display)
    assert (parts.qualifier, parts.name, parts.bio_line) == (qualifier, name, bio)


@pytest.mark.parametrize(("qualifier", "about"), [
    ("", True), ("Attributed to", True), ("Formerly attributed to", True), ("Possibly by", True),
    ("Calligraphy by", True), ("Workshop of", False), ("Style of", False), ("Copy after", False),
    ("Imitator of", False), ("After", False),
])
def test_only_an_attribution_describes_the_named_artist(qualifier, about):
    assert is_about_the_artist(qualifier) is about


def test_a_record_refuses_a_rights_value_outside_the_four():
    with pytest.raises(ValueError, match="rights must be one of"):
        CatalogueRecord(source_id="x", rights="CC0")
    assert CatalogueRecord(source_id="x").tags == []
