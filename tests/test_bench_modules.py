"""The benchmarks run outside `make test` (make bench): at least every module of theirs must import with today's code,
and the synthetic rows they COPY must name every column the database requires."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import bench


@pytest.mark.parametrize("name", sorted(module.name for module in pkgutil.iter_modules(bench.__path__)))
def test_bench_module_imports(name):
    importlib.import_module(f"bench.{name}")


@pytest.mark.django_db
def test_the_scale_copy_writes_a_row_the_table_accepts(artist):
    """bench/scale.py COPYs synthetic rows in binary: every required column named, every type exact."""
    from datetime import UTC, datetime

    import numpy as np
    from django.db import connection
    from pgvector.psycopg import register_vector

    from bench.scale import NO_CATALOGUE, copy_plan
    from gallery.models import Artwork

    statement, types, other_values = copy_plan()
    now = datetime.now(UTC)
    with connection.cursor():  # opens Django's connection; the raw cursor below shares its transaction
        register_vector(connection.connection)  # as bench.db.connect() does
        with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(types)
            copy.write_row((now, now, artist.pk, "Synthetic artwork 1", "p.jpg", "p.jpg", 400, 400, "0" * 64,
                            "0" * 32, np.ones(512, dtype=np.float32), "bench/model", Artwork.Status.READY, "",
                            *NO_CATALOGUE, *other_values))
    row = Artwork.objects.get(title="Synthetic artwork 1")
    assert row.published and row.rights == Artwork.Rights.UNKNOWN and row.tags == []


@pytest.mark.django_db(transaction=True)
def test_the_scale_rows_show_met_catalogue_text_with_the_products_search_documents(monkeypatch, settings, tmp_path):
    """bench/scale.py gives its synthetic rows real Met works' text in turn, and the very search documents the
    product writes for them, so a benchmarked search's words match as they would in a museum's collection."""
    from django.db import connection

    from bench import scale
    from bench.vectors import UniformVectors
    from gallery.models import Artwork, SearchWord
    from gallery.services import keywords
    from tests.helpers import MET_SAMPLE, database_url_for

    monkeypatch.setenv("BENCH_ALLOW_ANY_DATABASE", "1")
    monkeypatch.setenv("DATABASE_URL", database_url_for(connection.settings_dict["NAME"]))
    settings.MEDIA_ROOT = tmp_path
    catalogue = scale.met_catalogue(MET_SAMPLE / "objects.jsonl")
    assert len(catalogue) == 1000
    result = scale.load(generator=UniformVectors(), count=60, model_id="bench/model", catalogue=catalogue[:25])
    assert result["rows"] == 60 and Artwork.objects.count() == 60
    loaded = dict(Artwork.objects.values_list("pk", "search_document"))
    assert all(loaded.values())
    lexicon = dict(SearchWord.objects.values_list("word", "documents"))
    assert lexicon and set(keywords.words(catalogue[3].title)) <= set(lexicon)
    keywords.artworks_index_text(artwork_ids=list(loaded))  # the product's own documents of the same rows
    assert dict(Artwork.objects.values_list("pk", "search_document")) == loaded
    keywords.search_words_recount()
    assert dict(SearchWord.objects.values_list("word", "documents")) == lexicon
    first, twenty_sixth = Artwork.objects.get(pk=1), Artwork.objects.get(pk=26)
    assert first.title == twenty_sixth.title == catalogue[0].title
    assert (first.medium, first.classification) == catalogue[0].columns[1:3]
    searchable = Artwork.objects.all()
    word = keywords.words(catalogue[3].title)[-1]
    assert {4, 29, 54} <= {match.pk for match in keywords.keyword_matches(word, queryset=searchable)}


@pytest.mark.django_db(transaction=True)
def test_the_compact_comparison_builds_and_queries_every_kind(monkeypatch):
    """bench/compact.py on a small table of the test database: each kind's index is the product's DDL, its query the
    product's expression, and recall is measured against the exact answer (binary re-ranks, so it finds them too)."""
    import numpy as np
    from django.db import connection

    from bench import compact
    from bench.vectors import UniformVectors
    from tests.helpers import database_url_for

    monkeypatch.setenv("BENCH_ALLOW_ANY_DATABASE", "1")
    monkeypatch.setenv("DATABASE_URL", database_url_for(connection.settings_dict["NAME"]))
    result = compact.run(generator=UniformVectors(), count=1000, n_queries=30, kinds=["vector", "halfvec", "binary"],
                         ef_values=[100], reranks=[1000])
    kinds = result["kinds"]
    assert set(kinds) == {"vector", "halfvec", "binary"}
    assert kinds["halfvec"]["index_mb"] < kinds["vector"]["index_mb"]
    assert kinds["binary"]["index_mb"] < kinds["halfvec"]["index_mb"]
    assert kinds["binary"]["sweep"][0]["recall10"] == 1.0  # every row re-ranked by the full vector: exact
    assert all(entry["sweep"][0]["recall10"] > 0.9 for entry in kinds.values())
    assert np.isfinite([entry["build_s"] for entry in kinds.values()]).all()


