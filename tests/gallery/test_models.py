import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from gallery.models import Artist, Artwork
from gallery.services import ingest
from tests.helpers import image_upload

pytestmark = pytest.mark.django_db


def test_artist_name_is_unique(artist):
    with pytest.raises(IntegrityError), transaction.atomic():
        Artist.objects.create(name=artist.name, slug="another-slug")


def test_artist_years_display_and_slug():
    artist = Artist.objects.create(name="Amedeo Modigliani", birth_year=1884, death_year=1920)
    assert artist.years == "1884 - 1920"
    assert artist.slug == "amedeo-modigliani"
    assert Artist(name="Unknown").years == ""


def test_artist_life_dates_as_pages_show_them():
    assert Artist(name="a", birth_year=1853, death_year=1890).life_dates == "1853–1890"
    assert Artist(name="b", birth_year=1950).life_dates == "born 1950"
    assert Artist(name="c", death_year=1650).life_dates == "died 1650"
    assert Artist(name="d").life_dates == ""


@pytest.mark.parametrize(("bio_line", "shown"), [
    ("Dutch, 1853–1890", ""),  # says nothing the facts beside it do not
    ("Dutch 1853 - 1890", ""),
    ("Dutch, born 1853", ""),
    ("", ""),
    ("Dutch, Zundert 1853–1890 Auvers-sur-Oise", "Dutch, Zundert 1853–1890 Auvers-sur-Oise"),
    ("French, active 1700–1720", "French, active 1700–1720"),
])
def test_artist_bio_line_is_shown_when_it_adds_to_the_facts(bio_line, shown):
    artist = Artist(name="Vincent van Gogh", nationality="Dutch", birth_year=1853, death_year=1890, bio_line=bio_line)
    assert artist.bio_line_beyond_facts == shown


def test_artist_bio_line_is_all_there_is_without_facts():
    assert Artist(name="x", bio_line="Dutch, 1853–1890").bio_line_beyond_facts == "Dutch, 1853–1890"


def test_two_names_with_one_slug_get_two_pages():
    first, second = Artist.objects.create(name="Paul Cezanne"), Artist.objects.create(name="Paul Cézanne")
    third = Artist.objects.create(name="Paul  Cezanne")
    assert (first.slug, second.slug, third.slug) == ("paul-cezanne", "paul-cezanne-2", "paul-cezanne-3")
    assert Artist.objects.create(name="!!!").slug == "artist"


def test_artist_cannot_die_before_birth():
    with pytest.raises(IntegrityError), transaction.atomic():
        Artist.objects.create(name="Backwards", birth_year=1900, death_year=1800)


def test_same_image_file_is_never_stored_twice(artist):
    ingest.artwork_create(artist=artist, title="First", image=image_upload(seed=1))
    with pytest.raises(ValidationError, match="already in the collection"):
        ingest.artwork_create(artist=artist, title="Copy", image=image_upload(seed=1))
    assert Artwork.objects.count() == 1


def test_duplicate_hash_is_refused_by_the_database_too(artist):
    artwork = ingest.artwork_create(artist=artist, title="First", image=image_upload(seed=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Artwork.objects.create(artist=artist, title="Sneaky", image="x.jpg", image_sha256=artwork.image_sha256)


def test_ready_requires_an_embedding(artist):
    with pytest.raises(IntegrityError), transaction.atomic():
        Artwork.objects.create(artist=artist, title="No vector", image="x.jpg", image_sha256="0" * 64,
                               status=Artwork.Status.READY)


def test_created_artwork_has_thumbnail_dimensions_and_pending_status(artist):
    artwork = ingest.artwork_create(artist=artist, title="Irises", image=image_upload(seed=2, size=(640, 480)))
    artwork.refresh_from_db()
    assert (artwork.width, artwork.height) == (640, 480)
    assert artwork.status == Artwork.Status.PENDING and artwork.embedding is None
    assert artwork.image.name == f"artworks/{artwork.image_sha256[:2]}/{artwork.image_sha256}.jpg"
    assert max(artwork.thumbnail.width, artwork.thumbnail.height) <= 400
    assert len(artwork.perceptual_hash) == 32

