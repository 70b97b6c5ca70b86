"""Keyword search: folding, the documents, and words fused with looks on the whole Met sample."""

from __future__ import annotations

import collections

import pytest
from django.test import override_settings

from gallery.models import Artist, Artwork, SearchWord
from gallery.services import collection_import, ingest, keywords, search
from gallery.sources import read_source
from gallery.sources.download import fetch
from tests.helpers import MET_SAMPLE

pytestmark = pytest.mark.django_db


def test_fold_and_words_drop_accents_and_case():
    assert keywords.fold("Albrecht DÜRER") == "albrecht durer"
    assert keywords.words("Søren, Œuvre & Ægir: “L'Été”") == ["soren", "oeuvre", "aegir", "l", "ete"]


def test_tsquery_takes_only_words_and_prefixes_the_long_ones():
    assert keywords.tsquery("Portrait of a Woman") == "portrait:* & of & a & woman:*"
    assert keywords.tsquery("Rembr", weight="B") == "rembr:*B"
    assert keywords.tsquery("'); DROP TABLE x; --") == "drop:* & table:* & x"  # nothing but [a-z0-9] words
    assert keywords.tsquery("!!!") == ""


def test_a_word_matches_the_words_it_begins_exactly():
    completions = {"and": ["and", "andrews"], "child": ["children", "child"], "paint": ["painting", "paintings"]}
    assert keywords.tsquery("Madonna and Child", completions=completions) == (
        "madonna:* & (and | andrews) & (child | children)")  # the lexicon has no word "madonna" begins: a prefix
    assert keywords.tsquery("paint", weight="A", completions=completions) == "(paint:A | painting:A | paintings:A)"


def test_a_query_reads_its_first_ten_distinct_words():
    text = "the bride the groom and the priest at the altar of a church in a village"
    assert keywords.query_words(text) == ["the", "bride", "groom", "and", "priest", "at", "altar", "of", "a", "church"]
    assert keywords.tsquery(text).count(" & ") == keywords.MAX_QUERY_WORDS - 1


def test_a_querys_words_share_out_the_completions_the_most_frequent_in_turn(monkeypatch):
    """A prefix beginning few words keeps them; the others share what is left of MAX_QUERY_LEXEMES, each its most
    frequent first: 300 characters of common prefixes became thousands of index lists (26 s at 1M works)."""
    SearchWord.objects.bulk_create([SearchWord(word=f"{prefix}{n:03d}", documents=1000 - n)
                                    for prefix, count in (("aaa", 150), ("bbb", 3), ("ccc", 2)) for n in range(count)])
    assert [len(found) for found in keywords.word_completions("aaa").values()] == [keywords.MAX_COMPLETIONS]
    monkeypatch.setattr(keywords, "MAX_QUERY_LEXEMES", 10)
    assert keywords.word_completions("ccc aaa bbb") == {
        "aaa": ["aaa000", "aaa001", "aaa002", "aaa003", "aaa004"], "bbb": ["bbb000", "bbb001", "bbb002"],
        "ccc": ["ccc000", "ccc001"]}


def test_the_lexicon_gains_the_words_of_documents_written_and_is_recounted(artist):
    first, second = (Artwork.objects.create(artist=artist, title=title, image=f"{n}.jpg", image_sha256=f"{n}" * 64)
                     for n, title in ((1, "Sunflowers"), (2, "Sunset")))
    keywords.artworks_index_text(artwork_ids=[first.pk, second.pk])
    assert keywords.word_completions("sun of") == {"sun": ["sunflowers", "sunset"]}  # "of": too short to begin words
    Artwork.objects.filter(pk=first.pk).update(title="Irises")
    keywords.artworks_index_text(artwork_ids=[first.pk])
    assert SearchWord.objects.filter(word__in=["irises", "sunflowers"]).count() == 2  # kept until counted again
    assert keywords.search_words_recount() == SearchWord.objects.count()
    lexicon = dict(SearchWord.objects.values_list("word", "documents"))
    assert "sunflowers" not in lexicon and lexicon["irises"] == lexicon["sunset"] == 1
    assert lexicon[keywords.words(artist.name)[0]] == 2
    assert [match.pk for match in keywords.keyword_matches("iri", queryset=Artwork.objects.all())] == [first.pk]


def test_reciprocal_rank_fusion_rewards_agreement():
    scores = keywords.reciprocal_rank_fusion([1, 2, 3], [3, 1, 4])
    assert max(scores, key=scores.get) == 1 and scores[3] > scores[2] and scores[4] < scores[2]


