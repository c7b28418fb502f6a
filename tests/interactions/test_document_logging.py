"""log_printed_document: how a printed or e-mailed sales document becomes an interaction (reference 2.14)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.models import SalesDocument
from crm.signals import document_printed
from interactions.models import InteractionLogEntry, StoredDocument
from interactions.services import log_printed_document
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    InteractionTemplateSetupFactory,
    PersonFactory,
    SalesDocumentFactory,
    SalespersonFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7 a printed document"


def quote_setup(**template_fields):
    template = InteractionTemplateFactory(code="S-QUOTE", **template_fields)
    InteractionTemplateSetupFactory(event="sales_quote", template=template)
    return template


def test_without_a_setup_row_nothing_is_logged(salesperson_user):
    document = SalesDocumentFactory(kind="quote")
    assert log_printed_document(document=document, user=salesperson_user, pdf=PDF, version_no=1) is None
    assert InteractionLogEntry.objects.count() == 0 and StoredDocument.objects.count() == 0


def test_a_setup_row_for_another_kind_does_not_log_this_one(salesperson_user):
    quote_setup()
    invoice = SalesDocumentFactory(kind="invoice")
    assert log_printed_document(document=invoice, user=salesperson_user, pdf=PDF, version_no=0) is None


def test_the_entry_takes_its_values_from_the_template_and_the_document(salesperson_user):
    salesperson = SalespersonFactory()
    template = quote_setup(
        description="Quote sent",
        unit_cost=Decimal("3.10"),
        unit_duration_minutes=7,
        information_flow="outbound",
        initiated_by="us",
        language_code="en",
    )
    company = CompanyFactory()
    document = SalesDocumentFactory(kind="quote", contact=company, salesperson=salesperson)
    before = timezone.localtime()

    entry = log_printed_document(document=document, user=salesperson_user, pdf=PDF, version_no=4)

    assert entry == InteractionLogEntry.objects.get()
    assert (entry.contact, entry.contact_company) == (company, company)
    assert (entry.document_type, entry.document_no, entry.version_no) == ("sales_quote", document.no, 4)
    assert (entry.template, entry.group) == (template, template.group)
    assert (entry.cost, entry.duration_minutes) == (Decimal("3.10"), 7)
    assert (entry.information_flow, entry.initiated_by, entry.language_code) == ("outbound", "us", "en")
    assert entry.description == "Quote sent" and entry.subject == ""
    assert entry.correspondence_type == "hard_copy" and entry.delivery_status == ""
    assert entry.salesperson == salesperson and entry.user == salesperson_user
    assert entry.date == before.date()
    assert entry.time is not None and entry.time.microsecond == 0
    assert entry.document.read() == PDF and entry.document.content_type == "application/pdf"
    assert entry.document.filename == f"{document.no}-v4.pdf"


def test_without_a_template_description_the_entry_is_described_by_kind_and_number(salesperson_user):
    quote_setup(description="")
    document = SalesDocumentFactory(kind="quote")
    entry = log_printed_document(document=document, user=salesperson_user, pdf=PDF, version_no=1)
    assert entry.description == f"Quote {document.no}"


def test_a_person_is_logged_against_itself_with_its_company_and_its_salesperson(salesperson_user):
    salesperson = SalespersonFactory()
    person = PersonFactory(salesperson=salesperson)
    quote_setup()
    document = SalesDocumentFactory(kind="quote", contact=person, salesperson=None)

    entry = log_printed_document(document=document, user=salesperson_user, pdf=PDF, version_no=1)

    assert (entry.contact, entry.contact_company, entry.salesperson) == (person, person.company, salesperson)


def test_emailing_logs_with_correspondence_type_email_and_a_subject(salesperson_user):
    quote_setup()
    document = SalesDocumentFactory(kind="quote")
    entry = log_printed_document(document=document, user=salesperson_user, pdf=PDF, version_no=2, emailed=True)
    assert entry.correspondence_type == "email"
    assert entry.subject == f"Quote {document.no}"


def test_a_template_with_a_language_variant_is_refused_with_the_reference_message(salesperson_user):
    template = quote_setup()
    InteractionTemplateLanguageFactory(template=template, language_code="fr")

    with pytest.raises(ValidationError) as refused:
        log_printed_document(document=SalesDocumentFactory(kind="quote"), user=salesperson_user, pdf=PDF, version_no=1)

    assert refused.value.messages == [
        "Interaction Template S-QUOTE has assigned Interaction Template Language fr. It is not allowed to have "
        "languages assigned to templates used for system document logging."
    ]
    assert InteractionLogEntry.objects.count() == 0 and StoredDocument.objects.count() == 0


def test_the_same_pdf_logged_twice_is_stored_once(salesperson_user):
    quote_setup()
    document = SalesDocumentFactory(kind="quote")
    first = log_printed_document(document=document, user=salesperson_user, pdf=PDF, version_no=1)
    second = log_printed_document(document=document, user=salesperson_user, pdf=PDF, version_no=1)
    assert first.pk != second.pk and first.document_id == second.document_id
    assert StoredDocument.objects.count() == 1


def test_the_receiver_logs_when_crm_sends_document_printed(salesperson_user):
    quote_setup()
    document = SalesDocumentFactory(kind="quote")

    responses = document_printed.send(
        sender=SalesDocument, document=document, user=salesperson_user, pdf=PDF, version_no=1, emailed=False
    )

    entry = InteractionLogEntry.objects.get()
    assert [response for _receiver, response in responses] == [entry]
