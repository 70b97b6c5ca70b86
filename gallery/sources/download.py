"""Fetching one URL for an import (an image, a IIIF manifest) without letting a source point us somewhere we must not
go, or hand us more than we can hold.

`fetch(url, max_bytes=...)` takes http and https only; refuses hosts that resolve to link-local addresses (the cloud
metadata endpoints 169.254.169.254 and fd00:ec2::254 among them), metadata.google.internal, unspecified and
multicast addresses, checking the address again on the connection itself (so a name that resolves differently the
second time cannot slip through); follows at most `max_redirects` redirects by hand, checking each; stops past
`max_bytes` (by Content-Length first when there is one) and past `timeout` seconds for the whole fetch. Loopback
and private addresses are allowed: museum image servers live on intranets, and the tests serve on loopback.
Every failure is one DownloadError with a message for the import report. fetch itself never retries (an image that
fails is reported, and a rerun picks its record up); fetch_retrying tries a transient failure again, for the pages and
objects a long import reads one after another.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

T = TypeVar("T")
DEFAULT_TIMEOUT = 10.0
USER_AGENT = "artsearch-collection-import/1.0"
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024
_METADATA_HOSTS = {"metadata.google.internal", "metadata.goog", "metadata"}
_METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                       ipaddress.ip_address("100.100.100.200")}  # AWS/GCP/Azure, AWS IPv6, Alibaba Cloud


# Query parameters that carry credentials: Harvard's apikey, the Rijksmuseum's key, Europeana's wskey, tokens.
_SECRET_PARAMETER = re.compile(r"key|token|secret|password|signature", re.IGNORECASE)


def without_secrets(url: str) -> str:
    """`url` as reports and pages show it: the values of credential parameters and a password in it replaced by ***
    (an API page's URL, and the next pages' it links to, carry the key it was asked with)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username}:***@{netloc.rpartition('@')[2]}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if netloc == parts.netloc and not any(_SECRET_PARAMETER.search(name) and value for name, value in pairs):
        return url
    query = urlencode([(name, "***" if _SECRET_PARAMETER.search(name) and value else value) for name, value in pairs],
                      safe="*")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


