"""`manage.py iiif_tiles`: tiles for the works stored before deep zoom (or left without), queued or made at once."""

import io

import pytest
from django.core.management import call_command

from gallery.services import iiif, ingest
from tests.helpers import image_upload

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("iiif_tiles", *args, stdout=out)
    return out.getvalue()


def test_the_works_without_tiles_are_counted_queued_or_tiled(artist, broker_queue):
    works = [ingest.artwork_create(artist=artist, title=f"W{n}", image=image_upload(seed=n), enqueue=False)
             for n in range(3)]
    iiif.artwork_tiles_make(artwork=works[0])
    assert run("--dry-run") == "2 artworks have no tiles.\n"
    assert run() == "Queued the tiles of 2 artworks.\n"
    queued = [m["args"] for m in broker_queue.messages() if m["task"] == "gallery.tasks.artwork_tiles_make"]
    assert sorted(queued) == [[works[1].pk], [works[2].pk]]
    assert run("--sync") == "Made the tiles of 2 artworks.\n"
    assert all(iiif.artwork_service_url(work) for work in works)
    assert run("--dry-run") == "0 artworks have no tiles.\n"
