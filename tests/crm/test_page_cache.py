"""crm.page_cache: a page is served again, to the same user, only while nothing was written since.

These tests commit (transaction=True): the data version moves after a commit, as on a live server.
"""

import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import services
from crm.models import Contact, DataVersion
from crm.page_cache import data_version, is_write
from tests.factories import InteractionLogEntryFactory, PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)

CSRF_VALUE = re.compile(rb'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]*(")')


@pytest.fixture(autouse=True)
def _pages_kept(settings):
    settings.PAGE_CACHE_SECONDS = 300


def _html(response) -> bytes:
    assert response.status_code == 200
    return CSRF_VALUE.sub(rb"\1\2", response.content)


def _served_from_the_cache(client, url) -> tuple[bool, bytes]:
    """(whether the page was served without building it, its HTML without the CSRF token)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Built, a list page reads its rows and counts; kept, only the session, the user and the data version.
    return len(queries) <= 3, _html(response)


def test_the_second_request_is_served_from_the_cache_with_the_same_html(sales_client):
    contact = PersonFactory(name="Anna Nowak")
    InteractionLogEntryFactory(contact=contact, description="Called about the fair")
    for url in (reverse("interactions:interaction_list"), reverse("crm:contact_list"), f"/contacts/{contact.pk}/"):
        built, first = _served_from_the_cache(sales_client, url)
        kept, second = _served_from_the_cache(sales_client, url)
        assert (built, kept) == (False, True), url
        assert second == first


def test_a_kept_page_carries_a_csrf_token_that_works_for_this_browser(salesperson_user):
    contact = PersonFactory(name="Anna Nowak")
    client = Client(enforce_csrf_checks=True)
    client.force_login(salesperson_user)
    url = f"/contacts/{contact.pk}/"
    client.get(url)
    kept = client.get(url)
    token = re.search(rb'"X-CSRFToken": "([^"]+)"', kept.content).group(1).decode()

    other = Client(enforce_csrf_checks=True)  # the same user in another browser: its own CSRF cookie
    other.force_login(salesperson_user)
    other_page = other.get(url)
    other_token = re.search(rb'"X-CSRFToken": "([^"]+)"', other_page.content).group(1).decode()
    assert other_token != token

    # The token of the kept page is accepted with this browser's cookie (a refused one is a 403).
    response = client.post(reverse("crm:contact_edit", args=[contact.pk]), {"csrfmiddlewaretoken": token})
    assert response.status_code != 403
    response = other.post(reverse("crm:contact_edit", args=[contact.pk]), {"csrfmiddlewaretoken": other_token})
    assert response.status_code != 403


def test_a_write_through_a_service_shows_on_the_next_request(sales_client, salesperson_user):
    contact = PersonFactory(name="Anna Nowak")
    url = f"/contacts/{contact.pk}/"
    sales_client.get(url)
    version = data_version()

    services.contact_update(contact, user=salesperson_user, name="Anna Kowalska")

    assert data_version() == version + 1  # one transaction, one raise, however many statements
    kept, html = _served_from_the_cache(sales_client, url)
    assert not kept
    assert b"<h1>Anna Kowalska</h1>" in html, re.search(rb"<h1>.*</h1>", html)


def test_a_raw_statement_outside_a_transaction_shows_on_the_next_request(sales_client):
    contact = PersonFactory(name="Anna Nowak")
    url = reverse("crm:contact_list")
    sales_client.get(url)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Contact._meta.db_table} SET name = %s WHERE id = %s", ["Anna Kowalska", contact.pk])
    kept, html = _served_from_the_cache(sales_client, url)
    assert not kept
    assert b"Anna Kowalska" in html


def test_a_rolled_back_write_keeps_the_pages(sales_client):
    contact = PersonFactory(name="Anna Nowak")
    url = reverse("crm:contact_list")
    sales_client.get(url)
    version = data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Contact.objects.filter(pk=contact.pk).update(name="Anna Kowalska")
        raise RuntimeError("refused")
    assert data_version() == version
    kept, html = _served_from_the_cache(sales_client, url)
    assert kept and b"Anna Nowak" in html


def test_each_user_has_pages_of_their_own(sales_client, viewer_client, salesperson_user, viewer):
    PersonFactory(name="Anna Nowak")
    url = reverse("crm:contact_list")
    seller_page, viewer_page = _html(sales_client.get(url)), _html(viewer_client.get(url))
    assert salesperson_user.username.encode() in seller_page and viewer.username.encode() in viewer_page
    assert _html(viewer_client.get(url)) == viewer_page
    assert _html(sales_client.get(url)) == seller_page


def test_a_user_who_lost_the_permission_is_refused_not_served_the_kept_page(sales_client, salesperson_user):
    url = reverse("crm:contact_list")
    assert sales_client.get(url).status_code == 200
    salesperson_user.groups.set([Group.objects.get_or_create(name="Nobody")[0]])
    assert sales_client.get(url).status_code == 403


def test_a_page_with_a_flash_message_is_built_and_not_kept(sales_client):
    contact = PersonFactory(name="Anna Nowak")
    url = reverse("crm:contact_list")
    sales_client.get(url)
    response = sales_client.post(reverse("crm:contact_delete", args=[contact.pk]), follow=True)
    message = f"Contact {contact.no} was deleted.".encode()
    assert message in response.content
    for expected_kept in (False, True):  # built again (the one with the message was not kept), then kept
        kept, html = _served_from_the_cache(sales_client, url)
        assert kept is expected_kept
        assert message not in html and b"Anna Nowak" not in html


def test_an_htmx_fragment_is_kept_apart_from_the_full_page(sales_client):
    url = reverse("interactions:interaction_list")
    full = _html(sales_client.get(url))
    fragment = _html(sales_client.get(url, headers={"HX-Request": "true", "HX-Target": "list-results"}))
    assert _html(sales_client.get(url)) == full
    assert _html(sales_client.get(url, headers={"HX-Request": "true", "HX-Target": "list-results"})) == fragment


def test_session_writes_do_not_move_the_data_version():
    version = data_version()
    session = SessionStore()
    session["basket"] = [1, 2]
    session.save()  # INSERT
    session["basket"] = [3]
    session.save()  # UPDATE
    session.delete()  # DELETE
    assert data_version() == version


def test_a_flushed_version_row_comes_back():
    DataVersion.objects.all().delete()
    assert data_version() == 0
    Contact.objects.filter(pk=0).update(name="x")  # a write, even of no row, raises it
    assert data_version() == 1


@pytest.mark.parametrize(
    "sql, writes",
    [
        ('SELECT "crm_contact"."id" FROM "crm_contact"', False),
        ('(SELECT 1 AS "k" FROM "crm_salesperson") UNION ALL (SELECT 2 FROM "crm_salutation")', False),
        ('SELECT "id" FROM "crm_contact" WHERE "id" = 1 FOR UPDATE', False),
        ("SAVEPOINT s1", False),
        ("PRAGMA wal_checkpoint", False),
        ("WITH RECURSIVE n(i) AS (SELECT 1) SELECT i FROM n", False),
        ('INSERT INTO "crm_contact" ("no") VALUES (%s)', True),
        ('  update "interactions_interactionlogentry" SET "canceled" = true', True),
        ('DELETE FROM "interactions_interactionlogentry" WHERE "canceled"', True),
        ("WITH doomed AS (SELECT 1) DELETE FROM crm_contact WHERE id IN (SELECT * FROM doomed)", True),
        ('DROP INDEX "ile_date_id"', True),
        ('CREATE INDEX "ile_date_id" ON "interactions_interactionlogentry" ("date")', True),
        ('INSERT INTO "django_session" ("session_key") VALUES (%s)', False),
        ('UPDATE "django_session" SET "session_data" = %s', False),
        ('INSERT INTO "axes_accesslog" ("username") VALUES (%s)', False),
        ('UPDATE "crm_dataversion" SET "number" = ("number" + 1)', False),
    ],
)
def test_which_statements_are_writes(sql, writes):
    assert is_write(sql) is writes
