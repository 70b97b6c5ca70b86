"""An export's image file named by one of its records, found only where the export keeps its images."""

from __future__ import annotations

from pathlib import Path


def file_within(folder: Path, name: str) -> Path | None:
    """`folder / name` when it is a file inside `folder`, else None: a name that climbs out (`../`, an absolute
    path, a link that points elsewhere), one the system cannot look up (too long, a NUL) or no file at all. A record
    names its image; it must not reach the rest of the server's disk, nor stop the import of the other records."""
    try:
        root = folder.resolve()
        path = (root / name).resolve()
        return path if path.is_relative_to(root) and path.is_file() else None
    except (OSError, ValueError):  # ENAMETOOLONG, ELOOP, "embedded null byte"
        return None
