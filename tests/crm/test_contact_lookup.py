"""The contact look-up (/contacts/lookup/), its search page and the navigation bar's search box."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.selectors import contact_lookup
from tests.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db

URL = "/contacts/lookup/"


@pytest.fixture
def northwind():
    company = CompanyFactory(name="Northwind Traders")
    return {
        "company": company,
        "ada": PersonFactory(name="Ada Lovelace", company=company),
        "grace": PersonFactory(name="Grace Hopper", company=company),
        "alan": PersonFactory(name="Alan Turing", company=CompanyFactory(name="Bletchley Park Ltd")),
    }


def lookup(client, text, **params):
    response = client.get(URL, {"q": text, **params})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()["results"]


def test_a_lookup_answers_id_number_name_and_company_name(viewer_client, northwind):
    ada = northwind["ada"]
    assert lookup(viewer_client, "ada lov") == [
        {"id": ada.pk, "no": ada.no, "name": "Ada Lovelace", "company_name": "Northwind Traders"}
    ]


def test_a_number_prefix_in_any_case_finds_the_contacts_with_that_number(viewer_client, northwind):
    ada = northwind["ada"]
    assert [row["no"] for row in lookup(viewer_client, ada.no.lower())] == [ada.no]
    assert {row["no"] for row in lookup(viewer_client, ada.no[:-1])} >= {ada.no}


def test_a_company_name_finds_the_company_and_its_persons(viewer_client, northwind):
    names = [row["name"] for row in lookup(viewer_client, "NORTHW")]
    assert names == ["Northwind Traders", "Ada Lovelace", "Grace Hopper"]


def test_a_name_that_nothing_starts_with_finds_nothing(viewer_client, northwind):
    assert lookup(viewer_client, "Zebra") == []
    assert lookup(viewer_client, "   ") == []


def test_a_lookup_gives_at_most_twenty_contacts(viewer_client):
    company = CompanyFactory(name="Contoso")
    PersonFactory.create_batch(25, name="Contoso buyer", company=company)
    assert len(lookup(viewer_client, "contoso")) == 20


def test_a_company_field_looks_up_companies_only(viewer_client, northwind):
    rows = lookup(viewer_client, "n", kind="company")
    assert [row["name"] for row in rows] == ["Northwind Traders"]
    assert lookup(viewer_client, "ada", kind="company") == []


def test_the_lookup_runs_no_more_queries_with_more_contacts(viewer_client):
    company = CompanyFactory(name="Fabrikam")
    PersonFactory.create_batch(3, name="Fabrikam clerk", company=company)
    lookup(viewer_client, "fab")
    with CaptureQueriesContext(connection) as few:
        lookup(viewer_client, "fab")
    PersonFactory.create_batch(40, name="Fabrikam clerk", company=company)
    with CaptureQueriesContext(connection) as many:
        lookup(viewer_client, "fab")
    # Fewer with many matches: once the names give twenty, the persons of the companies are not asked for.
    assert len(many) <= len(few)


def test_every_query_of_a_lookup_is_limited(northwind):
    with CaptureQueriesContext(connection) as queries:
        contact_lookup(text="Northwind")
    assert len(queries) == 3
    assert all("LIMIT" in query["sql"] for query in queries)


def test_a_user_who_may_not_see_contacts_gets_403(stranger_client, northwind):
    assert stranger_client.get(URL, {"q": "ada"}).status_code == 403


def test_the_lookup_needs_a_login(client, northwind):
    response = client.get(URL, {"q": "ada"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_lookup_is_read_only(viewer_client):
    assert viewer_client.post(URL, {"q": "ada"}).status_code == 405


# --- the search page: the navigation bar's search without JavaScript -------------------------------------------


def test_every_page_has_a_search_box_that_uses_the_lookup(viewer_client):
    text = viewer_client.get("/contacts/").content.decode()
    assert 'role="search"' in text and 'action="/contacts/search/"' in text
    assert 'data-lookup-url="/contacts/lookup/"' in text


def test_the_search_box_is_not_shown_to_a_user_who_may_not_see_contacts(stranger_client):
    assert 'role="search"' not in stranger_client.get("/interactions/statistics/").content.decode()


def test_searching_a_whole_number_opens_that_contact(viewer_client, northwind):
    ada = northwind["ada"]
    response = viewer_client.get("/contacts/search/", {"q": ada.no.lower()})
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{ada.pk}/"


def test_searching_a_name_lists_the_matches_with_links(viewer_client, northwind):
    text = viewer_client.get("/contacts/search/", {"q": "grace"}).content.decode()
    assert f'href="/contacts/{northwind["grace"].pk}/"' in text
    assert "Ada Lovelace" not in text
    assert "/contacts/?name=grace" in text


def test_a_search_that_finds_nothing_says_so(viewer_client, northwind):
    text = viewer_client.get("/contacts/search/", {"q": "Zebra"}).content.decode()
    assert "No contact’s number, name or company name starts with “Zebra”." in text.replace("'", "’").replace(
        "&#x27;", "’"
    )


def test_the_search_page_needs_the_contact_permission(stranger_client):
    assert stranger_client.get("/contacts/search/", {"q": "x"}).status_code == 403
