"""An export's image file named by one of its records, found only where the export keeps its images."""

from __future__ import annotations

import os
from pathlib import Path


def file_within(folder: Path, name: str) -> Path | None:
    """`folder / name` when it names a file inside `folder`, else None: a name that climbs out (`../`, an absolute
    path), one the system cannot look up (too long, a NUL) or no file at all. A record names its image; it must not
    reach the rest of the server's disk, nor stop the import of the other records. (Links inside the folder are
    followed: they are the operator's, and an admin import's folders are the worker's own, with none.)"""
    root = Path(os.path.normpath(folder))
    path = Path(os.path.normpath(root / name))
    try:
        return path if path.is_relative_to(root) and path.is_file() else None
    except (OSError, ValueError):  # ENAMETOOLONG, ELOOP, "embedded null byte"
        return None
