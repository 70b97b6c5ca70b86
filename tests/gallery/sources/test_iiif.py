"""gallery.sources.iiif on eight real museum manifests (IIIF Presentation 2 and 3) and on collections."""

import json

import pytest

from gallery.sources.download import DownloadError
from gallery.sources.iiif import image_service_url, is_iiif, read_iiif
from gallery.sources.records import CatalogueRecord, SkippedRecord
from tests.helpers import IIIF_MANIFESTS

FILES = sorted(path.name for path in IIIF_MANIFESTS.glob("*.json"))


def manifest(name: str) -> dict:
    return json.loads((IIIF_MANIFESTS / name).read_text())


def records(name: str) -> list:
    return list(read_iiif(manifest(name)))


def only(name: str) -> CatalogueRecord:
    (record,) = records(name)
    return record


def test_the_eight_manifests_are_all_here():
    assert len(FILES) == 8


@pytest.mark.parametrize("name", FILES)
def test_every_manifest_gives_records_with_a_title_and_an_image_url(name):
    results = records(name)
    assert results and all(isinstance(r, CatalogueRecord) for r in results)
    for record in results:
        assert record.title and record.image_url.startswith("https://") and record.image_path is None
        assert record.manifest_url == manifest(name).get("id", manifest(name).get("@id"))
        assert "<" not in record.title + record.artist_name + record.description + record.attribution


def test_artic_v2_through_its_image_service():
    record = only("v2-artic-seurat-grande-jatte.json")
    assert record.image_url == ("https://www.artic.edu/iiif/2/2d484387-2509-5e8e-2c43-22f9981972eb"
                                "/full/!2048,2048/0/default.jpg")
    assert record.source_id == "https://api.artic.edu/api/v1/artworks/27992/manifest.json"
    assert record.title == "A Sunday on La Grande Jatte — 1884"
    assert (record.artist_name, record.artist_bio_line, record.artist_nationality) == (
        "Georges Seurat", "French, 1859-1891", "French")
    assert (record.artist_birth_year, record.artist_death_year) == (1859, 1891)
    assert (record.medium, record.accession_number) == ("Oil on canvas", "1926.224")
    assert record.dimensions == "207.5 × 308.1 cm (81 3/4 × 121 1/4 in.)"
    assert record.attribution == "Digital image courtesy of the Art Institute of Chicago."
    assert record.rights == "unknown"  # a courtesy line says nothing about copyright
    assert record.description.startswith("In his best-known and largest painting, Georges Seurat")
    assert record.source_url == "http://www.artic.edu/artworks/27992"  # the v2 "Full record" rendering


def test_harvard_v2_and_its_v3_conversion_agree():
    v2, v3 = only("v2-harvard-van-gogh-self-portrait.json"), only("v3-harvard-van-gogh-self-portrait.json")
    # Six canvases (views of one painting; the sequence says "individuals"): one record, the first canvas's image.
    assert v2.image_url == "https://ids.lib.harvard.edu/ids/iiif/47174896/full/!2048,2048/0/default.jpg"
    # The converter declared the same service an Image API 1.1 level-1 one: no "!w,h" there, and "native" quality.
    assert v3.image_url == "https://ids.lib.harvard.edu/ids/iiif/47174896/full/1676,/0/native.jpg"
    for record in (v2, v3):
        assert record.source_id == "https://iiif.harvardartmuseums.org/manifests/object/299843"
        assert (record.title, record.date, record.year_start, record.year_end) == (
            "Self-Portrait Dedicated to Paul Gauguin", "1888", 1888, 1888)
        assert (record.accession_number, record.classification) == ("1951.65", "Paintings")
        assert record.credit_line.startswith("Harvard Art Museums/Fogg Museum, Bequest")
        assert (record.artist_name, record.artist_nationality) == ("Vincent van Gogh", "Dutch")  # from "People"
        assert record.dimensions == ("61.5 x 50.3 cm (24 3/16 x 19 13/16 in.)\n"
                                     "framed: 90.4 x 79.7 x 8.3 cm (35 9/16 x 31 3/8 x 3 1/4 in.)")
        assert record.attribution == "Harvard Art Museums"
        assert record.source_url == "https://www.harvardartmuseums.org/collections/object/299843"


