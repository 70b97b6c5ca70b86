"""gallery.sources.json_records: museum APIs' JSON records read by their key paths, as a CSV's columns are.

The records are shaped as the APIs answer (the Art Institute of Chicago's, the Cleveland Museum's, Harvard's, the
Rijksmuseum's, Europeana's), trimmed to the fields that matter and a few that do not.
"""

import itertools
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from gallery.sources import CatalogueRecord, MappingError, SkippedRecord, json_records, pages, read_source
from gallery.sources.json_records import flatten
from tests.helpers import loopback_server, met_picture, respond

AIC_PAGE = {
    "pagination": {"total": 3, "limit": 3, "offset": 0, "next_url": "https://api.artic.edu/api/v1/artworks?page=2"},
    "data": [
        {"id": 27992, "api_model": "artworks", "title": "A Sunday on La Grande Jatte — 1884",
         "main_reference_number": "1926.224", "date_start": 1884, "date_end": 1886, "date_display": "1884–86",
         "artist_display": "Georges Seurat\nFrench, 1859-1891", "artist_title": "Georges Seurat",
         "place_of_origin": "France", "description": "<p>Seurat&rsquo;s <em>dots</em>.</p><p>Second.</p>",
         "dimensions": "207.5 × 308.1 cm (81 3/4 × 121 1/4 in.)", "medium_display": "Oil on canvas",
         "credit_line": "Helen Birch Bartlett Memorial Collection", "is_public_domain": True,
         "copyright_notice": None, "artwork_type_title": "Painting",
         "department_title": "Painting and Sculpture of Europe", "subject_titles": ["leisure", "parks", "leisure"],
         "term_titles": ["oil paint (paint)"], "color": {"h": 195, "l": 47}, "thumbnail": {"alt_text": "Dots."},
         "image_id": "2d484387-2509-5e8e-2c43-22f9981972eb"},
        {"id": 122449, "api_model": "artworks", "title": "Painter and Model Knitting",
         "main_reference_number": "1946.440.4",
         "artist_display": "Pablo Picasso (Spanish, 1881-1973)\nwritten by Honoré de Balzac (French, 1799-1850)",
         "is_public_domain": False, "copyright_notice": "© 2018 Estate of Pablo Picasso", "image_id": None},
        {"id": 16568, "api_model": "artworks", "title": "Water Lilies", "main_reference_number": "1933.1157",
         "artist_display": "Claude Monet\nFrench, 1840-1926", "image_id": "3c27b499-af56-f0d5-93b5-a7f2f1ad5813"},
        {"id": 3722, "api_model": "artworks", "title": "Statue of Pa-di-iset", "main_reference_number": "1920.262",
         "artist_display": "Ancient Egyptian", "artist_title": None, "place_of_origin": "Egypt",
         "image_id": "e966799b-97ee-1cc6-bd2f-a94b4b8bb8f9"},
    ],
    "info": {"license_text": "CC0", "license_links": ["https://creativecommons.org/publicdomain/zero/1.0/"]},
    "config": {"iiif_url": "https://www.artic.edu/iiif/2", "website_url": "http://www.artic.edu"},
}
CLEVELAND_PAGE = {"info": {"total": 1}, "data": [{
    "id": 135382, "accession_number": "1965.233", "share_license_status": "CC0",
    "title": "Twilight in the Wilderness", "creation_date": "1860", "creation_date_earliest": 1860,
    "creation_date_latest": 1860, "creators": [
        {"id": 2476, "description": "Frederic Edwin Church (American, 1826–1900)", "role": "artist"},
        {"id": 9, "description": "Someone Else (American, 1800–1870)", "role": "framer"}],
    "culture": ["America, 19th century"], "technique": "oil on canvas", "department": "American Painting and Sculpture",
    "type": "Painting", "measurements": "Framed: 124 x 185 cm", "creditline": "Mr. and Mrs. William H. Marlatt Fund",
    "url": "https://clevelandart.org/art/1965.233", "wall_description": "Church painted this.",
    "images": {"web": {"url": "https://openaccess-cdn.clevelandart.org/1965.233/1965.233_web.jpg", "width": "893"},
               "print": {"url": "https://openaccess-cdn.clevelandart.org/1965.233/1965.233_print.jpg"}}}]}
