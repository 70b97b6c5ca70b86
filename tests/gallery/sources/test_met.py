"""gallery.sources.met on the real Met sample (1,000 Collection API records and their images) and on edge cases."""

import json
from pathlib import Path

import pytest

from gallery.sources.met import met_record, read_met_file
from gallery.sources.records import CC0_URL, CatalogueRecord, SkippedRecord
from tests.helpers import MET_SAMPLE

OBJECTS = MET_SAMPLE / "objects.jsonl"
IMAGES = MET_SAMPLE / "images"


@pytest.fixture(scope="module")
def met_records() -> dict[str, CatalogueRecord]:
    results = list(read_met_file(OBJECTS, images_dir=IMAGES))
    assert [r for r in results if isinstance(r, SkippedRecord)] == []
    records = {r.source_id: r for r in results}
    assert len(records) == len(results) == 1000  # source ids are unique
    return records


def test_every_record_has_its_image_file_and_no_url(met_records):
    for record in met_records.values():
        assert record.image_path is not None and record.image_path.parent == IMAGES and record.image_path.is_file()
        assert record.image_url == ""
    assert len({r.image_path for r in met_records.values()}) == 1000


def test_the_rocky_mountains(met_records):
    record = met_records["met:10154"]
    assert record.title == "The Rocky Mountains, Lander's Peak"
    assert record.accession_number == "07.123"
    assert (record.artist_name, record.artist_sort_name, record.artist_nationality) == (
        "Albert Bierstadt", "Bierstadt, Albert", "American")
    assert (record.artist_birth_year, record.artist_death_year) == (1830, 1902)
    assert record.artist_bio_line == "American, Solingen 1830–1902 New York"
    assert (record.date, record.year_start, record.year_end) == ("1863", 1863, 1863)
    assert (record.medium, record.classification, record.department) == ("Oil on canvas", "Paintings",
                                                                         "The American Wing")
    assert record.credit_line == "Rogers Fund, 1907"
    assert record.institution == "Metropolitan Museum of Art, New York, NY"  # its `repository`
    assert (record.rights, record.rights_url) == ("public-domain", CC0_URL)
    assert record.tags == ["Tents", "Horses", "Mountains", "Landscapes"]
    assert record.source_url == "https://www.metmuseum.org/art/collection/search/10154"
    assert record.image_path == IMAGES / "DT82.jpg"


def test_a_record_without_artist_and_one_with_the_mets_unidentified_artist(met_records):
    sutra = met_records["met:36104"]  # constituents: null, artistDisplayName ""
    assert (sutra.artist_name, sutra.artist_sort_name, sutra.artist_birth_year) == ("", "", None)
    assert met_records["met:36004"].artist_name == "Unidentified Artist"  # the Met's own words, kept
    assert sum(r.artist_name == "" for r in met_records.values()) == 25


def test_an_attribution_qualifier_is_kept_apart_from_the_artists_name(met_records):
    krimmel = met_records["met:12759"]  # artistPrefix "Attributed to"
    assert (krimmel.artist_qualifier, krimmel.artist_name) == ("Attributed to", "John Lewis Krimmel")
    assert met_records["met:10154"].artist_qualifier == ""
    qualified = [r for r in met_records.values() if r.artist_qualifier]
    assert len(qualified) == 76 and all(r.artist_name for r in qualified)
    assert {"Workshop of", "Copy after", "Style of", "After", "Circle of"} <= {r.artist_qualifier for r in qualified}


def test_culture_and_period(met_records):
    landscape = met_records["met:35994"]
    assert (landscape.culture, landscape.period) == ("China", "Ming dynasty (1368–1644)")
    assert (met_records["met:10154"].culture, met_records["met:10154"].period) == ("American", "")
    assert sum(bool(r.culture) for r in met_records.values()) == 302
    assert sum(bool(r.period) for r in met_records.values()) == 199


def test_multi_line_dimensions_keep_their_line_break(met_records):
    assert met_records["met:10382"].dimensions == ("Cover: 12 11/16 x 7 3/4 in. (32.2 x 19.7 cm)\n"
                                                   "Sheets: 12 11/16 x 7 3/4 in. (32.2 x 19.7 cm)")
    assert not any("\r" in r.dimensions for r in met_records.values())


