"""Scheduled imports: a source imported again when it is due, by the beat task and from the admin, never twice at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gallery import tasks
from gallery.models import Artwork, CollectionImport, ImportSchedule
from tests.gallery.sources.test_json_records import PagedApi
from tests.helpers import loopback_server

pytestmark = pytest.mark.django_db
URL = "https://api.museum.example/artworks?page=1&apikey=s3cret"


def _queued_jobs(broker_queue) -> list[int]:
    return [message["args"][0] for message in broker_queue.messages()
            if message["task"] == "gallery.tasks.collection_import_run"]


def test_a_due_schedule_starts_one_import_and_waits_an_interval(broker_queue, django_capture_on_commit_callbacks):
    schedule = ImportSchedule.objects.create(name="Our API", source_url=URL, every=ImportSchedule.Every.WEEK,
                                             draft=True, on_duplicate="skip")
    ImportSchedule.objects.create(name="Later", source_url=URL, next_run_at=timezone.now() + timedelta(hours=1))
    ImportSchedule.objects.create(name="Off", source_url=URL, enabled=False)
    ImportSchedule.objects.create(name="FTP", source_url="ftp://museum.example/export.json")  # past the admin's form
    with django_capture_on_commit_callbacks(execute=True):
        started = tasks.import_schedules_start()
    schedule.refresh_from_db()
    job = CollectionImport.objects.get()
    assert started == [job.pk] == _queued_jobs(broker_queue) and schedule.last_job == job
    assert (job.source_url, job.draft, job.on_duplicate, job.status) == (URL, True, "skip", "queued")
    assert job.export_name == "https://api.museum.example/artworks?page=1&apikey=***"
    assert timedelta(days=7) - timedelta(minutes=1) < schedule.next_run_at - timezone.now() <= timedelta(days=7)
    assert tasks.import_schedules_start() == []  # nothing is due now
    assert ImportSchedule.objects.get(name="FTP").next_run_at > timezone.now()  # tried again an interval on


def test_a_schedule_whose_last_import_still_runs_waits_for_it(broker_queue, django_capture_on_commit_callbacks):
    schedule = ImportSchedule.objects.create(name="Slow", source_url=URL)
    tasks.import_schedules_start()
    schedule.refresh_from_db()
    first = schedule.last_job
    ImportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now())
    for status in (CollectionImport.Status.QUEUED, CollectionImport.Status.RUNNING):
        CollectionImport.objects.filter(pk=first.pk).update(status=status)
        assert tasks.import_schedules_start() == []
    CollectionImport.objects.filter(pk=first.pk).update(status=CollectionImport.Status.FAILED)
    (second,) = tasks.import_schedules_start()
    assert second != first.pk and ImportSchedule.objects.get().last_job_id == second


def test_a_scheduled_source_is_imported_again_and_only_its_changes_count(django_capture_on_commit_callbacks):
    with loopback_server(PagedApi) as base:
        schedule = ImportSchedule.objects.create(name="Paged", source_url=f"{base}/api/artworks?page=1")
        for expected in ((6, 0), (0, 6)):
            ImportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now())
            (job_id,) = tasks.import_schedules_start()
            tasks.collection_import_run(job_id)
            job = CollectionImport.objects.get(pk=job_id)
            assert (job.status, job.created, job.unchanged) == (CollectionImport.Status.DONE, *expected)
            assert job.changes_since is None  # an API that cannot tell what changed is read whole, and says so
    assert Artwork.objects.count() == 6


def test_curators_schedule_a_source_and_import_it_now_in_the_admin(admin_client, django_capture_on_commit_callbacks):
    add = reverse("admin:gallery_importschedule_add")
    form = {"name": "Our API", "source_url": "ftp://museum.example/export.json", "every": 7, "enabled": "on",
            "on_duplicate": "keep", "next_run_at_0": "2030-01-01", "next_run_at_1": "00:00:00"}
    refused = admin_client.post(add, form)
    assert refused.status_code == 200 and "give an http(s) URL" in refused.content.decode()
    assert admin_client.post(add, {**form, "source_url": URL}).status_code == 302
    schedule = ImportSchedule.objects.get()
    listing = reverse("admin:gallery_importschedule_changelist")
    assert "apikey=***" in admin_client.get(listing).content.decode()
    response = admin_client.post(listing, {"action": "import_now", "_selected_action": [schedule.pk]}, follow=True)
    assert "1 import(s) started." in response.content.decode()
    schedule.refresh_from_db()
    assert schedule.last_job.source_url == URL and schedule.next_run_at > timezone.now() + timedelta(days=6)
    again = admin_client.post(listing, {"action": "import_now", "_selected_action": [schedule.pk]}, follow=True)
    assert "0 import(s) started. Still importing the last time" in again.content.decode()
    page = admin_client.get(listing).content.decode()
    assert reverse("admin:gallery_collectionimport_change", args=[schedule.last_job.pk]) in page and "s3cret" not in page


def test_a_scheduled_activity_stream_reads_only_what_changed_since_its_last_run(django_capture_on_commit_callbacks):
    from tests.gallery.sources.test_linked_art import Museum

    with loopback_server(Museum) as base:
        schedule = ImportSchedule.objects.create(name="Changes", source_url=f"{base}/changes")
        jobs = []
        for _ in range(2):
            ImportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now())
            Museum.requests.clear()
            (job_id,) = tasks.import_schedules_start()
            tasks.collection_import_run(job_id)
            jobs.append(CollectionImport.objects.get(pk=job_id))
        first, second = jobs
        assert (first.changes_since, first.status, first.created, first.failures) == (None, "done", 2, [])
        # The second run asks for what changed since the first began: nothing, and no page but the last is read.
        assert second.changes_since == first.started_at and (second.created, second.unchanged) == (0, 0)
        assert Museum.requests == ["/changes", "/changes/page/2"]
        # A run that could not read some records leaves the next one its own window, so they are tried again.
        CollectionImport.objects.filter(pk=second.pk).update(failures=[{"record": "x", "reason": "HTTP 503"}])
        ImportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now())
        (third,) = tasks.import_schedules_start()
        assert CollectionImport.objects.get(pk=third).changes_since == first.started_at
