"""Results people can use: at most N works per artist (diversity), and close matches only (the long tail cut where the
query's own scores fall away). Pure functions over ranked lists of SearchHit; no database.

Both options shape the visual matches only (reasons "visual similarity", of the whole work or of a region): a work
matched by the words typed, a detail confirmed by keypoints and a recognised reproduction (`in_collection`) are never
dropped, since they answer what the visitor named or showed.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gallery.services.results import SearchHit

VISUAL = "visual similarity"  # also the start of "visual similarity (a region)"

# Off everywhere by default, text searches included. The cap drops works rather than reordering them, and whether
# that helps depends on the collection: where a few artists hold most of the works (a single-artist museum, a small
# import) a default of 3 would end every description's results after 3 works per artist, and the visitor would not
# know why. A visitor who sees a run of one artist turns it on, and the URL keeps it.
DEFAULT_PER_ARTIST = 0

CLOSE_WINDOW = 50  # the knee is looked for among this many of the best visual matches
CLOSE_MIN_SCORES = 5  # fewer visual matches than this show no distribution: nothing is cut
GAP_SHARE = 0.5  # one drop between neighbours at least this share of (best - median) is a clear break
ALPHA = 0.5  # without a clear break, the close matches lie within ALPHA * (best - median) of the best
FLAT = 1e-4  # a spread this small is float noise among equal scores, not a tail

FIRST_CANDIDATES = 64  # the first read of ranked candidates; each further read doubles it...
MAX_CANDIDATES = 2000  # ...up to this many (a page may come out short when even these do not fill it)


@dataclass(frozen=True)
class ResultOptions:
    """How a visitor wants the ranked list shaped."""

    per_artist: int = DEFAULT_PER_ARTIST  # at most this many works per artist; 0: no limit
    close: bool = False  # close matches only

    @property
    def active(self) -> bool:
        return self.per_artist > 0 or self.close


def is_protected(hit: SearchHit) -> bool:
    """A hit neither option drops: a recognised reproduction, a match by the words typed, a confirmed detail."""
    return hit.in_collection or any(not reason.startswith(VISUAL) for reason in hit.reasons)


def close_threshold(similarities: Sequence[float]) -> float | None:
    """The lowest similarity that is still a close match, judged from the best CLOSE_WINDOW visual scores alone;
    None when they show no tail to cut (too few scores, or all alike).

    The boundary is found in the query's own distribution, never at a fixed similarity: with CLIP a text query's
    best may be 0.3 and a picture's 0.9, and what separates relevant from irrelevant moves from query to query.
    1. A clear break: the largest drop between neighbours above the median, when it is at least GAP_SHARE of
       (best - median), ends the close matches (a cluster of near-identical works, then the rest).
    2. Otherwise the scores fall smoothly, and the close matches are those within ALPHA * (best - median) of the best.
    Either way the best is kept and everything at or below the median is cut, and shifting or scaling every score
    alike moves the threshold with them.
    """
    scores = sorted(similarities, reverse=True)[:CLOSE_WINDOW]
    if len(scores) < CLOSE_MIN_SCORES:
        return None
    best, median = scores[0], statistics.median(scores)
    spread = best - median
    if spread <= FLAT:
        return None
    above_median = [i for i in range(len(scores) - 1) if scores[i] > median]
    position = max(above_median, key=lambda i: scores[i] - scores[i + 1])  # the first of equal drops
    if scores[position] - scores[position + 1] >= GAP_SHARE * spread:
        return scores[position]
    return best - ALPHA * spread


def cut(hits: Sequence[SearchHit], threshold: float | None) -> list[SearchHit]:
    """The hits at or above `threshold`, in their order, with every protected hit kept wherever it scores."""
    if threshold is None:
        return list(hits)
    return [hit for hit in hits if is_protected(hit) or hit.similarity >= threshold]


def diversify(hits: Sequence[SearchHit], per_artist: int) -> list[SearchHit]:
    """The hits in their order, skipping a visual match whose artist already has `per_artist` works before it.

    Protected hits are never skipped but count towards their artist. Works with no artist are each their own group,
    so unknown makers are never capped together. Greedy from the top, so the result for a longer list starts with
    the result for any shorter prefix of it: pages cut from it neither repeat nor skip a work.
    """
    if per_artist <= 0:
        return list(hits)
    shown: Counter[int] = Counter()
    kept = []
    for hit in hits:
        artist = hit.artwork.artist_id
        if artist is not None:
            if shown[artist] >= per_artist and not is_protected(hit):
                continue
            shown[artist] += 1
        kept.append(hit)
    return kept


@dataclass(frozen=True)
class ShapedResults:
    hits: list[SearchHit]  # the shaped list from the first result on
    candidates: int  # how many ranked hits were read to make it
    read_all: bool  # the ranking had no more than these: nothing lies beyond them
    cut: int  # how many of the candidates the close-match cut removed (0 when it is off)


def shape(fetch: Callable[[int], list[SearchHit]], *, want: int, options: ResultOptions) -> ShapedResults:
    """The ranked list (`fetch(n)` returns its first n hits) shaped by `options`, read from the top with as many
    candidates as `want` shaped hits take: FIRST_CANDIDATES, then twice as many each time, up to MAX_CANDIDATES.

    The cut-off is judged on the first CLOSE_WINDOW visual matches, which every read of at least that many includes,
    so every page of a search sees the same threshold; with `diversify` being prefix-stable, page 2 continues exactly
    where page 1 stopped. Rankings list protected hits before the visual ones and those by falling similarity, so
    every visual match below the threshold, read or not, is cut.
    """
    depth = FIRST_CANDIDATES
    while depth < want and depth < MAX_CANDIDATES:
        depth *= 2
    while True:
        depth = min(depth, MAX_CANDIDATES)
        ranked = fetch(depth)
        read_all = len(ranked) < depth
        visual = [hit.similarity for hit in ranked if not is_protected(hit)]
        threshold = close_threshold(visual) if options.close else None
        kept = cut(ranked, threshold)
        hits = diversify(kept, options.per_artist)
        enough = len(hits) >= want and (not options.close or len(visual) >= CLOSE_WINDOW)
        if enough or read_all or depth >= MAX_CANDIDATES:
            return ShapedResults(hits=hits, candidates=len(ranked), read_all=read_all, cut=len(ranked) - len(kept))
        depth *= 2
