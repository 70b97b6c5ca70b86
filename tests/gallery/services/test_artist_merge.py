"""Merging the artists one person was imported as: works, facts, other names, later imports, old links, the admin."""

from __future__ import annotations

import csv
import shutil

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gallery.kaggle import ArtistRecord
from gallery.models import Artist, ArtistAlias, Artwork
from gallery.services import artist_merge, importer, keywords
from tests.factories import ArtistFactory
from tests.gallery.management.helpers import command_output
from tests.helpers import MET_SAMPLE

pytestmark = pytest.mark.django_db


def work(artist: Artist, n: int) -> Artwork:
    artwork = Artwork.objects.create(artist=artist, title=f"Work {n}", image=f"{n}.jpg", image_sha256=f"{n:064d}")
    keywords.artworks_index_text(artwork_ids=[artwork.pk])
    return artwork


@pytest.fixture
def rembrandts():
    """One painter imported three times: by the Met, by a LIDO harvest and by a curator's CSV."""
    met = ArtistFactory(name="Rembrandt (Rembrandt van Rijn)", nationality="Dutch", birth_year=None, death_year=None,
                        genres=["Baroque"], bio="", wikipedia_url="")
    lido = ArtistFactory(name="Rembrandt van Rijn", nationality="", birth_year=1606, death_year=1669,
                         genres=["Baroque", "Dutch Golden Age"], bio="", wikipedia_url="")
    csv_artist = ArtistFactory(name="Rijn, Rembrandt van", nationality="Netherlandish", birth_year=1600,
                               death_year=1700, genres=[], bio="A painter of Leiden and Amsterdam.",
                               wikipedia_url="https://en.wikipedia.org/wiki/Rembrandt")
    works = [work(met, 1), work(met, 2), work(lido, 3), work(csv_artist, 4)]
    return met, lido, csv_artist, works


def test_merging_moves_the_works_fills_the_blanks_and_keeps_the_names(rembrandts):
    met, lido, csv_artist, works = rembrandts
    merge = artist_merge.artists_merge(keep=met, others=[met, lido, csv_artist])
    assert (merge.names, merge.works) == (["Rembrandt van Rijn", "Rijn, Rembrandt van"], 2)
    assert set(Artist.objects.values_list("name", flat=True)) == {"Rembrandt (Rembrandt van Rijn)"}
    assert Artwork.objects.filter(artist=met).count() == 4
    met.refresh_from_db()
    # Its own facts stay; blanks come from the others, the years as the first pair found (never 1606 with 1700).
    assert (met.nationality, met.birth_year, met.death_year) == ("Dutch", 1606, 1669)
    assert met.genres == ["Baroque", "Dutch Golden Age"] and met.bio == "A painter of Leiden and Amsterdam."
    assert met.wikipedia_url == "https://en.wikipedia.org/wiki/Rembrandt"
    assert list(met.aliases.values_list("name", "slug")) == [
        ("Rembrandt van Rijn", "rembrandt-van-rijn"), ("Rijn, Rembrandt van", "rijn-rembrandt-van")]
    # A search by an old name finds every work of the artist kept, those it had before the merge too.
    found = keywords.keyword_matches("rembrandt van rijn", queryset=Artwork.objects.all())
    assert {match.pk for match in found} == {artwork.pk for artwork in works}
    with pytest.raises(ValueError, match="at least two artists"):
        artist_merge.artists_merge(keep=met, others=[met])


def test_merging_again_carries_the_older_names_along(rembrandts):
    met, lido, csv_artist, _ = rembrandts
    artist_merge.artists_merge(keep=lido, others=[csv_artist])
    artist_merge.artists_merge(keep=met, others=[lido])
    assert set(ArtistAlias.objects.values_list("name", "artist__name")) == {
        ("Rembrandt van Rijn", met.name), ("Rijn, Rembrandt van", met.name)}
    artist_merge.artists_merge(keep=ArtistFactory(name="Rembrandt van Rijn ", genres=[]), others=[met])
    assert "Rembrandt van Rijn " not in ArtistAlias.objects.values_list("name", flat=True)


def test_later_imports_read_a_merged_name_as_the_artist_kept(rembrandts, tmp_path):
    met, lido, csv_artist, _ = rembrandts
    artist_merge.artists_merge(keep=met, others=[lido, csv_artist])
    shutil.copy(sorted((MET_SAMPLE / "images").iterdir())[0], tmp_path / "night.jpg")
    path = tmp_path / "export.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["accession_number", "title", "artist", "image"])
        writer.writerow(["SK-C-5", "The Night Watch", "Rembrandt van Rijn", "night.jpg"])
    output = command_output("import_collection", str(path))
    assert "0 artist(s) created" in output, output
    assert Artwork.objects.get(accession_number="SK-C-5").artist == met
    # The Kaggle layout's artists.csv likewise, the kept artist keeping its own name.
    report = importer.ImportReport()
    by_key = importer.artists_upsert(records=[ArtistRecord(
        name="Rembrandt van Rijn", birth_year=1606, death_year=1669, genres=["Baroque"], nationality="Dutch",
        bio="", wikipedia_url="")], report=report)
    assert report.artists_created == 0 and list(Artist.objects.values_list("name", flat=True)) == [met.name]
    assert by_key and Artist.objects.get().name == "Rembrandt (Rembrandt van Rijn)"


