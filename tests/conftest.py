"""Shared fixtures: the personas (marketer, salesperson, viewer, stranger) and their logged-in clients."""

import pytest


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _no_kept_pages():
    """No page kept by crm.page_cache outlives its test (a flushed database starts its data version again)."""
    from django.core.cache import caches

    caches["pages"].clear()


def _user_in(role: str | None, username: str):
    from tests.factories import UserFactory

    return UserFactory(username=username, role=role)


@pytest.fixture
def marketer(db):
    return _user_in("Marketing", "marketer")


@pytest.fixture
def salesperson_user(db):
    return _user_in("Sales", "seller")


@pytest.fixture
def viewer(db):
    return _user_in("Viewer", "viewer")


@pytest.fixture
def stranger(db):
    """Logged in, but in no role: sees nothing."""
    return _user_in(None, "stranger")


def _client_for(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


@pytest.fixture
def marketer_client(marketer):
    from django.test import Client

    return _client_for(Client, marketer)


@pytest.fixture
def sales_client(salesperson_user):
    from django.test import Client

    return _client_for(Client, salesperson_user)


@pytest.fixture
def viewer_client(viewer):
    from django.test import Client

    return _client_for(Client, viewer)


@pytest.fixture
def stranger_client(stranger):
    from django.test import Client

    return _client_for(Client, stranger)


@pytest.fixture
def staff_marketer(marketer, client):
    """A marketer let into the Django admin (templates are managed there), logged in on the test client."""
    marketer.is_staff = True
    marketer.save()
    client.force_login(marketer)
    return client


@pytest.fixture
def no_libreoffice(settings):
    """A server without LibreOffice: letters as PDF are not available (interactions.letter_pdf)."""
    settings.LIBREOFFICE_SOFFICE = "soffice-that-is-not-installed"
