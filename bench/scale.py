"""Synthetic gallery rows for the search benchmarks at 10k to 1M artworks, clearly labelled as such.

Every row is READY with a synthetic vector (bench/vectors.py, "clustered") from the product encoder's model id, a
random perceptual hash, and the same placeholder image and thumbnail file. Artists are synthetic too, 50 works each.
Each row's catalogue text (title, date, medium, classification, department, credit line, tags) is a real Met
work's, the shared sample's 1,000 in turn, and its search document is the product's for that text: so a search's
words match as often as they would in a museum's collection (a quarter of the works "Oil on canvas", two thirds
"Paintings"), not never. The vectors have nothing to do with the words.
Rows are COPYed with the HNSW and full-text indexes dropped, and both are rebuilt afterwards, the HNSW index of the
configured kind (GALLERY_VECTOR_INDEX) with the product's parameters.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from PIL import Image, ImageDraw

from bench import db
from bench.ingest import reset_gallery
from gallery import vector_index
from gallery.models import Artist, Artwork
from gallery.services import keywords
from gallery.sources.met import read_met_file
from gallery.sources.records import CatalogueRecord

logger = logging.getLogger(__name__)

PLACEHOLDER = "bench/placeholder.jpg"
WORKS_PER_ARTIST = 50
COLUMNS = ["created_at", "updated_at", "artist_id", "title", "image", "thumbnail", "width", "height",
           "image_sha256", "perceptual_hash", "embedding", "embedding_model", "status", "failure_reason",
           "date", "medium", "classification", "department", "credit_line", "tags"]
TYPES = ["timestamptz", "timestamptz", "int8", "text", "text", "text", "int4", "int4", "text", "text", "vector",
         "text", "text", "text", "text", "text", "text", "text", "text", "varchar[]"]
_COPY_TYPES = {"BooleanField": "bool", "ArrayField": "varchar[]", "CharField": "text", "TextField": "text",
               "URLField": "text"}
NO_CATALOGUE = ("", "", "", "", "", [])  # date, medium, classification, department, credit_line, tags
SEARCH_DOCUMENT_INDEX = "artwork_search_document_gin"
# The product's document (keywords._DOCUMENT_SQL) of every row at once: the parts of its Met work's text, folded as
# the product folds them, and its synthetic artist's name (plain ASCII, folded the same by to_tsvector). Row i (ids
# are 1..count after reset_gallery's RESTART IDENTITY) shows work (i - 1) mod the number of works.
_DOCUMENTS_SQL = f"""
    UPDATE {Artwork._meta.db_table} AS work SET search_document =
        setweight(to_tsvector('simple', parts.title), 'A')
        || setweight(to_tsvector('simple', artist.name || ' ' || artist.sort_name), 'B')
        || setweight(to_tsvector('simple', parts.what), 'C') || setweight(to_tsvector('simple', parts.rest), 'D')
    FROM bench_document_parts AS parts, {Artist._meta.db_table} AS artist
    WHERE parts.number = (work.id - 1) %% %s AND artist.id = work.artist_id"""


@dataclass(frozen=True)
class CatalogueText:
    """A real work's catalogue text as a synthetic row's columns, and the parts of its search document."""

    columns: tuple  # date, medium, classification, department, credit_line, tags (NO_CATALOGUE's order)
    title: str
    document: tuple[str, str, str]  # title, what it is, the rest: keywords.document_parts without the artist


def met_catalogue(objects: Path) -> list[CatalogueText]:
    """The catalogue text of every Met work in `objects` (the shared sample's objects.jsonl), in file order."""
    texts = []
    for record in read_met_file(objects):
        if isinstance(record, CatalogueRecord):
            columns = (record.date, record.medium, record.classification, record.department, record.credit_line,
                       record.tags)
            work = Artwork(title=record.title, date=record.date, medium=record.medium, tags=record.tags,
                           classification=record.classification, department=record.department,
                           credit_line=record.credit_line)
            title, _, what, rest = keywords.document_parts(work)
            texts.append(CatalogueText(columns=columns, title=record.title, document=(title, what, rest)))
    if not texts:
        raise ValueError(f"no Met works in {objects}")
    return texts


def _other_columns() -> list[tuple[str, str, object]]:
    """(column, COPY type, value) for the other NOT NULL columns: the catalogue record's, at their model defaults
    (empty text, published, rights unknown, no tags). Django keeps no database defaults for them, so COPY names them."""
    return [(field.column, _COPY_TYPES[field.get_internal_type()], field.get_default())
            for field in Artwork._meta.concrete_fields
            if not field.null and not field.primary_key and not field.generated and field.column not in COLUMNS
            and field.get_internal_type() in _COPY_TYPES]


def copy_plan() -> tuple[str, list[str], tuple]:
    """The binary COPY statement for synthetic artworks, its column types, and the values of the other columns."""
    others = _other_columns()
    columns = ", ".join([*COLUMNS, *(column for column, _, _ in others)])
    return (f"COPY {Artwork._meta.db_table} ({columns}) FROM STDIN WITH (FORMAT BINARY)",
            [*TYPES, *(kind for _, kind, _ in others)], tuple(value for _, _, value in others))


def _placeholder() -> str:
    """One grey 400x400 JPEG labelled "synthetic" that every synthetic row shows."""
    path = Path(settings.MEDIA_ROOT) / PLACEHOLDER
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        image = Image.new("RGB", (400, 400), (128, 128, 128))
        ImageDraw.Draw(image).text((150, 190), "synthetic", fill=(255, 255, 255))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85)
        path.write_bytes(buffer.getvalue())
    return PLACEHOLDER


