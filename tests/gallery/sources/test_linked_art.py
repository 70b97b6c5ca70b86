"""Linked Art records (the Getty's, Yale's LUX, the Rijksmuseum's JSON-LD), Activity Streams of them and search pages,
read from files and from a loopback server shaped like the Getty's (objects, makers, a stream of changes, IIIF
images)."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler

import pytest

from gallery.sources import CatalogueRecord, DeletedRecord, SkippedRecord, read_source
from gallery.sources.linked_art import is_linked_art
from gallery.sources.records import PUBLIC_DOMAIN
from tests.helpers import IIIF_MANIFESTS, loopback_server, met_picture, respond

AAT = "http://vocab.getty.edu/aat/"
CONTEXT = "https://linked.art/ns/v1/linked-art.json"


def kind(number: str, label: str = "", meta: str = "") -> dict:
    node = {"id": f"{AAT}{number}", "type": "Type", "_label": label or number}
    if meta:
        node["classified_as"] = [{"id": f"{AAT}{meta}", "type": "Type"}]
    return node


def statement(text: str, number: str) -> dict:
    return {"type": "LinguisticObject", "content": text, "classified_as": [kind(number)]}


def linked_art_object(base: str, number: str, *, title: str = "La Surprise", maker: dict | None = None,
                      stated: str = "Jean-Antoine Watteau (French, 1684 - 1721)", image: str = "") -> dict:
    """A HumanMadeObject shaped as the Getty publishes a painting."""
    production = {"type": "Production", "timespan": {
        "type": "TimeSpan", "identified_by": [{"type": "Name", "content": "about 1718–1719"}],
        "begin_of_the_begin": "1718-01-01T00:00:00", "end_of_the_end": "1719-12-31T23:59:59"}}
    if stated:
        production["referred_to_by"] = [statement(stated, "300435416")]
    if maker is not None:
        production["part"] = [{"type": "Production", "carried_out_by": [maker]}]
    return {
        "@context": CONTEXT, "id": f"{base}/object/{number}", "type": "HumanMadeObject", "_label": f"{title} label",
        "classified_as": [kind("300133025", "works of art"), kind("300033618", "Paintings", meta="300435443")],
        "identified_by": [
            {"type": "Name", "content": f"{title} (alternate)"},
            {"type": "Name", "content": title, "classified_as": [kind("300404670")]},
            {"type": "Identifier", "content": f"repo-{number}", "classified_as": [kind("300404621")]},
            {"type": "Identifier", "content": f"2017.{number}", "classified_as": [{"id": "aat:300312355"}]},
        ],
        "referred_to_by": [
            statement("Oil on panel", "300435429"),
            statement("36.4 × 28.1 cm (14 5/16 × 11 1/16 in.)", "300435430"),
            statement("<p>A young couple embraces <em>as</em> a guitarist looks away.</p>", "300435416"),
            statement("Gift of a friend of the museum", "300026687"),
        ],
        "produced_by": production,
        "shows": [{"type": "VisualItem", "about": [kind("300025943", "couples")],
                   "represents": [{"type": "Person", "_label": "Mezzetin"}]}],
        "representation": [{"type": "VisualItem", "digitally_shown_by": [{
            "type": "DigitalObject", "access_point": [{"id": image or f"{base}/iiif/image/{number}"}],
            "conforms_to": [] if image else [{"id": "http://iiif.io/api/image"}]}]}],
        "subject_of": [
            {"type": "LinguisticObject", "digitally_carried_by": [{
                "type": "DigitalObject", "classified_as": [kind("300264578")], "format": "text/html",
                "access_point": [{"id": f"https://www.getty.edu/art/collection/object/{number}"}]}]},
            {"type": "LinguisticObject", "digitally_carried_by": [{
                "type": "DigitalObject", "conforms_to": [{"id": "http://iiif.io/api/presentation"}],
                "access_point": [{"id": f"https://media.getty.edu/iiif/manifest/{number}"}]}]},
        ],
        "subject_to": [{"type": "Right",
                        "classified_as": [{"id": "https://creativecommons.org/publicdomain/zero/1.0/"}]}],
        "current_owner": [{"id": "http://vocab.getty.edu/ulan/500115988", "type": "Group",
                           "_label": "J. Paul Getty Museum"}],
    }


def person(base: str) -> dict:
    return {
        "@context": CONTEXT, "id": f"{base}/person/watteau", "type": "Person", "_label": "Watteau, Jean-Antoine",
        "identified_by": [{"type": "Name", "content": "Antoine Watteau", "classified_as": [kind("300404670")]}],
        "classified_as": [kind("300111188", "French", meta="300379842"), kind("300025103", "artists")],
        "born": {"type": "Birth", "timespan": {"begin_of_the_begin": "1684-10-10T00:00:00"}},
        "died": {"type": "Death", "timespan": {"begin_of_the_begin": "1721-07-18T00:00:00",
                                               "end_of_the_end": "1721-07-18T23:59:59"}},
    }


def reference(base: str, path: str, kind_name: str = "Person") -> dict:
    return {"id": f"{base}{path}", "type": kind_name, "_label": "Jean-Antoine Watteau"}


def activity(base: str, verb: str, path: str, kind_name: str = "HumanMadeObject", when: str = "") -> dict:
    item = {"type": verb, "object": {"id": f"{base}{path}", "type": kind_name}}
    return {**item, "endTime": when} if when else item


def changes(base: str) -> dict:
    """A stream that gives its last page (as IIIF Change Discovery requires) and its activities' times, oldest first:
    work 1 created, then changed; work 2 created, then deleted; work 4 created in between."""
    stream = "https://www.w3.org/ns/activitystreams"
    return {
        "/changes": {"@context": stream, "type": "OrderedCollection", "first": {"id": f"{base}/changes/page/1"},
                     "last": {"id": f"{base}/changes/page/2"}},
        "/changes/page/1": {"@context": stream, "type": "OrderedCollectionPage", "next": f"{base}/changes/page/2",
                            "orderedItems": [activity(base, "Create", "/object/1", when="2026-01-05T10:00:00Z"),
                                             activity(base, "Create", "/object/2", when="2026-01-06T10:00:00Z")]},
        "/changes/page/2": {"@context": stream, "type": "OrderedCollectionPage", "prev": f"{base}/changes/page/1",
                            "orderedItems": [activity(base, "Update", "/object/1", when="2026-02-01T10:00:00Z"),
                                             activity(base, "Create", "/object/4", when="2026-03-01T10:00:00Z"),
                                             activity(base, "Delete", "/object/2", when="2026-04-01T10:00:00Z")]},
    }


def rijksmuseum(base: str) -> dict:
    """The Rijksmuseum's shapes: a search API's pages of object references; objects named in Dutch and in English, that
    only name the VisualItem they show, which names its DigitalObject, whose access point is a IIIF image request;
    the picture's rights stated on the visual item. Object 3's visual item cannot be had."""
    search = "https://linked.art/ns/v1/search.json"
    documents = {
        "/rijks/search": {"@context": search, "type": "OrderedCollectionPage", "next": {"id": f"{base}/rijks/search/2"},
                          "partOf": {"type": "OrderedCollection", "totalItems": 3},
                          "orderedItems": [reference(base, "/rijks/2001", "HumanMadeObject"),
                                           reference(base, "/rijks/2002", "HumanMadeObject")]},
        "/rijks/search/2": {"@context": search, "type": "OrderedCollectionPage",
                            "orderedItems": [reference(base, "/rijks/2003", "HumanMadeObject")]},
    }
    dutch, english = [{"id": f"{AAT}300388256"}], [{"id": f"{AAT}300388277"}]
    for number in "123":
        documents[f"/rijks/200{number}"] = {
            "@context": CONTEXT, "id": f"{base}/rijks/200{number}", "type": "HumanMadeObject",
            "identified_by": [{"type": "Name", "content": f"Zelfportret {number}", "language": dutch},
                              {"type": "Name", "content": f"Self-portrait {number}", "language": english},
                              {"type": "Identifier", "content": f"SK-A-326{number}"}],
            "produced_by": {"type": "Production", "carried_out_by": [
                {"type": "Person", "_label": "Vincent van Gogh", "born": {"timespan": {
                    "begin_of_the_begin": "1853-03-30T00:00:00Z"}}}]},
            "shows": [{"id": f"{base}/rijks/202{number}", "type": "VisualItem"}]}
        documents[f"/rijks/202{number}"] = {
            "@context": CONTEXT, "id": f"{base}/rijks/202{number}", "type": "VisualItem",
            "digitally_shown_by": [{"id": f"{base}/rijks/500{number}", "type": "DigitalObject"}],
            "subject_to": [{"type": "Right", "identified_by": [
                {"type": "Name", "content": "Publieke domein", "language": dutch},
                {"type": "Name", "content": "Public Domain", "language": english}]}]}
        documents[f"/rijks/500{number}"] = {
            "@context": CONTEXT, "id": f"{base}/rijks/500{number}", "type": "DigitalObject",
            "access_point": {"id": f"{base}/iiif/image/{number}/full/max/0/default.jpg", "type": "DigitalObject"}}
    del documents["/rijks/2023"]
    return documents


class Museum(BaseHTTPRequestHandler):
    """Objects, a maker, a stream of two pages, a IIIF manifest and images, as the Getty's APIs answer."""

    requests: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        Museum.requests.append(self.path)
        page = f"{base}/stream/page/"
        documents = {
            "/person/watteau": person(base),
            "/stream": {"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollection",
                        "totalItems": 7, "first": {"id": f"{page}1", "type": "OrderedCollectionPage"}},
            "/stream/page/1": {"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollectionPage",
                               "next": {"id": f"{page}2", "type": "OrderedCollectionPage"}, "orderedItems": [
                                   activity(base, "Create", "/object/1"),
                                   activity(base, "Create", "/person/watteau", "Person"),
                                   activity(base, "Update", "/object/1"),
                                   activity(base, "Create", "/manifest/getty", "Manifest")]},
            "/stream/page/2": {"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollectionPage",
                               "orderedItems": [activity(base, "Create", "/object/2"),
                                                activity(base, "Delete", "/object/3"),
                                                activity(base, "Create", "/object/gone")]},
            **changes(base),
            **rijksmuseum(base),
        }
        if self.path.startswith("/object/") and self.path[8:].isdigit():
            maker = reference(base, "/person/watteau")
            return respond(self, json.dumps(linked_art_object(base, self.path[8:], title=f"Work {self.path[8:]}",
                                                              maker=maker)).encode())
        if self.path == "/manifest/getty":
            return respond(self, (IIIF_MANIFESTS / "v3-getty-watteau-la-surprise.json").read_bytes())
        if self.path.startswith("/iiif/image/"):  # a real picture, a different one for each object
            return respond(self, met_picture(self.path.split("/")[3]), "image/jpeg")
        if self.path not in documents:
            return respond(self, None)
        respond(self, json.dumps(documents[self.path]).encode(), "application/ld+json")


