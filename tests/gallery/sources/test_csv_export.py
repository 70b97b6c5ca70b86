"""gallery.sources.csv_export: a CSV with the documented columns, one with its own columns and a mapping, bad rows."""

import csv
import io
import json
from pathlib import Path

import pytest

from gallery.sources.csv_export import FIELDS, MappingError, load_mapping, parse_mapping, read_csv, spreadsheet_safe
from gallery.sources.records import CatalogueRecord, SkippedRecord
from tests.helpers import make_image_bytes


def write_csv(path: Path, rows: list[list[str]], *, delimiter=",", bom=True) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path.write_bytes(("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8"))
    return path


@pytest.fixture
def csv_export_folder(tmp_path: Path) -> Path:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(make_image_bytes(seed=1))
    (tmp_path / "images" / "deep").mkdir(parents=True)
    (tmp_path / "images" / "deep" / "b.jpg").write_bytes(make_image_bytes(seed=2))
    return tmp_path


def test_documented_columns(csv_export_folder: Path):
    cells = [
        {"accession_number": "1907.1", "title": "The Lake", "artist": "Anna Ancher", "artist_qualifier": "Circle of",
         "artist_nationality": "Danish", "artist_birth_year": "1859", "artist_death_year": "1935",
         "date": "c. 1665–67", "culture": "Danish", "period": "Skagen Painters", "medium": "Oil on canvas",
         "dimensions": "Image: 10 x 12 in.\r\nFrame: 14 x 16 in.", "classification": "Paintings",
         "department": "European Paintings", "credit_line": "Gift of X, 1907", "rights": "CC BY 4.0",
         "image_credit": "Photo: the museum", "description": "A lake.", "tags": "lake; water|boats;lake",
         "source_url": "https://museum.example/1907.1", "manifest_url": "https://museum.example/iiif/1907.1",
         "image": "photos/a.jpg"},
        {"accession_number": "1907.2", "title": "Boats", "date": "1870s", "year_start": "1871",
         "rights": "Public Domain", "image": "b.jpg"},
        {"title": "Remote", "rights": "https://creativecommons.org/publicdomain/zero/1.0/",
         "image": "https://images.example/remote.jpg"},
    ]
    rows = [list(FIELDS)] + [[row.get(field, "") for field in FIELDS] for row in cells]
    path = write_csv(csv_export_folder / "export.csv", rows)
    first, second, third = read_csv(path, images_dir=csv_export_folder / "images")
    assert first == CatalogueRecord(
        source_id="1907.1", title="The Lake", accession_number="1907.1", artist_name="Anna Ancher",
        artist_qualifier="Circle of", artist_nationality="Danish", artist_birth_year=1859, artist_death_year=1935,
        date="c. 1665–67", year_start=1665, year_end=1667, culture="Danish", period="Skagen Painters",
        medium="Oil on canvas", dimensions="Image: 10 x 12 in.\nFrame: 14 x 16 in.", classification="Paintings",
        department="European Paintings", credit_line="Gift of X, 1907", rights="cc",
        attribution="Photo: the museum", description="A lake.", tags=["lake", "water", "boats"],
        source_url="https://museum.example/1907.1", manifest_url="https://museum.example/iiif/1907.1",
        image_path=csv_export_folder / "photos" / "a.jpg")
    assert second.image_path == csv_export_folder / "images" / "deep" / "b.jpg"  # a file name found under images_dir
    assert (second.year_start, second.year_end, second.rights) == (1871, 1879, "public-domain")
    assert third.source_id == "csv:export.csv:4"  # no accession number: the file and its spreadsheet row
    assert (third.image_path, third.image_url) == (None, "https://images.example/remote.jpg")
    assert third.rights_url == "https://creativecommons.org/publicdomain/zero/1.0/"