class DownloadError(Exception):
    """Why a fetch failed, in words for the import report: str(error) is the reason. `transient` when trying again
    later may succeed (a timeout, a refused connection, HTTP 429 or 5xx), with the server's Retry-After if it gave
    one."""

    def __init__(self, reason: str, *, transient: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.retry_after = retry_after


# Seconds before each new try of a fetch that failed for a passing reason (fetch_retrying); a server's Retry-After
# wins when longer, up to MAX_RETRY_AFTER.
RETRY_DELAYS = (2.0, 8.0, 30.0)
MAX_RETRY_AFTER = 120.0
_TRANSIENT_STATUSES = {429, 500, 502, 503, 504}


def fetch_retrying(load: Callable[[str], T], url: str) -> T:
    """load(url), tried again after each of RETRY_DELAYS while it fails with a transient DownloadError: an API's
    next page or a Met object in the middle of a long import, which a passing 503 would otherwise end. Other
    failures (HTTP 404, a refused address, too large) raise at once."""
    for delay in RETRY_DELAYS:
        try:
            return load(url)
        except DownloadError as error:
            if not error.transient:
                raise
            time.sleep(min(max(delay, error.retry_after or 0.0), MAX_RETRY_AFTER))
    return load(url)  # the last try: its failure is the caller's


def _size(count: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= factor:
            return f"{count / factor:g} {unit}" if count % factor == 0 else f"{count / factor:.1f} {unit}"
    return f"{count} bytes"


def refusal(address: str) -> str | None:
    """Why an IP address must not be fetched from, or None when it may be."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is not part of the address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # ::ffff:169.254.169.254 is 169.254.169.254
        ip = ip.ipv4_mapped
    if ip in _METADATA_ADDRESSES or ip.is_link_local:
        return f"refused address {ip} (link-local/metadata)"
    if ip.is_unspecified:
        return f"refused address {ip} (unspecified)"
    if ip.is_multicast:
        return f"refused address {ip} (multicast)"
    return None


def check_host(host: str, port: int) -> None:
    """Resolve `host` and raise DownloadError when it names a refused address (any of its addresses)."""
    if host.rstrip(".").lower() in _METADATA_HOSTS:
        raise DownloadError(f"refused host {host} (cloud metadata)")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError) as error:
        raise DownloadError(f"cannot resolve {host}: {error}") from None
    for address in sorted(addresses):
        if reason := refusal(address):
            raise DownloadError(reason)


def _check_peer(sock: socket.socket) -> None:
    # The connection's own address: DNS may answer differently now than when check_host asked.
    if reason := refusal(sock.getpeername()[0]):
        sock.close()
        raise DownloadError(reason)


class _CheckedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _CheckedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock)  # before the TLS handshake: nothing is sent to a refused address
        return sock


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


def _session() -> requests.Session:
    session = requests.Session()
    adapter = _CheckedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        raise DownloadError(f"http(s) only, not {parts.scheme or 'a URL without a scheme'!r}: {url}")
    if not parts.hostname:
        raise DownloadError(f"no host in {url}")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise DownloadError(f"bad port in {url}") from None
    check_host(parts.hostname, port)


def fetch(url: str, *, max_bytes: int, timeout: float = DEFAULT_TIMEOUT, max_redirects: int = 3) -> bytes:
    """The body of `url` (after at most `max_redirects` redirects), or DownloadError. `timeout` is for the whole
    fetch: every connection, redirect and the full body."""
    deadline = time.monotonic() + timeout
    timed_out = f"timed out after {timeout:g} s"
    redirects = 0
    with _session() as session:
        while True:
            _check_url(url)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DownloadError(timed_out, transient=True)
            try:
                response = session.get(url, stream=True, allow_redirects=False, timeout=remaining)
            except requests.Timeout:
                raise DownloadError(timed_out, transient=True) from None
            except requests.ConnectionError as error:  # (the connection check's DownloadError passes through as is)
                raise DownloadError(f"cannot connect to {urlsplit(url).netloc}: {_root_cause(error)}",
                                    transient=True) from None
            except requests.RequestException as error:
                raise DownloadError(f"request failed: {_root_cause(error)}") from None
            with response:
                if response.status_code in _REDIRECTS and response.headers.get("Location"):
                    redirects += 1
                    if redirects > max_redirects:
                        raise DownloadError(f"more than {max_redirects} redirects")
                    url = urljoin(url, response.headers["Location"])
                    continue
                if not 200 <= response.status_code < 300:
                    retry_after = response.headers.get("Retry-After", "")
                    raise DownloadError(f"HTTP {response.status_code}",
                                        transient=response.status_code in _TRANSIENT_STATUSES,
                                        retry_after=float(retry_after) if retry_after.isdigit() else None)
                return _read_body(response, max_bytes, deadline, timed_out)


def _read_body(response: requests.Response, max_bytes: int, deadline: float, timed_out: str) -> bytes:
    too_large = f"larger than {_size(max_bytes)}"
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise DownloadError(too_large)
    body = bytearray()
    try:
        # read1: whatever one read of the socket brings (at most _CHUNK), so a server that trickles bytes, each in
        # time for the socket's read timeout, still meets the deadline between reads.
        while chunk := response.raw.read1(_CHUNK, decode_content=True):
            body += chunk
            if len(body) > max_bytes:  # counted after decoding: a small gzip cannot expand past the cap
                raise DownloadError(too_large)
            if time.monotonic() > deadline:
                raise DownloadError(timed_out, transient=True)
    except urllib3.exceptions.TimeoutError:
        raise DownloadError(timed_out, transient=True) from None
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise DownloadError(f"the download broke off: {_root_cause(error)}", transient=True) from None
    return bytes(body)


def _root_cause(error: BaseException) -> str:
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__
    return str(error) or type(error).__name__