@pytest.fixture(scope="module")
def museum():
    with loopback_server(Museum) as base:
        yield base


def test_a_getty_object_gives_its_catalogue_record(tmp_path):
    maker = {**reference("https://data.getty.edu/museum/collection", "/person/watteau"),
             **{key: person("x")[key] for key in ("classified_as", "born", "died")}}  # embedded: nothing to fetch
    path = tmp_path / "object.json"
    path.write_text(json.dumps(linked_art_object("https://data.getty.edu/museum/collection", "72", maker=maker)))
    kind_read, records = read_source(str(path))
    (record,) = list(records)
    assert kind_read == "linked-art"
    assert (record.title, record.accession_number) == ("La Surprise", "2017.72")
    assert record.source_id == "https://data.getty.edu/museum/collection/object/72"  # what a Delete would name
    assert (record.artist_name, record.artist_qualifier, record.artist_nationality) == (
        "Jean-Antoine Watteau", "", "French")
    assert (record.artist_birth_year, record.artist_death_year) == (1684, 1721)
    assert (record.date, record.year_start, record.year_end) == ("about 1718–1719", 1718, 1719)
    assert (record.medium, record.classification) == ("Oil on panel", "Paintings")
    assert record.dimensions == "36.4 × 28.1 cm (14 5/16 × 11 1/16 in.)"
    assert record.description == "A young couple embraces as a guitarist looks away."
    assert record.credit_line == "Gift of a friend of the museum"
    assert record.institution == "J. Paul Getty Museum"  # its current owner
    assert (record.rights, record.rights_url) == ("public-domain", "https://creativecommons.org/publicdomain/zero/1.0/")
    assert record.image_url == "https://data.getty.edu/museum/collection/iiif/image/72/full/!2048,2048/0/default.jpg"
    assert record.source_url == "https://www.getty.edu/art/collection/object/72"
    assert record.manifest_url == "https://media.getty.edu/iiif/manifest/72"
    assert record.tags == ["couples", "Mezzetin"]


