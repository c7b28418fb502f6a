"""Text over a field's maximum length on the four main forms (issue 9): the contact form, the interaction create
form, the worksheet header form and the sales document form.

SQLite would store an over-long value without a word and PostgreSQL would refuse it with an error page, so the
forms must say "at most N characters" first. Each test checks the message and that every row of the tables the
form writes is exactly as before; the boundary tests check that the maximum itself, in characters that take two
bytes in UTF-8, is saved intact (the limits count characters, not bytes).
"""

import datetime
import html

import pytest

from crm.models import Contact, SalesDocument, SalesDocumentLine
from interactions.models import InteractionLogEntry
from segments.models import Segment, SegmentLine
from segments.services import segment_add_contacts
from tests.crm.forms import sales_document_form
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalesDocumentFactory,
    SalesDocumentLineFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


def too_long(limit: int, char: str = "x") -> str:
    return char * (limit + 1)


def message(limit: int) -> str:
    return f"Ensure this value has at most {limit} characters (it has {limit + 1})."


def rows(*models) -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


def text_of(response) -> str:
    return html.unescape(response.content.decode())


# --- the contact form -------------------------------------------------------------------------------------------

CONTACT_LIMITS = {
    "name": (100, "x"),
    "job_title": (60, "x"),
    "salutation": (100, "x"),
    "address": (100, "x"),
    "address_2": (100, "x"),
    "city": (50, "x"),
    "post_code": (20, "x"),
    "phone": (30, "1"),  # digits: the phone validator refuses letters
    "mobile": (30, "1"),
    "language_code": (10, "x"),
}


@pytest.mark.parametrize("field", CONTACT_LIMITS)
def test_the_contact_form_refuses_over_long_text_on_create_and_edit(sales_client, field):
    limit, char = CONTACT_LIMITS[field]
    company = CompanyFactory(name="Acme", city="Berlin")
    before = rows(Contact)

    created = sales_client.post("/contacts/new/", {"type": "company", "name": "New Co", field: too_long(limit, char)})
    edited = sales_client.post(
        f"/contacts/{company.pk}/edit/", {"type": "company", "name": "Acme", field: too_long(limit, char)}
    )

    for response in (created, edited):
        assert response.status_code == 200
        assert message(limit) in text_of(response)
    assert rows(Contact) == before


def test_the_contact_form_saves_text_of_exactly_the_maximum_length(sales_client):
    values = {"name": "ü" * 100, "salutation": "é" * 100, "address": "ß" * 100, "city": "ö" * 50, "post_code": "ä" * 20}
    response = sales_client.post("/contacts/new/", {"type": "company", **values})
    assert response.status_code == 302
    saved = Contact.objects.get()
    assert {name: getattr(saved, name) for name in values} == values


# --- the interaction create form --------------------------------------------------------------------------------


@pytest.fixture
def person():
    return PersonFactory(name="Ada Lovelace", email="ada@example.com")


def interaction_form(person, template, **extra) -> dict:
    return {
        "contact": person.no,
        "template": template.pk,
        "description": "Welcome",
        "date": "2025-03-12",
        "time": "10:30",
        "was_successful": "on",
        **extra,
    }


@pytest.mark.parametrize("field, limit", [("description", 100), ("language_code", 10)])
def test_the_interaction_form_refuses_over_long_text_and_logs_nothing(sales_client, person, field, limit):
    template = InteractionTemplateFactory(correspondence_type="")
    InteractionLogEntry.objects.create(contact=person, date=datetime.date(2025, 1, 1), description="Earlier call")
    before = rows(InteractionLogEntry)

    response = sales_client.post(
        f"/interactions/new/?contact={person.pk}", interaction_form(person, template, **{field: too_long(limit)})
    )

    assert response.status_code == 200
    assert message(limit) in text_of(response)
    assert rows(InteractionLogEntry) == before


