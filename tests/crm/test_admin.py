"""The contact and sales document admin follow the same rules as the pages: both go through crm.services."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.test import Client

from crm.models import Contact, SalesDocument
from tests.factories import (
    CompanyFactory,
    InteractionLogEntryFactory,
    PersonFactory,
    SalesDocumentFactory,
    SalesDocumentLineFactory,
    SegmentFactory,
    SegmentLineFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_seller(salesperson_user):
    """A salesperson let into the Django admin, logged in on a client of its own."""
    salesperson_user.is_staff = True
    salesperson_user.save()
    client = Client()
    client.force_login(salesperson_user)
    return client


def _change_form(client, url: str, **changes) -> dict:
    """The admin change form as the browser would post it, with `changes` applied."""
    response = client.get(url)
    assert response.status_code == 200
    data = {}
    for form in [response.context["adminform"].form]:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if isinstance(field, forms.ModelMultipleChoiceField):
                data[name] = [getattr(item, "pk", item) for item in value or []]
            elif value is None:
                data[name] = ""
            else:
                data[name] = getattr(value, "pk", value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        initial = formset.initial_form_count()  # the stored lines; the blank extra forms are left out
        data |= {f"{formset.prefix}-TOTAL_FORMS": initial, f"{formset.prefix}-INITIAL_FORMS": initial}
        for index, line in enumerate(formset.forms[:initial]):
            for name in line.fields:
                value = line.instance.pk if name == "id" else line.initial.get(name, "")
                data[f"{formset.prefix}-{index}-{name}"] = "" if value is None else getattr(value, "pk", value)
    data.update(changes)
    return data


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _contact_url(contact: Contact, action: str = "change") -> str:
    return f"/admin/crm/contact/{contact.pk}/{action}/"


def test_a_company_with_persons_cannot_become_a_person_on_the_page_or_in_the_admin(sales_client, staff_seller):
    company = CompanyFactory(name="Acme")
    PersonFactory(company=company)

    page = sales_client.post(f"/contacts/{company.pk}/edit/", {"type": "person", "name": "Acme"})
    admin = staff_seller.post(_contact_url(company), _change_form(staff_seller, _contact_url(company), type="person"))

    assert page.status_code == 200 and "A company with persons cannot become a person." in page.content.decode()
    assert admin.status_code == 302 and "A company with persons cannot become a person." in _messages(admin)
    company.refresh_from_db()
    assert company.type == Contact.Type.COMPANY


def test_an_allowed_change_in_the_admin_is_saved_by_the_service(staff_seller):
    company = CompanyFactory(name="Old name")
    response = staff_seller.post(_contact_url(company), _change_form(staff_seller, _contact_url(company), name="New"))
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.name == "New"


def test_a_contact_added_in_the_admin_gets_its_number_from_the_series(staff_seller):
    data = _change_form(staff_seller, "/admin/crm/contact/add/", name="Initech", type="company")
    response = staff_seller.post("/admin/crm/contact/add/", data)
    added = Contact.objects.get(name="Initech")
    assert response.status_code == 302 and added.no.startswith("CT")


def test_deleting_a_person_moves_its_entries_to_its_company_on_the_page_and_in_the_admin(sales_client, staff_seller):
    on_page, in_admin = PersonFactory(), PersonFactory()
    page_entry = InteractionLogEntryFactory(contact=on_page, contact_company=on_page.company)
    admin_entry = InteractionLogEntryFactory(contact=in_admin, contact_company=in_admin.company)

    sales_client.post(f"/contacts/{on_page.pk}/delete/")
    staff_seller.post(_contact_url(in_admin, "delete"), {"post": "yes"})

    page_entry.refresh_from_db()
    admin_entry.refresh_from_db()
    assert not Contact.objects.filter(pk__in=[on_page.pk, in_admin.pk]).exists()
    assert page_entry.contact_id == on_page.company_id
    assert admin_entry.contact_id == in_admin.company_id


def test_a_contact_on_an_unlogged_segment_cannot_be_deleted_on_the_page_or_in_the_admin(sales_client, staff_seller):
    person = PersonFactory()
    SegmentLineFactory(segment=SegmentFactory(), contact=person)

    page = sales_client.post(f"/contacts/{person.pk}/delete/", follow=True)
    admin = staff_seller.post(_contact_url(person, "delete"), {"post": "yes"})

    assert "assigned one or more unlogged segments" in page.content.decode()
    assert admin.status_code == 200 and "Cannot delete contact" in admin.content.decode()
    assert Contact.objects.filter(pk=person.pk).exists()


def test_a_company_with_persons_cannot_be_deleted_in_the_admin(staff_seller):
    company = CompanyFactory()
    PersonFactory(company=company)
    response = staff_seller.post(_contact_url(company, "delete"), {"post": "yes"})
    assert response.status_code == 200 and "Cannot delete contact" in response.content.decode()
    assert Contact.objects.filter(pk=company.pk).exists()


def test_the_admin_offers_no_bulk_delete_of_contacts_or_documents(staff_seller):
    contacts = staff_seller.get("/admin/crm/contact/")
    documents = staff_seller.get("/admin/crm/salesdocument/")
    assert "delete_selected" not in contacts.content.decode()
    assert "delete_selected" not in documents.content.decode()


def test_bulk_delete_posted_anyway_deletes_nothing(staff_seller):
    person = PersonFactory()
    response = staff_seller.post(
        "/admin/crm/contact/", {"action": "delete_selected", "_selected_action": [person.pk], "post": "yes"}
    )
    assert response.status_code == 200
    assert Contact.objects.filter(pk=person.pk).exists()


def _document_url(document: SalesDocument) -> str:
    return f"/admin/crm/salesdocument/{document.pk}/change/"


def test_a_documents_kind_cannot_change_on_the_page_or_in_the_admin(sales_client, staff_seller):
    document = SalesDocumentFactory(kind=SalesDocument.Kind.QUOTE)
    SalesDocumentLineFactory(document=document)

    form = staff_seller.get(_document_url(document)).context["adminform"].form
    staff_seller.post(_document_url(document), _change_form(staff_seller, _document_url(document), kind="invoice"))

    assert "kind" not in form.fields  # read-only in the admin, as the page's form has no type field once saved
    document.refresh_from_db()
    assert document.kind == SalesDocument.Kind.QUOTE and document.no.startswith("SQ")


def test_a_document_saved_in_the_admin_keeps_the_services_line_rules(staff_seller):
    document = SalesDocumentFactory(kind=SalesDocument.Kind.INVOICE, your_reference="old")
    SalesDocumentLineFactory(document=document, description="Shelving")
    url = _document_url(document)

    changed = staff_seller.post(url, _change_form(staff_seller, url, your_reference="PO 7"))
    emptied = staff_seller.post(url, _change_form(staff_seller, url, **{"lines-0-DELETE": "on"}))

    assert changed.status_code == 302 and emptied.status_code == 302
    assert "Add at least one line with a description." in _messages(emptied)
    document.refresh_from_db()
    assert document.your_reference == "PO 7"
    assert list(document.lines.values_list("description", flat=True)) == ["Shelving"]


def test_a_document_added_in_the_admin_is_created_by_the_service(staff_seller):
    contact = CompanyFactory()
    lines = {
        "lines-TOTAL_FORMS": 1,
        "lines-INITIAL_FORMS": 0,
        "lines-0-description": "Shelving",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "10",
    }
    add = "/admin/crm/salesdocument/add/"
    data = _change_form(staff_seller, add, kind="quote", contact=contact.pk, date="2026-03-01", **lines)

    response = staff_seller.post(add, data)

    document = SalesDocument.objects.get()
    assert response.status_code == 302 and document.no.startswith("SQ")
    assert list(document.lines.values_list("line_no", "description")) == [(10000, "Shelving")]