def test_without_a_maker_the_production_statement_names_the_artist_and_qualifier(tmp_path):
    record = linked_art_object("https://id.rijksmuseum.nl", "5", stated="attributed to Jan de Baen",
                               image="https://images.museum.example/5.jpg")
    del record["subject_to"]
    path = tmp_path / "rijks.json"
    path.write_text(json.dumps([record]))
    (read,) = list(read_source(str(path))[1])
    assert (read.artist_name, read.artist_qualifier, read.artist_nationality, read.artist_birth_year) == (
        "Jan de Baen", "attributed to", "", None)
    assert read.image_url == "https://images.museum.example/5.jpg"  # an image file, asked as given
    assert read.rights == "unknown"


def test_english_names_and_statements_come_first_and_a_full_size_iiif_request_is_bounded(tmp_path):
    english, dutch = [{"id": f"{AAT}300388277"}], [{"id": f"{AAT}300388256"}]
    record = linked_art_object("https://id.rijksmuseum.nl", "6")
    record["identified_by"][1:2] = [  # the primary name in Dutch, then in English
        {"type": "Name", "content": "De Nachtwacht", "language": dutch, "classified_as": [kind("300404670")]},
        {"type": "Name", "content": "The Night Watch", "language": english, "classified_as": [kind("300404670")]}]
    record["referred_to_by"][:1] = [{**statement("olieverf op doek", "300435429"), "language": dutch},
                                    {**statement("oil on canvas", "300435429"), "language": english}]
    record["representation"][0]["digitally_shown_by"][0].update(conforms_to=[], access_point=[
        {"id": "https://iiif.micr.io/PJEZO/full/full/0/default.jpg"}])  # the whole image at full size, unlabelled
    path = tmp_path / "nightwatch.json"
    path.write_text(json.dumps(record))
    (read,) = list(read_source(str(path))[1])
    assert (read.title, read.medium) == ("The Night Watch", "oil on canvas")
    assert read.image_url == "https://iiif.micr.io/PJEZO/full/!2048,2048/0/default.jpg"


