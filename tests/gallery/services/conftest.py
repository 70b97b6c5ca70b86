"""Fixtures of the service tests; the functions they share are in helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import DATASET


def _dataset_paintings(count: int) -> list[Path]:
    folders = sorted((DATASET / "images").iterdir())
    return [sorted(folder.iterdir())[n // len(folders)] for n, folder in zip(range(count), folders * 3)]


@pytest.fixture
def dataset_artworks(clip_encoder):
    """30 paintings of the shared dataset, one artist after another, stored and embedded by the session's encoder."""
    from django.core.files import File

    from gallery.models import Artist
    from gallery.services import ingest

    artists = {}
    artworks = []
    for path in _dataset_paintings(30):
        name = path.parent.name.replace("_", " ")
        artists.setdefault(name, Artist.objects.create(name=name))
        with open(path, "rb") as handle:
            artworks.append(ingest.artwork_create(artist=artists[name], title=path.stem,
                                                  image=File(handle, name=path.name), enqueue=False))
    ingest.artworks_embed(artwork_ids=[a.pk for a in artworks], encoder=clip_encoder)
    return artworks