def test_nga_highlights_is_one_manifest_of_26_separate_works():
    results = records("v2-nga-collection-highlights.json")
    assert len(results) == 26 and len({r.source_id for r in results}) == 26
    first, flowers = results[0], results[1]
    assert first.source_id == "https://media.nga.gov/public/manifests/canvas/106382.json"
    assert first.title == "Self-Portrait"
    assert first.image_url == ("https://media.nga.gov/iiif/public/objects/1/0/6/3/8/2/106382-primary-0-nativeres.ptif"
                               "/full/!2048,2048/0/default.jpg")
    assert (flowers.title, flowers.date, flowers.year_start) == ("Flower Beds in Holland", "1883", 1883)
    assert {r.manifest_url for r in results} == {"https://media.nga.gov/public/manifests/nga_highlights.json"}
    assert [r.title for r in results].count("Self-Portrait") == 3
    assert results[23].date == "c. 1879-1885" and (results[23].year_start, results[23].year_end) == (1879, 1885)
    # The caller can still take the manifest as one record.
    (whole,) = read_iiif(manifest("v2-nga-collection-highlights.json"), per_canvas=False)
    assert whole.title == "National Gallery of Art Collection Highlights"


def test_wikimedia_v2_metadata_on_the_canvas_and_a_level0_service():
    record = only("v2-wikimedia-courbet-burial.json")
    # Level 0 serves only its listed sizes: the largest within 2048 px.
    assert record.image_url == ("https://iiifmediawiki.herokuapp.com/image/a/a0/Gustave_Courbet_-_A_Burial_at_Ornans"
                                "_-_Google_Art_Project_2.jpg/full/1280,/0/default.jpg")
    assert record.title == "A Burial at Ornans."  # its ObjectName; the label is the file's name
    assert record.artist_name == "Gustave Courbet"  # an HTML link in the source
    assert (record.date, record.year_start, record.year_end) == ("1849-50.", 1849, 1850)
    assert record.rights == "public-domain"  # LicenseShortName "Public domain"


def test_getty_v3():
    record = only("v3-getty-watteau-la-surprise.json")
    # An ImageService2 of level 0 without sizes: the image resource's own URL is the one sure to work.
    assert record.image_url == "https://data.getty.edu/museum/api/iiif/633385/full/789,1024/0/default.jpg"
    assert record.title == "La Surprise"  # the label is a citation: "La Surprise (1718–1719), Jean-Antoine ..."
    assert (record.artist_name, record.artist_bio_line) == ("Jean-Antoine Watteau", "French, 1684 - 1721")
    assert (record.date, record.year_start, record.year_end) == ("1718–1719", 1718, 1719)  # from "Culture & Date"
    assert (record.medium, record.accession_number, record.classification) == ("Oil on panel", "2017.72", "Painting")
    assert record.rights == "public-domain"  # its Rights Statement: "believed to be in the public domain"
    assert record.rights_url == "http://www.getty.edu/legal/copyright.html#oc"  # its "Rights/License" pair
    assert record.attribution == "Digital image courtesy of the Getty's Open Content Program."
    assert record.source_url.startswith("https://www.getty.edu/art/collection/objects/298147/")
    assert record.description.startswith("In a verdant park at sunset")