def test_a_record_in_the_gettys_own_terms(museum, tmp_path):
    """The Getty's records use local terms beside AAT's (data.getty.edu/local/thesaurus/...), a VisualItem that is
    its image and texts that are their pages."""
    local = "https://data.getty.edu/local/thesaurus/"
    record = {
        "@context": CONTEXT, "type": "HumanMadeObject",
        "id": "https://data.getty.edu/museum/collection/object/7e37c1c5",
        "identified_by": [{"type": "Name", "content": "The Surprise (title in English)"},
                          {"type": "Name", "content": "La Surprise",
                           "classified_as": [{"id": f"{local}object-title-primary"}]},
                          {"type": "Identifier", "content": "2017.72", "classified_as": [kind("300312355")]}],
        "referred_to_by": [
            {**statement("**In a verdant park** at sunset", "300080091"), "format": "text/markdown"},
            {**statement("<p>In a verdant park at sunset</p>", "300080091"), "format": "text/html"},
            statement("Oil on panel", "300435429"), statement("Painting", "300435443"),
            statement("French", "300055768"), statement("Getty Museum, Los Angeles", "300435418")],
        "produced_by": {"type": "Production",
                        "carried_out_by": [{"id": f"{museum}/person/missing", "type": "Person",
                                            "_label": "Jean-Antoine Watteau"}],
                        "referred_to_by": [{"content": "Jean-Antoine Watteau",
                                            "classified_as": [{"id": f"{local}producer-description"}]},
                                           {"content": "French, 1684 - 1721",
                                            "classified_as": [{"id": f"{local}nationality-and-dates"}]}]},
        "representation": [{"id": "https://media.getty.edu/iiif/image/b2a0/full/full/0/default.jpg",
                            "type": "VisualItem"}],
        "subject_of": [{"id": "https://www.getty.edu/art/collection/object/103RJP", "type": "LinguisticObject",
                        "classified_as": [kind("300264578")], "format": "text/html"},
                       {"id": "https://media.getty.edu/iiif/manifest/7e37", "type": "LinguisticObject",
                        "classified_as": [{"id": f"{local}iiif-manifest"}]}],
        "current_keeper": [{"type": "Group", "_label": "Paintings Department"}],
        "subject_to": [{"type": "Right",
                        "classified_as": [{"id": "http://creativecommons.org/publicdomain/zero/1.0/"}]}],
    }
    path = tmp_path / "getty.json"
    path.write_text(json.dumps(record))
    (read,) = list(read_source(str(path))[1])
    assert (read.title, read.accession_number, read.classification, read.department) == (
        "La Surprise", "2017.72", "Painting", "Paintings Department")
    assert (read.description, read.culture, read.credit_line) == (
        "In a verdant park at sunset", "French", "Getty Museum, Los Angeles")  # the HTML one, reduced to text
    assert (read.artist_name, read.artist_nationality, read.artist_birth_year, read.artist_death_year) == (
        "Jean-Antoine Watteau", "French", 1684, 1721)
    assert read.image_url == "https://media.getty.edu/iiif/image/b2a0/full/!2048,2048/0/default.jpg"
    assert (read.source_url, read.manifest_url) == ("https://www.getty.edu/art/collection/object/103RJP",
                                                    "https://media.getty.edu/iiif/manifest/7e37")
    assert read.rights == "public-domain"


