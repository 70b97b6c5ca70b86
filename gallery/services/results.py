"""What a search returns: hits, pages of hits, and the "more by this artist" strips the result pages show."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections, router
from django.utils.translation import gettext

from gallery.models import Artist, Artwork
from gallery.page_paths import page_path
from gallery.regions import Box
from gallery.services.result_options import ResultOptions


@dataclass(frozen=True)
class StripItem:
    """One thumbnail of a result's "more by this artist" strip: all the strip shows of another work."""

    pk: int
    title: str
    url: str
    thumbnail_url: str
    # "<title> by <artist>" in the page's language ("<title>, Workshop of <artist>"): a template tag per thumbnail
    # costs more (bench/README.md).
    alt: str


@dataclass
class SearchHit:
    artwork: Artwork
    similarity: float
    in_collection: bool = False  # the query image is a reproduction of this very work
    more_by_artist: list[StripItem] = field(default_factory=list)
    # Why it is a result: "accession number", "title", "artist", "title words", "catalogue text", "visual similarity".
    reasons: tuple[str, ...] = ("visual similarity",)
    box: Box | None = None  # where in the work the query's detail lies (keypoints) or which region matched it


@dataclass
class SearchPage:
    hits: list[SearchHit]
    page: int
    k: int
    has_next: bool
    qid: str = ""  # for image searches: lets GET links page through the same query
    query_label: str = ""  # what was searched for, in words
    options: ResultOptions = ResultOptions()  # how the list was shaped (per artist, close matches only)
    hidden: int | None = None  # with close matches only: how many results the cut-off hid (None when it is off)

    @property
    def first_rank(self) -> int:
        """The rank of the page's first hit in the whole result list (1 on the first page)."""
        return (self.page - 1) * self.k + 1

    @property
    def artists(self) -> list[ResultArtist]:
        """The artists of the page's hits, each once, in the order they first appear (works without one left out):
        the page shows an artist's facts and biography once, not on every card."""
        by_pk: dict[int, ResultArtist] = {}
        for hit in self.hits:
            artist = hit.artwork.artist
            if artist is None:
                continue
            if artist.pk not in by_pk:
                by_pk[artist.pk] = ResultArtist(artist=artist, more_by_artist=hit.more_by_artist)
            by_pk[artist.pk].count += 1
        return list(by_pk.values())


@dataclass
class ResultArtist:
    """An artist on a results page: how many of the page's works are theirs, and the strip of more of their works."""

    artist: Artist
    count: int = 0
    more_by_artist: list[StripItem] = field(default_factory=list)


# Each artist's first works (by id) that have a thumbnail: one small index scan per artist of the page.
_MORE_BY_ARTIST_SQL = """
    SELECT work.id, work.artist_id, work.title, work.thumbnail, work.artist_qualifier
    FROM unnest(%s::bigint[]) AS page_artist(id)
    CROSS JOIN LATERAL (
        SELECT id, artist_id, title, thumbnail, artist_qualifier FROM gallery_artwork
        WHERE artist_id = page_artist.id AND thumbnail <> '' AND published
        ORDER BY id LIMIT %s
    ) AS work"""


def attach_more_by_artist(hits: list[SearchHit], *, per_artist: int = 4) -> None:
    """Fill each hit's `more_by_artist` with other works of its artist (id, title, thumbnail), in one query.

    Searches leave it to the result pages that show it, so the JSON API does not pay for it. The rows become plain
    StripItems, not model instances, which is quicker to build and to render (bench/README.md).
    """
    artist_ids = sorted({hit.artwork.artist_id for hit in hits if hit.artwork.artist_id is not None})
    if not artist_ids:
        return
    by_artist: dict[int, list[tuple[int, str, str, str]]] = {}
    # Where the request reads its results (a read replica for a visitor), not the primary that `connection` is.
    with connections[router.db_for_read(Artwork)].cursor() as cursor:
        # One spare per artist in case the hit itself is among them.
        cursor.execute(_MORE_BY_ARTIST_SQL, [artist_ids, per_artist + 1])
        for pk, artist_id, title, thumbnail, qualifier in cursor.fetchall():
            by_artist.setdefault(artist_id, []).append((pk, title, thumbnail, qualifier))
    thumbnails = Artwork._meta.get_field("thumbnail").storage
    by_name = gettext("%(title)s by %(name)s")
    for hit in hits:
        others = [row for row in by_artist.get(hit.artwork.artist_id, []) if row[0] != hit.artwork.pk]
        name = hit.artwork.artist.name if others else ""
        hit.more_by_artist = [
            StripItem(pk=pk, title=title, url=page_path("gallery:artwork-detail", pk),
                      thumbnail_url=thumbnails.url(thumbnail),
                      alt=f"{title}, {qualifier} {name}" if qualifier else by_name % {"title": title, "name": name})
            for pk, title, thumbnail, qualifier in others[:per_artist]]
