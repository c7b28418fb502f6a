"""A marketer previews a worksheet line's letter: the PDF opens in the browser's own viewer (a new tab), converted
by LibreOffice. The screenshot is kept in docs/screenshots/letter-preview.png for the documentation."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from demo.interactions import build_letter_docx
from segments.services import segment_add_contacts
from tests.e2e.conftest import login
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
)
from tests.interactions.test_letter_pdf import needs_libreoffice

pytestmark = [pytest.mark.django_db(transaction=True), needs_libreoffice]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "letter-preview.png"


def test_a_marketer_previews_a_lines_letter_as_a_pdf_in_the_browser(page, marketer):
    template = InteractionTemplateFactory(code="WELCOME", description="Welcome letter", language_code="en")
    template.attachment.save("welcome.docx", ContentFile(build_letter_docx()), save=True)
    # Fixed names (no generated ones), so the screenshot changes only when the letter does.
    jane = SalespersonFactory(code="JANE", name="Jane Seller", email="jane@northwind.example")
    segment = SegmentFactory(template=template, description="Welcome", language_code="en", salesperson=jane)
    hanse = CompanyFactory(name="Hanse Shipping", city="Hamburg", address="Am Sandtorkai 1", post_code="20457")
    PersonFactory(
        name="Ada Lovelace",
        company=hanse,
        city="Hamburg",
        address="Am Sandtorkai 1",
        post_code="20457",
        salutation="Dear Ms Lovelace",
        salesperson=jane,
    )
    segment_add_contacts(segment, criteria={"city": "Hamburg", "type": "person"}, user=marketer)
    line = segment.lines.get()

    login(page, "marketer")
    page.goto(f"/segments/{segment.pk}/lines/{line.pk}/")
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Preview letter (PDF)").click()
    preview = opened.value
    preview.wait_for_load_state()

    assert preview.url.endswith(f"/segments/{segment.pk}/lines/{line.pk}/letter.pdf")
    preview.wait_for_timeout(2500)  # the viewer draws the page after the load event
    SCREENSHOT.parent.mkdir(exist_ok=True)
    preview.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