@pytest.mark.parametrize(("text", "cell"), [
    ('=HYPERLINK("http://evil.example/")', '\'=HYPERLINK("http://evil.example/")'), ("+1 555", "'+1 555"),
    ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("-500", "-500"), ("12.5", "12.5"), ("A lake", "A lake"), ("", ""),
])
def test_a_formula_is_guarded_for_spreadsheets_and_read_back_as_written(csv_export_folder: Path, text, cell):
    assert spreadsheet_safe(text) == cell
    path = write_csv(csv_export_folder / "guarded.csv", [["title", "date", "image"], [cell, cell, "photos/a.jpg"]])
    (record,) = read_csv(path)
    assert (record.title, record.date) == (text, text)


def test_a_rights_url_column_keeps_the_url_beside_the_status(csv_export_folder: Path):
    rows = [["title", "rights", "rights_url", "image"],
            ["One", "In Copyright", "https://museum.example/terms", "photos/a.jpg"],
            ["Two", "", "https://creativecommons.org/licenses/by/4.0/", "photos/a.jpg"]]
    one, two = read_csv(write_csv(csv_export_folder / "rights.csv", rows))
    assert (one.rights, one.rights_url) == ("in-copyright", "https://museum.example/terms")
    assert (two.rights, two.rights_url) == ("cc", "https://creativecommons.org/licenses/by/4.0/")


def test_headers_match_loosely_and_semicolon_files_are_read(csv_export_folder: Path):
    path = write_csv(csv_export_folder / "excel.csv", [["Accession Number", "TITLE", "Year-Start"], ["A1", "One", "1900"]],
                     delimiter=";", bom=False)
    (record,) = read_csv(path)
    assert (record.accession_number, record.title, record.year_start) == ("A1", "One", 1900)


MET_HEADER = ("Object Number,Is Highlight,Is Timeline Work,Is Public Domain,Object ID,Gallery Number,Department,"
              "AccessionYear,Object Name,Title,Culture,Period,Dynasty,Reign,Portfolio,Constituent ID,Artist Role,"
              "Artist Prefix,Artist Display Name,Artist Display Bio,Artist Suffix,Artist Alpha Sort,Artist Nationality,"
              "Artist Begin Date,Artist End Date,Artist Gender,Artist ULAN URL,Artist Wikidata URL,Object Date,"
              "Object Begin Date,Object End Date,Medium,Dimensions,Credit Line,Geography Type,City,State,County,"
              "Country,Region,Subregion,Locale,Locus,Excavation,River,Classification,Rights and Reproduction,"
              "Link Resource,Object Wikidata URL,Metadata Date,Repository,Tags,Tags AAT URL,Tags Wikidata URL")
MOMA_HEADER = ("Title,Artist,ConstituentID,ArtistBio,Nationality,BeginDate,EndDate,Gender,Date,Medium,Dimensions,"
               "CreditLine,AccessionNumber,Classification,Department,DateAcquired,Cataloged,ObjectID,URL,ImageURL,OnView")
NGA_HEADER = ("objectid,accessioned,accessionnum,locationid,title,displaydate,beginyear,endyear,visualbrowsertimespan,"
              "medium,dimensions,inscription,markings,attributioninverted,attribution,provenancetext,creditline,"
              "classification,subclassification,visualbrowserclassification,parentid,isvirtual,departmentabbr,"
              "portfolio,series,volume,watermarks,lastdetectedmodification,wikidataid,customprinturl")
CLEVELAND_HEADER = ("id,accession_number,share_license_status,tombstone,current_location,title,"
                    "title_in_original_language,series,creation_date,creation_date_earliest,creation_date_latest,"
                    "culture,technique,department,collection,type,measurements,copyright,wall_description,url,"
                    "image_web,creditline")
TATE_HEADER = ("id,accession_number,artist,artistRole,artistId,title,dateText,medium,creditLine,year,acquisitionYear,"
               "dimensions,width,height,depth,units,inscription,thumbnailCopyright,thumbnailUrl,url")


def _row(header: str, **values: str) -> list[list[str]]:
    columns = header.split(",")
    return [columns, [values.get(column, "") for column in columns]]


