"""Train the visual-word vocabulary that detail search shortlists with (gallery/visual_words.py) from a folder of images.

    manage.py train_visual_words IMAGE_DIR [--out PATH] [--descriptors N] [--branching B] [--seed S]

The shipped vocabulary came from `manage.py train_visual_words ../shared/datasets/met-sample/images` (the defaults,
about a minute). Writing it anew changes every word id: the periodic sweep then recomputes each work's words from its
stored keypoints (no image is read again), and detail search shortlists by vector alone until it has.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from PIL import Image
from tqdm import tqdm

from gallery import images, keypoints, visual_words

PICTURE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff"}


class Command(BaseCommand):
    help = __doc__.strip().splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("image_dir", type=Path)
        parser.add_argument("--out", type=Path, default=visual_words.VOCABULARY_PATH)
        parser.add_argument("--descriptors", type=int, default=200_000, help="descriptors sampled for training")
        parser.add_argument("--branching", type=int, default=visual_words.BRANCHING,
                            help="centres, and leaves per centre (the product needs the default)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, image_dir: Path, out: Path, descriptors: int, branching: int, seed: int,
               verbosity: int, **options):
        paths = sorted(path for path in image_dir.rglob("*") if path.suffix.lower() in PICTURE_SUFFIXES)
        if not paths:
            raise CommandError(f"No images in {image_dir}.")
        found, skipped = [], 0
        for path in tqdm(paths, unit="img", desc="Keypoints", disable=verbosity == 0, file=self.stderr):
            try:
                with open(path, "rb") as handle:
                    picture = images.open_for_encoding(handle)
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
                skipped += 1  # not a picture (a sample's HTML error page, say): nothing to learn from
                continue
            found.append(keypoints.extract(picture, features=settings.GALLERY_KEYPOINTS or 700).descriptors)
        sample = np.concatenate(found) if found else np.zeros((0, visual_words.DESCRIPTOR_BYTES), np.uint8)
        rng = np.random.default_rng(seed)
        if len(sample) > descriptors:
            sample = sample[np.sort(rng.choice(len(sample), descriptors, replace=False))]
        try:
            vocabulary = visual_words.train(sample, branching=branching, seed=seed)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        vocabulary.save(out)
        self.stdout.write(self.style.SUCCESS(
            f"Wrote a vocabulary of {vocabulary.size} words to {out}, from {len(sample)} descriptors of "
            f"{len(found)} images ({skipped} unreadable skipped)."))
