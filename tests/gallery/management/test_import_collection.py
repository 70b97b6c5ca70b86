"""`manage.py import_collection` on real museum data: the Met sample, real IIIF manifests served on loopback, CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q

from gallery.models import Artist, Artwork
from tests.gallery.management.helpers import command_output
from tests.helpers import IIIF_MANIFESTS, MET_SAMPLE, MuseumServer, loopback_server

pytestmark = pytest.mark.django_db
MET_RECORDS = [json.loads(line) for line in (MET_SAMPLE / "objects.jsonl").read_text().splitlines()]
MET_IMAGES = sorted((MET_SAMPLE / "images").iterdir())


def met_subset(tmp_path, count: int, *, change=None):
    """The first `count` Met records as a JSON Lines file beside the shared images (optionally changed)."""
    records = [dict(record) for record in MET_RECORDS[:count]]
    if change:
        change(records)
    path = tmp_path / "objects.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in records))
    return path


def test_the_met_sample_imports_with_its_catalogue_fields_and_a_rerun_changes_nothing(tmp_path):
    source = str(MET_SAMPLE / "objects.jsonl")
    output = command_output("import_collection", source)
    # One of the Met's "images" is an HTML error page saved as DP153182.jpg: refused, reported, the rest imported.
    assert "met source: 999 created, 0 updated (0 with a new image), 0 unchanged, 1 failed" in output
    assert re.search(r"failed: 1999\.148: .*(web page|not an image)", output)
    assert Artwork.objects.count() == 999 and Artwork.objects.filter(published=True).count() == 999
    bierstadt = Artwork.objects.select_related("artist").get(accession_number="07.123")
    assert (bierstadt.title, bierstadt.date, bierstadt.year_start, bierstadt.year_end) == (
        "The Rocky Mountains, Lander's Peak", "1863", 1863, 1863)
    assert (bierstadt.medium, bierstadt.classification, bierstadt.department) == (
        "Oil on canvas", "Paintings", "The American Wing")
    assert bierstadt.credit_line == "Rogers Fund, 1907" and bierstadt.rights == Artwork.Rights.PUBLIC_DOMAIN
    assert bierstadt.institution == "Metropolitan Museum of Art, New York, NY"
    assert bierstadt.source_url == "https://www.metmuseum.org/art/collection/search/10154"
    assert bierstadt.source_id == "met:10154" and "Mountains" in bierstadt.tags
    artist = bierstadt.artist
    assert (artist.name, artist.sort_name, artist.nationality, artist.birth_year, artist.death_year) == (
        "Albert Bierstadt", "Bierstadt, Albert", "American", 1830, 1902)
    # Real data's habits: no artist at all is a state, "Unidentified Artist" is the Met's own words.
    assert Artwork.objects.filter(artist__isnull=True).count() == 24  # 25 in the records, one of them refused
    assert Artwork.objects.filter(artist__name="Unidentified Artist").count() == 24
    assert Artwork.objects.filter(dimensions__contains="\n").count() == 118
    # "Attributed to", "Workshop of", "After" ...: kept beside the artist, who is still the artist.
    assert Artwork.objects.exclude(artist_qualifier="").count() == 76
    # Where and when, for the works no one person is named for (every one of the 49 here has its culture).
    assert (Artwork.objects.exclude(culture="").count(), Artwork.objects.exclude(period="").count()) == (301, 199)
    assert not Artwork.objects.filter(culture="").filter(Q(artist=None) | Q(artist__name="Unidentified Artist"))
    krimmel = Artwork.objects.select_related("artist").get(source_id="met:12759")
    assert (krimmel.artist_qualifier, krimmel.artist.name) == ("Attributed to", "John Lewis Krimmel")
    # The same name from the records is one artist.
    assert Artist.objects.filter(name="Edgar Degas").count() == 1
    again = command_output("import_collection", source)
    assert "0 created, 0 updated (0 with a new image), 999 unchanged, 1 failed" in again


def test_a_changed_record_updates_fields_and_a_changed_image_re_embeds(tmp_path, broker_queue,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        command_output("import_collection", str(met_subset(tmp_path, 3)), "--images", str(MET_SAMPLE / "images"))
    first = Artwork.objects.get(source_id=f"met:{MET_RECORDS[0]['objectID']}")
    queued = broker_queue.jobs()
    assert sorted(sum(queued, [])) == sorted(Artwork.objects.values_list("pk", flat=True))
    broker_queue_before = len(queued)

    def retitle_and_repaint(records):
        records[0]["title"] = "A new title"
        records[1]["primaryImage"] = records[1]["primaryImageSmall"] = f"https://example.org/{MET_IMAGES[500].name}"

    with django_capture_on_commit_callbacks(execute=True):
        output = command_output("import_collection", str(met_subset(tmp_path, 3, change=retitle_and_repaint)),
                                "--images", str(MET_SAMPLE / "images"))
    assert "0 created, 2 updated (1 with a new image), 1 unchanged, 0 failed" in output
    first.refresh_from_db()
    assert first.title == "A new title" and first.status == Artwork.Status.PENDING  # not re-embedded: still as it was
    repainted = Artwork.objects.get(source_id=f"met:{MET_RECORDS[1]['objectID']}")
    assert repainted.image_sha256 == hashlib.sha256(MET_IMAGES[500].read_bytes()).hexdigest()
    assert broker_queue.jobs()[broker_queue_before:] == [[repainted.pk]]  # only the new picture is embedded again


def test_a_rerun_fills_in_attribution_qualifiers_and_none_is_kept_without_an_artist(tmp_path):
    images = str(MET_SAMPLE / "images")
    command_output("import_collection", str(met_subset(tmp_path, 3)), "--images", images)
    assert not Artwork.objects.exclude(artist_qualifier="").exists()

    def qualify(records):
        records[0]["artistPrefix"] = "Workshop of"
        records[1]["artistPrefix"], records[1]["artistDisplayName"] = "After", ""

    output = command_output("import_collection", str(met_subset(tmp_path, 3, change=qualify)), "--images", images)
    assert "0 created, 2 updated (0 with a new image), 1 unchanged, 0 failed" in output
    first, second = (Artwork.objects.get(source_id=f"met:{MET_RECORDS[n]['objectID']}") for n in (0, 1))
    assert (first.artist_qualifier, first.artist.name) == ("Workshop of", MET_RECORDS[0]["artistDisplayName"])
    assert (second.artist_qualifier, second.artist) == ("", None)  # "After" nobody: an unknown artist


def test_an_imitators_record_does_not_give_the_master_its_dates(tmp_path):
    """The Met's "Imitator of Johannes Vermeer" gives the forger's "ca. 1925–27" as the artist's bio line: imported
    before Vermeer's own works, it must not become Vermeer's."""
    vermeer = [record for record in MET_RECORDS if record["artistDisplayName"] == "Johannes Vermeer"]
    imitation = next(record for record in vermeer if record["artistPrefix"] == "Imitator of")
    path = tmp_path / "vermeer.jsonl"
    path.write_text(json.dumps(imitation))
    command_output("import_collection", str(path), "--images", str(MET_SAMPLE / "images"))
    artist = Artist.objects.get(name="Johannes Vermeer")
    assert (artist.bio_line, artist.nationality, artist.birth_year) == ("", "", None)  # nothing yet, nothing wrong
    path.write_text("\n".join(json.dumps(record) for record in vermeer))
    command_output("import_collection", str(path), "--images", str(MET_SAMPLE / "images"))
    artist.refresh_from_db()
    assert (artist.bio_line, artist.nationality, artist.birth_year, artist.death_year) == (
        "Dutch, Delft 1632–1675 Delft", "Dutch", 1632, 1675)
    assert Artwork.objects.filter(artist=artist).count() == 4


def test_dry_run_reports_and_changes_nothing(tmp_path):
    output = command_output("import_collection", str(met_subset(tmp_path, 5)), "--images", str(MET_SAMPLE / "images"),
                            "--dry-run")
    assert "Dry run" in output and "5 would be created" in output
    assert not Artwork.objects.exists() and not Artist.objects.exists()


def test_drafts_stay_drafts(tmp_path):
    command_output("import_collection", str(met_subset(tmp_path, 2)), "--images", str(MET_SAMPLE / "images"),
                   "--draft")
    assert Artwork.objects.filter(published=False).count() == 2


def test_bad_records_are_reported_and_the_rest_imported(tmp_path):
    def spoil(records):
        records[0]["primaryImage"] = records[0]["primaryImageSmall"] = ""  # no image at all
        records[1]["primaryImage"] = records[1]["primaryImageSmall"] = "file:///etc/passwd"  # not http(s)

    images = tmp_path / "images"
    shutil.copytree(MET_SAMPLE / "images", images, ignore=lambda folder, names: [
        name for name in names if name not in {MET_RECORDS[2]["primaryImage"].rsplit("/", 1)[-1],
                                               MET_RECORDS[3]["primaryImage"].rsplit("/", 1)[-1]}])
    (images / MET_RECORDS[3]["primaryImage"].rsplit("/", 1)[-1]).write_bytes(b"<html>not a picture</html>")
    output = command_output("import_collection", str(met_subset(tmp_path, 4, change=spoil)), "--images", str(images))
    assert "1 created" in output and "3 failed" in output
    assert "http(s) only" in output and "not an image" in output.lower() or "web page" in output
    assert Artwork.objects.count() == 1
    assert sorted(path.name for path in (tmp_path / "media").rglob("*") if path.is_file()) == sorted(
        [Artwork.objects.get().image.name.rsplit("/", 1)[-1], Artwork.objects.get().thumbnail.name.rsplit("/", 1)[-1]])


def test_hostile_field_values_are_cleaned_or_refused_by_field_and_the_rest_imported(tmp_path):
    """A NUL byte (which PostgreSQL cannot store) is dropped from the text; a year or a field too large for its
    column refuses that record only, naming the field."""
    def spoil(records):
        records[0]["title"] = "The Rocky\x00 Mountains"
        records[1]["objectEndDate"] = 10**12
        records[2]["department"] = "d" * 100_000

    images = tmp_path / "images"
    names = {record["primaryImage"].rsplit("/", 1)[-1] for record in MET_RECORDS[:4]}
    shutil.copytree(MET_SAMPLE / "images", images, ignore=lambda folder, found: [n for n in found if n not in names])
    output = command_output("import_collection", str(met_subset(tmp_path, 4, change=spoil)), "--images", str(images))
    assert "2 created, 0 updated (0 with a new image), 0 unchanged, 2 failed" in output
    assert f"failed: {MET_RECORDS[1]['accessionNumber']}: year_end: Ensure this value is less than or equal to" in output
    assert (f"failed: {MET_RECORDS[2]['accessionNumber']}: department: Ensure this value has at most 200 characters "
            "(it has 100000)") in output
    assert Artwork.objects.get(accession_number=MET_RECORDS[0]["accessionNumber"]).title == "The Rocky Mountains"
    assert Artwork.objects.count() == 2


def test_a_bad_link_is_left_out_and_its_record_imported(tmp_path):
    """A link is beside the work: written badly, it is reported and left out, and the picture and record are kept."""
    def spoil(records):
        records[0]["objectURL"] = "www.metmuseum.org/art/collection/search/1"  # no scheme
        records[1]["objectURL"] = "https://www.metmuseum.org/" + "a" * 600  # longer than the column

    output = command_output("import_collection", str(met_subset(tmp_path, 3, change=spoil)),
                            "--images", str(MET_SAMPLE / "images"))
    assert "3 created, 0 updated (0 with a new image), 0 unchanged, 0 failed; 2 bad link(s) left out" in output
    first, second = (MET_RECORDS[n]["accessionNumber"] for n in (0, 1))
    assert (f"imported without a link: {first}: source_url 'www.metmuseum.org/art/collection/search/1': "
            "Enter a valid URL.") in output
    assert f"imported without a link: {second}: source_url 'https://www.metmuseum.org/aaaa" in output
    assert "Ensure this value has at most 500 characters (it has 626)." in output
    links = dict(Artwork.objects.values_list("accession_number", "source_url"))
    third = MET_RECORDS[2]
    assert (links[first], links[second], links[third["accessionNumber"]]) == ("", "", third["objectURL"])


def test_a_csv_export_with_mapped_columns(tmp_path):
    images = tmp_path / "photos"
    images.mkdir()
    shutil.copy(MET_IMAGES[0], images / "first.jpg")
    shutil.copy(MET_IMAGES[1], images / "second.jpg")
    path = tmp_path / "export.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Object Number", "title", "artist", "date", "medium", "dimensions", "classification",
                         "rights", "tags", "image"])
        writer.writerow(["2024.1", "Irises", "Vincent van Gogh", "1889", "Oil on canvas", "71 x 93 cm\n28 x 36 in.",
                         "Painting", "Public Domain", "flowers; garden", "photos/first.jpg"])
        writer.writerow(["2024.2", "Self-Portrait", "Albrecht Dürer", "c. 1498–1500", "Oil on panel", "", "Painting",
                         "CC BY 4.0", "", "second.jpg"])
    output = command_output("import_collection", str(path), "--map", "Object Number=accession_number",
                            "--images", str(images))
    assert "csv source: 2 created" in output, output
    irises = Artwork.objects.get(accession_number="2024.1")
    assert irises.dimensions == "71 x 93 cm\n28 x 36 in." and irises.tags == ["flowers", "garden"]
    durer = Artwork.objects.get(accession_number="2024.2")
    assert (durer.year_start, durer.year_end, durer.rights) == (1498, 1500, Artwork.Rights.CREATIVE_COMMONS)
    with pytest.raises(CommandError, match="nope"):
        command_output("import_collection", str(path), "--map", "Object Number=nope")


@pytest.fixture(scope="module")
def museum_server():
    with loopback_server(MuseumServer) as base:
        yield base


@pytest.mark.parametrize("manifest", sorted(path.name for path in IIIF_MANIFESTS.glob("*.json")))
def test_iiif_manifests_import_over_http(museum_server, manifest):
    url = f"{museum_server}/manifests/{manifest}"
    output = command_output("import_collection", url)
    created = Artwork.objects.all()
    assert created.exists(), output
    for artwork in created:
        assert artwork.title and artwork.manifest_url.startswith(museum_server) and artwork.image_sha256
    again = command_output("import_collection", url)
    assert " 0 created, 0 updated" in again, again


def _csv_with_a_copy(tmp_path, rows: list[tuple[str, str, str]]):
    """A CSV export of (accession number, title, image file) rows, its images under photos/."""
    path = tmp_path / "export.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["accession_number", "title", "image"])
        writer.writerows([number, title, f"photos/{image}"] for number, title, image in rows)
    return path


@pytest.fixture
def stored_and_a_copy(tmp_path):
    """A work imported from one export, then a second export with a reproduction of its picture under another
    accession number, and a new work."""
    from tests.helpers import reproduction_upload

    (tmp_path / "photos").mkdir()
    shutil.copy(MET_IMAGES[0], tmp_path / "photos" / "first.jpg")
    first_export = _csv_with_a_copy(tmp_path, [("A.1", "The original", "first.jpg")])
    command_output("import_collection", str(first_export))
    original = Artwork.objects.get()
    (tmp_path / "photos" / "copy.jpg").write_bytes(reproduction_upload(original).read())
    shutil.copy(MET_IMAGES[1], tmp_path / "photos" / "new.jpg")
    (tmp_path / "second").mkdir()
    return original, _csv_with_a_copy(tmp_path, [("B.1", "A copy", "copy.jpg"), ("C.1", "Something new", "new.jpg")])


@pytest.mark.parametrize("choice, created, rows, rerun", [
    ("keep", 2, 3, "0 created, 0 updated (0 with a new image), 2 unchanged"),
    ("skip", 1, 2, "0 created, 0 updated (0 with a new image), 1 unchanged, 0 failed; 1 near-duplicate(s): 1 skipped"),
    ("replace", 1, 2, "0 created, 0 updated (0 with a new image), 2 unchanged"),
])
def test_on_duplicate_keeps_skips_or_replaces_and_a_rerun_changes_nothing(stored_and_a_copy, choice, created, rows,
                                                                           rerun):
    original, export = stored_and_a_copy
    output = command_output("import_collection", str(export), "--on-duplicate", choice)
    action = {"keep": "kept", "skip": "skipped", "replace": "replaced"}[choice]
    assert f"csv source: {created} created" in output, output
    assert re.search(rf"near-duplicate: B\.1 looks like The original .*\(#{original.pk}\), \d+ bits apart: {action}",
                     output), output
    assert Artwork.objects.count() == rows
    after = Artwork.objects.get(pk=original.pk)
    assert after.accession_number == "A.1" and after.title == "The original"
    assert (after.image_sha256 != original.image_sha256) == (choice == "replace")
    assert not Artwork.objects.filter(accession_number="B.1").exists() or choice == "keep"
    again = command_output("import_collection", str(export), "--on-duplicate", choice)
    assert rerun in again, again
    assert Artwork.objects.count() == rows


def test_a_museum_api_page_imports_with_its_iiif_images(tmp_path, museum_server):
    """The Art Institute of Chicago's API answer: records with an image id, the IIIF base in the page's config
    (here the loopback museum, which answers any image request with a picture)."""
    from tests.gallery.sources.test_json_records import AIC_PAGE

    config = {"iiif_url": f"{museum_server}/remote/iiif/2", "website_url": "https://www.artic.edu"}
    page = {**AIC_PAGE, "config": config}
    path = tmp_path / "artworks.json"
    path.write_text(json.dumps(page))
    output = command_output("import_collection", str(path))
    assert "json source: 3 created, 0 updated (0 with a new image), 0 unchanged, 1 failed" in output, output
    assert "1946.440.4" in output  # Picasso's print has no image_id: reported, not stored
    seurat = Artwork.objects.select_related("artist").get(accession_number="1926.224")
    assert (seurat.title, seurat.date, seurat.year_start, seurat.year_end, seurat.culture) == (
        "A Sunday on La Grande Jatte — 1884", "1884–86", 1884, 1886, "France")
    assert (seurat.artist.name, seurat.artist.nationality, seurat.artist.birth_year) == ("Georges Seurat", "French",
                                                                                          1859)
    assert seurat.rights == Artwork.Rights.PUBLIC_DOMAIN and seurat.tags == ["leisure", "parks"]
    assert seurat.source_url == "https://www.artic.edu/artworks/27992" and seurat.image_sha256
    assert seurat.description == "Seurat’s dots.\nSecond."
    again = command_output("import_collection", str(path))
    assert "0 created, 0 updated (0 with a new image), 3 unchanged, 1 failed" in again, again
    assert Artwork.objects.get(accession_number="1920.262").artist is None


def test_the_national_gallery_of_arts_open_data_imports_with_its_pictures(tmp_path, museum_server):
    from tests.gallery.sources.test_csv_export import nga_open_data

    objects = nga_open_data(tmp_path, f"{museum_server}/remote/iiif")
    output = command_output("import_collection", str(objects))
    assert "csv source: 2 created, 0 updated (0 with a new image), 0 unchanged, 1 failed" in output, output
    assert "2001.1.1" in output  # no picture in the images table: reported, not stored
    gogh = Artwork.objects.select_related("artist").get(accession_number="1970.17.109")
    assert (gogh.artist.name, gogh.artist.nationality, gogh.artist.birth_year) == ("Vincent van Gogh", "Dutch", 1853)
    assert gogh.rights == Artwork.Rights.PUBLIC_DOMAIN and gogh.image_sha256 and gogh.width


def test_an_api_url_is_imported_page_by_page_up_to_the_limit():
    from tests.gallery.sources.test_json_records import PagedApi

    with loopback_server(PagedApi) as base:
        PagedApi.requests.clear()
        output = command_output("import_collection", f"{base}/api/artworks?page=1", "--limit", "3")
        assert "json source: 3 created, 0 updated (0 with a new image), 0 unchanged, 0 failed" in output, output
        pages = [path for path in PagedApi.requests if path.startswith("/api/")]
        assert pages == ["/api/artworks?page=1", "/api/artworks?page=2"]  # page 3 is not fetched
        assert sorted(Artwork.objects.values_list("accession_number", flat=True)) == ["1.1", "1.2", "2.1"]
        assert all(Artwork.objects.values_list("image_sha256", flat=True))
        again = command_output("import_collection", f"{base}/api/artworks?page=1")
        assert "json source: 3 created, 0 updated (0 with a new image), 3 unchanged, 0 failed" in again, again


def test_the_vam_smk_and_smithsonian_apis_import_with_their_pictures():
    """Public collection APIs that number their pages (the V&A's, SMK's, the Smithsonian's); the first two give each
    picture as a IIIF base, the Smithsonian on its image service."""
    from tests.gallery.sources.test_json_records import NumberedApi

    with loopback_server(NumberedApi) as base:
        for url, created in ((f"{base}/vam/search?q=constable", 4), (f"{base}/smk/search?keys=*&rows=2", 3),
                             (f"{base}/si/search?q=homer&rows=2", 3)):
            output = command_output("import_collection", url)
            assert f"json source: {created} created, 0 updated (0 with a new image), 0 unchanged, 0 failed" in output
        pictures = [path for path in NumberedApi.requests if path.startswith("/iiif/")]
        assert len(pictures) == 7 and all(path.endswith("/full/!2048,2048/0/default.jpg") for path in pictures)
        assert len([path for path in NumberedApi.requests if path.startswith("/ids/") and "max=2048" in path]) == 3
        homer = Artwork.objects.select_related("artist").get(accession_number="1929.6.2")
        assert (homer.artist.name, homer.artist.birth_year, homer.institution) == (
            "Winslow Homer", 1836, "Smithsonian American Art Museum")
        constable = Artwork.objects.select_related("artist").get(accession_number="E.21-1900")
        assert (constable.artist.name, constable.title, constable.year_start) == ("John Constable", "Study 21", 1820)
        rembrandt = Artwork.objects.select_related("artist").get(accession_number="KMS2")
        assert (rembrandt.title, rembrandt.artist.name, rembrandt.artist.birth_year) == (
            "Portrait 2", "Rembrandt van Rijn", 1606)
        assert rembrandt.rights == Artwork.Rights.PUBLIC_DOMAIN and rembrandt.image_sha256
        again = command_output("import_collection", f"{base}/smk/search?keys=*&rows=2")
        assert "0 created, 0 updated (0 with a new image), 3 unchanged, 0 failed" in again, again


def test_a_met_search_url_imports_the_objects_it_names():
    from tests.gallery.sources.test_read_source import MET_IDS, Handler

    with loopback_server(Handler) as base:
        output = command_output("import_collection", f"{base}/public/collection/v1/search?q=horses",
                                "--images", str(MET_SAMPLE / "images"))
    assert "met source: 3 created, 0 updated (0 with a new image), 0 unchanged, 2 failed" in output, output
    assert sorted(Artwork.objects.values_list("source_id", flat=True)) == sorted(f"met:{i}" for i in MET_IDS)


def test_a_lido_export_imports_with_its_catalogue_fields(tmp_path, museum_server):
    from tests.gallery.sources.test_lido import lido_record, lido_wrap

    path = tmp_path / "lido.xml"
    path.write_text(lido_wrap(
        lido_record("L.1", "Portrait of a Man", image=f"{museum_server}/remote/lido/1.jpg", actor="Rembrandt"),
        lido_record("L.2", "A Landscape", image=f"{museum_server}/remote/lido/2.jpg", actor="Jacob van Ruisdael")))
    output = command_output("import_collection", str(path))
    assert "lido source: 2 created, 0 updated (0 with a new image), 0 unchanged, 0 failed" in output, output
    man = Artwork.objects.select_related("artist").get(accession_number="L.1")
    assert (man.title, man.artist_qualifier, man.artist.name, man.artist.birth_year, man.rights, man.medium) == (
        "Portrait of a Man", "Workshop of", "Rembrandt", None, Artwork.Rights.PUBLIC_DOMAIN, "Oil on canvas")
    assert man.image_sha256 and man.source_url == "https://museum.example/objects/L.1"
    assert " 0 created, 0 updated" in command_output("import_collection", str(path))


def test_a_linked_art_stream_imports_its_objects_with_their_makers_facts():
    from tests.gallery.sources.test_linked_art import Museum

    with loopback_server(Museum) as base:
        output = command_output("import_collection", f"{base}/stream")
        assert ("linked-art source: 2 created, 0 updated (0 with a new image), 0 unchanged, 2 failed; 1 deleted at "
                "the source (0 unpublished)") in output, output
        assert f"{base}/object/gone: cannot fetch" in output
        work = Artwork.objects.select_related("artist").get(accession_number="2017.1")
        assert (work.title, work.artist.name, work.artist.nationality, work.artist.birth_year, work.medium) == (
            "Work 1", "Antoine Watteau", "French", 1684, "Oil on panel")
        assert work.image_sha256 and work.rights == Artwork.Rights.PUBLIC_DOMAIN
        assert work.source_url == "https://www.getty.edu/art/collection/object/1"
        again = command_output("import_collection", f"{base}/stream")
        assert "2 created" not in again and "0 created, 0 updated (0 with a new image), 2 unchanged" in again, again


def test_since_imports_only_what_a_stream_says_changed_after_it(tmp_path):
    from tests.gallery.sources.test_linked_art import Museum

    with loopback_server(Museum) as base:
        output = command_output("import_collection", f"{base}/changes", "--since", "2026-02-15")
    assert ("linked-art source: 1 created, 0 updated (0 with a new image), 0 unchanged, 0 failed; 1 deleted at the "
            "source (0 unpublished)") in output, output
    assert Artwork.objects.get().title == "Work 4"
    with pytest.raises(CommandError, match="not a date or time: 'last week'"):
        command_output("import_collection", f"{base}/changes", "--since", "last week")
    errors = io.StringIO()
    call_command("import_collection", str(met_subset(tmp_path, 1)), "--since", "2026-02-15", "--dry-run",
                 stderr=errors, verbosity=0)
    assert "--since: a met source cannot tell what changed; it is read whole." in errors.getvalue()


def test_two_artists_whose_names_share_a_slug_both_import(tmp_path):
    for n in (0, 1):
        shutil.copy(MET_IMAGES[n], tmp_path / f"{n}.jpg")
    path = tmp_path / "export.csv"
    path.write_text("accession_number,title,artist,image\nA.1,Sky Above Clouds,Georgia O'Keeffe,0.jpg\n"
                    "A.2,Music,Georgia OKeeffe,1.jpg\n")  # two names to the importer, one slug
    output = command_output("import_collection", str(path))
    assert "csv source: 2 created" in output and "2 artist(s) created" in output, output
    assert sorted(Artist.objects.values_list("slug", flat=True)) == ["georgia-okeeffe", "georgia-okeeffe-2"]


def test_a_row_another_import_wrote_first_is_reported_and_the_rest_imported(tmp_path):
    from gallery.services import collection_import
    from gallery.sources import read_source

    for n in range(3):
        shutil.copy(MET_IMAGES[n], tmp_path / f"{n}.jpg")
    path = tmp_path / "export.csv"
    path.write_text("accession_number,title,artist,image\nB.0,One,Ann Painter,0.jpg\nB.1,Two,Bea Painter,1.jpg\n"
                    "B.2,Three,Ann Painter,2.jpg\n")

    def meanwhile(records):
        """The records, with another import creating "Bea Painter" once this one has read its artists."""
        for number, record in enumerate(records):
            if number == 1:
                Artist.objects.create(name="Bea Painter")
            yield record

    report = collection_import.collection_import(records=meanwhile(read_source(str(path))[1]),
                                                 fetch_image=lambda url: b"")
    assert report.created == 2 and [where for where, _ in report.failed] == ["B.1"]
    assert report.failed[0][1].startswith("not stored, the database refused it: duplicate key value")
    again = collection_import.collection_import(records=read_source(str(path))[1], fetch_image=lambda url: b"")
    assert (again.created, again.unchanged, again.failed) == (1, 2, [])  # a rerun picks it up


def test_a_work_its_stream_says_was_deleted_goes_back_to_drafts():
    from tests.gallery.sources.test_linked_art import Museum

    with loopback_server(Museum) as base:
        command_output("import_collection", f"{base}/object/2")  # imported before the museum deleted it
        work = Artwork.objects.get()
        assert work.published and work.source_id == f"{base}/object/2"
        dry = command_output("import_collection", f"{base}/changes", "--dry-run")
        assert "1 deleted at the source (1 would be unpublished)" in dry and Artwork.objects.get(pk=work.pk).published
        output = command_output("import_collection", f"{base}/changes")
    assert "1 deleted at the source (1 unpublished)" in output, output
    assert not Artwork.objects.get(pk=work.pk).published  # off the public pages, kept for a curator
