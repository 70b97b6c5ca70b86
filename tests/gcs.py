"""Google Cloud Storage for tests: a gcp-storage-emulator on loopback, and artsearch's settings pointed at it.

The emulator runs anonymously, so it cannot check signatures: tests that need signed URLs sign with a throwaway
service-account key (`service_account_key_file`) and never send a request with it.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from artsearch.embedded import stop_process
from tests.helpers import BASE_DIR, free_port, wait_for

SETTINGS_FILE = BASE_DIR / "artsearch" / "settings.py"
SERVICE_ACCOUNT_EMAIL = "artsearch-test@artsearch-test.iam.gserviceaccount.com"


def settings_with(**env: str) -> dict:
    """artsearch/settings.py evaluated afresh with exactly these storage variables, as a new process would see it."""
    unrelated = {name: value for name, value in os.environ.items() if not name.startswith(("GS_", "STORAGE_"))}
    with mock.patch.dict(os.environ, {**unrelated, **env}, clear=True):
        return runpy.run_path(str(SETTINGS_FILE))


def write_service_account_key(path: Path) -> Path:
    """A service-account JSON key with a fresh RSA key: enough to sign URLs offline, useless against real Google."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "artsearch-test", "private_key_id": "test-key", "private_key": pem,
        "client_email": SERVICE_ACCOUNT_EMAIL, "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token",
    }))
    return path


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).text == "OK"  # the emulator's health check
    except requests.ConnectionError:
        return False


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory) -> Iterator[str]:
    """gcp-storage-emulator in memory on a free loopback port for the whole session; yields its base URL."""
    workdir = tmp_path_factory.mktemp("gcs-emulator")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(workdir / "emulator.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1", "--port", str(port),
             "--in-memory", "--quiet"], cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: process.poll() is not None or _answers(url), timeout=30, what="the GCS emulator to start")
        assert process.poll() is None, (workdir / "emulator.log").read_text()
        yield url
    finally:
        stop_process(process, timeout=10)


@pytest.fixture(scope="session")
def gcs_client(gcs_emulator) -> gcs.Client:
    """A google-cloud-storage client of our own on the emulator, to look into buckets behind the app's back."""
    return gcs.Client(project="artsearch-test", credentials=AnonymousCredentials(),
                      client_options={"api_endpoint": gcs_emulator})


@pytest.fixture
def gcs_bucket(gcs_client) -> Iterator[gcs.Bucket]:
    """A new, empty bucket for one test, removed with its objects afterwards."""
    bucket = gcs_client.create_bucket(f"artsearch-test-{uuid.uuid4().hex[:12]}")
    yield bucket
    bucket.delete(force=True)


def object_names(bucket: gcs.Bucket) -> set[str]:
    return {blob.name for blob in bucket.list_blobs()}


@pytest.fixture
def gcs_media(settings, monkeypatch, gcs_emulator, gcs_bucket) -> gcs.Bucket:
    """Store media in a fresh emulator bucket, in this process and in any subprocess started after this fixture.

    The app is configured only through environment variables, as in production: the google client reads
    STORAGE_EMULATOR_HOST itself (API calls go to the emulator, anonymously), and the emulator serves objects at
    the same /<bucket>/<name> paths as storage.googleapis.com, so public URLs work unchanged.
    """
    env = {"STORAGE_EMULATOR_HOST": gcs_emulator, "GS_BUCKET_NAME": gcs_bucket.name, "GS_PUBLIC_BUCKET": "True"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = settings_with(**env)["STORAGES"]
    return gcs_bucket


@pytest.fixture
def gcs_worker(transactional_db, gcs_media, request):
    """`start_worker`, set up only once the bucket variables are in the environment the worker inherits."""
    return request.getfixturevalue("start_worker")
