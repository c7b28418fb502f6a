"""Cover sheets (reference 2.14 and 2.12; scenario 78; docs/BEHAVIOUR.md §10): a one-page PDF per contact with our
letterhead, the contact's address block and a free text, each contact logged with the "Cover sheets" setup
template, document type cover sheet and a blank document number. Each test: given … / when … / then …."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from crm.cover_sheets import COVER_SHEET_TEXT_MAX_LENGTH, TEXT_TOO_LONG_FOR_THE_PAGE
from crm.models import AuditEvent
from interactions.letters import entry_document_bytes
from interactions.models import InteractionLogEntry
from interactions.services import COVER_SHEET_NOT_SHOWN, cover_sheet_print, cover_sheets_log
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    InteractionTemplateSetupFactory,
    PersonFactory,
    SalespersonFactory,
)
from tests.pdf_helpers import needs_pdf, pdf_pages, pdf_text

pytestmark = [pytest.mark.django_db, needs_pdf]


def cover_sheet_setup(**fields):
    defaults = {"code": "COVERSH", "description": "Cover sheet sent", "unit_cost": Decimal("0.80")}
    template = InteractionTemplateFactory(**{**defaults, **fields})
    InteractionTemplateSetupFactory(event="cover_sheet", template=template)
    return template


def test_scenario_78_given_a_cover_sheet_setup_when_a_cover_sheet_is_printed_then_one_entry_with_blank_document_no(
    salesperson_user, settings
):
    settings.COMPANY_NAME = "Northwind Traders Ltd"
    template = cover_sheet_setup()
    person = PersonFactory(name="Anna Weber", address="Hauptstrasse 5", post_code="10115", city="Berlin")

    pdf, logged = cover_sheet_print(person, text="The signed contract is enclosed.", user=salesperson_user)

    assert logged == 1 and pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    for words in (
        "Northwind Traders Ltd",
        "Cover sheet",
        person.company.name,
        "Anna Weber",
        "Hauptstrasse 5",
        "10115 Berlin",
        "The signed contract is enclosed.",
        person.no,
    ):
        assert words in text
    entry = InteractionLogEntry.objects.get()
    assert (entry.contact, entry.contact_company) == (person, person.company)
    assert (entry.document_type, entry.document_no, entry.version_no) == ("cover_sheet", "", 0)
    assert (entry.template, entry.group, entry.cost) == (template, template.group, Decimal("0.80"))
    assert entry.description == "Cover sheet sent" and entry.correspondence_type == "hard_copy"
    assert entry.user == salesperson_user and not entry.has_document
    assert AuditEvent.objects.get().details["document_type"] == "cover_sheet"


def test_given_no_cover_sheet_setup_when_printed_then_the_pdf_is_made_and_nothing_is_logged(salesperson_user):
    pdf, logged = cover_sheet_print(CompanyFactory(), text="", user=salesperson_user)
    assert logged == 0 and pdf.startswith(b"%PDF")
    assert InteractionLogEntry.objects.count() == 0


def test_scenario_80_given_a_printed_cover_sheet_entry_when_its_document_is_opened_then_it_cannot_be_shown(
    salesperson_user,
):
    cover_sheet_setup()
    cover_sheet_print(CompanyFactory(), text="Hello", user=salesperson_user)
    entry = InteractionLogEntry.objects.get()
    assert entry_document_bytes(entry) is None
    assert COVER_SHEET_NOT_SHOWN == "It is not possible to show cover sheets after they have been printed."


def test_given_contact_data_with_markup_when_printed_then_it_is_text_not_html(salesperson_user):
    company = CompanyFactory(name="<b>Bold & Co</b>")
    pdf, _ = cover_sheet_print(company, text="<script>x</script> & more", user=salesperson_user)
    text = pdf_text(pdf)
    assert "<b>Bold & Co</b>" in text and "<script>x</script> & more" in text


def test_given_the_user_has_a_salesperson_when_printed_then_the_sheet_is_from_them_and_the_entry_theirs(
    salesperson_user,
):
    cover_sheet_setup()
    own = SalespersonFactory(user=salesperson_user, name="Jane Seller", email="jane@northwind.example")
    contact = PersonFactory(salesperson=SalespersonFactory())
    pdf, _ = cover_sheet_print(contact, text="", user=salesperson_user)
    assert "Jane Seller" in pdf_text(pdf) and "jane@northwind.example" in pdf_text(pdf)
    assert InteractionLogEntry.objects.get().salesperson == own


def test_given_a_privacy_blocked_contact_when_a_cover_sheet_is_printed_then_it_is_refused(salesperson_user):
    cover_sheet_setup()
    with pytest.raises(ValidationError, match="blocked due to privacy"):
        cover_sheet_print(PersonFactory(privacy_blocked=True), text="", user=salesperson_user)
    assert InteractionLogEntry.objects.count() == 0


def test_given_a_text_longer_than_a_page_when_printed_then_it_is_refused(salesperson_user):
    cover_sheet_setup()
    with pytest.raises(ValidationError) as raised:
        cover_sheet_print(CompanyFactory(), text="x" * (COVER_SHEET_TEXT_MAX_LENGTH + 1), user=salesperson_user)
    assert "at most 2,000 characters" in raised.value.message_dict["text"][0]
    assert InteractionLogEntry.objects.count() == 0


def test_given_a_setup_template_with_a_language_when_printed_then_it_is_refused_with_the_reference_message(
    salesperson_user,
):
    template = cover_sheet_setup()
    InteractionTemplateLanguageFactory(template=template, language_code="de")
    with pytest.raises(ValidationError, match="It is not allowed to have languages assigned to templates used"):
        cover_sheet_print(CompanyFactory(), text="", user=salesperson_user)
    assert InteractionLogEntry.objects.count() == 0


def test_given_many_contacts_when_logged_then_one_bulk_insert_per_chunk_and_one_audit_event(
    salesperson_user, django_assert_max_num_queries
):
    cover_sheet_setup()
    contacts = [PersonFactory() for _ in range(5)] + [CompanyFactory() for _ in range(3)]
    ids = [contact.pk for contact in contacts]
    # setup, languages, salesperson, savepoint, lock, one INSERT, the statistics' daily totals, audit, release
    with django_assert_max_num_queries(9):
        assert cover_sheets_log(ids, user=salesperson_user) == 8
    entries = InteractionLogEntry.objects.order_by("pk")
    assert [entry.contact_id for entry in entries] == ids
    assert {entry.contact_company_id for entry in entries} == {c.company_or_self.pk for c in contacts}
    assert AuditEvent.objects.get().count == 8


def test_given_one_privacy_blocked_contact_among_many_when_logged_then_nothing_is_logged(salesperson_user):
    cover_sheet_setup()
    contacts = [PersonFactory(), PersonFactory(privacy_blocked=True, name="Blocked Person"), PersonFactory()]
    with pytest.raises(ValidationError, match="Blocked Person"):
        cover_sheets_log([contact.pk for contact in contacts], user=salesperson_user)
    assert InteractionLogEntry.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_given_a_text_of_many_short_lines_when_printed_then_it_is_refused_for_not_fitting_the_page(salesperson_user):
    cover_sheet_setup()
    with pytest.raises(ValidationError) as raised:
        cover_sheet_print(CompanyFactory(), text="\n".join(["Item"] * 40), user=salesperson_user)
    assert raised.value.message_dict == {"text": [TEXT_TOO_LONG_FOR_THE_PAGE]}
    assert InteractionLogEntry.objects.count() == 0