def test_wellcome_v3_cookbook_metadata_anywhere():
    record = only("v3-wellcome-glindoni-cookbook.json")
    assert record.image_url == ("https://iiif.io/api/image/3.0/example/reference/421e65be2ce95439b3ad6ef1f2ab87a9"
                                "-dee-natural/full/max/0/default.jpg")  # level 1, 2000 px wide: the whole image
    assert record.title == "John Dee performing an experiment before Queen Elizabeth I."
    assert (record.artist_name, record.artist_birth_year, record.artist_death_year) == (
        "Glindoni, Henry Gillard", 1852, 1913)
    assert (record.date, record.year_start, record.year_end) == ("1800-1899", 1800, 1899)
    assert record.rights == "cc"  # CC BY-NC 4.0 in its required statement
    assert record.description.startswith("The scene is the house at Mortlake")  # from the first canvas


def test_yale_v3_sculpture():
    record = only("v3-yale-scheemakers-pope.json")
    assert record.title == "Alexander Pope"  # its "Titles" pair; the label is a whole citation
    assert record.image_url == ("https://images.britishart.yale.edu/iiif/1778fd7f-0dd6-4229-b667-fb682255a8f1"
                                "/full/1535,/0/native.jpg")
    assert (record.artist_name, record.artist_nationality) == ("Peter Gaspar Scheemakers", "Flemish")
    assert (record.date, record.year_start, record.medium) == ("ca. 1740", 1740, "Marble")
    assert record.accession_number == "B1977.14.29"
    assert record.credit_line == "Yale Center for British Art, Paul Mellon Collection"
    assert record.rights == "public-domain"  # from its required statement
    assert record.attribution == "Yale Center for British Art, Paul Mellon Collection,\nPublic Domain"
    assert record.source_url == "http://collections.britishart.yale.edu/vufind/Record/1666375"


def v3_manifest(id_="https://museum.example/iiif/1/manifest", **extra) -> dict:
    return {
        "@context": "http://iiif.io/api/presentation/3/context.json", "id": id_, "type": "Manifest",
        "label": {"de": ["Der See"], "en": ["The Lake"], "none": ["Lake"]},
        "metadata": [{"label": {"de": ["Künstler"], "en": ["Artist"]}, "value": {"none": ["<b>Anna Ancher</b>"]}},
                     {"label": {"en": ["Inventory number"]}, "value": {"none": ["KMS 1"]}}],
        "summary": {"en": ["<p>A lake.</p>"]},
        "rights": "http://creativecommons.org/licenses/by/4.0/",
        "homepage": [{"id": "https://museum.example/objects/1", "type": "Text"}],
        "items": [{"id": f"{id_}/canvas/1", "type": "Canvas", "width": 4000, "height": 3000, "items": [
            {"type": "AnnotationPage", "items": [{"type": "Annotation", "motivation": "painting", "body": {
                "id": "https://images.example/1/full/max/0/default.jpg", "type": "Image",
                "service": [{"id": "https://images.example/1", "type": "ImageService3", "profile": "level2"}]}}]}]}],
        **extra,
    }


def test_a_v3_level2_service_language_maps_and_a_licence():
    (record,) = read_iiif(v3_manifest())
    assert record.image_url == "https://images.example/1/full/!2048,2048/0/default.jpg"
    assert (record.title, record.artist_name, record.accession_number) == ("The Lake", "Anna Ancher", "KMS 1")
    assert (record.rights, record.rights_url) == ("cc", "http://creativecommons.org/licenses/by/4.0/")
    assert (record.description, record.source_url) == ("A lake.", "https://museum.example/objects/1")


def test_a_painting_motivation_may_be_a_list_and_a_malformed_one_paints_nothing():
    """Web Annotations allow a list of motivations; a museum's manifest that writes one is read, not a crash."""
    listed = v3_manifest()
    listed["items"][0]["items"][0]["items"][0]["motivation"] = ["painting"]
    assert list(read_iiif(listed))[0].image_url == "https://images.example/1/full/!2048,2048/0/default.jpg"
    for malformed in ({"painting": True}, [["painting"]], ["commenting"]):
        odd = v3_manifest()
        odd["items"][0]["items"][0]["items"][0]["motivation"] = malformed
        assert list(read_iiif(odd))[0].reason == "no canvas with an image"