def test_the_interaction_form_logs_a_description_of_exactly_the_maximum_length(sales_client, person):
    template = InteractionTemplateFactory(correspondence_type="")
    response = sales_client.post(
        f"/interactions/new/?contact={person.pk}", interaction_form(person, template, description="ü" * 100)
    )
    assert response.status_code == 302
    assert InteractionLogEntry.objects.get().description == "ü" * 100


# --- the worksheet header form ----------------------------------------------------------------------------------

HEADER_LIMITS = {"description": 100, "subject": 200, "language_code": 10}


@pytest.mark.parametrize("field", HEADER_LIMITS)
def test_a_new_worksheet_with_over_long_text_is_not_created(marketer_client, field):
    limit = HEADER_LIMITS[field]
    response = marketer_client.post("/segments/new/", {"description": "Spring", field: too_long(limit)})
    assert response.status_code == 200
    assert message(limit) in text_of(response)
    assert not Segment.objects.exists()


@pytest.mark.parametrize("field", HEADER_LIMITS)
def test_the_worksheet_header_refuses_over_long_text_and_keeps_header_and_lines(marketer_client, marketer, field):
    limit = HEADER_LIMITS[field]
    segment = SegmentFactory(description="Spring mailing", subject="Hello")
    PersonFactory(name="Alice")
    segment_add_contacts(segment, criteria={}, user=marketer)
    before = rows(Segment, SegmentLine)

    response = marketer_client.post(
        f"/segments/{segment.pk}/header/",
        {
            "h-description": "Spring mailing",
            "h-unit_cost": "0",
            "h-unit_duration_minutes": "0",
            "h-push_to_lines": "on",
            f"h-{field}": too_long(limit),
        },
    )

    assert response.status_code == 400
    text = text_of(response)
    assert "The header was not saved: correct the fields marked below." in text and message(limit) in text
    assert rows(Segment, SegmentLine) == before


def test_the_worksheet_header_saves_text_of_exactly_the_maximum_length(marketer_client):
    response = marketer_client.post("/segments/new/", {"description": "ü" * 100, "subject": "é" * 200})
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert (segment.description, segment.subject) == ("ü" * 100, "é" * 200)


# --- the sales document form ------------------------------------------------------------------------------------


def document_form(contact_no: str, **overrides) -> dict:
    return sales_document_form(contact_no, **{"lines-TOTAL_FORMS": "1", **overrides})


@pytest.mark.parametrize("field, limit", [("your_reference", 60), ("lines-0-description", 200), ("contact_no", 20)])
def test_the_sales_document_form_refuses_over_long_text_on_create_and_edit(sales_client, field, limit):
    document = SalesDocumentFactory(kind="quote", your_reference="Old ref")
    SalesDocumentLineFactory(document=document, description="Old line")
    contact = CompanyFactory()
    before = rows(SalesDocument, SalesDocumentLine)

    created = sales_client.post("/documents/new/", document_form(contact.no) | {field: too_long(limit)})
    edited = sales_client.post(
        f"/documents/{document.pk}/edit/", document_form(document.contact.no) | {field: too_long(limit)}
    )

    for response in (created, edited):
        assert response.status_code == 200
        text = text_of(response)
        if field == "contact_no":  # looked up, never stored: an unknown number, said as such
            assert f"There is no contact with the number {too_long(limit).upper()}." in text
        else:
            assert message(limit) in text
    assert rows(SalesDocument, SalesDocumentLine) == before


def test_the_sales_document_form_saves_text_of_exactly_the_maximum_length(sales_client):
    contact = CompanyFactory()
    response = sales_client.post(
        "/documents/new/", document_form(contact.no, your_reference="ü" * 60, **{"lines-0-description": "é" * 200})
    )
    assert response.status_code == 302
    document = SalesDocument.objects.get()
    assert document.your_reference == "ü" * 60
    assert list(document.lines.values_list("description", flat=True)) == ["é" * 200]