def load(*, generator, count: int, model_id: str, catalogue: list[CatalogueText], seed: int = 21) -> dict:
    """Replace the gallery with `count` synthetic ready rows showing `catalogue`'s texts in turn, with their search
    documents, and rebuild the full-text and HNSW indexes; returns timings."""
    reset_gallery()
    placeholder = _placeholder()
    # A day old, as most of a real collection is: a near-duplicate lookup asks PostgreSQL about every row changed
    # since its process read every hash (gallery/services/hash_index.py), and would find all of these for a minute.
    now = datetime.now(UTC) - timedelta(days=1)
    artists = [Artist(name=f"Synthetic artist {number:05d}", slug=f"synthetic-artist-{number:05d}",
                      nationality="Synthetic", genres=["Synthetic"])
               for number in range(max(1, count // WORKS_PER_ARTIST))]
    artist_ids = [artist.pk for artist in Artist.objects.bulk_create(artists)]
    rng = np.random.default_rng(seed)
    with connection.cursor() as cursor:  # one build after the COPY beats 100k incremental inserts
        cursor.execute(f"DROP INDEX IF EXISTS {vector_index.ARTWORKS.index_name(vector_index.configured_kind())}")
        cursor.execute(f"DROP INDEX IF EXISTS {SEARCH_DOCUMENT_INDEX}")
    start = time.perf_counter()
    statement, types, other_values = copy_plan()
    with db.connect() as conn:
        with conn.cursor() as cur, cur.copy(statement) as copy:
            copy.set_types(types)
            number = 0
            for chunk in generator.chunks(count, seed=seed):
                for vector in chunk:
                    text = catalogue[number % len(catalogue)]
                    number += 1
                    copy.write_row((now, now, artist_ids[int(rng.integers(len(artist_ids)))], text.title,
                                    placeholder, placeholder, 400, 400,
                                    hashlib.sha256(f"synthetic-{number}".encode()).hexdigest(),
                                    rng.bytes(16).hex(), vector, model_id, Artwork.Status.READY, "", *text.columns,
                                    *other_values))
        conn.commit()
    copy_s = time.perf_counter() - start
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_document_parts (number int PRIMARY KEY, title text, what text, "
                       "rest text) ON COMMIT DROP")
        cursor.executemany("INSERT INTO bench_document_parts VALUES (%s, %s, %s, %s)",
                           [(number, *text.document) for number, text in enumerate(catalogue)])
        cursor.execute(_DOCUMENTS_SQL, [len(catalogue)])
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {SEARCH_DOCUMENT_INDEX} ON {Artwork._meta.db_table} "
                       "USING gin (search_document)")
        keywords.search_words_recount()  # the lexicon the product keeps beside the documents it writes
    documents_s = time.perf_counter() - start
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SET maintenance_work_mem = '{db.BUILD_MEMORY}'")
        cursor.execute("SET max_parallel_maintenance_workers = 1")
        kind = vector_index.configured_kind()
        cursor.execute(vector_index.create_index_sql(kind, Artwork._meta.db_table, vector_index.ARTWORKS.index_name(kind)))
        cursor.execute(f"VACUUM ANALYZE {Artwork._meta.db_table}")
        cursor.execute(f"VACUUM ANALYZE {Artist._meta.db_table}")
        cursor.execute("RESET maintenance_work_mem")
    index_s = time.perf_counter() - start
    logger.info("loaded %d synthetic rows: COPY %.1f s, search documents %.1f s, index %.1f s", count, copy_s,
                documents_s, index_s)
    return {"rows": count, "artists": len(artist_ids), "copy_s": copy_s, "documents_s": documents_s,
            "index_build_s": index_s}
