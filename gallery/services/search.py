"""Reads: turning a query into a vector and finding the nearest artworks of the active model. No side effects."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from PIL import Image

from gallery import images
from gallery.embeddings import Encoder, encode_query_text, get_encoder
from gallery.links import page_path
from gallery.models import Artist, Artwork
from gallery.services import query_cache

# Hamming distance (of 128 pHash+dHash bits) under which an upload is taken for a reproduction of a stored work.
# On the shared dataset, 95.7 % of 5 %-per-side crops saved at JPEG quality 70 fall within 28 bits of their original,
# and 0.2 % of them within 28 bits of some other work; 30 trades a little of the second for more of the first.
NEAR_DUPLICATE_MAX_BITS = 30
NEGATIVE_WEIGHT = 0.5  # how hard a "not: ..." phrase pushes away, relative to the positive query
MAX_RESULTS_DEPTH = 480  # pages beyond this are not offered: ef_search has to cover offset + k
EXACT_SEARCH_MAX_ROWS = 1000  # up to this many searchable works, a search compares every vector (exact, a few ms)
# Bits that differ between the stored hash and the query's, over its two 64-bit halves: XOR, then count.
_HAMMING_SQL = """bit_count(("gallery_artwork"."perceptual_hash_high" # %s)::bit(64))
                + bit_count(("gallery_artwork"."perceptual_hash_low" # %s)::bit(64))"""
_NEGATION = re.compile(r"\bnot:\s*", re.IGNORECASE)


class EmptyQuery(ValueError):
    """Neither a description nor an image was given."""


@dataclass(frozen=True)
class SearchFilters:
    artist: Artist | None = None
    genre: str = ""
    nationality: str = ""
    year_from: int | None = None
    year_to: int | None = None

    def apply(self, queryset: QuerySet) -> QuerySet:
        """Restrict artworks to these filters. A period keeps artists whose lifetime overlaps it."""
        if self.artist is not None:
            queryset = queryset.filter(artist=self.artist)
        if self.genre:
            queryset = queryset.filter(artist__genres__contains=[self.genre])
        if self.nationality:
            queryset = queryset.filter(artist__nationality__icontains=self.nationality)
        if self.year_from is not None:
            queryset = queryset.filter(Q(artist__death_year__gte=self.year_from) | Q(artist__death_year__isnull=True))
        if self.year_to is not None:
            queryset = queryset.filter(Q(artist__birth_year__lte=self.year_to) | Q(artist__birth_year__isnull=True))
        return queryset

    @property
    def active(self) -> bool:
        return any([self.artist, self.genre, self.nationality, self.year_from is not None, self.year_to is not None])


@dataclass(frozen=True)
class StripItem:
    """One thumbnail of a result's "more by this artist" strip: all the strip shows of another work."""

    pk: int
    title: str
    url: str
    thumbnail_url: str


@dataclass
class SearchHit:
    artwork: Artwork
    similarity: float
    in_collection: bool = False  # the query image is a reproduction of this very work
    more_by_artist: list[StripItem] = field(default_factory=list)


def split_negation(text: str) -> tuple[str, str]:
    """"stormy sea not: boats" -> ("stormy sea", "boats")."""
    positive, *negatives = _NEGATION.split(text)
    return positive.strip(), " ".join(n.strip() for n in negatives).strip()


def query_vector(*, text: str = "", image: Image.Image | None = None, image_weight: float = 0.5,
                 encoder: Encoder | None = None) -> np.ndarray:
    """One unit vector for a description and/or an image: a weighted sum, minus any "not: ..." phrase."""
    encoder = encoder or get_encoder()
    positive_text, negative_text = split_negation(text)
    parts: list[tuple[float, np.ndarray]] = []
    if image is not None:
        parts.append((image_weight if positive_text else 1.0, encoder.encode_images([image])[0]))
    if positive_text:
        text_weight = 1.0 - image_weight if image is not None else 1.0
        parts.append((text_weight, encode_query_text(positive_text, encoder=encoder)))
    if not parts:
        raise EmptyQuery("Describe what you are looking for, or upload a picture.")
    vector = sum(weight * part for weight, part in parts)
    if negative_text:
        vector = vector - NEGATIVE_WEIGHT * encode_query_text(negative_text, encoder=encoder)
    norm = float(np.linalg.norm(vector))
    if norm < 1e-6:
        raise EmptyQuery("The query cancels itself out; remove the “not:” part or change the weight.")
    return (vector / norm).astype(np.float32)


# What a result card and the JSON API show of a hit; the 512-float vector and the bookkeeping columns are skipped.
HIT_FIELDS = ("title", "image", "thumbnail", "width", "height", "artist_id", "artist__name", "artist__slug",
              "artist__birth_year", "artist__death_year", "artist__genres", "artist__nationality", "artist__bio",
              "artist__wikipedia_url")


def nearest_queryset(vector: np.ndarray, *, filters: SearchFilters, model_id: str,
                     exclude_ids: tuple[int, ...] = ()) -> QuerySet:
    """The rows of a search, nearest first, with what a result shows of them; slice it for a page."""
    queryset = filters.apply(Artwork.objects.embedded_by(model_id)).exclude(pk__in=exclude_ids)
    return queryset.nearest_to(vector).select_related("artist").only(*HIT_FIELDS)


@contextlib.contextmanager
def index_scan_settings(*, ef_search: int, unfiltered: bool, model_id: str) -> Iterator[None]:
    """A transaction (or the request's) in which vector searches plan the way search results need."""
    searchable, params = _searchable_capped_sql(model_id)
    # No savepoint: inside a request (ATOMIC_REQUESTS) the settings below only need the enclosing transaction.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # ef_search bounds how many rows one index scan yields; strict iterative scans keep going (in order) until
        # enough rows pass the filters, so a filtered search still fills its page.
        cursor.execute("SELECT set_config('hnsw.ef_search', %s, true), "
                       "set_config('hnsw.iterative_scan', 'strict_order', true), "
                       f"(SELECT count(*) FROM ({searchable}) AS searchable) <= %s",
                       [str(min(ef_search, 1000)), *params, EXACT_SEARCH_MAX_ROWS])
        exact = cursor.fetchone()[2]
        if exact:
            # Comparing every vector of a small collection takes a few ms and misses nothing, where pgvector's
            # approximate graph of a few dozen rows sometimes leaves one unreachable.
            setting = "enable_indexscan"
        elif unfiltered:
            # PostgreSQL leaves the reading of TOASTed vectors out of a full scan's cost, so it sorted every row of
            # a 10k collection (19 ms) rather than use the index (under 1 ms). Without filters the index is always
            # the right plan; with them, sorting the few rows of a selective filter can be, so the planner decides.
            setting = "enable_sort"
        else:
            setting = ""
        if setting:
            cursor.execute(f"SELECT set_config('{setting}', 'off', true)")
        yield
        if setting:  # the request's later queries (more by this artist, for one) need their sorts and indexes
            cursor.execute(f"RESET {setting}")


@functools.cache  # one entry per model id; compiling the query took 0.13 ms of every search
def _searchable_capped_sql(model_id: str) -> tuple[str, tuple]:
    """SQL for `model_id`'s searchable rows, stopping at one past EXACT_SEARCH_MAX_ROWS: counting them is cheap."""
    return (Artwork.objects.embedded_by(model_id).order_by().values("pk")[:EXACT_SEARCH_MAX_ROWS + 1]
            .query.sql_with_params())


def _nearest(vector: np.ndarray, *, filters: SearchFilters, offset: int, k: int, model_id: str,
             exclude_ids: tuple[int, ...] = ()) -> list[SearchHit]:
    queryset = nearest_queryset(vector, filters=filters, model_id=model_id, exclude_ids=exclude_ids)
    ef_search = max(settings.GALLERY_HNSW_EF_SEARCH, offset + k)
    with index_scan_settings(ef_search=ef_search, unfiltered=not filters.active, model_id=model_id):
        rows = list(queryset[offset:offset + k])
    return [SearchHit(artwork=row, similarity=1.0 - row.distance) for row in rows]


def count_searchable(*, filters: SearchFilters, model_id: str) -> int:
    """How many artworks a search with these filters can return (for pagination)."""
    return min(filters.apply(Artwork.objects.embedded_by(model_id)).count(), MAX_RESULTS_DEPTH)


def artwork_in_collection(image: Image.Image, *, model_id: str,
                          filters: SearchFilters = SearchFilters()) -> Artwork | None:
    """The searchable stored work that `image` reproduces, if any (see NEAR_DUPLICATE_MAX_BITS)."""
    queryset = filters.apply(Artwork.objects.embedded_by(model_id))
    return artwork_near_duplicate(images.perceptual_hash(image), queryset=queryset)


def _signed_64(hex_digits: str) -> int:
    """16 hex digits as PostgreSQL's bigint reads them (two's complement), like the perceptual_hash_* columns."""
    value = int(hex_digits, 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def artwork_near_duplicate(perceptual_hash: str, *, queryset: QuerySet | None = None) -> Artwork | None:
    """The artwork whose perceptual hash is nearest to `perceptual_hash`, if within NEAR_DUPLICATE_MAX_BITS."""
    queryset = queryset if queryset is not None else Artwork.objects.all()
    hamming = RawSQL(_HAMMING_SQL, [_signed_64(perceptual_hash[:16]), _signed_64(perceptual_hash[16:])])
    # The nearest hash on the artworks table alone, then that one row with its artist: asking for the artist in the
    # same query had PostgreSQL join every row to its artist before sorting (36 ms at 100k rows).
    nearest = (queryset.exclude(perceptual_hash="").annotate(hamming=hamming)
               .filter(hamming__lte=NEAR_DUPLICATE_MAX_BITS).order_by("hamming", "pk")
               .values_list("pk", "hamming").first())
    if nearest is None:
        return None
    artwork = Artwork.objects.select_related("artist").get(pk=nearest[0])
    artwork.hamming = nearest[1]
    return artwork


# Each artist's first works (by id) that have a thumbnail: one small index scan per artist of the page.
_MORE_BY_ARTIST_SQL = """
    SELECT work.id, work.artist_id, work.title, work.thumbnail
    FROM unnest(%s::bigint[]) AS page_artist(id)
    CROSS JOIN LATERAL (
        SELECT id, artist_id, title, thumbnail FROM gallery_artwork
        WHERE artist_id = page_artist.id AND thumbnail <> ''
        ORDER BY id LIMIT %s
    ) AS work"""


def attach_more_by_artist(hits: list[SearchHit], *, per_artist: int = 4) -> None:
    """Fill each hit's `more_by_artist` with other works of its artist (id, title, thumbnail), in one query.

    Searches leave it to the result pages that show it, so the JSON API does not pay for it. The rows become plain
    StripItems, not model instances: for the 24 artists of a page, Artwork.objects.raw() took 1.2 ms where the query
    itself takes 0.4, and the strips rendered 1.6 ms faster from ready-made URLs.
    """
    artist_ids = sorted({hit.artwork.artist_id for hit in hits})
    if not artist_ids:
        return
    by_artist: dict[int, list[tuple[int, str, str]]] = {}
    with connection.cursor() as cursor:
        # One spare per artist in case the hit itself is among them.
        cursor.execute(_MORE_BY_ARTIST_SQL, [artist_ids, per_artist + 1])
        for pk, artist_id, title, thumbnail in cursor.fetchall():
            by_artist.setdefault(artist_id, []).append((pk, title, thumbnail))
    thumbnails = Artwork._meta.get_field("thumbnail").storage
    for hit in hits:
        others = [row for row in by_artist.get(hit.artwork.artist_id, []) if row[0] != hit.artwork.pk]
        hit.more_by_artist = [StripItem(pk=pk, title=title, url=page_path("gallery:artwork-detail", pk),
                                        thumbnail_url=thumbnails.url(thumbnail))
                              for pk, title, thumbnail in others[:per_artist]]


def artwork_search(*, vector: np.ndarray, k: int, offset: int = 0, filters: SearchFilters = SearchFilters(),
                   exact_match: Artwork | None = None, model_id: str | None = None) -> list[SearchHit]:
    """The k nearest artworks after `offset`, best first; a recognised `exact_match` leads the first page."""
    model_id = model_id or get_encoder().model_id
    exclude = (exact_match.pk,) if exact_match is not None else ()
    if exact_match is not None and offset == 0:
        hits = [SearchHit(artwork=exact_match, similarity=_similarity(vector, exact_match), in_collection=True)]
        hits += _nearest(vector, filters=filters, offset=0, k=k - 1, model_id=model_id, exclude_ids=exclude)
    else:
        # Later pages shift by one: the recognised work took a slot on the first page.
        shifted = offset - 1 if exact_match is not None else offset
        hits = _nearest(vector, filters=filters, offset=shifted, k=k, model_id=model_id, exclude_ids=exclude)
    return hits


def artwork_similar_to(*, artwork: Artwork, k: int, offset: int = 0, filters: SearchFilters = SearchFilters()
                       ) -> list[SearchHit]:
    """Works nearest to a stored artwork's own vector, excluding itself. Empty when it has no current vector."""
    model_id = get_encoder().model_id
    if artwork.embedding is None or artwork.embedding_model != model_id:
        return []
    vector = np.asarray(artwork.embedding, dtype=np.float32)
    return _nearest(vector, filters=filters, offset=offset, k=k, model_id=model_id, exclude_ids=(artwork.pk,))


def _similarity(vector: np.ndarray, artwork: Artwork) -> float:
    return float(np.dot(vector, np.asarray(artwork.embedding, dtype=np.float32)))


@dataclass
class SearchPage:
    hits: list[SearchHit]
    page: int
    k: int
    has_next: bool
    qid: str = ""  # for image searches: lets GET links page through the same query
    query_label: str = ""  # what was searched for, in words


class QueryExpired(ValueError):
    """A paged image search whose stored query is gone (expired, or made with another model)."""


def search_page(*, text: str = "", image: images.CheckedImage | None = None, image_label: str = "",
                image_weight: float = 0.5, filters: SearchFilters = SearchFilters(), k: int = 12, page: int = 1,
                qid: str = "") -> SearchPage:
    """One page of results for a description and/or picture, or for a remembered image query (`qid`)."""
    encoder = get_encoder()
    exact_match = None
    if qid and not text and image is None:
        remembered = query_cache.recall(qid)
        if remembered is None or remembered.model_id != encoder.model_id:
            raise QueryExpired("This image search has expired; upload the picture again.")
        vector, label = remembered.vector, remembered.label
        if remembered.exact_match_pk is not None:
            exact_match = Artwork.objects.select_related("artist").filter(pk=remembered.exact_match_pk).first()
    else:
        vector = query_vector(text=text, image=image.image if image else None, image_weight=image_weight,
                              encoder=encoder)
        label = " + ".join(part for part in (f"“{image_label or 'your picture'}”" if image else "", text) if part)
        qid = ""
        if image is not None:
            exact_match = artwork_in_collection(image.image, model_id=encoder.model_id, filters=filters)
            qid = query_cache.remember(query_cache.RememberedQuery(
                vector=vector, exact_match_pk=exact_match.pk if exact_match else None, label=label,
                model_id=encoder.model_id))
    offset = (page - 1) * k
    if offset >= MAX_RESULTS_DEPTH:
        return SearchPage(hits=[], page=page, k=k, has_next=False, qid=qid, query_label=label)
    # One extra row tells whether a next page exists, without counting the whole collection.
    hits = artwork_search(vector=vector, k=k + 1, offset=offset, filters=filters, exact_match=exact_match,
                          model_id=encoder.model_id)
    has_next = len(hits) > k and offset + k < MAX_RESULTS_DEPTH
    return SearchPage(hits=hits[:k], page=page, k=k, has_next=has_next, qid=qid, query_label=label)