def test_several_creators_are_several_people_and_the_provider_is_the_attribution():
    """The SMK's v3 manifests: Creator lists each person as a value of its own, and only `provider` names the museum."""
    smk = v3_manifest(metadata=[{"label": {"en": ["Creator"]}, "value": {"none": ["Trento, Antonio da",
                                                                                   "Parmigianino"]}}],
                      provider=[{"id": "https://www.smk.dk", "type": "Agent",
                                 "label": {"en": ["SMK – the national gallery of Denmark"]}}])
    (record,) = read_iiif(smk)
    assert (record.artist_name, record.artist_bio_line) == ("Trento, Antonio da", "")
    assert record.attribution == record.institution == "SMK – the national gallery of Denmark"  # who holds it
    roles = v3_manifest(metadata=[{"label": {"en": ["People"]}, "value": {"none": [
        "Printer: Jan Smit", "Artist: Anna Ancher, Danish, 1859 - 1935"]}}])
    assert [(r.artist_name, r.artist_birth_year) for r in read_iiif(roles)] == [("Anna Ancher", 1859)]
    attributed = v3_manifest(metadata=[{"label": {"en": ["People"]}, "value": {"none": [
        "Artist: Attributed to Domenico Theotocopoli, called El Greco, Greek, 1541 - 1614"]}}])
    (record,) = read_iiif(attributed)  # Harvard's way of saying it
    assert (record.artist_qualifier, record.artist_name, record.artist_birth_year) == (
        "Attributed to", "Domenico Theotocopoli, called El Greco", 1541)


def test_culture_and_period_pairs():
    scroll = v3_manifest(metadata=[{"label": {"en": ["Culture"]}, "value": {"none": ["China"]}},
                                   {"label": {"en": ["Dynasty"]}, "value": {"none": ["Ming dynasty (1368–1644)"]}}])
    (record,) = read_iiif(scroll)
    assert (record.culture, record.period, record.artist_name) == ("China", "Ming dynasty (1368–1644)", "")


def test_a_label_that_is_a_citation_or_a_file_name_gives_the_title_it_holds():
    citation = v3_manifest(label={"none": ["Lake at Dusk (1890–91), Anna Ancher"]})
    citation["metadata"].append({"label": {"en": ["Date"]}, "value": {"none": ["1890–91"]}})
    assert list(read_iiif(citation))[0].title == "Lake at Dusk"
    assert list(read_iiif(v3_manifest(label={"none": ["File:Lake at Dusk.jpg"]})))[0].title == "Lake at Dusk"
    unlike = v3_manifest(label={"none": ["Lake (Evening), after Anna Ancher"]})  # nothing to cut: kept whole
    assert list(read_iiif(unlike))[0].title == "Lake (Evening), after Anna Ancher"


def test_other_museums_labels_for_the_object_number_medium_and_subjects():
    """The V&A's "Museum number" and "Materials & Techniques", a library's "Shelfmark", "Categories"."""
    pairs = [("Museum number", "E.1829-2004"), ("Materials & Techniques", "chromolithograph"),
             ("Categories", "Posters; Ships")]
    (record,) = read_iiif(v3_manifest(metadata=[{"label": {"en": [label]}, "value": {"none": [value]}}
                                                for label, value in pairs]))
    assert (record.accession_number, record.medium, record.tags) == (
        "E.1829-2004", "chromolithograph", ["Posters", "Ships"])
    (shelved,) = read_iiif(v3_manifest(metadata=[{"label": {"en": ["Shelfmark"]}, "value": {"none": ["LP 44"]}}]))
    assert shelved.accession_number == "LP 44"


def test_a_record_timestamp_is_not_the_works_date_and_a_navdate_gives_the_year():
    stamped = v3_manifest(metadata=[{"label": {"en": ["Date Created"]},
                                     "value": {"none": ["2024-01-14T23:24:01.000000Z"]}}])
    assert [(r.date, r.year_start) for r in read_iiif(stamped)] == [("", None)]
    dated = v3_manifest(navDate="1943-01-01T00:00:00Z")
    assert [(r.date, r.year_start, r.year_end) for r in read_iiif(dated)] == [("1943", 1943, 1943)]


