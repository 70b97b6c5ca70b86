"""`manage.py backup` and `restore`: a round trip onto an empty deployment (a new database migrated as `make run`
does, an empty media folder) brings back every row, vector and file; a damaged archive or a deployment that holds
artworks is refused before anything is written."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from gallery import vector_index
from gallery.models import Artwork
from gallery.services import ingest
from tests.factories import ArtistFactory
from tests.helpers import BASE_DIR, database_url_for, image_upload, subprocess_env

pytestmark = pytest.mark.slow

ROWS_SQL = {
    "artworks": "SELECT id, artist_id, title, status, embedding::text, embedding_model, image, thumbnail, published "
                "FROM gallery_artwork ORDER BY id",
    "artists": "SELECT id, name, slug, bio FROM gallery_artist ORDER BY id",
    "regions": "SELECT artwork_id, x, y, w, h, embedding::text FROM gallery_artworkregion ORDER BY id",
    "keypoints": "SELECT artwork_id, md5(data), words::text, vocabulary FROM gallery_artworkkeypoints "
                 "ORDER BY artwork_id",
}


def _rows(cursor) -> dict[str, list]:
    found = {}
    for name, sql in ROWS_SQL.items():
        cursor.execute(sql)
        found[name] = cursor.fetchall()
    return found


def _files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture
def collection(transactional_db, clip_encoder, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    artist = ArtistFactory(name="Backed-up Painter", bio="A painter worth keeping.")
    works = [ingest.artwork_create(artist=artist, title=f"Work {n}", image=image_upload(seed=n, size=(480, 320)),
                                   enqueue=False) for n in range(4)]
    ingest.artworks_embed(artwork_ids=[work.pk for work in works], encoder=clip_encoder)
    return works


@pytest.fixture
def empty_database(transactional_db):
    name = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=BASE_DIR, capture_output=True, text=True,
                          timeout=300)


def test_a_backup_restores_onto_an_empty_deployment_with_every_row_vector_and_file(collection, empty_database,
                                                                                  tmp_path):
    archive = tmp_path / "backups" / "site.tar"
    call_command("backup", str(archive), verbosity=0)
    assert archive.is_file() and not archive.with_name("site.tar.partial").exists()

    restored_media = tmp_path / "restored-media"
    env = subprocess_env(DATABASE_URL=database_url_for(empty_database), DJANGO_MEDIA_ROOT=str(restored_media))
    assert _manage("migrate", "--no-input", env=env).returncode == 0  # what `make run` does on a new machine
    result = _manage("restore", str(archive), env=env)
    assert result.returncode == 0, result.stderr
    assert "Restored 4 artworks, 1 artists" in result.stdout

    with connection.cursor() as cursor:
        original = _rows(cursor)
    with psycopg.connect(database_url_for(empty_database)) as restored, restored.cursor() as cursor:
        assert _rows(cursor) == original
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname IN (%s, 'artwork_keypoints_words_hnsw')",
                       [vector_index.ARTWORKS.index_name(vector_index.configured_kind())])
        assert cursor.fetchone()[0] == 2  # the vector indexes come back too
    assert len(original["artworks"]) == 4 and all(row[4] for row in original["artworks"])  # vectors, not nulls
    files = _files(tmp_path / "media")
    assert files and _files(restored_media) == files  # originals and thumbnails, byte for byte
    assert {Path(row[7]).name for row in original["artworks"]} <= {Path(name).name for name in files}

    again = _manage("restore", str(archive), env=env)  # the deployment is no longer empty: refused
    assert again.returncode != 0 and "already holds artworks" in again.stderr


@pytest.mark.parametrize("spoiled", [".jpg", ".dump"])  # a picture, the database
def test_a_damaged_archive_is_refused_before_anything_is_written(collection, tmp_path, settings, spoiled):
    archive = tmp_path / "site.tar"
    call_command("backup", str(archive), verbosity=0)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.endswith(spoiled):
                data = data[:-10] + b"0123456789"  # a flipped tail, same size
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    Artwork.objects.all().delete()  # an empty deployment, so only the damage can stop the restore
    settings.MEDIA_ROOT = tmp_path / "elsewhere"
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("restore", str(damaged), verbosity=0)
    assert not (tmp_path / "elsewhere").exists() and not Artwork.objects.exists()
    with pytest.raises(CommandError, match="not a backup archive"):
        (tmp_path / "junk.tar").write_bytes(b"not a tar file at all")
        call_command("restore", str(tmp_path / "junk.tar"), verbosity=0)
