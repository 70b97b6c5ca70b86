"""Curators import a collection in the admin: an export and a zip of images, run by a worker, followed on its page."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gallery import tasks
from gallery.models import Artwork, CollectionImport
from tests.helpers import MET_SAMPLE, MuseumServer, loopback_server, wait_for

MET_LINES = (MET_SAMPLE / "objects.jsonl").read_text().splitlines()[:6]
ADD_URL = reverse("admin:gallery_collectionimport_add")


def met_export(lines=MET_LINES) -> SimpleUploadedFile:
    return SimpleUploadedFile("met-export.jsonl", "\n".join(lines).encode(), content_type="application/json")


def images_zip(lines=MET_LINES, *, extra: dict[str, bytes] | None = None,
               compression: int = zipfile.ZIP_STORED) -> SimpleUploadedFile:
    """The records' images in a zip, in a folder (the import reads base names), plus any `extra` members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for line in lines:
            name = json.loads(line)["primaryImage"].rsplit("/", 1)[-1]
            archive.write(MET_SAMPLE / "images" / name, f"export/pictures/{name}")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return SimpleUploadedFile("images.zip", buffer.getvalue(), content_type="application/zip")


@pytest.mark.django_db
def test_an_admin_import_is_queued_run_and_reported_on_its_page(admin_client, broker_queue,
                                                                 django_capture_on_commit_callbacks):
    assert admin_client.get(ADD_URL).status_code == 200
    spoiled = [*MET_LINES[:4], json.dumps({**json.loads(MET_LINES[4]), "objectURL": "www.metmuseum.org/art/1"}),
               json.dumps({**json.loads(MET_LINES[5]), "primaryImage": "", "primaryImageSmall": ""})]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(ADD_URL, {"export": met_export(spoiled), "draft": "on", "images": images_zip(
            extra={"../../escape.jpg": b"not written outside", "notes.txt": b"ignored",
                   "x" * 300 + ".jpg": b"a name no disk holds: left out, the rest imported"})})
    job = CollectionImport.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/change/")
    assert job.status == CollectionImport.Status.QUEUED and job.export_name == "met-export.jsonl"
    queued = [message for message in broker_queue.messages() if message["task"] == "gallery.tasks.collection_import_run"]
    assert [message["args"] for message in queued] == [[job.pk]]
    running_page = admin_client.get(reverse("admin:gallery_collectionimport_change", args=[job.pk]))
    assert '<meta http-equiv="refresh" content="3">' in running_page.content.decode()  # it follows the job

    with django_capture_on_commit_callbacks(execute=True):
        tasks.collection_import_run(job.pk)  # what the worker runs
    job.refresh_from_db()
    assert job.status == CollectionImport.Status.DONE and (job.total, job.processed) == (6, 6)
    assert (job.created, job.updated, job.unchanged, len(job.failures)) == (5, 0, 0, 1)
    assert Artwork.objects.filter(published=False).count() == 5  # drafts, as asked
    page = admin_client.get(reverse("admin:gallery_collectionimport_change", args=[job.pk])).content.decode()
    assert "6 of 6 records" in page and "no primaryImage or primaryImageSmall" in page and "refresh" not in page
    bad_link = json.loads(MET_LINES[4])["accessionNumber"]
    assert job.left_out == [{"record": bad_link, "reason": "source_url 'www.metmuseum.org/art/1': Enter a valid URL."}]
    assert 'data-testid="links-left-out"' in page and Artwork.objects.get(accession_number=bad_link).source_url == ""

    with django_capture_on_commit_callbacks(execute=True):  # the same export again changes nothing
        admin_client.post(ADD_URL, {"export": met_export(spoiled), "images": images_zip()})
    again = CollectionImport.objects.order_by("-pk").first()
    tasks.collection_import_run(again.pk)
    again.refresh_from_db()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


