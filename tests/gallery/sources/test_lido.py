"""gallery.sources.lido: LIDO XML records, from a file, a URL and an OAI-PMH harvest, streamed and defused."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from gallery.sources import CatalogueRecord, DeletedRecord, SkippedRecord, read_source
from gallery.sources.lido import harvest_since
from tests.helpers import loopback_server, make_image_bytes, respond

LIDO = 'xmlns:lido="http://www.lido-schema.org"'


def lido_record(number: str, title: str, *, image: str = "", actor: str = "", extra: str = "") -> str:
    """A lido:lido record as museums' exports write them (the elements this reader reads, and some it does not)."""
    title_xml = (f'<lido:titleWrap><lido:titleSet><lido:appellationValue lido:pref="alternate">Alt {title}'
                 f'</lido:appellationValue><lido:appellationValue lido:pref="preferred">{title}</lido:appellationValue>'
                 f'</lido:titleSet></lido:titleWrap>') if title else ""
    image_xml = (f'<lido:resourceWrap><lido:resourceSet><lido:resourceRepresentation lido:type="image_thumb">'
                 f'<lido:linkResource>{image}?thumb</lido:linkResource></lido:resourceRepresentation>'
                 f'<lido:resourceRepresentation lido:type="image_master"><lido:linkResource>{image}</lido:linkResource>'
                 f'</lido:resourceRepresentation><lido:rightsResource><lido:rightsType><lido:conceptID lido:type="URI">'
                 f'http://creativecommons.org/publicdomain/mark/1.0/</lido:conceptID><lido:term>Public Domain Mark'
                 f'</lido:term></lido:rightsType><lido:creditLine>Photo: Museum Example</lido:creditLine>'
                 f'</lido:rightsResource></lido:resourceSet></lido:resourceWrap>') if image else ""
    return f"""<lido:lido>
  <lido:lidoRecID lido:source="Museum Example" lido:type="local">ME-{number}</lido:lidoRecID>
  <lido:descriptiveMetadata xml:lang="en">
    <lido:objectClassificationWrap><lido:objectWorkTypeWrap><lido:objectWorkType>
      <lido:conceptID lido:type="URI">http://vocab.getty.edu/aat/300033618</lido:conceptID><lido:term>painting</lido:term>
    </lido:objectWorkType></lido:objectWorkTypeWrap></lido:objectClassificationWrap>
    <lido:objectIdentificationWrap>
      {title_xml}
      <lido:repositoryWrap><lido:repositorySet lido:type="current">
        <lido:repositoryName><lido:legalBodyName><lido:appellationValue>Museum Example</lido:appellationValue>
        </lido:legalBodyName></lido:repositoryName>
        <lido:workID lido:type="record number">R-{number}</lido:workID>
        <lido:workID lido:type="inventory number">{number}</lido:workID>
      </lido:repositorySet></lido:repositoryWrap>
      <lido:objectDescriptionWrap><lido:objectDescriptionSet>
        <lido:descriptiveNoteValue>A view of {title}.</lido:descriptiveNoteValue>
      </lido:objectDescriptionSet></lido:objectDescriptionWrap>
      <lido:objectMeasurementsWrap><lido:objectMeasurementsSet>
        <lido:displayObjectMeasurements>73 x 92 cm</lido:displayObjectMeasurements>
      </lido:objectMeasurementsSet></lido:objectMeasurementsWrap>
    </lido:objectIdentificationWrap>
    <lido:eventWrap>
      <lido:eventSet><lido:event><lido:eventType><lido:term>Acquisition</lido:term></lido:eventType>
        <lido:eventActor><lido:actorInRole><lido:actor><lido:nameActorSet><lido:appellationValue>A Dealer
        </lido:appellationValue></lido:nameActorSet></lido:actor></lido:actorInRole></lido:eventActor>
        <lido:eventDate><lido:displayDate>1950</lido:displayDate></lido:eventDate>
      </lido:event></lido:eventSet>
      <lido:eventSet><lido:event>
        <lido:eventType><lido:conceptID lido:type="URI">http://terminology.lido-schema.org/lido00007</lido:conceptID>
          <lido:term>Herstellung</lido:term></lido:eventType>
        <lido:eventActor>
          <lido:displayActorInRole>{actor} (1606-1669), painter</lido:displayActorInRole>
          <lido:actorInRole><lido:actor lido:type="person">
            <lido:nameActorSet><lido:appellationValue lido:pref="preferred">{actor}</lido:appellationValue>
            </lido:nameActorSet>
            <lido:nationalityActor><lido:term>Dutch</lido:term></lido:nationalityActor>
            <lido:vitalDatesActor><lido:earliestDate>1606-07-15</lido:earliestDate>
              <lido:latestDate>1669-10-04</lido:latestDate></lido:vitalDatesActor>
          </lido:actor><lido:roleActor><lido:term>painter</lido:term></lido:roleActor>
          <lido:attributionQualifierActor>Workshop of</lido:attributionQualifierActor></lido:actorInRole>
        </lido:eventActor>
        <lido:culture><lido:term>Dutch</lido:term></lido:culture>
        <lido:eventDate><lido:displayDate>c. 1650–55</lido:displayDate>
          <lido:date><lido:earliestDate>1650</lido:earliestDate><lido:latestDate>1655</lido:latestDate></lido:date>
        </lido:eventDate>
        <lido:periodName><lido:term>Dutch Golden Age</lido:term></lido:periodName>
        <lido:eventMaterialsTech><lido:displayMaterialsTech>Oil on canvas</lido:displayMaterialsTech>
        </lido:eventMaterialsTech>
      </lido:event></lido:eventSet>
    </lido:eventWrap>
    <lido:objectRelationWrap><lido:subjectWrap><lido:subjectSet><lido:subject>
      <lido:subjectConcept><lido:term>portrait</lido:term></lido:subjectConcept>
      <lido:subjectConcept><lido:term>man</lido:term></lido:subjectConcept>
    </lido:subject></lido:subjectSet></lido:subjectWrap></lido:objectRelationWrap>
  </lido:descriptiveMetadata>
  <lido:administrativeMetadata xml:lang="en">
    <lido:rightsWorkWrap><lido:rightsWorkSet><lido:creditLine>Gift of A. Donor, 1950</lido:creditLine>
    </lido:rightsWorkSet></lido:rightsWorkWrap>
    <lido:recordWrap><lido:recordID lido:type="local">{number}</lido:recordID>
      <lido:recordType><lido:term>item</lido:term></lido:recordType>
      <lido:recordSource><lido:legalBodyName><lido:appellationValue>Museum Example</lido:appellationValue>
      </lido:legalBodyName></lido:recordSource>
      <lido:recordInfoSet><lido:recordInfoLink>https://museum.example/objects/{number}</lido:recordInfoLink>
      </lido:recordInfoSet></lido:recordWrap>
    {image_xml}
  </lido:administrativeMetadata>
  {extra}
</lido:lido>"""