HARVARD_PAGE = {"info": {"totalrecords": 1}, "records": [{
    "id": 299843, "objectnumber": "1951.65", "title": "Self-Portrait Dedicated to Paul Gauguin",
    "people": [{"role": "Artist", "name": "Vincent van Gogh", "culture": "Dutch", "displaydate": "1853 - 1890"}],
    "dated": "1888", "datebegin": 1888, "dateend": 1888, "medium": "Oil on canvas", "classification": "Paintings",
    "culture": "Dutch", "creditline": "Bequest from the Collection of Maurice Wertheim",
    "primaryimageurl": "https://nrs.harvard.edu/urn-3:HUAM:DDC251942_dynmc",
    "images": [{"baseimageurl": "https://nrs.harvard.edu/urn-3:HUAM:DDC251942_dynmc", "alttext": "A bearded man.",
                "iiifbaseuri": "https://ids.lib.harvard.edu/ids/iiif/47174896"}],
    "url": "https://www.harvardartmuseums.org/collections/object/299843"}]}
RIJKS_PAGE = {"count": 1, "artObjects": [{
    "id": "en-SK-C-5", "objectNumber": "SK-C-5", "title": "The Night Watch",
    "principalOrFirstMaker": "Rembrandt van Rijn",
    "webImage": {"url": "https://lh3.googleusercontent.com/nightwatch", "width": 2500},
    "links": {"web": "http://www.rijksmuseum.nl/en/collection/SK-C-5"}}]}
EUROPEANA_PAGE = {"success": True, "itemsCount": 1, "items": [{
    "id": "/90402/SK_A_4691", "title": ["Self-portrait", "Zelfportret"], "dcCreator": ["Rembrandt van Rijn"],
    "type": "IMAGE", "year": ["1628"], "dataProvider": ["Rijksmuseum"],
    "edmIsShownBy": ["https://lh3.googleusercontent.com/selfportrait"],
    "edmIsShownAt": ["http://www.rijksmuseum.nl/collectie/SK-A-4691"],
    "rights": ["http://creativecommons.org/publicdomain/mark/1.0/"], "dcDescription": ["A portrait."]}]}


def _read(tmp_path: Path, document: object, name: str = "page.json", **options) -> list:
    (tmp_path / name).write_text(json.dumps(document))
    kind, records = read_source(str(tmp_path / name), **options)
    assert kind == "json"
    return list(records)


def test_the_art_institute_of_chicago_page(tmp_path):
    seurat, picasso, monet, statue = _read(tmp_path, AIC_PAGE)
    assert (seurat.source_id, seurat.accession_number, seurat.title) == (
        "1926.224", "1926.224", "A Sunday on La Grande Jatte — 1884")
    assert (seurat.artist_name, seurat.artist_nationality, seurat.artist_birth_year, seurat.artist_death_year,
            seurat.artist_bio_line) == ("Georges Seurat", "French", 1859, 1891, "French, 1859-1891")
    assert (seurat.date, seurat.year_start, seurat.year_end) == ("1884–86", 1884, 1886)
    assert (seurat.culture, seurat.medium, seurat.classification, seurat.department) == (
        "France", "Oil on canvas", "Painting", "Painting and Sculpture of Europe")
    assert seurat.description == "Seurat’s dots.\nSecond." and seurat.tags == ["leisure", "parks"]
    assert seurat.image_description == "Dots."  # the AIC's alt text, thumbnail.alt_text
    assert seurat.rights == "public-domain" and seurat.credit_line == "Helen Birch Bartlett Memorial Collection"
    # No image URL in the record: its IIIF image at the width the AIC recommends, from the page's config.
    assert seurat.image_url == ("https://www.artic.edu/iiif/2/2d484387-2509-5e8e-2c43-22f9981972eb"
                                "/full/843,/0/default.jpg")
    assert seurat.source_url == "http://www.artic.edu/artworks/27992" and seurat.image_path is None
    # The first line is the artist's; the next ones name the writer, the printer, the publisher.
    assert (picasso.artist_name, picasso.artist_nationality, picasso.artist_birth_year) == ("Pablo Picasso", "Spanish",
                                                                                           1881)
    # Not public domain, and its copyright notice says whose it is.
    assert (picasso.rights, picasso.image_url, picasso.title) == ("in-copyright", "", "Painter and Model Knitting")
    assert monet.image_url.startswith("https://www.artic.edu/iiif/2/3c27b499-")
    # No artist_title: "Ancient Egyptian" is where the work was made, not a person.
    assert (statue.artist_name, statue.culture) == ("", "Egypt")


def test_an_aic_record_without_its_page_gets_the_aics_own_addresses(tmp_path):
    """One artwork's file of the AIC's data dump (json/artworks/<id>.json) carries no config."""
    lines = [json.dumps({**AIC_PAGE["data"][0], "api_link": "https://api.artic.edu/api/v1/artworks/27992"}),
             json.dumps({**AIC_PAGE["data"][2]})]  # no api_link: not known for the AIC's
    (tmp_path / "artworks.jsonl").write_text("\n".join(lines))
    seurat, monet = read_source(str(tmp_path / "artworks.jsonl"))[1]
    assert seurat.image_url == ("https://www.artic.edu/iiif/2/2d484387-2509-5e8e-2c43-22f9981972eb"
                                "/full/843,/0/default.jpg")
    assert seurat.source_url == "https://www.artic.edu/artworks/27992"
    assert (monet.title, monet.image_url) == ("Water Lilies", "")


