"""gallery.sources.read_source: telling the formats apart, from files and from URLs on a loopback server."""

import json
import re
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from gallery.sources import CatalogueRecord, SkippedRecord, read_source
from tests.helpers import DATASET, IIIF_MANIFESTS, MET_SAMPLE, loopback_server, respond

MET_LINES = (MET_SAMPLE / "objects.jsonl").read_text().splitlines()[:3]
MET_IDS = [json.loads(line)["objectID"] for line in MET_LINES]


class Handler(BaseHTTPRequestHandler):
    objects_fetched: list[int] = []
    busy: dict[str, int] = {}  # path -> how many more times it answers 503

    def log_message(self, *args):
        pass

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if Handler.busy.get(self.path):
            Handler.busy[self.path] -= 1
            return respond(self, b"busy", status=503)
        if self.path.startswith("/manifests/") and (IIIF_MANIFESTS / self.path[len("/manifests/"):]).is_file():
            body = (IIIF_MANIFESTS / self.path[len("/manifests/"):]).read_bytes()
        elif self.path == "/collection.json":
            body = json.dumps({
                "@context": "http://iiif.io/api/presentation/3/context.json", "id": f"{base}/collection.json",
                "type": "Collection", "label": {"en": ["Two"]},
                "items": [{"id": f"{base}/manifests/v3-getty-watteau-la-surprise.json", "type": "Manifest"},
                          {"id": f"{base}/manifests/missing.json", "type": "Manifest"},
                          {"id": f"{base}/manifests/v2-artic-seurat-grande-jatte.json", "type": "Manifest"}]}).encode()
        elif self.path == "/met.json":
            body = ("[" + ",".join(MET_LINES) + "]").encode()
        elif self.path == "/met.jsonl":
            body = "\n".join(MET_LINES).encode()
        elif self.path.startswith("/exports/Artworks.csv"):  # MoMA's columns, an image URL and a file name
            body = ("Title,Artist,Nationality,Date,AccessionNumber,ImageURL\n"
                    f"The Starry Night,Vincent van Gogh,(Dutch),1889,472.1941,{base}/images/starry.jpg\n"
                    "The Persistence of Memory,Salvador Dalí,(Spanish),1931,162.1934,dali.jpg\n").encode()
        elif self.path == "/other.json":
            body = b'{"hello": "world"}'
        elif self.path.startswith("/public/collection/v1/search"):  # the Met API's answer: object ids only
            ids = [MET_IDS[0], MET_IDS[1], 999999999, MET_IDS[0], "x", MET_IDS[2]]
            body = json.dumps({"total": len(ids), "objectIDs": ids}).encode()
        elif (match := re.fullmatch(r"/public/collection/v1/objects/(\d+)", self.path)) and int(match[1]) in MET_IDS:
            Handler.objects_fetched.append(int(match[1]))
            body = MET_LINES[MET_IDS.index(int(match[1]))].encode()
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    with loopback_server(Handler) as base:
        yield base


def test_the_met_sample_with_its_images_folder_found_beside_it():
    kind, records = read_source(str(MET_SAMPLE / "objects.jsonl"))
    records = list(records)
    assert kind == "met" and len(records) == 1000
    assert all(r.image_path is not None and r.image_path.parent == MET_SAMPLE / "images" for r in records)


def test_iiif_files():
    for path in sorted(IIIF_MANIFESTS.glob("*.json")):
        kind, records = read_source(str(path))
        assert kind == "iiif" and all(isinstance(r, CatalogueRecord) for r in records)


def test_csv_with_a_mapping(tmp_path: Path):
    (tmp_path / "works.csv").write_text("Number,Name\nA.1,Sunrise\n", encoding="utf-8-sig")
    kind, records = read_source(str(tmp_path / "works.csv"), mapping={"Number": "accession_number", "Name": "title"})
    assert kind == "csv"
    assert [(r.source_id, r.title) for r in records] == [("A.1", "Sunrise")]


def test_a_iiif_manifest_and_a_collection_by_url(server):
    kind, records = read_source(f"{server}/manifests/v3-yale-scheemakers-pope.json")
    (record,) = records
    assert (kind, record.title, record.manifest_url) == ("iiif", "Alexander Pope",
                                                        "https://manifests.britishart.yale.edu/manifest/1474")
    # Its manifests fetched by the default loader; one busy for a moment is tried again.
    Handler.busy["/manifests/v2-artic-seurat-grande-jatte.json"] = 2
    kind, records = read_source(f"{server}/collection.json")
    records = list(records)
    assert Handler.busy["/manifests/v2-artic-seurat-grande-jatte.json"] == 0
    assert kind == "iiif"
    assert [r.accession_number for r in records if isinstance(r, CatalogueRecord)] == ["2017.72", "1926.224"]
    assert records[1] == SkippedRecord(where=f"{server}/manifests/missing.json", reason="could not load: HTTP 404")


def test_met_records_by_url(server):
    for url in (f"{server}/met.json", f"{server}/met.jsonl"):
        kind, records = read_source(url)
        records = list(records)
        assert kind == "met" and [r.source_id for r in records][:1] == ["met:10154"] and len(records) == 3
        assert records[0].image_url == "https://images.metmuseum.org/CRDImages/ad/original/DT82.jpg"