def lido_wrap(*records: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<lido:lidoWrap {LIDO}>\n' + "\n".join(records) + "\n</lido:lidoWrap>"


def test_a_lido_export_with_its_records_fields(tmp_path: Path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "b.jpg").write_bytes(make_image_bytes(seed=3))
    (tmp_path / "export.xml").write_text(lido_wrap(
        lido_record("1950.1", "Portrait of a Man", image="https://images.example/1950.1.jpg", actor="Rembrandt"),
        lido_record("1950.2", "A Landscape", image="b.jpg", actor="Jacob van Ruisdael"),
        lido_record("1950.3", "", actor="Nobody"),
        lido_record("1950.1", "The same number", image="https://images.example/x.jpg")))
    kind, records = read_source(str(tmp_path / "export.xml"))
    man, landscape, nothing, again = list(records)
    assert kind == "lido"
    assert (man.source_id, man.accession_number, man.title) == ("1950.1", "1950.1", "Portrait of a Man")
    assert (man.artist_name, man.artist_qualifier, man.artist_nationality, man.artist_birth_year,
            man.artist_death_year) == ("Rembrandt", "Workshop of", "Dutch", 1606, 1669)
    assert (man.date, man.year_start, man.year_end, man.culture, man.period, man.medium) == (
        "c. 1650–55", 1650, 1655, "Dutch", "Dutch Golden Age", "Oil on canvas")
    assert (man.classification, man.dimensions, man.description, man.tags) == (
        "painting", "73 x 92 cm", "A view of Portrait of a Man.", ["portrait", "man"])
    assert (man.image_url, man.rights, man.rights_url) == (
        "https://images.example/1950.1.jpg", "public-domain", "http://creativecommons.org/publicdomain/mark/1.0/")
    assert (man.credit_line, man.attribution, man.source_url) == (
        "Gift of A. Donor, 1950", "Photo: Museum Example", "https://museum.example/objects/1950.1")
    assert man.institution == "Museum Example"  # the current repository's name
    assert landscape.image_path == tmp_path / "images" / "b.jpg" and landscape.image_url == ""
    assert nothing == SkippedRecord(where="export.xml record 3", reason="no title and no image")
    assert (again.where, again.reason) == ("export.xml record 4", "accession number '1950.1' again (first in record 1)")


def test_a_record_in_several_languages_is_read_in_english_first(tmp_path: Path):
    english = lido_record("1950.1", "Portrait of a Man", image="https://images.example/1950.1.jpg", actor="Rembrandt")
    start = english.index("<lido:descriptiveMetadata")
    end = english.index("</lido:descriptiveMetadata>") + len("</lido:descriptiveMetadata>")
    german = english[start:end].replace('xml:lang="en"', 'xml:lang="de"')
    for text, translated in [("Portrait of a Man", "Bildnis eines Mannes"), ("painting", "Gemälde"),
                             ("Oil on canvas", "Öl auf Leinwand"), ("Dutch Golden Age", "Goldenes Zeitalter")]:
        german = german.replace(text, translated)
    blocks = english[:start] + german + english[start:]  # the German block first, as German museums export
    values = lido_record("1950.2", "", image="https://images.example/1950.2.jpg").replace(
        "<lido:objectIdentificationWrap>", '<lido:objectIdentificationWrap><lido:titleWrap><lido:titleSet>'
        '<lido:appellationValue lido:pref="preferred" xml:lang="de">Flusslandschaft</lido:appellationValue>'
        '<lido:appellationValue lido:pref="preferred" xml:lang="en-GB">River Landscape</lido:appellationValue>'
        '</lido:titleSet></lido:titleWrap>')
    (tmp_path / "export.xml").write_text(lido_wrap(blocks, values))
    man, landscape = read_source(str(tmp_path / "export.xml"))[1]
    assert (man.title, man.classification, man.medium, man.period) == (
        "Portrait of a Man", "painting", "Oil on canvas", "Dutch Golden Age")
    assert landscape.title == "River Landscape"


def test_xml_that_breaks_off_keeps_the_records_before(tmp_path: Path):
    whole = lido_wrap(*(lido_record(f"2000.{n}", f"Work {n}", image=f"https://images.example/{n}.jpg")
                        for n in range(3)))
    (tmp_path / "cut.xml").write_text(whole[: whole.index("<lido:lido>", whole.index("Work 1")) + 40])
    *read, broken = read_source(str(tmp_path / "cut.xml"))[1]
    assert [r.accession_number for r in read] == ["2000.0", "2000.1"]
    assert broken.where == "cut.xml after record 2" and broken.reason.startswith("not read: the XML is refused")


def test_entities_are_refused_not_expanded(tmp_path: Path):
    """The billion laughs: a DTD declaring entities that expand to gigabytes is refused before any expansion."""
    laughs = "".join(f'<!ENTITY l{n} "{"&l%d;" % (n - 1) * 10}">' for n in range(1, 10))
    (tmp_path / "laughs.xml").write_text(f'<?xml version="1.0"?><!DOCTYPE lido:lidoWrap [<!ENTITY l0 "ha">{laughs}]>'
                                         f'<lido:lidoWrap {LIDO}><lido:lido><lido:lidoRecID>&l9;</lido:lidoRecID>'
                                         f'</lido:lido></lido:lidoWrap>')
    (result,) = read_source(str(tmp_path / "laughs.xml"))[1]
    assert isinstance(result, SkippedRecord) and "refused" in result.reason and "DTD" in result.reason


def test_xml_that_is_not_lido_is_refused(tmp_path: Path):
    (tmp_path / "other.xml").write_text('<?xml version="1.0"?><rss><channel/></rss>')
    with pytest.raises(ValueError, match="other.xml is XML without LIDO records"):
        read_source(str(tmp_path / "other.xml"))
    with pytest.raises(ValueError, match="mapping applies to CSV files and JSON records only, not to LIDO"):
        read_source(str(tmp_path / "other.xml"), mapping={"a": "title"})


def oai_page(records: list[str], token: str) -> str:
    resumption = f'<resumptionToken cursor="0">{token}</resumptionToken>' if token else "<resumptionToken/>"
    wrapped = "".join(  # a record's OAI identifier names its lidoRecID; a deleted one has no metadata
        f'<record><header status="deleted"><identifier>oai:museum:{record[8:]}</identifier></header></record>'
        if record.startswith("deleted:") else f"<record><header><identifier>oai:museum:"
        f"{re.search(r'>(ME-[^<]+)<', record)[1]}</identifier></header><metadata>{record}</metadata></record>"
        for record in records)
    return (f'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" {LIDO}>'
            f"<ListRecords>{wrapped}{resumption}</ListRecords></OAI-PMH>")


class Harvest(BaseHTTPRequestHandler):
    """An OAI-PMH endpoint serving LIDO in two pages (the second asked with the first's resumptionToken)."""

    requests: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        Harvest.requests.append(self.path)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        pages = {
            "/oai?verb=ListRecords&metadataPrefix=lido": oai_page(
                [lido_record("O.1", "One", image=f"{base}/img/1.jpg"),
                 lido_record("O.2", "Two", image=f"{base}/img/2.jpg")], "page2%token"),
            "/oai?verb=ListRecords&metadataPrefix=lido&from=2026-12-01": oai_page(  # what changed since that day
                [lido_record("O.2", "Two, cleaned", image=f"{base}/img/2.jpg"), "deleted:ME-O.1"], ""),
            "/oai?verb=ListRecords&resumptionToken=page2%25token": oai_page(
                [lido_record("O.3", "Three", image=f"{base}/img/3.jpg")], ""),
            "/feed.xml": '<?xml version="1.0"?><rss/>',
            "/oai?verb=ListRecords&metadataPrefix=oai_lido": (
                '<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error '
                'code="cannotDisseminateFormat">oai_lido is not supported</error></OAI-PMH>'),
        }
        respond(self, pages[self.path].encode() if self.path in pages else None, "text/xml")


def test_an_oai_pmh_harvest_is_read_page_by_page():
    with loopback_server(Harvest) as base:
        Harvest.requests.clear()
        kind, records = read_source(f"{base}/oai?verb=ListRecords&metadataPrefix=lido")
        assert kind == "lido" and len(Harvest.requests) == 1
        results = list(records)
        assert [r.accession_number for r in results if isinstance(r, CatalogueRecord)] == ["O.1", "O.2", "O.3"]
        assert Harvest.requests[1] == "/oai?verb=ListRecords&resumptionToken=page2%25token"
        assert results[2].image_url == f"{base}/img/3.jpg"
        since = datetime(2026, 12, 1, 23, 30, tzinfo=timezone(timedelta(hours=-2)))  # 2026-12-02 in UTC
        assert harvest_since(f"{base}/oai?verb=ListRecords&metadataPrefix=lido", since).endswith("&from=2026-12-02")
        changed = list(read_source(f"{base}/oai?verb=ListRecords&metadataPrefix=lido",
                                   since=datetime(2026, 12, 1, 8, tzinfo=timezone.utc))[1])
        assert [r.title for r in changed[:1]] == ["Two, cleaned"] and changed[0].source_id == "oai:museum:ME-O.2"
        assert changed[1] == DeletedRecord(where=f"{base}/oai?verb=ListRecords&metadataPrefix=lido&from=2026-12-01 "
                                                 f"oai:museum:ME-O.1", source_id="oai:museum:ME-O.1")
        resumed = f"{base}/oai?verb=ListRecords&resumptionToken=page2%25token"
        assert harvest_since(resumed, since) == resumed  # a resumed harvest keeps its own window
        with pytest.raises(ValueError, match="feed.xml is XML without LIDO records"):
            read_source(f"{base}/feed.xml")
        with pytest.raises(ValueError, match="answered cannotDisseminateFormat: oai_lido is not supported"):
            read_source(f"{base}/oai?verb=ListRecords&metadataPrefix=oai_lido")
