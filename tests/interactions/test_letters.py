import datetime

import pytest

from interactions.letters import (
    compiled_docx,
    contact_merge_values,
    entry_document_bytes,
    entry_merge_values,
    format_letter_date,
    resolve_correspondence_type,
    resolve_language,
    store_document,
    template_attachment,
)
from interactions.merge import KNOWN_FIELDS, LANGUAGE_KEY, iso_key
from tests.factories import (
    CompanyFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SalespersonFactory,
)
from tests.interactions.factories import docx_text, german_variant, html_template, word_template

pytestmark = pytest.mark.django_db


def test_merge_values_cover_every_known_field_as_text_with_the_language_and_iso_dates():
    person = PersonFactory(name="Ada Lovelace", salutation="Dear Ms Lovelace", company__name="Analytical Ltd")
    values = contact_merge_values(person, date=datetime.date(2025, 3, 12), description="Visit", entry_no=42)
    assert set(values) == set(KNOWN_FIELDS) | {LANGUAGE_KEY, iso_key("interaction.date"), iso_key("today")}
    assert values[iso_key("interaction.date")] == "2025-03-12"
    assert values[LANGUAGE_KEY] == person.language_code
    assert all(isinstance(value, str) for value in values.values())
    assert values["contact.name"] == "Ada Lovelace"
    assert values["company.name"] == "Analytical Ltd"
    assert values["contact.salutation"] == "Dear Ms Lovelace"
    assert values["interaction.date"] == "12 March 2025"
    assert values["interaction.entry_no"] == "42"
    assert values["interaction.subject"] == "Visit"


def test_an_entrys_merge_values_come_from_the_entrys_own_fields():
    seller = SalespersonFactory(code="OS", name="Own Seller")
    entry = InteractionLogEntryFactory(
        date=datetime.date(2025, 3, 12),
        description="Visit",
        subject="Our visit",
        salesperson=seller,
        segment_no="SEG00007",
        language_code="de",
    )
    values = entry_merge_values(entry, entry_no=entry.pk, personal_note="See you", segment_description="Spring")
    assert values["contact.name"] == entry.contact.name and values["salesperson.name"] == "Own Seller"
    assert values["interaction.date"] == "12. März 2025"  # in the entry's language
    assert (values["interaction.description"], values["interaction.subject"]) == ("Visit", "Our visit")
    assert (values["segment.no"], values["segment.description"]) == ("SEG00007", "Spring")
    assert (values["interaction.entry_no"], values["personal_note"]) == (str(entry.pk), "See you")


def test_the_address_block_has_one_line_per_row_and_a_company_is_its_own_company():
    company = CompanyFactory(name="Analytical Ltd", address="1 Engine Way", post_code="10115", city="Berlin")
    values = contact_merge_values(company)
    assert values["contact.address_block"] == "Analytical Ltd\n1 Engine Way\n10115 Berlin\nDE"
    assert values["company.address_block"] == values["contact.address_block"]


def test_the_salesperson_defaults_to_the_contacts_and_can_be_given():
    own, other = SalespersonFactory(name="Own Seller"), SalespersonFactory(name="Other Seller")
    person = PersonFactory(salesperson=own)
    assert contact_merge_values(person)["salesperson.name"] == "Own Seller"
    assert contact_merge_values(person, salesperson=other)["salesperson.name"] == "Other Seller"


def test_a_missing_salutation_gets_a_polite_default_in_the_contacts_language():
    assert contact_merge_values(CompanyFactory(salutation=""))["contact.salutation"] == "Dear Sir or Madam"
    german = CompanyFactory(salutation="", language_code="de")
    assert contact_merge_values(german)["contact.salutation"] == "Sehr geehrte Damen und Herren"
    assert format_letter_date(datetime.date(2025, 3, 12), "de") == "12. März 2025"


