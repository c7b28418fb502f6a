"""Failed logins are throttled per user name and address, on the product's login and the admin's (issue 14).

django-axes keeps the attempts in the database, so every gunicorn worker and app server counts the same ones.
"""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
BLOCKED = "Too many failed logins"


@pytest.fixture
def ada(db):
    return get_user_model().objects.create_user("ada", password="right-password", is_staff=True)


def attempt(client, password, *, url=LOGIN, username="ada", address="10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_after_five_failures_even_the_right_password_is_refused_with_a_clear_message(client, ada, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(4):
        response = attempt(client, "wrong")
        assert response.status_code == 200 and BLOCKED not in response.content.decode()
    response = attempt(client, "wrong")  # the fifth
    assert response.status_code == 429 and BLOCKED in response.content.decode()

    response = attempt(client, "right-password")

    assert response.status_code == 429
    page = response.content.decode()
    assert "This user name has had too many failed logins from your address" in page
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_user_and_address(client, ada, settings):
    settings.AXES_FAILURE_LIMIT = 3
    get_user_model().objects.create_user("grace", password="grace-password")
    for _ in range(3):
        attempt(client, "wrong")

    assert attempt(client, "grace-password", username="grace").status_code == 302, "another user, same address"
    client.logout()
    assert attempt(client, "right-password", address="10.0.0.2").status_code == 302, "same user, other address"


def test_the_admin_login_is_throttled_too(client, ada, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        attempt(client, "wrong", url=ADMIN_LOGIN)

    response = attempt(client, "right-password", url=ADMIN_LOGIN)

    assert response.status_code == 429 and BLOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_login_clears_the_failures(client, ada, settings):
    settings.AXES_FAILURE_LIMIT = 3
    attempt(client, "wrong")
    attempt(client, "wrong")
    assert attempt(client, "right-password").status_code == 302
    client.logout()
    attempt(client, "wrong")
    attempt(client, "wrong")
    assert attempt(client, "right-password").status_code == 302, "two failures since the last success"
