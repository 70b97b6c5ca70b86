"""Results people can use: the per-artist cap and the close-match cut-off, first as pure functions over crafted hits
and scores, then through the search service on the real database with hand-made vectors."""

import numpy as np
import pytest

from gallery.models import Artwork
from gallery.services import keywords, result_options, search
from gallery.services.query_parsing import query_vector
from gallery.services.result_options import ResultOptions, close_threshold, cut, diversify, shape
from gallery.services.results import SearchHit
from tests.gallery.services.helpers import noisy_unit_vector, prolific_neighbours, ready_artworks, unit_vector


def hit(pk: int, similarity: float, artist: int | None = None, *, reasons=("visual similarity",),
        in_collection: bool = False) -> SearchHit:
    """A hit on an unsaved artwork: the options read only its id, its artist's id and the hit's own fields."""
    return SearchHit(artwork=Artwork(pk=pk, artist_id=artist), similarity=similarity, reasons=reasons,
                     in_collection=in_collection)


REGION = "visual similarity (a region)"  # a work found by one of its regions: a visual match like any other


def kept(scores: list[float]) -> int:
    threshold = close_threshold(scores)
    return len(scores) if threshold is None else sum(score >= threshold for score in scores)


# -- the knee ----------------------------------------------------------------------------------------------------

CLUSTER_THEN_TAIL = [0.95, 0.94, 0.93] + [0.50 - 0.002 * n for n in range(47)]
SMOOTH = [0.80 - 0.01 * n for n in range(50)]


def test_a_clear_break_ends_the_close_matches():
    assert close_threshold(CLUSTER_THEN_TAIL) == pytest.approx(0.93)
    assert kept(CLUSTER_THEN_TAIL) == 3


def test_a_lone_best_match_is_kept_alone():
    assert kept([0.90] + [0.50 - 0.001 * n for n in range(49)]) == 1


def test_a_smooth_fall_keeps_what_lies_near_the_best():
    """No drop stands out: the close matches are those within ALPHA * (best - median) of the best."""
    best, median = 0.80, (SMOOTH[24] + SMOOTH[25]) / 2
    assert close_threshold(SMOOTH) == pytest.approx(best - result_options.ALPHA * (best - median))
    assert kept(SMOOTH) == 13  # 0.80 down to 0.68; the threshold is 0.6775


@pytest.mark.parametrize("scores", [CLUSTER_THEN_TAIL, SMOOTH], ids=["cluster", "smooth"])
@pytest.mark.parametrize("scale, shift", [(1.0, 0.0), (0.3, 0.0), (0.25, 0.05), (0.5, 0.4)])
def test_the_cut_follows_the_query_own_scores_not_a_fixed_similarity(scores, scale, shift):
    """A text query's scores may sit near 0.3 and a picture's near 0.9: the same shape is cut at the same place."""
    assert kept([scale * score + shift for score in scores]) == kept(scores)


def test_a_big_drop_below_the_median_is_not_the_knee():
    scores = [0.80 - 0.01 * n for n in range(40)] + [0.10 - 0.001 * n for n in range(10)]
    assert kept(scores) == kept(SMOOTH[:40] + [0.10] * 10) == 13
    assert close_threshold(scores) > 0.5


def test_only_the_best_window_of_scores_is_judged():
    assert close_threshold(CLUSTER_THEN_TAIL) == close_threshold(CLUSTER_THEN_TAIL + [0.01] * 500)


@pytest.mark.parametrize("scores", [[], [0.9], [0.9, 0.5, 0.4, 0.3], [0.7] * 50, [0.7 + 1e-7 * n for n in range(50)]],
                         ids=["none", "one", "four", "flat", "float-noise"])
def test_too_few_or_equal_scores_are_not_cut(scores):
    assert close_threshold(scores) is None


def test_cut_never_drops_keyword_matches_a_confirmed_detail_or_a_recognised_work():
    hits = [hit(1, 0.9), hit(2, 0.2, in_collection=True), hit(3, 0.1, reasons=("title",)),
            hit(4, 0.1, reasons=("title words", "visual similarity")), hit(5, 0.5), hit(6, 0.85),
            hit(7, 0.3, reasons=("detail (matching keypoints)",)), hit(8, 0.3, reasons=(REGION,)),
            hit(9, 0.81, reasons=(REGION,))]
    assert [h.artwork.pk for h in cut(hits, 0.8)] == [1, 2, 3, 4, 6, 7, 9]
    assert cut(hits, None) == hits


