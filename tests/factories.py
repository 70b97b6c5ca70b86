import factory
from factory.django import DjangoModelFactory

from gallery.models import Artist


class ArtistFactory(DjangoModelFactory):
    class Meta:
        model = Artist
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Test Painter {n}")
    birth_year = 1853
    death_year = 1890
    genres = ["Post-Impressionism"]
    nationality = "Dutch"
    bio = "A painter made up for the tests."
    wikipedia_url = "http://en.wikipedia.org/wiki/Test_Painter"