def test_the_exports_years_win_and_every_record_has_them(met_records):
    sketchbook = met_records["met:10382"]  # no objectDate at all
    assert (sketchbook.date, sketchbook.year_start, sketchbook.year_end) == ("", 1811, 1893)
    assert (met_records["met:10452"].year_start, met_records["met:10452"].year_end) == (1870, 1870)  # "1870s"
    assert all(r.year_start <= r.year_end for r in met_records.values())


def test_every_sample_record_is_public_domain_with_its_fields(met_records):
    assert {r.rights for r in met_records.values()} == {"public-domain"}
    assert {r.classification for r in met_records.values()} == {"Paintings", "Drawings"}
    assert all(r.title and r.accession_number and r.source_url for r in met_records.values())


def _met(**fields) -> dict:
    return {"objectID": 1, "accessionNumber": "1.2", "title": "T", "isPublicDomain": False,
            "primaryImage": "https://images.metmuseum.org/CRDImages/ep/original/DP1.jpg",
            "primaryImageSmall": "https://images.metmuseum.org/CRDImages/ep/web-large/DP1.jpg", **fields}


def test_without_local_images_the_record_points_at_primary_image():
    record = met_record(_met())
    assert (record.image_path, record.image_url) == (None, "https://images.metmuseum.org/CRDImages/ep/original/DP1.jpg")
    assert met_record(_met(primaryImage="")).image_url.endswith("/web-large/DP1.jpg")
    assert (record.rights, record.rights_url) == ("unknown", "")


def test_a_record_without_any_image_is_skipped():
    skipped = met_record(_met(objectID=77, primaryImage="", primaryImageSmall=""))
    assert skipped == SkippedRecord(where="met:77", reason="no primaryImage or primaryImageSmall")


def test_live_api_tags_and_unknown_years():
    record = met_record(_met(tags=[{"term": "Horses", "AAT_URL": "x"}, "Dogs", {"term": "Horses"}], objectDate="1870s",
                             objectBeginDate=0, objectEndDate=0, artistBeginDate="", artistEndDate="1902      |1910"))
    assert record.tags == ["Horses", "Dogs"]
    assert (record.year_start, record.year_end) == (1870, 1879)  # 0 means unknown: the text decides
    assert (record.artist_birth_year, record.artist_death_year) == (None, 1902)
    assert met_record(_met(tags=None)).tags == []


def test_bad_lines_are_skipped_with_their_number_and_the_rest_is_read(tmp_path: Path):
    lines = [json.dumps(_met(objectID=1)), "{not json", "", json.dumps({"name": "not a met object"}),
             json.dumps(_met(objectID=2))]
    path = tmp_path / "objects.jsonl"
    path.write_text("\n".join(lines) + "\n")
    results = list(read_met_file(path))
    assert [r.source_id for r in results if isinstance(r, CatalogueRecord)] == ["met:1", "met:2"]
    skipped = [r for r in results if isinstance(r, SkippedRecord)]
    assert [s.where for s in skipped] == ["objects.jsonl line 2", "objects.jsonl line 4"]
    assert skipped[0].reason.startswith("invalid JSON")


def test_a_json_array_and_a_single_object(tmp_path: Path):
    (tmp_path / "array.json").write_text(json.dumps([_met(objectID=5), _met(objectID=6)], indent=2))
    (tmp_path / "one.json").write_text(json.dumps(_met(objectID=7), indent=2))
    assert [r.source_id for r in read_met_file(tmp_path / "array.json")] == ["met:5", "met:6"]
    assert [r.source_id for r in read_met_file(tmp_path / "one.json")] == ["met:7"]


def test_an_image_name_the_system_cannot_look_up_leaves_the_url_to_fetch(tmp_path: Path):
    """A basename too long for the file system is not a local file (the record keeps its URL), not a crash."""
    url = "https://images.metmuseum.org/CRDImages/ep/original/" + "x" * 300 + ".jpg"
    record = met_record({"objectID": 1, "title": "Long", "primaryImage": url}, images_dir=tmp_path)
    assert (record.image_path, record.image_url) == (None, url)
