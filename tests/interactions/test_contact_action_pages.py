"""The contact's Call, E-mail and Cover sheet pages and the worksheet's Print cover sheets page (docs/BEHAVIOUR.md
§10): who may use them, what they log, and the clear error (nothing logged) on bad input."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from interactions.models import InteractionLogEntry, StoredDocument
from interactions.services import COVER_SHEET_NOT_SHOWN, cover_sheets_log
from interactions.services.calls import CALL_SETUP_MISSING, PHONE_NUMBER_MISSING
from interactions.services.emails import EMAIL_SETUP_MISSING
from segments.services import segment_add_contacts
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    InteractionTemplateSetupFactory,
    PersonFactory,
    SegmentFactory,
)
from tests.pdf_helpers import needs_pdf, pdf_pages

pytestmark = pytest.mark.django_db


def setup(event, code, **fields):
    template = InteractionTemplateFactory(code=code, description=fields.pop("description", code.title()), **fields)
    InteractionTemplateSetupFactory(event=event, template=template)
    return template


@pytest.fixture
def person():
    return PersonFactory(name="Anna Weber", phone="+49 30 555 1234", mobile="+49 171 555 0000", email="anna@x.example")


def call_url(contact):
    return f"/interactions/contacts/{contact.pk}/call/"


def email_url(contact):
    return f"/interactions/contacts/{contact.pk}/email/"


def cover_url(contact):
    return f"/interactions/contacts/{contact.pk}/cover-sheet/"


# --- who may -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [call_url, email_url, cover_url])
def test_a_viewer_gets_403_on_each_action_page_and_its_post_and_nothing_is_logged(viewer_client, person, url):
    assert viewer_client.get(url(person)).status_code == 403
    assert viewer_client.post(url(person), {"subject": "x", "to": person.email}).status_code == 403
    assert InteractionLogEntry.objects.count() == 0


def test_a_viewer_gets_403_on_a_worksheets_cover_sheets(viewer_client, marketer):
    segment = SegmentFactory()
    assert viewer_client.get(f"/segments/{segment.pk}/cover-sheets/").status_code == 403
    assert viewer_client.post(f"/segments/{segment.pk}/cover-sheets/").status_code == 403


def test_the_contact_page_offers_the_actions_to_sales_and_a_tel_link(sales_client, person):
    page = sales_client.get(person.get_absolute_url()).content.decode()
    for url in (call_url(person), email_url(person), cover_url(person)):
        assert f'href="{url}"' in page
    assert 'href="tel:+49%2030%20555%201234"' in page


def test_the_contact_page_offers_no_call_without_a_number_and_no_actions_to_a_viewer(sales_client, viewer_client):
    contact = CompanyFactory(phone="", mobile="")
    assert call_url(contact) not in sales_client.get(contact.get_absolute_url()).content.decode()
    page = viewer_client.get(contact.get_absolute_url()).content.decode()
    assert email_url(contact) not in page and cover_url(contact) not in page


# --- call ----------------------------------------------------------------------------------------------------------


def test_sales_logs_a_call_from_the_form_prefilled_from_the_template(sales_client, person):
    setup("phone_call", "CALL", description="Phone call", unit_duration_minutes=5, correspondence_type="")
    page = sales_client.get(call_url(person)).content.decode()
    assert 'value="Phone call"' in page and 'href="tel:+49%20171%20555%200000"' in page

    response = sales_client.post(
        call_url(person),
        {
            "phone_no": "+49 171 555 0000",
            "description": "Phone call",
            "duration_minutes": "9",
            "outcome": "failed",
            "evaluation": "neutral",
        },
    )

    assert response.status_code == 302 and response["Location"] == person.get_absolute_url()
    entry = InteractionLogEntry.objects.get()
    assert (entry.template.code, entry.duration_minutes, entry.attempt_failed, entry.evaluation) == (
        "CALL",
        9,
        True,
        "neutral",
    )


def test_the_call_page_says_the_setup_is_missing_and_a_post_logs_nothing(sales_client, person):
    assert CALL_SETUP_MISSING in sales_client.get(call_url(person)).content.decode()
    response = sales_client.post(call_url(person), {"description": "Call", "outcome": "successful"})
    assert response.status_code == 200 and CALL_SETUP_MISSING in response.content.decode()
    assert InteractionLogEntry.objects.count() == 0


def test_the_call_page_of_a_contact_without_a_number_says_to_fill_it_in(sales_client):
    setup("phone_call", "CALL", correspondence_type="")
    contact = CompanyFactory(phone="", mobile="")
    assert PHONE_NUMBER_MISSING in sales_client.get(call_url(contact)).content.decode()
    response = sales_client.post(call_url(contact), {"description": "Call", "outcome": "successful"})
    assert PHONE_NUMBER_MISSING in response.content.decode() and InteractionLogEntry.objects.count() == 0


# --- e-mail --------------------------------------------------------------------------------------------------------


def test_sales_writes_an_email_with_an_attachment_and_it_is_logged_and_sent(
    sales_client, person, django_capture_on_commit_callbacks
):
    setup("email", "EMAIL")
    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(
            email_url(person),
            {
                "to": person.email,
                "subject": "Samples",
                "body": "See attached.",
                "attachment": SimpleUploadedFile("list.csv", b"a;b\n1;2\n", content_type="text/csv"),
            },
        )
    assert response.status_code == 302
    entry = InteractionLogEntry.objects.get()
    assert entry.delivery_status == "" and mail.outbox[0].subject == "Samples"
    download = sales_client.get(f"/interactions/{entry.pk}/document/")
    assert download["Content-Type"] == "message/rfc822" and b"Subject: Samples" in download.content


def test_the_email_page_refuses_a_missing_subject_with_the_reference_wording(sales_client, person):
    setup("email", "EMAIL")
    response = sales_client.post(email_url(person), {"to": person.email, "subject": "", "body": "Hi"})
    assert response.status_code == 200 and "You must fill in the Subject field." in response.content.decode()
    assert InteractionLogEntry.objects.count() == 0 and StoredDocument.objects.count() == 0 and mail.outbox == []


def test_the_email_page_refuses_an_oversized_attachment(sales_client, person, settings):
    setup("email", "EMAIL")
    settings.MAX_TEMPLATE_BYTES = 1024 * 1024
    big = SimpleUploadedFile("scan.pdf", b"x" * (2 * 1024 * 1024), content_type="application/pdf")
    response = sales_client.post(email_url(person), {"to": person.email, "subject": "Scan", "attachment": big})
    assert "The file is too large (the limit is 1 MB)." in response.content.decode()
    assert InteractionLogEntry.objects.count() == 0 and StoredDocument.objects.count() == 0 and mail.outbox == []


def test_the_email_page_says_the_setup_is_missing(sales_client, person):
    assert EMAIL_SETUP_MISSING in sales_client.get(email_url(person)).content.decode()
    response = sales_client.post(email_url(person), {"to": person.email, "subject": "Hi"})
    assert EMAIL_SETUP_MISSING in response.content.decode() and InteractionLogEntry.objects.count() == 0


# --- cover sheets --------------------------------------------------------------------------------------------------


@needs_pdf
def test_printing_a_contacts_cover_sheet_downloads_the_pdf_and_logs_it(sales_client, person):
    setup("cover_sheet", "COVER")
    response = sales_client.post(cover_url(person), {"text": "Contract enclosed."})
    assert response["Content-Type"] == "application/pdf" and pdf_pages(response.content) == 1
    assert f"Cover sheet {person.no}.pdf" in response["Content-Disposition"]
    assert InteractionLogEntry.objects.get().document_type == "cover_sheet"


def test_the_cover_sheet_page_refuses_a_text_too_long_for_the_page(sales_client, person):
    setup("cover_sheet", "COVER")
    response = sales_client.post(cover_url(person), {"text": "x" * 2001})
    assert response.status_code == 200 and "at most 2,000 characters" in response.content.decode()
    assert InteractionLogEntry.objects.count() == 0


def test_opening_a_cover_sheet_entrys_document_says_it_cannot_be_shown(sales_client, person, salesperson_user):
    setup("cover_sheet", "COVER")
    cover_sheets_log([person.pk], user=salesperson_user)
    entry = InteractionLogEntry.objects.get()
    response = sales_client.get(f"/interactions/{entry.pk}/document/", follow=True)
    assert response.redirect_chain[-1][0] == f"/interactions/{entry.pk}/"
    assert COVER_SHEET_NOT_SHOWN in response.content.decode()


@needs_pdf
def test_a_marketer_prints_a_worksheets_cover_sheets_as_one_pdf(marketer_client, marketer):
    setup("cover_sheet", "COVER")
    segment = SegmentFactory()
    acme = CompanyFactory(city="Kiel")
    PersonFactory(company=acme, city="Kiel")
    segment_add_contacts(segment, criteria={"city": "Kiel"}, user=marketer)
    assert f"/segments/{segment.pk}/cover-sheets/" in marketer_client.get(f"/segments/{segment.pk}/").content.decode()

    response = marketer_client.post(f"/segments/{segment.pk}/cover-sheets/", {"text": "Hello"})

    assert response["Content-Type"] == "application/pdf" and pdf_pages(response.content) == 2
    assert InteractionLogEntry.objects.filter(document_type="cover_sheet").count() == 2


def test_a_big_worksheets_cover_sheets_go_to_the_letters_card(marketer_client, marketer, settings):
    setup("cover_sheet", "COVER")
    settings.SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES = 1
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    segment = SegmentFactory()
    CompanyFactory(city="Kiel"), CompanyFactory(city="Kiel")
    segment_add_contacts(segment, criteria={"city": "Kiel"}, user=marketer)

    response = marketer_client.post(f"/segments/{segment.pk}/cover-sheets/", {"text": "Hello"}, follow=True)

    assert response.redirect_chain[-1][0] == f"/segments/{segment.pk}/#letter-jobs"
    assert "Cover sheets (PDF)" in response.content.decode()


def test_without_a_pdf_renderer_the_cover_sheet_page_says_so_and_logs_nothing(sales_client, person, monkeypatch):
    from crm import pdf

    def unavailable():
        raise pdf.PdfUnavailableError(pdf.UNAVAILABLE_MESSAGE.format(reason="no Pango here"))

    monkeypatch.setattr(pdf, "_weasyprint", unavailable)
    setup("cover_sheet", "COVER")
    response = sales_client.post(cover_url(person), {"text": "Hello"})
    assert response.status_code == 200 and "PDF printing is not available on this server" in response.content.decode()
    assert InteractionLogEntry.objects.count() == 0