def test_a_makers_record_is_fetched_once_and_its_facts_win(museum, tmp_path):
    maker = reference(museum, "/person/watteau")
    path = tmp_path / "objects.jsonl"
    lines = [json.dumps(linked_art_object(museum, str(n), title=f"Work {n}", maker=maker)) for n in (1, 2)]
    path.write_text("\n".join([lines[0], "{not json", lines[1]]))
    Museum.requests.clear()
    kind_read, records = read_source(str(path))
    first, broken, second = list(records)
    assert kind_read == "linked-art" and Museum.requests == ["/person/watteau"]  # once for both works
    # The maker's own record: its primary name, nationality and years, over the production's statement.
    assert (first.artist_name, first.artist_nationality, first.artist_birth_year, first.artist_death_year) == (
        "Antoine Watteau", "French", 1684, 1721)  # its primary name, over the reference's label
    assert second.title == "Work 2" and broken.where == "objects.jsonl line 2" and "JSON" in broken.reason


def test_a_maker_whose_record_cannot_be_fetched_keeps_the_statements_facts(museum, tmp_path):
    path = tmp_path / "object.json"
    path.write_text(json.dumps(linked_art_object(museum, "9", maker=reference(museum, "/person/missing"))))
    (record,) = list(read_source(str(path))[1])
    assert (record.artist_name, record.artist_nationality, record.artist_birth_year, record.artist_death_year) == (
        "Jean-Antoine Watteau", "French", 1684, 1721)
    assert record.artist_bio_line == "French, 1684 - 1721"


def test_unusable_objects_are_reported_and_the_rest_read(tmp_path):
    base = "https://museum.example"
    empty = {"@context": CONTEXT, "id": f"{base}/object/0", "type": "HumanMadeObject"}
    repeat = linked_art_object(base, "1", image=f"{base}/1.jpg")
    path = tmp_path / "objects.json"
    path.write_text(json.dumps([empty, linked_art_object(base, "1", image=f"{base}/1.jpg"), "text", repeat,
                                {"type": "Person", "_label": "Someone"}]))
    results = list(read_source(str(path))[1])
    assert [str(result) for result in results if not hasattr(result, "title")] == [
        "objects.json item 1: no title and no image",
        "objects.json item 3: not a Linked Art object (HumanMadeObject)",
        "objects.json item 4: accession number '2017.1' again (first in item 2)",
        "objects.json item 5: not a Linked Art object (HumanMadeObject)",
    ]


