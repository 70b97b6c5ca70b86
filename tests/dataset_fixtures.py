"""Small collections in the Kaggle layout, built per test from the real shared images (never copied into the repo)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from tests.helpers import DATASET


def build_collection(root: Path, *, folders: dict[str, int], extra_csv_rows: int = 0) -> Path:
    """artists.csv restricted to the chosen artists, plus the first N images of each folder.

    `folders` maps a folder name to write (it may be a misspelling such as the Kaggle mojibake `Albrecht_Du╠êrer`)
    to the number of images; images are taken from the shared folder with the same folded name.
    """
    from gallery.kaggle import name_key

    shared_by_key = {name_key(p.name): p for p in (DATASET / "images").iterdir()}
    with open(DATASET / "artists.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    wanted = {name_key(folder) for folder in folders}
    kept = [row for row in rows if name_key(row["name"]) in wanted] + [
        row for row in rows if name_key(row["name"]) not in wanted][:extra_csv_rows]
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "artists.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    for folder, count in folders.items():
        source = shared_by_key[name_key(folder)]
        target = root / "images" / folder
        target.mkdir(parents=True)
        for path in sorted(source.iterdir())[:count]:
            shutil.copy(path, target / path.name.replace(source.name, folder))
    return root