@pytest.fixture(scope="module")
def met_collection_committed(clip_encoder, django_db_setup, django_db_blocker, tmp_path_factory):
    """The whole Met sample, imported and embedded once for this module (999 works: one "image" is an HTML page and
    is refused), committed so that every test's transaction sees it; deleted afterwards."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("met-media")):
        _, records = read_source(str(MET_SAMPLE / "objects.jsonl"))
        report = collection_import.collection_import(records=records, fetch_image=lambda url: fetch(url, max_bytes=1))
        ingest.artworks_embed(artwork_ids=report.to_embed, encoder=clip_encoder)
        yield
        Artwork.objects.all().delete()
        Artist.objects.all().delete()


@pytest.fixture
def met_collection(met_collection_committed, clip_encoder):
    assert Artwork.objects.searchable(clip_encoder.model_id).count() == 999
    return Artwork.objects.select_related("artist")


def _first(text: str, k: int = 1) -> list:
    return search.search_page(query=search.SearchQuery(text=text), k=k).hits


@pytest.mark.slow  # a minute: 999 works embedded, then about 2,400 searches
def test_titles_accession_numbers_and_artists_find_their_works_in_the_met_sample(met_collection, capsys):
    works = list(met_collection)
    title_counts = collections.Counter(" ".join(keywords.words(work.title)) for work in works)
    unique_titles = [work for work in works if title_counts[" ".join(keywords.words(work.title))] == 1]
    title_first = [work for work in unique_titles if _first(work.title)[0].artwork.pk == work.pk]
    accession_first = [work for work in works if _first(work.accession_number)[0].artwork.pk == work.pk]
    by_artist = collections.defaultdict(set)
    for work in works:
        if work.artist is not None:
            by_artist[work.artist.name].add(work.pk)
    artists_first = []
    for name, pks in by_artist.items():
        shown = min(len(pks), search.MAX_K)
        hits = _first(name, k=shown)
        if {hit.artwork.pk for hit in hits} <= pks and len(hits) == shown:
            artists_first.append(name)
    with capsys.disabled():
        print(f"\nMet sample keyword search: unique titles first {len(title_first)}/{len(unique_titles)}, "
              f"accession numbers first {len(accession_first)}/{len(works)}, artists' works first "
              f"{len(artists_first)}/{len(by_artist)}")
    assert len(title_first) == len(unique_titles)
    assert len(accession_first) == len(works)
    assert len(artists_first) == len(by_artist)


def test_keyword_cases_and_why(met_collection):
    cezanne = _first("cezanne", k=11)  # no accent typed, lower case
    assert [hit.artwork.artist.name for hit in cezanne] == ["Paul Cézanne"] * 11 and "artist" in cezanne[0].reasons
    assert _first("Rembr", k=1)[0].artwork.artist.name.startswith("Rembrandt")  # a prefix of a name
    portraits = _first("Portrait of a Woman", k=24)
    exact = [hit for hit in portraits if keywords.words(hit.artwork.title) == ["portrait", "of", "a", "woman"]]
    assert exact and portraits[:len(exact)] == exact and exact[0].reasons == ("title",)  # that title first
    assert any("visual similarity" in hit.reasons for hit in _first("Portrait of a Woman", k=48)[len(exact):]) or \
        len(portraits) == 24
    number = met_collection.get(accession_number="07.123")
    first = _first("07.123")[0]
    assert first.artwork == number and first.reasons == ("accession number",)
    no_words = _first("zqxv blorp", k=5)  # nothing matches these words: the visual ranking answers alone
    assert len(no_words) == 5 and all(hit.reasons == ("visual similarity",) for hit in no_words)


def test_drafts_and_filters_apply_to_keyword_matches(met_collection):
    number = met_collection.get(accession_number="07.123")
    Artwork.objects.filter(pk=number.pk).update(published=False)
    assert _first("07.123")[0].artwork != number
    assert all(hit.artwork.pk != number.pk for hit in _first("Rocky Mountains Lander's Peak", k=10))
    drawings = search.search_page(query=search.SearchQuery(
        text="Portrait", filters=search.SearchFilters(classification="Drawings")), k=12).hits
    assert drawings and all(hit.artwork.classification == "Drawings" for hit in drawings)


def test_fusing_words_and_looks_reads_the_visual_ranking_as_ids_and_the_page_rows_once(met_collection):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        hits = _first("cezanne", k=24)
    assert {"artist", "visual similarity"} <= {reason for hit in hits for reason in hit.reasons}
    nearest = [query["sql"] for query in captured.captured_queries if "<=>" in query["sql"] and "LIMIT" in query["sql"]]
    assert len(nearest) == 1 and nearest[0].startswith('SELECT "gallery_artwork"."id" AS "pk" FROM "gallery_artwork" WHERE')
    page_rows = [query["sql"] for query in captured.captured_queries if '"gallery_artwork"."title"' in query["sql"]
                 and "gallery_artist" in query["sql"] and "ts_rank" not in query["sql"]]
    assert len(page_rows) == 1  # the fused page's rows with their artists, read once


def test_a_later_page_of_looks_alone_continues_the_first(met_collection):
    """No word matches: a page is read at its offset, and continues the page before it."""
    first_ten = [hit.artwork.pk for hit in _first("zqxv blorp", k=10)]
    second = search.search_page(query=search.SearchQuery(text="zqxv blorp"), k=5, page=2)
    assert [hit.artwork.pk for hit in second.hits] == first_ten[5:] and second.has_next


def _has_words(work: Artwork, text: str) -> bool:
    return Artwork.objects.filter(pk=work.pk, search_document__isnull=False).extra(
        where=["search_document @@ to_tsquery('simple', %s)"], params=[keywords.tsquery(text)]).exists()


def test_words_too_many_works_have_are_not_ranked_across_the_collection(met_collection, clip_encoder):
    """"painting" is in 675 of the 999 works' documents (668 classified as paintings): more than a search ranks by
    words, so keyword_matches says so (None), and ranks them all when allowed to."""
    searchable = Artwork.objects.searchable(clip_encoder.model_id)
    assert keywords.keyword_matches("painting", queryset=searchable) is None
    assert len(keywords.keyword_matches("painting", queryset=searchable, limit=1000)) == 675
    some = list(searchable.order_by("pk").values_list("pk", flat=True)[:40])
    among = keywords.keyword_matches("painting", queryset=searchable.filter(pk__in=some), limit=40)
    assert {match.pk for match in among} == {pk for pk in some if _has_words(met_collection.get(pk=pk), "painting")}


def test_common_words_order_the_visual_neighbours_instead(met_collection, clip_encoder, settings):
    """A search for words too many works have: the works among the visual neighbours (as deep as ef_search reads)
    that have the words come first, then the other neighbours; no work from beyond the neighbours."""
    from gallery.services.query_parsing import query_vector

    settings.GALLERY_HNSW_EF_SEARCH = 60
    vector = query_vector(text="painting", image=None, image_weight=0.5, encoder=clip_encoder)
    neighbours = search._nearest_pks(vector, filters=search.SearchFilters(), depth=60, model_id=clip_encoder.model_id)
    with_words = [pk for pk in neighbours if _has_words(met_collection.get(pk=pk), "painting")]
    assert 0 < len(with_words) < 60
    hits = search.search_page(query=search.SearchQuery(text="painting"), k=48).hits
    pks = [hit.artwork.pk for hit in hits]
    assert set(pks) <= set(neighbours) and len(pks) == 48
    assert pks[:min(48, len(with_words))] == [pk for pk in pks if pk in with_words][:48]
    assert set(pks[:len(with_words)]) == set(with_words[:48]) or len(with_words) >= 48
    assert all(hit.reasons != ("visual similarity",) for hit in hits if hit.artwork.pk in with_words)


def test_the_lexicons_words_find_what_prefixes_found_in_the_met_sample(met_collection):
    """Every word of the Met sample's titles, and its first 3, 4 and 5 letters, matched as the lexicon's words it
    begins finds exactly the works its prefix finds (every probe begins fewer than MAX_COMPLETIONS words here)."""
    from django.db import connection

    title_words = {word for work in met_collection for word in keywords.words(work.title)}
    probes = sorted({word[:length] for word in title_words for length in (3, 4, 5, len(word))
                     if len(word[:length]) >= keywords.MIN_PREFIX_LENGTH})
    completions = {probe: keywords.word_completions(probe).get(probe, []) for probe in probes}  # as each is searched
    counts = dict(SearchWord.objects.filter(word__startswith="paint").values_list("word", "documents"))
    assert completions["paint"] == sorted(counts, key=lambda word: (-counts[word], word)) and len(probes) > 2000
    assert {"painting", "paintings"} < set(completions["paint"])
    assert max(len(words) for words in completions.values()) < keywords.MAX_COMPLETIONS
    differ = []
    with connection.cursor() as cursor:
        for probe in probes:
            expanded, prefixed = keywords.tsquery(probe, completions=completions), keywords.tsquery(probe)
            assert expanded != prefixed
            cursor.execute("SELECT count(*) FILTER (WHERE search_document @@ to_tsquery('simple', %s)), "
                           "count(*) FILTER (WHERE (search_document @@ to_tsquery('simple', %s)) "
                           "<> (search_document @@ to_tsquery('simple', %s))) FROM gallery_artwork",
                           [prefixed, expanded, prefixed])
            found, different = cursor.fetchone()
            assert found > 0, probe
            differ += [probe] if different else []
    assert differ == []


@pytest.mark.parametrize("text", ["painting", "portrait"])  # more works than are ranked by words; fewer
def test_pages_of_words_and_looks_continue_one_another(met_collection, settings, text):
    """Pages within ef_search's neighbours share one ordering, and so do the later ones: no work twice. (Fused
    with a visual ranking as deep as each page, a keyword match rose or fell from one page to the next.)"""
    settings.GALLERY_HNSW_EF_SEARCH = 60
    pages = [search.search_page(query=search.SearchQuery(text=text), k=12, page=page).hits for page in range(1, 11)]
    # Pages 1-4 read up to 49 results (one more tells whether a next page exists), within ef_search; 5-10 beyond.
    first, later = [[hit.artwork.pk for page in chunk for hit in page] for chunk in (pages[:4], pages[4:])]
    assert len(first) == len(set(first)) == 48 and len(later) == len(set(later)) == 72