def test_the_big_museums_open_data_exports_are_read_without_a_mapping(tmp_path: Path):
    met = write_csv(tmp_path / "MetObjects.csv", _row(
        MET_HEADER, **{"Object Number": "29.100.5", "Is Public Domain": "True", "Object Name": "Painting",
                       "Title": "The Harvesters", "Culture": "Netherlandish", "Period": "Northern Renaissance",
                       "Artist Prefix": "Attributed to|Workshop of",
                       "Artist Display Name": "Pieter Bruegel the Elder|Pieter Bruegel the Elder",
                       "Artist Nationality": "Netherlandish|Netherlandish",
                       "Object Date": "1565", "Object Begin Date": "1565", "Object End Date": "1565",
                       "Medium": "Oil on wood", "Credit Line": "Rogers Fund, 1919",
                       "Classification": "Paintings", "Department": "European Paintings",
                       "Link Resource": "http://www.metmuseum.org/art/collection/search/435809",
                       "Tags": "Landscapes|Men|Women"}))
    (record,) = read_csv(met)
    assert (record.accession_number, record.title, record.artist_name, record.artist_nationality) == (
        "29.100.5", "The Harvesters", "Pieter Bruegel the Elder", "Netherlandish")
    assert record.artist_qualifier == "Attributed to"  # the first maker's "Artist Prefix"
    assert (record.culture, record.period) == ("Netherlandish", "Northern Renaissance")
    assert (record.date, record.year_start, record.year_end, record.medium) == ("1565", 1565, 1565, "Oil on wood")
    assert (record.classification, record.credit_line, record.tags) == (
        "Paintings", "Rogers Fund, 1919", ["Landscapes", "Men", "Women"])  # Classification, not Object Name
    assert record.source_url == "http://www.metmuseum.org/art/collection/search/435809"
    assert record.rights == "public-domain"  # "Is Public Domain": True, and nothing in "Rights and Reproduction"

    moma = write_csv(tmp_path / "Artworks.csv", _row(
        MOMA_HEADER, Title="The Starry Night", Artist="Vincent van Gogh", Nationality="(Dutch)", BeginDate="(1853)",
        Date="1889",
        AccessionNumber="472.1941", CreditLine="Acquired through the Lillie P. Bliss Bequest",
        URL="http://www.moma.org/collection/works/79802", ImageURL="https://images.example/starry.jpg"))
    (record,) = read_csv(moma)
    assert (record.accession_number, record.credit_line, record.year_start) == (
        "472.1941", "Acquired through the Lillie P. Bliss Bequest", 1889)  # BeginDate is the artist's: not read
    assert (record.artist_name, record.artist_nationality) == ("Vincent van Gogh", "Dutch")
    two = write_csv(tmp_path / "Artworks2.csv", _row(
        MOMA_HEADER, Title="Portfolio", Artist="Vincent van Gogh, Paul Gauguin", Nationality="(Dutch) (French)",
        ImageURL="https://images.example/p.jpg"))
    assert [(r.artist_name, r.artist_nationality) for r in read_csv(two)] == [("Vincent van Gogh", "Dutch")]
    assert (record.source_url, record.image_url) == (
        "http://www.moma.org/collection/works/79802", "https://images.example/starry.jpg")

    nga = write_csv(tmp_path / "objects.csv", _row(
        NGA_HEADER, accessionnum="1942.9.97", title="A Lady Writing", displaydate="c. 1925", beginyear="1920",
        endyear="1930", attributioninverted="Vermeer, Johannes, imitator of",
        attribution="Imitator of Johannes Vermeer",
        creditline="Andrew W. Mellon Collection", classification="painting", medium="oil on canvas"))
    (record,) = read_csv(nga)  # the NGA's "attribution" is the maker, as its catalogue states it
    assert (record.accession_number, record.artist_qualifier, record.artist_name, record.attribution) == (
        "1942.9.97", "Imitator of", "Johannes Vermeer", "")
    assert (record.date, record.year_start, record.year_end, record.credit_line) == (
        "c. 1925", 1920, 1930, "Andrew W. Mellon Collection")

    cleveland = write_csv(tmp_path / "data.csv", _row(
        CLEVELAND_HEADER, accession_number="1958.31", share_license_status="CC0", title="The Large Plane Trees",
        creation_date="1889", creation_date_earliest="1889", creation_date_latest="1889", culture="France, 19th century",
        technique="oil on canvas", type="Painting", wall_description="Painted in the asylum's garden.",
        image_web="https://images.example/1958.31_web.jpg", url="https://clevelandart.org/art/1958.31"))
    (record,) = read_csv(cleveland)
    assert (record.accession_number, record.rights, record.culture, record.medium, record.classification) == (
        "1958.31", "public-domain", "France, 19th century", "oil on canvas", "Painting")
    assert (record.description, record.image_url, record.year_start) == (
        "Painted in the asylum's garden.", "https://images.example/1958.31_web.jpg", 1889)

    tate = write_csv(tmp_path / "artwork_data.csv", _row(
        TATE_HEADER, accession_number="N01490", artist="Turner, Joseph Mallord William", title="Snow Storm",
        dateText="exhibited 1842", creditLine="Accepted by the nation as part of the Turner Bequest 1856",
        thumbnailUrl="https://images.example/N01490_8.jpg", url="http://www.tate.org.uk/art/artworks/N01490"))
    (record,) = read_csv(tate)
    assert (record.accession_number, record.date, record.year_start) == ("N01490", "exhibited 1842", 1842)
    assert record.artist_name == "Turner, Joseph Mallord William"  # one name with a comma: kept whole
    assert (record.image_url, record.source_url) == ("https://images.example/N01490_8.jpg",
                                                     "http://www.tate.org.uk/art/artworks/N01490")


