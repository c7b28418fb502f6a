"""A seller calls a contact, e-mails them and prints a cover sheet from the contact page (docs/BEHAVIOUR.md §10);
a marketer prints a worksheet's cover sheets."""

import email
import email.policy

import pytest
from django.core import mail

from interactions.models import InteractionLogEntry
from segments.services import segment_add_contacts
from tests.e2e.conftest import login, screenshot
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    InteractionTemplateSetupFactory,
    PersonFactory,
    SegmentFactory,
)
from tests.pdf_helpers import needs_pdf, pdf_pages, pdf_text

pytestmark = pytest.mark.django_db(transaction=True)


def setup(event, code, description, **fields):
    template = InteractionTemplateFactory(code=code, description=description, **fields)
    InteractionTemplateSetupFactory(event=event, template=template)
    return template


@pytest.fixture
def anna():
    company = CompanyFactory(name="Hanseatic Shipping GmbH", city="Hamburg", post_code="20457")
    return PersonFactory(
        name="Anna Weber", company=company, phone="+49 40 555 1234", mobile="", email="anna@hanseatic.example"
    )


def test_a_seller_logs_a_call_from_the_contact_page(page, salesperson_user, anna):
    setup("phone_call", "CALL", "Phone call", correspondence_type="", unit_duration_minutes=5)

    login(page, "seller")
    page.goto(anna.get_absolute_url())
    page.get_by_role("link", name="Call", exact=True).click()
    page.wait_for_url(f"**/interactions/contacts/{anna.pk}/call/")
    assert page.locator('a[href^="tel:"]', has_text="+49 40 555 1234").is_visible()
    assert page.get_by_label("Description").input_value() == "Phone call"
    page.get_by_label("Description").fill("Asked about the spring order")
    page.get_by_label("Duration (min.)").fill("12")
    page.get_by_label("Attempt failed (no answer, busy)").check()
    page.get_by_label("Evaluation").select_option("positive")
    screenshot(page, "contact-call")
    page.get_by_role("button", name="Log call").click()

    page.wait_for_url(f"**/contacts/{anna.pk}/")
    entry = InteractionLogEntry.objects.get()
    assert page.get_by_text(f"Call {entry.pk} was logged for Anna Weber.").is_visible()
    assert (entry.description, entry.duration_minutes, entry.attempt_failed, entry.evaluation) == (
        "Asked about the spring order",
        12,
        True,
        "positive",
    )
    assert page.locator("#history").get_by_text("Asked about the spring order").is_visible()


def test_a_seller_writes_an_email_with_an_attachment_and_downloads_the_kept_message(
    page, salesperson_user, anna, tmp_path
):
    setup("email", "EMAIL", "E-mail")
    attachment = tmp_path / "price list.csv"
    attachment.write_text("item;price\nshelf;125.50\n")

    login(page, "seller")
    page.goto(anna.get_absolute_url())
    page.get_by_role("link", name="E-mail", exact=True).click()
    page.wait_for_url(f"**/interactions/contacts/{anna.pk}/email/")
    assert page.get_by_label("To").input_value() == "anna@hanseatic.example"
    page.get_by_role("button", name="Send e-mail").click()  # no subject yet
    assert page.get_by_text("You must fill in the Subject field.").is_visible()
    assert InteractionLogEntry.objects.count() == 0
    page.get_by_label("Subject").fill("Our price list")
    page.get_by_label("Text").fill("Dear Ms Weber,\nplease find our price list attached.")
    page.get_by_label("Attachment").set_input_files(str(attachment))
    screenshot(page, "contact-email")
    page.get_by_role("button", name="Send e-mail").click()

    page.wait_for_url(f"**/contacts/{anna.pk}/")
    entry = InteractionLogEntry.objects.get()
    assert entry.delivery_status == "" and entry.correspondence_type == "email"
    assert mail.outbox[0].to == ["anna@hanseatic.example"] and mail.outbox[0].attachments[0][0] == "price list.csv"

    page.goto(f"/interactions/{entry.pk}/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download document").click()
    download = download_info.value
    assert download.suggested_filename == "Our price list.eml"
    kept = email.message_from_bytes(open(download.path(), "rb").read(), policy=email.policy.default)
    assert kept["Subject"] == "Our price list"


@needs_pdf
def test_a_seller_prints_a_cover_sheet_and_its_entry_cannot_show_it_afterwards(page, salesperson_user, anna):
    setup("cover_sheet", "COVER", "Cover sheet")

    login(page, "seller")
    page.goto(anna.get_absolute_url())
    page.get_by_role("link", name="Cover sheet", exact=True).click()
    page.get_by_label("Text").fill("The signed contract is enclosed.")
    screenshot(page, "contact-cover-sheet")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Print cover sheet (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"Cover sheet {anna.no}.pdf"
    pdf = open(download.path(), "rb").read()
    assert pdf_pages(pdf) == 1 and "The signed contract is enclosed." in pdf_text(pdf)

    entry = InteractionLogEntry.objects.get()
    assert (entry.document_type, entry.document_no) == ("cover_sheet", "")
    page.goto(f"/interactions/{entry.pk}/")
    page.get_by_role("link", name="Show cover sheet").click()
    assert page.get_by_text("It is not possible to show cover sheets after they have been printed.").is_visible()


@needs_pdf
def test_a_marketer_prints_the_cover_sheets_of_a_worksheet(page, marketer):
    setup("cover_sheet", "COVER", "Cover sheet")
    segment = SegmentFactory(description="Samples")
    acme = CompanyFactory(name="Acme", city="Kiel")
    PersonFactory(name="Ada Lovelace", company=acme, city="Kiel")
    segment_add_contacts(segment, criteria={"city": "Kiel"}, user=marketer)

    login(page, "marketer")
    page.goto(segment.get_absolute_url())
    page.get_by_role("link", name="Print cover sheets").click()
    page.get_by_label("Text").fill("Samples enclosed.")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Print cover sheets (PDF)").click()
    pdf = open(download_info.value.path(), "rb").read()
    assert pdf_pages(pdf) == 2
    assert InteractionLogEntry.objects.filter(document_type="cover_sheet").count() == 2
