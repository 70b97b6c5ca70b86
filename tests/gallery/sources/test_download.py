"""gallery.sources.download.fetch against an HTTP server on loopback that this module starts in a thread."""

import functools
import gzip
import ipaddress
import time
from http.server import BaseHTTPRequestHandler

import pytest

from gallery.sources import download
from gallery.sources.download import DownloadError, fetch
from tests.helpers import loopback_server

BODY = b"x" * 5000
CAP = 20 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    tries: dict[str, int] = {}

    def log_message(self, *args):  # keep the test output quiet
        pass

    def send(self, status: int, body: bytes = b"", headers: dict | None = None, length: bool = True):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path
        if path == "/ok":
            self.send(200, BODY)
        elif path == "/declared-big":  # says it is too big before sending anything
            self.send_response(200)
            self.send_header("Content-Length", str(CAP + 1))
            self.end_headers()
        elif path == "/undeclared-big":  # no Content-Length: the body ends when the connection closes
            self.send(200, b"y" * 300_000, length=False)
        elif path == "/gzip-bomb":  # 2 MB of zeros in about 2 KB
            self.send(200, gzip.compress(b"\0" * 2_000_000), headers={"Content-Encoding": "gzip"})
        elif path.startswith("/hops/"):  # /hops/3 -> /hops/2 -> /hops/1 -> /hops/0 -> /ok
            left = int(path.rsplit("/", 1)[1])
            self.send(302, headers={"Location": f"/hops/{left - 1}" if left else "/ok"})
        elif path == "/to-metadata":
            self.send(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/to-file":
            self.send(301, headers={"Location": "file:///etc/passwd"})
        elif path.startswith("/flaky/"):  # /flaky/<status>/<key>: that status twice for each key, then the body
            _, _, status, key = path.split("/")
            Handler.tries[key] = Handler.tries.get(key, 0) + 1
            if Handler.tries[key] <= 2:
                self.send(int(status), b"busy", headers={"Retry-After": "0"})
            else:
                self.send(200, BODY)
        elif path == "/slow":
            time.sleep(2)
            self.send(200, BODY)
        elif path == "/trickle":  # each byte well within a read timeout, the whole far past the deadline
            self.send_response(200)
            self.send_header("Content-Length", "40")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"z")
                self.wfile.flush()
                time.sleep(0.1)
        else:
            self.send(404, b"not here")


@pytest.fixture(scope="module")
def server():
    with loopback_server(Handler) as base:
        yield base


def test_success_on_loopback(server):
    assert fetch(f"{server}/ok", max_bytes=CAP) == BODY


def test_size_cap_with_and_without_content_length(server):
    with pytest.raises(DownloadError, match=r"^larger than 20 MB$"):
        fetch(f"{server}/declared-big", max_bytes=CAP)
    with pytest.raises(DownloadError, match=r"^larger than 100 KB$"):
        fetch(f"{server}/undeclared-big", max_bytes=100 * 1024)
    with pytest.raises(DownloadError, match=r"^larger than 1 MB$"):  # counted after decompression
        fetch(f"{server}/gzip-bomb", max_bytes=1024 * 1024)
    assert len(fetch(f"{server}/undeclared-big", max_bytes=300_000)) == 300_000  # exactly the cap is fine


def test_redirects_are_followed_up_to_the_limit(server):
    assert fetch(f"{server}/hops/2", max_bytes=CAP) == BODY  # 3 redirects
    with pytest.raises(DownloadError, match=r"^more than 3 redirects$"):
        fetch(f"{server}/hops/3", max_bytes=CAP)  # 4 redirects
    with pytest.raises(DownloadError, match=r"^more than 0 redirects$"):
        fetch(f"{server}/hops/0", max_bytes=CAP, max_redirects=0)


