"""Every URL of the project against every persona, generated from the URL configuration.

A new page without a permission check fails here: a user with no role must get 403 (or 405 for a wrong
method) everywhere, anonymous users are sent to the login page, and a read-only Viewer can change nothing.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from segments.models import LetterDownloadJob
from tests.factories import (
    InteractionLogEntryFactory,
    LoggedSegmentFactory,
    PersonFactory,
    SalesDocumentFactory,
    SalesDocumentLineFactory,
    SegmentLineFactory,
)
from tests.segments.factories import SavedSegmentCriteriaStepFactory

pytestmark = pytest.mark.django_db

# Pages anyone may open: logging in and out, and the health check for load balancers.
PUBLIC = {"/accounts/login/", "/accounts/logout/", "/healthz"}
SKIP_PREFIXES = ("/admin/", "/static/", "/media/")
# POSTs a Viewer may make, and the only models they may add rows to: asking for the letters of a big worksheet or
# logged segment is a read that takes long (a background job writes them), so whoever may download them may ask.
VIEWER_READ_POSTS = {
    "/segments/<int:pk>/letters/prepare/": {"LetterDownloadJob"},
    "/segments/logged/<int:pk>/letters/prepare/": {"LetterDownloadJob"},
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def all_routes() -> list[str]:
    routes = []
    for route, _ in _walk(get_resolver().url_patterns):
        path = "/" + route.lstrip("^").rstrip("$")
        if not path.startswith(SKIP_PREFIXES):
            routes.append(path)
    return sorted(set(routes))


@pytest.fixture
def world():
    """One object of each kind the URLs point at."""
    entry = InteractionLogEntryFactory(logged_segment=LoggedSegmentFactory())
    line = SegmentLineFactory(contact=PersonFactory())
    document = SalesDocumentLineFactory(document=SalesDocumentFactory()).document
    saved_criteria = SavedSegmentCriteriaStepFactory().saved
    letter_job = LetterDownloadJob.objects.create(segment=line.segment, kind=LetterDownloadJob.Kind.ZIP)
    return {
        "/contacts/": entry.contact.pk,
        "/interactions/": entry.pk,
        "/interactions/contacts/": entry.contact.pk,
        "/segments/logged/": entry.logged_segment.pk,
        "/segments/": line.segment.pk,
        "/segments/criteria/": saved_criteria.pk,
        "/documents/": document.pk,
        "line": line.pk,
        "job": letter_job.pk,
    }


def concrete(route: str, world: dict) -> str:
    """Fill the route's parameters with the ids of real objects."""

    def value(match):
        name = match.group(2)
        if name == "pk":
            prefix = max((p for p in world if route.startswith(p)), key=len)
            return str(world[prefix])
        if "line" in name:
            return str(world["line"])
        if "job" in name:
            return str(world["job"])
        raise AssertionError(f"The permission matrix does not know the URL parameter {name!r} in {route}")

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def test_the_matrix_covers_the_product_pages():
    routes = all_routes()
    for expected in ("/contacts/", "/interactions/", "/segments/", "/segments/logged/", "/documents/"):
        assert expected in routes


def test_anonymous_users_are_sent_to_the_login_page_everywhere(client, world):
    for route in all_routes():
        url = concrete(route, world)
        if url in PUBLIC or url == "/":
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, f"{method.upper()} {url} gave {response.status_code}"
            assert response["Location"].startswith("/accounts/login/"), f"{method.upper()} {url}"


def test_a_user_without_a_role_gets_403_or_405_everywhere(stranger_client, world):
    for route in all_routes():
        url = concrete(route, world)
        if url in PUBLIC or url == "/":
            continue
        for method in ("get", "post"):
            status = getattr(stranger_client, method)(url).status_code
            assert status in (403, 405), f"{method.upper()} {url} gave {status} to a user without a role"


def test_a_viewer_can_change_nothing(viewer_client, world):
    from django.apps import apps

    counts = {model: model.objects.count() for model in apps.get_models()}
    may_change = {"Session"}
    for route in all_routes():
        url = concrete(route, world)
        if url in PUBLIC or url == "/":
            continue
        status = viewer_client.post(url).status_code
        if route in VIEWER_READ_POSTS:
            may_change |= VIEWER_READ_POSTS[route]
            assert status in (302, 403, 405), f"POST {url} gave {status} to a viewer"
            continue
        assert status in (403, 405), f"POST {url} gave {status} to a viewer"
    changed = {model.__name__ for model, count in counts.items() if model.objects.count() != count}
    assert not changed - may_change, f"A viewer's POSTs changed {changed}"


def test_a_viewer_can_read_every_list_and_detail_page(viewer_client, world):
    readable = [
        "/contacts/",
        "/interactions/",
        "/segments/",
        "/segments/logged/",
        "/segments/criteria/",
        "/documents/",
        "/interactions/statistics/",
    ]
    readable += [
        concrete(route, world)
        for route in (
            "/contacts/<int:pk>/",
            "/interactions/<int:pk>/",
            "/segments/<int:pk>/",
            "/segments/logged/<int:pk>/",
            "/segments/criteria/<int:pk>/",
            "/documents/<int:pk>/",
        )
    ]
    for url in readable:
        assert viewer_client.get(url).status_code == 200, url


def test_health_and_login_are_public(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 200
