"""Wherever a person picks a contact or a company, the page stays the same size however many contacts there are:
a contact picker (a text field with suggestions), never a <select> of every contact."""

import re

import pytest

from tests.factories import CompanyFactory, PersonFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def page_sizes(client, url: str) -> tuple[int, int]:
    small = len(client.get(url).content)
    for company in CompanyFactory.create_batch(60):
        PersonFactory.create_batch(3, company=company)
    return small, len(client.get(url).content)


@pytest.mark.parametrize(
    "url, field",
    [
        ("/interactions/new/", "contact"),
        ("/documents/new/", "contact_no"),
        ("/contacts/new/", "company_no"),
        ("/interactions/", "contact"),
        ("/interactions/", "company"),
    ],
)
def test_a_page_that_picks_a_contact_does_not_grow_with_the_contacts(sales_client, url, field):
    PersonFactory()
    small, large = page_sizes(sales_client, url)
    assert abs(large - small) < 200
    text = sales_client.get(url).content.decode()
    assert re.search(rf'<input[^>]*name="{field}"[^>]*data-contact-picker', text)


def test_adding_a_contact_by_hand_on_a_worksheet_uses_the_picker(marketer_client):
    segment = SegmentFactory()
    small, large = page_sizes(marketer_client, f"/segments/{segment.pk}/")
    assert abs(large - small) < 200
    text = marketer_client.get(f"/segments/{segment.pk}/").content.decode()
    assert re.search(r'<input[^>]*name="contact_no"[^>]*data-contact-picker', text)


@pytest.mark.parametrize("url", ["/admin/crm/contact/add/", "/admin/crm/salesdocument/add/"])
def test_the_admins_contact_fields_do_not_grow_with_the_contacts(admin_client, url):
    PersonFactory()
    small, large = page_sizes(admin_client, url)
    assert abs(large - small) < 200
