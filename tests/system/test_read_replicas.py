"""Read replicas against a real streaming standby (tests/streaming_standby.py) and real web servers.

Routing is seen in what a page says: while the standby's replay is paused, the primary and the replica hold different
rows, so a page shows which one it was read from.
"""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.urls import reverse

from artsearch.replicas import PIN_COOKIE
from gallery.models import Artist, Artwork
from gallery.services import ingest
from tests.helpers import BASE_DIR, database_url_for, free_port, image_upload, stop_process, subprocess_env, wait_for
from tests.streaming_standby import StreamingStandby

PASSWORD = "replica-curator-password-81"


@pytest.fixture(scope="module")
def standby(django_db_setup, django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor():
        params = connection.get_connection_params()
        major_version = connection.pg_version // 10000
    primary = {key: params[key] for key in ("host", "port", "user", "password", "dbname") if params.get(key)}
    standby = StreamingStandby(primary=primary, database=params["dbname"], major_version=major_version)
    try:
        standby.create()
        yield standby
    finally:
        standby.remove()


@dataclass
class Site:
    url: str
    log_path: Path
    media: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=60, **kwargs)


@contextlib.contextmanager
def _runserver(folder: Path, standby: StreamingStandby, *, primary_url: str = "", **replica_settings: str):
    """`runserver` on the test database (at `primary_url` if given), reading from the standby as `replica_settings`
    say."""
    media = folder / "media"
    env = subprocess_env(DATABASE_URL=primary_url or database_url_for(standby.database),
                         DATABASE_REPLICA_URLS=standby.url,
                         DJANGO_MEDIA_ROOT=str(media), GALLERY_RATE_LIMIT_ENABLE="False",
                         **{f"DATABASE_REPLICA_{name}": value for name, value in replica_settings.items()})
    port = free_port()
    log_path = folder / "web.log"
    with open(log_path, "wb") as log:
        web = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                               cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        site = Site(f"http://127.0.0.1:{port}", log_path, media)
        wait_for(lambda: _answers(site) or web.poll() is not None, timeout=120, what="the web server")
        assert web.poll() is None, site.log()
        yield site
    finally:
        stop_process(web, timeout=20)


def _answers(site: Site) -> bool:
    try:
        return site.get("/iiif/collection.json").status_code == 200  # a page would load CLIP: not every test needs it
    except requests.ConnectionError:
        return False


@pytest.fixture(scope="module")
def site(standby, tmp_path_factory):
    """Reads from the replica however far behind it is: a page shows whether it came from the replica. A verdict
    lasts long, so a standby that dies is found by a request it fails, not by a check before it."""
    with _runserver(tmp_path_factory.mktemp("site"), standby, MAX_LAG_SECONDS="600", CHECK_SECONDS="60",
                    RETRY_SECONDS="1", PIN_SECONDS="3600") as running:
        yield running


@pytest.fixture(scope="module")
def strict_site(standby, tmp_path_factory):
    """Leaves the replica as soon as it is a second behind."""
    with _runserver(tmp_path_factory.mktemp("strict-site"), standby, MAX_LAG_SECONDS="1", CHECK_SECONDS="0.2",
                    RETRY_SECONDS="1", PIN_SECONDS="5") as running:
        yield running


@contextlib.contextmanager
def replay_paused(standby: StreamingStandby):
    """The standby receives the primary's writes but applies none until the block ends (and then all of them)."""
    standby.wait_caught_up()
    standby.pause_replay()
    try:
        yield
    finally:
        standby.resume_replay()
    standby.wait_caught_up()


def artist_with_a_work(name: str, slug: str, media: Path, settings) -> Artist:
    """An artist whose page is public (it shows published works only)."""
    settings.MEDIA_ROOT = media
    artist = Artist.objects.create(name=name, slug=slug)
    ingest.artwork_create(artist=artist, title=f"A work by {name}", image=image_upload(seed=len(name)), enqueue=False)
    return artist


def embedded_work(artist: Artist, title: str, *, seed: int, encoder) -> Artwork:
    """A work of `artist` stored and embedded on the primary (as the worker would), from a generated picture."""
    artwork = ingest.artwork_create(artist=artist, title=title, image=image_upload(seed=seed), enqueue=False)
    ingest.artworks_embed(artwork_ids=[artwork.pk], encoder=encoder)
    return artwork


