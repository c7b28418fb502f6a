"""Absurd values are refused with a message, the same on the pages, in the admin and in the services (issue 14)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from crm.models import SalesDocument
from crm.services import document_create
from interactions.models import InteractionLogEntry
from segments.models import Segment
from segments.services import segment_update_header
from tests.crm.forms import sales_document_form
from tests.factories import CompanyFactory, PersonFactory, SegmentFactory
from tests.interactions.factories import word_template

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date", "1066-10-14", "Enter a date between 1900 and 2200"),
        ("date", "20266-01-01", "Enter a valid date"),  # the browser's own slip: not even a date
        ("due_date", "2201-01-01", "Enter a date between 1900 and 2200"),
        ("vat_percent", "150", "A percentage cannot be over 100"),
        ("vat_percent", "-1", "This cannot be negative"),
        ("lines-0-unit_price", "-289", "This cannot be negative"),
        ("lines-0-quantity", "-3", "greater than or equal to 0"),
    ],
)
def test_the_document_page_refuses_absurd_values_and_creates_nothing(sales_client, field, value, message):
    company = CompanyFactory()
    data = sales_document_form(company.no, kind="invoice", **{field: value})
    response = sales_client.post("/documents/new/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SalesDocument.objects.exists()


def test_the_document_service_refuses_a_negative_invoice_price_and_a_vat_over_100(salesperson_user):
    company = CompanyFactory()

    def invoice(line: dict, **fields):
        date = datetime.date(2026, 4, 1)
        return document_create(
            kind="invoice", contact=company, user=salesperson_user, date=date, lines=[line], **fields
        )

    with pytest.raises(ValidationError, match="cannot be negative"):
        invoice({"description": "Refund by mistake", "quantity": 1, "unit_price": -100})
    with pytest.raises(ValidationError, match="cannot be over 100"):
        invoice({"description": "Desk", "quantity": 1, "unit_price": 100}, vat_percent=120)
    assert not SalesDocument.objects.exists()


def test_the_admin_refuses_the_same_absurd_date(salesperson_user, client):
    salesperson_user.is_staff = True
    salesperson_user.save()
    client.force_login(salesperson_user)
    company = CompanyFactory()
    data = {
        "kind": "invoice",
        "contact": company.pk,
        "date": "1850-01-01",
        "vat_percent": "20",
        "lines-TOTAL_FORMS": 0,
        "lines-INITIAL_FORMS": 0,
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000,
    }
    response = client.post("/admin/crm/salesdocument/add/", data)
    assert response.status_code == 200
    assert "Enter a date between 1900 and 2200" in response.content.decode()
    assert not SalesDocument.objects.exists()


def test_the_create_interaction_page_refuses_a_date_in_the_year_2999(sales_client):
    person = PersonFactory()
    template = word_template()
    data = {
        "contact": person.no,
        "template": template.pk,
        "description": "Welcome",
        "date": "2999-03-12",
        "time": "10:30",
    }
    data["was_successful"] = "on"
    response = sales_client.post(f"/interactions/new/?contact={person.pk}", data)
    assert "Enter a date between 1900 and 2200" in response.content.decode()
    assert not InteractionLogEntry.objects.exists()


def test_a_worksheet_header_refuses_a_date_before_1900(marketer):
    segment = SegmentFactory(date=datetime.date(2026, 4, 1))
    with pytest.raises(ValidationError, match="between 1900 and 2200"):
        segment_update_header(segment, user=marketer, date=datetime.date(1899, 12, 31))
    assert Segment.objects.get(pk=segment.pk).date == datetime.date(2026, 4, 1)