@pytest.mark.django_db
@pytest.mark.parametrize("files, message", [
    ({"export": SimpleUploadedFile("export.pdf", b"%PDF-1.4")}, "upload a .csv, .json or .jsonl export"),
    ({"export": met_export(), "images": SimpleUploadedFile("images.zip", b"PK not really")}, "is not a zip file"),
    ({}, "Give an export file or a URL to fetch, not both."),
    ({"export": met_export(), "source_url": "https://api.example.org/artworks"}, "not both"),
    ({"source_url": "https://api.example.org/artworks", "images": images_zip()}, "A zip of images goes with an export"),
    ({"source_url": "ftp://museum.example.org/export.json"}, "give an http(s) URL"),
    ({"source_url": "not a url"}, "Enter a valid URL."),
])
def test_wrong_files_are_a_form_error_and_start_nothing(admin_client, files, message):
    response = admin_client.post(ADD_URL, files)
    assert response.status_code == 200 and message in response.content.decode()
    assert not CollectionImport.objects.exists()


@pytest.mark.django_db
def test_a_zip_that_unpacks_past_the_limit_fails_the_job_and_imports_nothing(admin_client, settings,
                                                                             django_capture_on_commit_callbacks):
    settings.GALLERY_IMPORT_MAX_UNPACKED_BYTES = 3 * 1024**2
    megabyte_of_zeros = {f"zeros-{n}.jpg": bytes(1024**2) for n in range(5)}  # 5 MB from a zip of about 5 KB
    bomb = images_zip(extra=megabyte_of_zeros, compression=zipfile.ZIP_DEFLATED)
    assert bomb.size < 2 * 1024**2
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(ADD_URL, {"export": met_export(), "images": bomb})
    job = CollectionImport.objects.get()
    tasks.collection_import_run(job.pk)
    job.refresh_from_db()
    assert job.status == CollectionImport.Status.FAILED
    assert job.message == ("the zip's images unpack to more than 3 MB (GALLERY_IMPORT_MAX_UNPACKED_BYTES); "
                           "import the collection in parts")
    assert not Artwork.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status, hint", [(CollectionImport.Status.RUNNING, "No progress since"),
                                          (CollectionImport.Status.QUEUED, "No worker has taken this job since")])
def test_a_job_that_has_not_moved_for_a_while_says_so_on_its_page(admin_client, status, hint):
    from datetime import timedelta

    from django.utils import timezone

    job = CollectionImport.objects.create(export="imports/big.csv", export_name="big.csv", status=status, total=100,
                                          processed=40)
    page = reverse("admin:gallery_collectionimport_change", args=[job.pk])
    assert "import-stalled" not in admin_client.get(page).content.decode()  # moved just now
    CollectionImport.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=20))
    content = admin_client.get(page).content.decode()
    assert "40 of 100 records" in content and hint in content and 'data-testid="import-stalled"' in content
    CollectionImport.objects.filter(pk=job.pk).update(status=CollectionImport.Status.DONE)
    assert "import-stalled" not in admin_client.get(page).content.decode()  # a finished job is not waiting


@pytest.mark.slow
def test_a_real_worker_runs_the_import(start_worker, admin_client, clip_encoder):
    start_worker()
    admin_client.post(ADD_URL, {"export": met_export(), "images": images_zip()})
    job = CollectionImport.objects.get()
    wait_for(lambda: CollectionImport.objects.filter(pk=job.pk, status=CollectionImport.Status.DONE).exists(),
             timeout=120, what="the worker to run the import")
    wait_for(lambda: Artwork.objects.filter(status=Artwork.Status.READY).count() == 6, timeout=120,
             what="the worker to embed the imported works")
    assert Artwork.objects.filter(published=True).count() == 6