def admin_post(curator: requests.Session, site: Site, path: str, data: dict) -> requests.Response:
    """Submit an admin form as a browser does: its page first (for the CSRF token), then the POST."""
    form = curator.get(site.url + path, timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
    return curator.post(site.url + path, data={**data, "csrfmiddlewaretoken": token}, allow_redirects=False,
                        timeout=60)


@pytest.mark.slow
def test_visitors_read_the_replica_and_whoever_wrote_reads_the_primary(site, standby, transactional_db, settings,
                                                                        django_user_model):
    artist = artist_with_a_work("Ada Before", "ada", site.media, settings)
    django_user_model.objects.create_superuser("curator", "curator@example.org", PASSWORD)
    with replay_paused(standby):
        curator = requests.Session()
        login = admin_post(curator, site, "/admin/login/?next=/admin/", {"username": "curator", "password": PASSWORD})
        assert login.status_code == 302 and PIN_COOKIE in login.cookies  # logging in wrote the session: pinned
        renamed = admin_post(curator, site, f"/admin/gallery/artist/{artist.pk}/change/",
                             {"name": "Ada Renamed", "slug": "ada", "_save": "Save",
                              # the form's inline of other names, empty, as a browser sends it
                              "aliases-TOTAL_FORMS": "0", "aliases-INITIAL_FORMS": "0"})
        assert renamed.status_code == 302, renamed.text  # the write went to the primary (a standby refuses writes)

        assert "Ada Before" in site.get("/artists/ada/").text  # a visitor: the replica, which has not replayed it
        assert "Ada Renamed" in curator.get(site.url + "/artists/ada/", timeout=60).text  # the curator reads it back
        pin_only = {PIN_COOKIE: curator.cookies[PIN_COOKIE]}
        assert "Ada Renamed" in site.get("/artists/ada/", cookies=pin_only).text  # the pin alone: the primary
        session_only = {"sessionid": curator.cookies["sessionid"]}
        assert "Ada Renamed" in site.get("/artists/ada/", cookies=session_only).text  # curators read the primary
        assert "Ada Renamed" in curator.get(site.url + "/admin/gallery/artist/", timeout=60).text
    assert "Ada Renamed" in site.get("/artists/ada/").text  # replayed: visitors see it too


@pytest.mark.slow
def test_a_vector_written_on_the_primary_is_found_through_the_replica_once_replayed(site, standby, transactional_db,
                                                                                     settings, clip_encoder):
    settings.MEDIA_ROOT = site.media
    artist = Artist.objects.create(name="Vera Vector", slug="vera-vector")

    def similar_ids(pk: int) -> list[int]:
        response = site.get(f"/api/artworks/{pk}/similar")
        assert response.status_code == 200, response.text
        return [hit["id"] for hit in response.json()["results"]]

    first = embedded_work(artist, "Seen everywhere", seed=11, encoder=clip_encoder)
    with replay_paused(standby):
        second = embedded_work(artist, "Written during the pause", seed=12, encoder=clip_encoder)
        assert second.pk not in similar_ids(first.pk)  # the replica has no such vector yet
        assert site.get(f"/api/artworks/{second.pk}/similar").status_code == 404
    assert second.pk in similar_ids(first.pk)
    assert first.pk in similar_ids(second.pk)


class ConnectionCounter:
    """A loopback TCP port in front of the primary's Unix socket that counts the connections made through it."""

    def __init__(self, unix_socket: str):
        self.unix_socket = unix_socket
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            self.connections += 1
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.unix_socket)
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, target), daemon=True).start()

    def close(self) -> None:
        self.listener.close()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


@pytest.mark.slow
def test_a_request_a_replica_serves_opens_no_connection_to_the_primary(standby, transactional_db, settings,
                                                                       tmp_path):
    """ATOMIC_REQUESTS would open a transaction on the primary around every view, so every request a replica served
    connected to the primary too (artsearch.replicas.ReplicaAwareWSGIHandler leaves it out)."""
    primary = standby.primary
    counter = ConnectionCounter(f"{primary['host']}/.s.PGSQL.{primary.get('port') or 5432}")
    url = f"postgres://{primary['user']}@127.0.0.1:{counter.port}/{standby.database}"
    try:
        with _runserver(tmp_path, standby, primary_url=url, MAX_LAG_SECONDS="600", CHECK_SECONDS="600",
                        RETRY_SECONDS="1", PIN_SECONDS="3600") as site:
            artist_with_a_work("Otto Only", "otto-only", site.media, settings)
            standby.wait_caught_up()
            assert "Otto Only" in site.get("/artists/otto-only/").text
            before = counter.connections
            for _ in range(5):  # runserver answers each request in a thread of its own, with connections of its own
                assert "Otto Only" in site.get("/artists/otto-only/").text
            assert counter.connections == before
            assert "Otto Only" in site.get("/artists/otto-only/", cookies={PIN_COOKIE: "1"}).text  # the primary
            assert counter.connections > before
    finally:
        counter.close()


