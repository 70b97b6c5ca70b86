"""Detail search on real Met paintings, the real (untrained) encoder and PostgreSQL: regions and keypoints stored by
the worker, a photographed detail found in its work with where it lies, filters, paging and model stamping."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gallery import images, keypoints, visual_words
from gallery.models import Artwork, ArtworkKeypoints, ArtworkRegion
from gallery.querysets import SearchFilters
from gallery.regions import Box, crop, letterboxed
from gallery.services import detail_search, ingest, search
from gallery.services.search import SearchQuery

pytestmark = pytest.mark.django_db

DETAILS = [Box(0.1, 0.15, 0.55, 0.6), Box(0.4, 0.35, 0.5, 0.6), Box(0.0, 0.5, 0.6, 0.45), Box(0.3, 0.0, 0.5, 0.5)]


def _picture(artwork) -> Image.Image:
    with artwork.image.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


def _upload(picture: Image.Image, name: str = "detail.jpg") -> images.CheckedImage:
    """A picture as a visitor's JPEG upload (quality 80), checked as the search form checks it."""
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80)
    return images.check_image(SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg"))


def _close(found: Box, expected: Box, tolerance: float = 0.07) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip((found.x, found.y, found.w, found.h),
                                                        (expected.x, expected.y, expected.w, expected.h)))


def test_the_worker_stores_regions_and_keypoints_stamped_with_the_model(met_works, clip_encoder):
    for work in met_works:
        boxes = [region.box for region in ArtworkRegion.objects.filter(artwork=work)]
        # The default region: the whole work letterboxed, for every work the main vector's centre crop cuts.
        assert boxes == ([] if work.width == work.height else [Box(0.0, 0.0, 1.0, 1.0)])
    assert {region.embedding_model for region in ArtworkRegion.objects.filter(artwork__in=met_works)} == {
        clip_encoder.model_id}
    assert ArtworkKeypoints.objects.filter(artwork__in=met_works).count() == len(met_works)


def _tiled(work, clip_encoder, settings) -> ArtworkRegion:
    """Embed `work` again with half-size windows too; returns its bottom-right window."""
    settings.GALLERY_REGION_SCALES = [1.0, 0.5]
    ingest.artworks_reembed(queryset=Artwork.objects.filter(pk=work.pk), enqueue=False)
    ingest.artworks_embed(artwork_ids=[work.pk], encoder=clip_encoder)
    return ArtworkRegion.objects.filter(artwork=work, w__lt=1).order_by("-x", "-y").first()


def test_re_embedding_replaces_regions_and_deleting_the_work_deletes_them(met_works, clip_encoder, settings):
    work = met_works[3]
    before = set(work.regions.values_list("pk", flat=True))
    _tiled(work, clip_encoder, settings)
    after = set(work.regions.values_list("pk", flat=True))
    assert len(after) == len(before) + 9 and not after & before  # the whole work and a 3 × 3 grid, all new
    work.delete()
    assert not ArtworkRegion.objects.filter(pk__in=after).exists()
    assert not ArtworkKeypoints.objects.filter(artwork_id=work.pk).exists()


@pytest.mark.parametrize("index", range(4))
def test_a_photographed_detail_finds_its_work_first_and_where_it_lies(met_works, index):
    work = met_works[index * 5]
    box = DETAILS[index]
    result = search.search_page(query=SearchQuery(image=_upload(crop(_picture(work), box))), k=6)
    first = result.hits[0]
    assert first.artwork.pk == work.pk
    assert first.reasons == ("detail (matching keypoints)",)
    assert first.box is not None and _close(first.box, box), (first.box, box)


def test_a_whole_picture_is_still_recognised_first(met_works):
    work = met_works[7]
    first = search.search_page(query=SearchQuery(image=_upload(_picture(work).resize((300, 300)))), k=3).hits[0]
    assert first.artwork.pk == work.pk


