"""An entry's stored letter previewed as a PDF in the browser, and a template's "attach as PDF" for e-mail letters.

The tests that convert need LibreOffice (scripts/test.sh installs it as root) and are skipped where it is missing.
"""

import pytest
from django.core import mail

from interactions import letter_pdf
from interactions.letters import DOCX_CONTENT_TYPE
from interactions.models import InteractionLogEntry, InteractionTemplate
from interactions.sending import entries_deliver, entry_deliver
from interactions.storage import store_document
from tests.factories import InteractionGroupFactory, InteractionLogEntryFactory, PersonFactory
from tests.interactions.factories import (
    docx_text,
    html_template,
    letter_docx,
    letter_entry,
    letter_recipient,
    word_template,
)
from tests.interactions.test_letter_pdf import needs_libreoffice, pdf_text, with_broken_content_types
from tests.pdf_helpers import assert_no_pdf_preview

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return letter_recipient()


def email_entry(person, template) -> InteractionLogEntry:
    return letter_entry(person, template, correspondence_type="email", delivery_status="in_progress", subject="Welcome")


# --- the entry's preview ----------------------------------------------------------------------------------------


@needs_libreoffice
def test_an_entrys_word_letter_previews_as_a_pdf_shown_in_the_browser(viewer_client, person):
    entry = letter_entry(person, word_template())
    page = viewer_client.get(f"/interactions/{entry.pk}/").content.decode()
    assert f'href="/interactions/{entry.pk}/document/preview/"' in page

    response = viewer_client.get(f"/interactions/{entry.pk}/document/preview/")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="Analytical Ltd - Ada Lovelace.pdf"'
    text = pdf_text(response.content)
    assert "Dear Ms Lovelace," in text and "Hope to see you soon" in text


def test_a_printed_pdf_previews_as_it_is(viewer_client, person):
    printed = store_document(b"%PDF-1.4 an invoice", filename="INV-1.pdf", content_type="application/pdf")
    entry = InteractionLogEntryFactory(contact=person, document=printed)

    response = viewer_client.get(f"/interactions/{entry.pk}/document/preview/")

    assert response.content == b"%PDF-1.4 an invoice"
    assert response["Content-Disposition"] == 'inline; filename="INV-1.pdf"'


def test_an_html_email_body_has_no_pdf_preview(viewer_client, person):
    entry = letter_entry(person, html_template())
    assert "document/preview/" not in viewer_client.get(f"/interactions/{entry.pk}/").content.decode()
    assert viewer_client.get(f"/interactions/{entry.pk}/document/preview/").status_code == 404


def test_the_preview_is_refused_to_someone_who_may_not_see_entries(stranger_client, person):
    entry = letter_entry(person, word_template())
    assert stranger_client.get(f"/interactions/{entry.pk}/document/preview/").status_code == 403


def test_without_libreoffice_the_entry_offers_its_letter_as_docx_and_says_why_there_is_no_preview(
    no_libreoffice, viewer_client, person
):
    entry = letter_entry(person, word_template())
    page = f"/interactions/{entry.pk}/"
    assert_no_pdf_preview(viewer_client, page=page, docx=f"{page}document/", preview=f"{page}document/preview/")


# --- attach as PDF ----------------------------------------------------------------------------------------------


def test_new_templates_attach_letters_as_pdf():
    template = InteractionTemplate.objects.create(code="NEW", group=InteractionGroupFactory())
    assert template.attach_as_pdf is True


@needs_libreoffice
def test_a_template_that_attaches_as_pdf_emails_the_word_letter_as_a_pdf(person):
    entry = email_entry(person, word_template(correspondence_type="email", attach_as_pdf=True))

    assert entry_deliver(entry) is True

    (message,) = mail.outbox
    ((filename, data, content_type),) = message.attachments
    assert (filename, content_type) == ("Analytical Ltd - Ada Lovelace.pdf", "application/pdf")
    assert "Dear Ms Lovelace," in pdf_text(data) and "Hope to see you soon" in pdf_text(data)


@needs_libreoffice
def test_e_mail_letters_sent_together_are_converted_as_one_batch_each_into_its_own_pdf(monkeypatch):
    template = word_template(correspondence_type="email", attach_as_pdf=True)
    readers = [
        PersonFactory(name=f"Reader {n}", email=f"reader{n}@example.com", salutation=f"Dear Reader {n}")
        for n in range(3)
    ]
    entries = [email_entry(reader, template) for reader in readers]

    def one_at_a_time(docx):
        raise AssertionError("converted on its own")

    monkeypatch.setattr(letter_pdf, "docx_to_pdf", one_at_a_time)
    assert entries_deliver([entry.pk for entry in entries]) == 3

    for reader in readers:
        (message,) = [message for message in mail.outbox if reader.email in message.to[0]]
        ((filename, data, content_type),) = message.attachments
        assert filename.endswith(f"{reader.name}.pdf") and content_type == "application/pdf"
        text = pdf_text(data)
        assert f"{reader.salutation}," in text
        assert not any(other.salutation in text for other in readers if other != reader)


def test_a_template_without_attach_as_pdf_emails_the_docx(person):
    entry = email_entry(person, word_template(correspondence_type="email", attach_as_pdf=False))

    assert entry_deliver(entry) is True

    ((filename, data, _content_type),) = mail.outbox[0].attachments
    assert filename == "Analytical Ltd - Ada Lovelace.docx" and "Hope to see you soon" in docx_text(data)


def test_without_libreoffice_a_template_that_attaches_as_pdf_emails_the_docx_and_nothing_fails(no_libreoffice, person):
    entry = email_entry(person, word_template(correspondence_type="email", attach_as_pdf=True))

    assert entry_deliver(entry) is True

    entry.refresh_from_db()
    assert entry.delivery_status == "" and entry.delivery_error == ""
    ((filename, _data, _content_type),) = mail.outbox[0].attachments
    assert filename == "Analytical Ltd - Ada Lovelace.docx"


@needs_libreoffice
def test_a_letter_that_cannot_be_converted_is_a_delivery_error_with_the_reason_and_nothing_is_sent(person):
    template = word_template(correspondence_type="email", attach_as_pdf=True)
    entry = email_entry(person, template)
    broken = with_broken_content_types(letter_docx("{{ contact.salutation }},"))
    entry.merge_template = store_document(broken, filename="broken.docx", content_type=DOCX_CONTENT_TYPE)
    entry.save(update_fields=["merge_template"])

    assert entry_deliver(entry) is False

    entry.refresh_from_db()
    assert entry.delivery_status == "error"
    assert entry.delivery_error.startswith("The letter could not be converted to PDF")
    assert mail.outbox == []
