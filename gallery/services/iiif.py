"""Deep-zoom tiles: each artwork's static IIIF Image API service (gallery/iiif_tiles.py), kept in the media storage.

A tile set lives under iiif/<artwork pk>/<sha256[:16] of the image>/: a new picture gets a new folder, so a browser or
CDN never mixes tiles of two pictures, and the old folder is deleted once the new one is whole. info.json is written
last, so its presence means the set is complete: that is how pages and manifests know an artwork has tiles (no
database column).
"""

from __future__ import annotations

import io
import json
import logging
import shutil

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.urls import reverse
from PIL import Image, ImageOps

from gallery import iiif_tiles
from gallery.images import to_rgb
from gallery.models import Artwork

logger = logging.getLogger(__name__)

TILES_ROOT = "iiif"
_EXISTS_CACHE_SECONDS = 24 * 3600  # a folder's name changes with its picture: once whole, it stays whole


def tiles_folder(artwork: Artwork) -> str:
    return f"{TILES_ROOT}/{artwork.pk}/{artwork.image_sha256[:16]}"


def service_url(folder: str, storage: Storage = default_storage) -> str | None:
    """The URL the tile files of `folder` are served under: this site's /iiif/<pk>/<version> for local media (a path:
    the view adds the host; gallery/iiif_views.py), the bucket's own URL for a public bucket, or None when the
    storage signs every URL (a private bucket): a IIIF client builds tile URLs itself and cannot sign them."""
    if _is_local(storage):
        _, pk, version = folder.split("/")
        return reverse("gallery:iiif-image-info", args=[pk, version]).rsplit("/", 1)[0]
    url = storage.url(f"{folder}/{iiif_tiles.INFO_JSON}")
    suffix = "/" + iiif_tiles.INFO_JSON
    return url[:-len(suffix)] if url.endswith(suffix) and "?" not in url else None


def tiles_exist(folder: str, storage: Storage = default_storage) -> bool:
    """Whether the tile set in `folder` is whole. A yes is remembered (one storage request per folder a day)."""
    key = f"iiif-tiles:{folder}"
    if cache.get(key):
        return True
    found = storage.exists(f"{folder}/{iiif_tiles.INFO_JSON}")
    if found:
        cache.set(key, True, _EXISTS_CACHE_SECONDS)
    return found


def artwork_service_url(artwork: Artwork) -> str | None:
    """The artwork's tile service URL, or None while it has no tiles (or the storage signs URLs)."""
    folder = tiles_folder(artwork)
    url = service_url(folder)
    return url if url is not None and tiles_exist(folder) else None


def _open_upright(artwork: Artwork) -> Image.Image:
    """The stored original, decoded whole (not the reduced working copy: zooming shows every pixel), upright RGB."""
    with artwork.image.open("rb") as handle:
        data = io.BytesIO(handle.read())  # read first: a storage error is transient, a decoding error is not
    try:
        with Image.open(data) as image:
            return to_rgb(ImageOps.exif_transpose(image))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"The stored image of artwork {artwork.pk} cannot be decoded ({exc}).") from exc


def artwork_tiles_make(*, artwork: Artwork, storage: Storage = default_storage) -> int:
    """Write the tile set of the artwork's current picture, then its info.json, and delete the sets of its earlier
    pictures. Idempotent: does nothing but the clean-up when info.json is already there. Returns the files written.

    Storage errors propagate (the task retries them); a picture that no longer decodes raises ValueError.
    """
    folder = tiles_folder(artwork)
    written = 0
    if not storage.exists(f"{folder}/{iiif_tiles.INFO_JSON}"):
        image = _open_upright(artwork)
        for name, data in iiif_tiles.make_tiles(image):
            # Same name, same bytes: a rerun after a crash overwrites what it wrote before.
            _save(storage, f"{folder}/{name}", data)
            written += 1
        # Where the tiles are served from. A local path is relative: the view serving it adds the host. A storage
        # that signs URLs serves no tiles to IIIF clients; the set is made all the same, for when it does.
        service_id = service_url(folder, storage) or folder
        info = iiif_tiles.info(service_id, *image.size)
        _save(storage, f"{folder}/{iiif_tiles.INFO_JSON}", json.dumps(info).encode())
        written += 1
    # The picture may have changed, or the work been deleted, while we tiled: keep only the set of its picture now.
    current = Artwork.objects.filter(pk=artwork.pk).values_list("image_sha256", flat=True).first()
    keep = f"{TILES_ROOT}/{artwork.pk}/{current[:16]}" if current else ""
    artwork_tiles_delete(artwork_id=artwork.pk, keep=keep, storage=storage)
    return written


def _save(storage: Storage, name: str, data: bytes) -> None:
    if _is_local(storage) and storage.exists(name):
        storage.delete(name)  # FileSystemStorage would pick another name rather than overwrite
    storage.save(name, ContentFile(data))


def _is_local(storage: Storage) -> bool:
    try:
        storage.path("")
    except NotImplementedError:
        return False
    return True


def artwork_tiles_delete(*, artwork_id: int, keep: str = "", storage: Storage = default_storage) -> int:
    """Delete the artwork's tile sets, all of them or all but the folder `keep`. Returns how many sets."""
    root = f"{TILES_ROOT}/{artwork_id}"
    try:
        folders, _ = storage.listdir(root)
    except FileNotFoundError:  # the local storage, when the artwork never had tiles
        return 0
    stale = [f"{root}/{name}" for name in folders if f"{root}/{name}" != keep]
    for folder in stale:
        _delete_set(folder, storage)
    if not keep and _is_local(storage):
        shutil.rmtree(storage.path(root), ignore_errors=True)
    return len(stale)


def _delete_set(folder: str, storage: Storage) -> None:
    """Delete one tile set: info.json first, so that it stops counting as whole, then every file it names."""
    cache.delete(f"iiif-tiles:{folder}")
    if _is_local(storage):  # folders and all: FileSystemStorage.delete leaves the empty directories behind
        shutil.rmtree(storage.path(folder), ignore_errors=True)
        return
    info_name = f"{folder}/{iiif_tiles.INFO_JSON}"
    try:
        with storage.open(info_name, "rb") as handle:
            info = json.load(handle)
        names = [tile.name for tile in iiif_tiles.tile_files(info["width"], info["height"], info["tiles"][0]["width"])]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        # A set cut short before its info.json (or a foreign one): list what is there, folder by folder.
        names = list(_walk(storage, folder))
    storage.delete(info_name)
    for name in names:
        storage.delete(f"{folder}/{name}")


def _walk(storage: Storage, folder: str, prefix: str = ""):
    folders, files = storage.listdir(f"{folder}/{prefix}".rstrip("/"))
    for name in files:
        yield f"{prefix}{name}"
    for name in folders:
        yield from _walk(storage, folder, f"{prefix}{name}/")


def artworks_without_tiles(queryset) -> list[int]:
    """The ids of the given artworks whose current picture has no whole tile set (one storage request each)."""
    return [artwork.pk for artwork in queryset.only("pk", "image_sha256") if not tiles_exist(tiles_folder(artwork))]
