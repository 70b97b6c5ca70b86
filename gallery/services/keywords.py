"""Finding works by words: each artwork's full-text document, and the keyword matches of a search text.

Core PostgreSQL full-text search with the 'simple' configuration (no stemming: names and titles are matched as
written). The embedded server has no unaccent extension, so accents and case are folded here, in Python, on both the
documents and the queries: "Durer" finds "Dürer". Each word of a query matches as a prefix ("Rembr" finds
"Rembrandt"), and every word must match. Weights order the fields: title (A), artist (B), what the work is (C:
medium, classification, department, tags), and the rest (D: description, credit line, date, accession number).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from gallery.models import Artwork

# Letters that NFKD does not split into a base letter and an accent.
_UNSPLIT_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_WORD = re.compile(r"[a-z0-9]+")
# Words this short match only themselves: as prefixes, "a" and "of" would match most of the collection.
MIN_PREFIX_LENGTH = 3
# How many keyword matches a search considers: as deep as result pages go.
MAX_CANDIDATES = 500

_DOCUMENT_SQL = """
    UPDATE gallery_artwork SET search_document =
        setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')
        || setweight(to_tsvector('simple', %s), 'C') || setweight(to_tsvector('simple', %s), 'D')
    WHERE id = %s"""


def fold(text: str) -> str:
    """Lower case without accents: "Albrecht Dürer" -> "albrecht durer", "Søren" -> "soren"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNSPLIT_LETTERS))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """The folded words of a text, as the documents hold them."""
    return _WORD.findall(fold(text))


def _document_parts(artwork: Artwork) -> tuple[str, str, str, str]:
    artist = artwork.artist
    artist_text = " ".join([artist.name, artist.sort_name]) if artist is not None else ""
    what = " ".join([artwork.medium, artwork.classification, artwork.department, *artwork.tags])
    rest = " ".join([artwork.description, artwork.credit_line, artwork.date, artwork.accession_number])
    return tuple(" ".join(words(part)) for part in (artwork.title, artist_text, what, rest))


def artworks_index_text(*, artwork_ids: Iterable[int]) -> None:
    """Rebuild the full-text document of these artworks (after their fields or their artist's name changed)."""
    artworks = Artwork.objects.filter(pk__in=list(artwork_ids)).select_related("artist").defer("embedding")
    rows = [(*_document_parts(artwork), artwork.pk) for artwork in artworks]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_DOCUMENT_SQL, rows)


def tsquery(text: str, *, weight: str = "") -> str:
    """A to_tsquery('simple', ...) text requiring every word of `text` (long ones as prefixes); "" when none.

    Only [a-z0-9] words come out of words(), so nothing of the visitor's text reaches the tsquery syntax.
    """
    terms = [f"{word}:*{weight}" if len(word) >= MIN_PREFIX_LENGTH else f"{word}:{weight}" if weight else word
             for word in words(text)]
    return " & ".join(terms)


@dataclass(frozen=True)
class KeywordMatch:
    pk: int
    rank: float  # ts_rank_cd with the field weights
    exact_title: bool  # the whole text is the title, accents and case aside
    exact_artist: bool  # the whole text is the artist's name
    in_artist: bool  # every word is in the artist's name
    in_title: bool  # every word is in the title

    @property
    def group(self) -> int:
        """1 the whole title, 2 the artist's whole name, 3 words of the artist's name, 4 of the title, 5 the rest."""
        flags = (self.exact_title, self.exact_artist, self.in_artist, self.in_title)
        return next((number for number, flag in enumerate(flags, 1) if flag), 5)

    @property
    def reasons(self) -> tuple[str, ...]:
        if self.exact_title:
            return ("title",)
        found = tuple(reason for reason, hit in (("artist", self.in_artist), ("title words", self.in_title)) if hit)
        return found or ("catalogue text",)


def _matches(query: str) -> RawSQL:
    return RawSQL("search_document @@ to_tsquery('simple', %s)", [query], output_field=BooleanField())


def keyword_matches(text: str, *, queryset: QuerySet, limit: int = MAX_CANDIDATES) -> list[KeywordMatch]:
    """Works of `queryset` whose document has every word of `text`, best first: the whole title, the artist's whole
    name, words of the artist's name, words of the title, then the rest by rank. At most `limit`, chosen in SQL in
    the same order (a title no longer than the text, plus a little, stands for a possible whole-title match)."""
    query = tsquery(text)
    if not query:
        return []
    folded_text = " ".join(words(text))
    in_title, in_artist = _matches(tsquery(text, weight="A")), _matches(tsquery(text, weight="B"))
    rows = (queryset.annotate(title_length=Length("title")).filter(_matches(query))
            .annotate(rank=RawSQL("ts_rank_cd(search_document, to_tsquery('simple', %s))", [query],
                                  output_field=FloatField()),
                      in_title=in_title, in_artist=in_artist,
                      short_title=ExpressionWrapper(Q(in_title=True) & Q(title_length__lte=len(text) + 8),
                                                    output_field=BooleanField()))
            .order_by("-short_title", "-in_artist", "-in_title", "-rank", "pk")
            .values_list("pk", "rank", "title", "artist__name", "in_artist", "in_title")[:limit])
    found = [KeywordMatch(pk=pk, rank=rank, exact_title=" ".join(words(title)) == folded_text,
                          exact_artist=" ".join(words(artist or "")) == folded_text, in_artist=in_artist,
                          in_title=in_title) for pk, rank, title, artist, in_artist, in_title in rows]
    found.sort(key=lambda match: match.group)  # stable: by rank within a group
    return found


def accession_match(text: str, *, queryset: QuerySet) -> int | None:
    """The work whose accession number is exactly `text`, if any.

    Only texts with a digit are looked up (every accession number we have seen has one; a description rarely does),
    and through the unique index on non-empty accession numbers, so a description costs no query here.
    """
    text = text.strip()
    if not text or len(text) > 100 or not any(char.isdigit() for char in text):
        return None
    return (queryset.exclude(accession_number="").filter(accession_number=text).values_list("pk", flat=True)
            .first())


def reciprocal_rank_fusion(*rankings: Sequence[int], k: int = 60) -> dict[int, float]:
    """Each id's sum of 1 / (k + rank) over the rankings it appears in (Cormack et al., 2009)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, pk in enumerate(ranking, 1):
            scores[pk] = scores.get(pk, 0.0) + 1.0 / (k + rank)
    return scores
