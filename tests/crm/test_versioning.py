"""Lost updates (issue 14): an edit form opened before someone else saved is refused, keeping the user's input."""

import re

import pytest
from django.core.exceptions import ValidationError

from crm.models import Contact, SalesDocument
from crm.services import contact_update, document_update
from tests.crm.forms import sales_document_form
from tests.factories import CompanyFactory, SalesDocumentFactory, SalesDocumentLineFactory

STALE = "was changed by someone else since you opened it"

pytestmark = pytest.mark.django_db


def _opened_version(client, url: str) -> str:
    """The row version the edit page carries, as a browser would post it back."""
    match = re.search(r'name="row_version" value="(\d+)"', client.get(url).content.decode())
    assert match, "the edit form carries the row version"
    return match.group(1)


def test_a_stale_document_form_does_not_delete_the_lines_a_colleague_added(salesperson_user, sales_client):
    document = SalesDocumentFactory(kind=SalesDocument.Kind.QUOTE)
    SalesDocumentLineFactory(document=document, description="Shelving unit")
    opened = _opened_version(sales_client, f"/documents/{document.pk}/edit/")
    # A colleague adds a line meanwhile.
    document_update(
        SalesDocument.objects.get(pk=document.pk),
        user=salesperson_user,
        lines=[{"description": "Shelving unit", "quantity": 1, "unit_price": 10}, {"description": "Colleague's line"}],
    )

    data = sales_document_form(document.contact.no, row_version=opened, **{"lines-0-description": "My change"})
    response = sales_client.post(f"/documents/{document.pk}/edit/", data)

    assert response.status_code == 200
    content = response.content.decode()
    assert STALE in content
    assert "My change" in content and "RFQ 12" in content  # the user's input is kept on the form
    assert list(document.lines.order_by("line_no").values_list("description", flat=True)) == [
        "Shelving unit",
        "Colleague's line",
    ]
    assert SalesDocument.objects.get(pk=document.pk).your_reference == ""


def test_a_current_document_form_saves_and_moves_the_version_on(sales_client):
    document = SalesDocumentFactory(kind=SalesDocument.Kind.QUOTE)
    opened = _opened_version(sales_client, f"/documents/{document.pk}/edit/")
    response = sales_client.post(
        f"/documents/{document.pk}/edit/", sales_document_form(document.contact.no, row_version=opened)
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.your_reference == "RFQ 12" and document.row_version == int(opened) + 1
    # The same (now stale) form posted again is refused.
    again = sales_client.post(
        f"/documents/{document.pk}/edit/",
        sales_document_form(document.contact.no, row_version=opened, your_reference="Again"),
    )
    assert STALE in again.content.decode()
    assert SalesDocument.objects.get(pk=document.pk).your_reference == "RFQ 12"


def test_a_stale_contact_form_is_refused_and_keeps_the_input(salesperson_user, sales_client):
    company = CompanyFactory(name="Acme", city="Berlin")
    opened = _opened_version(sales_client, f"/contacts/{company.pk}/edit/")
    contact_update(Contact.objects.get(pk=company.pk), user=salesperson_user, city="Hamburg")

    response = sales_client.post(
        f"/contacts/{company.pk}/edit/", {"type": "company", "name": "Acme Renamed", "row_version": opened}
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert STALE in content and "Acme Renamed" in content
    company.refresh_from_db()
    assert (company.name, company.city) == ("Acme", "Hamburg")


def test_the_services_refuse_a_stale_version_and_change_nothing(salesperson_user):
    company = CompanyFactory(name="Acme")
    document = SalesDocumentFactory(contact=company)
    SalesDocumentLineFactory(document=document, description="Kept")
    with pytest.raises(ValidationError, match=STALE):
        contact_update(company, user=salesperson_user, row_version=company.row_version + 1, name="Other")
    with pytest.raises(ValidationError, match=STALE):
        document_update(
            document, user=salesperson_user, row_version=document.row_version + 1, lines=[{"description": "New"}]
        )
    assert Contact.objects.get(pk=company.pk).name == "Acme"
    assert list(document.lines.values_list("description", flat=True)) == ["Kept"]