def test_a_region_vector_finds_its_work_and_says_which_region_without_keypoints(met_works, clip_encoder,
                                                                                 settings):
    region = _tiled(met_works[6], clip_encoder, settings)
    settings.GALLERY_KEYPOINTS = 0  # vectors alone: the region's own vector must carry the match
    # The window as the worker encoded it (letterboxed), photographed.
    picture = _upload(letterboxed(crop(_picture(met_works[6]), region.box)))
    first = search.search_page(query=SearchQuery(image=picture), k=5).hits[0]
    assert first.artwork.pk == met_works[6].pk
    assert first.reasons == ("visual similarity (a region)",)
    assert first.box is not None and _close(first.box, region.box, 0.001)

    ArtworkRegion.objects.filter(artwork=met_works[6]).update(embedding_model="another/model")
    hits = search.search_page(query=SearchQuery(image=picture), k=20).hits
    assert not any(hit.artwork.pk == met_works[6].pk and hit.box is not None for hit in hits)  # never compared


def test_a_filtered_detail_search_fills_the_page_with_matching_works(met_works):
    work = met_works[0]  # by the first painter
    other = met_works[1].artist
    picture = _upload(crop(_picture(work), DETAILS[0]))
    hits = search.search_page(query=SearchQuery(image=picture, filters=SearchFilters(artist=other)), k=8).hits
    assert len(hits) == 8 and {hit.artwork.artist_id for hit in hits} == {other.pk}
    own = search.search_page(query=SearchQuery(image=picture, filters=SearchFilters(artist=work.artist)), k=8).hits
    assert own[0].artwork.pk == work.pk and len(own) == 8


def test_a_detail_of_a_stored_work_finds_another_work_holding_it(met_works, clip_encoder):
    source = met_works[10]
    box = Box(0.2, 0.2, 0.5, 0.5)
    buffer = io.BytesIO()
    crop(_picture(source), box).save(buffer, "JPEG", quality=85)
    copy = ingest.artwork_create(artist=source.artist, title="A study for it",
                                 image=SimpleUploadedFile("study.jpg", buffer.getvalue()), enqueue=False)
    ingest.artworks_embed(artwork_ids=[copy.pk], encoder=clip_encoder)

    result = search.search_page(query=SearchQuery(artwork=copy), k=5)

    assert result.hits[0].artwork.pk == source.pk  # the study's whole picture is a detail of the source
    assert _close(result.hits[0].box, box)
    assert copy.pk not in {hit.artwork.pk for hit in result.hits}  # the work searched from is not a result
    detail = search.search_page(query=SearchQuery(artwork=source, box=box), k=5)
    assert detail.hits[0].artwork.pk == copy.pk and "detail of" in detail.query_label


def test_image_search_pages_continue_without_repeating_the_leads(met_works):
    picture = _upload(crop(_picture(met_works[5]), DETAILS[1]))
    first = search.search_page(query=SearchQuery(image=picture), k=4)
    assert first.qid and first.hits[0].artwork.pk == met_works[5].pk
    second = search.search_page(query=SearchQuery(qid=first.qid), k=4, page=2)
    seen = [hit.artwork.pk for hit in first.hits + second.hits]
    assert len(seen) == len(set(seen)) == 8


def test_works_embedded_before_detail_search_get_their_details_and_stay_searchable(
        met_works, clip_encoder, django_capture_on_commit_callbacks):
    work = met_works[8]
    ArtworkKeypoints.objects.filter(artwork=work).delete()  # as a work embedded before this release
    ArtworkRegion.objects.filter(artwork=work).delete()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert ingest.artworks_backfill_details(model_id=clip_encoder.model_id) == 1
    assert len(queued) == 1  # one embedding job, published after commit
    work.refresh_from_db()
    assert work.status == Artwork.Status.READY  # still searchable while it waits

    assert ingest.artworks_embed(artwork_ids=[work.pk], encoder=clip_encoder)["embedded"] == 1
    work.refresh_from_db()
    assert work.status == Artwork.Status.READY and ArtworkKeypoints.objects.filter(artwork=work).exists()
    assert ingest.artworks_embed(artwork_ids=[work.pk], encoder=clip_encoder) == {"embedded": 0, "skipped": 1,
                                                                                   "failed": 0}
    assert ingest.artworks_backfill_details(model_id=clip_encoder.model_id) == 0


