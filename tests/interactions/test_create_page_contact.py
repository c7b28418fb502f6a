"""Choosing the contact on the Create Interaction page: a typed number (with suggestions when JavaScript runs),
never a <select> of every contact."""

import re

import pytest

from crm.models import Contact
from interactions.models import InteractionLogEntry
from tests.factories import CompanyFactory, InteractionTemplateFactory, PersonFactory

pytestmark = pytest.mark.django_db


def form_data(contact_no: str, template) -> dict:
    return {
        "contact": contact_no,
        "template": template.pk,
        "description": "Phone call",
        "date": "2025-03-12",
        "time": "10:30",
        "was_successful": "on",
    }


def test_the_contact_is_a_text_field_with_suggestions_not_a_select(sales_client):
    PersonFactory.create_batch(3)
    text = sales_client.get("/interactions/new/").content.decode()
    field = re.search(r'<input[^>]*name="contact"[^>]*>', text).group(0)
    assert 'type="text"' in field and "data-contact-picker" in field
    assert 'data-lookup-url="/contacts/lookup/"' in field
    assert '<select name="contact"' not in text
    assert "js/contact-picker.js" in text


def test_posting_a_contact_number_logs_the_interaction_without_javascript(sales_client):
    person = PersonFactory(name="Ada Lovelace")
    response = sales_client.post("/interactions/new/", form_data(person.no.lower(), InteractionTemplateFactory()))
    assert response.status_code == 302
    assert InteractionLogEntry.objects.get().contact == person


def test_an_unknown_number_is_the_fields_error_and_logs_nothing(sales_client):
    PersonFactory()
    response = sales_client.post("/interactions/new/", form_data("ct999999", InteractionTemplateFactory()))
    assert response.status_code == 200
    assert "There is no contact with the number CT999999." in response.content.decode()
    assert not InteractionLogEntry.objects.exists()


def test_a_missing_contact_is_asked_for_and_logs_nothing(sales_client):
    response = sales_client.post("/interactions/new/", form_data("", InteractionTemplateFactory()))
    assert "You must select a contact to interact with." in response.content.decode()
    assert not InteractionLogEntry.objects.exists()


def test_the_page_size_does_not_grow_with_the_number_of_contacts(sales_client):
    InteractionTemplateFactory()
    PersonFactory.create_batch(10)
    small = len(sales_client.get("/interactions/new/").content)
    companies = CompanyFactory.create_batch(100)
    for company in companies:
        PersonFactory.create_batch(4, company=company)
    assert Contact.objects.count() >= 500
    large = len(sales_client.get("/interactions/new/").content)
    assert abs(large - small) < 200  # the CSRF token and the time of day may differ by a few bytes