def test_a_stream_of_changes_is_read_page_by_page_each_object_once(museum):
    Museum.requests.clear()
    kind_read, records = read_source(f"{museum}/stream")
    assert kind_read == "linked-art" and Museum.requests == ["/stream"]
    (first,) = itertools.islice(records, 1)
    assert first.title == "Work 1" and first.artist_nationality == "French"
    assert Museum.requests == ["/stream", "/stream/page/1", "/object/1", "/person/watteau"]  # an import's --limit 1
    rest = list(records)
    manifest, second, deleted, gone = rest
    # A manifest the stream names is read as IIIF (the Getty's own, of the shared set).
    assert (manifest.title, manifest.accession_number, manifest.artist_name) == (
        "La Surprise", "2017.72", "Jean-Antoine Watteau")
    assert manifest.manifest_url == "https://data.getty.edu/museum/api/iiif/298147/manifest.json"
    assert second.title == "Work 2" and second.image_url.startswith(f"{museum}/iiif/image/2/")
    assert isinstance(deleted, DeletedRecord) and deleted.source_id == f"{museum}/object/3"
    assert gone.where == f"{museum}/object/gone" and "404" in gone.reason
    assert Museum.requests.count("/object/1") == 1 and "/object/3" not in Museum.requests  # updates read once
    assert Museum.requests.count("/person/watteau") == 1


def shown(result: CatalogueRecord | SkippedRecord | DeletedRecord) -> str | tuple[str, str]:
    if isinstance(result, DeletedRecord):
        return result.source_id, "deleted"
    return result.title if isinstance(result, CatalogueRecord) else (result.where, result.reason)


def test_a_stream_that_gives_its_last_page_is_read_back_from_it_each_object_in_its_latest_state(museum):
    Museum.requests.clear()
    records = list(read_source(f"{museum}/changes")[1])
    assert [shown(record) for record in records] == [
        (f"{museum}/object/2", "deleted"),  # created, then deleted: not imported
        "Work 4", "Work 1"]
    assert [path for path in Museum.requests if path.startswith("/changes")] == [
        "/changes", "/changes/page/2", "/changes/page/1"]


def test_a_stream_read_since_a_time_stops_at_the_first_older_activity(museum):
    Museum.requests.clear()
    records = list(read_source(f"{museum}/changes", since=datetime(2026, 2, 15, tzinfo=timezone.utc))[1])
    assert [shown(record) for record in records] == [(f"{museum}/object/2", "deleted"), "Work 4"]
    assert Museum.requests == ["/changes", "/changes/page/2", "/object/4", "/person/watteau"]  # page 1 is not read
    assert list(read_source(f"{museum}/changes", since=datetime(2026, 5, 1, tzinfo=timezone.utc))[1]) == []


def test_a_search_apis_pages_and_an_objects_picture_named_through_its_visual_item(museum, caplog):
    Museum.requests.clear()
    kind_read, records = read_source(f"{museum}/rijks/search")
    first, second, third = list(records)
    assert kind_read == "linked-art"
    assert (first.title, first.accession_number, first.artist_name, first.artist_birth_year) == (
        "Self-portrait 1", "SK-A-3261", "Vincent van Gogh", 1853)
    # The picture: object → visual item → digital object → a IIIF request for the whole image, asked bounded.
    assert first.image_url == f"{museum}/iiif/image/1/full/!2048,2048/0/default.jpg"
    assert first.rights == PUBLIC_DOMAIN and second.image_url.startswith(f"{museum}/iiif/image/2/")
    assert Museum.requests[:5] == ["/rijks/search", "/rijks/2001", "/rijks/2021", "/rijks/5001", "/rijks/2002"]
    assert "/rijks/search/2" in Museum.requests  # the next page
    # The third's visual item cannot be had: the record comes without a picture (the import reports it), and the log
    # says which record was missing.
    assert (third.title, third.image_url) == ("Self-portrait 3", "")
    assert f"the picture's record {museum}/rijks/2023 is not read" in caplog.text


def test_what_is_linked_art():
    assert is_linked_art({"type": "HumanMadeObject"}) and is_linked_art([{"type": "HumanMadeObject"}])
    assert is_linked_art({"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollection"})
    assert is_linked_art({"@context": "http://iiif.io/api/discovery/1/context.json", "type": "OrderedCollectionPage"})
    assert not is_linked_art({"type": "OrderedCollection"})  # no stream's context: some other API's
    assert is_linked_art({"type": "OrderedCollectionPage", "orderedItems": [{"id": "x", "type": "HumanMadeObject"}]})
    assert not is_linked_art({"type": "Manifest"}) and not is_linked_art({"data": []}) and not is_linked_art([])