@pytest.mark.parametrize(("page", "expected"), [
    (CLEVELAND_PAGE, ("1965.233", "Twilight in the Wilderness", "Frederic Edwin Church", "American", 1826, 1900,
                      "https://openaccess-cdn.clevelandart.org/1965.233/1965.233_web.jpg",
                      "https://clevelandart.org/art/1965.233", "public-domain")),
    (HARVARD_PAGE, ("1951.65", "Self-Portrait Dedicated to Paul Gauguin", "Vincent van Gogh", "Dutch", 1853, 1890,
                    "https://nrs.harvard.edu/urn-3:HUAM:DDC251942_dynmc",
                    "https://www.harvardartmuseums.org/collections/object/299843", "unknown")),
    (RIJKS_PAGE, ("SK-C-5", "The Night Watch", "Rembrandt van Rijn", "", None, None,
                  "https://lh3.googleusercontent.com/nightwatch", "http://www.rijksmuseum.nl/en/collection/SK-C-5",
                  "unknown")),
    (EUROPEANA_PAGE, ("json:page.json:/90402/SK_A_4691", "Self-portrait", "Rembrandt van Rijn", "", None, None,
                      "https://lh3.googleusercontent.com/selfportrait", "http://www.rijksmuseum.nl/collectie/SK-A-4691",
                      "public-domain")),
], ids=["cleveland", "harvard", "rijksmuseum", "europeana"])
def test_other_museum_apis_by_their_known_names(tmp_path, page, expected):
    (record,) = _read(tmp_path, page)
    assert (record.source_id, record.title, record.artist_name, record.artist_nationality, record.artist_birth_year,
            record.artist_death_year, record.image_url, record.source_url, record.rights) == expected


def test_europeanas_media_type_is_no_classification_and_its_year_the_date(tmp_path):
    (record,) = _read(tmp_path, EUROPEANA_PAGE)
    assert (record.classification, record.description) == ("", "A portrait.")
    assert (record.date, record.year_start, record.year_end) == ("1628", 1628, 1628)  # its `year`
    assert record.institution == "Rijksmuseum"  # its dataProvider: who holds the work


def test_the_artist_of_a_works_people_comes_first_whatever_their_order(tmp_path):
    people = [{"role": "Printer", "name": "Auguste Clot", "culture": "French", "displaydate": "1858 - 1936"},
              {"role": "Artist", "name": "Edvard Munch", "culture": "Norwegian"}]
    (record,) = _read(tmp_path, {"records": [{**HARVARD_PAGE["records"][0], "people": people}]})
    assert (record.artist_name, record.artist_nationality) == ("Edvard Munch", "Norwegian")
    assert (record.artist_birth_year, record.artist_death_year) == (None, None)  # not the printer's years


def test_the_artists_qualifier_is_read_from_the_artist_not_the_next_person(tmp_path):
    creators = CLEVELAND_PAGE["data"][0]["creators"]
    attributed = {**CLEVELAND_PAGE["data"][0], "creators": [{**creators[0], "qualifier": "Attributed to"}, creators[1]]}
    framer_only = {**CLEVELAND_PAGE["data"][0], "id": 1, "accession_number": "1965.234",
                   "creators": [{**creators[0], "qualifier": None}, {**creators[1], "qualifier": "Workshop of"}]}
    first, second = _read(tmp_path, {"data": [attributed, framer_only]})
    assert (first.artist_name, first.artist_qualifier) == ("Frederic Edwin Church", "Attributed to")
    assert (second.artist_name, second.artist_qualifier) == ("Frederic Edwin Church", "")  # not the framer's


def test_the_artists_nationality_is_read_from_the_artist_not_the_next_person(tmp_path):
    people = [{"role": "Artist", "name": "Unknown Artist"},
              {"role": "Printer", "name": "Auguste Clot", "culture": "French", "displaydate": "1858 - 1936"}]
    (record,) = _read(tmp_path, {"records": [{**HARVARD_PAGE["records"][0], "people": people}]})
    assert (record.artist_name, record.artist_nationality) == ("Unknown Artist", "")  # not the printer's


def test_harvards_alt_text_describes_the_picture(tmp_path):
    (record,) = _read(tmp_path, HARVARD_PAGE)
    assert record.image_description == "A bearded man."