def test_an_attribution_qualifier_from_its_column_or_the_front_of_the_artists_cell(csv_export_folder: Path):
    rows = [["title", "artist", "artist_qualifier", "image"],
            ["One", "Rembrandt", "Workshop of", "photos/a.jpg"],
            ["Two", "Circle of Rembrandt", "", "photos/a.jpg"],
            ["Three", "Rembrandt", "", "photos/a.jpg"]]
    records = read_csv(write_csv(csv_export_folder / "qualified.csv", rows))
    assert [(r.artist_qualifier, r.artist_name) for r in records] == [
        ("Workshop of", "Rembrandt"), ("Circle of", "Rembrandt"), ("", "Rembrandt")]


def test_an_artists_cell_with_their_facts_fills_the_empty_columns(csv_export_folder: Path):
    rows = [["title", "artist", "artist_nationality", "artist_birth_year", "image"],
            ["One", "Vincent van Gogh (Dutch, 1853–1890)", "", "", "photos/a.jpg"],
            ["Two", "Georges Seurat, French, 1859-1891", "Belgian", "1860", "photos/a.jpg"],
            ["Three", "Turner, Joseph Mallord William", "", "", "photos/a.jpg"]]
    records = read_csv(write_csv(csv_export_folder / "facts.csv", rows))
    assert [(r.artist_name, r.artist_nationality, r.artist_birth_year, r.artist_death_year, r.artist_bio_line)
            for r in records] == [("Vincent van Gogh", "Dutch", 1853, 1890, "Dutch, 1853–1890"),
                                  ("Georges Seurat", "Belgian", 1860, 1891, ""),
                                  ("Turner, Joseph Mallord William", "", None, None, "")]


