"""Paths the restructure retired still work for one release, with a FutureWarning that names the new one.

Deployments name these in settings (GALLERY_ENCODER, STORAGES), which Django resolves with import_string.
"""

from __future__ import annotations

import sys

import pytest
from django.utils.module_loading import import_string

from gallery import clip
from gallery.clip import ClipEncoder
from tests.gallery.clip.helpers import UNTRAINED_ID, assert_unit_rows


def test_gallery_embeddings_clip_encoder_still_builds_the_encoder(clip_settings, monkeypatch):
    # The warning is given once, on import: a module left by an earlier test would hide it.
    monkeypatch.delitem(sys.modules, "gallery.embeddings", raising=False)
    clip_settings.GALLERY_ENCODER = "gallery.embeddings.ClipEncoder"
    clip_settings.CLIP_PRETRAINED = "untrained"
    clip_settings.CLIP_PRECISION = "fp32"

    with pytest.warns(FutureWarning, match=r"GALLERY_ENCODER=gallery\.clip\.ClipEncoder"):
        encoder = clip.get_encoder()

    assert type(encoder) is ClipEncoder and encoder.model_id == UNTRAINED_ID
    assert_unit_rows(encoder.encode_texts(["a quiet harbour at dawn"]), 1)


def test_gallery_storage_cached_signed_url_storage_is_the_gcs_backend():
    from gallery.storage.gcs import CachedSignedUrlStorage

    with pytest.warns(FutureWarning, match=r"use gallery\.storage\.gcs\.CachedSignedUrlStorage"):
        assert import_string("gallery.storage.CachedSignedUrlStorage") is CachedSignedUrlStorage


def test_gallery_local_storage_is_the_local_backend(monkeypatch):
    from gallery.storage.local import MediaFileSystemStorage

    monkeypatch.delitem(sys.modules, "gallery.local_storage", raising=False)
    with pytest.warns(FutureWarning, match=r"use gallery\.storage\.local\.MediaFileSystemStorage"):
        assert import_string("gallery.local_storage.MediaFileSystemStorage") is MediaFileSystemStorage
