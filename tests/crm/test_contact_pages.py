import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Contact
from tests.factories import CompanyFactory, MailingGroupFactory, PersonFactory, SalespersonFactory

pytestmark = pytest.mark.django_db


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/contacts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_login_page_logs_a_user_in(client, viewer):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b"Log in" in page.content
    response = client.post("/accounts/login/", {"username": "viewer", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get("/contacts/").status_code == 200


def test_a_user_without_a_role_gets_403(stranger_client):
    company = CompanyFactory()
    assert stranger_client.get("/contacts/").status_code == 403
    assert stranger_client.get(f"/contacts/{company.pk}/").status_code == 403
    assert stranger_client.get("/contacts/new/").status_code == 403


def test_the_list_shows_and_filters_contacts(viewer_client):
    CompanyFactory(name="Alpha Logistics", city="Hamburg")
    CompanyFactory(name="Beta Bakery", city="Munich")
    response = viewer_client.get("/contacts/", {"city": "Hamburg"})
    assert response.status_code == 200
    assert b"Alpha Logistics" in response.content
    assert b"Beta Bakery" not in response.content


def test_a_bad_filter_value_shows_an_error_and_no_rows(viewer_client):
    CompanyFactory(name="Alpha Logistics")
    response = viewer_client.get("/contacts/", {"salesperson": "NOPE"})
    assert response.status_code == 200
    assert "There is no salesperson with the code “NOPE”." in response.content.decode()
    assert b"Alpha Logistics" not in response.content


def test_an_unknown_filter_is_reported(viewer_client):
    response = viewer_client.get("/contacts/", {"colour": "red"})
    assert "Unknown filter: colour." in response.content.decode()


def test_the_list_query_count_does_not_grow_with_rows(viewer_client):
    salesperson = SalespersonFactory()
    PersonFactory.create_batch(3, salesperson=salesperson)
    with CaptureQueriesContext(connection) as few:
        viewer_client.get("/contacts/", {"sort": "name"})
    PersonFactory.create_batch(30, salesperson=salesperson)
    with CaptureQueriesContext(connection) as many:
        response = viewer_client.get("/contacts/", {"sort": "name"})
    assert response.status_code == 200
    assert len(many) == len(few)
    assert len(many) <= 8  # SPEC 5: constant and at most 8 (the filters' code lists are one query)


def test_the_detail_page_shows_a_company_with_its_persons(viewer_client):
    person = PersonFactory(name="Ada Lovelace")
    response = viewer_client.get(f"/contacts/{person.company.pk}/")
    assert response.status_code == 200
    assert b"Ada Lovelace" in response.content
    assert b"Interaction history" in response.content


def test_a_salesperson_creates_a_person_at_a_company(sales_client):
    company = CompanyFactory()
    group = MailingGroupFactory(code="NEWS")
    response = sales_client.post(
        "/contacts/new/",
        {
            "type": "person",
            "name": "Grace Hopper",
            "company_no": company.no,
            "email": "grace@example.com",
            "country_code": "de",
            "mailing_groups": [group.pk],
        },
    )
    person = Contact.objects.get(name="Grace Hopper")
    assert response.status_code == 302 and response["Location"] == f"/contacts/{person.pk}/"
    assert person.company == company and person.country_code == "DE"
    assert person.no.startswith("CT") and list(person.mailing_groups.all()) == [group]


def test_bad_input_on_the_form_saves_nothing(sales_client):
    person = PersonFactory()
    before = Contact.objects.count()
    response = sales_client.post(
        "/contacts/new/",
        {"type": "person", "name": "X", "company_no": person.no, "email": "not-an-email", "phone": "call me"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "a person&#x27;s company must be a company" in text
    assert "Enter a valid email address." in text
    assert "no letters" in text
    assert Contact.objects.count() == before


def test_a_viewer_cannot_create_or_edit(viewer_client):
    company = CompanyFactory()
    assert viewer_client.post("/contacts/new/", {"type": "company", "name": "X"}).status_code == 403
    assert viewer_client.post(f"/contacts/{company.pk}/edit/", {"type": "company", "name": "X"}).status_code == 403
    assert viewer_client.post(f"/contacts/{company.pk}/delete/").status_code == 403
    assert Contact.objects.count() == 1


def test_editing_a_contact_saves_the_change(sales_client):
    company = CompanyFactory(name="Old name")
    response = sales_client.post(f"/contacts/{company.pk}/edit/", {"type": "company", "name": "New name"})
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.name == "New name"


def test_delete_needs_post(sales_client):
    company = CompanyFactory()
    assert sales_client.get(f"/contacts/{company.pk}/delete/").status_code == 405
    assert Contact.objects.filter(pk=company.pk).exists()


def test_the_filters_offer_every_code_list_from_one_query(viewer_client):
    from crm.models import IndustryGroup

    MailingGroupFactory(code="GIFT", description="Christmas gift")
    IndustryGroup.objects.create(code="RET", description="Retail")
    SalespersonFactory(code="JD", name="Jane Doe")
    with CaptureQueriesContext(connection) as queries:
        page = viewer_client.get("/contacts/").content.decode()
    for option in (
        '<option value="GIFT">Christmas gift</option>',
        '<option value="RET">Retail</option>',
        '<option value="JD">Jane Doe</option>',
    ):
        assert option in page
    code_list_queries = [q["sql"] for q in queries if "crm_mailinggroup" in q["sql"] or "crm_industrygroup" in q["sql"]]
    assert len(code_list_queries) == 1 and "UNION ALL" in code_list_queries[0]