def test_cleveland_record_fields(tmp_path):
    (record,) = _read(tmp_path, CLEVELAND_PAGE)
    assert (record.culture, record.medium, record.classification, record.dimensions, record.description) == (
        "America, 19th century", "oil on canvas", "Painting", "Framed: 124 x 185 cm", "Church painted this.")
    assert (record.year_start, record.year_end, record.credit_line) == (1860, 1860,
                                                                        "Mr. and Mrs. William H. Marlatt Fund")


def test_a_mapping_names_key_paths_and_wins_over_known_names(tmp_path):
    (record,) = _read(tmp_path, CLEVELAND_PAGE, mapping={"images.print.url": "image", "wall_description": "title"})
    assert record.image_url.endswith("_print.jpg") and record.title == "Church painted this."
    with pytest.raises(MappingError, match="the mapping names column 'images.full.url'"):
        _read(tmp_path, CLEVELAND_PAGE, mapping={"images.full.url": "image"})


def test_one_record_an_array_and_json_lines_with_a_bad_line(tmp_path):
    (one,) = _read(tmp_path, {"data": HARVARD_PAGE["records"][0]})  # the AIC's answer for one artwork is so
    assert one.accession_number == "1951.65"
    second = {**HARVARD_PAGE["records"][0], "objectnumber": "1951.66", "people": []}
    assert [(r.accession_number, r.artist_name) for r in _read(tmp_path, [HARVARD_PAGE["records"][0], second])] == [
        ("1951.65", "Vincent van Gogh"), ("1951.66", "")]
    lines = [json.dumps(CLEVELAND_PAGE["data"][0]), "{not json", json.dumps(HARVARD_PAGE["records"][0]), "[1, 2]"]
    (tmp_path / "objects.jsonl").write_text("\n".join(lines))
    kind, records = read_source(str(tmp_path / "objects.jsonl"))
    results = list(records)
    assert kind == "json" and [r.accession_number for r in results if isinstance(r, CatalogueRecord)] == [
        "1965.233", "1951.65"]
    assert [(r.where, r.reason.split(":")[0]) for r in results if isinstance(r, SkippedRecord)] == [
        ("objects.jsonl line 2", "invalid JSON"), ("objects.jsonl record 4", "not a JSON object")]


def test_images_beside_the_export_and_repeated_accession_numbers(tmp_path):
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "a.jpg").write_bytes(b"not read here")
    records = [{"objectnumber": "1", "title": "A", "image": "pictures/a.jpg"},
               {"objectnumber": "1", "title": "A again", "image": "pictures/a.jpg"},
               {"objectnumber": "2", "title": "B", "image": "pictures/missing.jpg"}]
    first, again, missing = _read(tmp_path, records)
    assert first.image_path == tmp_path / "pictures" / "a.jpg"
    assert (again.where, again.reason) == ("page.json record 2", "accession number '1' again (first in record 1)")
    assert missing.reason == "image 'pictures/missing.jpg' not found beside page.json"


@pytest.mark.parametrize(("document", "message"), [
    ({"hello": "world"}, "no title or image column"),
    ({"data": []}, "holds no records"),
    (["a", "b"], "holds no records"),
    (42, "holds no records"),
])
def test_documents_without_records_are_refused(tmp_path, document, message):
    with pytest.raises(ValueError, match=message):
        _read(tmp_path, document)


def test_a_record_of_many_keys_and_no_title_or_image_names_some_of_them(tmp_path):
    with pytest.raises(MappingError, match=r"no title or image column \(columns: k0, k1, .*, k39, … \(500 in all\)\)"):
        _read(tmp_path, {f"k{n}": n for n in range(500)})


def test_hostile_records_flatten_within_bounds(tmp_path):
    deep: dict = {"title": "Deep"}
    node = deep
    for _ in range(50):
        node["next"] = {"title": "inner"}
        node = node["next"]
    flat = flatten({**deep, "tags": [f"t{i}" for i in range(10_000)], "nul": "a\x00b", "none": None, "empty": ""})
    assert flat["title"] == ["Deep"] and len(flat["tags"]) == 200 and flat["nul"] == ["ab"]
    assert "none" not in flat and "empty" not in flat
    assert max(key.count(".") for key in flat) < 6
    (record,) = _read(tmp_path, [{"title": "Big", "image": "https://example.org/a.jpg",
                                  "tags": [f"t{i}" for i in range(10_000)]}])
    assert len(record.tags) == 200


