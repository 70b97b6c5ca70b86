"""How the works' and regions' vectors are indexed: full `vector`, half-precision `halfvec`, or `binary` + re-rank.

The column always keeps the full 512-d float32 vector (every stored vector survives a change of kind); only the
HNSW index, and the expression a search orders by so that PostgreSQL uses it, change with GALLERY_VECTOR_INDEX:

- "vector": HNSW on the column itself (the index holds 2 KB a row).
- "halfvec": HNSW on `embedding::halfvec(512)`, half the index for the same graph; distances in half precision.
- "binary": HNSW on `binary_quantize(embedding)::bit(512)` (64 bytes a row) by Hamming distance, whose nearest
  GALLERY_VECTOR_RERANK × depth rows are then re-ranked by the full vector's cosine. The smallest and fastest to
  build, but the least accurate: bench/README.md "Compact vectors" measures what it loses.

`manage.py vector_index` builds the configured kind's indexes and drops the others; SQL here is shared with it, the
migration and the benchmark, so all three measure and build the very expressions the searches order by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Func, Value
from django.db.models.functions import Cast
from pgvector import HalfVector, Vector
from pgvector.django import CosineDistance, HalfVectorField, HammingDistance, VectorField

from gallery.clip import EMBEDDING_DIM

KINDS = ("vector", "halfvec", "binary")
# HNSW build parameters of every index; see bench/README.md for the recall/latency measurements behind them.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64


@dataclass(frozen=True)
class IndexedTable:
    """A table whose `embedding` column a kind's HNSW index covers, and the index's name for each kind."""

    table: str
    base_name: str  # the name of the "vector" kind's index, as the first migrations created it

    def index_name(self, kind: str) -> str:
        return self.base_name if kind == "vector" else self.base_name.replace("_hnsw", f"_{kind}_hnsw")


ARTWORKS = IndexedTable("gallery_artwork", "artwork_embedding_hnsw")
REGIONS = IndexedTable("gallery_artworkregion", "artwork_region_embedding_hnsw")
TABLES = (ARTWORKS, REGIONS)


def configured_kind() -> str:
    kind = settings.GALLERY_VECTOR_INDEX
    if kind not in KINDS:
        raise ValueError(f"GALLERY_VECTOR_INDEX must be one of {', '.join(KINDS)}, not {kind!r}")
    return kind


def index_expression(kind: str, column: str = "embedding") -> str:
    """What the index of `kind` holds for each row, as SQL."""
    return {"vector": f"({column}) vector_cosine_ops",
            "halfvec": f"(({column})::halfvec({EMBEDDING_DIM})) halfvec_cosine_ops",
            "binary": f"((binary_quantize({column})::bit({EMBEDDING_DIM}))) bit_hamming_ops"}[kind]


def create_index_sql(kind: str, table: str, name: str, *, concurrently: bool = False, m: int = HNSW_M,
                     ef_construction: int = HNSW_EF_CONSTRUCTION) -> str:
    return (f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}IF NOT EXISTS {name} ON {table} USING hnsw "
            f"({index_expression(kind)}) WITH (m = {m}, ef_construction = {ef_construction})")


def order_sql(kind: str, column: str = "embedding", placeholder: str = "%s") -> str:
    """The ORDER BY expression that the index of `kind` serves (binary: the candidates' order, before re-ranking)."""
    return {"vector": f"{column} <=> {placeholder}::vector",
            "halfvec": f"{column}::halfvec({EMBEDDING_DIM}) <=> {placeholder}::halfvec({EMBEDDING_DIM})",
            "binary": f"binary_quantize({column})::bit({EMBEDDING_DIM}) <~> binary_quantize({placeholder}::vector)"
            }[kind]


class _BinaryQuantize(Func):
    function = "binary_quantize"
    template = f"%(function)s(%(expressions)s)::bit({EMBEDDING_DIM})"


def index_distance(vector: Sequence[float], kind: str, field: str = "embedding"):
    """The ORM expression a search orders by to use the index of `kind` (binary: Hamming, for the candidates)."""
    if kind == "halfvec":
        return CosineDistance(Cast(field, HalfVectorField(dimensions=EMBEDDING_DIM)), HalfVector(vector))
    if kind == "binary":
        query = _BinaryQuantize(Cast(Value(Vector(vector).to_text()), VectorField(dimensions=EMBEDDING_DIM)))
        return HammingDistance(_BinaryQuantize(field), query)
    return CosineDistance(field, vector)


def rerank_depth(depth: int) -> int:
    """How many binary candidates a search re-ranks by the full vector to return `depth` rows."""
    return max(settings.GALLERY_VECTOR_RERANK * depth, settings.GALLERY_VECTOR_RERANK_MIN)
