import pytest

from interactions.models import InteractionLogEntry
from tests.e2e.conftest import login, screenshot
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    InteractionTemplateSetupFactory,
    PersonFactory,
    SalesDocumentFactory,
    SalesDocumentLineFactory,
    SalespersonFactory,
)
from tests.pdf_helpers import needs_pdf

pytestmark = [pytest.mark.django_db(transaction=True), needs_pdf]


def test_a_salesperson_prints_a_quote_and_finds_it_in_the_contact_history_and_the_log(page, salesperson_user):
    company = CompanyFactory(name="Hanseatic Shipping GmbH", city="Hamburg", post_code="20457")
    buyer = PersonFactory(name="Ada Lovelace", company=company)
    template = InteractionTemplateFactory(code="S-QUOTE", description="Sales quote printed")
    InteractionTemplateSetupFactory(event="sales_quote", template=template)
    quote = SalesDocumentFactory(
        kind="quote", contact=buyer, salesperson=SalespersonFactory(name="Jane Doe"), your_reference="RFQ 2026-118"
    )
    SalesDocumentLineFactory(document=quote, description="Industrial shelving unit, 5 shelves")
    SalesDocumentLineFactory(document=quote, description="Installation on site, per hour")

    login(page, "seller")
    page.goto("/documents/new/")
    screenshot(page, "document-form")
    page.goto("/documents/")
    screenshot(page, "document-list")
    page.get_by_role("link", name=quote.no).click()
    page.wait_for_url(f"**/documents/{quote.pk}/")
    assert page.get_by_role("heading", name=f"Quote {quote.no}").is_visible()
    assert page.get_by_text("Industrial shelving unit, 5 shelves").is_visible()
    screenshot(page, "document-detail")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Print", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == f"{quote.no}-v1.pdf"
    with open(download.path(), "rb") as handle:
        printed = handle.read()
    assert printed.startswith(b"%PDF-")
    entry = InteractionLogEntry.objects.get()
    assert (entry.document_no, entry.version_no, entry.contact_id) == (quote.no, 1, buyer.pk)

    page.reload()
    assert page.get_by_text("Version 1").first.is_visible()
    log_card = page.locator("#log")
    assert log_card.get_by_role("link", name=str(entry.pk)).is_visible()
    screenshot(page, "document-detail-printed")

    page.goto(f"/contacts/{buyer.pk}/")
    history = page.locator("#history")
    assert history.get_by_text("Sales quote printed").is_visible()
    assert history.get_by_text(quote.no).is_visible()
    screenshot(page, "contact-history-with-printed-quote")

    page.goto("/interactions/")
    assert page.get_by_role("link", name="Sales quote printed").is_visible()
    screenshot(page, "log-entries-with-printed-quote")

    # The PDF stored with the entry is byte for byte the one the customer got.
    page.goto(f"/interactions/?document_no={quote.no}")
    with page.expect_download() as stored_info:
        page.get_by_role("link", name="Download").click()
    with open(stored_info.value.path(), "rb") as handle:
        assert handle.read() == printed