# -- the per-artist cap ------------------------------------------------------------------------------------------

def test_diversify_keeps_at_most_n_per_artist_in_order_and_each_unknown_maker_apart():
    hits = [hit(1, .9, 7), hit(2, .9, 7), hit(3, .9, None), hit(4, .8, 7), hit(5, .8, 8), hit(6, .8, None),
            hit(7, .7, 8), hit(8, .7, None), hit(9, .7, 8), hit(10, .6, 9)]
    assert [h.artwork.pk for h in diversify(hits, 2)] == [1, 2, 3, 5, 6, 7, 8, 10]
    assert [h.artwork.pk for h in diversify(hits, 1)] == [1, 3, 5, 6, 8, 10]
    assert diversify(hits, 0) == hits


def test_diversify_counts_keyword_matches_but_never_drops_them():
    hits = [hit(1, .3, 7, reasons=("artist",)), hit(2, .3, 7, reasons=("artist",)), hit(3, .3, 7, reasons=("artist",)),
            hit(4, .9, 7), hit(5, .8, 8), hit(6, .7, 8, reasons=(REGION,)), hit(7, .6, 8)]
    assert [h.artwork.pk for h in diversify(hits, 2)] == [1, 2, 3, 5, 6]


# -- reading candidates and paging -------------------------------------------------------------------------------

def ranked_list(count: int = 600) -> list[SearchHit]:
    """One prolific artist (1) holds the first 200 ranks; then artists 2.. alternate with a few unknown makers."""
    hits = [hit(n, 0.99 - 0.0001 * n, 1) for n in range(200)]
    hits += [hit(n, 0.7 - 0.0001 * n, None if n % 10 == 0 else 2 + n % 7) for n in range(200, count)]
    return hits


class Fetch:
    """fetch(offset, count) over a ranked list, remembering what it was asked for."""

    def __init__(self, hits):
        self.hits, self.calls = hits, []

    def __call__(self, offset: int, count: int) -> list[SearchHit]:
        self.calls.append((offset, count))
        return self.hits[offset:offset + count]


def test_shape_reads_more_candidates_until_the_page_is_full():
    fetch = Fetch(ranked_list())
    shaped = shape(lambda depth: fetch(0, depth), want=13, options=ResultOptions(per_artist=2))
    assert len(shaped.hits) >= 13 and [h.artwork.artist_id for h in shaped.hits[:3]] == [1, 1, None]
    assert fetch.calls == [(0, 64), (0, 128), (0, 256)]  # artist 1's 200 works are skipped past
    assert not shaped.read_all and shaped.cut == 0


def test_shape_stops_at_the_end_of_the_ranking_and_at_max_candidates(monkeypatch):
    shaped = shape(lambda depth: ranked_list(30)[:depth], want=13, options=ResultOptions(per_artist=1))
    assert shaped.read_all and [h.artwork.pk for h in shaped.hits] == [0]
    monkeypatch.setattr(result_options, "MAX_CANDIDATES", 128)
    fetch = Fetch(ranked_list())
    shaped = shape(lambda depth: fetch(0, depth), want=13, options=ResultOptions(per_artist=2))
    assert fetch.calls == [(0, 64), (0, 128)] and len(shaped.hits) == 2  # a short page, not an endless read


def test_close_matches_judge_the_first_window_of_visual_hits_only():
    """Keyword matches and a recognised work come first and lie outside the distribution: a recognised work at 1.0
    would otherwise make the largest drop right after it and hide every other close match."""
    hits = ([hit(1, 1.0, 5, in_collection=True)] + [hit(2 + n, 0.3, 6 + n, reasons=("title",)) for n in range(80)]
            + [hit(100 + n, s, 9) for n, s in enumerate(CLUSTER_THEN_TAIL)])
    fetch = Fetch(hits)
    shaped = shape(lambda depth: fetch(0, depth), want=13, options=ResultOptions(close=True))
    assert fetch.calls == [(0, 64), (0, 128), (0, 256)]  # until 50 visual hits are read
    assert [h.artwork.pk for h in shaped.hits] == [1, *range(2, 82), 100, 101, 102]
    assert shaped.read_all and shaped.cut == 47


@pytest.mark.parametrize("options", [ResultOptions(per_artist=2), ResultOptions(per_artist=1, close=True),
                                     ResultOptions(close=True), ResultOptions(per_artist=3)])