def test_the_sizing_table_extrapolates_from_the_largest_sizes():
    """Index size linear in the rows, build time and p95 on the power law through the two largest sizes."""
    from bench import scaling

    def run(rows, index_mb, build_s, p95):
        point = {"ef_search": 100, "recall10": 0.99, "p50_ms": p95 / 2, "p95_ms": p95}
        return {"rows": rows, "table_mb": rows / 400, "kinds": {"halfvec": {
            "build_s": build_s, "index_mb": index_mb, "sweep": [point, {**point, "recall10": 0.9, "p95_ms": 0.1}]}}}

    phases = {"compact": {"100k": run(100_000, 130, 20, 2.0)}, "compact_1m": {"1m": run(1_000_000, 1300, 200, 4.0)}}
    row, partitioned = scaling.sizing(phases, "halfvec", text_p50_ms_1m=20.0, cores=2)
    assert partitioned["layout"] == "10 partitions of 1M" and partitioned["build_s"] == pytest.approx(2000)
    assert partitioned["p50_ms"] == pytest.approx(20.0)  # ten 1M searches one after another
    assert row["index_gb"] == pytest.approx(13000 / 1024)
    assert row["build_s"] == pytest.approx(2000)  # 10 × the rows, 10 × the time: exponent 1
    assert row["p95_ms"] == pytest.approx(8.0)  # 2 → 4 ms per 10 × rows: 8 ms at 10M
    assert row["page_p50_ms"] == pytest.approx(22.0)  # the 1M page plus the index's extra 2 ms
    assert row["replicas"][200] == 4  # 2 cores × 1000/22 ms × 60 % ≈ 55 a replica
    assert scaling.sizing(phases, "binary", text_p50_ms_1m=None, cores=2) == []
    assert "| halfvec | one index | 100,000, 1,000,000 (0.990) |" in "\n".join(scaling.markdown(phases, [row], cores=2))


@pytest.mark.django_db(transaction=True)
def test_the_import_bounds_halves_do_the_sync_imports_work(clip_encoder):
    """bench/ingest.py times the two halves of a --sync import alone: the encoding of the import's inputs, and the
    import with embedding queued followed by storing what was encoded; together they leave the rows as --sync does."""
    from PIL import Image

    from bench import ingest
    from gallery import kaggle
    from gallery.models import Artwork, ArtworkKeypoints
    from gallery.services import encoding
    from tests.helpers import DATASET as root
    files = list(kaggle.iter_images(kaggle.find_images_dir(root)))[:4]
    inputs = [encoding.picture_inputs(Image.open(item.path).convert("RGB"), encoder=clip_encoder) for item in files]
    encoded = ingest._encode(inputs, clip_encoder)
    assert len(encoded) == 4 and all(item.keypoints is not None for item in encoded)
    assert ingest._import_queued(root, 4, encoded, clip_encoder.model_id) == 4
    rows = list(Artwork.objects.order_by("pk"))
    assert [row.status for row in rows] == [Artwork.Status.READY] * 4
    assert all(np.allclose(row.embedding, item.vector, atol=1e-6) for row, item in zip(rows, encoded))
    assert ArtworkKeypoints.objects.filter(artwork__in=rows).count() == 4


def _result_file(directory, name, *, cpu_model, date="2026-12-06T10:00:00+00:00"):
    import json

    machine = {"cpu_model": cpu_model, "cores": 2, "memory_gb": 23.5, "cpu_features": [], "torch": "2.14.1"}
    document = {"machine": machine, "phases": {},
                "conditions": {}, "date": date, "quick": False, "postgres": {}}
    path = directory / f"{name}.json"
    path.write_text(json.dumps(document))
    return path


def test_results_of_two_machines_are_not_merged_into_one_report(tmp_path):
    from bench import report

    epyc = _result_file(tmp_path, "epyc", cpu_model="AMD EPYC")
    xeon = _result_file(tmp_path, "xeon", cpu_model="Intel(R) Xeon(R) Processor")
    with pytest.raises(ValueError, match="different machines") as refused:
        report.merge([epyc, xeon], stem=tmp_path / "merged")
    assert "epyc.json: AMD EPYC" in str(refused.value) and "xeon.json: Intel" in str(refused.value)
    assert not (tmp_path / "merged.json").exists()

    later = _result_file(tmp_path, "epyc-later", cpu_model="AMD EPYC", date="2026-12-06T12:00:00+00:00")
    merged = report.merge([epyc, later], stem=tmp_path / "merged")
    assert merged["date"] == "2026-12-06T10:00:00+00:00 and 2026-12-06T12:00:00+00:00"
    assert (tmp_path / "merged.json").exists()


