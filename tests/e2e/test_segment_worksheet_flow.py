import io
import zipfile

import docx
import pytest
from django.core.files.base import ContentFile

from segments.models import Segment
from tests.e2e.conftest import login, screenshot
from tests.factories import CompanyFactory, InteractionTemplateFactory, MailingGroupFactory, PersonFactory
from tests.interactions.factories import letter_docx

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_marketer_builds_a_segment_goes_back_adds_a_note_and_downloads_the_letters(page, marketer):
    template = InteractionTemplateFactory(code="WINTER", description="Winter offer", language_code="en")
    letter = letter_docx("{{ contact.salutation }},", "{{ personal_note }}", "Kind regards, {{ salesperson.name }}")
    template.attachment.save("winter.docx", ContentFile(letter), save=True)
    gift = MailingGroupFactory(code="GIFT")
    hanse = CompanyFactory(name="Hanse Shipping", city="Hamburg")
    ada = PersonFactory(name="Ada Lovelace", company=hanse, city="Hamburg", salutation="Dear Ada")
    ada.mailing_groups.add(gift)
    grace = PersonFactory(name="Grace Hopper", company=hanse, city="Hamburg", salutation="Dear Grace")
    grace.mailing_groups.add(gift)
    PersonFactory(name="Linus Munich", company=CompanyFactory(name="Isar Tools", city="Munich"), city="Munich")

    login(page, "marketer")
    page.goto("/segments/new/")
    page.fill("input[name=description]", "Winter offer")
    page.select_option("select[name=template]", str(template.pk))
    page.get_by_role("button", name="Create segment").click()
    page.wait_for_url("**/segments/*/")
    segment = Segment.objects.get(description="Winter offer")

    # Step 1: everybody in Hamburg; the page counts before applying.
    page.fill("input[name=c-city]", "Hamburg")
    page.locator("#step-preview [data-count]").wait_for()
    assert page.locator("#step-preview [data-count]").inner_text() == "3"
    page.get_by_role("button", name="Apply step").click()
    page.wait_for_selector("text=3 contacts added")

    # Step 2: refine to the GIFT mailing group (the company drops out).
    page.fill("input[name=c-city]", "")
    page.fill("input[name=c-mailing_group]", "GIFT")
    page.check("input[name=action][value=refine]")
    page.get_by_role("button", name="Apply step").click()
    page.wait_for_selector("text=1 contact removed")
    assert page.get_by_text("Refined contacts: mailing group = GIFT (1 removed)").is_visible()
    assert segment.lines.count() == 2

    # Go back one step: the company is back.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Go back").click()
    page.wait_for_selector("text=Undone: Refined contacts")
    assert segment.lines.count() == 3
    screenshot(page, "segment-worksheet")

    # A personal note for Ada.
    page.get_by_role("row", name="Ada Lovelace").get_by_role("link", name="Edit").click()
    page.fill("textarea[name=personal_note]", "Thank you for the lovely dinner in Hamburg!")
    page.get_by_role("button", name="Save line").click()
    page.wait_for_selector("text=The line for Ada Lovelace was saved.")
    screenshot(page, "segment-worksheet-after-note")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Letters (.zip)").click()
    download = download_info.value
    assert download.suggested_filename == f"Segment {segment.no}.zip"
    archive = zipfile.ZipFile(download.path())
    names = sorted(archive.namelist())
    assert names == ["Hanse Shipping - Ada Lovelace.docx", "Hanse Shipping - Grace Hopper.docx", "Hanse Shipping.docx"]
    ada_letter = "\n".join(p.text for p in docx.Document(io.BytesIO(archive.read(names[0]))).paragraphs)
    grace_letter = "\n".join(p.text for p in docx.Document(io.BytesIO(archive.read(names[1]))).paragraphs)
    assert "Thank you for the lovely dinner in Hamburg!" in ada_letter and "Dear Ada," in ada_letter
    assert "Thank you for the lovely dinner" not in grace_letter