def test_a_licence_only_linked_from_the_attribution_gives_the_rights_url():
    linked = v3_manifest(requiredStatement={
        "label": {"en": ["Terms of Use"]},
        "value": {"en": ["<a href='https://creativecommons.org/licenses/by-nc/4.0/'>CC-BY-NC 4.0</a>"]}})
    del linked["rights"]
    (record,) = read_iiif(linked)
    assert (record.rights, record.rights_url) == ("cc", "https://creativecommons.org/licenses/by-nc/4.0/")
    assert record.attribution == "CC-BY-NC 4.0"


def test_the_object_page_is_a_web_page_in_english_when_there_is_one():
    pages = v3_manifest(homepage=[{"id": "https://museum.example/nl/1", "type": "Text", "language": ["nl"]},
                                  {"id": "https://museum.example/en/1", "type": "Text", "language": ["en"]}])
    assert list(read_iiif(pages))[0].source_url == "https://museum.example/en/1"
    video = {**manifest("v2-artic-seurat-grande-jatte.json"),
             "related": {"@id": "https://museum.example/1.mpg", "format": "video/mpeg"}}
    assert list(read_iiif(video))[0].source_url == "http://www.artic.edu/artworks/27992"  # its HTML rendering


@pytest.mark.parametrize("profile, expected", [
    ("level2", "https://images.example/1/100,200,3000,1500/!2048,2048/0/default.jpg"),
    ("level1", "https://images.example/1/100,200,3000,1500/2048,1024/0/default.jpg"),
    ("level0", "https://images.example/1/full/max/0/default.jpg"),  # cannot cut: the whole image
])
def test_a_painted_part_of_an_image_is_asked_of_its_service(profile, expected):
    """A SpecificResource body paints the region its selector names (the TU Delft's exhibition manifests)."""
    part = v3_manifest()
    part["items"][0]["items"][0]["items"][0]["body"] = {
        "id": "https://museum.example/iiif/1/part", "type": "SpecificResource",
        "source": {"id": "https://images.example/1/full/max/0/default.jpg", "type": "Image", "width": 4000,
                   "height": 3000, "service": [{"id": "https://images.example/1", "type": "ImageService3",
                                                "profile": profile}]},
        "selector": {"type": "iiif:ImageApiSelector", "region": "100,200,3000,1500"}}
    assert list(read_iiif(part))[0].image_url == expected


def test_a_service_given_by_its_id_alone_is_the_images_service_when_the_image_is_one_of_its_requests():
    """A trimmed export (a Nationalmuseum manifest) keeps only the service's @id: asked for a width, as level 1 does,
    instead of the whole original."""
    bare = manifest("v2-artic-seurat-grande-jatte.json")
    resource = bare["sequences"][0]["canvases"][0]["images"][0]["resource"]
    base = resource["service"]["@id"]
    resource.update({"@id": f"{base}/full/full/0/default.jpg", "width": 6000, "height": 4000, "service": {"@id": base}})
    assert list(read_iiif(bare))[0].image_url == f"{base}/full/2048,/0/default.jpg"
    del resource["width"], resource["height"]  # the canvas's size stands in for the image's
    bare["sequences"][0]["canvases"][0].update({"width": 3000, "height": 4000})
    assert list(read_iiif(bare))[0].image_url == f"{base}/full/1536,/0/default.jpg"
    resource["service"] = {"@id": "https://elsewhere.example/iiif/1"}  # not this image's service: its own URL
    assert list(read_iiif(bare))[0].image_url == f"{base}/full/full/0/default.jpg"