def test_an_old_artist_page_and_filter_lead_to_the_artist_kept(client, rembrandts):
    met, lido, csv_artist, _ = rembrandts
    Artwork.objects.update(published=True)
    artist_merge.artists_merge(keep=met, others=[lido, csv_artist])
    old = reverse("gallery:artist-detail", args=["rembrandt-van-rijn"])
    response = client.get(old)
    assert response.status_code == 301 and response["Location"] == met.get_absolute_url()
    assert client.get(reverse("gallery:artist-detail", args=["nobody"])).status_code == 404
    page = client.get(met.get_absolute_url()).content.decode()
    assert "Also known as Rembrandt van Rijn, Rijn, Rembrandt van" in page
    api = client.get(reverse("gallery:api-search"), {"q": "a portrait", "artist": "rijn-rembrandt-van"})
    assert api.status_code == 200, api.content
    unknown = client.get(reverse("gallery:api-search"), {"q": "a portrait", "artist": "nobody"})
    assert unknown.status_code == 400 and "Unknown artist" in unknown.content.decode()


def test_curators_merge_artists_in_the_admin(admin_client, rembrandts):
    met, lido, csv_artist, _ = rembrandts
    changelist = reverse("admin:gallery_artist_changelist")
    chosen = {"action": "merge_selected", "_selected_action": [met.pk, lido.pk, csv_artist.pk]}
    page = admin_client.post(changelist, chosen)
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="merge-artists"' in html
    assert html.index(met.name) < html.index(lido.name)  # the one with most works first, chosen by default
    response = admin_client.post(changelist, {**chosen, "post": "yes", "keep": lido.pk}, follow=True)
    assert "into Rembrandt van Rijn: 3 work(s) moved" in response.content.decode()
    assert list(Artist.objects.values_list("name", flat=True)) == ["Rembrandt van Rijn"]
    change = admin_client.get(reverse("admin:gallery_artist_change", args=[lido.pk])).content.decode()
    assert "Rijn, Rembrandt van" in change and "Rembrandt (Rembrandt van Rijn)" in change
    alone = admin_client.post(changelist, {"action": "merge_selected", "_selected_action": [lido.pk]}, follow=True)
    assert "Select at least two artists to merge." in alone.content.decode()


def test_artists_named_like_another_are_offered_as_likely_the_same_person(admin_client):
    names = {  # the Kaggle set's names beside the Met's, with their life years
        "Rembrandt": (1606, 1669), "Rembrandt (Rembrandt van Rijn)": (1606, 1669),
        "Paul Cezanne": (1839, 1906), "Paul Cézanne": (1839, 1906),
        "Raphael": (1483, 1520), "Anton Raphael Mengs": (1728, 1779),
        "Raphael (Raffaello Sanzio or Santi)": (1483, None),
        "Rijn, Rembrandt van": (None, None), "Claude Monet": (1840, 1926), "Claude Lorrain": (1604, 1682),
    }
    artists = {name: ArtistFactory(name=name, birth_year=birth, death_year=death)
               for name, (birth, death) in names.items()}
    name_of = {artist.pk: name for name, artist in artists.items()}
    twins = {name_of[pk]: sorted(name_of[twin] for twin in found) for pk, found in artist_merge.likely_twins().items()}
    assert twins == {
        "Rembrandt": ["Rembrandt (Rembrandt van Rijn)", "Rijn, Rembrandt van"],
        "Rembrandt (Rembrandt van Rijn)": ["Rembrandt", "Rijn, Rembrandt van"],
        "Rijn, Rembrandt van": ["Rembrandt", "Rembrandt (Rembrandt van Rijn)"],
        "Paul Cezanne": ["Paul Cézanne"], "Paul Cézanne": ["Paul Cezanne"],
        "Raphael": ["Raphael (Raffaello Sanzio or Santi)"], "Raphael (Raffaello Sanzio or Santi)": ["Raphael"],
    }  # not Mengs (born 245 years later), nor two Claudes
    listed = admin_client.get(reverse("admin:gallery_artist_changelist"), {"twins": "yes"}).content.decode()
    assert "Paul Cézanne" in listed and "Anton Raphael Mengs" not in listed and "Claude Monet" not in listed
    page = admin_client.get(reverse("admin:gallery_artist_change", args=[artists["Rembrandt"].pk])).content.decode()
    assert page.count('data-testid="twin"') == 2


def test_likely_twins_are_kept_until_an_artists_name_or_years_change():
    rembrandt, other = ArtistFactory(name="Rembrandt"), ArtistFactory(name="Harmensz van Rijn")
    with CaptureQueriesContext(connection) as first:
        assert artist_merge.likely_twins() == {}
    with CaptureQueriesContext(connection) as again:
        assert artist_merge.likely_twins() == {}
    assert len(again.captured_queries) == 1 < len(first.captured_queries)  # the fingerprint; the artists not read
    Artist.objects.filter(pk=other.pk).update(name="Rembrandt van Rijn")  # even behind the model's back
    assert artist_merge.likely_twins() == {rembrandt.pk: [other.pk], other.pk: [rembrandt.pk]}
    assert [twin.name for twin in artist_merge.twins_of(rembrandt)] == ["Rembrandt van Rijn"]
    rembrandt.birth_year, rembrandt.death_year = 1606, 1669
    rembrandt.save()
    Artist.objects.filter(pk=other.pk).update(birth_year=1706)
    assert artist_merge.likely_twins() == {} and artist_merge.twins_of(rembrandt) == []
