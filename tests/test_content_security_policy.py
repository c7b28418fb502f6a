"""Every page is sent with a Content-Security-Policy and carries no inline script, handler or style (issue 14).

The pages are walked from the URL configuration (as the permission matrix does), so a page added later is checked
too: the policy allows scripts and styles from our own files only, so an inline one would silently not run.
"""

import re

import pytest
from django.contrib.auth import get_user_model

from crm.middleware import CONTENT_SECURITY_POLICY
from tests.test_permission_matrix import all_routes, concrete, world  # noqa: F401 - world is a fixture

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.IGNORECASE)
ADMIN_PAGES = ["/admin/", "/admin/interactions/interactiontemplate/", "/admin/interactions/interactiontemplate/add/"]


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    return client


def html_pages(client, urls):
    for url in urls:
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            yield url, response


def test_the_policy_allows_only_our_own_files_and_no_framing(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_no_page_has_an_inline_script_handler_or_style(superuser_client, world):  # noqa: F811
    urls = [concrete(route, world) for route in all_routes() if "<" not in route or "pk" in route or "line" in route]
    checked = []
    for url, response in html_pages(superuser_client, ["/accounts/login/", *urls]):
        page = response.content.decode()
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert not INLINE_SCRIPT.search(page), (url, INLINE_SCRIPT.search(page).group(0))
        assert not HANDLER_ATTRIBUTE.search(page), (url, HANDLER_ATTRIBUTE.search(page).group(0))
        assert not INLINE_STYLE.search(page), (url, INLINE_STYLE.search(page).group(0))
        checked.append(url)
    assert len(checked) >= 15, checked
    for expected in ("/contacts/", "/interactions/", "/segments/", "/segments/logged/", "/documents/"):
        assert expected in checked


def test_the_admin_pages_have_no_inline_script_or_handler(superuser_client):
    checked = []
    for url, response in html_pages(superuser_client, ADMIN_PAGES):
        page = response.content.decode()
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert not INLINE_SCRIPT.search(page), (url, INLINE_SCRIPT.search(page).group(0))
        assert not HANDLER_ATTRIBUTE.search(page), (url, HANDLER_ATTRIBUTE.search(page).group(0))
        checked.append(url)
    assert checked == ADMIN_PAGES
