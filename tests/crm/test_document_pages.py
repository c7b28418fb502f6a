"""The sales document pages: list, detail, form, preview, print and e-mail, with their permissions."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import SalesDocument
from interactions.models import InteractionLogEntry
from tests.crm.forms import sales_document_form as form_data
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    InteractionTemplateSetupFactory,
    PersonFactory,
    SalesDocumentFactory,
    SalesDocumentLineFactory,
    SalespersonFactory,
)
from tests.pdf_helpers import needs_pdf

pytestmark = pytest.mark.django_db


def document_with_lines(kind="invoice", lines=2, **kwargs):
    document = SalesDocumentFactory(kind=kind, **kwargs)
    for index in range(lines):
        SalesDocumentLineFactory(
            document=document,
            description=f"Widget model {index + 1}",
            quantity=Decimal("2"),
            unit_price=Decimal("10.00"),
        )
    return document


def set_up_logging(event="sales_invoice"):
    return InteractionTemplateSetupFactory(event=event, template=InteractionTemplateFactory()).template


# --- list -------------------------------------------------------------------------------------------------------


def test_the_list_shows_documents_and_filters_by_type_contact_date_and_number(viewer_client):
    alpha = CompanyFactory(name="Alpha Logistics")
    quote = SalesDocumentFactory(kind="quote", contact=alpha, date=datetime.date(2026, 1, 10))
    invoice = SalesDocumentFactory(
        kind="invoice", contact=CompanyFactory(name="Beta Bakery"), date=datetime.date(2026, 3, 5)
    )

    everything = viewer_client.get("/documents/").content.decode()
    by_kind = viewer_client.get("/documents/", {"kind": "quote"}).content.decode()
    by_contact = viewer_client.get("/documents/", {"contact": alpha.no.lower()}).content.decode()
    march = {"date_after": "2026-03-01", "date_before": "2026-03-31"}
    by_date = viewer_client.get("/documents/", march).content.decode()
    by_no = viewer_client.get("/documents/", {"no": invoice.no[-3:]}).content.decode()

    assert quote.no in everything and invoice.no in everything
    assert quote.no in by_kind and invoice.no not in by_kind
    assert quote.no in by_contact and invoice.no not in by_contact
    assert invoice.no in by_date and quote.no not in by_date
    assert invoice.no in by_no


def test_bad_filters_show_a_message_and_no_rows(viewer_client):
    document = SalesDocumentFactory()
    bad_date = viewer_client.get("/documents/", {"date_after": "yesterday"}).content.decode()
    reversed_range = viewer_client.get("/documents/", {"date_after": "2026-03-01", "date_before": "2026-01-01"})
    unknown = viewer_client.get("/documents/", {"colour": "red"}).content.decode()

    assert "Enter a valid date." in bad_date and document.no not in bad_date
    assert "The end date is before the start date." in reversed_range.content.decode()
    assert "Unknown filter: colour." in unknown


def test_the_list_query_count_does_not_grow_with_rows(viewer_client):
    salesperson = SalespersonFactory()
    SalesDocumentFactory.create_batch(3, salesperson=salesperson, contact=PersonFactory())
    with CaptureQueriesContext(connection) as few:
        viewer_client.get("/documents/", {"sort": "no"})
    SalesDocumentFactory.create_batch(30, salesperson=salesperson, contact=PersonFactory())
    with CaptureQueriesContext(connection) as many:
        response = viewer_client.get("/documents/", {"sort": "no"})
    assert response.status_code == 200
    assert len(many) == len(few) <= 8


def test_a_user_without_a_role_gets_403_everywhere(stranger_client):
    document = document_with_lines()
    for url in [
        "/documents/",
        f"/documents/{document.pk}/",
        f"/documents/{document.pk}/pdf/",
        "/documents/new/",
        f"/documents/{document.pk}/edit/",
    ]:
        assert stranger_client.get(url).status_code == 403, url
    assert stranger_client.post(f"/documents/{document.pk}/print/").status_code == 403
    assert stranger_client.post(f"/documents/{document.pk}/email/").status_code == 403


# --- detail, preview, print, e-mail --------------------------------------------------------------------------------


def test_the_detail_page_shows_the_lines_totals_and_actions(sales_client):
    document = document_with_lines(vat_percent=Decimal("20"))
    response = sales_client.get(f"/documents/{document.pk}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Widget model 1" in text and "Widget model 2" in text
    assert "40.00" in text and "8.00" in text and "48.00" in text
    assert f'action="/documents/{document.pk}/print/"' in text and "Preview PDF" in text


def test_a_viewer_sees_the_detail_without_print_buttons(viewer_client):
    document = document_with_lines()
    text = viewer_client.get(f"/documents/{document.pk}/").content.decode()
    assert document.no in text and "/print/" not in text


@needs_pdf
def test_the_preview_is_an_inline_pdf_and_logs_nothing(viewer_client):
    set_up_logging()
    document = document_with_lines()

    response = viewer_client.get(f"/documents/{document.pk}/pdf/")

    document.refresh_from_db()
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response.content.startswith(b"%PDF")
    assert document.no_printed == 0 and InteractionLogEntry.objects.count() == 0


def test_the_preview_does_not_accept_post(sales_client):
    document = document_with_lines()
    assert sales_client.post(f"/documents/{document.pk}/pdf/").status_code == 405


@needs_pdf
def test_printing_downloads_the_pdf_and_logs_the_interaction(sales_client):
    set_up_logging("sales_quote")
    document = document_with_lines("quote")

    response = sales_client.post(f"/documents/{document.pk}/print/")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{document.no}-v1.pdf"'
    entry = InteractionLogEntry.objects.get()
    assert entry.document_no == document.no and entry.version_no == 1
    assert entry.document.read() == response.content
    assert entry.document.filename == f"{document.no}-v1.pdf"  # the stored copy has the downloaded name


def test_printing_needs_post(sales_client):
    document = document_with_lines()
    assert sales_client.get(f"/documents/{document.pk}/print/").status_code == 405
    document.refresh_from_db()
    assert document.no_printed == 0


def test_viewers_and_marketers_cannot_print_or_email(viewer_client, marketer_client):
    document = document_with_lines()
    for client in (viewer_client, marketer_client):
        assert client.post(f"/documents/{document.pk}/print/").status_code == 403
        assert client.post(f"/documents/{document.pk}/email/").status_code == 403
    document.refresh_from_db()
    assert document.no_printed == 0


@needs_pdf
def test_a_refused_print_returns_to_the_document_with_the_reason(sales_client):
    template = set_up_logging()
    InteractionTemplateLanguageFactory(template=template, language_code="de")
    document = document_with_lines()

    response = sales_client.post(f"/documents/{document.pk}/print/", follow=True)

    assert response.redirect_chain == [(f"/documents/{document.pk}/", 302)]
    assert "It is not allowed to have languages assigned" in response.content.decode()
    document.refresh_from_db()
    assert document.no_printed == 0 and InteractionLogEntry.objects.count() == 0


@needs_pdf
def test_emailing_sends_the_pdf_and_shows_a_confirmation(sales_client, django_capture_on_commit_callbacks):
    set_up_logging()
    document = document_with_lines(contact=CompanyFactory(email="buyer@customer.example"))

    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(f"/documents/{document.pk}/email/", follow=True)

    assert f"Invoice {document.no} was e-mailed to buyer@customer.example." in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments[0][2] == "application/pdf"
    assert InteractionLogEntry.objects.get().correspondence_type == "email"


def test_emailing_first_shows_the_recipient_subject_and_attachment_and_asks_to_confirm(sales_client):
    document = document_with_lines(contact=CompanyFactory(email="buyer@customer.example"))
    detail = sales_client.get(f"/documents/{document.pk}/").content.decode()
    assert f'href="/documents/{document.pk}/email/">E-mail to buyer@customer.example…</a>' in detail

    response = sales_client.get(f"/documents/{document.pk}/email/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<dt>To</dt><dd>buyer@customer.example</dd>" in page
    assert f"<dt>Subject</dt><dd>Invoice {document.no}</dd>" in page
    assert f"<dt>Attachment</dt><dd>{document.no}.pdf " in page
    assert f'<form method="post" action="/documents/{document.pk}/email/"' in page and "Send the e-mail" in page
    document.refresh_from_db()
    assert len(mail.outbox) == 0 and document.no_printed == 0 and InteractionLogEntry.objects.count() == 0


def test_the_confirmation_of_an_e_mail_to_a_contact_without_an_address_leads_back_with_the_error(sales_client):
    document = document_with_lines(contact=CompanyFactory(email=""))
    response = sales_client.get(f"/documents/{document.pk}/email/", follow=True)
    assert response.redirect_chain[-1][0] == f"/documents/{document.pk}/"
    assert "has no e-mail address" in response.content.decode()


def test_emailing_a_contact_without_an_address_shows_the_error(sales_client):
    document = document_with_lines(contact=CompanyFactory(email=""))
    response = sales_client.post(f"/documents/{document.pk}/email/", follow=True)
    assert "has no e-mail address" in response.content.decode()
    assert len(mail.outbox) == 0


# --- the form -------------------------------------------------------------------------------------------------------


def test_a_salesperson_creates_a_quote_with_lines(sales_client):
    contact = CompanyFactory()
    assert sales_client.get("/documents/new/").status_code == 200

    response = sales_client.post("/documents/new/", form_data(contact.no.lower()))

    document = SalesDocument.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/documents/{document.pk}/"
    assert document.kind == "quote" and document.contact == contact and document.your_reference == "RFQ 12"
    assert list(document.lines.values_list("description", "quantity", "unit_price")) == [
        ("Shelving unit", Decimal("3"), Decimal("289.00")),
        ("Delivery", Decimal("1"), Decimal("120.00")),
    ]


def test_bad_form_input_shows_clear_messages_and_saves_nothing(sales_client):
    unknown_contact = sales_client.post("/documents/new/", form_data("CT999999")).content.decode()
    no_lines = sales_client.post(
        "/documents/new/",
        form_data(
            CompanyFactory().no,
            **{
                "lines-0-description": "",
                "lines-0-quantity": "",
                "lines-0-unit_price": "",
                "lines-1-description": "",
                "lines-1-unit_price": "",
            },
        ),
    ).content.decode()
    bad_numbers = sales_client.post(
        "/documents/new/",
        form_data(
            CompanyFactory().no, **{"lines-0-quantity": "three", "lines-1-description": "", "due_date": "2026-01-01"}
        ),
    ).content.decode()

    assert "There is no contact with the number CT999999." in unknown_contact
    assert "Add at least one line with a description." in no_lines
    assert "Enter a number." in bad_numbers
    assert "A line with a quantity or price needs a description." in bad_numbers
    assert "The due date is before the document date." in bad_numbers
    assert SalesDocument.objects.count() == 0


def test_editing_a_document_replaces_its_lines(sales_client):
    document = document_with_lines("quote", lines=2)
    page = sales_client.get(f"/documents/{document.pk}/edit/").content.decode()
    assert "Widget model 1" in page and 'name="kind"' not in page

    response = sales_client.post(
        f"/documents/{document.pk}/edit/",
        form_data(
            document.contact.no,
            **{
                "lines-TOTAL_FORMS": "2",
                "lines-0-description": "Replacement",
                "lines-1-description": "",
                "lines-1-unit_price": "",
            },
        ),
    )

    assert response.status_code == 302
    document.refresh_from_db()
    assert document.kind == "quote" and document.your_reference == "RFQ 12"
    assert list(document.lines.values_list("description", flat=True)) == ["Replacement"]


def test_a_viewer_cannot_create_or_edit_documents(viewer_client):
    document = document_with_lines()
    assert viewer_client.post("/documents/new/", form_data(document.contact.no)).status_code == 403
    assert viewer_client.post(f"/documents/{document.pk}/edit/", form_data(document.contact.no)).status_code == 403
    assert SalesDocument.objects.count() == 1