def test_a_mapping_names_other_columns(csv_export_folder: Path):
    rows = [["Object Number", "Object Title", "Maker", "Dated", "Picture", "Notes", "title"],
            ["X.1", "Harbour", "Peder Krøyer", "1892–93", "photos/a.jpg", "ignored", "not this one"]]
    path = write_csv(csv_export_folder / "museum.csv", rows)
    mapping = parse_mapping(["Object Number=accession_number", "Object Title=title", "Maker = artist",
                             "dated=date", "Picture=image"])
    (record,) = read_csv(path, mapping=mapping)
    assert (record.source_id, record.title, record.artist_name, record.date) == ("X.1", "Harbour", "Peder Krøyer",
                                                                                "1892–93")
    assert (record.year_start, record.year_end, record.image_path) == (1892, 1893, csv_export_folder / "photos" / "a.jpg")


def test_mapping_files_json_and_lines(tmp_path: Path):
    (tmp_path / "map.json").write_text(json.dumps({"Object Number": "accession_number", "Name": "Title"}))
    (tmp_path / "map.txt").write_text("# ours\nObject Number=accession_number\n\nName = title\n")
    expected = {"Object Number": "accession_number", "Name": "title"}
    assert load_mapping(tmp_path / "map.json") == load_mapping(tmp_path / "map.txt") == expected


def test_mapping_errors_are_clear(csv_export_folder: Path):
    with pytest.raises(MappingError, match="unknown field 'painter'; the fields are accession_number, title"):
        parse_mapping(["Maker=painter"])
    with pytest.raises(MappingError, match="expected 'Source Column=field'"):
        parse_mapping(["Maker"])
    path = write_csv(csv_export_folder / "x.csv", [["Name"], ["A"]])
    with pytest.raises(MappingError, match="no title or image column"):
        read_csv(path)
    with pytest.raises(MappingError, match="names column 'Titel', which is not in the header"):
        read_csv(path, mapping={"Titel": "title"})


def test_bad_rows_are_skipped_with_their_row_number(csv_export_folder: Path):
    rows = [["accession_number", "title", "year_start", "image", "description"],
            ["1", "Good", "1900", "", "two\nlines"],  # a quoted cell over two lines is still one row
            ["2", "", "", "", ""],
            ["3", "Bad year", "around 1900", "", ""],
            ["4", "Missing file", "", "nowhere.jpg", ""],
            ["1", "Same number", "", "", ""],
            ["", "", "", "", ""],
            ["5", "Good too", "1901.0", "", ""],
            ["6", "Endless", "1" * 400, "", ""]]  # read as a float it was infinity, and the whole import stopped
    results = list(read_csv(write_csv(csv_export_folder / "rows.csv", rows)))
    assert [r.title for r in results if isinstance(r, CatalogueRecord)] == ["Good", "Good too"]
    assert results[0].description == "two\nlines"
    skipped = [(r.where, r.reason) for r in results if isinstance(r, SkippedRecord)]
    assert skipped == [
        ("rows.csv row 3", "no title and no image"),
        ("rows.csv row 4", "year_start 'around 1900' is not a year"),
        ("rows.csv row 5", "image 'nowhere.jpg' not found beside the CSV"),
        ("rows.csv row 6", "accession number '1' again (first on row 2)"),
        ("rows.csv row 9", f"year_start {'1' * 400!r} is not a year"),
    ]