@pytest.mark.django_db
def test_deleting_a_job_deletes_its_files(admin_client, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(ADD_URL, {"export": met_export(), "images": images_zip()})
    job = CollectionImport.objects.get()
    stored = [tmp_path / "media" / job.export.name, tmp_path / "media" / job.images.name]
    assert all(path.is_file() for path in stored)
    with django_capture_on_commit_callbacks(execute=True):
        job.delete()
    assert not any(path.exists() for path in stored)


@pytest.mark.django_db
@pytest.mark.slow  # about half a minute: 1,000 records and their pictures through the admin
def test_the_whole_met_sample_through_the_admin(admin_client, django_capture_on_commit_callbacks):
    lines = (MET_SAMPLE / "objects.jsonl").read_text().splitlines()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(ADD_URL, {"export": met_export(lines), "images": images_zip(lines)})
    job = CollectionImport.objects.get()
    tasks.collection_import_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.total, job.created, len(job.failures)) == (CollectionImport.Status.DONE, 1000, 999, 1)
    assert job.failures[0]["record"] == "1999.148"  # the Met's HTML page saved as a .jpg
    assert Artwork.objects.count() == 999


@pytest.mark.django_db
def test_a_iiif_manifest_through_the_admin_fetches_its_image(admin_client, django_capture_on_commit_callbacks):
    with loopback_server(MuseumServer) as base:
        manifest = requests.get(f"{base}/manifests/v3-getty-watteau-la-surprise.json", timeout=10).content
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(ADD_URL, {"export": SimpleUploadedFile("watteau.json", manifest)})
        job = CollectionImport.objects.get()
        tasks.collection_import_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created, job.failures) == (CollectionImport.Status.DONE, 1, [])
    work = Artwork.objects.get()
    assert work.manifest_url.startswith(base) and "Watteau" in work.artist.name and work.image_sha256


@pytest.mark.django_db
def test_a_museum_api_url_through_the_admin_is_read_page_by_page(admin_client, django_capture_on_commit_callbacks):
    from tests.gallery.sources.test_json_records import PagedApi

    with loopback_server(PagedApi) as base:
        url = f"{base}/api/artworks?page=1"
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(ADD_URL, {"source_url": url, "draft": "on"})
        job = CollectionImport.objects.get()
        assert response.status_code == 302 and (job.export_name, job.source_url, job.export.name) == (url, url, "")
        tasks.collection_import_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.format, job.total, job.processed) == (CollectionImport.Status.DONE, "json", 6, 6)
    assert (job.created, job.failures) == (6, [])
    assert sorted(Artwork.objects.filter(published=False).values_list("accession_number", flat=True)) == [
        "1.1", "1.2", "2.1", "2.2", "3.1", "3.2"]
    page = admin_client.get(reverse("admin:gallery_collectionimport_change", args=[job.pk])).content.decode()
    assert "6 of 6 records" in page and url in page


@pytest.mark.django_db
def test_a_url_that_cannot_be_fetched_fails_its_job_with_the_reason(admin_client, django_capture_on_commit_callbacks):
    with loopback_server(MuseumServer) as base:
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(ADD_URL, {"source_url": f"{base}/manifests/absent.json?apikey=s3cret"})
        job = CollectionImport.objects.get()
        tasks.collection_import_run(job.pk)
    job.refresh_from_db()
    assert job.status == CollectionImport.Status.FAILED and "HTTP 404" in job.message and not Artwork.objects.exists()
    # The job keeps the key to fetch with, and shows the URL without it.
    assert job.export_name == f"{base}/manifests/absent.json?apikey=***" and "s3cret" not in job.message
    page = admin_client.get(reverse("admin:gallery_collectionimport_change", args=[job.pk])).content.decode()
    assert "s3cret" not in page


@pytest.mark.django_db
def test_a_lido_export_through_the_admin(admin_client, django_capture_on_commit_callbacks):
    from tests.gallery.sources.test_lido import lido_record, lido_wrap

    with loopback_server(MuseumServer) as base:
        xml = lido_wrap(lido_record("L.9", "A Lido Work", image=f"{base}/remote/lido/9.jpg", actor="Frans Hals"))
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(ADD_URL, {"export": SimpleUploadedFile("museum-lido.xml", xml.encode())})
        job = CollectionImport.objects.get()
        tasks.collection_import_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.format, job.created, job.failures) == (CollectionImport.Status.DONE, "lido", 1, [])
    assert Artwork.objects.get().accession_number == "L.9"