class PagedApi(BaseHTTPRequestHandler):
    """An API of three pages of two records (the AIC's pagination.next_url, absolute then relative; the last links
    to another host), a page that links to itself, one whose next page is missing, and their IIIF images."""

    requests: list[str] = []
    busy = 0  # how many more times page 2 answers 503

    def log_message(self, *args):
        pass

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        PagedApi.requests.append(self.path)
        pages = {
            "/api/artworks?page=1": f"{base}/api/artworks?page=2",
            "/api/artworks?page=2": "artworks?page=3",
            "/api/artworks?page=3": "http://192.0.2.1/api/artworks?page=4",
            "/loop": f"{base}/loop",
            "/broken": f"{base}/missing",
            "/keyed?apikey=s3cret": f"{base}/missing?apikey=s3cret",
        }
        if self.path == "/api/artworks?page=2" and PagedApi.busy:  # a server under load, for a while
            PagedApi.busy -= 1
            return respond(self, b"busy", status=503)
        if self.path.startswith("/iiif/"):  # a real picture, a different one for each image id
            return respond(self, met_picture(self.path), "image/jpeg")
        if self.path not in pages:
            return respond(self, None)
        number = self.path.rsplit("=", 1)[-1] if "=" in self.path else self.path
        records = [{"id": f"{number}-{n}", "title": f"Work {number}.{n}", "main_reference_number": f"{number}.{n}",
                    "image_id": f"image-{number}-{n}"} for n in (1, 2)]
        respond(self, json.dumps({"pagination": {"next_url": pages[self.path]}, "data": records,
                                  "config": {"iiif_url": f"{base}/iiif/2"}}).encode())


@pytest.fixture(scope="module")
def paged_api():
    with loopback_server(PagedApi) as base:
        yield base


def test_an_api_url_is_followed_page_by_page_as_its_records_are_read(paged_api):
    PagedApi.requests.clear()
    kind, records = read_source(f"{paged_api}/api/artworks?page=1")
    assert kind == "json" and PagedApi.requests == ["/api/artworks?page=1"]
    first_two = list(itertools.islice(records, 2))
    assert [r.accession_number for r in first_two] == ["1.1", "1.2"]
    assert PagedApi.requests == ["/api/artworks?page=1"]  # an import with --limit 2 fetches no other page
    rest = list(records)
    assert [r.accession_number for r in rest] == ["2.1", "2.2", "3.1", "3.2"]  # page 4 is on another host: not asked
    assert PagedApi.requests == ["/api/artworks?page=1", "/api/artworks?page=2", "/api/artworks?page=3"]
    assert rest[-1].image_url == f"{paged_api}/iiif/2/image-3-2/full/843,/0/default.jpg"
    assert rest[0].source_id == "2.1"


def test_a_page_linking_to_itself_ends_and_a_missing_next_page_is_reported(paged_api):
    assert [r.accession_number for r in read_source(f"{paged_api}/loop")[1]] == ["/loop.1", "/loop.2"]
    *read, missing = read_source(f"{paged_api}/broken")[1]
    assert [r.accession_number for r in read] == ["/broken.1", "/broken.2"]
    assert missing.where == f"{paged_api}/missing" and missing.reason.startswith("cannot fetch the next page")
    assert "404" in missing.reason
    *_, missing = read_source(f"{paged_api}/keyed?apikey=s3cret")[1]  # the key it was asked with is not shown
    assert missing.where == f"{paged_api}/missing?apikey=***" and "s3cret" not in missing.reason


def test_an_endless_api_stops_at_the_page_limit_and_says_where(paged_api, monkeypatch):
    monkeypatch.setattr(pages, "MAX_PAGES", 2)
    *read, stop = read_source(f"{paged_api}/api/artworks?page=1")[1]
    assert [r.accession_number for r in read] == ["1.1", "1.2", "2.1", "2.2"]
    assert stop.where == f"{paged_api}/api/artworks?page=3" and stop.reason.startswith("not read: the import stops")


def test_a_page_that_fails_for_a_while_is_tried_again(paged_api):
    PagedApi.requests.clear()
    PagedApi.busy = 2
    records = list(read_source(f"{paged_api}/api/artworks?page=1")[1])
    assert [r.accession_number for r in records] == ["1.1", "1.2", "2.1", "2.2", "3.1", "3.2"]
    assert PagedApi.requests.count("/api/artworks?page=2") == 3


def vam_record(number: str, base: str, **changes) -> dict:
    """A record of the V&A's search API (api.vam.ac.uk/v2/objects/search), its picture a IIIF base on `base`."""
    return {"systemNumber": f"O{number}", "accessionNumber": f"E.{number}-1900", "objectType": "Oil painting",
            "_currentLocation": {"displayName": "Prints & Drawings Study Room", "onDisplay": False},
            "_primaryTitle": f"Study {number}", "_primaryMaker": {"name": "Constable, John", "association": "artist"},
            "_primaryImageId": f"2006AN{number}", "_primaryDate": "ca. 1820", "_primaryPlace": "England",
            "_images": {"_primary_thumbnail": f"{base}/iiif/{number}/full/!100,100/0/default.jpg",
                        "_iiif_image_base_url": f"{base}/iiif/{number}/",
                        "_iiif_presentation_url": f"https://iiif.vam.ac.uk/collections/O{number}/manifest.json"},
            **changes}