@pytest.mark.slow
def test_a_visitors_results_page_reads_its_strips_from_the_replica_too(site, standby, transactional_db, settings,
                                                                       clip_encoder):
    """The "more by this artist" strips are read with raw SQL: from where the request reads, not the primary."""
    settings.MEDIA_ROOT = site.media
    artist = Artist.objects.create(name="Stella Strip", slug="stella-strip")
    shown = embedded_work(artist, "Stella's harbour", seed=21, encoder=clip_encoder)
    also_shown = embedded_work(artist, "Stella's field", seed=22, encoder=clip_encoder)
    page = "/search/?q=Stella&k=12"
    with replay_paused(standby):
        later = embedded_work(artist, "Stella's later sea", seed=23, encoder=clip_encoder)
        html = site.get(page).text
        assert reverse("gallery:artwork-detail", args=[shown.pk]) in html
        assert reverse("gallery:artwork-detail", args=[also_shown.pk]) in html
        assert reverse("gallery:artwork-detail", args=[later.pk]) not in html  # neither a result nor in a strip
    assert reverse("gallery:artwork-detail", args=[later.pk]) in site.get(page).text


@pytest.mark.slow
def test_a_replica_lagging_beyond_the_setting_is_skipped_with_a_warning(strict_site, standby, transactional_db,
                                                                        settings):
    artist = artist_with_a_work("Lena Lag", "lena", strict_site.media, settings)
    collection = "/iiif/collection.json"  # every published work's title
    with replay_paused(standby):
        Artwork.objects.filter(artist=artist).update(title="Renamed during the pause")
        wait_for(lambda: "Renamed during the pause" in strict_site.get(collection).text, timeout=60,
                 what="reads to leave the lagging replica for the primary")
        assert "Read replica replica_0 skipped, reads go to the primary: it has not replayed" in strict_site.log()
    wait_for(lambda: strict_site.get(collection).ok and "Read replica replica_0 is back in use." in strict_site.log(),
             timeout=60, what="the replica to be taken back once it caught up")


@pytest.mark.slow
def test_a_standby_stopped_mid_test_fails_no_request(site, standby, transactional_db, settings):
    artist = artist_with_a_work("Stan Steady", "stan", site.media, settings)
    standby.wait_caught_up()
    assert site.get("/artists/stan/").status_code == 200  # the replica serves, and was found healthy

    standby.stop(mode="immediate")
    try:
        for _ in range(3):
            page = site.get("/artists/stan/")
            assert page.status_code == 200 and "Stan Steady" in page.text
        assert site.get("/api/search?q=steady").status_code == 200
        log = site.log()
        assert "Read replica replica_0 failed during GET /artists/stan/; answering from the primary." in log
        assert "Read replica replica_0 skipped, reads go to the primary: unreachable" in log
    finally:
        standby.start()

    wait_for(lambda: site.get("/").ok and "Read replica replica_0 is back in use." in site.log(), timeout=60,
             what="the restarted standby to be taken back")
    with replay_paused(standby):
        Artist.objects.filter(pk=artist.pk).update(name="Stan Renamed")
        assert "Stan Steady" in site.get("/artists/stan/").text  # read from the replica again


@pytest.mark.slow
def test_commands_and_workers_read_the_primary_even_with_replicas_configured(standby, transactional_db):
    with replay_paused(standby):
        Artist.objects.create(name="Written just now", slug="just-now")
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "from gallery.models import Artist; print(Artist.objects.filter(slug='just-now').exists())"],
            cwd=BASE_DIR, capture_output=True, text=True, timeout=120,
            env=subprocess_env(DATABASE_URL=database_url_for(standby.database), DATABASE_REPLICA_URLS=standby.url))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


@pytest.mark.parametrize(("variables", "message"), [
    ({"DATABASE_REPLICA_URLS": "replica.example.org"}, "DATABASE_REPLICA_URLS: entry 1 is not a postgres:// URL"),
    ({"DATABASE_REPLICA_URLS": "postgres://replica.example.org/artsearch", "DATABASE_REPLICA_PIN_SECONDS": "5"},
     "DATABASE_REPLICA_PIN_SECONDS must exceed"),
])
def test_replica_settings_that_cannot_work_are_refused_with_a_clear_error(variables, message):
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=BASE_DIR, capture_output=True, text=True,
                            timeout=120, env=subprocess_env(**variables))
    assert result.returncode != 0 and message in result.stderr