def test_image_service_urls_by_version_and_level():
    assert image_service_url({"@id": "https://i/x/", "@context": "http://iiif.io/api/image/2/context.json",
                              "profile": ["http://iiif.io/api/image/2/level2.json", {"formats": ["png"]}]}) == (
        "https://i/x/full/!2048,2048/0/default.jpg")
    assert image_service_url({"id": "https://i/x", "type": "ImageService3", "profile": "level1"}, 4096, 1024) == (
        "https://i/x/full/2048,512/0/default.jpg")
    assert image_service_url({"id": "https://i/x", "type": "ImageService3", "profile": "level0"},
                             fallback="https://i/x.jpg") == "https://i/x.jpg"
    for odd in ({"value": 4096}, "4096", True, -1):  # a malformed size is no size: the image's own, else the whole
        assert image_service_url({"id": "https://i/x", "type": "ImageService3", "profile": "level1", "width": odd,
                                  "height": 1024}, 4096, 1024) == "https://i/x/full/2048,512/0/default.jpg"
    assert image_service_url({"id": "https://i/x", "type": "ImageService3", "profile": "level0",
                              "sizes": [{"width": 400, "height": 300}, {"width": 4000, "height": 3000}]}) == (
        "https://i/x/full/400,300/0/default.jpg")


def test_a_manifest_without_an_image_is_skipped():
    empty = v3_manifest(items=[])
    assert list(read_iiif(empty)) == [SkippedRecord(where="https://museum.example/iiif/1/manifest",
                                                     reason="no canvas")]
    video = v3_manifest()
    video["items"][0]["items"][0]["items"][0]["body"] = {"id": "https://v.example/1.mp4", "type": "Video"}
    assert list(read_iiif(video))[0].reason == "no canvas with an image"


def test_a_collection_reads_inline_manifests_and_loads_referenced_ones():
    files = {f"https://museum.example/{name}": manifest(name) for name in FILES}
    calls = []

    def load(url):
        calls.append(url)
        if url == "https://museum.example/gone.json":
            raise DownloadError("HTTP 404")
        return files[url]

    collection = {
        "@context": "http://iiif.io/api/presentation/2/context.json", "@id": "https://museum.example/c.json",
        "@type": "sc:Collection", "label": "Some",
        "manifests": [{"@id": "https://museum.example/v2-artic-seurat-grande-jatte.json", "@type": "sc:Manifest"},
                      {"@id": "https://museum.example/gone.json", "@type": "sc:Manifest"},
                      {"@id": "https://museum.example/v2-artic-seurat-grande-jatte.json", "@type": "sc:Manifest"},
                      manifest("v2-wikimedia-courbet-burial.json")],
        "collections": [{"@id": "https://museum.example/c3.json", "@type": "sc:Collection", "manifests": []}],
    }
    assert is_iiif(collection)
    results = list(read_iiif(collection, url="https://museum.example/c.json", load=load))
    assert [r.title for r in results if isinstance(r, CatalogueRecord)] == [
        "A Sunday on La Grande Jatte — 1884", "A Burial at Ornans."]
    assert [r for r in results if isinstance(r, SkippedRecord)] == [
        SkippedRecord(where="https://museum.example/gone.json", reason="could not load: HTTP 404")]
    assert calls == ["https://museum.example/v2-artic-seurat-grande-jatte.json", "https://museum.example/gone.json"]

    v3_collection = {"@context": "http://iiif.io/api/presentation/3/context.json", "type": "Collection",
                     "id": "https://museum.example/c3", "items": [
                         {"id": "https://museum.example/v3-yale-scheemakers-pope.json", "type": "Manifest"},
                         v3_manifest()]}
    assert [r.title for r in read_iiif(v3_collection, load=load)] == ["Alexander Pope", "The Lake"]
    # Without a loader, referenced manifests are reported, inline ones still read.
    results = list(read_iiif(v3_collection))
    assert results[0].reason == "a referenced manifest, and no loader to fetch it"
    assert results[1].title == "The Lake"
