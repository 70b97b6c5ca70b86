"""`manage.py import_artworks` on small collections built from the real shared images."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from gallery.models import Artist, Artwork
from tests.dataset_fixtures import build_collection

pytestmark = pytest.mark.django_db


def run_import(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_artworks", *map(str, args), stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


@pytest.fixture
def kaggle_folder(tmp_path):
    """A small Kaggle-layout folder of shared images, with its artists.csv."""
    root = build_collection(tmp_path / "best-artworks",
                            folders={"Albrecht_Du╠êrer": 2, "Claude_Monet": 2, "Frida_Kahlo": 1}, extra_csv_rows=1)
    (root / "images" / "Claude_Monet" / "Claude_Monet_999.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    return root


def test_import_sync_creates_artists_and_embedded_artworks(kaggle_folder):
    output = run_import(kaggle_folder, "--sync")
    assert "Imported 5 artworks (embedded 5 here)" in output and "failed 1" in output
    assert "Claude_Monet_999.jpg" in output  # the bad file is named with its reason
    durer = Artist.objects.get(name="Albrecht Dürer")  # the mojibake folder landed on the CSV's artist
    assert durer.artworks.count() == 2 and durer.years == "1471 - 1528"
    assert Artist.objects.count() == 4  # three folders plus one CSV artist without images
    assert set(Artwork.objects.values_list("status", flat=True)) == {"ready"}
    frida = Artwork.objects.get(artist__name="Frida Kahlo")
    assert re.fullmatch(r"Frida Kahlo, no\. \d+", frida.title)


def test_rerunning_the_import_is_a_no_op(kaggle_folder):
    run_import(kaggle_folder, "--sync")
    before = list(Artwork.objects.values_list("pk", "updated_at"))
    output = run_import(kaggle_folder, "--sync")
    assert "Imported 0 artworks" in output and "skipped 5 already imported" in output
    assert list(Artwork.objects.values_list("pk", "updated_at")) == before


def test_default_import_queues_batches_for_the_worker(kaggle_folder, broker_queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_import(kaggle_folder)
    jobs = broker_queue.jobs()
    assert sorted(pk for job in jobs for pk in job) == sorted(Artwork.objects.values_list("pk", flat=True))
    assert set(Artwork.objects.values_list("status", flat=True)) == {"pending"}


def test_limit_spreads_over_artists(kaggle_folder):
    run_import(kaggle_folder, "--limit", "3", "--sync")
    assert Artwork.objects.count() == 3
    assert Artwork.objects.values("artist").distinct().count() == 3


def test_csv_updates_existing_artists(kaggle_folder):
    Artist.objects.create(name="Claude Monet", nationality="wrong")
    output = run_import(kaggle_folder, "--limit", "1")
    assert Artist.objects.get(name="Claude Monet").nationality == "French"
    assert "1 updated" in output


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No artist folders"):
        run_import(tmp_path)


def test_download_without_kaggle_credentials_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.delenv("KAGGLE_API_TOKEN", raising=False)
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kaggle credentials
    with pytest.raises(CommandError, match="Kaggle"):
        run_import(tmp_path / "download", "--download")


def test_on_duplicate_skip_lists_the_copy_and_stores_nothing_for_it(kaggle_folder, tmp_path):
    from tests.helpers import reproduction_upload

    run_import(kaggle_folder)
    original = Artwork.objects.order_by("pk").first()
    count = Artwork.objects.count()
    folder = tmp_path / "more" / "images" / "Claude_Monet"
    folder.mkdir(parents=True)
    (folder / "Claude_Monet_500.jpg").write_bytes(reproduction_upload(original).read())
    output = run_import(tmp_path / "more", "--on-duplicate", "skip")
    assert "Imported 0 artworks" in output and "1 picture(s) look like works already in the collection (1 skipped)" \
        in output
    assert re.search(rf"Claude_Monet_500\.jpg looks like .*\(#{original.pk}\), \d+ bits apart: skipped", output)
    assert Artwork.objects.count() == count
    with pytest.raises(CommandError):
        run_import(tmp_path / "more", "--on-duplicate", "merge")