def smk_record(number: str, base: str) -> dict:
    """A record of SMK's search API (api.smk.dk/api/v1/art/search), Danish and English titles."""
    return {"id": f"1170_{number}", "object_number": f"KMS{number}",
            "titles": [{"title": f"Portræt {number}", "language": "da"}, {"title": f"Portrait {number}",
                                                                          "language": "en"}],
            "artist": ["Rembrandt van Rijn"],
            "production": [{"creator": "Rembrandt van Rijn", "creator_nationality": "Dutch",
                            "creator_date_of_birth": "1606-07-15T00:00:00.000Z",
                            "creator_date_of_death": "1669-10-04T00:00:00.000Z"}],
            "production_date": [{"start": "1650-01-01T00:00:00.000Z", "end": "1655-12-31T00:00:00.000Z",
                                 "period": "1650-1655"}],
            "techniques": ["Olie på lærred"], "object_names": [{"name": "maleri"}], "responsible_department": "KMS",
            "public_domain": True, "rights": "https://creativecommons.org/publicdomain/zero/1.0/",
            "image_thumbnail": f"{base}/iiif/smk{number}/full/!1024,/0/default.jpg",
            "image_iiif_id": f"{base}/iiif/smk{number}",
            "frontend_url": f"https://open.smk.dk/artwork/image/KMS{number}",
            "iiif_manifest": f"https://api.smk.dk/api/v1/iiif/manifest/?id=KMS{number}"}


def smithsonian_record(number: str, base: str) -> dict:
    """A row of the Smithsonian's Open Access API (EDAN): fields as labelled pairs, the picture on its image service."""
    def pairs(label: str, content: str) -> list[dict]:
        return [{"label": label, "content": content}]

    return {"id": f"edanmdm-saam_1929.6.{number}", "title": f"Moonlight {number}", "unitCode": "SAAM",
            "type": "edanmdm", "url": f"edanmdm:saam_1929.6.{number}",
            "content": {"descriptiveNonRepeating": {
                "record_link": f"https://americanart.si.edu/artwork/{number}", "metadata_usage": {"access": "CC0"},
                "online_media": {"media": [{"type": "Images", "usage": {"access": "CC0"},
                                            "content": f"{base}/ids/deliveryService?id=SAAM-{number}"}]}},
                "freetext": {"name": pairs("Artist", "Winslow Homer, born Boston, MA 1836-died Prouts Neck, ME 1910"),
                             "date": pairs("Date", "1894"), "identifier": pairs("Object number", f"1929.6.{number}"),
                             "physicalDescription": [{"label": "Medium", "content": "oil on canvas"},
                                                     {"label": "Dimensions", "content": "30 3/4 x 40 1/4 in."}],
                             "objectType": pairs("Type", "Painting"),
                             "dataSource": pairs("Data Source", "Smithsonian American Art Museum")}}}


class NumberedApi(BaseHTTPRequestHandler):
    """APIs that number their pages instead of linking them: the V&A's (`info.page` of `info.pages`, asked with
    `page=`), SMK's (`offset` and `rows` of `found`, asked with `offset=`) and the Smithsonian's (`start=` until
    `rowCount`), and their images."""

    requests: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        NumberedApi.requests.append(self.path)
        path, _, query = self.path.partition("?")
        params = dict(pair.split("=", 1) for pair in query.split("&") if "=" in pair)
        if path.startswith(("/iiif/", "/ids/")):
            return respond(self, met_picture(self.path), "image/jpeg")
        if path == "/vam/search":
            page = int(params.get("page", "1"))
            records = [vam_record(f"{page}{n}", base) for n in (1, 2)]
            return respond(self, json.dumps({"info": {"record_count": 4, "pages": 2, "page": page, "page_size": 2},
                                             "records": records}).encode())
        if path == "/si/search":  # the Smithsonian's: the rows asked for from `start`
            start = int(params.get("start", "0"))
            rows = [smithsonian_record(str(number), base) for number in range(start, min(start + 2, 3))]
            return respond(self, json.dumps({"status": 200, "response": {"rows": rows, "rowCount": 3}}).encode())
        if path == "/smk/search":
            offset = int(params.get("offset", "0"))
            items = [smk_record(str(number), base) for number in range(offset, min(offset + 2, 3))]
            return respond(self, json.dumps({"offset": offset, "rows": 2, "found": 3, "items": items}).encode())
        respond(self, None)


@pytest.fixture(scope="module")
def numbered_api():
    with loopback_server(NumberedApi) as base:
        yield base


