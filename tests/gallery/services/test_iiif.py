"""gallery.services.iiif: deep-zoom tile sets in the media storage (the local folder, and a GCS bucket on the
emulator), made from the stored original, replaced with a new picture, deleted with the artwork."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from PIL import Image

from gallery import iiif_tiles, tasks
from gallery.models import Artwork
from gallery.services import iiif, ingest
from tests.gcs import object_names
from tests.helpers import image_upload, make_image_bytes

pytestmark = pytest.mark.django_db


def tile_set(tmp_path, folder: str) -> set[str]:
    root = tmp_path / "media" / folder
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def artwork(artist):
    return ingest.artwork_create(artist=artist, title="Wheat Field", image=image_upload(seed=1, size=(1200, 900)),
                                 enqueue=False)


def test_the_worker_writes_the_tiles_and_info_json_under_the_picture_hash(artwork, tmp_path):
    assert iiif.artwork_service_url(artwork) is None  # nothing before the worker has run
    written = iiif.artwork_tiles_make(artwork=artwork)
    folder = f"iiif/{artwork.pk}/{artwork.image_sha256[:16]}"
    assert iiif.tiles_folder(artwork) == folder
    files = tile_set(tmp_path, folder)
    assert written == len(files) == len(iiif_tiles.tile_files(1200, 900)) + 1
    info = json.loads((tmp_path / "media" / folder / "info.json").read_text())
    # Local media: the path Django serves the tiles under (gallery/iiif_views.py adds the host).
    assert info["id"] == f"/{folder}"
    assert (info["width"], info["height"], info["profile"]) == (1200, 900, "level0")
    assert iiif.artwork_service_url(artwork) == f"/{folder}"
    # Tiled from the stored original itself, at full resolution.
    tile = Image.open(tmp_path / "media" / folder / "512,512,512,388" / "512,388" / "0" / "default.jpg")
    assert tile.size == (512, 388)


def test_making_them_again_writes_nothing(artwork):
    assert iiif.artwork_tiles_make(artwork=artwork) > 0
    assert iiif.artwork_tiles_make(artwork=artwork) == 0


def test_a_new_picture_gets_a_new_folder_and_the_old_one_goes(artwork, tmp_path):
    iiif.artwork_tiles_make(artwork=artwork)
    old = iiif.tiles_folder(artwork)
    ingest.artwork_store(artwork=artwork, image=image_upload(seed=2, size=(800, 1000)), enqueue=False)
    new = iiif.tiles_folder(artwork)
    assert new != old and iiif.artwork_service_url(artwork) is None  # the page falls back to the plain picture
    iiif.artwork_tiles_make(artwork=artwork)
    assert not (tmp_path / "media" / old).exists()
    assert json.loads((tmp_path / "media" / new / "info.json").read_text())["width"] == 800
    assert iiif.artwork_service_url(artwork) == f"/{new}"


def test_tiles_of_a_picture_replaced_while_tiling_are_not_kept(artwork, tmp_path):
    stale = Artwork.objects.get(pk=artwork.pk)  # what a worker read before the curator's change
    ingest.artwork_store(artwork=artwork, image=image_upload(seed=3, size=(700, 700)), enqueue=False)
    iiif.artwork_tiles_make(artwork=artwork)
    iiif.artwork_tiles_make(artwork=stale)  # finishes last
    assert not (tmp_path / "media" / iiif.tiles_folder(stale)).exists()
    assert (tmp_path / "media" / iiif.tiles_folder(artwork) / "info.json").exists()


def test_deleting_the_artwork_queues_the_deletion_of_its_tiles(artwork, tmp_path, broker_queue,
                                                               django_capture_on_commit_callbacks):
    iiif.artwork_tiles_make(artwork=artwork)
    pk, folder = artwork.pk, iiif.tiles_folder(artwork)
    with django_capture_on_commit_callbacks(execute=True):
        artwork.delete()
    assert {"task": "gallery.tasks.artwork_tiles_delete", "args": [pk]} in broker_queue.messages()
    assert tasks.artwork_tiles_delete(pk) == 1  # what the worker then runs
    assert not (tmp_path / "media" / "iiif" / str(pk)).exists()
    assert not iiif.tiles_exist(folder)


def test_embedding_queues_the_tiles(artwork, broker_queue, clip_encoder):
    tasks.artworks_embed([artwork.pk])
    assert {"task": "gallery.tasks.artwork_tiles_make", "args": [artwork.pk]} in broker_queue.messages()


def test_the_task_tiles_and_gives_up_quietly_without_a_picture(artwork, tmp_path):
    assert tasks.artwork_tiles_make(artwork.pk) > 0
    assert tasks.artwork_tiles_make(987654321) == 0  # deleted before the worker got to it
    artwork.image.storage.delete(artwork.image.name)
    Artwork.objects.filter(pk=artwork.pk).update(image_sha256="f" * 64)  # a new picture whose file went missing
    assert tasks.artwork_tiles_make(artwork.pk) == 0
    artwork.image.storage.save(artwork.image.name, ContentFile(b"not an image at all"))
    assert tasks.artwork_tiles_make(artwork.pk) == 0  # undecodable: no retry, nothing written
    assert not (tmp_path / "media" / f"iiif/{artwork.pk}/{'f' * 16}").exists()


def test_artworks_without_tiles(artwork, artist):
    other = ingest.artwork_create(artist=artist, title="Other", image=image_upload(seed=9), enqueue=False)
    iiif.artwork_tiles_make(artwork=artwork)
    assert iiif.artworks_without_tiles(Artwork.objects.all()) == [other.pk]


def test_in_a_bucket_the_tiles_are_objects_served_from_it_and_deleted_one_by_one(gcs_media, artist):
    artwork = ingest.artwork_create(artist=artist, title="In the bucket",
                                    image=image_upload(seed=4, size=(1100, 600)), enqueue=False)
    iiif.artwork_tiles_make(artwork=artwork)
    folder = iiif.tiles_folder(artwork)
    tiles = {name for name in object_names(gcs_media) if name.startswith("iiif/")}
    assert tiles == {f"{folder}/{tile.name}" for tile in iiif_tiles.tile_files(1100, 600)} | {f"{folder}/info.json"}
    info = json.loads(gcs_media.blob(f"{folder}/info.json").download_as_bytes())
    assert info["id"].endswith(f"/{gcs_media.name}/{folder}") and info["id"].startswith("http")  # absolute
    tile = gcs_media.blob(f"{folder}/512,0,512,512/512,512/0/default.jpg").download_as_bytes()
    assert Image.open(io.BytesIO(tile)).size == (512, 512)
    ingest.artwork_store(artwork=artwork, image=ContentFile(make_image_bytes(seed=5, size=(300, 200)), "b.jpg"),
                         enqueue=False)
    iiif.artwork_tiles_make(artwork=artwork)
    assert {name for name in object_names(gcs_media) if name.startswith("iiif/")} == {
        f"{iiif.tiles_folder(artwork)}/{name}" for name in ("info.json", "full/max/0/default.jpg",
                                                            "full/300,200/0/default.jpg")}
    assert iiif.artwork_tiles_delete(artwork_id=artwork.pk) == 1
    assert not any(name.startswith("iiif/") for name in object_names(gcs_media))


def test_a_storage_that_signs_urls_offers_no_tile_service():
    class Signing(Storage):  # a private bucket: each URL carries its own signature, which a IIIF client cannot make
        def url(self, name):
            return f"https://storage.example/{name}?X-Goog-Signature=abc"

    assert iiif.service_url("iiif/1/0123456789abcdef", Signing()) is None
    assert iiif.service_url("iiif/1/0123456789abcdef") == "/iiif/1/0123456789abcdef"  # local: served by Django
