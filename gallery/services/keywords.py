"""Finding works by words: each artwork's full-text document, and the keyword matches of a search text.

Core PostgreSQL full-text search with the 'simple' configuration (no stemming: names and titles are matched as
written). The embedded server has no unaccent extension, so accents and case are folded here, in Python, on both the
documents and the queries: "Durer" finds "Dürer". Each word of a query matches as a prefix ("Rembr" finds
"Rembrandt"), and every word must match. Weights order the fields: title (A), artist (B), what the work is (C:
medium, classification, department, tags), and the rest (D: description, credit line, date, accession number).

A prefix makes PostgreSQL gather every document of every word it begins before anything else, which for words a
large collection has often ("paintings", "blue") takes tens of milliseconds. So a query word matches the words it
begins exactly, read from the documents' lexicon (SearchWord, written beside the documents): "child" is
`(child | children)`, which the full-text index answers by skipping through a few lists. Only a word the lexicon
does not know yet is a prefix. A word beginning more than MAX_COMPLETIONS words matches the most frequent of them,
and a query reads at most MAX_QUERY_WORDS words expanding to MAX_QUERY_LEXEMES in all, so no text a visitor can type
makes the index go through thousands of lists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import connection, connections, router, transaction
from django.db.models import BooleanField, ExpressionWrapper, FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from gallery.models import Artwork

# Letters that NFKD does not split into a base letter and an accent.
_UNSPLIT_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_WORD = re.compile(r"[a-z0-9]+")
# Words this short match only themselves: as prefixes, "a" and "of" would match most of the collection.
MIN_PREFIX_LENGTH = 3
# The most words a query word matches exactly, the most frequent of those it begins (see the module's docstring).
MAX_COMPLETIONS = 100
# Every word the query becomes is a list the full-text index goes through: the most a query's words expand to in all
# (shared out in turn, most frequent first), and the most query words read (a longer description is found by its
# looks; CLIP reads it whole). Without them, 300 characters of common prefixes took 26 s at 1M works (bench/README).
MAX_QUERY_LEXEMES = 150
MAX_QUERY_WORDS = 10
# How many keyword matches a search ranks by their words: as deep as result pages go. Beyond it, see keyword_matches.
MAX_CANDIDATES = 500

_DOCUMENT_SQL = """
    UPDATE gallery_artwork SET search_document =
        setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')
        || setweight(to_tsvector('simple', %s), 'C') || setweight(to_tsvector('simple', %s), 'D')
    WHERE id = %s"""
# The lexicon gains the words of documents just written (counted later, by search_words_recount). In word order, so
# that two imports adding the same new words wait for one another rather than deadlock.
_NEW_WORDS_SQL = """
    INSERT INTO gallery_searchword (word, documents)
    SELECT word, count(*) FROM gallery_artwork, unnest(tsvector_to_array(search_document)) AS word
    WHERE id = ANY(%s) GROUP BY word ORDER BY word
    ON CONFLICT (word) DO NOTHING"""
_RECOUNT_SQL = """
    INSERT INTO gallery_searchword (word, documents)
    SELECT word, ndoc FROM ts_stat('SELECT search_document FROM gallery_artwork WHERE search_document IS NOT NULL')
    ORDER BY word"""
# The words each query word begins, most frequent first ('{' follows 'z': words are [a-z0-9]).
_COMPLETIONS_SQL = """
    SELECT prefix, completion.word FROM unnest(%s::text[]) AS prefix CROSS JOIN LATERAL (
        SELECT word FROM gallery_searchword WHERE word >= prefix COLLATE "C" AND word < (prefix || '{') COLLATE "C"
        ORDER BY documents DESC, word LIMIT %s) AS completion"""


def fold(text: str) -> str:
    """Lower case without accents: "Albrecht Dürer" -> "albrecht durer", "Søren" -> "soren"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNSPLIT_LETTERS))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """The folded words of a text, as the documents hold them."""
    return _WORD.findall(fold(text))


def document_parts(artwork: Artwork) -> tuple[str, str, str, str]:
    artist = artwork.artist
    # "Workshop of Rembrandt": a search for "copy after" finds the copies; an artist's other names (those of artists
    # merged into it) find its works too.
    artist_text = " ".join([artwork.artist_qualifier, artist.name, artist.sort_name,
                            *(alias.name for alias in artist.aliases.all())]) if artist is not None else ""
    what = " ".join([artwork.culture, artwork.period, artwork.medium, artwork.classification, artwork.department,
                     *artwork.tags])
    rest = " ".join([artwork.description, artwork.image_description, artwork.credit_line, artwork.date,
                     artwork.accession_number])
    return tuple(" ".join(words(part)) for part in (artwork.title, artist_text, what, rest))


def artworks_index_text(*, artwork_ids: Iterable[int]) -> None:
    """Rebuild the full-text document of these artworks (after their fields or their artist's name changed)."""
    artworks = (Artwork.objects.filter(pk__in=list(artwork_ids)).select_related("artist")
                .prefetch_related("artist__aliases").defer("embedding"))
    rows = [(*document_parts(artwork), artwork.pk) for artwork in artworks]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_DOCUMENT_SQL, rows)
            cursor.execute(_NEW_WORDS_SQL, [[pk for *_, pk in rows]])