def test_a_csv_export_by_url(server):
    Handler.busy["/exports/Artworks.csv?raw=true"] = 2  # a passing 503, twice: tried again
    kind, records = read_source(f"{server}/exports/Artworks.csv?raw=true")
    starry, dali = list(records)
    assert kind == "csv" and (starry.title, starry.artist_name, starry.artist_nationality) == (
        "The Starry Night", "Vincent van Gogh", "Dutch")
    assert starry.image_url == f"{server}/images/starry.jpg" and starry.source_id == "472.1941"
    assert (dali.where, dali.reason) == ("Artworks.csv row 3", "image 'dali.jpg' not found beside the CSV")
    with pytest.raises(ValueError, match="cannot fetch .*/exports/missing.csv: HTTP 404"):
        read_source(f"{server}/exports/missing.csv")


def test_a_met_search_url_fetches_each_object_as_the_import_reaches_it(server, tmp_path):
    Handler.objects_fetched.clear()
    kind, records = read_source(f"{server}/public/collection/v1/search?q=horses&hasImages=true")
    assert kind == "met" and Handler.objects_fetched == []
    first = next(records)
    assert first.source_id == f"met:{MET_IDS[0]}" and Handler.objects_fetched == [MET_IDS[0]]
    rest = list(records)
    assert [r.source_id if isinstance(r, CatalogueRecord) else r.where for r in rest] == [
        f"met:{MET_IDS[1]}", "met:999999999", f"{server}/public/collection/v1/search?q=horses&hasImages=true objectIDs",
        f"met:{MET_IDS[2]}"]
    assert rest[1].reason.startswith(f"cannot fetch {server}/public/collection/v1/objects/999999999: HTTP 404")
    assert rest[2].reason == "'x' is not an object id"
    assert Handler.objects_fetched == MET_IDS  # the repeated id is fetched once
    (tmp_path / "search.json").write_text(json.dumps({"total": 1, "objectIDs": MET_IDS[:1]}))
    with pytest.raises(ValueError, match="is a Met search result .*import its URL"):
        read_source(str(tmp_path / "search.json"))


@pytest.mark.parametrize(("source", "message"), [
    (str(DATASET), "is a folder"),
    (str(MET_SAMPLE / "SOURCE.md"), "unknown kind of file"),
    ("/nowhere/objects.jsonl", "no such file"),
])
def test_unreadable_sources(source, message):
    with pytest.raises(ValueError, match=message):
        read_source(source)


def test_unrecognised_documents_and_misplaced_options(tmp_path: Path, server):
    (tmp_path / "other.json").write_text('{"hello": "world"}')
    # Neither Met records nor IIIF: read as another API's records, which have no title or image.
    with pytest.raises(ValueError, match="other.json: no title or image column"):
        read_source(str(tmp_path / "other.json"))
    with pytest.raises(ValueError, match="other.json: no title or image column"):
        read_source(f"{server}/other.json")
    with pytest.raises(ValueError, match="cannot fetch .*: HTTP 404"):
        read_source(f"{server}/absent.json")
    with pytest.raises(ValueError, match="mapping applies to CSV files and JSON records only, not to Met"):
        read_source(str(MET_SAMPLE / "objects.jsonl"), mapping={"a": "title"})
    with pytest.raises(ValueError, match="mapping applies to CSV files and JSON records only, not to a IIIF"):
        read_source(f"{server}/manifests/v3-getty-watteau-la-surprise.json", mapping={"a": "title"})
    with pytest.raises(ValueError, match="does not exist"):
        read_source(str(MET_SAMPLE / "objects.jsonl"), images_dir=tmp_path / "missing")


def test_json_nested_deeper_than_the_parser_goes_is_invalid_json_not_a_crash(tmp_path: Path):
    """Python's parser gives up (RecursionError) on deep nesting: a document is refused, a line of one skipped."""
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "deep.json").write_text(deep)
    with pytest.raises(ValueError, match="is not JSON: nested too deeply"):
        read_source(str(tmp_path / "deep.json"))
    (tmp_path / "objects.jsonl").write_text("\n".join([MET_LINES[0], deep, MET_LINES[1]]))
    _, records = read_source(str(tmp_path / "objects.jsonl"))
    assert [r.reason if isinstance(r, SkippedRecord) else r.source_id for r in records] == [
        f"met:{json.loads(MET_LINES[0])['objectID']}", "invalid JSON: nested too deeply",
        f"met:{json.loads(MET_LINES[1])['objectID']}"]


def test_a_line_that_is_not_utf8_costs_that_line_only_wherever_it_is(tmp_path: Path):
    """Each line is decoded alone: a bad byte far into a large file (past any read buffer) skips its line."""
    filler = [json.dumps({**json.loads(MET_LINES[0]), "objectID": 10_000 + n, "accessionNumber": f"F.{n}"})
              for n in range(40)]  # about 100 KB
    bad = b'{"objectID": 5, "title": "caf\xe9"}'  # Latin-1, not UTF-8
    (tmp_path / "objects.jsonl").write_bytes(b"\n".join([*(line.encode() for line in filler), bad,
                                                         MET_LINES[1].encode()]))
    _, records = read_source(str(tmp_path / "objects.jsonl"))
    results = list(records)
    assert len(results) == 42 and results[-1].source_id == f"met:{MET_IDS[1]}"
    assert (results[40].where, results[40].reason) == ("objects.jsonl line 41", "not UTF-8 (byte 29)")
    other = [json.dumps({"title": f"Work {n}", "image": f"https://museum.example/{n}.jpg"}) for n in range(2000)]
    (tmp_path / "works.jsonl").write_bytes(b"\n".join([*(line.encode() for line in other), bad]))
    kind, records = read_source(str(tmp_path / "works.jsonl"))
    results = list(records)
    assert kind == "json" and len(results) == 2001 and results[1999].title == "Work 1999"
    assert (results[2000].where, results[2000].reason) == ("works.jsonl line 2001", "not UTF-8 (byte 29)")