@pytest.mark.parametrize("k", [1, 5, 12, 48])
def test_pages_continue_one_another_without_repeats_or_gaps(options, k):
    hits = ranked_list()
    whole = shape(lambda depth: hits[:depth], want=10_000, options=options).hits
    pages, page = [], 1
    while True:
        result = search._paged(Fetch(hits), k=k, page=page, options=options)
        pages += result.hits
        assert len(result.hits) == k or not result.has_next  # every page but the last is full
        if not result.has_next:
            break
        page += 1
    assert [h.artwork.pk for h in pages] == [h.artwork.pk for h in whole]
    assert result.options == options


def test_without_options_a_page_reads_only_its_own_rows():
    fetch = Fetch(ranked_list())
    result = search._paged(fetch, k=12, page=3)
    assert fetch.calls == [(24, 13)] and result.hidden is None and not result.options.active


# -- through the service, on the real database -------------------------------------------------------------------

@pytest.fixture
def prolific_artist_and_others(artist, clip_encoder):
    return prolific_neighbours(artist, model_id=clip_encoder.model_id)


@pytest.mark.django_db
def test_per_artist_caps_each_page_and_still_fills_it(prolific_artist_and_others):
    work, prolific = prolific_artist_and_others
    assert [h.artwork.artist_id for h in search.similar_page(artwork=work, k=6).hits].count(prolific.pk) == 6
    seen = []
    for page, expected in ((1, 6), (2, 6), (3, 6), (4, 4)):  # 2 by the printmaker and the 20 others
        result = search.similar_page(artwork=work, k=6, page=page, options=ResultOptions(per_artist=2))
        assert len(result.hits) == expected and result.has_next is (page < 4)
        seen += [h.artwork.pk for h in result.hits]
    by_artist = list(Artwork.objects.filter(pk__in=seen).values_list("artist_id", flat=True))
    assert len(seen) == len(set(seen)) == 22 and by_artist.count(prolific.pk) == 2
    assert max(by_artist.count(a) for a in by_artist) == 2


@pytest.mark.django_db
def test_close_matches_hide_the_far_tail_and_count_it(prolific_artist_and_others):
    work, prolific = prolific_artist_and_others
    result = search.similar_page(artwork=work, k=12, options=ResultOptions(close=True))
    assert {h.artwork.artist_id for h in result.hits} == {prolific.pk} and len(result.hits) == 10
    assert result.hidden == 20 and result.has_next is False
    both = search.similar_page(artwork=work, k=12, options=ResultOptions(per_artist=3, close=True))
    assert len(both.hits) == 3 and both.hidden == 20
    assert search.similar_page(artwork=work, k=12).hidden is None


@pytest.mark.django_db
def test_hidden_counts_results_beyond_the_candidates_read(artist, clip_encoder, monkeypatch):
    monkeypatch.setattr(result_options, "MAX_CANDIDATES", 64)
    rng = np.random.default_rng(4)
    vectors = [unit_vector(0, 0.01 * n, towards=1) for n in range(4)]
    vectors += [noisy_unit_vector(unit_vector(0), rng, 3.0) for _ in range(96)]
    work, *_ = ready_artworks(artist, vectors, model_id=clip_encoder.model_id)
    result = search.similar_page(artwork=work, k=12, options=ResultOptions(close=True))
    assert len(result.hits) == 3 and result.hidden == 96  # 61 read and cut, 35 never read


@pytest.mark.django_db
def test_a_text_search_never_cuts_its_keyword_matches(artist, clip_encoder):
    """Close matches only on a description: the visual tail goes, the work whose title matches stays even though
    its picture is far from the description."""
    text = "a stormy sea at night"
    vector = query_vector(text=text, image=None, image_weight=0.5, encoder=clip_encoder)
    rng, model_id = np.random.default_rng(5), clip_encoder.model_id
    near = ready_artworks(artist, [noisy_unit_vector(vector, rng, 0.1) for _ in range(4)], model_id=model_id)
    far = ready_artworks(artist, [noisy_unit_vector(-vector, rng, 3.0) for _ in range(40)], model_id=model_id, start=10)
    titled = far[-1]
    Artwork.objects.filter(pk=titled.pk).update(title="A stormy sea at night")
    keywords.artworks_index_text(artwork_ids=[titled.pk])
    result = search.search_page(query=search.SearchQuery(text=text), k=12, options=ResultOptions(close=True))
    assert [h.artwork.pk for h in result.hits][0] == titled.pk
    assert {h.artwork.pk for h in result.hits[1:]} == {a.pk for a in near}
    assert result.hidden == 39 and result.hits[0].reasons != ("visual similarity",)