def test_a_csv_that_is_not_utf8_is_refused(tmp_path: Path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("title\nSmörgåsbord\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        read_csv(path)


def test_a_row_the_csv_module_cannot_read_is_skipped_and_the_next_is_read(tmp_path: Path):
    huge = "z" * (csv.field_size_limit() + 1)
    path = write_csv(tmp_path / "huge.csv", [["title", "description"], ["Big", huge], ["Small", "fine"]])
    results = list(read_csv(path))
    assert results[0].where == "huge.csv row 2" and results[0].reason.startswith("unreadable row: field larger")
    assert [r.title for r in results[1:]] == ["Small"]


def test_a_header_the_csv_module_cannot_read_refuses_the_file(tmp_path: Path):
    path = write_csv(tmp_path / "wide.csv", [["title", "z" * (csv.field_size_limit() + 1)], ["Big", "x"]])
    with pytest.raises(ValueError, match="wide.csv: unreadable header row: field larger"):
        read_csv(path)


def test_windows_image_paths(csv_export_folder: Path):
    path = write_csv(csv_export_folder / "win.csv", [["title", "image"], ["A", "photos\\a.jpg"]])
    (record,) = read_csv(path)
    assert record.image_path == csv_export_folder / "photos" / "a.jpg"


def test_an_image_cell_reaches_only_the_exports_own_files(csv_export_folder: Path):
    """A cell that climbs out of the CSV's folder (or of the images folder) finds nothing there, even where the file
    exists; a name the system cannot look up (too long) skips its row, and the other rows are read."""
    export = csv_export_folder / "export"
    export.mkdir()
    (csv_export_folder / "secret.jpg").write_bytes(make_image_bytes(seed=3))
    (export / "kept.jpg").write_bytes(make_image_bytes(seed=4))
    long_name = "x" * 300 + ".jpg"
    rows = [["accession_number", "title", "image"], ["1", "Up", "../secret.jpg"],
            ["2", "Absolute", str(csv_export_folder / "secret.jpg")], ["3", "Long", long_name],
            ["4", "Inside", "../export/kept.jpg"]]
    results = list(read_csv(write_csv(export / "rows.csv", rows), images_dir=csv_export_folder / "images"))
    images = csv_export_folder / "images"
    assert [(r.where, r.reason) for r in results if isinstance(r, SkippedRecord)] == [
        ("rows.csv row 2", f"image '../secret.jpg' not found beside the CSV or under {images}"),
        ("rows.csv row 3", f"image '{csv_export_folder / 'secret.jpg'}' not found beside the CSV or under {images}"),
        ("rows.csv row 4", f"image '{long_name}' not found beside the CSV or under {images}"),
    ]
    (kept,) = [r for r in results if isinstance(r, CatalogueRecord)]
    assert kept.image_path == export / "kept.jpg"


NGA_OBJECTS = ["objectid", "accessioned", "accessionnum", "title", "displaydate", "beginyear", "endyear", "medium",
               "dimensions", "attributioninverted", "attribution", "creditline", "classification", "isvirtual"]
NGA_IMAGES = ["uuid", "iiifurl", "iiifthumburl", "viewtype", "sequence", "width", "height", "maxpixels", "openaccess",
              "created", "modified", "depictstmsobjectid", "assistivetext"]


def nga_open_data(folder: Path, iiif: str) -> Path:
    """The National Gallery of Art's open data tables (their real columns, fewer of the objects'), pictures on
    `iiif`."""
    write_csv(folder / "published_images.csv", [NGA_IMAGES,
        ["a1", f"{iiif}/alt-46626", f"{iiif}/alt-46626/full/!200,200/0/default.jpg", "alternate", "0", "", "", "", "1",
         "", "", "46626", ""],
        ["a2", f"{iiif}/primary-46626", "", "primary", "1", "", "", "", "1", "", "", "46626", "A man, a red beard."],
        ["b1", f"{iiif}/primary-12345", "", "primary", "0", "", "", "640", "0", "", "", "12345", ""]])
    write_csv(folder / "objects_constituents.csv", [
        ["objectid", "constituentid", "displayorder", "roletype", "role", "prefix", "suffix", "displaydate",
         "beginyear", "endyear", "country", "zipcode"],
        ["46626", "1000", "1", "owner", "previous owner", "", "", "", "", "", "", ""],
        ["46626", "2000", "2", "artist", "artist", "", "", "", "", "", "", ""],
        ["12345", "3000", "1", "artist", "artist", "", "", "", "", "", "", ""]])
    write_csv(folder / "constituents.csv", [
        ["constituentid", "preferreddisplayname", "forwarddisplayname", "displaydate", "beginyear", "endyear",
         "nationality", "constituenttype"],
        ["1000", "Whitney, John Hay", "John Hay Whitney", "American, 1904 - 1982", "1904", "1982", "American", ""],
        ["2000", "Gogh, Vincent van", "Vincent van Gogh", "Dutch, 1853 - 1890", "1853", "1890", "Dutch", ""],
        ["3000", "Stuart, Gilbert", "Gilbert Stuart", "American, 1755 - 1828", "1755", "0", "American", ""]])
    return write_csv(folder / "objects.csv", [NGA_OBJECTS,
        ["46626", "1", "1970.17.109", "Self-Portrait", "1889", "1889", "1889", "oil on canvas", "57.79 x 44.5 cm",
         "Gogh, Vincent van", "Vincent van Gogh", "Collection of Mr. and Mrs. John Hay Whitney", "Painting", "0"],
        ["12345", "1", "1942.9.97", "The Skater", "1782", "1782", "1782", "oil on canvas", "", "Stuart, Gilbert",
         "Gilbert Stuart", "Andrew W. Mellon Collection", "Painting", "0"],
        ["99999", "1", "2001.1.1", "No picture yet", "1950", "", "", "", "", "", "Someone", "", "Drawing", "0"]])


def test_the_national_gallery_of_arts_open_data_with_its_tables(tmp_path):
    gogh, stuart, unpictured = read_csv(nga_open_data(tmp_path, "https://api.nga.gov/iiif"))
    # The primary view, not the alternate one listed first.
    assert gogh.image_url == "https://api.nga.gov/iiif/primary-46626/full/!2048,2048/0/default.jpg"
    assert (gogh.rights, gogh.image_description) == ("public-domain", "A man, a red beard.")  # open access: CC0
    assert (gogh.artist_name, gogh.artist_nationality, gogh.artist_birth_year, gogh.artist_death_year) == (
        "Vincent van Gogh", "Dutch", 1853, 1890)  # the artist, not the previous owner listed first
    assert gogh.source_url == "https://www.nga.gov/collection/art-object-page.46626.html"
    assert (stuart.rights, stuart.artist_birth_year, stuart.artist_death_year) == ("unknown", 1755, None)  # 0: none
    assert (unpictured.title, unpictured.image_url) == ("No picture yet", "")


def test_an_nga_images_table_of_other_columns_is_refused(tmp_path):
    objects = nga_open_data(tmp_path, "https://api.nga.gov/iiif")
    write_csv(tmp_path / "published_images.csv", [["uuid", "url"], ["a", "https://example.org/a.jpg"]])
    with pytest.raises(ValueError, match="published_images.csv beside objects.csv lacks the NGA's columns"):
        read_csv(objects)


def test_a_timestamp_date_is_its_year_and_a_commons_file_is_asked_scaled(tmp_path):
    """A Wikidata Query Service CSV download: `inception` a timestamp, `image` a Commons file by name."""
    commons = "http://commons.wikimedia.org/wiki/Special:FilePath/Mona%20Lisa.jpg"
    rows = [["item", "itemLabel", "creatorLabel", "inception", "image"],
            ["http://www.wikidata.org/entity/Q12418", "Mona Lisa", "Leonardo da Vinci", "1503-01-01T00:00:00Z",
             commons],
            ["http://www.wikidata.org/entity/Q1", "A vase", "", "-0500-01-01T00:00:00Z", commons + "?width=300"],
            ["http://www.wikidata.org/entity/Q2", "A photograph", "", "1889-05-01", ""]]
    mona_lisa, vase, photograph = read_csv(write_csv(tmp_path / "query.csv", rows))
    assert (mona_lisa.title, mona_lisa.artist_name, mona_lisa.date, mona_lisa.year_start) == (
        "Mona Lisa", "Leonardo da Vinci", "1503", 1503)
    assert mona_lisa.image_url == commons + "?width=2048"  # not the original, which may be a 100 MB TIFF
    assert (vase.date, vase.year_start, vase.image_url) == ("500 BCE", -500, commons + "?width=300")
    assert (photograph.date, photograph.year_start) == ("1889-05-01", 1889)  # a day is kept