def search_words_recount() -> int:
    """Count every word of the documents again, dropping the words no document has any more (periodic: documents
    only ever add words as they are written). One transaction: searches meanwhile see the previous lexicon."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM gallery_searchword")
        cursor.execute(_RECOUNT_SQL)
        return cursor.rowcount


Completions = Mapping[str, Sequence[str]]  # a query word -> the lexicon's words it begins


def query_words(text: str) -> list[str]:
    """The words of a search text that keyword search reads: its first MAX_QUERY_WORDS distinct words."""
    return list(dict.fromkeys(words(text)))[:MAX_QUERY_WORDS]


def word_completions(text: str) -> Completions:
    """The lexicon's words that each query word long enough to be a prefix begins (one query), the most frequent
    first, at most MAX_COMPLETIONS a word and MAX_QUERY_LEXEMES in all."""
    prefixes = sorted({word for word in query_words(text) if len(word) >= MIN_PREFIX_LENGTH})
    if not prefixes:
        return {}
    found: dict[str, list[str]] = {}
    with connections[router.db_for_read(Artwork)].cursor() as cursor:
        cursor.execute(_COMPLETIONS_SQL, [prefixes, MAX_COMPLETIONS])
        for prefix, word in cursor.fetchall():
            found.setdefault(prefix, []).append(word)
    return _shared_out(found, MAX_QUERY_LEXEMES)


def _shared_out(found: dict[str, list[str]], budget: int) -> dict[str, list[str]]:
    """Each prefix's completions, taken in turn (every prefix's most frequent, then every second...) up to `budget`
    in all: a prefix that begins few words keeps them all, and those that begin many share what is left."""
    kept: dict[str, list[str]] = {prefix: [] for prefix in found}
    for rank in range(max(map(len, found.values()), default=0)):
        for prefix, begun in found.items():
            if rank < len(begun):
                if budget == 0:
                    return kept
                kept[prefix].append(begun[rank])
                budget -= 1
    return kept


def tsquery(text: str, *, weight: str = "", completions: Completions | None = None) -> str:
    """A to_tsquery('simple', ...) text requiring every query word of `text`: a long one as the words it begins in
    `completions` (and itself), or as a prefix where it begins none there; "" when no word.

    Only [a-z0-9] words come out of words() and the lexicon, so nothing else reaches the tsquery syntax.
    """
    return " & ".join(_term(word, weight, (completions or {}).get(word, ())) for word in query_words(text))


def _term(word: str, weight: str, begun: Sequence[str]) -> str:
    if len(word) < MIN_PREFIX_LENGTH:
        return f"{word}:{weight}" if weight else word
    if not begun:
        return f"{word}:*{weight}"
    return "(" + " | ".join(f"{exact}:{weight}" if weight else exact for exact in sorted({word, *begun})) + ")"


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


def keyword_matches(text: str, *, queryset: QuerySet, limit: int = MAX_CANDIDATES,
                    completions: Completions | None = None) -> list[KeywordMatch] | None:
    """Works of `queryset` whose document has every word of `text`, best first: the whole title, the artist's whole
    name, words of the artist's name, words of the title, then the rest by rank (a title no longer than the text,
    plus a little, stands for a possible whole-title match).

    None when more than `limit` works match: the words alone cannot choose among so many, and ranking them all
    costs PostgreSQL time in proportion to their number (seconds for "painting" in a million works). The caller
    lets the looks choose instead (search.text_search). So only up to `limit` + 1 ids are read before ranking.
    `completions`: word_completions(text), when the caller has read them already."""
    if completions is None:
        completions = word_completions(text)
    query = tsquery(text, completions=completions)
    if not query:
        return []
    matched = list(queryset.filter(_matches(query)).order_by().values_list("pk", flat=True)[:limit + 1])
    if len(matched) > limit:
        return None
    if not matched:
        return []
    folded_text = " ".join(words(text))
    in_title = _matches(tsquery(text, weight="A", completions=completions))
    in_artist = _matches(tsquery(text, weight="B", completions=completions))
    # The matched rows by id: their words were checked above, and @@ here could make PostgreSQL search its
    # full-text index for them all over again.
    rows = (Artwork.objects.filter(pk__in=matched).annotate(title_length=Length("title"))
            .annotate(rank=RawSQL("ts_rank_cd(search_document, to_tsquery('simple', %s))", [query],
                                  output_field=FloatField()),
                      in_title=in_title, in_artist=in_artist,
                      short_title=ExpressionWrapper(Q(in_title=True) & Q(title_length__lte=len(text) + 8),
                                                    output_field=BooleanField()))
            .order_by("-short_title", "-in_artist", "-in_title", "-rank", "pk")
            .values_list("pk", "rank", "title", "artist__name", "in_artist", "in_title"))
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
