"""Failed admin logins are throttled per client address and per account (django-axes, counted in PostgreSQL)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


@pytest.fixture
def curator(db):
    return get_user_model().objects.create_user("curator", password=PASSWORD, is_staff=True, is_superuser=True)


def _login(address: str, username: str, password: str):
    return Client(REMOTE_ADDR=address).post("/admin/login/?next=/admin/", {"username": username,
                                                                          "password": password})


def _fail(address: str, username: str, times: int) -> None:
    for _ in range(times):
        response = _login(address, username, "wrong")
        assert response.status_code == 200 and b"Please enter the correct username" in response.content


def test_a_right_password_logs_in_and_the_attempts_before_it_are_forgiven(curator, settings):
    _fail("10.0.0.1", "curator", settings.AXES_FAILURE_LIMIT - 1)
    assert _login("10.0.0.1", "curator", PASSWORD)["Location"] == "/admin/"
    _fail("10.0.0.1", "curator", settings.AXES_FAILURE_LIMIT - 1)  # counted from zero again
    assert _login("10.0.0.1", "curator", PASSWORD).status_code == 302


def test_an_account_is_locked_for_every_client_after_the_limit(curator, settings):
    _fail("10.0.0.1", "curator", settings.AXES_FAILURE_LIMIT - 1)
    assert _login("10.0.0.1", "curator", "wrong").status_code == 429  # the failure that reaches the limit locks
    for address in ("10.0.0.1", "10.0.0.2"):  # the right password, from the same client or another one
        locked = _login(address, "curator", PASSWORD)
        assert locked.status_code == 429 and b"Too many failed logins" in locked.content
        assert "_auth_user_id" not in locked.client.session
    call_command("axes_reset", verbosity=0)  # an administrator unlocks it
    assert _login("10.0.0.2", "curator", PASSWORD).status_code == 302


def test_a_client_guessing_many_accounts_is_locked_out(curator, settings):
    for number in range(settings.AXES_FAILURE_LIMIT - 1):
        _fail("10.0.0.9", f"guess{number}", 1)
    assert _login("10.0.0.9", "someone", "wrong").status_code == 429
    assert _login("10.0.0.9", "curator", PASSWORD).status_code == 429  # even a right guess is refused now
    assert _login("10.0.0.3", "curator", PASSWORD).status_code == 302  # the account itself was never tried
