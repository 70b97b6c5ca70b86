"""The two ingest baselines of issue 7, frozen here so later product changes cannot speed them up.

Both store every artwork through the product's own `ingest.artwork_create` (read, decode, hash, thumbnail, row), so
they differ from the product only in how vectors are computed and written:

- `import_batch32`: the pre-optimisation `import_artworks --sync`: rows first, then every 32 rows
  `ingest.artworks_embed` re-opens the images and encodes them with naive open_clip (fp32, batch 32).
- `import_one_at_a_time`: the original tutorial's loop: per image, preprocess, encode a batch of one in fp32 and
  write its vector before the next image is touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from django.core.files import File
from PIL import Image

from gallery import kaggle
from gallery.clip import BaseEncoder, ClipEncoder
from gallery.clip.weights import UNTRAINED
from gallery.models import Artwork
from gallery.services import importer, ingest

BATCH = 32


class NaiveOpenClip(BaseEncoder):
    """open_clip as its README uses it: the fp32 model, preprocess per image, encode_image in batches of 32. A
    BaseEncoder, so the product's embedding job (which also derives regions and keypoints) can call it."""

    def __init__(self) -> None:
        self.model, self.preprocess, self.model_id = ClipEncoder._load("ViT-B-32", UNTRAINED)
        self.model.eval()
        self.is_pretrained = False

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        import torch

        rows = []
        with torch.no_grad():
            for start in range(0, len(images), BATCH):
                pixels = torch.stack([self.preprocess(image) for image in images[start : start + BATCH]])
                rows.append(self.model.encode_image(pixels).numpy())
        rows = np.concatenate(rows)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError("the ingest baselines embed images only")


def _artists(root: Path):
    report = importer.ImportReport()
    return importer.artists_upsert(records=kaggle.read_artists_csv(root / "artists.csv"), report=report), report


def _create(path: Path, folder: str, artists, report) -> Artwork:
    artist = importer._artist_for_folder(folder, artists, report)
    image_file = kaggle.ImageFile(path=path, folder=folder, number=kaggle._number(path))
    with open(path, "rb") as handle:
        return ingest.artwork_create(artist=artist, title=kaggle.title_for(artist.name, image_file),
                                     image=File(handle, name=path.name), enqueue=False)


def import_batch32(root: Path, files: list[kaggle.ImageFile], encoder: NaiveOpenClip) -> int:
    """Rows first, then ingest.artworks_embed on every 32 new rows with the naive fp32 encoder."""
    artists, report = _artists(root)
    batch: list[int] = []
    embedded = 0
    for image_file in files:
        batch.append(_create(image_file.path, image_file.folder, artists, report).pk)
        if len(batch) == BATCH:
            embedded += ingest.artworks_embed(artwork_ids=batch, encoder=encoder)["embedded"]
            batch = []
    if batch:
        embedded += ingest.artworks_embed(artwork_ids=batch, encoder=encoder)["embedded"]
    return embedded


def import_one_at_a_time(root: Path, files: list[kaggle.ImageFile], encoder: NaiveOpenClip) -> int:
    """The tutorial loop: for each image, encode it alone in fp32 and store its row and vector."""
    import torch

    artists, report = _artists(root)
    for image_file in files:
        image = Image.open(image_file.path).convert("RGB")
        with torch.no_grad():
            vector = encoder.model.encode_image(encoder.preprocess(image).unsqueeze(0))[0].numpy()
        artwork = _create(image_file.path, image_file.folder, artists, report)
        Artwork.objects.filter(pk=artwork.pk).update(embedding=(vector / np.linalg.norm(vector)).tolist(),
                                                     embedding_model=encoder.model_id, status=Artwork.Status.READY)
    return len(files)
