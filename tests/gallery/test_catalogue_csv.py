"""Curators export the catalogue from the admin as CSV in the import's columns; the file imports again unchanged."""

from __future__ import annotations

import csv
import functools
import io
import json
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError
from django.urls import reverse

from gallery.models import Artwork
from gallery.services import catalogue_csv
from gallery.sources.csv_export import FIELDS, read_csv
from tests.gallery.management.helpers import command_output
from tests.helpers import MET_SAMPLE, loopback_server

pytestmark = pytest.mark.django_db
# An attributed work, a Ming landscape, a work with no artist, lines in its dimensions, a plain one.
OBJECT_IDS = (12759, 35994, 36104, 10382, 10154)
FORMULA = '=HYPERLINK("http://evil.example/","click")'


@pytest.fixture
def catalogue(tmp_path) -> list[Artwork]:
    records = [json.loads(line) for line in (MET_SAMPLE / "objects.jsonl").read_text().splitlines()]
    chosen = [record for record in records if record["objectID"] in OBJECT_IDS]
    (tmp_path / "met.jsonl").write_text("\n".join(map(json.dumps, chosen)))
    command_output("import_collection", str(tmp_path / "met.jsonl"), "--images", str(MET_SAMPLE / "images"))
    # What a source or a curator may have put in the other fields, hostile text included.
    Artwork.objects.filter(source_id="met:10154").update(
        title=FORMULA, date="500–400 BCE", year_start=-500, year_end=-400, rights="in-copyright",
        rights_url="https://www.getty.edu/legal/copyright.html", attribution="Photo: Göran Ek, SMK",
        manifest_url="https://museum.example/iiif/1/manifest", tags=["Mountains", "Île-de-France"])
    return list(Artwork.objects.order_by("pk"))


def test_the_admin_exports_the_selected_works_in_the_imports_columns(admin_client, catalogue):
    chosen = [work.pk for work in catalogue if work.source_id != "met:10382"]  # all but one
    response = admin_client.post(reverse("admin:gallery_artwork_changelist"),
                                 {"action": "export_selected_csv", "_selected_action": chosen})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="artworks-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith(catalogue_csv.BYTE_ORDER_MARK)  # spreadsheets open it as UTF-8
    rows = list(csv.DictReader(io.StringIO(text.removeprefix(catalogue_csv.BYTE_ORDER_MARK))))
    assert list(rows[0]) == list(FIELDS) and len(rows) == 4
    edited = next(row for row in rows if row["source_id"] == "met:10154")
    assert edited["title"] == "'" + FORMULA  # a spreadsheet shows it as text, never runs it
    assert (edited["year_start"], edited["rights"], edited["tags"]) == ("-500", "In Copyright",
                                                                        "Mountains; Île-de-France")
    krimmel = next(row for row in rows if row["source_id"] == "met:12759")
    assert (krimmel["artist_qualifier"], krimmel["artist"]) == ("Attributed to", "John Lewis Krimmel")
    assert krimmel["image"] == f"http://testserver{Artwork.objects.get(source_id='met:12759').image.url}"


def test_an_export_imports_again_unchanged_and_a_spreadsheet_edit_updates_only_its_row(tmp_path, catalogue):
    """`export_collection` with the site's address; the site here is a loopback server of the media folder."""
    assert Path(settings.MEDIA_ROOT).name == "media" and settings.MEDIA_URL == "/media/"
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(Path(settings.MEDIA_ROOT).parent))
    handler.log_message = lambda *args: None
    export = tmp_path / "export.csv"
    with pytest.raises(CommandError, match="add --site-url"):  # "/media/…" could not be fetched where it is imported
        command_output("export_collection", str(export))
    assert not export.exists() and not list(tmp_path.glob(".export.csv*"))
    Artwork.objects.filter(source_id="met:10382").update(published=False)
    with loopback_server(handler) as site_url:
        assert "Exported 4 artworks" in command_output("export_collection", str(export), "--site-url", site_url)
        assert "met:10382" not in export.read_text(encoding="utf-8-sig")  # a draft stays here unless asked for
        assert "Exported 5 artworks" in command_output("export_collection", str(export), "--site-url", site_url,
                                                       "--include-drafts")
        # Every field comes back as it was: read, the export is the catalogue again.
        by_source = {record.source_id: record for record in read_csv(export)}
        for work in catalogue:
            record = by_source[work.source_id]
            assert (record.title, record.artist_qualifier, record.culture, record.period, record.dimensions,
                    record.rights, record.rights_url, record.tags, record.year_start, record.attribution) == (
                work.title, work.artist_qualifier, work.culture, work.period, work.dimensions, work.rights,
                work.rights_url, work.tags, work.year_start, work.attribution)
        assert command_output("import_collection", str(export)).count(
            "0 created, 0 updated (0 with a new image), 5 unchanged, 0 failed") == 1

        landscape = export.read_text(encoding="utf-8-sig").replace("Ming dynasty (1368–1644)", "Ming dynasty")
        export.write_text(landscape, encoding="utf-8")  # a curator's fix, made in a spreadsheet
        output = command_output("import_collection", str(export))
    assert "0 created, 1 updated (0 with a new image), 4 unchanged, 0 failed" in output
    assert Artwork.objects.get(source_id="met:35994").period == "Ming dynasty"