def test_a_redirect_to_a_refused_address_or_scheme(server):
    with pytest.raises(DownloadError, match=r"^refused address 169\.254\.169\.254 \(link-local/metadata\)$"):
        fetch(f"{server}/to-metadata", max_bytes=CAP)
    with pytest.raises(DownloadError, match=r"^http\(s\) only"):
        fetch(f"{server}/to-file", max_bytes=CAP)


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://127.0.0.1/x", r"^http\(s\) only, not 'ftp'"),
    ("file:///etc/passwd", r"^http\(s\) only, not 'file'"),
    ("127.0.0.1/ok", r"^http\(s\) only"),
    ("http://169.254.169.254/latest/meta-data/", r"^refused address 169\.254\.169\.254 \(link-local/metadata\)$"),
    ("http://169.254.1.2/", r"^refused address 169\.254\.1\.2 \(link-local/metadata\)$"),
    ("http://[fe80::1]/", r"^refused address fe80::1 \(link-local/metadata\)$"),
    ("http://[fd00:ec2::254]/", r"^refused address fd00:ec2::254 \(link-local/metadata\)$"),
    ("http://[::ffff:169.254.169.254]/", r"^refused address 169\.254\.169\.254 \(link-local/metadata\)$"),
    ("http://metadata.google.internal/computeMetadata/v1/", r"^refused host metadata\.google\.internal"),
    ("http://0.0.0.0/", r"^refused address 0\.0\.0\.0 \(unspecified\)$"),
    ("http://224.0.0.1/", r"^refused address 224\.0\.0\.1 \(multicast\)$"),
])
def test_refused_urls(url, reason):
    with pytest.raises(DownloadError, match=reason):
        fetch(url, max_bytes=CAP, timeout=2)


def test_http_errors(server):
    with pytest.raises(DownloadError, match=r"^HTTP 404$"):
        fetch(f"{server}/missing", max_bytes=CAP)


def test_timeouts(server):
    started = time.monotonic()
    with pytest.raises(DownloadError, match=r"^timed out after 0\.5 s$"):
        fetch(f"{server}/slow", max_bytes=CAP, timeout=0.5)
    with pytest.raises(DownloadError, match=r"^timed out after 0\.5 s$"):
        fetch(f"{server}/trickle", max_bytes=CAP, timeout=0.5)
    assert time.monotonic() - started < 3


def test_the_connection_itself_is_checked(server, monkeypatch):
    """A name that resolved to an allowed address for the check but connects to a refused one (DNS rebinding)."""
    monkeypatch.setattr(download, "check_host", lambda host, port: None)
    monkeypatch.setattr(download, "_METADATA_ADDRESSES", {ipaddress.ip_address("127.0.0.1")})
    with pytest.raises(DownloadError, match=r"^refused address 127\.0\.0\.1 \(link-local/metadata\)$"):
        fetch(f"{server}/ok", max_bytes=CAP)


def test_nothing_listening(server):
    with pytest.raises(DownloadError, match=r"^cannot connect to 127\.0\.0\.1:9"):
        fetch("http://127.0.0.1:9/", max_bytes=CAP, timeout=2)


@pytest.mark.parametrize(("url", "shown"), [
    ("https://api.harvardartmuseums.org/object?apikey=abc123&size=10",
     "https://api.harvardartmuseums.org/object?apikey=***&size=10"),
    ("https://www.rijksmuseum.nl/api/en/collection?key=XYZ&p=2",
     "https://www.rijksmuseum.nl/api/en/collection?key=***&p=2"),
    ("https://api.europeana.eu/record/v2/search.json?wskey=demo&query=x",
     "https://api.europeana.eu/record/v2/search.json?wskey=***&query=x"),
    ("https://curator:hunter2@museum.example/export.json", "https://curator:***@museum.example/export.json"),
    ("https://api.artic.edu/api/v1/artworks?page=2&limit=100", "https://api.artic.edu/api/v1/artworks?page=2&limit=100"),
])
def test_credentials_in_a_url_are_not_shown(url, shown):
    assert download.without_secrets(url) == shown


@pytest.mark.parametrize("status", [429, 503])
def test_a_transient_failure_is_tried_again(server, status):
    """fetch_retrying (the pages and objects of a long import): 429 and 5xx are tried again, up to three times."""
    fetch_once = functools.partial(fetch, max_bytes=CAP)
    assert download.fetch_retrying(fetch_once, f"{server}/flaky/{status}/a{status}") == BODY
    assert Handler.tries[f"a{status}"] == 3
    with pytest.raises(DownloadError, match=f"HTTP {status}") as failed:
        fetch_once(f"{server}/flaky/{status}/b{status}")  # fetch alone never tries again
    assert failed.value.transient and Handler.tries[f"b{status}"] == 1


def test_a_failure_that_would_fail_again_is_not_tried_again(server, monkeypatch):
    calls = []

    def counted(url):
        calls.append(url)
        return fetch(url, max_bytes=CAP)

    with pytest.raises(DownloadError, match="HTTP 404"):
        download.fetch_retrying(counted, f"{server}/nowhere")
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(DownloadError, match="cannot connect"):  # nothing listening: tried four times in all
        download.fetch_retrying(counted, "http://127.0.0.1:9/")
    assert len(calls) == 4