def test_the_vam_search_api_page_by_page_number(numbered_api):
    NumberedApi.requests.clear()
    records = list(read_source(f"{numbered_api}/vam/search?q=constable&page_size=2")[1])
    assert NumberedApi.requests == ["/vam/search?q=constable&page_size=2", "/vam/search?q=constable&page_size=2&page=2"]
    assert [record.accession_number for record in records] == ["E.11-1900", "E.12-1900", "E.21-1900", "E.22-1900"]
    first = records[0]
    assert (first.title, first.artist_name, first.date, first.year_start, first.culture, first.classification) == (
        "Study 11", "John Constable", "ca. 1820", 1820, "England", "Oil painting")  # the name as a label has it
    assert first.image_url == f"{numbered_api}/iiif/11/full/!2048,2048/0/default.jpg"  # not the 100 px thumbnail
    assert first.source_url == "https://collections.vam.ac.uk/item/O11/"
    assert first.manifest_url == "https://iiif.vam.ac.uk/collections/O11/manifest.json"


def test_the_vam_makers_sorted_names(tmp_path):
    names = ["Gogh, Vincent van", "Unknown", "Liberty & Co., Ltd", "Morris & Co.", "Smith, John (1750-1800)"]
    page = {"records": [vam_record(str(n), "https://framemark.vam.ac.uk/collections",
                                   _primaryMaker={"name": name, "association": "maker"})
                        for n, name in enumerate(names)]}
    records = _read(tmp_path, page)
    assert [record.artist_name for record in records] == [
        "Vincent van Gogh", "", "Liberty & Co., Ltd", "Morris & Co.", "John Smith"]
    assert (records[-1].artist_birth_year, records[-1].artist_death_year) == (1750, 1800)


def test_the_smk_search_api_by_offset(numbered_api):
    NumberedApi.requests.clear()
    records = list(read_source(f"{numbered_api}/smk/search?keys=*&rows=2")[1])
    assert NumberedApi.requests == ["/smk/search?keys=*&rows=2", "/smk/search?keys=%2A&rows=2&offset=2"]
    assert [record.accession_number for record in records] == ["KMS0", "KMS1", "KMS2"]
    first = records[0]
    assert (first.title, first.artist_name, first.artist_nationality, first.artist_birth_year,
            first.artist_death_year) == ("Portrait 0", "Rembrandt van Rijn", "Dutch", 1606, 1669)  # the English title
    assert (first.date, first.year_start, first.year_end, first.medium, first.classification, first.department) == (
        "1650-1655", 1650, 1655, "Olie på lærred", "maleri", "KMS")
    assert (first.rights, first.source_url) == ("public-domain", "https://open.smk.dk/artwork/image/KMS0")
    assert first.image_url == f"{numbered_api}/iiif/smk0/full/!2048,2048/0/default.jpg"


def test_a_numbered_page_past_the_last_is_not_asked_for(tmp_path):
    assert json_records.next_page({"info": {"page": 2, "pages": 2}}, "https://api.example.org/s?page=2") == ""
    assert json_records.next_page({"offset": 2, "rows": 2, "found": 3}, "https://api.example.org/s?offset=2") == ""
    assert json_records.next_page({"info": {"page": True, "pages": 9}}, "https://api.example.org/s") == ""


def wikidata_cell(value: str, kind: str = "literal") -> dict:
    return {"type": kind, "value": value}


WIKIDATA_RESULTS = {"head": {"vars": ["item", "itemLabel", "image", "creatorLabel", "inception", "collectionLabel"]},
                    "results": {"bindings": [
    {"item": wikidata_cell("http://www.wikidata.org/entity/Q12418", "uri"), "itemLabel": wikidata_cell("Mona Lisa"),
     "image": wikidata_cell("http://commons.wikimedia.org/wiki/Special:FilePath/Mona%20Lisa.jpg", "uri"),
     "creatorLabel": wikidata_cell("Leonardo da Vinci"), "inception": wikidata_cell("1503-01-01T00:00:00Z"),
     "collectionLabel": wikidata_cell("Louvre Museum")},
    {"item": wikidata_cell("http://www.wikidata.org/entity/Q12418", "uri"), "itemLabel": wikidata_cell("Mona Lisa"),
     "image": wikidata_cell("http://commons.wikimedia.org/wiki/Special:FilePath/Another%20scan.jpg", "uri")},
    {"item": wikidata_cell("http://www.wikidata.org/entity/Q999", "uri"), "itemLabel": wikidata_cell("Q999"),
     "inception": wikidata_cell("-0500-01-01T00:00:00Z"),
     "image": wikidata_cell("http://commons.wikimedia.org/wiki/Special:FilePath/Vase.jpg", "uri")},
]}}