@pytest.mark.parametrize(
    "segment_type, segment_ignores, template_type, template_ignores, contact_type, expected",
    [
        ("hard_copy", True, "email", True, "email", "hard_copy"),  # 1. the segment ignores the contact
        ("", True, "email", False, "hard_copy", "hard_copy"),  # 1. needs a segment default, else go on
        ("", False, "email", True, "hard_copy", "email"),  # 2. the template ignores the contact
        ("", False, "email", False, "", "email"),  # 2. the contact has none, the template has one
        ("", False, "email", False, "hard_copy", "hard_copy"),  # 3. the contact's own
        ("", False, "", False, "", ""),  # 4. nothing: the previous (blank) value
        ("email", False, "", False, "", "email"),  # 4. on a segment line the previous value is the header's
    ],
)
def test_a_segment_lines_correspondence_type_follows_the_reference(
    segment_type, segment_ignores, template_type, template_ignores, contact_type, expected
):
    rules = dict(
        segment_type=segment_type,
        segment_ignores_contact=segment_ignores,
        template_type=template_type,
        template_ignores_contact=template_ignores,
        contact_type=contact_type,
    )
    assert resolve_correspondence_type(**rules, has_letter=True) == expected
    assert resolve_correspondence_type(**rules, has_letter=True, line_type="hard_copy") == "hard_copy"
    assert resolve_correspondence_type(**rules, has_letter=False) == ""
    assert resolve_correspondence_type(**rules, has_letter=False, line_type="email") == ""


@pytest.mark.parametrize("template_type", ["", "email", "hard_copy"])
def test_a_single_interaction_takes_the_templates_type_and_blank_without_a_letter(template_type):
    assert resolve_correspondence_type(template_type=template_type, has_letter=True) == template_type
    assert resolve_correspondence_type(template_type=template_type, has_letter=False) == ""


def test_the_language_is_the_contacts_when_the_template_has_it_else_the_default():
    template = InteractionTemplateFactory(language_code="en")
    InteractionTemplateLanguageFactory(template=template, language_code="de")
    assert resolve_language(template, "de") == "de"
    assert resolve_language(template, "fr") == "en"
    assert resolve_language(template, "") == "en"


def test_the_attachment_comes_from_the_language_variant_else_the_template():
    template = word_template("WELCOME")
    german_variant(template, "Sehr geehrte Damen und Herren")
    english, kind = template_attachment(template, "en")
    german, _ = template_attachment(template, "de")
    fallback, _ = template_attachment(template, "fr")
    assert kind == "docx"
    assert "Sehr geehrte" in docx_text(german.read())
    assert english.sha256 == fallback.sha256 != german.sha256


def test_a_template_without_attachment_has_no_letter():
    assert template_attachment(InteractionTemplateFactory(), "en") == (None, "")


def test_an_html_template_is_an_html_snapshot():
    snapshot, kind = template_attachment(html_template(), "en")
    assert kind == "html" and snapshot.content_type.startswith("text/html")


def test_snapshots_are_stored_once_by_content():
    template = word_template()
    first, _ = template_attachment(template, "en")
    second, _ = template_attachment(template, "en")
    assert first.pk == second.pk
    assert (
        store_document(b"same", filename="a.txt", content_type="text/plain").pk
        == store_document(b"same", filename="b.txt", content_type="text/plain").pk
    )


def test_the_compiled_template_is_cached_per_content():
    snapshot, _ = template_attachment(word_template(), "en")
    assert compiled_docx(snapshot) is compiled_docx(snapshot)


def test_an_entry_letter_is_rerendered_byte_for_byte_from_its_snapshot_and_values():
    person = PersonFactory(name="Ada Lovelace")
    snapshot, _ = template_attachment(word_template(), "en")
    values = contact_merge_values(person, personal_note="See you in March")
    entry = InteractionLogEntryFactory(contact=person, merge_template=snapshot, merge_values=values)
    first = entry_document_bytes(entry)
    second = entry_document_bytes(type(entry).objects.get(pk=entry.pk))
    assert first == second
    data, filename, content_type = first
    assert filename.endswith("Ada Lovelace.docx")
    assert content_type.endswith("wordprocessingml.document")
    assert "See you in March" in docx_text(data)


def test_an_entry_with_stored_bytes_returns_them_and_one_without_returns_none():
    pdf = store_document(b"%PDF-1.7 printed", filename="SI-000001.pdf", content_type="application/pdf")
    assert entry_document_bytes(InteractionLogEntryFactory(document=pdf)) == (
        b"%PDF-1.7 printed",
        "SI-000001.pdf",
        "application/pdf",
    )
    assert entry_document_bytes(InteractionLogEntryFactory()) is None