def _detail_keypoints(work, box: Box) -> keypoints.Keypoints:
    return keypoints.extract(_upload(crop(_picture(work), box)).image, features=keypoints.QUERY_FEATURES)


def test_the_worker_names_each_works_visual_words_with_this_vocabulary(met_works):
    stored = ArtworkKeypoints.objects.filter(artwork__in=met_works)
    assert set(stored.values_list("vocabulary", flat=True)) == {visual_words.vocabulary_id()}
    for row in stored:
        found = keypoints.Keypoints.from_bytes(bytes(row.data))
        assert row.words == visual_words.vocabulary().bit_string(found.descriptors)
        assert 100 < row.words.count("1") <= len(found)  # a set of words, one or more keypoints each


@pytest.mark.parametrize("index", range(4))
def test_visual_words_shortlist_the_work_a_detail_comes_from(met_works, index):
    work = met_works[index * 5 + 1]
    detail = _detail_keypoints(work, DETAILS[index])
    kwargs = {"model_id": work.embedding_model, "filters": SearchFilters()}
    assert detail_search.sharing_words(detail, k=3, **kwargs)[0] == work.pk
    assert work.pk not in detail_search.sharing_words(detail, k=3, exclude_ids=(work.pk,), **kwargs)
    others = SearchFilters(artist=met_works[index * 5].artist)  # the other painter
    assert work.pk not in detail_search.sharing_words(detail, k=20, model_id=work.embedding_model, filters=others)


def test_a_detail_is_found_by_its_words_when_the_vectors_miss_it(met_works, settings):
    work = met_works[5]
    picture = _upload(crop(_picture(work), DETAILS[1]))
    settings.GALLERY_DETAIL_SHORTLIST = 0  # no candidates by vector: the words alone bring the work to the check
    first = search.search_page(query=SearchQuery(image=picture), k=4).hits[0]
    assert first.artwork.pk == work.pk and _close(first.box, DETAILS[1])
    settings.GALLERY_DETAIL_WORDS_SHORTLIST = 0  # and without either, nothing is checked, nothing framed
    assert all(hit.box is None for hit in search.search_page(query=SearchQuery(image=picture), k=4).hits)
    settings.GALLERY_DETAIL_SHORTLIST = 20  # every work by vector: the check finds it without the words
    first = search.search_page(query=SearchQuery(image=picture), k=4).hits[0]
    assert first.artwork.pk == work.pk and _close(first.box, DETAILS[1])


def test_words_named_by_another_vocabulary_are_not_compared_until_the_sweep_renames_them(met_works, clip_encoder):
    work = met_works[12]
    detail = _detail_keypoints(work, DETAILS[2])
    kwargs = {"model_id": work.embedding_model, "filters": SearchFilters(), "k": 3}
    ArtworkKeypoints.objects.filter(artwork=work).update(vocabulary="0ld", words=None)  # before a new vocabulary
    assert work.pk not in detail_search.sharing_words(detail, **kwargs)

    assert ingest.artworks_backfill_details(model_id=clip_encoder.model_id) == 0  # nothing to re-embed, only rename
    row = ArtworkKeypoints.objects.get(artwork=work)
    assert row.vocabulary == visual_words.vocabulary_id() and row.words.count("1") > 100
    assert detail_search.sharing_words(detail, **kwargs)[0] == work.pk
    assert ingest.keypoints_name_words(limit=100) == 0  # all named: a second sweep has nothing to do