def test_a_wikidata_query_one_work_a_row(tmp_path):
    mona_lisa, vase = _read(tmp_path, WIKIDATA_RESULTS, name="query.json")  # the second scan's row is the same work
    assert (mona_lisa.title, mona_lisa.artist_name, mona_lisa.date, mona_lisa.year_start, mona_lisa.institution) == (
        "Mona Lisa", "Leonardo da Vinci", "1503", 1503, "Louvre Museum")
    assert (mona_lisa.source_id, mona_lisa.source_url) == ("json:query.json:Q12418",
                                                           "https://www.wikidata.org/wiki/Q12418")
    # Commons scales the file: the original may be a 100 MB TIFF.
    assert mona_lisa.image_url == "http://commons.wikimedia.org/wiki/Special:FilePath/Mona%20Lisa.jpg?width=2048"
    assert (vase.title, vase.date, vase.year_start) == ("", "500 BCE", -500)  # "Q999" is no title


def test_the_smithsonian_open_access_api_by_start(numbered_api):
    NumberedApi.requests.clear()
    records = list(read_source(f"{numbered_api}/si/search?q=homer&rows=2&api_key=s3cret")[1])
    assert NumberedApi.requests == ["/si/search?q=homer&rows=2&api_key=s3cret",
                                    "/si/search?q=homer&rows=2&api_key=s3cret&start=2"]
    assert [record.accession_number for record in records] == ["1929.6.0", "1929.6.1", "1929.6.2"]
    first = records[0]
    assert (first.title, first.artist_name, first.artist_birth_year, first.artist_death_year, first.date) == (
        "Moonlight 0", "Winslow Homer", 1836, 1910, "1894")  # the Smithsonian's "born <place> 1836-died <place> 1910"
    assert (first.medium, first.dimensions, first.classification, first.institution, first.rights) == (
        "oil on canvas", "30 3/4 x 40 1/4 in.", "Painting", "Smithsonian American Art Museum", "public-domain")
    assert first.source_url == "https://americanart.si.edu/artwork/0"  # not the record's "edanmdm:…" id
    assert first.image_url == f"{numbered_api}/ids/deliveryService?id=SAAM-0&max=2048"


VAM_OBJECT = {  # what api.vam.ac.uk/v2/museumobject/O1142817 answers, trimmed
    "meta": {"images": {"_primary_thumbnail": "https://framemark.vam.ac.uk/collections/2006AN7425/full/!100,100/0/x",
                        "_iiif_image_base_url": "https://framemark.vam.ac.uk/collections/2006AN7425/",
                        "_iiif_presentation_url": "https://iiif.vam.ac.uk/collections/O1142817/manifest.json"}},
    "record": {"systemNumber": "O1142817", "accessionNumber": "FA.33[O]", "objectType": "Oil painting",
               "titles": [{"title": "Salisbury Cathedral from the Bishop's Grounds", "type": ""}],
               "summaryDescription": "Constable painted the cathedral for his friend.",
               "artistMakerPerson": [{"name": {"text": "Constable, John", "id": "A6149"},
                                      "association": {"text": "artist"}}],
               "materialsAndTechniques": "Oil on canvas",
               "productionDates": [{"date": {"text": "1823", "earliest": "1823-01-01", "latest": "1823-12-31"}}],
               "placesOfOrigin": [{"place": {"text": "England"}}], "creditLine": "Given by John Sheepshanks, 1857",
               "images": ["2006AN7425"]}}


def test_one_vam_object_as_its_api_gives_it(tmp_path):
    (record,) = _read(tmp_path, VAM_OBJECT)
    assert (record.accession_number, record.title, record.artist_name, record.date, record.culture, record.medium) == (
        "FA.33[O]", "Salisbury Cathedral from the Bishop's Grounds", "John Constable", "1823", "England",
        "Oil on canvas")
    assert (record.description, record.credit_line) == ("Constable painted the cathedral for his friend.",
                                                        "Given by John Sheepshanks, 1857")
    assert record.image_url == "https://framemark.vam.ac.uk/collections/2006AN7425/full/!2048,2048/0/default.jpg"
    assert record.source_url == "https://collections.vam.ac.uk/item/O1142817/"


def test_one_smithsonian_record_as_its_content_endpoint_gives_it(tmp_path):
    row = smithsonian_record("7", "https://ids.si.edu")
    (record,) = _read(tmp_path, {"status": 200, "responseCode": 1, "response": row})
    assert (record.accession_number, record.title, record.artist_name) == ("1929.6.7", "Moonlight 7", "Winslow Homer")
    assert record.image_url == "https://ids.si.edu/ids/deliveryService?id=SAAM-7&max=2048"