@pytest.mark.django_db
def test_the_text_steps_time_the_keyword_matches_and_the_report_shows_them(embedded_artworks):
    """bench.breakdown.search_steps times the keyword step too (the words matter since the rows have catalogue
    text); the report shows its column, and "–" for results measured before it was."""
    import copy
    import json

    from bench import breakdown, report
    from tests.helpers import BASE_DIR

    embedded_artworks(4)
    steps = breakdown.search_steps(["Work 1", "zqxv blorp"], k=2)
    assert set(steps) == {"encode", "keywords", "artwork_search", "more_by_artist"} and steps["keywords"]["n"] == 2
    text = json.loads((BASE_DIR / "bench" / "results" / "latest.json").read_text())["phases"]["text"]
    before = report._text_md(text)
    header = next(line for line in before if line.startswith("| rows |"))
    assert "| keywords p50 |" in header
    row = next(line for line in before if line.startswith("| 100k |"))
    assert row.split(" | ")[8] == "–"
    now = copy.deepcopy(text)
    now["100k"]["steps"]["keywords"] = {**steps["keywords"], "p50_ms": 4.25}
    row = next(line for line in report._text_md(now) if line.startswith("| 100k |"))
    assert row.split(" | ")[8] == "4.2"


@pytest.mark.django_db
def test_the_text_page_floor_times_each_unavoidable_part_beside_the_page_and_the_report_shows_it(embedded_artworks,
                                                                                                clip_encoder):
    """bench.breakdown.page_floor times, for each text right after the page itself (stand-ins here: 4 s a page, 1 s
    without a query), the encoding, the index scan and the results' rendering, adds them to the page without a query,
    and the 1M report says what share of the page that floor is."""
    from bench import breakdown, scaling

    embedded_artworks(4)
    asked = []
    parts = breakdown.page_floor(["Work 1", "zqxv blorp"], k=2, ef_search=40, encoder=clip_encoder,
                                 page=lambda text: asked.append(text) or 4.0, around=lambda: 1.0)
    assert asked == ["Work 1", "zqxv blorp"]
    assert all(parts[name]["n"] == 2 for name in ("page", "around", "encode", "scan", "render", "floor"))
    inner = [parts[name]["p50_ms"] for name in ("encode", "scan", "render")]
    assert min(inner) > 0 and parts["floor"]["p50_ms"] == pytest.approx(1000 + sum(inner), rel=0.5)
    assert parts["floor_share"] == pytest.approx(parts["floor"]["p50_ms"] / 4000, rel=0.1)
    text_1m = {"rows": {"rows": 1_000_000}, "ef_search": 200, "k": 2, "server": {"workers": 2, "threads": 4},
               "http_cold": {"p50_ms": 60.0}, "http": {"p50_ms": 50.0}, "parts": parts}
    report = "\n".join(scaling.markdown({"text_1m": text_1m}, [], cores=2))
    assert (f"together {parts['floor']['p50_ms']:,.1f} ms a text, against 4,000.0 for the page; the floor is "
            f"{parts['floor_share']:.0%} of the page") in report


@pytest.mark.parametrize("rows, imports", [(100_000, {"ref": [10.0, 12.0], "current": [11.0, 13.0]}),
                                           (1_000_000, {"ref": [], "current": []})])
def test_a_comparison_names_its_rows_and_the_import_only_where_it_ran(tmp_path, rows, imports):
    from bench import compare

    summary = {"p50_ms": 40.0, "p95_ms": 60.0}
    result = {"ref": "abc", "ref_sha": "0123456789abcdef", "rows": rows, "ef_search": 200,
              "large_import_img_per_s": imports, "text": {"ref": summary, "current": summary},
              "image": {"ref": summary, "current": summary},
              "load": {"ref": [{"errors": 0}], "current": [{"errors": 0}]},
              "load_rps_median": {"ref": 20.0, "current": 30.0},
              "ratios": {"text_p50": 1.0, "image_p50": 1.0, "load_rps": 1.5,
                         "large_import": 1.1 if imports["ref"] else None}}
    compare.write(result, tmp_path / "compare", machine="test machine")
    text = (tmp_path / "compare.md").read_text()
    assert f"the same {rows:,} synthetic rows" in text and "(ef_search 200)" in text
    assert ("import of 64 large originals" in text) == bool(imports["ref"])
