"""Reading the Kaggle "Best Artworks of All Time" layout: artists.csv and images/<Artist_Name>/<Artist_Name>_<N>.jpg.

Pure parsing, no database: the import service decides what to store.
"""

from __future__ import annotations

import csv
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

KAGGLE_DATASET = "ikarus777/best-artworks-of-all-time"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
_YEARS = re.compile(r"(\d{3,4})\s*[-–—]\s*(\d{3,4})")


def name_key(name: str) -> str:
    """A folder or CSV name folded for matching: mojibake repaired, accents dropped, `_` = space, case-free.

    The Kaggle archive's folder `Albrecht_Du╠êrer` is UTF-8 bytes of a decomposed "ü" read as cp437; the CSV says
    `Albrecht Dürer`; the shared copy says `Albrecht_Durer`. All three give "albrecht durer".
    """
    try:
        name = name.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass  # not cp437 mojibake: keep it as it is
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\s_]+", " ", ascii_name).strip().casefold()


@dataclass(frozen=True)
class ArtistRecord:
    name: str
    birth_year: int | None
    death_year: int | None
    genres: list[str] = field(default_factory=list)
    nationality: str = ""
    bio: str = ""
    wikipedia_url: str = ""


def parse_years(text: str) -> tuple[int | None, int | None]:
    """"1884 - 1920" or "1853 – 1890" -> (1884, 1920); anything else -> (None, None)."""
    match = _YEARS.search(text or "")
    return (int(match[1]), int(match[2])) if match else (None, None)


def read_artists_csv(path: Path) -> list[ArtistRecord]:
    """Rows of artists.csv (columns id,name,years,genre,nationality,bio,wikipedia,paintings)."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    missing = {"name", "years", "genre", "nationality", "bio", "wikipedia"} - set(rows[0] if rows else {})
    if missing:
        raise ValueError(f"{path} is not a Best-Artworks artists.csv: missing columns {sorted(missing)}")
    records = []
    for row in rows:
        birth, death = parse_years(row["years"])
        records.append(ArtistRecord(
            name=row["name"].strip(), birth_year=birth, death_year=death,
            genres=[genre.strip() for genre in row["genre"].split(",") if genre.strip()],
            nationality=row["nationality"].strip(), bio=row["bio"].strip(), wikipedia_url=row["wikipedia"].strip()))
    return records


@dataclass(frozen=True)
class ImageFile:
    path: Path
    folder: str  # the artist folder's name as it is on disk
    number: str  # <N> from <Artist_Name>_<N>.jpg, or the file's stem when it has no number


def find_images_dir(root: Path) -> Path:
    """The folder holding one sub-folder per artist (the Kaggle zip nests it as images/images/)."""
    for candidate in (root / "images" / "images", root / "images", root):
        if candidate.is_dir() and any(child.is_dir() for child in candidate.iterdir()):
            return candidate
    raise FileNotFoundError(f"No artist folders found under {root} (expected images/<Artist_Name>/...)")


def iter_images(images_dir: Path) -> Iterator[ImageFile]:
    """Image files taking one per artist in turn, in a stable order, so `--limit 100` spreads over all artists."""
    per_folder = []
    for folder in sorted(p for p in images_dir.iterdir() if p.is_dir()):
        files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        per_folder.append([ImageFile(path=path, folder=folder.name, number=_number(path))
                           for path in sorted(files, key=_natural_key)])
    for round_ in itertools.zip_longest(*per_folder):
        yield from (image for image in round_ if image is not None)


def _number(path: Path) -> str:
    return path.stem.rsplit("_", 1)[-1] if "_" in path.stem else path.stem


def _natural_key(path: Path) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name))


def title_for(artist_name: str, image: ImageFile) -> str:
    """The dataset has no titles: "Claude Monet, no. 36" names a work by its artist and Kaggle index."""
    return f"{artist_name}, no. {image.number}" if image.number.isdigit() else image.path.stem.replace("_", " ")
