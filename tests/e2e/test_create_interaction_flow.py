from pathlib import Path

import pytest

from interactions.models import InteractionLogEntry
from tests.e2e.conftest import login, screenshot
from tests.factories import PersonFactory, SalespersonFactory
from tests.interactions.factories import docx_text, word_template
from tests.interactions.test_letter_pdf import pdf_text

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_salesperson_logs_a_word_letter_with_a_personal_note_and_downloads_it(page, salesperson_user):
    seller = SalespersonFactory(code="JS", name="Jane Seller", user=salesperson_user)
    person = PersonFactory(name="Ada Lovelace", company__name="Analytical Engines Ltd", salesperson=seller)
    word_template("WELCOME", description="Welcome letter")

    login(page, "seller")
    page.goto(f"/contacts/{person.pk}/")
    page.get_by_role("link", name="Create interaction").click()
    page.wait_for_url(f"**/interactions/new/?contact={person.pk}")
    assert page.get_by_role("heading", name="Create interaction").is_visible()

    page.select_option("select[name=template]", label="WELCOME – Welcome letter · Word letter")
    assert page.input_value("input[name=description]") == "Welcome letter"  # filled from the template
    page.fill("input[name=description]", "Welcome after the trade fair")
    page.fill("textarea[name=personal_note]", "It was a pleasure to meet you in Hanover.")
    page.get_by_text("Show more").click()
    assert page.locator("select[name=salesperson]").is_visible()
    screenshot(page, "interaction-create")

    # The preview opens in a tab of its own (a PDF where LibreOffice is installed), so the form keeps its input.
    # The browser's PDF viewer replaces the body it shows, so the letter is read on its way in.
    letters = []

    def keep_letter(route):
        response = route.fetch()
        letters.append(response.body())
        route.fulfill(response=response)

    page.context.route("**/interactions/new/preview/**", keep_letter)
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Preview letter").click()
    opened.value.wait_for_load_state()
    text = pdf_text(letters[0]) if letters[0].startswith(b"%PDF-") else docx_text(letters[0])
    assert "It was a pleasure to meet you in Hanover." in text
    opened.value.close()
    assert page.input_value("input[name=description]") == "Welcome after the trade fair"
    assert not InteractionLogEntry.objects.exists()

    page.get_by_role("button", name="Log interaction").click()
    page.wait_for_url(f"**/contacts/{person.pk}/")
    assert page.get_by_text("was logged for Ada Lovelace").is_visible()
    history = page.locator("#history")
    assert history.get_by_text("Welcome after the trade fair").is_visible()
    screenshot(page, "interaction-created")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the letter").click()
    text = docx_text(Path(download.value.path()).read_bytes())
    assert "Ada Lovelace" in text and "It was a pleasure to meet you in Hanover." in text
    assert "Jane Seller" in text
    assert download.value.suggested_filename == "Analytical Engines Ltd - Ada Lovelace.docx"


def test_the_page_shows_the_reference_errors(page, salesperson_user):
    person = PersonFactory(name="Grace Hopper")
    login(page, "seller")
    page.goto(f"/interactions/new/?contact={person.pk}")
    page.get_by_role("button", name="Log interaction").click()
    page.get_by_text("Interaction Template Code is mandatory.").wait_for()
    assert page.get_by_text("Description is mandatory.").is_visible()
    screenshot(page, "interaction-create-errors")
    assert not InteractionLogEntry.objects.exists()
